"""The live screen's load-and-hardware panel: one line per gauge (label, value, sparkline).

One widget draws every row itself and keeps them until a value changes. During a run the app's
CPU time is taken from the benchmark it shows: twelve Label and Sparkline widgets cost ~3 ms a
frame, these rows a fraction of that (``bench/ui_overhead.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from accelmark_tui.screens.widgets import braille
from accelmark_tui.screens.widgets.charts import CachedRows

if TYPE_CHECKING:
    from accelmark_tui.engine.live import LiveSnapshot

SPARK_POINTS = 60  # the last minute of 1 Hz telemetry, or the last 60 feed points
LABEL_WIDTH, VALUE_WIDTH = 12, 9
Row = tuple[str, str, tuple[float, ...]]  # label, value text, points


class LoadPanel(CachedRows, Widget, can_focus=False):
    """Requests in flight and send lag (from the engine's series), CPU and RAM (telemetry), and a
    row per accelerator that reports utilisation (NVML / amdsmi), added when first seen."""

    DEFAULT_CSS = """
    LoadPanel { height: auto; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.rows: list[Row] = [(label, "-", ()) for label in ("in flight", "send lag p99", "CPU %", "RAM GB")]

    def value(self, label: str) -> str | None:
        return next((v for lab, v, _ in self.rows if lab == label), None)

    def show(self, snap: LiveSnapshot | None, samples: list[dict[str, Any]]) -> None:
        rows = {label: (value, points) for label, value, points in self.rows}
        if snap is not None:
            rows["in flight"] = (str(snap.in_flight), _last(snap.in_flight_series.values))
            lag = snap.send_lag_p99.values
            rows["send lag p99"] = (f"{lag[-1]:.1f} ms" if lag else "-", _last(lag))
        if samples:
            cpu = [s["cpu_percent"] for s in samples if s.get("cpu_percent") is not None]
            ram = [s["ram_used_gb"] for s in samples if s.get("ram_used_gb") is not None]
            rows["CPU %"] = (f"{cpu[-1]:.0f}" if cpu else "-", _last(cpu))
            rows["RAM GB"] = (f"{ram[-1]:.1f}" if ram else "-", _last(ram))
            for acc in samples[-1].get("accelerators") or []:
                if acc.get("util_percent") is None:
                    continue  # no in-process counters (Apple, Ascend): nothing to chart
                index = acc.get("index", 0)
                series = [a["util_percent"] for s in samples for a in s.get("accelerators") or []
                          if a.get("index") == index and a.get("util_percent") is not None]
                mem = f" {acc['memory_used_gb']:.0f}G" if acc.get("memory_used_gb") is not None else ""
                rows[f"GPU{index} %"] = (f"{acc['util_percent']:.0f}{mem}", _last(series))
        new = [(label, value, points) for label, (value, points) in rows.items()]
        if new != self.rows:
            grew = len(new) != len(self.rows)
            self.rows = new
            self.draws += 1
            self.refresh(layout=grew)  # a new accelerator row changes the panel's height

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.rows)

    def build_rows(self) -> list[Strip]:
        width, base = self.size.width, self.rich_style
        muted = self.theme_style("foreground-muted")
        primary, bg = self._colours().get("primary"), self.background_colors[1]
        spark_width = max(0, width - LABEL_WIDTH - VALUE_WIDTH)
        strips = []
        for label, value, points in self.rows:
            segs = [Segment(label[:LABEL_WIDTH].ljust(LABEL_WIDTH), muted),
                    Segment(value[:VALUE_WIDTH - 1].rjust(VALUE_WIDTH - 1) + " ", base)]
            segs += _spark_segments(braille.spark(points, spark_width), primary, bg, base)
            strips.append(Strip(segs).adjust_cell_length(width, base))
        return strips


def _last(points: Sequence[float]) -> tuple[float, ...]:
    return tuple(points[-SPARK_POINTS:])


def _spark_segments(cells: list[tuple[str, float]], primary: str | None, bg: Color, base: Style) -> list[Segment]:
    """Bars coloured from the primary colour at 30 % (the lowest) to full (the highest)."""
    try:
        top = bg + Color.parse(primary or "")
    except Exception:  # noqa: BLE001 - not a plain colour: draw in the base colour
        return [Segment("".join(c for c, _ in cells), base)]
    low = bg + Color.parse(primary or "").multiply_alpha(0.3)
    styles = [base + Style(color=low.blend(top, i / 7).rich_color) for i in range(8)]
    segs: list[Segment] = []
    for char, ratio in cells:
        style = styles[min(7, int(ratio * 7))]
        if segs and segs[-1].style is style:
            segs[-1] = Segment(segs[-1].text + char, style)
        else:
            segs.append(Segment(char, style))
    return segs
