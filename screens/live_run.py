"""Flow 4: a benchmark run, watched live.

The run is blocking engine work (``RunSession.prepare`` then ``execute``) in a
thread worker. The screen never hears from the runner directly: a timer pulls
``session.live.snapshot()`` at ``REDRAW_HZ`` and redraws what changed, so the
UI costs the same whether the runner makes 10 or 10,000 tokens a second, and
the timer pauses while another screen (help, an error) covers this one.
Hardware telemetry is sampled on a plain thread (``ui.sampler``) that the redraw reads.
When the runner's threads take every core, the whole screen redraws every two seconds instead
of every second: each frame of the app is CPU time taken from the benchmark it shows.
While a ``sweep`` or ``peak`` scenario runs, the two time charts give way to
its curves (``widgets.curves``), which grow by one point per finished level.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Header, Log, Static
from textual.worker import Worker, WorkerState

from accelmark_tui.scenarios import registry
from accelmark_tui.screens.widgets import live_text
from accelmark_tui.screens.widgets.charts import LiveChart
from accelmark_tui.screens.widgets.curves import CurvesPanel
from accelmark_tui.screens.widgets.gauges import LoadPanel
from accelmark_tui.screens.widgets.progress import ProgressPanel
from accelmark_tui.screens.widgets.tables import BlockTable
from accelmark_tui.screens.catalog import short_runner
from accelmark_tui.ui.base import AccelmarkScreen
from accelmark_tui.ui.sampler import SamplingScreen

if TYPE_CHECKING:
    from accelmark_tui.engine.live import LiveSnapshot

LATENCY_KEYS = [("success", "TTFT p50"), ("warning", "p90"), ("secondary", "TPOT p50")]
STATES = ("preparing", "running", "stopping", "done", "stopped", "failed", "watching")
LIVE = ("preparing", "running", "stopping", "watching")  # states in which the screen keeps redrawing


class LiveRunScreen(SamplingScreen, AccelmarkScreen):
    CSS_PATH = Path(__file__).with_name("live_run.tcss")
    HELP_TEXT = ("A benchmark run, live: output tok/s and latency over time, load and hardware gauges, "
                 "per-scenario progress and the runner's log. A sweep shows throughput against per-user speed and "
                 "TTFT against concurrency instead, point by point; a peak search its trials against the SLA. "
                 "Each scenario's table appears when it finishes. "
                 "s stops gracefully (finished requests are kept, the scenario in progress as a partial block; run "
                 "again to resume at the next request), S stops now.")
    # Every wake-up of the app is taken from the runner on a small machine (2 cores, 2 llama.cpp
    # threads that wait for each other each token): one frame a second, everything in it. Key presses
    # are handled at once and redraw at once; only the pull from the engine waits for the tick.
    REDRAW_HZ = 1.0
    CHART_PERIOD_S = 1.0
    # When the runner's threads take every core, the whole frame (charts, gauges, progress, status)
    # comes every two seconds, and so does the telemetry sample.
    CHART_PERIOD_BUSY_S = 2.0
    TELEMETRY_PERIOD_S = 1.0

    BINDINGS = [
        Binding("s", "stop", "Stop", id="live.stop",
                tooltip="Stop gracefully: in-flight requests finish, every finished request is kept, the run is "
                        "marked incomplete and resumes next time"),
        Binding("S", "stop_now", "Stop now", id="live.stop-now",
                tooltip="Kill the runner now; finished scenarios are kept, the scenario in progress is lost"),
        Binding("enter", "open_detail", "Open result", id="live.open-detail",
                tooltip="Open the finished run's detail (every table, accuracy, environment, export)"),
        Binding("h", "home", "Home", id="live.home", tooltip="Back to the home screen in one key"),
        Binding("escape", "back", "Back", id="live.back", tooltip="Go back to run setup (once the run has ended)"),
        # While the run is live Esc only says how to stop it; the footer shows no Back it would not do.
        Binding("escape", "still_running", "Back", id="live.busy", show=False,
                tooltip="The run is still going: s stops it"),
    ]

    def __init__(self, request: Any = None, *, session: Any = None, start: bool = True,
                 name: str | None = None, id: str | None = None) -> None:
        """``request``: a RunRequest to prepare and run. Tests may pass a ``session`` whose
        ``live`` they feed themselves, with ``start=False`` (nothing is run)."""
        super().__init__(name=name, id=id)
        self.request = request
        self.session = session
        self._start = start
        self.state = "preparing" if start else "watching"
        self.outcome = None
        self.error: str | None = None
        self.redraws = 0  # timer redraws (tests check the rate)
        self._stop_requested: str | None = None  # "graceful" | "now", sent once the runner exists
        self._stop_sent = False
        self._log_seen = 0
        self._shown_results: set[str] = set()
        self._timer = None
        self._interval = 1.0 / self.REDRAW_HZ  # the redraw timer's; _retime changes it
        self._charted_at = float("-inf")
        self._chart_period = self.CHART_PERIOD_S
        self._status_text = ""
        self._slas: dict[str, float | None] = {}  # scenario → its SLA TTFT (ms), from the session's plans
        # Called with (screen, state) on every state change (the bench's autorun report listens).
        self.state_listeners: list = []

    # -- layout ------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="live-head"):
            yield Static("", id="live-title")
            yield Static("", id="live-path")
            yield Static("Preparing: checking the runner, suite and model…", id="live-status")
        with VerticalScroll(id="live-body"):
            with Horizontal(id="live-charts"):
                yield LiveChart(id="chart-tok-s")
                yield LiveChart(id="chart-latency")
                yield CurvesPanel(id="live-curves")
            with Horizontal(id="live-panels"):
                yield ProgressPanel(id="live-progress")
                yield LoadPanel(id="live-gauges")
            yield Log(id="live-log", max_lines=500, auto_scroll=True)
            yield Vertical(id="live-results")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#chart-tok-s", LiveChart).key_title("Output tok/s", [])
        self.query_one("#chart-latency", LiveChart).key_title("Latency ms", LATENCY_KEYS)
        self.query_one("#live-progress").border_title = "Scenarios"
        self.query_one("#live-gauges").border_title = "Load and hardware"
        self.query_one("#live-log").border_title = "Log"
        self.query_one("#live-results").border_title = "Finished scenarios"
        self._set_state(self.state)
        if self._start:
            self._run()
        elif self.session is not None:
            self._prepared()
        self.start_sampling(self.TELEMETRY_PERIOD_S)
        self._timer = self.set_interval(self._interval, self._redraw)
        self._redraw()

    # -- the pause rule: no redraws while another screen covers this one ------------------
    # (SamplingScreen pauses and resumes the telemetry sampler on the same events.)
    def on_screen_suspend(self) -> None:
        if self._timer is not None:
            self._timer.pause()

    def on_screen_resume(self) -> None:
        if self.state in LIVE and self._timer is not None:
            self._timer.resume()
            self._redraw(force=True)

    def telemetry(self) -> list[dict]:
        return self._sampler.snapshot() if self._sampler is not None else []

    # -- workers -----------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="run", exit_on_error=False)
    def _run(self):
        """prepare + execute, blocking; the result arrives in on_worker_state_changed."""
        if self.session is None:
            self.session = self.app.services.new_session(self.request)
        self.session.prepare()
        self.app.call_from_thread(self._prepared)
        if self._stop_requested:
            return None  # stopped before the runner started: nothing to run
        return self.session.execute()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "run":
            return  # others reach the base class
        if event.state == WorkerState.SUCCESS:
            self._finished(event.worker.result)
        elif event.state == WorkerState.ERROR:
            event.prevent_default()  # _failed shows the dialog itself, titled for a run
            self._failed(event.worker.error)

    # -- run lifecycle (UI thread) ----------------------------------------------------------------
    def _prepared(self) -> None:
        s = self.session
        if self._start:
            self.app.live_session = s  # ctrl+q now asks before quitting
            self._set_state("running")
            self._retime(self._period_for(s))
        model = getattr(s, "model", None)
        quant = (getattr(model, "extra", None) or {}).get("file_type_name") if model is not None else None
        runner_id = getattr(getattr(s, "runner", None), "id", None)  # the hash is in the results path below
        parts = [getattr(getattr(s, "suite", None), "id", None), short_runner(runner_id) if runner_id else None,
                 (model.model_id + (f" ({quant})" if quant else "")) if model is not None else None]
        self.query_one("#live-title", Static).update(" · ".join(p for p in parts if p))
        run_dir = getattr(getattr(s, "run_dir", None), "path", None)
        self.query_one("#live-path", Static).update(f"results: {run_dir}" if run_dir is not None else "")
        self.query_one("#live-progress", ProgressPanel).set_scenarios(getattr(s, "todo", None) or [])
        self._slas = {p.get("name"): p.get("sla_ttft_ms") for p in getattr(s, "plans", None) or []
                      if isinstance(p, dict)}

    def _period_for(self, session: Any) -> float:
        machine = getattr(session, "machine", None)
        threads = getattr(getattr(session, "req", None), "threads", None) or (
            machine.recommended_threads() if machine is not None else None)
        spare = (os.cpu_count() or 1) - (threads or 0)
        return self.CHART_PERIOD_S if threads is None or spare >= 1 else self.CHART_PERIOD_BUSY_S

    def _retime(self, period: float) -> None:
        """The whole frame every ``period`` seconds (at least the base rate's interval)."""
        self._chart_period = period
        if self._sampler is not None:
            self._sampler.period = max(self.TELEMETRY_PERIOD_S, period)
        interval = max(1.0 / self.REDRAW_HZ, period)
        if self._timer is not None and interval != self._interval:
            self._timer.stop()
            # Covered (help, a dialog): start paused; on_screen_resume resumes it.
            self._timer = self.set_interval(interval, self._redraw, pause=self.app.screen is not self)
        self._interval = interval

    def _finished(self, outcome) -> None:
        self.outcome = outcome
        self._release()
        ok = outcome is not None and outcome.status in ("complete", "already-complete")
        self._set_state("done" if ok else "stopped")
        self._redraw(force=True)
        snap = self.session.live.snapshot()
        self._status(live_text.summary(outcome, snap, self._result_dir() is not None))
        self._end_timers()

    def _failed(self, exc: BaseException | None) -> None:
        from accelmark_tui.errors import user_message

        self._release()
        self.error = user_message(exc) if exc is not None else "The run failed."  # before listeners hear
        self._set_state("failed")
        self._redraw(force=True)  # finished scenarios stay listed
        self._status(live_text.failure(self.error, self._result_dir() is not None))
        self._end_timers()
        self.app.show_error(exc if exc is not None else self.error, title="The run failed")

    def _release(self) -> None:
        if getattr(self.app, "live_session", None) is self.session:
            self.app.live_session = None

    def _end_timers(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        if self._sampler is not None:
            self._sampler.stop()

    def _set_state(self, state: str) -> None:
        self.state = state
        # One class update (one style pass over the screen), not one per state class.
        self.update_classes({f"-{s}": s == state for s in STATES})
        self.refresh_bindings()
        for listener in self.state_listeners:
            listener(self, state)

    def _status(self, text: str) -> None:
        # While live the status is one fixed-height line, so an update repaints it without a layout
        # pass over the whole screen; at the end it grows to fit the summary. Unchanged: no repaint.
        if text == self._status_text:
            return
        self._status_text = text
        self.query_one("#live-status", Static).update(text, layout=self.state not in LIVE)

    # -- actions ------------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple) -> bool | None:
        live = self.state in LIVE
        if action in ("stop", "stop_now", "still_running"):
            return live  # hidden once the run has ended
        if action in ("back", "home"):
            return not live  # offered once the run has ended
        if action == "open_detail":
            return self._result_dir() is not None  # shown only where there is a result to open
        return True

    def action_stop(self) -> None:
        self._request_stop("graceful")

    def action_stop_now(self) -> None:
        self._request_stop("now")

    def _request_stop(self, how: str) -> None:
        if self.state not in LIVE:
            return
        if self._stop_requested == how:
            return
        self._stop_requested, self._stop_sent = how, False
        self._set_state("stopping")
        self._send_stop()
        self._redraw()  # show "Stopping" now, not at the next tick

    def _send_stop(self) -> None:
        """Ask the session to stop once its runner process exists (a stop during prepare waits)."""
        s = self.session
        if self._stop_requested and not self._stop_sent and s is not None and getattr(s, "proc", None) is not None:
            self._stop_sent = True
            now = self._stop_requested == "now"
            s.live.note("stopping now: the runner is killed" if now else
                        "stopping: in-flight requests finish and every finished request is kept, nothing new is sent")
            s.stop(now=now)

    def _result_dir(self) -> Path | None:
        if self.state not in ("done", "stopped", "failed"):
            return None
        path = getattr(self.outcome, "run_dir", None) or getattr(getattr(self.session, "run_dir", None), "path", None)
        if path is None:
            return None
        complete = getattr(self.outcome, "status", None) in ("complete", "already-complete")
        return Path(path) if complete or self._shown_results else None  # a folder with something in it

    def action_open_detail(self) -> None:
        path = self._result_dir()
        if path is None:
            return
        from accelmark_tui.screens.run_detail import RunDetailScreen

        self.app.push_screen(RunDetailScreen(str(path)))

    def action_still_running(self) -> None:
        self.notify("The run is still going: press s to stop it (finished scenarios are kept), or wait.",
                    title="Run in progress")

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_home(self) -> None:
        self.app.action_go_home()

    # -- the fixed-rate redraw ------------------------------------------------------------------------
    def _redraw(self, force: bool = False) -> None:
        """One frame from one snapshot; ``force`` also re-plots charts inside their period (run end)."""
        self.redraws += 1
        if self.session is None:
            self.query_one("#live-gauges", LoadPanel).show(None, self.telemetry())
            return
        self._send_stop()
        snap = self.session.live.snapshot()
        if self.state in LIVE:
            self._status(live_text.status_line(snap, self.state, room=self.size.width - 2))
        self.query_one("#live-progress", ProgressPanel).show(snap, self.state in ("running", "stopping", "watching"))
        now = time.monotonic()
        if force or now - self._charted_at >= self._chart_period - 0.05:
            self._charted_at = now  # the costly part (charts, gauges): once a chart period
            self._draw_charts(snap)
            self.query_one("#live-gauges", LoadPanel).show(snap, self.telemetry())
        self._draw_log(snap)
        self._draw_results(snap)

    def _draw_charts(self, snap: LiveSnapshot) -> None:
        name = snap.scenario
        curves = name in registry.CURVES
        if curves != self.has_class("-curves"):
            self.set_class(curves, "-curves")
        if curves:
            self.query_one("#live-curves", CurvesPanel).show(
                name, snap.curves.get(name, []), snap.peaks.get(name), self._slas.get(name))
            return
        self.query_one("#chart-tok-s", LiveChart).show([(*snap.tok_s, "primary", "tok/s")])
        latency = (snap.ttft_p50, snap.ttft_p90, snap.tpot_p50)
        self.query_one("#chart-latency", LiveChart).show([
            (*series, colour, label) for series, (colour, label) in zip(latency, LATENCY_KEYS)])

    def _draw_log(self, snap: LiveSnapshot) -> None:
        # The engine's log is a bounded deque; log_total says how many lines are new since last time.
        new = min(snap.log_total - self._log_seen, len(snap.log))
        if new > 0:
            self.query_one("#live-log", Log).write_lines(snap.log[-new:])
        self._log_seen = snap.log_total

    def _draw_results(self, snap: LiveSnapshot) -> None:
        box = self.query_one("#live-results")
        for name in snap.scenarios_done:
            if name in self._shown_results:
                continue
            self._shown_results.add(name)
            block = snap.scenario_blocks.get(name) or {}
            box.mount(BlockTable(registry.view(name, block), id=f"result-{name}"))
            if self._start and self.state in ("running", "stopping"):
                self.notify(registry.headline(name, block) or "done", title=f"{name} finished", timeout=6, markup=False)
        box.set_class(bool(self._shown_results), "-has-results")
