"""The tiny model's tokenizer: byte-level BPE made here, so no download is needed.

GPT-2's byte-level scheme: every byte is a token (id = the byte's value, spelled
with GPT-2's printable stand-ins, space = "Ġ"), then a few dozen merges of common
English pieces, then ChatML's three special tokens. ``tokenizer_json`` writes it in
the Hugging Face ``tokenizers`` format; the GGUF writer stores the same vocabulary
and merges as llama.cpp's "gpt2" tokenizer, so both sides split text the same way.
"""

from __future__ import annotations

from functools import cache
from typing import Any

# Ranked: a merge is applied before every merge below it. Each merge's parts exist
# before it (the 256 bytes or an earlier merge), as BPE requires.
MERGES = (
    "Ġ t", "h e", "i n", "e r", "a n", "o n", "Ġ a", "r e", "Ġt he", "Ġ s",
    "a t", "e n", "o u", "Ġ w", "i s", "o r", "e s", "Ġ o", "i t", "Ġ c",
    "Ġ b", "Ġ f", "Ġ m", "Ġ p", "Ġ d", "Ġ i", "Ġ h", "l l", "e d", "in g",
    "Ġ I", "Ġ an", "Ġan d", "Ġo f", "Ġt o", "Ġ in", "Ġ is", "Ġ y", "Ġy ou", "Ġw h",
    "a r", "a l", "l e", "s t", "Ġ l", "Ġ g", "Ġ n", "Ġ e", "Ġ r", "Ġ T",
    "Ġ A", "Ġ S", "Ġ C", "o w", "a s", "i c", "l y", "Ġt h", "Ġth at", "Ġw as",
    "Ġf or",
)
ENDOFTEXT, IM_START, IM_END = "<|endoftext|>", "<|im_start|>", "<|im_end|>"
SPECIALS = (ENDOFTEXT, IM_START, IM_END)  # the last ids, in this order
BOS, EOS, PAD = IM_START, IM_END, ENDOFTEXT

# ChatML, the form SmolLM2 and Qwen use (the same text llama-cpp-python knows as "chatml").
CHAT_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content']"
    " + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


@cache
def byte_symbols() -> tuple[str, ...]:
    """GPT-2's ``bytes_to_unicode``: the printable character standing for each byte 0…255."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    symbols: dict[int, str] = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in symbols:
            symbols[b] = chr(256 + extra)
            extra += 1
    return tuple(symbols[b] for b in range(256))


@cache
def tokens() -> tuple[str, ...]:
    """The vocabulary, by id: the bytes, each merge's result, then the special tokens."""
    return (*byte_symbols(), *(m.replace(" ", "") for m in MERGES), *SPECIALS)


def token_id(text: str) -> int:
    return tokens().index(text)


def vocab_size() -> int:
    return len(tokens())


def _added_token(text: str) -> dict[str, Any]:
    return {"id": token_id(text), "content": text, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": False, "special": True}


def tokenizer_json() -> dict[str, Any]:
    """tokenizer.json (the ``tokenizers`` library's format): byte-level pre-tokenizer, BPE, byte-level decoder."""
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [_added_token(t) for t in SPECIALS],
        "normalizer": None,
        "pre_tokenizer": byte_level,
        "post_processor": {**byte_level, "trim_offsets": False},
        "decoder": byte_level,
        "model": {
            "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
            "vocab": {t: i for i, t in enumerate(tokens())},
            "merges": list(MERGES),
        },
    }


def tokenizer_config(context: int) -> dict[str, Any]:
    """tokenizer_config.json: the fast tokenizer from tokenizer.json, its special tokens and the chat template."""
    return {
        "add_bos_token": False,
        "add_eos_token": False,
        "added_tokens_decoder": {
            str(token_id(t)): {k: v for k, v in _added_token(t).items() if k != "id"} for t in SPECIALS
        },
        "bos_token": BOS,
        "eos_token": EOS,
        "pad_token": PAD,
        "unk_token": PAD,
        "additional_special_tokens": [IM_START, IM_END],
        "chat_template": CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "model_max_length": context,
        "tokenizer_class": "PreTrainedTokenizerFast",
    }


def special_tokens_map() -> dict[str, Any]:
    return {"bos_token": BOS, "eos_token": EOS, "pad_token": PAD, "unk_token": PAD,
            "additional_special_tokens": [IM_START, IM_END]}
