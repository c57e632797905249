"""Home: what this machine is, how busy it is right now, and what to do next.

Detection can take a while on a cold cache (vendor libraries, subprocesses),
so the first paint shows a placeholder and a thread worker fills it in.
Telemetry is sampled at 1 Hz on the sampler's plain thread (``ui.sampler``) while
this screen shows, paused while another screen covers it; the screen's own 1 Hz
timer draws what it sampled.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Footer, Header, Static

from accelmark_tui.scenarios.format import weights_label
from accelmark_tui.screens.catalog import short_runner
from accelmark_tui.ui.base import AccelmarkScreen
from accelmark_tui.ui.sampler import PeriodicSampler, SamplingScreen
from accelmark_tui.ui.telemetry import TelemetryGauges

_CHIP_WORD = {"ascend": "NPU", "google": "TPU"}


def machine_table(machine: Any) -> Table:
    """The detected machine as label/value rows (accelerators grouped by model)."""
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    if not machine.accelerators:
        table.add_row("Chip", Text("CPU is the benchmark chip (no GPU or NPU found)"))
    groups: dict[str, list[Any]] = {}
    for acc in machine.accelerators:
        groups.setdefault(acc.name, []).append(acc)
    for name, accs in groups.items():
        first = accs[0]
        memory = f"{first.memory_gb:g} GB" if first.memory_gb else "memory unknown"
        count = f"{len(accs)}× " if len(accs) > 1 else ""
        runtime = machine.runtime_version if first.platform == machine.platform else first.platform
        table.add_row(_CHIP_WORD.get(first.platform, "GPU"), Text(f"{count}{name} · {memory}"))
        table.add_row("Driver", Text(f"{first.driver_version} · {runtime}"))
    cpu = machine.cpu
    table.add_row("CPU", Text(cpu.model))
    nodes = "node" if cpu.numa_nodes == 1 else "nodes"
    table.add_row("Cores", Text(f"{cpu.physical_cores} physical / {cpu.logical_cores} logical · "
                                f"{cpu.numa_nodes} NUMA {nodes} · {cpu.arch or '?'}"))
    table.add_row("RAM", Text(f"{machine.system_memory_gb:.1f} GB"))
    table.add_row("System", Text(f"{machine.os} · kernel {machine.kernel_version} · Python {machine.python_version}"))
    missing = [note.split(":", 1)[0] for note in machine.probe_notes if ":" in note]
    if missing and not machine.accelerators:
        table.add_row("Missing", Text(f"{', '.join(missing)} (`accelmark detect` says why)", style="dim"))
    return table


def runs_table(runs: list[Any], limit: int = 5) -> Table | str:
    """The newest runs, one line each: model and quant (what a quant ladder tells apart), runner, headline.

    The results screen has the rest (suite, chip, every figure); a run not complete says so in place of its figure.
    """
    if not runs:
        return "No runs on this machine yet: press r to run the quick suite."
    table = Table.grid(padding=(0, 2))
    for column in ("date", "model", "runner", "figure"):
        table.add_column(no_wrap=True, overflow="ellipsis", style="dim" if column == "date" else None)
    for run in runs[:limit]:
        speed = (f"{run.decode_tok_s:.1f} decode tok/s" if run.decode_tok_s else
                 f"{run.best_offline_tok_s:.0f} tok/s offline" if run.best_offline_tok_s else "")
        figure = speed if run.status == "complete" else " · ".join(x for x in (run.status, speed) if x)
        model = f"{(run.model_id or '?').split('/')[-1]} {weights_label(run.quantization, run.precision)}"
        table.add_row(run.date or "", model, short_runner(run.runner_id or "?"), figure)
    if len(runs) > limit:
        table.add_row("", Text(f"… {len(runs) - limit} more: press v", style="dim"), "", "")
    return table


class HomeScreen(SamplingScreen, AccelmarkScreen):
    CSS_PATH = Path(__file__).with_name("home.tcss")
    SAMPLE_SECONDS = 1.0
    HELP_TEXT = ("What accelmark found on this machine and how busy it is right now. From here: set up the quick "
                 "suite on the embedded model, browse which runners and suites fit this machine, or look at results.")

    BINDINGS = [
        Binding("r", "quick", "Quick suite", id="home.quick",
                tooltip="Set up a run of the quick suite on the embedded model"),
        Binding("c", "app.open_catalog", "Catalog", id="home.catalog",
                tooltip="Runners × suites for this machine, and why a pair does not fit"),
        Binding("v", "app.open_results", "Results", id="home.results", tooltip="Earlier runs on this machine"),
        Binding("s", "submit", "Submit", id="home.submit", tooltip="Publish a run to the AccelMark leaderboard"),
    ]

    class Detected(Message):
        def __init__(self, machine: Any) -> None:
            super().__init__()
            self.machine = machine

    class RunsListed(Message):
        def __init__(self, runs: list[Any], error: str | None = None) -> None:
            super().__init__()
            self.runs, self.error = runs, error

    class Sampled(Message):
        """The sampler's first sample is in (or it gave up): drawn now rather than a tick later."""

    def __init__(self) -> None:
        super().__init__()
        self.machine: Any = None
        self._gauge_timer = None  # draws what the sampler took since the last draw
        self._drawn = 0  # samples drawn so far (the sampler's ``taken`` at the last draw)

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="home-main"):
            with VerticalScroll(id="home-body"):
                with Horizontal(id="home-top"):
                    with Vertical(id="machine-panel", classes="panel"):
                        yield Static("Detecting this machine…", id="machine-info")
                    with Vertical(id="telemetry-panel", classes="panel"):
                        yield TelemetryGauges(id="gauges")
                with Vertical(id="runs-panel", classes="panel"):
                    yield Static("Reading the results folder…", id="recent-runs")
            # Outside the scroll, so the next steps stay in sight at 80×24 while the facts above scroll.
            with Vertical(id="next-steps", classes="panel"):
                yield Static("The quick suite runs the embedded SmolLM2-135M model in a few minutes; "
                             "nothing leaves this machine until you submit.", id="next-hint")
                with Grid(id="step-buttons"):
                    yield Button("Run the quick suite (r)", id="quick", variant="primary")
                    yield Button("Runners & suites (c)", id="catalog")
                    yield Button("Results (v)", id="results")
                    yield Button("Submit (s)", id="submit")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#machine-panel").border_title = "This machine"
        self.query_one("#telemetry-panel").border_title = "Live"
        self.query_one("#next-steps").border_title = "Next steps"
        self.query_one("#runs-panel").border_title = "Recent runs"
        self.query_one("#quick", Button).focus()
        self.detect()
        self.list_runs()
        sampler = self.start_sampling(self.SAMPLE_SECONDS)
        if sampler is None:
            self.query_one("#gauges", TelemetryGauges).query_one(Static).update("No live telemetry here.")
            return
        self._gauge_timer = self.set_interval(self.SAMPLE_SECONDS, self._draw_gauges)
        self._first_sample(sampler)

    def on_resize(self) -> None:
        # Tall buttons where there is room; one-line buttons at 80×24.
        compact = self.size.width < 100
        for button in self.query("#step-buttons Button").results(Button):
            button.compact = compact

    # -- detection -----------------------------------------------------------------------
    @work(thread=True, group="detect", exit_on_error=False)
    def detect(self) -> None:
        self.post_message(self.Detected(self.app.services.machine()))

    def on_home_screen_detected(self, message: Detected) -> None:
        self.machine = message.machine
        panel = self.query_one("#machine-info", Static)
        panel.update(machine_table(message.machine))
        self.add_class("-detected")

    def on_worker_state_changed(self, event) -> None:
        if event.worker.group == "detect" and event.worker.error is not None:
            self.query_one("#machine-info", Static).update("Detection failed (see the message).")

    # -- recent runs (reread whenever home shows again: a run may just have finished) ----------
    @work(thread=True, group="runs", exclusive=True, exit_on_error=False)
    def list_runs(self) -> None:
        try:
            runs = [r for r in self.app.services.list_runs() if not r.archived]
        except Exception as exc:  # noqa: BLE001 - shown in the panel: a dialog on every return home would nag
            from accelmark_tui.errors import user_message

            self.post_message(self.RunsListed([], user_message(exc)))
            return
        self.post_message(self.RunsListed(runs))

    def on_home_screen_runs_listed(self, message: RunsListed) -> None:
        text = f"Could not read the results folder: {message.error}" if message.error else runs_table(message.runs)
        self.query_one("#recent-runs", Static).update(text)

    # -- telemetry: sampled on the sampler's thread, drawn at 1 Hz while this screen shows ---------
    # (SamplingScreen pauses and resumes the sampler itself on the same events.)
    @work(thread=True, group="telemetry", exit_on_error=False)
    def _first_sample(self, sampler: PeriodicSampler) -> None:
        """Wait once for the first sample (a slow gauge may take a while), so it shows at once."""
        sampler.first.wait()  # also set when sampling gives up or stops
        self.post_message(self.Sampled())

    def on_home_screen_sampled(self, _message: Sampled) -> None:
        self._draw_gauges()

    def _draw_gauges(self) -> None:
        sampler = self._sampler
        if sampler is None or self._gauge_timer is None:
            return  # no telemetry, or it stopped
        new, self._drawn = sampler.since(self._drawn)
        gauges = self.query_one("#gauges", TelemetryGauges)
        for sample in new:
            gauges.add_sample(sample)
        if sampler.error is not None:  # a broken gauge: say so once, quietly (no dialog every second)
            from accelmark_tui.errors import user_message

            self._gauge_timer.stop()
            self._gauge_timer = None
            gauges.mount(Static(f"Telemetry stopped: {user_message(sampler.error)}", classes="gauges-error"))

    def on_screen_suspend(self) -> None:
        if self._gauge_timer is not None:
            self._gauge_timer.pause()

    def on_screen_resume(self) -> None:
        if self._gauge_timer is not None:
            self._gauge_timer.resume()
        if self.is_mounted and self.machine is not None:
            self.list_runs()

    # -- next steps -------------------------------------------------------------------------
    def action_quick(self) -> None:
        self.app.open_setup(suite_id=self.app.services.default_suite)

    def action_submit(self) -> None:
        self.notify("Pick a run here and press s: the submit screen checks it, shows what is sent and "
                    "opens the pull request.", title="Submit", timeout=8)
        self.app.action_open_results()

    @on(Button.Pressed, "#quick")
    def _quick(self) -> None:
        self.action_quick()

    @on(Button.Pressed, "#catalog")
    def _catalog(self) -> None:
        self.app.action_open_catalog()

    @on(Button.Pressed, "#results")
    def _results(self) -> None:
        self.app.action_open_results()

    @on(Button.Pressed, "#submit")
    def _submit(self) -> None:
        self.action_submit()
