"""Check result documents and run folders the way the leaderboard's CI will.

Schema checks use the bundled upstream schemas (Draft 7, as upstream's
``validate_submission.py`` does); folder checks add what that script checks
beyond the schema (run_id integrity, num_runs floor, accuracy notes,
referenced files) plus accelmark's own layout rules. A library: the CLI's
``validate`` and the submit flow decide what to do with the problems.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from accelmark_tui.config import PLACEHOLDER_SUBMITTER
from accelmark_tui.results import partial
from accelmark_tui.results.identity import identity_from_result
from accelmark_tui.results.layout import TIERS, RunDir

MIN_RUNS = 3  # upstream's floor for suites it does not know
ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Problem:
    file: str  # relative to the run folder, e.g. "offline/result.json"
    message: str  # "path: problem" for schema errors, else a sentence
    severity: str = ERROR  # "error" blocks a submission, "warning" is shown

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


@cache
def _validator(name: str) -> Any:
    import jsonschema  # deferred: not needed for `accelmark --help`

    from accelmark_tui.resources import schema_path

    schema = json.loads(schema_path(name).read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def _where(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"


def _short(message: str, limit: int = 200) -> str:
    # oneOf/anyOf messages repeat the whole instance; keep the line readable.
    return message if len(message) <= limit else message[: limit - 1] + "…"


def _schema_problems(doc: Any, schema: str) -> list[str]:
    errors = sorted(_validator(schema).iter_errors(doc), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    return [f"{_where(e.absolute_path)}: {_short(e.message)}" for e in errors]


def validate_result(doc: Any) -> list[str]:
    """Schema problems of a result.json document, as ``path: problem``."""
    return _schema_problems(doc, "result.schema.json")


def validate_env(doc: Any) -> list[str]:
    """Schema problems of an env_info.json document, as ``path: problem``."""
    return _schema_problems(doc, "env.schema.json")


# ── run folders ──────────────────────────────────────────────────────────────


def _load(path: Path, rel: str, problems: list[Problem]) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        problems.append(Problem(rel, f"cannot be read as JSON ({exc})."))
        return None


def _suite_num_runs(suite_id: str) -> int:
    from accelmark_tui.resources import suites_dir

    try:
        return int(json.loads((suites_dir() / suite_id / "suite.json").read_text(encoding="utf-8")).get("num_runs", MIN_RUNS))
    except (OSError, ValueError, TypeError):
        return MIN_RUNS


def _check_result(doc: dict[str, Any], rel: str, rd: RunDir, problems: list[Problem]) -> None:
    problems += [Problem(rel, p) for p in validate_result(doc)]
    if not isinstance(doc, dict):
        return
    meta = doc.get("meta") if isinstance(doc.get("meta"), dict) else {}
    try:
        ident = identity_from_result(doc)
    except ValueError as exc:
        problems.append(Problem(rel, f"{exc}."))
        return
    if meta.get("run_id") != ident.run_id:
        problems.append(Problem(rel, f"meta.run_id is '{meta.get('run_id')}' but the fields give '{ident.run_id}'; "
                                     "the file was edited after the run, re-run or re-stamp it."))
    if meta.get("run_name") != ident.run_name:
        problems.append(Problem(rel, f"meta.run_name is '{meta.get('run_name')}' but the fields give '{ident.run_name}'."))
    # Against the stored name, so one edited field reports the identity once, not the folder too.
    if rd.run_name != meta.get("run_name"):
        problems.append(Problem(rel, f"the folder is named '{rd.run_name}' but meta.run_name is '{meta.get('run_name')}'; "
                                     "the folder must carry the run name."))
    task = doc.get("task") if isinstance(doc.get("task"), dict) else {}
    floor = _suite_num_runs(str(doc.get("suite_id")))
    if isinstance(task.get("num_runs"), int) and task["num_runs"] < floor:
        problems.append(Problem(rel, f"task.num_runs is {task['num_runs']} but {doc.get('suite_id')} needs at least {floor}."))
    acc = doc.get("accuracy")
    if isinstance(acc, dict) and not acc.get("valid") and not acc.get("notes"):
        problems.append(Problem(rel, "accuracy.valid is false but accuracy.notes is empty; say why."))
    revision = str((doc.get("model") or {}).get("model_revision") or "")
    if revision == "unknown":  # an endpoint run that did not declare what the server loaded
        problems.append(Problem(rel, "model.model_revision is unknown; rerun with --model-revision naming the "
                                     "served weights' revision (hub commit or file SHA-256)."))
    elif not revision or "TO_BE_LOCKED" in revision:
        problems.append(Problem(rel, "model.model_revision must be a pinned revision or the file's SHA-256."))
    if meta.get("submitted_by") == PLACEHOLDER_SUBMITTER:
        problems.append(Problem(rel, f"meta.submitted_by is the placeholder '{PLACEHOLDER_SUBMITTER}'; "
                                     "submitting re-stamps it with your GitHub login.", WARNING))


def validate_run_dir(run_dir: RunDir | str | os.PathLike[str]) -> list[Problem]:
    """Every problem of a run folder, errors and warnings; empty means clean."""
    rd = run_dir if isinstance(run_dir, RunDir) else RunDir.from_path(run_dir)
    problems: list[Problem] = []
    if not rd.path.is_dir():
        return [Problem(".", f"{rd.path} is not a folder.")]
    if rd.tier not in TIERS and not rd.archived:
        problems.append(Problem(".", f"the run sits in '{rd.tier}/', not one of {', '.join(TIERS)}/.", WARNING))

    env = _load(rd.env_info, "env_info.json", problems)
    if env is None and not rd.env_info.exists():
        problems.append(Problem("env_info.json", "is missing; it must sit in the run folder."))
    elif env is not None:
        problems += [Problem("env_info.json", p) for p in validate_env(env)]

    merged = _load(rd.result, "result.json", problems)
    if merged is None and not rd.result.exists():
        problems.append(Problem("result.json", "is missing; the run is incomplete, resume it to finish."))
    elif merged is not None:
        _check_result(merged, "result.json", rd, problems)

    listed = list(((merged or {}).get("task") or {}).get("scenarios_run") or []) if isinstance(merged, dict) else []
    scenarios = sorted(set(rd.scenarios_present()) | {s for s in listed if s != "accuracy"})
    for s in scenarios:
        rel = f"{s}/result.json"
        doc = _load(rd.scenario_result(s), rel, problems)
        if doc is None:
            if not rd.scenario_result(s).exists():
                problems.append(Problem(rel, f"is missing though result.json lists '{s}'."))
            continue
        _check_result(doc, rel, rd, problems)
        if isinstance(merged, dict) and isinstance(doc, dict):
            if (doc.get("meta") or {}).get("run_id") != (merged.get("meta") or {}).get("run_id"):
                problems.append(Problem(rel, "meta.run_id differs from the merged result.json's."))
            if s not in listed:
                problems.append(Problem("result.json", f"task.scenarios_run does not list '{s}' though {rel} exists."))

    for s in rd.partials_present():
        # Finished requests of a stopped scenario: shown locally, never a result to submit.
        rel = f"{s}/partial.json"
        mark = partial.of_doc(_load(rd.partial(s), rel, problems)) or {"scenario": s}
        problems.append(Problem(rel, f"{partial.sentence(mark)}, so the run holds a partial scenario that cannot "
                                     f"be submitted; {partial.resume_clause(mark)}."))

    acc = _load(rd.accuracy, "accuracy/accuracy.json", problems)
    if acc is None and not rd.accuracy.exists():
        reason = ((merged or {}).get("accuracy") or {}).get("notes") if isinstance(merged, dict) else None
        if reason:
            problems.append(Problem("accuracy/accuracy.json", f"is missing ({reason}); upstream expects the receipt.", WARNING))
        else:
            problems.append(Problem("accuracy/accuracy.json", "is missing; run the accuracy scenario or record why not."))
    elif isinstance(acc, dict):
        for key in ("subset_score", "baseline_delta", "valid"):
            if key not in acc:
                problems.append(Problem("accuracy/accuracy.json", f"lacks '{key}'."))
        if not acc.get("valid"):
            if acc.get("notes"):
                problems.append(Problem("accuracy/accuracy.json", f"valid is false: {acc['notes']}", WARNING))
            else:
                problems.append(Problem("accuracy/accuracy.json", "valid is false but notes is empty; say why."))
    return problems


def errors_only(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == ERROR]
