"""The endpoint client against a real fake-OpenAI server process: records, faults, timeouts.

Every fault of the fault-injecting server becomes a counted error with its
reason (or a success where the stream is legitimate); the run goes on.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from openai_server import FakeOpenAI  # noqa: E402

from accelmark_tui.backends.openai_endpoint import EndpointBackend  # noqa: E402
from accelmark_tui.engine import metrics  # noqa: E402
from accelmark_tui.engine.backend import ModelSpec  # noqa: E402
from accelmark_tui.engine.loadgen import LoadGen, constant_offsets  # noqa: E402
from accelmark_tui.engine.records import GenRequest, RequestRecord  # noqa: E402

FAULTS = ["ok", "500", "429", "reset", "malformed", "empty_choices", "stall", "never", "reasoning",
          "usage_mismatch", "no_usage", "multi_token"]


def run_requests(base_url: str, n: int, *, options: dict | None = None, raw: bool = False,
                 concurrency: int = 1, rate: float | None = None) -> list[RequestRecord]:
    be = EndpointBackend({"base_url": base_url, **(options or {})})
    be.load(ModelSpec(path="", model_id="m", revision="-"), None, concurrency)
    out: list[RequestRecord] = []
    gen = LoadGen(be, out.append)
    reqs = [GenRequest(request_id=i, prompt=f"say something number {i}", max_tokens=64, raw=raw) for i in range(n)]

    async def main() -> None:
        if rate:
            await gen.open_loop(reqs, constant_offsets(n, rate), "t", 0, rate)
        else:
            await gen.closed_loop(reqs, concurrency, "t", 0, concurrency)
        be.close()

    asyncio.run(main())
    return sorted(out, key=lambda r: r.request_id)


@pytest.fixture(scope="module")
def faulty():
    with FakeOpenAI(tokens=8, fault_cycle=FAULTS, stall_s=5) as srv:
        yield srv


def test_a_clean_stream_fills_the_metric_contract() -> None:
    with FakeOpenAI(tokens=16, ttft_ms=30, itl_ms=2) as srv:
        (rec,) = run_requests(srv.base_url, 1)
    assert rec.ok and rec.error_type is None
    # The role-only first chunk is not a token: 16 content chunks, one token each.
    assert rec.chunk_tokens == [1] * 16 and rec.output_tokens_client == 16
    assert rec.output_tokens == 16 and rec.input_tokens and rec.input_tokens > 0
    assert rec.sent_ns < rec.first_byte_ns <= rec.first_token_ns == rec.first_content_ns < rec.end_ns
    assert metrics.ttft_ms(rec) >= 30  # the server waits 30 ms before the first content
    assert metrics.ttft_ms(rec) - (rec.first_byte_ns - rec.sent_ns) / 1e6 >= 25  # role chunk came first
    assert rec.finish_reason == "stop"
    itl = sorted(metrics.itl_ms(rec))
    assert len(itl) == 15 and itl[len(itl) // 2] >= 1.5  # median; a busy client may read two chunks at once


def test_completions_api_and_raw_prompts() -> None:
    with FakeOpenAI(tokens=5) as srv:
        recs = run_requests(srv.base_url, 3, raw=True)
        stats = srv.stats()
    assert all(r.ok and r.output_tokens == 5 and r.text == "tok0 tok1 tok2 tok3 tok4 " for r in recs)
    assert stats["paths"].get("/v1/completions") == 3


def test_every_fault_is_a_counted_error_with_its_reason(faulty) -> None:
    opts = {"first_byte_timeout_s": 0.6, "idle_timeout_s": 0.6}
    recs = run_requests(faulty.base_url, len(FAULTS), options=opts, concurrency=1)
    by = dict(zip(FAULTS, recs))
    assert by["ok"].ok and by["ok"].output_tokens == 8
    assert by["500"].error_type == "http_500"
    assert by["429"].error_type == "http_429" and "Retry-After: 1" in by["429"].error_message
    assert by["reset"].error_type == "connection_reset"
    assert by["malformed"].error_type == "malformed_sse"
    assert by["stall"].error_type == "timeout_idle"
    assert by["never"].error_type == "timeout_first_byte"
    # Legitimate streams: an empty choices chunk carries no token; reasoning is counted apart.
    assert by["empty_choices"].ok and by["empty_choices"].output_tokens_client == 8
    r = by["reasoning"]
    assert r.ok and r.reasoning_tokens == 4 and r.first_token_ns <= r.first_content_ns
    u = by["usage_mismatch"]
    assert u.ok and u.output_tokens == u.output_tokens_client + 3
    n = by["no_usage"]
    assert n.ok and n.output_tokens is None and metrics.out_tokens(n) == 8
    m = by["multi_token"]
    # 4 chunks of 2 tokens: the server's usage is spread over the chunks for ITL.
    assert m.ok and m.output_tokens == 8 and m.output_tokens_client == 4 and m.chunk_tokens == [2, 2, 2, 2]
    summary = metrics.summarize(recs)
    assert summary["failed"] == 6 and summary["completed"] == 6
    assert summary["token_count_mismatches"] == 2  # usage_mismatch and multi_token, flagged
    assert summary["errors"] == {"http_500": 1, "http_429": 1, "connection_reset": 1, "malformed_sse": 1,
                                 "timeout_idle": 1, "timeout_first_byte": 1}


def test_reasoning_counts_for_ttft_and_not_for_ttfc() -> None:
    with FakeOpenAI(tokens=8, fault="reasoning", itl_ms=5) as srv:
        (r,) = run_requests(srv.base_url, 1)
    assert r.ok and r.reasoning_tokens == 4 and r.output_tokens == 8
    # TTFT is the first token on any channel; TTFC waits for visible content (4 tokens later).
    assert metrics.ttfc_ms(r) - metrics.ttft_ms(r) >= 15


def test_the_run_goes_on_after_faults_at_concurrency(faulty) -> None:
    opts = {"first_byte_timeout_s": 0.5, "idle_timeout_s": 0.5}
    recs = run_requests(faulty.base_url, 3 * len(FAULTS), options=opts, concurrency=6)
    assert len(recs) == 36
    # Statistics include only successes.
    s = metrics.summarize(recs)
    assert s["completed"] == 18 and s["ttft_ms"]["n"] == 18


def test_open_loop_sends_on_schedule_and_records_lag() -> None:
    with FakeOpenAI(tokens=4) as srv:
        recs = run_requests(srv.base_url, 40, rate=200.0)
    lags = [metrics.send_lag_ms(r) for r in recs]
    assert all(v is not None and v >= 0 for v in lags)  # never sent early
    # 200 req/s means 5 ms apart: the sends follow the schedule, not the responses.
    gaps = [(b.scheduled_ns - a.scheduled_ns) / 1e6 for a, b in zip(recs, recs[1:])]
    assert all(abs(g - 5.0) < 0.01 for g in gaps)
    assert all(r.ok for r in recs)


def test_api_key_from_a_variable_never_in_records(monkeypatch) -> None:
    secret = "sk-test-" + "x" * 20
    monkeypatch.setenv("ACCELMARK_TEST_KEY", secret)
    with FakeOpenAI(tokens=3, api_key=secret) as srv:
        (rec,) = run_requests(srv.base_url, 1, options={"api_key_env": "ACCELMARK_TEST_KEY"})
    assert rec.ok
    assert secret not in rec.to_json()


def test_connection_refused_is_a_counted_error() -> None:
    from accelmark_tui.endpoint.serve import free_port

    be = EndpointBackend({"base_url": "http://127.0.0.1:9/v1"})
    be.builder = None
    # Load is skipped (it would refuse the URL); drive generate directly on a dead port.
    from accelmark_tui.endpoint import http1
    from accelmark_tui.endpoint.stream import RequestBuilder

    origin = http1.Origin(f"http://127.0.0.1:{free_port()}/v1")
    be._origin = origin
    be.builder = RequestBuilder(origin, "m")
    rec = RequestRecord(request_id=0, scenario="t")

    async def main() -> None:
        await be.generate(GenRequest(request_id=0, prompt="x", max_tokens=4), rec)
        be.close()

    asyncio.run(main())
    assert rec.error_type == "connect_error" and not rec.ok


def test_a_server_that_silently_closes_kept_alive_connections() -> None:
    """llama-server closes after each streamed response without `Connection: close`: no request may fail."""
    import threading

    body = (b'data: {"choices":[{"delta":{"content":"hi"}}]}\n\n'
            b'data: {"choices":[{"delta":{},"finish_reason":"stop"}]}\n\n'
            b'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1}}\n\ndata: [DONE]\n\n')
    resp = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
            + f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
    models = b'{"object":"list","data":[{"id":"m"}]}'
    started = threading.Event()
    info: dict = {}

    def serve() -> None:
        async def handle(reader, writer):
            head = await reader.readuntil(b"\r\n\r\n")
            n = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0]) if b"content-length" in head.lower() else 0
            await reader.readexactly(n)
            if head.startswith(b"GET"):
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(models), models))
            else:
                writer.write(resp)
            await writer.drain()
            writer.close()  # no Connection: close header, just the close

        async def main():
            srv = await asyncio.start_server(handle, "127.0.0.1", 0)
            info["port"] = srv.sockets[0].getsockname()[1]
            info["loop"] = asyncio.get_running_loop()
            info["stop"] = asyncio.Event()
            started.set()
            await info["stop"].wait()
            srv.close()

        asyncio.run(main())

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    started.wait(5)
    try:
        recs = run_requests(f"http://127.0.0.1:{info['port']}/v1", 12, concurrency=2)
    finally:
        info["loop"].call_soon_threadsafe(info["stop"].set)
        t.join(5)
    assert [r.error_type for r in recs] == [None] * 12
    assert all(r.output_tokens == 1 for r in recs)
