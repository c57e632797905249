"""Catalog: every runner × every suite, and whether the pair fits this machine.

A cell shows the runner's declared support for the suite (✓ validated,
⋯ pending, — unsupported), coloured by whether it can run *here*; the panel
under the table gives the highlighted pair's one reason and fix. Fit checks
read runner folders and probe for backend modules, so they run in a thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from accelmark_tui.ui.base import AccelmarkScreen


def short_runner(runner_id: str) -> str:
    """``cpu_llamacpp_fcba25f1`` → ``cpu_llamacpp`` (the hash only tells versions apart)."""
    head, _, tail = runner_id.rpartition("_")
    return head if head and len(tail) == 8 else runner_id


def short_run(run_name: str) -> str:
    """``mtt_s4000x1_suite_F_…_4f66d29d`` → ``run 4f66d29d``: the header has no room for the whole name at 80
    columns (the screen below shows it whole)."""
    return f"run {run_name.rpartition('_')[2] or run_name}"


def short_suite(suite_id: str) -> str:
    return suite_id.removeprefix("suite_")


def _first_sentence(text: str) -> str:
    return text.split(". ")[0].rstrip(".") + "." if text else ""


NOT_HERE = "✗"
LEGEND = f"✓ validated  ⋯ pending  — unsupported   ✓{NOT_HERE} ⋯{NOT_HERE}: cannot run here (red)"


class CatalogScreen(AccelmarkScreen):
    CSS_PATH = Path(__file__).with_name("catalog.tcss")
    HELP_TEXT = ("Runners (rows) × suites (columns) for this machine. A cell is the runner's declared support for "
                 "the suite: ✓ validated, ⋯ pending, — unsupported; a mark followed by ✗ (and red) cannot run here, "
                 "the panel below says why and how to fix it. Enter sets up a run of the pair.")
    BINDINGS = [
        # priority: the table's own Enter would otherwise win and hide this key from the footer.
        Binding("enter", "setup", "Set up run", id="catalog.setup", priority=True,
                tooltip="Open run setup with the highlighted runner and suite"),
    ]

    class Loaded(Message):
        def __init__(self, matrix: Any) -> None:
            super().__init__()
            self.matrix = matrix

    def __init__(self) -> None:
        super().__init__()
        self.matrix: Any = None  # the services' FitMatrix

    def compose(self) -> ComposeResult:
        yield Header()
        table: DataTable = DataTable(id="fit-table", cursor_type="cell", zebra_stripes=False)
        table.loading = True
        yield table
        yield Static(LEGEND, id="legend", markup=False)
        yield Static("Checking which runners fit this machine…", id="fit-detail", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#fit-table").border_title = "Runners × suites on this machine"
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._fill())
        self.load()

    @work(thread=True, group="catalog", exit_on_error=False)
    def load(self) -> None:
        self.post_message(self.Loaded(self.app.services.fit_matrix()))

    def on_catalog_screen_loaded(self, message: Loaded) -> None:
        self.matrix = message.matrix
        self._fill()
        table = self.query_one("#fit-table", DataTable)
        table.loading = False
        if self.matrix.runners and self.matrix.suites:
            table.cursor_coordinate = self._start()
        table.focus()
        self._describe()

    def _start(self) -> Coordinate:
        """The cursor's first cell: the default suite, with the runner to pick for it."""
        m = self.matrix
        col = next(i for i, s in enumerate(m.suites) if s.id == m.default_suite)
        best = m.best.get(m.default_suite)
        row = next((i for i, r in enumerate(m.runners) if best is not None and r.id == best.id), 0)
        return Coordinate(row, col)

    def _fill(self) -> None:
        if self.matrix is None:
            return
        theme = self.app.current_theme
        table = self.query_one("#fit-table", DataTable)
        keep = table.cursor_coordinate
        table.clear(columns=True)
        for suite in self.matrix.suites:
            table.add_column(Text(short_suite(suite.id), justify="center"), key=suite.id, width=5)
        for runner in self.matrix.runners:
            cells = []
            for suite in self.matrix.suites:
                fit = self.matrix.fits[(runner.id, suite.id)]
                if fit.support == "unsupported":
                    color = theme.foreground
                    style = f"{color} dim" if color else "dim"
                else:
                    style = (theme.success if fit.support == "validated" else theme.warning) if fit.ready else theme.error
                    style = f"bold {style}"
                # "✗" says "cannot run here" without colour (the colour repeats it).
                mark = fit.symbol if fit.ready or fit.support == "unsupported" else f"{fit.symbol}{NOT_HERE}"
                cells.append(Text(mark, style=style or "", justify="center"))
            table.add_row(*cells, key=runner.id, label=Text(short_runner(runner.id)))
        table.cursor_coordinate = keep

    # -- the highlighted pair ---------------------------------------------------------------
    def _pair(self) -> tuple[Any, Any, Any] | None:
        if self.matrix is None or not self.matrix.runners or not self.matrix.suites:
            return None
        row, col = self.query_one("#fit-table", DataTable).cursor_coordinate
        runner, suite = self.matrix.runners[row], self.matrix.suites[col]
        return runner, suite, self.matrix.fits[(runner.id, suite.id)]

    def _describe(self) -> None:
        pair = self._pair()
        detail = self.query_one("#fit-detail", Static)
        if pair is None:
            detail.update("No runners or suites were found; reinstall accelmark.")
            return
        runner, suite, fit = pair
        head = f"{runner.id} × {suite.id}: {fit.symbol} {fit.support}"
        lines = [head + (", runs here." if fit.ready else ", cannot run here.")]
        if fit.ready:
            lines.append("Press Enter to set up this run.")
        else:
            lines.append(f"Why: {fit.reason}.")
        lines.append(f"Runner: {_first_sentence(runner.description)}")
        lines.append(f"Suite: {_first_sentence(suite.description)}")
        detail.update("\n".join(lines))
        detail.set_class(not fit.ready, "-blocked")
        detail.set_class(fit.ready, "-ready")

    @on(DataTable.CellHighlighted, "#fit-table")
    def _highlighted(self) -> None:
        self._describe()

    @on(DataTable.CellSelected, "#fit-table")
    def action_setup(self) -> None:
        pair = self._pair()
        if pair is None:
            return
        runner, suite, fit = pair
        if not fit.ready:
            self.notify(fit.message(), title="Not on this machine", severity="warning", timeout=8)
            return
        self.app.open_setup(runner_id=runner.id, suite_id=suite.id)
