"""A hidden developer entry: open the app straight on a live run.

``ACCELMARK_AUTORUN='{"suite": "suite_Quick", "scenario": "interactive", "runs": 1}'``
makes the app push the live-run screen for that request right after the home
screen, exactly as run setup would. ``bench/ui_overhead.py`` uses it to run a
benchmark from the real app in a real terminal without scripting key presses.
Keys are ``RunRequest`` fields; an unknown key or bad JSON is reported in the
app's error dialog, never silently ignored.

With ``ACCELMARK_AUTORUN_REPORT=<path>`` as well, the app writes what the bench
needs when the run ends (its state, and this process's CPU time and wall time
from the runner's start to the end) and quits, so the bench waits for the app
to exit instead of polling the run folder while decode is being measured.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import fields
from pathlib import Path
from typing import Any, Mapping

ENV = "ACCELMARK_AUTORUN"
REPORT_ENV = "ACCELMARK_AUTORUN_REPORT"
ENDED = ("done", "stopped", "failed")


def request_from_env(environ: Mapping[str, str] | None = None):
    """The RunRequest the environment asks for, None when unset; UsageError when malformed."""
    from accelmark_tui.engine.session import RunRequest
    from accelmark_tui.errors import UsageError

    raw = (os.environ if environ is None else environ).get(ENV, "").strip()
    if not raw:
        return None
    try:
        data: Any = json.loads(raw)
    except ValueError as exc:
        raise UsageError(f"{ENV} is not JSON ({exc.msg}); give an object such as "
                         '{"suite": "suite_Quick", "scenario": "interactive", "runs": 1}.') from None
    if not isinstance(data, dict):
        raise UsageError(f"{ENV} must be a JSON object of run settings.")
    known = {f.name for f in fields(RunRequest)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise UsageError(f"{ENV} has unknown keys ({', '.join(unknown)}); use {', '.join(sorted(known))}.")
    return RunRequest(**data)


def install(app) -> bool:
    """Push the live-run screen when the environment asks for one (call from the app's on_mount).
    Idempotent: a second call does nothing."""
    from accelmark_tui.errors import AccelmarkError

    if getattr(app, "_autorun_done", False):
        return False
    app._autorun_done = True
    try:
        request = request_from_env()
    except AccelmarkError as exc:
        app.show_error(exc, title="Autorun")
        return False
    if request is None:
        return False
    from accelmark_tui.screens.live_run import LiveRunScreen

    screen = LiveRunScreen(request)
    report = os.environ.get(REPORT_ENV, "").strip()
    if report:
        screen.state_listeners.append(Reporter(app, Path(report)))
    app.push_screen(screen)
    return True


def _process_cpu() -> float:
    t = os.times()
    return t.user + t.system  # every thread of this process; the runner child is its own process


class Reporter:
    """Writes {state, error, window_s, cpu_s} to ``path`` when the run ends, then quits the app."""

    def __init__(self, app, path: Path, quit_after: float = 1.0) -> None:
        self.app, self.path, self.quit_after = app, path, quit_after
        self.started: tuple[float, float] | None = None

    def __call__(self, screen, state: str) -> None:
        from accelmark_tui.jsonfile import atomic_write_json

        if state == "running" and self.started is None:
            self.started = (time.monotonic(), _process_cpu())  # the runner is being started
        elif state in ENDED:
            t0, c0 = self.started or (time.monotonic(), _process_cpu())
            doc = {"state": state, "error": screen.error, "window_s": round(time.monotonic() - t0, 3),
                   "cpu_s": round(_process_cpu() - c0, 4)}
            atomic_write_json(self.path, doc)
            self.app.set_timer(self.quit_after, self.app.exit)  # the summary shows for a moment
