"""The submitter profile, asked for once: before the first run or submission, never at launch.

Fields are checked one by one (errors beside each) with the same rules the
engine applies when it saves (``config``), then saved through
``services.save_profile`` into the platformdirs config folder.
Dismisses with the saved Profile, ``SKIPPED`` ("Skip for now"), or None (Esc: go back).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, RadioSet, Static

from accelmark_tui.screens.widgets.toggles import RadioButton
from accelmark_tui.ui.base import AccelmarkModal

WHY = ("The AccelMark leaderboard credits every result to a GitHub account and shows whether it comes from an "
       "individual, a vendor or a research group. accelmark asks once and keeps it in its config folder; "
       "nothing here is secret and nothing is sent until you submit.")
SKIP_NOTE = ("Skip for now: runs record the placeholder submitter \"unsubmitted\", and submitting a run later "
             "stamps your login on it.")
TYPES = ("individual", "vendor", "research")


def field_errors(login: str, kind: str, organization: str, contact: str) -> dict[str, str]:
    """One sentence per bad field (the engine's rules, split by field)."""
    from accelmark_tui.errors import UsageError
    from accelmark_tui.config import EMAIL_RE, SUBMISSION_TYPES, validate_login

    errors: dict[str, str] = {}
    try:
        validate_login(login)
    except UsageError as exc:
        errors["login"] = str(exc)
    if kind not in SUBMISSION_TYPES:
        errors["type"] = f"Pick one of {', '.join(SUBMISSION_TYPES)}."
    if kind == "vendor" and not organization.strip():
        errors["organization"] = "A vendor submission needs an organisation; give the company name."
    if contact.strip() and not EMAIL_RE.match(contact.strip()):
        errors["contact"] = f"'{contact.strip()}' is not an email address; give one like name@example.com or leave it empty."
    return errors


class ProfileModal(AccelmarkModal):
    CSS_PATH = Path(__file__).with_name("profile_modal.tcss")
    HELP_TITLE = "Submitter profile"
    HELP_TEXT = WHY + " " + SKIP_NOTE
    SKIPPED = "skip"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="profile.save", tooltip="Check the fields and save the profile"),
        Binding("ctrl+n", "skip", "Skip for now", id="profile.skip",
                tooltip="Go on without a profile: runs record the placeholder submitter"),
        Binding("escape", "cancel", "Back", id="profile.cancel", tooltip="Back without saving or starting"),
    ]

    def __init__(self, profile: Any = None) -> None:
        super().__init__()
        self.initial = profile

    def compose(self) -> ComposeResult:
        p = self.initial
        kind = getattr(p, "submission_type", "individual") or "individual"
        with Vertical(id="profile-dialog", classes="dialog"):
            yield Label("Who gets credit for your results?", id="profile-title")
            with VerticalScroll(id="profile-body"):
                yield Static(WHY, id="profile-why", markup=False)
                with Horizontal(classes="field"):
                    yield Label("GitHub login", classes="field-label")
                    with Vertical(classes="field-body"):
                        yield Input(getattr(p, "submitted_by", "") or "", placeholder="your GitHub user name",
                                    id="login", compact=True)
                        yield Label("", id="login-error", classes="-error")
                with Horizontal(classes="field"):
                    yield Label("Submitting as", classes="field-label")
                    with Vertical(classes="field-body"):
                        with RadioSet(id="submission-type", compact=True):
                            for t in TYPES:
                                yield RadioButton(t, value=t == kind, id=f"type-{t}", compact=True)
                        yield Label("", id="type-error", classes="-error")
                with Horizontal(classes="field"):
                    yield Label("Organisation", classes="field-label")
                    with Vertical(classes="field-body"):
                        yield Input(getattr(p, "organization", "") or "", id="organization", compact=True,
                                    placeholder="optional (needed for a vendor)")
                        yield Label("", id="organization-error", classes="-error")
                with Horizontal(classes="field"):
                    yield Label("Contact", classes="field-label")
                    with Vertical(classes="field-body"):
                        yield Input(getattr(p, "contact", "") or "", id="contact", compact=True,
                                    placeholder="optional email")
                        yield Label("", id="contact-error", classes="-error")
                yield Static(SKIP_NOTE, id="profile-skip-note", markup=False)
            yield Label("", id="save-error", classes="-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Skip for now (ctrl+n)", id="skip")
                yield Button("Save (ctrl+s)", id="save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#login", Input).focus()

    def values(self) -> tuple[str, str, str, str]:
        pressed = self.query_one("#submission-type", RadioSet).pressed_button
        kind = str(pressed.id).removeprefix("type-") if pressed is not None else ""
        return (self.query_one("#login", Input).value, kind, self.query_one("#organization", Input).value,
                self.query_one("#contact", Input).value)

    def show_errors(self, errors: dict[str, str]) -> None:
        for name in ("login", "type", "organization", "contact", "save"):
            label = self.query_one(f"#{name}-error", Label)
            label.update(errors.get(name, ""))
            label.set_class(name in errors, "-shown")
        self.set_class(bool(errors), "-blocked")

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        from accelmark_tui.errors import user_message
        from accelmark_tui.config import Profile

        login, kind, organization, contact = self.values()
        errors = field_errors(login, kind, organization, contact)
        self.show_errors(errors)
        if errors:
            return  # focus stays where the user was typing; each error sits beside its field
        profile = Profile(login, kind, organization or None, contact or None)
        try:
            self.app.services.save_profile(profile)
        except Exception as exc:  # noqa: BLE001 - an unwritable config dir is shown here, the dialog stays
            self.show_errors({"save": user_message(exc)})
            return
        self.dismiss(profile.validated())

    @on(Input.Changed)
    @on(RadioSet.Changed)
    def _recheck(self) -> None:
        # Once errors are shown, each clears as soon as its field is fixed (new ones wait for Save).
        if self.has_class("-blocked"):
            now = field_errors(*self.values())
            self.show_errors({name: text for name, text in now.items() if name in self._shown_errors()})

    def _shown_errors(self) -> set[str]:
        return {name for name in ("login", "type", "organization", "contact")
                if self.query_one(f"#{name}-error", Label).has_class("-shown")}

    @on(Button.Pressed, "#skip")
    def action_skip(self) -> None:
        self.dismiss(self.SKIPPED)

    def action_cancel(self) -> None:
        self.dismiss(None)
