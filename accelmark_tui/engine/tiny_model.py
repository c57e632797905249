"""``accelmark dev tiny-model``: a tiny random-weight Llama in Hugging Face layout (and GGUF).

So anyone can try a runner without a download, and tests have a model every
backend accepts: hidden 128 with 4 heads and 2 KV heads gives a head size of 32,
the smallest vLLM's CPU attention takes. The weights come from ``--seed`` alone
(Python's own generator, no numpy), so the same seed writes the same bytes.
The safetensors file is written by hand: an 8-byte little-endian header length,
the JSON header, then each tensor's little-endian data.
"""

from __future__ import annotations

import json
import random
import sys
from array import array
from pathlib import Path
from typing import Any

from accelmark_tui.engine import tiny_gguf
from accelmark_tui.engine import tiny_tokenizer as tok
from accelmark_tui.errors import OutputError, UsageError

HIDDEN, HEADS, KV_HEADS, LAYERS, INTERMEDIATE, CONTEXT = 128, 4, 2, 2, 256, 2048
HEAD_DIM = HIDDEN // HEADS
INIT_STD = 0.02  # Hugging Face's initializer_range for Llama
NAME = "accelmark tiny random Llama"
GGUF_FILE = "model.gguf"


def config() -> dict[str, Any]:
    """config.json of a standard LlamaForCausalLM."""
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": HIDDEN,
        "intermediate_size": INTERMEDIATE,
        "num_hidden_layers": LAYERS,
        "num_attention_heads": HEADS,
        "num_key_value_heads": KV_HEADS,
        "head_dim": HEAD_DIM,
        "hidden_act": "silu",
        "max_position_embeddings": CONTEXT,
        "initializer_range": INIT_STD,
        "rms_norm_eps": 1e-05,
        "rope_theta": 10000.0,
        "rope_scaling": None,
        "attention_bias": False,
        "attention_dropout": 0.0,
        "mlp_bias": False,
        "pretraining_tp": 1,
        "tie_word_embeddings": False,
        "torch_dtype": "float32",
        "use_cache": True,
        "vocab_size": tok.vocab_size(),
        "bos_token_id": tok.token_id(tok.BOS),
        "eos_token_id": tok.token_id(tok.EOS),
        "pad_token_id": tok.token_id(tok.PAD),
    }


def generation_config() -> dict[str, Any]:
    return {"bos_token_id": tok.token_id(tok.BOS), "eos_token_id": tok.token_id(tok.EOS),
            "pad_token_id": tok.token_id(tok.PAD), "do_sample": False}


def shapes() -> list[tuple[str, tuple[int, ...]]]:
    """Every tensor's Hugging Face name and shape (out × in for projections), in file order."""
    vocab = tok.vocab_size()
    out: list[tuple[str, tuple[int, ...]]] = [("model.embed_tokens.weight", (vocab, HIDDEN))]
    for n in range(LAYERS):
        p = f"model.layers.{n}."
        out += [
            (p + "self_attn.q_proj.weight", (HEADS * HEAD_DIM, HIDDEN)),
            (p + "self_attn.k_proj.weight", (KV_HEADS * HEAD_DIM, HIDDEN)),
            (p + "self_attn.v_proj.weight", (KV_HEADS * HEAD_DIM, HIDDEN)),
            (p + "self_attn.o_proj.weight", (HIDDEN, HEADS * HEAD_DIM)),
            (p + "mlp.gate_proj.weight", (INTERMEDIATE, HIDDEN)),
            (p + "mlp.up_proj.weight", (INTERMEDIATE, HIDDEN)),
            (p + "mlp.down_proj.weight", (HIDDEN, INTERMEDIATE)),
            (p + "input_layernorm.weight", (HIDDEN,)),
            (p + "post_attention_layernorm.weight", (HIDDEN,)),
        ]
    return out + [("model.norm.weight", (HIDDEN,)), ("lm_head.weight", (vocab, HIDDEN))]


def tensors(seed: int) -> list[tiny_gguf.Tensor]:
    """The weights: norms 1, everything else normal(0, 0.02) drawn in ``shapes()`` order from ``seed``."""
    rng = random.Random(seed)
    out = []
    for name, shape in shapes():
        count = shape[0] * (shape[1] if len(shape) > 1 else 1)
        if name.endswith("norm.weight"):
            data = array("f", [1.0]) * count
        else:
            data = array("f", [rng.gauss(0.0, INIT_STD) for _ in range(count)])
        if sys.byteorder == "big":
            data.byteswap()
        out.append((name, shape, data.tobytes()))
    return out


def safetensors_bytes(weights: list[tiny_gguf.Tensor]) -> bytes:
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, shape, data in weights:
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned, as the reference writer does
    return len(text).to_bytes(8, "little") + text + b"".join(data for _, _, data in weights)


def _json(obj: Any) -> bytes:
    return (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def files(seed: int, *, gguf: bool = False) -> dict[str, bytes]:
    """Every file's name and bytes (nothing written)."""
    weights = tensors(seed)
    cfg = config()
    out = {
        "config.json": _json(cfg),
        "generation_config.json": _json(generation_config()),
        "model.safetensors": safetensors_bytes(weights),
        "special_tokens_map.json": _json(tok.special_tokens_map()),
        "tokenizer.json": _json(tok.tokenizer_json()),
        "tokenizer_config.json": _json(tok.tokenizer_config(CONTEXT)),
    }
    if gguf:
        out[GGUF_FILE] = tiny_gguf.gguf_bytes(weights, cfg, f"{NAME} (seed {seed})")
    return out


def write_tiny_model(folder: Path, *, seed: int = 0, gguf: bool = False, force: bool = False) -> list[Path]:
    """Write the model into ``folder`` (new or empty, or any with ``force``); the paths written."""
    if seed < 0:  # random.Random seeds with abs(seed): -5 would write 5's weights under another name
        raise UsageError(f"--seed must be 0 or more, not {seed}.")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} exists and is not a folder; name a new or empty folder for the tiny model.")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise UsageError(f"{folder} is not empty; name a new or empty folder, or pass --force to write the "
                         "tiny model's files into it.")
    written = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in files(seed, gguf=gguf).items():
            (folder / name).write_bytes(data)
            written.append(folder / name)
    except OSError as exc:
        reason = (exc.strerror or type(exc).__name__).lower()
        raise OutputError(
            f"Cannot write the tiny model to {folder} ({reason}); name a folder you can write to.") from exc
    return written
