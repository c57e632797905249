"""The metric contract: one definition for every runner.

| TTFT  first token − actual send        | TTFC  first visible content − actual send |
| TPOT  (end − first token)/(out − 1)    | ITL   gaps between token arrivals (a chunk of k tokens: gap/k, k times) |
| E2E   end − actual send                | send lag  actual send − scheduled send |
| output tok/s  Σ output tokens / measured window (warm-up excluded) |
| interactivity 1/TPOT | goodput  requests/s meeting every SLA limit |
| prompt cache share  Σ prompt tokens the server served from its cache / Σ prompt tokens (None: it never said) |

Failed requests are counted and never enter latency statistics.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

from accelmark_tui.engine.records import PHASE_MEASURE, RequestRecord
from accelmark_tui.engine.stats import describe

NS_PER_MS = 1_000_000
LATE_SEND_MS = 10.0  # an open-loop send more than this late counts as "late"
LATE_SHARE_WARN = 0.10  # over this share late, the result says the schedule was not held


@dataclass(slots=True)
class Sla:
    ttft_ms: float | None = None
    tpot_ms: float | None = None

    def met_by(self, rec: RequestRecord) -> bool:
        if not rec.ok:
            return False
        if self.ttft_ms is not None:
            t = ttft_ms(rec)
            if t is None or t > self.ttft_ms:
                return False
        if self.tpot_ms is not None:
            t = tpot_ms(rec)
            if t is not None and t > self.tpot_ms:
                return False
        return True


def _ms(a: int | None, b: int | None) -> float | None:
    if a is None or b is None:
        return None
    return (a - b) / NS_PER_MS


def ttft_ms(r: RequestRecord) -> float | None:
    return _ms(r.first_token_ns, r.sent_ns)


def ttfc_ms(r: RequestRecord) -> float | None:
    return _ms(r.first_content_ns, r.sent_ns)


def e2e_ms(r: RequestRecord) -> float | None:
    return _ms(r.end_ns, r.sent_ns)


def send_lag_ms(r: RequestRecord) -> float | None:
    return _ms(r.sent_ns, r.scheduled_ns)


def out_tokens(r: RequestRecord) -> int:
    if r.output_tokens is not None:
        return r.output_tokens
    if r.output_tokens_client is not None:
        return r.output_tokens_client
    return sum(r.chunk_tokens)


def tpot_ms(r: RequestRecord) -> float | None:
    n = out_tokens(r)
    if n < 2 or r.end_ns is None or r.first_token_ns is None:
        return None
    return (r.end_ns - r.first_token_ns) / NS_PER_MS / (n - 1)


def itl_ms(r: RequestRecord) -> list[float]:
    """Inter-token gaps; a chunk carrying k tokens contributes gap/k, k times."""
    out: list[float] = []
    times, counts = r.chunk_ns, r.chunk_tokens
    prev = None
    for t, k in zip(times, counts):
        if k <= 0:
            continue
        if prev is not None:
            gap = (t - prev) / NS_PER_MS / k
            out.extend([gap] * k)
        prev = t
    return out


def measured(records: Iterable[RequestRecord]) -> list[RequestRecord]:
    return [r for r in records if r.phase == PHASE_MEASURE]


def window_s(records: Sequence[RequestRecord]) -> float | None:
    """Measured window: first actual send to last end among measured requests.

    A step stopped and resumed was measured in parts by two runner processes
    (``RequestRecord.segment``): its window is the sum of theirs, so the pause
    between them (a stop, a model load) never dilutes a rate.
    """
    parts: dict[int | None, list[RequestRecord]] = {}
    for r in records:
        parts.setdefault(r.segment, []).append(r)
    if len(parts) > 1:
        return sum(w for part in parts.values() if (w := window_s(part))) or None
    sends = [r.sent_ns for r in records if r.sent_ns is not None]
    ends = [r.end_ns for r in records if r.end_ns is not None]
    if not sends or not ends:
        return None
    span = (max(ends) - min(sends)) / 1e9
    return span if span > 0 else None


def summarize(records: Sequence[RequestRecord], sla: Sla | None = None) -> dict:
    """Full statistics of one step (one level of one run), warm-up excluded."""
    recs = measured(records)
    ok = [r for r in recs if r.ok]
    failed = [r for r in recs if not r.ok]
    win = window_s(recs)
    out_tok = sum(out_tokens(r) for r in ok)
    in_tok = sum(r.input_tokens or 0 for r in ok)
    tpots = [t for t in (tpot_ms(r) for r in ok) if t is not None]
    lags = [v for v in (send_lag_ms(r) for r in recs) if v is not None]
    itls: list[float] = []
    for r in ok:
        itls.extend(itl_ms(r))
    mismatch = sum(
        1
        for r in ok
        if r.output_tokens is not None
        and r.output_tokens_client is not None
        and r.output_tokens != r.output_tokens_client
    )
    summary = {
        "requests": len(recs),
        "completed": len(ok),
        "failed": len(failed),
        "errors": dict(Counter(r.error_type for r in failed)),
        "input_tokens": in_tok,
        "prompt_cache_share": prompt_cache_share(ok),
        "output_tokens": out_tok,
        "window_s": round(win, 4) if win else None,
        "output_tokens_per_sec": round(out_tok / win, 3) if win else None,
        "total_tokens_per_sec": round((out_tok + in_tok) / win, 3) if win else None,
        "request_rate": round(len(ok) / win, 4) if win else None,
        "ttft_ms": describe(v for v in (ttft_ms(r) for r in ok) if v is not None),
        "ttfc_ms": describe(v for v in (ttfc_ms(r) for r in ok) if v is not None),
        "tpot_ms": describe(tpots),
        "itl_ms": describe(itls),
        "e2e_ms": describe(v for v in (e2e_ms(r) for r in ok) if v is not None),
        "interactivity_tokens_per_sec": describe(1000.0 / t for t in tpots if t > 0),
        "send_lag_ms": describe(lags) if lags else None,
        "late_send_share": round(sum(1 for v in lags if v > LATE_SEND_MS) / len(lags), 4) if lags else None,
        "token_count_mismatches": mismatch,
        "finish_reasons": dict(Counter(r.finish_reason for r in ok)),
    }
    if sla is not None and (sla.ttft_ms is not None or sla.tpot_ms is not None):
        good = sum(1 for r in ok if sla.met_by(r))
        summary["goodput_rps"] = round(good / win, 4) if win else None
        summary["sla_met_share"] = round(good / len(recs), 4) if recs else None
    return summary


def prompt_cache_share(records: Iterable[RequestRecord]) -> float | None:
    """Share of the prompt tokens the server served from its cache, over the requests that say.

    A high share means the figures partly measure a cache (repeated prompts), not prefill.
    """
    known = [r for r in records if r.ok and r.cached_input_tokens is not None and r.input_tokens]
    total = sum(r.input_tokens for r in known)
    return round(sum(r.cached_input_tokens for r in known) / total, 4) if total else None


def decode_tps(r: RequestRecord) -> float | None:
    """Per-request decode speed, tokens/s after the first token."""
    t = tpot_ms(r)
    return 1000.0 / t if t else None
