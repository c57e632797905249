"""The mlx-lm runner for real (mlx[cpu] on Linux), as issue 14 names it: the tiny model, then a run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("mlx_lm")


def test_tiny_model_then_an_mlx_run_writes_a_folder_the_schemas_accept(cli, tmp_path):
    argv, env = cli(tmp_path, "dev", "tiny-model", str(tmp_path / "tiny"))
    assert subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120).returncode == 0
    argv, env = cli(tmp_path, "run", "--runner", "apple_mlx_lm", "--model", str(tmp_path / "tiny"),
                    "--scenario", "interactive", "--output-dir", str(tmp_path / "out"), "--json")
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    run_dir = Path(json.loads(proc.stdout)["run_dir"])
    assert run_dir.name.split("_suite_Quick_")[1].startswith("apple_mlx_lm_")
    doc = json.loads((run_dir / "result.json").read_text())
    from accelmark_tui.results.validate import validate_result

    assert validate_result(doc) == []
    assert doc["software"]["framework"] == "mlx-lm" and doc["model"]["model_format"] == "HuggingFace original"
    assert doc["model"]["precision"] == "FP32" and len(doc["model"]["model_revision"]) == 64  # the folder's hash
    block = doc["metrics"]["interactive"]
    assert block["tpot_ms"]["p50"] > 0  # measured from the runner's own token stamps
    assert 0 < block["backend_peak_memory_gb"] < 1  # MLX's allocator peak for a 1.5 MB model
    argv, env = cli(tmp_path, "validate", str(run_dir), "--json")
    checks = {c["name"]: c for c in json.loads(subprocess.run(argv, capture_output=True, text=True, env=env,
                                                               timeout=120).stdout)["checks"]}
    assert checks["result.json schema"]["ok"] and checks["env_info.json schema"]["ok"] and checks["figures"]["ok"]


def test_a_gguf_or_no_model_is_one_sentence_for_the_mlx_runner(cli, tmp_path):
    argv, env = cli(tmp_path, "run", "--runner", "apple_mlx_lm", "--scenario", "interactive",
                    "--output-dir", str(tmp_path / "out"))
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "bundled model is a GGUF, which this runner cannot load" in proc.stderr and "tiny-model" in proc.stderr
