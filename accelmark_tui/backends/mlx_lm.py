"""The mlx-lm backend: Hugging Face / MLX safetensors models on MLX (Metal on Apple silicon, CPU elsewhere).

One engine thread owns every MLX call (MLX is not thread-safe; its generation
stream is thread-local): it loads the model, takes requests from a queue and
serves them with mlx-lm's ``BatchGenerator`` (continuous batching: sequences
join and leave between steps) when the model's KV caches can be batched, or
one at a time with ``generate_step`` otherwise, as ``mlx_lm.server`` decides.
Each token's arrival is stamped with ``time.perf_counter_ns()`` right after
the step that materialised it returns; sequences decoded in one batched step
share that step's stamp. The asyncio side is woken once per request.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accelmark_tui.backends import engine_thread
from accelmark_tui.engine import hf_model
from accelmark_tui.engine.backend import Backend, LoadInfo, ModelSpec
from accelmark_tui.engine.records import GenRequest, RequestRecord
from accelmark_tui.errors import ModelError

FRAMEWORK = "mlx-lm"
_STOP = None
_DTYPES = {"float32": "F32", "float16": "F16", "bfloat16": "BF16"}  # MLX's names → safetensors'


@dataclass(eq=False)
class _Seq:
    """One request in flight on the engine thread."""

    rec: RequestRecord
    fut: asyncio.Future[None]
    loop: asyncio.AbstractEventLoop
    tokens: list[int] = field(default_factory=list)


class MlxLmBackend(Backend):
    """Options: ``n_ctx`` (per-sequence context cap; default the model's), ``prefill_step_size``
    (2048, mlx-lm's), ``batched`` (default on where the model's caches can be batched)."""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.stats: dict[str, int] = {"max_active": 0, "steps": 0, "requests": 0}
        self._q: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = True
        self._thread: threading.Thread | None = None
        self._crash: BaseException | None = None
        self._model: Any = None
        self._tok: Any = None
        self._cfg: dict[str, Any] = {}
        self._special: frozenset[int] = frozenset()
        self.batched = False
        self.n_seq = 1
        self.n_ctx = 0

    # -- lifecycle ----------------------------------------------------------
    def load(self, model: ModelSpec, threads: int | None, max_concurrency: int) -> LoadInfo:
        ready = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._engine, args=(model.path, max(1, int(max_concurrency)), ready),
                                        name="mlx-engine", daemon=True)
        self._thread.start()
        ready.wait()
        if self._model is None:
            self._thread.join()
            self._thread = None
            err, self._crash = self._crash, None
            if isinstance(err, Exception):
                raise err
            raise RuntimeError(f"the mlx-lm engine failed to start ({err!r})")
        return self._load_info(model)

    def _load_info(self, spec: ModelSpec) -> LoadInfo:
        import mlx.core as mx
        import mlx_lm
        from mlx.utils import tree_flatten

        by_dtype: dict[str, int] = {}
        for _name, arr in tree_flatten(self._model.parameters()):
            key = _DTYPES.get(str(arr.dtype).removeprefix("mlx.core."))
            if key:
                by_dtype[key] = by_dtype.get(key, 0) + arr.size
        precision, method, dtype = hf_model.precision_of(self._cfg, by_dtype)
        params = spec.extra.get("parameter_count")
        if not isinstance(params, int):
            params = hf_model.weight_stats(Path(spec.path), self._cfg)[0]
        extra = {
            "mlx": mx.__version__, "mlx_device": str(mx.default_device()),
            "mlx_metal": bool(mx.metal.is_available()), "batched": self.batched,
            "chat_template": "model (tokenizer.apply_chat_template)" if self._tok.has_chat_template
            else "none: prompts sent raw",
            # MLX's own allocator after loading: the weights and load-time buffers (later: peak_memory_gb()).
            "mlx_peak_memory_gb_load": round(mx.get_peak_memory() / 1e9, 6),
        }
        return LoadInfo(
            framework=FRAMEWORK, framework_version=str(mlx_lm.__version__), precision=precision,
            quantization_method=method, model_format=hf_model.model_format_of(method),
            parameter_count_b=round(params / 1e9, 6), max_concurrency=self.n_seq, threads=None,
            context_length=self.n_ctx, effective_dtype={v: k for k, v in _DTYPES.items()}.get(dtype or ""), extra=extra,
        )

    def peak_memory_gb(self) -> float | None:
        """MLX's peak allocation in this process so far, in GB (unified memory on Apple silicon, RAM on CPU)."""
        if self._model is None:
            return None
        import mlx.core as mx

        return round(mx.get_peak_memory() / 1e9, 6)

    def close(self) -> None:
        with self._lock:
            if self._thread is None:
                return
            self._q.put(_STOP)
        self._thread.join()
        self._thread = None
        self._model = None

    def count_tokens(self, text: str) -> int | None:
        if self._tok is None:
            return None
        return len(self._tok.encode(text, add_special_tokens=False))

    # -- the asyncio side ---------------------------------------------------
    async def generate(self, req: GenRequest, rec: RequestRecord) -> None:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        with self._lock:  # the engine's exit path takes it too: nothing is left unanswered
            if self._closed:
                raise RuntimeError(f"the mlx-lm engine is not running ({self._crash or 'closed'})")
            self._q.put((req, rec, fut, loop))
        await fut

    # -- the engine thread ---------------------------------------------------
    def _engine(self, path: str, max_concurrency: int, ready: threading.Event) -> None:
        live: dict[int, tuple[_Seq, GenRequest]] = {}
        try:
            try:
                self._start(path, max_concurrency)
            finally:
                ready.set()
            if self.batched:
                self._batched_loop(live)
            else:
                self._serial_loop(live)
        except BaseException as exc:  # a broken engine: fail everything, let generate() raise
            self._crash = exc
        finally:
            with self._lock:
                self._closed = True
                pending = engine_thread.drain(self._q, _STOP)
            engine_thread.fail_all(((seq.rec, seq.loop, seq.fut) for seq, _req in live.values()), pending,
                                   self._crash)
            _clear_streams()

    def _start(self, path: str, max_concurrency: int) -> None:
        import mlx_lm
        from mlx_lm.models.cache import make_prompt_cache

        try:
            model, tok, cfg = mlx_lm.load(path, return_config=True)
        except (ValueError, FileNotFoundError, KeyError, OSError) as exc:
            why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"mlx-lm could not load {path} ({why.rstrip('.')}); check that mlx-lm supports this "
                             "model type or update mlx-lm.") from None
        self._cfg, self._tok = cfg, tok
        self._special = frozenset(int(t) for t in getattr(tok, "all_special_ids", ()) or ())
        # mlx_lm.server batches a model only when every cache layer can be merged into a batch.
        batchable = all(hasattr(c, "merge") for c in make_prompt_cache(model))
        self.batched = batchable and bool(self.options.get("batched", True))
        self.n_seq = max_concurrency if self.batched else 1
        ctx = int(cfg.get("max_position_embeddings") or (cfg.get("text_config") or {}).get("max_position_embeddings")
                  or 1 << 20)
        self.n_ctx = min(ctx, int(self.options.get("n_ctx") or ctx))
        self._model = model  # last: load() reads a model as "started"

    def _admit(self, item: Any) -> tuple[_Seq, GenRequest, list[int]] | None:
        """Tokenize a request; None when it failed before reaching the model (answered here)."""
        req, rec, fut, loop = item
        if fut.cancelled():
            return None
        self.stats["requests"] += 1
        tok = self._tok
        if req.raw or not tok.has_chat_template:
            # As mlx-lm's stream_generate: add the BOS unless the text already starts with it.
            bos = getattr(tok, "bos_token", None)
            prompt = tok.encode(req.prompt, add_special_tokens=bos is None or not req.prompt.startswith(bos))
        else:
            prompt = list(tok.apply_chat_template([{"role": "user", "content": req.prompt}],
                                                  add_generation_prompt=True))
        rec.input_tokens = len(prompt)
        rec.cached_input_tokens = 0  # every sequence starts from a fresh KV cache
        seq = _Seq(rec, fut, loop)
        if not prompt or req.max_tokens < 1:
            self._fail(seq, "bad_request", "empty prompt or max_tokens < 1")
            return None
        if len(prompt) + req.max_tokens > self.n_ctx:
            self._fail(seq, "prompt_too_long", f"the prompt has {len(prompt)} tokens; with max_tokens "
                       f"{req.max_tokens} it exceeds the {self.n_ctx}-token context per sequence")
            return None
        return seq, req, prompt

    def _token(self, seq: _Seq, token: int, now: int, stop: bool) -> None:
        """Stamp one generated token (a stop token counts as generated, as llama.cpp and vLLM count it)."""
        rec = seq.rec
        rec.add_chunk(now, 1)
        if not stop:
            seq.tokens.append(token)
            if rec.first_content_ns is None and token not in self._special:
                rec.first_content_ns = now

    def _finish(self, seq: _Seq, reason: str, now: int) -> None:
        rec = seq.rec
        rec.end_ns = now
        rec.finish_reason = reason
        rec.output_tokens = len(rec.chunk_ns)
        rec.text = self._tok.decode(seq.tokens, skip_special_tokens=True)
        engine_thread.wake(seq.loop, seq.fut)

    def _fail(self, seq: _Seq, kind: str, message: str) -> None:
        seq.rec.fail(kind, message, time.perf_counter_ns())
        engine_thread.wake(seq.loop, seq.fut)

    def _batched_loop(self, live: dict[int, tuple[_Seq, GenRequest]]) -> None:
        from mlx_lm.generate import BatchGenerator, StopSequences
        from mlx_lm.sample_utils import make_sampler

        gen = BatchGenerator(self._model, completion_batch_size=self.n_seq,
                             prefill_batch_size=min(self.n_seq, 8),
                             prefill_step_size=int(self.options.get("prefill_step_size") or 2048))
        eos = StopSequences([[t] for t in self._tok.eos_token_ids])
        no_stop = StopSequences(None)
        q, clock, stats = self._q, time.perf_counter_ns, self.stats
        try:
            while True:
                items = [q.get()] if not live else []  # idle: block, no busy loop
                while not q.empty():
                    items.append(q.get_nowait())
                for item in items:
                    if item is _STOP:
                        return
                    admitted = self._admit(item)
                    if admitted is None:
                        continue
                    seq, req, prompt = admitted
                    sampler = make_sampler(req.temperature) if req.temperature and req.temperature > 0 else None
                    (uid,) = gen.insert([prompt], [req.max_tokens], samplers=[sampler],
                                        stop_sequences=[no_stop if req.ignore_eos else eos])
                    live[uid] = (seq, req)
                if not live:
                    continue
                _prompt_progress, responses = gen.next()
                now = clock()
                stats["steps"] += 1
                stats["max_active"] = max(stats["max_active"], len(responses))
                cancelled = []
                for r in responses:
                    seq, _req = live[r.uid]
                    self._token(seq, r.token, now, r.finish_reason == "stop")
                    if r.finish_reason is not None:
                        del live[r.uid]
                        self._finish(seq, r.finish_reason, now)
                    elif seq.fut.cancelled():
                        cancelled.append(r.uid)
                        del live[r.uid]
                        seq.rec.fail("cancelled", "the caller cancelled the request", now)
                if cancelled:
                    gen.remove(cancelled)
        finally:
            gen.close()

    def _serial_loop(self, live: dict[int, tuple[_Seq, GenRequest]]) -> None:
        import mlx.core as mx
        from mlx_lm.generate import generate_step
        from mlx_lm.sample_utils import make_sampler

        eos, clock = set(self._tok.eos_token_ids), time.perf_counter_ns
        step = int(self.options.get("prefill_step_size") or 2048)
        while (item := self._q.get()) is not _STOP:
            admitted = self._admit(item)
            if admitted is None:
                continue
            seq, req, prompt = admitted
            live[0] = (seq, req)
            sampler = make_sampler(req.temperature) if req.temperature and req.temperature > 0 else None
            reason = "length"
            for token, _logprobs in generate_step(mx.array(prompt), self._model, max_tokens=req.max_tokens,
                                                  sampler=sampler, prefill_step_size=step):
                now = clock()
                self.stats["steps"] += 1
                stop = token in eos and not req.ignore_eos
                self._token(seq, token, now, stop)
                if stop:
                    reason = "stop"
                    break
                if seq.fut.cancelled():
                    reason = ""
                    seq.rec.fail("cancelled", "the caller cancelled the request", now)
                    break
            del live[0]
            self.stats["max_active"] = 1
            if reason:
                self._finish(seq, reason, seq.rec.chunk_ns[-1])


def _clear_streams() -> None:
    """Free this thread's MLX streams and compile cache now, as MLX asks of every thread that used it.

    Left to the thread's exit, their C++ destructors take the GIL; if the interpreter is
    finalizing by then, the process aborts ("terminate called without an active exception",
    mlx 0.32.4 on Linux, ml-explore/mlx#4327).
    """
    try:
        import mlx.core as mx
    except ImportError:
        return
    mx.clear_streams()
