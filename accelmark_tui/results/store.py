"""Find and read saved runs under a results root.

A run is a folder ``<root>/<tier>/<run_name>/`` holding a result.json or
accelmark's state file; earlier runs kept by ``--force`` live under
``<tier>/.history/`` and are listed apart. Reading never writes or creates
anything, so ``accelmark results`` is safe on a read-only disk.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from accelmark_tui.errors import UsageError
from accelmark_tui.results import partial
from accelmark_tui.results.layout import HISTORY, TIERS, RunDir, RunState
from accelmark_tui.scenarios.headline import Headline, decode_headline
from accelmark_tui.scenarios.registry import OWN, in_order


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    with contextlib.suppress(ImportError):
        import psutil

        return bool(psutil.pid_exists(pid))
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


@dataclass
class RunData:
    """Everything saved for one run (any file may be missing in an unfinished run)."""

    run_dir: RunDir
    result: dict[str, Any] | None  # merged result.json
    scenarios: dict[str, dict[str, Any]]  # scenario → its result.json
    env_info: dict[str, Any] | None
    accuracy: dict[str, Any] | None  # accuracy/accuracy.json
    state: RunState | None
    # scenario → its partial.json: a stop ended it part-way (never in metrics(), exports or a submission)
    partials: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def doc(self) -> dict[str, Any]:
        """A result document to read chip/model/software from: merged, else any scenario's."""
        if self.result:
            return self.result
        return next(iter(self.scenarios.values()), None) or next(iter(self.partials.values()), {})

    def partial_blocks(self) -> dict[str, tuple[dict[str, Any], str]]:
        """Scenario → (its partial block, the sentence saying how far it got and what resumes it)."""
        out: dict[str, tuple[dict[str, Any], str]] = {}
        for s in in_order(self.partials):
            doc = self.partials[s]
            block, mark = (doc.get("metrics") or {}).get(s), partial.of_doc(doc)
            if isinstance(block, dict) and mark is not None:
                out[s] = (block, f"Partial: {partial.sentence(mark)}; not submittable, {partial.resume_clause(mark)}.")
        return out

    def metrics(self) -> dict[str, Any]:
        """Scenario → metric block, from the merged result and any newer scenario files."""
        found: dict[str, Any] = {}
        for s, d in self.scenarios.items():
            block = (d.get("metrics") or {}).get(s)
            if block is not None:
                found[s] = block
        for s, block in ((self.result or {}).get("metrics") or {}).items():
            if s != "derived" and block is not None:
                found.setdefault(s, block)
        return {s: found[s] for s in in_order(found)}

    def accuracy_receipt(self) -> dict[str, Any] | None:
        if self.accuracy:
            return self.accuracy
        acc = (self.result or {}).get("accuracy")
        return acc if isinstance(acc, dict) and acc.get("subset_score") is not None else None

    @property
    def status(self) -> str:
        state = self.state
        if state is not None:
            if state.status == "running" and not _alive(state.pid):
                return "incomplete"  # the process that was measuring is gone (crash, kill)
            if state.status in ("running", "complete"):
                return state.status
            return "incomplete"
        return "complete" if self.result else "incomplete"


def load_run(run_dir: RunDir) -> RunData:
    scenarios = {s: d for s in run_dir.scenarios_present() if isinstance(d := _read(run_dir.scenario_result(s)), dict)}
    # accelmark's own scenarios keep their block in <name>/<name>.json; a later run of other
    # scenarios in the same folder must not hide them.
    scenarios.update({s: d for s in OWN if isinstance(d := _read(run_dir.own_result(s)), dict)})
    result = _read(run_dir.result)
    return RunData(
        run_dir=run_dir,
        result=result if isinstance(result, dict) else None,
        scenarios=scenarios,
        env_info=_read(run_dir.env_info),
        accuracy=_read(run_dir.accuracy),
        state=run_dir.load_state(),
        partials={s: d for s in run_dir.partials_present() if isinstance(d := _read(run_dir.partial(s)), dict)},
    )


# ── headline figures ─────────────────────────────────────────────────────────


def _num(value: Any) -> int | float | None:
    """A figure as recorded (an int stays an int: 40 QPS prints as 40), or None when not a number."""
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


@dataclass
class RunSummary:
    run_name: str
    path: str
    tier: str
    status: str  # complete | incomplete | running
    date: str | None
    chip: str | None
    chip_count: int | None
    runner_id: str | None
    framework: str | None
    framework_version: str | None
    suite_id: str | None
    model_id: str | None
    precision: str | None
    quantization: str | None
    submitted_by: str | None
    scenarios: list[str] = field(default_factory=list)
    best_offline_tok_s: float | None = None  # output tokens/s, best concurrency
    best_offline_concurrency: int | None = None
    online_max_valid_qps: float | None = None
    interactive_ttft_p50_ms: float | None = None
    interactive_tpot_p50_ms: float | None = None
    decode_tok_s: float | None = None  # the headline (scenarios/headline.py)
    decode_requests: int | None = None  # the requests its median is over
    decode_source: str | None = None  # the scenario (and level) it comes from
    accuracy_score: float | None = None
    accuracy_valid: bool | None = None
    archived: bool = False
    archived_at: str | None = None  # the history folder's stamp

    @property
    def headline(self) -> Headline:
        return Headline(self.decode_tok_s, self.decode_requests, self.decode_source)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "decode_label": self.headline.label}


@dataclass(frozen=True)
class Figures:
    """A run's headline figures, from its metric blocks and accuracy receipt (list, PR body, JSON)."""

    decode: Headline
    best_offline_tok_s: float | None = None  # output tokens/s at the best concurrency
    best_offline_concurrency: int | None = None
    online_max_valid_qps: float | None = None
    interactive_ttft_p50_ms: float | None = None
    interactive_tpot_p50_ms: float | None = None
    accuracy_score: float | None = None
    accuracy_valid: bool | None = None


def figures(metrics: dict[str, Any], accuracy: dict[str, Any] | None) -> Figures:
    """``metrics``: scenario → block (as ``RunData.metrics()``); ``accuracy``: the receipt, if any."""
    metrics = {k: v for k, v in metrics.items() if isinstance(v, dict)}
    rows = [r for r in ((metrics.get("offline") or {}).get("results_by_concurrency") or []) if isinstance(r, dict)]
    rows = [r for r in rows if _num(r.get("throughput_tokens_per_sec")) is not None and not r.get("oom")]
    best = max(rows, key=lambda r: r["throughput_tokens_per_sec"]) if rows else {}
    inter = metrics.get("interactive") or {}
    acc = accuracy or {}
    return Figures(
        decode=decode_headline(metrics),
        best_offline_tok_s=_num(best.get("throughput_tokens_per_sec")),
        best_offline_concurrency=best.get("client_concurrency"),
        online_max_valid_qps=_num((metrics.get("online") or {}).get("max_valid_qps")),
        interactive_ttft_p50_ms=_num(inter.get("ttft_ms_p50")), interactive_tpot_p50_ms=_num(inter.get("tpot_ms_p50")),
        accuracy_score=_num(acc.get("subset_score")), accuracy_valid=acc.get("valid") if acc else None,
    )


def summarize(run: RunData) -> RunSummary:
    doc = run.doc
    chip, model, sw, meta = (doc.get(k) or {} for k in ("chip", "model", "software", "meta"))
    metrics = run.metrics()
    date = meta.get("date") or (run.state.started_at[:10] if run.state and run.state.started_at else None)
    f = figures(metrics, run.accuracy_receipt())
    return RunSummary(
        run_name=run.run_dir.run_name, path=str(run.run_dir.path), tier=run.run_dir.tier,
        status=run.status, date=date, chip=chip.get("name"), chip_count=chip.get("count"),
        runner_id=doc.get("implementation_id"), framework=sw.get("framework"),
        framework_version=sw.get("framework_version"), suite_id=doc.get("suite_id"),
        model_id=model.get("model_id"), precision=model.get("precision"),
        quantization=model.get("quantization_method"), submitted_by=meta.get("submitted_by"),
        scenarios=list(metrics), archived=run.run_dir.archived, archived_at=run.run_dir.archive_stamp,
        best_offline_tok_s=f.best_offline_tok_s, best_offline_concurrency=f.best_offline_concurrency,
        online_max_valid_qps=f.online_max_valid_qps, interactive_ttft_p50_ms=f.interactive_ttft_p50_ms,
        interactive_tpot_p50_ms=f.interactive_tpot_p50_ms, decode_tok_s=f.decode.value,
        decode_requests=f.decode.requests, decode_source=f.decode.source,
        accuracy_score=f.accuracy_score, accuracy_valid=f.accuracy_valid,
    )


# ── scanning ─────────────────────────────────────────────────────────────────


def _is_run(path: Path) -> bool:
    return path.is_dir() and ((path / "result.json").is_file() or (path / ".accelmark" / "state.json").is_file()
                              or any(path.glob("*/result.json")))


def run_dirs(root: str | os.PathLike[str], *, history: bool = False) -> list[RunDir]:
    """Run folders under ``root`` (current ones, or archived ones with ``history``)."""
    base = Path(root).expanduser()
    found: list[RunDir] = []
    for tier in TIERS:
        tier_dir = base / tier
        if not tier_dir.is_dir():
            continue
        if not history:
            found += [RunDir(base, tier, p.name) for p in sorted(tier_dir.iterdir()) if not p.name.startswith(".") and _is_run(p)]
            continue
        hist = tier_dir / HISTORY
        if hist.is_dir():
            for name_dir in sorted(hist.iterdir()):
                if name_dir.is_dir():
                    found += [RunDir(base, tier, name_dir.name, p.name) for p in sorted(name_dir.iterdir()) if _is_run(p)]
    return found


def _sort_key(s: RunSummary) -> tuple[str, str]:
    return (s.date or "", s.archived_at or "9")


def list_runs(root: str | os.PathLike[str], *, include_history: bool = True) -> list[RunSummary]:
    """Summaries, newest first; archived runs (``archived=True``) after current ones."""
    current = sorted((summarize(load_run(d)) for d in run_dirs(root)), key=_sort_key, reverse=True)
    if not include_history:
        return current
    archived = sorted((summarize(load_run(d)) for d in run_dirs(root, history=True)), key=_sort_key, reverse=True)
    return current + archived


def _run_id(d: RunDir) -> str:
    return d.run_name.rsplit("_", 1)[-1]


def _candidates(matches: list[RunDir]) -> str:
    return ", ".join(f"{_run_id(d)} ({d.tier}/{d.run_name})" for d in matches[:3]) + (", …" if len(matches) > 3 else "")


def find_run(name_or_path: str | os.PathLike[str], root: str | os.PathLike[str]) -> RunDir:
    """A run by folder path, name, run id, or a unique prefix of either (like git's short hashes),
    or by a name it had before a submission re-stamped it; else a one-sentence UsageError."""
    text = str(name_or_path).strip()
    as_path = Path(text).expanduser()
    if (os.sep in text or "/" in text or as_path.is_dir()) and _is_run(as_path):
        return RunDir.from_path(as_path)
    runs = run_dirs(root)
    for rule in (lambda d: d.run_name == text, lambda d: _run_id(d) == text,
                 lambda d: d.run_name.startswith(text) or _run_id(d).startswith(text)):
        matches = [d for d in runs if rule(d)] if text else []
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise UsageError(f"'{text}' matches {len(matches)} runs: {_candidates(matches)}; give more of the "
                             "name or run id.")
    renamed = [d for d in runs if text and any(n == text or n.rsplit("_", 1)[-1].startswith(text)
                                               for n in d.previous_names())]
    if len(renamed) == 1:
        return renamed[0]
    if as_path.exists():
        raise UsageError(f"{as_path} is not a run folder (no result.json or run state); give a run folder or a run name.")
    raise UsageError(f"No run named '{text}' under {Path(root).expanduser()}; see `accelmark results` for the list.")
