"""One-line gauges (label, value, sparkline) and the live screen's load-and-hardware panel."""

from __future__ import annotations

from typing import Any, Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Sparkline

SPARK_POINTS = 60  # the last minute of 1 Hz telemetry, or the last 60 feed points


class Gauge(Horizontal):
    DEFAULT_CSS = """
    Gauge { height: 1; }
    Gauge > .gauge-label { width: 12; color: $text-muted; }
    Gauge > .gauge-value { width: 9; text-align: right; padding-right: 1; }
    Gauge > Sparkline { width: 1fr; min-width: 8; }
    """

    def __init__(self, label: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._label = label
        self._last: tuple | None = None

    def compose(self) -> ComposeResult:
        yield Label(self._label, classes="gauge-label")
        yield Label("-", classes="gauge-value")
        yield Sparkline([], summary_function=max)

    def show(self, value: str, points: Sequence[float]) -> None:
        """Update only when something changed: a Sparkline repaint is cheap, but not free."""
        points = list(points)[-SPARK_POINTS:]
        key = (value, len(points), points[-1] if points else None)
        if key == self._last or not self.query(Sparkline):  # unchanged, or not composed yet
            return
        self._last = key
        self.query_one(".gauge-value", Label).update(value, layout=False)  # fixed width: repaint only
        self.query_one(Sparkline).data = points


class LoadPanel(Vertical):
    """Requests in flight and send lag (from the engine's series), CPU and RAM (telemetry), and a
    gauge per accelerator that reports utilisation (NVML / amdsmi), added when first seen."""

    def compose(self) -> ComposeResult:
        yield Gauge("in flight", id="gauge-in-flight")
        yield Gauge("send lag p99", id="gauge-send-lag")
        yield Gauge("CPU %", id="gauge-cpu")
        yield Gauge("RAM GB", id="gauge-ram")

    def show(self, snap: dict[str, Any] | None, samples: list[dict[str, Any]]) -> None:
        if snap is not None:
            self.query_one("#gauge-in-flight", Gauge).show(str(snap["in_flight"]), snap["in_flight_series"][1])
            lag = snap["send_lag_p99"][1]
            self.query_one("#gauge-send-lag", Gauge).show(f"{lag[-1]:.1f} ms" if lag else "-", lag)
        if not samples:
            return
        cpu = [s["cpu_percent"] for s in samples if s.get("cpu_percent") is not None]
        ram = [s["ram_used_gb"] for s in samples if s.get("ram_used_gb") is not None]
        self.query_one("#gauge-cpu", Gauge).show(f"{cpu[-1]:.0f}" if cpu else "-", cpu)
        self.query_one("#gauge-ram", Gauge).show(f"{ram[-1]:.1f}" if ram else "-", ram)
        for acc in samples[-1].get("accelerators") or []:
            if acc.get("util_percent") is None:
                continue  # no in-process counters (Apple, Ascend): nothing to chart
            index = acc.get("index", 0)
            found = self.query(f"#gauge-accel-{index}")
            if not found:
                self.mount(Gauge(f"GPU{index} %", id=f"gauge-accel-{index}"))
                continue  # drawn from the next tick on
            series = [a["util_percent"] for s in samples for a in s.get("accelerators") or []
                      if a.get("index") == index and a.get("util_percent") is not None]
            mem = f" {acc['memory_used_gb']:.0f}G" if acc.get("memory_used_gb") is not None else ""
            found.first(Gauge).show(f"{acc['util_percent']:.0f}{mem}", series)
