"""A graceful stop: the live views' wind-down (no ETA, the in-flight count), and the resume checkpoint.

The live side is a real ``LiveRun`` fed decoded feed lines; the checkpoint side
works on real events files written as the runner writes them (a header per
runner process, then one JSON record a line).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import SimpleNamespace

from accelmark_tui.cli.progress import ProgressPrinter
from accelmark_tui.engine import metrics, resume
from accelmark_tui.engine.live import LiveRun
from accelmark_tui.engine.messages import ScenarioStopped, decode
from accelmark_tui.engine.records import RequestRecord, read_records
from accelmark_tui.screens.widgets.live_text import progress_detail, status_line

S = 1_000_000_000


def _running(live: LiveRun, done_before: int = 0) -> None:
    live.handle(decode({"type": "loaded", "info": {}, "load_seconds": 0.1}))
    live.handle(decode({"type": "scenario_start", "scenario": "offline", "steps": 2, "runs": 1, "total": 48,
                        "done": done_before}))
    live.handle(decode({"type": "step_start", "scenario": "offline", "run": 0, "step": 0, "level": 4,
                        "mode": "closed", "requests": 24}))
    live.progress.scenario_started -= 10.0  # ten seconds in
    sample = [100.0, 10.0, 500.0, None, 32, 1, False]
    live.handle(decode({"type": "tick", "in_flight": 3, "gen_tokens": 128, "samples": [sample] * 4}))


def test_stopping_shows_the_in_flight_count_instead_of_an_eta():
    live = LiveRun()
    _running(live)
    snap = live.snapshot()
    assert snap.phase == "running" and snap.eta_s is not None  # 4 of 48 done in 10 s: about 110 s left
    printer = ProgressPrinter(SimpleNamespace(live=live), io.StringIO())
    assert "ETA" in printer.status_line(snap) and "ETA" in progress_detail(snap)

    live.begin_stop()
    live.handle(decode({"type": "tick", "in_flight": 2, "gen_tokens": 160, "samples": []}))
    snap = live.snapshot()
    assert snap.phase == "stopping" and snap.eta_s is None and snap.in_flight == 2
    line = printer.status_line(snap)
    assert line.startswith("stopping… 2 in flight | offline") and "ETA" not in line
    assert progress_detail(snap) == "4/48 · 8% · stopping… 2 in flight"
    screen_line = status_line(snap, "stopping")
    assert screen_line.startswith("[b]Stopping… 2 in flight[/b]") and "ETA" not in screen_line
    # A model that finishes loading after the stop was asked for does not bring the run back.
    live.handle(decode({"type": "loaded", "info": {}}))
    assert live.snapshot().phase == "stopping"


def test_a_resumed_scenario_counts_on_and_paces_its_eta_by_this_runner():
    live = LiveRun()
    _running(live, done_before=20)
    snap = live.snapshot()
    assert snap.done == 24 and snap.total == 48
    # 4 requests in this runner's 10 s, 24 to go: about 60 s (not 10 s, as 24 done in 10 s would say).
    assert 55 < snap.eta_s < 65


def _events(path: Path, parts: list[list[RequestRecord]]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for part in parts:
            fh.write(json.dumps({"type": "header", "scenario": "offline"}) + "\n")
            fh.writelines(r.to_json() + "\n" for r in part)


def _rec(i: int, level: int, sent_s: float, end_s: float, phase: str = "measure") -> RequestRecord:
    rec = RequestRecord(request_id=i, scenario="offline", prompt_id=i, level=level, phase=phase,
                        sent_ns=int(sent_s * S), end_ns=int(end_s * S), output_tokens=10)
    rec.add_chunk(int((sent_s + 0.1) * S), 10)
    return rec


def test_a_step_measured_in_two_runner_processes_does_not_count_the_pause(tmp_path):
    path = tmp_path / "samples.jsonl"
    # Requests 0-2 before the stop; 3-4 a minute later, in a new process (its warm-up first).
    _events(path, [[_rec(i, 1, i, i + 1) for i in range(3)],
                   [_rec(-1, 1, 60, 61, "warmup")] + [_rec(i, 1, 61 + i - 3, 62 + i - 3) for i in (3, 4)]])
    records = read_records(path)
    assert [r.segment for r in records] == [None, None, None, 1, 1, 1]
    measured = metrics.measured(records)
    assert metrics.window_s(measured) == 5.0  # 3 s + 2 s, not the 63 s from first send to last end
    assert metrics.summarize(measured)["output_tokens_per_sec"] == 10.0


def _plan(mode: str = "closed") -> dict:
    return {"name": "offline", "runs": 2, "max_tokens": 16,
            "steps": [{"mode": mode, "level": 1, "concurrency": 1, "requests": 8, "warmup": 1},
                      {"mode": mode, "level": 4, "concurrency": 4, "requests": 8, "warmup": 4}]}


def test_checkpoint_and_resume_point(tmp_path):
    path = tmp_path / "samples.jsonl"
    plan = _plan()
    # Run 2 (index 1), step 1 done, 3 requests into step 2: 8 + 8 + 8 + 3 measured.
    _events(path, [[_rec(i, 1, i, i + 1) for i in range(27)]])
    stop = ScenarioStopped(scenario="offline", run=1, step=1, level=4, request=3)
    entry = resume.checkpoint(plan, stop, read_records(path), path, 0)
    assert entry["resumes_at"] == {"run": 1, "step": 1, "request": 3}
    assert (entry["requests_done"], entry["requests_planned"], entry["steps_done"], entry["steps_planned"]) == \
        (27, 32, 3, 4)
    at = resume.resume_point(entry, plan, path)
    assert at == {"run": 1, "step": 1, "request": 3, "done": 27, "bytes": path.stat().st_size}
    assert [resume.skip_in(at, r, s, 8) for r in (0, 1) for s in (0, 1)] == [None, None, None, 3]
    assert resume.skip_in(None, 0, 0, 8) == 0

    # Another plan (other options), or an events file shorter than at the stop: measured from the start.
    assert resume.resume_point(entry, {**plan, "max_tokens": 32}, path) is None
    path.write_text(path.read_text()[:100])
    assert resume.resume_point(entry, plan, path) is None
    # Records missing against the position (a kill lost some): the position is not trusted.
    _events(path, [[_rec(i, 1, i, i + 1) for i in range(20)]])
    assert resume.checkpoint(plan, stop, read_records(path), path, 0)["resumes_at"] is None


def test_time_bound_scenarios_restart(tmp_path):
    path = tmp_path / "samples.jsonl"
    plan = {"name": "sustained", "runs": 1, "max_tokens": 16,
            "steps": [{"mode": "duration", "level": 2, "concurrency": 2, "duration_s": 60, "requests": None}]}
    _events(path, [[_rec(i, 2, i, i + 1) for i in range(5)]])
    entry = resume.checkpoint(plan, ScenarioStopped(scenario="sustained", level=2), read_records(path), path, 0)
    assert entry["resumes_at"] is None and entry["requests_planned"] is None and entry["requests_done"] == 5
    assert resume.resume_point(entry, plan, path) is None
    # Nothing measured (stopped in its warm-up): nothing to keep.
    _events(path, [[_rec(-1, 2, 0, 1, "warmup")]])
    assert resume.checkpoint(plan, ScenarioStopped(scenario="sustained"), read_records(path), path, 0) is None
