"""The llama.cpp backend's declaration (``llama_cpp.LlamaCppBackend``): options, formats, version.

Kept apart from ``llama_cpp.py`` so the CLI reads it at start without importing the engine loop.
"""

from __future__ import annotations

from accelmark_tui.engine.backend_spec import BackendSpec, Option

# The KV-cache types llama.cpp's tools accept (common/arg.cpp's kv_cache_types), by their names there.
KV_CACHE_TYPES = ("f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1")
FLASH_ATTN = {"auto": -1, "off": 0, "on": 1}  # llama_flash_attn_type


SPEC = BackendSpec(
    name="llama.cpp",
    title="llama.cpp options (the llama.cpp runners; default: llama.cpp's own, or the runner's)",
    backend="accelmark_tui.backends.llama_cpp:LlamaCppBackend",
    model_formats=("gguf",),
    prepare="accelmark_tui.engine.models:prepare_gguf",
    dist="llama-cpp-python",
    precisions=("FP32", "FP16", "BF16", "INT8", "INT4"),
    options=(
        Option("n_gpu_layers", int, "layers offloaded to the GPU; -1: all (the GPU runners' default), 0: none",
               minimum=-1),
        Option("flash_attn", str, "flash attention (llama.cpp's -fa)", default="auto", choices=tuple(FLASH_ATTN)),
        Option("type_k", str, "KV-cache type of K (llama.cpp's -ctk)", default="f16", choices=KV_CACHE_TYPES),
        Option("type_v", str, "KV-cache type of V (llama.cpp's -ctv; quantized V needs flash attention)",
               default="f16", choices=KV_CACHE_TYPES),
        Option("n_batch", int, "logical batch: tokens one llama_decode takes (at least the concurrency)",
               default=512, minimum=1),
        Option("n_ubatch", int, "physical batch: tokens computed at once (at most --n-batch)", default=512,
               minimum=1),
        Option("extra_bufts", bool, "weight repacking into llama.cpp's extra buffer types (default: on, except "
               "where this build crashes with it, docs/amx.md)"),
    ),
)
