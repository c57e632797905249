"""Live hardware telemetry for the run screen: CPU, RAM and per-accelerator gauges.

``TelemetrySampler.sample()`` is cheap enough for 1-4 Hz: psutil's
non-blocking ``cpu_percent`` and one NVML / amdsmi call per gauge, on handles
opened once. A gauge a device does not support becomes None and is not asked
again. Apple and Ascend devices have no in-process counters (powermetrics
needs root; npu-smi is a subprocess per call), so their gauges are None.
"""

from __future__ import annotations

import time
from typing import Any

from accelmark_tui.detect._probe import GIB, module_available
from accelmark_tui.detect.machine import Machine

AUTO: Any = object()  # "load the vendor library if this machine needs it"
_GAUGES = ("util_percent", "memory_used_gb", "temperature_c", "power_w")


def process_rss_gb(pid: int) -> float | None:
    """Resident memory of a process in GiB; None when it is gone or not ours to read."""
    import psutil

    try:
        return round(psutil.Process(pid).memory_info().rss / GIB, 3)
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


class _Device:
    """One accelerator's gauges: callables returning a value, dropped after their first failure."""

    def __init__(self, index: int, name: str, vendor: str, memory_total_gb: float | None,
                 readers: dict[str, Any] | None = None) -> None:
        self.index, self.name, self.vendor, self.memory_total_gb = index, name, vendor, memory_total_gb
        self.readers = dict(readers or {})

    def read(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "name": self.name, "vendor": self.vendor,
                               "memory_total_gb": self.memory_total_gb}
        for gauge in _GAUGES:
            reader = self.readers.get(gauge)
            value = None
            if reader is not None:
                try:
                    value = reader()
                except Exception:
                    self.readers.pop(gauge)  # unsupported here: don't pay for the failure at 4 Hz
            out[gauge] = value
        return out


class TelemetrySampler:
    """Samples CPU, RAM and accelerator gauges; use as a context manager or call ``close()``."""

    def __init__(self, machine: Machine | None = None, *, nvml: Any = AUTO, amdsmi: Any = AUTO,
                 psutil_mod: Any = None) -> None:
        if psutil_mod is None:
            import psutil as psutil_mod
        self._psutil = psutil_mod
        self._psutil.cpu_percent(interval=None)  # the first call only sets the baseline
        self._nvml = self._open_nvml(nvml, machine)
        self._amdsmi = self._open_amdsmi(amdsmi, machine)
        self.devices: list[_Device] = []
        if self._nvml is not None:
            self.devices += self._nvml_devices(self._nvml)
        if self._amdsmi is not None:
            self.devices += self._amd_devices(self._amdsmi)
        if machine is not None:  # devices without in-process counters still get a row
            sampled = {d.vendor for d in self.devices}
            for acc in machine.accelerators:
                if acc.vendor not in sampled:
                    self.devices.append(_Device(acc.index, acc.name, acc.vendor, acc.memory_gb))

    # -- public ----------------------------------------------------------------

    def sample(self) -> dict[str, Any]:
        vm = self._psutil.virtual_memory()
        return {
            "time": time.time(),
            "monotonic": time.monotonic(),
            "cpu_percent": float(self._psutil.cpu_percent(interval=None)),
            # total - available: what programs hold, excluding reclaimable page cache.
            "ram_used_gb": round((vm.total - vm.available) / GIB, 2),
            "ram_total_gb": round(vm.total / GIB, 2),
            "accelerators": [d.read() for d in self.devices],
        }

    def close(self) -> None:
        for lib, fn in ((self._nvml, "nvmlShutdown"), (self._amdsmi, "amdsmi_shut_down")):
            if lib is not None:
                try:
                    getattr(lib, fn)()
                except Exception:
                    pass
        self._nvml = self._amdsmi = None

    def __enter__(self) -> TelemetrySampler:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- NVIDIA ----------------------------------------------------------------

    @staticmethod
    def _wanted(lib: Any, machine: Machine | None, platform: str, module: str) -> bool:
        if lib is None or lib is False:
            return False
        if lib is not AUTO:
            return True
        if machine is not None and not any(a.platform == platform for a in machine.accelerators):
            return False
        return module_available(module)

    def _open_nvml(self, nvml: Any, machine: Machine | None) -> Any:
        if not self._wanted(nvml, machine, "nvidia", "pynvml"):
            return None
        try:
            if nvml is AUTO:
                import pynvml as nvml
            nvml.nvmlInit()
            return nvml
        except Exception:
            return None

    @staticmethod
    def _nvml_devices(nvml: Any) -> list[_Device]:
        devices = []
        try:
            count = nvml.nvmlDeviceGetCount()
        except Exception:
            return []
        for i in range(count):
            try:
                h = nvml.nvmlDeviceGetHandleByIndex(i)
                name = nvml.nvmlDeviceGetName(h)
                total = nvml.nvmlDeviceGetMemoryInfo(h).total
            except Exception:
                continue
            sensor = getattr(nvml, "NVML_TEMPERATURE_GPU", 0)
            devices.append(_Device(i, name.decode() if isinstance(name, bytes) else str(name), "NVIDIA",
                                   round(total / GIB, 1), {
                "util_percent": lambda h=h: float(nvml.nvmlDeviceGetUtilizationRates(h).gpu),
                "memory_used_gb": lambda h=h: round(nvml.nvmlDeviceGetMemoryInfo(h).used / GIB, 2),
                "temperature_c": lambda h=h: float(nvml.nvmlDeviceGetTemperature(h, sensor)),
                "power_w": lambda h=h: round(nvml.nvmlDeviceGetPowerUsage(h) / 1000.0, 1),  # milliwatts
            }))
        return devices

    # -- AMD -------------------------------------------------------------------

    def _open_amdsmi(self, amdsmi: Any, machine: Machine | None) -> Any:
        if not self._wanted(amdsmi, machine, "amd", "amdsmi"):
            return None
        if amdsmi is AUTO:
            from accelmark_tui.detect.amd import load_amdsmi

            amdsmi, _ = load_amdsmi()
            if amdsmi is None:
                return None
        try:
            amdsmi.amdsmi_init()
            return amdsmi
        except Exception:
            return None

    @staticmethod
    def _amd_devices(amdsmi: Any) -> list[_Device]:
        from accelmark_tui.detect.amd import _memory_gb, _value

        try:
            handles = list(amdsmi.amdsmi_get_processor_handles())
        except Exception:
            return []
        vram = amdsmi.AmdSmiMemoryType.VRAM
        temp_type = amdsmi.AmdSmiTemperatureType.HOTSPOT  # MI300-class GPUs have no edge sensor
        current = amdsmi.AmdSmiTemperatureMetric.CURRENT

        def power(h: Any) -> float:
            info = amdsmi.amdsmi_get_power_info(h)
            for key in ("current_socket_power", "average_socket_power", "socket_power"):
                if _value(info.get(key)) is not None:
                    return float(info[key])  # watts
            raise ValueError("no socket power reported")

        devices = []
        for i, h in enumerate(handles):
            try:
                name = _value(amdsmi.amdsmi_get_gpu_asic_info(h).get("market_name")) or "AMD GPU"
            except Exception:
                name = "AMD GPU"
            devices.append(_Device(i, name, "AMD", _memory_gb(amdsmi, h), {
                "util_percent": lambda h=h: float(amdsmi.amdsmi_get_gpu_activity(h)["gfx_activity"]),
                "memory_used_gb": lambda h=h: round(amdsmi.amdsmi_get_gpu_memory_usage(h, vram) / GIB, 2),
                "temperature_c": lambda h=h: float(amdsmi.amdsmi_get_temp_metric(h, temp_type, current)),
                "power_w": lambda h=h: power(h),
            }))
        return devices
