"""Hardware detection: ``detect_machine()`` runs every probe and builds a Machine.

Each vendor probe returns a ``ProbeResult`` and never raises; ``build_machine``
is the pure step that turns probe results into a Machine, so it is tested on
recorded vendor responses. Imports here are standard library only: psutil and
vendor libraries load inside the probes, keeping `accelmark detect` fast.
"""

from __future__ import annotations

import json
import platform
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path

from accelmark_tui.detect._probe import ProbeResult
from accelmark_tui.detect.machine import CPU_DRIVER, CPU_RUNTIME, Accelerator, CpuInfo, Machine

__all__ = ["Accelerator", "CpuInfo", "Machine", "ProbeResult", "build_machine", "detect_machine", "vendor_probes"]

CACHE_VERSION = 1
CACHE_FILE = "machine.json"


def vendor_probes() -> list[Callable[[], ProbeResult]]:
    """The vendor probes in priority order: the first that finds devices names the platform."""
    from accelmark_tui.detect import amd, apple, ascend, nvidia

    return [nvidia.probe, amd.probe, ascend.probe, apple.probe]


def build_machine(
    cpu: CpuInfo,
    system_memory_gb: float,
    results: Sequence[ProbeResult],
    *,
    os_name: str,
    kernel_version: str | None = None,
    python_version: str | None = None,
    collected_at: str | None = None,
) -> Machine:
    """A Machine from the CPU facts and the vendor probe results (pure)."""
    found = [r for r in results if r.found]
    accelerators: list[Accelerator] = [a for r in found for a in r.accelerators]
    notes = [n for r in results for n in r.notes]
    primary = found[0] if found else None
    details: dict[str, object] = {}
    for r in found:
        details.update({k: v for k, v in r.details.items() if v is not None})
    if len(found) > 1:
        details["other_platforms"] = [r.platform for r in found[1:]]
    return Machine(
        collected_at=collected_at or datetime.now(timezone.utc).isoformat(timespec="seconds"),
        accelerators=accelerators,
        cpu=cpu,
        system_memory_gb=round(system_memory_gb, 1),
        os=os_name,
        kernel_version=kernel_version or platform.release() or "unknown",
        python_version=python_version or platform.python_version(),
        platform=primary.platform if primary else "cpu",
        runtime_version=(primary.runtime_version or "unknown") if primary else CPU_RUNTIME,
        driver_version=accelerators[0].driver_version if accelerators else CPU_DRIVER,
        intra_node_interconnect=primary.intra_node_interconnect if primary else None,
        pcie_generation=(primary.pcie_generation or "unknown") if primary else "n/a (CPU only)",
        vendor_details=details,
        probe_notes=notes,
    )


def detect_machine(*, use_cache: bool = False, probes: Sequence[Callable[[], ProbeResult]] | None = None) -> Machine:
    """Detect this machine: CPU, memory, OS and every vendor's accelerators.

    ``use_cache`` reuses ``<cache>/machine.json`` written since the last boot
    (hardware does not change without a reboot); the default is fresh detection.
    """
    boot = _boot_time() if use_cache else None
    if use_cache and boot is not None:
        cached = _read_cache(boot)
        if cached is not None:
            return cached
    from concurrent.futures import ThreadPoolExecutor

    from accelmark_tui.detect import cpu as cpu_probe

    probes = list(probes if probes is not None else vendor_probes())
    # Probes wait on subprocesses and driver libraries, not the CPU: overlapping them
    # keeps `detect` as slow as the slowest probe (system_profiler on a Mac), not their sum.
    with ThreadPoolExecutor(max_workers=len(probes) + 1) as pool:
        futures = [pool.submit(_guarded, probe) for probe in probes]
        cpu = cpu_probe.probe_cpu()
        memory = cpu_probe.system_memory_gb()
        results = [f.result() for f in futures]
    machine = build_machine(cpu, memory, results, os_name=cpu_probe.os_name())
    if use_cache and boot is not None:
        _write_cache(machine, boot)
    return machine


def _guarded(probe: Callable[[], ProbeResult]) -> ProbeResult:
    """A probe's result; a probe bug becomes a note instead of breaking detection."""
    try:
        return probe()
    except Exception as exc:
        from accelmark_tui.detect._probe import describe

        name = getattr(probe, "__module__", "probe").rsplit(".", 1)[-1]
        return ProbeResult(platform=name, notes=[f"{name}: probe failed ({describe(exc)})."])


# -- cache ---------------------------------------------------------------------


def _boot_time() -> float | None:
    try:
        import psutil

        return float(psutil.boot_time())
    except Exception:
        return None


def _cache_path() -> Path:
    from accelmark_tui.paths import cache_dir

    return cache_dir() / CACHE_FILE


def _cache_key(boot: float) -> dict[str, object]:
    # The interpreter is part of the key: python_version is recorded in env_info.
    return {"version": CACHE_VERSION, "boot_time": round(boot), "python": sys.version}


def _read_cache(boot: float) -> Machine | None:
    try:
        data = json.loads(_cache_path().read_text())
        if data.get("key") != _cache_key(boot):
            return None
        return Machine.from_dict(data["machine"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing, stale or corrupt cache: detect afresh


def _write_cache(machine: Machine, boot: float) -> None:
    path = _cache_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"key": _cache_key(boot), "machine": machine.to_dict()}))
        tmp.replace(path)
    except OSError:
        pass  # a cache that cannot be written only costs the next run a fresh detection
