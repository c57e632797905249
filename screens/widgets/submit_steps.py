"""The submission's GitHub steps, one row each: fork, branch, commit, pull request.

Each row is ``· waiting`` → ``… working`` → ``✓ detail`` or ``✗ sentence``,
driven by the submit engine's ``on_step`` reports (relayed to the UI thread
by the screen). State classes on each row: ``-running``, ``-ok``, ``-failed``.
"""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

# The steps that happen on GitHub, in order, named as the engine's ``submit.flow.STEPS`` (a test
# checks they are); its earlier ones (account, identity, validate) are local or checked before
# confirming and show in the screen's status line.
ROWS = (("fork", "fork"), ("branch", "branch"), ("commit", "commit"), ("pr", "pull request"))
MARKS = {"pending": "·", "start": "…", "ok": "✓", "fail": "✗"}
CLASSES = {"pending": "", "start": "-running", "ok": "-ok", "fail": "-failed"}


class SubmitSteps(Vertical):
    """The four rows; ``set(name, status, detail)`` with the engine's statuses start/ok/fail."""

    def compose(self) -> ComposeResult:
        for name, label in ROWS:
            yield Static(self._line("pending", label, "waiting"), id=f"step-{name}", classes="submit-step",
                         markup=False)

    @staticmethod
    def _line(status: str, label: str, detail: str) -> Table:
        # A grid, so a long detail (an error sentence, the PR link) wraps under itself.
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True, width=14)
        grid.add_column(overflow="fold")
        grid.add_row(f"{MARKS[status]} {label}", detail)
        return grid

    def reset(self) -> None:
        for name, _ in ROWS:
            self.set(name, "pending", "waiting")

    def set(self, name: str, status: str, detail: str = "") -> None:
        label = dict(ROWS).get(name)
        if label is None or status not in MARKS:
            return
        row = self.query_one(f"#step-{name}", Static)
        row.update(self._line(status, label, detail or ("working…" if status == "start" else "")))
        for cls in ("-running", "-ok", "-failed"):
            row.set_class(CLASSES[status] == cls, cls)

    def status_of(self, name: str) -> str:
        """The row's state as its class says (pending, start, ok, fail); tests read this."""
        row = self.query_one(f"#step-{name}", Static)
        for status, cls in CLASSES.items():
            if cls and row.has_class(cls):
                return status
        return "pending"
