"""The background-load sampler against real busy processes it starts (a `python -c` spin loop),
and the warnings a recorded share gives.

The machine running the tests is shared, so its other load is unknown: each test samples one
interval with two samplers at once, one that owns the spinner and one that does not, and the
difference between them is the spinner, checked against the spinner's own CPU time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

from accelmark_tui.detect import background
from accelmark_tui.detect.background import BackgroundSampler, listening_pids

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from openai_server import FakeOpenAI  # noqa: E402

# Spins for at most 30 s, so a test that dies never leaves it running for long.
SPIN = "import time\nend = time.monotonic() + 30\nwhile time.monotonic() < end:\n    pass\n"


def _cpu_seconds(pid: int) -> float:
    t = psutil.Process(pid).cpu_times()
    return t.user + t.system


def _window(spinner: int, samplers: list[BackgroundSampler], seconds: float = 3.0) -> float:
    """Sample one window with every sampler at once; the spinner's CPU seconds over it."""
    time.sleep(0.3)  # the interpreter has started and spins
    before = _cpu_seconds(spinner)
    for s in samplers:
        s.start()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.5)
        for s in samplers:
            s.sample()
    for s in samplers:
        s.sample(final=True)
    return _cpu_seconds(spinner) - before


def _share(cpu_s: float, summary: dict) -> float:
    return cpu_s / (summary["seconds"] * psutil.cpu_count())


def _kill(pid: int) -> None:
    try:
        psutil.Process(pid).kill()
    except psutil.NoSuchProcess:
        pass


def test_a_busy_process_outside_the_sampled_tree_counts_as_background():
    # Started through a launcher that exits at once, so the spinner is nobody's child here.
    launcher = subprocess.run([sys.executable, "-c", "import subprocess, sys; print(subprocess.Popen("
                               f"[sys.executable, '-c', {SPIN!r}], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True).pid)"],
                              capture_output=True, text=True, timeout=30, check=True)
    spinner = int(launcher.stdout)
    try:
        assert os.getpid() not in [p.pid for p in psutil.Process(spinner).parents()]
        seen = BackgroundSampler([os.getpid()])  # the spinner is not ours: background
        owned = BackgroundSampler([os.getpid(), spinner])  # the same interval, the spinner owned
        cpu_s = _window(spinner, [seen, owned])
    finally:
        _kill(spinner)
    busy, quiet = seen.summary(), owned.summary()
    spin = _share(cpu_s, busy)
    assert spin > 0.1, f"the spinner hardly ran ({spin:.0%} of the machine)"
    assert busy["samples"] >= 5 and busy["cpus"] == psutil.cpu_count()
    # Counted as background, the spinner lifts the share well above what the same interval shows without it.
    assert busy["mean_share"] - quiet["mean_share"] >= 0.8 * spin, (busy, quiet, spin)
    assert busy["mean_share"] - quiet["mean_share"] <= 1.2 * spin + 0.02, (busy, quiet, spin)
    assert busy["max_share"] >= busy["mean_share"] and "unavailable" not in busy


def test_a_busy_child_of_the_sampled_tree_is_not_counted():
    child = subprocess.Popen([sys.executable, "-c", SPIN])  # inside this process's tree
    try:
        mine = BackgroundSampler([os.getpid()])  # as a run sees its runner child
        nobody = BackgroundSampler([])  # owns nothing: the child is background here
        cpu_s = _window(child.pid, [mine, nobody])
    finally:
        child.kill()
        child.wait()
    ours, everyone = mine.summary(), nobody.summary()
    spin = _share(cpu_s, ours)
    assert spin > 0.1, f"the spinner hardly ran ({spin:.0%} of the machine)"
    # The child's CPU is exactly what separates the two (plus this test's own, a little).
    assert everyone["mean_share"] - ours["mean_share"] >= 0.8 * spin, (ours, everyone, spin)


def test_without_psutil_the_share_is_none_and_says_why(monkeypatch):
    monkeypatch.setitem(sys.modules, "psutil", None)  # `import psutil` raises ImportError
    s = BackgroundSampler([os.getpid()])
    s.start()
    assert s.sample(final=True) is None
    assert s.summary() == {"mean_share": None, "max_share": None, "samples": 0, "seconds": 0.0, "cpus": None,
                           "unavailable": "psutil is not installed"}


def test_unreadable_cpu_times_are_none_with_the_reason(monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError("/proc/stat")

    monkeypatch.setattr(psutil, "cpu_times", refuse)
    s = BackgroundSampler([os.getpid()], note="a caveat")
    s.start()
    summary = s.summary()
    assert summary["mean_share"] is None and summary["samples"] == 0 and summary["note"] == "a caveat"
    assert summary["unavailable"].startswith("the system's CPU times cannot be read (PermissionError")


def test_at_most_two_samples_a_second():
    s = BackgroundSampler([os.getpid()])
    s.start()
    assert s.sample() is None  # too soon after the baseline
    time.sleep(1.0 / background.MAX_HZ + 0.05)
    assert s.sample() is not None and s.sample() is None


def test_the_process_listening_on_a_port_is_found():
    with FakeOpenAI(tokens=2) as srv:
        assert srv.proc is not None and srv.port is not None
        assert srv.proc.pid in listening_pids(srv.port)


def _bg(mean: float, samples: int = 20) -> dict:
    return {"mean_share": mean, "max_share": mean + 0.1, "samples": samples, "seconds": float(samples), "cpus": 2}


def test_warnings_while_measuring_wait_for_a_few_samples():
    from accelmark_tui.results.background import SO_FAR_SAMPLES, scenario_warning

    assert scenario_warning("offline", _bg(0.5, SO_FAR_SAMPLES - 1), so_far=True) is None  # one busy second
    live = scenario_warning("offline", _bg(0.5, SO_FAR_SAMPLES), so_far=True)
    assert live and live.startswith("warning: other processes are using 50% (max 60%) of the CPU while offline is "
                                    "measured (so far), above the 10% threshold")
    assert scenario_warning("offline", _bg(0.1)) is None  # at the threshold, not over it
    assert scenario_warning("offline", {"mean_share": None, "unavailable": "psutil is not installed"}) is None
    noted = scenario_warning("offline", {**_bg(0.9), "note": "the server could not be identified"})
    assert noted and noted.endswith("(the server could not be identified)")


def test_compare_flags_a_difference_below_the_threshold():
    from accelmark_tui.results.background import compare_warnings

    a = {"offline": {"background_cpu": _bg(0.01)}, "interactive": {"background_cpu": _bg(0.02)}}
    b = {"offline": {"background_cpu": _bg(0.08)}, "interactive": {"background_cpu": _bg(0.04)}}
    assert compare_warnings(a, b) == ["⚠ Background load differs between the runs by more than 5% of the CPU: "
                                      "offline A 1%, B 8%."]
    assert compare_warnings(a, {"offline": {}}) == []  # a run saved before the sampler: nothing to say
