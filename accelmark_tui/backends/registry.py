"""Every backend accelmark knows: the built-in specs and those third-party packages register.

A package adds a backend with an entry point in the ``accelmark.backends`` group naming its
``BackendSpec`` (``[project.entry-points."accelmark.backends"] vllm = "accelmark_vllm.spec:SPEC"``)
and ships a runner folder whose meta.json names the spec in ``accelmark.backend``. A plug-in that
fails to load is skipped with a one-line note on stderr: one broken package never stops a run.
"""

from __future__ import annotations

import sys
from functools import lru_cache

from accelmark_tui.backends import endpoint_spec, llama_spec, mlx_spec
from accelmark_tui.engine.backend_spec import BackendSpec
from accelmark_tui.errors import UsageError

GROUP = "accelmark.backends"
BUILTIN: tuple[BackendSpec, ...] = (llama_spec.SPEC, endpoint_spec.SPEC, mlx_spec.SPEC)


@lru_cache(maxsize=1)
def all_specs() -> tuple[BackendSpec, ...]:
    """Built-ins first, then plug-ins in entry-point order; a name is taken once (the first wins)."""
    from importlib.metadata import entry_points

    found: dict[str, BackendSpec] = {s.name: s for s in BUILTIN}
    for ep in entry_points(group=GROUP):
        try:
            spec = ep.load()
            if not isinstance(spec, BackendSpec):
                raise TypeError(f"{ep.value} is a {type(spec).__name__}, not a BackendSpec")
        except Exception as exc:  # noqa: BLE001 - any failure of foreign code: skipped, said once
            print(f"accelmark: note: skipped the backend plug-in '{ep.name}' ({exc}).", file=sys.stderr)
            continue
        if spec.name in found:
            print(f"accelmark: note: skipped the backend plug-in '{ep.name}': a backend named "
                  f"'{spec.name}' is already registered.", file=sys.stderr)
            continue
        found[spec.name] = spec
    return tuple(found.values())


def get_spec(name: str) -> BackendSpec:
    for spec in all_specs():
        if spec.name == name:
            return spec
    known = ", ".join(s.name for s in all_specs())
    raise UsageError(f"No backend named '{name}' is installed (known: {known}); install the package that "
                     "provides it or fix the runner's meta.json accelmark.backend.")
