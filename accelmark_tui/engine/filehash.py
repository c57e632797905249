"""SHA-256 of model files, read once per version of a file.

A model's revision and (for a file a suite pins) its identity come from its
hash, and hashing a multi-GB GGUF takes seconds. So the digest is kept in
memory and in ``<cache dir>/sha256.json``, keyed by the resolved path with its
size and mtime: the next run (or the app's next start) reads it back, and a
file that changed is hashed again.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from accelmark_tui import paths
from accelmark_tui.errors import OutputError
from accelmark_tui.jsonfile import atomic_write_json, read_json

CACHE_FILE = "sha256.json"

_MEMO: dict[tuple[str, int, int], str] = {}


def cache_path() -> Path:
    return paths.cache_dir() / CACHE_FILE


def digest(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file, streamed (the full read the cache saves)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _stored() -> dict[str, Any]:
    try:
        data = read_json(cache_path())
    except (OSError, ValueError):  # absent, unreadable or corrupt: start afresh
        return {}
    return data if isinstance(data, dict) else {}


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file, from the cache when the file's path, size and mtime match."""
    p = Path(path).resolve()
    st = p.stat()
    key = (str(p), st.st_size, st.st_mtime_ns)
    if key in _MEMO:
        return _MEMO[key]
    stored = _stored()
    entry = stored.get(key[0])
    if isinstance(entry, dict) and (entry.get("size"), entry.get("mtime_ns")) == key[1:] and entry.get("sha256"):
        sha = str(entry["sha256"])
    else:
        sha = digest(p)
        stored[key[0]] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha}  # one entry per path
        try:
            atomic_write_json(cache_path(), stored)
        except OutputError:
            pass  # a read-only cache only costs the next run a hash
    _MEMO[key] = sha
    return sha
