"""Apple silicon: the SoC is one accelerator whose memory is the unified RAM.

Sources: ``sysctl -n machdep.cpu.brand_string`` ("Apple M4"), ``sysctl -n
hw.memsize`` (bytes), and ``system_profiler SPDisplaysDataType -json`` for the
GPU core count and Metal family. ``parse`` is pure over those outputs; ``probe``
runs them through an injectable tool runner.
"""

from __future__ import annotations

import json
import platform
import re
from typing import Any

from accelmark_tui.detect._probe import ProbeResult, ToolError, ToolRunner, gib, not_found, run_tool
from accelmark_tui.detect.machine import Accelerator

PLATFORM = "apple"
BRAND = ["sysctl", "-n", "machdep.cpu.brand_string"]
MEMSIZE = ["sysctl", "-n", "hw.memsize"]
DISPLAYS = ["system_profiler", "SPDisplaysDataType", "-json"]


def parse_displays(text: str) -> dict[str, Any]:
    """GPU cores and Metal family of the built-in Apple GPU from system_profiler's JSON."""
    try:
        entries = json.loads(text).get("SPDisplaysDataType") or []
    except (ValueError, AttributeError):
        return {}
    for entry in entries:
        if not isinstance(entry, dict) or "Apple" not in str(entry.get("spdisplays_vendor", "")) + str(
            entry.get("sppci_model", "")
        ):
            continue
        found: dict[str, Any] = {"gpu_model": entry.get("sppci_model") or entry.get("_name")}
        cores = re.search(r"\d+", str(entry.get("sppci_cores", "")))
        if cores:
            found["gpu_cores"] = int(cores.group())
        metal = _metal(entry)
        if metal:
            found["metal"] = metal
        return found
    return {}


def _metal(entry: dict[str, Any]) -> str | None:
    # Newer macOS: "spdisplays_mtlgpufamilysupport": "spdisplays_metal4"; older: "spdisplays_metal": "3".
    for key in ("spdisplays_mtlgpufamilysupport", "spdisplays_metalfamily", "spdisplays_metal"):
        match = re.search(r"metal\s*_?(\d+)|^(\d+)$", str(entry.get(key, "")), re.IGNORECASE)
        if match:
            return f"Metal {match.group(1) or match.group(2)}"
    return None


def supports_bf16(chip: str) -> bool:
    """M1 lacks the Arm BF16 extension (FEAT_BF16); M2 and later have it."""
    return not re.search(r"\bM1\b", chip)


def parse(brand: str, memsize: str, displays_json: str, macos_version: str | None) -> ProbeResult:
    """The Apple silicon accelerator from the three tool outputs; none when the brand is not Apple."""
    chip = brand.strip()
    if not chip.startswith("Apple"):
        return not_found(PLATFORM, f"Apple: CPU is {chip or 'unknown'}, not Apple silicon.")
    try:
        memory_gb = gib(int(memsize.strip()))
    except ValueError:
        memory_gb = None
    gpu = parse_displays(displays_json)
    driver = f"macOS {macos_version}" if macos_version else "macOS (version unknown)"
    runtime = gpu.get("metal") or "Metal (version unknown)"
    extra = {k: gpu[k] for k in ("gpu_cores", "metal") if k in gpu}
    extra["unified_memory"] = True
    return ProbeResult(
        platform=PLATFORM,
        accelerators=[Accelerator(
            index=0,
            name=chip,
            vendor="Apple",
            platform=PLATFORM,
            memory_gb=memory_gb,
            driver_version=driver,
            supports_bf16=supports_bf16(chip),
            extra=extra,
        )],
        runtime_version=runtime,
        pcie_generation="SoC integrated (no PCIe GPU)",
        details={"apple_gpu_cores": gpu.get("gpu_cores"), "metal": gpu.get("metal")},
    )


def probe(run: ToolRunner = run_tool, *, system: str | None = None, macos_version: str | None = None) -> ProbeResult:
    """Apple silicon, or none with a note: never raises."""
    system = system or platform.system()
    if system != "Darwin":
        return not_found(PLATFORM, f"Apple: not macOS ({system}).")
    try:
        brand = run(BRAND)
        memsize = run(MEMSIZE)
    except ToolError as exc:
        return not_found(PLATFORM, f"Apple: {exc}.")
    if not brand.strip().startswith("Apple"):
        return parse(brand, memsize, "", None)
    try:
        displays = run(DISPLAYS)
    except ToolError:
        displays = ""  # GPU cores and Metal family are nice to have, not needed
    if macos_version is None:
        macos_version = platform.mac_ver()[0] or None
    return parse(brand, memsize, displays, macos_version)
