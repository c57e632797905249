"""DataTables sized to their rows (no inner scrolling), and a scenario's registry view as one.

Column widths are computed here from the cells rather than left to DataTable's
auto width, which is applied on a later idle pass: a screenshot (or a very
fast reader) could otherwise catch columns as wide as their labels only.
"""

from __future__ import annotations

from typing import Any, Sequence

from rich.cells import cell_len
from rich.text import Text

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Label

from accelmark_tui.scenarios.definition import View


def _width(cell: Any) -> int:
    return cell.cell_len if isinstance(cell, Text) else cell_len(str(cell))


def fill_table(dt: DataTable, columns: Sequence[str], rows: Sequence[Sequence[Any]],
               keys: Sequence[str] | None = None, column_keys: Sequence[str] | None = None) -> None:
    """Replace ``dt``'s columns and rows; every column as wide as its widest cell."""
    dt.clear(columns=True)
    for i, label in enumerate(columns):
        width = max([_width(label)] + [_width(r[i]) for r in rows])
        dt.add_column(label, width=width, key=column_keys[i] if column_keys else None)
    for i, row in enumerate(rows):
        dt.add_row(*row, key=keys[i] if keys else None)


class BlockTable(Vertical):
    """A scenario's view: its title, its table (the cells the terminal text shows) and its facts.
    The DataTable is not focusable when ``focusable`` is False, so it never steals the keys of a
    screen that only displays it."""

    DEFAULT_CSS = """
    BlockTable { height: auto; margin-bottom: 1; }
    BlockTable > .block-title { text-style: bold; color: $accent; }
    BlockTable > DataTable { height: auto; max-height: 16; }
    """

    def __init__(self, view: View, *, id: str | None = None, focusable: bool = False) -> None:
        super().__init__(id=id)
        self.view = view
        self._focusable = focusable

    def compose(self) -> ComposeResult:
        view = self.view
        yield Label(view.title, classes="block-title", markup=False)
        if view.columns:
            dt: DataTable = DataTable(cursor_type="row" if self._focusable else "none", zebra_stripes=True)
            dt.can_focus = self._focusable
            fill_table(dt, view.headers, view.cells())
            yield dt
        if facts := view.fact_lines():
            yield Label(facts, classes="block-facts", markup=False)
