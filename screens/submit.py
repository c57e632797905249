"""Submitting a run to the AccelMark leaderboard from the app.

Results → ``s`` opens this screen on a run: the submit engine's checklist
(failing items say how to fix them and block), the files the pull request
sends and its title and body (``accelmark submit --dry-run``'s plan), the
account (the token owner's login; the token is never shown) and the target
repository. ``ctrl+s`` submits: the engine's ``flow.submit`` runs in a thread
worker and reports each step through ``on_step``, which this screen receives
as messages (the worker never touches a widget); fork, branch, commit and
pull request turn ✓ (or ✗ with the engine's one-sentence error), and the
pull request's link ends it (``o`` opens it in the browser).

First-time users are guided in place: with no token the screen explains how
to get one and takes a pasted one (memory only, this session); with no
submitter profile ``ctrl+s`` opens the profile dialog first, then goes on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Header, Input, Label, Static
from textual.worker import Worker, WorkerState

from accelmark_tui.screens.widgets.submit_plan import (
    account_line,
    checks_summary,
    checks_table,
    files_text,
    pr_preview,
    status_line,
)
from accelmark_tui.screens.widgets.submit_steps import SubmitSteps
from accelmark_tui.screens.widgets.token_panel import TokenPanel
from accelmark_tui.screens.catalog import short_run
from accelmark_tui.ui.base import AccelmarkScreen

STATES = ("checking", "blocked", "no-token", "ready", "submitting", "done", "failed")
PRE_STEPS = {"account": "Checking your GitHub account…", "identity": "Re-stamping the run with your login…",
             "validate": "Validating the run…"}


class SubmitScreen(AccelmarkScreen):
    CSS_PATH = Path(__file__).with_name("submit.tcss")
    HELP_TEXT = ("Submit a run to the AccelMark leaderboard as a GitHub pull request. The checklist must pass "
                 "(each failing item says how to fix it); the files and the pull request text below are exactly "
                 "what is sent. ctrl+s re-stamps the run with your GitHub login, forks the leaderboard, commits "
                 "the result on a branch and opens the pull request (or updates the one already open). The token "
                 "comes from GITHUB_TOKEN, GH_TOKEN, `gh auth token` or is pasted here; it is never shown or "
                 "stored. The target repository is submit_repo in settings.json in accelmark's config folder.")

    BINDINGS = [
        Binding("ctrl+s", "submit", "Submit", id="submit.confirm",
                tooltip="Send it: fork, branch, commit and open (or update) the pull request"),
        Binding("o", "open_pr", "Open PR", id="submit.open-pr", tooltip="Open the pull request in the browser"),
        Binding("ctrl+r", "recheck", "Check again", id="submit.recheck",
                tooltip="Look for a token again (GITHUB_TOKEN, GH_TOKEN, `gh auth token`) and re-check the run"),
        Binding("p", "profile", "Profile", id="submit.profile",
                tooltip="Edit the submitter profile (GitHub login, individual/vendor/research)"),
        Binding("escape", "back", "Back", id="submit.back", tooltip="Back (once nothing is being sent)"),
    ]

    class Checked(Message):
        """The check worker's findings: token, account, profile and the engine's plan."""

        def __init__(self, token: Any, login: str | None, account_error: str, rejected: bool, repo: str,
                     profile: Any, plan: Any) -> None:
            super().__init__()
            self.token, self.login, self.account_error, self.rejected = token, login, account_error, rejected
            self.repo, self.profile, self.plan = repo, profile, plan

    class Step(Message):
        """One ``on_step`` report from the submit worker."""

        def __init__(self, name: str, status: str, detail: str) -> None:
            super().__init__()
            self.name, self.status, self.detail = name, status, detail

    def __init__(self, run_name: str) -> None:
        """``run_name``: a run name, unique prefix or run folder path."""
        super().__init__()
        self.run_name = run_name
        self.run_path: Path | None = None  # the folder; renamed when submitting re-stamps the run
        self.state = "checking"
        self.repo = ""
        self.token: Any = None  # a submit.auth.Token; only its source is ever displayed
        self.login: str | None = None
        self.account_error = ""
        self.profile: Any = None
        self.plan: Any = None
        self.result: Any = None
        self.pr_url: str | None = None
        self.error = ""

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="submit-head"):
            yield Static("Checking the run and your GitHub account…", id="submit-status", markup=False)
            yield Static("", id="submit-account", markup=False)
            yield SubmitSteps(id="submit-steps")
        with VerticalScroll(id="submit-body"):
            yield TokenPanel(id="submit-token")
            yield Label("Checklist", id="checks-title", classes="submit-section")
            yield Static("", id="submit-checks")
            yield Label("Files", id="files-title", classes="submit-section")
            yield Static("", id="submit-files")
            yield Label("Pull request", id="pr-title", classes="submit-section")
            yield Static("", id="submit-pr")
        yield Footer()

    def on_mount(self) -> None:
        self._set_state("checking")
        self.check()

    # -- checking: token, account, profile, plan (thread worker) ------------------------------
    @work(thread=True, exclusive=True, group="submit-check", exit_on_error=False)
    def check(self) -> None:
        from accelmark_tui.errors import AccelmarkError, user_message

        services = self.app.services
        rd = services.find_run(str(self.run_path or self.run_name))  # a bad name raises: the base shows it
        repo = services.submit_repo()
        token = self.app.github_token or services.find_token()  # may run `gh auth token`
        login, account_error, rejected = None, "", False
        if token:
            try:
                login = services.github_login(token)
            except AccelmarkError as exc:
                # 401: bad or expired; 403 here: a classic token without public_repo. Else: not checked (network).
                account_error, rejected = user_message(exc), getattr(exc, "status", 0) in (401, 403)
        profile = services.profile()
        plan = services.submit_preview(rd, repo, login)
        self.post_message(self.Checked(token, login, account_error, rejected, repo, profile, plan))

    def on_submit_screen_checked(self, message: Checked) -> None:
        self.repo, self.profile, self.plan = message.repo, message.profile, message.plan
        self.run_path = Path(message.plan.run_dir)
        self.login, self.account_error = message.login, message.account_error
        self.token = message.token if message.login else None
        if message.rejected and message.token is self.app.github_token:
            self.app.github_token = None  # a pasted token GitHub refuses is forgotten at once
        self.sub_title = short_run(message.plan.run_name)
        self._show_plan(message.plan)
        panel = self.query_one("#submit-token", TokenPanel)
        if message.token is None:
            panel.show_reason("No GitHub token found: GITHUB_TOKEN and GH_TOKEN are empty and `gh auth token` "
                              "gave none.")
        elif message.rejected:
            panel.show_reason(f"The token from {message.token.source} was refused: {message.account_error}")
        elif message.login is None:
            panel.show_reason(f"The token from {message.token.source} could not be checked: "
                              f"{message.account_error} ctrl+r tries again; or paste another below.")
        self.set_class(message.token is not None and message.login is None and not message.rejected,
                       "-token-unchecked")
        # The checklist first: a run a token cannot unblock (the quick suite, a missing file) says so before
        # asking for one. "submitter" is the one item a token's login settles.
        others = [c for c in message.plan.checks if c.name != "submitter"]
        if any(not c.ok for c in others):
            self._set_state("blocked", self.app.services.blocked_sentence(others))
        elif self.login is None and (message.token is None or message.rejected):
            self._set_state("no-token")
            self.query_one("#token-input", Input).focus()
        elif not message.plan.ok:
            self._set_state("blocked", self.app.services.blocked_sentence(message.plan.checks))
        elif self.login is None:
            self._set_state("failed", message.account_error)  # e.g. no network: ctrl+r tries again
        else:
            self._set_state("ready")
        self._show_account()

    def _show_plan(self, plan: Any) -> None:
        colours = self.app.get_css_variables()  # theme colours: readable on dark and light
        self.query_one("#checks-title", Label).update(f"Checklist · {checks_summary(plan.checks)}")
        self.query_one("#submit-checks", Static).update(checks_table(plan.checks, colours))
        n = len(plan.files())
        self.query_one("#files-title", Label).update(f"Files · {n} to results/community/{plan.run_name}/"
                                                     if n else "Files")
        self.query_one("#submit-files", Static).update(files_text(plan))
        self.query_one("#submit-pr", Static).update(pr_preview(plan))

    def _show_account(self) -> None:
        source = self.token.source if self.token is not None else None
        self.query_one("#submit-account", Static).update(
            account_line(self.repo, self.login, source, self.account_error, self.state, self.profile))

    # -- state --------------------------------------------------------------------------------
    def _set_state(self, state: str, error: str = "") -> None:
        self.state, self.error = state, error
        for s in STATES:
            self.set_class(s == state, f"-{s}")
        self.query_one("#submit-status", Static).update(self._status_text())
        self.query_one("#submit-body").border_title = "What was sent" if state == "done" else "What will be sent"
        self.refresh_bindings()

    def _status_text(self) -> str:
        created = self.result is not None and self.result.created
        return status_line(self.state, self.plan, error=self.error, login=self.login, created=created,
                           pr_url=self.pr_url)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "submit":
            return True  # always answers: when it cannot send, it says why (a greyed key would do nothing)
        if action == "open_pr":
            return True if self.pr_url else False  # appears with the link
        if action in ("recheck", "profile"):
            return None if self.state in ("checking", "submitting") else True
        return True

    def _can_submit(self) -> bool:
        return (self.state in ("ready", "done", "failed") and self.token is not None and self.login is not None
                and self.plan is not None and self.plan.ok)

    # -- the token step -------------------------------------------------------------------------
    def on_token_panel_entered(self, message: TokenPanel.Entered) -> None:
        self.app.github_token = message.token  # this session's memory only
        self.action_recheck()

    def action_recheck(self) -> None:
        if self.state in ("checking", "submitting"):
            return
        self.remove_class("-has-steps")
        self._set_state("checking")
        self.check()

    # -- the submitter profile ------------------------------------------------------------------
    def action_profile(self, then_submit: bool = False) -> None:
        from accelmark_tui.config import Profile
        from accelmark_tui.screens.profile_modal import ProfileModal

        initial = self.profile or (Profile(self.login) if self.login else None)

        def done(result: Any) -> None:
            if result is None:
                return  # Esc: back here, nothing sent
            if result == ProfileModal.SKIPPED:
                self.app.profile_skipped = True
            else:
                self.profile = result
            self._show_account()
            if then_submit:
                self._send()

        self.app.push_screen(ProfileModal(initial), done)

    # -- submitting (thread worker; steps arrive as messages) -----------------------------------
    def _why_not(self) -> str:
        """Why ctrl+s cannot send now, in one sentence."""
        if self.state == "checking":
            return "Still checking the run and your GitHub account; ctrl+s sends once that is done."
        if self.state == "submitting":
            return "The submission is being sent; wait for its last step."
        if self.plan is not None and not self.plan.ok:
            return self.app.services.blocked_sentence(self.plan.checks)
        if self.has_class("-token-unchecked"):
            return f"Your GitHub account could not be checked ({self.account_error.rstrip('.')}); ctrl+r tries again."
        return "Submitting needs a GitHub token: paste one in the box above, or set GITHUB_TOKEN and press ctrl+r."

    def action_submit(self) -> None:
        if not self._can_submit():
            self.notify(self._why_not(), title="Nothing sent", severity="warning")
            return
        if self.profile is None and not self.app.profile_skipped:
            self.action_profile(then_submit=True)  # first time: who gets credit, then on to GitHub
            return
        self._send()

    def _send(self) -> None:
        if not self._can_submit():
            return
        self.result, self.pr_url = None, None
        self.query_one("#submit-steps", SubmitSteps).reset()
        self.add_class("-has-steps")
        self._set_state("submitting")
        self.send(self.token, self.run_path, self.repo)

    @work(thread=True, exclusive=True, group="submit-send", exit_on_error=False)
    def send(self, token: Any, run_path: Path, repo: str) -> Any:
        def on_step(name: str, status: str, detail: str) -> None:
            self.post_message(self.Step(name, status, detail))  # thread-safe; widgets change on the UI thread

        return self.app.services.submit(run_path, repo, token, on_step)

    def on_submit_screen_step(self, message: Step) -> None:
        if message.name in PRE_STEPS:
            if message.status == "start":
                self.query_one("#submit-status", Static).update(PRE_STEPS[message.name])
            if message.name == "identity" and message.status == "ok" and self.run_path is not None:
                self.run_path = self.run_path.parent / message.detail  # re-stamping renamed the folder
            return
        self.query_one("#submit-steps", SubmitSteps).set(message.name, message.status, message.detail)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "submit-check" and event.state == WorkerState.ERROR:
            from accelmark_tui.errors import user_message

            self._set_state("failed", user_message(event.worker.error))  # ctrl+r checks again
            return  # the base class shows the error dialog
        if event.worker.group != "submit-send":
            return
        if event.state == WorkerState.SUCCESS:
            self._sent(event.worker.result)
        elif event.state == WorkerState.ERROR:
            event.prevent_default()  # shown below, titled for a submission
            self._failed(event.worker.error)

    def _sent(self, result: Any) -> None:
        self.result, self.pr_url = result, result.pr_url
        self.plan, self.run_path = result.plan, Path(result.plan.run_dir)
        self.sub_title = short_run(result.plan.run_name)
        self._show_plan(result.plan)  # the runner folder's files are now known to be sent or not
        self._set_state("done")

    def _failed(self, exc: BaseException) -> None:
        from accelmark_tui.errors import SubmitBlocked, user_message

        text = user_message(exc)
        if isinstance(exc, SubmitBlocked) and self.plan is not None:
            self.plan.checks = exc.checks
            self.plan.bundle = None
            self._show_plan(self.plan)
        if getattr(exc, "status", 0) == 401:
            if self.token is self.app.github_token:
                self.app.github_token = None
            self.token, self.login = None, None
            self.query_one("#submit-token", TokenPanel).show_reason(f"The token was refused: {text}")
            self._set_state("no-token")
            self._show_account()
            self.query_one("#token-input", Input).focus()
        else:
            self._set_state("failed", text)
        self.app.show_error(text, title="Submission failed")

    # -- the rest ---------------------------------------------------------------------------------
    def action_open_pr(self) -> None:
        if self.pr_url:
            self.app.open_url(self.pr_url)
            self.notify(self.pr_url, title="Opening in the browser")

    def action_back(self) -> None:
        if self.state == "submitting":
            self.notify("The submission is being sent; wait for its last step.", title="Submitting")
            return
        self.app.pop_screen()
