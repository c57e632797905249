"""A hidden developer entry: open the app straight on a live run.

``ACCELMARK_AUTORUN='{"suite": "suite_Quick", "scenario": "interactive", "runs": 1}'``
makes the app push the live-run screen for that request right after the home
screen, exactly as run setup would. ``bench/ui_overhead.py`` uses it to run a
benchmark from the real app in a real terminal without scripting key presses.
Keys are ``RunRequest`` fields; an unknown key or bad JSON is reported in the
app's error dialog, never silently ignored.
"""

from __future__ import annotations

import json
import os
from dataclasses import fields
from typing import Any, Mapping

ENV = "ACCELMARK_AUTORUN"


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

    app.push_screen(LiveRunScreen(request))
    return True


def main() -> int:
    """``python -m accelmark_tui.ui.autorun``: the app with autorun installed, for as long as app.py
    does not call ``install`` itself."""
    from accelmark_tui.ui.app import AccelmarkApp

    class _AutorunApp(AccelmarkApp):
        def on_mount(self) -> None:
            parent = getattr(super(), "on_mount", None)
            if parent is not None:
                parent()
            install(self)

    _AutorunApp().run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
