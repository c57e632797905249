"""AMD GPUs through the ``amdsmi`` Python library (ROCm's AMD SMI).

``collect(amdsmi)`` reads everything from the module object it is given, so
tests pass a fake module replaying amdsmi's documented return dicts; ``probe()``
imports the real one only when it is installed.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any

from accelmark_tui.detect._probe import ProbeResult, describe, gib, module_available, not_found
from accelmark_tui.detect.machine import Accelerator

PLATFORM = "amd"
INSTALL_HINT = "install ROCm's amd-smi library and `pip install amdsmi`"
_XGMI = 2  # amdsmi_wrapper.AMDSMI_LINK_TYPE_XGMI
# GPU architectures with native BF16 math: CDNA1-4 (gfx908, gfx90a, gfx94x, gfx95x), RDNA3/4 (gfx11, gfx12).
_BF16_ARCH = re.compile(r"^gfx(908|90a|94\d|95\d|11\d\d|12\d\d)$")


def _value(value: Any) -> Any:
    """amdsmi reports unsupported fields as the string "N/A"."""
    return None if value in (None, "N/A", "") else value


def rocm_version(amdsmi: Any, read_text: Any = None) -> str | None:
    """ROCm release: amdsmi_get_rocm_version() (amdsmi >= 6.4), else /opt/rocm/.info/version."""
    getter = getattr(amdsmi, "amdsmi_get_rocm_version", None)
    if getter is not None:
        try:
            ok, text = getter()
            if ok and text:
                return str(text).strip()
        except Exception:
            pass
    reader = read_text or (lambda p: Path(p).read_text())
    try:
        return reader("/opt/rocm/.info/version").strip().split("-")[0] or None
    except OSError:
        return None


def collect(amdsmi: Any, read_text: Any = None) -> ProbeResult:
    """Read the GPUs from an initialised amdsmi module (real or recorded)."""
    handles = list(amdsmi.amdsmi_get_processor_handles())
    accelerators: list[Accelerator] = []
    driver = "unknown"
    for index, handle in enumerate(handles):
        asic = amdsmi.amdsmi_get_gpu_asic_info(handle)
        driver_info = _call(amdsmi, "amdsmi_get_gpu_driver_info", handle) or {}
        driver = _value(driver_info.get("driver_version")) or driver
        vbios = _call(amdsmi, "amdsmi_get_gpu_vbios_info", handle) or {}
        arch = _value(asic.get("target_graphics_version"))
        accelerators.append(Accelerator(
            index=index,
            name=_value(asic.get("market_name")) or "AMD GPU",
            vendor="AMD",
            platform=PLATFORM,
            memory_gb=_memory_gb(amdsmi, handle),
            driver_version=_value(driver_info.get("driver_version")) or "unknown",
            firmware_version=_value(vbios.get("version")),
            supports_bf16=bool(_BF16_ARCH.match(arch)) if arch else None,
            extra={k: v for k, v in (("gfx_arch", arch), ("compute_units", _value(asic.get("num_compute_units"))),
                                     ("device_id", _value(asic.get("device_id")))) if v is not None},
        ))
    interconnect = None
    if len(handles) > 1:
        link = _call(amdsmi, "amdsmi_topo_get_link_type", handles[0], handles[1]) or {}
        interconnect = "XGMI" if link.get("type") == _XGMI else "PCIe"
    rocm = rocm_version(amdsmi, read_text)
    return ProbeResult(
        platform=PLATFORM,
        accelerators=accelerators,
        runtime_version=f"ROCm {rocm}" if rocm else "ROCm (version unknown)",
        intra_node_interconnect=interconnect,
        details={"amdgpu_driver": driver, "rocm": rocm},
    )


def _memory_gb(amdsmi: Any, handle: Any) -> float | None:
    # amdsmi_get_gpu_memory_total returns bytes; vram_info's vram_size is MB (amdsmi.h).
    memory_type = getattr(getattr(amdsmi, "AmdSmiMemoryType", None), "VRAM", None)
    if memory_type is not None:
        total = _call(amdsmi, "amdsmi_get_gpu_memory_total", handle, memory_type)
        if isinstance(total, int) and total > 0:
            return gib(total)
    vram = _call(amdsmi, "amdsmi_get_gpu_vram_info", handle) or {}
    size_mb = _value(vram.get("vram_size"))
    return round(size_mb / 1024, 1) if isinstance(size_mb, (int, float)) else None


def _call(amdsmi: Any, fn: str, *args: Any) -> Any:
    """An optional amdsmi query: None when missing from this amdsmi version or unsupported."""
    func = getattr(amdsmi, fn, None)
    if func is None:
        return None
    try:
        return func(*args)
    except Exception:  # AmdSmiLibraryException: not supported on this GPU / firmware
        return None


def load_amdsmi() -> tuple[Any | None, str | None]:
    """(module, None) when amdsmi imports, else (None, why)."""
    if not module_available("amdsmi"):
        return None, "not installed"
    # amdsmi prints to stdout when libamd_smi.so is missing; keep `detect --json` clean.
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        try:
            import amdsmi
        except Exception as exc:
            why = printed.getvalue().strip().splitlines()
            return None, (why[0] if why else f"{type(exc).__name__}: {exc}")
    return amdsmi, None


def probe(amdsmi: Any = None) -> ProbeResult:
    """AMD GPUs, or none with a note: never raises."""
    if amdsmi is None:
        amdsmi, why = load_amdsmi()
        if amdsmi is None:
            if why == "not installed":
                return not_found(PLATFORM, f"AMD: amdsmi library not installed ({INSTALL_HINT}).")
            return not_found(PLATFORM, f"AMD: amdsmi could not load ({why}).")
    try:
        amdsmi.amdsmi_init()
    except Exception as exc:
        return not_found(PLATFORM, f"AMD: amdsmi_init failed ({describe(exc)}); no AMD GPU driver found.")
    try:
        result = collect(amdsmi)
    except Exception as exc:
        return not_found(PLATFORM, f"AMD: amdsmi query failed ({describe(exc)}).")
    finally:
        try:
            amdsmi.amdsmi_shut_down()
        except Exception:
            pass
    if not result.found:
        result.notes.append("AMD: amdsmi reports no GPU.")
    return result
