"""Runner child process: load a backend, run the job's scenarios, report.

Entry point for every ``runners/*/runner.py``::

    from accelmark_tui.engine.child import run_child
    raise SystemExit(run_child("accelmark_tui.backends.llama_cpp:LlamaCppBackend", {"n_gpu_layers": 0}))
"""

from __future__ import annotations


def run_child(backend: str, options: dict | None = None, argv: list[str] | None = None) -> int:
    raise NotImplementedError("being written")
