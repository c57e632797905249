"""Each scenario's report builder under one signature, found through the scenario registry.

The registry (a low layer) names a scenario's builder as ``module:function``;
``build`` resolves that name here and calls it as ``build(records, plan,
ctx)``. The functions below adapt ``engine.report`` and ``engine.curves``,
whose own signatures say exactly what each block needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Callable, Sequence

from accelmark_tui import resources
from accelmark_tui.engine import curves, report
from accelmark_tui.engine.backend import load_object
from accelmark_tui.engine.metrics import Sla
from accelmark_tui.engine.records import RequestRecord
from accelmark_tui.engine.workload import load_accuracy_items, prompt_reuse
from accelmark_tui.errors import AccelmarkError
from accelmark_tui.scenarios import registry

Builder = Callable[[Sequence[RequestRecord], dict[str, Any], "ReportContext"], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ReportContext:
    """What a block needs beyond its records and plan: facts of the run."""

    served_concurrency: int = 1  # sequences the runner decodes at once (its batch)
    chips: int = 1


@cache
def builder(path: str) -> Builder:
    """The function a registry entry names (``module:function``)."""
    try:
        return load_object(path)
    except (ImportError, AttributeError) as exc:
        raise AccelmarkError(f"The report builder '{path}' cannot be loaded ({exc}).") from exc


def build(name: str, records: Sequence[RequestRecord], plan: dict[str, Any], ctx: ReportContext) -> dict[str, Any]:
    """Scenario ``name``'s metric block from its records."""
    path = registry.get(name).report
    if not path:
        raise AccelmarkError(f"No report for scenario '{name}'.")
    block = builder(path)(records, plan, ctx)
    # Every scenario that draws dataset prompts says whether any of its requests had to repeat one.
    reuse = prompt_reuse([r.prompt_id for r in records], plan)
    if reuse is not None and isinstance(block, dict):
        block["prompt_reuse"] = reuse
    return block


# ── the builders the registry names ──────────────────────────────────────────


def offline(records: Sequence[RequestRecord], plan: dict[str, Any], ctx: ReportContext) -> dict[str, Any]:
    return report.offline_block(records, ctx.served_concurrency, chips=ctx.chips)


def online(records: Sequence[RequestRecord], plan: dict[str, Any], ctx: ReportContext) -> dict[str, Any]:
    return report.online_block(records, plan.get("sla_ttft_ms"), plan.get("sla_tpot_ms"))


def interactive(records: Sequence[RequestRecord], plan: dict[str, Any], ctx: ReportContext) -> dict[str, Any]:
    return report.interactive_block(records)


def sustained(records: Sequence[RequestRecord], plan: dict[str, Any], ctx: ReportContext) -> dict[str, Any]:
    return report.sustained_block(records, plan["steps"][0])


def burst(records: Sequence[RequestRecord], plan: dict[str, Any], ctx: ReportContext) -> dict[str, Any]:
    return report.burst_block(records, plan["steps"][0], plan.get("sla_ttft_ms"))


def accuracy(records: Sequence[RequestRecord], plan: dict[str, Any], ctx: ReportContext) -> dict[str, Any]:
    items = load_accuracy_items(resources.schema_path("accuracy_subset.jsonl"))
    return report.accuracy_score(records, items)


def sweep(records: Sequence[RequestRecord], plan: dict[str, Any], ctx: ReportContext) -> dict[str, Any]:
    return curves.sweep_block(records, curves.sla_of(plan))


def peak(records: Sequence[RequestRecord], plan: dict[str, Any], ctx: ReportContext) -> dict[str, Any]:
    return curves.peak_block(records, curves.sla_of(plan) or Sla(), plan["steps"][0])
