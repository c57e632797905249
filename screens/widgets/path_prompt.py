"""Ask for a file path, prefilled with a sensible default (enter writes, esc cancels)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label

from accelmark_tui.ui.base import AccelmarkModal


class PathPrompt(AccelmarkModal):
    DEFAULT_CSS = """
    PathPrompt { align: center middle; }
    PathPrompt > #path-dialog {
        width: 90%; max-width: 110; height: auto;
        border: round $primary; background: $surface; padding: 1 2;
    }
    PathPrompt #path-help { color: $text-muted; margin-top: 1; }
    """
    HELP_TEXT = "Where to write the file: edit the path, enter writes it, esc cancels."
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="path.cancel", tooltip="Close without writing")]

    def __init__(self, title: str, default: str) -> None:
        super().__init__()
        self.title_text = title
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="path-dialog"):
            yield Label(self.title_text, id="path-title")
            yield Input(self.default, id="path-input")
            yield Label("enter writes the file · esc cancels", id="path-help")

    def on_mount(self) -> None:
        self.query_one("#path-input", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        self.dismiss(value or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
