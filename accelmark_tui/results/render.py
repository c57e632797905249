"""Plain-text views of saved runs: the run list and one run in detail.

Used by ``accelmark results`` (and usable anywhere text is wanted). Each
scenario's table is its registry view (``accelmark_tui.scenarios``), the same
columns the app and the exports show.
"""

from __future__ import annotations

from typing import Any, Sequence

from accelmark_tui.results import background
from accelmark_tui.results.export import to_csv, to_markdown  # noqa: F401  (re-exported)
from accelmark_tui.results.store import RunData, RunSummary
from accelmark_tui.scenarios import headline, registry
from accelmark_tui.scenarios.upstream import receipt_view
from accelmark_tui.scenarios.format import fmt, kv, model_label, quant_label, table


def _model_name(s: RunSummary) -> str:
    return (s.model_id or "-").split("/")[-1]


def render_run_list(runs: Sequence[RunSummary], root: str | None = None) -> str:
    current = [r for r in runs if not r.archived]
    archived = [r for r in runs if r.archived]
    if not current and not archived:
        where = f" under {root}" if root else ""
        return f"No runs{where} yet; run `accelmark run` to make one."
    headers = ["run", "status", "date", "model", "precision", "quant", headline.NAME, "offline tok/s", "QPS@SLA",
               "TTFT p50 ms", "accuracy"]

    def row(r: RunSummary) -> list[Any]:
        acc = None if r.accuracy_score is None else f"{r.accuracy_score:.2f}" + ("" if r.accuracy_valid else "*")
        return [r.run_name, r.status, r.date, _model_name(r), r.precision, quant_label(r.quantization),
                r.decode_tok_s, r.best_offline_tok_s, r.online_max_valid_qps, r.interactive_ttft_p50_ms, acc]

    out = []
    if current:
        out.append(table(headers, [row(r) for r in current]))
    if archived:
        out.append("Earlier runs kept by --force:")
        out.append(table(["archived", *headers], [[r.archived_at, *row(r)] for r in archived]))
    out.append(f"{headline.NAME}: {headline.DEFINITION} (interactive, else a sweep's or offline's concurrency 1); "
               "offline tok/s: the best output rate over its concurrency levels.")
    if any(r.accuracy_score is not None and not r.accuracy_valid for r in runs):
        out.append("* accuracy not valid (below baseline, or no baseline for the model); see `accelmark results show RUN`.")
    if root:
        out.append(f"{len(current)} run(s) in {root}")
    return "\n\n".join(out)


# ── one run ──────────────────────────────────────────────────────────────────


def _header(run: RunData) -> str:
    doc = run.doc
    chip, model, sw, meta, task = (doc.get(k) or {} for k in ("chip", "model", "software", "meta", "task"))
    state = run.state
    status = run.status + (f" (resumed {state.resume_count}x)" if state and state.resume_count else "")
    if state and state.remaining and run.status != "complete":
        rest = [s for s in state.remaining if s not in run.partials]
        status += "".join([f"; stopped part-way: {', '.join(run.partials)}" if run.partials else "",
                           f"; not yet run: {', '.join(rest)}" if rest else ""])
    chip_label = None
    if chip:
        mem = f"{chip.get('memory_gb')} GB" if chip.get("memory_gb") is not None else "memory unknown"
        chip_label = f"{chip.get('name')} x{chip.get('count')} ({chip.get('vendor')}, {mem})"
    model_line = None
    if model:
        model_line = model_label(model, revision=True)
    when = None
    if meta.get("date"):
        when = f"{meta.get('date')} {meta.get('time') or ''}".strip()
        if meta.get("benchmark_elapsed_minutes") is not None:
            when += f", {meta['benchmark_elapsed_minutes']} min measured"
        if meta.get("model_load_seconds") is not None:
            when += f", model load {meta['model_load_seconds']} s"
    config = task.get("extra_config")
    config_label = " ".join(f"{k}={v}" for k, v in config.items()) if isinstance(config, dict) else None
    submitter = f"{meta.get('submitted_by')} ({meta.get('submission_type')})" if meta.get("submitted_by") else None
    return kv([
        ("Run", run.run_dir.run_name),
        ("Headline", headline.decode_headline(run.metrics()).text()),
        ("Folder", str(run.run_dir.path)),
        ("Status", status),
        ("Chip", chip_label),
        ("Runner", doc.get("implementation_id")),
        ("Build", _build(sw, config if isinstance(config, dict) else {})),
        ("Suite", doc.get("suite_id")),
        ("Model", model_line),
        ("Runs", (f"{task.get('num_runs')} measured"
                  + (f", {task['warmup_runs']} warm-up" if task.get("warmup_runs") is not None else "")) if task else None),
        ("Config", config_label),
        ("Submitter", submitter),
        ("Date", when),
        ("Notes", meta.get("notes")),
    ])


def _build(sw: dict[str, Any], config: dict[str, Any]) -> str | None:
    """``llama.cpp (llama-cpp-python) 0.3.36, cuda build from 0c1e570``: what the backend recorded of its build."""
    if not sw:
        return None
    text = f"{sw.get('framework')} {sw.get('framework_version')}"
    if config.get("build"):
        text += f", {config['build']} build" + (f" from {config['build_commit']}" if config.get("build_commit") else "")
    return text


def _accuracy(acc: dict[str, Any]) -> str:
    return receipt_view(acc).text() + (f"\n{acc['notes']}" if acc.get("notes") else "")


def _env(env: dict[str, Any]) -> str:
    cpu = env.get("cpu") or {}
    accels = ", ".join(f"{a.get('name')} ({fmt(a.get('memory_gb'), 1)} GB, driver {a.get('driver_version')})"
                       for a in env.get("accelerators") or [] if isinstance(a, dict))
    return "Environment\n" + kv([
        ("Accelerators", accels),
        ("Platform", env.get("accelerator_platform")),
        ("CPU", f"{cpu.get('model')} ({cpu.get('physical_cores')} cores, {cpu.get('logical_cores')} threads)" if cpu else None),
        ("Memory", f"{env.get('system_memory_gb')} GB" if env.get("system_memory_gb") is not None else None),
        ("OS", env.get("os")),
        ("Kernel", env.get("kernel_version")),
        ("Python", env.get("python_version")),
        ("Runtime", env.get("runtime_version")),
    ])


def _background(metrics: dict[str, Any]) -> str:
    """Other processes' CPU share while each scenario was measured, and a warning where it passed the threshold."""
    lines = background.background_lines(metrics)
    if not lines:
        return ""
    return "\n".join(["Background CPU (other processes' share of the machine's CPU while measuring)", kv(lines),
                      *background.run_warnings(metrics)])


def render_run(run: RunData) -> str:
    """``accelmark results show``: header, one table per scenario, accuracy, environment."""
    parts = [_header(run)]
    parts += [registry.view(name, block).text() for name, block in run.metrics().items() if isinstance(block, dict)]
    parts += [f"{note}\n{registry.view(name, block).text()}" for name, (block, note) in run.partial_blocks().items()]
    parts.append(_background(run.metrics()))
    acc = run.accuracy_receipt()
    parts.append(_accuracy(acc) if acc else "Accuracy\nnot measured; " + str(((run.doc.get("accuracy") or {}).get("notes")) or "run the accuracy scenario."))
    if run.env_info:
        parts.append(_env(run.env_info))
    return "\n\n".join(p for p in parts if p)
