"""The app end to end, driven only by key presses: home → run setup → profile → live run → result.

A real run of the quick suite on the embedded model (runs = 1 to keep it to a
few minutes on 2 cores), then the result folder on disk, the run's detail and
the results screen are checked.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]

SCENARIOS = ["accuracy", "offline", "online", "interactive"]  # suite_Quick's default set


async def _wait(pilot, predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; screen: "
                                 f"{type(pilot.app.screen).__name__}")
        await pilot.pause(0.25)


async def test_quick_suite_from_home_by_keys(tmp_path):
    from accelmark_tui.ui.app import AccelmarkApp
    from accelmark_tui.ui.services import Services

    results = tmp_path / "results"
    app = AccelmarkApp(services=Services.real(output_dir=str(results)))
    async with app.run_test(size=(120, 40)) as pilot:
        await _wait(pilot, lambda: type(app.screen).__name__ == "HomeScreen", 30, "home")
        await pilot.press("r")  # "Run the quick suite"
        await _wait(pilot, lambda: type(app.screen).__name__ == "RunSetupScreen"
                    and getattr(app.screen, "matrix", None) is not None, 60, "run setup")
        setup = app.screen
        assert setup.query_one("#suite").value == "suite_Quick"
        for _ in range(40):  # tab to the Runs field, as a user would
            if app.focused is not None and app.focused.id == "runs":
                break
            await pilot.press("tab")
        assert app.focused is not None and app.focused.id == "runs"
        await pilot.press("1", "ctrl+s")
        await _wait(pilot, lambda: type(app.screen).__name__ in ("ProfileModal", "LiveRunScreen"), 60,
                    "the profile dialog")
        if type(app.screen).__name__ == "ProfileModal":  # first run: who gets credit
            assert app.focused is not None and app.focused.id == "login"
            await pilot.press(*"octocat", "ctrl+s")
        await _wait(pilot, lambda: type(app.screen).__name__ == "LiveRunScreen", 30, "the live screen")
        live = app.screen
        assert live.request.runs == 1
        await _wait(pilot, lambda: live.state == "running", 120, "the run to start")
        assert app.live_session is live.session
        await _wait(pilot, lambda: live.state in ("done", "stopped", "failed"), 900, "the run to end")
        await pilot.pause(0.5)
        assert live.state == "done", live.error
        assert live.outcome.status == "complete"
        assert app.live_session is None
        for name in SCENARIOS:
            assert live.query_one(f"#result-{name}")  # each table appeared on the live screen

        # The result folder, laid out as upstream wants it.
        run_dir = Path(live.outcome.run_dir)
        assert run_dir.parent == results / "community"
        for rel in ("env_info.json", "result.json", "accuracy/accuracy.json",
                    *(f"{s}/result.json" for s in SCENARIOS if s != "accuracy")):
            assert (run_dir / rel).is_file(), rel
        doc = json.loads((run_dir / "result.json").read_text())
        assert doc["suite_id"] == "suite_Quick" and doc["meta"]["submitted_by"] == "octocat"
        assert doc["task"]["num_runs"] == 1
        assert doc["metrics"]["interactive"]["decode_tokens_per_sec"] > 0

        await pilot.press("enter")  # the run's detail
        await _wait(pilot, lambda: type(app.screen).__name__ == "RunDetailScreen"
                    and getattr(app.screen, "run", None) is not None, 30, "the run detail")
        assert app.screen.run.run_dir.run_name == run_dir.name
        for name in SCENARIOS:
            assert app.screen.query_one(f"#detail-{name}")

        for _ in range(4):  # back to home: detail → live → setup → home
            if type(app.screen).__name__ == "HomeScreen":
                break
            await pilot.press("escape")
            await pilot.pause(0.2)
        assert type(app.screen).__name__ == "HomeScreen"
        await pilot.press("v")  # results
        await _wait(pilot, lambda: type(app.screen).__name__ == "ResultsScreen"
                    and bool(getattr(app.screen, "runs", None)), 30, "the results list")
        [row] = app.screen.runs.values()
        assert row.run_name == run_dir.name and row.status == "complete"
        assert row.decode_tok_s and row.accuracy_score is not None
