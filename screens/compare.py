"""Two runs side by side: headline figures per scenario and level, with the ratio B / A.

A ratio is coloured by whether B is better (higher throughput, lower latency),
so a quant sweep or a driver update reads at a glance; within ±2 % it stays
plain (run-to-run noise on these machines is a few percent).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header, Static

from accelmark_tui.scenarios.format import decode_tok_s, fmt
from accelmark_tui.scenarios.registry import in_order
from accelmark_tui.screens.widgets.tables import fill_table
from accelmark_tui.ui.base import AccelmarkScreen

NOISE = 0.02

# (scenario, level, metric, value A, value B, higher is better)
Row = tuple[str, str, str, Any, Any, bool]


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _by(rows: Any, key: str) -> dict[Any, dict]:
    return {r.get(key): r for r in rows or [] if isinstance(r, dict)}


def _levels(a: dict, b: dict) -> list[Any]:
    return sorted(set(a) | set(b), key=lambda x: (_num(x) is None, _num(x) or 0, str(x)))


def _decode(block: dict) -> float | None:
    return _num(block.get("decode_tokens_per_sec")) or decode_tok_s(block.get("tpot_ms_p50"))


def compare_rows(ma: dict[str, Any], mb: dict[str, Any], acc_a: dict | None, acc_b: dict | None) -> Iterator[Row]:
    """Headline figures of two runs' metric blocks (``RunData.metrics()``), scenario by scenario."""
    for name in in_order(set(ma) | set(mb)):
        a, b = ma.get(name) or {}, mb.get(name) or {}
        if name == "offline":
            ra, rb = _by(a.get("results_by_concurrency"), "client_concurrency"), \
                _by(b.get("results_by_concurrency"), "client_concurrency")
            for c in _levels(ra, rb):
                yield (name, f"c={c}", "output tok/s", (ra.get(c) or {}).get("throughput_tokens_per_sec"),
                       (rb.get(c) or {}).get("throughput_tokens_per_sec"), True)
        elif name == "online":
            yield name, "", "max valid QPS", a.get("max_valid_qps"), b.get("max_valid_qps"), True
            ra, rb = _by(a.get("results_by_qps"), "target_qps"), _by(b.get("results_by_qps"), "target_qps")
            for q in _levels(ra, rb):
                x, y = ra.get(q) or {}, rb.get(q) or {}
                yield name, f"{q} QPS", "achieved QPS", x.get("achieved_qps"), y.get("achieved_qps"), True
                for key, label in (("ttft_ms_p50", "TTFT p50 ms"), ("ttft_ms_p99", "TTFT p99 ms"),
                                   ("tpot_ms_p50", "TPOT p50 ms")):
                    yield name, f"{q} QPS", label, x.get(key), y.get(key), False
        elif name == "interactive":
            yield name, "c=1", "TTFT p50 ms", a.get("ttft_ms_p50"), b.get("ttft_ms_p50"), False
            yield name, "c=1", "TPOT p50 ms", a.get("tpot_ms_p50"), b.get("tpot_ms_p50"), False
            yield name, "c=1", "decode tok/s", _decode(a), _decode(b), True
        elif name == "sustained":
            yield (name, "", "tok/s", a.get("sustained_throughput_tokens_per_sec"),
                   b.get("sustained_throughput_tokens_per_sec"), True)
        elif name == "burst":
            yield name, "", "burst TTFT p99 ms", a.get("burst_ttft_p99_ms"), b.get("burst_ttft_p99_ms"), False
    if acc_a or acc_b:
        yield ("accuracy", "MMLU 100", "score", (acc_a or {}).get("subset_score"), (acc_b or {}).get("subset_score"),
               True)


def ratio_cell(a: Any, b: Any, higher_is_better: bool, good: str = "green", bad: str = "red") -> Text:
    x, y = _num(a), _num(b)
    if x is None or y is None or x == 0:
        return Text("-", justify="right")
    r = y / x
    better = r > 1 if higher_is_better else r < 1
    style = "" if abs(r - 1) <= NOISE else f"bold {good if better else bad}"
    return Text(f"{r:.2f}×", style=style, justify="right")


def describe(run: Any) -> tuple[str, str]:
    """(card title, card body): run names share everything but the run id, so the id titles the card."""
    doc = run.doc
    chip, model, sw, meta = (doc.get(k) or {} for k in ("chip", "model", "software", "meta"))
    quant = model.get("quantization_method") or model.get("precision")
    run_id = run.run_dir.run_name.rsplit("_", 1)[-1]  # as the folder (and the results list) names it
    body = (f"{chip.get('name', '-')} · {sw.get('framework', '-')} {sw.get('framework_version', '')}\n"
            f"{(model.get('model_id') or '-').split('/')[-1]} {quant or ''} · {doc.get('suite_id', '-')}\n"
            f"{meta.get('date', '-')} · {run.status} · {doc.get('implementation_id', '-')}")
    return run_id, body


class CompareScreen(AccelmarkScreen):
    CSS_PATH = Path(__file__).with_name("compare.tcss")
    HELP_TEXT = ("Two runs side by side. The last column is B / A: green where B is better (more throughput, "
                 "less latency), red where it is worse, plain within ±2 %.")
    BINDINGS = [Binding("x", "swap", "Swap A/B", id="compare.swap", tooltip="Swap the runs (ratios become A / B)")]

    def __init__(self, run_a: str, run_b: str) -> None:
        """Runs by name, unique prefix or folder path."""
        super().__init__()
        self.run_a, self.run_b = run_a, run_b
        self.runs: tuple[Any, Any] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="compare-runs"):
            yield Static("Reading…", id="compare-a", classes="run-card", markup=False)
            yield Static("Reading…", id="compare-b", classes="run-card", markup=False)
        yield Static("", id="compare-warning", markup=False)
        yield DataTable(id="compare-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="compare-load", exit_on_error=False)
    def load(self) -> None:
        services = self.app.services
        runs = (services.load_run(self.run_a), services.load_run(self.run_b))
        self.app.call_from_thread(self._show, runs)

    def _show(self, runs: tuple[Any, Any]) -> None:
        self.runs = runs
        a, b = runs
        warning = self.query_one("#compare-warning", Static)
        lines = self.app.services.background_warnings(a, b)
        warning.update("\n".join(lines))
        warning.display = bool(lines)
        for which, run in (("a", a), ("b", b)):
            title, body = describe(run)
            card = self.query_one(f"#compare-{which}", Static)
            card.border_title = f"{which.upper()}: {title}"
            card.update(body)
        last = None
        colours = self.app.get_css_variables()  # theme colours: readable on dark and light
        rows: list[list[Any]] = []
        for scenario, level, metric, va, vb, higher in compare_rows(a.metrics(), b.metrics(), a.accuracy_receipt(),
                                                                 b.accuracy_receipt()):
            digits = 2 if metric in ("score", "TPOT p50 ms", "achieved QPS") else 1
            rows.append([scenario if scenario != last else "", level, metric,
                         Text(fmt(_num(va), digits), justify="right"), Text(fmt(_num(vb), digits), justify="right"),
                         ratio_cell(va, vb, higher, colours["success"], colours["error"])])
            last = scenario
        if not rows:
            rows.append(["-", "", "neither run has finished a scenario", "", "", ""])
        fill_table(self.query_one("#compare-table", DataTable), ["scenario", "level", "metric", "A", "B", "B / A"],
                   rows)

    def action_swap(self) -> None:
        if self.runs is not None:
            self.run_a, self.run_b = self.run_b, self.run_a
            self._show((self.runs[1], self.runs[0]))
