"""One saved run: identity, every scenario's table, the accuracy receipt, the environment.

``e`` / ``E`` export Markdown / CSV (the same text as ``accelmark results``
exports) to a path that defaults to a file in the run's own folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Footer, Header, Static

from accelmark_tui.scenarios import registry
from accelmark_tui.scenarios.upstream import receipt_view
from accelmark_tui.scenarios.format import fmt, model_label
from accelmark_tui.scenarios.headline import decode_headline
from accelmark_tui.screens.widgets.curves import CurvesPanel
from accelmark_tui.screens.widgets.tables import BlockTable
from accelmark_tui.screens.catalog import short_run
from accelmark_tui.ui.base import AccelmarkScreen


def _pairs(pairs: list[tuple[str, Any]]) -> Table:
    """Label/value rows; long values (folders) wrap inside their column, not under the labels."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for k, v in pairs:
        if v not in (None, "", [], {}):
            grid.add_row(k, Text(str(v)))
    return grid


def shown_path(path: Path, root: Path | None) -> str:
    """The run folder as the user named its results root (``--output-dir`` may be relative)."""
    if root is not None:
        try:
            return str(root / Path(path).resolve().relative_to(Path(root).resolve()))
        except ValueError:
            pass
    return str(path)


def header_text(run: Any, root: Path | None = None) -> Table:
    doc = run.doc
    chip, model, sw, meta, task = (doc.get(k) or {} for k in ("chip", "model", "software", "meta", "task"))
    state = run.state
    status = run.status
    if state is not None and state.remaining and run.status != "complete":
        partial = list(getattr(run, "partials", None) or {})
        rest = [s for s in state.remaining if s not in partial]
        what = "; ".join([f"stopped part-way: {', '.join(partial)}"] * bool(partial)
                         + [f"not yet run: {', '.join(rest)}"] * bool(rest))
        status += f" ({what}; run the same configuration again to resume)"
    chip_label = (f"{chip.get('name')} ×{chip.get('count')} ({chip.get('vendor')}, {fmt(chip.get('memory_gb'), 0)} GB)"
                  if chip else None)
    model_line = model_label(model) if model else None
    when = f"{meta.get('date')} {meta.get('time') or ''}".strip() if meta.get("date") else None
    return _pairs([
        ("Run", run.run_dir.run_name), ("Headline", decode_headline(run.metrics()).text()),
        ("Folder", shown_path(run.run_dir.path, root)), ("Status", status),
        ("Chip", chip_label),
        ("Runner", doc.get("implementation_id")),
        ("Build", f"{sw.get('framework')} {sw.get('framework_version')}" if sw else None),
        ("Suite", doc.get("suite_id")), ("Model", model_line),
        ("Runs", task.get("num_runs")), ("Submitter", meta.get("submitted_by")), ("Date", when),
    ])


def env_text(env: dict[str, Any]) -> Table:
    cpu = env.get("cpu") or {}
    accels = ", ".join(f"{a.get('name')} ({fmt(a.get('memory_gb'), 1)} GB, driver {a.get('driver_version')})"
                       for a in env.get("accelerators") or [] if isinstance(a, dict))
    return _pairs([
        ("Accelerators", accels), ("Platform", env.get("accelerator_platform")),
        ("CPU", f"{cpu.get('model')} ({cpu.get('physical_cores')} cores, {cpu.get('logical_cores')} threads)"
         if cpu else None),
        ("Memory", f"{env.get('system_memory_gb')} GB" if env.get("system_memory_gb") is not None else None),
        ("OS", env.get("os")), ("Kernel", env.get("kernel_version")), ("Python", env.get("python_version")),
        ("Runtime", env.get("runtime_version")),
    ])


class RunDetailScreen(AccelmarkScreen):
    CSS_PATH = Path(__file__).with_name("run_detail.tcss")
    HELP_TEXT = ("One run: what was measured on which chip, runner and model; each scenario's table (a sweep "
                 "or peak search with its curves); the accuracy receipt; the machine's environment. e and E "
                 "export Markdown and CSV; s submits it to the leaderboard.")

    BINDINGS = [
        Binding("e", "export('md')", "Export .md", id="detail.export-md",
                tooltip="Write the run as a Markdown table (asks where; default: in the run's folder)"),
        Binding("E", "export('csv')", "Export .csv", id="detail.export-csv",
                tooltip="Write the run as CSV, one row per measured step (asks where)"),
        Binding("s", "submit", "Submit", id="detail.submit",
                tooltip="Submit this run to the leaderboard: checklist, files, PR preview, then ctrl+s"),
    ]

    def __init__(self, run_name: str) -> None:
        """``run_name``: a run name, unique prefix or run folder path (archived runs need the path)."""
        super().__init__()
        self.run_name = run_name
        self.run: Any = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="detail-body"):
            yield Static("Reading the run…", id="detail-header", classes="panel")
            yield Vertical(id="detail-scenarios", classes="panel")
            yield Static("", id="detail-env", classes="panel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#detail-header").border_title = "Run"
        self.query_one("#detail-scenarios").border_title = "Measurements"
        self.query_one("#detail-env").border_title = "Environment"
        self.load()

    @work(thread=True, exclusive=True, group="detail-load", exit_on_error=False)
    def load(self) -> None:
        run = self.app.services.load_run(self.run_name)  # a bad name raises: the base shows the sentence
        self.app.call_from_thread(self._show, run)

    def _show(self, run: Any) -> None:
        self.run = run
        self.sub_title = short_run(run.run_dir.run_name)
        self.query_one("#detail-header", Static).update(header_text(run, self.app.services.results_root))
        box = self.query_one("#detail-scenarios")
        tables: list[Any] = []
        for name, block in run.metrics().items():
            if not isinstance(block, dict):
                continue
            if name in registry.CURVES:  # accelmark's sweep and peak search: their curves above the table
                tables.append(CurvesPanel(id=f"detail-curves-{name}", classes="detail-curves", block=(name, block)))
            tables.append(BlockTable(registry.view(name, block), id=f"detail-{name}"))
        for name, (block, note) in run.partial_blocks().items():  # a stopped scenario's finished requests
            tables.append(Static(note, id=f"detail-partial-note-{name}", classes="detail-partial", markup=False))
            tables.append(BlockTable(registry.view(name, block), id=f"detail-partial-{name}"))
        acc = run.accuracy_receipt()
        if acc:
            tables.append(BlockTable(receipt_view(acc), id="detail-accuracy"))
        box.mount_all(tables)
        notes = acc.get("notes") if acc else ((run.doc.get("accuracy") or {}).get("notes"))
        if not acc:
            notes = "Accuracy not measured" + (f": {notes}" if notes else "; run the accuracy scenario.")
        if notes:
            box.mount(Static(notes, id="detail-accuracy-notes", markup=False))
        if not tables:
            box.mount(Static("No scenario has finished in this run yet.", id="detail-empty"))
        self.query_one("#detail-env", Static).update(env_text(run.env_info) if run.env_info else "No env_info.json.")
        self.refresh_bindings()

    # -- actions ------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ("export", "submit"):
            return True if self.run is not None else None
        return True

    def default_export_path(self, kind: str) -> Path:
        # Inside the run's own folder: in the results root it sat among the run folders.
        rd = self.run.run_dir
        return rd.path / f"{rd.run_name}.{kind}"

    def action_export(self, kind: str) -> None:
        if self.run is None:
            return
        from accelmark_tui.screens.widgets.path_prompt import PathPrompt

        what = "Markdown" if kind == "md" else "CSV"
        self.app.push_screen(PathPrompt(f"Export {what} to", str(self.default_export_path(kind))),
                             lambda path: self.export_to(kind, path) if path else None)

    def export_to(self, kind: str, path: str | Path) -> Path | None:
        from accelmark_tui.errors import AccelmarkError

        target = Path(path).expanduser()
        if target.is_dir():
            target = target / self.default_export_path(kind).name
        try:
            self.app.services.export_run(self.run, kind, target)
        except (AccelmarkError, OSError) as exc:
            self.app.show_error(exc, title="Export failed")
            return None
        self.notify(str(target), title=f"Wrote {'Markdown' if kind == 'md' else 'CSV'}")
        return target

    def action_submit(self) -> None:
        if self.run is not None:
            from accelmark_tui.screens.submit import SubmitScreen

            self.app.push_screen(SubmitScreen(str(self.run.run_dir.path)))
