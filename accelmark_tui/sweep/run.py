"""A whole sweep: check everything that can be wrong, then one runner per (file, settings), then the document.

The sweep folder (``<results root>/sweeps/<name>/``) keeps ``cells.jsonl`` (every finished cell, appended as it
ends), the prompts each shape sent, each runner's job and log, and ``sweep.json`` (the document of the last
run). Running the same command again measures only the cells not yet finished.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from accelmark_tui import __version__, paths
from accelmark_tui.errors import AccelmarkError, UsageError
from accelmark_tui.sweep import cells as cellmod
from accelmark_tui.sweep import job as jobmod
from accelmark_tui.sweep import matrix
from accelmark_tui.sweep.shapes import Shape

DEFAULT_LEVELS = (1, 2, 4)
DEFAULT_REPETITIONS = 5
BACKEND = "llama.cpp"


@dataclass
class SweepRequest:
    models: list[str]
    shapes: list[Shape]
    levels: list[int] = field(default_factory=lambda: list(DEFAULT_LEVELS))
    repetitions: int = DEFAULT_REPETITIONS
    settings: list[dict[str, Any]] = field(default_factory=lambda: [{}])
    quality: bool = True
    reference: str | None = None
    quality_ctx: int = 512  # llama-perplexity's default context; the second half of each chunk is scored
    quality_chunks: int = 32
    output_dir: str | None = None
    name: str | None = None
    runner: str | None = None


@dataclass
class SweepOutcome:
    folder: Path
    document: dict[str, Any]
    skipped: int
    measured: int
    stopped: bool


def parse_levels(text: str | None) -> list[int]:
    if not text:
        return list(DEFAULT_LEVELS)
    try:
        levels = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise UsageError(f"--levels takes whole numbers separated by commas (e.g. 1,2,4), not '{text}'.") from None
    if not levels or any(c < 1 for c in levels):
        raise UsageError("--levels must be concurrency levels of at least 1, e.g. 1,2,4.")
    return sorted(set(levels))


def _name(req: SweepRequest, files: list[matrix.ModelFile]) -> str:
    if req.name:
        if not re.fullmatch(r"[\w.-]+", req.name):
            raise UsageError(f"--name '{req.name}' may hold only letters, digits, '.', '-' and '_'.")
        return req.name
    first = Path(req.models[0].rstrip("/"))
    stem = first.name if first.is_dir() else Path(files[0].path).stem if files else "sweep"
    return re.sub(r"[^\w.-]+", "-", stem.split(":")[0])[:60] or "sweep"


def _runner(runner_id: str | None) -> Any:
    """A llama.cpp runner this machine can run (the one named, else the best fit)."""
    from accelmark_tui.catalog import DEFAULT_SUITE, fit
    from accelmark_tui.catalog.runners import discover_runners, get_runner
    from accelmark_tui.catalog.suites import get_suite
    from accelmark_tui.detect import detect_machine

    machine, suite = detect_machine(), get_suite(DEFAULT_SUITE)
    if runner_id:
        runner = get_runner(runner_id)
        if runner.backend != BACKEND:
            raise UsageError(f"{runner.id} runs {runner.backend}; a sweep needs a {BACKEND} runner.")
    else:
        pool = [r for r in discover_runners() if r.backend == BACKEND]
        runner = fit.best_runner(suite, machine, pool)
        if runner is None:
            raise UsageError(f"No {BACKEND} runner is installed; `accelmark runners` lists them.")
    verdict = fit.check_fit(runner, suite, machine)
    if not verdict.ready:
        raise UsageError(f"{runner.id} cannot run here: {verdict.reason.rstrip('.')}.")
    return runner, machine


def hardware_of(machine: Any) -> str:
    if machine.accelerators:
        a = machine.accelerators[0]
        return f"{a.name} · {a.memory_gb:g} GiB" if a.memory_gb else a.name
    return f"{machine.cpu.model} · {machine.cpu.physical_cores} cores · {machine.system_memory_gb:g} GiB"


def run_sweep(req: SweepRequest, on_cell: Callable[[dict[str, Any]], None] = lambda c: None,
              on_note: Callable[[str], None] = lambda s: None) -> SweepOutcome:
    from accelmark_tui.sweep import document

    if req.repetitions < 1:
        raise UsageError("--repetitions must be at least 1.")
    if not req.shapes:
        raise UsageError("--shapes needs at least one shape.")
    files = matrix.resolve_models(req.models)
    if not files:
        raise UsageError("No model file to sweep; name GGUF files, a folder of them or ORG/REPO:PATTERN.")
    if req.reference and not Path(req.reference).is_file():
        raise UsageError(f"--reference {req.reference} is not a file; name the GGUF the quants are compared with.")
    runner, machine = _runner(req.runner)
    folder = paths.results_root(req.output_dir) / "sweeps" / _name(req, files)
    store = cellmod.CellStore(folder)
    measured = 0

    def cell_done(cell: dict[str, Any]) -> None:
        nonlocal measured
        measured += cell.get("error") is None
        on_cell(cell)

    ctx = jobmod.Context(folder=folder, store=store, runner=runner, hardware=hardware_of(machine),
                         accelmark_version=__version__, on_cell=cell_done)
    groups = []
    skipped = 0
    for f in files:
        for settings in req.settings:
            todo, done = jobmod.todo(f, settings, req.shapes, req.levels, req.repetitions, store)
            skipped += done
            if todo:
                groups.append((f, settings, todo))
    total = sum(len(t) for _, _, t in groups)
    on_note(f"sweep {folder}: {total} cell(s) to measure" + (f", {skipped} already finished (skipped)"
                                                               if skipped else ""))
    restore = _on_interrupt(lambda: _stop(ctx, on_note))
    try:
        for f, settings, todo in groups:
            if ctx.stopping:
                break
            on_note(f"{f.name} ({f.quant or 'unreadable'}){' ' + matrix.settings_key(settings) if settings else ''}:"
                    f" {len(todo)} cell(s)")
            jobmod.run_group(f, settings, todo, ctx)
    finally:
        restore()
    quality = {} if ctx.stopping else _quality(req, files, folder, on_note)
    doc = document.build(req, files, store, runner, quality=quality)
    document.save(folder, doc)
    return SweepOutcome(folder, doc, skipped, measured, ctx.stopping)


def _stop(ctx: jobmod.Context, on_note: Callable[[str], None]) -> None:
    """Ctrl-C: the running cell's in-flight requests finish, no new cell starts; finished cells are kept."""
    first = not ctx.stopping
    ctx.stopping = True
    on_note("stopping: finished cells are kept; run the same command again to resume" if first else "stopping now")
    if ctx.proc:
        ctx.proc.stop() if first else ctx.proc.kill()


def _quality(req: SweepRequest, files: list[matrix.ModelFile], folder: Path,
             on_note: Callable[[str], None]) -> dict[str, dict[str, Any]]:
    """Perplexity and KL divergence per file (sweep/quality.py; its cache makes a resumed sweep skip them)."""
    if not req.quality:
        return {}
    from accelmark_tui.sweep.quality import quality_for

    good = [f for f in files if not f.error]
    if not good:
        return {}
    try:
        return quality_for(good, req.reference, n_ctx=req.quality_ctx, max_chunks=req.quality_chunks,
                           threads=(req.settings[0] or {}).get("threads") if req.settings else None, on_note=on_note)
    except AccelmarkError as exc:  # the speed cells stand on their own; the quant table says what is missing
        on_note(f"quality was not measured: {exc}")
        return {}


def _on_interrupt(handler: Callable[[], None]) -> Callable[[], None]:
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.signal(signal.SIGINT, lambda *_: handler())
    return lambda: signal.signal(signal.SIGINT, previous)
