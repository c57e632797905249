"""The installed layout puts nothing generic at the top of site-packages."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_maps_repo_folders_under_the_package(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    wheel = next(tmp_path.glob("accelmark_tui-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/", 1)[0] for n in names}
    assert tops <= {"accelmark_tui", next(t for t in tops if t.endswith(".dist-info"))}, tops
    # The repo's top-level folders arrive under the package, data included.
    for must in ("accelmark_tui/screens/__init__.py", "accelmark_tui/suites/suite_Quick/suite.json",
                 "accelmark_tui/suites/suite_F/suite.json", "accelmark_tui/assets/schema/result.schema.json",
                 "accelmark_tui/assets/datasets/sharegpt_edge_v1/requests.jsonl", "accelmark_tui/assets/NOTICE",
                 "accelmark_tui/assets/llama/ggml_amx_tilecfg_fix.h",
                 "accelmark_tui/assets/quality/ppl_text.txt"):
        assert must in names, must
    runners = [n for n in names if n.startswith("accelmark_tui/runners/cpu_llamacpp_") and n.endswith("/meta.json")]
    assert runners, "runner folders missing from the wheel"
    assert any(n.startswith("accelmark_tui/screens/") and n.endswith(".tcss") for n in names)
