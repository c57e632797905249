"""Keep runner folder names equal to their runner.py hash (``accelmark dev rehash``).

Upstream names a runner ``{platform}_{name}_{hash8}`` with hash8 taken from
runner.py's bytes, and its CI checks it; editing runner.py therefore means a
new folder name and a new meta.json ``id``. This module computes the name and
renames the folder so nobody does it by hand.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from accelmark_tui.catalog.runners import runner_hash
from accelmark_tui.errors import CatalogError

_HASH_SUFFIX = re.compile(r"^(?P<base>.+)_(?P<hash>[0-9a-f]{8})$")


@dataclass(frozen=True)
class RehashResult:
    old_folder: Path
    new_folder: Path
    old_id: str | None  # meta.json's id before
    new_id: str

    @property
    def changed(self) -> bool:
        return self.old_folder != self.new_folder or self.old_id != self.new_id

    def describe(self) -> str:
        if not self.changed:
            return f"{self.new_id}: up to date."
        if self.old_folder.name != self.new_id:
            return f"{self.old_folder.name}: runner.py hashes to {self.new_id.rsplit('_', 1)[1]}; its name should be {self.new_id}."
        return f"{self.new_id}: meta.json id is '{self.old_id}'; it should be {self.new_id}."


def base_name(folder_name: str) -> str:
    """``cpu_llamacpp`` from ``cpu_llamacpp_fcba25f1`` (or from a new, unhashed ``cpu_llamacpp``)."""
    m = _HASH_SUFFIX.match(folder_name)
    return m.group("base") if m else folder_name


def expected_id(folder: Path) -> str:
    return f"{base_name(folder.name)}_{runner_hash(folder)}"


def _read_meta(folder: Path) -> dict:
    meta_path = folder / "meta.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CatalogError(f"Cannot read {meta_path} ({exc}); fix or restore that file.") from exc
    if not isinstance(meta, dict):
        raise CatalogError(f"{meta_path} must hold a JSON object; fix or restore that file.")
    return meta


def check_runner(folder: Path) -> RehashResult:
    """What rehash would do to ``folder``, without touching it."""
    folder = Path(folder)
    if not (folder / "runner.py").is_file():
        raise CatalogError(f"{folder} has no runner.py; pass a runner folder.")
    meta = _read_meta(folder)
    new_id = expected_id(folder)
    return RehashResult(folder, folder.with_name(new_id), meta.get("id"), new_id)


def _write_json_atomic(path: Path, data: dict) -> None:
    # Write beside the target, then replace: a crash leaves the old or the new file, never half of one.
    fd, tmp = tempfile.mkstemp(prefix=".meta.", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def rehash_runner(folder: Path) -> RehashResult:
    """Rename ``folder`` to ``{base}_{hash8}`` of its runner.py and set meta.json ``id`` to match.

    The meta.json rewrite and the folder rename are each atomic; if the
    process dies between them, running rehash again finishes the job.
    """
    result = check_runner(folder)
    if not result.changed:
        return result
    if result.new_folder.exists() and result.new_folder != result.old_folder:
        raise CatalogError(
            f"Cannot rename {result.old_folder.name} to {result.new_id}: that folder already exists; "
            "remove the stale one first."
        )
    meta = _read_meta(result.old_folder)
    if meta.get("id") != result.new_id:
        meta["id"] = result.new_id
        _write_json_atomic(result.old_folder / "meta.json", meta)
    if result.new_folder != result.old_folder:
        os.rename(result.old_folder, result.new_folder)
    return result
