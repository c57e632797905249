"""accelmark's own settings: typed, optional, beside the profile in the config folder.

``$ACCELMARK_CONFIG_DIR/settings.json`` (the platformdirs config folder
otherwise). Every key is optional; a missing file means the defaults::

    {"submit_repo": "OWNER/NAME"}

``submit_repo`` is the leaderboard repository ``accelmark submit`` /
``validate`` and the app's submit screen target when ``--repo`` is not given.
Nothing secret belongs here: GitHub tokens are never written anywhere.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from accelmark_tui import paths
from accelmark_tui.errors import UsageError
from accelmark_tui.submit import DEFAULT_REPO

SETTINGS_FILE = "settings.json"
# GitHub's rules, loosely: an owner login, a slash, a repository name.
REPO_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")


def validate_repo(value: str) -> str:
    """``OWNER/NAME`` stripped of spaces and slashes, or a one-sentence UsageError."""
    repo = (value or "").strip().strip("/")
    if not REPO_RE.match(repo):
        raise UsageError(f"'{value}' is not a repository name; give it as OWNER/NAME, like {DEFAULT_REPO}.")
    return repo


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


def settings_path() -> Path:
    return paths.config_dir() / SETTINGS_FILE


def load_settings() -> Settings:
    """The saved settings, the defaults when there is no file, or a one-sentence UsageError."""
    from accelmark_tui.results.layout import read_json

    path = settings_path()
    if not path.is_file():
        return Settings()
    try:
        data = read_json(path)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return Settings.from_dict(data).validated()
    except (OSError, ValueError) as exc:
        raise UsageError(f"The settings at {path} are unreadable ({exc}); fix the file or delete it.") from exc
    except UsageError as exc:
        text = str(exc).rstrip(".")
        raise UsageError(f"The settings at {path} are invalid: {text[:1].lower()}{text[1:]}.") from exc


def save_settings(settings: Settings) -> Path:
    """Validate and write the settings atomically; returns the path."""
    from accelmark_tui.results.layout import atomic_write_json

    return atomic_write_json(settings_path(), settings.validated().to_dict(),
                             hint=f"set {paths.ENV_CONFIG} to a writable folder")
