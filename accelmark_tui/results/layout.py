"""The on-disk layout of one run, and writes that never leave half a file.

A run lives in ``<root>/<tier>/<run_name>/`` exactly as the leaderboard wants
it (``env_info.json``, merged ``result.json``, ``<scenario>/result.json``,
``accuracy/accuracy.json``); files that stay local (``samples.jsonl``,
``run.log``) sit beside them, and accelmark's own bookkeeping goes in a hidden
``.accelmark/`` folder so a submission can copy the upstream files and nothing
else. ``--force`` moves an earlier run to ``<root>/<tier>/.history/`` rather
than deleting it: measurements are never thrown away.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from accelmark_tui.errors import OutputError
from accelmark_tui.jsonfile import (  # noqa: F401  (re-exported: run folders write through them)
    OUTPUT_HINT, _output_error, atomic_write_json, atomic_write_text, dumps, read_json,
)
from accelmark_tui.results.state import STATUSES, RunState, compact_stamp, now_iso  # noqa: F401  (re-exported)

TIERS = ("community", "verified")
HISTORY = ".history"
STATE_DIR = ".accelmark"


def check_writable(root: str | os.PathLike[str]) -> Path:
    """Fail before any measurement if results cannot be saved under ``root``."""
    root_path = Path(root).expanduser()
    try:
        root_path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".accelmark-probe-", dir=root_path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise _output_error(root_path, exc, OUTPUT_HINT) from exc
    return root_path


# ── the run folder ───────────────────────────────────────────────────────────


@dataclass(frozen=True)
class RunDir:
    """``<root>/<tier>/<run_name>/``, or an archived copy under ``.history``."""

    root: Path
    tier: str
    run_name: str
    archive_stamp: str | None = None  # set for ``<root>/<tier>/.history/<run_name>/<stamp>/``

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root).expanduser())  # callers may pass a str

    @classmethod
    def from_path(cls, path: str | os.PathLike[str]) -> RunDir:
        p = Path(path).expanduser().resolve()
        if p.parent.parent.name == HISTORY:
            return cls(p.parent.parent.parent.parent, p.parent.parent.parent.name, p.parent.name, p.name)
        return cls(p.parent.parent, p.parent.name, p.name)

    @property
    def path(self) -> Path:
        if self.archive_stamp:
            return self.root / self.tier / HISTORY / self.run_name / self.archive_stamp
        return self.root / self.tier / self.run_name

    @property
    def archived(self) -> bool:
        return self.archive_stamp is not None

    # Upstream files.
    @property
    def env_info(self) -> Path:
        return self.path / "env_info.json"

    @property
    def result(self) -> Path:
        return self.path / "result.json"

    def scenario_dir(self, scenario: str) -> Path:
        return self.path / scenario

    def scenario_result(self, scenario: str) -> Path:
        return self.path / scenario / "result.json"

    def own_result(self, scenario: str) -> Path:
        """An accelmark-only scenario's block (sweep, peak): ``<name>/<name>.json``, never upstream-shaped."""
        return self.path / scenario / f"{scenario}.json"

    @property
    def accuracy(self) -> Path:
        return self.path / "accuracy" / "accuracy.json"

    # accelmark's own files beside them.
    def partial(self, scenario: str) -> Path:
        """The block of a scenario a stop ended part-way (``results.partial``): never an upstream file."""
        return self.path / scenario / "partial.json"

    def partials_present(self) -> list[str]:
        """Scenario folders holding a partial block, in folder order."""
        if not self.path.is_dir():
            return []
        return sorted(p.parent.name for p in self.path.glob("*/partial.json") if not p.parent.name.startswith("."))

    # Local-only files.
    def samples(self, scenario: str) -> Path:
        return self.path / scenario / "samples.jsonl"

    @property
    def log(self) -> Path:
        return self.path / "run.log"

    @property
    def state_file(self) -> Path:
        return self.path / STATE_DIR / "state.json"

    @property
    def names_file(self) -> Path:
        """Names the run had before a submission re-stamped it (so an old name still finds it)."""
        return self.path / STATE_DIR / "names.json"

    def previous_names(self) -> list[str]:
        with contextlib.suppress(OSError, ValueError):
            names = read_json(self.names_file)
            return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []
        return []

    @property
    def history_dir(self) -> Path:
        return self.root / self.tier / HISTORY / self.run_name

    def exists(self) -> bool:
        return self.path.is_dir()

    def scenarios_present(self) -> list[str]:
        """Scenario folders holding a result.json, in folder order."""
        if not self.path.is_dir():
            return []
        return sorted(p.parent.name for p in self.path.glob("*/result.json") if not p.parent.name.startswith("."))

    def load_state(self) -> RunState | None:
        try:
            data = read_json(self.state_file)
        except (OSError, ValueError):
            return None
        return RunState.from_dict(data) if isinstance(data, dict) else None

    def save_state(self, state: RunState) -> None:
        state.updated_at = now_iso()
        atomic_write_json(self.state_file, state.to_dict())

    def archives(self) -> list[RunDir]:
        """Earlier runs of this configuration kept by ``--force``, oldest first."""
        if not self.history_dir.is_dir():
            return []
        return [RunDir(self.root, self.tier, self.run_name, p.name) for p in sorted(self.history_dir.iterdir()) if p.is_dir()]

    def _started_at(self) -> str | None:
        state = self.load_state()
        if state and state.started_at:
            return state.started_at
        with contextlib.suppress(OSError, ValueError, AttributeError):
            return read_json(self.result)["meta"]["benchmark_start_time"]
        with contextlib.suppress(OSError):
            return datetime.fromtimestamp(self.path.stat().st_mtime, timezone.utc).isoformat()
        return None

    def archive(self) -> Path:
        """Move this run into ``.history/<run_name>/<started_at compact>/``."""
        stamp = compact_stamp(self._started_at())
        target = self.history_dir / stamp
        n = 1
        while target.exists():  # two runs started in the same second
            target = self.history_dir / f"{stamp}-{n}"
            n += 1
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(self.path), str(target))
        except OSError as exc:
            raise _output_error(target.parent, exc, OUTPUT_HINT) from exc
        return target

    def prepare(self, force: bool, *, scenarios_planned: list[str] | None = None) -> RunState:
        """Make the folder ready to measure into and return its state.

        An existing folder is resumed (its state kept, ``resume_count`` + 1)
        unless ``force``, which archives it first and starts fresh.
        """
        if self.archived:
            raise OutputError(f"{self.path} is an archived run; start a new run instead of writing into history.")
        check_writable(self.root)
        if self.exists() and force:
            self.archive()
        if self.exists():
            state = self.load_state() or RunState(scenarios_done=self.scenarios_present(), started_at=self._started_at() or now_iso())
            state.resume_count += 1
        else:
            try:
                self.path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise _output_error(self.path.parent, exc, OUTPUT_HINT) from exc
            state = RunState()
        if scenarios_planned is not None:
            # Another selection measured into the same folder adds to it: finished scenarios stay.
            kept = [s for s in state.scenarios_done if s not in scenarios_planned]
            state.scenarios_planned = kept + list(scenarios_planned)
        state.status = "running"
        state.pid = os.getpid()
        self.save_state(state)
        return state
