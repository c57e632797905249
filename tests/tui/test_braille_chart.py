"""The live chart's braille rows: scales, ticks and rasterised lines (pure functions), and the widget
drawing them from the data it was shown."""

from __future__ import annotations

import pytest

from accelmark_tui.screens.widgets import braille


def test_nice_ceiling_and_step():
    assert [braille.nice_ceiling(v) for v in (0.7, 1, 1.2, 2.2, 3, 61, 240, 1300)] == \
        [1, 1, 2, 2.5, 5, 100, 250, 2000]
    assert braille.nice_ceiling(0) == 1.0 and braille.nice_ceiling(float("nan")) == 1.0
    assert braille.nice_step(30, 5) == 10 and braille.nice_step(7, 7) == 1 and braille.nice_step(0.9, 4) == 0.5


def test_rasterise_joins_points_and_keeps_the_last_series_colour():
    # A rising line from the bottom-left to the top-right corner of a 3x2-cell plot (6x8 dots).
    grid = braille.rasterise([([0.0, 1.0], [0.0, 10.0])], 3, 2, (0.0, 1.0), 10.0)
    bits = [[b for b, _ in row] for row in grid]
    assert bits[1][0] & 0x40 and bits[0][2] & 0x08  # bottom-left dot and top-right dot set
    # Joined without gaps: the cells the segment crosses, and only those.
    assert {(r, c) for r in range(2) for c in range(3) if bits[r][c]} == {(1, 0), (1, 1), (0, 1), (0, 2)}
    # Two series over the same cell: the later one's index wins the cell's colour.
    grid = braille.rasterise([([0.0, 1.0], [5.0, 5.0]), ([0.0, 1.0], [5.0, 5.0])], 2, 1, (0.0, 1.0), 10.0)
    assert {i for _, i in grid[0]} == {1}
    # Values above the top are clipped to it, NaNs skipped, nothing drawn outside the grid.
    grid = braille.rasterise([([0.0, 0.5, 1.0], [99.0, float("nan"), 0.0])], 2, 2, (0.0, 1.0), 10.0)
    assert grid[0][0][0] & 0x01 and grid[1][1][0] & 0x80


def test_tick_labels_never_overlap_and_sit_where_values_land():
    row = braille.x_labels((0.0, 120.0), 40)  # room for 4 labels: a step of 50
    assert len(row) == 40 and row.split() == ["0", "50", "100"]
    narrow = braille.x_labels((0.0, 10_000.0), 12)  # the last label kept inside the plot's width
    assert narrow == "0        10k"
    assert braille.x_labels((0.0, 3.0), 8) == "0      3"  # too short for a nice step: its two ends
    ticks = braille.y_ticks(60.0, 6)
    assert ticks[0] == "60" and ticks[5] == "0" and "30" in ticks.values()
    half_row = next(r for r, t in ticks.items() if t == "30")
    grid = braille.rasterise([([0.0, 1.0], [30.0, 30.0])], 2, 6, (0.0, 1.0), 60.0)
    assert any(b for b, _ in grid[half_row])  # the 30 label is on the row the value 30 is drawn in


@pytest.mark.anyio
async def test_live_chart_draws_what_it_was_shown():
    from textual.app import App

    from accelmark_tui.screens.widgets.charts import LiveChart

    class ChartApp(App):
        def compose(self):
            yield LiveChart(id="c")

    app = ChartApp()
    async with app.run_test(size=(60, 10)) as pilot:
        chart = app.query_one(LiveChart)
        assert chart.show([([0.0, 10.0, 20.0], [0.0, 40.0, 80.0], "primary", "tok/s")])
        assert not chart.show([([0.0, 10.0, 20.0], [0.0, 40.0, 80.0], "primary", "tok/s")])  # same data
        await pilot.pause()
        text = [chart.render_line(y).text for y in range(chart.size.height)]
        assert text[0].lstrip().startswith("100 ┤") and text[-3].lstrip().startswith("0 ┤")
        assert any(ch != " " and 0x2800 < ord(ch) < 0x2900 for line in text for ch in line)
        assert text[-1].startswith(" t (s) 0") and text[-1].split()[-1] == "20"  # the x axis says its unit
        assert chart.draws == 1


def test_spark_scales_each_cell_to_the_series_range():
    bars = lambda values, width: "".join(c for c, _ in braille.spark(values, width))  # noqa: E731
    assert bars([1, 2, 3, 4, 5, 6, 7, 8], 8) == "▁▂▃▄▅▆▇█"
    assert bars([1, 5], 4) == "▁▁██"  # fewer values than cells: each spans several
    assert bars(list(range(100)), 5) == "▂▃▅▆█"  # more values: each cell shows its bucket's max
    assert bars([], 3) == "▁▁▁" and bars([7], 3) == "███" and bars([3, 3, 3], 2) == "▁▁"
    assert braille.spark([1, 2], 0) == []


def test_progress_detail_drops_the_percentage_before_the_eta():
    from accelmark_tui.screens.widgets.progress import fit_detail

    assert fit_detail("13/100 · 13% · ETA 23s", 40) == "13/100 · 13% · ETA 23s"
    assert fit_detail("13/100 · 13% · ETA 23s", 17) == "13/100 · ETA 23s"  # 80 columns: the ETA stays
    assert fit_detail("waiting", 3) == "waiting"  # nothing to drop: cut at the edge as before
