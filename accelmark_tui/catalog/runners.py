"""Runner folders: discovered as data (meta.json), never imported by name.

A runner folder is ``runners/{platform}_{name}_{hash8}/`` (AccelMark
convention) holding ``runner.py``, ``meta.json`` and ``requirements.txt``.
Upstream's ``suite_support`` only takes the letters A-G, so the status of
accelmark's own suites and accelmark's extra data live under the top-level
``"accelmark"`` key of meta.json.
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accelmark_tui import resources
from accelmark_tui.errors import CatalogError, UsageError

SUITE_STATUSES = ("validated", "pending", "unsupported")
UPSTREAM_LETTERS = ("A", "B", "C", "D", "E", "F", "G")
# meta.schema.json's id pattern: {platform}_{customname}_{hash8}.
RUNNER_ID_RE = re.compile(r"^[a-z][a-z0-9]*_[a-z][a-z0-9_]*_[0-9a-f]{8}$")
_REQUIRED_KEYS = ("id", "platform", "name", "framework", "submitted_by", "description")


class CatalogWarning(UserWarning):
    """A runner or suite folder that was skipped while listing."""


def runner_hash(path: Path | str) -> str:
    """hash8 of a runner: first 8 hex digits of SHA-256 of runner.py's bytes.

    ``path`` may be the runner folder or its runner.py.
    """
    p = Path(path)
    if p.is_dir():
        p = p / "runner.py"
    return hashlib.sha256(p.read_bytes()).hexdigest()[:8]


def upstream_letter(suite_id: str) -> str | None:
    """``"A"`` for ``suite_A`` … ``"G"``; None for accelmark's own suites."""
    if suite_id.startswith("suite_") and suite_id[6:] in UPSTREAM_LETTERS:
        return suite_id[6:]
    return None


@dataclass(frozen=True)
class RunnerInfo:
    id: str
    folder: Path
    platform: str
    name: str
    framework: str
    meta: dict[str, Any] = field(repr=False, compare=False)

    @property
    def accelmark(self) -> dict[str, Any]:
        """accelmark's own block of meta.json (empty for a foreign runner)."""
        block = self.meta.get("accelmark")
        return block if isinstance(block, dict) else {}

    @property
    def description(self) -> str:
        return str(self.meta.get("description", ""))

    @property
    def device(self) -> str:
        return str(self.accelmark.get("device") or self.platform)

    @property
    def is_endpoint(self) -> bool:
        """Measures a server over HTTP: the hardware is the server's, not a device here."""
        return self.accelmark.get("kind") == "endpoint"

    @property
    def backend(self) -> str | None:
        """The name of the backend spec it runs (``accelmark.backend``: "llama.cpp", "openai-endpoint", …)."""
        name = self.accelmark.get("backend")
        return str(name) if name else None

    @property
    def runs_on(self) -> list[str]:
        """Device families it also runs on besides its platform (``accelmark.runs_on``): mlx-lm's runner, an
        Apple one, runs on a Linux CPU through mlx[cpu]. Never picked by default there; chosen with --runner."""
        return [str(f) for f in self.accelmark.get("runs_on") or []]

    @property
    def requires_modules(self) -> list[str]:
        return [str(m) for m in self.accelmark.get("requires_modules") or []]

    @property
    def install_hint(self) -> str:
        hint = self.accelmark.get("install")
        if hint:
            return str(hint)
        return f"pip install -r {self.folder / 'requirements.txt'}"

    @property
    def max_chips(self) -> int:
        try:
            return max(1, int(self.accelmark.get("max_chips", 1)))
        except (TypeError, ValueError):
            return 1

    @property
    def model_formats(self) -> list[str]:
        return [str(f) for f in self.accelmark.get("model_formats") or []]

    @property
    def runner_py(self) -> Path:
        return self.folder / "runner.py"

    def suite_status(self, suite_id: str) -> str:
        """"validated" | "pending" | "unsupported" for a suite id (missing → unsupported)."""
        letter = upstream_letter(suite_id)
        if letter is not None:
            table = self.meta.get("suite_support")
            key = letter
        else:
            table = self.accelmark.get("suite_support")
            key = suite_id
        status = table.get(key) if isinstance(table, dict) else None
        return status if status in SUITE_STATUSES else "unsupported"

    def hash_matches(self) -> bool:
        """True when the folder name ends with runner.py's current hash8."""
        try:
            return self.id.endswith("_" + runner_hash(self.folder))
        except OSError:
            return False


def load_runner(folder: Path) -> RunnerInfo:
    """Read one runner folder; CatalogError (naming the file) if malformed."""
    meta_path = folder / "meta.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogError(f"Cannot read {meta_path} ({exc.strerror}); restore the runner folder.") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{meta_path} is not valid JSON ({exc}); fix or restore that file.") from exc
    if not isinstance(meta, dict):
        raise CatalogError(f"{meta_path} must hold a JSON object; fix or restore that file.")
    missing = [k for k in _REQUIRED_KEYS if not isinstance(meta.get(k), str) or not meta.get(k)]
    if missing:
        raise CatalogError(f"{meta_path} lacks {', '.join(missing)}; add the missing keys (see meta.schema.json).")
    if meta["id"] != folder.name:
        raise CatalogError(
            f"{meta_path} says id '{meta['id']}' but its folder is '{folder.name}'; "
            f"run `accelmark dev rehash {folder}` to fix it."
        )
    if not (folder / "runner.py").is_file():
        raise CatalogError(f"{folder} has no runner.py; restore the runner folder.")
    return RunnerInfo(
        id=meta["id"],
        folder=folder,
        platform=meta["platform"],
        name=meta["name"],
        framework=meta["framework"],
        meta=meta,
    )


def _runner_folders(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / "meta.json").is_file())


def scan_runners(root: Path | None = None) -> tuple[list[RunnerInfo], list[str]]:
    """All well-formed runners under ``root`` and one sentence per skipped folder."""
    root = resources.runners_dir() if root is None else Path(root)
    found: list[RunnerInfo] = []
    problems: list[str] = []
    for folder in _runner_folders(root):
        try:
            found.append(load_runner(folder))
        except CatalogError as exc:
            problems.append(str(exc))
    # cpu first so it is the natural fallback, then by platform and id.
    found.sort(key=lambda r: (r.platform != "cpu", r.platform, r.id))
    return found, problems


def discover_runners(root: Path | None = None, *, strict: bool = False) -> list[RunnerInfo]:
    """Every runner folder with a meta.json under ``root`` (default: the bundled runners).

    A malformed folder raises CatalogError when ``strict``, otherwise it is
    skipped with a CatalogWarning so one broken folder cannot hide the rest.
    """
    found, problems = scan_runners(root)
    if problems and strict:
        raise CatalogError(problems[0])
    for problem in problems:
        warnings.warn(problem, CatalogWarning, stacklevel=2)
    return found


def get_runner(runner_id: str, root: Path | None = None) -> RunnerInfo:
    """The runner with this id, or the only one whose id starts with it (e.g. ``cpu_llamacpp``)."""
    wanted = runner_id.strip().rstrip("/").split("/")[-1]  # accept runners/<id>/ too
    root_path = resources.runners_dir() if root is None else Path(root)
    found, problems = scan_runners(root_path)
    for runner in found:
        if runner.id == wanted:
            return runner
    matches = [r for r in found if wanted and r.id.startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        names = ", ".join(r.id for r in matches)
        raise UsageError(f"Runner '{runner_id}' is ambiguous ({names}); give more of the id.")
    # A folder of that name that failed to load: say why instead of "unknown".
    broken = root_path / wanted
    if wanted and (broken / "meta.json").is_file():
        load_runner(broken)  # raises the CatalogError naming the file
    raise UsageError(f"Unknown runner '{runner_id}'; `accelmark runners` lists the available ones.")
