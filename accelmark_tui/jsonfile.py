"""Files written so readers never see half of one: atomic text/JSON writes, JSON reads.

A low layer (no engine, results or UI imports): the config, the run folders
and the app's exports all write through it, and a full disk or an unwritable
folder is one ``OutputError`` sentence.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from accelmark_tui.errors import OutputError

OUTPUT_HINT = "choose a writable folder with --output-dir"


def _output_error(where: Path, exc: OSError, hint: str) -> OutputError:
    if exc.errno == errno.ENOSPC:
        return OutputError(f"The disk holding {where} is full; free some space and run again (finished work was kept).")
    reason = exc.strerror or type(exc).__name__
    return OutputError(f"Cannot write to {where} ({reason.lower()}); {hint}.")


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable on POSIX; Windows cannot open directories.
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_text(path: str | os.PathLike[str], text: str, *, hint: str = OUTPUT_HINT) -> Path:
    """Write ``text`` so readers see the old file or the new one, never a mix.

    Temp file in the same directory (same filesystem, so ``os.replace`` is an
    atomic rename), fsync, then replace. Any failure removes the temp file and
    leaves the previous content untouched.
    """
    target = Path(path)
    directory = target.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise _output_error(directory, exc, hint) from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates 0600; results are meant to be shared, keep the old mode or 0644.
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
        with contextlib.suppress(OSError):
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise _output_error(directory, exc, hint) from exc
        raise
    _fsync_dir(directory)
    return target


def dumps(obj: Any) -> str:
    """JSON as upstream writes it: two-space indent, ASCII escapes (``\\u2014``)."""
    return json.dumps(obj, indent=2) + "\n"


def atomic_write_json(path: str | os.PathLike[str], obj: Any, *, hint: str = OUTPUT_HINT) -> Path:
    return atomic_write_text(path, dumps(obj), hint=hint)


def read_json(path: str | os.PathLike[str]) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))
