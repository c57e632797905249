"""`accelmark dev tiny-model`'s files: they parse, repeat from a seed, and real loaders run them."""

from __future__ import annotations

import ctypes
import json
from pathlib import Path

import pytest

from accelmark_tui.engine import tiny_model as tm
from accelmark_tui.engine import tiny_tokenizer as tok

CHATML_HELLO = "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n"
TEXT = "the cat and you were there, that was it"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tiny") / "model"
    tm.write_tiny_model(out, seed=0, gguf=True)
    return out


def _json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def read_safetensors(path: Path) -> tuple[dict, bytes]:
    raw = path.read_bytes()
    size = int.from_bytes(raw[:8], "little")
    return json.loads(raw[8:8 + size]), raw[8 + size:]


def test_folder_holds_a_standard_llama(folder: Path) -> None:
    assert sorted(p.name for p in folder.iterdir()) == sorted([
        "config.json", "generation_config.json", "model.safetensors", "special_tokens_map.json", "tokenizer.json",
        "tokenizer_config.json", "model.gguf"])
    cfg = _json(folder / "config.json")
    assert cfg["architectures"] == ["LlamaForCausalLM"] and cfg["model_type"] == "llama"
    assert (cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["num_hidden_layers"]) == (128, 4, 2, 2)
    assert cfg["hidden_size"] // cfg["num_attention_heads"] == cfg["head_dim"] >= 32  # vLLM's CPU attention
    assert cfg["max_position_embeddings"] == 2048 and cfg["tie_word_embeddings"] is False and cfg["torch_dtype"] == "float32"

    header, data = read_safetensors(folder / "model.safetensors")
    assert header.pop("__metadata__") == {"format": "pt"}
    expected = {f"model.layers.{n}.{part}.weight" for n in range(2) for part in (
        "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj",
        "mlp.up_proj", "mlp.down_proj", "input_layernorm", "post_attention_layernorm")}
    expected |= {"model.embed_tokens.weight", "model.norm.weight", "lm_head.weight"}
    assert set(header) == expected
    spans = sorted(tuple(t["data_offsets"]) for t in header.values())
    assert spans[0][0] == 0 and spans[-1][1] == len(data)
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:])), "tensors must tile the data with no gap"
    for name, t in header.items():
        count = 1
        for d in t["shape"]:
            count *= d
        assert t["dtype"] == "F32" and t["data_offsets"][1] - t["data_offsets"][0] == 4 * count, name
    assert header["model.embed_tokens.weight"]["shape"] == header["lm_head.weight"]["shape"] == [cfg["vocab_size"], 128]
    assert header["model.layers.0.self_attn.k_proj.weight"]["shape"] == [64, 128]
    assert header["model.layers.1.mlp.down_proj.weight"]["shape"] == [128, cfg["intermediate_size"]]


def test_tokenizer_files_agree(folder: Path) -> None:
    cfg = _json(folder / "config.json")
    tj = _json(folder / "tokenizer.json")
    vocab = tj["model"]["vocab"]
    assert tj["model"]["type"] == "BPE" and tj["pre_tokenizer"]["type"] == tj["decoder"]["type"] == "ByteLevel"
    assert sorted(vocab.values()) == list(range(cfg["vocab_size"])) and 256 < cfg["vocab_size"] < 1000
    for merge in tj["model"]["merges"]:
        left, right = merge.split(" ")
        assert left in vocab and right in vocab and left + right in vocab, merge
    assert {t["content"]: t["id"] for t in tj["added_tokens"]} == {t: vocab[t] for t in ("<|im_start|>", "<|im_end|>", "<|endoftext|>")}
    tc = _json(folder / "tokenizer_config.json")
    assert "<|im_start|>" in tc["chat_template"] and tc["tokenizer_class"] == "PreTrainedTokenizerFast"
    assert vocab[tc["bos_token"]] == cfg["bos_token_id"] and vocab[tc["eos_token"]] == cfg["eos_token_id"]
    assert _json(folder / "generation_config.json")["eos_token_id"] == cfg["eos_token_id"]
    assert _json(folder / "special_tokens_map.json")["eos_token"] == tc["eos_token"]
    jinja2 = pytest.importorskip("jinja2")
    rendered = jinja2.Template(tc["chat_template"]).render(messages=[{"role": "user", "content": "Hello"}],
                                                            add_generation_prompt=True)
    assert rendered == CHATML_HELLO


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    tm.write_tiny_model(a, seed=7, gguf=True)
    tm.write_tiny_model(b, seed=7, gguf=True)
    tm.write_tiny_model(c, seed=8, gguf=True)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    assert all((a / n).read_bytes() == (b / n).read_bytes() for n in names)
    differ = {n for n in names if (a / n).read_bytes() != (c / n).read_bytes()}
    assert differ == {"model.safetensors", "model.gguf"}  # another seed: other weights, same everything else


def test_an_occupied_or_unwritable_folder_is_refused(tmp_path: Path) -> None:
    from accelmark_tui.errors import OutputError, UsageError

    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("keep")
    with pytest.raises(UsageError, match="is not empty; .*--force"):
        tm.write_tiny_model(taken)
    tm.write_tiny_model(taken, force=True)
    assert (taken / "notes.txt").read_text() == "keep" and (taken / "config.json").is_file()
    with pytest.raises(UsageError, match="is not a folder"):
        tm.write_tiny_model(taken / "notes.txt")
    with pytest.raises(OutputError, match="Cannot write the tiny model"):
        tm.write_tiny_model(taken / "notes.txt" / "model")
    with pytest.raises(UsageError, match="--seed must be 0 or more"):
        tm.write_tiny_model(tmp_path / "negative", seed=-5)


# --- real loaders -------------------------------------------------------------


@pytest.fixture(scope="module")
def llm(folder: Path):
    llama_cpp = pytest.importorskip("llama_cpp")
    # chat_template.default: the GGUF's own template (llama-cpp-python would otherwise use its built-in ChatML).
    model = llama_cpp.Llama(str(folder / "model.gguf"), n_ctx=256, n_threads=1, logits_all=True, verbose=False,
                            chat_format="chat_template.default")
    yield model
    model.close()


def test_gguf_loads_and_generates_greedily(llm, folder: Path) -> None:
    cfg = _json(folder / "config.json")
    assert llm.n_vocab() == cfg["vocab_size"] and llm.n_embd() == 128
    out = llm.create_completion("the cat", max_tokens=4, temperature=0.0)
    assert out["usage"]["completion_tokens"] >= 1 and out["choices"][0]["text"]
    again = llm.create_completion("the cat", max_tokens=4, temperature=0.0)
    assert again["choices"][0]["text"] == out["choices"][0]["text"]  # greedy: the same tokens


def test_gguf_applies_the_chat_template(llm, folder: Path) -> None:
    import llama_cpp

    template = _json(folder / "tokenizer_config.json")["chat_template"]
    assert llm.metadata["tokenizer.chat_template"] == template
    # llama.cpp's own renderer (what accelmark's llama.cpp backend calls) gives the ChatML prompt.
    msg = (llama_cpp.llama_chat_message * 1)()
    msg[0].role, msg[0].content = b"user", b"Hello"
    buf = ctypes.create_string_buffer(1024)
    n = llama_cpp.llama_chat_apply_template(llama_cpp.llama_model_chat_template(llm.model, None), msg, 1, True, buf, 1024)
    assert buf.raw[:n].decode() == CHATML_HELLO
    ids = llm.tokenize(CHATML_HELLO.encode(), add_bos=False, special=True)
    assert ids[0] == tok.token_id("<|im_start|>") and tok.token_id("<|im_end|>") in ids
    out = llm.create_chat_completion(messages=[{"role": "user", "content": "Hello"}], max_tokens=4, temperature=0.0)
    assert out["usage"]["prompt_tokens"] == len(ids) and out["usage"]["completion_tokens"] >= 1


def test_gguf_tokens_are_tokenizer_json_tokens(llm, folder: Path) -> None:
    vocab = _json(folder / "tokenizer.json")["model"]["vocab"]
    to_byte = {s: b for b, s in enumerate(tok.byte_symbols())}
    for text, i in vocab.items():
        if text not in tok.SPECIALS:
            assert llm.detokenize([i]) == bytes(to_byte[ch] for ch in text), text
    assert len(llm.tokenize(TEXT.encode(), add_bos=False)) < len(TEXT.encode()), "the merges apply"


def test_tokenizers_package_splits_text_as_llama_cpp_does(llm, folder: Path) -> None:
    tokenizers = pytest.importorskip("tokenizers")
    ids = llm.tokenize(TEXT.encode(), add_bos=False)
    hf = tokenizers.Tokenizer.from_file(str(folder / "tokenizer.json"))
    assert hf.encode(TEXT).ids == ids
    assert hf.encode(CHATML_HELLO).ids == llm.tokenize(CHATML_HELLO.encode(), add_bos=False, special=True)


def _reference_logits(folder: Path, ids: list[int]):
    """Hugging Face's LlamaForCausalLM forward pass in numpy, from config.json and model.safetensors."""
    np = pytest.importorskip("numpy")
    cfg = _json(folder / "config.json")
    header, data = read_safetensors(folder / "model.safetensors")
    w = {k: np.frombuffer(data[t["data_offsets"][0]:t["data_offsets"][1]], "<f4").reshape(t["shape"]).astype(np.float64)
         for k, t in header.items() if k != "__metadata__"}
    heads, kv, hd, eps = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"], cfg["rms_norm_eps"]
    t = len(ids)

    def norm(x, g):
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * g

    angle = np.arange(t)[:, None] * (1.0 / cfg["rope_theta"] ** (np.arange(0, hd, 2) / hd))[None]
    angle = np.concatenate([angle, angle], -1)
    cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]

    def rope(x):  # rotate_half, as transformers' Llama does
        return x * cos + np.concatenate([-x[..., hd // 2:], x[..., :hd // 2]], -1) * sin

    x = w["model.embed_tokens.weight"][ids]
    for n in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{n}."
        h = norm(x, w[p + "input_layernorm.weight"])
        q = rope((h @ w[p + "self_attn.q_proj.weight"].T).reshape(t, heads, hd))
        k = np.repeat(rope((h @ w[p + "self_attn.k_proj.weight"].T).reshape(t, kv, hd)), heads // kv, 1)
        v = np.repeat((h @ w[p + "self_attn.v_proj.weight"].T).reshape(t, kv, hd), heads // kv, 1)
        s = np.einsum("thd,shd->hts", q, k) / np.sqrt(hd)
        s = np.where(np.tril(np.ones((t, t), bool))[None], s, -np.inf)
        a = np.exp(s - s.max(-1, keepdims=True))
        a /= a.sum(-1, keepdims=True)
        x = x + np.einsum("hts,shd->thd", a, v).reshape(t, heads * hd) @ w[p + "self_attn.o_proj.weight"].T
        h = norm(x, w[p + "post_attention_layernorm.weight"])
        g = h @ w[p + "mlp.gate_proj.weight"].T
        x = x + (g / (1 + np.exp(-g)) * (h @ w[p + "mlp.up_proj.weight"].T)) @ w[p + "mlp.down_proj.weight"].T
    return norm(x, w["model.norm.weight"]) @ w["lm_head.weight"].T


def test_gguf_computes_what_the_safetensors_do(llm, folder: Path) -> None:
    np = pytest.importorskip("numpy")
    ids = llm.tokenize(TEXT.encode(), add_bos=False)
    llm.reset()
    llm.eval(ids)
    got = np.array(llm.scores[: len(ids)])
    want = _reference_logits(folder, ids)
    # float32 vs float64 differ by ~2e-4 here; q/k rows left in Hugging Face's rotary order are off by ~2e-2.
    assert np.abs(got - want).max() < 2e-3
    assert (got.argmax(-1) == want.argmax(-1)).all()


def test_safetensors_package_reads_it(folder: Path) -> None:
    st = pytest.importorskip("safetensors.numpy")
    weights = st.load_file(str(folder / "model.safetensors"))
    header, _ = read_safetensors(folder / "model.safetensors")
    assert {k: list(v.shape) for k, v in weights.items()} == {k: t["shape"] for k, t in header.items() if k != "__metadata__"}


def test_transformers_loads_the_folder(folder: Path) -> None:
    transformers = pytest.importorskip("transformers")
    cfg = transformers.AutoConfig.from_pretrained(folder)
    assert cfg.model_type == "llama" and cfg.head_dim == 32 and cfg.num_key_value_heads == 2
    hf_tok = transformers.AutoTokenizer.from_pretrained(folder)
    prompt = hf_tok.apply_chat_template([{"role": "user", "content": "Hello"}], tokenize=False, add_generation_prompt=True)
    assert prompt == CHATML_HELLO
    ids = hf_tok(TEXT)["input_ids"]
    assert hf_tok.eos_token == "<|im_end|>" and hf_tok.decode(ids) == TEXT and len(ids) < len(TEXT)
