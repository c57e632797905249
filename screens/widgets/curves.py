"""Sweep and peak-search curves, live (from ``LiveRun`` snapshots) or from a saved result.

A sweep shows two charts: the Pareto plot of throughput per system (output
tok/s) against interactivity (tok/s per user), one dot per concurrency level
with the Pareto front drawn through them, and TTFT p50/p99 against concurrency
(log₂ axis) with the SLA line when there is one. A peak search shows its trials
as p99 TTFT against the arrival rate, met and missed marked, the SLA line, and
the result once the search has ended; beside it, the achieved rate against the
offered one.

Both views take plain point dicts (``engine.live`` curve points, or a result
block's points/trials turned into the same shape by ``from_block``), and redraw
only when the data changed: the screens call ``show`` at their fixed rate.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual_plot import AxisFormatter, HiResMode, NumericAxisFormatter

from accelmark_tui.scenarios.curves import pareto
from accelmark_tui.screens.widgets.charts import PlotChart

MET, MISSED, DOT = "●", "×", "●"


# ── data (pure: no widgets) ──────────────────────────────────────────────────


def from_block(name: str, block: dict[str, Any]) -> tuple[list[dict], dict | None, float | None]:
    """(points, peak result, SLA TTFT ms) of a saved ``sweep`` or ``peak`` block, as the live view has them."""
    if name == "peak":
        points = [{"level": t.get("rate"), **t} for t in block.get("trials") or [] if isinstance(t, dict)]
        result = {"best": block.get("max_rate_meeting_sla"), "bracket": block.get("bracket") or [None, None],
                  "stopped": block.get("stopped")}
        return points, result, (block.get("sla") or {}).get("ttft_ms_p99")
    points = [{"level": p.get("concurrency"), **p} for p in block.get("points") or [] if isinstance(p, dict)]
    return points, None, None


def per_level(points: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One point per level (the mean of its runs), levels ascending; points without a level are dropped."""
    groups: dict[float, list[dict[str, Any]]] = {}
    for p in points:
        if isinstance(p.get("level"), (int, float)) and p["level"] > 0:
            groups.setdefault(float(p["level"]), []).append(p)
    out = []
    for level in sorted(groups):
        group = groups[level]
        merged: dict[str, Any] = {"level": level}
        for key in ("output_tokens_per_sec", "tokens_per_sec_per_user", "ttft_ms_p50", "ttft_ms_p99"):
            vals = [p[key] for p in group if isinstance(p.get(key), (int, float))]
            merged[key] = sum(vals) / len(vals) if vals else None
        out.append(merged)
    return out


def _log2(v: float) -> float:
    return math.log2(v)


def _pairs(points: Sequence[dict], xkey: str, ykey: str, log_x: bool = False) -> tuple[list[float], list[float]]:
    xs, ys = [], []
    for p in points:
        x, y = p.get(xkey), p.get(ykey)
        if isinstance(x, (int, float)) and isinstance(y, (int, float)) and (not log_x or x > 0):
            xs.append(_log2(x) if log_x else float(x))
            ys.append(float(y))
    return xs, ys


def _top(values: Sequence[float | None], floor: float = 1.0) -> float:
    finite = [v for v in values if isinstance(v, (int, float)) and math.isfinite(v)]
    return max(finite + [floor]) * 1.15


def _span(xs: Sequence[float], pad: float) -> tuple[float, float]:
    if not xs:
        return 0.0, 1.0
    lo, hi = min(xs), max(xs)
    return (lo - pad, hi + pad) if hi > lo else (lo - 1.0, hi + 1.0)


def fmt_rate(v: Any) -> str:
    return f"{v:g}" if isinstance(v, (int, float)) else "-"


def peak_line(result: dict[str, Any] | None, trials: int) -> str:
    """The peak search's outcome in a few words (or how far it got)."""
    if not result:
        return f"{trials} trial{'s' if trials != 1 else ''} so far" if trials else "waiting for the first trial"
    best, stopped = result.get("best"), result.get("stopped")
    head = f"peak {fmt_rate(best)} req/s" if best is not None else "no rate met the SLA"
    return head + (f" · {stopped}" if stopped else "")


class Pow2Formatter(AxisFormatter):
    """Ticks at whole powers of two of a log₂ axis, labelled with the value (1 2 4 8 …)."""

    def get_ticks(self, min_: float, max_: float, max_ticks: int = 8) -> list[float]:
        ks = list(range(math.ceil(min_), math.floor(max_) + 1))
        step = max(1, math.ceil(len(ks) / max(1, max_ticks)))
        return [float(k) for k in ks[::step]]

    def get_labels_for_ticks(self, ticks: Sequence[float]) -> list[str]:
        return [f"{2 ** t:g}" for t in ticks]


# ── widgets ──────────────────────────────────────────────────────────────────


class CurveChart(PlotChart):
    """A chart drawn from layers of lines and marks; re-plotted only when its fingerprint changes."""

    def legend(self, title: str, keys: Sequence[tuple[str, str, str]]) -> None:
        """Border title as the legend: (theme colour, symbol, label) per key.

        Narrow charts (80 columns) drop the title's words after its first " by " and then each label's
        words after its first, so the legend is shortened where it says least, never cut.
        """
        self._legend = (title, tuple(keys))
        self._fit_legend()

    def on_resize(self) -> None:
        if getattr(self, "_legend", None):
            self._fit_legend()

    def _fit_legend(self) -> None:
        title, keys = self._legend
        room = self.size.width - 6 if self.size.width else 10**6  # corners, dashes and spaces of the border
        short = title.split(" by ")[0]
        variants = [(title, keys), (short, keys), (short, tuple((c, s, lab.split()[0]) for c, s, lab in keys))]
        for head, ks in variants:
            plain = " ".join([head, *(f"{s}{lab}" for _, s, lab in ks)])
            if len(plain) <= room:
                break
        text = " ".join(f"[${colour}]{symbol}{label}[/]" for colour, symbol, label in ks)
        self.border_title = f"{head} {text}" if text else head

    def draw(self, fingerprint: Any, layers: Sequence[tuple[str, list[float], list[float], str]],
             xlim: tuple[float, float], ylim: tuple[float, float], log_x: bool = False) -> bool:
        """``layers``: (``"line"`` or a marker character, xs, ys, theme colour). Returns whether it re-plotted."""
        if fingerprint == self._fingerprint:
            return False
        self._fingerprint = fingerprint
        colours = self._colours()
        self.clear()
        self.set_x_formatter(Pow2Formatter() if log_x else NumericAxisFormatter())
        self.set_xlimits(*xlim)
        self.set_ylimits(*ylim)
        for kind, xs, ys, colour in layers:
            if not xs:
                continue
            style = colours.get(colour, colour)
            if kind == "line":
                if len(xs) >= 2:
                    self.plot(xs, ys, line_style=style, hires_mode=HiResMode.BRAILLE)
            else:
                self.scatter(xs, ys, marker=kind, marker_style=style)
        self.draws += 1
        return True


class CurvesPanel(Horizontal):
    """Two charts side by side: a sweep's Pareto plot and TTFT curve, or a peak search's trials."""

    DEFAULT_CSS = """
    CurvesPanel { height: 100%; }
    CurvesPanel > CurveChart {
        width: 1fr;
        height: 100%;
        border: round $primary 50%;
        border-title-color: $text;
        border-subtitle-color: $text;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None,
                 block: tuple[str, dict[str, Any]] | None = None) -> None:
        """``block``: a saved (scenario, metric block) to draw once mounted (the run detail screen)."""
        super().__init__(id=id, classes=classes)
        self.kind: str | None = None
        self.points: list[dict[str, Any]] = []  # what was last shown (tests read it)
        self.result: dict[str, Any] | None = None
        self._block = block

    def compose(self) -> ComposeResult:
        yield CurveChart(id="curve-left")
        yield CurveChart(id="curve-right")

    def on_mount(self) -> None:
        if self._block is not None:
            name, block = self._block
            points, result, sla = from_block(name, block)
            self.call_after_refresh(self.show, name, points, result, sla)

    def show(self, kind: str, points: Sequence[dict[str, Any]], result: dict[str, Any] | None = None,
             sla_ttft_ms: float | None = None) -> bool:
        """Draw ``kind`` (``sweep`` or ``peak``) from its points; returns whether anything was re-plotted."""
        self.kind, self.points, self.result = kind, list(points), result
        left, right = self.query_one("#curve-left", CurveChart), self.query_one("#curve-right", CurveChart)
        key = (kind, len(points), tuple(points[-1].items()) if points else None,
               tuple(sorted((result or {}).items(), key=str)) if result else None, sla_ttft_ms)
        if kind == "peak":
            return self._peak(left, right, key, points, result, sla_ttft_ms)
        return self._sweep(left, right, key, points, sla_ttft_ms)

    def _sweep(self, left: CurveChart, right: CurveChart, key: Any, points: Sequence[dict],
               sla: float | None) -> bool:
        levels = per_level(points)
        front = sorted((levels[i] for i in pareto(levels)), key=lambda p: p["tokens_per_sec_per_user"])
        xs, ys = _pairs(levels, "tokens_per_sec_per_user", "output_tokens_per_sec")
        fx, fy = _pairs(front, "tokens_per_sec_per_user", "output_tokens_per_sec")
        left.legend("Output tok/s", [("accent", "━", "Pareto"), ("primary", DOT, "level")])
        left.border_subtitle = "x: tok/s per user" if levels else "waiting for the first level"
        drew = left.draw(key, [("line", fx, fy, "accent"), (DOT, xs, ys, "primary")],
                         (0.0, _top(xs, 1.0)), (0.0, _top(ys, 1.0)))
        p50x, p50y = _pairs(levels, "level", "ttft_ms_p50", log_x=True)
        p99x, p99y = _pairs(levels, "level", "ttft_ms_p99", log_x=True)
        xlim = _span(p50x + p99x, 0.3)
        layers = [("line", p99x, p99y, "warning"), ("line", p50x, p50y, "success"),
                  (DOT, p99x, p99y, "warning"), (DOT, p50x, p50y, "success")]
        keys = [("success", "━", "p50"), ("warning", "━", "p99")]
        if sla:
            layers.insert(0, ("line", list(xlim), [sla, sla], "error"))
            keys.append(("error", "━", "SLA"))
        right.legend("TTFT ms", keys)
        right.border_subtitle = "x: concurrency"
        drew |= right.draw(key, layers, xlim, (0.0, _top(p50y + p99y + ([sla] if sla else []), 1.0)), log_x=True)
        return drew

    def _peak(self, left: CurveChart, right: CurveChart, key: Any, points: Sequence[dict],
              result: dict | None, sla: float | None) -> bool:
        trials = [p for p in points if isinstance(p.get("level"), (int, float)) and p["level"] > 0]
        finite = [p["p99_ttft_ms"] for p in trials if isinstance(p.get("p99_ttft_ms"), (int, float))]
        ytop = _top(finite + ([sla] if sla else []), 1.0)
        # A trial where every request failed has no p99: it is drawn at the top, as a miss.
        ys = {id(p): p["p99_ttft_ms"] if isinstance(p.get("p99_ttft_ms"), (int, float)) else ytop * 0.95
              for p in trials}
        met = [p for p in trials if p.get("met")]
        missed = [p for p in trials if not p.get("met")]
        rx = [_log2(p["level"]) for p in trials]
        xlim = _span(rx, 0.3)
        layers = [("line", list(xlim), [sla, sla], "warning")] if sla else []
        layers += [(MET, [_log2(p["level"]) for p in met], [ys[id(p)] for p in met], "success"),
                   (MISSED, [_log2(p["level"]) for p in missed], [ys[id(p)] for p in missed], "error")]
        left.legend("p99 TTFT ms by req/s", [("success", MET, "met"), ("error", MISSED, "missed")]
                    + ([("warning", "━", f"SLA {sla:g}")] if sla else []))
        left.border_subtitle = peak_line(result, len(trials))
        drew = left.draw(key, layers, xlim, (0.0, ytop), log_x=True)
        # Achieved against offered rate: where the dots fall below the line, the server stopped keeping up.
        tx, ty = _pairs(trials, "level", "achieved_rate", log_x=True)
        lx = [xlim[0] + (xlim[1] - xlim[0]) * i / 16 for i in range(17)]
        offered = [2 ** x for x in lx]
        right.legend("Achieved req/s", [("primary", DOT, "trial"), ("foreground-darken-2", "━", "offered")])
        right.border_subtitle = "x: offered req/s"
        drew |= right.draw(key, [("line", lx, offered, "foreground-darken-2"), (DOT, tx, ty, "primary")], xlim,
                           (0.0, _top(ty + [max(offered)], 1.0) if trials else 1.0), log_x=True)
        return drew
