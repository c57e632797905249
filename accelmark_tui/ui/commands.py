"""Command palette (ctrl+p): runners, suites, runs and screens.

The catalog and the run list are read once per palette opening, in a thread
(``asyncio.to_thread``) so a large results folder never stalls typing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import partial
from typing import Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider


@dataclass(frozen=True)
class Entry:
    text: str
    help: str
    callback: Callable[[], object]
    discover: bool = False  # shown before anything is typed


def _first_sentence(text: str, limit: int = 90) -> str:
    sentence = text.split(". ")[0].strip()
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"


class AccelmarkCommands(Provider):
    """Everything a user may want to jump to, by name."""

    async def startup(self) -> None:
        self._entries: list[Entry] = self._screens()
        try:
            self._entries += await asyncio.to_thread(self._catalog_and_runs)
        except Exception as exc:  # noqa: BLE001 - the palette must open even if the catalog or results are broken
            self.app.log.warning(f"command palette: {exc}")

    def _screens(self) -> list[Entry]:
        app = self.app
        return [
            Entry("Home: this machine", "What was detected, live telemetry and next steps",
                  app.action_go_home, True),
            Entry("Catalog: runners × suites", "Which runner can run which suite here, and why not",
                  app.action_open_catalog, True),
            Entry("Run setup", "Choose a runner, suite, model and scenarios, then start",
                  partial(app.open_setup), True),
            Entry("Results", "Runs on this machine, details, comparison and export",
                  app.action_open_results, True),
            Entry("Help", "Every key and what it does", app.action_help, True),
        ]

    def _catalog_and_runs(self) -> list[Entry]:
        app = self.app
        services = app.services
        entries = [
            Entry(f"Runner {r.id}", f"Set up a run with it · {_first_sentence(r.description)}",
                  partial(app.open_setup, runner_id=r.id))
            for r in services.runners()
        ]
        entries += [
            Entry(f"Suite {s.id}", f"Set up a run of it · {_first_sentence(s.description)}",
                  partial(app.open_setup, suite_id=s.id), s.id == services.default_suite)
            for s in services.suites()
        ]
        for run in services.list_runs():
            label = " · ".join(str(x) for x in (run.status, run.date, run.suite_id) if x)
            entries.append(Entry(f"Run {run.run_name}", f"Open its results ({label})",
                                 partial(app.open_run, run.run_name)))
        return entries

    async def discover(self) -> Hits:
        for entry in self._entries:
            if entry.discover:
                yield DiscoveryHit(entry.text, entry.callback, help=entry.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for entry in self._entries:
            score = matcher.match(entry.text)
            if score > 0:
                yield Hit(score, matcher.highlight(entry.text), entry.callback, help=entry.help)
