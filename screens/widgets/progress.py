"""Per-scenario progress: one line per scenario still to run (name, bar, the engine's count and ETA).

One widget draws every line itself and keeps them until something changes: a Label, a
ProgressBar (whose own timer ticks every second for an ETA) and another Label per scenario cost
a frame's worth of the app's CPU, taken from the benchmark the screen shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from accelmark_tui.screens.widgets.charts import CachedRows
from accelmark_tui.screens.widgets.live_text import progress_detail

if TYPE_CHECKING:
    from accelmark_tui.engine.live import LiveSnapshot

NAME_WIDTH = 12
NOTHING = "Nothing left to run: this configuration is already complete."
Line = tuple[str, str, int, int, str]  # scenario, state (pending/running/done), done, total, detail


def fit_detail(detail: str, room: int) -> str:
    """``12/24 · 50% · ETA 9s`` without the percentage when it does not fit (the bar shows it):
    at 80 columns the ETA would otherwise be cut off. Still too long, the count goes too, then the
    last part's first words (``stopping… 2 in flight`` → ``2 in flight``): its end is the news."""
    if len(detail) <= room:
        return detail
    parts = [part for part in detail.split(" · ") if not part.endswith("%")]
    while len(parts) > 1 and len(" · ".join(parts)) > room:
        parts.pop(0)
    words = " · ".join(parts).split(" ")
    while len(words) > 1 and len(" ".join(words)) > room:
        words.pop(0)
    return " ".join(words)


class ProgressPanel(CachedRows, Widget, can_focus=False):
    DEFAULT_CSS = """
    ProgressPanel { height: auto; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.lines: list[Line] = []
        self._named = False  # set_scenarios was called (an empty list then means nothing to run)

    def set_scenarios(self, names: Iterable[str]) -> None:
        self._named = True  # even an empty list changes what is drawn (the "nothing left" line)
        self.lines = [(n, "pending", 0, 1, "waiting") for n in names]
        self.draws += 1
        self.refresh(layout=True)

    def show(self, snap: LiveSnapshot, active: bool) -> None:
        """``active``: the run is still going (the current scenario moves, the rest wait)."""
        lines = []
        for name, *_ in self.lines:
            if name in snap.scenarios_done:
                lines.append((name, "done", 1, 1, "done"))
            elif active and name == snap.scenario:
                lines.append((name, "running", snap.done, max(1, snap.total or 1), progress_detail(snap)))
            else:
                lines.append((name, "pending", 0, 1, "waiting" if active else "not run"))
        self._set(lines)

    def _set(self, lines: list[Line]) -> None:
        if lines == self.lines:
            return
        grew = len(lines) != len(self.lines)
        self.lines = lines
        self.draws += 1
        self.refresh(layout=grew)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return max(1, len(self.lines)) if self._named else len(self.lines)

    def build_rows(self) -> list[Strip]:
        width, base = self.size.width, self.rich_style
        fg = self.theme_style
        muted = fg("foreground-muted")
        if not self.lines:
            return [Strip([Segment(NOTHING, base)]).adjust_cell_length(width, base)] if self._named else []
        bar_width = 8 if width < 40 else 16  # 80 columns: 8; 100 and more: 16
        name_styles = {"running": fg("accent") + Style(bold=True), "done": fg("success"), "pending": base}
        fill_styles = {"running": fg("primary"), "done": fg("success"), "pending": fg("primary")}
        track = fg("surface")
        strips = []
        room = width - NAME_WIDTH - bar_width - 1
        for name, state, done, total, detail in self.lines:
            detail = fit_detail(detail, room)
            filled = round(bar_width * min(1.0, done / max(1, total)) * 2) / 2  # to the half cell
            whole, half = int(filled), filled - int(filled) > 0
            segs = [Segment(name[:NAME_WIDTH].ljust(NAME_WIDTH), name_styles[state]),
                    Segment("━" * whole + ("╸" if half else ""), fill_styles[state]),
                    Segment("━" * (bar_width - whole - half), track),
                    Segment(" " + detail, muted)]
            strips.append(Strip(segs).adjust_cell_length(width, base))
        return strips
