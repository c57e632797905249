"""The llama.cpp backend: continuous batching on llama-cpp-python's C API.

One engine thread owns the llama.cpp context. Requests arrive on a queue;
each step admits waiting requests into free sequence slots, runs ONE
``llama_decode`` over a multi-sequence batch (one new token per decoding
sequence, plus prompt chunks of sequences still prefilling), then samples
every sequence that produced logits and stamps the token's arrival right
after sampling. The asyncio side is woken once per request (never per token).

The per-token Python below is the overhead the benchmark measures on top of
llama.cpp, so it is kept to a few ctypes writes, one sampler call, one
``token_to_piece`` and a list append.
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
import time
from collections import deque
from typing import Any

from accelmark_tui.backends.llama_spec import FLASH_ATTN
from accelmark_tui.backends import engine_thread
from accelmark_tui.engine.backend import Backend, LoadInfo, ModelSpec
from accelmark_tui.engine.records import GenRequest, RequestRecord

FRAMEWORK = "llama.cpp (llama-cpp-python)"
_STOP = None


def physical_cores() -> int:
    """llama.cpp's tools default to the physical core count; so do we."""
    try:
        import psutil

        n = psutil.cpu_count(logical=False)
    except Exception:
        n = None
    return int(n or os.cpu_count() or 1)


GPU_BUILD_FLAGS = {"cuda": "-DGGML_CUDA=on", "rocm": "-DGGML_HIP=on", "metal": "-DGGML_METAL=on"}


def _require_gpu_build(gpu: str) -> None:
    """A GPU runner on a CPU-only llama-cpp-python build would silently run on the CPU."""
    import llama_cpp

    from accelmark_tui.errors import UsageError

    if not llama_cpp.llama_supports_gpu_offload():
        flag = GPU_BUILD_FLAGS.get(gpu.lower(), "-DGGML_<BACKEND>=on")
        raise UsageError(
            f"This llama-cpp-python build cannot offload to the {gpu.upper()} GPU; reinstall it with "
            f'CMAKE_ARGS="{flag}" pip install --force-reinstall --no-cache-dir llama-cpp-python==0.3.36.'
        )


class _Slot:
    """A sequence slot of the batch and the request it is serving."""

    __slots__ = ("seq", "greedy", "sampler", "req", "rec", "fut", "loop", "prompt",
                 "fed", "pos", "last", "n_out", "max_tokens", "stop_on_eog", "parts", "idx")

    def __init__(self, seq: int, greedy: Any) -> None:
        # fed >= 0: prompt tokens already in the KV cache (prefilling); -1: decoding.
        self.seq, self.greedy, self.sampler = seq, greedy, greedy
        self.parts: list[bytes] = []


class LlamaCppBackend(Backend):
    """The options a user sets are declared in ``llama_spec.SPEC`` (KV-cache types, batch sizes, GPU
    layers, flash attention, repacking); a runner's runner.py may also set ``n_ctx`` (per-sequence
    context, default 2048), ``gpu`` (the GPU a runner needs) and ``kv_unified`` (default: on when
    serving more than one sequence)."""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.stats: dict[str, int] = {"max_active": 0, "steps": 0, "decode_errors": 0, "requests": 0}
        self._m: Any = None
        self._q: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = True
        self._thread: threading.Thread | None = None
        self._crash: BaseException | None = None

    # -- lifecycle ----------------------------------------------------------
    def load(self, model: ModelSpec, threads: int | None, max_concurrency: int) -> LoadInfo:
        from accelmark_tui.backends import llama_lowlevel as L  # heavy: only when used
        from accelmark_tui.engine.models import check_gguf

        info = check_gguf(model.path)
        threads = int(threads or physical_cores())
        n_seq = max(1, int(max_concurrency))
        n_ctx_seq = int(self.options.get("n_ctx") or self.options.get("max_model_len") or 2048)
        if info.context_length:
            n_ctx_seq = min(n_ctx_seq, info.context_length)
        # Options (backends/llama_spec.py): a logical batch holds a token of every decoding sequence.
        o = self.options
        n_batch = max(n_seq, int(o["n_batch"])) if o.get("n_batch") else max(512, n_seq)
        fa = o.get("flash_attn")
        if o.get("type_v") not in (None, "f32", "f16", "bf16") and fa in ("off", 0):
            from accelmark_tui.errors import UsageError

            raise UsageError(f"--type-v {o['type_v']} (a quantized V cache) needs flash attention; leave "
                             "--flash-attn auto or set it on.")
        eb = o.get("extra_bufts")  # None: auto (off where AMX crashes, see llama_lowlevel)
        kwargs = dict(
            n_ctx_seq=n_ctx_seq, n_seq=n_seq, n_batch=n_batch, threads=threads,
            n_gpu_layers=int(o.get("n_gpu_layers") or 0),
            flash_attn=None if fa is None else int(FLASH_ATTN.get(fa, fa)), extra_bufts=None if eb is None else bool(eb),
            kv_unified=bool(o.get("kv_unified", n_seq > 1)), n_ubatch=o.get("n_ubatch"),
            type_k=L.ggml_type(o["type_k"]) if o.get("type_k") else None,
            type_v=L.ggml_type(o["type_v"]) if o.get("type_v") else None,
        )
        if kwargs["n_gpu_layers"] != 0:
            _require_gpu_build(str(self.options.get("gpu") or "GPU"))
        # The model is loaded ON the engine thread: all llama.cpp work stays on
        # one thread (see _engine), and load() returns once it is ready.
        ready = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._engine, args=(model.path, kwargs, ready),
                                        name="llama-engine", daemon=True)
        self._thread.start()
        ready.wait()
        if self._m is None:
            self._thread.join()
            self._thread = None
            err = self._crash
            self._crash = None
            if isinstance(err, Exception):
                raise err
            raise RuntimeError(f"the llama.cpp engine failed to start ({err!r})")
        m = self._m
        extra = L.build_info() | {
            "n_batch": n_batch, "n_ubatch": m.n_ubatch, "type_k": o.get("type_k") or "f16",
            "type_v": o.get("type_v") or "f16", "n_ctx_total": m.n_ctx_seq * m.n_seq, "kv_unified": m.kv_unified,
            "flash_attn_type": m.flash_attn, "extra_bufts": m.extra_bufts, "extra_bufts_reason": m.extra_bufts_reason,
            "n_gpu_layers": kwargs["n_gpu_layers"],
            "chat_template": "model (llama_chat_apply_template)" if m.chat_template_ok else "none: prompts sent raw",
            "gguf_file_type": info.file_type_name, "architecture_family": info.family,
        }
        return LoadInfo(
            framework=FRAMEWORK, framework_version=str(extra.get("llama_cpp_python") or "unknown"),
            precision=info.precision, quantization_method=info.quantization_method, model_format="gguf",
            parameter_count_b=round(m.n_params / 1e9, 4), max_concurrency=m.n_seq, threads=threads,
            context_length=m.n_ctx_seq, effective_dtype=None, extra=extra,
        )

    def close(self) -> None:
        with self._lock:
            if self._thread is None:
                return
            self._q.put(_STOP)
        self._thread.join()
        self._thread = None
        if self._m is not None:
            self._m.free()
            self._m = None

    def count_tokens(self, text: str) -> int | None:
        if self._m is None:
            return None
        return len(self._m.tokenize(text, special=False, add_special=False))

    # -- the asyncio side ---------------------------------------------------
    async def generate(self, req: GenRequest, rec: RequestRecord) -> None:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        with self._lock:  # the engine's exit path takes it too: nothing is left unanswered
            if self._closed:
                raise RuntimeError(f"the llama.cpp engine is not running ({self._crash or 'closed'})")
            self._q.put((req, rec, fut, loop))
        await fut

    # -- the engine thread ---------------------------------------------------
    def _engine(self, path: str, kwargs: dict[str, Any], ready: threading.Event) -> None:
        # One thread owns every llama.cpp call that computes. llama.cpp's CPU
        # backend runs on OpenMP; libgomp keeps an idle team per thread that
        # ever started a parallel region, and once teams outnumber the cores it
        # stops spinning at barriers: a decode step (hundreds of barriers) then
        # ran 3x slower here (26 vs 83 tok/s) after the main thread had decoded.
        from accelmark_tui.backends import llama_lowlevel as L

        waiting: deque[Any] = deque()
        active: list[_Slot] = []
        free: list[_Slot] = []
        try:
            try:
                self._m = L.LlamaModel(path, **kwargs)
            finally:
                ready.set()
            free = [_Slot(i, self._m.new_sampler()) for i in reversed(range(self._m.n_seq))]
            self._loop(waiting, active, free)
        except BaseException as exc:  # a broken engine: fail everything, let generate() raise
            self._crash = exc
        finally:
            with self._lock:
                self._closed = True
                waiting.extend(engine_thread.drain(self._q, _STOP))
            engine_thread.fail_all(((s.rec, s.loop, s.fut) for s in active), waiting, self._crash)
            # samplers are freed with the model (LlamaModel.free)

    def _loop(self, waiting: deque[Any], active: list[_Slot], free: list[_Slot]) -> None:
        from accelmark_tui.backends import llama_lowlevel as L
        from accelmark_tui.backends.llama_lowlevel import C

        m, q, stats = self._m, self._q, self.stats
        empty = q.empty
        ctx, batch, n_batch = m.ctx, m.batch, m.n_batch
        decode, sample, clock = C.llama_decode, C.llama_sampler_sample, time.perf_counter_ns
        tok, pos, nsq, lg = batch.token, batch.pos, batch.n_seq_id, batch.logits
        sid = [batch.seq_id[i] for i in range(n_batch)]  # pointer objects made once
        piece, is_eog = m.piece, m.is_eog
        # Per-token lookups cached by token id: the ctypes calls cost ~18 µs a token,
        # time the decode rate would otherwise pay. Bounded by the vocabulary.
        pieces: dict[int, bytes] = {}
        eogs: dict[int, bool] = {}
        greedy = L.GreedyPicker(int(C.llama_vocab_n_tokens(m.vocab)))
        while True:
            if not active and not waiting:
                item = q.get()  # idle: block, no busy loop
                if item is _STOP:
                    return
                waiting.append(item)
            while not empty():  # checked first: get_nowait on an empty queue raises, once per token
                try:
                    item = q.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    return
                waiting.append(item)
            while waiting and free:
                self._admit(waiting.popleft(), active, free)
            if not active:
                continue
            # Build one batch: a token per decoding sequence, then prompt chunks.
            n = 0
            for s in active:
                if s.fed < 0:  # decoding
                    tok[n] = s.last; pos[n] = s.pos; nsq[n] = 1; sid[n][0] = s.seq; lg[n] = 1
                    s.idx = n
                    s.pos += 1
                    n += 1
            for s in active:
                if s.fed >= 0:  # prefilling
                    k = min(n_batch - n, len(s.prompt) - s.fed)
                    seq, p0 = s.seq, s.fed
                    for j in range(k):
                        tok[n] = s.prompt[p0 + j]; pos[n] = p0 + j; nsq[n] = 1; sid[n][0] = seq; lg[n] = 0
                        n += 1
                    s.fed += k
                    if s.fed == len(s.prompt):
                        lg[n - 1] = 1
                        s.idx, s.pos, s.fed = n - 1, s.fed, -1
                    else:
                        s.idx = -1
            batch.n_tokens = n
            stats["steps"] += 1
            rc = decode(ctx, batch)
            if rc != 0:
                stats["decode_errors"] += 1
                now = clock()
                for s in list(active):
                    s.rec.fail("decode_error", f"llama_decode returned {rc}", now)
                    self._finish(s, active, free, now)
                continue
            for s in list(active):
                if s.idx < 0:
                    continue
                if s.sampler is s.greedy:
                    t = greedy(ctx, s.idx)  # same token as llama.cpp's greedy sampler, a quarter the cost
                else:
                    t = sample(s.sampler, ctx, s.idx)
                now = clock()
                rec = s.rec
                rec.add_chunk(now, 1)
                s.n_out += 1
                s.last = t
                eog = eogs.get(t)
                if eog is None:
                    eog = eogs[t] = is_eog(t)
                if s.stop_on_eog and eog:
                    rec.finish_reason = "stop"  # the EOG token counts as generated, as llama-server and vLLM count it
                    self._finish(s, active, free, now)
                    continue
                p = pieces.get(t)
                if p is None:
                    p = pieces[t] = piece(t)
                if p:
                    if rec.first_content_ns is None:
                        rec.first_content_ns = now
                    s.parts.append(p)
                if s.n_out >= s.max_tokens:
                    rec.finish_reason = "length"
                    self._finish(s, active, free, now)
                elif s.fut.cancelled():
                    rec.fail("cancelled", "the caller cancelled the request", now)
                    self._finish(s, active, free, now)

    def _admit(self, item: Any, active: list[_Slot], free: list[_Slot]) -> None:
        req, rec, fut, loop = item
        if fut.cancelled():
            return
        m = self._m
        self.stats["requests"] += 1
        text = req.prompt if req.raw else m.chat_prompt(req.prompt)
        prompt = m.tokenize(text, special=not req.raw)
        rec.input_tokens = len(prompt)
        # Known, not assumed: every prompt is prefilled from position 0 of a sequence that _finish
        # cleared (llama_memory_seq_rm), so this backend never serves a prompt token from a cache.
        rec.cached_input_tokens = 0
        if not prompt or req.max_tokens < 1:
            rec.fail("bad_request", "empty prompt or max_tokens < 1", time.perf_counter_ns())
            engine_thread.wake(loop, fut)
            return
        if len(prompt) + req.max_tokens > m.n_ctx_seq:
            rec.fail("prompt_too_long",
                     f"the prompt has {len(prompt)} tokens; with max_tokens {req.max_tokens} it exceeds the "
                     f"{m.n_ctx_seq}-token context per sequence", time.perf_counter_ns())
            engine_thread.wake(loop, fut)
            return
        s = free.pop()
        if req.temperature and req.temperature > 0:
            s.sampler = m.new_sampler(req.temperature, seed=req.request_id)
        s.req, s.rec, s.fut, s.loop, s.prompt = req, rec, fut, loop, prompt
        s.fed, s.pos, s.n_out, s.idx, s.last = 0, 0, 0, -1, 0
        s.max_tokens, s.stop_on_eog = req.max_tokens, not req.ignore_eos
        s.parts = []
        active.append(s)
        if len(active) > self.stats["max_active"]:
            self.stats["max_active"] = len(active)

    def _finish(self, s: _Slot, active: list[_Slot], free: list[_Slot], now: int) -> None:
        rec = s.rec
        rec.end_ns = now
        rec.output_tokens = s.n_out
        rec.text = b"".join(s.parts).decode("utf-8", "replace")
        self._m.clear_seq(s.seq)
        if s.sampler is not s.greedy:  # a per-request sampling chain: back to greedy
            self._m.free_sampler(s.sampler)
            s.sampler = s.greedy
        active.remove(s)
        free.append(s)
        engine_thread.wake(s.loop, s.fut)
        s.rec = s.req = s.fut = s.loop = None  # type: ignore[assignment]
