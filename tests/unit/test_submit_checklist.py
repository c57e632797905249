"""The submission checklist on runs built from the real upstream example."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from accelmark_tui.submit.checklist import blocking, build_checklist
from accelmark_tui.submit.flow import plan

_path = Path(__file__).resolve().parents[1] / "fixtures" / "github_server.py"
_spec = importlib.util.spec_from_file_location("github_server", _path)
gs = importlib.util.module_from_spec(_spec)
sys.modules["github_server"] = gs
_spec.loader.exec_module(gs)


def by_name(checks):
    return {c.name: c for c in checks}


def test_upstream_example_passes_with_warnings_only(tmp_path):
    run = gs.make_run(tmp_path)
    checks = build_checklist(run, login="JuhaoLiang1997")
    assert blocking(checks) == []
    named = by_name(checks)
    assert named["submitter"].detail == "submitted as @JuhaoLiang1997"
    assert named["accuracy receipt"].warning and "valid is false" in named["accuracy receipt"].detail
    assert named["runner folder"].warning  # a foreign runner: upstream must have it


def test_placeholder_submitter_needs_a_login(tmp_path):
    run = gs.make_run(tmp_path, submitted_by="unsubmitted")
    named = by_name(build_checklist(run))
    assert not named["submitter"].ok and "GITHUB_TOKEN" in named["submitter"].fix
    assert by_name(build_checklist(run, login="alice"))["submitter"].detail.endswith("(re-stamped from 'unsubmitted' when submitting)")


def test_quick_suite_refused_on_the_default_repo(tmp_path):
    run = gs.make_run(tmp_path, edit=lambda d: d.update(suite_id="suite_Quick"))
    suite = by_name(build_checklist(run, login="alice"))["suite accepted"]
    assert not suite.ok
    assert suite.detail == "FreedomIntelligence/AccelMark accepts suite_A to suite_G only, not suite_Quick"
    assert suite.fix.startswith("Run suite F to get a submittable result")
    other = by_name(build_checklist(run, repo="me/my-board", login="alice"))["suite accepted"]
    assert other.ok and other.warning  # checked against that repository when submitting


def test_hand_edited_result_is_caught(tmp_path):
    run = gs.make_run(tmp_path)
    doc = json.loads((run / "result.json").read_text())
    doc["model"]["precision"] = "FP16"
    (run / "result.json").write_text(json.dumps(doc, indent=2))
    identity = by_name(build_checklist(run, login="JuhaoLiang1997"))["run identity"]
    assert not identity.ok and "meta.run_id is" in identity.detail and "Undo the hand edit" in identity.fix
    # Submitting as someone else must not re-stamp (and so launder) the edited run.
    p = plan(run, login="alice", in_place=True)
    assert not p.ok and not by_name(p.checks)["run identity"].ok
    assert run.is_dir()  # not renamed


@pytest.mark.parametrize("source, ok", [("local", True), ("declared", True), ("undeclared", False), (None, False)])
def test_endpoint_runs_need_declared_hardware(tmp_path, source, ok):
    def edit(d):
        d["task"]["extra_config"] = {"endpoint": {"base_url": "http://10.0.0.5:8000/v1", "hardware_source": source}}

    run = gs.make_run(tmp_path, edit=edit)
    check = by_name(build_checklist(run, login="alice"))["endpoint hardware"]
    assert check.ok is ok
    if not ok:
        assert "--chip" in check.fix


def test_runs_revision_and_missing_files(tmp_path):
    def edit(d):
        d["task"]["num_runs"] = 1
        d["model"]["model_revision"] = "TO_BE_LOCKED"

    run = gs.make_run(tmp_path, edit=edit)
    (run / "env_info.json").unlink()
    named = by_name(build_checklist(run, login="JuhaoLiang1997"))
    assert not named["number of runs"].ok and "needs at least 3" in named["number of runs"].detail
    assert not named["model revision pinned"].ok
    assert not named["required files"].ok and "env_info.json" in named["required files"].detail
    assert all(c.fix for c in blocking(list(named.values())))


def test_missing_accuracy_without_reason_blocks(tmp_path):
    run = gs.make_run(tmp_path, edit=lambda d: d["accuracy"].update(notes=None))
    (run / "accuracy" / "accuracy.json").unlink()
    acc = by_name(build_checklist(run, login="JuhaoLiang1997"))["accuracy receipt"]
    assert not acc.ok and "accuracy scenario" in acc.fix


def test_dry_run_plan_never_touches_the_folder(tmp_path):
    run = gs.make_run(tmp_path, submitted_by="unsubmitted")
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    p = plan(run, login="alice")
    assert p.ok and p.run_name != run.name and p.run_name in p.files()[0]
    assert {q: q.read_bytes() for q in run.rglob("*") if q.is_file()} == before
