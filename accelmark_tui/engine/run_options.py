"""A run's backend: the runner's spec, the user's options checked by it, and the rule that a folder measured
with other options is never resumed (the run identity, upstream's fields, cannot tell them apart)."""

from __future__ import annotations

from typing import Any

from accelmark_tui.engine import backend_spec
from accelmark_tui.engine.backend_spec import BackendSpec
from accelmark_tui.errors import UsageError


def spec_of(runner: Any) -> BackendSpec:
    if not runner.backend:
        raise UsageError(f"{runner.id}'s meta.json names no backend (accelmark.backend); add the name of "
                         "the backend it runs, e.g. \"llama.cpp\".")
    return backend_spec.spec_named(runner.backend)


def checked(spec: BackendSpec, runner: Any, options: dict[str, Any]) -> dict[str, Any]:
    """The request's backend options parsed by the runner's spec; an option of another backend is one
    sentence naming the runners that take it."""
    for name in options:
        if spec.option(name) is not None:
            continue
        owner = backend_spec.owner_of(name, backend_spec.all_specs())
        own = f"{runner.id} runs {spec.name}, whose options are {spec.flags()}"
        if owner is None:
            raise UsageError(f"'{name}' is no backend's option; {own}.")
        from accelmark_tui.catalog.runners import discover_runners

        takers = [r.id for r in discover_runners() if r.backend == owner.name]
        pick = f" (--runner {' or '.join(takers)})" if takers else ""
        raise UsageError(f"{owner.option(name).cli_flag} is an option of the {owner.name} backend{pick}; {own}.")
    return spec.check_options(options)


def check_same(spec: BackendSpec, run_dir: Any, recorded: dict[str, Any], force: bool) -> None:
    """Refuse to resume ``run_dir`` when it was measured with other options; --force archives it."""
    if force or not run_dir.exists():
        return
    earlier = run_dir.load_state()
    before = earlier.extra.get("backend_options", {}) if earlier is not None else {}
    if before != recorded:
        raise UsageError(f"{run_dir.path} was measured with {described(spec, before)}, not "
                         f"{described(spec, recorded)}; run with the same options to resume it, or add "
                         "--force to measure again (the earlier run is archived).")


def described(spec: BackendSpec, options: dict[str, Any]) -> str:
    """``--type-k q8_0 --n-batch 256``, or words for none."""
    if not options:
        return f"{spec.name}'s defaults"
    words = []
    for name, value in options.items():
        opt = spec.option(name)
        words.append(f"{opt.cli_flag if opt else name} {'on' if value is True else 'off' if value is False else value}")
    return " ".join(words)
