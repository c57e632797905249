"""AccelMark runner: mlx-lm (MLX) on Apple silicon; Hugging Face and MLX safetensors models.

Thin adapter: the measurement code is accelmark's engine (accelmark_tui), so
this file's hash changes only when the runner's configuration does.
mlx-lm's continuous batching (BatchGenerator) serves concurrent requests.
Run through `accelmark run --runner <this folder's name> --model DIR|ORG/NAME`.
"""

from accelmark_tui.engine.child import run_child

BACKEND = "accelmark_tui.backends.mlx_lm:MlxLmBackend"
OPTIONS = {}

if __name__ == "__main__":
    raise SystemExit(run_child(BACKEND, OPTIONS))
