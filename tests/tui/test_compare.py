"""Two fixed runs side by side: the example submission (A) and the same setup on a newer build (B)."""

from __future__ import annotations

from pathlib import Path

import pytest
from results_data import build_root, screen_app, services_for, settle

from accelmark_tui.results.store import find_run, load_run
from accelmark_tui.scenarios.compare import compare_rows

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
    from accelmark_tui.screens.compare import ratio_cell

    a, b = (load_run(find_run(root[1][k], root[0])) for k in ("example", "newer"))
    rows = list(compare_rows(a.metrics(), b.metrics(), a.accuracy_receipt(), b.accuracy_receipt()))
    by = {(r.scenario, r.test, r.figure.label): r for r in rows}
    assert [r.test for r in rows if r.scenario == "offline"] == ["c=4", "c=16", "c=64"]  # numeric order, not text
    off = by[("offline", "c=64", "output tok/s")]
    assert (off.a, off.b, off.figure.higher_is_better) == (2004.02, 2304.62, True)
    assert ratio_cell(off.a, off.b, True).plain == "1.15×"
    ttft = by[("online", "qps=10", "TTFT p99 ms")]
    assert ttft.figure.higher_is_better is False and ratio_cell(ttft.a, ttft.b, False).plain == "0.90×"
    assert by[("online", "sla", "max QPS within SLA")].a is not None
    # The headline leads, and it is the interactive table's decode tok/s at p50 (1000 / TPOT p50), not a mean.
    assert rows[0].scenario == "headline" and rows[0].test == "interactive"
    assert rows[0].a == by[("interactive", "c=1", "decode tok/s")].a == pytest.approx(1000 / 14.85, abs=0.01)
    assert (by[("accuracy", "mmlu100", "score")].a, by[("accuracy", "mmlu100", "score")].b) == (0.07, 0.09)
    # Better is green, worse red, noise plain (whatever the direction of "better").
    assert "green" in str(ratio_cell(10, 12, True).style) and "red" in str(ratio_cell(10, 12, False).style)
    assert ratio_cell(100, 101, True).style == "" and ratio_cell(None, 5, True).plain == "-"
    assert ratio_cell(0, 5, True).plain == "-"


def test_a_scenario_only_one_run_has(root):
    a, b = (load_run(find_run(root[1][k], root[0])) for k in ("partial", "newer"))
    rows = list(compare_rows(a.metrics(), b.metrics(), a.accuracy_receipt(), b.accuracy_receipt()))
    inter = [r for r in rows if r.scenario == "interactive"]
    assert inter and all(r.a is None and r.b is not None for r in inter)


def test_sweep_peak_and_burst_compare_level_by_level():
    """accelmark's own scenarios and burst carry their figures into compare (they used to be left out)."""
    sweep_a = {"points": [{"concurrency": 1, "output_tokens_per_sec": 10.0, "tpot_ms_p50": 100.0, "completed": 9},
                          {"concurrency": 4, "output_tokens_per_sec": 30.0, "ttft_ms_p99": 400.0}]}
    sweep_b = {"points": [{"concurrency": 1, "output_tokens_per_sec": 12.0, "tpot_ms_p50": 80.0, "completed": 9},
                          {"concurrency": 2, "output_tokens_per_sec": 20.0},
                          {"concurrency": 4, "output_tokens_per_sec": 33.0, "ttft_ms_p99": 300.0}]}
    peak = {"max_rate_meeting_sla": 4.0, "sla": {"ttft_ms_p99": 500},
            "trials": [{"rate": 2.0, "achieved_rate": 1.9, "p99_ttft_ms": 120.0, "met": True}]}
    burst = {"burst_steady_qps": 1, "burst_peak_qps": 5, "burst_ttft_p50_ms": 90.0, "burst_ttft_p99_ms": 300.0}
    rows = list(compare_rows({"sweep": sweep_a, "peak": peak, "burst": burst},
                             {"sweep": sweep_b, "peak": {**peak, "max_rate_meeting_sla": 6.0}}, None, None))
    by = {(r.scenario, r.test, r.figure.label): (r.a, r.b) for r in rows}
    assert rows[0].scenario == "headline" and rows[0].test == "sweep c=1" and (rows[0].a, rows[0].b) == (10.0, 12.5)
    assert [r.test for r in rows if r.scenario == "sweep" and r.figure.label == "output tok/s"] == ["c=1", "c=2", "c=4"]
    assert by[("sweep", "c=2", "output tok/s")] == (None, 20.0)
    assert by[("sweep", "c=4", "TTFT p99 ms")] == (400.0, 300.0)
    assert by[("peak", "sla", "max QPS within SLA")] == (4.0, 6.0)
    assert by[("peak", "rate=2", "TTFT p99 ms")] == (120.0, 120.0)
    assert by[("burst", "1->5 qps", "TTFT p99 ms")] == (300.0, None)


@pytest.mark.anyio
async def test_swap(services, root):
    app = _app(services, root)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        screen = app.screen
        table = screen.query_one("#compare-table")
        first = [str(c) for c in table.get_row_at(0)]
        assert first[:3] == ["headline", "interactive", "decode tok/s"] and first[5] == "1.11×"
        assert screen.query_one("#compare-a").border_title == "A: 4f66d29d"
        await pilot.press("x")
        await pilot.pause()
        assert [str(c) for c in table.get_row_at(0)][5] == "0.90×"
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
