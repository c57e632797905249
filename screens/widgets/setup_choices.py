"""What the run setup preselects and offers, as pure functions of the catalog (no widgets).

``pick_runner``: the runner a prefilled id names (a unique prefix works, as on the command line), else the
suite's best. ``scenario_choices``: the suite's scenarios, plus accelmark's own (sweep, peak) for an endpoint
runner, and the line that explains them.
"""

from __future__ import annotations

from typing import Any

from accelmark_tui.scenarios import registry


def pick_runner(matrix: Any, runner_id: str | None, suite_id: str | None) -> tuple[str | None, bool]:
    """(the runner to select, whether ``runner_id`` named exactly one); None asks for nothing."""
    ids = [r.id for r in matrix.runners]
    named = [r for r in ids if r == runner_id] or [r for r in ids if runner_id and r.startswith(runner_id)]
    best = matrix.best.get(suite_id or "")
    return (named[0] if len(named) == 1 else getattr(best, "id", None)), len(named) == 1


def scenario_choices(suite: Any, endpoint: bool) -> tuple[list[str], list[str], str]:
    """(the suite's scenarios, accelmark's own offered too, the explaining line)."""
    names = suite.default_scenarios + [s for s in suite.extra_scenarios if s not in suite.default_scenarios]
    own = [s for s in registry.OWN if s not in names] if endpoint else []
    about = (f"default: {', '.join(suite.default_scenarios)}"
             + (f" · extra in all: {', '.join(suite.extra_scenarios)}" if suite.extra_scenarios else "")
             + (f" · accelmark's own (pick): {', '.join(own)}" if own else ""))
    return names, own, about
