"""Flat exports of a run: CSV and a Markdown table.

One row per measured step (offline concurrency, online QPS, interactive,
sustained, burst, accuracy), and every row carries the build and the hardware,
so rows from many runs (a quant sweep, several machines) can be concatenated
and compared without joining anything.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from accelmark_tui.results.store import RunData
from accelmark_tui.scenarios.format import cv_of, decode_tok_s, fmt, kv, table

COLUMNS = [
    "run_name", "date", "status", "chip", "chip_count", "chip_memory_gb", "platform", "cpu", "threads",
    "framework", "framework_version", "runner_id", "suite_id", "model_id", "precision", "quantization",
    "scenario", "test", "level", "output_tok_s", "total_tok_s", "achieved_qps",
    "ttft_p50_ms", "ttft_p90_ms", "ttft_p99_ms", "tpot_p50_ms", "tpot_p90_ms", "tpot_p99_ms",
    "decode_tok_s", "sla_met", "cv_pct", "elapsed_s", "accuracy_score", "accuracy_valid",
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

    def add(scenario: str, test: str, level: Any = None, **figures: Any) -> None:
        row = dict.fromkeys(COLUMNS)
        row.update(base, scenario=scenario, test=test, level=level, **figures)
        rows.append(row)

    for name, block in run.metrics().items():
        if not isinstance(block, dict):
            continue
        if name == "offline":
            for r in block.get("results_by_concurrency") or []:
                c = r.get("client_concurrency")
                add(name, f"c={c}", c, output_tok_s=r.get("throughput_tokens_per_sec"),
                    total_tok_s=r.get("throughput_tokens_per_sec_total"), cv_pct=cv_of(r)[0],
                    elapsed_s=r.get("elapsed_seconds_median"))
        elif name == "online":
            for r in block.get("results_by_qps") or []:
                q = r.get("target_qps")
                add(name, f"qps={q}", q, achieved_qps=r.get("achieved_qps"),
                    **{f"{m}_{p}_ms": r.get(f"{m}_ms_{p}") for m in ("ttft", "tpot") for p in ("p50", "p90", "p99")},
                    decode_tok_s=decode_tok_s(r.get("tpot_ms_p50")), sla_met=r.get("sla_met"),
                    elapsed_s=r.get("elapsed_seconds_median"))
        elif name == "interactive":
            add(name, "c=1", 1,
                **{f"{m}_{p}_ms": block.get(f"{m}_ms_{p}") for m in ("ttft", "tpot") for p in ("p50", "p90", "p99")},
                decode_tok_s=decode_tok_s(block.get("tpot_ms_p50")), elapsed_s=block.get("elapsed_seconds_median"))
        elif name == "sustained":
            c = block.get("sustained_concurrency")
            add(name, f"c={c} {fmt(block.get('duration_minutes'), 1)} min", c,
                output_tok_s=block.get("sustained_throughput_tokens_per_sec"))
        elif name == "burst":
            add(name, f"{fmt(block.get('burst_steady_qps'))}->{fmt(block.get('burst_peak_qps'))} qps",
                block.get("burst_peak_qps"), ttft_p50_ms=block.get("burst_ttft_p50_ms"),
                ttft_p99_ms=block.get("burst_ttft_p99_ms"), sla_met=block.get("sla_met_during_burst"))
    acc = run.accuracy_receipt()
    if acc:
        add("accuracy", "mmlu100", None, accuracy_score=acc.get("subset_score"), accuracy_valid=acc.get("valid"))
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
    ("tok/s", "output_tok_s"), ("TTFT p50 ms", "ttft_p50_ms"), ("TTFT p99 ms", "ttft_p99_ms"),
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
               ("Date", ctx["date"]), ("Status", ctx["status"])])
    body = table([h for h, _ in MD_COLUMNS], [[r[k] for _, k in MD_COLUMNS] for r in rows]) if rows else "_No measurements yet._"
    lines = [f"## {ctx['run_name']}", "", "```", head, "```", "", body]
    acc = run.accuracy_receipt()
    if acc and acc.get("notes"):
        lines += ["", f"Accuracy: {acc['notes']}"]
    return "\n".join(lines) + "\n"
