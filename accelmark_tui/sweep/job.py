"""One runner process per (file, load settings): the model is loaded once and measures every cell left.

The cells become an ordinary runner job (engine/child.py): one scenario per (shape, repetition) whose steps
are the concurrency levels, each a closed loop of as many requests as sequences, with EOS ignored so every
answer is the shape's length. The child flushes a step's records before announcing its end, so each cell is
read from the events file and stored the moment it finishes.
"""

from __future__ import annotations

import json
import queue
import time
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from accelmark_tui import resources
from accelmark_tui.engine import workload
from accelmark_tui.engine.host import PeakRss, RunnerProcess, describe_exit
from accelmark_tui.engine.messages import Bye, Fatal, Loaded, Message, StepEnd
from accelmark_tui.engine.records import read_records
from accelmark_tui.errors import AccelmarkError
from accelmark_tui.sweep import cells as cellmod
from accelmark_tui.sweep import tokens
from accelmark_tui.sweep.matrix import ModelFile, cell_key, settings_key
from accelmark_tui.sweep.shapes import Shape, write_prompts

DEFAULT_DATASET = "sharegpt_standard_v1"
MAX_PROMPTS = 512  # distinct prompts per shape and job; more requests repeat one behind a unique prefix
TEMPLATE_ROOM = 64  # tokens a chat template adds around the prompt


@dataclass
class Context:
    """What every cell of the sweep carries besides its figures."""

    folder: Path
    store: cellmod.CellStore
    runner: Any  # catalog RunnerInfo of a llama.cpp runner
    hardware: str
    accelmark_version: str
    on_cell: Callable[[dict[str, Any]], None] = lambda cell: None
    stopping: bool = False
    proc: RunnerProcess | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Cell:
    shape: Shape
    level: int
    repetition: int
    key: str


def todo(model: ModelFile, settings: dict[str, Any], shapes: list[Shape], levels: list[int], reps: int,
         store: cellmod.CellStore) -> tuple[list[Cell], int]:
    """The cells of this (file, settings) still to measure, and how many were already finished."""
    cells, skipped = [], 0
    for shape in shapes:
        for rep in range(reps):
            for c in levels:
                key = cell_key(model.sha256 or "unreadable", settings, shape.to_dict(), c, rep)
                if store.done(key):
                    skipped += 1
                else:
                    cells.append(Cell(shape, c, rep, key))
    return cells, skipped


def _base(model: ModelFile, settings: dict[str, Any], cell: Cell, ctx: Context) -> dict[str, Any]:
    return {"key": cell.key, "model": model.name, "path": model.path, "sha256": model.sha256, "quant": model.quant,
            "settings": settings, "shape": cell.shape.name, "concurrency": cell.level, "repetition": cell.repetition,
            "output_tokens_target": cell.shape.output_tokens, "hardware": ctx.hardware,
            "accelmark_version": ctx.accelmark_version, "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def _error(model: ModelFile, settings: dict[str, Any], cells: list[Cell], ctx: Context, why: str) -> None:
    for cell in cells:
        row = _base(model, settings, cell, ctx) | {"error": why}
        ctx.store.add(row)
        ctx.on_cell(row)


def _plans(cells: list[Cell], folder: Path, model: str) -> tuple[list[dict[str, Any]], dict[str, Cell]]:
    """One scenario per (shape, repetition); warm-up before a (shape, level)'s first measured cell."""
    plans: list[dict[str, Any]] = []
    where: dict[str, Cell] = {}
    warmed: set[tuple[str, int]] = set()
    by_shape: dict[str, list[dict[str, Any]]] = {}
    for cell in cells:
        name = f"{cell.shape.name}.r{cell.repetition}"
        plan = next((p for p in plans if p["name"] == name), None)
        if plan is None:
            plan = {"name": name, "max_tokens": cell.shape.output_tokens, "ignore_eos": True,
                    "raw": cell.shape.format == "raw", "runs": 1, "steps": []}
            plans.append(plan)
            by_shape.setdefault(cell.shape.name, []).append(plan)
        warm = 0 if (cell.shape.name, cell.level) in warmed else cell.level
        warmed.add((cell.shape.name, cell.level))
        plan["steps"].append({"mode": "closed", "level": cell.level, "concurrency": cell.level,
                              "requests": cell.level, "warmup": warm})
        where[f"{name}@{cell.level}"] = cell
    cut, close = tokens.cutter(model)
    try:
        for shape_name, group in by_shape.items():
            shape = next(c.shape for c in cells if c.shape.name == shape_name)
            count = min(MAX_PROMPTS, sum(s["requests"] + s["warmup"] for p in group for s in p["steps"]))
            path = write_prompts(shape, count, folder / "prompts" / f"{shape_name}.jsonl", cut)
            for p in group:
                p["dataset"] = str(path)
            workload.assign_prompts(group, count, zlib.crc32(shape_name.encode()))
    finally:
        close()
    return plans, where


def run_group(model: ModelFile, settings: dict[str, Any], cells: list[Cell], ctx: Context) -> None:
    """Measure ``cells`` of one file under one set of load settings; each lands in the store as it ends."""
    if model.error:
        _error(model, settings, cells, ctx, model.error)
        return
    from accelmark_tui.engine.models import resolve_model

    run_dir = ctx.folder / "runs" / f"{(model.sha256 or '')[:16]}-{zlib.crc32(settings_key(settings).encode()):08x}"
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        spec = resolve_model(model.path)
        plans, where = _plans(cells, run_dir, model.path)
    except AccelmarkError as exc:  # gone since it was listed, or llama.cpp cannot read its vocabulary
        _error(model, settings, cells, ctx, str(exc))
        return
    shapes = {c.shape.name: c.shape for c in cells}
    job = {"model": asdict(spec), "threads": settings.get("threads"),
           "max_concurrency": max(c.level for c in cells),
           # Room for the prompt, the chat template's own tokens and the whole answer.
           "max_model_len": max(s.prompt_tokens + s.output_tokens + TEMPLATE_ROOM for s in shapes.values()),
           "dataset": str(resources.dataset_path(DEFAULT_DATASET)),
           "accuracy_subset": str(resources.schema_path("accuracy_subset.jsonl")),
           "run_dir": str(run_dir), "scenarios": plans, "resume": {},
           "backend_options": {k: v for k, v in settings.items() if k != "threads"}}
    job_path = run_dir / "job.json"
    job_path.write_text(json.dumps(job, indent=1), encoding="utf-8")
    msgs: queue.Queue[Message] = queue.Queue()
    proc = RunnerProcess(ctx.runner.runner_py, job_path, run_dir / "run.log", msgs.put)
    ctx.proc = proc
    proc.start()
    rss = PeakRss()
    load: dict[str, Any] = {}
    fatal: str | None = None
    finished: set[str] = set()
    while True:
        try:
            msg = msgs.get(timeout=0.5)
        except queue.Empty:
            rss.sample(proc.pid)
            if proc.poll() is not None and msgs.empty():
                proc.wait()
                if msgs.empty():
                    break
            continue
        if isinstance(msg, Loaded):
            load = msg.info
        elif isinstance(msg, Fatal):
            fatal = msg.message
        elif isinstance(msg, StepEnd) and (cell := where.get(f"{msg.scenario}@{msg.level}")):
            rss.sample(proc.pid)
            recs = [r for r in read_records(run_dir / msg.scenario / "samples.jsonl") if r.level == cell.level]
            row = _base(model, settings, cell, ctx) | _build(load) | cellmod.figures(
                recs, cell.shape.output_tokens, cell.level)
            row["peak_rss_gb"] = round(rss.peak_bytes / 1e9, 3) if rss.peak_bytes else None
            ctx.store.add(row)
            finished.add(cell.key)
            ctx.on_cell(row)
        elif isinstance(msg, Bye):
            pass
    rc = proc.wait()
    ctx.proc = None
    left = [c for c in cells if c.key not in finished]
    if left and not ctx.stopping:  # a crash or a load failure: those cells say so and the sweep goes on
        _error(model, settings, left, ctx, (fatal or f"The runner process {describe_exit(rc)}").rstrip(".")
               + f" (log: {run_dir / 'run.log'})")


def _build(info: dict[str, Any]) -> dict[str, Any]:
    """Which llama.cpp did the measuring (the backend's LoadInfo)."""
    extra = info.get("extra") or {}
    return {"backend": info.get("framework"), "framework_version": info.get("framework_version"),
            "build": extra.get("ggml_version"), "build_commit": extra.get("build_commit"),
            "compute": extra.get("build"), "served_concurrency": info.get("max_concurrency")}
