"""env_info() and chip() against the bundled upstream schemas, for this machine and every vendor fixture."""

from __future__ import annotations

import importlib.util
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from accelmark_tui.detect import amd, apple, ascend, build_machine, detect_machine, nvidia
from accelmark_tui.detect._probe import ProbeResult
from accelmark_tui.detect.machine import CHIP_VENDORS, CpuInfo, Machine

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "detect"
_spec = importlib.util.spec_from_file_location("detect_fakes", FIXTURES / "fakes.py")
fakes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fakes)

ENV_SCHEMA = json.loads((ROOT / "assets" / "schema" / "env.schema.json").read_text())
CHIP_SCHEMA = json.loads((ROOT / "assets" / "schema" / "result.schema.json").read_text())["properties"]["chip"]


def validate_env(env: dict[str, Any]) -> None:
    validator = jsonschema.Draft7Validator(ENV_SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    validator.validate(env)
    datetime.fromisoformat(env["collected_at"])  # format checks are lenient without extras; be sure


def validate_chip(chip: dict[str, Any]) -> None:
    jsonschema.Draft7Validator(CHIP_SCHEMA).validate(chip)


RECORDED_CPU = CpuInfo(model="Intel(R) Xeon(R) Processor", vendor="Intel", physical_cores=2, logical_cores=2,
                       numa_nodes=1, flags=["avx2", "avx512f"], arch="x86_64")


def machine_from(*results: ProbeResult) -> Machine:
    return build_machine(RECORDED_CPU, 23.5, results, os_name="Debian GNU/Linux 12 (bookworm)",
                         kernel_version="6.1.0", python_version="3.11.7")


def _no_rocm_file(path: str) -> str:
    raise FileNotFoundError(path)


def _vendor_results() -> dict[str, ProbeResult]:
    ascend_tools = {name: fakes.RecordedTools({"npu-smi info": fakes.load_text(f"npu_smi_info_{name}.txt")})
                    for name in ("910b_x8", "310p3")}
    return {
        "nvidia_a100_x4": nvidia.probe(fakes.fake_pynvml(fakes.load_json("nvml_a100_sxm4_80gb_x4.json"))),
        "nvidia_gtx_1660_ti": nvidia.probe(fakes.fake_pynvml(fakes.load_json("nvml_gtx_1660_ti.json"))),
        "amd_mi355x": amd.collect(fakes.fake_amdsmi(fakes.load_json("amdsmi_mi355x.json")), read_text=_no_rocm_file),
        "ascend_910b_x8": ascend.probe(ascend_tools["910b_x8"], cann_version=lambda: None),
        "ascend_310p3": ascend.probe(ascend_tools["310p3"], cann_version=lambda: None),
        "apple_m4": apple.probe(fakes.RecordedTools(fakes.load_json("apple_m4_macbook_pro.json")["commands"]),
                                system="Darwin", macos_version=""),
    }


EXPECTED_CHIPS = {
    "nvidia_a100_x4": ("NVIDIA A100-SXM4-80GB", "NVIDIA", 4, 80.0, "NVLink"),
    "nvidia_gtx_1660_ti": ("NVIDIA GeForce GTX 1660 Ti", "NVIDIA", 1, 6.0, None),
    "amd_mi355x": ("AMD Instinct MI355X", "AMD", 1, 288.0, None),
    "ascend_910b_x8": ("Huawei Ascend 910B", "Huawei", 8, 32.0, None),
    "ascend_310p3": ("Huawei Ascend 310P3", "Huawei", 1, 21.0, None),
    "apple_m4": ("Apple M4", "Apple", 1, 16.0, None),
}


def test_this_machine_env_info_validates() -> None:
    machine = detect_machine()
    env = machine.env_info()
    validate_env(env)
    validate_chip(machine.chip())
    assert env["accelerators"][0]["index"] == 0
    assert env["vendor_details"]["threads"] == machine.recommended_threads() >= 1
    json.dumps(env)  # serialisable as is


@pytest.mark.parametrize("name", sorted(EXPECTED_CHIPS))
def test_vendor_fixture_env_info_and_chip(name: str) -> None:
    result = _vendor_results()[name]
    assert result.found, result.notes
    machine = machine_from(result, ProbeResult(platform="other", notes=["Other: not here."]))
    env = machine.env_info()
    validate_env(env)
    assert env["accelerator_platform"] == result.platform
    assert env["runtime_version"] == result.runtime_version
    assert env["vendor_details"]["probe_notes"] == ["Other: not here."]
    chip = machine.chip()
    validate_chip(chip)
    assert (chip["name"], chip["vendor"], chip["count"], chip["memory_gb"], chip["interconnect_intra_node"]) \
        == EXPECTED_CHIPS[name]
    assert chip["interconnect_inter_node"] is None


def test_cpu_only_machine_uses_the_cpu_as_chip_and_accelerator() -> None:
    machine = machine_from(ProbeResult(platform="nvidia", notes=["NVIDIA: not installed."]))
    env = machine.env_info()
    validate_env(env)
    (acc,) = env["accelerators"]
    assert (acc["name"], acc["vendor"], acc["platform"]) == ("Intel(R) Xeon(R) Processor", "Intel", "cpu")
    assert acc["memory_gb"] == 23.5 and acc["driver_version"] == "none (CPU)"
    assert env["accelerator_platform"] == "cpu" and env["runtime_version"] == "none (CPU)"
    assert env["vendor_details"]["cpu_flags"] == ["avx2", "avx512f"]
    assert env["vendor_details"]["physical_cores"] == 2
    chip = machine.chip()
    validate_chip(chip)
    assert chip == {"name": "Intel(R) Xeon(R) Processor", "vendor": "Intel", "count": 1, "memory_gb": 23.5,
                    "interconnect_intra_node": None, "interconnect_inter_node": None}


def test_schema_rejects_what_upstream_rejects() -> None:
    env = machine_from().env_info()
    for broken in ({**env, "accelerators": []}, {**env, "unknown_key": 1},
                   {k: v for k, v in env.items() if k != "pcie_generation"}):
        with pytest.raises(jsonschema.ValidationError):
            validate_env(broken)
    with pytest.raises(jsonschema.ValidationError):
        validate_chip({**machine_from().chip(), "vendor": "Raspberry"})


def test_cpu_vendor_outside_the_enum_becomes_other() -> None:
    cpu = CpuInfo(model="Loongson-3A6000", vendor="Loongson", physical_cores=4, logical_cores=8, numa_nodes=1)
    machine = build_machine(cpu, 16.0, [], os_name="Linux")
    assert machine.chip()["vendor"] == "Other" and "Other" in CHIP_VENDORS
    validate_chip(machine.chip())


def test_first_vendor_with_devices_is_the_platform() -> None:
    results = _vendor_results()
    machine = machine_from(ProbeResult(platform="nvidia", notes=["NVIDIA: none."]), results["amd_mi355x"],
                           results["apple_m4"])
    assert machine.platform == "amd" and machine.primary().name == "AMD Instinct MI355X"
    assert machine.vendor_details["other_platforms"] == ["apple"]
    validate_env(machine.env_info())


def test_machine_round_trips_through_a_dict() -> None:
    machine = machine_from(_vendor_results()["nvidia_a100_x4"])
    assert Machine.from_dict(json.loads(json.dumps(machine.to_dict()))) == machine


def test_detect_machine_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELMARK_CACHE_DIR", str(tmp_path))
    calls: list[int] = []

    def probe() -> ProbeResult:
        calls.append(1)
        return ProbeResult(platform="nvidia", notes=["NVIDIA: none."])

    fresh = detect_machine(use_cache=True, probes=[probe])
    assert (tmp_path / "machine.json").is_file()
    again = detect_machine(use_cache=True, probes=[probe])
    assert again == fresh and len(calls) == 1  # served from the cache
    detect_machine(probes=[probe])
    assert len(calls) == 2  # the default is fresh detection
    (tmp_path / "machine.json").write_text("{not json")
    assert detect_machine(use_cache=True, probes=[probe]).cpu == fresh.cpu
    assert len(calls) == 3


def test_a_probe_bug_becomes_a_note() -> None:
    def broken() -> ProbeResult:
        raise RuntimeError("boom")

    machine = detect_machine(probes=[broken])
    assert machine.platform == "cpu"
    assert any("probe failed (boom)" in note for note in machine.probe_notes)
