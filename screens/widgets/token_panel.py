"""The token step, in place: why a token is needed, how to get one, and where to paste it.

The pasted text goes straight into a ``submit.auth.Token`` (whose repr never
shows it; ``services.make_token``) and the input is cleared; the screen keeps
the Token in the app's memory for this session only. Nothing here writes, logs
or displays it: the input is a password field.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

TOKEN_URL = "https://github.com/settings/tokens/new?scopes=public_repo&description=accelmark"
PASTED = "pasted here"


def guidance(scopes: str) -> str:
    """``scopes``: what the token must be allowed to do (``services.token_scopes``)."""
    return ("Submitting forks the leaderboard and opens a pull request under your GitHub account, so "
            f"{scopes}. Create a classic one with public_repo (fork + pull request) at {TOKEN_URL}, "
            "then paste it below and press enter: it stays in this app's memory until you quit and is never "
            "shown, logged or written. Or set GITHUB_TOKEN / run `gh auth login` and press ctrl+r to check again.")


class TokenPanel(Vertical):
    class Entered(Message):
        """A token was pasted (``token`` is a submit.auth.Token)."""

        def __init__(self, token: object) -> None:
            super().__init__()
            self.token = token

    def compose(self) -> ComposeResult:
        yield Static("", id="token-reason", markup=False)
        yield Static(guidance(self.app.services.token_scopes()), id="token-help", markup=False)
        yield Input(password=True, placeholder="paste a token (ghp_… or github_pat_…) and press enter",
                    id="token-input", compact=True)

    def show_reason(self, reason: str) -> None:
        self.query_one("#token-reason", Static).update(reason)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        field = self.query_one("#token-input", Input)
        value = event.value.strip()
        field.value = ""
        if value:
            self.post_message(self.Entered(self.app.services.make_token(value, PASTED)))
