"""Per-scenario progress: one bar per scenario still to run, with the engine's count and ETA."""

from __future__ import annotations

from typing import Any, Iterable

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, ProgressBar

from accelmark_tui.screens.widgets.live_text import progress_detail


class QuietProgressBar(ProgressBar):
    """A bar without Textual's once-a-second ETA tick: with no ETA shown, that tick only cost a
    frame a second of the app's CPU, taken from the benchmark the screen shows."""

    def on_mount(self, event: events.Mount) -> None:
        event.prevent_default()  # skip ProgressBar.on_mount and its set_interval(1, update)
        self.update()


class ScenarioProgress(Horizontal):
    """One scenario: name, bar, detail (``12/24 · 50% · ETA 9s``)."""

    def __init__(self, scenario: str) -> None:
        super().__init__(id=f"progress-{scenario}", classes="scenario-progress -pending")
        self.scenario = scenario
        self._pending: tuple | None = None
        self._shown: tuple | None = None

    def compose(self) -> ComposeResult:
        yield Label(self.scenario, classes="progress-name", markup=False)
        # No percentage/ETA of its own: the engine's ETA (from completed requests) is in the detail.
        yield QuietProgressBar(total=1, show_eta=False, show_percentage=False)
        yield Label("waiting", classes="progress-detail", markup=False)

    def on_mount(self) -> None:
        if self._pending is not None:
            self.show(*self._pending)

    def show(self, state: str, done: int, total: int | None, detail: str) -> None:
        if (state, done, total, detail) == self._shown:
            return
        bars = self.query(ProgressBar)
        if not bars:  # mounted this tick, children not composed yet: apply on mount
            self._pending = (state, done, total, detail)
            return
        self._shown = (state, done, total, detail)
        for s in ("-pending", "-running", "-done"):
            self.set_class(s == f"-{state}", s)
        bars.first().update(total=max(1, total or 1), progress=done)
        self.query_one(".progress-detail", Label).update(detail, layout=False)  # 1fr wide: repaint only


class ProgressPanel(Vertical):
    def set_scenarios(self, names: Iterable[str]) -> None:
        self.remove_children()
        rows = [ScenarioProgress(n) for n in names]
        if rows:
            self.mount_all(rows)
        else:
            self.mount(Label("Nothing left to run: this configuration is already complete."))

    def show(self, snap: dict[str, Any], active: bool) -> None:
        """``active``: the run is still going (the current scenario moves, the rest wait)."""
        for row in self.query(ScenarioProgress):
            if row.scenario in snap["scenarios_done"]:
                row.show("done", 1, 1, "done")
            elif active and row.scenario == snap["scenario"]:
                row.show("running", snap["done"], snap["total"], progress_detail(snap))
            else:
                row.show("pending", 0, 1, "waiting" if active else "not run")
