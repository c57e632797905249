"""Two fixed runs side by side: the example submission (A) and the same setup on a newer build (B)."""

from __future__ import annotations

from pathlib import Path

import pytest
from results_data import build_root, screen_app, services_for, settle

from accelmark_tui.results.store import find_run, load_run

SIZES = {"wide": (120, 40), "small": (80, 24)}


@pytest.fixture
def root(tmp_path, monkeypatch) -> tuple[Path, dict[str, str]]:
    monkeypatch.chdir(tmp_path)
    return build_root(Path("."))


def _app(services, root, a="example", b="newer", theme="textual-dark"):
    from accelmark_tui.screens.compare import CompareScreen

    return screen_app(lambda: CompareScreen(root[1][a], root[1][b]), services_for(services, root[0]), theme)


@pytest.mark.parametrize("size", ["wide", "small"])
def test_compare_snapshot(size, snap_compare, services, root):
    assert snap_compare(_app(services, root), terminal_size=SIZES[size], run_before=settle)


def test_compare_snapshot_light_with_a_partial_run(snap_compare, services, root):
    assert snap_compare(_app(services, root, "partial", "newer", "textual-light"), terminal_size=SIZES["wide"],
                        run_before=settle)


def test_rows_and_ratios(root):
    from accelmark_tui.screens.compare import compare_rows, ratio_cell

    a, b = (load_run(find_run(root[1][k], root[0])) for k in ("example", "newer"))
    rows = list(compare_rows(a.metrics(), b.metrics(), a.accuracy_receipt(), b.accuracy_receipt()))
    by = {(r[0], r[1], r[2]): r for r in rows}
    assert [r[1] for r in rows if r[0] == "offline"] == ["c=4", "c=16", "c=64"]  # numeric order, not text
    off = by[("offline", "c=64", "output tok/s")]
    assert (off[3], off[4], off[5]) == (2004.02, 2304.62, True)
    assert ratio_cell(off[3], off[4], off[5]).plain == "1.15×"
    ttft = by[("online", "10 QPS", "TTFT p99 ms")]
    assert ttft[5] is False and ratio_cell(ttft[3], ttft[4], False).plain == "0.90×"
    assert by[("interactive", "c=1", "decode tok/s")][3] == pytest.approx(1000 / 14.85, abs=0.01)  # from TPOT p50
    assert by[("accuracy", "MMLU 100", "score")][3:5] == (0.07, 0.09)
    # Better is green, worse red, noise plain (whatever the direction of "better").
    assert "green" in str(ratio_cell(10, 12, True).style) and "red" in str(ratio_cell(10, 12, False).style)
    assert ratio_cell(100, 101, True).style == "" and ratio_cell(None, 5, True).plain == "-"
    assert ratio_cell(0, 5, True).plain == "-"


def test_a_scenario_only_one_run_has(root):
    from accelmark_tui.screens.compare import compare_rows

    a, b = (load_run(find_run(root[1][k], root[0])) for k in ("partial", "newer"))
    rows = list(compare_rows(a.metrics(), b.metrics(), a.accuracy_receipt(), b.accuracy_receipt()))
    inter = [r for r in rows if r[0] == "interactive"]
    assert inter and all(r[3] is None and r[4] is not None for r in inter)


@pytest.mark.anyio
async def test_swap(services, root):
    app = _app(services, root)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        screen = app.screen
        table = screen.query_one("#compare-table")
        first = [str(c) for c in table.get_row_at(0)]
        assert first[:3] == ["offline", "c=4", "output tok/s"] and first[5] == "1.15×"
        assert screen.query_one("#compare-a").border_title == "A: 4f66d29d"
        await pilot.press("x")
        await pilot.pause()
        assert [str(c) for c in table.get_row_at(0)][5] == "0.87×"
        assert screen.query_one("#compare-a").border_title.startswith("A: ") and "4f66d29d" in \
            screen.query_one("#compare-b").border_title


def _background(run_folder: str, share: float) -> None:
    """Record a background share on the run's offline scenario, as the sampler leaves it."""
    import json

    block = {"mean_share": share, "max_share": share + 0.05, "samples": 30, "seconds": 15.0, "cpus": 2}
    for path in (Path(run_folder) / "result.json", Path(run_folder) / "offline" / "result.json"):
        doc = json.loads(path.read_text())
        doc["metrics"]["offline"]["background_cpu"] = block
        path.write_text(json.dumps(doc))


@pytest.mark.anyio
async def test_background_load_is_warned(services, root):
    app = _app(services, root)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        assert not app.screen.query_one("#compare-warning").display  # neither run recorded any
    _background(root[1]["example"], 0.02)
    _background(root[1]["newer"], 0.31)
    app = _app(services, root)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        warning = app.screen.query_one("#compare-warning")
        text = str(warning.render())
        assert warning.display
        assert "⚠ B was measured while other processes used over 10% of the CPU: offline 31% (max 36%)." in text
        assert "Background load differs between the runs by more than 5% of the CPU: offline A 2%, B 31%." in text
        assert "A was measured" not in text
        await pilot.press("x")  # swapped, the loaded run is A
        await pilot.pause()
        assert "A was measured while other processes used" in str(warning.render())
