"""Live view of a run: the feed folded into bounded series.

The session feeds messages in from the reader thread; a UI (or the CLI
printer) pulls ``snapshot()`` at its own fixed rate. Series are downsampled
in place when full (pairs merged), so memory stays bounded over an hour-long
sustained run while the whole run stays visible.

Each measured step's figures (``step_summary``: a sweep level, a peak-search
trial, an offline concurrency) become one point of that scenario's curve, and
a peak search's ``peak_result`` is kept beside them: the sweep view grows point
by point. Points are plain dicts (``CurvePoint``: a saved result's points have
the same keys, so one chart draws both) never changed after they are stored,
so a snapshot copies only the lists.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypedDict

from accelmark_tui.engine.messages import (Fatal, Loaded, Log, Message, Number, PeakResult, Sample, ScenarioEnd,
                                           ScenarioStart, StepStart, StepSummary, Tick, number)
from accelmark_tui.engine.stats import percentile

MAX_POINTS = 512
# Curve points kept per scenario (a sweep has a few levels × runs; a peak search ≤ 12 trials).
MAX_CURVE_POINTS = 256
MAX_CURVE_SCENARIOS = 16  # a plan has at most a handful; a confused feed cannot grow the dict


class _StepPlace(TypedDict):
    level: Number
    run: int
    step: int


class CurvePoint(_StepPlace, total=False):
    """One measured step of a curve: where it was, then the figures of its step summary a curve
    needs (``curves.point`` plus a peak trial's verdict), each one the runner sent (a number, a
    bool for ``met``/``client_bound``, or None). (Two classes, not ``Required``: Python 3.10.)"""

    requests: int | None
    failed: int | None
    request_rate: float | None
    output_tokens_per_sec: float | None
    tokens_per_sec_per_user: float | None
    ttft_ms_p50: float | None
    ttft_ms_p99: float | None
    tpot_ms_p50: float | None
    tpot_ms_p99: float | None
    met: bool | None
    client_bound: bool | None
    p99_ttft_ms: float | None
    p99_tpot_ms: float | None
    achieved_rate: float | None


# The summary's keys a point keeps: CurvePoint's own, not where the step was.
CURVE_FIELDS = tuple(k for k in CurvePoint.__annotations__ if k in CurvePoint.__optional_keys__)


class PeakFigures(TypedDict):
    """A finished peak search (``peak_result``)."""

    best: Number | None  # the highest rate that met the SLA
    bracket: list[Number | None]  # (met, missed) when it stopped
    stopped: str | None  # why it stopped


class SeriesCopy(NamedTuple):
    """A series as a snapshot has it: times (s since the run started) and values."""

    times: tuple[float, ...]
    values: tuple[float, ...]


class Series:
    """(t, value) points; when full, neighbours are averaged to halve the count."""

    def __init__(self, max_points: int = MAX_POINTS) -> None:
        self.max_points = max_points
        self.t: list[float] = []
        self.v: list[float] = []
        self._copy: SeriesCopy | None = None  # the last copy, until a point is added

    def add(self, t: float, v: float) -> None:
        self._copy = None
        self.t.append(t)
        self.v.append(v)
        if len(self.t) > self.max_points:
            self.t = [(self.t[i] + self.t[i + 1]) / 2 for i in range(0, len(self.t) - 1, 2)]
            self.v = [(self.v[i] + self.v[i + 1]) / 2 for i in range(0, len(self.v) - 1, 2)]

    def copy(self) -> SeriesCopy:
        """Immutable, so one copy serves every snapshot until the series changes (a slow run's
        latency series change every few seconds, the screen reads every second)."""
        if self._copy is None:
            self._copy = SeriesCopy(tuple(self.t), tuple(self.v))
        return self._copy


@dataclass
class Progress:
    scenario: str | None = None
    run: int = 0
    runs: int = 0
    step: int = 0
    steps: int = 0
    level: Number | None = None
    done: int = 0
    failed: int = 0
    total: int | None = None
    in_flight: int = 0
    scenario_started: float | None = None
    done_before: int = 0  # measured before this runner started (a resumed scenario): not this run's pace

    def eta_s(self) -> float | None:
        here = self.done - self.done_before
        if not self.total or here <= 0 or self.scenario_started is None:
            return None
        elapsed = time.monotonic() - self.scenario_started
        return max(0.0, elapsed * (self.total - self.done) / here)


@dataclass(frozen=True, slots=True)
class LiveSnapshot:
    """Everything a UI draws of a live run, copied at one moment (``LiveRun.snapshot``)."""

    phase: str  # starting | loading | running | stopping | finished | failed | stopped
    error: str | None  # the runner's fatal sentence
    elapsed_s: float
    model_info: dict[str, Any]
    load_seconds: float | None
    # Where the run is: the current scenario, its run and step (0-based) and level.
    scenario: str | None
    run: int
    runs: int
    step: int
    steps: int
    level: Number | None
    done: int  # measured requests of the current scenario
    failed: int
    total: int | None  # planned requests, when known
    in_flight: int  # while stopping: the requests still to finish before the runner ends
    eta_s: float | None  # None while stopping: what is left is the in-flight requests, not the plan
    tok_s: SeriesCopy  # output tok/s over a ~1 s window
    ttft_p50: SeriesCopy  # rolling over the last 256 finished requests, like the two below
    ttft_p90: SeriesCopy
    tpot_p50: SeriesCopy
    in_flight_series: SeriesCopy
    send_lag_p99: SeriesCopy
    log: tuple[str, ...]  # the last lines (bounded)
    log_total: int  # lines ever logged: the difference to the last one read is what is new
    scenarios_done: list[str]
    scenario_blocks: dict[str, dict]  # each finished scenario's result block
    curves: dict[str, list[CurvePoint]]  # scenario → one point per measured step
    peaks: dict[str, PeakFigures]  # scenario → its finished peak search
    curves_total: int  # points ever added: readers redraw curves when it changes


@dataclass
class LiveRun:
    started: float = field(default_factory=time.monotonic)
    phase: str = "starting"  # starting | loading | running | stopping | finished | failed | stopped
    model_info: dict[str, Any] = field(default_factory=dict)
    load_seconds: float | None = None
    progress: Progress = field(default_factory=Progress)
    scenarios_done: list[str] = field(default_factory=list)
    scenario_blocks: dict[str, dict] = field(default_factory=dict)
    error: str | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.tok_s = Series()
        self.ttft_p50 = Series()
        self.ttft_p90 = Series()
        self.tpot_p50 = Series()
        self.in_flight = Series()
        self.send_lag_p99 = Series()
        self.log: deque[str] = deque(maxlen=200)
        self.log_total = 0  # lines ever logged, so readers can tell what is new
        self._log_copy: tuple[str, ...] | None = None  # the last snapshot's, until a line is logged
        self._tok_hist: deque[tuple[float, int]] = deque()
        self._window: deque[Sample] = deque(maxlen=256)  # recent samples for rolling percentiles
        self.curves: dict[str, deque[CurvePoint]] = {}  # scenario → one point per measured step
        self.peaks: dict[str, PeakFigures] = {}  # scenario → its peak search's result
        self.curves_total = 0  # points ever added, so readers can tell when to redraw

    # -- feeding (reader thread) --------------------------------------------
    def handle(self, msg: Message) -> None:
        with self._lock:
            match msg:
                case Tick():
                    self._tick(time.monotonic() - self.started, msg)
                case StepStart():
                    p = self.progress
                    p.run, p.step, p.level = msg.run, msg.step, msg.level
                    self._log(f"{msg.scenario}: run {p.run + 1}, level {p.level} ({msg.mode}, "
                              f"{msg.requests} requests)")
                case StepSummary():
                    self._curve_point(msg)
                case ScenarioStart():
                    p = self.progress
                    p.scenario, p.done, p.failed, p.total = msg.scenario, msg.done, 0, msg.total
                    p.done_before = msg.done
                    p.runs, p.steps, p.scenario_started = msg.runs, msg.steps, time.monotonic()
                    self._tok_hist.clear()
                    self._log(f"{msg.scenario}: started")
                case ScenarioEnd():
                    self._log(f"{msg.scenario}: finished in {msg.seconds:.1f} s")
                case PeakResult():
                    self.peaks[msg.scenario] = {"best": msg.best, "bracket": list(msg.bracket),
                                                "stopped": msg.stopped}
                    self.curves_total += 1
                case Loaded():
                    if self.phase != "stopping":
                        self.phase = "running"
                    self.model_info = msg.info
                    self.load_seconds = msg.load_seconds
                    took = f" in {msg.load_seconds:.1f} s" if msg.load_seconds is not None else ""
                    self._log(f"model loaded{took}")
                case Fatal():
                    self.error = msg.message
                    self._log(f"runner error: {self.error}")
                case Log():
                    self._log(msg.message)

    def _tick(self, now: float, msg: Tick) -> None:
        p = self.progress
        p.in_flight = msg.in_flight
        p.failed = msg.failed
        samples = msg.samples
        p.done += sum(1 for s in samples if not s.warmup)
        out = msg.gen_tokens
        # Rate over a sliding ~1 s window: per-tick deltas (50 ms) are too grainy to read.
        hist = self._tok_hist
        if hist and out < hist[-1][1]:
            hist.clear()
        hist.append((now, out))
        while len(hist) > 2 and now - hist[1][0] >= 1.0:
            hist.popleft()
        if len(hist) >= 2 and now > hist[0][0]:
            self.tok_s.add(now, (out - hist[0][1]) / (now - hist[0][0]))
        self.in_flight.add(now, p.in_flight)
        if not samples:
            return
        window = self._window
        window.extend(s for s in samples if s.ok)
        ttft = [v for s in window if (v := s.ttft_ms) is not None]
        if ttft:  # one sort for both percentiles
            ttft.sort()
            self.ttft_p50.add(now, percentile(ttft, 50))
            self.ttft_p90.add(now, percentile(ttft, 90))
        for values, series, q in (([v for s in window if (v := s.tpot_ms) is not None], self.tpot_p50, 50),
                                  ([v for s in window if (v := s.send_lag_ms) is not None], self.send_lag_p99, 99)):
            if values:
                values.sort()
                series.add(now, percentile(values, q))

    def _curve_point(self, msg: StepSummary) -> None:
        summary, level = msg.summary, msg.level
        if summary is None or level is None:
            return
        point: CurvePoint = {"level": level, "run": msg.run, "step": msg.step}
        for key in CURVE_FIELDS:
            if key in summary:
                value = summary[key]
                point[key] = value if isinstance(value, bool) else number(value)
        series = self.curves.get(msg.scenario)
        if series is None:
            if len(self.curves) >= MAX_CURVE_SCENARIOS:
                return
            series = self.curves[msg.scenario] = deque(maxlen=MAX_CURVE_POINTS)
        series.append(point)
        self.curves_total += 1

    def _log(self, line: str) -> None:
        self.log_total += 1
        self.log.append(f"{time.strftime('%H:%M:%S')} {line}")
        self._log_copy = None

    def note(self, line: str) -> None:
        with self._lock:
            self._log(line)

    def begin_stop(self) -> None:
        """A graceful stop was asked for: in-flight requests finish, so the views show those, not an ETA."""
        with self._lock:
            if self.phase in ("starting", "loading", "running"):
                self.phase = "stopping"

    def scenario_finished(self, name: str, block: dict) -> None:
        with self._lock:
            self.scenarios_done.append(name)
            self.scenario_blocks[name] = block

    # -- reading (UI / printer) ---------------------------------------------
    def snapshot(self) -> LiveSnapshot:
        with self._lock:
            p = self.progress
            if self._log_copy is None:
                self._log_copy = tuple(self.log)
            return LiveSnapshot(
                phase=self.phase, error=self.error, elapsed_s=time.monotonic() - self.started,
                model_info=dict(self.model_info), load_seconds=self.load_seconds,
                scenario=p.scenario, run=p.run, runs=p.runs, step=p.step, steps=p.steps,
                level=p.level, done=p.done, failed=p.failed, total=p.total,
                in_flight=p.in_flight, eta_s=None if self.phase == "stopping" else p.eta_s(),
                tok_s=self.tok_s.copy(), ttft_p50=self.ttft_p50.copy(), ttft_p90=self.ttft_p90.copy(),
                tpot_p50=self.tpot_p50.copy(), in_flight_series=self.in_flight.copy(),
                send_lag_p99=self.send_lag_p99.copy(), log=self._log_copy, log_total=self.log_total,
                scenarios_done=list(self.scenarios_done), scenario_blocks=dict(self.scenario_blocks),
                # Points and peak results are never changed once stored: copying the containers is enough.
                curves={name: list(points) for name, points in self.curves.items()},
                peaks=dict(self.peaks),
                curves_total=self.curves_total,
            )
