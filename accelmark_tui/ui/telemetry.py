"""Telemetry sparklines: CPU %, RAM and each accelerator's gauges.

Fed one sample dict at a time (the shape ``detect.telemetry.TelemetrySampler``
returns); rows appear for the gauges a sample actually has, so a machine whose
GPU reports no power simply has no power row. History is bounded: a gauge
keeps the last ``history`` values, never a growing list.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Iterator

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Sparkline, Static


def _gb(used: float | None, total: float | None) -> str:
    if used is None:
        return ""
    return f"{used:.1f}/{total:.0f} GB" if total else f"{used:.1f} GB"


def readings(sample: dict[str, Any]) -> Iterator[tuple[str, str, float, str]]:
    """(key, label, value, text) for every gauge the sample has a value for."""
    cpu = sample.get("cpu_percent")
    if cpu is not None:
        yield "cpu", "CPU", float(cpu), f"{cpu:.0f} %"
    ram = sample.get("ram_used_gb")
    if ram is not None:
        yield "ram", "RAM", float(ram), _gb(ram, sample.get("ram_total_gb"))
    for acc in sample.get("accelerators") or []:
        tag = f"#{acc.get('index', 0)}"
        gauges = (
            ("util_percent", "util", lambda v: f"{v:.0f} %"),
            ("memory_used_gb", "mem", lambda v: _gb(v, acc.get("memory_total_gb"))),
            ("temperature_c", "temp", lambda v: f"{v:.0f} °C"),
            ("power_w", "power", lambda v: f"{v:.0f} W"),
        )
        for field, name, fmt in gauges:
            value = acc.get(field)
            if value is not None:
                yield f"acc{tag}-{field}", f"{tag} {name}", float(value), fmt(value)


class GaugeRow(Horizontal):
    DEFAULT_CSS = """
    GaugeRow { height: 1; }
    GaugeRow .gauge-label { width: 8; color: $text-muted; }
    GaugeRow Sparkline { width: 1fr; min-width: 6; margin: 0 1; }
    GaugeRow .gauge-value { width: 10; text-align: right; }
    """

    def __init__(self, label: str, history: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.label = label
        self.values: deque[float] = deque(maxlen=history)
        self.text = ""

    def compose(self) -> ComposeResult:
        yield Label(self.label, classes="gauge-label")
        yield Sparkline(list(self.values), summary_function=max)
        yield Label(self.text, classes="gauge-value")

    def push(self, value: float, text: str) -> None:
        self.values.append(value)
        self.text = text
        if self.children:  # composed: show it now (before that, compose shows what was pushed)
            self.query_one(Sparkline).data = list(self.values)
            self.query_one(".gauge-value", Label).update(text)


class TelemetryGauges(Vertical):
    """One sparkline row per gauge; call ``add_sample`` with each new sample."""

    DEFAULT_CSS = """
    TelemetryGauges { height: auto; }
    TelemetryGauges .gauges-empty { color: $text-muted; }
    """

    def __init__(self, history: int = 60, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.history = history
        self.rows: dict[str, GaugeRow] = {}

    def compose(self) -> ComposeResult:
        yield Static("Waiting for the first sample…", classes="gauges-empty")

    def add_sample(self, sample: dict[str, Any]) -> None:
        new = []
        for key, label, value, text in readings(sample):
            row = self.rows.get(key)
            if row is None:
                row = self.rows[key] = GaugeRow(label, self.history, id=f"gauge-{key.replace('#', '')}")
                new.append(row)
            row.push(value, text)  # a row still mounting keeps it (samples may come several at a time)
        if new:
            self.query(".gauges-empty").remove()
            self.mount_all(new)

    async def reset(self) -> None:
        """Forget every row (tests use it to replay a fixed series)."""
        self.rows.clear()
        await self.remove_children()
        await self.mount(Static("Waiting for the first sample…", classes="gauges-empty"))
