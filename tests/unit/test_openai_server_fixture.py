"""The fake OpenAI-compatible server (tests/fixtures/openai_server.py) behaves as specified.

Every server runs in its own subprocess through ``FakeOpenAI``; the checks use
httpx (and a raw socket for the HTTP framing details).
"""

from __future__ import annotations

import importlib.util
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("openai_server", ROOT / "tests" / "fixtures" / "openai_server.py")
openai_server = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(openai_server)
FakeOpenAI = openai_server.FakeOpenAI

MODELS = ["fake-model", "other-model"]
N = 16  # the server's default --tokens
CHAT = [{"role": "system", "content": "be brief"},
        {"role": "user", "content": [{"type": "text", "text": "say   hello\nto me"}]}]
CHAT_WORDS = 6


@pytest.fixture(scope="module")
def srv():
    with FakeOpenAI(models=MODELS) as server:
        yield server


def events(resp: httpx.Response, out: list[str] | None = None) -> list[str]:
    """The data payloads of an SSE response, in order (appended to ``out`` as they come)."""
    out = [] if out is None else out
    for line in resp.iter_lines():
        if line.startswith("data: "):
            out.append(line[len("data: "):])
        else:
            assert line == "", line
    return out


def stream(client: httpx.Client, url: str, body: dict[str, Any]) -> tuple[httpx.Response, list[str]]:
    with client.stream("POST", url, json={"stream": True, **body}) as resp:
        return resp, events(resp)


def chat_body(**extra: Any) -> dict[str, Any]:
    return {"model": "fake-model", "messages": CHAT, **extra}


def delta_texts(chunks: list[dict[str, Any]], field: str = "content") -> list[str]:
    return [c["choices"][0]["delta"][field] for c in chunks if c["choices"] and field in c["choices"][0]["delta"]]


# ---- the normal path ----------------------------------------------------------------------------

def test_models_list(srv):
    assert srv.base_url == f"http://127.0.0.1:{srv.port}/v1"
    r = httpx.get(f"{srv.base_url}/models")
    assert r.status_code == 200
    assert r.json() == {"object": "list", "data": [{"id": m, "object": "model", "owned_by": "fake"} for m in MODELS]}
    assert httpx.get(f"{srv.base_url}/models/other-model").json()["id"] == "other-model"
    assert httpx.get(f"{srv.base_url}/models/nope").status_code == 404


def test_chat_stream_with_usage(srv):
    with httpx.Client() as c:
        resp, data = stream(c, f"{srv.base_url}/chat/completions",
                            chat_body(stream_options={"include_usage": True}))
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "text/event-stream"
    assert resp.headers["transfer-encoding"] == "chunked"
    assert data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant"}
    content = chunks[1:1 + N]
    assert [c["choices"][0]["delta"] for c in content] == [{"content": f"tok{i} "} for i in range(N)]
    finish, usage = chunks[1 + N:]
    assert finish["choices"][0]["delta"] == {} and finish["choices"][0]["finish_reason"] == "stop"
    assert usage["choices"] == []
    assert usage["usage"] == {"prompt_tokens": CHAT_WORDS, "completion_tokens": N, "total_tokens": CHAT_WORDS + N}
    ids = {c["id"] for c in chunks}
    assert len(ids) == 1 and ids.pop().startswith("chatcmpl-")
    for c in chunks:
        assert c["object"] == "chat.completion.chunk" and c["model"] == "fake-model"
        assert isinstance(c["created"], int) and abs(c["created"] - time.time()) < 60
    assert all(c["usage"] is None for c in chunks[:-1])  # as OpenAI does when usage is asked for


def test_streams_get_fresh_ids(srv):
    with httpx.Client() as c:
        ids = {json.loads(stream(c, f"{srv.base_url}/chat/completions", chat_body())[1][0])["id"] for _ in range(3)}
    assert len(ids) == 3


def test_completions_stream(srv):
    with httpx.Client() as c:
        resp, data = stream(c, f"{srv.base_url}/completions", {"model": "other-model", "prompt": "one two three"})
    assert resp.status_code == 200 and data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    assert len(chunks) == N + 1  # no role chunk, no usage chunk (not asked for)
    assert [c["choices"][0]["text"] for c in chunks] == [f"tok{i} " for i in range(N)] + [""]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert all(c["object"] == "text_completion" and c["model"] == "other-model" and "usage" not in c
               and c["id"].startswith("cmpl-") for c in chunks)


def test_completions_stream_usage(srv):
    with httpx.Client() as c:
        _, data = stream(c, f"{srv.base_url}/completions",
                         {"prompt": "one two three", "stream_options": {"include_usage": True}})
    usage = json.loads(data[-2])
    assert usage["choices"] == [] and usage["model"] == "fake-model"  # the first model is the default
    assert usage["usage"] == {"prompt_tokens": 3, "completion_tokens": N, "total_tokens": 3 + N}


def test_non_streaming(srv):
    r = httpx.post(f"{srv.base_url}/chat/completions", json=chat_body())
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "".join(f"tok{i} " for i in range(N))}
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["usage"] == {"prompt_tokens": CHAT_WORDS, "completion_tokens": N, "total_tokens": CHAT_WORDS + N}
    r = httpx.post(f"{srv.base_url}/completions", json={"model": "fake-model", "prompt": ["a b", "c"]})
    body = r.json()
    assert body["object"] == "text_completion" and body["choices"][0]["text"].startswith("tok0 tok1 ")
    assert body["usage"]["prompt_tokens"] == 3 and body["usage"]["completion_tokens"] == N


@pytest.mark.parametrize("field", ["max_tokens", "max_completion_tokens"])
def test_max_tokens(srv, field):
    with httpx.Client() as c:
        _, data = stream(c, f"{srv.base_url}/chat/completions",
                         chat_body(stream_options={"include_usage": True}, **{field: 5}))
        chunks = [json.loads(d) for d in data[:-1]]
        assert delta_texts(chunks) == [f"tok{i} " for i in range(5)]
        assert chunks[-2]["choices"][0]["finish_reason"] == "length"
        assert chunks[-1]["usage"]["completion_tokens"] == 5
        _, data = stream(c, f"{srv.base_url}/completions", {"prompt": "x", field: 1000})
        assert len(data) == N + 2
        r = c.post(f"{srv.base_url}/completions", json={"prompt": "x", field: 3})
        assert r.json()["usage"]["completion_tokens"] == 3 and r.json()["choices"][0]["text"] == "tok0 tok1 tok2 "


def test_wrong_model(srv):
    for path in ("/chat/completions", "/completions"):
        r = httpx.post(srv.base_url + path, json={"model": "x", "messages": CHAT, "prompt": "p", "stream": True})
        assert r.status_code == 404
        assert r.json() == {"error": {"message": "The model `x` does not exist.", "type": "invalid_request_error",
                                      "param": None, "code": "model_not_found"}}


def test_bad_requests(srv):
    assert httpx.post(f"{srv.base_url}/chat/completions", content=b"{nope").status_code == 400
    assert httpx.post(f"{srv.base_url}/chat/completions", json={"model": "fake-model"}).status_code == 400
    assert httpx.get(f"{srv.base_url}/chat/completions").status_code == 405
    assert httpx.get(f"{srv.base_url}/nothing").status_code == 404


def test_keep_alive(srv):
    """Several requests, streaming or not, share one pooled connection."""
    with httpx.Client(limits=httpx.Limits(max_connections=1)) as c:
        before = c.get(f"{srv.root_url}/_stats").json()
        ports = set()
        for _ in range(2):
            with c.stream("POST", f"{srv.base_url}/chat/completions", json=chat_body(stream=True)) as r:
                assert events(r)[-1] == "[DONE]"
                ports.add(r.extensions["network_stream"].get_extra_info("client_addr"))
            r = c.post(f"{srv.base_url}/completions", json={"prompt": "x"})
            assert r.status_code == 200
            ports.add(r.extensions["network_stream"].get_extra_info("client_addr"))
        after = c.get(f"{srv.root_url}/_stats").json()
    assert len(ports) == 1
    assert after["connections"] == before["connections"]


def _raw(port: int, request: bytes, timeout: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    return out


def test_connection_close_and_http10(srv):
    """`Connection: close` and HTTP/1.0 get an answer and a closed connection (recv sees EOF)."""
    body = json.dumps(chat_body(stream=True, max_tokens=2)).encode()
    req = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    out = _raw(srv.port, req)
    assert out.startswith(b"HTTP/1.1 200 OK\r\n") and b"Transfer-Encoding: chunked" in out
    assert out.endswith(b"data: [DONE]\n\n\r\n0\r\n\r\n")
    req = (b"POST /v1/chat/completions HTTP/1.0\r\nContent-Type: application/json\r\n"
           b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    out = _raw(srv.port, req)
    assert b"Transfer-Encoding" not in out and b"Connection: close" in out
    assert out.endswith(b"\n\ndata: [DONE]\n\n")  # delimited by the close


def test_no_keepalive():
    with FakeOpenAI(no_keepalive=True, tokens=2) as srv:
        with httpx.Client() as c:
            resp, data = stream(c, f"{srv.base_url}/chat/completions", chat_body())
            assert "transfer-encoding" not in resp.headers and resp.headers["connection"] == "close"
            assert data[-1] == "[DONE]" and len(data) == 5
            assert c.get(f"{srv.base_url}/models").headers["connection"] == "close"
        assert srv.stats()["connections"] == 3


def test_api_key():
    key = "sk-test-not-a-real-key"
    with FakeOpenAI(api_key=key, tokens=2) as srv:
        assert key not in " ".join(srv.argv)  # handed over in the environment, not on the command line
        url = f"{srv.base_url}/chat/completions"
        r = httpx.post(url, json=chat_body())
        assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
        r = httpx.post(url, json=chat_body(), headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 401 and key not in r.text
        assert httpx.get(f"{srv.base_url}/models").status_code == 401
        auth = {"Authorization": f"Bearer {key}"}
        assert httpx.post(url, json=chat_body(), headers=auth).status_code == 200
        assert httpx.get(f"{srv.base_url}/models", headers=auth).status_code == 200
        assert srv.stats()["requests"] == 1  # /_stats needs no key; 401s take no fault slot


def test_non_openai():
    with FakeOpenAI(non_openai=True) as srv:
        for r in (httpx.get(f"{srv.base_url}/models"), httpx.post(f"{srv.base_url}/chat/completions", json=chat_body()),
                  httpx.get(f"http://127.0.0.1:{srv.port}/")):
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/html")
            assert r.text.startswith("<!DOCTYPE html>")


# ---- faults -------------------------------------------------------------------------------------

T = 8  # --tokens for the fault servers


@pytest.fixture
def fault_server(request):
    with FakeOpenAI(fault=request.param, tokens=T, stall_s=5) as server:
        yield server


def _chat_stream(srv: FakeOpenAI) -> list[str]:
    with httpx.Client() as c:
        _, data = stream(c, f"{srv.base_url}/chat/completions", chat_body(stream_options={"include_usage": True}))
    return data


@pytest.mark.parametrize("fault_server", ["500"], indirect=True)
def test_fault_500(fault_server):
    r = httpx.post(f"{fault_server.base_url}/chat/completions", json=chat_body(stream=True))
    assert r.status_code == 500 and r.json()["error"]["type"] == "server_error"


@pytest.mark.parametrize("fault_server", ["429"], indirect=True)
def test_fault_429(fault_server):
    r = httpx.post(f"{fault_server.base_url}/completions", json={"prompt": "x", "stream": True})
    assert r.status_code == 429 and r.headers["retry-after"] == "1"
    assert r.json()["error"]["code"] == "rate_limit_exceeded"


@pytest.mark.parametrize("fault_server", ["reset"], indirect=True)
def test_fault_reset(fault_server):
    got: list[str] = []
    with httpx.Client() as c:
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            with c.stream("POST", f"{fault_server.base_url}/chat/completions", json=chat_body(stream=True)) as r:
                assert r.status_code == 200
                events(r, got)
        chunks = [json.loads(d) for d in got]
        assert chunks[0]["choices"][0]["delta"] == {"role": "assistant"}
        assert delta_texts(chunks) == ["tok0 ", "tok1 ", "tok2 "]
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            c.post(f"{fault_server.base_url}/completions", json={"prompt": "x"})


@pytest.mark.parametrize("fault_server", ["malformed"], indirect=True)
def test_fault_malformed(fault_server):
    data = _chat_stream(fault_server)
    bad = 'data: {"choices": [{"delta": {"content": '[len("data: "):]
    assert data.index(bad) == 3  # role chunk, 2 content chunks, the truncated line
    with pytest.raises(json.JSONDecodeError):
        json.loads(data[3])
    chunks = [json.loads(d) for d in data[:3] + data[4:-1]]
    assert delta_texts(chunks) == [f"tok{i} " for i in range(T)]
    assert chunks[-1]["usage"]["completion_tokens"] == T and data[-1] == "[DONE]"
    r = httpx.post(f"{fault_server.base_url}/completions", json={"prompt": "x"})
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        r.json()


@pytest.mark.parametrize("fault_server", ["empty_choices"], indirect=True)
def test_fault_empty_choices(fault_server):
    data = _chat_stream(fault_server)
    chunks = [json.loads(d) for d in data[:-1]]
    empty = [i for i, c in enumerate(chunks) if c["choices"] == [] and "usage" not in c]
    assert empty == [1 + T // 2]  # after half the content chunks
    assert delta_texts(chunks) == [f"tok{i} " for i in range(T)]
    assert chunks[-1]["usage"]["completion_tokens"] == T and data[-1] == "[DONE]"


@pytest.mark.parametrize("fault_server", ["stall"], indirect=True)
def test_fault_stall(fault_server):
    got: list[str] = []
    with httpx.Client(timeout=httpx.Timeout(5.0, read=0.5)) as c:
        with pytest.raises(httpx.ReadTimeout):
            with c.stream("POST", f"{fault_server.base_url}/chat/completions", json=chat_body(stream=True)) as r:
                assert r.status_code == 200
                events(r, got)
    assert delta_texts([json.loads(d) for d in got]) == ["tok0 ", "tok1 "]


@pytest.mark.parametrize("fault_server", ["never"], indirect=True)
def test_fault_never(fault_server):
    with httpx.Client(timeout=httpx.Timeout(5.0, read=0.5)) as c:
        with pytest.raises(httpx.ReadTimeout):
            c.post(f"{fault_server.base_url}/chat/completions", json=chat_body(stream=True))
        stats = fault_server.stats()
        assert stats["by_fault"] == {"never": 1} and stats["max_in_flight"] == 1
    # The client gave up and closed the connection: the server notices.
    deadline = time.monotonic() + 3
    while fault_server.stats()["in_flight"] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert fault_server.stats()["in_flight"] == 0


@pytest.mark.parametrize("fault_server", ["reasoning"], indirect=True)
def test_fault_reasoning(fault_server):
    data = _chat_stream(fault_server)
    chunks = [json.loads(d) for d in data[:-1]]
    deltas = [c["choices"][0]["delta"] for c in chunks[1:1 + T]]
    assert deltas[:4] == [{"reasoning_content": f"tok{i} "} for i in range(4)]
    assert deltas[4:] == [{"content": f"tok{i} "} for i in range(4, T)]
    usage = chunks[-1]["usage"]
    assert usage["completion_tokens"] == T and usage["completion_tokens_details"] == {"reasoning_tokens": 4}
    msg = httpx.post(f"{fault_server.base_url}/chat/completions", json=chat_body()).json()["choices"][0]["message"]
    assert msg["reasoning_content"] == "tok0 tok1 tok2 tok3 " and msg["content"].startswith("tok4 ")


@pytest.mark.parametrize("fault_server", ["usage_mismatch"], indirect=True)
def test_fault_usage_mismatch(fault_server):
    chunks = [json.loads(d) for d in _chat_stream(fault_server)[:-1]]
    assert len(delta_texts(chunks)) == T
    assert chunks[-1]["usage"]["completion_tokens"] == T + 3


@pytest.mark.parametrize("fault_server", ["no_usage"], indirect=True)
def test_fault_no_usage(fault_server):
    data = _chat_stream(fault_server)
    chunks = [json.loads(d) for d in data[:-1]]
    assert len(delta_texts(chunks)) == T and data[-1] == "[DONE]"
    assert all(c["choices"] for c in chunks) and not any(c.get("usage") for c in chunks)
    assert "usage" not in httpx.post(f"{fault_server.base_url}/completions", json={"prompt": "x"}).json()
    assert fault_server.stats()["include_usage_requested"] == 1


@pytest.mark.parametrize("fault_server", ["multi_token"], indirect=True)
def test_fault_multi_token(fault_server):
    chunks = [json.loads(d) for d in _chat_stream(fault_server)[:-1]]
    assert delta_texts(chunks) == [f"tok{i} tok{i + 1} " for i in range(0, T, 2)]
    assert chunks[-1]["usage"]["completion_tokens"] == T


def test_fault_cycle_and_stats():
    with FakeOpenAI(fault_cycle=["ok", "500", "ok", "429"], tokens=3) as srv:
        with httpx.Client() as c:
            statuses = []
            for i in range(6):
                with c.stream("POST", f"{srv.base_url}/chat/completions",
                              json=chat_body(stream=True, stream_options={"include_usage": i % 2 == 0})) as r:
                    r.read()
                    statuses.append(r.status_code)
            assert c.post(f"{srv.base_url}/chat/completions", json={"model": "x", "messages": CHAT}).status_code == 404
            assert c.get(f"{srv.base_url}/models").status_code == 200
            assert c.post(f"{srv.base_url}/completions", json={"prompt": "x"}).status_code == 200  # slot 7
        assert statuses == [200, 500, 200, 429, 200, 500]
        stats = srv.stats()
    stats.pop("open_connections")  # the client's close may not have been seen yet
    assert stats == {"requests": 7, "by_fault": {"ok": 4, "500": 2, "429": 1}, "include_usage_requested": 3,
                     "in_flight": 0, "max_in_flight": 1,
                     "paths": {"/v1/chat/completions": 7, "/v1/models": 1, "/v1/completions": 1, "/_stats": 1},
                     "connections": 2}


def test_ttft_itl_and_max_in_flight():
    with FakeOpenAI(ttft_ms=200, itl_ms=40, tokens=4) as srv:
        url = f"{srv.base_url}/chat/completions"
        with httpx.Client() as c:
            with c.stream("POST", url, json=chat_body(stream=True)) as r:
                stamps = []
                for line in r.iter_lines():
                    if line.startswith("data: "):
                        stamps.append((time.monotonic(), line))
        chunks = [json.loads(line[6:]) for _, line in stamps[:-1]]
        assert delta_texts(chunks) == [f"tok{i} " for i in range(4)]
        t_role, t_first, t_last = stamps[0][0], stamps[1][0], stamps[4][0]
        assert t_first - t_role >= 0.18  # the role chunk comes at once, the first token after --ttft-ms
        assert t_last - t_first >= 3 * 0.04 * 0.9

        def one() -> None:
            httpx.post(url, json=chat_body(), timeout=10).raise_for_status()

        threads = [threading.Thread(target=one) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stats = srv.stats()
    assert stats["max_in_flight"] == 3 and stats["in_flight"] == 0


# ---- the script and the helper ------------------------------------------------------------------

def test_script_prints_port_and_exits_cleanly():
    script = ROOT / "tests" / "fixtures" / "openai_server.py"
    proc = subprocess.Popen([sys.executable, str(script), "--port", "0", "--no-uvloop"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = proc.stdout.readline()
        assert line.startswith(b"PORT ")
        port = int(line.split()[1])
        assert httpx.get(f"http://127.0.0.1:{port}/v1/models").status_code == 200
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert out == b"" and err == b""  # exactly one line on stdout, nothing else


def test_helper_terminates_and_rejects_bad_options():
    srv = FakeOpenAI(tokens=1)
    with srv:
        proc = srv.proc
    assert proc.returncode == 0 and srv.proc is None
    with pytest.raises(SystemExit):
        FakeOpenAI(fault="explode")
    with pytest.raises(SystemExit):
        FakeOpenAI(fault="ok", fault_cycle=["ok"])


def test_prompt_cache_reports_the_prefix_it_has_seen_in_either_shape():
    def ask(client, base, prompt, **body):
        resp, data = stream(client, f"{base}/completions", {"model": "fake-model", "prompt": prompt,
                                                            "max_tokens": 2, **body})
        assert resp.status_code == 200 and data[-1] == "[DONE]"
        return json.loads(data[-2])  # the last chunk before [DONE]

    with FakeOpenAI(prompt_cache="usage") as s, httpx.Client() as client:
        usage = lambda p: ask(client, s.base_url, p, stream_options={"include_usage": True})["usage"]  # noqa: E731
        assert usage("one two three four")["prompt_tokens_details"] == {"cached_tokens": 0}
        assert usage("one two three four")["prompt_tokens_details"] == {"cached_tokens": 3}  # all but the last
        assert usage("one two five")["prompt_tokens_details"] == {"cached_tokens": 2}
        assert usage("two one")["prompt_tokens_details"] == {"cached_tokens": 0}
        assert s.stats()["prompt_tokens"] == 13 and s.stats()["cached_prompt_tokens"] == 5
    with FakeOpenAI(prompt_cache="timings") as s, httpx.Client() as client:
        first = ask(client, s.base_url, "alpha beta gamma")  # no usage asked for: a chunk of its own
        assert first["choices"] == [] and "usage" not in first
        assert first["timings"] == {"cache_n": 0, "prompt_n": 3, "predicted_n": 2}
        again = ask(client, s.base_url, "alpha beta delta", stream_options={"include_usage": True})
        assert again["timings"]["cache_n"] == 2 and "prompt_tokens_details" not in again["usage"]
        plain = client.post(f"{s.base_url}/completions", json={"model": "fake-model", "prompt": "alpha beta"}).json()
        assert plain["timings"]["cache_n"] == 1
