"""check_fit gives the first reason, with its fix, on constructed machines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from accelmark_tui.catalog.fit import best_runner, check_fit, machine_blocker
from accelmark_tui.catalog.runners import RunnerInfo, get_runner
from accelmark_tui.catalog.suites import get_suite
from accelmark_tui.detect.machine import Accelerator, CpuInfo, Machine


def machine(accels: list[tuple[str, str, float | None]] = (), ram: float = 7.7) -> Machine:
    accelerators = [
        Accelerator(index=i, name=name, vendor=platform.upper() if platform != "apple" else "Apple",
                    platform=platform, memory_gb=mem, driver_version="test")
        for i, (name, platform, mem) in enumerate(accels)
    ]
    return Machine(
        collected_at="2026-11-22T00:00:00+00:00",
        accelerators=accelerators,
        cpu=CpuInfo(model="Test CPU", vendor="Intel", physical_cores=2, logical_cores=2, numa_nodes=1),
        system_memory_gb=ram,
        os="Linux",
        kernel_version="6.1",
        python_version="3.11.7",
        platform=accelerators[0].platform if accelerators else "cpu",
        runtime_version="test",
        driver_version="test",
    )


CPU_BOX = machine()
RTX_BOX = machine([("NVIDIA GeForce RTX 4090", "nvidia", 24.0)], ram=64)
DGX_BOX = machine([("NVIDIA H100 80GB HBM3", "nvidia", 80.0)] * 8, ram=2048)
MAC_BOX = machine([("Apple M2 Max", "apple", 32.0)], ram=32)


def installed(name: str) -> object:
    return object()  # every module "found"


def missing(name: str) -> None:
    return None


def fake_runner(platform: str, support: dict[str, str], *, max_chips: int = 1, own: dict[str, str] | None = None) -> RunnerInfo:
    meta: dict[str, Any] = {
        "id": f"{platform}_fake_00000000", "platform": platform, "name": "fake", "framework": "fake",
        "submitted_by": "test", "description": "test runner",
        "suite_support": support,
        "accelmark": {"suite_support": own or {}, "requires_modules": ["fake_backend"],
                      "install": "pip install fake-backend", "max_chips": max_chips},
    }
    return RunnerInfo(meta["id"], Path("/nonexistent"), platform, "fake", "fake", meta)


CPU = get_runner("cpu_llamacpp")
NVIDIA = get_runner("nvidia_llamacpp")
APPLE = get_runner("apple_llamacpp")


def test_cpu_runner_runs_quick_on_a_cpu_box() -> None:
    fit = check_fit(CPU, get_suite("quick"), CPU_BOX, module_available=installed)
    assert (fit.status, fit.support, fit.reason, fit.ready, fit.symbol) == ("ready", "validated", None, True, "✓")


def test_unsupported_comes_first() -> None:
    # Even with no GPU and no backend, "unsupported" is the reason: nothing else would help.
    fit = check_fit(NVIDIA, get_suite("B"), CPU_BOX, module_available=missing)
    assert fit.status == "blocked" and fit.support == "unsupported"
    assert fit.reason.startswith("the runner declares suite_B unsupported; choose a runner")
    assert "accelmark runners --suite B" in fit.reason


def test_platform_mismatch() -> None:
    fit = check_fit(NVIDIA, get_suite("F"), CPU_BOX, module_available=installed)
    assert fit.reason == "needs an NVIDIA GPU; this machine has none"
    assert fit.support == "pending"
    assert check_fit(APPLE, get_suite("quick"), RTX_BOX, module_available=installed).reason == (
        "needs an Apple silicon GPU; this machine has none"
    )


def test_cpu_runner_fits_every_machine() -> None:
    for box in (CPU_BOX, RTX_BOX, DGX_BOX, MAC_BOX):
        assert machine_blocker(CPU, box, module_available=installed) is None
        assert check_fit(CPU, get_suite("quick"), box, module_available=installed).ready


def test_missing_backend_names_the_install_command() -> None:
    fit = check_fit(CPU, get_suite("quick"), CPU_BOX, module_available=missing)
    assert fit.reason == "llama_cpp is not installed; install it with: pip install 'accelmark-tui[llama]'"
    gpu = check_fit(NVIDIA, get_suite("F"), RTX_BOX, module_available=lambda n: None if n == "llama_cpp" else 1)
    assert gpu.reason.startswith("llama_cpp is not installed; install it with: CMAKE_ARGS=\"-DGGML_CUDA=on\" pip install")


def test_module_probe_errors_count_as_missing() -> None:
    def broken(name: str) -> None:
        raise ModuleNotFoundError(name)

    assert "not installed" in check_fit(CPU, get_suite("quick"), CPU_BOX, module_available=broken).reason


def test_chip_count() -> None:
    multi = fake_runner("nvidia", {"E": "pending"}, max_chips=8)
    fit = check_fit(multi, get_suite("E"), RTX_BOX, module_available=installed)
    assert fit.reason == "suite_E needs 2 NVIDIA GPUs (this machine has 1)"
    assert check_fit(multi, get_suite("E"), DGX_BOX, module_available=installed).ready
    single = fake_runner("nvidia", {"E": "pending"}, max_chips=1)
    assert check_fit(single, get_suite("E"), DGX_BOX, module_available=installed).reason == (
        "suite_E needs 2 NVIDIA GPUs but this runner drives at most 1; use a multi-chip runner"
    )


def test_memory_on_gpu() -> None:
    gpu_a = fake_runner("nvidia", {"A": "pending", "B": "pending", "G": "pending"}, max_chips=8)
    assert check_fit(gpu_a, get_suite("A"), RTX_BOX, module_available=installed).ready  # 19.3 GB in 24
    fit = check_fit(gpu_a, get_suite("B"), RTX_BOX, module_available=installed)
    assert fit.reason == (
        "needs about 170 GB of memory for Meta-Llama-3-70B-Instruct in BF16 (has 24 GB of NVIDIA GPU memory); "
        "pick a suite with a smaller model"
    )
    # "auto" suites spread over every chip the runner drives: 8 x 80 GB holds 70B and Mixtral.
    assert check_fit(gpu_a, get_suite("B"), DGX_BOX, module_available=installed).ready
    assert check_fit(gpu_a, get_suite("G"), DGX_BOX, module_available=installed).ready
    # A single-chip runner only gets one 80 GB chip.
    one = fake_runner("nvidia", {"B": "pending"}, max_chips=1)
    assert "has 80 GB of NVIDIA GPU memory" in check_fit(one, get_suite("B"), DGX_BOX, module_available=installed).reason


def test_memory_on_cpu_and_apple_is_system_ram() -> None:
    fit = check_fit(CPU, get_suite("A"), CPU_BOX, module_available=installed)
    assert fit.reason.startswith("needs about 19 GB of memory for Meta-Llama-3-8B-Instruct in BF16 (has 7.7 GB of system RAM)")
    assert check_fit(CPU, get_suite("A"), RTX_BOX, module_available=installed).ready  # 64 GB RAM
    assert check_fit(CPU, get_suite("F"), CPU_BOX, module_available=installed).ready
    fit = check_fit(APPLE, get_suite("B"), MAC_BOX, module_available=installed)
    assert fit.reason.startswith("needs about 170 GB") and "(has 32 GB of unified memory)" in fit.reason
    # A lower precision needs less.
    assert check_fit(CPU, get_suite("A"), CPU_BOX, precision="INT4", module_available=installed).ready


def test_unknown_accelerator_memory_skips_the_memory_check() -> None:
    box = machine([("Mystery GPU", "nvidia", None)])
    gpu = fake_runner("nvidia", {"B": "pending"})
    assert check_fit(gpu, get_suite("B"), box, module_available=installed).ready


def test_fit_message_is_one_sentence() -> None:
    fit = check_fit(NVIDIA, get_suite("F"), CPU_BOX, module_available=installed)
    assert fit.message() == f"{NVIDIA.id} cannot run suite_F on this machine: needs an NVIDIA GPU; this machine has none."
    assert fit.to_dict()["status"] == "blocked"


@pytest.mark.parametrize(
    ("box", "suite", "expected"),
    [
        (CPU_BOX, "quick", "cpu"),
        (RTX_BOX, "quick", "nvidia"),  # a pending GPU runner beats the validated cpu one on a GPU box
        (RTX_BOX, "F", "nvidia"),
        (MAC_BOX, "F", "apple"),
        (DGX_BOX, "B", "cpu"),  # nothing for NVIDIA supports B: the cpu runner, whose reason says why
        (CPU_BOX, "B", "cpu"),  # apple supports B but this is no Mac
    ],
)
def test_best_runner(box: Machine, suite: str, expected: str) -> None:
    assert best_runner(get_suite(suite), box, module_available=installed).platform == expected


def test_best_runner_prefers_validated_then_falls_back() -> None:
    pending = fake_runner("nvidia", {}, own={"suite_Quick": "pending"})
    validated = RunnerInfo("nvidia_zzz_11111111", Path("/x"), "nvidia", "v", "v",
                           {**fake_runner("nvidia", {}, own={"suite_Quick": "validated"}).meta})
    pool = [CPU, pending, validated]
    assert best_runner(get_suite("quick"), RTX_BOX, pool, module_available=installed).id == "nvidia_zzz_11111111"
    # Backend missing everywhere: the GPU runner still wins, so its reason names the CUDA build to install.
    pick = best_runner(get_suite("quick"), RTX_BOX, [CPU, NVIDIA], module_available=missing)
    assert pick is NVIDIA
    assert best_runner(get_suite("quick"), RTX_BOX, [], module_available=installed) is None


def test_mlx_runs_on_a_cpu_box_through_mlx_cpu_but_is_never_the_default_there():
    """accelmark.runs_on: ["cpu"] lets the Apple mlx-lm runner run on a Linux CPU (mlx[cpu]); without mlx the
    reason is the one install command, and the default pick stays the llama.cpp CPU runner."""
    mlx = get_runner("apple_mlx_lm")
    assert machine_blocker(mlx, CPU_BOX, module_available=installed) is None
    assert machine_blocker(APPLE, CPU_BOX, module_available=installed) == "needs an Apple silicon GPU; this machine has none"
    reason = check_fit(mlx, get_suite("quick"), CPU_BOX, module_available=missing).reason
    assert reason == "mlx is not installed; install it with: pip install 'accelmark-tui[mlx]'"
    assert best_runner(get_suite("quick"), CPU_BOX, module_available=installed).id == CPU.id
