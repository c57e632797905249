"""The load generator shared by every runner (runs inside the runner process).

It decides when each request goes out — closed loop (fixed concurrency),
open loop (Poisson or constant rate, sent on schedule even when earlier
requests have not returned), duration-bound and burst — and hands each one to
the backend. Every finished record goes to the sink (the events file) and a
counter the progress feed reads; nothing here talks to a UI.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Callable, Sequence

from accelmark_tui.engine.backend import Backend
from accelmark_tui.engine.clock import Waker
from accelmark_tui.engine.records import PHASE_MEASURE, PHASE_WARMUP, GenRequest, RequestRecord

Sink = Callable[[RequestRecord], None]


class Stopped(Exception):
    """A graceful stop was asked for; in-flight requests were allowed to finish."""


class LoadGen:
    def __init__(self, backend: Backend, sink: Sink, stop: asyncio.Event | None = None) -> None:
        self.backend = backend
        self.sink = sink
        self.stop = stop or asyncio.Event()
        self.in_flight = 0
        self.next_id = 0
        self.active: set[RequestRecord] = set()
        self._waker: Waker | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._start = getattr(backend, "start", None)  # duck-typed backends may lack the fast path

    def live_tokens(self) -> int:
        """Tokens received so far by in-flight requests (for the live tok/s chart)."""
        return sum(sum(r.chunk_tokens) for r in list(self.active))

    @staticmethod
    def now() -> int:
        # Backends stamp with the same raw monotonic clock; only differences matter.
        return time.perf_counter_ns()

    def _begin(self, req: GenRequest, rec: RequestRecord):
        """Stamp the send and hand the request over in this very callback when the backend can.

        An open-loop send then leaves on the loop iteration its timer woke,
        not one later, which is what the send lag measures. Returns what to
        await, or None when the backend needs its async ``generate()``.
        """
        self.in_flight += 1
        self.active.add(rec)
        rec.prompt_id = req.request_id
        rec.sent_ns = self.now()
        if self._start is None:
            return None
        try:
            return self._start(req, rec)
        except Exception as exc:  # noqa: BLE001 - a backend bug is this request's failure
            rec.fail("backend_error", f"{type(exc).__name__}: {exc}", self.now())
            return _done()

    def _launch(self, req: GenRequest, rec: RequestRecord) -> "asyncio.Future[RequestRecord]":
        """Open loop: begin now, finish in a task of its own (sends never wait for answers)."""
        started = self._begin(req, rec)
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.get_running_loop()  # cached: each lookup is a getpid() syscall
        return self._loop.create_task(self._complete(req, rec, started))

    async def _complete(self, req: GenRequest, rec: RequestRecord, started) -> RequestRecord:
        try:
            if started is None:
                await self.backend.generate(req, rec)
            else:
                await started
        except asyncio.CancelledError:
            rec.fail("cancelled", "request cancelled by a stop", self.now())
            raise
        except Exception as exc:  # a backend bug must not lose the rest of the run
            rec.fail("backend_error", f"{type(exc).__name__}: {exc}", self.now())
        finally:
            self.in_flight -= 1
            self.active.discard(rec)
            self.sink(rec)
        return rec

    async def _one(self, req: GenRequest, rec: RequestRecord) -> RequestRecord:
        # Closed loops await in their own worker: no task per request.
        return await self._complete(req, rec, self._begin(req, rec))

    def _record(self, scenario: str, run: int, level, phase: str) -> RequestRecord:
        rec = RequestRecord(request_id=self.next_id, scenario=scenario, run=run, level=level, phase=phase)
        self.next_id += 1
        return rec

    async def closed_loop(self, reqs: Sequence[GenRequest], concurrency: int, scenario: str, run: int,
                          level, phase: str = PHASE_MEASURE) -> list[RequestRecord]:
        """Keep ``concurrency`` requests in flight until all are done."""
        it = iter(reqs)
        done: list[RequestRecord] = []

        async def worker() -> None:
            for req in it:
                if self.stop.is_set():
                    return
                done.append(await self._one(req, self._record(scenario, run, level, phase)))

        await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))
        if self.stop.is_set():
            raise Stopped
        return done

    async def open_loop(self, reqs: Sequence[GenRequest], offsets_s: Sequence[float], scenario: str, run: int,
                        level, phase: str = PHASE_MEASURE) -> list[RequestRecord]:
        """Send each request at its scheduled offset; lateness is recorded as send lag.

        Sends never wait for earlier requests. The wake-up is a timerfd where
        the platform has one (``clock.py``): asyncio's own timers round up to
        whole milliseconds, which alone would add up to 1 ms of send lag.
        """
        if self._waker is None:
            self._waker = Waker()
        waker = self._waker
        start = self.now() + 2_000_000  # 2 ms head start so the first send is not already late
        tasks = []
        for req, off in zip(reqs, offsets_s):
            if self.stop.is_set():
                break
            due = start + int(off * 1e9)
            await waker.until(due)
            rec = self._record(scenario, run, level, phase)
            rec.scheduled_ns = due
            tasks.append(self._launch(req, rec))
        done = list(await asyncio.gather(*tasks)) if tasks else []
        if self.stop.is_set():
            raise Stopped
        return done

    async def for_duration(self, make_req: Callable[[int], GenRequest], concurrency: int, duration_s: float,
                           scenario: str, run: int, level, warmup_s: float = 0.0) -> None:
        """Closed loop for a fixed time; requests started in the first ``warmup_s`` are warm-up."""
        t_start = self.now()
        t_end = t_start + int((duration_s + warmup_s) * 1e9)
        t_warm = t_start + int(warmup_s * 1e9)
        counter = iter(range(10**9))

        async def worker() -> None:
            while not self.stop.is_set() and self.now() < t_end:
                phase = PHASE_WARMUP if self.now() < t_warm else PHASE_MEASURE
                await self._one(make_req(next(counter)), self._record(scenario, run, level, phase))

        await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))
        if self.stop.is_set():
            raise Stopped


def poisson_offsets(n: int, rate: float, seed: int) -> list[float]:
    """Arrival times (s) of a Poisson process; seeded so runs are reproducible."""
    rng = random.Random(seed)
    t, out = 0.0, []
    for _ in range(n):
        out.append(t)
        t += rng.expovariate(rate)
    return out


def _done() -> "asyncio.Future[None]":
    fut = asyncio.get_running_loop().create_future()
    fut.set_result(None)
    return fut


def constant_offsets(n: int, rate: float) -> list[float]:
    """Evenly spaced arrivals at ``rate`` per second."""
    return [i / rate for i in range(n)]


def burst_offsets(steady: float, peak: float, burst_s: float, interval_s: float, cycles: int,
                  seed: int) -> list[tuple[float, str]]:
    """Two-state load: Poisson at ``steady`` with a ``burst_s`` window at ``peak`` each interval."""
    rng = random.Random(seed)
    out: list[tuple[float, str]] = []
    t, end = 0.0, interval_s * cycles
    while t < end:
        in_burst = (t % interval_s) >= interval_s - burst_s
        out.append((t, "burst" if in_burst else "steady"))
        t += rng.expovariate(peak if in_burst else steady)
    return out
