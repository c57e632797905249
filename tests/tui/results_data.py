"""Fixed results roots for the results, detail, compare and submit screen tests.

Built from the real upstream example submission (tests/fixtures/results/
example-result/, a Moore Threads MTT S4000 run of suite F) plus:

- a second run of the same chip and model on a newer build (vllm-musa 0.5.0),
  its figures scaled (throughput ×1.15, latency ×0.9) so a comparison has
  ratios to show; its run_id/run_name are recomputed by the upstream rule;
- an interrupted run: offline only, the rest never ran.

Also the small waiting helpers the TUI tests share (``settle``, ``settle_live``, ``until``).
"""

from __future__ import annotations

import copy
import json
import shutil
import time
from pathlib import Path
from typing import Any

from accelmark_tui.results.identity import identity_from_result
from accelmark_tui.results.layout import RunDir, RunState, atomic_write_json

EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "results" / "example-result"
EXAMPLE_NAME = "mtt_s4000x1_suite_F_moorethreads_vllm_musa_f2f6f965_4f66d29d"
PARTIAL_NAME = "mtt_s4000x1_suite_F_moorethreads_vllm_musa_f2f6f965_0badc0de"
SCENARIOS = ("offline", "online", "interactive")


def _scale(obj: Any, keys: tuple[str, ...], factor: float) -> None:
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in keys and isinstance(v, (int, float)) and not isinstance(v, bool):
                obj[k] = round(v * factor, 2)
            else:
                _scale(v, keys, factor)
    elif isinstance(obj, list):
        for v in obj:
            _scale(v, keys, factor)


def _newer_build(doc: dict, run_id: str | None = None, run_name: str | None = None) -> dict:
    doc = copy.deepcopy(doc)
    doc["software"]["framework_version"] = "0.5.0"
    doc["meta"]["date"], doc["meta"]["time"] = "2026-06-02", "09:12:40"
    _scale(doc.get("metrics"), ("throughput_tokens_per_sec", "throughput_tokens_per_sec_per_chip",
                                "throughput_tokens_per_sec_total"), 1.15)
    _scale(doc.get("metrics"), ("ttft_ms_p50", "ttft_ms_p90", "ttft_ms_p99", "tpot_ms_p50", "tpot_ms_p90",
                                "tpot_ms_p99"), 0.9)
    if run_id:
        doc["meta"]["run_id"], doc["meta"]["run_name"] = run_id, run_name
    return doc


def build_root(base: Path) -> tuple[Path, dict[str, str]]:
    """A results root with three runs; returns (root, {"example"|"newer"|"partial": run folder path})."""
    root = base / "results"
    example = root / "community" / EXAMPLE_NAME
    shutil.copytree(EXAMPLE, example)

    merged = _newer_build(json.loads((EXAMPLE / "result.json").read_text()))
    ident = identity_from_result(merged)
    newer = RunDir(root, "community", ident.run_name)
    newer.path.mkdir(parents=True)
    shutil.copy(EXAMPLE / "env_info.json", newer.env_info)
    merged = _newer_build(json.loads((EXAMPLE / "result.json").read_text()), ident.run_id, ident.run_name)
    atomic_write_json(newer.result, merged)
    for s in SCENARIOS:
        doc = _newer_build(json.loads((EXAMPLE / s / "result.json").read_text()), ident.run_id, ident.run_name)
        atomic_write_json(newer.scenario_result(s), doc)
    acc = json.loads((EXAMPLE / "accuracy" / "accuracy.json").read_text())
    acc.update(subset_score=0.09, baseline_delta=-0.29, framework_version="0.5.0")
    atomic_write_json(newer.accuracy, acc)

    partial = RunDir(root, "community", PARTIAL_NAME)
    partial.path.mkdir(parents=True)
    shutil.copy(EXAMPLE / "env_info.json", partial.env_info)
    offline = json.loads((EXAMPLE / "offline" / "result.json").read_text())
    offline["meta"]["date"] = "2026-05-20"
    atomic_write_json(partial.scenario_result("offline"), offline)
    partial.save_state(RunState(status="incomplete", scenarios_planned=["offline", "online", "interactive"],
                                scenarios_done=["offline"], started_at="2026-05-20T10:00:00+00:00"))
    return root, {"example": str(example), "newer": str(newer.path), "partial": str(partial.path)}


def services_for(services, root: Path):
    """The conftest's fixed services (machine, telemetry), reading runs from ``root``."""
    import dataclasses

    return dataclasses.replace(services, results_root=root)


def screen_app(factory, services, theme: str = "textual-dark"):
    """The real app shell with ``factory()``'s screen pushed over home."""
    from accelmark_tui.ui.app import AccelmarkApp

    class ScreenApp(AccelmarkApp):
        def on_mount(self) -> None:
            self.push_screen(factory())

    app = ScreenApp(services=services)
    app.theme = theme
    return app


async def settle(pilot) -> None:
    """Wait for the screens' load workers (none of these screens keeps a worker running).

    A worker that failed is the app's to show (the base screen's error dialog); waiting on it must not
    raise here, or whether a test sees the dialog depends on whether the failure came before the wait.
    """
    from textual.worker import WorkerFailed

    for _ in range(2):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerFailed:
            pass
        await pilot.pause()


async def settle_live(pilot) -> None:
    """A live-run snapshot's fixed picture: the telemetry sample taken, then one forced frame.

    The sample is taken on the sampler's thread, so the mount-time frame may or may not have it;
    the screen's own timer would draw it a period later. Forcing a frame after the first sample
    makes the picture the same on a loaded machine as on an idle one.
    """
    await pilot.pause(0.3)
    await settle(pilot)
    sampler = pilot.app.screen._sampler
    if sampler is not None:
        assert sampler.first.wait(10), "no telemetry sample within 10 s"
    pilot.app.screen._redraw(force=True)
    await pilot.pause()


def until(predicate, timeout: float = 2.0) -> bool:
    """Poll ``predicate`` (from a plain thread's point of view) until true or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
