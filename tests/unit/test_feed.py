"""The progress feed: typed messages over a pipe, and a decoder that nothing on the line can break."""

from __future__ import annotations

import io
import json
import os

from accelmark_tui.engine import metrics
from accelmark_tui.engine.feed import FeedWriter, read_feed
from accelmark_tui.engine.messages import (Bye, Fatal, Loaded, Log, PeakResult, Sample, ScenarioEnd, ScenarioStart,
                                           ScenarioStopped, StepEnd, StepStart, StepSummary, Tick, to_wire)
from accelmark_tui.engine.records import RequestRecord

EVERY_KIND = [
    Loaded(info={"n_ctx": 2048, "extra": {"flash_attn": True}}, load_seconds=0.4, pid=123),
    ScenarioStart(scenario="sweep", steps=3, runs=2, total=96),
    StepStart(scenario="sweep", run=1, step=2, level=8, mode="closed", requests=16),
    Tick(in_flight=4, done=10, failed=1, out_tokens=640, gen_tokens=700,
         samples=[Sample(120.5, 9.25, 700.0, None, 64, 1, False)], dropped=2,
         scenario="sweep", run=1, runs=2, step=2, steps=3, level=8),
    StepSummary(scenario="peak", run=0, step=1, level=2.5, summary={"met": True, "p99_ttft_ms": 310.0}),
    StepEnd(scenario="sweep", run=1, step=2, level=8),
    PeakResult(scenario="peak", best=2.0, bracket=(2.0, 3.0), stopped="converged"),
    ScenarioEnd(scenario="sweep", seconds=12.5, samples="/r/sweep/samples.jsonl"),
    ScenarioStopped(scenario="sweep"),
    Fatal(message="llama.cpp could not load the model.", kind="ModelError"),
    Bye(status="done"),
    Log(message="a line"),
]


def _send_all(feed: FeedWriter) -> None:
    for msg in EVERY_KIND:
        feed.send(msg)


def _through_pipe(write) -> list:
    r, w = os.pipe()
    feed = FeedWriter(w)
    write(feed)
    feed.close()
    with os.fdopen(r, "r", encoding="utf-8") as fh:
        return list(read_feed(fh))


def test_every_kind_arrives_as_it_was_sent():
    assert _through_pipe(_send_all) == EVERY_KIND


def test_samples_travel_as_arrays_and_arrive_as_samples():
    def rec(i: int, **kw) -> RequestRecord:
        return RequestRecord(request_id=i, scenario="online", scheduled_ns=0, sent_ns=2_000_000,
                             first_token_ns=152_000_000, end_ns=902_000_000, output_tokens=64, **kw)

    records = [rec(0), rec(1, phase="warmup"), rec(2, error_type="timeout")]

    def write(feed: FeedWriter) -> None:
        feed.state.update(scenario="online", run=0, runs=1, step=0, steps=1, level=2.0)
        for r in records:
            feed.record(r)
        feed.tick(in_flight=1, live_tokens=5, force=True)

    (tick,) = _through_pipe(write)
    assert isinstance(tick, Tick) and (tick.done, tick.failed, tick.gen_tokens, tick.level) == (2, 1, 133, 2.0)
    ok, warm, failed = tick.samples
    assert all(isinstance(s, Sample) for s in tick.samples)
    assert ok == Sample(metrics.ttft_ms(records[0]), round(metrics.tpot_ms(records[0]), 3), 900.0, 2.0, 64, 1, False)
    assert warm.warmup and not ok.warmup and (failed.ok, failed.out_tokens) == (0, 0)


def test_garbage_is_skipped_or_defaulted_never_fatal():
    lines = ["not json", "[1, 2]", '{"no": "type"}', '{"type": ["tick"]}', '{"type": "unknown"}',
             '{"type": "scenario_end"}',  # no scenario: skipped
             '{"type": "scenario_start", "scenario": "x", "runs": "two", "total": "many"}',
             '{"type": "tick", "in_flight": "4", "gen_tokens": 1e999, "samples": [[1, 2], "x", '
             '[1.5, "slow", null, true, 64, 1, false], [2.5, 9.0, 800.0, 0.1, 64, 1, false]]}',
             '{"type": "peak_result", "scenario": "p", "best": "high", "bracket": {"a": 1}}',
             '{"type": "step_summary", "scenario": "s", "level": 2, "summary": [1]}',
             '{"type": "loaded", "info": "x", "load_seconds": "soon"}',
             "[" * 100_000 + "]" * 100_000]
    msgs = list(read_feed(io.StringIO("\n".join(lines) + "\n")))
    assert msgs == [
        ScenarioStart(scenario="x", runs=1, total=None),
        Tick(in_flight=0, gen_tokens=0, samples=[Sample(1.5, None, None, None, 64, 1, False),
                                                 Sample(2.5, 9.0, 800.0, 0.1, 64, 1, False)]),
        PeakResult(scenario="p", best=None, bracket=(None, None)),
        StepSummary(scenario="s", level=2, summary=None),
        Loaded(info={}, load_seconds=None),
    ]


def test_the_wire_stays_compact():
    line = json.dumps({"type": Tick.TYPE, **to_wire(EVERY_KIND[3])}, separators=(",", ":"))
    assert '"samples":[[120.5,9.25,700.0,null,64,1,false]]' in line
