"""accelmark's local bookkeeping for one run (``.accelmark/state.json``).

Resume needs to know what was planned, what finished and what failed; the
leaderboard never sees this file. Wall-clock times here only label things.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

STATUSES = ("running", "incomplete", "complete")


# ── time labels (wall clock only labels metadata) ────────────────────────────


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


def compact_stamp(iso: str | None) -> str:
    """``2026-11-22T15:03:12.5+00:00`` → ``20261122T150312Z`` (UTC)."""
    try:
        # Python 3.10's fromisoformat does not take a trailing "Z".
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00")) if iso else datetime.now(timezone.utc)
    except ValueError:
        moment = datetime.now(timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


@dataclass
class RunState:
    """accelmark's bookkeeping for resume; never submitted."""

    status: str = "running"
    scenarios_planned: list[str] = field(default_factory=list)
    scenarios_done: list[str] = field(default_factory=list)
    scenarios_failed: dict[str, str] = field(default_factory=dict)  # scenario → one-sentence reason
    # Scenarios a graceful stop ended part-way (never in scenarios_done): scenario → how far it got
    # (``meta.partial``'s fields), where it resumes and the events file's length at the stop.
    scenarios_partial: dict[str, dict[str, Any]] = field(default_factory=dict)
    started_at: str = field(default_factory=now_iso)
    updated_at: str = field(default_factory=now_iso)
    notes: list[str] = field(default_factory=list)
    resume_count: int = 0
    pid: int | None = None  # process that set status "running" (to tell a crash from a live run)
    extra: dict[str, Any] = field(default_factory=dict)  # keys written by newer versions survive

    _KNOWN = (
        "status", "scenarios_planned", "scenarios_done", "scenarios_failed", "scenarios_partial", "started_at",
        "updated_at", "notes", "resume_count", "pid",
    )

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self._KNOWN}
        return {**self.extra, **out}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunState:
        known = {k: data[k] for k in cls._KNOWN if k in data}
        state = cls(**known)
        state.extra = {k: v for k, v in data.items() if k not in cls._KNOWN}
        if state.status not in STATUSES:
            state.status = "incomplete"
        return state

    def mark_done(self, scenario: str) -> None:
        if scenario not in self.scenarios_done:
            self.scenarios_done.append(scenario)
        self.scenarios_failed.pop(scenario, None)
        self.scenarios_partial.pop(scenario, None)

    def mark_failed(self, scenario: str, reason: str) -> None:
        self.scenarios_failed[scenario] = reason

    @property
    def remaining(self) -> list[str]:
        return [s for s in self.scenarios_planned if s not in self.scenarios_done]
