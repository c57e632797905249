"""Does this llama.cpp build survive its AMX matmul? Asked once per build, in a child process.

llama-cpp-python builds compiled with GCC <= 12 crash in ggml's AMX matmul on the
first batch of two tokens or more: that GCC declares ``_tile_loadconfig`` as
reading 8 bytes, so the stores that fill ggml's 64-byte tile configuration are
dropped as dead and the first tile instruction faults (ggml-org/llama.cpp#20824;
docs/amx.md). Builds by newer compilers, or with accelmark's fix header, are
fine and keep the repacked speed (issue 14: 181 vs 87 tok/s). So on a build with
AMX kernels a child process loads the embedded model with repacking on and
decodes one multi-token batch: exit 0 turns repacking on, a crash turns it off.
The verdict is cached per build (``detect.llama_repack``); only CPUs with AMX
ever start the child.

``python -m accelmark_tui.backends.amx_probe [GGUF]`` is the child.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from accelmark_tui.detect import llama_repack

TIMEOUT_S = 120.0
PROMPT = "The AMX probe decodes this sentence as one batch of several tokens."
FAILED_EXIT = 3  # the child ran but llama.cpp refused (load or decode error): not the AMX crash

NO_AMX_BUILD = llama_repack.NO_AMX + " (this llama.cpp build has no AMX kernels)"
PASSED = "on: AMX probe passed for this build"


def crashed(signame: str) -> str:
    return (f"off: this llama.cpp build crashed ({signame}) in its AMX matmul on a multi-token batch "
            "(GCC <= 12 mis-compiles ggml's AMX tile setup, ggml-org/llama.cpp#20824); "
            f"reinstall it with the fix: {llama_repack.REINSTALL}")


def _pkg_root() -> str:
    return str(Path(__file__).resolve().parents[2])


def run_probe(argv: Sequence[str] | None = None, timeout: float = TIMEOUT_S) -> tuple[bool, str, bool]:
    """(repacking on, reason, worth caching). ``argv`` replaces the child (tests)."""
    argv = list(argv or [sys.executable, "-m", __name__])
    env = dict(os.environ)
    # The child must import this very accelmark_tui, installed or not.
    env["PYTHONPATH"] = _pkg_root() + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              errors="replace", env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        # A loaded machine can be slow: not a verdict on the build, so the next load asks again.
        return False, f"off: the AMX probe did not finish within {timeout:g} s", False
    except OSError as exc:
        return False, f"off: the AMX probe could not start ({exc.strerror or exc})", False
    if proc.returncode == 0:
        return True, PASSED, True
    if proc.returncode < 0:
        try:
            name = signal.Signals(-proc.returncode).name
        except ValueError:
            name = f"signal {-proc.returncode}"
        return False, crashed(name), True
    lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip()]
    detail = lines[-1] if lines else f"exit status {proc.returncode}"
    return False, f"off: the AMX probe failed ({detail})", False


def verdict(build_has_amx: bool, *, key: str | None = None, argv: Sequence[str] | None = None,
            timeout: float = TIMEOUT_S) -> tuple[bool, str]:
    """Repacking on or off for this build, and why: cached, else probed (AMX builds only)."""
    if not build_has_amx:
        return True, NO_AMX_BUILD
    key = key or llama_repack.build_key()
    if key is not None:
        cached = llama_repack.read_verdict(key)
        if cached is not None:
            return cached
    on, reason, keep = run_probe(argv, timeout)
    if keep and key is not None:
        llama_repack.write_verdict(key, on, reason)
    return on, reason


def main(argv: Sequence[str]) -> int:
    """The child: load with repacking on, decode one batch of several tokens."""
    from accelmark_tui.backends import llama_lowlevel as L
    from accelmark_tui.engine.models import embedded_model_path

    path = str(argv[0]) if argv else str(embedded_model_path())
    m = L.LlamaModel(path, n_ctx_seq=128, n_seq=1, n_batch=64, threads=min(4, os.cpu_count() or 1),
                     extra_bufts=True)
    try:
        tokens = m.tokenize(PROMPT, special=False)[:64]
        b = m.batch
        for i, t in enumerate(tokens):
            b.token[i], b.pos[i], b.n_seq_id[i], b.logits[i] = t, i, 1, 0
            b.seq_id[i][0] = 0
        b.logits[len(tokens) - 1] = 1
        b.n_tokens = len(tokens)
        rc = L.C.llama_decode(m.ctx, b)
    finally:
        m.free()
    if rc != 0:
        print(f"llama_decode returned {rc} on a {len(tokens)}-token batch", file=sys.stderr)
        return FAILED_EXIT
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main(sys.argv[1:]))
    except Exception as exc:  # one line on stderr for the parent's reason, not a traceback
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        raise SystemExit(FAILED_EXIT) from None
