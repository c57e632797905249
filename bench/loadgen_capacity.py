"""How much load can accelmark's endpoint client generate from one process?

Against a zero-work streaming server on 127.0.0.1 (tests/fixtures/openai_server.py,
its own process, 16 tokens a response, each in its own SSE chunk), the client
path the endpoint runner really uses — LoadGen + EndpointBackend + the events
file and progress feed of the runner process — is measured alone:

  1. highest request rate (closed loop, fixed concurrency), client CPU µs per
     request, SSE chunks per second; the same for httpx (GuideLLM's client)
     and aiohttp (AIPerf's) streaming the same requests, in the same run, as
     references;
  2. open loop (Poisson) at 100 and 500 req/s: send lag p50/p99 and late share;
  3. open loop at the 2,000 req/s goal: achieved rate and send lag.
The server's CPU use is printed beside each figure so a server-bound figure is
visible. Goals (issue 4): ≥ 2,000 req/s, ≤ 100 µs client CPU per request,
send-lag p99 ≤ 1 ms at 500 req/s.

    python bench/loadgen_capacity.py [--requests 20000] [--concurrency 64] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))

from openai_server import FakeOpenAI  # noqa: E402

from accelmark_tui.backends.openai_endpoint import EndpointBackend  # noqa: E402
from accelmark_tui.engine import metrics  # noqa: E402
from accelmark_tui.engine.backend import ModelSpec  # noqa: E402
from accelmark_tui.engine.child import TICK_HZ, EventsFile, install_fast_loop  # noqa: E402
from accelmark_tui.engine.gcpolicy import StepGc  # noqa: E402
from accelmark_tui.engine.feed import FeedWriter  # noqa: E402
from accelmark_tui.engine.loadgen import LoadGen, poisson_offsets  # noqa: E402
from accelmark_tui.engine.records import GenRequest  # noqa: E402

TOKENS = 16
PROMPT = "Explain the difference between latency and throughput in one paragraph."


class Meter:
    """Client CPU (this process) and server CPU over one phase."""

    def __init__(self, server_pid: int) -> None:
        self.server = psutil.Process(server_pid)

    def __enter__(self) -> "Meter":
        self.c0 = time.process_time()
        st = self.server.cpu_times()
        self.s0 = st.user + st.system
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self.t0
        self.client_cpu = time.process_time() - self.c0
        st = self.server.cpu_times()
        self.server_cpu = st.user + st.system - self.s0


async def accelmark_phase(base_url: str, n: int, concurrency: int | None, rate: float | None,
                          events_dir: Path, server_pid: int) -> dict:
    be = EndpointBackend({"base_url": base_url})
    be.load(ModelSpec(path="", model_id="fake-model", revision="-"), None, concurrency or 1)
    events = EventsFile(events_dir / f"samples-{rate or concurrency}.jsonl", {"scenario": "bench"})
    feed = FeedWriter(None)

    def sink(rec):
        events.write(rec, keep_text=False)
        feed.record(rec)

    gen = LoadGen(be, sink)
    reqs = [GenRequest(request_id=i, prompt=PROMPT, max_tokens=TOKENS) for i in range(n)]
    # Warm the pool outside the measurement (connections are opened once per run).
    await gen.closed_loop(reqs[: min(n, 2 * (concurrency or 64))], concurrency or 64, "bench", 0, 0, "warmup")
    step_gc = StepGc()

    async def ticker() -> None:  # what the runner process's ticker does, at its rate
        while True:
            feed.tick(gen.in_flight, gen.live_tokens())
            events.flush()
            step_gc.tick()
            await asyncio.sleep(1.0 / TICK_HZ)

    tick = asyncio.ensure_future(ticker())
    with step_gc, Meter(server_pid) as m:
        if rate is None:
            recs = await gen.closed_loop(reqs, concurrency, "bench", 0, concurrency)
        else:
            recs = await gen.open_loop(reqs, poisson_offsets(n, rate, seed=1), "bench", 0, rate)
    tick.cancel()
    events.close()
    be.close()
    ok = [r for r in recs if r.ok]
    chunks = sum(len(r.chunk_ns) for r in ok)
    lags = sorted(v for v in (metrics.send_lag_ms(r) for r in recs) if v is not None)
    out = {
        "requests": n, "ok": len(ok), "failed": n - len(ok), "wall_s": round(m.wall, 3),
        "req_per_s": round(len(ok) / m.wall, 1), "chunks_per_s": round(chunks / m.wall, 0),
        "client_cpu_us_per_req": round(m.client_cpu / n * 1e6, 1),
        "client_cpu_share": round(m.client_cpu / m.wall, 3), "server_cpu_share": round(m.server_cpu / m.wall, 3),
        "tokens_per_req": round(sum(metrics.out_tokens(r) for r in ok) / max(1, len(ok)), 2),
    }
    if lags:
        from accelmark_tui.engine.stats import percentile

        out.update(send_lag_ms_p50=round(percentile(lags, 50), 4), send_lag_ms_p99=round(percentile(lags, 99), 4),
                   late_share=round(sum(1 for v in lags if v > metrics.LATE_SEND_MS) / len(lags), 4))
    return out


async def httpx_phase(base_url: str, n: int, concurrency: int, server_pid: int) -> dict:
    """Reference: a plain httpx streaming client doing the same requests (what most tools use)."""
    import httpx

    body = {"model": "fake-model", "messages": [{"role": "user", "content": PROMPT}], "max_tokens": TOKENS,
            "stream": True, "stream_options": {"include_usage": True}}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    chunks = 0
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        it = iter(range(n))

        async def worker():
            nonlocal chunks
            for _ in it:
                t0 = time.perf_counter_ns()
                first = None
                async with client.stream("POST", "/chat/completions", json=body) as r:
                    async for line in r.aiter_lines():
                        if line.startswith("data: ") and line != "data: [DONE]":
                            d = json.loads(line[6:])
                            if d.get("choices") and d["choices"][0].get("delta", {}).get("content"):
                                chunks += 1
                                first = first or time.perf_counter_ns()
                _ = (first or t0) - t0

        warm = iter(range(concurrency * 2))

        async def warm_worker():
            for _ in warm:
                async with client.stream("POST", "/chat/completions", json=body) as r:
                    async for _line in r.aiter_lines():
                        pass

        await asyncio.gather(*(warm_worker() for _ in range(concurrency)))
        with Meter(server_pid) as m:
            await asyncio.gather(*(worker() for _ in range(concurrency)))
    return {"requests": n, "wall_s": round(m.wall, 3), "req_per_s": round(n / m.wall, 1),
            "chunks_per_s": round(chunks / m.wall, 0), "client_cpu_us_per_req": round(m.client_cpu / n * 1e6, 1),
            "server_cpu_share": round(m.server_cpu / m.wall, 3)}


async def aiohttp_phase(base_url: str, n: int, concurrency: int, server_pid: int) -> dict | None:
    """Second reference: aiohttp, the client AIPerf streams with (skipped when not installed)."""
    try:
        import aiohttp
    except ImportError:
        return None
    body = {"model": "fake-model", "messages": [{"role": "user", "content": PROMPT}], "max_tokens": TOKENS,
            "stream": True, "stream_options": {"include_usage": True}}
    url = f"{base_url}/chat/completions"
    chunks = 0
    conn = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=conn) as session:
        async def one() -> None:
            nonlocal chunks
            async with session.post(url, json=body) as r:
                async for line in r.content:
                    if line.startswith(b"data: ") and not line.startswith(b"data: [DONE]"):
                        d = json.loads(line[6:])
                        if d.get("choices") and d["choices"][0].get("delta", {}).get("content"):
                            chunks += 1

        async def worker(it) -> None:
            for _ in it:
                await one()

        warm = iter(range(concurrency * 2))
        await asyncio.gather(*(worker(warm) for _ in range(concurrency)))
        chunks = 0
        it = iter(range(n))
        with Meter(server_pid) as m:
            await asyncio.gather(*(worker(it) for _ in range(concurrency)))
    return {"requests": n, "wall_s": round(m.wall, 3), "req_per_s": round(n / m.wall, 1),
            "chunks_per_s": round(chunks / m.wall, 0), "client_cpu_us_per_req": round(m.client_cpu / n * 1e6, 1),
            "server_cpu_share": round(m.server_cpu / m.wall, 3)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=20000, help="requests in the closed-loop phase")
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--httpx-requests", type=int, default=2000)
    ap.add_argument("--aiohttp-requests", type=int, default=5000)
    ap.add_argument("--open-seconds", type=float, default=10.0, help="length of each open-loop phase")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    loop_kind = install_fast_loop()
    try:
        import orjson  # noqa: F401

        json_kind = "orjson"
    except ImportError:
        json_kind = "json (stdlib)"
    report: dict = {"loop": loop_kind, "json": json_kind, "cores": os.cpu_count(), "tokens": TOKENS}
    with FakeOpenAI(tokens=TOKENS) as srv, tempfile.TemporaryDirectory() as tmp:
        base, pid = srv.base_url, srv.proc.pid
        report["closed"] = asyncio.run(accelmark_phase(base, args.requests, args.concurrency, None, Path(tmp), pid))
        report["httpx"] = asyncio.run(httpx_phase(base, args.httpx_requests, args.concurrency, pid))
        report["aiohttp"] = asyncio.run(aiohttp_phase(base, args.aiohttp_requests, args.concurrency, pid))
        for rate in (100.0, 500.0, 2000.0):
            n = int(rate * args.open_seconds)
            report[f"open_{int(rate)}"] = asyncio.run(accelmark_phase(base, n, None, rate, Path(tmp), pid))
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    c, h = report["closed"], report["httpx"]
    print(f"loadgen capacity: {report['cores']} cores, event loop {loop_kind}, {json_kind}, "
          f"{TOKENS} tokens/response, zero-work server in its own process")
    print(f"  closed loop c={args.concurrency}: {c['req_per_s']:.0f} req/s, {c['chunks_per_s']:.0f} chunks/s, "
          f"client CPU {c['client_cpu_us_per_req']:.0f} µs/req (goal ≤ 100), server CPU {c['server_cpu_share']:.0%}")
    print(f"  reference httpx streaming, same server: {h['req_per_s']:.0f} req/s, "
          f"{h['client_cpu_us_per_req']:.0f} µs/req  → accelmark/httpx rate {c['req_per_s'] / h['req_per_s']:.2f}×, "
          f"CPU per request {h['client_cpu_us_per_req'] / c['client_cpu_us_per_req']:.2f}× less")
    a = report["aiohttp"]
    if a:
        print(f"  reference aiohttp streaming (AIPerf's client), same server: {a['req_per_s']:.0f} req/s, "
              f"{a['client_cpu_us_per_req']:.0f} µs/req  → accelmark/aiohttp rate {c['req_per_s'] / a['req_per_s']:.2f}×, "
              f"CPU per request {a['client_cpu_us_per_req'] / c['client_cpu_us_per_req']:.2f}× less")
    else:
        print("  reference aiohttp skipped (pip install aiohttp to measure it)")
    for rate in (100, 500, 2000):
        o = report[f"open_{rate}"]
        print(f"  open loop {rate} req/s (Poisson, {o['requests']} req): achieved {o['req_per_s']:.0f} req/s, "
              f"send lag p50 {o['send_lag_ms_p50']:.3f} ms p99 {o['send_lag_ms_p99']:.3f} ms, late {o['late_share']:.1%}, "
              f"client CPU {o['client_cpu_us_per_req']:.0f} µs/req ({o['client_cpu_share']:.0%} of a core), "
              f"server CPU {o['server_cpu_share']:.0%}")
    print(f"  goals: ≥ 2000 req/s sustained, ≤ 100 µs client CPU/request, send-lag p99 ≤ 1 ms at 500 req/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
