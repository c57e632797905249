"""Sweep and peak curves: live (step summaries fed into a LiveRun the screen watches) and saved.

The live tests feed a real ``LiveRun`` the runner's ``step_summary`` and
``peak_result`` messages (no runner); snapshots pin the clock as the other
live-run tests do. The run detail test adds saved sweep and peak blocks to the
example run.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from results_data import build_root, screen_app, services_for, settle, settle_live

from accelmark_tui.engine.live import LiveRun
from accelmark_tui.engine.messages import StepSummary, decode

SIZES = {"wide": (120, 40), "small": (80, 24)}
# (concurrency, output tok/s, tok/s per user, TTFT p50, TTFT p99): a server that saturates near 16.
SWEEP = [(1, 38.2, 38.2, 45.0, 60.0), (2, 70.1, 35.0, 52.0, 80.0), (4, 121.0, 30.2, 70.0, 120.0),
         (8, 190.5, 23.8, 110.0, 260.0), (16, 240.2, 15.0, 210.0, 540.0), (32, 236.0, 7.4, 480.0, 1300.0)]
# (offered rate, p99 TTFT or None when every request failed, SLA met): doubling, then bisection.
PEAK = [(1.0, 180.0, True), (2.0, 260.0, True), (4.0, 650.0, True), (8.0, None, False), (6.0, 1400.0, False),
        (5.0, 900.0, True), (5.5, 1100.0, False)]
SLA_MS = 1000.0


def sweep_msg(i: int, run: int = 0) -> StepSummary:
    c, tok, user, p50, p99 = SWEEP[i]
    return decode({"type": "step_summary", "scenario": "sweep", "run": run, "step": i, "level": c,
                   "summary": {"requests": 16, "completed": 16, "failed": 0, "request_rate": tok / 64,
                               "output_tokens_per_sec": tok, "tokens_per_sec_per_user": user, "ttft_ms_p50": p50,
                               "ttft_ms_p99": p99, "tpot_ms_p50": round(1000 / user, 2),
                               "tpot_ms_p99": round(1200 / user, 2)}})


def peak_msg(i: int) -> StepSummary:
    rate, p99, met = PEAK[i]
    return decode({"type": "step_summary", "scenario": "peak", "run": 0, "step": i, "level": rate,
                   "summary": {"requests": 30, "failed": 0 if p99 else 30, "output_tokens_per_sec": 40 * min(rate, 5.2),
                               "met": met, "client_bound": False, "p99_ttft_ms": p99, "p99_tpot_ms": 12.5,
                               "achieved_rate": round(min(rate, 5.2) * 0.98, 3)}})


PEAK_RESULT = decode({"type": "peak_result", "scenario": "peak", "best": 5.0, "bracket": [5.0, 5.5],
                      "stopped": "converged"})


def started(clock, scenario: str, steps: int) -> LiveRun:
    live = LiveRun()
    if clock is not None:
        live.started = clock.t
    live.note(f"runner other_openai_endpoint_82c4480f, suite suite_Quick, scenarios {scenario}")
    live.handle(decode({"type": "loaded", "info": {}, "load_seconds": 0.2}))
    live.handle(decode({"type": "scenario_start", "scenario": scenario, "total": 96, "runs": 1, "steps": steps}))
    return live


def fake_session(live: LiveRun, scenario: str) -> SimpleNamespace:
    return SimpleNamespace(
        live=live, todo=[scenario], proc=None, stop=lambda now=False: None,
        plans=[{"name": scenario, "sla_ttft_ms": SLA_MS, "steps": []}],
        suite=SimpleNamespace(id="suite_Quick"), runner=SimpleNamespace(id="other_openai_endpoint_82c4480f"),
        model=SimpleNamespace(model_id="fake-model", extra={}),
        run_dir=SimpleNamespace(path=Path("/results/community/endpoint_suite_Quick_other_openai_endpoint_82c4480f")),
    )


# ── Pilot: the curves grow as summaries arrive ───────────────────────────────


@pytest.mark.anyio
async def test_sweep_points_reach_the_curves_at_the_fixed_rate(live_app, services, monkeypatch):
    from accelmark_tui.screens.live_run import LiveRunScreen
    from accelmark_tui.screens.widgets.curves import CurvesPanel

    monkeypatch.setattr(LiveRunScreen, "CHART_PERIOD_S", 0.2)
    monkeypatch.setattr(LiveRunScreen, "REDRAW_HZ", 5.0)
    live = started(None, "sweep", len(SWEEP))
    screen = LiveRunScreen(session=fake_session(live, "sweep"), start=False)
    app = live_app(lambda: screen, services=services)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await pilot.pause(0.3)
        panel = screen.query_one("#live-curves", CurvesPanel)
        assert screen.has_class("-curves") and panel.display
        assert not screen.query_one("#chart-tok-s").display  # the time charts gave way
        assert panel.kind == "sweep" and panel.points == []
        assert "waiting for the first level" in str(panel.query_one("#curve-left").border_subtitle)
        for i in range(3):
            live.handle(sweep_msg(i))
        assert panel.points == []  # nothing is drawn per message: only the timer redraws
        await pilot.pause(0.5)
        assert [p["level"] for p in panel.points] == [1, 2, 4]
        left = panel.query_one("#curve-left")
        draws = left.draws
        await pilot.pause(0.5)
        assert left.draws == draws  # unchanged data: no re-plot
        for i in range(3, len(SWEEP)):
            live.handle(sweep_msg(i))
        await pilot.pause(0.5)
        assert [p["level"] for p in panel.points] == [1, 2, 4, 8, 16, 32]
        assert panel.points[-1]["ttft_ms_p99"] == 1300.0 and left.draws == draws + 1
        assert "Pareto" in str(left.border_title) and "SLA" in str(panel.query_one("#curve-right").border_title)
        # The next scenario is not a sweep: the time charts come back.
        live.handle(decode({"type": "scenario_start", "scenario": "offline", "total": 8, "runs": 1, "steps": 1}))
        await pilot.pause(0.5)
        assert not screen.has_class("-curves") and screen.query_one("#chart-tok-s").display


@pytest.mark.anyio
async def test_peak_trials_and_result(live_app, services, monkeypatch):
    from accelmark_tui.screens.live_run import LiveRunScreen

    monkeypatch.setattr(LiveRunScreen, "CHART_PERIOD_S", 0.2)
    monkeypatch.setattr(LiveRunScreen, "REDRAW_HZ", 5.0)
    live = started(None, "peak", 1)
    screen = LiveRunScreen(session=fake_session(live, "peak"), start=False)
    app = live_app(lambda: screen, services=services)
    async with app.run_test(size=SIZES["small"]) as pilot:
        for i in range(4):
            live.handle(peak_msg(i))
        await pilot.pause(0.5)
        panel = screen.query_one("#live-curves")
        left = panel.query_one("#curve-left")
        assert panel.kind == "peak" and [p["met"] for p in panel.points] == [True, True, True, False]
        # At 80 columns the legend is shortened to fit, never cut: "by req/s" and the SLA's value go first.
        assert str(left.border_subtitle) == "4 trials so far" and str(left.border_title).startswith("p99 TTFT ms [")
        assert "━SLA[" in str(left.border_title) and "…" not in str(left.border_title)
        for i in range(4, len(PEAK)):
            live.handle(peak_msg(i))
        live.handle(PEAK_RESULT)
        await pilot.pause(0.5)
        assert len(panel.points) == len(PEAK)
        assert str(left.border_subtitle) == "peak 5 req/s · converged"


def test_saved_blocks_become_the_live_shape():
    from accelmark_tui.screens.widgets.curves import from_block, peak_line, per_level

    points, result, sla = from_block("sweep", SWEEP_BLOCK)
    assert [p["level"] for p in points] == [1, 2, 4, 8, 16, 32] and result is None and sla is None
    points, result, sla = from_block("peak", PEAK_BLOCK)
    assert [p["level"] for p in points] == [r for r, _, _ in PEAK] and sla == SLA_MS
    assert peak_line(result, len(points)) == "peak 5 req/s · converged"
    assert peak_line({"best": None, "stopped": "no rate down to 0.125 req/s met the SLA"}, 3) == \
        "no rate met the SLA · no rate down to 0.125 req/s met the SLA"
    # Runs of the same level are averaged into one point.
    merged = per_level([{"level": 2, "output_tokens_per_sec": 10.0}, {"level": 1, "output_tokens_per_sec": 4.0},
                        {"level": 2, "output_tokens_per_sec": 14.0}, {"level": None}])
    assert [(p["level"], p["output_tokens_per_sec"]) for p in merged] == [(1.0, 4.0), (2.0, 12.0)]


# ── snapshots (fixed data) ───────────────────────────────────────────────────


def _live_snapshot_app(live_app, clock, services, monkeypatch, scenario: str):
    from accelmark_tui.screens import home
    from accelmark_tui.screens.live_run import LiveRunScreen

    monkeypatch.setattr(home.HomeScreen, "SAMPLE_SECONDS", 3600.0)
    monkeypatch.setattr(LiveRunScreen, "TELEMETRY_PERIOD_S", 3600.0)
    live = started(clock, scenario, len(SWEEP) if scenario == "sweep" else 1)
    n = len(SWEEP) if scenario == "sweep" else len(PEAK)
    for i in range(n):
        clock.t += 7.5
        live.handle(sweep_msg(i) if scenario == "sweep" else peak_msg(i))
        live.progress.done = 96 * (i + 1) // n
    if scenario == "peak":
        live.handle(PEAK_RESULT)
    app = live_app(lambda: LiveRunScreen(session=fake_session(live, scenario), start=False), services=services)
    app.theme = "textual-dark"
    return app


@pytest.mark.parametrize("size", ["wide", "small"])
def test_live_sweep_snapshot(live_app, size, snap_compare, clock, services, monkeypatch):
    app = _live_snapshot_app(live_app, clock, services, monkeypatch, "sweep")
    assert snap_compare(app, terminal_size=SIZES[size], run_before=settle_live)


@pytest.mark.parametrize("size", ["wide", "small"])
def test_live_peak_snapshot(live_app, size, snap_compare, clock, services, monkeypatch):
    app = _live_snapshot_app(live_app, clock, services, monkeypatch, "peak")
    assert snap_compare(app, terminal_size=SIZES[size], run_before=settle_live)


SWEEP_BLOCK = {
    "kind": "concurrency_sweep",
    "points": [{"concurrency": c, "requests": 16, "completed": 16, "failed": 0, "output_tokens_per_sec": tok,
                "tokens_per_sec_per_user": user, "ttft_ms_p50": p50, "ttft_ms_p99": p99,
                "tpot_ms_p50": round(1000 / user, 2), "tpot_ms_p99": round(1200 / user, 2)}
               for c, tok, user, p50, p99 in SWEEP],
    "pareto_front": [0, 1, 2, 3, 4],
    "note": "Throughput per system (output tok/s) against interactivity, one point per concurrency level.",
}
PEAK_BLOCK = {
    "kind": "peak_search", "sla": {"ttft_ms_p99": SLA_MS, "tpot_ms_p99": None}, "max_rate_meeting_sla": 5.0,
    "bracket": [5.0, 5.5], "stopped": "converged",
    "trials": [{"rate": rate, "met": met, "client_bound": False, "p99_ttft_ms": p99, "p99_tpot_ms": 12.5,
                "late_send_share": 0.0, "achieved_rate": round(min(rate, 5.2) * 0.98, 3), "requests": 30,
                "failed": 0 if p99 else 30} for rate, p99, met in PEAK],
    "note": "Highest Poisson arrival rate whose p99 TTFT met the SLA.",
}


@pytest.fixture
def curves_root(tmp_path, monkeypatch):
    """The example run with a saved sweep and peak search added to its merged result."""
    monkeypatch.chdir(tmp_path)
    root, runs = build_root(Path("."))
    result = Path(runs["example"]) / "result.json"
    doc = json.loads(result.read_text())
    doc["metrics"].update(sweep=SWEEP_BLOCK, peak=PEAK_BLOCK)
    result.write_text(json.dumps(doc))
    return root, runs


def _detail_app(services, curves_root):
    from accelmark_tui.screens.run_detail import RunDetailScreen

    root, runs = curves_root
    return screen_app(lambda: RunDetailScreen(runs["example"]), services_for(services, root))


@pytest.mark.anyio
async def test_run_detail_draws_saved_curves(services, curves_root):
    app = _detail_app(services, curves_root)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        await pilot.pause(0.2)
        screen = app.screen
        sweep, peak = screen.query_one("#detail-curves-sweep"), screen.query_one("#detail-curves-peak")
        assert [p["level"] for p in sweep.points] == [1, 2, 4, 8, 16, 32] and sweep.kind == "sweep"
        assert peak.kind == "peak" and str(peak.query_one("#curve-left").border_subtitle) == "peak 5 req/s · converged"
        table = screen.query_one("#detail-sweep DataTable")
        assert [str(c) for c in table.get_row_at(4)] == ["16", "240.2", "15.0", "210.0", "540.0", "66.67", "0", "yes"]
        title = str(screen.query_one("#detail-peak .block-title").render())
        assert title == "Peak search: peak 5 req/s at p99 TTFT ≤ 1000 ms (converged)"


@pytest.mark.parametrize("size", ["wide", "small"])
def test_run_detail_curves_snapshot(size, snap_compare, services, curves_root):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.pause(0.2)
        # Scroll to the curves (sweep, then peak): the header and the upstream tables come first.
        pilot.app.screen.query_one("#detail-curves-sweep").scroll_visible(animate=False, top=True)
        await pilot.pause(0.2)

    assert snap_compare(_detail_app(services, curves_root), terminal_size=SIZES[size], run_before=run_before)


# ── a real sweep against the fake OpenAI server (runner process, no model: about 3 s) ──


@pytest.mark.anyio
async def test_real_sweep_grows_the_curves_and_the_detail_shows_them(live_app, services, monkeypatch):
    from accelmark_tui.engine.session import RunRequest
    from accelmark_tui.screens.live_run import LiveRunScreen

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
    from openai_server import FakeOpenAI

    monkeypatch.setattr(LiveRunScreen, "CHART_PERIOD_S", 0.2)
    monkeypatch.setattr(LiveRunScreen, "REDRAW_HZ", 5.0)
    with FakeOpenAI(tokens=8, ttft_ms=5, itl_ms=1) as srv:
        request = RunRequest(runner="other_openai_endpoint", options={"base_url": srv.base_url}, scenario="sweep",
                             levels=[1, 2, 4], requests=6, runs=1, warmup=0)
        screen = LiveRunScreen(request)
        app = live_app(lambda: screen, services=services)
        async with app.run_test(size=SIZES["small"]) as pilot:
            deadline = time.monotonic() + 60
            while screen.state in ("preparing", "running", "stopping") and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            await pilot.pause(0.3)
            assert screen.state == "done", screen.error
            panel = screen.query_one("#live-curves")
            assert screen.has_class("-curves") and [p["level"] for p in panel.points] == [1, 2, 4]
            assert all(p["output_tokens_per_sec"] > 0 for p in panel.points)
            assert "SLA" in str(panel.query_one("#curve-right").border_title)  # suite_Quick's 1000 ms
            await pilot.press("enter")  # the finished run's detail: the same curves from result.json
            await pilot.pause(0.5)
            await app.workers.wait_for_complete()
            await pilot.pause(0.3)
            detail = app.screen.query_one("#detail-curves-sweep")
            assert [p["level"] for p in detail.points] == [1, 2, 4]
