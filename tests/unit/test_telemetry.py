"""TelemetrySampler on recorded NVML / amdsmi shapes, and process_rss_gb."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

from accelmark_tui.detect import apple, build_machine
from accelmark_tui.detect.machine import CpuInfo
from accelmark_tui.detect.telemetry import TelemetrySampler, process_rss_gb

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "detect"
_spec = importlib.util.spec_from_file_location("detect_fakes", FIXTURES / "fakes.py")
fakes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fakes)

CPU = CpuInfo(model="Intel(R) Xeon(R) Processor", vendor="Intel", physical_cores=2, logical_cores=2, numa_nodes=1)


def test_nvidia_gauges_from_recorded_a100s() -> None:
    nvml = fakes.fake_pynvml(fakes.load_json("nvml_a100_sxm4_80gb_x4.json"))
    with TelemetrySampler(nvml=nvml, amdsmi=False) as sampler:
        sample = sampler.sample()
    assert set(sample) == {"time", "monotonic", "cpu_percent", "ram_used_gb", "ram_total_gb", "accelerators"}
    assert isinstance(sample["cpu_percent"], float)
    assert 0 < sample["ram_used_gb"] <= sample["ram_total_gb"]
    gpus = sample["accelerators"]
    assert len(gpus) == 4
    assert gpus[0] == {"index": 0, "name": "NVIDIA A100-SXM4-80GB", "vendor": "NVIDIA", "memory_total_gb": 80.0,
                       "util_percent": 0.0, "memory_used_gb": 3.53, "temperature_c": 41.0, "power_w": 74.0}
    assert gpus[1]["memory_used_gb"] == 0.0 and gpus[1]["power_w"] == 65.0
    assert nvml.calls == ["nvmlInit", "nvmlShutdown"]


def test_unsupported_gauge_is_none_and_not_asked_again() -> None:
    nvml = fakes.fake_pynvml(fakes.load_json("nvml_gtx_1660_ti.json"))
    asked: list[int] = []

    def no_power(handle: int) -> int:
        asked.append(handle)
        raise fakes.FakeNVMLError(3)  # NVML_ERROR_NOT_SUPPORTED

    nvml.nvmlDeviceGetPowerUsage = no_power
    sampler = TelemetrySampler(nvml=nvml, amdsmi=False)
    first, second = sampler.sample(), sampler.sample()
    sampler.close()
    assert first["accelerators"][0]["power_w"] is None and second["accelerators"][0]["power_w"] is None
    assert asked == [0]
    assert second["accelerators"][0]["util_percent"] == 2.0
    assert second["accelerators"][0]["temperature_c"] == 32.0


def test_amd_gauges_from_recorded_mi355x() -> None:
    smi = fakes.fake_amdsmi(fakes.load_json("amdsmi_mi355x.json"))
    with TelemetrySampler(nvml=False, amdsmi=smi) as sampler:
        (gpu,) = sampler.sample()["accelerators"]
    assert gpu == {"index": 0, "name": "AMD Instinct MI355X", "vendor": "AMD", "memory_total_gb": 288.0,
                   "util_percent": 0.0, "memory_used_gb": 0.28, "temperature_c": 36.0, "power_w": 239.0}
    assert smi.calls == ["amdsmi_init", "amdsmi_shut_down"]


def test_cpu_only_machine_has_no_accelerator_rows() -> None:
    machine = build_machine(CPU, 23.5, [], os_name="Linux")
    with TelemetrySampler(machine) as sampler:  # AUTO loads nothing: no GPU platform on this machine
        sample = sampler.sample()
    assert sample["accelerators"] == []
    assert 0.0 <= sample["cpu_percent"] <= 100.0 * os.cpu_count()


def test_devices_without_counters_get_empty_gauges() -> None:
    result = apple.probe(fakes.RecordedTools(fakes.load_json("apple_m4_macbook_pro.json")["commands"]),
                         system="Darwin", macos_version="")
    machine = build_machine(CPU, 16.0, [result], os_name="macOS")
    with TelemetrySampler(machine, nvml=False, amdsmi=False) as sampler:
        (row,) = sampler.sample()["accelerators"]
    assert row["name"] == "Apple M4" and row["memory_total_gb"] == 16.0
    assert [row[k] for k in ("util_percent", "memory_used_gb", "temperature_c", "power_w")] == [None] * 4


def test_nvml_that_fails_to_start_gives_no_gauges() -> None:
    sampler = TelemetrySampler(nvml=fakes.fake_pynvml(None, init_error=9), amdsmi=False)
    assert sampler.sample()["accelerators"] == []


def test_sampling_is_cheap_enough_for_4_hz() -> None:
    nvml = fakes.fake_pynvml(fakes.load_json("nvml_a100_sxm4_80gb_x4.json"))
    with TelemetrySampler(nvml=nvml, amdsmi=False) as sampler:
        start = time.perf_counter()
        for _ in range(40):
            sampler.sample()
        per_sample = (time.perf_counter() - start) / 40
    assert per_sample < 0.025  # 10 % of a 4 Hz period


def test_process_rss_gb() -> None:
    assert 0 < process_rss_gb(os.getpid()) < 64
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert process_rss_gb(child.pid) is None
