"""The telemetry sampler: a plain thread, bounded, pausable, and quiet on failure."""

from __future__ import annotations

import itertools
import time

from results_data import until

from accelmark_tui.ui.sampler import PeriodicSampler


def test_samples_on_its_period_keeps_the_last_few_and_pauses():
    counter = itertools.count()
    sampler = PeriodicSampler(lambda: {"n": next(counter)}, period=0.02, keep=5)
    sampler.start()
    try:
        assert sampler.first.wait(2)
        assert until(lambda: len(sampler.snapshot()) == 5 and sampler.snapshot()[-1]["n"] >= 8)
        ns = [s["n"] for s in sampler.snapshot()]
        assert ns == list(range(ns[0], ns[0] + 5))  # the newest five, in order

        sampler.pause()
        time.sleep(0.1)  # a sample in flight may still land
        paused = sampler.snapshot()[-1]["n"]
        time.sleep(0.2)
        assert sampler.snapshot()[-1]["n"] == paused

        sampler.period = 60.0  # resuming samples at once, not a period later
        sampler.resume()
        assert until(lambda: sampler.snapshot()[-1]["n"] > paused)
    finally:
        sampler.stop()
    assert until(lambda: not sampler._thread.is_alive())


def test_a_failing_sample_ends_sampling_quietly():
    def broken():
        raise OSError("NVML went away")

    sampler = PeriodicSampler(broken, period=0.01)
    sampler.start()
    assert sampler.first.wait(2)
    assert until(lambda: not sampler._thread.is_alive())
    assert sampler.error is not None and sampler.snapshot() == []


def test_resume_without_a_pause_takes_no_extra_sample():
    """The screen resumes the sampler whenever it is shown (also right after start): only a real
    pause makes the next sample come at once; two samples in a row would read CPU % over ~0 s."""
    counter = itertools.count()
    sampler = PeriodicSampler(lambda: {"n": next(counter)}, period=60.0)
    sampler.start()
    try:
        assert sampler.first.wait(2)
        sampler.resume()
        time.sleep(0.2)
        assert [s["n"] for s in sampler.snapshot()] == [0]
        sampler.pause()
        sampler.resume()
        assert until(lambda: len(sampler.snapshot()) == 2)
        time.sleep(0.2)
        assert len(sampler.snapshot()) == 2
    finally:
        sampler.stop()


def test_since_hands_out_each_kept_sample_once():
    counter = itertools.count()
    sampler = PeriodicSampler(lambda: {"n": next(counter)}, period=0.01, keep=3)
    sampler.start()
    try:
        assert until(lambda: sampler.taken >= 5)
        sampler.pause()
        time.sleep(0.05)  # a sample in flight may still land
        new, seen = sampler.since(0)
        assert seen == sampler.taken and [s["n"] for s in new] == list(range(seen - 3, seen))  # only the kept
        assert sampler.since(seen) == ([], seen)
        sampler.resume()
        assert until(lambda: sampler.taken > seen)
        sampler.pause()
        time.sleep(0.05)
        newer, _ = sampler.since(seen)
        assert newer and newer[0]["n"] == seen
    finally:
        sampler.stop()


def test_stopping_releases_whoever_waits_for_the_first_sample():
    sampler = PeriodicSampler(lambda: {"n": 0}, period=60.0)
    sampler.stop()  # e.g. the screen went before a slow first sample came
    assert sampler.first.is_set() and sampler.snapshot() == []
