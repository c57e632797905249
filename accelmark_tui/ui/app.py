"""The accelmark app shell: screens, bindings, navigation, the error path.

The shell holds ``services`` (engine access) and navigation; screens live in
``accelmark_tui.screens`` (the repo's top-level ``screens/`` folder) and are
imported lazily, so the first paint of the home screen pays only for Textual
and the home screen. Blocking work runs in thread workers; every failure ends
in ``show_error`` (an error dialog with ``errors.user_message``'s sentence).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App
from textual.binding import Binding
from textual.worker import Worker, WorkerState

from accelmark_tui.errors import user_message
from accelmark_tui.ui.commands import AccelmarkCommands
from accelmark_tui.ui.services import Services

if TYPE_CHECKING:
    from textual.screen import Screen

DARK_THEME = "textual-dark"
LIGHT_THEME = "textual-light"


class AccelmarkApp(App):
    TITLE = "accelmark"
    SUB_TITLE = "LLM inference benchmarks for this machine"
    CSS_PATH = Path(__file__).with_name("app.tcss")
    # Screens get "-narrow" below 100 columns so layouts can stack at 80×24.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    COMMANDS = App.COMMANDS | {AccelmarkCommands}
    MODES = {"home": lambda: _home_screen()}

    BINDINGS = [
        Binding("ctrl+q", "quit_app", "Quit", id="app.quit", tooltip="Quit (asks first while a run is live)",
                priority=True),
        Binding("f1", "help", "Help", id="app.help", tooltip="Every key, and what each screen does"),
        Binding("escape", "back", "Back", id="app.back", tooltip="Back to the previous screen"),
        Binding("ctrl+t", "toggle_theme", "Theme", id="app.theme", tooltip="Switch between the dark and light theme",
                show=False),
    ]

    def __init__(self, services: Services | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.services = services or Services.real()
        self.live_session = None  # the RunSession while a run is live (set by the live-run screen)
        # "Skip for now" on the profile dialog holds for this session; it is asked again next launch.
        self.profile_skipped = False
        # A GitHub token pasted on the submit screen (a submit.auth.Token): this process's memory only,
        # never written anywhere; GITHUB_TOKEN / GH_TOKEN / `gh auth token` need no pasting.
        self.github_token = None
        self.last_model_folder: Path | None = None  # where the file picker starts next (this session)

    def get_driver_class(self):
        driver = super().get_driver_class()
        if driver.__module__ == "textual.drivers.linux_driver" and driver.__name__ == "LinuxDriver":
            from accelmark_tui.ui.driver import QuietLinuxDriver  # no input polling while idle

            return QuietLinuxDriver
        return driver

    # Home is the bottom of the stack (a mode, so its stylesheet loads), and "back" never leaves it.
    DEFAULT_MODE = "home"

    def on_mount(self) -> None:
        # A developer hook (ACCELMARK_AUTORUN, used by bench/ui_overhead.py): open straight on a live run.
        from accelmark_tui.ui.autorun import install

        install(self)
        # Said at start, not first when submitting: every default the file sets is ignored until it is fixed.
        if problem := self.services.settings_problem():
            self.notify(problem + " Defaults are used until then.", title="Settings not used", severity="error",
                        timeout=30, markup=False)

    # -- the one error path ---------------------------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.show_error(event.worker.error)

    def show_error(self, exc: BaseException | str, title: str = "Something went wrong") -> None:
        from accelmark_tui.screens.error_modal import ErrorModal

        text = exc if isinstance(exc, str) else user_message(exc)
        self.push_screen(ErrorModal(title, text))

    # -- navigation (used by screens, bindings and the command palette) ------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            # Nothing to go back to from home; a dialog handles Esc itself (and its answer).
            return len(self.screen_stack) > 1 and not self.screen.is_modal
        return True

    def action_back(self) -> None:
        if len(self.screen_stack) > 1:
            self.pop_screen()

    def action_go_home(self) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def action_open_catalog(self) -> None:
        from accelmark_tui.screens.catalog import CatalogScreen

        if not isinstance(self.screen, CatalogScreen):
            self.push_screen(CatalogScreen())

    def open_setup(self, runner_id: str | None = None, suite_id: str | None = None) -> None:
        from accelmark_tui.screens.run_setup import RunSetupScreen

        self.push_screen(RunSetupScreen(runner_id=runner_id, suite_id=suite_id))

    def action_open_results(self) -> None:
        from accelmark_tui.screens.results import ResultsScreen

        if not isinstance(self.screen, ResultsScreen):
            self.push_screen(ResultsScreen())

    def open_run(self, run_name: str) -> None:
        from accelmark_tui.screens.run_detail import RunDetailScreen

        self.push_screen(RunDetailScreen(run_name))

    def action_help(self) -> None:
        from accelmark_tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        below = self.screen
        # A snapshot of the keys of the screen below and the app's, taken now (so they match what works).
        self.push_screen(HelpScreen.for_screen(below, self))

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT_THEME if self.theme == DARK_THEME else DARK_THEME

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


def _home_screen() -> Screen:
    from accelmark_tui.screens.home import HomeScreen  # lazily: only when the app starts

    return HomeScreen()


def run_app() -> int:
    AccelmarkApp().run()
    return 0
