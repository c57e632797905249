"""Two runs side by side: the headline, then each scenario's figures per level, with the ratio B / A.

A ratio is coloured by whether B is better (higher throughput, lower latency),
so a quant sweep or a driver update reads at a glance; within ±2 % it stays
plain (run-to-run noise on these machines is a few percent).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header, Static

from accelmark_tui.scenarios.compare import compare_rows
from accelmark_tui.scenarios.format import fmt
from accelmark_tui.screens.widgets.tables import fill_table
from accelmark_tui.ui.base import AccelmarkScreen

NOISE = 0.02


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def ratio_cell(a: Any, b: Any, higher_is_better: bool, good: str = "green", bad: str = "red") -> Text:
    x, y = _num(a), _num(b)
    if x is None or y is None or x == 0:
        return Text("-", justify="right")
    r = y / x
    better = r > 1 if higher_is_better else r < 1
    style = "" if abs(r - 1) <= NOISE else f"bold {good if better else bad}"
    return Text(f"{r:.2f}×", style=style, justify="right")


def describe(run: Any) -> tuple[str, str]:
    """(card title, card body): run names share everything but the run id, so the id titles the card."""
    doc = run.doc
    chip, model, sw, meta = (doc.get(k) or {} for k in ("chip", "model", "software", "meta"))
    quant = model.get("quantization_method") or model.get("precision")
    run_id = run.run_dir.run_name.rsplit("_", 1)[-1]  # as the folder (and the results list) names it
    body = (f"{chip.get('name', '-')} · {sw.get('framework', '-')} {sw.get('framework_version', '')}\n"
            f"{(model.get('model_id') or '-').split('/')[-1]} {quant or ''} · {doc.get('suite_id', '-')}\n"
            f"{doc.get('implementation_id', '-')}\n{meta.get('date', '-')} · {run.status}")
    return run_id, body


class CompareScreen(AccelmarkScreen):
    CSS_PATH = Path(__file__).with_name("compare.tcss")
    HELP_TEXT = ("Two runs side by side. The last column is B / A: green where B is better (more throughput, "
                 "less latency), red where it is worse, plain within ±2 %.")
    BINDINGS = [Binding("x", "swap", "Swap A/B", id="compare.swap", tooltip="Swap the runs (ratios become A / B)")]

    def __init__(self, run_a: str, run_b: str) -> None:
        """Runs by name, unique prefix or folder path."""
        super().__init__()
        self.run_a, self.run_b = run_a, run_b
        self.runs: tuple[Any, Any] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="compare-runs"):
            yield Static("Reading…", id="compare-a", classes="run-card", markup=False)
            yield Static("Reading…", id="compare-b", classes="run-card", markup=False)
        yield Static("", id="compare-warning", markup=False)
        yield DataTable(id="compare-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="compare-load", exit_on_error=False)
    def load(self) -> None:
        services = self.app.services
        runs = (services.load_run(self.run_a), services.load_run(self.run_b))
        self.app.call_from_thread(self._show, runs)

    def _show(self, runs: tuple[Any, Any]) -> None:
        self.runs = runs
        a, b = runs
        warning = self.query_one("#compare-warning", Static)
        lines = self.app.services.background_warnings(a, b)
        warning.update("\n".join(lines))
        warning.display = bool(lines)
        for which, run in (("a", a), ("b", b)):
            title, body = describe(run)
            card = self.query_one(f"#compare-{which}", Static)
            card.border_title = f"{which.upper()}: {title}"
            card.update(body)
        last = None
        colours = self.app.get_css_variables()  # theme colours: readable on dark and light
        rows: list[list[Any]] = []
        for row in compare_rows(a.metrics(), b.metrics(), a.accuracy_receipt(), b.accuracy_receipt()):
            fig = row.figure
            rows.append([row.scenario if row.scenario != last else "", row.test, fig.label,
                         Text(fmt(_num(row.a), fig.digits), justify="right"),
                         Text(fmt(_num(row.b), fig.digits), justify="right"),
                         ratio_cell(row.a, row.b, fig.higher_is_better, colours["success"], colours["error"])])
            last = row.scenario
        if not rows:
            rows.append(["-", "", "neither run has finished a scenario", "", "", ""])
        fill_table(self.query_one("#compare-table", DataTable), ["scenario", "level", "metric", "A", "B", "B / A"],
                   rows)

    def action_swap(self) -> None:
        if self.runs is not None:
            self.run_a, self.run_b = self.run_b, self.run_a
            self._show((self.runs[1], self.runs[0]))
