"""CPU probe: /proc/cpuinfo parsing, vendor mapping, flags, NUMA, cgroups, os-release."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pytest

from accelmark_tui.detect import cpu
from accelmark_tui.detect.machine import CHIP_VENDORS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "detect"
_spec = importlib.util.spec_from_file_location("detect_fakes", FIXTURES / "fakes.py")
fakes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fakes)


def psutil_counts(physical: int | None, logical_cpus: int) -> SimpleNamespace:
    """psutil.cpu_count as psutil answers it (None for physical when it cannot tell)."""
    return SimpleNamespace(cpu_count=lambda logical=True: logical_cpus if logical else physical)


def test_parse_cpuinfo_of_the_recorded_xeon() -> None:
    info = cpu.parse_cpuinfo(fakes.load_text("cpuinfo_xeon_2vcpu.txt"))
    assert info["model"] == "Intel(R) Xeon(R) Processor"
    assert info["vendor_id"] == "GenuineIntel"
    assert info["logical"] == 2
    assert info["sockets"] == 1
    assert info["cores"] == 2  # (physical id, core id) pairs
    flags = cpu.inference_flags(info["flags"])
    assert {"avx2", "avx512f", "avx512_bf16", "amx_bf16", "fma"} <= set(flags)
    assert "fpu" not in flags and "hypervisor" not in flags  # noise is dropped
    assert flags == sorted(flags)


def test_parse_cpuinfo_of_an_arm_board_has_no_model_name() -> None:
    info = cpu.parse_cpuinfo(fakes.load_text("cpuinfo_rpi3_aarch64.txt"))
    assert info["model"] is None and info["vendor_id"] is None
    assert (info["implementer"], info["part"]) == ("0x41", "0xd03")
    assert info["logical"] == 4
    assert cpu.inference_flags(info["flags"]) == ["neon"]  # asimd is NEON


@pytest.mark.parametrize(
    ("vendor_id", "implementer", "brand", "expected"),
    [
        ("GenuineIntel", None, None, "Intel"),
        ("AuthenticAMD", None, None, "AMD"),
        ("HygonGenuine", None, None, "Other"),
        (None, "0x61", None, "Apple"),
        (None, "0x51", None, "Qualcomm"),
        (None, "0x41", None, "Other"),  # Arm Ltd cores are not a chip vendor in the enum
        (None, None, "Apple M3", "Apple"),
        (None, None, "Snapdragon X Elite - X1E78100 - Qualcomm Oryon CPU", "Qualcomm"),
        (None, None, "", "Other"),
    ],
)
def test_cpu_vendor_maps_to_the_result_schema_enum(vendor_id, implementer, brand, expected) -> None:
    vendor = cpu.cpu_vendor(vendor_id, implementer, brand)
    assert vendor == expected
    assert vendor in CHIP_VENDORS


def test_probe_cpu_on_recorded_xeon() -> None:
    info = cpu.probe_cpu(
        cpuinfo_text=fakes.load_text("cpuinfo_xeon_2vcpu.txt"),
        psutil_mod=psutil_counts(2, 2),
        run=fakes.RecordedTools({}),
        system="Linux",
        arch="x86_64",
    )
    assert (info.model, info.vendor, info.physical_cores, info.logical_cores) == (
        "Intel(R) Xeon(R) Processor", "Intel", 2, 2)
    assert info.supports_bf16 is True  # avx512_bf16 / amx_bf16


def test_probe_cpu_falls_back_to_cpuinfo_cores_when_psutil_cannot_tell() -> None:
    info = cpu.probe_cpu(
        cpuinfo_text=fakes.load_text("cpuinfo_xeon_2vcpu.txt"),
        psutil_mod=psutil_counts(None, 2),
        run=fakes.RecordedTools({}),
        system="Linux",
    )
    assert info.physical_cores == 2


def test_probe_cpu_on_arm_without_lscpu_names_the_core_by_its_ids() -> None:
    tools = fakes.RecordedTools({})  # lscpu missing
    info = cpu.probe_cpu(
        cpuinfo_text=fakes.load_text("cpuinfo_rpi3_aarch64.txt"),
        psutil_mod=psutil_counts(4, 4),
        run=tools,
        system="Linux",
        arch="aarch64",
    )
    assert "lscpu" in tools.calls
    assert info.model == "Arm CPU (implementer 0x41, part 0xd03)"
    assert info.vendor == "Other"
    assert info.flags == ["neon"]
    assert info.supports_bf16 is False


def test_probe_cpu_on_a_mac_uses_sysctl() -> None:
    tools = fakes.RecordedTools({
        "sysctl -n machdep.cpu.brand_string": "Apple M3\n",
        "sysctl hw.optional": fakes.load_text("sysctl_hw_optional_apple_m3.txt"),
    })
    info = cpu.probe_cpu(cpuinfo_text="", psutil_mod=psutil_counts(8, 8), run=tools,
                         system="Darwin", arch="arm64")
    assert info.model == "Apple M3" and info.vendor == "Apple"
    assert info.flags == ["bf16", "dotprod", "fp16", "i8mm", "neon"]  # SME is 0 on an M3


def test_count_numa_nodes(tmp_path: Path) -> None:
    for name in ("node0", "node1", "possible", "online", "has_cpu"):
        (tmp_path / name).mkdir()
    assert cpu.count_numa_nodes(tmp_path) == 2
    assert cpu.count_numa_nodes(tmp_path / "missing") == 1
    assert cpu.count_numa_nodes(Path("/sys/devices/system/node")) >= 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [("200000 100000\n", 2), ("150000 100000", 2), ("max 100000", None), ("garbage", None), ("", None)],
)
def test_cgroup_cpu_quota(text: str, expected: int | None) -> None:
    assert cpu.parse_cgroup_cpu_max(text) == expected


def test_os_release() -> None:
    text = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n'
    assert cpu.parse_os_release(text) == "Debian GNU/Linux 12 (bookworm)"
    assert cpu.parse_os_release('NAME="Alpine Linux"\nVERSION="3.20"\n') == "Alpine Linux 3.20"
    assert cpu.parse_os_release("") is None


def test_probe_cpu_on_this_machine() -> None:
    info = cpu.probe_cpu()
    assert info.model and info.vendor in CHIP_VENDORS
    assert 1 <= info.physical_cores <= info.logical_cores
    assert info.numa_nodes >= 1 and info.sockets >= 1
    assert info.usable_cores is None or info.usable_cores >= 1
    assert cpu.system_memory_gb() > 0
    assert cpu.os_name()
