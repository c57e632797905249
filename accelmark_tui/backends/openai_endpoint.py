"""Backend for any OpenAI-compatible server: measure it from the client side.

Requests go through accelmark's lean HTTP/1.1 path (``endpoint/http1.py``) on
the runner's own event loop, so the load generator's schedule and the token
arrival stamps share one clock and no thread hop. A watchdog enforces the
first-byte and idle-stream timeouts; connect timeouts are the pool's.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from accelmark_tui.endpoint import http1, probe
from accelmark_tui.endpoint.stream import RequestBuilder, StreamHandler
from accelmark_tui.engine.backend import Backend, LoadInfo, ModelSpec
from accelmark_tui.engine.records import GenRequest, RequestRecord

DEFAULTS = {"connect_timeout_s": 10.0, "first_byte_timeout_s": 120.0, "idle_timeout_s": 60.0, "api": "chat"}


class _Abortable:
    """Awaiting it waits for the response; cancelling the waiter drops the connection."""

    __slots__ = ("done", "h")

    def __init__(self, done: asyncio.Future, h: StreamHandler) -> None:
        self.done = done
        self.h = h

    def __await__(self):
        try:
            # Cancelling the waiter cancels ``done`` too; the handler checks done() before resolving.
            return (yield from self.done.__await__())
        except asyncio.CancelledError:
            self.h.conn.abort()  # the current connection: a retry may have replaced the first
            raise


class EndpointBackend(Backend):
    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__({**DEFAULTS, **(options or {})})
        self.pool: http1.Pool | None = None
        self.builder: RequestBuilder | None = None
        self.inflight: set[StreamHandler] = set()
        self._watchdog: asyncio.Task | None = None
        self.info: probe.EndpointInfo | None = None

    def load(self, model: ModelSpec, threads: int | None, max_concurrency: int) -> LoadInfo:
        o = self.options
        base = probe.normalize_base_url(o["base_url"])
        key = probe.api_key_from_env(o.get("api_key_env"))
        served = o.get("served_model") or None
        self.info = probe.discover(base, key, served, timeout_s=float(o["connect_timeout_s"]))
        origin = http1.Origin(base)
        self._origin = origin
        self.builder = RequestBuilder(origin, self.info.model, o["api"], key, o.get("extra_body"))
        declared = o.get("declared") or {}
        return LoadInfo(
            framework="OpenAI-compatible endpoint",
            framework_version=self.info.server or "unknown",
            precision=declared.get("precision") or "mixed",
            quantization_method=declared.get("quantization_method"),
            model_format=declared.get("model_format") or "served",
            parameter_count_b=float(declared.get("parameter_count_b") or 0.0),
            max_concurrency=max_concurrency,
            extra={"endpoint": {"base_url": base, "served_model": self.info.model,
                                "models": self.info.models[:20], "server_header": self.info.server,
                                "api": o["api"], "api_key_env": o.get("api_key_env")}},
        )

    def _start(self) -> None:
        o = self.options
        self.pool = http1.Pool(self._origin, float(o["connect_timeout_s"]))
        # Cached: asyncio.get_running_loop() makes a getpid() syscall on every call.
        self._loop = asyncio.get_running_loop()
        self._watchdog = self._loop.create_task(self._watch())

    def start(self, req: GenRequest, rec: RequestRecord):
        if self.pool is None:
            self._start()
        conn = self.pool.take_idle()
        return None if conn is None else self._send(conn, req, rec)

    async def generate(self, req: GenRequest, rec: RequestRecord) -> None:
        if self.pool is None:
            self._start()
        try:
            conn = await self.pool.acquire()
        except (asyncio.TimeoutError, TimeoutError):
            rec.fail("connect_timeout", f"no connection within {self.options['connect_timeout_s']:g} s",
                     time.perf_counter_ns())
            return
        except OSError as exc:
            rec.fail("connect_error", f"cannot connect: {exc.strerror or exc}", time.perf_counter_ns())
            return
        await self._send(conn, req, rec)

    def _send(self, conn: http1.Connection, req: GenRequest, rec: RequestRecord) -> asyncio.Future:
        data, kind = self.builder.build(req)
        done = self._loop.create_future()
        h = StreamHandler(rec, done, kind, keep_text=req.raw)
        h.conn = conn
        h.raw = data
        if conn.uses:
            h.retry = self._retry_fresh
        self.inflight.add(h)
        done.add_done_callback(lambda _f: self.inflight.discard(h))
        conn.send(data, h)
        return _Abortable(done, h)

    def _retry_fresh(self, h: StreamHandler) -> None:
        self.pool.stale_close_seen()

        async def again() -> None:
            try:
                conn = await self.pool.connect()
            except (asyncio.TimeoutError, TimeoutError, OSError) as exc:
                h.on_error("connect_error", f"cannot reconnect after the server closed a kept-alive "
                           f"connection: {getattr(exc, 'strerror', None) or exc or 'timeout'}", time.perf_counter_ns())
                return
            if h.done.done():  # cancelled meanwhile
                conn.transport.close()
                return
            h.conn = conn
            conn.send(h.raw, h)

        self._loop.create_task(again())

    async def _watch(self) -> None:
        """Time out streams that never answer or go quiet (checked 10×/s, not per chunk)."""
        fb = int(float(self.options["first_byte_timeout_s"]) * 1e9)
        idle = int(float(self.options["idle_timeout_s"]) * 1e9)
        while True:
            await asyncio.sleep(0.1)
            now = time.perf_counter_ns()
            for h in list(self.inflight):
                if h.done.done():
                    continue
                if h.status == 0 and now - (h.rec.sent_ns or now) > fb:
                    kind, msg = "timeout_first_byte", f"no response within {fb / 1e9:g} s"
                elif h.status and now - h.conn.last_ns > idle:
                    kind, msg = "timeout_idle", f"the stream sent nothing for {idle / 1e9:g} s"
                else:
                    continue
                h.conn.abort()
                h.on_error(kind, msg, now)

    def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self.pool is not None:
            self.pool.close()
