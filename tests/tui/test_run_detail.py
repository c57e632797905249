"""The run detail screen on fixed runs: every table, the receipt, the environment, export."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from results_data import EXAMPLE_NAME, build_root, screen_app, services_for, settle

SIZES = {"wide": (120, 40), "small": (80, 24)}


@pytest.fixture
def root(tmp_path, monkeypatch) -> tuple[Path, dict[str, str]]:
    monkeypatch.chdir(tmp_path)  # relative paths: the screens show the same text everywhere
    return build_root(Path("."))


def _app(services, root, which="example", theme="textual-dark"):
    from accelmark_tui.screens.run_detail import RunDetailScreen

    return screen_app(lambda: RunDetailScreen(root[1][which]), services_for(services, root[0]), theme)


@pytest.mark.parametrize("size", ["wide", "small"])
def test_detail_snapshot(size, snap_compare, services, root):
    assert snap_compare(_app(services, root), terminal_size=SIZES[size], run_before=settle)


def test_detail_snapshot_incomplete_light(snap_compare, services, root):
    assert snap_compare(_app(services, root, "partial", "textual-light"), terminal_size=SIZES["wide"],
                        run_before=settle)


@pytest.mark.anyio
async def test_every_scenario_table_receipt_and_env(services, root):
    app = _app(services, root)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        screen = app.screen
        for name in ("offline", "online", "interactive", "accuracy"):
            assert screen.query_one(f"#detail-{name}")
        offline = screen.query_one("#detail-offline DataTable")
        assert [str(c) for c in offline.get_row_at(2)][:2] == ["64", "2004.0"]
        online = screen.query_one("#detail-online DataTable")
        assert [str(c) for c in online.get_row_at(1)][-1] == "yes"
        assert "used same vllm-musa instance" in str(screen.query_one("#detail-accuracy-notes").render())
        env = _text(screen.query_one("#detail-env").content)
        assert "Intel(R) Xeon(R) Gold 6430 (64 cores, 128 threads)" in env and "Moore Threads Driver 2.7.0" in env
        head = _text(screen.query_one("#detail-header").content)
        assert "MTT S4000 ×1 (Moore Threads, 48 GB)" in head and "vllm-musa 0.4.2" in head


def _text(renderable) -> str:
    from rich.console import Console

    console = Console(width=200, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


@pytest.mark.anyio
async def test_export_markdown_and_csv_into_the_run_folder_saying_where(services, root):
    from accelmark_tui.results.export import COLUMNS

    app = _app(services, root)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("enter")  # accept the default path
        await pilot.pause()
        md = Path(root[1]["example"]) / f"{EXAMPLE_NAME}.md"
        assert any(n.title == "Wrote Markdown" and Path(n.message) == md.resolve() for n in app._notifications)
        assert md.is_file() and md.read_text().startswith(f"## {EXAMPLE_NAME}")
        assert "| model " in md.read_text()
        await pilot.press("E", "enter")
        await pilot.pause()
        rows = list(csv.DictReader(io.StringIO(md.with_suffix(".csv").read_text())))
        assert list(rows[0]) == COLUMNS and len(rows) == 3 + 3 + 1 + 1  # offline 3, online 2 + max valid QPS, interactive, accuracy
        assert any("Wrote CSV" in n.title for n in app._notifications)


@pytest.mark.anyio
async def test_export_to_a_chosen_path_and_a_bad_one(services, root, tmp_path):
    from accelmark_tui.screens.error_modal import ErrorModal

    app = _app(services, root)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        await pilot.press("E")
        await pilot.pause()
        field = app.screen.query_one("#path-input")
        field.value = str(tmp_path / "out" / "sweep.csv")
        await pilot.press("enter")
        await pilot.pause()
        assert (tmp_path / "out" / "sweep.csv").read_text().startswith("run_name,")
        blocker = tmp_path / "a-file"
        blocker.write_text("x")
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#path-input").value = str(blocker / "x.md")  # a file where a folder must be
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ErrorModal)
        await pilot.press("escape")
        await pilot.press("e", "escape")  # cancel writes nothing
        await pilot.pause()
        assert not (blocker.parent / "x.md").exists()


@pytest.mark.anyio
async def test_unknown_run_is_an_error_dialog(services, root):
    from accelmark_tui.screens.error_modal import ErrorModal
    from accelmark_tui.screens.run_detail import RunDetailScreen

    app = screen_app(lambda: RunDetailScreen("no-such-run"), services_for(services, root[0]))
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        for _ in range(100):  # the worker's failure reaches the app as a message: on a loaded machine a frame later
            if isinstance(app.screen, ErrorModal):
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, ErrorModal) and "No run named 'no-such-run'" in app.screen.text


@pytest.mark.anyio
async def test_s_opens_submit(services, root):
    from accelmark_tui.screens.submit import SubmitScreen

    app = _app(services, root)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SubmitScreen)


@pytest.mark.anyio
async def test_a_stopped_scenario_shows_as_partial(services, root):
    """A scenario a stop ended part-way: its table is shown under a line saying it is partial, how far it
    got and what resumes it; the header names it, and it is not among the finished tables."""
    import json

    from accelmark_tui.results.layout import RunDir, atomic_write_json

    rd = RunDir.from_path(root[1]["partial"])
    mark = {"scenario": "online", "requests_done": 13, "requests_planned": 40, "steps_done": 1, "steps_planned": 2,
            "resumes_at": {"run": 0, "step": 1, "request": 3}}
    doc = json.loads((Path(root[1]["example"]) / "online" / "result.json").read_text())
    doc["meta"]["partial"] = mark
    atomic_write_json(rd.partial("online"), doc)
    state = rd.load_state()
    state.scenarios_partial["online"] = {**mark, "plan_digest": "0" * 16, "samples_bytes": 1}
    rd.save_state(state)

    app = _app(services, root, "partial")
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        screen = app.screen
        note = str(screen.query_one("#detail-partial-note-online").render())
        assert note == ("Partial: online was stopped after 13 of 40 requests, with 1 of 2 steps complete; not "
                        "submittable, the same command resumes it at step 2, request 4.")
        assert screen.query_one("#detail-partial-online DataTable").row_count > 0
        assert not screen.query("#detail-online")  # not shown as a finished scenario
        head = _text(screen.query_one("#detail-header").content)
        assert "stopped part-way: online; not yet run: interactive" in head
