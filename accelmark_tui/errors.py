"""Errors the user can act on, and the one place that maps failures to words.

Every user-facing failure is one sentence: what went wrong and what to do.
The CLI prints it and exits 2; the app shows it in a dialog.
"""

from __future__ import annotations

import errno


class AccelmarkError(Exception):
    """A failure with a user-facing sentence as its message."""

    exit_code = 2


class UsageError(AccelmarkError):
    """Bad arguments: unknown ids, incompatible pairs, bad values."""


class ModelError(AccelmarkError):
    """A model file that is missing, not GGUF, truncated or unloadable."""


class CatalogError(AccelmarkError):
    """A runner folder or suite file that is malformed."""


class OutputError(AccelmarkError):
    """The results location cannot be written."""


class RunnerFailed(AccelmarkError):
    """The runner process died or reported a fatal error mid-run."""


class NetworkError(AccelmarkError):
    """A remote service could not be reached or answered badly."""


class SubmitBlocked(AccelmarkError):
    """The submission checklist has failing items; ``checks`` holds them all (``submit.checklist.Check``s)."""

    def __init__(self, message: str, checks: list) -> None:
        super().__init__(message)
        self.checks = checks


def user_message(exc: BaseException) -> str:
    """One sentence for any exception; the single mapping used by CLI and app."""
    if isinstance(exc, AccelmarkError):
        return str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return "Interrupted; anything already measured was kept."
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        if exc.errno == errno.ENOSPC:
            return f"The disk is full{where}; free some space and run again (finished work was kept)."
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return f"Permission denied{where}; choose a writable location with --output-dir."
        if exc.errno == errno.ENOENT:
            return f"File not found{where}; check the path."
        return f"System error{where}: {exc.strerror or exc}."
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"Unexpected error: {text}. Please report it with the command you ran."
