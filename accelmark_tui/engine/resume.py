"""A scenario stopped part-way: the checkpoint kept for it and where a rerun resumes.

A graceful stop lets in-flight requests finish and sends nothing new, so the
requests a step measured are always the first ones of its list: the stop's
position (run, step, next request) says exactly what is left. The session
keeps that position in the run state with the events file's length at the
stop; a rerun of the same plan truncates the file back to that length (a
later attempt that was killed, not stopped, left records no checkpoint knows)
and the runner appends from the next request.

Time-bound and adaptive steps (a sustained duration, a burst schedule, a peak
search) are one load shape from start to end: half of one glued to half of
another would not be that shape, so those scenarios restart from scratch.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Sequence

from accelmark_tui.engine.messages import ScenarioStopped
from accelmark_tui.engine.records import PHASE_MEASURE, RequestRecord

# Step modes whose measured requests are a fixed list (closed loop, open-loop schedule).
RESUMABLE_MODES = ("closed", "poisson", "constant")


def resumable(plan: dict[str, Any]) -> bool:
    return all(step.get("mode") in RESUMABLE_MODES for step in plan["steps"])


def digest(plan: dict[str, Any]) -> str:
    """The plan's fingerprint: a rerun with other options must not continue this one's steps."""
    return hashlib.sha256(json.dumps(plan, sort_keys=True).encode()).hexdigest()[:16]


def step_requests(plan: dict[str, Any], step: dict[str, Any], n_items: int) -> int:
    """Measured requests of one step of one run (the accuracy subset has one per item)."""
    return n_items if plan.get("source") == "accuracy" else int(step.get("requests") or 0)


def checkpoint(plan: dict[str, Any], stop: ScenarioStopped, records: Sequence[RequestRecord], samples: Path,
               n_items: int) -> dict[str, Any] | None:
    """What the run state keeps of a stopped scenario (``meta.partial``'s fields plus the resume point),
    or None when it measured nothing."""
    done = sum(1 for r in records if r.phase == PHASE_MEASURE)
    if not done:
        return None
    steps = plan["steps"]
    at: dict[str, int] | None = None
    before = stop.run * len(steps) + stop.step  # steps finished before the one it stopped in
    if resumable(plan):
        # Measured before the stop's position: every step of earlier runs, earlier steps of this one.
        expected = sum(step_requests(plan, s, n_items) for s in steps) * stop.run + sum(
            step_requests(plan, s, n_items) for s in steps[:stop.step]) + stop.request
        if expected == done:  # else the file lost records (a kill): the position is not to be trusted
            at = {"run": stop.run, "step": stop.step, "request": stop.request}
    planned = None
    if all(step_requests(plan, s, n_items) for s in steps):
        planned = sum(step_requests(plan, s, n_items) for s in steps) * int(plan["runs"])
    return {"scenario": plan["name"], "requests_done": done, "requests_planned": planned,
            "steps_done": before if at else 0, "steps_planned": len(steps) * int(plan["runs"]),
            "resumes_at": at, "plan_digest": digest(plan), "samples_bytes": samples.stat().st_size}


def resume_point(entry: dict[str, Any] | None, plan: dict[str, Any], samples: Path) -> dict[str, Any] | None:
    """Where the runner continues ``plan`` (the job's ``resume`` entry), or None to measure it from the start."""
    if not entry or not isinstance(entry.get("resumes_at"), dict) or entry.get("plan_digest") != digest(plan):
        return None
    try:
        if samples.stat().st_size < int(entry["samples_bytes"]):
            return None
    except (OSError, KeyError, TypeError, ValueError):
        return None
    return {**entry["resumes_at"], "done": int(entry.get("requests_done") or 0), "bytes": int(entry["samples_bytes"])}


def skip_in(at: dict[str, Any] | None, run: int, step: int, size: int) -> int | None:
    """Requests of this step measured before the stop (0: all to measure), or None: the step is done."""
    if at is None or (run, step) > (at["run"], at["step"]):
        return 0
    if (run, step) < (at["run"], at["step"]) or at["request"] >= size:
        return None
    return int(at["request"])
