"""The results screen: the run list from a fixed results folder, marking, and where each key goes."""

from __future__ import annotations

from pathlib import Path

import pytest
from results_data import EXAMPLE_NAME, PARTIAL_NAME, build_root, screen_app, services_for, settle

SIZES = {"wide": (120, 40), "small": (80, 24)}


@pytest.fixture
def root(tmp_path, monkeypatch) -> tuple[Path, dict[str, str]]:
    # A relative results root: every path the screens show is the same on every machine.
    monkeypatch.chdir(tmp_path)
    return build_root(Path("."))


def _app(services, root, theme="textual-dark"):
    from accelmark_tui.screens.results import ResultsScreen

    return screen_app(ResultsScreen, services_for(services, root[0]), theme)


@pytest.mark.parametrize("size", ["wide", "small"])
def test_results_snapshot(size, snap_compare, services, root):
    assert snap_compare(_app(services, root), terminal_size=SIZES[size], run_before=settle)


def test_results_snapshot_light_marked(snap_compare, services, root):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("m", "down", "down", "m")

    assert snap_compare(_app(services, root, "textual-light"), terminal_size=SIZES["wide"], run_before=run_before)


def test_results_empty_snapshot(snap_compare, services, tmp_path, monkeypatch):
    from accelmark_tui.screens.results import ResultsScreen

    monkeypatch.chdir(tmp_path)
    app = screen_app(ResultsScreen, services_for(services, Path("results")))
    assert snap_compare(app, terminal_size=SIZES["small"], run_before=settle)


@pytest.mark.anyio
async def test_rows_newest_first_with_headline_figures(services, root):
    app = _app(services, root)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        screen = app.screen
        table = screen.query_one("#results-table")
        assert table.row_count == 3
        names = [screen.runs[str(k.value)].run_name for k in table.rows]
        assert names[1:] == [PARTIAL_NAME, EXAMPLE_NAME]  # the newer build's run is first (2026-06-02)
        first = [str(c) for c in table.get_row_at(0)]
        assert first[1] == "2026-06-02" and "Qwen2.5-0.5B-Instruct" in first[2] and first[4] == "complete"
        assert first[8] == "moorethreads_vllm_musa"  # the runner whole, only its version hash left out
        assert first[5] == "74.8" and first[6] == "23.3" and first[7] == "0.09*"
        assert "incomplete" in str(table.get_row_at(1)[4])


@pytest.mark.anyio
async def test_enter_opens_the_run_and_s_the_submit_screen(services, root):
    from accelmark_tui.screens.run_detail import RunDetailScreen
    from accelmark_tui.screens.submit import SubmitScreen

    app = _app(services, root)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, RunDetailScreen) and app.screen.run.run_dir.run_name == EXAMPLE_NAME
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SubmitScreen)
        assert Path(app.screen.run_name).name == EXAMPLE_NAME  # the cursor stayed on the row


@pytest.mark.anyio
async def test_marks_two_runs_and_compares_them(services, root):
    from accelmark_tui.screens.compare import CompareScreen

    app = _app(services, root)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("d")  # nothing marked: a hint, no screen
        assert app.screen is screen
        await pilot.press("m", "down", "m", "down", "m")  # a third mark drops the oldest
        assert [Path(k).name for k in screen.marked] == [PARTIAL_NAME, EXAMPLE_NAME]
        assert "marked 1" in str(screen.query_one("#results-hint").render())
        await pilot.press("up", "m")  # unmark
        assert [Path(k).name for k in screen.marked] == [EXAMPLE_NAME]
        await pilot.press("up", "m", "equals_sign")
        await settle(pilot)
        assert isinstance(app.screen, CompareScreen)
        assert Path(app.screen.run_a).name == EXAMPLE_NAME and app.screen.runs is not None


@pytest.mark.anyio
async def test_reload_picks_up_a_new_run(services, root, tmp_path):
    import shutil

    from results_data import EXAMPLE

    app = _app(services, root)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        shutil.copytree(EXAMPLE, root[0] / "community" / (EXAMPLE_NAME[:-8] + "12345678"))
        await pilot.press("r")
        await settle(pilot)
        assert app.screen.query_one("#results-table").row_count == 4


@pytest.mark.anyio
async def test_the_quant_shows_within_80_columns(services, root):
    import json

    result = Path(root[1]["example"]) / "result.json"
    doc = json.loads(result.read_text())
    doc["model"]["quantization_method"] = "gguf_q8_0"
    result.write_text(json.dumps(doc))
    app = _app(services, root)
    async with app.run_test(size=SIZES["small"]) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#results-table")
        quant = [c.label.plain for c in table.columns.values()].index("quant")
        row = next(i for i, k in enumerate(table.rows) if Path(str(k.value)).name == EXAMPLE_NAME)
        assert str(table.get_row_at(row)[quant]) == "Q8_0"
        others = [str(table.get_row_at(i)[quant]) for i, k in enumerate(table.rows) if i != row]
        assert others == ["BF16", "BF16"]  # unquantized weights: their precision, not "-"
        assert "Q8_0" not in str(table.get_row_at(row)[2])  # the model cell is the model's name alone
        # the quant's and the headline's last characters (before the right padding) are on screen at 80
        # columns (the headline used to end "decode tok" / "108" there)
        for name in ("quant", "decode tok/s"):
            last = [c.label.plain for c in table.columns.values()].index(name)
            right_edge = sum(c.get_render_width(table) for c in list(table.columns.values())[:last + 1])
            assert right_edge - table.cell_padding <= table.size.width == SIZES["small"][0], name


@pytest.mark.anyio
async def test_the_runner_is_whole_at_120_columns(services, root):
    app = _app(services, root)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#results-table")
        last = [c.label.plain for c in table.columns.values()].index("runner")
        right_edge = sum(c.get_render_width(table) for c in list(table.columns.values())[:last + 1])
        assert right_edge - table.cell_padding <= table.size.width == SIZES["wide"][0]


@pytest.mark.anyio
async def test_a_run_in_progress_says_so_instead_of_dashes(services, root):
    import os

    from accelmark_tui.results.layout import RunDir, RunState

    live = RunDir(root[0], "community", "intel_xeonx1_suite_Quick_cpu_llamacpp_fcba25f1_0a1b2c3d")
    live.path.mkdir(parents=True)
    live.save_state(RunState(status="running", scenarios_planned=["interactive"], pid=os.getpid(),
                             started_at="2026-06-03T09:00:00+00:00"))
    app = _app(services, root)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#results-table")
        row = next(i for i, k in enumerate(table.rows) if Path(str(k.value)).name == live.run_name)
        cells = [str(c) for c in table.get_row_at(row)]
        assert cells[4] == "running" and cells[5] == "measuring…"
