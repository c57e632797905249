"""Concurrency sweeps and SLA peak search: the plan logic and their result blocks.

Peak search is LoadGen's Server-scenario idea: the highest arrival rate whose
p99 TTFT (and p99 TPOT where a limit is given) meets the SLA, found by
doubling until a rate fails and then bisecting. A failed request counts as
missing the SLA. A trial whose sends ran late (over 10 % of them more than
10 ms behind schedule) measured the client, not the server: the search stops
there and says so. The runner process decides the next rate with
``trial_verdict``; the result block is recomputed from the events file with the
same function, so the two can never disagree.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterable, Sequence

from accelmark_tui.engine import metrics
from accelmark_tui.engine.records import PHASE_MEASURE, RequestRecord
from accelmark_tui.engine.stats import percentile
from accelmark_tui.scenarios.curves import pareto


def sla_of(plan: dict[str, Any]) -> metrics.Sla | None:
    """A scenario plan's SLA limits, or None when it has none."""
    if plan.get("sla_ttft_ms") is None and plan.get("sla_tpot_ms") is None:
        return None
    return metrics.Sla(plan.get("sla_ttft_ms"), plan.get("sla_tpot_ms"))


def _p(values: list[float], q: float) -> float | None:
    return round(percentile(sorted(values), q), 3) if values else None


def point(records: Sequence[RequestRecord], sla: metrics.Sla | None = None) -> dict[str, Any]:
    """The figures of one level: system throughput, per-user speed, latency percentiles."""
    recs = metrics.measured(records)
    ok = [r for r in recs if r.ok]
    s = metrics.summarize(recs, sla)
    ttft = [v for v in (metrics.ttft_ms(r) for r in ok) if v is not None]
    tpot = [v for v in (metrics.tpot_ms(r) for r in ok) if v is not None]
    per_user = [1000.0 / t for t in tpot if t > 0]
    return {
        "requests": s["requests"], "completed": s["completed"], "failed": s["failed"], "errors": s["errors"],
        "request_rate": s["request_rate"], "output_tokens_per_sec": s["output_tokens_per_sec"],
        "tokens_per_sec_per_user": round(sum(per_user) / len(per_user), 3) if per_user else None,
        "ttft_ms_p50": _p(ttft, 50), "ttft_ms_p99": _p(ttft, 99),
        "tpot_ms_p50": _p(tpot, 50), "tpot_ms_p99": _p(tpot, 99),
        "e2e_ms_p50": (s["e2e_ms"] or {}).get("p50"),
        "send_lag_ms_p99": (s["send_lag_ms"] or {}).get("p99"),
        "late_send_share": s["late_send_share"],
        "token_count_mismatches": s["token_count_mismatches"],
        "prompt_cache_share": s["prompt_cache_share"],
        **({"goodput_rps": s.get("goodput_rps")} if "goodput_rps" in s else {}),
    }


def by_level(records: Iterable[RequestRecord]) -> "OrderedDict[Any, list[RequestRecord]]":
    """Measured records grouped by level, in the order levels were first run."""
    out: OrderedDict[Any, list[RequestRecord]] = OrderedDict()
    for r in records:
        if r.phase == PHASE_MEASURE:
            out.setdefault(r.level, []).append(r)
    return out


def sweep_block(records: Sequence[RequestRecord], sla: metrics.Sla | None = None) -> dict[str, Any]:
    points = []
    for level, recs in by_level(records).items():
        points.append({"concurrency": level, **point(recs, sla)})
    return {
        "kind": "concurrency_sweep",
        "points": points,
        "pareto_front": pareto(points),
        "note": "Throughput per system (output tok/s) against interactivity (mean tok/s per user = 1/TPOT), "
                "one point per concurrency level; warm-up excluded.",
    }


# ── peak search ──────────────────────────────────────────────────────────────


def trial_verdict(records: Sequence[RequestRecord], sla: metrics.Sla) -> dict[str, Any]:
    recs = metrics.measured(records)
    # Failed requests count as missing the SLA (their TTFT is "infinite").
    ttft = sorted((metrics.ttft_ms(r) if r.ok else None) or float("inf") for r in recs)
    tpot = sorted(v for v in (metrics.tpot_ms(r) for r in recs if r.ok) if v is not None)
    p99_ttft = percentile(ttft, 99) if ttft else float("inf")
    p99_tpot = percentile(tpot, 99) if tpot else None
    lags = [v for v in (metrics.send_lag_ms(r) for r in recs) if v is not None]
    late = sum(1 for v in lags if v > metrics.LATE_SEND_MS) / len(lags) if lags else 0.0
    met = p99_ttft <= (sla.ttft_ms if sla.ttft_ms is not None else float("inf"))
    if sla.tpot_ms is not None and (p99_tpot is None or p99_tpot > sla.tpot_ms):
        met = False
    client_bound = late > metrics.LATE_SHARE_WARN
    win = metrics.window_s(recs)
    ok = sum(1 for r in recs if r.ok)
    return {
        "met": bool(met and not client_bound),
        "client_bound": client_bound,
        "p99_ttft_ms": None if p99_ttft == float("inf") else round(p99_ttft, 3),
        "p99_tpot_ms": None if p99_tpot is None else round(p99_tpot, 3),
        "late_send_share": round(late, 4),
        "achieved_rate": round(ok / win, 4) if win else None,
        "requests": len(recs), "failed": len(recs) - ok,
    }


class PeakSearch:
    """Next rate to try, given the verdicts so far (doubling, then bisection)."""

    def __init__(self, start_rate: float, max_rate: float, tolerance: float = 0.05, max_trials: int = 12) -> None:
        self.rate = float(start_rate)
        self.max_rate = float(max_rate)
        self.tol = float(tolerance)
        self.max_trials = int(max_trials)
        self.lo: float | None = None  # highest rate that met the SLA
        self.hi: float | None = None  # lowest rate that did not
        self.trials = 0
        self.stopped_reason: str | None = None
        # Below this the search gives up: no useful rate meets the SLA (and trials would crawl).
        self.min_rate = self.rate / 8

    def next_rate(self) -> float | None:
        if self.stopped_reason or self.trials >= self.max_trials:
            self.stopped_reason = self.stopped_reason or "trial limit reached"
            return None
        if self.hi is None:  # still growing
            if self.lo is not None and self.lo >= self.max_rate:
                self.stopped_reason = "the highest rate allowed met the SLA"
                return None
            return self.rate
        lo = self.lo or 0.0
        if self.hi - lo <= self.tol * self.hi:
            self.stopped_reason = "converged"
            return None
        if self.lo is None and self.hi <= self.min_rate:
            self.stopped_reason = f"no rate down to {self.hi:g} req/s met the SLA"
            return None
        return round((lo + self.hi) / 2, 4)

    def record(self, rate: float, verdict: dict[str, Any]) -> None:
        self.trials += 1
        if verdict.get("client_bound"):
            self.stopped_reason = "the client could not hold the schedule (over 10 % of sends were late)"
            self.hi = rate
            return
        if verdict["met"]:
            self.lo = rate
            if self.hi is None:
                self.rate = min(rate * 2, self.max_rate)
        else:
            self.hi = rate


def peak_block(records: Sequence[RequestRecord], sla: metrics.Sla, plan_step: dict[str, Any]) -> dict[str, Any]:
    trials = []
    search = PeakSearch(plan_step["start_rate"], plan_step["max_rate"], plan_step.get("tolerance", 0.05),
                        plan_step.get("max_trials", 12))
    for level, recs in by_level(records).items():
        v = trial_verdict(recs, sla)
        trials.append({"rate": level, **v, "prompt_cache_share": metrics.prompt_cache_share(metrics.measured(recs))})
        search.record(float(level), v)
    search.next_rate()  # settles stopped_reason when the run finished the search
    best = search.lo
    return {
        "kind": "peak_search",
        "sla": {"ttft_ms_p99": sla.ttft_ms, "tpot_ms_p99": sla.tpot_ms},
        "max_rate_meeting_sla": best,
        "bracket": [search.lo, search.hi],
        "trials": trials,
        "stopped": search.stopped_reason,
        "note": "Highest Poisson arrival rate (req/s) whose p99 TTFT (and p99 TPOT where limited) met the SLA; "
                "failed requests count as misses; doubling then bisection, as LoadGen's Server scenario.",
    }
