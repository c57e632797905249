"""accelmark's own scenarios, drawn as curves: the concurrency sweep and the SLA peak search.

Neither is an upstream scenario: their blocks go under new ``metrics`` keys
and their own files, never into ``task.scenarios_run``. The Pareto front is
defined here (pure) so the engine's sweep block and the app's curves share it.
"""

from __future__ import annotations

from typing import Any

from accelmark_tui.scenarios.definition import (Column, Fact, Row, View, cache_cells, cache_columns, engine_scenario,
                                                rate)
from accelmark_tui.scenarios.format import fmt


def pareto(points: list[dict[str, Any]]) -> list[int]:
    """Indices of points no other point beats on both throughput and per-user speed."""
    keep = []
    for i, p in enumerate(points):
        a, b = p.get("output_tokens_per_sec"), p.get("tokens_per_sec_per_user")
        if a is None or b is None:
            continue
        dominated = any(
            (q.get("output_tokens_per_sec") or 0) >= a and (q.get("tokens_per_sec_per_user") or 0) >= b
            and ((q.get("output_tokens_per_sec") or 0) > a or (q.get("tokens_per_sec_per_user") or 0) > b)
            for j, q in enumerate(points) if j != i
        )
        if not dominated:
            keep.append(i)
    return keep


def _num(v: Any) -> str:
    return "-" if v is None else f"{v:.0f}" if v >= 100 else f"{v:.1f}"


# ── sweep ────────────────────────────────────────────────────────────────────

SWEEP_COLUMNS = (Column("concurrency"), Column("output tok/s", export="output_tok_s"), Column("tok/s per user"),
                 Column("TTFT p50", export="ttft_p50_ms"), Column("TTFT p99", export="ttft_p99_ms"),
                 Column("TPOT p50", 2, export="tpot_p50_ms"), Column("failed"), Column("Pareto"))


def sweep_view(block: dict[str, Any]) -> View:
    front = set(block.get("pareto_front") or [])
    points = [p for p in block.get("points") or [] if isinstance(p, dict)]
    cache = cache_columns(points)
    rows = tuple(Row((p.get("concurrency"), p.get("output_tokens_per_sec"), p.get("tokens_per_sec_per_user"),
                      p.get("ttft_ms_p50"), p.get("ttft_ms_p99"), p.get("tpot_ms_p50"), p.get("failed"),
                      "yes" if i in front else "", *cache_cells(p, cache)), test=f"c={p.get('concurrency')}",
                     level=p.get("concurrency"))
                 for i, p in enumerate(block.get("points") or []) if isinstance(p, dict))
    return View("Sweep (throughput per system against per-user speed, by concurrency)", SWEEP_COLUMNS + cache, rows)


def sweep_headline(block: dict[str, Any]) -> str:
    return ", ".join(f"c={p['concurrency']}: {_num(p.get('output_tokens_per_sec'))} tok/s, "
                     f"{_num(p.get('tokens_per_sec_per_user'))} tok/s/user, p99 TTFT {_num(p.get('ttft_ms_p99'))} ms"
                     for p in block.get("points", []))


# ── peak search ──────────────────────────────────────────────────────────────

PEAK_COLUMNS = (Column("rate"), Column("achieved", 2, export="achieved_qps"), Column("p99 TTFT", export="ttft_p99_ms"),
                Column("p99 TPOT", 2, export="tpot_p99_ms"), Column("failed"), Column("SLA met", export="sla_met"))


def peak_view(block: dict[str, Any]) -> View:
    trials = [t for t in block.get("trials") or [] if isinstance(t, dict)]
    cache = cache_columns(trials)
    rows = tuple(Row((rate(t.get("rate")), t.get("achieved_rate"), t.get("p99_ttft_ms"), t.get("p99_tpot_ms"),
                      t.get("failed"), "client-bound" if t.get("client_bound") else t.get("met"),
                      *cache_cells(t, cache)), test=f"rate={rate(t.get('rate'))}", level=t.get("rate"))
                 for t in trials)
    best = block.get("max_rate_meeting_sla")
    head = f"peak {rate(best)} req/s" if best is not None else "no rate met the SLA"
    title = (f"Peak search: {head} at p99 TTFT ≤ {fmt((block.get('sla') or {}).get('ttft_ms_p99'), 0)} ms"
             + (f" ({block['stopped']})" if block.get("stopped") else ""))
    return View(title, PEAK_COLUMNS + cache, rows,
                facts=(Fact("peak rate meeting SLA", best, export="max_qps_sla"),), step=("sla", None))


def peak_headline(block: dict[str, Any]) -> str:
    best = block.get("max_rate_meeting_sla")
    sla = (block.get("sla") or {}).get("ttft_ms_p99")
    found = f"{best:g} req/s" if best is not None else "no rate"
    return f"{found} met p99 TTFT ≤ {sla:g} ms over {len(block.get('trials', []))} trials ({block.get('stopped')})"


# ── the definitions ──────────────────────────────────────────────────────────

SWEEP = engine_scenario("sweep", sweep_view, sweep_headline, own=True, curves=True)
PEAK = engine_scenario("peak", peak_view, peak_headline, own=True, curves=True,
                       open_loop=("trials", "rate"))
SCENARIOS = (SWEEP, PEAK)
