"""Charts of the live run: time series drawn in braille, redrawn only when they change.

``LiveChart`` draws its rows itself (``widgets.braille``): during a run the
app's CPU time is taken from the benchmark it shows, and textual-plot's canvas
cost ~8 ms per re-plot where these rows cost well under one. ``show()`` also
compares a small fingerprint of the data first, so nothing is redrawn when
nothing new arrived (a long prefill, a paused step). ``PlotChart`` keeps
textual-plot for the sweep/peak curves (scatter marks, log axes), which change
once per finished level, not every second.
"""

from __future__ import annotations

from typing import Sequence

from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.strip import Strip
from textual.widget import Widget
from textual_plot import PlotWidget

from accelmark_tui.screens.widgets import braille

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


def _style(colour: str | None, background: Color) -> Style:
    """A foreground style from a theme colour value (translucent ones blended over the background);
    an unparseable value draws in the base colour."""
    if not colour:
        return Style()
    try:
        return Style(color=(background + Color.parse(colour)).rich_color)
    except Exception:  # noqa: BLE001 - a theme variable that is not a plain colour
        return Style()


class ThemeColours:
    """Theme colour variables resolved once per theme (resolving them costs ~2 ms)."""

    _theme_colours: tuple[str, dict[str, str]] | None = None

    def _colours(self) -> dict[str, str]:
        theme = self.app.theme  # type: ignore[attr-defined]
        if self._theme_colours is None or self._theme_colours[0] != theme:
            self._theme_colours = (theme, self.app.get_css_variables())  # type: ignore[attr-defined]
        return self._theme_colours[1]

    def theme_style(self, name: str, fallback: str | None = None) -> Style:
        """The widget's base style with a theme colour (``name``, else ``fallback``) as foreground."""
        colour = self._colours().get(name, fallback)
        return self.rich_style + _style(colour, self.background_colors[1])  # type: ignore[attr-defined]


class CachedRows(ThemeColours):
    """A widget that draws all its rows at once (``build_rows``) and again only when its size, the
    theme or its data (``draws``, bumped by the widget when its data changes) did: every other
    frame is served from the cache."""

    _strips: tuple[tuple, list[Strip]] | None = None
    draws = 0  # how many times the data changed (tests check the rate)

    def build_rows(self) -> list[Strip]:
        raise NotImplementedError

    def render_line(self, y: int) -> Strip:
        key = (self.size, self.app.theme, self.draws)  # type: ignore[attr-defined]
        if self._strips is None or self._strips[0] != key:
            self._strips = (key, self.build_rows())
        strips = self._strips[1]
        return strips[y] if 0 <= y < len(strips) else Strip.blank(self.size.width, self.rich_style)  # type: ignore[attr-defined]


class LiveChart(CachedRows, Widget, can_focus=False):
    """Series against time, y from zero: tick labels left and below, one braille line per series."""

    DEFAULT_CSS = """
    LiveChart { height: 1fr; min-height: 6; }
    """
    Y_LABEL_WIDTH = 6  # "12.5k" and the axis
    X_UNIT = "t (s)"  # x is seconds since the run started

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._lines: list[Line] = []
        self._fingerprint: tuple | None = None

    def key_title(self, title: str, lines: Sequence[tuple[str, str]]) -> None:
        """The title (what and its unit) on the top border, the legend (coloured labels) on the bottom
        one: an in-plot legend box would hide the newest points, and both on one border were cut at
        80 columns ("TPOT …")."""
        self.border_title = title
        self.border_subtitle = " ".join(f"[${colour}]━{label}[/]" for colour, label in lines)

    def show(self, lines: Sequence[Line]) -> bool:
        """Re-plot when any series changed; returns whether it did."""
        fingerprint = tuple((len(xs), xs[-1] if xs else None, ys[-1] if ys else None) for xs, ys, _, _ in lines)
        if fingerprint == self._fingerprint:
            return False
        self._fingerprint = fingerprint
        self._lines = [(list(xs), list(ys), colour, label) for xs, ys, colour, label in lines]
        self.draws += 1
        self.refresh()
        return True

    def build_rows(self) -> list[Strip]:
        width, height = self.size
        base = self.rich_style
        muted = self.theme_style("foreground-muted")
        lw = self.Y_LABEL_WIDTH
        pw, ph = width - lw - 1, height - 2  # plot area: a column for the axis, rows for axis and labels
        if pw < 2 or ph < 1:
            return [Strip.blank(width, base) for _ in range(height)]
        # Braille gives two dots a cell: more points than that are drawn over each other.
        series = [downsample(xs, ys, 2 * pw) for xs, ys, _, _ in self._lines if len(xs) >= 2]
        styles = [self.theme_style(c, c) for xs, _, c, _ in self._lines if len(xs) >= 2]
        xs_all = [x for xs, _ in series for x in (xs[0], xs[-1])]
        x_range = (min(xs_all), max(xs_all)) if xs_all else (0.0, 1.0)
        y_top = braille.nice_ceiling(max((max(ys) for _, ys in series), default=1.0))
        grid = braille.rasterise(series, pw, ph, x_range, y_top)
        ticks = braille.y_ticks(y_top, ph)
        rows: list[Strip] = []
        for r in range(ph):
            label = ticks.get(r)
            segs = [Segment(f"{label:>{lw - 1}} ┤" if label is not None else " " * lw + "│", muted)]
            run, run_style = [], None
            for bits, index in grid[r]:
                style = styles[index] if index >= 0 else base
                if style is not run_style and run:
                    segs.append(Segment("".join(run), run_style))
                    run = []
                run_style = style
                run.append(braille.braille(bits))
            if run:
                segs.append(Segment("".join(run), run_style))
            rows.append(Strip(segs, width))
        rows.append(Strip([Segment(" " * lw + "└" + "─" * pw, muted)], width))
        labels = braille.x_labels(x_range, pw) if xs_all else ""
        # The x unit sits in the y labels' gutter, left of the ticks (the y unit is in the title).
        rows.append(Strip([Segment(f"{self.X_UNIT:>{lw}} " + labels, muted)], width))
        return rows


class PlotChart(ThemeColours, PlotWidget, can_focus=False):
    """textual-plot, non-focusable (the screen's keys must not become pan/zoom keys), no mouse zoom."""

    DEFAULT_CSS = """
    PlotChart { height: 1fr; min-height: 6; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, allow_pan_and_zoom=False)
        self._fingerprint: tuple | None = None
        self.draws = 0  # how many times the data was re-plotted (tests check the rate)

    def on_mount(self) -> None:
        super().on_mount()
        # Tick labels only (no axis-title rows): at 80x24 a chart is 6 rows inside its border.
        self.margin_top = 0
        self.margin_bottom = 1
        self.margin_left = 7
        self.set_ylimits(0, None)  # rates and latencies start at zero; don't zoom into noise
