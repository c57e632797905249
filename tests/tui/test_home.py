"""Home: detection never blocks the first paint; live gauges; next steps by key."""

from __future__ import annotations

import threading

import pytest

from accelmark_tui.errors import UsageError
from accelmark_tui.ui.services import Services

pytestmark = pytest.mark.anyio


async def test_first_paint_shows_placeholder_then_the_cpu(results_root, make_app, tui):
    gate = threading.Event()

    def slow_detect():
        gate.wait(10)  # detection still running when the screen first paints
        return tui.cpu_machine()

    app = make_app(svc=Services(detect=slow_detect, results_root=results_root, telemetry=tui.FixedTelemetry()))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert type(app.screen).__name__ == "HomeScreen"
        assert "Detecting" in tui.text(app.screen.query_one("#machine-info"))
        gate.set()
        await tui.settle(pilot)
        info = tui.text(app.screen.query_one("#machine-info"))
        assert "Intel(R) Xeon(R) Processor" in info
        assert "CPU is the benchmark chip" in info
        assert "2 physical / 2 logical" in info and "1 NUMA node" in info
        assert "23.5 GB" in info and "Debian GNU/Linux 12" in info
        assert app.screen.has_class("-detected")


async def test_gpu_machine_lists_the_gpu_and_its_gauges(gpu_services, make_app, tui):
    app = make_app(svc=gpu_services)
    async with app.run_test(size=(120, 40)) as pilot:
        await tui.settle(pilot)
        info = tui.text(app.screen.query_one("#machine-info"))
        assert "NVIDIA GeForce GTX 1660 Ti · 6 GB" in info
        assert "535.129.03 · CUDA 12.2" in info
        assert "CPU is the benchmark chip" not in info
        gauges = app.screen.query_one("#gauges")
        assert set(gauges.rows) == {"cpu", "ram", "acc#0-util_percent", "acc#0-memory_used_gb",
                                    "acc#0-temperature_c", "acc#0-power_w"}
        assert tui.text(app.screen.query_one("#gauge-acc0-temperature_c .gauge-value")) == "32 °C"
        # The gauge shows the newest sample (a slow machine may have taken a second one by now).
        shown = tui.text(app.screen.query_one("#gauge-cpu .gauge-value"))
        assert shown in {f"{v:.0f} %" for v in gpu_services.telemetry.CPU[:max(1, gpu_services.telemetry.calls)]}


async def test_telemetry_samples_only_while_home_is_showing(services, make_app, tui, monkeypatch):
    from accelmark_tui.screens.home import HomeScreen

    monkeypatch.setattr(HomeScreen, "SAMPLE_SECONDS", 0.05)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        assert services.telemetry.calls >= 3
        await pilot.press("c")
        await tui.settle(pilot)
        covered = services.telemetry.calls
        await pilot.pause(0.3)
        assert services.telemetry.calls <= covered + 1  # at most the sample already in flight
        await pilot.press("escape")
        await pilot.pause(0.3)
        assert services.telemetry.calls >= covered + 3


async def test_home_samples_on_one_sampler_paused_while_covered_and_stopped_at_the_end(services, make_app, tui,
                                                                                       monkeypatch):
    from results_data import until

    from accelmark_tui.screens.home import HomeScreen

    monkeypatch.setattr(HomeScreen, "SAMPLE_SECONDS", 0.05)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await tui.settle(pilot)
        home = app.screen
        sampler = home._sampler
        assert sampler is not None and sampler._thread.is_alive()
        assert not [w for w in app.workers if w.group == "telemetry"]  # only the first sample's wait was one
        await pilot.pause(0.3)
        drawn = len(home.query_one("#gauge-cpu").values)
        assert drawn >= 3  # the screen's timer draws what the thread sampled
        await pilot.press("c")
        await tui.settle(pilot)
        await pilot.pause(0.1)  # a sample in flight may still land
        covered = sampler.taken
        await pilot.pause(0.3)
        assert sampler.taken == covered and home._sampler is sampler
        await pilot.press("escape")
        await pilot.pause(0.3)
        assert sampler.taken >= covered + 3
        assert len(home.query_one("#gauge-cpu").values) > drawn
    assert until(lambda: not sampler._thread.is_alive())  # the app's end unmounts home: sampling stops


async def test_a_broken_gauge_stops_telemetry_quietly(results_root, make_app, tui):
    def broken():
        raise UsageError("The GPU gauge went away.")

    app = make_app(svc=Services(detect=tui.cpu_machine, results_root=results_root, telemetry=broken))
    async with app.run_test(size=(120, 40)) as pilot:
        await tui.settle(pilot)
        assert type(app.screen).__name__ == "HomeScreen"  # no dialog
        assert tui.text(app.screen.query_one("#gauges .gauges-error")) == "Telemetry stopped: The GPU gauge went away."


async def test_recent_runs_list_the_results_folder(make_app, tui, results_root):
    import shutil
    from pathlib import Path

    example = Path(__file__).resolve().parents[1] / "fixtures" / "results" / "example-result"
    shutil.copytree(example, results_root / "community" / "mtt_s4000x1_suite_F_moorethreads_vllm_musa_f2f6f965_4f66d29d")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await tui.settle(pilot)
        runs = tui.text(app.screen.query_one("#recent-runs"))
        # Model and what its weights are (a quant ladder's runs differ only there), the runner, the headline.
        assert "Qwen2.5-0.5B-Instruct BF16" in runs and "moorethreads_vllm_musa" in runs
        assert "67.3 decode tok/s" in runs and "complete" not in runs  # said only when a run is not


async def test_no_telemetry_says_so(results_root, make_app, tui):
    app = make_app(svc=Services(detect=tui.cpu_machine, results_root=results_root, telemetry=None))
    async with app.run_test(size=(80, 24)) as pilot:
        await tui.settle(pilot)
        assert "No live telemetry" in tui.text(app.screen.query_one("#gauges .gauges-empty"))


async def test_detection_failure_is_a_dialog_and_the_app_stays_up(results_root, make_app, tui):
    def broken():
        raise UsageError("Detection failed on purpose; try `accelmark detect`.")

    app = make_app(svc=Services(detect=broken, results_root=results_root, telemetry=None))
    async with app.run_test(size=(80, 24)) as pilot:
        await tui.settle(pilot)
        assert type(app.screen).__name__ == "ErrorModal"
        assert "Detection failed on purpose" in tui.text(app.screen.query_one("#error-text"))
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "HomeScreen"
        assert "Detection failed" in tui.text(app.screen.query_one("#machine-info"))


@pytest.mark.parametrize(("key", "screen"), [("r", "RunSetupScreen"), ("c", "CatalogScreen"),
                                             ("v", "ResultsScreen"), ("s", "ResultsScreen")])
async def test_next_step_keys(key, screen, make_app, tui):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await tui.settle(pilot)
        await pilot.press(key)
        await tui.settle(pilot)
        assert type(app.screen).__name__ == screen
        if key == "r":
            assert app.screen.query_one("#suite").value == "suite_Quick"
            assert str(app.screen.query_one("#runner").value).startswith("cpu_llamacpp_")
        if key == "s":
            assert any("press s: the submit screen" in n.message for n in app._notifications)


async def test_quick_button_is_focused_so_enter_sets_up_the_quick_suite(make_app, tui):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await tui.settle(pilot)
        await pilot.press("enter")
        await tui.settle(pilot)
        assert type(app.screen).__name__ == "RunSetupScreen"


# -- snapshots --------------------------------------------------------------------------------


def _replay(tui, gpus=None):
    """Detection done, then a fixed 12-sample telemetry series (the timer is held off)."""

    async def run_before(pilot) -> None:
        await tui.settle(pilot)
        gauges = pilot.app.screen.query_one("#gauges")
        await gauges.reset()
        for sample in tui.FixedTelemetry(gpus).series():
            gauges.add_sample(sample)
            await pilot.pause()
        await tui.settle(pilot)

    return run_before


@pytest.mark.usefixtures("slow_sampling")
class TestHomeSnapshots:
    @pytest.mark.parametrize("size", ["wide", "small"])
    def test_cpu_machine(self, size, snap_compare, make_app, tui):
        assert snap_compare(make_app(), terminal_size=tui.sizes[size], run_before=_replay(tui))

    @pytest.mark.parametrize("size", ["wide", "small"])
    def test_gpu_machine(self, size, snap_compare, make_app, gpu_services, tui):
        assert snap_compare(make_app(svc=gpu_services), terminal_size=tui.sizes[size],
                            run_before=_replay(tui, [tui.gtx]))

    def test_light_theme(self, snap_compare, make_app, tui):
        assert snap_compare(make_app("textual-light"), terminal_size=tui.sizes["wide"], run_before=_replay(tui))


async def test_a_corrupt_settings_file_is_reported_when_the_app_starts(make_app, tui):
    import os
    from pathlib import Path

    settings = Path(os.environ["ACCELMARK_CONFIG_DIR"]) / "settings.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text('{"submit_repo": ', encoding="utf-8")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await tui.settle(pilot)
        [note] = [n for n in app._notifications if n.title == "Settings not used"]
        assert str(settings) in note.message and "fix the file or delete it" in note.message
        assert note.severity == "error"
