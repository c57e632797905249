"""OpenAI-compatible streaming: build the request, turn the SSE stream into a record.

The record follows the engine's metric contract: first byte (response head),
first token on any channel (reasoning deltas included), first visible content,
every chunk with its arrival time and token count, and the server's usage
beside the client's own count, with the prompt tokens it served from its cache
(OpenAI's ``usage.prompt_tokens_details.cached_tokens``, llama-server's
``timings.cache_n``; None when it reports neither). A chunk's token count is 1 per delta that
carries text; when the server's usage says more tokens arrived than chunks
(servers that coalesce tokens), the tokens are spread over the chunks by text
length so ITL's chunk split stays right, and the mismatch is kept in the record.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from accelmark_tui.engine.records import GenRequest, RequestRecord

try:  # orjson parses a chunk several times faster; the stdlib is the fallback
    import orjson as _orjson

    _loads = _orjson.loads
    _dumps = _orjson.dumps
except ImportError:  # pragma: no cover - exercised where orjson is absent
    _loads = json.loads

    def _dumps(obj: Any) -> bytes:
        return json.dumps(obj, separators=(",", ":")).encode()

ERR_BODY_MAX = 2048


class RequestBuilder:
    """Pre-renders everything of a request that does not change between requests."""

    def __init__(self, origin, model: str, api: str = "chat", api_key: str | None = None,
                 extra_body: dict[str, Any] | None = None) -> None:
        self.model = model
        self.api = api
        self.extra_body = dict(extra_body or {})
        auth = f"Authorization: Bearer {api_key}\r\n" if api_key else ""
        self._head = {}
        for kind, path in (("chat", "/chat/completions"), ("completions", "/completions")):
            self._head[kind] = (
                f"POST {origin.prefix}{path} HTTP/1.1\r\nHost: {origin.host_header}\r\n"
                f"Content-Type: application/json\r\nAccept: text/event-stream\r\n{auth}Content-Length: "
            ).encode("latin-1")

    def build(self, req: GenRequest) -> tuple[bytes, str]:
        kind = "completions" if (req.raw and self.api != "chat-only") or self.api == "completions" else "chat"
        body: dict[str, Any] = {"model": self.model, "max_tokens": req.max_tokens, "temperature": req.temperature,
                                "stream": True, "stream_options": {"include_usage": True}}
        if kind == "chat":
            body["messages"] = [{"role": "user", "content": req.prompt}]
        else:
            body["prompt"] = req.prompt
        if req.ignore_eos:
            body["ignore_eos"] = True  # vLLM / SGLang / llama-server extension; others ignore it
        if self.extra_body:
            body.update(self.extra_body)
        data = _dumps(body)
        return self._head[kind] + str(len(data)).encode() + b"\r\n\r\n" + data, kind


class StreamHandler:
    """http1.Handler for one streamed completion; resolves ``done`` when the record is final."""

    __slots__ = ("rec", "done", "kind", "status", "headers", "err", "pending", "seen_done", "lens",
                 "content_chunks", "reasoning_chunks", "usage", "timings", "keep_text", "texts", "conn", "failed",
                 "raw", "retry")

    def __init__(self, rec: RequestRecord, done: asyncio.Future, kind: str, keep_text: bool) -> None:
        self.rec = rec
        self.done = done
        self.kind = kind
        self.status = 0
        self.headers: dict[str, str] = {}
        self.err = b""
        self.pending = b""
        self.seen_done = False
        self.lens: list[int] = []  # text length of each token-bearing chunk
        self.content_chunks = 0
        self.reasoning_chunks = 0
        self.usage: dict[str, Any] | None = None
        self.timings: dict[str, Any] | None = None  # llama-server's, on its last chunk
        self.keep_text = keep_text
        self.texts: list[str] = []
        self.conn = None
        self.failed = False
        self.raw = b""  # the request bytes, for one retry on a fresh connection
        self.retry = None  # set when the request went out on a reused keep-alive connection

    # -- http1.Handler ---------------------------------------------------------
    def on_head(self, status: int, headers: dict[str, str], t_ns: int) -> None:
        self.status = status
        self.headers = headers
        self.rec.first_byte_ns = t_ns

    def on_body(self, data: bytes, t_ns: int) -> None:
        if self.status != 200 or self.failed:
            if len(self.err) < ERR_BODY_MAX:
                self.err += data[: ERR_BODY_MAX - len(self.err)]
            return
        buf = self.pending + data if self.pending else data
        if b"\r" in buf:
            buf = buf.replace(b"\r\n", b"\n")
        events = buf.split(b"\n\n")
        self.pending = events.pop()
        if len(self.pending) > 1 << 20:
            self._fail("malformed_sse", "an SSE event grew past 1 MiB without ending", t_ns)
            return
        for ev in events:
            if ev:
                self._event(ev, t_ns)

    def on_end(self, t_ns: int) -> None:
        if self.pending and self.status == 200 and not self.failed:
            self._event(self.pending, t_ns)  # a last event without its blank line
            self.pending = b""
        if self.failed:
            pass
        elif self.status != 200:
            self._http_error(t_ns)
        elif not self.seen_done and self.rec.finish_reason is None:
            self._fail("stream_incomplete", "the stream ended without [DONE] or a finish_reason", t_ns)
        else:
            self._finalize(t_ns)
        if not self.done.done():
            self.done.set_result(None)

    def on_error(self, kind: str, message: str, t_ns: int) -> None:
        if kind == "connection_closed" and self.retry is not None and self.status == 0:
            # The server had closed this idle connection before our request reached it: nothing
            # was answered, so the request goes again on a fresh connection (as HTTP clients do).
            retry, self.retry = self.retry, None
            retry(self)
            return
        if not self.failed:
            self._fail(kind, message, t_ns)
        if not self.done.done():
            self.done.set_result(None)

    # -- parsing ---------------------------------------------------------------
    def _fail(self, kind: str, message: str, t_ns: int) -> None:
        self.failed = True
        self.rec.fail(kind, message, t_ns)

    def _event(self, ev: bytes, t: int) -> None:
        if ev.startswith(b"data: ") and b"\n" not in ev:  # the common one-line event
            lines = (ev,)
        else:
            lines = ev.split(b"\n")
        for line in lines:
            if not line.startswith(b"data:"):
                continue  # comments (": ping"), event:/id:/retry: fields
            payload = line[5:].strip()
            if payload == b"[DONE]":
                self.seen_done = True
                continue
            try:
                obj = _loads(payload)
            except ValueError:
                self._fail("malformed_sse", f"unparseable SSE data line: {payload[:60].decode('utf-8', 'replace')}", t)
                return
            if not isinstance(obj, dict):
                self._fail("malformed_sse", "an SSE data line is not a JSON object", t)
                return
            self._chunk(obj, t)
            if self.failed:
                return

    def _chunk(self, obj: dict, t: int) -> None:
        usage = obj.get("usage")
        if usage:
            self.usage = usage
        timings = obj.get("timings")
        if isinstance(timings, dict):
            self.timings = timings
        choices = obj.get("choices")
        if not choices:
            if "error" in obj:
                e = obj["error"]
                msg = e.get("message") if isinstance(e, dict) else str(e)
                self._fail("server_error", f"the server sent an error mid-stream: {msg}", t)
            return  # usage-only or empty chunk: carries no token
        c0 = choices[0]
        rec = self.rec
        if self.kind == "chat":
            delta = c0.get("delta") or {}
            content = delta.get("content")
            reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        else:
            content = c0.get("text")
            reasoning = None
        if reasoning:
            self.reasoning_chunks += 1
            self.lens.append(len(reasoning))
            rec.add_chunk(t, 1)
        if content:
            self.content_chunks += 1
            self.lens.append(len(content))
            rec.add_chunk(t, 1)
            if rec.first_content_ns is None:
                rec.first_content_ns = t
            if self.keep_text:
                self.texts.append(content)
        fr = c0.get("finish_reason")
        if fr:
            rec.finish_reason = fr

    def _http_error(self, t: int) -> None:
        msg = ""
        try:
            body = _loads(self.err) if self.err else None
            if isinstance(body, dict):
                e = body.get("error", body)
                msg = e.get("message", "") if isinstance(e, dict) else str(e)
        except ValueError:
            msg = self.err[:120].decode("utf-8", "replace").strip()
        extra = ""
        if self.status == 429 and self.headers.get("retry-after"):
            extra = f" (Retry-After: {self.headers['retry-after']})"
        self._fail(f"http_{self.status}", f"HTTP {self.status}{extra}: {msg}".rstrip(": "), t)

    def _finalize(self, t: int) -> None:
        rec = self.rec
        rec.end_ns = t
        client = self.content_chunks + self.reasoning_chunks
        rec.output_tokens_client = client
        u = self.usage
        if isinstance(u, dict):
            rec.input_tokens = u.get("prompt_tokens")
            server = u.get("completion_tokens")
            rec.output_tokens = server
            details = u.get("completion_tokens_details") or {}
            rec.reasoning_tokens = int(details.get("reasoning_tokens") or self.reasoning_chunks)
            if isinstance(server, int) and server > client > 0:
                rec.chunk_tokens = spread(server, self.lens)
        else:
            rec.reasoning_tokens = self.reasoning_chunks
        rec.cached_input_tokens = cached_tokens(u, self.timings)
        if self.keep_text:
            rec.text = "".join(self.texts)


def cached_tokens(usage: Any, timings: Any) -> int | None:
    """Prompt tokens the server served from its cache, as it reports them (None: it does not say)."""
    details = usage.get("prompt_tokens_details") if isinstance(usage, dict) else None
    for value in ((details or {}).get("cached_tokens") if isinstance(details, dict) else None,
                  timings.get("cache_n") if isinstance(timings, dict) else None):
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return None


def spread(total: int, lens: list[int]) -> list[int]:
    """``total`` tokens over chunks by text length, at least one each (largest remainder)."""
    n = len(lens)
    extra = total - n
    weight = sum(lens) or n
    shares = [extra * (ln or 1) / weight for ln in lens]
    out = [1 + int(s) for s in shares]
    left = total - sum(out)
    order = sorted(range(n), key=lambda i: shares[i] - int(shares[i]), reverse=True)
    for i in order[:left]:
        out[i] += 1
    return out
