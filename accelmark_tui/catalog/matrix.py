"""Every runner × every suite on one machine, and the runner to pick for each suite.

The app's catalog and run setup screens and ``accelmark suites`` all start from
this one table: each pair's ``Fit`` (ready, or the one reason why not), the
runner ``best_runner`` would preselect per suite, and the suite to show first.
Building it probes for backend modules, so callers in the app build it in a
thread.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass

from accelmark_tui.catalog import DEFAULT_SUITE
from accelmark_tui.catalog.fit import Fit, ModuleProbe, best_runner, check_fit
from accelmark_tui.catalog.runners import RunnerInfo
from accelmark_tui.catalog.suites import Suite
from accelmark_tui.detect.machine import Machine


@dataclass(frozen=True)
class FitMatrix:
    machine: Machine
    runners: list[RunnerInfo]
    suites: list[Suite]
    fits: dict[tuple[str, str], Fit]  # (runner id, suite id) → its fit here
    best: dict[str, RunnerInfo]  # suite id → the runner to preselect (none only when there are no runners)
    default_suite: str | None  # DEFAULT_SUITE when it is in the catalog, else the first suite; None without suites

    def fit(self, runner_id: str | None, suite_id: str | None) -> Fit | None:
        return self.fits.get((runner_id, suite_id)) if runner_id and suite_id else None

    def runner(self, runner_id: str | None) -> RunnerInfo | None:
        return next((r for r in self.runners if r.id == runner_id), None)

    def suite(self, suite_id: str | None) -> Suite | None:
        return next((s for s in self.suites if s.id == suite_id), None)


def fit_matrix(
    machine: Machine,
    runners: Iterable[RunnerInfo],
    suites: Iterable[Suite],
    *,
    module_available: ModuleProbe = importlib.util.find_spec,
) -> FitMatrix:
    """Check every runner against every suite on ``machine`` (each pair once)."""
    runners, suites = list(runners), list(suites)
    fits = {(r.id, s.id): check_fit(r, s, machine, module_available=module_available) for r in runners for s in suites}
    best = {s.id: pick for s in suites
            if (pick := best_runner(s, machine, runners, module_available=module_available, fits=fits)) is not None}
    ids = [s.id for s in suites]
    default = DEFAULT_SUITE if DEFAULT_SUITE in ids else (ids or [None])[0]
    return FitMatrix(machine, runners, suites, fits, best, default)
