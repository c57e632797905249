"""The tiny model as one GGUF file (v3) that llama.cpp loads: same weights, same tokenizer.

Written by hand (the ``gguf`` package is not a dependency): header, metadata,
tensor infos, padding to the alignment, then each tensor's F32 data aligned.
Names and layout follow llama.cpp's convert_hf_to_gguf.py for LlamaForCausalLM,
including its reordering of the q/k projection rows (Hugging Face's rotary
layout → llama.cpp's), so the GGUF computes what the safetensors do.
"""

from __future__ import annotations

import struct
from typing import Any

from accelmark_tui.engine import tiny_tokenizer as tok

ALIGNMENT = 32
_F32 = 0  # ggml type id
# GGUF metadata value types.
_U32, _I32, _F32V, _BOOL, _STR, _ARRAY = 4, 5, 6, 7, 8, 9
_TOKEN_NORMAL, _TOKEN_CONTROL = 1, 3

# Hugging Face name (after "model.layers.N.") → llama.cpp name (after "blk.N.").
_LAYER_NAMES = {
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.o_proj.weight": "attn_output.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
    "input_layernorm.weight": "attn_norm.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
}
_TOP_NAMES = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
              "lm_head.weight": "output.weight"}

Tensor = tuple[str, tuple[int, ...], bytes]  # Hugging Face name, shape, little-endian float32 data


def gguf_name(hf_name: str) -> str:
    if hf_name in _TOP_NAMES:
        return _TOP_NAMES[hf_name]
    _, _, layer, rest = hf_name.split(".", 3)  # model.layers.N.rest
    return f"blk.{layer}.{_LAYER_NAMES[rest]}"


def permute_rows(data: bytes, rows: int, heads: int) -> bytes:
    """convert_hf_to_gguf's ``permute``: within each head, interleave the two rotary halves' rows."""
    half, width = rows // heads // 2, len(data) // rows
    order = [(2 * h + j) * half + i for h in range(heads) for i in range(half) for j in range(2)]
    return b"".join(data[r * width:(r + 1) * width] for r in order)


def _str(text: str) -> bytes:
    raw = text.encode("utf-8")
    return struct.pack("<Q", len(raw)) + raw


def _value(value: Any) -> bytes:
    if isinstance(value, bool):
        return struct.pack("<I?", _BOOL, value)
    if isinstance(value, int):
        return struct.pack("<II", _U32, value)
    if isinstance(value, float):
        return struct.pack("<If", _F32V, value)
    if isinstance(value, str):
        return struct.pack("<I", _STR) + _str(value)
    if value and isinstance(value[0], str):
        return struct.pack("<IIQ", _ARRAY, _STR, len(value)) + b"".join(_str(v) for v in value)
    return struct.pack("<IIQ", _ARRAY, _I32, len(value)) + struct.pack(f"<{len(value)}i", *value)


def metadata(config: dict[str, Any], name: str) -> dict[str, Any]:
    """The llama architecture's keys and the tokenizer's, from the Hugging Face config."""
    specials = set(tok.SPECIALS)
    return {
        "general.architecture": "llama",
        "general.name": name,
        "general.file_type": 0,  # all F32
        "general.alignment": ALIGNMENT,
        "llama.context_length": config["max_position_embeddings"],
        "llama.embedding_length": config["hidden_size"],
        "llama.block_count": config["num_hidden_layers"],
        "llama.feed_forward_length": config["intermediate_size"],
        "llama.attention.head_count": config["num_attention_heads"],
        "llama.attention.head_count_kv": config["num_key_value_heads"],
        "llama.attention.layer_norm_rms_epsilon": float(config["rms_norm_eps"]),
        "llama.rope.freq_base": float(config["rope_theta"]),
        "llama.rope.dimension_count": config["head_dim"],
        "llama.vocab_size": config["vocab_size"],
        "tokenizer.ggml.model": "gpt2",
        "tokenizer.ggml.pre": "gpt-2",  # GPT-2's split regex, as tokenizer.json's ByteLevel pre-tokenizer
        "tokenizer.ggml.tokens": list(tok.tokens()),
        "tokenizer.ggml.token_type": [_TOKEN_CONTROL if t in specials else _TOKEN_NORMAL for t in tok.tokens()],
        "tokenizer.ggml.merges": list(tok.MERGES),
        "tokenizer.ggml.bos_token_id": tok.token_id(tok.BOS),
        "tokenizer.ggml.eos_token_id": tok.token_id(tok.EOS),
        "tokenizer.ggml.padding_token_id": tok.token_id(tok.PAD),
        "tokenizer.ggml.add_bos_token": False,
        "tokenizer.ggml.add_eos_token": False,
        "tokenizer.chat_template": tok.CHAT_TEMPLATE,
    }


def gguf_bytes(tensors: list[Tensor], config: dict[str, Any], name: str) -> bytes:
    """The whole file for the Hugging Face ``tensors`` (row-major, as in model.safetensors)."""
    meta = metadata(config, name)
    heads = {"self_attn.q_proj.weight": config["num_attention_heads"],
             "self_attn.k_proj.weight": config["num_key_value_heads"]}
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(meta))
    head += b"".join(_str(k) + _value(v) for k, v in meta.items())
    chunks: list[bytes] = []
    offset = 0
    for hf_name, shape, data in tensors:
        n_heads = heads.get(hf_name.split(".", 3)[-1])
        raw = permute_rows(data, shape[0], n_heads) if n_heads else data
        # GGUF lists dimensions fastest-varying first: a (rows, cols) matrix is [cols, rows].
        head += _str(gguf_name(hf_name)) + struct.pack("<I", len(shape))
        head += b"".join(struct.pack("<Q", d) for d in reversed(shape)) + struct.pack("<IQ", _F32, offset)
        chunks.append(raw + bytes(-len(raw) % ALIGNMENT))
        offset += len(chunks[-1])
    return head + bytes(-len(head) % ALIGNMENT) + b"".join(chunks)

