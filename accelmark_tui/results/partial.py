"""A scenario stopped part-way, as the results say it: the ``meta.partial`` marker and its sentence.

Its block lives in ``<scenario>/partial.json`` (``RunDir.partial``), a name
upstream never reads, beside the finished scenarios' files: ``results show``
and run detail show it, marked; the merged result.json, the exports and a
submission leave it out, and ``validate`` refuses a run that has one.
"""

from __future__ import annotations

from typing import Any

# meta.partial's keys (the run state keeps these and where to resume).
MARKER_KEYS = ("scenario", "requests_done", "requests_planned", "steps_done", "steps_planned", "resumes_at")


def marker(entry: dict[str, Any]) -> dict[str, Any]:
    """``meta.partial`` of a partial block, from the run state's entry."""
    return {k: entry.get(k) for k in MARKER_KEYS}


def sentence(mark: dict[str, Any]) -> str:
    """``offline was stopped after 4 of 48 requests, with 0 of 2 steps complete`` (no full stop)."""
    done, planned = mark.get("requests_done"), mark.get("requests_planned")
    of = f"{done} of {planned}" if planned else f"{done}"
    steps = f", with {mark.get('steps_done') or 0} of {mark['steps_planned']} steps complete" \
        if mark.get("steps_planned") else ""
    return f"{mark.get('scenario')} was stopped after {of} requests{steps}"


def resume_clause(mark: dict[str, Any]) -> str:
    """What the same command does with it next."""
    at = mark.get("resumes_at")
    if not isinstance(at, dict):
        return "the same command measures it again from the start"
    run = f"run {at.get('run', 0) + 1}, " if at.get("run") else ""
    return f"the same command resumes it at {run}step {at.get('step', 0) + 1}, request {at.get('request', 0) + 1}"


def of_doc(doc: Any) -> dict[str, Any] | None:
    """A document's partial marker, or None (a finished scenario's result)."""
    meta = doc.get("meta") if isinstance(doc, dict) else None
    mark = meta.get("partial") if isinstance(meta, dict) else None
    return mark if isinstance(mark, dict) else None
