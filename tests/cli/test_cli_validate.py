"""`accelmark validate` in a subprocess on runs built from the upstream example."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("github_server", REPO / "tests" / "fixtures" / "github_server.py")
gs = importlib.util.module_from_spec(_spec)
sys.modules["github_server"] = gs
_spec.loader.exec_module(gs)


def accelmark(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), ACCELMARK_DATA_DIR=str(tmp / "data"),
               ACCELMARK_CONFIG_DIR=str(tmp / "config"), ACCELMARK_CACHE_DIR=str(tmp / "cache"))
    return subprocess.run([sys.executable, "-m", "accelmark_tui", *args], env=env, capture_output=True, text=True,
                          timeout=60)


def test_clean_run(tmp_path):
    run = gs.make_run(tmp_path / "results")
    proc = accelmark(tmp_path, "validate", run.name, "--output-dir", str(tmp_path / "results"))
    assert proc.returncode == 0, proc.stderr
    assert "✓ run identity" in proc.stdout and "! accuracy receipt" in proc.stdout
    data = json.loads(accelmark(tmp_path, "validate", str(run), "--json").stdout)
    assert data["ok"] and data["repo"] == "FreedomIntelligence/AccelMark"
    assert {c["name"] for c in data["checks"]} >= {"result.json schema", "env_info.json schema", "run identity",
                                                   "required files", "number of runs", "model revision pinned",
                                                   "accuracy receipt", "suite accepted", "submitter"}


def test_hand_edited_run_blocks(tmp_path):
    run = gs.make_run(tmp_path / "results")
    doc = json.loads((run / "online" / "result.json").read_text())
    doc["software"]["framework_version"] = "0.9.9"
    (run / "online" / "result.json").write_text(json.dumps(doc))
    proc = accelmark(tmp_path, "validate", str(run))
    assert proc.returncode == 2
    assert "✗ run identity: online/result.json: meta.run_id is" in proc.stdout and "fix: Undo the hand edit" in proc.stdout
    assert proc.stderr == "accelmark: 1 item(s) block submitting this run; fix them and validate again.\n"


def test_quick_suite_and_other_repo(tmp_path):
    run = gs.make_run(tmp_path / "results", edit=lambda d: d.update(suite_id="suite_Quick"))
    proc = accelmark(tmp_path, "validate", str(run), "--json")
    assert proc.returncode == 2
    [bad] = [c for c in json.loads(proc.stdout)["checks"] if not c["ok"]]
    assert bad["name"] == "suite accepted" and bad["fix"].startswith("Run suite F to get a submittable result")
    assert accelmark(tmp_path, "validate", str(run), "--repo", "me/board").returncode == 0
