"""HTTP/1.1 framing and SSE parsing, whatever way the bytes are split on the wire."""

from __future__ import annotations

import asyncio
import json

import pytest

from accelmark_tui.endpoint import http1
from accelmark_tui.endpoint.stream import RequestBuilder, StreamHandler, spread
from accelmark_tui.engine.records import GenRequest, RequestRecord


class FakeTransport:
    def __init__(self) -> None:
        self.written = b""
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True


def sse(obj) -> bytes:
    return b"data: " + (obj if isinstance(obj, bytes) else json.dumps(obj).encode()) + b"\n\n"


def chat_stream(n: int, usage: int | None = None) -> bytes:
    events = [sse({"choices": [{"delta": {"role": "assistant"}, "index": 0}]})]
    events += [sse({"choices": [{"delta": {"content": f"t{i} "}, "index": 0}]}) for i in range(n)]
    events.append(sse({"choices": [{"delta": {}, "finish_reason": "length", "index": 0}]}))
    if usage is not None:
        events.append(sse({"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": usage}}))
    events.append(b"data: [DONE]\n\n")
    return b"".join(events)


def chunked(body_parts: list[bytes]) -> bytes:
    out = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    for p in body_parts:
        out += f"{len(p):x}\r\n".encode() + p + b"\r\n"
    return out + b"0\r\n\r\n"


def feed(raw: bytes, step: int, crlf: bool = False) -> tuple[RequestRecord, http1.Connection]:
    async def main():
        loop = asyncio.get_running_loop()
        pool = http1.Pool(http1.Origin("http://127.0.0.1:1/v1"))
        conn = http1.Connection(pool)
        conn.connection_made(FakeTransport())
        rec = RequestRecord(request_id=0, scenario="t")
        rec.sent_ns = 1
        fut = loop.create_future()
        conn.send(b"GET / HTTP/1.1\r\n\r\n", StreamHandler(rec, fut, "chat", keep_text=True))
        for i in range(0, len(raw), step):
            conn.data_received(raw[i:i + step])
        assert fut.done()
        return rec, conn

    return asyncio.run(main())


@pytest.mark.parametrize("step", [1, 2, 3, 7, 64, 100_000])
def test_any_split_of_a_chunked_stream_gives_the_same_record(step: int) -> None:
    body = chat_stream(5, usage=5)
    # Split the body into HTTP chunks that do not line up with SSE events.
    parts = [body[i:i + 37] for i in range(0, len(body), 37)]
    rec, conn = feed(chunked(parts), step)
    assert rec.ok, rec.error_message
    assert rec.output_tokens == rec.output_tokens_client == 5
    assert rec.text == "t0 t1 t2 t3 t4 " and rec.finish_reason == "length" and rec.input_tokens == 7
    assert conn.state == "idle" and conn in conn.pool.idle  # back in the pool for the next request


def test_crlf_events_content_length_and_connection_close() -> None:
    body = chat_stream(3).replace(b"\n", b"\r\n")
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    rec, conn = feed(head + body, 5)
    assert rec.ok and rec.output_tokens_client == 3 and rec.output_tokens is None

    async def main():
        loop = asyncio.get_running_loop()
        conn = http1.Connection(http1.Pool(http1.Origin("http://127.0.0.1:1")))
        conn.connection_made(FakeTransport())
        rec = RequestRecord(request_id=0, scenario="t")
        fut = loop.create_future()
        conn.send(b"x", StreamHandler(rec, fut, "chat", keep_text=False))
        conn.data_received(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + chat_stream(2))
        conn.connection_lost(None)  # the close ends the body
        return rec

    rec = asyncio.run(main())
    assert rec.ok and rec.output_tokens_client == 2


def test_http_errors_and_garbage() -> None:
    body = json.dumps({"error": {"message": "The model `x` does not exist."}}).encode()
    rec, _ = feed(f"HTTP/1.1 404 Not Found\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body, 9)
    assert rec.error_type == "http_404" and "does not exist" in rec.error_message
    rec, conn = feed(b"SSH-2.0-OpenSSH_9.0\r\n\r\n", 4)
    assert rec.error_type == "bad_http" and conn.transport.closed
    rec, _ = feed(chunked([b"data: [DONE]\n\n"]).replace(b"e\r\n", b"zz\r\n", 1), 3)
    assert rec.error_type == "bad_http"


def test_stream_without_done_or_finish_is_incomplete() -> None:
    body = b"".join(sse({"choices": [{"delta": {"content": "a"}}]}) for _ in range(3))
    rec, _ = feed(chunked([body]), 10)
    assert rec.error_type == "stream_incomplete"


def test_request_builder_never_puts_the_key_in_the_body() -> None:
    b = RequestBuilder(http1.Origin("http://h:8000/v1"), "m", api="chat", api_key="sk-secret")
    raw, kind = b.build(GenRequest(request_id=0, prompt="hi", max_tokens=3, ignore_eos=True))
    head, _, body = raw.partition(b"\r\n\r\n")
    assert kind == "chat" and head.startswith(b"POST /v1/chat/completions HTTP/1.1\r\nHost: h:8000\r\n")
    assert b"Authorization: Bearer sk-secret" in head and b"sk-secret" not in body
    doc = json.loads(body)
    assert doc["stream"] and doc["stream_options"] == {"include_usage": True} and doc["ignore_eos"] is True
    assert int(head.split(b"Content-Length: ")[1]) == len(body)
    raw, kind = b.build(GenRequest(request_id=0, prompt="Q:", max_tokens=3, raw=True))
    assert kind == "completions" and b"POST /v1/completions" in raw and json.loads(raw.split(b"\r\n\r\n")[1])["prompt"] == "Q:"


@pytest.mark.parametrize("total,lens,want", [
    (8, [5, 5, 5, 5], [2, 2, 2, 2]),
    (5, [1, 1, 1, 1, 1], [1, 1, 1, 1, 1]),
    (7, [10, 1, 1], [5, 1, 1]),
    (10, [0, 0], [5, 5]),
])
def test_spread_keeps_the_server_total(total, lens, want) -> None:
    got = spread(total, lens)
    assert got == want and sum(got) == total and min(got) >= 1


def _with_last(*events: dict) -> bytes:
    body = [sse({"choices": [{"delta": {"content": f"t{i} "}, "index": 0}]}) for i in range(3)]
    body += [sse(e) for e in events] + [b"data: [DONE]\n\n"]
    return chunked([b"".join(body)])


def test_prompt_tokens_served_from_the_servers_cache_in_either_shape() -> None:
    finish = {"choices": [{"delta": {}, "finish_reason": "stop", "index": 0}]}
    # OpenAI (and llama-server's usage): usage.prompt_tokens_details.cached_tokens.
    rec, _ = feed(_with_last(finish, {"choices": [], "usage": {
        "prompt_tokens": 40, "completion_tokens": 3, "prompt_tokens_details": {"cached_tokens": 32}}}), 11)
    assert rec.ok and rec.input_tokens == 40 and rec.cached_input_tokens == 32
    # llama-server's timings on its last chunk, beside usage without details.
    rec, _ = feed(_with_last(finish, {"choices": [], "usage": {"prompt_tokens": 40, "completion_tokens": 3},
                                      "timings": {"cache_n": 39, "prompt_n": 1, "predicted_n": 3}}), 7)
    assert rec.ok and rec.cached_input_tokens == 39
    # /completion-style: timings on the finishing chunk itself, no usage at all.
    rec, _ = feed(_with_last({"choices": [{"delta": {}, "finish_reason": "stop", "index": 0}],
                              "timings": {"cache_n": 0, "prompt_n": 12}}), 100)
    assert rec.ok and rec.cached_input_tokens == 0
    # A server that says nothing about its cache: unknown, never a made-up 0.
    rec, _ = feed(_with_last(finish, {"choices": [], "usage": {"prompt_tokens": 40, "completion_tokens": 3}}), 5)
    assert rec.ok and rec.cached_input_tokens is None
    assert "cached_input_tokens" not in json.loads(rec.to_json())
