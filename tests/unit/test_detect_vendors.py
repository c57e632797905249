"""Vendor probes on recorded responses, and the missing-library / missing-tool / erroring paths."""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import pytest

from accelmark_tui.detect import amd, apple, ascend, nvidia
from accelmark_tui.detect._probe import ToolError, ToolMissing, run_tool

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "detect"
_spec = importlib.util.spec_from_file_location("detect_fakes", FIXTURES / "fakes.py")
fakes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fakes)


# -- the tool runner -----------------------------------------------------------


def test_run_tool_reports_missing_failing_and_slow_tools() -> None:
    assert run_tool([sys.executable, "-c", "print('ok')"]).strip() == "ok"
    with pytest.raises(ToolMissing, match="not found"):
        run_tool(["accelmark-no-such-tool-xyz"])
    with pytest.raises(ToolError, match="status 3: boom"):
        run_tool([sys.executable, "-c", "import sys; sys.stderr.write('boom'); sys.exit(3)"])
    start = time.monotonic()
    with pytest.raises(ToolError, match="did not answer"):
        run_tool([sys.executable, "-c", "import time; time.sleep(10)"], timeout=0.3)
    assert time.monotonic() - start < 5


# -- NVIDIA (NVML) ---------------------------------------------------------------


def test_nvidia_a100_sxm4_x4() -> None:
    nvml = fakes.fake_pynvml(fakes.load_json("nvml_a100_sxm4_80gb_x4.json"))
    result = nvidia.probe(nvml)
    assert [a.name for a in result.accelerators] == ["NVIDIA A100-SXM4-80GB"] * 4
    first = result.accelerators[0]
    assert (first.vendor, first.platform, first.memory_gb) == ("NVIDIA", "nvidia", 80.0)
    assert first.driver_version == "535.216.01"
    assert (first.compute_capability, first.supports_bf16) == ("8.0", True)
    assert [a.index for a in result.accelerators] == [0, 1, 2, 3]
    assert result.runtime_version == "CUDA 12.2"
    assert result.intra_node_interconnect == "NVLink"
    assert result.pcie_generation == "PCIe Gen 4"
    assert result.notes == []
    assert nvml.calls == ["nvmlInit", "nvmlShutdown"]


def test_nvidia_single_consumer_gpu_without_bf16_or_nvlink() -> None:
    result = nvidia.probe(fakes.fake_pynvml(fakes.load_json("nvml_gtx_1660_ti.json")))
    (gpu,) = result.accelerators
    assert (gpu.name, gpu.memory_gb) == ("NVIDIA GeForce GTX 1660 Ti", 6.0)
    assert (gpu.compute_capability, gpu.supports_bf16) == ("7.5", False)
    assert result.intra_node_interconnect is None  # one GPU: no interconnect to speak of
    assert result.pcie_generation == "PCIe Gen 3"


def test_nvidia_two_gpus_without_nvlink_are_linked_by_pcie() -> None:
    recording = fakes.load_json("nvml_gtx_1660_ti.json")
    recording["devices"] *= 2  # two of the recorded GPU: NvLinkState answers NOT_SUPPORTED for both
    result = nvidia.probe(fakes.fake_pynvml(recording))
    assert len(result.accelerators) == 2
    assert result.intra_node_interconnect == "PCIe"


def test_nvidia_old_bindings_return_bytes() -> None:
    nvml = fakes.fake_pynvml(fakes.load_json("nvml_gtx_1660_ti.json"))
    nvml.nvmlDeviceGetName = lambda h: b"NVIDIA GeForce GTX 1660 Ti"
    nvml.nvmlSystemGetDriverVersion = lambda: b"535.129.03"
    gpu = nvidia.probe(nvml).accelerators[0]
    assert (gpu.name, gpu.driver_version) == ("NVIDIA GeForce GTX 1660 Ti", "535.129.03")


@pytest.mark.parametrize(("encoded", "text"), [(12020, "12.2"), (12040, "12.4"), (11080, "11.8"), (13000, "13.0")])
def test_cuda_driver_version_decoding(encoded: int, text: str) -> None:
    assert nvidia.cuda_version(encoded) == text


def test_nvidia_missing_library(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nvidia, "module_available", lambda name: False)
    result = nvidia.probe()
    assert not result.found
    assert result.notes == ["NVIDIA: NVML bindings not installed (pip install nvidia-ml-py)."]


def test_nvidia_library_without_driver() -> None:
    nvml = fakes.fake_pynvml(None, init_error=12)  # NVML_ERROR_LIBRARY_NOT_FOUND
    result = nvidia.probe(nvml)
    assert not result.found
    assert "NVML Shared Library Not Found" in result.notes[0]


def test_nvidia_query_error_still_shuts_nvml_down() -> None:
    nvml = fakes.fake_pynvml(fakes.load_json("nvml_gtx_1660_ti.json"))

    def lost(handle: int) -> None:
        raise fakes.FakeNVMLError(15)  # NVML_ERROR_GPU_IS_LOST

    nvml.nvmlDeviceGetMemoryInfo = lost
    result = nvidia.probe(nvml)
    assert not result.found and "query failed" in result.notes[0]
    assert nvml.calls[-1] == "nvmlShutdown"


# -- AMD (amdsmi) ----------------------------------------------------------------


def _no_rocm_file(path: str) -> str:
    raise FileNotFoundError(path)


def test_amd_mi355x() -> None:
    smi = fakes.fake_amdsmi(fakes.load_json("amdsmi_mi355x.json"))
    result = amd.collect(smi, read_text=_no_rocm_file)
    (gpu,) = result.accelerators
    assert (gpu.name, gpu.vendor, gpu.platform) == ("AMD Instinct MI355X", "AMD", "amd")
    assert gpu.memory_gb == 288.0  # 294896 MiB
    assert gpu.driver_version == "6.16.6"
    assert gpu.firmware_version is None  # "N/A" is amdsmi's "unknown"
    assert gpu.supports_bf16 is None  # gfx arch not recorded
    assert result.runtime_version == "ROCm (version unknown)"
    assert result.intra_node_interconnect is None


def test_amd_probe_opens_and_closes_the_library() -> None:
    smi = fakes.fake_amdsmi(fakes.load_json("amdsmi_mi355x.json"))
    result = amd.probe(smi)
    assert result.found and result.notes == []
    assert smi.calls == ["amdsmi_init", "amdsmi_shut_down"]


def test_amd_memory_from_vram_info_when_memory_total_is_missing() -> None:
    smi = fakes.fake_amdsmi(fakes.load_json("amdsmi_mi355x.json"))
    del smi.AmdSmiMemoryType  # older amdsmi: only amdsmi_get_gpu_vram_info (MB)
    assert amd.collect(smi, read_text=_no_rocm_file).accelerators[0].memory_gb == 288.0


def test_amd_rocm_version_from_the_library() -> None:
    smi = fakes.fake_amdsmi(fakes.load_json("amdsmi_mi355x.json"))
    smi.amdsmi_get_rocm_version = lambda: (True, "6.4.1")  # documented (status, version) tuple
    assert amd.collect(smi, read_text=_no_rocm_file).runtime_version == "ROCm 6.4.1"


@pytest.mark.parametrize(("link_type", "expected"), [(2, "XGMI"), (1, "PCIe")])
def test_amd_interconnect_between_two_gpus(link_type: int, expected: str) -> None:
    recording = fakes.load_json("amdsmi_mi355x.json")
    recording["devices"] *= 2  # two of the recorded GPU, linked as amdsmi_topo_get_link_type says
    result = amd.collect(fakes.fake_amdsmi(recording, link_type=link_type), read_text=_no_rocm_file)
    assert len(result.accelerators) == 2
    assert result.intra_node_interconnect == expected


@pytest.mark.parametrize(("arch", "bf16"), [("gfx942", True), ("gfx90a", True), ("gfx1100", True),
                                             ("gfx906", False), ("gfx1030", False)])
def test_amd_bf16_by_architecture(arch: str, bf16: bool) -> None:
    recording = fakes.load_json("amdsmi_mi355x.json")
    recording["devices"][0]["amdsmi_get_gpu_asic_info"]["target_graphics_version"] = arch
    gpu = amd.collect(fakes.fake_amdsmi(recording), read_text=_no_rocm_file).accelerators[0]
    assert gpu.supports_bf16 is bf16


def test_amd_missing_library(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(amd, "module_available", lambda name: False)
    result = amd.probe()
    assert not result.found and "not installed" in result.notes[0]


def test_amd_library_without_libamd_smi_prints_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # amdsmi 7.0.2's wrapper prints to stdout and then fails with KeyError when
    # libamd_smi.so is missing (amdsmi_wrapper.py, find_smi_library); a stand-in
    # package does the same so `detect --json` can be shown to stay clean.
    package = tmp_path / "amdsmi"
    package.mkdir()
    (package / "__init__.py").write_text(
        "print('Could not load libamd_smi.so')\n"
        "print('Unable to find libamd_smi.so library try installing amd-smi-lib from your package manager')\n"
        "raise KeyError('libamd_smi.so')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "amdsmi", raising=False)
    result = amd.probe()
    assert not result.found
    assert result.notes == ["AMD: amdsmi could not load (Could not load libamd_smi.so)."]
    assert capsys.readouterr().out == ""


def test_amd_init_failure() -> None:
    result = amd.probe(fakes.fake_amdsmi(None, init_error=True))
    assert not result.found and "amdsmi_init failed (AMDSMI_STATUS_DRIVER_NOT_LOADED)" in result.notes[0]


# -- Ascend (npu-smi) --------------------------------------------------------------


def _ascend(text_fixture: str) -> object:
    tools = fakes.RecordedTools({"npu-smi info": fakes.load_text(text_fixture)})
    return ascend.probe(tools, cann_version=lambda: None)


def test_ascend_910b_eight_npus() -> None:
    result = _ascend("npu_smi_info_910b_x8.txt")
    assert len(result.accelerators) == 8
    assert {a.name for a in result.accelerators} == {"Huawei Ascend 910B"}
    first = result.accelerators[0]
    assert (first.vendor, first.platform, first.memory_gb) == ("Huawei", "ascend", 32.0)  # HBM, not DDR
    assert first.driver_version == "24.1.0"
    assert first.supports_bf16 is True
    assert first.extra["bus_id"] == "0000:C1:00.0"
    assert [a.extra["npu_id"] for a in result.accelerators] == list(range(8))
    assert result.runtime_version == "CANN (version unknown)"


def test_ascend_310p3_ignores_the_process_table() -> None:
    result = _ascend("npu_smi_info_310p3.txt")
    (npu,) = result.accelerators
    assert npu.name == "Huawei Ascend 310P3"
    assert npu.memory_gb == 21.0  # 21525 MB of DDR
    assert (npu.extra["npu_id"], npu.index) == (6, 0)
    assert npu.driver_version == "25.3.rc1"
    assert npu.supports_bf16 is False


def test_ascend_cann_version() -> None:
    tools = fakes.RecordedTools({"npu-smi info": fakes.load_text("npu_smi_info_310p3.txt")})
    assert ascend.probe(tools, cann_version=lambda: "8.0.RC1").runtime_version == "CANN 8.0.RC1"
    assert ascend.parse_install_info("package_name=Ascend-cann-toolkit\nversion=8.0.RC1\n") == "8.0.RC1"
    assert ascend.parse_install_info("nothing here") is None


def test_ascend_missing_tool() -> None:
    result = ascend.probe(fakes.RecordedTools({}), cann_version=lambda: None)
    assert not result.found
    assert result.notes == ["Ascend: `npu-smi` not found (no Ascend NPU driver installed)."]


def test_ascend_erroring_tool() -> None:
    tools = fakes.RecordedTools({}, failing={"npu-smi info": "`npu-smi info` exited with status 255"})
    result = ascend.probe(tools, cann_version=lambda: None)
    assert not result.found and result.notes == ["Ascend: `npu-smi info` exited with status 255."]


def test_ascend_tool_listing_nothing() -> None:
    result = ascend.probe(fakes.RecordedTools({"npu-smi info": ""}), cann_version=lambda: None)
    assert not result.found and "listed no NPU" in result.notes[0]


# -- Apple silicon ---------------------------------------------------------------------


def _apple_tools() -> object:
    return fakes.RecordedTools(fakes.load_json("apple_m4_macbook_pro.json")["commands"])


def test_apple_m4() -> None:
    result = apple.probe(_apple_tools(), system="Darwin", macos_version="")
    (soc,) = result.accelerators
    assert (soc.name, soc.vendor, soc.platform) == ("Apple M4", "Apple", "apple")
    assert soc.memory_gb == 16.0  # unified memory = hw.memsize
    assert soc.extra["gpu_cores"] == 10 and soc.extra["unified_memory"] is True
    assert soc.supports_bf16 is True
    assert soc.driver_version == "macOS (version unknown)"
    assert result.runtime_version == "Metal 4"


def test_apple_without_system_profiler_still_finds_the_soc() -> None:
    commands = dict(fakes.load_json("apple_m4_macbook_pro.json")["commands"])
    del commands["system_profiler SPDisplaysDataType -json"]
    result = apple.probe(fakes.RecordedTools(commands), system="Darwin", macos_version="15.1")
    assert result.accelerators[0].memory_gb == 16.0
    assert "gpu_cores" not in result.accelerators[0].extra
    assert result.runtime_version == "Metal (version unknown)"
    assert result.accelerators[0].driver_version == "macOS 15.1"


def test_apple_probe_off_macos_and_on_intel_macs() -> None:
    tools = _apple_tools()
    assert apple.probe(tools, system="Linux").notes == ["Apple: not macOS (Linux)."]
    assert tools.calls == []  # nothing run off macOS
    intel = fakes.RecordedTools({"sysctl -n machdep.cpu.brand_string": "Intel(R) Xeon(R) Processor\n",
                                 "sysctl -n hw.memsize": "17179869184\n"})
    result = apple.probe(intel, system="Darwin")
    assert not result.found and "not Apple silicon" in result.notes[0]


def test_apple_missing_sysctl() -> None:
    result = apple.probe(fakes.RecordedTools({}), system="Darwin")
    assert not result.found and "`sysctl` not found" in result.notes[0]


@pytest.mark.parametrize(("chip", "bf16"), [("Apple M1", False), ("Apple M1 Max", False),
                                            ("Apple M2 Pro", True), ("Apple M4", True)])
def test_apple_bf16(chip: str, bf16: bool) -> None:
    assert apple.supports_bf16(chip) is bf16
