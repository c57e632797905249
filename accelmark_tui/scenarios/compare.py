"""Two runs' figures side by side, from the scenario registry's views.

The rows are the export rows of each scenario's view (the figures ``results
show``, CSV and Markdown carry), so every scenario with a view — sweep, peak
and burst included — compares without a line written for it here. Only the
figures a reader compares across runs are kept: throughput, rates, the median
and tail latencies, the headline decode speed and the accuracy score.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from accelmark_tui.scenarios import registry
from accelmark_tui.scenarios.headline import decode_headline
from accelmark_tui.scenarios.upstream import receipt_view


@dataclass(frozen=True, slots=True)
class Figure:
    label: str
    higher_is_better: bool
    digits: int = 1


# Export columns compared, in the order they are listed within a step.
COMPARED: dict[str, Figure] = {
    "output_tok_s": Figure("output tok/s", True),
    "max_qps_sla": Figure("max QPS within SLA", True, 2),
    "achieved_qps": Figure("achieved QPS", True, 2),
    "ttft_p50_ms": Figure("TTFT p50 ms", False),
    "ttft_p99_ms": Figure("TTFT p99 ms", False),
    "tpot_p50_ms": Figure("TPOT p50 ms", False, 2),
    "tpot_p99_ms": Figure("TPOT p99 ms", False, 2),
    "decode_tok_s": Figure("decode tok/s", True),
    "accuracy_score": Figure("score", True, 2),
}


@dataclass(frozen=True, slots=True)
class CompareRow:
    scenario: str
    test: str
    figure: Figure
    a: Any
    b: Any


def _steps(name: str, block: dict[str, Any] | None) -> dict[str, tuple[Any, dict[str, Any]]]:
    if not isinstance(block, dict):
        return {}
    view = receipt_view(block) if name == "accuracy" else registry.view(name, block)
    return {test: (level, figures) for test, level, figures in view.export_rows()}


def _level_key(level: Any) -> tuple[bool, float]:
    number = isinstance(level, (int, float)) and not isinstance(level, bool)
    return (not number, float(level) if number else 0.0)


def compare_rows(metrics_a: Mapping[str, Any], metrics_b: Mapping[str, Any],
                 accuracy_a: dict[str, Any] | None, accuracy_b: dict[str, Any] | None) -> Iterator[CompareRow]:
    """The headline first, then each scenario's steps (levels merged, in level order) and figures."""
    head_a, head_b = decode_headline(metrics_a), decode_headline(metrics_b)
    if head_a.value is not None or head_b.value is not None:
        source = head_a.source if head_a.source == head_b.source or head_b.source is None else \
            head_b.source if head_a.source is None else f"{head_a.source} / {head_b.source}"
        yield CompareRow("headline", source or "", COMPARED["decode_tok_s"], head_a.value, head_b.value)
    blocks_a, blocks_b = dict(metrics_a), dict(metrics_b)
    if accuracy_a or accuracy_b:
        blocks_a["accuracy"], blocks_b["accuracy"] = accuracy_a, accuracy_b
    for name in registry.in_order(set(blocks_a) | set(blocks_b)):
        steps_a, steps_b = _steps(name, blocks_a.get(name)), _steps(name, blocks_b.get(name))
        tests = list(steps_a) + [t for t in steps_b if t not in steps_a]
        tests.sort(key=lambda t: _level_key((steps_a.get(t) or steps_b.get(t))[0]))
        for test in tests:
            fa, fb = (steps_a.get(test) or (None, {}))[1], (steps_b.get(test) or (None, {}))[1]
            for key, figure in COMPARED.items():
                if fa.get(key) is not None or fb.get(key) is not None:
                    yield CompareRow(name, test, figure, fa.get(key), fb.get(key))

