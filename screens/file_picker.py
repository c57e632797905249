"""Pick a local GGUF model file: a directory tree showing only folders and *.gguf files.

Dismisses with the chosen file's path as a string, or None (Esc). The tree
lists folders lazily in Textual's own workers, so a large home folder never
blocks the app.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DirectoryTree, Input, Label, Static

from accelmark_tui.ui.base import AccelmarkModal


class GgufTree(DirectoryTree):
    """Folders and .gguf files only; hidden entries stay hidden."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        keep = []
        for path in paths:
            if path.name.startswith("."):
                continue
            try:
                if path.is_dir() or path.suffix.lower() == ".gguf":
                    keep.append(path)
            except OSError:
                continue  # unreadable entry: skip it rather than fail the listing
        return keep


class FilePickerModal(AccelmarkModal):
    CSS_PATH = Path(__file__).with_name("file_picker.tcss")
    HELP_TITLE = "Pick a GGUF file"
    HELP_TEXT = ("Only folders and .gguf files are shown. Enter on a file picks it; type a folder in the box at "
                 "the top and press Enter to start there instead.")
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel", tooltip="Back without choosing a file"),
    ]

    def __init__(self, start: str | Path | None = None, last: Path | None = None) -> None:
        """Opens at ``start`` (a file's folder), else ``last`` (the folder of the last pick), else here."""
        super().__init__()
        start_path = Path(start).expanduser() if start else (last or Path.cwd())
        if start_path.is_file():
            start_path = start_path.parent
        self.start = start_path if start_path.is_dir() else Path.cwd()

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-dialog", classes="dialog"):
            yield Label("Choose a GGUF model file", id="picker-title")
            yield Input(str(self.start), id="picker-root", compact=True, placeholder="a folder to browse")
            yield Label("", id="picker-error", classes="-error")
            yield GgufTree(self.start, id="picker-tree")
            yield Static("Enter on a .gguf file picks it.", id="picker-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (esc)", id="picker-cancel")

    def on_mount(self) -> None:
        self.query_one("#picker-tree").focus()

    @on(Input.Submitted, "#picker-root")
    def _change_root(self, event: Input.Submitted) -> None:
        folder = Path(event.value).expanduser()
        error = self.query_one("#picker-error", Label)
        if not folder.is_dir():
            error.update(f"{folder} is not a folder; type the path of a folder that holds .gguf files.")
            error.add_class("-shown")
            return
        error.remove_class("-shown")
        tree = self.query_one("#picker-tree", GgufTree)
        tree.path = folder
        tree.focus()

    @on(DirectoryTree.FileSelected, "#picker-tree")
    def _picked(self, event: DirectoryTree.FileSelected) -> None:
        self.dismiss(str(event.path))

    @on(Button.Pressed, "#picker-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
