"""Ctrl-C mid-scenario keeps its finished requests as a partial block; the same command resumes at the next one.

A real `accelmark run` with the endpoint runner against the fake OpenAI server
(slow enough, 0.4 s a request, to be stopped inside a step), stopped as a user
does it: one SIGINT to the CLI process.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from openai_server import FakeOpenAI  # noqa: E402

from accelmark_tui.engine.records import read_records  # noqa: E402

RUNNER = "other_openai_endpoint"


def _measured(path: Path) -> int:
    if not path.exists():
        return 0
    return sum(1 for line in path.read_text().splitlines() if '"phase":"measure"' in line)


def test_ctrl_c_keeps_a_partial_block_and_the_rerun_resumes_at_the_next_request(cli, tmp_path):
    out = tmp_path / "out"
    with FakeOpenAI(tokens=16, itl_ms=25) as srv:
        argv, env = cli(tmp_path, "run", "--runner", RUNNER, "--base-url", srv.base_url, "--scenario",
                        "interactive,offline", "--runs", "1", "--output-dir", str(out), "--json")
        parent = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                  stdin=subprocess.DEVNULL)
        # interactive finishes; offline (c=1 then c=4, 8 requests each) is stopped inside its first step.
        deadline = time.time() + 120
        samples = None
        while time.time() < deadline:
            hits = list(out.glob("community/*/offline/samples.jsonl"))
            if hits and _measured(hits[0]) >= 3:
                samples = hits[0]
                break
            assert parent.poll() is None, parent.communicate()
            time.sleep(0.05)
        assert samples is not None, "offline never measured 3 requests"
        parent.send_signal(signal.SIGINT)
        stdout, stderr = parent.communicate(timeout=120)
        run_dir = samples.parent.parent

        assert parent.returncode == 2 and "Traceback" not in stderr, stderr
        outcome = json.loads(stdout)
        assert outcome["status"] == "stopped" and outcome["scenarios_done"] == ["interactive"]
        assert outcome["scenarios_partial"] == ["offline"]
        done = _measured(samples)
        assert 3 <= done < 16

        # The partial block: built from the finished requests, marked, where scenario results go.
        doc = json.loads((run_dir / "offline" / "partial.json").read_text())
        mark = doc["meta"]["partial"]
        assert mark["requests_done"] == done and mark["requests_planned"] == 16 and mark["steps_planned"] == 2
        at = mark["resumes_at"]
        assert at["run"] == 0 and at["step"] * 8 + at["request"] == done and mark["steps_done"] == at["step"]
        rows = doc["metrics"]["offline"]["results_by_concurrency"]
        assert sum(r["runs"][0]["completed"] + r["runs"][0]["failed"] for r in rows) == done
        assert not (run_dir / "offline" / "result.json").exists()

        # Not finished anywhere: state, the merged result, validate and the submit checklist.
        state = json.loads((run_dir / ".accelmark" / "state.json").read_text())
        assert state["scenarios_done"] == ["interactive"] and state["status"] == "incomplete"
        assert state["scenarios_partial"]["offline"]["resumes_at"] == at
        merged = json.loads((run_dir / "result.json").read_text())
        assert "offline" not in merged["metrics"] and "offline" not in merged["task"]["scenarios_run"]
        assert "['offline'] stopped part-way" in merged["meta"]["notes"]
        argv_v, env_v = cli(tmp_path, "validate", str(run_dir), "--output-dir", str(out), "--json")
        checked = subprocess.run(argv_v, capture_output=True, text=True, env=env_v, timeout=120,
                                 stdin=subprocess.DEVNULL)
        assert checked.returncode == 2, checked.stderr
        failing = {c["name"]: c["detail"] for c in json.loads(checked.stdout)["checks"] if not c["ok"]}
        detail = failing["scenarios finished"]
        assert detail.startswith(f"offline/partial.json: offline was stopped after {done} of 16 requests")
        assert "cannot be submitted" in detail and detail.count(". ") == 0
        argv_s, env_s = cli(tmp_path, "results", "show", str(run_dir), "--output-dir", str(out))
        shown = subprocess.run(argv_s, capture_output=True, text=True, env=env_s, timeout=120,
                               stdin=subprocess.DEVNULL)
        assert f"Partial: offline was stopped after {done} of 16 requests" in shown.stdout, shown.stdout

        # The same command continues offline at the next request and finishes it.
        again = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, stdin=subprocess.DEVNULL)
    assert again.returncode == 0, again.stderr
    assert "scenarios: offline" in again.stderr and "offline: resuming at run 1, step" in again.stderr
    state = json.loads((run_dir / ".accelmark" / "state.json").read_text())
    assert state["status"] == "complete" and state["scenarios_done"] == ["interactive", "offline"]
    assert not state["scenarios_partial"] and not (run_dir / "offline" / "partial.json").exists()

    lines = [json.loads(ln) for ln in samples.read_text().splitlines()]
    headers = [i for i, d in enumerate(lines) if d.get("type") == "header"]
    assert len(headers) == 2 and lines[headers[1]]["resumed_at"]["request"] == at["request"]
    records = read_records(samples)
    measured = [r for r in records if r.phase == "measure"]
    assert len(measured) == 16  # every planned request, none twice
    assert Counter((r.run, r.level, r.prompt_id) for r in measured).most_common(1)[0][1] == 1
    assert sorted(Counter(r.level for r in measured).items()) == [(1, 8), (4, 8)]
    # The resumed step ran its warm-up again in the new runner process, before its next request.
    resumed, plan = lines[headers[1] + 1:], lines[headers[1]]["plan"]
    assert resumed[0]["phase"] == "warmup" and resumed[0]["level"] == plan["steps"][at["step"]]["level"]

    merged = json.loads((run_dir / "result.json").read_text())
    rows = {r["client_concurrency"]: r for r in merged["metrics"]["offline"]["results_by_concurrency"]}
    assert rows[1]["runs"][0]["completed"] + rows[1]["runs"][0]["failed"] == 8
    if at["step"] == 0:
        # The step measured in two runner processes: its window is theirs added, not the span across the pause.
        level1 = [r for r in measured if r.level == 1]
        span = (max(r.end_ns for r in level1) - min(r.sent_ns for r in level1)) / 1e9
        assert rows[1]["elapsed_seconds_median"] < span - 1.0
    assert "offline" in merged["task"]["scenarios_run"] and "stopped part-way" not in (merged["meta"]["notes"] or "")
