"""The scenario registry: every scenario builds, shows and exports from its one definition."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accelmark_tui.engine import blocks
from accelmark_tui.engine.backend import load_object
from accelmark_tui.engine.plan import Options, plan_scenario
from accelmark_tui.engine.records import RequestRecord
from accelmark_tui.errors import AccelmarkError
from accelmark_tui.resources import suites_dir
from accelmark_tui.results.assemble import ResultContext, merged_result
from accelmark_tui.results.export import COLUMNS, flat_rows
from accelmark_tui.results.layout import RunDir
from accelmark_tui.results.render import render_run
from accelmark_tui.results.store import RunData
from accelmark_tui.scenarios import registry
from accelmark_tui.scenarios.upstream import receipt_view
from accelmark_tui.scenarios.format import table
from accelmark_tui.scenarios.definition import EXPORT_FIGURES, View

MS = 1_000_000
EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "results" / "example-result"
SUITE = json.loads((suites_dir() / "suite_Quick" / "suite.json").read_text())


def _records(levels: list, n: int = 6) -> list[RequestRecord]:
    """``n`` finished requests per level, 100 ms apart, each 8 tokens at 10 ms."""
    out = []
    for li, level in enumerate(levels):
        for i in range(n):
            r = RequestRecord(request_id=len(out), scenario="s", prompt_id=i, level=level)
            r.scheduled_ns = r.sent_ns = (li * n + i) * 100 * MS
            for k in range(8):
                r.add_chunk(r.sent_ns + (20 + 10 * k) * MS)
            r.end_ns, r.output_tokens, r.input_tokens, r.text = r.chunk_ns[-1], 8, 16, "Answer: A"
            out.append(r)
    return out


def _block(name: str) -> dict:
    plan = plan_scenario(name, SUITE, Options(runs=1, warmup=0, levels=[1, 2], sla_ttft_ms=500.0))
    levels = [s["level"] for s in plan["steps"] if s.get("level") is not None] or [1.0, 2.0]
    return blocks.build(name, _records(levels), plan, blocks.ReportContext(served_concurrency=2))


@pytest.fixture(scope="module")
def finished() -> dict[str, dict]:
    return {name: _block(name) for name in registry.names()}


def _exports(view: View) -> set[str]:
    declared = {c.export for c in view.columns} | {f.export for f in view.facts}
    declared |= {n for r in view.rows for n in r.export or ()}
    return declared - {None}


def test_every_scenario_has_a_builder_a_table_and_a_headline(finished):
    assert registry.names() and set(registry.names()) <= set(registry.ORDER)
    for name in registry.names():
        scenario = registry.get(name)
        assert callable(blocks.builder(scenario.report)), name
        assert callable(load_object(scenario.planner)), name  # plan_scenario planned it for the fixture
        view = scenario.view(finished[name])
        assert view.title and view.columns and view.rows, name
        assert scenario.headline(finished[name]), name


def test_terminal_app_and_export_views_use_the_same_columns(finished):
    for name, block in finished.items():
        view = registry.view(name, block)
        text, app = view.text(), view.cells()
        assert table(view.headers, view.cells(narrow=False)).splitlines()[0] in text, name
        assert all(len(row) == len(view.headers) for row in app), name
        assert _exports(view) <= set(EXPORT_FIGURES), name
        for _, _, figures in view.export_rows():
            assert set(figures) <= _exports(view), name

    # Through the results views: `results show`, CSV/Markdown rows.
    metrics = {k: v for k, v in finished.items() if k != "accuracy"}
    receipt = {"subset_score": 0.4, "baseline_delta": 0.02, "valid": True, "precision": "Q4_K_M", "framework": "x"}
    run = RunData(RunDir(Path("/nowhere"), "community", "r"), {"metrics": metrics}, {}, None, receipt, None)
    shown = render_run(run)
    rows = flat_rows(run)
    assert [r["scenario"] for r in rows] == [s for s in registry.in_order(metrics) for _ in
                                             registry.view(s, metrics[s]).export_rows()] + ["accuracy"]
    for name, block in [*metrics.items(), ("accuracy", receipt)]:
        view = receipt_view(block) if name == "accuracy" else registry.view(name, block)
        assert view.text() in shown, name
        ours = [r for r in rows if r["scenario"] == name]
        assert [r["test"] for r in ours] == [t for t, _, _ in view.export_rows()], name
        filled = {k for r in ours for k in EXPORT_FIGURES if r[k] is not None}
        assert filled <= _exports(view), name
    assert all(list(r) == COLUMNS for r in rows)


def test_unknown_scenarios_fall_back_to_the_generic_view():
    block = {"turns": 3, "tok_s": 12.5, "_note": "hidden", "levels": [1, 2]}
    scenario = registry.get("multiturn")
    assert scenario.report == "" and not scenario.own and registry.headline("multiturn", block) == ""
    view = registry.view("multiturn", block)
    assert view.title == "Multiturn" and not view.columns and [f.label for f in view.facts] == ["turns", "tok_s"]
    assert view.text() == "Multiturn\nturns  3\ntok_s  12.50" and view.export_rows() == []
    with pytest.raises(AccelmarkError, match="No report for scenario 'multiturn'"):
        blocks.build("multiturn", [], {}, blocks.ReportContext())
    assert registry.in_order(["zeta", "peak", "multiturn", "offline", "alpha"]) == [
        "offline", "multiturn", "peak", "alpha", "zeta"]


def test_own_scenarios_never_land_in_scenarios_run(finished):
    assert registry.OWN == ("sweep", "peak") and registry.CURVES == ("sweep", "peak")
    doc = json.loads((EXAMPLE / "result.json").read_text())
    ctx = ResultContext(suite=SUITE, runner_id=doc["implementation_id"], framework="vllm-musa",
                        framework_version="0.4.2", env_info=json.loads((EXAMPLE / "env_info.json").read_text()),
                        chip=doc["chip"], model_id="Qwen/Qwen2.5-0.5B-Instruct", model_revision="7ae5576",
                        precision="BF16", parameter_count_b=0.5, effective_dtype="float16",
                        model_format="HuggingFace original", submitted_by="someone", num_runs=1, warmup_runs=0)
    blocks_ = {s: finished[s] for s in ("offline", *registry.OWN)}
    merged = merged_result(ctx, blocks_, None, scenario_meta={}, planned=list(blocks_))
    assert merged["task"]["scenarios_run"] == ["offline"]
    assert list(merged["metrics"]) == ["derived", "offline", *registry.OWN]
    assert set(merged["meta"]["scenario_dirs"]) == {"offline"} and merged["meta"].get("notes") is None


def test_open_loop_rows_name_their_late_levels():
    online = {"results_by_qps": [{"target_qps": 1.0, "late_send_share": 0.0},
                                 {"target_qps": 8.0, "late_send_share": 0.3}]}
    assert registry.get("online").late_levels(online, 0.1) == [(8.0, 0.3)]
    assert registry.get("offline").late_levels({"results_by_concurrency": [{"late_send_share": 0.9}]}, 0.1) == []


# ── accuracy explained ───────────────────────────────────────────────────────


def _accuracy_records(items: list[dict], right: int, wrong: int) -> list[RequestRecord]:
    """``right`` correct answers, ``wrong`` wrong letters, and no letter A-D at all for the rest."""
    out = []
    for i, item in enumerate(items):
        r = RequestRecord(request_id=i, scenario="accuracy", prompt_id=i)
        r.sent_ns, r.end_ns = i * MS, (i + 1) * MS
        other = next(c for c in "ABCD" if c != item["answer"])
        r.text = item["answer"] if i < right else other if i < right + wrong else " 42"
        out.append(r)
    return out


def test_a_score_below_chance_is_explained_beside_its_baseline(tmp_path):
    from accelmark_tui.catalog.runners import discover_runners
    from accelmark_tui.detect import detect_machine
    from accelmark_tui.engine import models
    from accelmark_tui.engine.resultdoc import ResultWriter
    from accelmark_tui.results.layout import RunState
    from accelmark_tui.results.store import load_run
    from accelmark_tui.engine.workload import load_accuracy_items
    from accelmark_tui.resources import schema_path

    items = load_accuracy_items(schema_path("accuracy_subset.jsonl"))
    chance = sum(1 / len(i["choices"]) for i in items) / len(items)
    assert chance == 0.25  # the subset is four-choice
    block = blocks.build("accuracy", _accuracy_records(items, right=11, wrong=26), {"name": "accuracy"},
                         blocks.ReportContext())
    assert (block["score"], block["answered"], block["chance_score"]) == (0.11, 37, chance)

    runner = next(r for r in discover_runners() if "cpu_llamacpp" in r.id)
    writer = ResultWriter.create(machine=detect_machine(), suite=SUITE, runner=runner,
                                 model=models.resolve_model(None, SUITE), framework_version="0", tier="community",
                                 submitter=None, output_dir=str(tmp_path))
    writer.write_scenario("accuracy", block, RunState(scenarios_planned=["accuracy"]))
    why = "63 of 100 items got no answer and count as wrong; 11 of the 37 answered were right (0.30)"

    # The CLI's end-of-run line: the scorer's block, judged (no upstream baseline for SmolLM2).
    assert registry.headline("accuracy", block) == (f"score 0.11 (11/100 right, 37 answered), chance 0.25, baseline none; "
                                                    f"below chance: {why}")
    # `results show` (and run detail, which shows the same view): the saved receipt.
    receipt = json.loads(writer.run_dir.accuracy.read_text())
    assert receipt["valid"] is False and receipt["subset_score"] == 0.11  # upstream's rule, unchanged
    view = registry.view("accuracy", receipt)
    assert view.headers[:4] == ["score", "answered", "chance", "baseline"]
    assert view.cells()[0][:4] == ["0.11", "37/100", "0.25", "none"]
    shown = render_run(load_run(writer.run_dir))
    assert view.text() in shown and f"below chance  {why}" in shown

    # A judged score above chance needs no sentence; one with a baseline shows it.
    fine = {**receipt, "subset_score": 0.4, "correct": 40, "answered": 100, "baseline_score": 0.38,
            "baseline_delta": 0.02, "valid": True}
    assert registry.view("accuracy", fine).facts == () and registry.view("accuracy", fine).cells()[0][3] == "0.38"
    guessing = {**receipt, "answered": 100}
    assert "all 100 items were answered, 11 right: worse than guessing" in registry.view("accuracy", guessing).text()
