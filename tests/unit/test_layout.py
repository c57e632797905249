"""Run folder layout, atomic writes, early writability check, --force archiving."""

from __future__ import annotations

import errno
import json
import os
import tempfile

import pytest

from accelmark_tui.errors import OutputError
from accelmark_tui.results import layout
from accelmark_tui.results.layout import (
    RunDir,
    RunState,
    atomic_write_json,
    atomic_write_text,
    check_writable,
    compact_stamp,
)

NAME = "cpu_testx1_suite_Quick_cpu_llamacpp_fcba25f1_0123abcd"


@pytest.fixture(autouse=True)
def _dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("ACCELMARK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ACCELMARK_CONFIG_DIR", str(tmp_path / "config"))


def test_atomic_write_round_trip(tmp_path):
    path = tmp_path / "a" / "b.json"
    atomic_write_json(path, {"x": "\u2014"})
    assert json.loads(path.read_text()) == {"x": "\u2014"}
    assert "\\u2014" in path.read_text()  # ASCII escapes, like upstream's files
    assert os.listdir(path.parent) == ["b.json"]


def test_failed_replace_keeps_old_content(tmp_path, monkeypatch):
    path = tmp_path / "result.json"
    atomic_write_json(path, {"v": 1})

    def boom(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(layout.os, "replace", boom)
    with pytest.raises(OutputError, match="full"):
        atomic_write_json(path, {"v": 2})
    assert json.loads(path.read_text()) == {"v": 1}
    assert os.listdir(tmp_path) == ["result.json"]  # temp file cleaned up


def test_failed_write_keeps_old_content(tmp_path, monkeypatch):
    path = tmp_path / "run.log"
    atomic_write_text(path, "old")
    real_fsync = os.fsync

    def failing_fsync(fd):
        real_fsync(fd)
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(layout.os, "fsync", failing_fsync)
    with pytest.raises(OutputError) as info:
        atomic_write_text(path, "new")
    assert str(tmp_path) in str(info.value)
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["run.log"]


def test_unwritable_root_is_one_sentence(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(OutputError) as info:
        check_writable(blocker / "results")
    message = str(info.value)
    assert "--output-dir" in message and str(blocker) in message and "\n" not in message

    # A permission failure (simulated: tests may run as root, which ignores modes).
    def denied(*a, **k):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    with pytest.raises(OutputError, match=r"permission denied.*--output-dir"):
        check_writable(tmp_path / "ok")
    with pytest.raises(OutputError, match="--output-dir"):
        atomic_write_text(tmp_path / "ok" / "x.txt", "x")


def test_paths_of_a_run(tmp_path):
    rd = RunDir(tmp_path, "community", NAME)
    assert rd.path == tmp_path / "community" / NAME
    assert rd.scenario_result("offline") == rd.path / "offline" / "result.json"
    assert rd.samples("online") == rd.path / "online" / "samples.jsonl"
    assert rd.accuracy == rd.path / "accuracy" / "accuracy.json"
    assert rd.state_file == rd.path / ".accelmark" / "state.json"
    assert RunDir.from_path(rd.path) == RunDir(tmp_path.resolve(), "community", NAME)
    assert RunDir(str(tmp_path), "community", NAME).path == rd.path  # a str root is fine
    hist = tmp_path / "community" / ".history" / NAME / "20261122T150312Z"
    back = RunDir.from_path(hist)
    assert (back.tier, back.run_name, back.archive_stamp, back.archived) == ("community", NAME, "20261122T150312Z", True)
    assert back.path == hist.resolve()


def test_compact_stamp():
    assert compact_stamp("2026-11-22T15:03:12.123456+00:00") == "20261122T150312Z"
    assert compact_stamp("2026-11-22T16:03:12+01:00") == "20261122T150312Z"


def test_state_round_trip_keeps_unknown_keys():
    state = RunState.from_dict({"status": "complete", "scenarios_done": ["offline"], "future_key": 7})
    assert state.to_dict()["future_key"] == 7
    assert RunState.from_dict({"status": "bogus"}).status == "incomplete"
    state.scenarios_planned = ["offline", "online"]
    assert state.remaining == ["online"]


def test_prepare_resume_and_force(tmp_path):
    rd = RunDir(tmp_path, "community", NAME)
    state = rd.prepare(False, scenarios_planned=["offline", "online"])
    assert rd.exists() and state.status == "running" and state.resume_count == 0
    state.started_at = "2026-11-22T15:03:12+00:00"
    state.mark_done("offline")
    rd.save_state(state)
    atomic_write_json(rd.scenario_result("offline"), {"measured": 1})

    resumed = rd.prepare(False)
    assert resumed.resume_count == 1 and resumed.scenarios_done == ["offline"]
    assert rd.scenario_result("offline").exists()

    fresh = rd.prepare(True, scenarios_planned=["offline"])
    archived = tmp_path / "community" / ".history" / NAME / "20261122T150312Z"
    assert json.loads((archived / "offline" / "result.json").read_text()) == {"measured": 1}
    assert fresh.scenarios_done == [] and fresh.resume_count == 0
    assert not rd.scenario_result("offline").exists()
    assert [a.archive_stamp for a in rd.archives()] == ["20261122T150312Z"]

    # A second archive with the same start second does not overwrite the first.
    fresh.started_at = "2026-11-22T15:03:12+00:00"
    rd.save_state(fresh)
    rd.prepare(True)
    assert sorted(p.name for p in archived.parent.iterdir()) == ["20261122T150312Z", "20261122T150312Z-1"]


def test_prepare_refuses_history(tmp_path):
    rd = RunDir(tmp_path, "community", NAME, "20261122T150312Z")
    with pytest.raises(OutputError, match="archived"):
        rd.prepare(False)
