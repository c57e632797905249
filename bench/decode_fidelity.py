"""Decode fidelity: does accelmark measure llama.cpp's decode speed, or its own overhead?

Three measurements on the same model, thread count and prompts, interleaved
(round 1: A B C, round 2: A B C, ...) so drift on a shared machine hits all three:

  A  accelmark: a real ``accelmark run --suite suite_Quick --scenario interactive``
     (CLI, runner child process, load generator, events file), one run per round.
  B  a plain llama-cpp-python streaming loop (``Llama.create_completion(stream=True)``).
  C  llama.cpp's own ``llama-bench -p 0 -n <mean output> -d <mean prompt>`` (static build).
  D  the same llama-bench, built with shared libraries and run on the llama.cpp
     libraries of the installed llama-cpp-python (LD_LIBRARY_PATH): the very
     code accelmark runs. C − D is the build (a position-independent shared
     library vs a static binary), D − A is accelmark.

Decode tok/s of a request = (output tokens − 1) / (end − first token): the
prompt's prefill is excluded, as llama-bench's ``tg`` test excludes it.
Goal: A/C ≥ 0.97; A/D says how much of the gap is accelmark's.

    python bench/decode_fidelity.py [--rounds 3] [--threads N] [--llama-bench PATH] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from accelmark_tui.backends.llama_cpp import physical_cores  # noqa: E402
from accelmark_tui.engine.backend import ModelSpec  # noqa: E402
from accelmark_tui.engine.models import resolve_model  # noqa: E402
from accelmark_tui.paths import cache_dir  # noqa: E402

DATASET = ROOT / "assets/datasets/sharegpt_edge_v1/requests.jsonl"
SUITE = ROOT / "suites/suite_Quick/suite.json"


def workload(n: int | None) -> tuple[list[str], int]:
    """suite_Quick's interactive prompts and max tokens."""
    suite = json.loads(SUITE.read_text())
    n = n or int(suite.get("interactive_request_count", 8))
    prompts = [json.loads(line)["prompt"] for line in DATASET.read_text().splitlines()[:n]]
    return prompts, int(suite.get("output_tokens_max", 64))


def in_thread(fn: Any, *args: Any) -> Any:
    """Run ``fn`` on a fresh thread that ends with it.

    llama.cpp computes on OpenMP; libgomp keeps an idle team for every thread
    that ever ran a parallel region, and with more teams than cores it stops
    spinning at barriers, which made decode ~3x slower. The backend keeps all
    its llama.cpp work on its engine thread; B does the same here, so the main
    thread never owns a team and no round slows the next.
    """
    import threading

    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["v"] = fn(*args)
        except BaseException as exc:  # re-raised on the caller's thread
            box["e"] = exc

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "e" in box:
        raise box["e"]
    return box["v"]


def _decode_tps(first_ns: int, end_ns: int, n_out: int) -> float | None:
    if n_out < 2 or end_ns <= first_ns:
        return None
    return (n_out - 1) / ((end_ns - first_ns) / 1e9)


def accelmark_decode_tps(spec: ModelSpec, prompts: list[str], threads: int, max_tokens: int) -> dict[str, Any]:
    """(A) decode tok/s of a real ``accelmark run --scenario interactive``.

    The whole product: the CLI, the runner child process, the load generator,
    the events file. Per-request decode speed is read back from the run's
    events file (interactive/samples.jsonl), warm-up excluded.
    """
    import tempfile

    with tempfile.TemporaryDirectory(prefix="accelmark-fidelity-") as tmp:
        env = dict(os.environ, ACCELMARK_DATA_DIR=f"{tmp}/data", ACCELMARK_CONFIG_DIR=f"{tmp}/config",
                   ACCELMARK_CACHE_DIR=f"{tmp}/cache", PYTHONPATH=str(ROOT))
        cmd = [sys.executable, "-m", "accelmark_tui", "run", "--suite", "suite_Quick", "--scenario", "interactive",
               "--runs", "1", "--warmup", "1", "--threads", str(threads), "--output-dir", f"{tmp}/out",
               "--quiet", "--json"]
        if spec.path != str(resolve_model(None, None).path):
            cmd += ["--model", spec.path]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
        if proc.returncode != 0:
            raise SystemExit(f"accelmark run failed: {proc.stderr.strip()}")
        run_dir = Path(json.loads(proc.stdout)["run_dir"])
        recs = [json.loads(x) for x in (run_dir / "interactive" / "samples.jsonl").read_text().splitlines()[1:]]
        result = json.loads((run_dir / "result.json").read_text())
    recs = [r for r in recs if r.get("phase") == "measure" and not r.get("error_type")]
    tps = [_decode_tps(r["first_token_ns"], r["end_ns"], r["output_tokens"]) for r in recs]
    tps = [t for t in tps if t]
    cfg = result["task"].get("extra_config") or {}
    return {
        "tps": statistics.fmean(tps), "per_request": tps,
        "mean_output_tokens": statistics.fmean(r["output_tokens"] for r in recs),
        "mean_prompt_tokens": statistics.fmean(r["input_tokens"] for r in recs),
        "extra_bufts": cfg.get("extra_bufts"), "flash_attn_type": cfg.get("flash_attn_type"),
        "decode_tokens_per_sec_in_result": result["metrics"]["interactive"].get("decode_tokens_per_sec"),
    }


def prompt_tokens(spec: ModelSpec, prompts: list[str]) -> list[list[int]]:
    """The exact token lists the backend feeds (chat template + tokenizer), for B."""
    from accelmark_tui.backends.llama_lowlevel import LlamaModel

    m = LlamaModel(spec.path, n_ctx_seq=512, n_seq=1, n_batch=512, threads=1)
    try:
        return [m.tokenize(m.chat_prompt(p), special=True) for p in prompts]
    finally:
        m.free()


def python_stream_tps(spec: ModelSpec, tokens: list[list[int]], threads: int, max_tokens: int,
                      extra_bufts: bool) -> dict[str, Any]:
    """(B) llama-cpp-python's high-level streaming loop, same prompts and settings."""
    import llama_cpp.llama_cpp as C
    from llama_cpp import Llama

    # Llama() has no use_extra_bufts argument; match A's setting (see
    # llama_lowlevel.default_extra_bufts: GCC <= 12 builds crash otherwise on AMX CPUs).
    orig = C.llama_model_default_params

    def params() -> Any:
        p = orig()
        p.use_extra_bufts = extra_bufts
        return p

    C.llama_model_default_params = params
    try:
        llm = Llama(spec.path, n_ctx=2048, n_threads=threads, n_threads_batch=threads, verbose=False)
    finally:
        C.llama_model_default_params = orig
    tps = []
    try:
        for i, toks in enumerate([tokens[0]] + tokens):
            llm.reset()
            first = last = 0
            n = 0
            for _chunk in llm.create_completion(toks, max_tokens=max_tokens, temperature=0.0, stream=True):
                last = time.perf_counter_ns()
                first = first or last
                n += 1  # one chunk per token (a split UTF-8 character may merge two)
            if i and (t := _decode_tps(first, last, n)):
                tps.append(t)
    finally:
        llm.close()
    return {"tps": statistics.fmean(tps), "per_request": tps}


def find_llama_bench(explicit: str | None) -> str | None:
    if explicit:
        return explicit
    tools = os.environ.get("ACCELMARK_TOOLS_DIR") or Path(cache_dir()) / "llama-tools"
    cand = Path(tools) / "llama-bench"
    return str(cand) if cand.is_file() else None


def find_shared_bench() -> tuple[str, dict[str, str]] | None:
    """(D) llama-bench built with shared libraries, and the environment that makes it load the venv's llama.cpp."""
    import llama_cpp

    tools = os.environ.get("ACCELMARK_TOOLS_DIR") or Path(cache_dir()) / "llama-tools"
    binary = Path(tools) / "shared" / "llama-bench"
    if not binary.is_file():
        return None
    libs = Path(llama_cpp.__file__).parent / "lib"
    return str(binary), {"LD_LIBRARY_PATH": f"{binary.parent}:{libs}"}


def llama_bench_tps(binary: str, model: str, threads: int, n_gen: int, depth: int, extra_bufts: bool,
                    env: dict[str, str] | None = None) -> dict[str, Any]:
    """(C, D) llama.cpp's own tg test at the workload's mean depth and length."""
    cmd = [binary, "-m", model, "-t", str(threads), "-p", "0", "-n", str(n_gen), "-d", str(depth),
           "-r", "3", "-o", "json", "--repack", "1" if extra_bufts else "0"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True,
                         env={**os.environ, **(env or {})}).stdout
    test = json.loads(out)[0]
    return {"tps": float(test["avg_ts"]), "std": float(test.get("stddev_ts", 0.0)), "cmd": " ".join(cmd)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="GGUF path (default: the embedded SmolLM2-135M-Instruct)")
    ap.add_argument("--threads", type=int, default=None, help="default: physical cores")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--requests", type=int, default=None, help="default: suite_Quick interactive_request_count")
    ap.add_argument("--llama-bench", dest="llama_bench", help="llama-bench binary (default: the cache dir's)")
    ap.add_argument("--skip-b", action="store_true", help="skip the llama-cpp-python streaming loop")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = ap.parse_args(argv)

    spec = resolve_model(args.model, None)
    threads = args.threads or physical_cores()
    prompts, max_tokens = workload(args.requests)
    tokens = in_thread(prompt_tokens, spec, prompts)
    bench = find_llama_bench(args.llama_bench)
    shared = find_shared_bench()
    runs: dict[str, list[float]] = {"A": [], "B": [], "C": [], "D": []}
    a = {}
    cmd_c = None
    loads: list[float] = []
    for r in range(args.rounds):
        loads.append(os.getloadavg()[0])
        a = accelmark_decode_tps(spec, prompts, threads, max_tokens)
        runs["A"].append(a["tps"])
        if not args.skip_b:
            b = in_thread(python_stream_tps, spec, tokens, threads, max_tokens, bool(a["extra_bufts"]))
            runs["B"].append(b["tps"])
        if bench:
            c = llama_bench_tps(bench, spec.path, threads, max(2, round(a["mean_output_tokens"])),
                                round(a["mean_prompt_tokens"]), bool(a["extra_bufts"]))
            runs["C"].append(c["tps"])
            cmd_c = c["cmd"]
        if shared:
            d = llama_bench_tps(shared[0], spec.path, threads, max(2, round(a["mean_output_tokens"])),
                                round(a["mean_prompt_tokens"]), bool(a["extra_bufts"]), shared[1])
            runs["D"].append(d["tps"])
        if not args.json:
            print(f"round {r + 1}: " + "  ".join(f"{k}={v[-1]:.1f}" for k, v in runs.items() if v), file=sys.stderr)
    mean = {k: statistics.fmean(v) for k, v in runs.items() if v}
    # On a shared machine a busy spell hits one round: the ratio of A to B/C
    # within each round (same conditions) and their median are the robust figures.
    per_round = {f"A/{k}": [a_ / x for a_, x in zip(runs["A"], runs[k])] for k in ("B", "C", "D") if runs[k]}
    median_ratio = {k: statistics.median(v) for k, v in per_round.items()}
    report = {
        "model": spec.path, "model_id": spec.model_id, "threads": threads, "rounds": args.rounds,
        "requests": len(prompts), "max_tokens": max_tokens,
        "mean_output_tokens": a.get("mean_output_tokens"), "mean_prompt_tokens": a.get("mean_prompt_tokens"),
        "extra_bufts": a.get("extra_bufts"), "tps": mean, "runs": runs,
        "ratio_A_B": mean["A"] / mean["B"] if "B" in mean else None,
        "ratio_A_C": mean["A"] / mean["C"] if "C" in mean else None,
        "ratio_A_D": mean["A"] / mean["D"] if "D" in mean else None,
        "ratio_per_round": per_round, "ratio_median": median_ratio, "loadavg_1m_per_round": loads,
        "llama_bench_cmd": cmd_c, "goal_A_C": 0.97,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"model {spec.model_id} ({Path(spec.path).name}), threads {threads}, {len(prompts)} requests x {args.rounds} rounds, "
          f"mean prompt {report['mean_prompt_tokens']:.0f} tok, mean output {report['mean_output_tokens']:.1f} tok, "
          f"extra_bufts {report['extra_bufts']}")
    labels = {"A": "accelmark run (interactive)", "B": "llama-cpp-python stream", "C": "llama-bench tg",
              "D": "llama-bench tg, same libs"}
    for k, v in mean.items():
        print(f"  {k} {labels[k]:<28} {v:8.1f} tok/s   runs: {', '.join(f'{x:.1f}' for x in runs[k])}")
    for k, v in per_round.items():
        ratio_of_means = report["ratio_A_" + k[-1]]
        print(f"  {k} = {median_ratio[k]:.3f} median of rounds ({', '.join(f'{x:.3f}' for x in v)}); "
              f"ratio of means {ratio_of_means:.3f}" + ("  (goal >= 0.97)" if k == "A/C" else ""))
    print(f"  1-min load average before each round: {', '.join(f'{x:.2f}' for x in loads)}")
    if "C" in mean:
        print(f"  C command: {cmd_c}")
    if not runs["C"]:
        print("  C skipped: no llama-bench (build it with bench/build_llama_tools.sh or pass --llama-bench)")
    if not runs["D"]:
        print("  D skipped: no shared llama-bench (build it with bench/build_llama_tools.sh --shared-bench)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
