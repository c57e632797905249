"""The mlx-lm backend's declaration (``mlx_lm.MlxLmBackend``): Hugging Face folders or repo ids, MLX's dtypes.

Kept apart from ``mlx_lm.py`` so the CLI reads it at start without importing mlx.
"""

from __future__ import annotations

import importlib.metadata

from accelmark_tui.engine.backend_spec import BackendSpec


def framework_version() -> str:
    try:
        return importlib.metadata.version("mlx-lm")
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


SPEC = BackendSpec(
    name="mlx-lm",
    title="mlx-lm options (the mlx-lm runner)",
    backend="accelmark_tui.backends.mlx_lm:MlxLmBackend",
    model_formats=("hf",),
    prepare="accelmark_tui.engine.hf_model:prepare_hf",
    version="accelmark_tui.backends.mlx_spec:framework_version",
    precisions=("FP32", "FP16", "BF16", "INT8", "INT4"),
    options=(),
)
