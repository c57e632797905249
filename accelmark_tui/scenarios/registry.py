"""The scenario registry: every scenario accelmark runs, looked up by name.

The engine reads a scenario's report builder and open-loop rows here, the
results module which scenarios are accelmark's own, and the CLI, the exports
and the screens its table and headline. A name the registry does not know
(an upstream scenario accelmark does not run, say) gets the generic view.
"""

from __future__ import annotations

from typing import Any, Iterable

from accelmark_tui.scenarios import curves, upstream
from accelmark_tui.scenarios.definition import Scenario, View, generic_view

# Display order: upstream's suite order (including scenarios accelmark does not
# run, which upstream results may hold), then the accuracy check, then our own.
ORDER = ("offline", "online", "interactive", "sustained", "burst", "multiturn", "speculative",
         "accuracy", "sweep", "peak")

REGISTRY: dict[str, Scenario] = {
    s.name: s for s in sorted((*upstream.SCENARIOS, *curves.SCENARIOS), key=lambda s: ORDER.index(s.name))
}
# accelmark's own scenarios (their blocks under metrics.<name>, never in task.scenarios_run).
OWN = tuple(name for name, s in REGISTRY.items() if s.own)
# Scenarios whose per-level curves the app draws beside their table.
CURVES = tuple(name for name, s in REGISTRY.items() if s.curves)


def _generic(name: str) -> Scenario:
    return Scenario(name, "", lambda block: generic_view(name, block), lambda block: "")


def get(name: str) -> Scenario:
    """The scenario called ``name``, or the generic one (its plain figures, no builder) when unknown."""
    return REGISTRY.get(name) or _generic(name)


def names() -> tuple[str, ...]:
    """Every scenario accelmark can run, in display order."""
    return tuple(REGISTRY)


def view(name: str, block: dict[str, Any]) -> View:
    """The table of one finished scenario (unknown scenarios list their plain figures)."""
    return get(name).view(block)


def headline(name: str, block: dict[str, Any]) -> str:
    """One scenario's figures in one line; empty for a scenario the registry does not know."""
    return get(name).headline(block)


def in_order(scenario_names: Iterable[str]) -> list[str]:
    """``scenario_names`` in display order; names outside it last, alphabetically."""
    return sorted(scenario_names, key=lambda s: (ORDER.index(s) if s in ORDER else len(ORDER), s))
