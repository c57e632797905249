"""The live screen's words: the status line while running and the summary at the end.

Pure functions of an engine snapshot (no Textual), so their wording is tested
without a terminal. Text is Textual markup; anything from outside (paths,
error sentences, headline figures) is escaped by the caller's helpers here.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from accelmark_tui.scenarios.registry import headline

if TYPE_CHECKING:
    from accelmark_tui.engine.live import LiveSnapshot


def escape(text: str) -> str:
    """Markup-escape (``[`` opens a tag in Textual markup)."""
    return text.replace("[", "\\[")


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    s = int(seconds)
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


_TAG = re.compile(r"(?<!\\)\[/?[^\]]*\]")  # a markup tag (not an escaped "\[")


def status_line(snap: LiveSnapshot, state: str, room: int | None = None) -> str:
    """One line while a run is live: scenario, level, requests, recent tok/s, elapsed, ETA.

    ``room``: the columns the line has; where the full words do not fit (80 columns), shorter ones are used,
    so the ETA at its end is never cut.
    """
    line = _status_line(snap, state, short=False)
    if room is not None and len(_TAG.sub("", line)) > room:
        line = _status_line(snap, state, short=True)
    return line


def _status_line(snap: LiveSnapshot, state: str, short: bool) -> str:
    if state == "preparing" and snap.phase == "starting":
        return "Preparing: checking the runner, suite and model…"
    if snap.phase in ("starting", "loading"):
        return f"Loading the model… {fmt_s(snap.elapsed_s)}"
    tok = snap.tok_s.values[-8:]  # about the last two seconds of the 1 s-window rate
    parts = [f"[b]{escape(str(snap.scenario or '-'))}[/b] run {snap.run + 1}/{snap.runs or 1}"
             + (f", level {snap.level}" if snap.level is not None else ""),
             f"{snap.done}/{snap.total if snap.total is not None else '?'} {'req' if short else 'requests'}",
             f"{sum(tok) / len(tok):.1f} tok/s" if tok else "- tok/s",
             fmt_s(snap.elapsed_s) if short else f"elapsed {fmt_s(snap.elapsed_s)}"]
    if snap.failed:
        parts.append(f"[$error]{snap.failed} failed[/]")
    if state == "stopping" or snap.phase == "stopping":
        # The wind-down: no ETA (the plan is no longer what is left), the requests still to finish.
        return f"[b]{stopping(snap)}[/b] (finished requests are kept) · " + " · ".join(parts)
    if snap.eta_s is not None:
        parts.append(f"ETA {fmt_s(snap.eta_s)}")
    return " · ".join(parts)


def stopping(snap: LiveSnapshot) -> str:
    """``Stopping… 3 in flight`` (the count once the runner has been asked to stop)."""
    return f"Stopping… {snap.in_flight} in flight" if snap.phase == "stopping" else "Stopping…"


def progress_detail(snap: LiveSnapshot) -> str:
    total, done = snap.total, snap.done
    pct = f" · {100 * done // total}%" if total else ""
    if snap.phase == "stopping":
        return f"{done}/{total or '?'}{pct} · {stopping(snap).lower()}"
    eta = f" · ETA {fmt_s(snap.eta_s)}" if snap.eta_s is not None else ""
    return f"{done}/{total or '?'}{pct}{eta}"


def summary(outcome: Any, snap: LiveSnapshot, can_open: bool) -> str:
    """The end of a run: how it ended, each finished scenario's headline, where it is, the keys."""
    keys = "[b]enter[/b] opens the result, " if can_open else ""
    if outcome is None:
        return f"[b]Stopped[/b] before the runner started; nothing was measured. {keys}[b]esc[/b] goes back."
    figures = "".join(f"\n  {name}: {escape(headline(name, block))}" for name, block in snap.scenario_blocks.items())
    return (f"[b]{outcome.status.capitalize()}[/b] after {fmt_s(snap.elapsed_s)}.{figures}\n"
            f"{escape(outcome.message)}\n{keys}[b]esc[/b] goes back.")


def failure(error: str, any_done: bool) -> str:
    keys = "[b]enter[/b] opens what was kept, " if any_done else ""
    return f"[b]Failed:[/b] {escape(error)}\n{keys}[b]esc[/b] goes back."
