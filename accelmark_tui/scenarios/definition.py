"""What a scenario defines, once: its record in the registry and its table.

A scenario turns its metric block into a ``View``: a title, columns, rows of
raw figures and a few labelled facts. From that one view come the terminal
text of ``accelmark results show``, the app's table (the same cells) and the
flat export rows (CSV and Markdown): a column names the export column it
fills, so no view can show figures another leaves out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from accelmark_tui.scenarios.format import fmt, kv, share_pct, table

# The flat export's figure columns (CSV and Markdown), in their order; a view's
# columns and facts fill these and nothing else.
EXPORT_FIGURES = (
    "output_tok_s", "total_tok_s", "achieved_qps", "max_qps_sla",
    "ttft_p50_ms", "ttft_p90_ms", "ttft_p99_ms", "tpot_p50_ms", "tpot_p90_ms", "tpot_p99_ms",
    "decode_tok_s", "sla_met", "cv_pct", "elapsed_s", "accuracy_score", "accuracy_valid", "prompt_cache_pct",
)


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    digits: int = 1  # decimal places in the app's narrow tables (the terminal text shows 2, CSV the recorded value)
    export: str | None = None  # the export figure column it fills, if any


@dataclass(frozen=True, slots=True)
class Row:
    cells: tuple[Any, ...]  # raw figures, one per column (a pre-formatted string stays as it is)
    test: str | None = None  # the export row it belongs to ("c=4"); None: shown, not exported
    level: Any = None
    # Export columns per cell where they are not the columns' own: a table whose rows are
    # metrics and whose columns are percentiles (interactive) exports cell by cell.
    export: tuple[str | None, ...] | None = None


@dataclass(frozen=True, slots=True)
class Fact:
    label: str
    value: Any
    export: str | None = None  # fills this export column of the view's ``step`` row


@dataclass(frozen=True, slots=True)
class View:
    title: str
    columns: tuple[Column, ...] = ()
    rows: tuple[Row, ...] = ()
    facts: tuple[Fact, ...] = ()  # single figures shown under the table
    step: tuple[str, Any] | None = None  # (test, level) of the export row the facts fill

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    def cells(self, narrow: bool = True) -> list[list[str]]:
        """Every row as display strings: the app's (``narrow``: each column's places) or the terminal's (2)."""
        return [[cell if isinstance(cell, str) else fmt(cell, col.digits if narrow else 2)
                 for col, cell in zip(self.columns, row.cells)] for row in self.rows]

    def fact_lines(self) -> str:
        """The facts as aligned ``label  value`` lines (empty values left out)."""
        return kv([(f.label, f.value) for f in self.facts])

    def text(self) -> str:
        """The terminal text: title, pipe table, facts."""
        parts = [self.title]
        if self.columns and self.rows:
            parts.append(table(self.headers, self.cells(narrow=False)))
        if facts := self.fact_lines():
            parts.append(facts)
        if len(parts) == 1:
            parts.append("(no figures)")
        return "\n".join(parts)

    def export_rows(self) -> list[tuple[str, Any, dict[str, Any]]]:
        """(test, level, export figures) per exported step, in order; rows of one test merge."""
        out: dict[str, tuple[Any, dict[str, Any]]] = {}
        for row in self.rows:
            if row.test is None:
                continue
            names = row.export or tuple(c.export for c in self.columns)
            figures = out.setdefault(row.test, (row.level, {}))[1]
            figures.update({n: v for n, v in zip(names, row.cells) if n})
        if self.step is not None:
            test, level = self.step
            figures = out.setdefault(test, (level, {}))[1]
            figures.update({f.export: f.value for f in self.facts if f.export})
        return [(test, level, figures) for test, (level, figures) in out.items()]


# The share of prompt tokens the server served from its cache (``prompt_cache_share``), so a
# cache-assisted figure shows as one. Only where rows record it: results written before
# accelmark did have no such column rather than a column of dashes.
CACHE_COLUMN = Column("cache %", export="prompt_cache_pct")


def cache_columns(rows: list[dict[str, Any]]) -> tuple[Column, ...]:
    return (CACHE_COLUMN,) if any("prompt_cache_share" in r for r in rows) else ()


def cache_cells(row: dict[str, Any], columns: tuple[Column, ...]) -> tuple[Any, ...]:
    """The row's cache cell when ``columns`` (from ``cache_columns``) has the column."""
    return (share_pct(row.get("prompt_cache_share")),) if columns else ()


def scalars(block: dict[str, Any]) -> list[tuple[str, Any]]:
    """A block's plain figures (no lists, dicts or ``_notes``), in its own order."""
    return [(k, v) for k, v in block.items() if not isinstance(v, (dict, list)) and not k.startswith("_")]


def generic_view(name: str, block: dict[str, Any]) -> View:
    """A scenario the registry does not know: its plain figures, labelled by their keys."""
    return View(name.capitalize(), facts=tuple(Fact(k, v) for k, v in scalars(block)))


def rate(value: Any) -> str:
    """A rate as the search chose it (1, 2.5, 3.75), without padding zeros."""
    return f"{value:g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else fmt(value)


# Where the engine keeps the report builders (one signature, adapting engine.report and engine.curves)
# and the planners (``plan_<name>(plan, suite, options, ctx)``: a scenario's steps from the suite).
BUILDERS = "accelmark_tui.engine.blocks"
PLANNERS = "accelmark_tui.engine.plan"


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    # "module:function" of its report builder, ``build(records, plan, ctx) -> block``. Named, not
    # imported: builders live in the engine, above this package; the engine resolves the name.
    report: str
    view: Callable[[dict[str, Any]], View]  # its table, from its metric block
    headline: Callable[[dict[str, Any]], str]  # its figures in one line (CLI summary, app notices)
    # "module:function" of its planner (its steps from the suite and the user's options), named like
    # ``report``; None for a name the registry only shows (the generic fallback).
    planner: str | None = None
    # accelmark's own, not upstream's: its block goes under ``metrics.<name>`` and into
    # ``<run>/<name>/<name>.json``, never into ``task.scenarios_run``.
    own: bool = False
    curves: bool = False  # the app draws its per-level curves beside its table
    # (block key of its rows, their rate key) where rows are open-loop levels that report
    # ``late_send_share``, so a run can warn when the client did not hold the schedule.
    open_loop: tuple[str, str] | None = None

    def late_levels(self, block: dict[str, Any], warn_share: float) -> list[tuple[float, float]]:
        """(rate, late share) of each open-loop level whose late share is over ``warn_share``."""
        if self.open_loop is None:
            return []
        rows_key, rate_key = self.open_loop
        return [(float(r.get(rate_key) or 0), r["late_send_share"]) for r in block.get(rows_key) or []
                if isinstance(r, dict) and r.get("late_send_share") is not None and r["late_send_share"] > warn_share]


def engine_scenario(name: str, view: Callable[[dict[str, Any]], View], headline: Callable[[dict[str, Any]], str],
                    **kw: Any) -> Scenario:
    """A scenario the engine runs: its builder is ``blocks.<name>``, its planner ``plan.plan_<name>``."""
    return Scenario(name, f"{BUILDERS}:{name}", view, headline, planner=f"{PLANNERS}:plan_{name}", **kw)
