"""The sweep's pure parts: hub patterns, settings lists, cell keys, overlap, folding, shapes, the cell file."""

from __future__ import annotations

import json
import types
from pathlib import Path

import pytest

from accelmark_tui.backends.llama_spec import SPEC
from accelmark_tui.engine.records import RequestRecord
from accelmark_tui.errors import UsageError
from accelmark_tui.sweep import cells, matrix, shapes

REPO = ["README.md", "Qwen3-8B-Q4_K_M.gguf", "Qwen3-8B-Q4_K_S.gguf", "Qwen3-8B-Q8_0.gguf", "Qwen3-8B-F16.gguf",
        "sub/Qwen3-8B-Q2_K.gguf"]


def test_hub_patterns_match_quant_names_exactly_or_by_glob():
    assert matrix.match_pattern(REPO, "Q4_K_M,Q8_0") == ["Qwen3-8B-Q4_K_M.gguf", "Qwen3-8B-Q8_0.gguf"]
    assert matrix.match_pattern(REPO, "q4_k") == []  # Q4_K is not Q4_K_M: names match whole
    assert matrix.match_pattern(REPO, "*Q4_K*.gguf") == ["Qwen3-8B-Q4_K_M.gguf", "Qwen3-8B-Q4_K_S.gguf"]
    assert matrix.match_pattern(REPO, "Q2_K") == ["sub/Qwen3-8B-Q2_K.gguf"]


def test_settings_lists_are_parsed_by_the_backend_options_and_combined():
    combos = matrix.parse_settings(SPEC, {"type_k": "f16,q8_0", "n_batch": "256", "flash_attn": None}, "2,4")
    assert combos == [{"threads": 2, "type_k": "f16", "n_batch": 256}, {"threads": 2, "type_k": "q8_0", "n_batch": 256},
                      {"threads": 4, "type_k": "f16", "n_batch": 256}, {"threads": 4, "type_k": "q8_0", "n_batch": 256}]
    assert matrix.parse_settings(SPEC, {}, None) == [{}]
    with pytest.raises(UsageError, match="--n-ubatch takes a whole number, not 'big'"):
        matrix.parse_settings(SPEC, {"n_ubatch": "64,big"}, None)
    with pytest.raises(UsageError, match="--threads takes whole numbers"):
        matrix.parse_settings(SPEC, {}, "0")


def test_a_cell_key_changes_with_every_axis_and_with_the_shape_as_measured():
    shape = {"name": "short", "prompt_tokens": 128, "output_tokens": 128}
    key = matrix.cell_key("ab" * 32, {"threads": 2}, shape, 1, 0)
    assert key == matrix.cell_key("ab" * 32, {"threads": 2}, dict(shape), 1, 0)
    others = [matrix.cell_key("cd" * 32, {"threads": 2}, shape, 1, 0), matrix.cell_key("ab" * 32, {}, shape, 1, 0),
              matrix.cell_key("ab" * 32, {"threads": 2}, shape | {"output_tokens": 64}, 1, 0),
              matrix.cell_key("ab" * 32, {"threads": 2}, shape, 2, 0),
              matrix.cell_key("ab" * 32, {"threads": 2}, shape, 1, 1)]
    assert len({key, *others}) == 6


def _rec(sent: int, end: int, out: int = 4) -> RequestRecord:
    r = RequestRecord(request_id=sent, scenario="s", sent_ns=sent, end_ns=end, first_token_ns=sent + 10,
                      input_tokens=20, output_tokens=out)
    return r


def test_overlap_counts_requests_in_flight_together():
    assert cells.overlap([_rec(0, 100), _rec(50, 150)]) == 2
    assert cells.overlap([_rec(0, 100), _rec(100, 200)]) == 1  # one ended as the next began: one at a time
    assert cells.overlap([]) == 0


def test_a_cell_that_ran_one_at_a_time_or_short_says_so():
    fig = cells.figures([_rec(0, 100_000_000), _rec(100_000_000, 200_000_000, out=3)], 4, 2)
    assert fig["ran_at_once"] == 1 and fig["output_enforced"] is False
    assert "at most 1 of the 2 sequences ran at once" in fig["note"] and "not the shape's 4" in fig["note"]


def test_fold_gives_mean_and_sample_sd_over_repetitions_and_pooled_percentiles():
    reps = [{"model": "m", "gen_tps": g, "gen_tps_per_seq": g, "pp_tps": 10.0, "ttft_ms": [t], "tpot_ms": [1.0], "ran_at_once": 1,
             "error": None} for g, t in ((10.0, 1.0), (14.0, 3.0))]
    row = cells.fold(reps + [{"model": "m", "error": "boom"}])
    assert row["gen_tps"] == {"mean": 12.0, "sd": pytest.approx(2.828, abs=1e-3), "n": 2}
    assert row["ttft_ms_p50"] == 2.0 and row["repetitions"] == 2 and row["error"] is None
    assert cells.fold([{"model": "m", "error": "boom"}])["error"] == "boom"


def test_the_cell_file_survives_a_torn_line_and_retries_failed_cells(tmp_path):
    store = cells.CellStore(tmp_path)
    store.add({"key": "a", "error": None})
    store.add({"key": "b", "error": "crashed"})
    with open(store.path, "a") as fh:
        fh.write('{"key": "c", "err')
    again = cells.CellStore(tmp_path)
    assert again.done("a") and not again.done("b") and not again.done("c")


def test_built_in_shapes_load_and_a_bad_field_is_named(tmp_path):
    loaded = shapes.parse_shapes(None)
    assert [s.name for s in loaded] == ["short", "long-context", "long-answer", "tool-call"]
    assert shapes.parse_shapes("long-answer", max_output=32)[0].output_tokens == 32
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"prompt_source": "dataset:nope", "prompt_tokens": 8, "output_tokens": 8}))
    with pytest.raises(UsageError, match=f"Shape file {bad}: field 'prompt_source' names dataset 'nope'"):
        shapes.load_shape(bad)
    bad.write_text(json.dumps({"prompt_source": "dataset:sharegpt_standard_v1", "prompt_tokens": 0,
                               "output_tokens": 8}))
    with pytest.raises(UsageError, match="field 'prompt_tokens' must be a whole number"):
        shapes.load_shape(bad)


def test_quality_fills_the_quant_table_from_llama_cpp_on_a_real_ladder(tmp_path, quant_ladder):
    """Perplexity and KLD per file against the highest-precision one (its own row: KLD 0, top-1 1); both grow
    as bits drop; a second sweep's quality comes from the cache."""
    from accelmark_tui.sweep import document, quality, run

    files = [matrix.inspect(Path(quant_ladder[t])) for t in ("F16", "Q8_0", "Q4_0")]
    req = run.SweepRequest(models=[f.path for f in files], shapes=shapes.parse_shapes("short"), reference=None,
                           quality_ctx=128, quality_chunks=2)
    assert quality.reference_of(files, None) == files[0].path  # the most bits per weight
    got = run._quality(req, files, tmp_path, lambda s: None)
    ref, q8, q4 = (got[f.path] for f in files)
    assert ref["kld_mean"] == 0.0 and ref["top1_agreement"] == 1.0 and ref["reference"] is True
    assert 0 < q8["kld_mean"] < q4["kld_mean"] and q8["top1_agreement"] > q4["top1_agreement"]
    assert max(ref["ppl"], q8["ppl"]) < q4["ppl"]  # F16 and Q8_0 tie within noise on 2 short chunks
    doc = document.build(req, files, cells.CellStore(tmp_path), types.SimpleNamespace(id="r"), got)
    assert doc["quality"] is True and [q["kld_mean"] for q in doc["quants"]][0] == 0.0
    again = run._quality(req, files, tmp_path, lambda s: None)
    assert again[files[2].path]["result_cached"] is True  # the resumed sweep loads no model for it
    req.quality = False
    assert run._quality(req, files, tmp_path, lambda s: None) == {}


def test_gen_tps_is_decode_speed_one_over_tpot_at_concurrency_1_and_leaves_prefill_out():
    one = RequestRecord(request_id=0, scenario="s", sent_ns=0, first_token_ns=900_000_000, end_ns=1_000_000_000,
                        input_tokens=500, output_tokens=11)  # 0.9 s prefill, then 10 tokens in 0.1 s
    fig = cells.figures([one], 11, 1)
    assert fig["gen_tps"] == pytest.approx(100.0) == pytest.approx(fig["gen_tps_per_seq"])
    assert fig["output_tps"] == pytest.approx(11.0)  # the contract's output tok/s counts the prefill's time
    assert fig["pp_tps"] == pytest.approx(500 / 0.9, rel=1e-3)
    two = [RequestRecord(request_id=i, scenario="s", sent_ns=0, first_token_ns=900_000_000,
                         end_ns=1_000_000_000, input_tokens=500, output_tokens=11) for i in range(2)]
    assert cells.figures(two, 11, 2)["gen_tps"] == pytest.approx(200.0)  # two sequences decoding together
