"""The metric contract on hand-built records (numbers checked by hand)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from accelmark_tui.engine import metrics as m
from accelmark_tui.engine.records import PHASE_WARMUP, RequestRecord
from accelmark_tui.engine.stats import describe, percentile, reliability

MS = 1_000_000


def rec(i=0, sent=0, first=None, chunks=(), end=None, out=None, sched=None, phase="measure", err=None, inp=10):
    r = RequestRecord(request_id=i, scenario="t", phase=phase, scheduled_ns=sched, sent_ns=sent)
    for t, k in chunks:
        r.add_chunk(t, k)
    if first is not None:
        r.first_token_ns = first
    r.end_ns = end
    r.output_tokens = out if out is not None else sum(k for _, k in chunks)
    r.input_tokens = inp
    if err:
        r.fail(err, "boom", end or sent)
    return r


def test_percentiles_match_numpy():
    vals = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0, 5.0]
    s = sorted(vals)
    for q in (0, 50, 90, 95, 99, 100):
        assert percentile(s, q) == pytest.approx(float(np.percentile(vals, q)))
    d = describe(vals)
    assert d["n"] == 11 and d["min"] == 1.0 and d["max"] == 9.0
    assert d["std"] == pytest.approx(float(np.std(vals)), abs=1e-3)


def test_ttft_tpot_e2e_itl_definitions():
    # sent at 0; tokens at 100 ms, 110 ms (chunk of 1), 130 ms (chunk of 2); end 130 ms
    r = rec(sent=0, chunks=[(100 * MS, 1), (110 * MS, 1), (130 * MS, 2)], end=130 * MS)
    assert m.ttft_ms(r) == 100.0
    assert m.e2e_ms(r) == 130.0
    # TPOT = (end - first token) / (out - 1) = 30 / 3
    assert m.tpot_ms(r) == pytest.approx(10.0)
    # ITL: gap 10 (k=1) → [10]; gap 20 over k=2 → [10, 10]
    assert m.itl_ms(r) == pytest.approx([10.0, 10.0, 10.0])
    assert m.decode_tps(r) == pytest.approx(100.0)


def test_single_token_has_no_tpot():
    r = rec(chunks=[(5 * MS, 1)], end=5 * MS)
    assert m.tpot_ms(r) is None


def test_failed_requests_are_counted_not_in_latency():
    ok = rec(i=1, sent=0, chunks=[(10 * MS, 1), (20 * MS, 1)], end=20 * MS)
    bad = rec(i=2, sent=0, chunks=[(1 * MS, 1)], end=5000 * MS, err="http_500")
    s = m.summarize([ok, bad])
    assert s["completed"] == 1 and s["failed"] == 1 and s["errors"] == {"http_500": 1}
    assert s["ttft_ms"]["max"] == 10.0  # the failed request's 1 ms TTFT is not in there
    assert s["e2e_ms"]["max"] == 20.0


def test_warmup_excluded_and_window():
    warm = rec(i=0, sent=0, chunks=[(1 * MS, 1), (2 * MS, 1)], end=2 * MS, phase=PHASE_WARMUP)
    a = rec(i=1, sent=1000 * MS, chunks=[(1100 * MS, 1), (1200 * MS, 1)], end=1200 * MS)
    b = rec(i=2, sent=1100 * MS, chunks=[(1300 * MS, 1), (2000 * MS, 3)], end=2000 * MS)
    s = m.summarize([warm, a, b])
    assert s["requests"] == 2
    assert s["window_s"] == pytest.approx(1.0)  # first send 1.0 s → last end 2.0 s
    assert s["output_tokens"] == 6
    assert s["output_tokens_per_sec"] == pytest.approx(6.0)
    assert s["total_tokens_per_sec"] == pytest.approx(26.0)


def test_send_lag_and_late_share():
    recs = [rec(i=i, sched=0, sent=(i * 5) * MS, chunks=[((i * 5 + 1) * MS, 1)], end=(i * 5 + 1) * MS)
            for i in range(4)]  # lags 0, 5, 10, 15 ms → one over 10 ms
    s = m.summarize(recs)
    assert s["send_lag_ms"]["max"] == 15.0
    assert s["late_send_share"] == 0.25


def test_goodput_uses_every_sla_limit():
    fast = rec(i=1, sent=0, chunks=[(50 * MS, 1), (60 * MS, 1)], end=60 * MS)
    slow_decode = rec(i=2, sent=0, chunks=[(50 * MS, 1), (500 * MS, 1)], end=500 * MS)
    s = m.summarize([fast, slow_decode], m.Sla(ttft_ms=100, tpot_ms=100))
    assert s["sla_met_share"] == 0.5
    assert s["goodput_rps"] == pytest.approx(1 / 0.5)


def test_reliability_block():
    r = reliability([100.0, 102.0, 98.0])
    assert r["n"] == 3 and r["mean"] == 100.0
    assert r["cv_pct"] == pytest.approx(2.0)
    assert r["stability"] == "stable"
    assert reliability([100, 110, 90])["stability"] == "high-variance"
    assert reliability([100, 105, 95])["stability"] == "noisy"
    assert math.isclose(reliability([5.0])["std"], 0.0)


def test_token_count_mismatch_is_flagged():
    r = rec(chunks=[(1 * MS, 1), (2 * MS, 1)], end=2 * MS, out=3)
    r.output_tokens_client = 2
    assert m.summarize([r])["token_count_mismatches"] == 1
