"""The sweep's quality half: perplexity and KL divergence of each file against the ladder's reference,
computed by llama.cpp itself (``backends/llama_quality.py``; the method and its cache are described in
``engine/quality.py``). The reference is ``--reference`` or the file with the most bits per weight; its
own row is KLD 0 and top-1 agreement 1 (compared with itself it measures ~1e-6 of float noise).
A file whose quality cannot be measured (another vocabulary, a load failure) gets its sentence in
``error`` and the rest go on; a resumed sweep reuses every comparison already cached.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from accelmark_tui.errors import AccelmarkError


def reference_of(files: list[Any], reference: str | None) -> str | None:
    """``--reference``, else the highest-precision file (most bits per weight) of the ladder."""
    if reference:
        return reference
    ranked = sorted((f for f in files if f.bpw is not None), key=lambda f: f.bpw, reverse=True)
    return ranked[0].path if ranked else None


def quality_for(files: list[Any], reference: str | None, *, n_ctx: int, max_chunks: int, threads: int | None = None,
                on_note: Callable[[str], None] = lambda s: None) -> dict[str, dict[str, Any]]:
    """{file path: quality figures} for ``files`` (``matrix.ModelFile``s that can run)."""
    from accelmark_tui.backends import llama_quality as lq
    from accelmark_tui.engine import quality as Q

    ref = reference_of(files, reference)
    if ref is None:
        return {}
    kw = dict(n_ctx=n_ctx, max_chunks=max_chunks, threads=threads)
    folder, _ = lq.reference_logprobs(ref, **kw)
    meta = Q.read_reference_meta(folder) or {}
    out: dict[str, dict[str, Any]] = {}
    for f in files:
        if f.path == ref:
            out[f.path] = {"ppl": meta.get("ppl"), "ppl_sd": meta.get("ppl_sd"), "ppl_ratio": 1.0, "kld_mean": 0.0,
                           "kld_p99": 0.0, "dp_mean": 0.0, "top1_agreement": 1.0, "reference": True,
                           "method": meta.get("method")}
            continue
        on_note(f"quality: {f.name} against {ref.rsplit('/', 1)[-1]}")
        try:
            out[f.path] = lq.kl_divergence(f.path, ref, **kw) | {"reference": False}
        except AccelmarkError as exc:
            out[f.path] = {"error": str(exc)}
            on_note(f"quality of {f.name} was not measured: {exc}")
    return out
