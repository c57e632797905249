"""Submitting a run to the AccelMark leaderboard, as seen from the app.

The app's own submit flow (confirm, progress, the pull request link) belongs to
the submission work and is not built here. This screen is honest about that:
it runs the submit engine's checklist on the chosen run (the same items
``accelmark submit --dry-run`` prints), says whether a GitHub token is set
(without reading it), and gives the exact command that submits today.
Nothing is sent from this screen.
"""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path
from typing import Any, Mapping

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from accelmark_tui.ui.base import AccelmarkScreen

OK, MISSING, NOTE = "✓", "✗", "!"


def checklist(run: Any, profile: Any, environ: Mapping[str, str] | None = None,
              gh_available: bool | None = None) -> list[tuple[str, str, str]]:
    """(mark, what, how to fix) per requirement of a submission of ``run`` (a RunData) to the
    default leaderboard: the submit engine's checks, then whether a token can be found."""
    from accelmark_tui.results.identity import PLACEHOLDER_SUBMITTER
    from accelmark_tui.submit.checklist import build_checklist

    login = getattr(profile, "submitted_by", None)
    login = login if login and login != PLACEHOLDER_SUBMITTER else None
    items = [(MISSING if not c.ok else NOTE if c.warning else OK, f"{c.name}: {c.detail}", c.fix if not c.ok else "")
             for c in build_checklist(run.run_dir, login=login)]
    env = os.environ if environ is None else environ
    token_var = next((v for v in ("GITHUB_TOKEN", "GH_TOKEN") if env.get(v)), None)
    gh = shutil.which("gh") is not None if gh_available is None else gh_available
    if token_var:  # only whether it is set: the token itself is never read here
        items.append((OK, f"GitHub token: set in {token_var} (used for the API calls only, never stored)", ""))
    elif gh:
        items.append((NOTE, "GitHub token: none in GITHUB_TOKEN or GH_TOKEN; submit will ask `gh auth token`", ""))
    else:
        items.append((MISSING, "GitHub token: none in GITHUB_TOKEN or GH_TOKEN, and no GitHub CLI",
                      "Set GITHUB_TOKEN to a token that can fork and open pull requests, or install the GitHub CLI "
                      "and run `gh auth login`."))
    return items


def submit_command(run: Any, results_root: Path | None) -> str:
    """The command that submits this run today (``--output-dir`` when the app reads another root)."""
    from accelmark_tui import paths

    cmd = ["accelmark", "submit", run.run_dir.run_name]
    if results_root is not None and Path(results_root) != paths.results_root(None):
        cmd += ["--output-dir", str(results_root)]
    return shlex.join(cmd)


def plan_text(run: Any, command: str) -> Text:
    from accelmark_tui.submit import DEFAULT_REPO

    rd = run.run_dir
    text = Text()
    text.append("Submitting from the app is not built yet; nothing is sent from this screen.\n", style="bold")
    text.append(f"\nOn the command line it works now: {command}\n(add --dry-run to see the checklist, the files "
                f"and the pull request text without calling GitHub).\n\nSubmitting validates the run, re-stamps it "
                f"with your GitHub login, forks {DEFAULT_REPO}, commits results/{rd.tier}/{rd.run_name}/ "
                f"(result.json, env_info.json, one folder per scenario, the accuracy receipt; never samples or logs) "
                f"on a new branch and opens a pull request, whose checks recompute the run id.\n\nWhat this run needs:")
    return text


class SubmitScreen(AccelmarkScreen):
    CSS_PATH = Path(__file__).with_name("submit.tcss")
    HELP_TEXT = ("What submitting a run to the AccelMark leaderboard does, the submit engine's checklist for this "
                 "run, and the command that submits it. The app's own submit flow is not built yet; this screen "
                 "sends nothing.")

    def __init__(self, run_name: str) -> None:
        """``run_name``: a run name, unique prefix or run folder path."""
        super().__init__()
        self.run_name = run_name
        self.items: list[tuple[str, str, str]] = []
        self.command = ""

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="submit-body"):
            yield Static("Checking the run…", id="submit-plan")
            yield Static("", id="submit-checks")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#submit-body").border_title = "Submit to the leaderboard"
        self.check()

    @work(thread=True, exclusive=True, group="submit-check", exit_on_error=False)
    def check(self) -> None:
        services = self.app.services
        run = services.load_run(self.run_name)  # a bad name raises: the base shows the sentence
        items = checklist(run, services.profile())
        self.app.call_from_thread(self._show, run, items)

    def _show(self, run: Any, items: list[tuple[str, str, str]]) -> None:
        self.items = items
        self.command = submit_command(run, self.app.services.results_root)
        self.sub_title = run.run_dir.run_name
        self.query_one("#submit-plan", Static).update(plan_text(run, self.command))
        colours = self.app.get_css_variables()  # theme colours: readable on dark and light
        style = {OK: colours["success"], MISSING: colours["error"], NOTE: colours["warning"]}
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")
        for mark, what, fix in items:
            body = Text(what)
            if fix:
                body.append("\n" + fix, style="dim")
            grid.add_row(Text(mark, style=f"bold {style[mark]}"), body)
        missing = sum(1 for m, _, _ in items if m == MISSING)
        grid.add_row("", "")
        grid.add_row("", Text(f"{missing} thing(s) to fix before this run can be submitted." if missing else
                              "Nothing blocks this run: the command above submits it.", style="bold"))
        self.query_one("#submit-checks", Static).update(grid)
