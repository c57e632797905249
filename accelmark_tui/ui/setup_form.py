"""Run setup's field checks, apart from the widgets (no Textual here).

``check_form`` turns what the user typed into a ``RunRequest`` or one
sentence per bad field, keyed by the field's name, so the screen can put each
error beside its field. Opening a GGUF file to check it is the only slow
part; ``check_files=False`` skips it for checks while typing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FIELDS = ("runner", "suite", "model", "scenario", "runs", "warmup", "threads", "tier")
SOURCES = ("suite", "local", "hub")
HUB_EXAMPLE = "bartowski/SmolLM2-135M-Instruct-GGUF:SmolLM2-135M-Instruct-Q4_K_M.gguf"
MAX_RUNS = 100
MAX_WARMUP = 1000


@dataclass
class FormValues:
    runner: str | None
    suite: str | None
    source: str = "suite"  # suite | local | hub
    path: str = ""
    hub: str = ""
    scenario_mode: str = "default"  # default | all | pick
    picks: list[str] = field(default_factory=list)
    runs: str = ""
    warmup: str = ""
    threads: str = ""
    tier: str = "community"
    force: bool = False


def _whole(text: str, name: str, low: int, high: int) -> tuple[int | None, str | None]:
    """An optional whole number in [low, high]: (value or None when empty, error or None)."""
    text = text.strip()
    if not text:
        return None, None
    try:
        value = int(text)
    except ValueError:
        return None, f"{name} must be a whole number from {low} to {high}; leave it empty for the default."
    if not low <= value <= high:
        return None, f"{name} must be from {low} to {high}; leave it empty for the default."
    return value, None


def suite_has_model(suite: Any) -> bool:
    """True when the suite ships its own model file (the embedded model for suite_Quick)."""
    return bool((suite.data or {}).get("model_file"))


def check_form(values: FormValues, *, suite: Any | None, fit: Any | None, machine: Any | None,
               check_files: bool = True) -> tuple[dict[str, str], Any | None]:
    """(errors by field, RunRequest or None). ``suite`` and ``fit`` are those of the chosen pair."""
    from accelmark_tui.engine.models import _HUB_SPEC, check_gguf
    from accelmark_tui.engine.plan import NOT_IMPLEMENTED
    from accelmark_tui.engine.session import RunRequest
    from accelmark_tui.errors import AccelmarkError
    from accelmark_tui.results.layout import TIERS

    errors: dict[str, str] = {}
    if not values.runner:
        errors["runner"] = "Choose a runner."
    elif fit is not None and not fit.ready:
        errors["runner"] = fit.message()
    if not values.suite or suite is None:
        errors["suite"] = "Choose a suite."

    model: str | None = None
    if values.source == "suite":
        if suite is not None and not suite_has_model(suite):
            errors["model"] = (f"{suite.id}'s model ({suite.model_short_name}) is not bundled; choose a local "
                               "GGUF file or a Hugging Face file of it.")
    elif values.source == "local":
        model = values.path.strip()
        if not model:
            errors["model"] = "Give the path of a .gguf file, or pick one with Browse (ctrl+o)."
        elif check_files:
            try:
                check_gguf(model)
            except AccelmarkError as exc:
                errors["model"] = str(exc)
    elif values.source == "hub":
        model = values.hub.strip()
        if not model:
            errors["model"] = f"Give a Hugging Face file as ORG/REPO[@REV]:FILE.gguf, e.g. {HUB_EXAMPLE}."
        elif not _HUB_SPEC.match(model):
            errors["model"] = f"'{model}' is not ORG/REPO[@REV]:FILE.gguf (a repo, an optional revision, a .gguf file)."
    else:
        errors["model"] = "Choose where the model comes from."

    scenario = values.scenario_mode
    if scenario == "pick":
        if not values.picks:
            errors["scenario"] = "Tick at least one scenario, or choose default or all."
        blocked = [s for s in values.picks if s in NOT_IMPLEMENTED]
        if blocked:
            errors["scenario"] = f"Scenario '{blocked[0]}' is not available: {NOT_IMPLEMENTED[blocked[0]]}."
        scenario = ",".join(values.picks)
    elif scenario not in ("default", "all"):
        errors["scenario"] = "Choose default, all, or pick scenarios."

    runs, err = _whole(values.runs, "Runs", 1, MAX_RUNS)
    if err:
        errors["runs"] = err
    warmup, err = _whole(values.warmup, "Warm-up", 0, MAX_WARMUP)
    if err:
        errors["warmup"] = err
    cores = max(1, machine.cpu.logical_cores) if machine is not None else 1024
    threads, err = _whole(values.threads, "Threads", 1, cores)
    if err:
        errors["threads"] = err + (f" This machine has {cores} logical cores." if machine is not None else "")
    if values.tier not in TIERS:
        errors["tier"] = f"Choose a tier: {', '.join(TIERS)}."

    if errors:
        return errors, None
    return {}, RunRequest(runner=values.runner, suite=values.suite, model=model, scenario=scenario, runs=runs,
                          warmup=warmup, threads=threads, tier=values.tier, force=values.force)
