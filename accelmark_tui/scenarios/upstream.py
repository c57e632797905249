"""Upstream's scenarios: offline (closed loop), online (open loop), interactive, sustained
(throttling), burst (rate jumps) and the accuracy check.

While a run is live the accuracy block is the scorer's (score, correct,
items, answered, chance…), judged against the model's baseline when it is
written; a saved run keeps the receipt ``accuracy/accuracy.json`` (subset
score against the baseline, with the scorer's counts), which is the one exported.
"""

from __future__ import annotations

from typing import Any

from accelmark_tui.scenarios.definition import Column, Fact, Row, View, cache_cells, cache_columns, engine_scenario
from accelmark_tui.scenarios.format import cv_of, decode_tok_s, fmt, share_pct
from accelmark_tui.scenarios.headline import decode_headline


def _rows(block: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return [r for r in block.get(key) or [] if isinstance(r, dict)]


# ── offline ──────────────────────────────────────────────────────────────────

OFFLINE_COLUMNS = (Column("concurrency"), Column("output tok/s", export="output_tok_s"),
                   Column("total tok/s", export="total_tok_s"), Column("elapsed s", export="elapsed_s"),
                   Column("cv %", export="cv_pct"), Column("stability"), Column("oom"))


def offline_view(block: dict[str, Any]) -> View:
    rows = []
    data = _rows(block, "results_by_concurrency")
    cache = cache_columns(data)
    for r in data:
        cv, stability = cv_of(r)
        c = r.get("client_concurrency")
        rows.append(Row((c, r.get("throughput_tokens_per_sec"), r.get("throughput_tokens_per_sec_total"),
                         r.get("elapsed_seconds_median"), cv, stability, r.get("oom"), *cache_cells(r, cache)),
                        test=f"c={c}", level=c))
    return View("Offline (output tok/s by client concurrency; total counts input + output)", OFFLINE_COLUMNS + cache,
                tuple(rows))


def offline_headline(block: dict[str, Any]) -> str:
    return ", ".join(f"c={r['client_concurrency']}: {r['throughput_tokens_per_sec']} tok/s"
                     for r in _rows(block, "results_by_concurrency"))


# ── online ───────────────────────────────────────────────────────────────────

ONLINE_COLUMNS = (Column("target QPS"), Column("achieved", 2, export="achieved_qps"),
                  *(Column(f"{m.upper()} {p}", 2 if m == "tpot" else 1, export=f"{m}_{p}_ms")
                    for m in ("ttft", "tpot") for p in ("p50", "p90", "p99")),
                  Column("1000/TPOT", export="decode_tok_s"), Column("elapsed s", export="elapsed_s"),
                  Column("SLA met", export="sla_met"))


def online_view(block: dict[str, Any]) -> View:
    rows = []
    data = _rows(block, "results_by_qps")
    cache = cache_columns(data)
    for r in data:
        q = r.get("target_qps")
        rows.append(Row((q, r.get("achieved_qps"),
                         *(r.get(f"{m}_ms_{p}") for m in ("ttft", "tpot") for p in ("p50", "p90", "p99")),
                         decode_tok_s(r.get("tpot_ms_p50")), r.get("elapsed_seconds_median"), r.get("sla_met"),
                         *cache_cells(r, cache)),
                        test=f"qps={q}", level=q))
    return View(f"Online (SLA: TTFT p99 <= {fmt(block.get('sla_ttft_ms'), 0)} ms; "
                f"max valid QPS {fmt(block.get('max_valid_qps'))})", ONLINE_COLUMNS + cache, tuple(rows),
                facts=(Fact("max valid QPS", block.get("max_valid_qps"), export="max_qps_sla"),), step=("sla", None))


def online_headline(block: dict[str, Any]) -> str:
    return f"max valid QPS {block.get('max_valid_qps')} (SLA p99 TTFT ≤ {block.get('sla_ttft_ms')} ms); " + ", ".join(
        f"{r['target_qps']} req/s: p99 TTFT {r['ttft_ms_p99']:.0f} ms" for r in _rows(block, "results_by_qps"))


# ── interactive ──────────────────────────────────────────────────────────────

PERCENTILES = ("p50", "p90", "p99")
INTERACTIVE_COLUMNS = (Column("metric"), *(Column(p, 2) for p in PERCENTILES))  # 2 places: TPOT is a few ms


def interactive_view(block: dict[str, Any]) -> View:
    def metric(label: str, m: str) -> Row:
        return Row((label, *(block.get(f"{m}_ms_{p}") for p in PERCENTILES)), test="c=1", level=1,
                   export=(None, *(f"{m}_{p}_ms" for p in PERCENTILES)))

    # Per-user decode speed at each TPOT percentile (the p99 column is the slow end of speed);
    # the p50 one is the export's decode tok/s.
    decode = Row(("decode tok/s", *(decode_tok_s(block.get(f"tpot_ms_{p}")) for p in PERCENTILES)), test="c=1",
                 level=1, export=(None, "decode_tok_s", None, None))
    head = decode_headline({"interactive": block})
    title = "Interactive (one request at a time" + (f"; {head.text(source=False)})" if head.value is not None else ")")
    return View(title, INTERACTIVE_COLUMNS, (metric("TTFT ms", "ttft"), metric("TPOT ms", "tpot"), decode),
                facts=(Fact("peak memory GB", block.get("peak_memory_gb")),
                       Fact("elapsed s (median)", block.get("elapsed_seconds_median"), export="elapsed_s"),
                       Fact("prompt cache %", share_pct(block.get("prompt_cache_share")), export="prompt_cache_pct")),
                step=("c=1", 1))


def interactive_headline(block: dict[str, Any]) -> str:
    return (f"TTFT p50 {fmt(block.get('ttft_ms_p50'), 1)} ms, TPOT p50 {fmt(block.get('tpot_ms_p50'), 2)} ms, "
            f"{decode_headline({'interactive': block}).text(source=False)}")


# ── sustained ────────────────────────────────────────────────────────────────

SUSTAINED_COLUMNS = (Column("minute"), Column("warm-up"), Column("tok/s"), Column("requests"), Column("TTFT p50 ms"),
                     Column("TTFT p99 ms"))


def sustained_view(block: dict[str, Any]) -> View:
    # One row per sample interval, shown only: the export row is the run's sustained figure.
    rows = tuple(Row((s.get("minute"), s.get("is_warmup"), s.get("throughput_tokens_per_sec"),
                      s.get("requests_completed"), s.get("ttft_ms_p50"), s.get("ttft_ms_p99")))
                 for s in block.get("samples") or [] if isinstance(s, dict))
    c, tok_s = block.get("sustained_concurrency"), block.get("sustained_throughput_tokens_per_sec")
    return View(
        f"Sustained ({fmt(tok_s, 1)} tok/s at concurrency {fmt(c)})", SUSTAINED_COLUMNS, rows,
        facts=(Fact("throughput tok/s", tok_s, export="output_tok_s"),
               Fact("duration min", block.get("duration_minutes")),
               Fact("warm-up min", block.get("warmup_minutes")),
               Fact("sample interval s", block.get("sample_interval_seconds")),
               Fact("throttle ratio", block.get("throttle_ratio")),
               Fact("throttle onset minute", block.get("throttle_onset_minute")),
               Fact("TTFT p99 drift ms", block.get("ttft_p99_drift_ms")),
               Fact("prompt cache %", share_pct(block.get("prompt_cache_share")), export="prompt_cache_pct")),
        step=(f"c={c} {fmt(block.get('duration_minutes'), 1)} min", c))


def sustained_headline(block: dict[str, Any]) -> str:
    return f"{block.get('sustained_throughput_tokens_per_sec')} tok/s sustained"


# ── burst ────────────────────────────────────────────────────────────────────

BURST_COLUMNS = (Column("steady QPS"), Column("peak QPS"), Column("burst TTFT p50", export="ttft_p50_ms"),
                 Column("burst TTFT p99", export="ttft_p99_ms"), Column("steady TTFT p99"),
                 Column("SLA met", export="sla_met"))


def burst_view(block: dict[str, Any]) -> View:
    steady, peak = block.get("burst_steady_qps"), block.get("burst_peak_qps")
    cache = cache_columns([block])
    row = Row((steady, peak, block.get("burst_ttft_p50_ms"), block.get("burst_ttft_p99_ms"),
               block.get("steady_ttft_p99_ms"), block.get("sla_met_during_burst"), *cache_cells(block, cache)),
              test=f"{fmt(steady)}->{fmt(peak)} qps", level=peak)
    return View("Burst (TTFT when the rate jumps)", BURST_COLUMNS + cache, (row,),
                facts=(Fact("SLA TTFT p99 ms", block.get("sla_ttft_ms")),
                       Fact("burst s / interval s", _pair(block.get("burst_duration_seconds"),
                                                          block.get("burst_interval_seconds"))),
                       Fact("requests steady / burst", _pair(block.get("steady_requests_total"),
                                                             block.get("burst_requests_total"))),
                       Fact("steady TTFT p50 ms", block.get("steady_ttft_p50_ms")),
                       Fact("p99 burst / steady", block.get("burst_degradation_ratio"))))


def _pair(a: Any, b: Any) -> str | None:
    return None if a is None and b is None else f"{fmt(a)} / {fmt(b)}"


def burst_headline(block: dict[str, Any]) -> str:
    return f"burst p99 TTFT {block.get('burst_ttft_p99_ms')} ms vs steady {block.get('steady_ttft_p99_ms')} ms"


# ── accuracy ─────────────────────────────────────────────────────────────────

# Score, how many items got an answer, what guessing would score and the baseline side by side:
# a score below chance says "most items got no answer", not "the model knows less than a coin".
ACCURACY_COLUMNS = (Column("score", 2, export="accuracy_score"), Column("answered"), Column("chance", 2),
                    Column("baseline", 2), Column("delta", 2), Column("valid", export="accuracy_valid"),
                    Column("precision"), Column("framework"))


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def below_chance(acc: dict[str, Any]) -> str | None:
    """Why a score is below what guessing scores, in one sentence; None when it is not below."""
    score = acc.get("subset_score", acc.get("score"))
    chance = acc.get("chance_score")
    items, answered, correct = _int(acc.get("items")), _int(acc.get("answered")), _int(acc.get("correct"))
    if not isinstance(score, (int, float)) or not isinstance(chance, (int, float)) or score >= chance:
        return None
    if items is None or answered is None:
        return f"the score {score:.2f} is below chance ({chance:.2f})"
    if answered == items:
        return f"all {items} items were answered, {fmt(correct)} right: worse than guessing ({chance:.2f})"
    failed = _int(acc.get("failed")) or 0
    why = f"{items - answered} of {items} items got no answer" + (f" ({failed} requests failed)" if failed else "")
    if not answered or correct is None:
        return f"{why} and count as wrong"
    return f"{why} and count as wrong; {correct} of the {answered} answered were right ({correct / answered:.2f})"


def _baseline(acc: dict[str, Any]) -> Any:
    """The baseline the score was judged against (derived when only the delta was kept); "none" if judged without."""
    score = acc.get("subset_score", acc.get("score"))
    if acc.get("baseline_score") is not None:
        return acc["baseline_score"]
    if score is not None and acc.get("baseline_delta") is not None:
        return round(score - acc["baseline_delta"], 4)
    return "none" if "valid" in acc else None


def receipt_view(acc: dict[str, Any]) -> View:
    """The saved receipt ``accuracy/accuracy.json``, or the scorer's block once judged: one table."""
    items, answered = _int(acc.get("items")), _int(acc.get("answered"))
    row = Row((acc.get("subset_score", acc.get("score")),
               f"{answered}/{items}" if answered is not None and items else None, acc.get("chance_score"),
               _baseline(acc), acc.get("baseline_delta"), acc.get("valid"), acc.get("precision"), acc.get("framework")),
              test="mmlu100")
    why = below_chance(acc)
    return View("Accuracy (MMLU subset, 100 items, greedy)", ACCURACY_COLUMNS, (row,),
                facts=(Fact("below chance", why),) if why else ())


def accuracy_headline(acc: dict[str, Any]) -> str:
    items, answered = _int(acc.get("items")), _int(acc.get("answered"))
    counts = [f"{fmt(acc.get('correct'))}/{items} right"] if items else []
    counts += [f"{answered} answered"] if answered is not None else []
    parts = [f"score {fmt(acc.get('subset_score', acc.get('score')))}" + (f" ({', '.join(counts)})" if counts else "")]
    if acc.get("chance_score") is not None:
        parts.append(f"chance {acc['chance_score']:.2f}")
    if (baseline := _baseline(acc)) is not None:
        parts.append(f"baseline {fmt(baseline)}")
    why = below_chance(acc)
    return ", ".join(parts) + (f"; below chance: {why}" if why else "")


# ── the definitions ──────────────────────────────────────────────────────────

OFFLINE = engine_scenario("offline", offline_view, offline_headline)
ONLINE = engine_scenario("online", online_view, online_headline, open_loop=("results_by_qps", "target_qps"))
INTERACTIVE = engine_scenario("interactive", interactive_view, interactive_headline)
SUSTAINED = engine_scenario("sustained", sustained_view, sustained_headline)
BURST = engine_scenario("burst", burst_view, burst_headline)
ACCURACY = engine_scenario("accuracy", receipt_view, accuracy_headline)
SCENARIOS = (OFFLINE, ONLINE, INTERACTIVE, SUSTAINED, BURST, ACCURACY)
