"""Run setup's field checks, apart from the widgets (no Textual here).

``check_form`` turns what the user typed into a ``RunRequest`` or one
sentence per bad field, keyed by the field's name, so the screen can put each
error beside its field. Opening a GGUF file to check it is the only slow
part; ``check_files=False`` skips it (and the API key variable's lookup) for
checks while typing.

An endpoint runner (``RunnerInfo.is_endpoint``) has no model file: its fields
are the server's URL, the served model (picked from the server's list, which
the screen fetches), the NAME of the variable holding the API key (the key is
looked up only to check it is there, and never kept), the API, an optional
declared chip, and the load shape of accelmark's sweep and peak scenarios.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

FIELDS = ("runner", "suite", "model", "base-url", "served-model", "api-key-env", "api", "chip", "scenario",
          "levels", "sla-ttft", "runs", "warmup", "threads", "tier")
ENDPOINT_FIELDS = ("base-url", "served-model", "api-key-env", "api", "chip", "levels", "sla-ttft")
SOURCES = ("suite", "local", "hub")
HUB_EXAMPLE = "bartowski/SmolLM2-135M-Instruct-GGUF:SmolLM2-135M-Instruct-Q4_K_M.gguf"
HUB_REPO_EXAMPLE = "mlx-community/SmolLM2-135M-Instruct"  # a whole repo: backends that read HF folders
MAX_RUNS = 100
MAX_WARMUP = 1000
MAX_CHIPS = 1024
MAX_LEVEL = 4096
URL_EXAMPLE = "http://127.0.0.1:8000/v1"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


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
    # Endpoint runners only.
    endpoint: bool = False
    base_url: str = ""
    served_model: str | None = None
    models_url: str | None = None  # the API root the served-model list was fetched from
    api_key_env: str = ""
    api: str = "chat"
    chip: str = ""
    chip_count: str = ""
    levels: str = ""
    sla_ttft_ms: str = ""
    # The runner's backend options shown as generated fields: the Options (services.backend_options) and
    # what is set in them by option name (text, a choice or a bool; unset ones are left out).
    declared: tuple = ()
    options: dict[str, Any] = field(default_factory=dict)
    model_formats: tuple = ()  # the runner's (meta.json): "hf" alone means a folder or repo id, not a GGUF


def option_field(name: str) -> str:
    """The form field of a backend option: ``opt-type-k`` for ``type_k``."""
    return "opt-" + name.replace("_", "-")


def check_options(values: FormValues) -> tuple[dict[str, str], dict[str, Any]]:
    """(errors by field, parsed values) of the generated backend-option fields, by the option's own parser."""
    from accelmark_tui.errors import AccelmarkError

    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    for opt in values.declared:
        value = values.options.get(opt.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        try:
            out[opt.name] = opt.parse(value)
        except AccelmarkError as exc:
            errors[option_field(opt.name)] = str(exc)
    return errors, out


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


def _levels(text: str) -> tuple[list[int] | None, str | None]:
    text = text.strip()
    if not text:
        return None, None
    try:
        levels = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        levels = []
    if not levels or any(not 1 <= c <= MAX_LEVEL for c in levels):
        return None, f"Levels must be whole numbers from 1 to {MAX_LEVEL} separated by commas, e.g. 1,2,4,8,16."
    return sorted(set(levels)), None


def _milliseconds(text: str, name: str) -> tuple[float | None, str | None]:
    text = text.strip()
    if not text:
        return None, None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 600_000:
        return None, f"{name} must be a number of milliseconds above 0, e.g. 500; leave it empty for the suite's."
    return value, None


def check_endpoint(values: FormValues, suite: Any | None, check_env: bool) -> tuple[dict[str, str], dict[str, Any]]:
    """(errors by field, RunRequest fields) of an endpoint runner's fields."""
    from accelmark_tui.endpoint import probe
    from accelmark_tui.backends.endpoint_spec import API_KINDS
    from accelmark_tui.errors import AccelmarkError, user_message

    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    opts: dict[str, Any] = {}  # the openai-endpoint backend's options (backends/endpoint_spec.py)
    url = values.base_url.strip()
    if not url:
        errors["base-url"] = f"Give the server's OpenAI-compatible API root, e.g. {URL_EXAMPLE}."
    else:
        try:
            opts["base_url"] = probe.normalize_base_url(url)
        except AccelmarkError as exc:
            errors["base-url"] = user_message(exc)
    if not values.served_model:
        if values.models_url is None:
            errors["served-model"] = "Fetch the server's models (Fetch models, or enter in the URL box) and choose one."
        else:
            errors["served-model"] = "Choose the served model to measure."
    elif opts.get("base_url") and values.models_url != opts["base_url"]:
        errors["served-model"] = f"The models listed came from {values.models_url}; fetch them again for this URL."
    out["model"] = values.served_model
    var = values.api_key_env.strip()
    if var and not _ENV_NAME.fullmatch(var):
        # Never echo what was typed: it may be the key itself.
        errors["api-key-env"] = ("Give the NAME of the environment variable that holds the API key (letters, "
                                 "digits and _), not the key itself.")
    elif var and check_env:
        try:
            probe.api_key_from_env(var)  # the key is looked up and dropped: only its presence is checked
        except AccelmarkError as exc:
            errors["api-key-env"] = user_message(exc)
    if var:
        opts["api_key_env"] = var
    if values.api not in API_KINDS:
        errors["api"] = f"Choose the API to measure: {', '.join(API_KINDS)}."
    opts["api"] = values.api
    count, err = _whole(values.chip_count, "Chip count", 1, MAX_CHIPS)
    if err:
        errors["chip"] = err
    elif count is not None and not values.chip.strip():
        errors["chip"] = "Name the server's chip (e.g. NVIDIA H100) for the count, or leave the count empty."
    if values.chip.strip():
        opts["chip"] = values.chip.strip()
    if count is not None:
        opts["chip_count"] = count
    out["options"] = opts
    out["levels"], err = _levels(values.levels)
    if err:
        errors["levels"] = err
    out["sla_ttft_ms"], err = _milliseconds(values.sla_ttft_ms, "SLA TTFT")
    if err:
        errors["sla-ttft"] = err
    suite_sla = (getattr(suite, "data", None) or {}).get("online_sla_ttft_ms") if suite is not None else None
    picked = values.picks if values.scenario_mode == "pick" else []
    if "peak" in picked and out["sla_ttft_ms"] is None and suite_sla is None and "sla-ttft" not in errors:
        errors["sla-ttft"] = "Peak search needs a p99 TTFT limit: give the SLA TTFT in milliseconds."
    return errors, out


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
    endpoint: dict[str, Any] = {}
    if values.endpoint:
        found, endpoint = check_endpoint(values, suite, check_env=check_files)
        errors.update(found)
    elif values.source == "suite":
        if suite is not None and suite_has_model(suite) and "gguf" not in values.model_formats and values.model_formats:
            errors["model"] = (f"{suite.id}'s bundled model is a GGUF, which this runner cannot load; give a Hugging "
                               "Face folder or repo id (`accelmark dev tiny-model DIR` writes a tiny one).")
        elif suite is not None and not suite_has_model(suite):
            errors["model"] = (f"{suite.id}'s model ({suite.model_short_name}) is not bundled; choose a local "
                               "GGUF file or a Hugging Face file of it.")
    elif "hf" in values.model_formats and "gguf" not in values.model_formats and values.source != "suite":
        model, errors["model"] = _check_hf(values, check_files)
        if not errors["model"]:
            del errors["model"]
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
    threads, err = (None, None) if values.endpoint else _whole(values.threads, "Threads", 1, cores)
    if err:
        errors["threads"] = err + (f" This machine has {cores} logical cores." if machine is not None else "")
    if values.tier not in TIERS:
        errors["tier"] = f"Choose a tier: {', '.join(TIERS)}."

    found, options = check_options(values)
    errors.update(found)
    if errors:
        return errors, None
    if options:
        endpoint["options"] = endpoint.get("options", {}) | options
    return {}, RunRequest(runner=values.runner, suite=values.suite, scenario=scenario, runs=runs,
                          warmup=warmup, threads=threads, tier=values.tier, force=values.force,
                          **({"model": model} | endpoint))


def _check_hf(values: FormValues, check_files: bool) -> tuple[str | None, str]:
    """(model, error or "") for a backend that reads Hugging Face folders: a local folder or ORG/NAME[@REV]."""
    from accelmark_tui.engine.hf_model import check_folder, is_repo_id
    from accelmark_tui.errors import AccelmarkError

    if values.source == "local":
        model = values.path.strip()
        if not model:
            return None, "Give the path of a Hugging Face model folder (config.json and *.safetensors)."
        if check_files:
            try:
                check_folder(model)
            except AccelmarkError as exc:
                return model, str(exc)
        return model, ""
    model = values.hub.strip()
    if not model:
        return None, f"Give a Hugging Face repo as ORG/NAME[@REV], e.g. {HUB_REPO_EXAMPLE}."
    if ":" in model or not is_repo_id(model):
        return model, f"'{model}' is not ORG/NAME[@REV] (a repo and an optional revision; this runner reads whole repos)."
    return model, ""
