"""What a PR sends, its text, and the token that never shows."""

from __future__ import annotations

import importlib.util
import json
import os
import stat
import sys
from pathlib import Path

from accelmark_tui.submit.auth import Token, find_token, require_token
from accelmark_tui.submit.bundle import branch_name, build_bundle, pr_text

_path = Path(__file__).resolve().parents[1] / "fixtures" / "github_server.py"
_spec = importlib.util.spec_from_file_location("github_server", _path)
gs = importlib.util.module_from_spec(_spec)
sys.modules["github_server"] = gs
_spec.loader.exec_module(gs)


def test_bundle_sends_upstream_files_only(tmp_path):
    run = gs.make_run(tmp_path, edit=gs.local_runner)
    (run / "offline" / "samples.jsonl").write_text('{"x": 1}\n')
    (run / "run.log").write_text("log\n")
    (run / ".accelmark").mkdir()
    (run / ".accelmark" / "state.json").write_text("{}")
    b = build_bundle(run)
    base = f"results/community/{run.name}"
    assert [f.path for f in b.result_files] == [
        f"{base}/env_info.json", f"{base}/result.json", f"{base}/interactive/result.json",
        f"{base}/offline/result.json", f"{base}/online/result.json", f"{base}/accuracy/accuracy.json"]
    sent = json.loads(b.result_files[1].content)
    # Upstream's validator fails a log_file naming a file not in the folder; samples stay local.
    assert sent["meta"]["log_file"] is None and sent["meta"]["samples_file"] is None
    assert sent["meta"]["run_id"] == json.loads((run / "result.json").read_text())["meta"]["run_id"]
    assert json.loads((run / "result.json").read_text())["meta"]["log_file"] == "run.log"  # local copy untouched
    assert b.result_files[0].content == (run / "env_info.json").read_bytes()
    runner = b.runner_id
    assert {f.path for f in b.runner_files} >= {f"runners/{runner}/runner.py", f"runners/{runner}/meta.json",
                                                f"runners/{runner}/requirements.txt"}
    assert not any("__pycache__" in f.path or f.path.endswith(".pyc") for f in b.runner_files)
    assert [f.path for f in b.files(include_runner=False)] == [f.path for f in b.result_files]


def test_branch_and_pr_text(tmp_path):
    run = gs.make_run(tmp_path)
    b = build_bundle(run)
    rid = b.result["meta"]["run_id"]
    assert branch_name(b.result) == f"submit/mtt-s4000x1-suite_F-{rid}"
    title, body = pr_text(b, include_runner=False)
    assert title.startswith("[Community] MTT S4000 x1 · suite_F · Qwen/Qwen2.5-0.5B-Instruct")
    assert "| Offline output throughput (best) | 2,004.02 tok/s at concurrency 64 |" in body
    assert "| Online max QPS within SLA (p99 TTFT) | 40 |" in body
    assert "## How to reproduce" in body and f"--suite suite_F" in body
    assert f"`results/community/{run.name}/result.json`" in body


def test_token_is_never_shown():
    t = Token("ghp_SECRETVALUE123", "GITHUB_TOKEN")
    for text in (repr(t), str(t), f"{t}", f"{t!r}", "%s" % t, repr([t]), repr({"t": t})):
        assert "SECRETVALUE" not in text
    assert t.reveal() == "ghp_SECRETVALUE123"


def test_token_sources(tmp_path):
    assert find_token({"GITHUB_TOKEN": " a ", "GH_TOKEN": "b"}, gh=None).reveal() == "a"
    assert find_token({"GH_TOKEN": "b"}, gh=None).source == "GH_TOKEN"
    assert find_token({}, gh=None) is None
    # A logged-in GitHub CLI: a real executable on PATH answering `gh auth token`.
    gh = tmp_path / "gh"
    gh.write_text("#!/bin/sh\n[ \"$1 $2\" = 'auth token' ] && echo gho_FROMCLI && exit 0\nexit 1\n")
    gh.chmod(gh.stat().st_mode | stat.S_IEXEC)
    tok = find_token({}, gh=str(gh))
    assert tok.source == "gh auth token" and tok.reveal() == "gho_FROMCLI"
    hung = tmp_path / "gh-hung"
    hung.write_text("#!/bin/sh\nsleep 5\n")
    hung.chmod(hung.stat().st_mode | stat.S_IEXEC)
    assert find_token({}, gh=str(hung), timeout=0.3) is None


def test_missing_token_explains_how_to_get_one(monkeypatch):
    import pytest

    from accelmark_tui.submit.auth import MissingToken

    with pytest.raises(MissingToken) as err:
        require_token({}, gh=None)
    assert "public_repo" in str(err.value) and "Pull requests" in str(err.value) and "GITHUB_TOKEN" in str(err.value)
    assert os.linesep not in str(err.value)
