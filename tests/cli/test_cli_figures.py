"""Hand-edited figures are caught: real endpoint runs against the fake server, then `validate` and `submit --dry-run`.

One complete quick-suite run (three runs of every default scenario, about 45 s of
mostly idle waiting on the online scenario's schedule) is made once and copied
for each edit. ``--repo me/board`` takes suite_Quick, so an unedited run passes
every item and the figures are the only thing an edit can break.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from openai_server import FakeOpenAI  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
BOARD = "me/board"
REVISION = "0" * 40


def accelmark(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), ACCELMARK_DATA_DIR=str(home / "data"),
               ACCELMARK_CONFIG_DIR=str(home / "config"), ACCELMARK_CACHE_DIR=str(home / "cache"))
    return subprocess.run([sys.executable, "-m", "accelmark_tui", *args], env=env, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)


def endpoint_run(home: Path, base_url: str, *args: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    proc = accelmark(home, "run", "--runner", "other_openai_endpoint", "--base-url", base_url, "--output-dir",
                     str(home / "results"), "--model-revision", REVISION, "--submitter", "alice", "--warmup", "0",
                     "--json", *args)
    assert proc.returncode in (0, 2), proc.stderr
    return proc, Path(json.loads(proc.stdout)["run_dir"])


@pytest.fixture(scope="module")
def fake():
    with FakeOpenAI(tokens=12, ttft_ms=2, itl_ms=1) as srv:
        yield srv


@pytest.fixture(scope="module")
def measured(fake, tmp_path_factory) -> Path:
    proc, run_dir = endpoint_run(tmp_path_factory.mktemp("measured"), fake.base_url)
    assert proc.returncode == 0 and json.loads(proc.stdout)["status"] == "complete", proc.stderr
    return run_dir


@pytest.fixture
def run(measured, tmp_path) -> Path:
    """A copy of the measured run in this test's own results root."""
    copy = tmp_path / "results" / "community" / measured.name
    shutil.copytree(measured, copy)
    return copy


def shown(value) -> str:
    """A figure as result.json writes it."""
    return json.dumps(value)


def edit(path: Path, change) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc, indent=2))


def checks(proc: subprocess.CompletedProcess[str]) -> dict[str, dict]:
    return {c["name"]: c for c in json.loads(proc.stdout)["checks"]}


def test_an_unedited_run_passes_and_its_figures_reach_the_pr(run, tmp_path):
    proc = accelmark(tmp_path, "validate", str(run), "--repo", BOARD)
    assert proc.returncode == 0, proc.stdout
    assert "✓ figures: they match the samples and the digest recorded when the run was written" in proc.stdout
    dry = accelmark(tmp_path, "submit", str(run), "--dry-run", "--repo", BOARD, "--json")
    assert dry.returncode == 0 and "## Headline metrics" in json.loads(dry.stdout)["body"]


def test_edited_interactive_tpot_is_named_and_never_reaches_the_pr(run, tmp_path):
    measured_tpot = json.loads((run / "result.json").read_text())["metrics"]["interactive"]["tpot_ms_p50"]
    edited = round(measured_tpot * 2 + 1, 3)
    edit(run / "result.json", lambda d: d["metrics"]["interactive"].update(tpot_ms_p50=edited))
    proc = accelmark(tmp_path, "validate", str(run), "--repo", BOARD)
    assert proc.returncode == 2
    assert (f"✗ figures: interactive.tpot_ms_p50 is {shown(edited)} in result.json, {shown(measured_tpot)} "
            "from samples.jsonl\n") in proc.stdout
    assert proc.stderr == "accelmark: 1 item(s) block submitting this run; fix them and validate again.\n"
    dry = accelmark(tmp_path, "submit", str(run), "--dry-run", "--repo", BOARD, "--json")
    data = json.loads(dry.stdout)
    assert dry.returncode == 2 and not data["ok"] and not checks(dry)["figures"]["ok"]
    assert data["body"] == "" and data["files"] == []  # no PR text is made for a blocked run
    text = accelmark(tmp_path, "submit", str(run), "--dry-run", "--repo", BOARD)
    assert "PR title" not in text.stdout and "Headline metrics" not in text.stdout
    assert "This run cannot be submitted (figures: interactive.tpot_ms_p50 is" in text.stderr


def test_edited_accuracy_score_is_named(run, tmp_path):
    scored = json.loads((run / "result.json").read_text())["accuracy"]["subset_score"]
    edited = round(scored + 0.45, 4)
    edit(run / "result.json", lambda d: d["accuracy"].update(subset_score=edited))
    edit(run / "accuracy" / "accuracy.json", lambda d: d.update(subset_score=edited))  # both, as a careful editor would
    proc = accelmark(tmp_path, "validate", str(run), "--repo", BOARD, "--json")
    assert proc.returncode == 2
    assert checks(proc)["figures"]["detail"] == (
        f"accuracy.subset_score is {shown(edited)} in result.json, {shown(scored)} from samples.jsonl; "
        f"accuracy.subset_score is {shown(edited)} in accuracy/accuracy.json, {shown(scored)} from samples.jsonl")
    assert [c["name"] for c in json.loads(proc.stdout)["checks"] if not c["ok"]] == ["figures"]


def test_without_samples_the_digest_catches_the_edits(run, tmp_path):
    for samples in run.glob("*/samples.jsonl"):
        samples.unlink()
    assert accelmark(tmp_path, "validate", str(run), "--repo", BOARD).returncode == 0  # nothing edited yet
    edit(run / "result.json", lambda d: d["metrics"]["interactive"].update(tpot_ms_p50=d["metrics"]["interactive"]
                                                                             ["tpot_ms_p50"] * 2))
    edit(run / "result.json", lambda d: d["accuracy"].update(subset_score=0.45))
    proc = accelmark(tmp_path, "validate", str(run), "--repo", BOARD)
    assert proc.returncode == 2
    assert ("✗ figures: interactive in result.json does not match the digest recorded when the run was written; "
            "accuracy in result.json does not match the digest recorded when the run was written\n") in proc.stdout
    dry = accelmark(tmp_path, "submit", str(run), "--dry-run", "--repo", BOARD, "--json")
    assert dry.returncode == 2 and json.loads(dry.stdout)["body"] == ""


def test_a_preview_as_another_login_still_reads_the_samples(run):
    # The re-stamped preview copy leaves samples behind; the check must still use the originals.
    from accelmark_tui.submit.flow import plan

    edit(run / "interactive" / "result.json", lambda d: d["metrics"]["interactive"].update(requests=1000))
    p = plan(run, repo=BOARD, login="bob")
    figures = next(c for c in p.checks if c.name == "figures")
    assert not p.ok and p.body == ""
    assert figures.detail.startswith("interactive.requests is 1000 in interactive/result.json, ")
    assert figures.detail.endswith(" from samples.jsonl")


def test_an_accuracy_only_run_is_said_up_front_and_fails_its_item(fake, tmp_path):
    proc, run_dir = endpoint_run(tmp_path, fake.base_url, "--scenario", "accuracy", "--runs", "3")
    lines = proc.stderr.splitlines()
    assert lines[0].startswith("accelmark run: suite_Quick on ")
    assert lines[1].startswith("  suite_Quick results cannot go to the AccelMark leaderboard "
                               "(it takes suite_A to suite_G only)")
    # Which suite this machine could submit depends on it; the line names one or says why none.
    assert "from this machine suite_" in lines[1] or "none of those can run here: " in lines[1]
    assert lines[2].startswith("  model fake-model")
    check = accelmark(tmp_path, "validate", str(run_dir), "--repo", BOARD)
    assert check.returncode == 2
    assert ("✗ all scenarios: suite_Quick requires accuracy, offline, online and interactive, but offline, online "
            "and interactive are missing from this run\n") in check.stdout
    assert "✓ required files" in check.stdout and "✓ figures" in check.stdout
