"""Listing and finding saved runs, and the text/CSV/Markdown views of them."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from accelmark_tui.errors import UsageError
from accelmark_tui.results.layout import RunDir, RunState, atomic_write_json
from accelmark_tui.results.render import render_run, render_run_list, to_csv, to_markdown
from accelmark_tui.results.store import find_run, list_runs, load_run, summarize

EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "results" / "example-result"
EXAMPLE_NAME = "mtt_s4000x1_suite_F_moorethreads_vllm_musa_f2f6f965_4f66d29d"
PARTIAL_NAME = "mtt_s4000x1_suite_F_moorethreads_vllm_musa_f2f6f965_0badc0de"


@pytest.fixture(autouse=True)
def _dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("ACCELMARK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ACCELMARK_CONFIG_DIR", str(tmp_path / "config"))


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture
def root(tmp_path) -> Path:
    """The example run, an interrupted run (offline only) and an archived earlier run."""
    base = tmp_path / "results"
    shutil.copytree(EXAMPLE, base / "community" / EXAMPLE_NAME)
    partial = RunDir(base, "community", PARTIAL_NAME)
    partial.path.mkdir(parents=True)
    shutil.copy(EXAMPLE / "env_info.json", partial.env_info)
    offline = json.loads((EXAMPLE / "offline" / "result.json").read_text())
    offline["meta"]["date"] = "2026-11-22"
    offline["metrics"]["offline"]["results_by_concurrency"][0]["reliability"] = {
        "n": 3, "mean": 1994.5, "std": 12.0, "cv_pct": 0.6, "stability": "stable"}
    atomic_write_json(partial.scenario_result("offline"), offline)
    partial.save_state(RunState(status="running", scenarios_planned=["offline", "online"], scenarios_done=["offline"],
                                started_at="2026-11-22T15:03:12+00:00", pid=dead_pid()))
    shutil.copytree(EXAMPLE, base / "community" / ".history" / EXAMPLE_NAME / "20260518T084557Z")
    return base


def test_list_runs(root):
    runs = list_runs(root)
    assert [(r.run_name, r.status, r.archived) for r in runs] == [
        (PARTIAL_NAME, "incomplete", False),  # newest first; its runner process is gone
        (EXAMPLE_NAME, "complete", False),
        (EXAMPLE_NAME, "complete", True),
    ]
    ex = runs[1]
    assert (ex.best_offline_tok_s, ex.best_offline_concurrency, ex.online_max_valid_qps) == (2004.02, 64, 40)
    assert (ex.interactive_ttft_p50_ms, ex.interactive_tpot_p50_ms, ex.decode_tok_s) == (25.89, 14.85, 67.34)
    assert (ex.accuracy_score, ex.accuracy_valid) == (0.07, False)
    assert (ex.chip, ex.runner_id, ex.suite_id, ex.model_id, ex.date) == (
        "MTT S4000", "moorethreads_vllm_musa_f2f6f965", "suite_F", "Qwen/Qwen2.5-0.5B-Instruct", "2026-05-18")
    assert ex.scenarios == ["offline", "online", "interactive"]
    part = runs[0]
    assert part.scenarios == ["offline"] and part.online_max_valid_qps is None and part.accuracy_score is None
    assert runs[2].archived_at == "20260518T084557Z"
    assert [r.run_name for r in list_runs(root, include_history=False)] == [PARTIAL_NAME, EXAMPLE_NAME]
    assert list_runs(root.parent / "nothing-here") == []


def test_running_status_while_the_process_lives(root):
    rd = RunDir(root, "community", PARTIAL_NAME)
    state = rd.load_state()
    state.pid = os.getpid()
    rd.save_state(state)
    assert summarize(load_run(rd)).status == "running"


def test_find_run(root):
    assert find_run(EXAMPLE_NAME, root).path == root / "community" / EXAMPLE_NAME
    assert find_run("mtt_s4000x1_suite_F_moorethreads_vllm_musa_f2f6f965_4f", root).run_name == EXAMPLE_NAME
    folder = root / "community" / PARTIAL_NAME
    assert find_run(str(folder), root).run_name == PARTIAL_NAME
    hist = root / "community" / ".history" / EXAMPLE_NAME / "20260518T084557Z"
    assert find_run(str(hist), root).archive_stamp == "20260518T084557Z"
    for text, match in [("mtt", "matches 2 runs"), ("nvidia", "No run named 'nvidia'"), (str(root), "not a run folder")]:
        with pytest.raises(UsageError, match=match) as info:
            find_run(text, root)
        assert "\n" not in str(info.value)


def test_find_run_by_run_id_prefix_and_by_a_name_from_before_a_restamp(root):
    from accelmark_tui.results.identity import restamp

    assert find_run("4f66d", root).run_name == EXAMPLE_NAME  # a prefix of the run id, like a short hash
    assert find_run("0badc0de", root).run_name == PARTIAL_NAME
    with pytest.raises(UsageError, match=r"matches 2 runs: 0badc0de \(community/mtt_.*4f66d29d \(community/"):
        find_run("mtt_s4000x1", root)
    new = restamp(root / "community" / EXAMPLE_NAME, "octocat")
    assert new.name != EXAMPLE_NAME
    assert find_run(EXAMPLE_NAME, root).path == new  # the old name still finds the re-stamped run
    assert find_run(EXAMPLE_NAME[-8:], root).path == new


def test_render_list_and_show(root):
    listing = render_run_list(list_runs(root), str(root))
    lines = listing.splitlines()
    assert lines[0].startswith("| run ") and lines[1].startswith("| ---")
    assert len({len(line) for line in lines[:4]}) == 1  # fixed width
    assert "2004.02" in listing and "Earlier runs kept by --force:" in listing
    assert render_run_list([], "/x") == "No runs under /x yet; run `accelmark run` to make one."

    shown = render_run(load_run(find_run(EXAMPLE_NAME, root)))
    for text in ("Offline", "|          64 |      2004.02 |     3659.77 |", "Online (SLA: TTFT p99 <= 500 ms; max valid QPS 40)",
                 "|         40 |    40.00 |    94.50 |   194.64 |   331.88 |", "Interactive", "| TTFT ms ", "Accuracy",
                 "|  0.07 | -        | -      |     0.38 | -0.31 | no    |", "Environment", "Intel(R) Xeon(R) Gold 6430"):
        assert text in shown, text
    partial = render_run(load_run(find_run(PARTIAL_NAME, root)))
    assert "incomplete; not yet run: online" in partial and "| 0.60 | stable" in partial
    assert "Accuracy\nnot measured; Run --scenario accuracy to check model accuracy." in partial


def test_csv_and_markdown_rows_carry_build_and_hardware(root):
    run = load_run(find_run(EXAMPLE_NAME, root))
    rows = list(csv.DictReader(io.StringIO(to_csv(run))))
    assert [(r["scenario"], r["test"]) for r in rows] == [
        ("offline", "c=4"), ("offline", "c=16"), ("offline", "c=64"), ("online", "qps=10"), ("online", "qps=40"),
        ("online", "sla"), ("interactive", "c=1"), ("accuracy", "mmlu100")]
    for r in rows:
        assert (r["chip"], r["framework"], r["framework_version"], r["cpu"]) == (
            "MTT S4000", "vllm-musa", "0.4.2", "Intel(R) Xeon(R) Gold 6430")
    assert rows[2]["output_tok_s"] == "2004.02" and rows[2]["total_tok_s"] == "3659.77"
    assert rows[4]["ttft_p99_ms"] == "331.88" and rows[4]["sla_met"] == "True"
    assert rows[5]["max_qps_sla"] == "40"
    assert rows[6]["decode_tok_s"] == "67.34" and rows[7]["accuracy_score"] == "0.07"

    md = to_markdown(run)
    assert md.startswith(f"## {EXAMPLE_NAME}\n")
    table = [line for line in md.splitlines() if line.startswith("|")]
    assert len(table) == 2 + 8
    assert all("MTT S4000 x1" in line and "0.4.2" in line for line in table[2:])
