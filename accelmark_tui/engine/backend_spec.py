"""What a backend declares about itself: its options, the model formats it resolves, its precisions.

Each backend module (``accelmark_tui/backends/``, or a third-party package through the
``accelmark.backends`` entry-point group) holds one ``BackendSpec`` next to its class. The CLI's
flags, the app's form fields, the session's option checks and ``accelmark runners --json`` are
all generated from it, so adding a backend touches no shared file. Option values are parsed and
checked here, in ``Option.parse``, the one place the CLI, the app and the session share.

The engine sits below the backends, so it reaches the registry (``backends/registry.py``) by
name, as it reaches a runner's backend class and its set-up hook: plug-ins named as data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accelmark_tui.engine.backend import load_object
from accelmark_tui.errors import UsageError

REGISTRY = "accelmark_tui.backends.registry:get_spec"
REGISTRY_ALL = "accelmark_tui.backends.registry:all_specs"
_TRUE = ("on", "true", "yes", "1")
_FALSE = ("off", "false", "no", "0")


@dataclass(frozen=True)
class Option:
    """One typed backend option: a CLI flag, a form field, a key of ``RunRequest.options``."""

    name: str  # the key in RunRequest.options and the backend's options
    type: type  # int | float | bool | str
    help: str
    default: Any = None  # shown in help; None: the backend (or the runner's runner.py) decides
    choices: tuple[str, ...] = ()
    flag: str | None = None  # default: "--" + name with dashes
    metavar: str | None = None
    form: bool = True  # a generated field in the app's run setup (False: the backend's own form has it)
    minimum: float | None = None  # the lowest value an int/float may take
    # True: the value changes what is measured, so it is recorded in task.extra_config.backend_options and
    # a resumed run must repeat it. False: how to reach something (a URL, a key variable, a timeout).
    affects_result: bool = True

    @property
    def cli_flag(self) -> str:
        return self.flag or "--" + self.name.replace("_", "-")

    @property
    def label(self) -> str:
        """The form field's label: the flag as the CLI spells it, without the leading dashes."""
        return self.cli_flag.lstrip("-")

    @property
    def hint(self) -> str:
        """What to type, for the CLI's metavar and the form's placeholder."""
        if self.metavar:
            return self.metavar
        if self.choices:
            return "|".join(self.choices)
        return {int: "N", float: "X", bool: "on|off"}.get(self.type, "TEXT")

    def parse(self, value: Any) -> Any:
        """``value`` (text as typed, or an already typed value) → the option's value.

        Raises UsageError with one sentence naming the flag when it is not one.
        """
        flag, kind = self.cli_flag, self.type
        if isinstance(value, str):
            text = value.strip()
            if kind is bool:
                if text.lower() in _TRUE:
                    return True
                if text.lower() in _FALSE:
                    return False
                raise UsageError(f"{flag} takes on or off, not '{text}'.")
            if kind in (int, float):
                try:
                    value = kind(text)
                except ValueError:
                    what = "a whole number" if kind is int else "a number"
                    raise UsageError(f"{flag} takes {what}, not '{text}'.") from None
            else:
                value = text
        elif kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise UsageError(f"{flag} takes {kind.__name__}, not {type(value).__name__} ({value!r}).")
        if self.choices and value not in self.choices:
            raise UsageError(f"{flag} must be one of {', '.join(self.choices)}, not '{value}'.")
        if self.minimum is not None and value < self.minimum:
            raise UsageError(f"{flag} must be at least {self.minimum:g}, not {value}.")
        if kind is str and not value:
            raise UsageError(f"{flag} needs a value.")
        return value


@dataclass(frozen=True)
class BackendSpec:
    """A backend's declaration. ``prepare`` and ``version`` are ``module:function`` names (imported on use).

    ``prepare(request, *, suite, machine, log_path)`` resolves ``--model`` for ``model_formats`` (and
    whatever else runs before measuring: a server) and returns an ``engine.backend.PreparedModel`` whose
    ``backend_options`` reach the backend's constructor, merged over the runner's runner.py OPTIONS.
    ``version()`` returns the framework's version for the result (``framework_version``: part of the run
    identity, so it is read from package metadata, never by loading the engine).
    """

    name: str  # what runner meta.json's accelmark.backend names, e.g. "llama.cpp"
    backend: str  # "module:Class", a subclass of engine.backend.Backend
    model_formats: tuple[str, ...]  # "gguf", "hf", "served"
    prepare: str
    version: str | None = None  # "module:function"; else the version of the ``dist`` distribution
    dist: str | None = None  # the Python distribution that is the framework, e.g. "llama-cpp-python"
    options: tuple[Option, ...] = ()
    precisions: tuple[str, ...] = ()  # result-schema names it runs (FP16, BF16, INT8, INT4, ...)
    title: str = ""  # the CLI's argument group, e.g. "llama.cpp options (in-process runners)"

    def option(self, name: str) -> Option | None:
        return next((o for o in self.options if o.name == name), None)

    def check_options(self, values: dict[str, Any]) -> dict[str, Any]:
        """Parsed values of the options this backend declares; UsageError for one it does not."""
        out: dict[str, Any] = {}
        for name, value in values.items():
            opt = self.option(name)
            if opt is None:
                raise UsageError(f"The {self.name} backend has no option '{name}'; it takes {self.flags()}.")
            out[name] = opt.parse(value)
        return out

    def flags(self) -> str:
        return ", ".join(o.cli_flag for o in self.options) or "no options"

    def recorded(self, values: dict[str, Any]) -> dict[str, Any]:
        """The options that change what is measured: kept in the result and compared on resume."""
        return {k: v for k, v in sorted(values.items()) if (o := self.option(k)) is not None and o.affects_result}

    def framework_version(self) -> str | None:
        if self.version:
            return str(load_object(self.version)())
        if self.dist:
            import importlib.metadata

            try:
                return importlib.metadata.version(self.dist)
            except importlib.metadata.PackageNotFoundError:
                return "not installed"
        return None

    def describe(self) -> dict[str, Any]:
        """``accelmark runners --json``'s view of it."""
        return {"name": self.name, "model_formats": list(self.model_formats), "precisions": list(self.precisions),
                "options": [{"name": o.name, "flag": o.cli_flag, "type": o.type.__name__, "help": o.help,
                             "default": o.default, "choices": list(o.choices)} for o in self.options]}


def spec_named(name: str) -> BackendSpec:
    """The registered spec of that name (``backends/registry.py``); UsageError when none is."""
    return load_object(REGISTRY)(name)


def all_specs() -> list[BackendSpec]:
    return list(load_object(REGISTRY_ALL)())


def owner_of(name: str, specs: list[BackendSpec]) -> BackendSpec | None:
    """The spec declaring an option of this name (the first, in registry order)."""
    return next((s for s in specs if s.option(name) is not None), None)

