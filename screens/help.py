"""Help (F1): what the screen below is for and every key that works there.

The rows are a snapshot taken when F1 is pressed, from the live binding
chain, so they always match the code (ids, descriptions and tooltips come
from each ``Binding``); nothing here is a hand-written key list.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Label, Static

from accelmark_tui.ui.base import AccelmarkModal


def binding_rows(screen: Any, app: Any) -> list[tuple[str, str, str, str]]:
    """(where, key, description, tooltip) for the screen's and the app's bindings.

    The screen's own keys (those with an id, which accelmark's screens all have) come first;
    Textual's built-ins (focus, copy, the palette) go with the app's under "Everywhere".
    """
    own: list[tuple[str, str, str, str]] = []
    everywhere: list[tuple[str, str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    # Inside a dialog the app's keys are cut off (Textual stops at a modal): list only the dialog's.
    for node in (screen,) if screen.is_modal else (screen, app):
        keys_of: dict[tuple[str, str], list[str]] = {}
        for key, binding in node._bindings:
            keys_of.setdefault((binding.action, binding.description), []).append(key)
        for key, binding in node._bindings:
            ident = (binding.action, binding.description)
            if binding.system or not binding.description or ident in seen:
                continue
            # A key the node hides right now (Back on home) is not a key the user has.
            if node.check_action(binding.action, ()) is False:
                continue
            seen.add(ident)
            shown = " / ".join(dict.fromkeys(app.get_key_display(Binding(k, binding.action)) for k in keys_of[ident]))
            description = binding.description[:1].upper() + binding.description[1:]
            mine = node is screen and binding.id is not None
            (own if mine else everywhere).append(("This screen" if mine else "Everywhere", shown, description,
                                                  binding.tooltip))
    return own + everywhere


class HelpScreen(AccelmarkModal):
    CSS_PATH = Path(__file__).with_name("help.tcss")
    HELP_TEXT = "This list."
    BINDINGS = [
        Binding("escape,f1", "close", "Close help", id="help.close", tooltip="Back to where you were"),
    ]

    def __init__(self, title: str, about: str, rows: list[tuple[str, str, str, str]]) -> None:
        super().__init__()
        self.screen_title, self.about, self.rows = title, about, rows

    @classmethod
    def for_screen(cls, screen: Any, app: Any) -> "HelpScreen":
        title = getattr(screen, "HELP_TITLE", "") or type(screen).__name__.removesuffix("Screen").removesuffix("Modal")
        return cls(title, getattr(screen, "HELP_TEXT", "") or "", binding_rows(screen, app))

    def _table(self) -> Table:
        table = Table(box=None, expand=True, show_edge=False, pad_edge=False, header_style="bold")
        table.add_column("Key", no_wrap=True, style="bold")
        table.add_column("Does", ratio=2)
        table.add_column("Details", ratio=3, style="dim")
        where = None
        for group, key, description, tooltip in self.rows:
            if group != where:
                if where is not None:
                    table.add_row("", "", "")
                table.add_row(Text(group, style="underline"), "", "")
                where = group
            table.add_row(key, description, tooltip)
        return table

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog"):
            yield Label(f"Help · {self.screen_title}", id="help-title")
            with VerticalScroll(id="help-body"):
                if self.about:
                    yield Static(self.about, id="help-about", markup=False)
                yield Static(self._table(), id="help-keys")
                yield Static("ctrl+p opens the command palette: type a runner, suite, run or screen name to go "
                             "there. Every screen has a headless twin: `accelmark --help`.", id="help-tips",
                             markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close (esc)", id="help-close")

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    @on(Button.Pressed, "#help-close")
    def action_close(self) -> None:
        self.dismiss(None)
