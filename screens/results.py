"""Flow 5: the runs on this machine, newest first.

The list is read in a thread worker (a results folder can hold hundreds of
runs, each a few JSON files). Rows are keyed by run folder, so an archived
earlier run with the same name (kept by --force) is its own row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from accelmark_tui.scenarios.format import fmt, weights_label
from accelmark_tui.scenarios.headline import DEFINITION, NAME
from accelmark_tui.screens.catalog import short_runner
from accelmark_tui.screens.widgets.tables import fill_table
from accelmark_tui.ui.base import AccelmarkScreen

# Most telling first: what ran (model, quant), how it went, its figures, then the runner without its
# version hash (whole at 120 columns); at 80 columns runner, chip and suite scroll off to the right
# (one machine's history usually shares them) and the headline stays whole.
COLUMNS = [" ", "date", "model", "quant", "status", NAME, "TTFT ms", "acc", "runner", "chip", "suite"]


def _short(text: Any, width: int) -> str:
    s = "-" if text in (None, "") else str(text)
    return s if len(s) <= width else s[: width - 1] + "…"


def run_row(run: Any, mark: str = "") -> list[Any]:
    """One run's cells; the speed is the run's headline (scenarios/headline.py), the same figure everywhere."""
    acc = "-" if run.accuracy_score is None else f"{run.accuracy_score:.2f}" + ("" if run.accuracy_valid else "*")
    status = run.status + (" (earlier)" if run.archived else "")
    style = {"complete": "", "running": "bold", "incomplete": "italic"}.get(run.status, "")
    model = (run.model_id or "-").split("/")[-1]
    speed = fmt(run.decode_tok_s, 1)
    if run.status == "running" and run.decode_tok_s is None:
        speed = "measuring…"  # not "-": the figures are on their way
    quant = weights_label(run.quantization, run.precision)
    return [Text(mark, style="bold"), run.date or "-", _short(model, 24), quant,
            Text(status, style=style), Text(speed, justify="right"),
            Text(fmt(run.interactive_ttft_p50_ms, 1), justify="right"), Text(acc, justify="right"),
            short_runner(run.runner_id or "-"), _short(run.chip, 22), run.suite_id or "-"]


class ResultsScreen(AccelmarkScreen):
    CSS_PATH = Path(__file__).with_name("results.tcss")
    HELP_TEXT = ("Every run saved on this machine, newest first (earlier runs kept by --force at the end). "
                 "Enter opens a run; m marks up to two runs and d compares them; s submits a run to the "
                 "leaderboard (after its checklist). decode tok/s is each run's headline: " + DEFINITION + " (interactive, "
                 "else a sweep's or offline's concurrency 1); * marks an accuracy receipt that is not valid.")

    BINDINGS = [
        Binding("enter", "open", "Open", id="results.open", tooltip="Open the run: every table, accuracy, export"),
        Binding("m", "mark", "Mark", id="results.mark", tooltip="Mark this run for comparison (up to two)"),
        Binding("d", "compare", "Compare", id="results.compare", tooltip="Compare the two marked runs side by side"),
        Binding("equals_sign", "compare", "Compare", id="results.compare-eq", show=False,
                tooltip="Compare the two marked runs side by side"),
        Binding("s", "submit", "Submit", id="results.submit",
                tooltip="Submit this run to the leaderboard: checklist, files, PR preview, then ctrl+s"),
        Binding("r", "reload", "Reload", id="results.reload", tooltip="Read the results folder again"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.runs: dict[str, Any] = {}  # row key (run folder) → RunSummary
        self.marked: list[str] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Reading the results folder…", id="results-summary", markup=False)
        table: DataTable = DataTable(id="results-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="results-hint", markup=False)
        yield Footer()

    def on_screen_resume(self) -> None:
        # On first show, and again on return: a run may have finished while we were covered.
        self.load()

    # -- data ------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="results-load", exit_on_error=False)
    def load(self) -> None:
        runs = self.app.services.list_runs()
        self.app.call_from_thread(self._show, runs)

    def _show(self, runs: list[Any]) -> None:
        table = self.query_one("#results-table", DataTable)
        keep = table.cursor_row
        self.runs = {r.path: r for r in runs}
        self.marked = [k for k in self.marked if k in self.runs]
        fill_table(table, COLUMNS, [run_row(r, self._mark_of(r.path)) for r in runs], keys=[r.path for r in runs],
                   column_keys=["mark", *COLUMNS[1:]])
        if runs:
            table.move_cursor(row=min(keep, len(runs) - 1))
        root = self.app.services.results_root
        current = sum(1 for r in runs if not r.archived)
        self.query_one("#results-summary", Static).update(
            f"{current} run(s) in {root}" + (f", {len(runs) - current} earlier" if len(runs) > current else "")
            if runs else f"No runs yet in {root}. Run the quick suite from Home (r) to make one.")
        self.set_class(not runs, "-empty")
        self._hint()
        self.refresh_bindings()

    def _mark_of(self, key: str) -> str:
        return str(self.marked.index(key) + 1) if key in self.marked else ""

    def _hint(self) -> None:
        # Run names differ only in their last part (the run id); the date tells runs apart at a glance.
        names = [f"{self.runs[k].run_name.rsplit('_', 1)[-1]} ({self.runs[k].date or '-'})" for k in self.marked]
        if not names:
            text = "m marks a run to compare · enter opens · s: what submitting it needs"
        elif len(names) == 1:
            text = f"marked 1: {names[0]}; mark one more, then d compares"
        else:
            text = f"marked 1: {names[0]} · 2: {names[1]}; d compares them (ratios are 2 / 1)"
        self.query_one("#results-hint", Static).update(text)

    def _current(self) -> Any | None:
        table = self.query_one("#results-table", DataTable)
        if not self.runs or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.runs.get(key)

    # -- actions ---------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ("open", "mark", "submit"):
            return bool(self.runs)  # hidden on an empty list
        if action == "compare":
            return True if len(self.marked) == 2 else (None if self.runs else False)
        return True

    def action_open(self) -> None:
        run = self._current()
        if run is not None:
            from accelmark_tui.screens.run_detail import RunDetailScreen

            self.app.push_screen(RunDetailScreen(run.path))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_mark(self) -> None:
        run = self._current()
        if run is None:
            return
        if run.path in self.marked:
            self.marked.remove(run.path)
        else:
            self.marked.append(run.path)
            self.marked = self.marked[-2:]  # a third mark replaces the oldest
        table = self.query_one("#results-table", DataTable)
        for key in self.runs:
            table.update_cell(key, "mark", Text(self._mark_of(key), style="bold"), update_width=True)
        self._hint()
        self.refresh_bindings()

    def action_compare(self) -> None:
        if len(self.marked) != 2:
            self.notify("Mark two runs with m first.", title="Compare")
            return
        from accelmark_tui.screens.compare import CompareScreen

        self.app.push_screen(CompareScreen(self.marked[0], self.marked[1]))

    def action_submit(self) -> None:
        run = self._current()
        if run is not None:
            from accelmark_tui.screens.submit import SubmitScreen

            self.app.push_screen(SubmitScreen(run.path))

    def action_reload(self) -> None:
        self.load()
