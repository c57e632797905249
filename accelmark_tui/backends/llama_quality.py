"""Quality of a GGUF file on llama.cpp: perplexity and KL divergence against a reference file.

The sweep's quality half (issue 13): the same llama.cpp build that measures speed computes
the log-probs, through the C API (``llama_lowlevel.LlamaModel``), one chunk of ``n_ctx``
tokens per ``llama_decode`` with logits requested for the scored half only, as
llama-perplexity batches them. The arithmetic and the reference cache are in
``engine/quality.py`` (its docstring states how the reference is stored, and why not top-k).

``perplexity(path)`` → {"ppl", "ppl_sd", "chunks", "n_ctx", "tokens_scored"}.
``kl_divergence(path, reference)`` → the KLD figures, the file's perplexity and the
reference's (one pass over the file gives both), and whether the reference (``reference_cached``)
and the whole result (``result_cached``: this file against this reference, done before) came
from the cache.
"""

from __future__ import annotations

import ctypes
import functools
import json
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from accelmark_tui.engine import quality as Q
from accelmark_tui.engine.filehash import file_sha256
from accelmark_tui.engine.models import check_gguf
from accelmark_tui.jsonfile import atomic_write_text

# (chunks done, chunks in all) of the pass under way: a kl_divergence that computes its reference first
# counts that pass, then the file's.
Progress = Callable[[int, int], None]


def _own_thread(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``fn`` on a fresh thread that ends with it. libgomp keeps an idle OpenMP team per thread
    that ever computed, and more teams than cores slowed later decodes 3x (llama_cpp.py's engine
    thread says how): a quality pass must not leave one behind on the sweep's own thread."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        box: dict[str, Any] = {}

        def body() -> None:
            try:
                box["v"] = fn(*args, **kwargs)
            except BaseException as exc:  # re-raised on the caller's thread
                box["e"] = exc

        t = threading.Thread(target=body, name="accelmark-quality")
        t.start()
        t.join()
        if "e" in box:
            raise box["e"]
        return box["v"]

    return run


class _Evaluator:
    """One loaded file: tokenizes the text and yields each chunk's scored log-prob rows."""

    def __init__(self, path: str | os.PathLike[str], n_ctx: int, threads: int | None, n_gpu_layers: int) -> None:
        from accelmark_tui.backends import llama_lowlevel as L
        from accelmark_tui.backends.llama_cpp import physical_cores

        check_gguf(path)  # a missing, foreign or truncated file is one sentence
        self.C = L.C
        self.m = L.LlamaModel(str(path), n_ctx_seq=n_ctx, n_seq=1, n_batch=n_ctx, threads=int(threads or physical_cores()),
                              n_gpu_layers=n_gpu_layers, n_ubatch=min(n_ctx, 512))
        self.n_ctx = n_ctx
        self.n_vocab = int(self.C.llama_vocab_n_tokens(self.m.vocab))
        self.add_bos = bool(self.C.llama_vocab_get_add_bos(self.m.vocab))
        self.bos = int(self.C.llama_vocab_bos(self.m.vocab))

    def tokenize(self, text: str) -> list[int]:
        # common_tokenize(ctx, text, add_special=true, parse_special=false), as llama-perplexity calls it.
        return self.m.tokenize(text, special=False, add_special=True)

    def chunks(self, tokens: np.ndarray, progress: Progress | None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(log-probs of positions first … n_ctx-2, the tokens they predict) per chunk."""
        C, m, n_ctx = self.C, self.m, self.n_ctx
        first = Q.first_scored(n_ctx)
        b = m.batch
        for i, chunk in enumerate(tokens):
            C.llama_memory_clear(m.mem, True)
            for k in range(n_ctx):
                b.token[k] = self.bos if (k == 0 and self.add_bos) else int(chunk[k])
                b.pos[k] = k
                b.n_seq_id[k] = 1
                b.seq_id[k][0] = 0
                b.logits[k] = k >= first
            b.n_tokens = n_ctx
            rc = C.llama_decode(m.ctx, b)
            if rc != 0:
                from accelmark_tui.backends.llama_lowlevel import last_log_error
                from accelmark_tui.errors import ModelError

                raise ModelError(f"llama.cpp failed to evaluate chunk {i + 1} (code {rc}: {last_log_error()}); "
                                 "try a smaller context.")
            n_out = n_ctx - first
            ptr = C.llama_get_logits(m.ctx)
            logits = np.ctypeslib.as_array(ctypes.cast(ptr, ctypes.POINTER(ctypes.c_float)), shape=(n_out, self.n_vocab))
            yield Q.log_softmax(logits[:-1]), chunk[first + 1:].astype(np.int64)
            if progress:
                progress(i + 1, len(tokens))

    def close(self) -> None:
        self.m.free()


@_own_thread
def perplexity(model_path: str | os.PathLike[str], text: str | None = None, *, n_ctx: int = Q.N_CTX,
               max_chunks: int = Q.MAX_CHUNKS, threads: int | None = None, n_gpu_layers: int = 0,
               progress: Progress | None = None) -> dict[str, Any]:
    """llama-perplexity's figure for ``model_path`` on ``text`` (default: the bundled text)."""
    ev = _Evaluator(model_path, n_ctx, threads, n_gpu_layers)
    try:
        tokens = Q.chunk_tokens(ev.tokenize(text if text is not None else Q.default_text()), n_ctx, max_chunks)
        nll = [-lp[np.arange(len(tgt)), tgt] for lp, tgt in ev.chunks(tokens, progress)]
    finally:
        ev.close()
    return Q.ppl_stats(np.concatenate(nll), n_ctx, len(tokens))


@_own_thread
def reference_logprobs(reference_path: str | os.PathLike[str], text: str | None = None, *, n_ctx: int = Q.N_CTX,
                       max_chunks: int = Q.MAX_CHUNKS, threads: int | None = None, n_gpu_layers: int = 0,
                       progress: Progress | None = None) -> tuple[Path, bool]:
    """The reference's log-probs on the text, computed once and cached; (cache folder, reused?)."""
    text = text if text is not None else Q.default_text()
    ref_sha = file_sha256(reference_path)
    folder = Q.reference_cache_dir(ref_sha, Q.text_sha(text), n_ctx, max_chunks)
    if Q.read_reference_meta(folder) is not None:
        return folder, True
    ev = _Evaluator(reference_path, n_ctx, threads, n_gpu_layers)
    try:
        tokens = Q.chunk_tokens(ev.tokenize(text), n_ctx, max_chunks)
        out = Q.ReferenceWriter(folder)
        nll = []
        for lp, tgt in ev.chunks(tokens, progress):
            out.add(lp)
            nll.append(-lp[np.arange(len(tgt)), tgt])
        n_vocab = ev.n_vocab
    finally:
        ev.close()
    ppl = Q.ppl_stats(np.concatenate(nll), n_ctx, len(tokens))
    out.finish(tokens, {"reference": str(reference_path), "reference_sha256": ref_sha, "n_ctx": n_ctx,
                        "n_vocab": n_vocab, "ppl": ppl["ppl"], "ppl_sd": ppl["ppl_sd"], "method": Q.METHOD})
    return folder, False


@_own_thread
def kl_divergence(model_path: str | os.PathLike[str], reference_path: str | os.PathLike[str], text: str | None = None, *,
                  n_ctx: int = Q.N_CTX, max_chunks: int = Q.MAX_CHUNKS, threads: int | None = None,
                  n_gpu_layers: int = 0, progress: Progress | None = None) -> dict[str, Any]:
    """``model_path`` against ``reference_path``: llama-perplexity --kl-divergence's figures, plus both perplexities."""
    check_gguf(model_path)  # a bad file is its sentence before the reference pass, not after
    folder, reused = reference_logprobs(reference_path, text, n_ctx=n_ctx, max_chunks=max_chunks,
                                        threads=threads, n_gpu_layers=n_gpu_layers, progress=progress)
    # A file already compared with this reference on this text is not evaluated again (a resumed sweep).
    done = folder / f"result-{file_sha256(model_path)[:24]}.json"
    if done.is_file():
        return json.loads(done.read_text(encoding="utf-8")) | {"reference_cached": True, "result_cached": True}
    meta = Q.read_reference_meta(folder)
    if meta is None:  # pragma: no cover - written a moment ago
        raise OSError(f"The reference cache {folder} could not be read back")
    ev = _Evaluator(model_path, n_ctx, threads, n_gpu_layers)
    try:
        Q.check_vocab(meta, ev.n_vocab, str(model_path))
        klds, dps, sames, nll = [], [], [], []
        # The reference's tokens, not a re-tokenization: both files are scored on the very same ids.
        for i, (lp, tgt) in enumerate(ev.chunks(meta["tokens"], progress)):
            k, d, s = Q.kld_rows(Q.read_reference_chunk(folder, i), lp, tgt)
            klds.append(k), dps.append(d), sames.append(s)
            nll.append(-lp[np.arange(len(tgt)), tgt])
    finally:
        ev.close()
    ppl = Q.ppl_stats(np.concatenate(nll), n_ctx, len(meta["tokens"]))
    out = Q.kld_stats(np.concatenate(klds), np.concatenate(dps), np.concatenate(sames))
    out |= ppl | {"ppl_ref": meta["ppl"], "ppl_ratio": ppl["ppl"] / meta["ppl"], "reference": str(reference_path)}
    atomic_write_text(done, json.dumps(out), hint="free space in accelmark's cache folder")
    return out | {"reference_cached": reused, "result_cached": False}
