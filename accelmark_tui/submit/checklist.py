"""The checklist shown before anything leaves the machine.

It reuses the folder validator (``results.validate``: the same rules as the
leaderboard's CI) and groups its problems into items a first-time submitter can
act on, each with how to fix it, plus the rules that depend on where the run
is going (suite accepted by the target repository, submitter login, endpoint
hardware). A failing item blocks the submission; a warning only informs.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from accelmark_tui.catalog import leaderboard
from accelmark_tui.config import DEFAULT_REPO, PLACEHOLDER_SUBMITTER
from accelmark_tui.results.layout import RunDir
from accelmark_tui.results.validate import ERROR, Problem, validate_run_dir

# Where a hardware label comes from on an endpoint run; only these may be submitted.
KNOWN_HARDWARE_SOURCES = ("local", "declared")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    warning: bool = False  # passes, but the submitter should read it

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def blocking(checks: list[Check]) -> list[Check]:
    return [c for c in checks if not c.ok]


def is_default_repo(repo: str) -> bool:
    return repo.strip().lower() == DEFAULT_REPO.lower()


def suite_refusal(suite_id: str | None, repo: str) -> str | None:
    """Why ``repo`` will not take this suite, or None (only known for the default leaderboard)."""
    if is_default_repo(repo) and not leaderboard.accepts(suite_id):
        what = suite_id if suite_id else "a run whose result.json names no suite"
        return f"{repo} accepts {leaderboard.ACCEPTED} only, not {what}"
    return None


# ── grouping the validator's problems ────────────────────────────────────────

_IDENTITY_MARKERS = ("meta.run_id", "meta.run_name", "the folder is named", "needed for the run identity")
_FILE_MARKERS = ("is missing", "cannot be read", "does not list", "is not a folder")


def _category(p: Problem) -> str:
    m = p.message
    if p.file.endswith("/partial.json"):
        return "partial"
    if "placeholder" in m and "submitted_by" in m:
        return "submitter"
    if any(k in m for k in _IDENTITY_MARKERS):
        return "identity"
    if p.file.startswith("accuracy/") or m.startswith("accuracy."):
        return "accuracy"
    if "task.num_runs" in m:
        return "runs"
    if "model.model_revision" in m:
        return "revision"
    if any(k in m for k in _FILE_MARKERS):
        return "files"
    return "env_schema" if p.file == "env_info.json" else "result_schema"


def _summary(problems: list[Problem], limit: int = 3) -> str:
    text = "; ".join(str(p) for p in problems[:limit])
    return text + (f"; and {len(problems) - limit} more" if len(problems) > limit else "")


_ITEMS: list[tuple[str, str, str, str]] = [
    # (category, check name, detail when clean, fix when not)
    ("files", "required files", "env_info.json, result.json and every scenario's result.json are present",
     "Resume the run (run the same command again) so it writes the missing files."),
    ("partial", "scenarios finished", "no scenario was stopped part-way",
     "Run the same command again: it measures the rest of the stopped scenario and replaces its partial block."),
    ("result_schema", "result.json schema", "every result.json matches upstream's result schema",
     "Re-run the configuration with this accelmark version; hand edits that break the schema cannot be submitted."),
    ("env_schema", "env_info.json schema", "env_info.json matches upstream's env schema",
     "Re-run the configuration so env_info.json is written again."),
    ("identity", "run identity", "run_id and run_name recompute from the fields (nothing was edited by hand)",
     "Undo the hand edit of the identity fields (chip, runner, framework version, suite, model, precision, "
     "submitter) or re-run the configuration."),
    ("runs", "number of runs", "task.num_runs reaches the suite's num_runs",
     "Re-run with at least the suite's num_runs repetitions."),
    ("revision", "model revision pinned", "model.model_revision is a pinned revision",
     "Re-run with a model pinned to a hub commit (or a local file, whose SHA-256 is recorded); "
     "for an endpoint run, name the served weights' revision with --model-revision."),
]


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _endpoint_check(doc: dict[str, Any]) -> Check | None:
    """Endpoint runs must say whose hardware they measured; None when not an endpoint run.

    Contract with the endpoint runner: ``task.extra_config.endpoint`` (a dict with
    ``hardware_source`` local/declared/undeclared) marks an endpoint run; a runner
    id containing ``endpoint`` without that block counts as undeclared.
    """
    task = doc.get("task") if isinstance(doc.get("task"), dict) else {}
    extra = task.get("extra_config") if isinstance(task.get("extra_config"), dict) else {}
    block = extra.get("endpoint")
    runner = str(doc.get("implementation_id") or "")
    if not isinstance(block, dict) and "endpoint" not in runner:
        return None
    source = (block or {}).get("hardware_source") if isinstance(block, dict) else None
    if source in KNOWN_HARDWARE_SOURCES:
        return Check("endpoint hardware", True, f"the server's hardware is {source} ({(doc.get('chip') or {}).get('name')})")
    return Check("endpoint hardware", False,
                 "the run measured a remote server whose hardware was not declared, so the chip in the result is unknown",
                 "Re-run with --chip NAME and --chip-count N describing the server's accelerators.")


def _runner_check(runner_id: str | None) -> Check:
    from accelmark_tui.catalog.runners import get_runner
    from accelmark_tui.errors import AccelmarkError

    if not runner_id:
        return Check("runner folder", False, "result.json has no implementation_id",
                     "Re-run with a runner from `accelmark runners`.")
    try:
        info = get_runner(runner_id)
    except AccelmarkError:
        return Check("runner folder", True, f"runners/{runner_id}/ is not part of this accelmark; "
                     "the target repository must already have it (checked when submitting)", warning=True)
    if info.id != runner_id:
        return Check("runner folder", True, f"runners/{runner_id}/ is not part of this accelmark; "
                     "the target repository must already have it (checked when submitting)", warning=True)
    return Check("runner folder", True, f"runners/{runner_id}/ is sent along if the target repository lacks it")


def build_checklist(run_dir: RunDir | str | os.PathLike[str], *, repo: str = DEFAULT_REPO,
                    login: str | None = None, samples: RunDir | None = None) -> list[Check]:
    """Every item that decides whether this run may be submitted to ``repo``.

    ``login`` is who will submit it (token owner or profile); None when unknown.
    ``samples``: the folder holding the run's samples when ``run_dir`` is a copy without them.
    """
    rd = run_dir if isinstance(run_dir, RunDir) else RunDir.from_path(run_dir)
    problems = validate_run_dir(rd)
    by_cat: dict[str, list[Problem]] = {}
    for p in problems:
        by_cat.setdefault(_category(p), []).append(p)
    doc = _read(rd.result)
    doc = doc if isinstance(doc, dict) else {}
    checks: list[Check] = []

    # Submitter first: it decides the identity everything else is checked against.
    recorded = (doc.get("meta") or {}).get("submitted_by") if isinstance(doc.get("meta"), dict) else None
    if login:
        note = "" if recorded == login else f" (re-stamped from '{recorded}' when submitting)"
        checks.append(Check("submitter", True, f"submitted as @{login}{note}"))
    elif recorded and recorded != PLACEHOLDER_SUBMITTER:
        checks.append(Check("submitter", True, f"submitted as @{recorded}"))
    else:
        checks.append(Check("submitter", False, f"the run records the placeholder '{PLACEHOLDER_SUBMITTER}' and no GitHub login is known",
                            "Set GITHUB_TOKEN (its owner's login is used) or save a submitter profile with your GitHub login."))

    suite_id = doc.get("suite_id")
    refusal = suite_refusal(suite_id, repo)
    if refusal:
        checks.append(Check("suite accepted", False, refusal,
                            "Run suite F to get a submittable result (or pass --repo for a leaderboard that has this suite)."))
    elif is_default_repo(repo):
        checks.append(Check("suite accepted", True, f"{repo} has {suite_id}"))
    else:
        checks.append(Check("suite accepted", True, f"{repo} is checked for suites/{suite_id}/ when submitting", warning=True))

    for cat, name, clean, fix in _ITEMS:
        errs = [p for p in by_cat.get(cat, []) if p.severity == ERROR]
        warns = [p for p in by_cat.get(cat, []) if p.severity != ERROR]
        if errs:
            checks.append(Check(name, False, _summary(errs), fix))
        elif warns:
            checks.append(Check(name, True, _summary(warns), warning=True))
        else:
            checks.append(Check(name, True, clean))

    scenarios = _scenarios_check(doc, rd)
    if scenarios:
        checks.append(scenarios)
    checks.append(_figures_check(rd, samples))
    checks.append(_accuracy_check(by_cat.get("accuracy", []), rd))
    endpoint = _endpoint_check(doc)
    if endpoint:
        checks.append(endpoint)
    checks.append(_runner_check(doc.get("implementation_id")))
    return checks


def _accuracy_check(problems: list[Problem], rd: RunDir) -> Check:
    errs = [p for p in problems if p.severity == ERROR]
    if errs:
        return Check("accuracy receipt", False, _summary(errs),
                     "Run the accuracy scenario (or resume the run); if the model cannot be scored, record why in accuracy.notes.")
    acc = _read(rd.accuracy)
    if isinstance(acc, dict) and acc.get("valid"):
        return Check("accuracy receipt", True, f"subset score {acc.get('subset_score')} is within the baseline's delta")
    # A reason was recorded: the validator accepts it, but upstream's CI fails any receipt
    # with valid: false, so a maintainer has to accept the reason. Say so rather than hide it.
    reason = _summary(problems) if problems else "valid is false with a reason recorded"
    return Check("accuracy receipt", True, f"{reason} (upstream's CI flags valid: false; reviewers will read the reason)",
                 warning=True)


def _scenarios_check(doc: dict[str, Any], rd: RunDir) -> Check | None:
    """Every scenario the suite requires ran; None for a suite this accelmark does not know."""
    from accelmark_tui.catalog.suites import get_suite
    from accelmark_tui.errors import AccelmarkError

    try:
        suite = get_suite(str(doc.get("suite_id")))
    except AccelmarkError:
        return None
    done = list((doc.get("task") or {}).get("scenarios_run") or [])
    receipt = _read(rd.accuracy)
    if isinstance(receipt, dict) and receipt.get("subset_score") is not None:
        done.append("accuracy")  # scored, even if upstream's runner left it out of scenarios_run as failed
    missing = leaderboard.missing_scenarios(suite, done)
    if not missing:
        return Check("all scenarios", True, f"{leaderboard.words(suite.default_scenarios)} ran, as {suite.id} requires")
    return Check("all scenarios", False,
                 f"{suite.id} requires {leaderboard.words(suite.default_scenarios)}, but {leaderboard.words(missing)} "
                 f"{'is' if len(missing) == 1 else 'are'} missing from this run",
                 "Run the missing scenarios with the same settings (`accelmark run` with --scenario default resumes "
                 "this folder and measures only what is missing).")


def _figures_check(rd: RunDir, samples: RunDir | None) -> Check:
    """The submitted figures are the measured ones: recomputed from the samples, checked against the digest."""
    from accelmark_tui.engine.recompute import figure_mismatches

    found, against = figure_mismatches(rd, samples)
    if found:
        more = f"; and {len(found) - 2} more" if len(found) > 2 else ""
        return Check("figures", False, "; ".join(str(m) for m in found[:2]) + more,
                     "Undo the hand edit or re-run the configuration: a result must carry the figures it measured.")
    if not against:
        return Check("figures", True, "no samples or figures digest to check them against (written by another tool "
                     "or an older accelmark)", warning=True)
    what = {"samples": "the samples", "digest": "the digest recorded when the run was written"}
    return Check("figures", True, f"they match {' and '.join(what[a] for a in against)}")
