"""Perplexity and KL-divergence arithmetic, as llama.cpp's ``llama-perplexity`` does it.

Backend-agnostic: a backend (``backends/llama_quality.py``) turns a model file into
log-probability rows; this module chunks the text, scores rows and keeps the cached
reference. The rules follow tools/perplexity/perplexity.cpp of the llama.cpp that
llama-cpp-python 0.3.36 vendors:

- the text is tokenized once (with BOS when the vocabulary adds one) and cut into
  ``min(max_chunks, len // n_ctx)`` chunks of ``n_ctx`` tokens; each chunk is evaluated
  from an empty KV cache with its first token replaced by BOS (when the vocabulary adds one);
- only the second half is scored: logits at positions ``first = n_ctx // 2`` … ``n_ctx - 2``
  predict tokens ``first + 1`` … ``n_ctx - 1`` (``n_ctx - 1 - first`` tokens a chunk);
- PPL = exp(mean NLL), its uncertainty PPL · sqrt((E[NLL²] − E[NLL]²) / (count − 1));
- KLD per token Σ p_ref (log p_ref − log p_q), reported as its mean and 99th percentile
  (linear interpolation, as llama.cpp's ``percentile``); Δp = p_q(correct) − p_ref(correct);
  top-1 agreement = share of tokens whose argmax is the same.

The reference is cached as llama-perplexity's ``--kl-divergence-base`` file keeps it: per
scored token, every log-prob of the vocabulary as uint16 over [max − 16, max] (plus the scale
and the floor), so the KLD is llama.cpp's own to the last term, only the terms with a
reference log-prob above −16 counted as there. Each chunk's rows are zlib-compressed (level 1):
~40-48 KB a token for SmolLM2's 49,152-token vocabulary (98 KB raw), ~330-390 MB for 32 chunks of 512.
Top-k was tried and rejected: this small model's distributions are flat (99 % of the mass
needs ~1,900 tokens on average), so top-64 log-probs + one tail bucket read the KLD 18 %
low and top-256 9 % low, against the 2 % the figures must hold.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from accelmark_tui import paths
from accelmark_tui.errors import ModelError, UsageError

N_CTX = 512
MAX_CHUNKS = 32
TEXT_ASSET = "quality/ppl_text.txt"
# Bump when the cached reference's layout or arithmetic changes: old files are then ignored.
CACHE_VERSION = 1


METHOD = ("llama-perplexity --kl-divergence: the reference's full log-probs, uint16 over [max-16, max], "
          "terms with a reference log-prob above -16")


def default_text() -> str:
    from accelmark_tui.resources import assets_dir

    return (assets_dir() / TEXT_ASSET).read_text(encoding="utf-8")


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chunk_tokens(tokens: Sequence[int], n_ctx: int, max_chunks: int) -> np.ndarray:
    """(n_chunk, n_ctx) int32: the text's tokens cut as llama-perplexity cuts them."""
    if n_ctx < 8:
        raise UsageError(f"A perplexity context of {n_ctx} tokens is too short; use 8 or more (llama.cpp's default is 512).")
    if len(tokens) < 2 * n_ctx:
        raise UsageError(f"The perplexity text has {len(tokens)} tokens; a context of {n_ctx} needs at least "
                         f"{2 * n_ctx}: use a longer text or a smaller context.")
    n_chunk = min(max(1, int(max_chunks)), len(tokens) // n_ctx)
    return np.asarray(tokens[: n_chunk * n_ctx], dtype=np.int32).reshape(n_chunk, n_ctx)


def first_scored(n_ctx: int) -> int:
    return n_ctx // 2


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Rows of logits (float32) → log-probs; the exp-sum in float64 as llama.cpp sums it."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    lse = np.log(np.exp(shifted).sum(axis=1, dtype=np.float64)).astype(np.float32)
    return shifted - lse[:, None]


def ppl_stats(nll: np.ndarray, n_ctx: int, n_chunk: int) -> dict[str, Any]:
    count = int(nll.size)
    mean = float(nll.mean())
    var = float((nll.astype(np.float64) ** 2).mean()) - mean * mean
    ppl = float(np.exp(mean))
    sd = ppl * float(np.sqrt(var / (count - 1))) if var > 0 and count > 1 else 0.0
    return {"ppl": ppl, "ppl_sd": sd, "chunks": n_chunk, "n_ctx": n_ctx, "tokens_scored": count}


def encode(lp: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log-prob rows → (uint16 rows, floor, scale), llama-perplexity's ``log_softmax`` encoding."""
    hi = lp.max(axis=1)
    lo = np.maximum(lp.min(axis=1), hi - 16)
    scale = ((hi - lo) / 65535).astype(np.float32)
    inv = np.divide(1.0, scale, out=np.zeros_like(scale), where=scale > 0)
    q = np.where(lp > lo[:, None], np.rint((lp - lo[:, None]) * inv[:, None]), 0)
    return q.astype(np.uint16), lo.astype(np.float32), scale


def kld_rows(base: dict[str, np.ndarray], q_logprobs: np.ndarray,
             targets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per token, as llama-perplexity computes them: KLD(base ‖ q) over the base's log-probs above
    −16, Δp = p_q(correct) − p_base(correct), and whether both put the same token on top."""
    p_log = base["q"] * base["scale"][:, None] + base["lo"][:, None]
    kept = p_log > -16
    kld = np.where(kept, np.exp(p_log) * (p_log - q_logprobs), 0.0).sum(axis=1, dtype=np.float64)
    rows = np.arange(len(targets))
    dp = np.exp(q_logprobs[rows, targets].astype(np.float64)) - np.exp(p_log[rows, targets].astype(np.float64))
    same = q_logprobs.argmax(axis=1) == base["q"].argmax(axis=1)
    return kld, dp, same


def kld_stats(kld: np.ndarray, dp: np.ndarray, same: np.ndarray) -> dict[str, Any]:
    return {
        "kld_mean": float(kld.mean()),
        "kld_p99": float(np.percentile(kld, 99.0)),
        "dp_mean": float(dp.mean()),
        "top1_agreement": float(same.mean()),
        "method": METHOD,
    }


def reference_cache_dir(reference_sha: str, text_hash: str, n_ctx: int, max_chunks: int) -> Path:
    """Where a reference's log-probs are kept: accelmark's cache dir, keyed by everything they depend on."""
    key = f"{reference_sha}:{text_hash}:{n_ctx}:{max_chunks}:v{CACHE_VERSION}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return paths.cache_dir() / "quality" / f"ref-{reference_sha[:12]}-{digest}"


class ReferenceWriter:
    """Writes a reference chunk by chunk (memory stays one chunk); ``meta.json`` last marks it complete."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "meta.json").unlink(missing_ok=True)
        self.n = 0

    def add(self, lp: np.ndarray) -> None:
        q, lo, scale = encode(lp)
        packed = np.frombuffer(zlib.compress(q.tobytes(), 1), dtype=np.uint8)
        with open(self.folder / f"chunk-{self.n:04d}.npz", "wb") as fh:
            np.savez(fh, qz=packed, shape=np.asarray(q.shape), lo=lo, scale=scale)
        self.n += 1

    def finish(self, tokens: np.ndarray, meta: dict[str, Any]) -> None:
        np.save(self.folder / "tokens.npy", tokens)
        part = self.folder / "meta.json.part"
        part.write_text(json.dumps(meta | {"chunks": self.n}), encoding="utf-8")
        part.replace(self.folder / "meta.json")


def read_reference_meta(folder: Path) -> dict[str, Any] | None:
    """A complete cached reference's meta (with its tokens), or None (none, partial or unreadable: recompute)."""
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        meta["tokens"] = np.load(folder / "tokens.npy")
    except (OSError, ValueError):
        return None
    return meta


def read_reference_chunk(folder: Path, i: int) -> dict[str, np.ndarray]:
    with np.load(folder / f"chunk-{i:04d}.npz") as z:
        shape = tuple(int(n) for n in z["shape"])
        q = np.frombuffer(zlib.decompress(z["qz"].tobytes()), dtype=np.uint16).reshape(shape)
        return {"q": q, "lo": z["lo"], "scale": z["scale"]}


def check_vocab(ref_meta: dict[str, Any], n_vocab: int, model: str) -> None:
    if int(ref_meta.get("n_vocab", n_vocab)) != n_vocab:
        raise ModelError(f"{model} has a vocabulary of {n_vocab} tokens and the reference "
                         f"{ref_meta.get('reference')} one of {ref_meta.get('n_vocab')}; KL divergence "
                         "compares files of one model only.")
