"""Periodic telemetry sampling on a plain daemon thread.

Not a Textual thread worker: a worker posts state-change messages, three wake-ups of the UI
thread per sample, and during a run every wake-up of the app is CPU taken from the benchmark.
This thread only appends to a bounded deque that the screen's redraw reads.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, Callable


class PeriodicSampler:
    def __init__(self, sample: Callable[[], dict[str, Any]], period: float, keep: int = 120) -> None:
        self._sample = sample
        self.period = period  # read each round: changing it takes effect after the current wait
        self.samples: deque[dict[str, Any]] = deque(maxlen=keep)
        self.first = threading.Event()  # set once the first sample is in (or sampling gave up)
        self.failed = False
        self._lock = threading.Lock()  # the UI thread copies while this thread appends
        self._running = threading.Event()  # cleared while paused
        self._stopped = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="telemetry", daemon=True)

    def start(self) -> None:
        self._running.set()
        self._thread.start()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        """After a pause, sample now rather than a period later (not paused: nothing to do, so a
        sample is never taken twice in a row: CPU % over a few milliseconds reads 0 or 100)."""
        if self._running.is_set():
            return
        self._running.set()
        self._wake.set()

    def stop(self) -> None:
        self._stopped.set()
        self._running.set()
        self._wake.set()

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.samples)

    def _loop(self) -> None:
        while True:
            self._running.wait()
            self._wake.clear()  # a resume while paused has done its job: the sample is next
            if self._stopped.is_set():
                return
            try:
                sample = self._sample()
                with self._lock:
                    self.samples.append(sample)
            except Exception:  # noqa: BLE001 - telemetry is decoration; a broken gauge must not end a run
                self.failed = True
                return
            finally:
                self.first.set()
            self._wake.wait(self.period)
            self._wake.clear()
