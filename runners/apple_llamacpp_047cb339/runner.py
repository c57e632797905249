"""AccelMark runner: llama.cpp through llama-cpp-python, Apple silicon GPU (Metal).

Thin adapter: the measurement code is accelmark's engine (accelmark_tui), so
this file's hash changes only when the runner's configuration does.
Every layer is offloaded to the GPU; macOS arm64 builds of llama-cpp-python
enable Metal by default.
Run through `accelmark run --runner <this folder's name>`.
"""

from accelmark_tui.engine.child import run_child

BACKEND = "accelmark_tui.backends.llama_cpp:LlamaCppBackend"
OPTIONS = {"n_gpu_layers": -1, "gpu": "metal"}

if __name__ == "__main__":
    raise SystemExit(run_child(BACKEND, OPTIONS))
