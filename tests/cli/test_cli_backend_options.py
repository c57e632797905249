"""llama.cpp's declared options through `accelmark run`, for real on the embedded model."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp")


def test_llama_options_reach_llama_cpp_and_the_result_records_them_and_the_build(cli, tmp_path):
    argv, env = cli(tmp_path, "run", "--runner", "cpu_llamacpp", "--output-dir", str(tmp_path / "out"),
                    "--scenario", "interactive", "--runs", "1", "--warmup", "0", "--type-k", "q8_0",
                    "--n-ubatch", "64", "--json")
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    run_dir = Path(json.loads(proc.stdout)["run_dir"])
    doc = json.loads((run_dir / "result.json").read_text())
    config = doc["task"]["extra_config"]
    assert config["backend_options"] == {"n_ubatch": 64, "type_k": "q8_0"}  # what the user set
    assert (config["type_k"], config["type_v"], config["n_ubatch"]) == ("q8_0", "f16", 64)  # what llama.cpp used
    assert config["build"] == "cpu" and config["build_commit"]
    from accelmark_tui.results.validate import validate_result

    assert validate_result(doc) == []
    argv, env = cli(tmp_path, "results", "show", str(run_dir))
    shown = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120).stdout
    build = next(line for line in shown.splitlines() if line.startswith("Build"))
    assert build.endswith(f"llama.cpp (llama-cpp-python) 0.3.36, cpu build from {config['build_commit']}"), build
