"""The mlx-lm backend (backends/mlx_lm.py) on the tiny model, with mlx-lm itself (MLX's CPU backend here).

Skipped where mlx-lm is not installed (`pip install '.[mlx]'` brings it).
Token counts are checked against the model's own tokenizer loaded by
transformers, not against figures written here.
"""

from __future__ import annotations

import asyncio
import json
import math
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pytest.importorskip("mlx.core")
mlx_lm = pytest.importorskip("mlx_lm")
transformers = pytest.importorskip("transformers")

from accelmark_tui.backends.mlx_lm import MlxLmBackend  # noqa: E402
from accelmark_tui.engine import hf_model  # noqa: E402
from accelmark_tui.engine import tiny_model as tm  # noqa: E402
from accelmark_tui.engine.records import GenRequest, RequestRecord  # noqa: E402
from accelmark_tui.errors import ModelError  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PROMPTS = ("The cat sat on the mat", "What is the capital of France and why is it there", "Hi")


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("mlx") / "tiny"
    tm.write_tiny_model(out, seed=0)
    return out


@pytest.fixture(scope="module")
def hf_tok(folder):
    return transformers.AutoTokenizer.from_pretrained(str(folder))


@pytest.fixture(scope="module")
def backend(folder):
    b = MlxLmBackend({})
    b.info = b.load(hf_model.resolve_hf_model(str(folder)), None, 4)
    yield b
    b.close()


def _run(b: MlxLmBackend, reqs: list[GenRequest]) -> list[RequestRecord]:
    recs = [RequestRecord(request_id=r.request_id, scenario="test") for r in reqs]

    async def go() -> None:
        await asyncio.gather(*(b.generate(q, r) for q, r in zip(reqs, recs)))

    asyncio.run(go())
    return recs


def _chat_ids(tok, prompt: str) -> list[int]:
    return list(tok.apply_chat_template([{"role": "user", "content": prompt}], add_generation_prompt=True,
                                        tokenize=True, return_dict=False))


def _mlx_lm_greedy(folder: Path, prompt: str, n: int) -> list[int]:
    """mlx-lm's own greedy tokens for a chat prompt (``generate_step``, no EOS stop): the oracle."""
    out: list[int] = []

    def work() -> None:  # on a thread that frees its MLX streams, as the backend's engine thread does
        import mlx.core as mx
        from mlx_lm.generate import generate_step

        try:
            model, tok = mlx_lm.load(str(folder))
            ids = tok.apply_chat_template([{"role": "user", "content": prompt}], add_generation_prompt=True)
            out.extend(t for t, _ in generate_step(mx.array(ids), model, max_tokens=n))
        finally:
            mx.clear_streams()

    t = threading.Thread(target=work)
    t.start()
    t.join()
    return out


def _assert_timed(rec: RequestRecord) -> None:
    assert rec.ok and rec.error_type is None
    assert all(b > a for a, b in zip(rec.chunk_ns, rec.chunk_ns[1:])), "per-token stamps must strictly increase"
    assert rec.chunk_tokens == [1] * len(rec.chunk_ns) and rec.output_tokens == len(rec.chunk_ns)
    assert rec.first_token_ns == rec.chunk_ns[0] and rec.end_ns == rec.chunk_ns[-1]


def test_load_reports_the_model_and_mlx(backend, folder) -> None:
    info = backend.info
    params = sum(math.prod(s) for _, s in tm.shapes())
    assert info.framework == "mlx-lm" and info.framework_version == mlx_lm.__version__
    assert info.precision == "FP32" and info.quantization_method is None and info.effective_dtype == "float32"
    assert info.model_format == "HuggingFace original" and info.parameter_count_b == round(params / 1e9, 6)
    assert info.context_length == tm.CONTEXT
    import mlx.core as mx

    assert info.extra["mlx"] == mx.__version__ and info.extra["chat_template"].startswith("model")
    assert 0 < info.extra["mlx_peak_memory_gb_load"] <= backend.peak_memory_gb()
    # mlx-lm batches a Llama's KV caches: concurrency is served, not queued.
    assert info.extra["batched"] is True and info.max_concurrency == 4


def test_greedy_generation_is_timed_counted_and_repeatable(backend, folder, hf_tok) -> None:
    first, second = _run(backend, [GenRequest(1, PROMPTS[0], 12, ignore_eos=True)]), \
        _run(backend, [GenRequest(2, PROMPTS[0], 12, ignore_eos=True)])
    for rec in first + second:
        _assert_timed(rec)
        assert rec.input_tokens == len(_chat_ids(hf_tok, PROMPTS[0])) and rec.cached_input_tokens == 0
        assert rec.output_tokens == 12 and rec.finish_reason == "length"
    assert first[0].text == second[0].text and first[0].text  # greedy: the same tokens twice
    # ... and the tokens mlx-lm's own greedy loop makes.
    assert first[0].text == hf_tok.decode(_mlx_lm_greedy(folder, PROMPTS[0], 12), skip_special_tokens=True)


@pytest.mark.parametrize("max_tokens", [1, 5])
def test_max_tokens_is_honoured(backend, max_tokens) -> None:
    (rec,) = _run(backend, [GenRequest(3, PROMPTS[1], max_tokens, ignore_eos=True)])
    _assert_timed(rec)
    assert rec.output_tokens == max_tokens and rec.finish_reason == "length"


def test_raw_prompts_skip_the_chat_template(backend, hf_tok) -> None:
    (rec,) = _run(backend, [GenRequest(4, PROMPTS[1], 3, raw=True, ignore_eos=True)])
    assert rec.input_tokens == len(hf_tok.encode(PROMPTS[1])) < len(_chat_ids(hf_tok, PROMPTS[1]))


def test_count_tokens_agrees_with_the_tokenizer(backend, hf_tok) -> None:
    for text in (PROMPTS[1], "the cat and you were there, that was it", ""):
        assert backend.count_tokens(text) == len(hf_tok.encode(text, add_special_tokens=False))


def test_batched_sequences_each_get_their_own_stamps(backend, folder) -> None:
    reqs = [GenRequest(10 + i, p, 8 + 4 * i, ignore_eos=True) for i, p in enumerate(PROMPTS)]
    before = backend.stats["steps"]
    recs = _run(backend, reqs)
    for req, rec in zip(reqs, recs):
        _assert_timed(rec)
        assert rec.output_tokens == req.max_tokens
    # They shared decode steps (fewer steps than tokens), yet each record has only its own tokens.
    assert backend.stats["max_active"] >= 2
    assert backend.stats["steps"] - before < sum(r.output_tokens for r in recs)
    # Batching changes nothing a greedy sequence generates: the same texts one at a time.
    serial = MlxLmBackend({"batched": False})
    info = serial.load(hf_model.resolve_hf_model(str(folder)), None, 4)
    try:
        assert info.max_concurrency == 1 and info.extra["batched"] is False
        one_by_one = [_run(serial, [r])[0] for r in reqs]
    finally:
        serial.close()
    for a, b in zip(recs, one_by_one):
        _assert_timed(b)
        assert a.text == b.text and a.output_tokens == b.output_tokens


def test_generation_stops_at_an_eos_token(folder, hf_tok, tmp_path) -> None:
    # Greedy on random weights: learn a token it makes, then make that token an EOS of a copy of the model.
    ids = _mlx_lm_greedy(folder, PROMPTS[2], 6)
    stop_at = next(i for i, t in enumerate(ids) if i >= 1 and t not in ids[:i])
    copy = tmp_path / "eos"
    shutil.copytree(folder, copy)
    gen = json.loads((copy / "generation_config.json").read_text())  # where mlx-lm (and transformers) read EOS ids
    (copy / "generation_config.json").write_text(json.dumps({**gen, "eos_token_id": [gen["eos_token_id"], ids[stop_at]]}))
    b = MlxLmBackend({})
    b.load(hf_model.resolve_hf_model(str(copy)), None, 2)
    try:
        stopped, ignored = _run(b, [GenRequest(21, PROMPTS[2], 6), GenRequest(22, PROMPTS[2], 6, ignore_eos=True)])
    finally:
        b.close()
    _assert_timed(stopped)
    assert stopped.finish_reason == "stop" and stopped.output_tokens == stop_at + 1  # the EOS counts as generated
    assert stopped.text == hf_tok.decode(ids[:stop_at], skip_special_tokens=True)  # the EOS is not text
    assert ignored.finish_reason == "length" and ignored.output_tokens == 6


def test_an_mlx_quantized_model_reports_its_quantization(folder, tmp_path) -> None:
    q4 = tmp_path / "q4"

    def convert() -> None:  # mlx-lm's own 4-bit conversion, on a thread that frees its MLX streams
        import mlx.core as mx

        try:
            mlx_lm.convert(str(folder), mlx_path=str(q4), quantize=True, q_bits=4, q_group_size=64)
        finally:
            mx.clear_streams()

    t = threading.Thread(target=convert)
    t.start()
    t.join()
    spec = hf_model.resolve_hf_model(str(q4))
    b = MlxLmBackend({})
    info = b.load(spec, None, 2)
    try:
        recs = _run(b, [GenRequest(50 + i, p, 4, ignore_eos=True) for i, p in enumerate(PROMPTS[:2])])
    finally:
        b.close()
    params = sum(math.prod(s) for _, s in tm.shapes())
    assert (info.precision, info.quantization_method, info.model_format) == ("INT4", "mlx_q4", "MLX")
    assert info.parameter_count_b == round(params / 1e9, 6) == spec.extra["parameter_count_b"]
    assert (spec.extra["precision"], spec.extra["quantization_method"]) == ("INT4", "mlx_q4")
    for rec in recs:
        _assert_timed(rec)
        assert rec.output_tokens == 4


def test_a_prompt_past_the_context_fails_that_request_only(backend) -> None:
    long, ok = _run(backend, [GenRequest(30, PROMPTS[0], tm.CONTEXT), GenRequest(31, PROMPTS[0], 2, ignore_eos=True)])
    assert long.error_type == "prompt_too_long" and f"{tm.CONTEXT}-token context" in long.error_message
    _assert_timed(ok)


def test_an_unloadable_model_is_one_sentence(folder, tmp_path) -> None:
    copy = tmp_path / "alien"
    shutil.copytree(folder, copy)
    cfg = json.loads((copy / "config.json").read_text())
    (copy / "config.json").write_text(json.dumps({**cfg, "model_type": "alien_lm"}))
    with pytest.raises(ModelError) as e:
        MlxLmBackend({}).load(hf_model.resolve_hf_model(str(copy)), None, 1)
    msg = str(e.value)
    assert "\n" not in msg and msg.endswith(".") and "mlx-lm could not load" in msg


def test_closed_backend_refuses_work(folder) -> None:
    b = MlxLmBackend({})
    b.load(hf_model.resolve_hf_model(str(folder)), None, 1)
    b.close()
    with pytest.raises(RuntimeError, match="not running"):
        _run(b, [GenRequest(40, PROMPTS[0], 2)])


def test_the_process_exits_cleanly_after_generating(folder) -> None:
    # MLX frees a thread's streams in C++ thread-exit destructors that take the GIL; a thread left to do
    # that while the interpreter finalizes aborted the runner ("terminate called without an active
    # exception") about one exit in three here, so the engine thread frees them itself.
    code = (
        "import asyncio, sys\n"
        "from accelmark_tui.backends.mlx_lm import MlxLmBackend\n"
        "from accelmark_tui.engine import hf_model\n"
        "from accelmark_tui.engine.records import GenRequest, RequestRecord\n"
        "b = MlxLmBackend({'batched': sys.argv[2] == '1'})\n"
        "b.load(hf_model.resolve_hf_model(sys.argv[1]), None, 2)\n"
        "recs = [RequestRecord(request_id=i, scenario='x') for i in range(2)]\n"
        "async def go():\n"
        "    await asyncio.gather(*(b.generate(GenRequest(i, 'hello', 4), r) for i, r in enumerate(recs)))\n"
        "asyncio.run(go())\n"
        "b.close()\n"
    )
    for batched in ("1", "0", "1", "0"):
        out = subprocess.run([sys.executable, "-c", code, str(folder), batched], capture_output=True, text=True,
                             cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120)
        assert out.returncode == 0, out.stderr[-2000:]
