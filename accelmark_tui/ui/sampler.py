"""Periodic telemetry sampling on a plain daemon thread, and the screens' one way to run it.

Not a Textual thread worker: a worker posts state-change messages, three wake-ups of the UI
thread per sample, and during a run every wake-up of the app is CPU taken from the benchmark.
This thread only appends to a bounded deque that the screen's redraw reads. ``SamplingScreen``
ties one sampler to a screen's life: running while the screen shows, paused while another
covers it, stopped when it goes.
"""

from __future__ import annotations

import threading
from collections import deque
from itertools import islice
from typing import Any, Callable


class PeriodicSampler:
    def __init__(self, sample: Callable[[], dict[str, Any]], period: float, keep: int = 120) -> None:
        self._sample = sample
        self.period = period  # read each round: changing it takes effect after the current wait
        self.samples: deque[dict[str, Any]] = deque(maxlen=keep)
        self.taken = 0  # samples appended in all (the deque keeps the last ``keep``)
        self.first = threading.Event()  # set once the first sample is in (or sampling gave up or was stopped)
        self.error: Exception | None = None  # why sampling gave up
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
        self.first.set()  # nobody waits for a sample that will never come

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.samples)

    def since(self, seen: int) -> tuple[list[dict[str, Any]], int]:
        """The samples taken after the first ``seen`` (those still kept), and ``taken`` to pass next time."""
        with self._lock:
            new = min(self.taken - seen, len(self.samples))
            return list(islice(self.samples, len(self.samples) - new, None)), self.taken

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
                    self.taken += 1
            except Exception as exc:  # noqa: BLE001 - telemetry is decoration; a broken gauge must not end a run
                self.error = exc
                return
            finally:
                self.first.set()
            self._wake.wait(self.period)
            self._wake.clear()


class SamplingScreen:
    """Mixin for a Screen that shows telemetry: one ``PeriodicSampler`` on ``app.services.telemetry``.

    ``start_sampling`` (from ``on_mount``) starts it; it pauses while another screen covers this
    one, resumes when this one shows again and stops on unmount. Textual runs these handlers as
    well as the screen's own (it calls the handler of every class in the MRO), so a screen adds
    its own work on the same events.
    """

    app: Any  # the screen's: this class is mixed into a textual Screen
    _sampler: PeriodicSampler | None = None

    def start_sampling(self, period: float) -> PeriodicSampler | None:
        """Sample every ``period`` seconds; None when the services have no telemetry."""
        sample = getattr(self.app.services, "telemetry", None)
        if sample is None:
            return None
        self._sampler = PeriodicSampler(sample, period)
        self._sampler.start()
        return self._sampler

    def on_screen_suspend(self) -> None:
        if self._sampler is not None:
            self._sampler.pause()

    def on_screen_resume(self) -> None:
        if self._sampler is not None:
            self._sampler.resume()  # stopped (a run that ended): nothing happens

    def on_unmount(self) -> None:
        if self._sampler is not None:
            self._sampler.stop()
