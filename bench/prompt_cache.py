"""Does llama-server's prompt cache still flatter accelmark's sweep figures?

The same `accelmark run --runner other_openai_endpoint --scenario sweep --levels 1,2,4` runs
against a fresh real llama-server (built by bench/build_llama_tools.sh, on the embedded
SmolLM2 GGUF) started twice per round, once with its prompt cache on (the default) and once
off (`--no-cache-prompt --cache-ram 0`), interleaved on, off, on, off so drift on the machine
hits both alike. Per round it prints the top level's output tok/s, TTFT p50 and the share of
prompt tokens the server says it served from its cache (`timings.cache_n` /
`cached_tokens`), then the ratio on/off of the top level's tok/s with its spread over the
rounds. Issue 11 found 119.9 tok/s (on) against 65.6 (off) at concurrency 4 when every level
re-sent the same 8 prompts; with prompts drawn without replacement the cache can only serve the
chat template's shared lead (SmolLM2's default system prompt, 24 tokens: a sixth or so of the
edge dataset's short prompts), so the ratio should sit near 1 and accelmark's figures measure
prefill and decode, not the cache.

    python bench/prompt_cache.py [--rounds 3] [--requests 32] [--levels 1,2,4] [--threads N] [--json]
    python bench/prompt_cache.py --rounds 1 --requests 4      # smoke check (~2 minutes on 2 cores)
    python bench/prompt_cache.py --checkout /path/to/older/worktree   # the same figures from another version
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from accelmark_tui.engine.models import embedded_model_path  # noqa: E402

TOOLS_DIR = Path(os.environ.get("ACCELMARK_TOOLS_DIR") or Path.home() / ".cache" / "accelmark" / "llama-tools")
# Off: no slot KV reuse between requests (cache_prompt) and no host-RAM prompt cache either.
CACHE_OFF = ["--no-cache-prompt", "--cache-ram", "0"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, n: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError as exc:
        return f"(no log: {exc})"


class Server:
    """llama-server on 127.0.0.1, flags as tests/e2e/test_endpoint_llama_server.py uses them."""

    def __init__(self, binary: Path, gguf: Path, threads: int, cache: bool, log: Path) -> None:
        self.port = _free_port()
        self.log = log
        # --no-repack: GCC <= 12 builds die in llama.cpp's AMX matmul on AMX CPUs (docs/amx.md, the e2e test).
        argv = [str(binary), "-m", str(gguf), "--host", "127.0.0.1", "--port", str(self.port), "-np", "4",
                "-c", "4096", "-t", str(threads), "--no-repack", "--no-webui", *([] if cache else CACHE_OFF)]
        with open(log, "wb") as fh:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        self.base_url = f"http://127.0.0.1:{self.port}/v1"

    def wait_ready(self, timeout_s: float = 120.0) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"llama-server exited with {self.proc.returncode}:\n{_tail(self.log)}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"llama-server did not answer in {timeout_s:g} s:\n{_tail(self.log)}")
            time.sleep(0.25)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def sweep(base_url: str, home: Path, levels: str, requests: int, checkout: Path = ROOT) -> dict:
    """One `accelmark run` of the sweep (the accelmark in ``checkout``); returns metrics.sweep of its result."""
    env = dict(os.environ, ACCELMARK_DATA_DIR=str(home / "data"), ACCELMARK_CONFIG_DIR=str(home / "config"),
               ACCELMARK_CACHE_DIR=str(home / "cache"), PYTHONPATH=str(checkout))
    cmd = [sys.executable, "-m", "accelmark_tui", "run", "--runner", "other_openai_endpoint", "--base-url", base_url,
           "--scenario", "sweep", "--levels", levels, "--requests", str(requests), "--runs", "1",
           "--output-dir", str(home / "results"), "--json"]
    # cwd too: `python -m` puts the working folder ahead of PYTHONPATH.
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600, stdin=subprocess.DEVNULL,
                          cwd=checkout)
    if proc.returncode != 0:
        raise SystemExit(f"accelmark run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    run_dir = Path(json.loads(proc.stdout)["run_dir"])
    return json.loads((run_dir / "result.json").read_text())["metrics"]["sweep"]


def measure(binary: Path, gguf: Path, threads: int, cache: bool, work: Path, levels: str, requests: int,
            checkout: Path = ROOT) -> dict:
    work.mkdir(parents=True)
    srv = Server(binary, gguf, threads, cache, work / "server.log")
    try:
        srv.wait_ready()
        block = sweep(srv.base_url, work, levels, requests, checkout)
    finally:
        srv.stop()
    top = max(block["points"], key=lambda p: p["concurrency"])
    return {"cache": "on" if cache else "off", "concurrency": top["concurrency"],
            "tok_s": top["output_tokens_per_sec"], "ttft_p50_ms": top["ttft_ms_p50"],
            "cache_share": top.get("prompt_cache_share"),
            "cache_share_by_level": {p["concurrency"]: p.get("prompt_cache_share") for p in block["points"]},
            "failed": sum(p["failed"] for p in block["points"]), "prompt_reuse": block.get("prompt_reuse")}


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v * 100:.1f}%"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3, help="on/off pairs, interleaved (default 3)")
    ap.add_argument("--requests", type=int, default=32, help="measured requests per level (default 32)")
    ap.add_argument("--levels", default="1,2,4", help="sweep concurrency levels (default 1,2,4)")
    ap.add_argument("--threads", type=int, default=max(1, (os.cpu_count() or 2) - 1),
                    help="llama-server -t (default: all cores but one, left to the client)")
    ap.add_argument("--server", type=Path, default=TOOLS_DIR / "llama-server", help="llama-server binary")
    ap.add_argument("--json", action="store_true", help="print the rounds and the ratio as JSON")
    ap.add_argument("--checkout", type=Path, default=ROOT,
                    help="the accelmark source tree to run (default this one; e.g. a worktree of an older commit "
                         "to show the figures before prompts were drawn without replacement)")
    args = ap.parse_args(argv)
    if args.rounds < 1 or args.requests < 1:
        ap.error("--rounds and --requests must be at least 1")
    if not os.access(args.server, os.X_OK):
        ap.error(f"{args.server} is not an executable; build it with bench/build_llama_tools.sh")
    gguf = embedded_model_path()
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="accelmark-prompt-cache-") as tmp:
        for rnd in range(args.rounds):
            for cache in (True, False):
                row = measure(args.server, gguf, args.threads, cache, Path(tmp) / f"r{rnd}-{cache}",
                              args.levels, args.requests, args.checkout.resolve())
                row["round"] = rnd + 1
                rows.append(row)
                if not args.json:
                    print(f"round {row['round']} cache {row['cache']:>3}: c={row['concurrency']} "
                          f"{row['tok_s']:.1f} tok/s, TTFT p50 {row['ttft_p50_ms']:.0f} ms, "
                          f"cache share {_pct(row['cache_share'])} (by level: "
                          f"{', '.join(f'c={c} {_pct(s)}' for c, s in row['cache_share_by_level'].items())}), "
                          f"failed {row['failed']}", flush=True)
    ratios = [on["tok_s"] / off["tok_s"] for on, off in zip(rows[::2], rows[1::2]) if on["tok_s"] and off["tok_s"]]
    summary = {"ratio_on_off": ratios, "median": statistics.median(ratios) if ratios else None,
               "min": min(ratios, default=None), "max": max(ratios, default=None),
               "stdev": statistics.stdev(ratios) if len(ratios) > 1 else None}
    if args.json:
        print(json.dumps({"rounds": rows, "summary": summary}, indent=1))
    elif ratios:
        spread = f"range {summary['min']:.3f}-{summary['max']:.3f}" + (
            f", stdev {summary['stdev']:.3f}" if summary["stdev"] is not None else "")
        print(f"tok/s at c={rows[0]['concurrency']}, cache on / off: median {summary['median']:.3f} "
              f"({spread}; {len(ratios)} round{'s' if len(ratios) > 1 else ''})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
