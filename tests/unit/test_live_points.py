"""LiveRun folds step summaries into bounded per-scenario curves and keeps the peak result."""

from __future__ import annotations

from accelmark_tui.engine.live import MAX_CURVE_POINTS, LiveRun
from accelmark_tui.engine.messages import StepSummary, decode


def _summary(level: float, tok_s: float, per_user: float, ttft: float, **extra) -> StepSummary:
    return decode({"type": "step_summary", "scenario": extra.pop("scenario", "sweep"), "run": extra.pop("run", 0),
                   "step": extra.pop("step", 0), "level": level,
                   "summary": {"requests": 16, "completed": 16, "failed": 0, "errors": {}, "request_rate": 2.5,
                               "output_tokens_per_sec": tok_s, "tokens_per_sec_per_user": per_user,
                               "ttft_ms_p50": ttft, "ttft_ms_p99": ttft * 2, "tpot_ms_p50": 1000 / per_user,
                               "tpot_ms_p99": 1200 / per_user, "e2e_ms_p50": 900.0, "send_lag_ms_p99": 0.3,
                               "late_send_share": 0.0, "token_count_mismatches": 0, **extra}})


def test_step_summaries_become_points_in_arrival_order():
    live = LiveRun()
    assert live.snapshot().curves == {} and live.snapshot().peaks == {}
    for i, (c, tok, user, ttft) in enumerate([(1, 40.0, 40.0, 50.0), (2, 70.0, 35.0, 60.0), (4, 110.0, 27.5, 90.0)]):
        live.handle(_summary(c, tok, user, ttft, step=i))
    snap = live.snapshot()
    points = snap.curves["sweep"]
    assert [p["level"] for p in points] == [1, 2, 4]
    assert [p["output_tokens_per_sec"] for p in points] == [40.0, 70.0, 110.0]
    assert points[2]["tokens_per_sec_per_user"] == 27.5 and points[2]["ttft_ms_p99"] == 180.0
    assert points[1]["step"] == 1 and points[1]["run"] == 0
    # Only the figures a curve needs are kept (no error dicts, no send lag).
    assert "errors" not in points[0] and "send_lag_ms_p99" not in points[0]
    assert snap.curves_total == 3


def test_snapshot_is_a_copy():
    live = LiveRun()
    live.handle(_summary(1, 40.0, 40.0, 50.0))
    snap = live.snapshot()
    live.handle(_summary(2, 70.0, 35.0, 60.0))
    assert len(snap.curves["sweep"]) == 1  # the earlier snapshot does not grow
    snap.curves["sweep"].clear()
    assert len(live.snapshot().curves["sweep"]) == 2


def test_scenarios_are_kept_apart_and_bounded():
    live = LiveRun()
    for i in range(MAX_CURVE_POINTS + 40):
        live.handle(_summary(1 + i % 6, 10.0 + i, 5.0, 40.0, run=i // 6, step=i % 6))
    live.handle(_summary(4, 171.9, 40.0, 100.0, scenario="offline"))
    snap = live.snapshot()
    assert len(snap.curves["sweep"]) == MAX_CURVE_POINTS
    assert snap.curves["sweep"][-1]["output_tokens_per_sec"] == 10.0 + MAX_CURVE_POINTS + 39  # newest kept
    assert [p["level"] for p in snap.curves["offline"]] == [4]


def test_peak_trials_and_result():
    live = LiveRun()
    trials = [(1.0, 120.0, True), (2.0, 300.0, True), (4.0, None, False), (3.0, 700.0, False)]
    for i, (rate, p99, met) in enumerate(trials):
        live.handle(_summary(rate, 50.0 * rate, 30.0, 80.0, scenario="peak", step=i, met=met, client_bound=False,
                             p99_ttft_ms=p99, achieved_rate=rate * 0.97))
    snap = live.snapshot()
    assert snap.peaks == {}  # not known until the search ends
    pts = snap.curves["peak"]
    assert [(p["level"], p["p99_ttft_ms"], p["met"]) for p in pts] == trials
    assert pts[0]["client_bound"] is False and pts[1]["achieved_rate"] == 1.94
    live.handle(decode({"type": "peak_result", "scenario": "peak", "best": 2.0, "bracket": [2.0, 3.0],
                        "stopped": "converged"}))
    assert live.snapshot().peaks == {"peak": {"best": 2.0, "bracket": [2.0, 3.0], "stopped": "converged"}}
    # A search where no rate met the SLA has no best rate.
    live.handle(decode({"type": "peak_result", "scenario": "peak2", "best": None, "bracket": [None, 0.125],
                        "stopped": "no rate down to 0.125 req/s met the SLA"}))
    assert live.snapshot().peaks["peak2"]["best"] is None


def test_malformed_summaries_are_ignored():
    live = LiveRun()
    live.handle(decode({"type": "step_summary", "scenario": "sweep", "level": 2}))  # no summary
    live.handle(decode({"type": "step_summary", "scenario": "sweep", "level": None, "summary": {}}))  # no level
    live.handle(decode({"type": "step_summary", "scenario": "sweep", "level": 1,
                        "summary": {"output_tokens_per_sec": "fast", "ttft_ms_p50": float("nan"), "met": True}}))
    (point,) = live.snapshot().curves["sweep"]
    assert point["output_tokens_per_sec"] is None and point["ttft_ms_p50"] is None and point["met"] is True
