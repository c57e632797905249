"""A lean HTTP/1.1 client for streaming benchmarks (keep-alive pool, no TLS magic).

Why not httpx here: at thousands of requests per second its per-request cost
(hundreds of µs) would make the client the bottleneck. This path is one
``asyncio.Protocol`` per connection that parses the status line, headers and
chunked / length / close-delimited bodies, and hands each body piece to the
request's handler with the arrival time taken once per ``data_received``.
HTTPS goes through asyncio's SSL transport unchanged.
"""

from __future__ import annotations

import asyncio
import ssl as ssl_mod
import time
from collections import deque
from typing import Protocol
from urllib.parse import urlsplit

_now = time.perf_counter_ns


class Handler(Protocol):
    def on_head(self, status: int, headers: dict[str, str], t_ns: int) -> None: ...
    def on_body(self, data: bytes, t_ns: int) -> None: ...
    def on_end(self, t_ns: int) -> None: ...
    def on_error(self, kind: str, message: str, t_ns: int) -> None: ...


class Origin:
    """Where requests go: scheme, host, port and the path prefix of the base URL."""

    def __init__(self, base_url: str) -> None:
        u = urlsplit(base_url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise ValueError(f"'{base_url}' is not an http:// or https:// URL")
        self.scheme = u.scheme
        self.host = u.hostname
        self.port = u.port or (443 if u.scheme == "https" else 80)
        self.prefix = u.path.rstrip("/")
        default = (u.scheme == "https" and self.port == 443) or (u.scheme == "http" and self.port == 80)
        self.host_header = self.host if default else f"{self.host}:{self.port}"


class Connection(asyncio.Protocol):
    """One keep-alive connection; one request at a time (no pipelining)."""

    __slots__ = ("pool", "transport", "handler", "buf", "state", "remaining", "keep_alive", "closed",
                 "status", "last_ns", "uses")

    def __init__(self, pool: "Pool") -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.handler: Handler | None = None
        self.buf = bytearray()
        self.state = "idle"  # idle | head | chunk-size | chunk-data | chunk-crlf | length | close
        self.remaining = 0
        self.keep_alive = True
        self.closed = False
        self.status = 0
        self.last_ns = 0  # last byte received (the idle-stream watchdog reads it)
        self.uses = 0  # requests sent on it; a reused one may meet a close the server already sent

    # -- asyncio.Protocol ----------------------------------------------------
    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transport = transport

    def connection_lost(self, exc) -> None:  # type: ignore[override]
        self.closed = True
        self.pool._forget(self)
        h, self.handler = self.handler, None
        if h is None:
            return
        t = _now()
        if self.state == "close":  # body delimited by the close itself
            h.on_end(t)
        elif self.state == "head" and not self.buf:
            h.on_error("connection_closed", "the server closed the connection before answering", t)
        else:
            h.on_error("connection_reset", f"the connection was cut mid-response ({exc or 'closed'})", t)

    def data_received(self, data: bytes) -> None:  # type: ignore[override]
        t = _now()
        self.last_ns = t
        if self.handler is None:
            return  # stray bytes after a finished response: ignored, connection dropped
        if self.state == "close" or (self.state == "length" and not self.buf):
            self._body_fast(data, t)
            return
        self.buf += data
        try:
            self._parse(t)
        except _BadResponse as exc:
            h, self.handler = self.handler, None
            self.keep_alive = False
            self.transport.close()
            if h is not None:
                h.on_error("bad_http", str(exc), t)

    # -- requests ------------------------------------------------------------
    def send(self, request: bytes, handler: Handler) -> None:
        self.handler = handler
        self.state = "head"
        self.buf.clear()
        self.last_ns = _now()
        self.uses += 1
        self.transport.write(request)

    def abort(self) -> None:
        """Drop the connection (timeouts, stops); the handler is detached first."""
        self.handler = None
        self.keep_alive = False
        if self.transport is not None:
            self.transport.abort()

    def _finish(self, t: int) -> None:
        h, self.handler = self.handler, None
        self.state = "idle"
        if self.keep_alive and not self.closed:
            self.pool._release(self)
        else:
            self.transport.close()
        if h is not None:
            h.on_end(t)

    def _body_fast(self, data: bytes, t: int) -> None:
        if self.state == "length":
            n = len(data)
            if n >= self.remaining:
                self.handler.on_body(data[: self.remaining], t)
                self.remaining = 0
                self._finish(t)
                return
            self.remaining -= n
        self.handler.on_body(data, t)

    def _parse(self, t: int) -> None:
        # One pass over the buffer with an index (no per-chunk copies or front deletes);
        # every body piece of this read goes to the handler in one call.
        buf = self.buf
        pos = 0
        out: list[bytes] = []
        try:
            while self.handler is not None:
                st = self.state
                if st == "chunk-size":
                    i = buf.find(b"\r\n", pos)
                    if i < 0:
                        return
                    try:
                        size = int(buf[pos:i], 16)
                    except ValueError:  # chunk extensions ("1a;name=v") are legal, if rare
                        line = bytes(buf[pos:i]).split(b";", 1)[0].strip()
                        try:
                            size = int(line, 16)
                        except ValueError:
                            raise _BadResponse(f"bad chunk size {line[:20]!r} in a chunked response") from None
                    pos = i + 2
                    if size == 0:
                        self.state = "trailer"
                    elif len(buf) - pos >= size + 2:  # the whole chunk and its CRLF are here
                        out.append(buf[pos:pos + size])
                        pos += size + 2
                    else:
                        self.remaining = size
                        self.state = "chunk-data"
                elif st == "chunk-data":
                    n = min(self.remaining, len(buf) - pos)
                    if n <= 0:
                        return
                    out.append(buf[pos:pos + n])
                    pos += n
                    self.remaining -= n
                    if self.remaining == 0:
                        self.state = "chunk-crlf"
                elif st == "chunk-crlf":
                    if len(buf) - pos < 2:
                        return
                    pos += 2
                    self.state = "chunk-size"
                elif st == "trailer":
                    # Trailers are not used by OpenAI servers; the blank line ends the body.
                    i = buf.find(b"\r\n", pos)
                    if i < 0:
                        return
                    blank = i == pos
                    pos = i + 2
                    if blank:
                        self._deliver(out, t)
                        self._finish(t)
                        return
                elif st == "head":
                    i = buf.find(b"\r\n\r\n", pos)
                    if i < 0:
                        if len(buf) - pos > 65536:
                            raise _BadResponse("the response headers are larger than 64 KiB")
                        return
                    head = bytes(buf[pos:i]).decode("latin-1")
                    pos = i + 4
                    self._head(head, t)
                elif st in ("length", "close"):
                    if pos < len(buf):
                        data = bytes(buf[pos:])
                        pos = len(buf)
                        self._deliver(out, t)
                        self._body_fast(data, t)
                    return
                else:
                    return
        finally:
            if pos:
                del buf[:pos]
            self._deliver(out, t)

    def _deliver(self, out: list[bytes], t: int) -> None:
        if out and self.handler is not None:
            data = bytes(out[0]) if len(out) == 1 else b"".join(out)
            out.clear()
            self.handler.on_body(data, t)
        else:
            out.clear()

    def _head(self, head: str, t: int) -> None:
        lines = head.split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise _BadResponse("the server did not answer with HTTP/1.x")
        try:
            self.status = int(parts[1])
        except ValueError:
            raise _BadResponse(f"bad HTTP status line {lines[0][:60]!r}") from None
        headers: dict[str, str] = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        conn = headers.get("connection", "").lower()
        self.keep_alive = "close" not in conn and parts[0] != "HTTP/1.0"
        self.handler.on_head(self.status, headers, t)
        if self.handler is None:
            return
        if "chunked" in headers.get("transfer-encoding", "").lower():
            self.state = "chunk-size"
        elif "content-length" in headers:
            self.remaining = int(headers["content-length"])
            self.state = "length"
            if self.remaining == 0:
                self._finish(t)
        elif self.status in (204, 304):
            self._finish(t)
        else:
            self.state = "close"
            self.keep_alive = False


class _BadResponse(Exception):
    pass


class Pool:
    """Keep-alive connections to one origin; a new one is opened when none is idle."""

    def __init__(self, origin: Origin, connect_timeout_s: float = 10.0) -> None:
        self.origin = origin
        # Some servers (llama-server) close every connection after a streamed response
        # without saying so; once seen twice, connections are no longer kept.
        self.reuse = True
        self.stale_closes = 0
        self.connect_timeout_s = connect_timeout_s
        self.idle: deque[Connection] = deque()
        self.all: set[Connection] = set()
        self._ssl = ssl_mod.create_default_context() if origin.scheme == "https" else None

    def take_idle(self) -> Connection | None:
        """An open idle connection, most recently used first (its socket is warm), or None."""
        while self.idle:
            c = self.idle.pop()
            if not c.closed:
                return c
        return None

    async def acquire(self) -> Connection:
        c = self.take_idle()
        if c is not None:
            return c
        return await self.connect()

    async def connect(self) -> Connection:
        loop = asyncio.get_running_loop()
        o = self.origin
        _, conn = await asyncio.wait_for(
            loop.create_connection(lambda: Connection(self), o.host, o.port, ssl=self._ssl),
            self.connect_timeout_s,
        )
        self.all.add(conn)
        return conn

    def _release(self, conn: Connection) -> None:
        if self.reuse:
            self.idle.append(conn)
        else:
            conn.transport.close()

    def stale_close_seen(self) -> None:
        """A reused connection turned out closed before answering (the caller retries on a new one)."""
        self.stale_closes += 1
        if self.stale_closes >= 2 and self.reuse:
            self.reuse = False
            for c in list(self.idle):
                c.transport.close()
            self.idle.clear()

    def _forget(self, conn: Connection) -> None:
        self.all.discard(conn)
        try:
            self.idle.remove(conn)
        except ValueError:
            pass

    def close(self) -> None:
        for c in list(self.all):
            c.abort()
        self.all.clear()
        self.idle.clear()
