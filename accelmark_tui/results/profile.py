"""The submitter profile: who a result is attributed to on the leaderboard.

Upstream keeps this in ``configs/submitter.yaml``; accelmark keeps the same
fields as JSON in its config dir so a first-time submitter fills them once,
in the app or on the CLI. Nothing secret lives here (tokens never touch disk).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from accelmark_tui import paths
from accelmark_tui.errors import UsageError

SUBMISSION_TYPES = ("individual", "vendor", "research")
# GitHub's rule: letters, digits and single inner hyphens, at most 39 characters.
LOGIN_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PROFILE_FILE = "profile.json"


def validate_login(login: str) -> str:
    """The login stripped of spaces and a leading ``@``, or a one-sentence UsageError."""
    from accelmark_tui.results.identity import PLACEHOLDER_SUBMITTER

    value = (login or "").strip().lstrip("@")
    if not value:
        raise UsageError("The GitHub login is empty; give the user name you sign in to GitHub with.")
    if not LOGIN_RE.match(value):
        raise UsageError(
            f"'{value}' is not a GitHub login (letters, digits and single hyphens, at most 39 characters); "
            "give the user name shown on your GitHub profile."
        )
    if value.lower() == PLACEHOLDER_SUBMITTER:
        raise UsageError(f"'{value}' is the placeholder for runs made before a profile existed; give your own GitHub login.")
    return value


@dataclass
class Profile:
    submitted_by: str
    submission_type: str = "individual"
    organization: str | None = None
    contact: str | None = None

    def validated(self) -> Profile:
        """A cleaned copy, or UsageError naming the first bad field."""
        login = validate_login(self.submitted_by)
        kind = (self.submission_type or "individual").strip().lower()
        if kind not in SUBMISSION_TYPES:
            raise UsageError(f"Submission type '{self.submission_type}' is not one of {', '.join(SUBMISSION_TYPES)}; pick one of them.")
        org = (self.organization or "").strip() or None
        if kind == "vendor" and not org:
            raise UsageError("A vendor submission needs an organization; give the company name.")
        contact = (self.contact or "").strip() or None
        if contact and not EMAIL_RE.match(contact):
            raise UsageError(f"Contact '{contact}' is not an email address; give one like name@example.com or leave it empty.")
        return Profile(login, kind, org, contact)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Profile:
        return cls(
            submitted_by=str(data.get("submitted_by") or ""),
            submission_type=str(data.get("submission_type") or "individual"),
            organization=data.get("organization"),
            contact=data.get("contact"),
        )


def profile_path() -> Path:
    return paths.config_dir() / PROFILE_FILE


def load_profile() -> Profile | None:
    """The saved profile, or None when there is none yet."""
    from accelmark_tui.results.layout import read_json

    path = profile_path()
    if not path.is_file():
        return None
    try:
        data = read_json(path)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        return Profile.from_dict(data).validated()
    except (OSError, ValueError) as exc:
        raise UsageError(f"The profile at {path} is unreadable ({exc}); fix it or delete it and set the profile again.") from exc
    except UsageError as exc:
        raise UsageError(f"The profile at {path} is invalid: {str(exc)[0].lower()}{str(exc)[1:]}") from exc


def save_profile(profile: Profile) -> Path:
    """Validate and write the profile atomically; returns its path."""
    from accelmark_tui.results.layout import atomic_write_json

    clean = profile.validated()
    return atomic_write_json(
        profile_path(), clean.to_dict(),
        hint=f"set {paths.ENV_CONFIG} to a writable folder",
    )


def current_submitter() -> tuple[str, str]:
    """(submitted_by, submission_type) for a new run: the profile's, else the placeholder."""
    from accelmark_tui.results.identity import PLACEHOLDER_SUBMITTER

    try:
        profile = load_profile()
    except UsageError:
        profile = None  # a broken profile must not stop a measurement; submit will complain
    if profile is None:
        return PLACEHOLDER_SUBMITTER, "individual"
    return profile.submitted_by, profile.submission_type
