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

Where this differs, by choice: llama-perplexity stores the reference's full distribution
(uint16-scaled, ~100 KB a token for a 49k vocabulary). Here the reference keeps its top-k
log-probs (k = 64 by default), the log of the remaining mass, and the exact log-prob of the
correct token: 8·k + 8 bytes a token. The tail enters the KLD as one bucket,
p_rest · log(p_rest / q_rest), which by the log-sum inequality never overstates the full-vocabulary
KLD; bench/quality_fidelity.py measures the gap against llama-perplexity. Δp and top-1
agreement are exact.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from accelmark_tui import paths
from accelmark_tui.errors import ModelError, UsageError

N_CTX = 512
MAX_CHUNKS = 32
TOPK = 64
TEXT_ASSET = "quality/ppl_text.txt"
# Bump when the cached reference's layout or arithmetic changes: old files are then ignored.
CACHE_VERSION = 1


def method(topk: int) -> str:
    return (f"reference top-{topk} log-probs + tail mass (KLD's tail as one bucket, a lower bound); "
            "Δp and top-1 exact")


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


def top_k(logprobs: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ids, log-probs) of the k most likely tokens per row, best first, and log(1 − their mass)."""
    k = min(k, logprobs.shape[1])
    part = np.argpartition(-logprobs, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(logprobs, part, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    ids = np.take_along_axis(part, order, axis=1).astype(np.int32)
    lp = np.take_along_axis(vals, order, axis=1).astype(np.float32)
    return ids, lp, _log_rest(lp)


def _log_rest(lp: np.ndarray) -> np.ndarray:
    mass = np.exp(lp.astype(np.float64)).sum(axis=1)
    return np.log(np.clip(1.0 - mass, 1e-30, None)).astype(np.float32)


def kld_rows(ref: dict[str, np.ndarray], rows: slice, q_logprobs: np.ndarray,
             targets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per token: KLD(ref ‖ q) over the reference's top-k plus the tail bucket, Δp, same top-1."""
    ids, p_lp, p_rest = ref["topk_ids"][rows], ref["topk_lp"][rows], ref["rest_lp"][rows]
    q_lp = np.take_along_axis(q_logprobs, ids, axis=1).astype(np.float64)
    p_lp64 = p_lp.astype(np.float64)
    head = (np.exp(p_lp64) * (p_lp64 - q_lp)).sum(axis=1)
    q_rest = np.log(np.clip(1.0 - np.exp(q_lp).sum(axis=1), 1e-30, None))
    p_rest64 = p_rest.astype(np.float64)
    tail = np.where(p_rest64 > -30, np.exp(p_rest64) * (p_rest64 - q_rest), 0.0)
    q_tgt = np.take_along_axis(q_logprobs, targets[:, None], axis=1)[:, 0].astype(np.float64)
    dp = np.exp(q_tgt) - np.exp(ref["target_lp"][rows].astype(np.float64))
    same = q_logprobs.argmax(axis=1) == ids[:, 0]
    return head + tail, dp, same


def kld_stats(kld: np.ndarray, dp: np.ndarray, same: np.ndarray, topk: int) -> dict[str, Any]:
    return {
        "kld_mean": float(kld.mean()),
        "kld_p99": float(np.percentile(kld, 99.0)),
        "dp_mean": float(dp.mean()),
        "top1_agreement": float(same.mean()),
        "topk": int(topk),
        "method": method(topk),
    }


def reference_cache_path(reference_sha: str, text_hash: str, n_ctx: int, n_chunk: int, topk: int) -> Path:
    """Where a reference's top-k log-probs are kept: accelmark's cache dir, keyed by everything they depend on."""
    key = f"{reference_sha}:{text_hash}:{n_ctx}:{n_chunk}:{topk}:v{CACHE_VERSION}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return paths.cache_dir() / "quality" / f"ref-{reference_sha[:12]}-{digest}.npz"


def save_reference(path: Path, tokens: np.ndarray, topk_ids: np.ndarray, topk_lp: np.ndarray,
                   rest_lp: np.ndarray, target_lp: np.ndarray, meta: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    with open(part, "wb") as fh:  # a file object: numpy would append .npz to a bare .part name
        np.savez_compressed(fh, tokens=tokens, topk_ids=topk_ids, topk_lp=topk_lp, rest_lp=rest_lp,
                            target_lp=target_lp, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    part.replace(path)
    return path


def load_reference(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
    """The cached reference, or None when there is none (or it is unreadable: it is then recomputed)."""
    try:
        with np.load(path) as z:
            arrays = {k: z[k] for k in ("tokens", "topk_ids", "topk_lp", "rest_lp", "target_lp")}
            meta = json.loads(bytes(z["meta"]).decode())
    except (OSError, KeyError, ValueError):
        return None
    return arrays, meta


def check_vocab(ref_meta: dict[str, Any], n_vocab: int, model: str) -> None:
    if int(ref_meta.get("n_vocab", n_vocab)) != n_vocab:
        raise ModelError(f"{model} has a vocabulary of {n_vocab} tokens and the reference "
                         f"{ref_meta.get('reference')} one of {ref_meta.get('n_vocab')}; KL divergence "
                         "compares files of one model only.")
