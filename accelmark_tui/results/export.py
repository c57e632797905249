"""Flat exports of a run: CSV and a Markdown table.

One row per measured step (offline concurrency, online QPS, interactive,
sustained, burst, a sweep's level, a peak search's trial, accuracy), and every
row carries the build and the hardware, so rows from many runs (a quant sweep,
several machines) can be concatenated and compared without joining anything.
The figures are the export columns of each scenario's registry view, so they
are the figures the terminal and the app show.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from accelmark_tui.results.background import run_warnings
from accelmark_tui.results.store import RunData
from accelmark_tui.scenarios import registry
from accelmark_tui.scenarios.upstream import receipt_view
from accelmark_tui.scenarios.format import kv, table
from accelmark_tui.scenarios.headline import decode_headline
from accelmark_tui.scenarios.definition import EXPORT_FIGURES, View

COLUMNS = [
    "run_name", "date", "status", "chip", "chip_count", "chip_memory_gb", "platform", "cpu", "threads",
    "framework", "framework_version", "runner_id", "suite_id", "model_id", "precision", "quantization",
    "scenario", "test", "level", *EXPORT_FIGURES,
]


def _context(run: RunData) -> dict[str, Any]:
    doc = run.doc
    chip, model, sw, meta, task = (doc.get(k) or {} for k in ("chip", "model", "software", "meta", "task"))
    env = run.env_info or doc.get("environment") or {}
    config = task.get("extra_config") if isinstance(task.get("extra_config"), dict) else {}
    return {
        "run_name": run.run_dir.run_name,
        "date": meta.get("date"),
        "status": run.status,
        "chip": chip.get("name"),
        "chip_count": chip.get("count"),
        "chip_memory_gb": chip.get("memory_gb"),
        "platform": env.get("accelerator_platform"),
        "cpu": (env.get("cpu") or {}).get("model"),
        "threads": config.get("threads", config.get("n_threads")),
        "framework": sw.get("framework"),
        "framework_version": sw.get("framework_version"),
        "runner_id": doc.get("implementation_id"),
        "suite_id": doc.get("suite_id"),
        "model_id": model.get("model_id"),
        "precision": model.get("precision"),
        "quantization": model.get("quantization_method"),
    }


def flat_rows(run: RunData) -> list[dict[str, Any]]:
    """One dict per measured step, keys from ``COLUMNS`` (missing figures are None)."""
    base = _context(run)
    rows: list[dict[str, Any]] = []

    def add(scenario: str, view: View) -> None:
        for test, level, figures in view.export_rows():
            row = dict.fromkeys(COLUMNS)
            row.update(base, scenario=scenario, test=test, level=level, **figures)
            rows.append(row)

    for name, block in run.metrics().items():
        if isinstance(block, dict):
            add(name, registry.view(name, block))
    acc = run.accuracy_receipt()
    if acc:
        add("accuracy", receipt_view(acc))
    return rows


def to_csv(run: RunData) -> str:
    """CSV with a header row; figures as written in the result (no rounding)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in flat_rows(run):
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return buf.getvalue()


MD_COLUMNS = [
    ("model", "model_id"), ("quant", "quantization"), ("chip", "chip"), ("backend", "framework"),
    ("build", "framework_version"), ("threads", "threads"), ("scenario", "scenario"), ("test", "test"),
    ("tok/s", "output_tok_s"), ("QPS@SLA", "max_qps_sla"), ("TTFT p50 ms", "ttft_p50_ms"), ("TTFT p99 ms", "ttft_p99_ms"),
    ("TPOT p50 ms", "tpot_p50_ms"), ("decode tok/s", "decode_tok_s"), ("SLA", "sla_met"), ("cv %", "cv_pct"),
    ("acc", "accuracy_score"),
]


def to_markdown(run: RunData) -> str:
    """A Markdown section: the run's identity, then one table row per measured step."""
    ctx = _context(run)
    rows = flat_rows(run)
    for r in rows:
        r["model_id"] = (r["model_id"] or "-").split("/")[-1]
        if r["chip_count"] and r["chip"]:
            r["chip"] = f"{r['chip']} x{r['chip_count']}"
    head = kv([("Run", ctx["run_name"]), ("Suite", ctx["suite_id"]), ("Runner", ctx["runner_id"]),
               ("Date", ctx["date"]), ("Status", ctx["status"]),
               ("Headline", decode_headline(run.metrics()).text())])
    body = table([h for h, _ in MD_COLUMNS], [[r[k] for _, k in MD_COLUMNS] for r in rows]) if rows else "_No measurements yet._"
    lines = [f"## {ctx['run_name']}", "", "```", head, "```", "", body]
    acc = run.accuracy_receipt()
    if acc and acc.get("notes"):
        lines += ["", f"Accuracy: {acc['notes']}"]
    lines += [f"\n> **{w[0].upper()}{w[1:]}**" for w in run_warnings(run.metrics())]
    return "\n".join(lines) + "\n"
