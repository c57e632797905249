"""Base classes for accelmark's screens: worker failures reach the one error path.

``Worker.StateChanged`` does not bubble, so a worker started by a screen never
reaches the App's handler. These bases forward a failed worker to
``app.show_error`` (the dialog with the one-sentence cause); Textual calls
this handler in addition to any ``on_worker_state_changed`` a subclass
defines, because message handlers run for every class in the MRO.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState


def _forward_error(node, event: Worker.StateChanged) -> None:
    if event.state == WorkerState.ERROR and event.worker.error is not None:
        node.app.show_error(event.worker.error)


class AccelmarkScreen(Screen):
    # One paragraph on what the screen is for; the help screen shows it above the keys.
    HELP_TEXT = ""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        _forward_error(self, event)


class AccelmarkModal(ModalScreen):
    HELP_TEXT = ""
    # A dialog cuts the app's keys off (Textual stops the binding chain at a modal), so F1 is repeated here.
    BINDINGS = [Binding("f1", "app.help", "Help", id="modal.help", show=False,
                        tooltip="Every key of this dialog, and what it is for")]

    def on_mount(self) -> None:
        # The dialog's own footer: without it the screen below shows its keys, which do not work here.
        # (Textual runs this beside a subclass's on_mount: handlers run for every class in the MRO.)
        from textual.widgets import Footer

        self.mount(Footer())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        _forward_error(self, event)
