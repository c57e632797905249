"""AccelMark runner: llama.cpp through llama-cpp-python, AMD GPU (ROCm/HIP build).

Thin adapter: the measurement code is accelmark's engine (accelmark_tui), so
this file's hash changes only when the runner's configuration does.
Every layer is offloaded to the GPU; llama-cpp-python must be built with HIP.
Run through `accelmark run --runner <this folder's name>`.
"""

from accelmark_tui.engine.child import run_child

BACKEND = "accelmark_tui.backends.llama_cpp:LlamaCppBackend"
OPTIONS = {"n_gpu_layers": -1, "gpu": "rocm"}

if __name__ == "__main__":
    raise SystemExit(run_child(BACKEND, OPTIONS))
