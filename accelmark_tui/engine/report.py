"""Scenario blocks in the upstream result shape, computed from events files.

Each function returns exactly the upstream ``metrics.<scenario>`` object plus
extra keys the schema allows (full distributions, reliability, send lag),
so richer data never breaks the schema. Throughput figures are medians over
runs; latency percentiles pool every measured request of a level across runs.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Sequence

from accelmark_tui.engine import metrics as m
from accelmark_tui.engine.records import RequestRecord
from accelmark_tui.engine.stats import describe, median, reliability
from accelmark_tui.engine.workload import parse_answer

CONCURRENCY_NOTE = (
    "client_concurrency is the number of requests the load generator kept in flight; "
    "served_concurrency is how many sequences the runner decoded at once (its batch)."
)


def _by_level_run(records: Sequence[RequestRecord]) -> dict[Any, dict[int, list[RequestRecord]]]:
    out: dict[Any, dict[int, list[RequestRecord]]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        out[r.level][r.run].append(r)
    return out


def _p(stats: dict | None, key: str) -> float:
    # Upstream requires numbers here; 0.0 with completed == 0 beside it is the honest "nothing measured".
    return float(stats[key]) if stats and key in stats else 0.0


def _pooled(runs: dict[int, list[RequestRecord]], sla: m.Sla | None = None) -> dict:
    return m.summarize([r for recs in runs.values() for r in recs], sla)


def offline_block(records: Sequence[RequestRecord], served_concurrency: int, chips: int = 1) -> dict:
    rows = []
    for level, runs in sorted(_by_level_run(m.measured(records)).items()):
        per_run = [m.summarize(runs[k]) for k in sorted(runs)]
        tps = [s["output_tokens_per_sec"] for s in per_run if s["output_tokens_per_sec"]]
        tot = [s["total_tokens_per_sec"] for s in per_run if s["total_tokens_per_sec"]]
        pooled = _pooled(runs)
        med = median(tps)
        rows.append({
            "client_concurrency": int(level),
            "served_concurrency": min(int(level), served_concurrency),
            "throughput_tokens_per_sec": round(med, 2) if med else None,
            "throughput_tokens_per_sec_per_chip": round(med / chips, 2) if med else None,
            "throughput_tokens_per_sec_total": round(median(tot), 2) if tot else None,
            "elapsed_seconds_median": round(median([s["window_s"] for s in per_run if s["window_s"]]) or 0, 3),
            "peak_memory_gb": None,
            "power_watts_avg": None,
            "power_watts_peak": None,
            "oom": False,
            "_throughput_note": "output_only",
            "_concurrency_note": CONCURRENCY_NOTE,
            "reliability": reliability(tps),
            "runs": [{"output_tokens_per_sec": s["output_tokens_per_sec"], "window_s": s["window_s"],
                      "completed": s["completed"], "failed": s["failed"]} for s in per_run],
            "requests_failed": pooled["failed"],
            "errors": pooled["errors"],
            "token_count_mismatches": pooled["token_count_mismatches"],
            "prompt_cache_share": pooled["prompt_cache_share"],
            "ttft_ms": pooled["ttft_ms"],
            "tpot_ms": pooled["tpot_ms"],
            "itl_ms": pooled["itl_ms"],
            "e2e_ms": pooled["e2e_ms"],
        })
    return {"results_by_concurrency": rows}


def online_block(records: Sequence[RequestRecord], sla_ttft_ms: float | None, sla_tpot_ms: float | None = None) -> dict:
    sla = m.Sla(sla_ttft_ms, sla_tpot_ms)
    rows = []
    for level, runs in sorted(_by_level_run(m.measured(records)).items()):
        per_run = [m.summarize(runs[k], sla) for k in sorted(runs)]
        pooled = _pooled(runs, sla)
        ttft, tpot = pooled["ttft_ms"], pooled["tpot_ms"]
        # Upstream's sla_met is p99 TTFT only; a TPOT limit feeds goodput (extra keys).
        met = bool(ttft) and sla_ttft_ms is not None and ttft["p99"] <= sla_ttft_ms and pooled["failed"] == 0
        late = pooled.get("late_send_share")
        rows.append({
            "target_qps": level,
            "achieved_qps": round(median([s["request_rate"] for s in per_run if s["request_rate"]]) or 0.0, 3),
            "ttft_ms_p50": _p(ttft, "p50"), "ttft_ms_p90": _p(ttft, "p90"), "ttft_ms_p99": _p(ttft, "p99"),
            "tpot_ms_p50": _p(tpot, "p50"), "tpot_ms_p90": _p(tpot, "p90"), "tpot_ms_p99": _p(tpot, "p99"),
            "elapsed_seconds_median": round(median([s["window_s"] for s in per_run if s["window_s"]]) or 0, 3),
            "sla_met": met,
            "output_tokens_per_sec": median([s["output_tokens_per_sec"] for s in per_run if s["output_tokens_per_sec"]]),
            "goodput_rps": pooled.get("goodput_rps"),
            "send_lag_ms": pooled["send_lag_ms"],
            "late_send_share": late,
            "schedule_held": None if late is None else late <= m.LATE_SHARE_WARN,
            "requests": pooled["requests"], "requests_failed": pooled["failed"], "errors": pooled["errors"],
            # Responses whose server usage disagreed with the client's own token count.
            "token_count_mismatches": pooled["token_count_mismatches"],
            "prompt_cache_share": pooled["prompt_cache_share"],
            "ttft_ms": ttft, "tpot_ms": tpot, "itl_ms": pooled["itl_ms"], "e2e_ms": pooled["e2e_ms"],
            "reliability": reliability([s["ttft_ms"]["p50"] for s in per_run if s["ttft_ms"]]),
        })
    valid = [r["target_qps"] for r in rows if r["sla_met"]]
    return {"sla_ttft_ms": sla_ttft_ms, "sla_tpot_ms": sla_tpot_ms, "max_valid_qps": max(valid) if valid else 0,
            "_sla_note": "sla_met and max_valid_qps use p99 TTFT only (upstream rule); goodput uses every limit given.",
            "results_by_qps": rows}


def interactive_block(records: Sequence[RequestRecord]) -> dict:
    recs = m.measured(records)
    runs: dict[int, list[RequestRecord]] = defaultdict(list)
    for r in recs:
        runs[r.run].append(r)
    pooled = m.summarize(recs)
    per_run_decode = []
    for k in sorted(runs):
        d = [v for v in (m.decode_tps(r) for r in runs[k] if r.ok) if v]
        if d:
            per_run_decode.append(sum(d) / len(d))
    decode = [v for v in (m.decode_tps(r) for r in recs if r.ok) if v]
    ttft, tpot = pooled["ttft_ms"], pooled["tpot_ms"]
    per_run = [m.summarize(runs[k]) for k in sorted(runs)]
    return {
        "ttft_ms_p50": _p(ttft, "p50"), "ttft_ms_p90": _p(ttft, "p90"), "ttft_ms_p99": _p(ttft, "p99"),
        "tpot_ms_p50": _p(tpot, "p50"), "tpot_ms_p90": _p(tpot, "p90"), "tpot_ms_p99": _p(tpot, "p99"),
        "peak_memory_gb": None,
        "elapsed_seconds_median": round(median([s["window_s"] for s in per_run if s["window_s"]]) or 0, 3),
        "decode_tokens_per_sec": round(sum(decode) / len(decode), 3) if decode else None,
        "decode_tokens_per_sec_dist": describe(decode),
        "reliability": reliability(per_run_decode),
        "requests": pooled["requests"], "requests_failed": pooled["failed"], "errors": pooled["errors"],
        "token_count_mismatches": pooled["token_count_mismatches"],
        "prompt_cache_share": pooled["prompt_cache_share"],
        "ttft_ms": ttft, "ttfc_ms": pooled["ttfc_ms"], "tpot_ms": tpot, "itl_ms": pooled["itl_ms"],
        "e2e_ms": pooled["e2e_ms"], "interactivity_tokens_per_sec": pooled["interactivity_tokens_per_sec"],
    }


def accuracy_score(records: Sequence[RequestRecord], items: Sequence[dict]) -> dict:
    """Score the MMLU subset: request_id indexes the item list."""
    by_item = {r.prompt_id: r for r in m.measured(records)}
    correct = answered = failed = 0
    for i, item in enumerate(items):
        rec = by_item.get(i)
        if rec is None:
            continue
        if not rec.ok:
            failed += 1
            continue
        ans = parse_answer(rec.text)
        answered += ans is not None
        correct += ans == item["answer"]
    n = len(items)
    # What guessing among each item's choices scores (1/4 on the four-choice subset).
    chance = [1 / len(item["choices"]) for item in items if item.get("choices")]
    return {"score": round(correct / n, 4) if n else None, "correct": correct, "items": n,
            "answered": answered, "failed": failed, "complete": len(by_item) == n,
            "chance_score": round(sum(chance) / len(chance), 4) if chance else None}


def sustained_block(records: Sequence[RequestRecord], step: dict) -> dict:
    recs = [r for r in records if r.ok and r.end_ns is not None]
    interval = float(step.get("sample_interval_s") or 60.0)
    if not recs:
        return {"sustained_concurrency": step.get("concurrency"), "samples": []}
    t0 = min(r.sent_ns for r in records if r.sent_ns is not None)
    buckets: dict[int, list[RequestRecord]] = defaultdict(list)
    for r in recs:
        buckets[int((r.end_ns - t0) / 1e9 // interval)].append(r)
    samples = []
    for b in sorted(buckets):
        rs = buckets[b]
        toks = sum(m.out_tokens(r) for r in rs)
        tt = describe(v for v in (m.ttft_ms(r) for r in rs) if v is not None)
        samples.append({"minute": round(b * interval / 60.0, 3), "is_warmup": all(r.phase == "warmup" for r in rs),
                        "throughput_tokens_per_sec": round(toks / interval, 3), "tokens_out": toks,
                        "tokens_in": sum(r.input_tokens or 0 for r in rs), "requests_completed": len(rs),
                        "ttft_ms_p50": tt["p50"] if tt else None, "ttft_ms_p99": tt["p99"] if tt else None})
    meas = [s for s in samples if not s["is_warmup"]]
    tps = [s["throughput_tokens_per_sec"] for s in meas]
    overall = m.summarize(records)
    ratio = round(min(tps[-1] / tps[0], 1.0), 4) if len(tps) > 1 and tps[0] else None
    return {
        "sustained_concurrency": step.get("concurrency"),
        "duration_minutes": round(step.get("duration_s", 0) / 60.0, 3),
        "sample_interval_seconds": interval,
        "warmup_minutes": round(step.get("warmup_s", 0) / 60.0, 3),
        "sustained_throughput_tokens_per_sec": overall["output_tokens_per_sec"],
        "prompt_cache_share": overall["prompt_cache_share"],
        "throttle_ratio": ratio,
        "throttle_onset_minute": None,
        "ttft_p99_drift_ms": round(meas[-1]["ttft_ms_p99"] - meas[0]["ttft_ms_p99"], 3)
        if len(meas) > 1 and meas[0]["ttft_ms_p99"] is not None and meas[-1]["ttft_ms_p99"] is not None else None,
        "samples": samples,
        "_throttle_note": "throttle_ratio = last measured interval's throughput / first's, capped at 1.",
    }


def burst_block(records: Sequence[RequestRecord], step: dict, sla_ttft_ms: float | None) -> dict:
    recs = m.measured(records)
    sched = [r.scheduled_ns for r in recs if r.scheduled_ns is not None]
    if not sched:
        return {"sla_ttft_ms": sla_ttft_ms, "results_by_cycle": []}
    t0 = min(sched)
    interval, burst_s = step["interval_s"], step["burst_s"]

    def in_burst(r: RequestRecord) -> bool:
        off = ((r.scheduled_ns or t0) - t0) / 1e9
        return (off % interval) >= interval - burst_s

    steady = [r for r in recs if not in_burst(r)]
    burst = [r for r in recs if in_burst(r)]
    s_sum, b_sum = m.summarize(steady), m.summarize(burst)
    st, bt = s_sum["ttft_ms"], b_sum["ttft_ms"]
    return {
        "sla_ttft_ms": sla_ttft_ms, "burst_steady_qps": step["steady_qps"], "burst_peak_qps": step["peak_qps"],
        "burst_duration_seconds": burst_s, "burst_interval_seconds": interval,
        "steady_ttft_p50_ms": st["p50"] if st else None, "steady_ttft_p99_ms": st["p99"] if st else None,
        "burst_ttft_p50_ms": bt["p50"] if bt else None, "burst_ttft_p99_ms": bt["p99"] if bt else None,
        "steady_requests_total": len(steady), "burst_requests_total": len(burst),
        "sla_met_during_burst": (bt["p99"] <= sla_ttft_ms) if bt and sla_ttft_ms else None,
        "burst_degradation_ratio": round(bt["p99"] / st["p99"], 4) if bt and st and st["p99"] else None,
        "results_by_cycle": None,
        "prompt_cache_share": m.prompt_cache_share(recs),
        "send_lag_ms": m.summarize(recs)["send_lag_ms"],
    }
