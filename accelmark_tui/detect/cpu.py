"""CPU, memory and OS probe: /proc/cpuinfo, NUMA nodes in sysfs, psutil, os-release.

Parsing is pure (text in, values out) so it is tested on recorded files; the
reading is done by ``probe_cpu`` with every source injectable.
"""

from __future__ import annotations

import os
import platform
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from accelmark_tui.detect._probe import GIB, ToolError, ToolRunner, run_tool
from accelmark_tui.detect.machine import CpuInfo

# /proc/cpuinfo vendor_id -> result-schema vendor enum.
_X86_VENDORS = {"GenuineIntel": "Intel", "AuthenticAMD": "AMD"}
# Arm "CPU implementer" codes (Arm ARM, MIDR_EL1.Implementer).
_ARM_IMPLEMENTERS = {"0x61": "Apple", "0x51": "Qualcomm"}

# Flags that decide which inference kernels run (llama.cpp / ggml, oneDNN). The
# full x86 list is ~150 entries of noise; these are the ones worth recording.
_X86_FLAGS = (
    "sse4_2", "avx", "avx2", "fma", "f16c", "avx_vnni", "avx512f", "avx512bw",
    "avx512vl", "avx512vbmi", "avx512_vnni", "avx512_bf16", "avx512_fp16",
    "amx_tile", "amx_int8", "amx_bf16",
)
# Linux aarch64 "Features" names -> the common names used on every OS.
_ARM_LINUX_FLAGS = {
    "asimd": "neon", "asimddp": "dotprod", "asimdhp": "fp16", "i8mm": "i8mm",
    "bf16": "bf16", "sve": "sve", "sve2": "sve2", "sme": "sme",
}
# macOS `sysctl hw.optional` keys -> the same common names.
_MAC_FLAGS = {
    "hw.optional.neon": "neon", "hw.optional.arm.FEAT_DotProd": "dotprod",
    "hw.optional.arm.FEAT_FP16": "fp16", "hw.optional.arm.FEAT_I8MM": "i8mm",
    "hw.optional.arm.FEAT_BF16": "bf16", "hw.optional.arm.FEAT_SME": "sme",
    "hw.optional.arm.FEAT_SME2": "sme2",
}


def parse_cpuinfo(text: str) -> dict[str, Any]:
    """The fields of /proc/cpuinfo that matter, from its text (x86 or Arm)."""
    info: dict[str, Any] = {"model": None, "vendor_id": None, "implementer": None,
                            "part": None, "flags": [], "logical": 0, "sockets": 0, "cores": 0}
    sockets: set[str] = set()
    cores: set[tuple[str, str]] = set()
    physical_id = ""
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip().lower(), value.strip()
        if key == "processor" and value.isdigit():
            info["logical"] += 1
        elif key == "model name" and info["model"] is None:
            info["model"] = value
        elif key == "vendor_id" and info["vendor_id"] is None:
            info["vendor_id"] = value
        elif key == "cpu implementer" and info["implementer"] is None:
            info["implementer"] = value.lower()
        elif key == "cpu part" and info["part"] is None:
            info["part"] = value.lower()
        elif key in ("flags", "features") and not info["flags"]:
            info["flags"] = value.split()
        elif key == "physical id":
            physical_id = value
            sockets.add(value)
        elif key == "core id":
            cores.add((physical_id, value))
    info["sockets"] = len(sockets)
    info["cores"] = len(cores)
    return info


def cpu_vendor(vendor_id: str | None, implementer: str | None = None, brand: str | None = None) -> str:
    """Map CPU identity to the result-schema enum (Intel, AMD, Apple, Qualcomm, else Other)."""
    if vendor_id in _X86_VENDORS:
        return _X86_VENDORS[vendor_id]
    if implementer and implementer.lower() in _ARM_IMPLEMENTERS:
        return _ARM_IMPLEMENTERS[implementer.lower()]
    text = (brand or "").lower()
    for word, vendor in (("apple", "Apple"), ("qualcomm", "Qualcomm"), ("snapdragon", "Qualcomm"),
                         ("intel", "Intel"), ("amd", "AMD")):
        if word in text:
            return vendor
    return "Other"


def inference_flags(raw_flags: list[str]) -> list[str]:
    """The inference-relevant subset of cpuinfo flags/features, in common names, sorted."""
    present = set(raw_flags)
    found = {f for f in _X86_FLAGS if f in present}
    found |= {name for raw, name in _ARM_LINUX_FLAGS.items() if raw in present}
    return sorted(found)


def parse_mac_hw_optional(text: str) -> list[str]:
    """Flags from macOS `sysctl hw.optional` output (``key: 1`` lines)."""
    found = set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        name = _MAC_FLAGS.get(key.strip())
        if name and value.strip() == "1":
            found.add(name)
    return sorted(found)


def count_numa_nodes(node_dir: Path = Path("/sys/devices/system/node")) -> int:
    """NUMA nodes from sysfs (``node0``, ``node1``…); 1 where sysfs has none (macOS, containers)."""
    try:
        return max(1, sum(1 for p in node_dir.iterdir() if re.fullmatch(r"node\d+", p.name)))
    except OSError:
        return 1


def parse_cgroup_cpu_max(text: str) -> int | None:
    """CPUs allowed by a cgroup v2 ``cpu.max`` ("200000 100000" -> 2; "max 100000" -> None)."""
    parts = text.split()
    if len(parts) != 2 or parts[0] == "max":
        return None
    try:
        quota, period = int(parts[0]), int(parts[1])
    except ValueError:
        return None
    return max(1, -(-quota // period)) if period > 0 else None


def usable_cores(read_text: Callable[[str], str] | None = None) -> int | None:
    """CPUs this process may use: affinity mask, lowered by a cgroup quota (docker --cpus)."""
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    reader = read_text or (lambda p: Path(p).read_text())
    try:
        quota = parse_cgroup_cpu_max(reader("/sys/fs/cgroup/cpu.max"))
    except OSError:
        quota = None
    if quota is not None:
        count = min(count, quota) if count else quota
    return count


def parse_os_release(text: str) -> str | None:
    """PRETTY_NAME (else NAME VERSION) from an os-release file."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip().strip('"').strip("'")
    if values.get("PRETTY_NAME"):
        return values["PRETTY_NAME"]
    name = " ".join(v for v in (values.get("NAME"), values.get("VERSION")) if v)
    return name or None


def os_name(system: str | None = None) -> str:
    system = system or platform.system()
    if system == "Darwin":
        version = platform.mac_ver()[0]
        return f"macOS {version}" if version else "macOS"
    if system == "Linux":
        for path in ("/etc/os-release", "/usr/lib/os-release"):
            try:
                name = parse_os_release(Path(path).read_text())
            except OSError:
                continue
            if name:
                return name
    return platform.platform(terse=True) or system or "unknown"


def system_memory_gb(psutil_mod: Any = None) -> float:
    """Total RAM in GiB (one decimal)."""
    if psutil_mod is None:
        import psutil as psutil_mod  # deferred: psutil costs ~20 ms to import
    return round(psutil_mod.virtual_memory().total / GIB, 1)


def probe_cpu(
    *,
    cpuinfo_text: str | None = None,
    psutil_mod: Any = None,
    node_dir: Path = Path("/sys/devices/system/node"),
    run: ToolRunner = run_tool,
    system: str | None = None,
    arch: str | None = None,
) -> CpuInfo:
    """The CPU, from /proc/cpuinfo (Linux) or sysctl (macOS), with psutil core counts."""
    system = system or platform.system()
    arch = arch or platform.machine()
    if psutil_mod is None:
        import psutil as psutil_mod
    if cpuinfo_text is None and system == "Linux":
        try:
            cpuinfo_text = Path("/proc/cpuinfo").read_text()
        except OSError:
            cpuinfo_text = ""
    info = parse_cpuinfo(cpuinfo_text or "")
    model = info["model"]
    flags = inference_flags(info["flags"])
    if system == "Darwin":
        model = model or _try(run, ["sysctl", "-n", "machdep.cpu.brand_string"]).strip() or None
        flags = flags or parse_mac_hw_optional(_try(run, ["sysctl", "hw.optional"]))
    if model is None and system == "Linux":
        # Arm Linux has no "model name" in /proc/cpuinfo; lscpu knows the core's name.
        match = re.search(r"^Model name:\s*(.+)$", _try(run, ["lscpu"]), re.MULTILINE)
        model = match.group(1).strip() if match else None
    if model is None and info["implementer"]:
        model = f"Arm CPU (implementer {info['implementer']}, part {info['part'] or '?'})"
    model = model or platform.processor() or arch or "unknown CPU"
    logical = psutil_mod.cpu_count(logical=True) or info["logical"] or os.cpu_count() or 1
    # psutil can return None for physical cores in some containers; cpuinfo's core ids are next best.
    physical = psutil_mod.cpu_count(logical=False) or info["cores"] or logical
    return CpuInfo(
        model=model,
        vendor=cpu_vendor(info["vendor_id"], info["implementer"], model),
        physical_cores=int(physical),
        logical_cores=int(logical),
        numa_nodes=count_numa_nodes(node_dir),
        flags=flags,
        sockets=max(1, info["sockets"]),
        arch=arch,
        usable_cores=usable_cores(),
    )


def _try(run: ToolRunner, argv: list[str]) -> str:
    try:
        return run(argv)
    except ToolError:
        return ""
