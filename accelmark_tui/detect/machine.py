"""What detection found: the machine's accelerators, CPU, memory and software.

Probes (``cpu.py``, ``nvidia.py``, ``amd.py``, ``apple.py``, ``ascend.py``)
fill these; ``env_info()`` renders the upstream ``env_info.json`` and
``chip()`` the result's ``chip`` block (the CPU is the chip when there is no
accelerator).

Memory sizes are GiB (2**30 bytes) labelled "GB", as upstream's collector and
its example submission do (an 80 GiB A100 is ``80.0``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Result-schema vendor enum (result.schema.json chip.vendor).
CHIP_VENDORS = (
    "NVIDIA", "AMD", "Intel", "Google", "Huawei", "Cambricon", "Biren",
    "Enflame", "MetaX", "Moore Threads", "Iluvatar", "Apple", "Qualcomm", "Other",
)

CPU_DRIVER = "none (CPU)"
CPU_RUNTIME = "none (CPU)"


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

    def as_env(self) -> dict[str, Any]:
        """One ``accelerators[]`` entry of env_info.json (extra keys are allowed there)."""
        entry: dict[str, Any] = {
            "index": self.index,
            "name": self.name,
            "vendor": self.vendor,
            "memory_gb": self.memory_gb,
            "driver_version": self.driver_version,
            "firmware_version": self.firmware_version,
            "compute_capability": self.compute_capability,
            "supports_bf16": self.supports_bf16,
            "platform": self.platform,
        }
        for key, value in self.extra.items():
            entry.setdefault(key, value)  # never let extras shadow schema fields
        return entry


@dataclass(slots=True)
class CpuInfo:
    model: str
    vendor: str  # one of CHIP_VENDORS (Intel, AMD, Apple, Qualcomm, Other)
    physical_cores: int
    logical_cores: int
    numa_nodes: int
    flags: list[str] = field(default_factory=list)  # e.g. avx2, avx512f, neon
    sockets: int = 1
    arch: str = ""  # platform.machine(): x86_64, arm64, aarch64
    usable_cores: int | None = None  # CPUs this process may run on (affinity / cgroup)

    @property
    def supports_bf16(self) -> bool | None:
        """Native BF16 arithmetic (AVX512-BF16, AMX-BF16, Arm BF16); None when flags are unknown."""
        if not self.flags:
            return None
        return any(f in self.flags for f in ("avx512_bf16", "amx_bf16", "bf16"))


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

    # -- derived views -------------------------------------------------------

    def recommended_threads(self) -> int:
        """Threads for CPU inference: physical cores (llama.cpp's own default), capped by affinity."""
        threads = max(1, self.cpu.physical_cores)
        if self.cpu.usable_cores:
            threads = min(threads, self.cpu.usable_cores)
        return threads

    def cpu_as_accelerator(self) -> Accelerator:
        """The CPU in the shape of an accelerator: upstream needs accelerators[0] to exist."""
        return Accelerator(
            index=0,
            name=self.cpu.model,
            vendor=self.cpu.vendor,
            platform="cpu",
            memory_gb=round(self.system_memory_gb, 1),
            driver_version=CPU_DRIVER,
            supports_bf16=self.cpu.supports_bf16,
        )

    def primary(self) -> Accelerator:
        """accelerators[0], or the CPU when there is none."""
        return self.accelerators[0] if self.accelerators else self.cpu_as_accelerator()

    def env_info(self) -> dict[str, Any]:
        """The upstream env_info.json (validates against env.schema.json)."""
        accelerators = self.accelerators or [self.cpu_as_accelerator()]
        details = dict(self.vendor_details)
        details.setdefault("cpu_flags", list(self.cpu.flags))
        details.setdefault("physical_cores", self.cpu.physical_cores)
        details.setdefault("threads", self.recommended_threads())
        details.setdefault("threads_note", "physical cores (llama.cpp's default), capped by CPU affinity")
        details.setdefault("probe_notes", list(self.probe_notes))
        return {
            "collected_at": self.collected_at,
            "accelerators": [a.as_env() for a in accelerators],
            "accelerator_platform": self.platform or "cpu",
            "accelerator_topology": None,
            "intra_node_interconnect": self.intra_node_interconnect,
            "cpu": {
                "model": self.cpu.model,
                "vendor": self.cpu.vendor,
                "physical_cores": max(1, self.cpu.physical_cores),
                "logical_cores": max(1, self.cpu.logical_cores),
                "numa_nodes": max(1, self.cpu.numa_nodes),
                "sockets": self.cpu.sockets,
                "arch": self.cpu.arch,
            },
            "system_memory_gb": round(self.system_memory_gb, 1),
            "pcie_generation": self.pcie_generation,
            "cpu_accelerator_bandwidth_gbs": None,
            "network_interfaces": None,
            "os": self.os,
            "python_version": self.python_version,
            "kernel_version": self.kernel_version,
            "runtime_version": self.runtime_version,
            "vendor_details": details,
        }

    def chip(self) -> dict[str, Any]:
        """The result's chip block: accelerators[0] x count, or the CPU."""
        if not self.accelerators:
            return {
                "name": self.cpu.model,
                "vendor": self.cpu.vendor if self.cpu.vendor in CHIP_VENDORS else "Other",
                "count": 1,
                "memory_gb": round(self.system_memory_gb, 1),
                "interconnect_intra_node": None,
                "interconnect_inter_node": None,
            }
        first = self.accelerators[0]
        count = sum(1 for a in self.accelerators if a.name == first.name)
        return {
            "name": first.name,
            "vendor": first.vendor if first.vendor in CHIP_VENDORS else "Other",
            "count": count,
            # A chip whose memory could not be read reports 0.0: the schema wants a number.
            "memory_gb": round(first.memory_gb or 0.0, 1),
            "interconnect_intra_node": self.intra_node_interconnect if count > 1 else None,
            "interconnect_inter_node": None,
        }

    # -- cache round trip ----------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Machine:
        values = dict(data)
        values["accelerators"] = [Accelerator(**a) for a in data.get("accelerators", [])]
        values["cpu"] = CpuInfo(**data["cpu"])
        return cls(**values)
