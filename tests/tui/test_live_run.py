"""The live-run screen: fixed-feed snapshots, the redraw rate, Stop, and a runner that crashes.

Snapshots feed a real ``LiveRun`` a fixed message sequence under a fake clock
(no runner); the Stop and crash tests run the real runner on the embedded
model (about 10-40 s each on 2 cores).
"""

from __future__ import annotations

import asyncio
import math
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from results_data import settle, settle_live

from accelmark_tui.engine.live import LiveRun
from accelmark_tui.engine.messages import decode
from accelmark_tui.engine.session import RunRequest

SIZES = {"wide": (120, 40), "small": (80, 24)}


SCENARIOS = ["accuracy", "offline", "online", "interactive"]

OFFLINE_BLOCK = {"results_by_concurrency": [
    {"client_concurrency": 1, "throughput_tokens_per_sec": 96.41, "throughput_tokens_per_sec_total": 301.2,
     "elapsed_seconds_median": 10.6, "oom": False,
     "reliability": {"n": 3, "mean": 96.41, "std": 1.2, "cv_pct": 1.24, "stability": "stable"}},
    {"client_concurrency": 4, "throughput_tokens_per_sec": 171.88, "throughput_tokens_per_sec_total": 540.3,
     "elapsed_seconds_median": 5.9, "oom": False,
     "reliability": {"n": 3, "mean": 171.88, "std": 7.9, "cv_pct": 4.6, "stability": "noisy"}}]}
ACCURACY_BLOCK = {"score": 0.27, "correct": 27, "items": 100, "answered": 96, "failed": 0, "complete": True,
                  "chance_score": 0.25, "baseline_score": None, "baseline_delta": None, "valid": False,
                  "precision": "INT4", "framework": "llama.cpp (llama-cpp-python)"}


def feed(live: LiveRun, clock, scenario: str, seconds: float, total: int, rate: float,
         finish: bool = True) -> None:
    """20 ticks a second of a steady scenario: tokens at about ``rate`` tok/s, a sample every 0.5 s."""
    live.handle(decode({"type": "scenario_start", "scenario": scenario, "total": total, "runs": 1, "steps": 2}))
    live.handle(decode({"type": "step_start", "scenario": scenario, "run": 0, "step": 0, "level": 1, "mode": "closed",
                        "requests": total}))
    tokens, t0 = 0.0, clock.t
    n = int(seconds * 20)
    for i in range(n):
        clock.t += 0.05
        tokens += rate * 0.05 * (1 + 0.25 * math.sin(i / 15))
        samples = []
        if i % 10 == 9:
            k = i // 10
            samples = [[180 + 40 * math.sin(k), 9 + 2 * math.cos(k / 2), 900.0, 0.4 + 0.1 * (k % 3), 64, 1, False]]
        live.handle(decode({"type": "tick", "in_flight": 1 + (i // 20) % 4, "failed": 0, "gen_tokens": int(tokens),
                            "samples": samples}))
        done = int(total * (i + 1) / n) if finish else int(total * (i + 1) / (2 * n))
        live.progress.done = min(done, total)  # samples are lossy; pin the count to the plan
    if finish:
        live.handle(decode({"type": "scenario_end", "scenario": scenario, "seconds": clock.t - t0}))


def fixed_live(clock) -> LiveRun:
    """accuracy and offline finished, online half-way; interactive still to come."""
    live = LiveRun()
    live.started = clock.t  # the dataclass default took the real clock
    live.note("runner cpu_llamacpp_fcba25f1, suite suite_Quick, scenarios " + ", ".join(SCENARIOS))
    live.phase = "loading"
    clock.t += 0.4
    live.handle(decode({"type": "loaded", "info": {"n_ctx": 2048}, "load_seconds": 0.4}))
    feed(live, clock, "accuracy", 8, 100, 40)
    live.scenario_finished("accuracy", ACCURACY_BLOCK)
    feed(live, clock, "offline", 20, 96, 150)
    live.scenario_finished("offline", OFFLINE_BLOCK)
    feed(live, clock, "online", 10, 24, 90, finish=False)
    return live


def fake_session(live: LiveRun, todo=SCENARIOS) -> SimpleNamespace:
    return SimpleNamespace(
        live=live, todo=list(todo), proc=None, stop=lambda now=False: None,
        suite=SimpleNamespace(id="suite_Quick"), runner=SimpleNamespace(id="cpu_llamacpp_fcba25f1"),
        model=SimpleNamespace(model_id="HuggingFaceTB/SmolLM2-135M-Instruct", extra={"file_type_name": "Q4_1"}),
        run_dir=SimpleNamespace(path=Path("/results/community/intelr_xeonr_processorx1_suite_Quick_cpu_llamacpp_"
                                          "fcba25f1_4190b9fb")),
    )


# ── snapshots (fixed feed, no runner) ────────────────────────────────────────


@pytest.mark.parametrize("size", ["wide", "small"])
def test_live_snapshot(live_app, size, snap_compare, clock, services, monkeypatch):
    from accelmark_tui.screens import home
    from accelmark_tui.screens.live_run import LiveRunScreen

    monkeypatch.setattr(home.HomeScreen, "SAMPLE_SECONDS", 3600.0)
    monkeypatch.setattr(LiveRunScreen, "TELEMETRY_PERIOD_S", 3600.0)  # one sample: a fixed picture
    live = fixed_live(clock)
    app = live_app(lambda: LiveRunScreen(session=fake_session(live), start=False), services=services)
    app.theme = "textual-dark"

    assert snap_compare(app, terminal_size=SIZES[size], run_before=settle_live)


def test_live_snapshot_light_theme_finished(live_app, snap_compare, clock, services, monkeypatch):
    """The end of a run in the light theme: every table listed, the summary line, stop keys gone."""
    from accelmark_tui.engine.session import RunOutcome
    from accelmark_tui.screens import home
    from accelmark_tui.screens.live_run import LiveRunScreen

    monkeypatch.setattr(home.HomeScreen, "SAMPLE_SECONDS", 3600.0)
    monkeypatch.setattr(LiveRunScreen, "TELEMETRY_PERIOD_S", 3600.0)
    live = fixed_live(clock)
    clock.t += 1
    live.handle(decode({"type": "scenario_end", "scenario": "online", "seconds": 12.0}))
    live.scenario_finished("online", ONLINE_BLOCK)
    feed(live, clock, "interactive", 6, 8, 70)
    live.scenario_finished("interactive", INTERACTIVE_BLOCK)
    live.phase = "finished"
    session = fake_session(live)
    screen = LiveRunScreen(session=session, start=False)
    app = live_app(lambda: screen, services=services)
    app.theme = "textual-light"

    async def run_before(pilot) -> None:
        await settle(pilot)
        screen._finished(RunOutcome(session.run_dir.path, "complete", list(SCENARIOS),
                                    f"Results: {session.run_dir.path}"))
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZES["wide"], run_before=run_before)


ONLINE_BLOCK = {"sla_ttft_ms": 1000, "max_valid_qps": 2, "results_by_qps": [
    {"target_qps": 1, "achieved_qps": 0.98, "ttft_ms_p50": 160.2, "ttft_ms_p90": 240.0, "ttft_ms_p99": 301.5,
     "tpot_ms_p50": 9.81, "tpot_ms_p90": 11.2, "tpot_ms_p99": 12.9, "sla_met": True},
    {"target_qps": 2, "achieved_qps": 1.91, "ttft_ms_p50": 210.7, "ttft_ms_p90": 520.3, "ttft_ms_p99": 880.4,
     "tpot_ms_p50": 12.4, "tpot_ms_p90": 15.0, "tpot_ms_p99": 18.2, "sla_met": True}]}
INTERACTIVE_BLOCK = {"ttft_ms_p50": 131.0, "ttft_ms_p90": 160.4, "ttft_ms_p99": 171.9, "tpot_ms_p50": 8.21,
                     "tpot_ms_p90": 8.9, "tpot_ms_p99": 9.6, "decode_tokens_per_sec": 118.3}


@pytest.mark.anyio
@pytest.mark.parametrize("size", ["wide", "small"])
async def test_stopping_shows_the_in_flight_requests_instead_of_an_eta(live_app, clock, services, size):
    """s on a live run: the status line and the scenario's progress line say "stopping…" with the
    requests still in flight, and no ETA (it would count on through the wind-down)."""
    from accelmark_tui.screens.live_run import LiveRunScreen
    from accelmark_tui.screens.widgets.progress import ProgressPanel

    live = fixed_live(clock)  # online half-way
    session = fake_session(live)
    session.proc = SimpleNamespace()  # a runner exists: the stop goes to the session at once
    session.stop = lambda now=False: live.begin_stop()
    screen = LiveRunScreen(session=session, start=False)
    app = live_app(lambda: screen, services=services)
    async with app.run_test(size=SIZES[size]) as pilot:
        await settle(pilot)
        assert "ETA" in str(screen.query_one("#live-status").render())
        await pilot.press("s")
        live.handle(decode({"type": "tick", "in_flight": 2, "gen_tokens": 10_000, "samples": []}))
        screen._redraw()
        await pilot.pause()
        assert screen.state == "stopping"
        status = str(screen.query_one("#live-status").render())
        assert status.startswith("Stopping… 2 in flight") and "ETA" not in status
        panel = screen.query_one("#live-progress", ProgressPanel)
        online = next(line for line in panel.lines if line[0] == "online")
        assert online[1] == "running" and online[4].endswith("stopping… 2 in flight")
        drawn = "\n".join(strip.text for strip in panel.build_rows())
        # At 80 columns the panel's line has room for the count only; the status line says the rest.
        assert ("stopping… 2 in flight" if size == "wide" else " 2 in flight ") in drawn and "ETA" not in drawn


# ── the fixed-rate rule (fixed feed, far faster than a runner sends) ─────────


@pytest.mark.anyio
async def test_redraws_at_a_fixed_rate_whatever_the_feed_rate(live_app, services):
    """200 feed messages a second; the screen still redraws REDRAW_HZ times a second (≤ 10),
    re-plots charts at most once a second, and shows the newest count."""
    import threading

    from accelmark_tui.screens.live_run import LiveRunScreen

    live = LiveRun()
    live.handle(decode({"type": "loaded", "info": {}, "load_seconds": 0.1}))
    live.handle(decode({"type": "scenario_start", "scenario": "offline", "total": 100000, "runs": 1, "steps": 1}))
    stop = threading.Event()
    sent = [0]

    def producer() -> None:
        tokens = 0
        while not stop.is_set():
            sent[0] += 1
            tokens += 3
            live.handle(decode({"type": "tick", "in_flight": 4, "failed": 0, "gen_tokens": tokens,
                                "samples": [[120.0, 9.0, 600.0, 0.3, 64, 1, False]]}))
            time.sleep(0.005)

    threading.Thread(target=producer, daemon=True).start()
    screen = LiveRunScreen(session=fake_session(live, ["offline"]), start=False)
    app = live_app(lambda: screen, services=services)
    try:
        async with app.run_test(size=SIZES["wide"]) as pilot:
            await pilot.pause(0.5)
            charts = list(screen.query("LiveChart"))
            r0, d0, s0 = screen.redraws, [c.draws for c in charts], sent[0]
            await asyncio.sleep(2.0)
            redraws = (screen.redraws - r0) / 2.0
            draws = [(c.draws - d) / 2.0 for c, d in zip(charts, d0)]
            messages = (sent[0] - s0) / 2.0
            status = str(screen.query_one("#live-status").render())
    finally:
        stop.set()
    assert messages > 100, messages  # the feed really was fast
    assert 0.5 <= redraws <= min(10, LiveRunScreen.REDRAW_HZ + 0.5), redraws
    assert all(d <= 1.0 / LiveRunScreen.CHART_PERIOD_S + 0.5 for d in draws), draws
    assert "requests" in status and "tok/s" in status


@pytest.mark.anyio
async def test_panels_keep_no_timer_and_draw_from_the_snapshot(live_app, services, clock, monkeypatch):
    """Every timer the live screen runs is its own redraw (Textual's ProgressBar ticked every second
    for an ETA we do not show: a frame a second of the app's CPU). The progress and gauge panels
    show what the snapshot says, and telemetry arrives without a worker."""
    from accelmark_tui.screens.live_run import LiveRunScreen
    from accelmark_tui.screens.widgets.gauges import LoadPanel
    from accelmark_tui.screens.widgets.progress import ProgressPanel

    monkeypatch.setattr(LiveRunScreen, "TELEMETRY_PERIOD_S", 3600.0)  # one sample
    screen = LiveRunScreen(session=fake_session(fixed_live(clock)), start=False)
    app = live_app(lambda: screen, services=services)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle_live(pilot)
        assert [t for node in screen.walk_children() for t in node._timers] == []  # no widget ticks
        assert screen._timer in screen._timers
        assert not [w for w in app.workers if w.group != "run"]
        progress = screen.query_one("#live-progress", ProgressPanel)
        assert [ln[:4] for ln in progress.lines] == [("accuracy", "done", 1, 1), ("offline", "done", 1, 1),
                                                    ("online", "running", 12, 24), ("interactive", "pending", 0, 1)]
        gauges = screen.query_one("#live-gauges", LoadPanel)
        samples = screen.telemetry()
        assert samples and gauges.value("CPU %") == f"{samples[-1]['cpu_percent']:.0f}"
        assert gauges.value("in flight") == str(screen.session.live.snapshot().in_flight)


@pytest.mark.anyio
async def test_timer_pauses_while_covered(live_app, services, clock):
    from accelmark_tui.screens.live_run import LiveRunScreen

    screen = LiveRunScreen(session=fake_session(fixed_live(clock)), start=False)
    app = live_app(lambda: screen, services=services)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await pilot.pause(0.3)
        await pilot.press("f1")  # help covers the live screen
        await pilot.pause(0.2)
        before = screen.redraws
        await asyncio.sleep(1.0)
        assert screen.redraws == before
        await pilot.press("escape")
        await pilot.pause(0.6)
        assert screen.redraws > before


@pytest.mark.anyio
async def test_a_retime_while_covered_starts_paused(live_app, services, clock):
    """The redraw slows to every 2 s once the runner turns out to fill the cores; if help covers the
    screen at that moment, the new timer waits for the screen to be shown again."""
    from accelmark_tui.screens.live_run import LiveRunScreen

    screen = LiveRunScreen(session=fake_session(fixed_live(clock)), start=False)
    app = live_app(lambda: screen, services=services)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await pilot.pause(0.3)
        await pilot.press("f1")
        await pilot.pause(0.2)
        screen._retime(0.3)
        before = screen.redraws
        await asyncio.sleep(1.0)
        assert screen.redraws == before
        await pilot.press("escape")
        await pilot.pause(1.0)
        assert screen.redraws >= before + 2  # the forced frame, then the 0.3 s timer


@pytest.mark.anyio
async def test_failed_run_tells_listeners_its_error(live_app, services, clock, tmp_path):
    """The autorun report (what bench/ui_overhead.py reads) carries the failure's sentence."""
    import json

    from accelmark_tui.errors import UsageError
    from accelmark_tui.screens.live_run import LiveRunScreen
    from accelmark_tui.ui.autorun import Reporter

    screen = LiveRunScreen(session=fake_session(fixed_live(clock)), start=False)
    app = live_app(lambda: screen, services=services)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await pilot.pause(0.3)
        screen.state_listeners.append(Reporter(app, tmp_path / "report.json", quit_after=60))
        screen._failed(UsageError("The model file is not a GGUF file."))
        await pilot.pause(0.2)
        doc = json.loads((tmp_path / "report.json").read_text())
        assert doc["state"] == "failed" and doc["error"] == "The model file is not a GGUF file."


@pytest.mark.anyio
async def test_progress_panel_says_when_nothing_is_left_even_after_painting():
    from textual.app import App

    from accelmark_tui.screens.widgets.progress import NOTHING, ProgressPanel

    class One(App):
        def compose(self):
            yield ProgressPanel(id="p")

    async with One().run_test(size=(80, 10)) as pilot:
        panel = pilot.app.query_one(ProgressPanel)
        await pilot.pause(0.1)  # painted with no lines yet
        panel.set_scenarios([])
        await pilot.pause(0.1)
        assert panel.size.height == 1 and panel.render_line(0).text.startswith(NOTHING[:20])


# ── real runs on the embedded model ──────────────────────────────────────────


def _real_app(tmp_path):
    from accelmark_tui.ui.services import Services

    svc = Services.real(output_dir=str(tmp_path / "results"))
    return svc


async def _wait(pilot, predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.2)


@pytest.mark.e2e
@pytest.mark.anyio
async def test_stop_keeps_finished_scenarios(live_app, tmp_path):
    """interactive finishes, s stops offline gracefully: interactive is kept, the run is incomplete.
    Also counts redraws over a second of the real run."""
    from accelmark_tui.results.store import find_run, load_run
    from accelmark_tui.screens.live_run import LiveRunScreen

    request = RunRequest(scenario="interactive,offline", runs=1, warmup=0, max_tokens=16)
    screen = LiveRunScreen(request)
    app = live_app(lambda: screen, services=_real_app(tmp_path))
    async with app.run_test(size=SIZES["small"]) as pilot:
        await _wait(pilot, lambda: screen.state == "running", 60, "the run to start")
        assert app.live_session is screen.session
        r0 = screen.redraws
        await asyncio.sleep(1.0)
        assert screen.redraws - r0 <= 10
        await _wait(pilot, lambda: "interactive" in screen.session.live.snapshot().scenarios_done, 300,
                    "interactive to finish")
        await pilot.press("s")
        await _wait(pilot, lambda: screen.state not in ("running", "stopping"), 300, "the stop")
        await pilot.pause(0.3)
        assert screen.state == "stopped", screen.error
        assert screen.outcome.status == "stopped"
        assert app.live_session is None
        assert screen.query_one("#result-interactive")  # its table stays on the screen
        status = str(screen.query_one("#live-status").render())
        assert "Stopped" in status and "interactive" in status
        run = load_run(find_run(str(screen.outcome.run_dir), tmp_path / "results"))
        assert run.status == "incomplete" and "interactive" in run.metrics()
        assert run.state.scenarios_done == ["interactive"]
        await pilot.press("enter")  # opens what was kept
        await pilot.pause(0.5)
        assert type(app.screen).__name__ == "RunDetailScreen"


@pytest.mark.e2e
@pytest.mark.anyio
async def test_runner_crash_shows_the_sentence_and_the_app_stays_up(live_app, tmp_path):
    """A GGUF that parses but that llama.cpp cannot load: the runner sends llama.cpp's sentence and exits at load."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "tiny_gguf", Path(__file__).resolve().parents[1] / "fixtures" / "models" / "tiny_gguf.py")
    tiny = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tiny)
    model = tiny.write_gguf(tmp_path / "tiny.gguf")
    from accelmark_tui.screens.error_modal import ErrorModal
    from accelmark_tui.screens.live_run import LiveRunScreen

    screen = LiveRunScreen(RunRequest(model=str(model), scenario="interactive", runs=1))
    app = live_app(lambda: screen, services=_real_app(tmp_path))
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await _wait(pilot, lambda: screen.state == "failed", 120, "the failure")
        await pilot.pause(0.3)
        assert isinstance(app.screen, ErrorModal)
        assert "could not load" in app.screen.text and app.screen.text.count(". ") <= 1
        assert app.live_session is None
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert app.screen is screen and app.is_running
        assert "Failed" in str(screen.query_one("#live-status").render())
        await pilot.press("escape")  # the run has ended: back is allowed
        await pilot.pause(0.2)
        assert app.screen is not screen


@pytest.mark.anyio
async def test_bad_model_is_an_error_dialog_before_anything_runs(live_app, tmp_path):
    """A truncated GGUF fails in prepare with the engine's sentence; nothing starts."""
    from accelmark_tui.engine.models import EMBEDDED_FILE, EMBEDDED_PACKAGE, packaged_file
    from accelmark_tui.screens.error_modal import ErrorModal
    from accelmark_tui.screens.live_run import LiveRunScreen

    src = packaged_file(EMBEDDED_PACKAGE, EMBEDDED_FILE)
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(src.read_bytes()[: 1 << 20])
    screen = LiveRunScreen(RunRequest(model=str(cut), scenario="interactive", runs=1))
    app = live_app(lambda: screen, services=_real_app(tmp_path))
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await _wait(pilot, lambda: screen.state == "failed", 60, "the failure")
        await pilot.pause(0.3)
        assert isinstance(app.screen, ErrorModal) and "truncated" in app.screen.text
        assert screen.session.proc is None  # no runner was started


def test_status_and_summary_words(clock):
    from accelmark_tui.engine.session import RunOutcome
    from accelmark_tui.screens.widgets.live_text import failure, status_line, summary

    live = fixed_live(clock)
    snap = live.snapshot()
    line = status_line(snap, "running")
    assert line.startswith("[b]online[/b] run 1/1, level 1 · 12/24 requests") and "ETA 9s" in line
    assert status_line(snap, "stopping").startswith("[b]Stopping…[/b]")  # asked to, the runner not yet told
    assert status_line(LiveRun().snapshot(), "preparing").startswith("Preparing")
    done = summary(RunOutcome(Path("/r"), "stopped", ["accuracy", "offline"], "Stopped: kept [offline]"), snap, True)
    assert "[b]Stopped[/b] after 38s." in done and "offline: c=1: 96.41 tok/s" in done
    assert "kept \\[offline]" in done and "enter" in done  # outside text is escaped, not markup
    assert "enter" not in failure("The runner process exited with status 1.", False)


@pytest.mark.anyio
async def test_keys_offered_are_the_keys_that_work_and_one_key_goes_home(live_app, clock, services):
    """While running: stop keys only (no Open result, no Back); after the run: Open, Back and h → home."""
    from accelmark_tui.engine.session import RunOutcome
    from accelmark_tui.screens.live_run import LiveRunScreen

    live = fixed_live(clock)
    session = fake_session(live)
    screen = LiveRunScreen(session=session, start=False)
    app = live_app(lambda: screen, services=services)

    def shown() -> set[str]:
        return {b.id for _, b, enabled, _ in screen.active_bindings.values() if b.show and enabled}

    async with app.run_test(size=SIZES["small"]) as pilot:
        await settle(pilot)
        screen._set_state("running")
        await pilot.pause()
        assert {"live.stop", "live.stop-now"} <= shown()
        assert not shown() & {"live.open-detail", "live.back", "live.home"}
        await pilot.press("escape")  # says how to stop instead of leaving
        await pilot.pause()
        assert app.screen is screen and any(n.title == "Run in progress" for n in app._notifications)
        live.phase = "finished"
        screen._finished(RunOutcome(session.run_dir.path, "complete", list(SCENARIOS), "done"))
        await pilot.pause(0.2)
        assert {"live.open-detail", "live.back", "live.home"} <= shown() and "live.stop" not in shown()
        await pilot.press("h")
        await pilot.pause()
        assert type(app.screen).__name__ == "HomeScreen" and len(app.screen_stack) == 1


@pytest.mark.anyio
async def test_chart_titles_fit_at_80_columns(live_app, clock, services):
    """The latency chart's title and legend used to share one border and were cut ("━TPOT …")."""
    from accelmark_tui.screens.live_run import LiveRunScreen

    screen = LiveRunScreen(session=fake_session(fixed_live(clock)), start=False)
    app = live_app(lambda: screen, services=services)
    async with app.run_test(size=SIZES["small"]) as pilot:
        await settle(pilot)
        chart = screen.query_one("#chart-latency")
        import re

        for text in (chart.border_title, chart.border_subtitle):
            plain = re.sub(r"\[/?[^\]]*\]", "", text)  # Textual's [$colour]…[/] tags
            assert len(plain) + 4 <= chart.outer_size.width, plain  # two corners and a space each side
        assert "TPOT p50" in chart.border_subtitle and chart.border_title == "Latency ms"


def test_status_line_fits_80_columns_with_its_eta(clock):
    """At 80 columns the words shorten so the ETA at the end is whole (it read "· ET…" in a walk)."""
    import dataclasses

    from accelmark_tui.screens.widgets.live_text import _TAG, status_line

    snap = dataclasses.replace(fixed_live(clock).snapshot(), run=0, runs=3, level=2.0, done=14, total=60,
                               elapsed_s=86.0, eta_s=70.0)
    wide = status_line(snap, "running", room=118)
    assert "60 requests" in wide and "elapsed 1m26s" in wide
    narrow = _TAG.sub("", status_line(snap, "running", room=78))
    assert len(narrow) <= 78 and narrow.endswith("ETA 1m10s") and "14/60 req ·" in narrow
