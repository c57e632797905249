"""`accelmark runners`, `accelmark suites` and `accelmark dev rehash` from the outside."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import accelmark_tui.detect
from accelmark_tui import resources
from accelmark_tui.cli import cmd_catalog
from accelmark_tui.cli import main as cli_main
from accelmark_tui.detect.machine import Accelerator, CpuInfo, Machine

REPO = Path(__file__).resolve().parents[2]
HAVE_DETECT = hasattr(accelmark_tui.detect, "detect_machine")

# Until detection lands (another module), the subprocess gets a fixed CPU-only
# Machine through this bootstrap; once it exists the real `python -m` is used.
BOOTSTRAP = textwrap.dedent(
    """
    import sys
    import accelmark_tui.detect as d
    from accelmark_tui.detect.machine import CpuInfo, Machine
    if not hasattr(d, "detect_machine"):
        d.detect_machine = lambda: Machine(
            collected_at="2026-11-22T00:00:00+00:00", accelerators=[],
            cpu=CpuInfo(model="Test CPU", vendor="Intel", physical_cores=2, logical_cores=2, numa_nodes=1),
            system_memory_gb=7.7, os="Linux", kernel_version="6.1", python_version="3.11",
            platform="cpu", runtime_version="none (CPU)", driver_version="none (CPU)")
    from accelmark_tui.main import main
    sys.exit(main(sys.argv[1:]))
    """
)


def accelmark(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONIOENCODING": "utf-8"}
    if HAVE_DETECT:
        cmd = [sys.executable, "-m", "accelmark_tui", *args]
    else:
        script = tmp_path / "bootstrap_accelmark.py"
        script.write_text(BOOTSTRAP)
        cmd = [sys.executable, str(script), *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)


def test_runners_json(tmp_path: Path) -> None:
    proc = accelmark("runners", "--json", tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    ids = [r["id"] for r in data["runners"]]
    assert {i.split("_")[0] for i in ids} >= {"cpu", "nvidia", "amd", "apple"}
    cpu = next(r for r in data["runners"] if r["platform"] == "cpu")
    assert cpu["suite_support"]["suite_Quick"] == "validated"
    assert cpu["suite_support"]["suite_B"] == "unsupported"
    for runner in data["runners"]:
        assert isinstance(runner["runnable"], bool)
        assert runner["runnable"] == (runner["reason"] is None)


def test_runners_json_for_one_suite(tmp_path: Path) -> None:
    proc = accelmark("runners", "--json", "--suite", "quick", tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["suite"] == "suite_Quick"
    for runner in data["runners"]:
        assert runner["fit"]["status"] in ("ready", "blocked")
        assert runner["fit"]["support"] in ("validated", "pending", "unsupported")


def test_suites_json(tmp_path: Path) -> None:
    proc = accelmark("suites", "--json", tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    ids = [s["id"] for s in data["suites"]]
    assert ids == [f"suite_{x}" for x in "ABCDEFG"] + ["suite_Quick"]
    quick = data["suites"][-1]
    assert quick["upstream"] is False and quick["runner"]
    assert {s["fit"]["status"] for s in data["suites"]} <= {"ready", "blocked"}


def test_suites_for_one_runner(tmp_path: Path) -> None:
    proc = accelmark("suites", "--runner", "cpu_llamacpp", "--json", tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["runner"].startswith("cpu_llamacpp_")
    assert {s["fit"]["runner_id"] for s in data["suites"]} == {data["runner"]}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["runners", "--suite", "Z"], "accelmark: Unknown suite 'Z'; `accelmark suites` lists the available ones."),
        (["suites", "--runner", "nope"], "accelmark: Unknown runner 'nope'; `accelmark runners` lists the available ones."),
    ],
)
def test_unknown_ids_exit_2_with_one_sentence(args: list[str], message: str, tmp_path: Path) -> None:
    proc = accelmark(*args, tmp_path=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == message
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_dev_is_hidden_from_help(tmp_path: Path) -> None:
    proc = accelmark("--help", tmp_path=tmp_path)
    assert proc.returncode == 0
    assert "runners" in proc.stdout and "suites" in proc.stdout
    assert "dev" not in proc.stdout.split("positional arguments:")[1].split("options:")[0]


def test_dev_rehash_check_and_fix(tmp_path: Path) -> None:
    assert accelmark("dev", "rehash", "--check", tmp_path=tmp_path).returncode == 0  # the bundled runners
    cpu = next(p for p in resources.runners_dir().iterdir() if p.name.startswith("cpu_llamacpp_"))
    work = tmp_path / "runners"
    work.mkdir()
    copy = work / cpu.name
    shutil.copytree(cpu, copy)
    with (copy / "runner.py").open("a") as fh:
        fh.write("# changed\n")

    check = accelmark("dev", "rehash", "--check", str(copy), tmp_path=tmp_path)
    assert check.returncode == 1
    assert cpu.name in check.stdout and "its name should be cpu_llamacpp_" in check.stdout
    assert copy.exists()  # --check changes nothing

    fix = accelmark("dev", "rehash", str(copy), tmp_path=tmp_path)
    assert fix.returncode == 0, fix.stderr
    (renamed,) = list(work.iterdir())
    assert renamed.name != cpu.name and renamed.name.startswith("cpu_llamacpp_")
    assert json.loads((renamed / "meta.json").read_text())["id"] == renamed.name
    assert accelmark("dev", "rehash", "--check", str(renamed), tmp_path=tmp_path).returncode == 0


def test_dev_rehash_rejects_a_non_runner_folder(tmp_path: Path) -> None:
    proc = accelmark("dev", "rehash", str(tmp_path), tmp_path=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "is not a runner folder" in proc.stderr


# --- the text tables, in process, on a fixed GPU machine ---------------------


def _gpu_box() -> Machine:
    return Machine(
        collected_at="2026-11-22T00:00:00+00:00",
        accelerators=[
            Accelerator(index=0, name="NVIDIA GeForce RTX 4090", vendor="NVIDIA", platform="nvidia",
                        memory_gb=24.0, driver_version="550.54")
        ],
        cpu=CpuInfo(model="Test CPU", vendor="AMD", physical_cores=16, logical_cores=32, numa_nodes=1),
        system_memory_gb=64.0, os="Linux", kernel_version="6.1", python_version="3.11",
        platform="nvidia", runtime_version="CUDA 12.4", driver_version="550.54",
    )


def test_runners_table(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(cmd_catalog, "detect", _gpu_box)
    assert cli_main(["runners"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("This machine: 1 × NVIDIA GeForce RTX 4090 (24 GB), 64 GB RAM.")
    assert "needs an AMD GPU; this machine has none" in out
    assert "✓ validated  ⋯ pending  — unsupported" in out
    nvidia_row = next(line for line in out.splitlines() if line.startswith("nvidia_llamacpp_"))
    assert "needs an" not in nvidia_row


def test_suites_table(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(cmd_catalog, "detect", _gpu_box)
    assert cli_main(["suites"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("suite_")}
    assert "no runner for this machine's hardware supports suite_E" in rows["suite_E"]
    assert "nvidia_llamacpp_" in rows["suite_F"]
    assert "suite_Quick*" in rows
    assert "accepts A-G only" in out


def test_runners_for_a_suite_only_the_endpoint_runner_supports(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # Suite E needs 8 chips: no local runner drives them, but a served model can be measured.
    monkeypatch.setattr(cmd_catalog, "detect", _gpu_box)
    assert cli_main(["runners", "--suite", "E"]) == 0
    out = capsys.readouterr().out
    assert "No runner here supports suite_E yet." not in out
    assert "the runner declares suite_E unsupported" in out
    row = next(line for line in out.splitlines() if line.startswith("other_openai_endpoint_"))
    assert "pending" in row and "runnable against a server (--base-url URL)" in row
