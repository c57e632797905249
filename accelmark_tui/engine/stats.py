"""Distribution statistics shared by every metric.

Percentiles use linear interpolation between order statistics (numpy's
default), so figures match what users get from numpy on the raw samples.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

PERCENTILES = (50, 90, 95, 99)


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """q-th percentile (0..100) of already-sorted values, linear interpolation."""
    n = len(sorted_values)
    if n == 0:
        raise ValueError("no values")
    if n == 1:
        return float(sorted_values[0])
    pos = (n - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, n - 1)
    frac = pos - lo
    return float(sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * frac)


def describe(values: Iterable[float], digits: int = 3) -> dict[str, float | int] | None:
    """p50/p90/p95/p99, mean, std (population), min, max and n; None when empty."""
    vals = sorted(float(v) for v in values)
    n = len(vals)
    if n == 0:
        return None
    mean = sum(vals) / n
    var = sum((v - mean) ** 2 for v in vals) / n
    out: dict[str, float | int] = {f"p{q}": round(percentile(vals, q), digits) for q in PERCENTILES}
    out.update(
        mean=round(mean, digits),
        std=round(math.sqrt(var), digits),
        min=round(vals[0], digits),
        max=round(vals[-1], digits),
        n=n,
    )
    return out


def reliability(values: Sequence[float]) -> dict[str, float | int | str] | None:
    """AccelMark's reliability block over repeated runs.

    stable: cv ≤ 3 %, noisy: ≤ 8 %, else high-variance. Sample std (n−1), as a
    spread over a handful of runs is meant.
    """
    vals = [float(v) for v in values if v is not None]
    n = len(vals)
    if n == 0:
        return None
    mean = sum(vals) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in vals) / (n - 1)) if n > 1 else 0.0
    cv = (std / mean * 100.0) if mean else 0.0
    stability = "stable" if cv <= 3.0 else "noisy" if cv <= 8.0 else "high-variance"
    if n < 2:
        stability = "single-run"
    return {"n": n, "mean": round(mean, 3), "std": round(std, 3), "cv_pct": round(cv, 2), "stability": stability}


def median(values: Sequence[float]) -> float | None:
    vals = sorted(float(v) for v in values if v is not None)
    return percentile(vals, 50) if vals else None
