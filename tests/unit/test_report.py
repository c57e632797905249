"""Scenario blocks (upstream shape) from records the load generator produced."""

from __future__ import annotations

import asyncio
import json
import time

import jsonschema
import pytest

from accelmark_tui.engine import report
from accelmark_tui.engine.loadgen import LoadGen, burst_offsets
from accelmark_tui.engine.plan import Options, plan_scenario, select_scenarios
from accelmark_tui.engine.records import GenRequest, RequestRecord
from accelmark_tui.errors import UsageError
from accelmark_tui.resources import schema_path, suites_dir


class Timed:
    """Stand-in engine with a known speed (scheduling, not inference, is under test)."""

    def __init__(self, ttft=0.01, tpot=0.002):
        self.ttft, self.tpot = ttft, tpot

    async def generate(self, req: GenRequest, rec: RequestRecord) -> None:
        await asyncio.sleep(self.ttft)
        for _ in range(req.max_tokens):
            rec.add_chunk(time.perf_counter_ns(), 1)
            await asyncio.sleep(self.tpot)
        rec.end_ns = time.perf_counter_ns()
        rec.output_tokens, rec.input_tokens, rec.finish_reason = req.max_tokens, 20, "length"


def reqs(n, t=4):
    return [GenRequest(i, "p", t) for i in range(n)]


def collect(coro_fn):
    out: list[RequestRecord] = []
    asyncio.run(coro_fn(LoadGen(Timed(), out.append)))
    return out


def _schema_check(metrics: dict) -> None:
    schema = json.loads(schema_path("result.schema.json").read_text())
    jsonschema.Draft7Validator(schema["properties"]["metrics"]).validate(metrics)


def test_offline_block_reports_served_concurrency_and_medians():
    async def go(gen):
        for run in range(3):
            for c in (1, 4):
                await gen.closed_loop(reqs(8), c, "offline", run, c)

    block = report.offline_block(collect(go), served_concurrency=2)
    _schema_check({"offline": block})
    rows = {r["client_concurrency"]: r for r in block["results_by_concurrency"]}
    assert rows[4]["served_concurrency"] == 2 and rows[1]["served_concurrency"] == 1
    assert rows[4]["reliability"]["n"] == 3
    assert rows[4]["throughput_tokens_per_sec"] > rows[1]["throughput_tokens_per_sec"]


def test_online_block_sla_is_p99_ttft_only_and_max_valid_qps():
    async def go(gen):
        await gen.open_loop(reqs(10), [i * 0.02 for i in range(10)], "online", 0, 50.0)

    recs = collect(go)
    ok = report.online_block(recs, sla_ttft_ms=1000, sla_tpot_ms=0.001)  # TPOT limit impossible
    _schema_check({"online": ok})
    row = ok["results_by_qps"][0]
    assert row["sla_met"] is True and ok["max_valid_qps"] == 50.0  # upstream rule ignores TPOT
    assert row["goodput_rps"] == 0  # goodput uses every limit
    bad = report.online_block(recs, sla_ttft_ms=1)
    assert bad["results_by_qps"][0]["sla_met"] is False and bad["max_valid_qps"] == 0


def test_sustained_block_samples_intervals():
    async def go(gen):
        await gen.for_duration(lambda i: GenRequest(i, "p", 4), 2, 0.6, "sustained", 0, 2, warmup_s=0.1)

    block = report.sustained_block(collect(go), {"concurrency": 2, "duration_s": 0.6, "warmup_s": 0.1,
                                                 "sample_interval_s": 0.2})
    _schema_check({"sustained": block})
    assert block["sustained_concurrency"] == 2
    assert len(block["samples"]) >= 3
    assert block["sustained_throughput_tokens_per_sec"] > 0


def test_burst_block_splits_steady_and_burst():
    sched = burst_offsets(20, 100, burst_s=0.2, interval_s=0.5, cycles=2, seed=1)

    async def go(gen):
        await gen.open_loop(reqs(len(sched)), [t for t, _ in sched], "burst", 0, 100)

    block = report.burst_block(collect(go), {"steady_qps": 20, "peak_qps": 100, "burst_s": 0.2,
                                             "interval_s": 0.5}, sla_ttft_ms=1000)
    _schema_check({"burst": block})
    assert block["burst_requests_total"] > block["steady_requests_total"] > 0
    assert block["sla_met_during_burst"] is True


def test_plans_follow_the_suite_fields():
    suite = json.loads((suites_dir() / "suite_Quick" / "suite.json").read_text())
    assert select_scenarios(suite, "default") == ["accuracy", "offline", "online", "interactive"]
    assert select_scenarios(suite, "all")[-2:] == ["sustained", "burst"]
    off = plan_scenario("offline", suite, Options())
    assert [s["concurrency"] for s in off["steps"]] == suite["concurrency_levels"]
    assert off["runs"] == 3 and off["max_tokens"] == 64
    on = plan_scenario("online", suite, Options(runs=1, warmup=0))
    assert [s["rate"] for s in on["steps"]] == [1.0, 2.0] and on["runs"] == 1
    assert all(s["warmup"] == 0 for s in on["steps"])
    with pytest.raises(UsageError):
        select_scenarios(suite, "speculative")
    with pytest.raises(UsageError):
        plan_scenario("offline", suite, Options(runs=0))
