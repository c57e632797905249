"""One headline decode figure: defined once, the same number on every surface that shows a run."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from accelmark_tui.results.export import to_csv, to_markdown
from accelmark_tui.results.layout import RunDir, atomic_write_json
from accelmark_tui.results.render import render_run, render_run_list
from accelmark_tui.results.store import list_runs, load_run, summarize
from accelmark_tui.scenarios.compare import compare_rows
from accelmark_tui.scenarios.headline import Headline, decode_headline
from accelmark_tui.submit.bundle import build_bundle, pr_text

EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "results" / "example-result"
NAME = "mtt_s4000x1_suite_F_moorethreads_vllm_musa_f2f6f965_4f66d29d"


@pytest.fixture
def run_dir(tmp_path) -> RunDir:
    """The upstream example run, its interactive block given a mean decode rate unlike 1000 / TPOT p50."""
    rd = RunDir(tmp_path / "results", "community", NAME)
    shutil.copytree(EXAMPLE, rd.path)
    for path in (rd.result, rd.scenario_result("interactive")):
        doc = json.loads(path.read_text())
        doc["metrics"]["interactive"].update(decode_tokens_per_sec=71.9, tpot_ms={"p50": 14.85, "n": 48})
        atomic_write_json(path, doc)
    return rd


def test_priority_and_label():
    inter = {"tpot_ms_p50": 104.2, "tpot_ms": {"n": 47}, "decode_tokens_per_sec": 11.0}
    sweep = {"points": [{"concurrency": 2, "tpot_ms_p50": 50.0}, {"concurrency": 1, "tpot_ms_p50": 125.0,
                                                                   "completed": 12}]}
    offline = {"results_by_concurrency": [{"client_concurrency": 1, "tpot_ms": {"p50": 200.0, "n": 30}}]}
    assert decode_headline({"interactive": inter, "sweep": sweep}) == Headline(9.6, 47, "interactive")
    assert decode_headline({"sweep": sweep, "offline": offline}) == Headline(8.0, 12, "sweep c=1")
    assert decode_headline({"offline": offline}) == Headline(5.0, 30, "offline c=1")
    assert decode_headline({"online": {"max_valid_qps": 2}}).value is None
    assert Headline(9.6, 47, "interactive").text() == "9.6 decode tok/s, median of 47 requests (interactive)"
    assert "not measured" in Headline(None).text()


def test_every_surface_shows_the_same_headline(run_dir):
    expected = "67.3"  # 1000 / 14.85 ms; the mean (71.9) and best offline rate (2004.02) are other figures
    run = load_run(run_dir)
    s = summarize(run)
    assert (s.decode_tok_s, s.decode_requests, s.decode_source) == (67.34, 48, "interactive")
    assert s.to_dict()["decode_label"] == "decode tok/s, median of 48 requests (interactive)"

    listing = render_run_list(list_runs(run_dir.root), str(run_dir.root))
    header = listing.splitlines()[0]
    assert header.index("decode tok/s") < header.index("offline tok/s")  # headline first, both named
    assert "67.34" in listing and "1000 / median TPOT" in listing

    shown = render_run(run)
    assert f"Headline   {expected} decode tok/s, median of 48 requests (interactive)" in shown
    assert "71.9" not in shown  # the mean is no longer presented as the decode figure
    assert f"Headline  {expected} decode tok/s" in to_markdown(run)
    inter = next(r for r in csv.DictReader(io.StringIO(to_csv(run))) if r["scenario"] == "interactive")
    assert float(inter["decode_tok_s"]) == pytest.approx(67.34, abs=0.01)

    head = next(compare_rows(run.metrics(), run.metrics(), None, None))
    assert (head.scenario, head.figure.label, head.a) == ("headline", "decode tok/s", 67.34)

    _, body = pr_text(build_bundle(run_dir), include_runner=False, scenarios=run.scenarios)
    assert f"| Decode speed (1000 / median TPOT of requests sent one at a time) | {expected} decode tok/s" in body


def test_model_label_names_the_quant_as_the_results_list_does():
    from accelmark_tui.scenarios.format import model_label

    model = {"model_id": "HuggingFaceTB/SmolLM2-135M-Instruct", "precision": "INT4",
             "quantization_method": "gguf_q4_1", "model_format": "gguf", "model_revision": "a6c52f7e3d2d99"}
    assert model_label(model) == "HuggingFaceTB/SmolLM2-135M-Instruct (Q4_1, INT4, gguf)"  # was "gguf_q4_1"
    assert model_label(model, revision=True).startswith("HuggingFaceTB/SmolLM2-135M-Instruct @ a6c52f7e3d2d (")
    assert model_label({"model_id": "m", "precision": "BF16"}) == "m (BF16)"
