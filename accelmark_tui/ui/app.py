"""The accelmark app shell: screens, bindings, the error path.

The shell holds ``services`` (engine access) and navigation; screens live in
``accelmark_tui.screens`` (the repo's top-level ``screens/`` folder). Blocking
work runs in thread workers; one ``Worker.StateChanged`` handler turns any
failure into an error dialog through ``errors.user_message``.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.binding import Binding
from textual.worker import Worker, WorkerState

from accelmark_tui.errors import user_message
from accelmark_tui.ui.services import Services


class AccelmarkApp(App):
    TITLE = "accelmark"
    SUB_TITLE = "LLM inference benchmarks for this machine"
    CSS_PATH = Path(__file__).with_name("app.tcss")

    BINDINGS = [
        Binding("ctrl+q", "quit_app", "Quit", id="quit", tooltip="Quit (asks first while a run is live)",
                priority=True),
        Binding("f1", "help", "Help", id="help", tooltip="Every key, and what each screen does"),
    ]

    def __init__(self, services: Services | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.services = services or Services.real()
        self.live_session = None  # the RunSession while a run is live (set by the live-run screen)

    def on_mount(self) -> None:
        from accelmark_tui.screens.home import HomeScreen

        self.push_screen(HomeScreen())

    # -- the one error path ---------------------------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.show_error(event.worker.error)

    def show_error(self, exc: BaseException | str, title: str = "Something went wrong") -> None:
        from accelmark_tui.screens.error_modal import ErrorModal

        text = exc if isinstance(exc, str) else user_message(exc)
        self.push_screen(ErrorModal(title, text))

    # -- actions -------------------------------------------------------------------------
    def action_help(self) -> None:
        from accelmark_tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit_app(self) -> None:
        session = self.live_session
        if session is not None and getattr(session, "proc", None) is not None and session.proc.poll() is None:
            from accelmark_tui.screens.confirm_modal import ConfirmModal

            def answer(yes: bool | None) -> None:
                if yes:
                    session.stop(now=False)
                    self.exit()

            self.push_screen(ConfirmModal("A run is live. Stop it (finished scenarios are kept) and quit?",
                                          yes="Stop and quit", no="Keep running"), answer)
            return
        self.exit()


def run_app() -> int:
    AccelmarkApp().run()
    return 0
