"""Exactly the files a pull request sends, and the PR's words.

Upstream takes ``results/community/<run_name>/`` with env_info.json, the merged
result.json, one folder per scenario and accuracy/accuracy.json. Samples, logs
and accelmark's ``.accelmark/`` state stay on this machine. Upstream's
validator fails a ``meta.log_file`` that names a file missing from the folder,
so the sent copies say ``null`` for the log and the samples (the schema allows
it; a null ``samples_file`` is only a soft warning there). The local files are
never changed by bundling.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accelmark_tui.results.identity import chip_slug
from accelmark_tui.results.layout import RunDir, dumps
from accelmark_tui.results.store import figures
from accelmark_tui.scenarios import headline

TIER = "community"
_SKIP_RUNNER = ("__pycache__",)


@dataclass(frozen=True)
class BundleFile:
    path: str  # path inside the target repository
    content: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass
class Bundle:
    run_name: str
    runner_id: str | None
    result_files: list[BundleFile]
    runner_files: list[BundleFile]  # added only when the target repository lacks the folder
    result: dict[str, Any] = field(repr=False)  # merged result.json as sent

    def files(self, *, include_runner: bool) -> list[BundleFile]:
        return self.result_files + (self.runner_files if include_runner else [])

    @property
    def folder(self) -> str:
        return f"results/{TIER}/{self.run_name}"


def _localise(doc: dict[str, Any], run_name: str) -> dict[str, Any]:
    """The document as sent: no references to files that stay local."""
    out = json.loads(json.dumps(doc))
    meta = out.get("meta")
    if isinstance(meta, dict):
        meta["log_file"] = None
        meta["samples_file"] = None
        if isinstance(meta.get("scenario_dirs"), dict):
            meta["scenario_dirs"] = {k: f"results/{TIER}/{run_name}/{k}" for k in meta["scenario_dirs"]}
    return out


def runner_files(runner_id: str) -> list[BundleFile]:
    """``runners/<id>/`` as this accelmark ships it, or [] when it is not a local runner."""
    from accelmark_tui.catalog.runners import get_runner
    from accelmark_tui.errors import AccelmarkError

    try:
        info = get_runner(runner_id)
    except AccelmarkError:
        return []
    if info.id != runner_id:
        return []
    out: list[BundleFile] = []
    for p in sorted(info.folder.rglob("*")):
        rel = p.relative_to(info.folder)
        if not p.is_file() or p.suffix == ".pyc" or any(part.startswith(".") or part in _SKIP_RUNNER for part in rel.parts):
            continue
        out.append(BundleFile(f"runners/{runner_id}/{rel.as_posix()}", p.read_bytes()))
    return out


def build_bundle(run_dir: RunDir | str | os.PathLike[str]) -> Bundle:
    """Read the run folder into the files a PR sends (call after the checklist passed)."""
    rd = run_dir if isinstance(run_dir, RunDir) else RunDir.from_path(run_dir)
    merged = json.loads(rd.result.read_text(encoding="utf-8"))
    run_name = str((merged.get("meta") or {}).get("run_name") or rd.run_name)
    base = f"results/{TIER}/{run_name}"
    files = [BundleFile(f"{base}/env_info.json", rd.env_info.read_bytes())]
    sent = _localise(merged, run_name)
    files.append(BundleFile(f"{base}/result.json", dumps(sent).encode("utf-8")))
    for scenario in rd.scenarios_present():
        doc = json.loads(rd.scenario_result(scenario).read_text(encoding="utf-8"))
        files.append(BundleFile(f"{base}/{scenario}/result.json", dumps(_localise(doc, run_name)).encode("utf-8")))
    if rd.accuracy.is_file():
        files.append(BundleFile(f"{base}/accuracy/accuracy.json", rd.accuracy.read_bytes()))
    runner_id = merged.get("implementation_id")
    return Bundle(run_name, runner_id, files, runner_files(runner_id) if runner_id else [], sent)


def branch_name(result: dict[str, Any]) -> str:
    """``submit/<hardware-slug>-<suite>-<run_id>``: one branch per run identity, so a re-submit reuses it."""
    chip = result.get("chip") or {}
    hw = chip_slug(str(chip.get("name") or "unknown")).replace("_", "-").strip("-") or "unknown"
    meta = result.get("meta") or {}
    return f"submit/{hw}x{int(chip.get('count') or 1)}-{result.get('suite_id')}-{meta.get('run_id')}"


# ── PR text ──────────────────────────────────────────────────────────────────


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        value = f"{value:,.2f}"
    return f"{value}{unit}"


def _headline_rows(result: dict[str, Any], scenarios: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    metrics = dict(result.get("metrics") or {})
    for s, doc in scenarios.items():
        metrics.setdefault(s, ((doc.get("metrics") or {}).get(s)))
    acc = result.get("accuracy") or {}
    f = figures(metrics, acc if acc.get("subset_score") is not None else None)
    rows: list[tuple[str, str]] = []
    if f.decode.value is not None:
        rows.append((f"Decode speed ({headline.DEFINITION})", f.decode.text()))
    if f.best_offline_tok_s is not None:
        rows.append(("Offline output throughput (best)",
                     f"{_fmt(f.best_offline_tok_s)} tok/s at concurrency {f.best_offline_concurrency}"))
    if f.online_max_valid_qps is not None:
        rows.append(("Online max QPS within SLA (p99 TTFT)", _fmt(f.online_max_valid_qps)))
    if f.interactive_ttft_p50_ms is not None:
        rows.append(("Interactive TTFT p50", _fmt(f.interactive_ttft_p50_ms, " ms")))
    if f.interactive_tpot_p50_ms is not None:
        rows.append(("Interactive TPOT p50", _fmt(f.interactive_tpot_p50_ms, " ms")))
    if f.accuracy_score is not None:
        rows.append(("Accuracy (MMLU subset)", f"{acc.get('subset_score')} (valid: {str(bool(f.accuracy_valid)).lower()})"))
    return rows


def pr_text(bundle: Bundle, *, include_runner: bool, scenarios: dict[str, dict[str, Any]] | None = None) -> tuple[str, str]:
    """(title, body) of the pull request. Nothing secret or local-only goes in here."""
    r = bundle.result
    chip, model, sw, meta = (r.get(k) or {} for k in ("chip", "model", "software", "meta"))
    hw = f"{chip.get('name')} x{chip.get('count')}"
    title = f"[Community] {hw} · {r.get('suite_id')} · {model.get('model_id')} ({r.get('implementation_id')})"
    quant = f" / {model['quantization_method']}" if model.get("quantization_method") else ""
    lines = [
        "## Summary", "",
        f"Community result for **{r.get('suite_id')}** on **{hw}**, submitted by @{meta.get('submitted_by')} with accelmark.", "",
        "| | |", "|---|---|",
        f"| Hardware | {hw} ({chip.get('vendor')}, {_fmt(chip.get('memory_gb'), ' GB')}) |",
        f"| Runner | `{r.get('implementation_id')}` — {sw.get('framework')} {sw.get('framework_version')} |",
        f"| Suite | {r.get('suite_id')} (scenarios: {', '.join((r.get('task') or {}).get('scenarios_run') or [])}) |",
        f"| Model | {model.get('model_id')} @ `{model.get('model_revision')}` ({model.get('precision')}{quant}) |",
        f"| Run | `{meta.get('run_name')}` (run_id `{meta.get('run_id')}`) |", "",
        "## Headline metrics", "",
        "| metric | value |", "|---|---|",
        *[f"| {k} | {v} |" for k, v in _headline_rows(r, scenarios or {})], "",
        "## Files", "",
        *[f"- `{f.path}`" for f in bundle.files(include_runner=include_runner)], "",
        "Per-request samples and the run log stay on the submitter's machine (`meta.samples_file` / `meta.log_file` are null).", "",
        "## How to reproduce", "",
        "```bash",
        f"pip install accelmark-tui",
        f"accelmark run --runner {r.get('implementation_id')} --suite {r.get('suite_id')} --model {model.get('model_id')}",
        "```", "",
        f"Reproduce script: `{meta.get('reproduce_script')}`"
        + (" (added by this PR)." if include_runner and bundle.runner_files else "."),
    ]
    return title, "\n".join(lines) + "\n"
