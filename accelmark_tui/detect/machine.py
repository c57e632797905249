"""What detection found: the machine's accelerators, CPU, memory and software.

Probes (``cpu.py``, ``nvidia.py``, ``amd.py``, ``apple.py``, ``ascend.py``)
fill these; ``env_info()`` renders the upstream ``env_info.json`` and
``chip()`` the result's ``chip`` block (the CPU is the chip when there is no
accelerator).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Result-schema vendor enum (result.schema.json chip.vendor).
CHIP_VENDORS = (
    "NVIDIA", "AMD", "Intel", "Google", "Huawei", "Cambricon", "Biren",
    "Enflame", "MetaX", "Moore Threads", "Iluvatar", "Apple", "Qualcomm", "Other",
)


@dataclass(slots=True)
class Accelerator:
    index: int
    name: str
    vendor: str  # one of CHIP_VENDORS
    platform: str  # runner platform id: nvidia | amd | apple | ascend | cpu
    memory_gb: float | None
    driver_version: str
    firmware_version: str | None = None
    compute_capability: str | None = None
    supports_bf16: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class CpuInfo:
    model: str
    vendor: str  # one of CHIP_VENDORS (Intel, AMD, Apple, Qualcomm, Other)
    physical_cores: int
    logical_cores: int
    numa_nodes: int
    flags: list[str] = field(default_factory=list)  # e.g. avx2, avx512f, neon


@dataclass(slots=True)
class Machine:
    collected_at: str  # ISO 8601 with timezone
    accelerators: list[Accelerator]  # real accelerators only (may be empty)
    cpu: CpuInfo
    system_memory_gb: float
    os: str
    kernel_version: str
    python_version: str
    platform: str  # accelerator platform of accelerators[0], or "cpu"
    runtime_version: str  # e.g. "CUDA 12.4", "ROCm 6.1", "Metal 3", or "none (CPU)"
    driver_version: str  # of accelerators[0], or "none (CPU)"
    intra_node_interconnect: str | None = None
    pcie_generation: str = "unknown"
    vendor_details: dict[str, Any] = field(default_factory=dict)
    probe_notes: list[str] = field(default_factory=list)  # why a probe found nothing

    def env_info(self) -> dict[str, Any]:
        """The upstream env_info.json (validates against env.schema.json)."""
        raise NotImplementedError  # filled in by the detection module

    def chip(self) -> dict[str, Any]:
        """The result's chip block: accelerators[0] x count, or the CPU."""
        raise NotImplementedError  # filled in by the detection module
