"""Where the GitHub token comes from, and how it is kept out of sight.

Order: ``GITHUB_TOKEN``, ``GH_TOKEN``, then ``gh auth token`` when the GitHub
CLI is installed and logged in. The token lives only in memory inside a
``Token`` whose repr/str never show it, so a stray log line, traceback local
or f-string cannot leak it; it is never written to disk, results or the PR.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping

from accelmark_tui.errors import AccelmarkError

ENV_VARS = ("GITHUB_TOKEN", "GH_TOKEN")
GH_TIMEOUT_S = 10.0

HOW_TO_GET_ONE = (
    "No GitHub token found; create one at https://github.com/settings/tokens (classic with the public_repo scope, "
    "or fine-grained with Contents and Pull requests read/write on your fork) and set GITHUB_TOKEN, "
    "or log in with `gh auth login`."
)


class MissingToken(AccelmarkError):
    """No token in the environment and no logged-in GitHub CLI."""


class Token:
    """A secret that refuses to be printed; ``reveal()`` is for the Authorization header only."""

    __slots__ = ("_value", "source")

    def __init__(self, value: str, source: str) -> None:
        self._value = value.strip()
        self.source = source

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Token(source={self.source!r}, value=<hidden>)"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __reduce__(self) -> object:  # never pickled into a cache or a child process
        raise TypeError("a Token cannot be pickled")

    def __bool__(self) -> bool:
        return bool(self._value)


def _from_gh(gh: str | None, timeout: float) -> str | None:
    exe = shutil.which(gh or "gh")
    if not exe:
        return None
    try:
        proc = subprocess.run([exe, "auth", "token"], capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None  # a hung or broken gh is the same as no gh: the caller explains how to get a token
    value = proc.stdout.strip()
    return value if proc.returncode == 0 and value else None


def find_token(env: Mapping[str, str] | None = None, *, gh: str | None = "gh",
               timeout: float = GH_TIMEOUT_S) -> Token | None:
    """The first token found, or None. ``gh=None`` skips the GitHub CLI."""
    environ = os.environ if env is None else env
    for var in ENV_VARS:
        value = (environ.get(var) or "").strip()
        if value:
            return Token(value, var)
    if gh is None:
        return None
    value = _from_gh(gh, timeout)
    return Token(value, "gh auth token") if value else None


def require_token(env: Mapping[str, str] | None = None, *, gh: str | None = "gh") -> Token:
    token = find_token(env, gh=gh)
    if token is None:
        raise MissingToken(HOW_TO_GET_ONE)
    return token
