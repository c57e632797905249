"""The user's configuration, typed: who results are attributed to, and accelmark's settings.

Two files in the config folder (``$ACCELMARK_CONFIG_DIR``, the platformdirs
config folder otherwise), each optional:

- ``profile.json``: the submitter profile (upstream keeps the same fields in
  ``configs/submitter.yaml``), filled once in the app or on the CLI;
- ``settings.json``: accelmark's own settings, e.g. ``{"submit_repo": "OWNER/NAME"}``,
  the leaderboard repository ``submit`` / ``validate`` and the app target when
  ``--repo`` is not given.

Each section is a typed, validated dataclass with its own file, so a broken
settings file never stops a measurement and a broken profile never hides the
target repository. A low layer: it imports no engine, results or submit code,
so everything above reads the user's configuration here and nowhere else. Nothing
secret lives here: GitHub tokens are never written anywhere.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from accelmark_tui import paths
from accelmark_tui.errors import UsageError

DEFAULT_REPO = "FreedomIntelligence/AccelMark"
# What a run made before a profile existed records as its submitter; submission re-stamps it.
PLACEHOLDER_SUBMITTER = "unsubmitted"
SUBMISSION_TYPES = ("individual", "vendor", "research")
PROFILE_FILE = "profile.json"
SETTINGS_FILE = "settings.json"

# GitHub's rule: letters, digits and single inner hyphens, at most 39 characters.
LOGIN_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# GitHub's rules, loosely: an owner login, a slash, a repository name.
REPO_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")


# ── validation ───────────────────────────────────────────────────────────────


def validate_login(login: str) -> str:
    """The login stripped of spaces and a leading ``@``, or a one-sentence UsageError."""
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


def validate_repo(value: str) -> str:
    """``OWNER/NAME`` stripped of spaces and slashes, or a one-sentence UsageError."""
    repo = (value or "").strip().strip("/")
    if not REPO_RE.match(repo):
        raise UsageError(f"'{value}' is not a repository name; give it as OWNER/NAME, like {DEFAULT_REPO}.")
    return repo


# ── the two sections ─────────────────────────────────────────────────────────


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


@dataclass(frozen=True)
class Settings:
    submit_repo: str = DEFAULT_REPO

    def validated(self) -> Settings:
        return Settings(submit_repo=validate_repo(self.submit_repo))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UsageError(f"unknown key(s) {', '.join(unknown)}; the keys are {', '.join(sorted(known))}")
        if "submit_repo" in data and not isinstance(data["submit_repo"], str):
            raise UsageError("submit_repo must be a string OWNER/NAME")
        return cls(**data)


# ── files ────────────────────────────────────────────────────────────────────


def profile_path() -> Path:
    return paths.config_dir() / PROFILE_FILE


def settings_path() -> Path:
    return paths.config_dir() / SETTINGS_FILE


def _read_object(path: Path) -> dict[str, Any]:
    from accelmark_tui.jsonfile import read_json

    data = read_json(path)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def _write(path: Path, data: dict[str, Any]) -> Path:
    from accelmark_tui.jsonfile import atomic_write_json

    return atomic_write_json(path, data, hint=f"set {paths.ENV_CONFIG} to a writable folder")


def load_profile() -> Profile | None:
    """The saved profile, or None when there is none yet; a broken file is a one-sentence UsageError."""
    path = profile_path()
    if not path.is_file():
        return None
    try:
        return Profile.from_dict(_read_object(path)).validated()
    except (OSError, ValueError) as exc:
        raise UsageError(f"The profile at {path} is unreadable ({exc}); fix it or delete it and set the profile again.") from exc
    except UsageError as exc:
        raise UsageError(f"The profile at {path} is invalid: {str(exc)[0].lower()}{str(exc)[1:]}") from exc


def save_profile(profile: Profile) -> Path:
    """Validate and write the profile atomically; returns its path."""
    return _write(profile_path(), profile.validated().to_dict())


def profile_or_none() -> Profile | None:
    """The saved profile; None when there is none or it is broken: a measurement or a preview must not
    stop for it (``load_profile`` says what is wrong, the profile dialog rewrites it)."""
    try:
        return load_profile()
    except UsageError:
        return None


def current_submitter() -> tuple[str, str]:
    """(submitted_by, submission_type) for a new run: the profile's, else the placeholder."""
    profile = profile_or_none()
    if profile is None:
        return PLACEHOLDER_SUBMITTER, "individual"
    return profile.submitted_by, profile.submission_type


def load_settings() -> Settings:
    """The saved settings, the defaults when there is no file, or a one-sentence UsageError."""
    path = settings_path()
    if not path.is_file():
        return Settings()
    try:
        return Settings.from_dict(_read_object(path)).validated()
    except (OSError, ValueError) as exc:
        raise UsageError(f"The settings at {path} are unreadable ({exc}); fix the file or delete it.") from exc
    except UsageError as exc:
        text = str(exc).rstrip(".")
        raise UsageError(f"The settings at {path} are invalid: {text[:1].lower()}{text[1:]}.") from exc


def save_settings(settings: Settings) -> Path:
    """Validate and write the settings atomically; returns the path."""
    return _write(settings_path(), settings.validated().to_dict())
