"""A line chart fed from the engine's bounded series, redrawn only when they change.

``PlotWidget`` re-renders its whole canvas on every ``plot()``; at 4 Hz with
512-point series that is cheap, but there is no reason to pay it when nothing
new arrived (a long prefill, a paused step), so ``show()`` compares a small
fingerprint of the data first.
"""

from __future__ import annotations

from typing import Sequence

from textual_plot import HiResMode, PlotWidget

Line = tuple[Sequence[float], Sequence[float], str, str]  # xs, ys, theme colour variable, label


def downsample(xs: Sequence[float], ys: Sequence[float], limit: int) -> tuple[list[float], list[float]]:
    """At most ``limit`` points: consecutive buckets averaged (a mean keeps a noisy rate readable)."""
    n = len(xs)
    if n <= limit:
        return list(xs), list(ys)
    step = n / limit
    out_x, out_y = [], []
    for i in range(limit):
        a, b = int(i * step), max(int((i + 1) * step), int(i * step) + 1)
        out_x.append(sum(xs[a:b]) / (b - a))
        out_y.append(sum(ys[a:b]) / (b - a))
    return out_x, out_y


class LiveChart(PlotWidget, can_focus=False):
    """Non-focusable (the screen's keys must not become pan/zoom keys), no mouse zoom."""

    DEFAULT_CSS = """
    LiveChart { height: 1fr; min-height: 6; }
    """

    def __init__(self, *, ylabel: str = "", id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, allow_pan_and_zoom=False)
        self._ylabel = ylabel
        self._fingerprint: tuple | None = None
        self._theme_colours: tuple[str, dict[str, str]] | None = None
        self.draws = 0  # how many times the data was re-plotted (tests check the rate)

    def on_mount(self) -> None:
        super().on_mount()
        # Tick labels only (no axis-title rows): at 80x24 a chart is 6 rows inside its border.
        self.margin_top = 0
        self.margin_bottom = 1
        self.margin_left = 7
        self.set_ylimits(0, None)  # rates and latencies start at zero; don't zoom into noise

    def _colours(self) -> dict[str, str]:
        # Resolving the theme's variables costs ~2 ms; do it once per theme, not once per draw.
        theme = self.app.theme
        if self._theme_colours is None or self._theme_colours[0] != theme:
            self._theme_colours = (theme, self.app.get_css_variables())
        return self._theme_colours[1]

    def key_title(self, title: str, lines: Sequence[tuple[str, str]]) -> None:
        """The border title doubles as the legend (coloured labels): an in-plot legend box
        would hide the newest points on a chart this small."""
        keys = " ".join(f"[${colour}]━{label}[/]" for colour, label in lines)
        self.border_title = f"{title} {keys}" if keys else title

    def show(self, lines: Sequence[Line]) -> bool:
        """Re-plot when any series changed; returns whether it did."""
        fingerprint = tuple((len(xs), xs[-1] if xs else None, ys[-1] if ys else None) for xs, ys, _, _ in lines)
        if fingerprint == self._fingerprint:
            return False
        self._fingerprint = fingerprint
        colours = self._colours()
        # Braille gives two dots a cell: more points than that are drawn over each other.
        limit = max(16, 2 * max(1, self.size.width - self.margin_left))
        self.clear()
        for xs, ys, colour, label in lines:
            if len(xs) >= 2:
                xs, ys = downsample(xs, ys, limit)
                self.plot(xs, ys, line_style=colours.get(colour, colour), hires_mode=HiResMode.BRAILLE, label=label)
        self.draws += 1
        return True
