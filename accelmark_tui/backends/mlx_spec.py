"""The mlx-lm backend's declaration (``mlx_lm.MlxLmBackend``): Hugging Face folders or repo ids, MLX's dtypes.

Kept apart from ``mlx_lm.py`` so the CLI reads it at start without importing mlx.
"""

from __future__ import annotations

from accelmark_tui.engine.backend_spec import BackendSpec


SPEC = BackendSpec(
    name="mlx-lm",
    title="mlx-lm options (the mlx-lm runner)",
    backend="accelmark_tui.backends.mlx_lm:MlxLmBackend",
    model_formats=("hf",),
    prepare="accelmark_tui.engine.hf_model:prepare_hf",
    dist="mlx-lm",
    precisions=("FP32", "FP16", "BF16", "INT8", "INT4"),
    options=(),
)
