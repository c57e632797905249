"""Fixed data for the app's Pilot and snapshot tests.

Screens get everything from ``app.services``, so these fixtures hand the app a
``Services`` built from a fixed Machine, a deterministic telemetry callable
and a temp results root: the screens render the same on every machine.
Snapshots depend on Textual 8.2.8, the terminal size and the theme, so every
app here sets its theme explicitly.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from accelmark_tui.detect import build_machine, nvidia
from accelmark_tui.detect.machine import CpuInfo, Machine
from accelmark_tui.ui.app import AccelmarkApp
from accelmark_tui.ui.services import Services

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "detect"
_spec = importlib.util.spec_from_file_location("detect_fakes", FIXTURES / "fakes.py")
fakes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fakes)

SIZES = {"wide": (120, 40), "small": (80, 24)}

# The 2-vCPU Xeon these tests were written on, as `accelmark detect --json` reported it.
CPU_MACHINE: dict[str, Any] = {
    "collected_at": "2026-01-05T09:00:00+00:00",
    "accelerators": [],
    "cpu": {
        "model": "Intel(R) Xeon(R) Processor", "vendor": "Intel", "physical_cores": 2, "logical_cores": 2,
        "numa_nodes": 1, "flags": ["avx2", "avx512f", "avx512_bf16", "amx_bf16", "fma"], "sockets": 1,
        "arch": "x86_64", "usable_cores": 2,
    },
    "system_memory_gb": 23.5,
    "os": "Debian GNU/Linux 12 (bookworm)",
    "kernel_version": "6.1.0-28-amd64",
    "python_version": "3.11.7",
    "platform": "cpu",
    "runtime_version": "none (CPU)",
    "driver_version": "none (CPU)",
    "pcie_generation": "n/a (CPU only)",
    "probe_notes": [
        "NVIDIA: NVML bindings not installed (pip install nvidia-ml-py).",
        "AMD: amdsmi library not installed (install ROCm's amd-smi library and `pip install amdsmi`).",
        "Ascend: `npu-smi` not found (no Ascend NPU driver installed).",
        "Apple: not macOS (Linux).",
    ],
}


def cpu_machine() -> Machine:
    return Machine.from_dict(CPU_MACHINE)


def nvidia_machine() -> Machine:
    """One GTX 1660 Ti, from the recorded NVML responses in tests/fixtures/detect/."""
    result = nvidia.probe(fakes.fake_pynvml(fakes.load_json("nvml_gtx_1660_ti.json")))
    cpu = CpuInfo(model="AMD Ryzen 7 5800X 8-Core Processor", vendor="AMD", physical_cores=8, logical_cores=16,
                  numa_nodes=1, flags=["avx2", "fma"], arch="x86_64")
    return build_machine(cpu, 31.3, [result], os_name="Ubuntu 22.04.3 LTS", kernel_version="6.5.0-14-generic",
                         python_version="3.11.7", collected_at="2024-01-10T12:00:00+00:00")


class FixedTelemetry:
    """A telemetry callable replaying a fixed series (then holding its last sample)."""

    CPU = [12.0, 35.0, 78.0, 96.0, 64.0, 41.0, 22.0, 18.0, 55.0, 88.0, 70.0, 30.0]
    RAM = [3.1, 3.2, 3.6, 4.4, 4.5, 4.3, 3.9, 3.7, 3.8, 4.6, 4.4, 3.9]

    def __init__(self, gpus: list[dict[str, Any]] | None = None) -> None:
        self.calls = 0
        self.gpus = gpus or []

    def series(self, n: int | None = None) -> list[dict[str, Any]]:
        n = len(self.CPU) if n is None else n
        return [self.at(i) for i in range(n)]

    def at(self, i: int) -> dict[str, Any]:
        i = min(i, len(self.CPU) - 1)
        gpus = [dict(g, util_percent=(g["util_percent"] + 7 * i) % 100) if g.get("util_percent") is not None
                else dict(g) for g in self.gpus]
        return {"time": 1767603600.0 + i, "monotonic": float(i), "cpu_percent": self.CPU[i],
                "ram_used_gb": self.RAM[i], "ram_total_gb": 23.5, "accelerators": gpus}

    def __call__(self) -> dict[str, Any]:
        sample = self.at(self.calls)
        self.calls += 1
        return sample


# The GTX 1660 Ti's gauges as its nvidia-smi recording shows them (fixtures/detect/nvml_gtx_1660_ti.json).
GTX_GAUGES = {"index": 0, "name": "NVIDIA GeForce GTX 1660 Ti", "vendor": "NVIDIA", "memory_total_gb": 6.0,
              "util_percent": 2.0, "memory_used_gb": 0.11, "temperature_c": 32.0, "power_w": 7.0}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # Textual runs on asyncio; the async tests here use anyio's pytest plugin


@pytest.fixture
def results_root(tmp_path: Path) -> Path:
    root = tmp_path / "results"
    root.mkdir()
    return root


@pytest.fixture(autouse=True)
def _no_github_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """The submit screen looks for a token: none from this machine's environment reaches a test."""
    for var in ("GITHUB_TOKEN", "GH_TOKEN", "ACCELMARK_GITHUB_API"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def services(results_root: Path) -> Services:
    # gh_cli=None: never ask this machine's GitHub CLI for a token.
    return Services(detect=cpu_machine, results_root=results_root, telemetry=FixedTelemetry(), gh_cli=None)


@pytest.fixture
def gpu_services(results_root: Path) -> Services:
    return Services(detect=nvidia_machine, results_root=results_root, telemetry=FixedTelemetry([GTX_GAUGES]),
                    gh_cli=None)


@pytest.fixture
def make_app(services: Services):
    """Build the app on the fixed services with an explicit theme."""

    def make(theme: str = "textual-dark", svc: Services | None = None) -> AccelmarkApp:
        app = AccelmarkApp(services=svc or services)
        app.theme = theme
        return app

    return make


@pytest.fixture
def slow_sampling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Snapshots: take only the first telemetry sample on mount; tests replay the rest."""
    from accelmark_tui.screens.home import HomeScreen

    monkeypatch.setattr(HomeScreen, "SAMPLE_SECONDS", 3600.0)


async def settle(pilot) -> None:
    """Wait until workers finished and their messages were handled.

    DirectoryTree's queue worker (group "_loader") never ends by design, so it is not waited for.
    """
    for _ in range(2):
        pending = [w for w in pilot.app.workers if w.group != "_loader" and not w.is_finished]
        if pending:
            await pilot.app.workers.wait_for_complete(pending)
        await pilot.pause()


def text_of(widget: Any) -> str:
    """The plain text a Static (or Label) was last given, tables included."""
    import io

    from rich.console import Console

    content = widget.content
    if isinstance(content, str):
        return content
    console = Console(width=200, file=io.StringIO(), record=True, color_system=None)
    console.print(content)
    return console.export_text()




@pytest.fixture
def fake_live(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Replace LiveRunScreen with a screen that records the RunRequest it was given."""
    from textual.screen import Screen
    from textual.widgets import Static

    import accelmark_tui.screens.live_run as live_run

    started: list[Any] = []

    class LiveRunScreen(Screen):
        def __init__(self, request: Any) -> None:
            super().__init__()
            self.request = request
            started.append(request)

        def compose(self):
            yield Static("live run (test stand-in)")

    monkeypatch.setattr(live_run, "LiveRunScreen", LiveRunScreen)
    return started


@pytest.fixture
def tui():
    """Helpers for the tests in this folder (conftest modules cannot be imported by name)."""
    from types import SimpleNamespace

    return SimpleNamespace(settle=settle, text=text_of, sizes=SIZES, FixedTelemetry=FixedTelemetry,
                           cpu_machine=cpu_machine, nvidia_machine=nvidia_machine, gtx=GTX_GAUGES)


class FakeClock:
    """Stands in for the ``time`` module inside engine.live, so elapsed/ETA and log stamps are fixed."""

    def __init__(self) -> None:
        self.t = 1000.0

    def monotonic(self) -> float:
        return self.t

    def strftime(self, fmt: str) -> str:
        s = int(self.t - 1000.0)
        return f"12:{s // 60:02d}:{s % 60:02d}"


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    from accelmark_tui.engine import live as live_mod

    c = FakeClock()
    monkeypatch.setattr(live_mod, "time", c)
    return c


@pytest.fixture
def live_app():
    """The real app shell with a given screen pushed over home: ``live_app(lambda: screen, services=...)``."""
    from accelmark_tui.ui.app import AccelmarkApp

    class LiveApp(AccelmarkApp):
        def __init__(self, screen_factory, **kwargs) -> None:
            super().__init__(**kwargs)
            self._factory = screen_factory

        def on_mount(self) -> None:
            self.push_screen(self._factory())

    return LiveApp
