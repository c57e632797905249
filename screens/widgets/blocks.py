"""Scenario metric blocks as (title, columns, rows) of display strings.

Pure Python (no Textual), so the live screen and the run detail screen show a
finished scenario with the same columns, and tests can check the numbers
without a terminal. Blocks are the upstream-shaped ones the engine writes
(``metrics.<scenario>``), or the live accuracy block (score/correct/items).
"""

from __future__ import annotations

from typing import Any

from accelmark_tui.scenarios.format import cv_of, decode_tok_s, fmt

Table = tuple[str, list[str], list[list[str]]]


def _f(value: Any, digits: int = 1) -> str:
    return fmt(value, digits)


def _offline(b: dict[str, Any]) -> Table:
    rows = []
    for r in b.get("results_by_concurrency") or []:
        cv, stability = cv_of(r)
        rows.append([_f(r.get("client_concurrency")), _f(r.get("throughput_tokens_per_sec")),
                     _f(r.get("throughput_tokens_per_sec_total")), _f(r.get("elapsed_seconds_median")),
                     _f(cv), stability or "-", "OOM" if r.get("oom") else ""])
    return ("Offline: output tok/s by client concurrency",
            ["concurrency", "output tok/s", "total tok/s", "elapsed s", "cv %", "stability", ""], rows)


def _online(b: dict[str, Any]) -> Table:
    rows = [[_f(r.get("target_qps")), _f(r.get("achieved_qps"), 2), _f(r.get("ttft_ms_p50")), _f(r.get("ttft_ms_p99")),
             _f(r.get("tpot_ms_p50"), 2), _f(r.get("tpot_ms_p99"), 2), _f(r.get("sla_met"))]
            for r in b.get("results_by_qps") or []]
    title = (f"Online: SLA TTFT p99 ≤ {_f(b.get('sla_ttft_ms'), 0)} ms, "
             f"max valid QPS {_f(b.get('max_valid_qps'))}")
    return title, ["target QPS", "achieved", "TTFT p50", "TTFT p99", "TPOT p50", "TPOT p99", "SLA met"], rows


def _interactive(b: dict[str, Any]) -> Table:
    rows = [["TTFT ms", _f(b.get("ttft_ms_p50")), _f(b.get("ttft_ms_p90")), _f(b.get("ttft_ms_p99"))],
            ["TPOT ms", _f(b.get("tpot_ms_p50"), 2), _f(b.get("tpot_ms_p90"), 2), _f(b.get("tpot_ms_p99"), 2)],
            # 1000/TPOT per percentile: the p99 column is the slow end of per-user speed.
            ["decode tok/s", _f(decode_tok_s(b.get("tpot_ms_p50"))), _f(decode_tok_s(b.get("tpot_ms_p90"))),
             _f(decode_tok_s(b.get("tpot_ms_p99")))]]
    decode = b.get("decode_tokens_per_sec")
    title = "Interactive: one request at a time" + (f", decode {_f(decode)} tok/s (mean)" if decode is not None else "")
    return title, ["metric", "p50", "p90", "p99"], rows


def _accuracy(b: dict[str, Any]) -> Table:
    if "subset_score" in b:  # the saved receipt
        return accuracy_receipt(b)
    return ("Accuracy: MMLU subset, greedy", ["score", "correct", "items", "answered", "failed"],
            [[_f(b.get("score"), 2), _f(b.get("correct")), _f(b.get("items")), _f(b.get("answered")),
              _f(b.get("failed"))]])


def _sustained(b: dict[str, Any]) -> Table:
    rows = [[_f(s.get("minute")), _f(s.get("is_warmup")), _f(s.get("throughput_tokens_per_sec")),
             _f(s.get("requests_completed")), _f(s.get("ttft_ms_p50")), _f(s.get("ttft_ms_p99"))]
            for s in b.get("samples") or [] if isinstance(s, dict)]
    title = (f"Sustained: {_f(b.get('sustained_throughput_tokens_per_sec'))} tok/s at concurrency "
             f"{_f(b.get('sustained_concurrency'))}")
    return title, ["minute", "warm-up", "tok/s", "requests", "TTFT p50", "TTFT p99"], rows


def _burst(b: dict[str, Any]) -> Table:
    return ("Burst: TTFT when the rate jumps",
            ["steady QPS", "peak QPS", "burst TTFT p50", "burst TTFT p99", "steady TTFT p99", "SLA met"],
            [[_f(b.get("burst_steady_qps")), _f(b.get("burst_peak_qps")), _f(b.get("burst_ttft_p50_ms")),
              _f(b.get("burst_ttft_p99_ms")), _f(b.get("steady_ttft_p99_ms")), _f(b.get("sla_met_during_burst"))]])


def _g(value: Any) -> str:
    """A rate as the search chose it (1, 2.5, 3.75), without padding zeros."""
    return f"{value:g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else _f(value)


def _sweep(b: dict[str, Any]) -> Table:
    front = set(b.get("pareto_front") or [])
    rows = [[_f(p.get("concurrency")), _f(p.get("output_tokens_per_sec")), _f(p.get("tokens_per_sec_per_user")),
             _f(p.get("ttft_ms_p50")), _f(p.get("ttft_ms_p99")), _f(p.get("tpot_ms_p50"), 2), _f(p.get("failed")),
             "yes" if i in front else ""]
            for i, p in enumerate(b.get("points") or []) if isinstance(p, dict)]
    return ("Sweep: throughput per system against per-user speed, by concurrency",
            ["concurrency", "output tok/s", "tok/s per user", "TTFT p50", "TTFT p99", "TPOT p50", "failed",
             "Pareto"], rows)


def _peak(b: dict[str, Any]) -> Table:
    sla = b.get("sla") or {}
    best = b.get("max_rate_meeting_sla")
    rows = [[_g(t.get("rate")), _f(t.get("achieved_rate"), 2), _f(t.get("p99_ttft_ms")), _f(t.get("p99_tpot_ms"), 2),
             _f(t.get("failed")), "client-bound" if t.get("client_bound") else _f(t.get("met"))]
            for t in b.get("trials") or [] if isinstance(t, dict)]
    head = f"peak {_g(best)} req/s" if best is not None else "no rate met the SLA"
    title = (f"Peak search: {head} at p99 TTFT ≤ {_f(sla.get('ttft_ms_p99'), 0)} ms"
             + (f" ({b['stopped']})" if b.get("stopped") else ""))
    return title, ["rate", "achieved", "p99 TTFT", "p99 TPOT", "failed", "SLA met"], rows


def _generic(name: str, b: dict[str, Any]) -> Table:
    rows = [[k, _f(v, 2)] for k, v in b.items() if not isinstance(v, (dict, list)) and not k.startswith("_")]
    return name.capitalize(), ["figure", "value"], rows


_BUILDERS = {"offline": _offline, "online": _online, "interactive": _interactive, "accuracy": _accuracy,
             "sustained": _sustained, "burst": _burst, "sweep": _sweep, "peak": _peak}


def scenario_table(name: str, block: dict[str, Any]) -> Table:
    """The table for one finished scenario; unknown scenarios list their scalar figures."""
    build = _BUILDERS.get(name)
    return build(block) if build else _generic(name, block)


def accuracy_receipt(acc: dict[str, Any]) -> Table:
    """The saved accuracy receipt (``accuracy/accuracy.json``) against its baseline."""
    baseline = acc.get("baseline_score")
    if baseline is None and acc.get("subset_score") is not None and acc.get("baseline_delta") is not None:
        baseline = round(acc["subset_score"] - acc["baseline_delta"], 4)
    return ("Accuracy receipt: MMLU subset (100 items, greedy)",
            ["score", "baseline", "delta", "valid", "precision", "framework"],
            [[_f(acc.get("subset_score"), 2), _f(baseline, 2), _f(acc.get("baseline_delta"), 2), _f(acc.get("valid")),
              _f(acc.get("precision")), _f(acc.get("framework"))]])
