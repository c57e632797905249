"""Braille line charts as plain text rows: scales, nice ticks and rasterised lines.

Pure functions, no Textual: the live chart turns these rows into strips. A
terminal cell holds a 2×4 braille dot matrix, so a W×H plot area has 2W×4H
dots; consecutive points are joined by straight dot lines.
"""

from __future__ import annotations

import math
from typing import Sequence

# Bit of the dot at (column 0..1, row 0..3) in a braille cell (U+2800 + bits).
_BITS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))


def nice_ceiling(v: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k that is ≥ ``v`` (an axis top that reads well)."""
    if v <= 0 or not math.isfinite(v):
        return 1.0
    k = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        if m * k >= v * (1 - 1e-9):
            return m * k
    return 10 * k


def nice_step(span: float, max_ticks: int) -> float:
    """A 1/2/5 × 10^k step giving at most ``max_ticks`` intervals over ``span``."""
    if span <= 0 or max_ticks < 1:
        return 1.0
    raw = span / max_ticks
    k = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * k >= raw:
            return m * k
    return 10 * k


def fmt_tick(v: float) -> str:
    if abs(v) >= 10_000:
        return f"{v / 1000:.0f}k"
    if abs(v) >= 100 or v == int(v):
        return f"{v:.0f}"
    return f"{v:.1f}".rstrip("0").rstrip(".")


def rasterise(series: Sequence[tuple[Sequence[float], Sequence[float]]], width: int, height: int,
              x_range: tuple[float, float], y_top: float) -> list[list[tuple[int, int]]]:
    """Cells of a ``width``×``height`` plot: (braille bits, index of the series drawn last there, -1 none)."""
    grid = [[(0, -1)] * width for _ in range(height)]
    if width < 1 or height < 1:
        return grid
    x0, x1 = x_range
    dots_w, dots_h = 2 * width, 4 * height
    sx = (dots_w - 1) / (x1 - x0) if x1 > x0 else 0.0
    sy = (dots_h - 1) / y_top if y_top > 0 else 0.0
    for index, (xs, ys) in enumerate(series):
        pts = [(round((x - x0) * sx), round((dots_h - 1) - min(max(y, 0.0), y_top) * sy))
               for x, y in zip(xs, ys) if math.isfinite(x) and math.isfinite(y)]
        if len(pts) == 1:
            pts.append(pts[0])
        for (ax, ay), (bx, by) in zip(pts, pts[1:]):
            steps = max(abs(bx - ax), abs(by - ay), 1)
            for i in range(steps + 1):
                dx = ax + (bx - ax) * i // steps
                dy = ay + (by - ay) * i // steps
                if 0 <= dx < dots_w and 0 <= dy < dots_h:
                    row, col = divmod(dy, 4)[0], dx // 2
                    bits, _ = grid[row][col]
                    grid[row][col] = (bits | _BITS[dx % 2][dy % 4], index)
    return grid


def braille(bits: int) -> str:
    return chr(0x2800 + bits) if bits else " "


def x_labels(x_range: tuple[float, float], width: int) -> str:
    """One row of x tick labels under a ``width``-cell plot, never overlapping."""
    x0, x1 = x_range
    row = [" "] * width
    if width < 4 or x1 <= x0:
        return "".join(row)
    step = min(nice_step(x1 - x0, max(1, width // 10)), x1 - x0)  # a short range: label its two ends
    tick = math.ceil(x0 / step) * step
    last_end = -2
    while tick <= x1 + 1e-9:
        text = fmt_tick(tick)
        col = round((tick - x0) / (x1 - x0) * (width - 1))
        start = min(max(0, col - len(text) // 2), width - len(text))
        if start > last_end + 1:
            row[start:start + len(text)] = list(text)
            last_end = start + len(text) - 1
        tick += step
    return "".join(row)


def y_ticks(y_top: float, height: int) -> dict[int, str]:
    """Row → label for 0, the top, and half the top when there is room: each on the row where
    ``rasterise`` draws that value."""
    if height < 1:
        return {}
    ticks = {height - 1: fmt_tick(0.0), 0: fmt_tick(y_top)}
    if height >= 4:
        ticks[round((4 * height - 1) / 2) // 4] = fmt_tick(y_top / 2)
    return ticks


SPARK_BARS = "▁▂▃▄▅▆▇█"


def spark(values: Sequence[float], width: int) -> list[tuple[str, float]]:
    """A one-row sparkline of ``width`` cells: (bar, height 0..1) per cell, each cell the max of
    its share of the values, scaled from the series' min to its max (as Textual's Sparkline)."""
    if width <= 0:
        return []
    if not values:
        return [(SPARK_BARS[0], 0.0)] * width
    if len(values) == 1:
        return [(SPARK_BARS[-1], 1.0)] * width
    lo, hi = min(values), max(values)
    extent = (hi - lo) or 1.0
    n = len(values)
    k = min(width, n)  # fewer values than cells: each value spans several cells
    buckets = [values[i * n // k:(i + 1) * n // k] for i in range(k)]
    cells = []
    for i in range(width):
        ratio = (max(buckets[i * len(buckets) // width]) - lo) / extent
        cells.append((SPARK_BARS[min(int(ratio * (len(SPARK_BARS) - 1)), len(SPARK_BARS) - 1)], ratio))
    return cells
