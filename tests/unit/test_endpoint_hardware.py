"""Whose hardware an endpoint run describes: local, declared, or undeclared."""

from __future__ import annotations

import pytest

from accelmark_tui.detect.machine import CpuInfo, Machine
from accelmark_tui.endpoint import probe, setup
from accelmark_tui.engine.session import RunRequest


@pytest.fixture
def served(monkeypatch):
    seen = {}

    def discover(base_url, key, model, timeout_s=10.0):
        seen["url"] = base_url
        return probe.EndpointInfo(base_url, ["m"], "m", server="vllm")

    monkeypatch.setattr(probe, "discover", discover)
    return seen


def machine() -> Machine:
    cpu = CpuInfo(model="Test CPU", vendor="Intel", arch="x86_64", physical_cores=2, logical_cores=2, numa_nodes=1)
    return Machine(cpu=cpu, system_memory_gb=16.0, collected_at="2026-11-22T00:00:00Z", accelerators=[],
                   os="Linux", kernel_version="6.1", python_version="3.11.7", platform="cpu",
                   runtime_version=None, driver_version=None)


def prepare(tmp_path, **kw):
    return setup.prepare_endpoint(RunRequest(options=kw), machine(), tmp_path / "server.log")


def test_loopback_is_this_machine(tmp_path, served):
    ep = prepare(tmp_path, base_url="http://127.0.0.1:8000")
    assert ep.endpoint["hardware_source"] == "local" and ep.chip["name"] == "Test CPU"
    assert served["url"] == "http://127.0.0.1:8000/v1"


def test_remote_with_a_declared_chip(tmp_path, served):
    ep = prepare(tmp_path, base_url="http://gpu-box.lan:8000/v1", chip="NVIDIA H100 80GB", chip_count=8,
                 precision="bf16")
    assert ep.endpoint["hardware_source"] == "declared"
    assert ep.chip["name"] == "NVIDIA H100 80GB" and ep.chip["vendor"] == "NVIDIA" and ep.chip["count"] == 8
    assert ep.model.extra["precision"] == "BF16" and ep.endpoint["precision_source"] == "declared"


def test_remote_without_a_chip_is_undeclared_and_its_url_is_not_kept(tmp_path, served):
    ep = prepare(tmp_path, base_url="https://api.example.com/v1")
    assert ep.endpoint["hardware_source"] == "undeclared"
    assert ep.chip["name"] == "undeclared remote hardware" and ep.chip["vendor"] == "Other"
    assert ep.endpoint["base_url"] == "https://api.example.com"  # scheme and host only
    assert ep.model.extra["precision"] == "mixed" and ep.endpoint["precision_source"] == "unknown"
