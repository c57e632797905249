"""Load generator scheduling, against a timed test backend.

The backend here only sleeps (it stands in for an engine whose speed is
known, so scheduling can be checked exactly); real inference is covered by
the llama backend and end-to-end tests.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from accelmark_tui.engine.backend import Backend
from accelmark_tui.engine.loadgen import LoadGen, Stopped, poisson_offsets
from accelmark_tui.engine.records import GenRequest, RequestRecord


class SleepBackend(Backend):
    """Generates ``max_tokens`` tokens, one every ``tpot`` seconds after ``ttft``."""

    def __init__(self, ttft=0.02, tpot=0.005):
        super().__init__()
        self.ttft, self.tpot = ttft, tpot
        self.active = 0
        self.max_active = 0

    def load(self, model, threads, max_concurrency):  # pragma: no cover - unused here
        raise NotImplementedError

    async def generate(self, req: GenRequest, rec: RequestRecord) -> None:
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            await asyncio.sleep(self.ttft)
            for _ in range(req.max_tokens):
                rec.add_chunk(time.perf_counter_ns(), 1)
                await asyncio.sleep(self.tpot)
            rec.end_ns = time.perf_counter_ns()
            rec.output_tokens = req.max_tokens
            rec.finish_reason = "length"
        finally:
            self.active -= 1


def reqs(n, tokens=3):
    return [GenRequest(request_id=i, prompt=f"p{i}", max_tokens=tokens) for i in range(n)]


def run(coro):
    return asyncio.run(coro)


def test_closed_loop_keeps_concurrency():
    be = SleepBackend()
    out = []

    async def main():
        gen = LoadGen(be, out.append)
        await gen.closed_loop(reqs(12), 4, "offline", 0, 4)

    run(main())
    assert len(out) == 12 and all(r.ok for r in out)
    assert be.max_active == 4
    assert sorted(r.prompt_id for r in out) == list(range(12))


def test_open_loop_sends_on_schedule_while_earlier_requests_run():
    # Each request takes ~0.2 s; arrivals every 20 ms: a closed loop would fall far behind.
    be = SleepBackend(ttft=0.1, tpot=0.02)
    out = []

    async def main():
        gen = LoadGen(be, out.append)
        await gen.open_loop(reqs(10, tokens=5), [i * 0.02 for i in range(10)], "online", 0, 50.0)

    run(main())
    assert be.max_active >= 8  # requests overlapped: sent without waiting for earlier ones
    lags = [(r.sent_ns - r.scheduled_ns) / 1e6 for r in out]
    assert max(lags) < 10.0, lags  # ms
    spacing = sorted(r.sent_ns for r in out)
    assert (spacing[-1] - spacing[0]) / 1e6 == pytest.approx(180.0, abs=10.0)


def test_poisson_offsets_are_seeded_and_have_the_rate():
    a = poisson_offsets(2000, 10.0, seed=7)
    assert a == poisson_offsets(2000, 10.0, seed=7)
    assert a != poisson_offsets(2000, 10.0, seed=8)
    mean_gap = a[-1] / (len(a) - 1)
    assert mean_gap == pytest.approx(0.1, rel=0.08)


def test_stop_lets_in_flight_finish_and_sends_nothing_new():
    be = SleepBackend(ttft=0.05, tpot=0.01)
    out = []

    async def main():
        stop = asyncio.Event()
        gen = LoadGen(be, out.append, stop)
        asyncio.get_running_loop().call_later(0.08, stop.set)
        with pytest.raises(Stopped):
            await gen.closed_loop(reqs(100), 2, "offline", 0, 2)

    run(main())
    assert 2 <= len(out) < 10
    assert all(r.ok for r in out)  # in-flight ones finished, not cut


def test_backend_exception_is_a_counted_error_not_a_crash():
    class Broken(SleepBackend):
        async def generate(self, req, rec):
            if req.request_id == 1:
                raise RuntimeError("engine exploded")
            await super().generate(req, rec)

    out = []

    async def main():
        await LoadGen(Broken(), out.append).closed_loop(reqs(3), 1, "offline", 0, 1)

    run(main())
    bad = [r for r in out if not r.ok]
    assert len(out) == 3 and len(bad) == 1
    assert bad[0].error_type == "backend_error" and "exploded" in bad[0].error_message


def test_a_peak_search_has_no_planned_total():
    """Its trials grow with the rate (15 of "8" requests was shown); progress shows a count, not an ETA."""
    from accelmark_tui.engine.plan import Options, plan_scenario
    from accelmark_tui.engine.workload import planned_requests

    suite = {"suite_id": "s", "online_qps_levels": [1.0], "request_count": 8, "concurrency_levels": [1, 2]}
    peak = plan_scenario("peak", suite, Options(requests=8, sla_ttft_ms=500))
    assert planned_requests(peak, 0) is None
    assert planned_requests(plan_scenario("offline", suite, Options(runs=2)), 0) == 2 * 2 * 8
