"""`accelmark run` end to end on the real embedded model (no arguments beyond the output dir).

One full default run of the quick suite is shared by the tests of this module:
it is the command a user runs first, so it is checked for what a user and the
leaderboard's validator will look at.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest

from accelmark_tui.resources import schema_path
from accelmark_tui.results.identity import identity_from_result

pytestmark = pytest.mark.e2e


def _schema(name: str) -> dict:
    return json.loads(schema_path(name).read_text())


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    import os
    import sys

    root = Path(__file__).resolve().parents[2]
    home = tmp_path_factory.mktemp("quick")
    out = home / "results"
    env = dict(os.environ, ACCELMARK_DATA_DIR=str(home / "data"), ACCELMARK_CONFIG_DIR=str(home / "config"),
               ACCELMARK_CACHE_DIR=str(home / "cache"), PYTHONPATH=str(root))
    cmd = [sys.executable, "-m", "accelmark_tui", "run", "--output-dir", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900, stdin=subprocess.DEVNULL)
    return proc, out, env, cmd


def _run_dir(out: Path) -> Path:
    dirs = [p for p in (out / "community").iterdir() if not p.name.startswith(".")]
    assert len(dirs) == 1, dirs
    return dirs[0]


def test_run_succeeds_without_a_tty_and_prints_plain_progress(quick_run):
    proc, out, _, _ = quick_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    assert "\r" not in proc.stderr  # no TTY: plain lines, no carriage-return redraws
    assert "offline: started" in proc.stderr and "interactive: finished" in proc.stderr
    # The end-of-run accuracy line says how many items got an answer, what guessing scores, and the baseline.
    [line] = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip().startswith("accuracy: score")]
    assert "answered)" in line and ", chance 0.25" in line and "baseline none" in line


def test_result_folder_is_laid_out_as_upstream(quick_run):
    _, out, _, _ = quick_run
    rd = _run_dir(out)
    for rel in ("env_info.json", "result.json", "offline/result.json", "online/result.json",
                "interactive/result.json", "accuracy/accuracy.json", "offline/samples.jsonl", "run.log"):
        assert (rd / rel).is_file(), rel
    assert rd.name.startswith("intel") or "x1_suite_Quick_cpu_llamacpp_" in rd.name
    assert "_suite_Quick_cpu_llamacpp_" in rd.name


def test_results_validate_against_upstream_schemas(quick_run):
    _, out, _, _ = quick_run
    rd = _run_dir(out)
    result_schema, env_schema = _schema("result.schema.json"), _schema("env.schema.json")
    jsonschema.Draft7Validator(env_schema).validate(json.loads((rd / "env_info.json").read_text()))
    for f in ["result.json", "offline/result.json", "online/result.json", "interactive/result.json"]:
        jsonschema.Draft7Validator(result_schema).validate(json.loads((rd / f).read_text()))


def test_identity_is_the_upstream_rule(quick_run):
    _, out, _, _ = quick_run
    rd = _run_dir(out)
    doc = json.loads((rd / "result.json").read_text())
    ident = identity_from_result(doc)
    assert ident.run_id == doc["meta"]["run_id"]
    assert ident.run_name == doc["meta"]["run_name"] == rd.name


def test_measured_figures_are_real_and_consistent(quick_run):
    _, out, _, _ = quick_run
    rd = _run_dir(out)
    doc = json.loads((rd / "result.json").read_text())
    m = doc["metrics"]
    assert doc["chip"]["vendor"] in ("Intel", "AMD", "Other", "Apple", "Qualcomm")
    assert doc["model"]["precision"] == "INT4" and doc["model"]["quantization_method"] == "gguf_q4_1"
    assert doc["model"]["model_revision"] == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    assert doc["task"]["num_runs"] >= 3
    rows = {r["client_concurrency"]: r for r in m["offline"]["results_by_concurrency"]}
    assert set(rows) == {1, 4}
    # The runner really batched 4 sequences, and batching raised throughput.
    assert rows[4]["served_concurrency"] == 4
    assert rows[4]["throughput_tokens_per_sec"] > rows[1]["throughput_tokens_per_sec"]
    for r in rows.values():
        assert r["_throughput_note"] == "output_only"
        assert r["throughput_tokens_per_sec_total"] > r["throughput_tokens_per_sec"] > 10
        assert r["reliability"]["n"] == doc["task"]["num_runs"]
    inter = m["interactive"]
    assert 0 < inter["ttft_ms_p50"] <= inter["ttft_ms_p90"] <= inter["ttft_ms_p99"]
    assert 0 < inter["tpot_ms_p50"] < 100
    assert inter["decode_tokens_per_sec"] == pytest.approx(inter["decode_tokens_per_sec"])
    assert inter["decode_tokens_per_sec"] > 20
    online = m["online"]
    assert [r["target_qps"] for r in online["results_by_qps"]] == [1.0, 2.0]
    for r in online["results_by_qps"]:
        assert r["send_lag_ms"]["p99"] < 50  # the schedule was held
        assert r["sla_met"] == (r["ttft_ms_p99"] <= online["sla_ttft_ms"])
    acc = json.loads((rd / "accuracy" / "accuracy.json").read_text())
    assert 0 <= acc["subset_score"] <= 1
    assert 0 <= acc["answered"] <= acc["items"] == 100 and acc["correct"] <= acc["answered"]
    assert acc["chance_score"] == 0.25  # every item of the subset has four choices
    assert doc["model"]["model_id"] == "HuggingFaceTB/SmolLM2-135M-Instruct" and "SHA-256" in doc["model"]["model_note"]
    assert acc["valid"] is False and "baseline" in acc["notes"]  # no upstream baseline for SmolLM2


def test_samples_hold_every_request_of_the_contract(quick_run):
    _, out, _, _ = quick_run
    rd = _run_dir(out)
    lines = (rd / "interactive" / "samples.jsonl").read_text().splitlines()
    header, recs = json.loads(lines[0]), [json.loads(x) for x in lines[1:]]
    assert header["type"] == "header" and header["clock"] == "perf_counter_ns"
    measured = [r for r in recs if r["phase"] == "measure"]
    assert len(measured) == 8 * 3
    for r in measured:
        assert r["sent_ns"] < r["first_token_ns"] <= r["end_ns"]
        assert len(r["chunk_ns"]) == r["output_tokens"] == sum(r["chunk_tokens"])
        assert r["finish_reason"] in ("stop", "length")


def test_rerun_skips_finished_scenarios(quick_run):
    _, out, env, cmd = quick_run
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert "Already complete" in proc.stdout
    assert "loading model" not in proc.stderr


def test_results_command_lists_and_shows_the_run(quick_run):
    _, out, env, cmd = quick_run
    base = cmd[:3]
    proc = subprocess.run(base + ["results", "--output-dir", str(out), "--json"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    runs = json.loads(proc.stdout)
    runs = runs["runs"] if isinstance(runs, dict) else runs
    assert len(runs) == 1
    name = _run_dir(out).name
    show = subprocess.run(base + ["results", "show", name, "--output-dir", str(out)], capture_output=True,
                          text=True, env=env, timeout=60)
    assert show.returncode == 0, show.stderr
    assert "offline" in show.stdout.lower() and "interactive" in show.stdout.lower()
    assert "online" in show.stdout.lower() and "accuracy" in show.stdout.lower()
