"""Bad input to `accelmark run`: one sentence on stderr, exit 2, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from cli_checks import assert_one_sentence  # noqa: E402

from accelmark_tui.engine.models import embedded_model_path  # noqa: E402


def run(cli, tmp_path, *args):
    argv, env = cli(tmp_path, "run", "--output-dir", str(tmp_path / "out"), *args)
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, stdin=subprocess.DEVNULL)


def test_missing_model_file(cli, tmp_path):
    assert_one_sentence(run(cli, tmp_path, "--model", str(tmp_path / "nope.gguf")), "not found")


def test_file_that_is_not_gguf(cli, tmp_path):
    bad = tmp_path / "model.gguf"
    bad.write_text("this is not a model\n" * 100)
    assert_one_sentence(run(cli, tmp_path, "--model", str(bad)), "not a GGUF")


def test_truncated_gguf(cli, tmp_path):
    src = embedded_model_path().read_bytes()
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(src[: len(src) - 4096])
    assert_one_sentence(run(cli, tmp_path, "--model", str(cut)), "truncated")


def test_unknown_runner(cli, tmp_path):
    assert_one_sentence(run(cli, tmp_path, "--runner", "nvidia_tensorrt_deadbeef"), "unknown runner")


def test_unknown_suite(cli, tmp_path):
    assert_one_sentence(run(cli, tmp_path, "--suite", "suite_Z"), "suite")


def test_incompatible_runner_and_suite(cli, tmp_path):
    # Suite B needs several chips: the CPU llama.cpp runner declares it unsupported.
    assert_one_sentence(run(cli, tmp_path, "--runner", "cpu_llamacpp", "--suite", "suite_B"), "suite_B")


def test_runner_for_hardware_this_machine_lacks(cli, tmp_path):
    assert_one_sentence(run(cli, tmp_path, "--runner", "nvidia_llamacpp"), "nvidia")


def test_unknown_scenario(cli, tmp_path):
    assert_one_sentence(run(cli, tmp_path, "--scenario", "warp"), "no scenario")


def test_unwritable_output_dir(cli, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    argv, env = cli(tmp_path, "run", "--output-dir", str(blocker / "results"))
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)
    assert_one_sentence(proc, "--output-dir")


@pytest.mark.parametrize("bad", [["--runs", "0"], ["--threads", "0"], ["--tier", "gold"], ["--runs", "x"]])
def test_bad_numbers_and_choices(cli, tmp_path, bad):
    assert_one_sentence(run(cli, tmp_path, *bad))


def test_upstream_suite_without_a_model_is_refused_not_mislabelled(cli, tmp_path):
    proc = run(cli, tmp_path, "--suite", "F")
    assert_one_sentence(proc, "Qwen/Qwen2.5-0.5B-Instruct", "--model")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("result.json"))
