"""The llama.cpp backend, for real, on the embedded SmolLM2-135M-Instruct GGUF."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp")

from accelmark_tui.backends.llama_cpp import LlamaCppBackend, physical_cores  # noqa: E402
from accelmark_tui.engine.backend import ModelSpec  # noqa: E402
from accelmark_tui.engine.models import resolve_model  # noqa: E402
from accelmark_tui.engine.records import GenRequest, RequestRecord  # noqa: E402
from accelmark_tui.errors import ModelError  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def backend():
    b = LlamaCppBackend({"n_ctx": 1024})
    b.info = b.load(resolve_model(None, None), None, 4)
    yield b
    b.close()


async def _gen(b: LlamaCppBackend, i: int, prompt: str, max_tokens: int = 16, **kw) -> RequestRecord:
    rec = RequestRecord(i, "test")
    rec.sent_ns = time.perf_counter_ns()
    await b.generate(GenRequest(i, prompt, max_tokens, **kw), rec)
    return rec


def gen(b, *args, **kw) -> RequestRecord:
    return asyncio.run(_gen(b, *args, **kw))


def test_load_info(backend):
    info = backend.info
    assert info.framework == "llama.cpp (llama-cpp-python)" and info.framework_version == "0.3.36"
    assert info.precision == "INT4" and info.quantization_method == "gguf_q4_1" and info.model_format == "gguf"
    assert info.max_concurrency == 4 and info.threads == physical_cores() and info.context_length == 1024
    assert 0.13 < info.parameter_count_b < 0.14
    assert "CPU" in info.extra["system_info"] and info.extra["chat_template"].startswith("model")
    assert isinstance(info.extra["extra_bufts"], bool) and info.extra["extra_bufts_reason"]


def test_one_request_is_fully_recorded(backend):
    rec = gen(backend, 1, "Name three colours.", 24, ignore_eos=True)
    assert rec.ok and rec.error_type is None
    assert rec.output_tokens == 24 == len(rec.chunk_ns) == sum(rec.chunk_tokens)
    assert all(b > a for a, b in zip(rec.chunk_ns, rec.chunk_ns[1:])), "chunk times must increase"
    assert rec.first_token_ns == rec.chunk_ns[0] and rec.first_token_ns - rec.sent_ns > 0
    assert rec.first_content_ns is not None and rec.first_content_ns >= rec.first_token_ns
    assert rec.end_ns == rec.chunk_ns[-1] and rec.input_tokens > 5
    assert rec.text and rec.finish_reason == "length"


def test_no_prompt_token_comes_from_a_cache(backend):
    # Each sequence is cleared when its request ends and the next prompt is prefilled from
    # position 0, so the same prompt again is computed again: a known 0, not an unknown.
    first, again = (gen(backend, i, "Name three colours.", 4) for i in (1, 2))
    assert first.cached_input_tokens == again.cached_input_tokens == 0
    assert first.input_tokens == again.input_tokens > 5


def test_greedy_is_deterministic(backend):
    a = gen(backend, 2, "What is the capital of France?", 32)
    b = gen(backend, 3, "What is the capital of France?", 32)
    assert a.text == b.text and a.text
    assert a.output_tokens == b.output_tokens
    assert a.finish_reason in ("stop", "length")
    if a.finish_reason == "stop":  # ended on EOG, which counts as a generated token
        assert a.output_tokens < 32


def test_argmax_greedy_matches_llama_cpp_greedy_sampler(backend):
    """The engine's numpy argmax picks what llama.cpp's own greedy sampler picks."""
    import threading

    from accelmark_tui.backends import llama_lowlevel as L
    from accelmark_tui.backends.llama_lowlevel import C

    prompt, n = "Write one sentence about rivers.", 24
    ours = gen(backend, 7, prompt, n, ignore_eos=True)
    box: dict = {}

    def reference() -> None:  # a separate model in its own thread, llama.cpp's sampler
        m = L.LlamaModel(str(resolve_model(None, None).path), n_ctx_seq=256, n_seq=1, n_batch=256, threads=1)
        try:
            toks = m.tokenize(m.chat_prompt(prompt), special=True)
            b, s, out = m.batch, m.new_sampler(), []
            for i, t in enumerate(toks):
                b.token[i], b.pos[i], b.n_seq_id[i], b.logits[i] = t, i, 1, 0
                b.seq_id[i][0] = 0
            b.logits[len(toks) - 1], b.n_tokens, pos = 1, len(toks), len(toks)
            for _ in range(n):
                assert C.llama_decode(m.ctx, b) == 0
                t = C.llama_sampler_sample(s, m.ctx, b.n_tokens - 1)
                out.append(m.piece(t))
                b.token[0], b.pos[0], b.n_seq_id[0], b.logits[0], b.n_tokens = t, pos, 1, 1, 1
                b.seq_id[0][0] = 0
                pos += 1
            box["text"] = b"".join(out).decode("utf-8", "replace")
        finally:
            m.free()

    t = threading.Thread(target=reference)
    t.start()
    t.join()
    assert ours.text == box["text"] and ours.text


def test_four_concurrent_requests_share_one_batch(backend):
    backend.stats["max_active"] = 0

    async def run():
        return await asyncio.gather(*[_gen(backend, 10 + i, f"Tell me a fact about the number {i}.", 32, ignore_eos=True)
                                      for i in range(4)])

    recs = asyncio.run(run())
    assert all(r.ok and r.output_tokens == 32 and r.text for r in recs)
    assert backend.stats["max_active"] > 1
    # overlapping lifetimes: every request was still running when another produced tokens
    assert max(r.first_token_ns for r in recs) < min(r.end_ns for r in recs)


def test_ignore_eos_produces_exactly_max_tokens(backend):
    rec = gen(backend, 20, "Say hi.", 40, ignore_eos=True)
    assert rec.output_tokens == 40 and rec.finish_reason == "length"


def test_too_long_prompt_fails_that_request_only(backend):
    async def run():
        return await asyncio.gather(_gen(backend, 30, "word " * 1500, 16), _gen(backend, 31, "Hello!", 8))

    bad, good = asyncio.run(run())
    assert bad.error_type == "prompt_too_long" and not bad.ok and bad.end_ns is not None
    assert "1024-token context" in bad.error_message and bad.output_tokens is None
    assert good.ok and good.output_tokens >= 1


def test_raw_accuracy_prompts_return_text(backend):
    items = [json.loads(line) for line in (ROOT / "assets/schema/accuracy_subset.jsonl").read_text().splitlines()[:12]]

    async def run():
        out = []
        for i, it in enumerate(items):
            prompt = (f"Question: {it['question']}\n" + "".join(f"{k}) {c}\n" for k, c in zip("ABCD", it["choices"]))
                      + "Answer:")
            out.append(await _gen(backend, 40 + i, prompt, 4, raw=True))
        return out

    recs = asyncio.run(run())
    assert all(r.ok and isinstance(r.text, str) and 1 <= r.output_tokens <= 4 for r in recs)
    # SmolLM2-135M often ends right after "Answer:"; some items do answer with a letter.
    assert any(re.search(r"[ABCD]", r.text.upper()) for r in recs)


def test_sampling_with_temperature(backend):
    rec = gen(backend, 50, "Write a word.", 8, temperature=0.8, ignore_eos=True)
    assert rec.ok and rec.output_tokens == 8


def test_cancelled_request_frees_its_slot(backend):
    async def run():
        rec = RequestRecord(60, "test")
        rec.sent_ns = time.perf_counter_ns()
        task = asyncio.ensure_future(backend.generate(GenRequest(60, "Count to a thousand.", 500, ignore_eos=True), rec))
        while not rec.chunk_ns:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        after = await _gen(backend, 61, "Hello!", 4, ignore_eos=True)
        return rec, after

    rec, after = asyncio.run(run())
    assert after.ok and after.output_tokens == 4
    deadline = time.time() + 5
    while rec.error_type is None and time.time() < deadline:
        time.sleep(0.01)
    assert rec.error_type == "cancelled" and len(rec.chunk_ns) < 500


def test_count_tokens(backend):
    assert backend.count_tokens("Hello world") == 2
    assert backend.count_tokens("") == 0


def test_load_failure_is_one_sentence(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("tiny_gguf", ROOT / "tests/fixtures/models/tiny_gguf.py")
    tiny = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tiny)
    p = tiny.write_gguf(tmp_path / "tiny.gguf")  # a valid GGUF with no usable llama weights
    b = LlamaCppBackend()
    with pytest.raises(ModelError, match="llama.cpp could not load") as e:
        b.load(ModelSpec(path=str(p), model_id="t", revision="x"), 1, 1)
    assert "\n" not in str(e.value)
    b.close()  # nothing to close: must not raise


def test_closed_backend_refuses_requests():
    b = LlamaCppBackend()
    b.load(resolve_model(None, None), 1, 1)
    b.close()
    b.close()
    with pytest.raises(RuntimeError, match="not running"):
        gen(b, 70, "Hello", 4)


def test_gpu_runner_refuses_a_cpu_only_build(monkeypatch):
    """GPU offload is pending hardware; its library boundary is checked here."""
    import llama_cpp

    from accelmark_tui.backends.llama_cpp import LlamaCppBackend
    from accelmark_tui.engine.models import resolve_model
    from accelmark_tui.errors import UsageError

    monkeypatch.setattr(llama_cpp, "llama_supports_gpu_offload", lambda: False)
    be = LlamaCppBackend({"n_gpu_layers": -1, "gpu": "cuda"})
    with pytest.raises(UsageError, match="GGML_CUDA"):
        be.load(resolve_model(None, None), 1, 1)


def test_the_loaded_build_is_recorded(backend):
    """Which llama.cpp build is loaded, from ggml's backend registry: this machine's wheel is CPU-only."""
    extra = backend.info.extra
    assert extra["build"] == "cpu" and extra["gpu_offload"] is False
    assert extra["ggml_backends"].split(", ")[0] == "CPU" and extra["ggml_devices"].startswith("CPU (")
    assert extra["build_commit"] == extra["ggml_commit"] and re.fullmatch(r"[0-9a-f]{7,}(-dirty)?", extra["ggml_commit"])
    assert extra["type_k"] == extra["type_v"] == "f16" and extra["n_ubatch"] == 512  # llama.cpp's defaults


def test_kv_cache_types_and_batch_sizes_are_used_and_recorded():
    """The declared options reach llama.cpp: a q8_0 KV cache and small batches load and generate."""
    from accelmark_tui.backends.llama_spec import SPEC

    opts = SPEC.check_options({"type_k": "q8_0", "type_v": "q8_0", "n_batch": "64", "n_ubatch": "16"})
    b = LlamaCppBackend({"n_ctx": 512, **opts})
    try:
        info = b.load(resolve_model(None, None), 1, 2)
        assert (info.extra["type_k"], info.extra["type_v"]) == ("q8_0", "q8_0")
        assert (info.extra["n_batch"], info.extra["n_ubatch"]) == (64, 16)
        rec = gen(b, 80, "Name three colours.", 12, ignore_eos=True)
        assert rec.ok and rec.output_tokens == 12 and rec.text.strip()
    finally:
        b.close()


def test_bad_kv_cache_options_are_one_sentence():
    from accelmark_tui.backends.llama_spec import SPEC
    from accelmark_tui.errors import UsageError

    with pytest.raises(UsageError) as e:
        SPEC.check_options({"type_k": "q3_k"})
    assert str(e.value) == "--type-k must be one of f32, f16, bf16, q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1, not 'q3_k'."
    b = LlamaCppBackend({"type_v": "q4_0", "flash_attn": "off"})  # llama.cpp: a quantized V cache needs flash attention
    with pytest.raises(UsageError) as e:
        b.load(resolve_model(None, None), 1, 1)
    assert str(e.value) == ("--type-v q4_0 (a quantized V cache) needs flash attention; leave --flash-attn auto or "
                            "set it on.")
    b.close()
