"""The developer autorun hook the UI bench drives the app with: its request parsing, and the report
the app writes (then quits) when the run ends, so the bench need not poll during the run."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

import pytest

from accelmark_tui.errors import UsageError
from accelmark_tui.ui import autorun


def test_request_from_env_parses_and_refuses_clearly():
    assert autorun.request_from_env({}) is None
    req = autorun.request_from_env({autorun.ENV: '{"suite": "suite_Quick", "scenario": "interactive", "runs": 3}'})
    assert (req.suite, req.scenario, req.runs) == ("suite_Quick", "interactive", 3)
    with pytest.raises(UsageError, match="not JSON"):
        autorun.request_from_env({autorun.ENV: "{suite"})
    with pytest.raises(UsageError, match="unknown keys \\(colour\\)"):
        autorun.request_from_env({autorun.ENV: '{"colour": 1}'})


def test_reporter_writes_the_run_window_then_quits(tmp_path):
    timers = []
    app = SimpleNamespace(exit=lambda: None, set_timer=lambda delay, cb: timers.append((delay, cb)))
    path = tmp_path / "report.json"
    reporter = autorun.Reporter(app, path, quit_after=0.5)
    screen = SimpleNamespace(error=None)
    reporter(screen, "preparing")
    assert not path.exists()
    reporter(screen, "running")
    t0 = time.process_time()
    while time.process_time() - t0 < 0.05:  # burn a little CPU inside the window
        pass
    reporter(screen, "done")
    doc = json.loads(path.read_text())
    assert doc["state"] == "done" and doc["error"] is None
    assert doc["window_s"] >= 0.05 and doc["cpu_s"] >= 0.04
    assert timers == [(0.5, app.exit)]
    assert not list(tmp_path.glob("*.tmp"))

    failed = autorun.Reporter(app, tmp_path / "failed.json")
    failed(SimpleNamespace(error="The model file is not a GGUF."), "failed")  # failed before running
    assert json.loads((tmp_path / "failed.json").read_text())["error"] == "The model file is not a GGUF."
