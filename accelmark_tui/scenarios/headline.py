"""A run's headline: one decode figure, defined here and nowhere else.

The headline is how fast one user sees tokens arrive: 1000 / the median TPOT
of the requests sent one at a time. TPOT is ms per output token after the
first, per request; its median over N requests is the median request's speed
(for an even N, the mean of the two middle TPOTs). It comes from the
interactive scenario, else the concurrency-1 level of a sweep, else offline
at concurrency 1 — the same figure each scenario's table shows as its
``decode tok/s`` at p50, so the list, run detail, compare, ``results show``,
the exports and the PR body all print one number under one name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from accelmark_tui.scenarios.format import decode_tok_s, fmt

NAME = "decode tok/s"
DEFINITION = "1000 / median TPOT of requests sent one at a time"


@dataclass(frozen=True, slots=True)
class Headline:
    value: float | None  # tokens/s; None where no scenario ran one request at a time
    requests: int | None = None  # how many requests the median is over
    source: str | None = None  # "interactive", "sweep c=1" or "offline c=1"

    @property
    def label(self) -> str:
        """``decode tok/s, median of 48 requests (interactive)``: the figure's name as screens show it."""
        return self.name(source=True)

    def name(self, source: bool = True) -> str:
        if self.value is None:
            return f"{NAME}: not measured (needs interactive, or a sweep or offline level at concurrency 1)"
        over = f"median of {self.requests} requests" if self.requests else "1000 / median TPOT"
        return f"{NAME}, {over}" + (f" ({self.source})" if source else "")

    def text(self, source: bool = True) -> str:
        """``9.6 decode tok/s, median of 48 requests (interactive)``, or why there is none."""
        return self.name(source) if self.value is None else f"{fmt(self.value, 1)} {self.name(source)}"


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _count(v: Any) -> int | None:
    return int(v) if isinstance(v, int) and not isinstance(v, bool) and v > 0 else None


def _at_one(rows: Any, key: str) -> dict[str, Any] | None:
    return next((r for r in rows or [] if isinstance(r, dict) and r.get(key) == 1), None)


def decode_headline(metrics: Mapping[str, Any]) -> Headline:
    """The headline of a run's metric blocks (``scenario → block``)."""
    inter = metrics.get("interactive")
    if isinstance(inter, dict) and (v := decode_tok_s(inter.get("tpot_ms_p50"))) is not None:
        n = _count((inter.get("tpot_ms") or {}).get("n")) if isinstance(inter.get("tpot_ms"), dict) else None
        return Headline(v, n, "interactive")
    sweep = metrics.get("sweep")
    point = _at_one(sweep.get("points"), "concurrency") if isinstance(sweep, dict) else None
    if point and (v := decode_tok_s(point.get("tpot_ms_p50"))) is not None:
        return Headline(v, _count(point.get("completed")), "sweep c=1")
    offline = metrics.get("offline")
    row = _at_one(offline.get("results_by_concurrency"), "client_concurrency") if isinstance(offline, dict) else None
    tpot = row.get("tpot_ms") if row else None
    if isinstance(tpot, dict) and (v := decode_tok_s(_num(tpot.get("p50")))) is not None:
        return Headline(v, _count(tpot.get("n")), "offline c=1")
    return Headline(None)
