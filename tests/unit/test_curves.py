"""Sweep points, the Pareto front and the SLA peak search (pure logic on records)."""

from __future__ import annotations

from accelmark_tui.engine.curves import PeakSearch, peak_block, sweep_block, trial_verdict
from accelmark_tui.engine.metrics import Sla
from accelmark_tui.engine.records import RequestRecord
from accelmark_tui.scenarios.curves import pareto

MS = 1_000_000


def rec(i: int, level, ttft_ms: float, tpot_ms: float = 10.0, n: int = 11, sent_ms: float = 0.0,
        lag_ms: float = 0.0, ok: bool = True) -> RequestRecord:
    r = RequestRecord(request_id=i, scenario="s", level=level)
    r.scheduled_ns = int((sent_ms - lag_ms) * MS)
    r.sent_ns = int(sent_ms * MS)
    if not ok:
        r.fail("http_500", "HTTP 500", r.sent_ns + MS)
        return r
    t = r.sent_ns + int(ttft_ms * MS)
    for k in range(n):
        r.add_chunk(t + int(k * tpot_ms * MS))
    r.end_ns = r.chunk_ns[-1]
    r.output_tokens = n
    return r


def test_sweep_points_and_pareto() -> None:
    recs = []
    # Higher concurrency: more system throughput, slower per user.
    for c, tpot in ((1, 5.0), (2, 6.0), (4, 9.0)):
        for i in range(c * 4):
            recs.append(rec(i, c, ttft_ms=10 * c, tpot_ms=tpot, sent_ms=(i // c) * 60))
    block = sweep_block(recs, Sla(ttft_ms=25))
    pts = block["points"]
    assert [p["concurrency"] for p in pts] == [1, 2, 4]
    assert pts[0]["tokens_per_sec_per_user"] > pts[2]["tokens_per_sec_per_user"]
    assert pts[2]["output_tokens_per_sec"] > pts[0]["output_tokens_per_sec"]
    assert block["pareto_front"] == [0, 1, 2]
    assert pts[2]["goodput_rps"] == 0  # every request at c=4 missed the 25 ms TTFT limit


def test_pareto_drops_dominated_points() -> None:
    pts = [{"output_tokens_per_sec": 100, "tokens_per_sec_per_user": 50},
           {"output_tokens_per_sec": 90, "tokens_per_sec_per_user": 40},  # worse on both
           {"output_tokens_per_sec": 200, "tokens_per_sec_per_user": 30}]
    assert pareto(pts) == [0, 2]


def test_verdict_counts_failures_as_misses_and_flags_a_late_client() -> None:
    sla = Sla(ttft_ms=100)
    good = [rec(i, 1.0, 50, sent_ms=i) for i in range(99)]
    assert trial_verdict(good, sla)["met"]
    with_failure = good + [rec(99, 1.0, 0, ok=False), rec(100, 1.0, 0, ok=False)]
    v = trial_verdict(with_failure, sla)
    assert not v["met"] and v["failed"] == 2
    late = [rec(i, 1.0, 50, sent_ms=i, lag_ms=20 if i % 5 == 0 else 0) for i in range(100)]
    v = trial_verdict(late, sla)
    assert v["client_bound"] and not v["met"] and v["late_send_share"] == 0.2
    assert trial_verdict([rec(i, 1.0, 50, tpot_ms=30) for i in range(10)], Sla(100, 20))["met"] is False


def test_peak_search_doubles_then_bisects_to_the_threshold() -> None:
    capacity = 13.0  # the synthetic server meets the SLA up to this rate
    s = PeakSearch(start_rate=1, max_rate=1000, tolerance=0.05, max_trials=20)
    tried = []
    while (r := s.next_rate()) is not None:
        tried.append(r)
        s.record(r, {"met": r <= capacity, "client_bound": False})
    assert tried[:5] == [1, 2, 4, 8, 16]  # doubling until the first miss
    assert all(8 <= r <= 16 for r in tried[5:])  # then bisection inside the bracket
    assert s.lo <= capacity < s.hi and (s.hi - s.lo) <= 0.05 * s.hi
    assert s.stopped_reason == "converged"


def test_peak_search_stops_at_the_ceiling_and_when_nothing_meets() -> None:
    s = PeakSearch(2, 8)
    while (r := s.next_rate()) is not None:
        s.record(r, {"met": True, "client_bound": False})
    assert s.lo == 8 and "highest rate allowed" in s.stopped_reason
    s = PeakSearch(4, 100, max_trials=12)
    tried = []
    while (r := s.next_rate()) is not None:
        tried.append(r)
        s.record(r, {"met": False, "client_bound": False})
    assert s.lo is None and tried == [4, 2, 1, 0.5] and "no rate down to 0.5" in s.stopped_reason


def test_peak_block_replays_the_search_from_records() -> None:
    recs = []
    for rate, ttft in ((1.0, 10), (2.0, 20), (4.0, 500), (3.0, 40)):
        recs += [rec(i, rate, ttft, sent_ms=i * 10) for i in range(10)]
    block = peak_block(recs, Sla(ttft_ms=100), {"start_rate": 1.0, "max_rate": 64.0, "max_trials": 4})
    assert [t["rate"] for t in block["trials"]] == [1.0, 2.0, 4.0, 3.0]
    assert [t["met"] for t in block["trials"]] == [True, True, False, True]
    assert block["max_rate_meeting_sla"] == 3.0 and block["bracket"] == [3.0, 4.0]


def test_levels_that_did_not_hold_their_schedule_are_named() -> None:
    from accelmark_tui.engine.metrics import LATE_SHARE_WARN
    from accelmark_tui.scenarios import registry

    def _late_levels(name: str, block: dict) -> list:  # what the session warns about when a scenario ends
        return registry.get(name).late_levels(block, LATE_SHARE_WARN)

    online = {"results_by_qps": [{"target_qps": 1.0, "late_send_share": 0.0},
                                 {"target_qps": 500.0, "late_send_share": 0.25}]}
    assert _late_levels("online", online) == [(500.0, 0.25)]
    peak = {"trials": [{"rate": 10.0, "late_send_share": 0.5}, {"rate": 5.0, "late_send_share": 0.05}]}
    assert _late_levels("peak", peak) == [(10.0, 0.5)]
    assert _late_levels("offline", {"results_by_concurrency": []}) == []
