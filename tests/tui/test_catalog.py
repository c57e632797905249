"""Catalog: the runner × suite matrix, a blocked pair's reason, Enter opens setup with the pair."""

from __future__ import annotations

import pytest
from textual.coordinate import Coordinate

pytestmark = pytest.mark.anyio


async def _open_catalog(pilot, tui):
    await tui.settle(pilot)
    await pilot.press("c")
    await tui.settle(pilot)
    screen = pilot.app.screen
    assert type(screen).__name__ == "CatalogScreen"
    return screen, screen.query_one("#fit-table")


async def _move_to(pilot, table, runner_prefix: str, suite_id: str) -> None:
    """Walk the cursor with arrow keys to the runner's row and the suite's column."""
    rows = [str(key.value) for key in table.rows]
    cols = [str(key.value) for key in table.columns]
    target = Coordinate(next(i for i, r in enumerate(rows) if r.startswith(runner_prefix)), cols.index(suite_id))
    row, col = table.cursor_coordinate
    keys = (["down"] * (target.row - row) + ["up"] * (row - target.row)
            + ["right"] * (target.column - col) + ["left"] * (col - target.column))
    await pilot.press(*keys)
    await pilot.pause()
    assert table.cursor_coordinate == target


async def test_matrix_has_every_runner_and_suite_with_symbols(make_app, tui):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen, table = await _open_catalog(pilot, tui)
        assert table.row_count == len(app.services.runners()) >= 4
        assert [str(c.value) for c in table.columns] == [s.id for s in app.services.suites()]
        symbols = {str(table.get_cell_at(Coordinate(r, c))) for r in range(table.row_count)
                   for c in range(len(table.columns))}
        assert symbols <= {"✓", "⋯", "—", "✓✗", "⋯✗"} and "✓" in symbols and "—" in symbols
        # Whether a pair runs here shows without colour: the NVIDIA runner cannot run on this CPU machine.
        nvidia = next(i for i, k in enumerate(table.rows) if str(k.value).startswith("nvidia_llamacpp_"))
        quick = next(i for i, k in enumerate(table.columns) if str(k.value) == "suite_Quick")
        assert str(table.get_cell_at(Coordinate(nvidia, quick))).endswith("✗")
        assert "✓✗ ⋯✗: cannot run here" in tui.text(screen.query_one("#legend"))
        # The cursor starts on the recommended pair for the quick suite.
        row = str(list(table.rows)[table.cursor_coordinate.row].value)
        col = str(list(table.columns)[table.cursor_coordinate.column].value)
        assert row.startswith("cpu_llamacpp_") and col == "suite_Quick"
        detail = screen.query_one("#fit-detail")
        assert "runs here" in tui.text(detail) and detail.has_class("-ready")


async def test_blocked_pair_shows_its_reason_and_fix(make_app, tui):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen, table = await _open_catalog(pilot, tui)
        await _move_to(pilot, table, "nvidia_llamacpp_", "suite_Quick")
        detail = screen.query_one("#fit-detail")
        assert "Why: needs an NVIDIA GPU; this machine has none." in tui.text(detail)
        assert detail.has_class("-blocked")
        await _move_to(pilot, table, "cpu_llamacpp_", "suite_B")
        assert "declares suite_B unsupported; choose a runner that supports it" in tui.text(detail)
        # Enter on a blocked pair explains instead of opening setup.
        await pilot.press("enter")
        await tui.settle(pilot)
        assert type(app.screen).__name__ == "CatalogScreen"
        assert any("cannot run suite_B" in n.message for n in app._notifications)


async def test_enter_on_cpu_quick_opens_setup_prefilled(make_app, tui):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen, table = await _open_catalog(pilot, tui)
        await _move_to(pilot, table, "amd_llamacpp_", "suite_A")  # away first, then back by keys
        await _move_to(pilot, table, "cpu_llamacpp_", "suite_Quick")
        await pilot.press("enter")
        await tui.settle(pilot)
        setup = app.screen
        assert type(setup).__name__ == "RunSetupScreen"
        assert str(setup.query_one("#runner").value).startswith("cpu_llamacpp_")
        assert setup.query_one("#suite").value == "suite_Quick"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_theme_switch_recolours_the_matrix(make_app, tui):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen, table = await _open_catalog(pilot, tui)
        await _move_to(pilot, table, "cpu_llamacpp_", "suite_B")  # unsupported: drawn in the foreground colour
        assert str(table.get_cell_at(table.cursor_coordinate).style) == "#e0e0e0 dim"
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert app.theme == "textual-light"
        assert str(table.get_cell_at(table.cursor_coordinate).style) == "dim"  # rebuilt for the light theme


async def test_gpu_machine_runs_the_nvidia_runner(gpu_services, make_app, tui):
    app = make_app(svc=gpu_services)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, table = await _open_catalog(pilot, tui)
        await _move_to(pilot, table, "nvidia_llamacpp_", "suite_Quick")
        text = tui.text(screen.query_one("#fit-detail"))
        assert "⋯ pending" in text
        # Either ready (a CUDA-capable llama_cpp is importable) or blocked for the backend, never for hardware.
        assert "needs an NVIDIA GPU" not in text


# -- snapshots --------------------------------------------------------------------------------


async def _catalog_ready(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.press("c")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def _catalog_blocked_cell(pilot) -> None:
    await _catalog_ready(pilot)
    table = pilot.app.screen.query_one("#fit-table")
    rows = [str(k.value) for k in table.rows]
    table.cursor_coordinate = Coordinate(next(i for i, r in enumerate(rows) if r.startswith("nvidia")),
                                         len(table.columns) - 1)
    await pilot.pause()


@pytest.mark.usefixtures("slow_sampling")
class TestCatalogSnapshots:
    @pytest.mark.parametrize("size", ["wide", "small"])
    def test_ready_pair(self, size, snap_compare, make_app, tui):
        assert snap_compare(make_app(), terminal_size=tui.sizes[size], run_before=_catalog_ready)

    def test_blocked_pair(self, snap_compare, make_app, tui):
        assert snap_compare(make_app(), terminal_size=tui.sizes["wide"], run_before=_catalog_blocked_cell)

    def test_light_theme(self, snap_compare, make_app, tui):
        assert snap_compare(make_app("textual-light"), terminal_size=tui.sizes["small"],
                            run_before=_catalog_blocked_cell)
