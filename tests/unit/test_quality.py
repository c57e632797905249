"""The quant ladder and its quality figures (issue 13): real files made from the embedded model,
scored by llama.cpp the way llama-perplexity scores them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from accelmark_tui.backends import llama_quality as LQ
from accelmark_tui.engine import quality as Q
from accelmark_tui.engine.ladder import DEFAULT_TYPES, build_ladder
from accelmark_tui.engine.models import check_gguf
from accelmark_tui.errors import ModelError, UsageError

# Small on purpose: 4 chunks of 128 tokens (252 scored) keep one file's pass to seconds.
SMALL = {"n_ctx": 128, "max_chunks": 4, "threads": 2}


@pytest.fixture(scope="module")
def figures(quant_ladder: dict[str, Path], tmp_path_factory) -> dict[str, Any]:
    """Every file of the ladder against its F16 source, computed once for the module in its own cache dir."""
    cache = tmp_path_factory.mktemp("quality-cache")
    ref = quant_ladder["F16"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ACCELMARK_CACHE_DIR", str(cache))
        out = {t: LQ.kl_divergence(p, ref, **SMALL) for t, p in quant_ladder.items()}
    return {"by_type": out, "cache": cache}


def test_ladder_files_load_and_carry_the_quant_asked_for(quant_ladder: dict[str, Path]) -> None:
    assert list(quant_ladder) == list(DEFAULT_TYPES) and len(DEFAULT_TYPES) >= 4
    sizes = []
    for asked, path in quant_ladder.items():
        info = check_gguf(path)
        assert info.file_type_name == asked  # read from the file, never from its name
        assert info.has_chat_template and info.architecture == "llama"
        sizes.append(info.file_size)
    assert sizes == sorted(sizes, reverse=True)  # fewer bits, smaller file
    from accelmark_tui.backends.llama_lowlevel import LlamaModel

    for path in quant_ladder.values():  # llama.cpp loads each, tokenizer included
        m = LlamaModel(str(path), n_ctx_seq=64, n_seq=1, n_batch=64, threads=1)
        try:
            assert m.tokenize("Hello world", special=False, add_special=False)
            assert m.chat_template_ok
        finally:
            m.free()


def test_ladder_is_reused_not_rebuilt(quant_ladder: dict[str, Path]) -> None:
    folder = quant_ladder["F16"].parent
    before = {p: p.stat().st_mtime_ns for p in quant_ladder.values()}
    again = build_ladder(folder, DEFAULT_TYPES)
    assert again == quant_ladder
    assert {p: p.stat().st_mtime_ns for p in again.values()} == before


def test_perplexity_grows_as_bits_drop(figures: dict[str, Any]) -> None:
    f = figures["by_type"]
    ppl = {t: f[t]["ppl"] for t in f}
    assert ppl["F16"] <= ppl["Q8_0"] * 1.01  # a tie within noise is allowed at 8 bits
    assert ppl["Q8_0"] < ppl["Q5_0"] < ppl["Q4_0"]
    for r in f.values():
        assert r["chunks"] == 4 and r["n_ctx"] == 128 and r["tokens_scored"] == 4 * (128 - 1 - 64)
        assert 0 < r["ppl_sd"] < r["ppl"]


def test_kl_divergence_is_zero_against_itself_and_grows_as_bits_drop(figures: dict[str, Any]) -> None:
    f = figures["by_type"]
    assert abs(f["F16"]["kld_mean"]) < 1e-5 and f["F16"]["top1_agreement"] == 1.0
    # The cached reference is uint16-rounded (as llama-perplexity's), hence not exactly 0.
    assert abs(f["F16"]["dp_mean"]) < 1e-4 and f["F16"]["ppl_ratio"] == pytest.approx(1.0, abs=1e-5)
    quants = ["Q8_0", "Q5_0", "Q4_0"]
    kld = [f[t]["kld_mean"] for t in quants]
    assert 0 < kld[0] < kld[1] < kld[2]
    assert f["Q8_0"]["kld_p99"] < f["Q4_0"]["kld_p99"]
    assert f["Q8_0"]["top1_agreement"] > f["Q4_0"]["top1_agreement"]
    assert f["Q4_0"]["dp_mean"] < 0  # the worse file gives the correct token less probability
    assert all(f[t]["method"] == Q.METHOD and "uint16" in f[t]["method"] for t in f)


def test_the_reference_is_computed_once_and_then_read_from_the_cache(figures: dict[str, Any],
                                                                       quant_ladder: dict[str, Path]) -> None:
    f = figures["by_type"]
    assert f["F16"]["reference_cached"] is False
    assert all(f[t]["reference_cached"] is True for t in ("Q8_0", "Q5_0", "Q4_0"))
    cached = list((figures["cache"] / "quality").glob("ref-*"))
    assert len(cached) == 1 and len(list(cached[0].glob("chunk-*.npz"))) == 4
    mtime = (cached[0] / "meta.json").stat().st_mtime_ns
    os.environ["ACCELMARK_CACHE_DIR"] = str(figures["cache"])  # the autouse fixture restores it
    path, reused = LQ.reference_logprobs(quant_ladder["F16"], **SMALL)
    assert reused and path == cached[0] and (path / "meta.json").stat().st_mtime_ns == mtime


def test_a_file_compared_before_is_not_evaluated_again(figures: dict[str, Any], quant_ladder: dict[str, Path],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELMARK_CACHE_DIR", str(figures["cache"]))

    def no_load(*_a: Any, **_k: Any) -> None:
        raise AssertionError("a cached comparison loaded a model")

    monkeypatch.setattr(LQ, "_Evaluator", no_load)
    first = figures["by_type"]["Q4_0"]
    again = LQ.kl_divergence(quant_ladder["Q4_0"], quant_ladder["F16"], **SMALL)
    assert first["result_cached"] is False and again["result_cached"] is True
    assert again["kld_mean"] == first["kld_mean"] and again["ppl"] == first["ppl"]


def test_perplexity_alone_matches_the_kld_pass(figures: dict[str, Any], quant_ladder: dict[str, Path]) -> None:
    seen: list[tuple[int, int]] = []
    alone = LQ.perplexity(quant_ladder["Q8_0"], progress=lambda done, total: seen.append((done, total)), **SMALL)
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    both = figures["by_type"]["Q8_0"]
    assert set(alone) == {"ppl", "ppl_sd", "chunks", "n_ctx", "tokens_scored"}
    assert alone["ppl"] == pytest.approx(both["ppl"], rel=1e-6)
    assert alone["tokens_scored"] == both["tokens_scored"]


def test_a_bad_file_is_one_sentence(tmp_path: Path, quant_ladder: dict[str, Path]) -> None:
    junk = tmp_path / "notes.gguf"
    junk.write_text("not a model")
    with pytest.raises(ModelError, match="is not a GGUF file") as e:
        LQ.perplexity(junk, **SMALL)
    assert "\n" not in str(e.value)
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(quant_ladder["Q4_0"].read_bytes()[:1_000_000])
    with pytest.raises(ModelError, match="truncated"):
        LQ.kl_divergence(cut, quant_ladder["F16"], **SMALL)


def test_a_text_too_short_for_the_context_is_one_sentence(quant_ladder: dict[str, Path]) -> None:
    with pytest.raises(UsageError, match="needs at least 256"):
        LQ.perplexity(quant_ladder["Q4_0"], "Only a few words.", **SMALL)
