"""A runner killed mid-scenario: finished scenarios stay, the run is incomplete, a rerun resumes."""

from __future__ import annotations

import json
import signal
import subprocess
import time

import psutil
import pytest

pytestmark = pytest.mark.e2e


def test_killed_runner_keeps_finished_scenarios_and_rerun_resumes(cli, tmp_path):
    out = tmp_path / "out"
    args = ("run", "--scenario", "interactive,offline", "--runs", "1", "--output-dir", str(out))
    argv, env = cli(tmp_path, *args)
    parent = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                              stdin=subprocess.DEVNULL)
    # Wait for the first scenario's result, then kill the runner (not the parent) as an OOM killer would.
    deadline = time.time() + 300
    run_dir = None
    while time.time() < deadline:
        hits = list(out.glob("community/*/interactive/result.json"))
        if hits:
            run_dir = hits[0].parent.parent
            break
        assert parent.poll() is None, parent.communicate()
        time.sleep(0.2)
    assert run_dir is not None, "interactive never finished"
    children = psutil.Process(parent.pid).children(recursive=True)
    runner = [c for c in children if "runner.py" in " ".join(c.cmdline())]
    assert runner, [c.cmdline() for c in children]
    runner[0].send_signal(signal.SIGKILL)
    stdout, stderr = parent.communicate(timeout=60)
    assert parent.returncode == 2, (stdout, stderr)
    assert "Traceback" not in stderr
    last = [ln for ln in stderr.splitlines() if ln.startswith("accelmark:")]
    assert len(last) == 1 and "SIGKILL" in last[0] and "offline" in last[0] and "interactive" in last[0], stderr
    state = json.loads((run_dir / ".accelmark" / "state.json").read_text())
    assert state["status"] == "incomplete" and state["scenarios_done"] == ["interactive"]
    merged = json.loads((run_dir / "result.json").read_text())
    assert "interactive" in merged["metrics"] and "offline" not in merged["metrics"]
    assert "not run" in merged["meta"]["notes"]
    before = (run_dir / "interactive" / "result.json").read_bytes()

    again = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600, stdin=subprocess.DEVNULL)
    assert again.returncode == 0, again.stderr
    assert "scenarios: offline" in again.stderr  # only the unfinished scenario ran
    assert (run_dir / "interactive" / "result.json").read_bytes() == before
    state = json.loads((run_dir / ".accelmark" / "state.json").read_text())
    assert state["status"] == "complete" and sorted(state["scenarios_done"]) == ["interactive", "offline"]
    merged = json.loads((run_dir / "result.json").read_text())
    assert {"interactive", "offline"} <= set(merged["metrics"])


def test_force_archives_the_earlier_run(cli, tmp_path):
    out = tmp_path / "out"
    argv, env = cli(tmp_path, "run", "--scenario", "interactive", "--runs", "1", "--output-dir", str(out))
    first = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600, stdin=subprocess.DEVNULL)
    assert first.returncode == 0, first.stderr
    second = subprocess.run(argv + ["--force"], capture_output=True, text=True, env=env, timeout=600,
                            stdin=subprocess.DEVNULL)
    assert second.returncode == 0, second.stderr
    history = list(out.glob("community/.history/*/*/result.json"))
    assert len(history) == 1
