"""An error dialog: what went wrong and what to do, in one sentence; the app stays up."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Static

from accelmark_tui.ui.base import AccelmarkModal


class ErrorModal(AccelmarkModal):
    CSS_PATH = Path(__file__).with_name("error_modal.tcss")
    HELP_TEXT = "Something failed. The message says what to do; anything already measured was kept."
    BINDINGS = [
        Binding("escape", "close", "Close", id="error.close", tooltip="Close this message"),
    ]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(id="error-dialog", classes="dialog"):
            yield Label(self.title_text, id="error-title")
            yield Static(self.text, id="error-text", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", id="error-ok", variant="error")

    def on_mount(self) -> None:
        self.query_one("#error-ok", Button).focus()

    @on(Button.Pressed, "#error-ok")
    def action_close(self) -> None:
        self.dismiss(None)
