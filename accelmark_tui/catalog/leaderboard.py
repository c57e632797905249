"""What the default leaderboard accepts, and what this machine could submit to it.

One definition for both ends of a run: the submit checklist (is this run's
suite accepted, did it run every scenario the suite requires?) and run setup /
``accelmark run`` (say before anything is measured that the result will not be
accepted, and which suite could be from this machine, or why none can).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from accelmark_tui.catalog.fit import Fit
from accelmark_tui.catalog.matrix import FitMatrix
from accelmark_tui.catalog.runners import UPSTREAM_LETTERS, upstream_letter
from accelmark_tui.catalog.suites import Suite

# The default leaderboard takes upstream's suites only; accelmark's own (suite_Quick) are for local comparison.
ACCEPTED = f"suite_{UPSTREAM_LETTERS[0]} to suite_{UPSTREAM_LETTERS[-1]}"


def accepts(suite_id: str | None) -> bool:
    """Whether the default leaderboard takes results of ``suite_id``."""
    return bool(suite_id) and upstream_letter(str(suite_id)) is not None


def missing_scenarios(suite: Suite, done: Iterable[str]) -> list[str]:
    """The suite's required scenarios (its default set) not in ``done``, in the suite's order."""
    have = set(done)
    return [s for s in suite.default_scenarios if s not in have]


def words(names: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _by_size(suites: Iterable[Suite]) -> list[Suite]:
    """Smallest model first (the likeliest to fit and the quickest to run); unknown sizes last."""
    listed = list(suites)
    return sorted(listed, key=lambda s: (s.model_memory_gb_estimate() or math.inf, listed.index(s)))


def _local_fit(matrix: FitMatrix, suite: Suite) -> Fit | None:
    """The fit of the runner that would run ``suite`` on this machine's own hardware (never an endpoint runner)."""
    local = [r for r in matrix.runners if not r.is_endpoint]
    best = matrix.best.get(suite.id)
    order = ([best] if best is not None and not best.is_endpoint else []) + [r for r in local if r is not best]
    fits = [f for r in order if (f := matrix.fit(r.id, suite.id)) is not None]
    return next((f for f in fits if f.ready), fits[0] if fits else None)


def submittable_here(matrix: FitMatrix) -> tuple[Suite | None, Fit | None]:
    """(the accepted suite this machine can run, its fit) — else (None, the nearest miss's fit)."""
    nearest: Fit | None = None
    for suite in _by_size(s for s in matrix.suites if accepts(s.id)):
        fit = _local_fit(matrix, suite)
        if fit is not None and fit.ready:
            return suite, fit
        nearest = nearest or fit
    return None, nearest


def run_note(matrix: FitMatrix, suite_id: str, scenarios: Iterable[str] | None = None) -> str | None:
    """One sentence before a run whose result the default leaderboard will not take, or None.

    ``scenarios``: what will run (None: the suite's default set).
    """
    suite = matrix.suite(suite_id)
    if suite is None:
        return None
    if accepts(suite.id):
        missing = missing_scenarios(suite, suite.default_scenarios if scenarios is None else scenarios)
        if not missing:
            return None
        return (f"Not submittable as it stands: {suite.id} needs {words(suite.default_scenarios)}; "
                f"{words(missing)} will not run (run them later with the same settings to complete the result).")
    head = f"{suite.id} results cannot go to the AccelMark leaderboard (it takes {ACCEPTED} only)"
    pick, fit = submittable_here(matrix)
    if pick is not None and fit is not None:
        model = "" if pick.data.get("model_file") else f" and a GGUF of {pick.model_short_name}"
        return f"{head}; from this machine {pick.id} could, with {fit.runner_id}{model}."
    if fit is not None:
        return f"{head}, and none of those can run here: {fit.message()}"
    return f"{head}, and no runner here can run any of them."
