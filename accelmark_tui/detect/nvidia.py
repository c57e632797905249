"""NVIDIA GPUs through NVML (``pynvml``, from the ``nvidia-ml-py`` package).

``collect(nvml)`` reads everything from the module object it is given, so
tests pass a fake module replaying recorded NVML answers; ``probe()`` loads the
real one only when it is installed.
"""

from __future__ import annotations

from typing import Any

from accelmark_tui.detect._probe import ProbeResult, describe, gib, module_available, not_found
from accelmark_tui.detect.machine import Accelerator

PLATFORM = "nvidia"
INSTALL_HINT = "pip install nvidia-ml-py"


def _text(value: Any) -> str:
    # nvidia-ml-py < 11.5 returned bytes for strings; newer returns str.
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def cuda_version(encoded: int) -> str:
    """NVML's CUDA driver version integer (12040) as "12.4"."""
    return f"{encoded // 1000}.{(encoded % 1000) // 10}"


def _optional(nvml: Any, fn: str, *args: Any) -> Any:
    """An NVML query many GPUs do not support: None instead of NVMLError (or a missing symbol)."""
    func = getattr(nvml, fn, None)
    if func is None:
        return None
    try:
        return func(*args)
    except nvml.NVMLError:
        return None


def has_nvlink(nvml: Any, handle: Any) -> bool:
    """True when any NVLink of the GPU is active (NVML_FEATURE_ENABLED)."""
    enabled = getattr(nvml, "NVML_FEATURE_ENABLED", 1)
    for link in range(int(getattr(nvml, "NVML_NVLINK_MAX_LINKS", 18))):
        try:
            if nvml.nvmlDeviceGetNvLinkState(handle, link) == enabled:
                return True
        except nvml.NVMLError:
            continue  # link absent (INVALID_ARGUMENT) or no NVLink at all (NOT_SUPPORTED)
    return False


def collect(nvml: Any) -> ProbeResult:
    """Read the GPUs from an initialised NVML module (real or recorded)."""
    driver = _text(nvml.nvmlSystemGetDriverVersion())
    runtime = None
    encoded = _optional(nvml, "nvmlSystemGetCudaDriverVersion")
    if encoded:
        runtime = f"CUDA {cuda_version(int(encoded))}"
    accelerators: list[Accelerator] = []
    handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(nvml.nvmlDeviceGetCount())]
    pcie_gens: list[int] = []
    for index, handle in enumerate(handles):
        memory = nvml.nvmlDeviceGetMemoryInfo(handle)
        cc = _optional(nvml, "nvmlDeviceGetCudaComputeCapability", handle)
        capability = f"{cc[0]}.{cc[1]}" if cc else None
        gen = _optional(nvml, "nvmlDeviceGetMaxPcieLinkGeneration", handle)
        if gen:
            pcie_gens.append(int(gen))
        accelerators.append(Accelerator(
            index=index,
            name=_text(nvml.nvmlDeviceGetName(handle)),
            vendor="NVIDIA",
            platform=PLATFORM,
            memory_gb=gib(memory.total),
            driver_version=driver,
            compute_capability=capability,
            # BF16 tensor cores arrived with Ampere (compute capability 8.0).
            supports_bf16=(cc[0] >= 8) if cc else None,
            extra={"pcie_max_link_generation": gen} if gen else {},
        ))
    # NVLink only matters between GPUs; a lone GPU's bridge links lead nowhere.
    interconnect = None
    if len(handles) > 1:
        interconnect = "NVLink" if any(has_nvlink(nvml, h) for h in handles) else "PCIe"
    return ProbeResult(
        platform=PLATFORM,
        accelerators=accelerators,
        runtime_version=runtime,
        intra_node_interconnect=interconnect,
        pcie_generation=f"PCIe Gen {min(pcie_gens)}" if pcie_gens else None,
        details={"nvidia_driver": driver, "cuda_driver_api": runtime},
    )


def load_nvml() -> Any | None:
    """The pynvml module when installed, else None (without importing anything else)."""
    if not module_available("pynvml"):
        return None
    import pynvml

    return pynvml


def probe(nvml: Any = None) -> ProbeResult:
    """NVIDIA GPUs, or none with a note: never raises."""
    if nvml is None:
        nvml = load_nvml()
        if nvml is None:
            return not_found(PLATFORM, f"NVIDIA: NVML bindings not installed ({INSTALL_HINT}).")
    try:
        nvml.nvmlInit()
    except Exception as exc:  # NVMLError_LibraryNotFound / DriverNotLoaded, or a broken install
        return not_found(PLATFORM, f"NVIDIA: NVML unavailable ({describe(exc)}); no NVIDIA driver found.")
    try:
        result = collect(nvml)
    except Exception as exc:
        return not_found(PLATFORM, f"NVIDIA: NVML query failed ({describe(exc)}).")
    finally:
        try:
            nvml.nvmlShutdown()
        except Exception:
            pass
    if not result.found:
        result.notes.append("NVIDIA: the driver is loaded but reports no GPU.")
    return result

