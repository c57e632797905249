"""Live view of a run: the feed folded into bounded series.

The session feeds messages in from the reader thread; a UI (or the CLI
printer) pulls ``snapshot()`` at its own fixed rate. Series are downsampled
in place when full (pairs merged), so memory stays bounded over an hour-long
sustained run while the whole run stays visible.

Each measured step's figures (``step_summary``: a sweep level, a peak-search
trial, an offline concurrency) become one point of that scenario's curve, and
a peak search's ``peak_result`` is kept beside them: the sweep view grows point
by point. Points are plain dicts never changed after they are stored, so a
snapshot copies only the lists.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from accelmark_tui.engine.feed import SAMPLE_FIELDS
from accelmark_tui.engine.stats import percentile

MAX_POINTS = 512
# Curve points kept per scenario (a sweep has a few levels × runs; a peak search ≤ 12 trials).
MAX_CURVE_POINTS = 256
MAX_CURVE_SCENARIOS = 16  # a plan has at most a handful; a confused feed cannot grow the dict
# The figures of a step summary a curve needs (curves.point plus a peak trial's verdict).
CURVE_FIELDS = ("requests", "failed", "request_rate", "output_tokens_per_sec", "tokens_per_sec_per_user",
                "ttft_ms_p50", "ttft_ms_p99", "tpot_ms_p50", "tpot_ms_p99",
                "met", "client_bound", "p99_ttft_ms", "p99_tpot_ms", "achieved_rate")


class Series:
    """(t, value) points; when full, neighbours are averaged to halve the count."""

    def __init__(self, max_points: int = MAX_POINTS) -> None:
        self.max_points = max_points
        self.t: list[float] = []
        self.v: list[float] = []

    def add(self, t: float, v: float) -> None:
        self.t.append(t)
        self.v.append(v)
        if len(self.t) > self.max_points:
            self.t = [(self.t[i] + self.t[i + 1]) / 2 for i in range(0, len(self.t) - 1, 2)]
            self.v = [(self.v[i] + self.v[i + 1]) / 2 for i in range(0, len(self.v) - 1, 2)]

    def copy(self) -> tuple[list[float], list[float]]:
        return list(self.t), list(self.v)


@dataclass
class Progress:
    scenario: str | None = None
    run: int = 0
    runs: int = 0
    step: int = 0
    steps: int = 0
    level: Any = None
    done: int = 0
    failed: int = 0
    total: int | None = None
    in_flight: int = 0
    scenario_started: float | None = None

    def eta_s(self) -> float | None:
        if not self.total or not self.done or self.scenario_started is None:
            return None
        elapsed = time.monotonic() - self.scenario_started
        return max(0.0, elapsed * (self.total - self.done) / self.done)


@dataclass
class LiveRun:
    started: float = field(default_factory=time.monotonic)
    phase: str = "starting"  # starting | loading | running | finished | failed | stopped
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
        self._tok_hist: deque[tuple[float, int]] = deque()
        self._window: deque[list] = deque(maxlen=256)  # recent samples for rolling percentiles
        self.curves: dict[str, deque[dict[str, Any]]] = {}  # scenario → one point per measured step
        self.peaks: dict[str, dict[str, Any]] = {}  # scenario → its peak search's result
        self.curves_total = 0  # points ever added, so readers can tell when to redraw

    # -- feeding (reader thread) --------------------------------------------
    def handle(self, msg: dict[str, Any]) -> None:
        with self._lock:
            kind = msg.get("type")
            now = time.monotonic() - self.started
            if kind == "loaded":
                self.phase = "running"
                self.model_info = msg.get("info", {})
                self.load_seconds = msg.get("load_seconds")
                self._log(f"model loaded in {self.load_seconds:.1f} s")
            elif kind == "scenario_start":
                p = self.progress
                p.scenario, p.done, p.failed, p.total = msg["scenario"], 0, 0, msg.get("total")
                p.runs, p.steps, p.scenario_started = msg.get("runs", 1), msg.get("steps", 1), time.monotonic()
                self._tok_hist.clear()
                self._log(f"{msg['scenario']}: started")
            elif kind == "step_start":
                p = self.progress
                p.run, p.step, p.level = msg.get("run", 0), msg.get("step", 0), msg.get("level")
                self._log(f"{msg['scenario']}: run {p.run + 1}, level {p.level} ({msg.get('mode')}, "
                          f"{msg.get('requests')} requests)")
            elif kind == "tick":
                self._tick(now, msg)
            elif kind == "step_summary":
                self._curve_point(msg)
            elif kind == "peak_result":
                bracket = msg.get("bracket") or [None, None]
                self.peaks[str(msg.get("scenario"))] = {
                    "best": _number(msg.get("best")), "bracket": [_number(b) for b in list(bracket)[:2]],
                    "stopped": None if msg.get("stopped") is None else str(msg.get("stopped"))}
                self.curves_total += 1
            elif kind == "scenario_end":
                self._log(f"{msg['scenario']}: finished in {msg.get('seconds', 0):.1f} s")
            elif kind == "fatal":
                self.error = msg.get("message")
                self._log(f"runner error: {self.error}")
            elif kind == "log":
                self._log(str(msg.get("message", "")))

    def _tick(self, now: float, msg: dict[str, Any]) -> None:
        p = self.progress
        p.in_flight = msg.get("in_flight", 0)
        p.failed = msg.get("failed", 0)
        measured_done = sum(1 for s in msg.get("samples", []) if not s[6])
        p.done += measured_done
        out = msg.get("gen_tokens", msg.get("out_tokens", 0))
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
        for s in msg.get("samples", []):
            if s[5]:
                self._window.append(s)
        if msg.get("samples"):
            idx = {f: i for i, f in enumerate(SAMPLE_FIELDS)}
            for name, series, q in (("ttft_ms", self.ttft_p50, 50), ("ttft_ms", self.ttft_p90, 90),
                                    ("tpot_ms", self.tpot_p50, 50), ("send_lag_ms", self.send_lag_p99, 99)):
                vals = sorted(s[idx[name]] for s in self._window if s[idx[name]] is not None)
                if vals:
                    series.add(now, percentile(vals, q))

    def _curve_point(self, msg: dict[str, Any]) -> None:
        summary = msg.get("summary")
        if not isinstance(summary, dict):
            return
        level = _number(msg.get("level"))
        if level is None:
            return
        point = {"level": level, "run": msg.get("run", 0), "step": msg.get("step", 0)}
        for key in CURVE_FIELDS:
            if key in summary:
                point[key] = _number(summary[key]) if not isinstance(summary[key], bool) else summary[key]
        name = str(msg.get("scenario"))
        series = self.curves.get(name)
        if series is None:
            if len(self.curves) >= MAX_CURVE_SCENARIOS:
                return
            series = self.curves[name] = deque(maxlen=MAX_CURVE_POINTS)
        series.append(point)
        self.curves_total += 1

    def _log(self, line: str) -> None:
        self.log_total += 1
        self.log.append(f"{time.strftime('%H:%M:%S')} {line}")

    def note(self, line: str) -> None:
        with self._lock:
            self._log(line)

    def scenario_finished(self, name: str, block: dict) -> None:
        with self._lock:
            self.scenarios_done.append(name)
            self.scenario_blocks[name] = block

    # -- reading (UI / printer) ---------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            p = self.progress
            return {
                "phase": self.phase, "error": self.error, "elapsed_s": time.monotonic() - self.started,
                "model_info": dict(self.model_info), "load_seconds": self.load_seconds,
                "scenario": p.scenario, "run": p.run, "runs": p.runs, "step": p.step, "steps": p.steps,
                "level": p.level, "done": p.done, "failed": p.failed, "total": p.total,
                "in_flight": p.in_flight, "eta_s": p.eta_s(),
                "tok_s": self.tok_s.copy(), "ttft_p50": self.ttft_p50.copy(), "ttft_p90": self.ttft_p90.copy(),
                "tpot_p50": self.tpot_p50.copy(), "in_flight_series": self.in_flight.copy(),
                "send_lag_p99": self.send_lag_p99.copy(), "log": list(self.log), "log_total": self.log_total,
                "scenarios_done": list(self.scenarios_done), "scenario_blocks": dict(self.scenario_blocks),
                # Points are never changed once stored: copying the lists is enough.
                "curves": {name: list(points) for name, points in self.curves.items()},
                "peaks": {name: dict(result) for name, result in self.peaks.items()},
                "curves_total": self.curves_total,
            }


def _number(value: Any) -> float | int | None:
    """A finite number from a feed field, or None (the feed is JSON from another process)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None
