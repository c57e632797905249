"""The C side of the llama.cpp backend: load, tokenize, template, log capture.

Thin wrappers over llama-cpp-python's ctypes bindings (``llama_cpp.llama_cpp``)
so the engine loop in ``llama_cpp.py`` only deals with tokens. The high-level
``Llama`` class is avoided on purpose: its per-token Python costs about a tenth
of the decode speed being measured (see the design's verified starting points).
"""

from __future__ import annotations

import ctypes
import threading
from collections import deque
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from accelmark_tui.backends import amx_probe
from accelmark_tui.errors import ModelError

try:  # imported lazily by the backend; a missing wheel is a sentence, not a trace
    import llama_cpp
    import llama_cpp.llama_cpp as C
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ModelError(
        "The llama.cpp backend needs llama-cpp-python; install it with pip install llama-cpp-python==0.3.36."
    ) from exc

_GGML_LOG_WARN, _GGML_LOG_ERROR, _GGML_LOG_CONT = 3, 4, 5
_LOG_LINES: deque[str] = deque(maxlen=20)
_log_state = {"level": 0}
_init_lock = threading.Lock()
_initialised = False


@C.llama_log_callback
def _log_sink(level: int, text: bytes, _user: Any) -> None:
    # llama.cpp logs hundreds of lines per load to stderr; keep only the last
    # warnings/errors so a failure message can quote the real cause.
    if level != _GGML_LOG_CONT:
        _log_state["level"] = level
    if _log_state["level"] >= _GGML_LOG_WARN and text:
        line = text.decode("utf-8", "replace").strip()
        if line:
            _LOG_LINES.append(line)


def init_backend() -> None:
    """Once per process: llama_backend_init and the silent log sink."""
    global _initialised
    with _init_lock:
        if not _initialised:
            C.llama_log_set(_log_sink, ctypes.c_void_p(0))
            C.llama_backend_init()
            _initialised = True


def amx_present() -> bool:
    return "AMX_INT8 = 1" in C.llama_print_system_info().decode("utf-8", "replace")


def default_extra_bufts() -> tuple[bool, str]:
    """Whether to let llama.cpp repack weights into its extra buffer types, and why.

    On by default (llama-bench tg64 on a 2-core AMX Xeon: 181 tok/s repacked, 87
    without; issue 14), except where this build crashes in ggml's AMX matmul on
    batches of two tokens or more: GCC <= 12 builds (ggml-org/llama.cpp#20824,
    open upstream with the stale label; the cause is in docs/amx.md).
    ``amx_probe`` asks a child process once per build, and only where the build
    has AMX kernels. The runner option ``extra_bufts`` overrides it.
    """
    return amx_probe.verdict(amx_present())


def last_log_error() -> str:
    """The most telling recent llama.cpp error line, without its function prefix."""
    lines = list(_LOG_LINES)
    for line in reversed(lines):  # "error loading model: <cause>" beats "failed to load model"
        if "error" in line.lower() and ":" in line:
            return line.split(": ", 1)[-1].replace("error loading model: ", "").rstrip(".")
    return lines[-1].split(": ", 1)[-1].rstrip(".") if lines else "no details logged"


def build_info() -> dict[str, Any]:
    """Versions and CPU features of the llama.cpp build in use."""
    info: dict[str, Any] = {
        "llama_cpp_python": getattr(llama_cpp, "__version__", None),
        "system_info": C.llama_print_system_info().decode("utf-8", "replace").strip(" |"),
    }
    for name in ("ggml_version", "ggml_commit"):  # ggml's version and the llama.cpp commit it was built from
        fn = _ggml_symbol(name)
        if fn is not None:
            fn.restype = ctypes.c_char_p
            info[name] = fn().decode()
    # The generic keys results show reads (any backend may fill them): which build, from which source.
    info["build_commit"] = info.get("ggml_commit")
    return info | ggml_build()


def _ggml_symbol(name: str) -> Any:
    """A ggml function: found through libllama (dlsym searches the libraries it links), else in the wheel's
    own ggml libraries (where symbols are not searched that way); None when neither has it."""
    lib_dir = Path(llama_cpp.__file__).parent / "lib"
    for path in (C._lib._name, *sorted(str(p) for p in lib_dir.glob("*ggml*") if p.is_file())):
        try:
            return getattr(ctypes.CDLL(path), name)
        except (OSError, AttributeError):
            continue
    return None


def ggml_build() -> dict[str, Any]:
    """Which build of llama.cpp is loaded: the ggml backends it registered (CPU, CUDA, ROCm, Metal, Vulkan,
    SYCL, …) and their devices. ``build`` names the accelerator backend, or "cpu" when there is none."""
    names = ("ggml_backend_reg_count", "ggml_backend_reg_get", "ggml_backend_reg_name", "ggml_backend_dev_count",
             "ggml_backend_dev_get", "ggml_backend_dev_name", "ggml_backend_dev_description")
    fns = {n: _ggml_symbol(n) for n in names}
    if None in fns.values():  # a build without the backend registry: only whether it can offload
        return {"build": "gpu" if C.llama_supports_gpu_offload() else "cpu",
                "gpu_offload": bool(C.llama_supports_gpu_offload())}
    fns["ggml_backend_reg_count"].restype = fns["ggml_backend_dev_count"].restype = ctypes.c_size_t
    for n in ("ggml_backend_reg_get", "ggml_backend_dev_get"):
        fns[n].argtypes, fns[n].restype = [ctypes.c_size_t], ctypes.c_void_p
    for n in ("ggml_backend_reg_name", "ggml_backend_dev_name", "ggml_backend_dev_description"):
        fns[n].argtypes, fns[n].restype = [ctypes.c_void_p], ctypes.c_char_p
    lib = SimpleNamespace(**{n[len("ggml_backend_"):]: f for n, f in fns.items()})
    init_backend()  # registers the backends a dynamic build loads
    regs = [lib.reg_name(lib.reg_get(i)).decode() for i in range(lib.reg_count())]
    devs = []
    for i in range(lib.dev_count()):
        dev = lib.dev_get(i)
        devs.append(f"{lib.dev_name(dev).decode()} ({lib.dev_description(dev).decode()})")
    accel = [r for r in regs if r.upper() not in ("CPU", "BLAS", "RPC")]  # BLAS and RPC help the CPU or a remote
    return {"build": ",".join(r.lower() for r in accel) or "cpu", "ggml_backends": ", ".join(regs),
            "ggml_devices": "; ".join(devs), "gpu_offload": bool(C.llama_supports_gpu_offload())}


def ggml_type(name: str) -> int:
    """A KV-cache type as llama.cpp's tools name it (``q8_0``) → its ggml type id."""
    value = getattr(C, f"GGML_TYPE_{name.upper()}", None)
    if value is None:
        raise ModelError(f"This llama.cpp build has no '{name}' type; use one of f16, q8_0, q4_0.")
    return int(value)


class GreedyPicker:
    """Argmax over a logits row, the greedy choice, in ~20 µs instead of ~80 µs.

    llama.cpp's greedy sampler builds a candidate array over the whole
    vocabulary for every token. Here the row's address comes from a private
    binding of ``llama_get_logits_ith`` that returns a plain integer (the
    shared binding builds a ctypes pointer object), and a numpy view is kept
    per address: rows live in llama.cpp's output buffer, so the same few
    addresses recur every step, and a view made by ``np.ctypeslib.as_array``
    each time costs ~60 µs. The view is read right after llama.cpp returns the
    address, while that memory holds the row. Ties go to the first maximum, as
    in llama.cpp's greedy sampler.
    """

    def __init__(self, n_vocab: int) -> None:
        import numpy as np  # a llama-cpp-python dependency

        self._np = np
        self.n_vocab = n_vocab
        fn = ctypes.CDLL(C._lib._name).llama_get_logits_ith
        fn.argtypes = [ctypes.c_void_p, ctypes.c_int32]
        fn.restype = ctypes.c_void_p
        self._get = fn
        self._views: dict[int, Any] = {}

    def __call__(self, ctx: Any, idx: int) -> int:
        addr = self._get(ctx, idx)
        if not addr:
            raise RuntimeError(f"llama.cpp has no logits for batch row {idx}")
        view = self._views.get(addr)
        if view is None:
            if len(self._views) > 4096:  # a reallocated output buffer: forget the old rows
                self._views.clear()
            buf = (ctypes.c_float * self.n_vocab).from_address(addr)
            view = self._views[addr] = self._np.frombuffer(buf, dtype=self._np.float32)
        return int(view.argmax())


class LlamaModel:
    """One loaded model + context + reusable buffers. Not thread-safe: one owner thread."""

    def __init__(self, path: str, *, n_ctx_seq: int, n_seq: int, n_batch: int, threads: int,
                 n_gpu_layers: int = 0, flash_attn: int | None = None, extra_bufts: bool | None = None,
                 kv_unified: bool = False, n_ubatch: int | None = None, type_k: int | None = None,
                 type_v: int | None = None) -> None:
        init_backend()
        mp = C.llama_model_default_params()
        mp.n_gpu_layers = n_gpu_layers
        if extra_bufts is None:
            extra_bufts, self.extra_bufts_reason = default_extra_bufts()
        else:
            self.extra_bufts_reason = "set by the runner options"
        mp.use_extra_bufts = self.extra_bufts = bool(extra_bufts)
        self.model = C.llama_model_load_from_file(str(path).encode(), mp)
        if not self.model:
            raise ModelError(f"llama.cpp could not load {path} ({last_log_error()}); check the file or try another model.")
        cp = C.llama_context_default_params()
        cp.n_ctx = n_ctx_seq * n_seq
        cp.n_batch = n_batch
        cp.n_ubatch = min(n_batch, n_ubatch or 512)
        if type_k is not None:
            cp.type_k = type_k
        if type_v is not None:
            cp.type_v = type_v
        cp.n_seq_max = n_seq
        cp.n_threads = cp.n_threads_batch = threads
        # Unified: one KV buffer shared by all sequences (isolated by masks).
        # Split per-sequence buffers make llama.cpp cut a batch that mixes
        # decode tokens with a prompt chunk into several ubatches (equal
        # split); unified served 4 concurrent requests at 82 vs 65 tok/s here.
        # Admission keeps every sequence within n_ctx_seq, so none can crowd out another.
        cp.kv_unified = self.kv_unified = kv_unified
        if flash_attn is not None:
            cp.flash_attn_type = flash_attn
        self.ctx = C.llama_init_from_model(self.model, cp)
        if not self.ctx:
            C.llama_model_free(self.model)
            self.model = None
            raise ModelError(
                f"llama.cpp could not create a {n_ctx_seq * n_seq}-token context ({last_log_error()}); lower the concurrency or the context length."
            )
        self.vocab = C.llama_model_get_vocab(self.model)
        self.mem = C.llama_get_memory(self.ctx)
        # llama_n_ctx_seq reports the whole buffer when unified: keep our own per-sequence bound.
        self.n_ctx_seq = n_ctx_seq if kv_unified else min(n_ctx_seq, int(C.llama_n_ctx_seq(self.ctx)))
        self.n_seq = int(C.llama_n_seq_max(self.ctx))
        self.n_batch = n_batch
        self.n_ubatch = int(C.llama_n_ubatch(self.ctx))
        self.flash_attn = int(cp.flash_attn_type)
        self.n_params = int(C.llama_model_n_params(self.model))
        self.batch = C.llama_batch_init(n_batch, 0, n_seq)
        self._piece = ctypes.create_string_buffer(256)
        self._samplers: list[Any] = []
        tmpl = C.llama_model_chat_template(self.model, None)
        self.chat_template: bytes | None = tmpl or None
        self.chat_template_ok = self.chat_template is not None and self._apply_template("x") is not None

    # -- tokens -----------------------------------------------------------
    def tokenize(self, text: str, *, special: bool, add_special: bool = True) -> list[int]:
        data = text.encode("utf-8")
        cap = len(data) + 16
        buf = (C.llama_token * cap)()
        n = C.llama_tokenize(self.vocab, data, len(data), buf, cap, add_special, special)
        if n < 0:  # buffer too small: llama.cpp says how many it needs
            cap = -n
            buf = (C.llama_token * cap)()
            n = C.llama_tokenize(self.vocab, data, len(data), buf, cap, add_special, special)
        return list(buf[:n])

    def piece(self, token: int) -> bytes:
        n = C.llama_token_to_piece(self.vocab, token, self._piece, 256, 0, False)
        if n < 0:
            buf = ctypes.create_string_buffer(-n)
            n = C.llama_token_to_piece(self.vocab, token, buf, -n, 0, False)
            return buf.raw[:n]
        return self._piece.raw[:n]

    def is_eog(self, token: int) -> bool:
        return bool(C.llama_vocab_is_eog(self.vocab, token))

    def chat_prompt(self, user_text: str) -> str:
        """The prompt as the model's chat template renders one user turn."""
        if self.chat_template_ok:
            out = self._apply_template(user_text)
            if out is not None:
                return out
        return user_text  # no usable template: recorded in LoadInfo.extra

    def _apply_template(self, user_text: str) -> str | None:
        msg = (C.llama_chat_message * 1)()
        content = user_text.encode("utf-8")
        msg[0].role, msg[0].content = b"user", content
        cap = 2 * len(content) + 1024
        buf = ctypes.create_string_buffer(cap)
        n = C.llama_chat_apply_template(self.chat_template, msg, 1, True, buf, cap)
        if n > cap:
            buf = ctypes.create_string_buffer(n)
            n = C.llama_chat_apply_template(self.chat_template, msg, 1, True, buf, n)
        return buf.raw[:n].decode("utf-8", "replace") if n >= 0 else None

    # -- samplers and memory ----------------------------------------------
    def new_sampler(self, temperature: float = 0.0, seed: int = 0) -> Any:
        chain = C.llama_sampler_chain_init(C.llama_sampler_chain_default_params())
        if temperature and temperature > 0:
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_temp(temperature))
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_dist(seed))
        else:
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_greedy())
        self._samplers.append(chain)
        return chain

    def free_sampler(self, chain: Any) -> None:
        # ctypes pointers are unhashable: track them by identity in a list
        for i, c in enumerate(self._samplers):
            if c is chain:
                del self._samplers[i]
                C.llama_sampler_free(chain)
                return

    def clear_seq(self, seq: int) -> None:
        C.llama_memory_seq_rm(self.mem, seq, -1, -1)

    def free(self) -> None:
        for chain in list(getattr(self, "_samplers", ())):
            self.free_sampler(chain)
        if getattr(self, "ctx", None):
            C.llama_batch_free(self.batch)
            C.llama_free(self.ctx)
            self.ctx = None
        if getattr(self, "model", None):
            C.llama_model_free(self.model)
            self.model = None
