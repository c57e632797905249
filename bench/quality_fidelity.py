"""Quality fidelity: are accelmark's perplexity and KL divergence llama-perplexity's?

On a ladder of the embedded model (``engine/ladder.py``: F16 source, llama.cpp quantizations)
and the bundled text (assets/quality/ppl_text.txt), in the same run:

  A  accelmark: ``backends/llama_quality.perplexity`` and ``kl_divergence`` against the F16 file
     (reference cached as engine/quality.py states).
  B  llama.cpp's own ``llama-perplexity`` on the same file, text, context and chunk count:
     ``-f TEXT -c N --chunks K`` for PPL; ``--kl-divergence-base`` on the F16 file, then
     ``--kl-divergence`` on each quant (full-vocabulary reference, uint16-scaled).

Printed per file: A/B for PPL (goal: within 0.5 %), mean KLD (goal: within 2 %), p99 KLD,
Δp and top-1 agreement. llama-perplexity comes from bench/build_llama_tools.sh (or --tool).

    python bench/quality_fidelity.py [--n-ctx 512] [--chunks 32] [--types F16,Q8_0,Q5_0,Q4_0]
                                     [--threads N] [--tool PATH] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from accelmark_tui.backends import llama_quality as LQ  # noqa: E402
from accelmark_tui.backends.llama_cpp import physical_cores  # noqa: E402
from accelmark_tui.engine import quality as Q  # noqa: E402
from accelmark_tui.engine.ladder import DEFAULT_TYPES, build_ladder  # noqa: E402
from accelmark_tui.paths import cache_dir  # noqa: E402

TEXT = ROOT / "assets" / Q.TEXT_ASSET
_NUM = r"([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"


def find_tool(explicit: str | None) -> str | None:
    if explicit:
        return explicit if Path(explicit).is_file() else None
    tools = os.environ.get("ACCELMARK_TOOLS_DIR") or Path(cache_dir()) / "llama-tools"
    cand = Path(tools) / "llama-perplexity"
    return str(cand) if cand.is_file() else None


def llama_perplexity(tool: str, model: Path, args: argparse.Namespace, *extra: str) -> str:
    # -b = -c: one chunk a batch (n_seq 1), as accelmark evaluates; the figures do not depend on it.
    cmd = [tool, "-m", str(model), "-f", str(TEXT), "-c", str(args.n_ctx), "-b", str(args.n_ctx),
           "--chunks", str(args.chunks), "-t", str(args.threads), "-ngl", "0", *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}): {out.strip().splitlines()[-1:]}")
    return out


def grab(pattern: str, text: str) -> float:
    m = re.search(pattern, text)
    if not m:
        raise SystemExit(f"llama-perplexity printed no line matching {pattern!r}")
    return float(m.group(1))


def reference_figures(tool: str, files: dict[str, Path], ref: str, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = str(Path(tmp) / "base.kld")
        text = llama_perplexity(tool, files[ref], args, "--kl-divergence-base", base)
        out[ref] = {"ppl": grab(r"Final estimate: PPL = " + _NUM, text)}
        for t, path in files.items():
            if t == ref:
                continue
            text = llama_perplexity(tool, path, args, "--kl-divergence-base", base, "--kl-divergence")
            out[t] = {
                "ppl": grab(r"Mean PPL\(Q\)\s*:\s*" + _NUM, text),
                "kld_mean": grab(r"Mean\s+KLD:\s*" + _NUM, text),
                "kld_p99": grab(r"99\.0%\s+KLD:\s*" + _NUM, text),
                "dp_mean": grab(r"Mean\s+Δp:\s*" + _NUM, text) / 100,
                "top1_agreement": grab(r"Same top p:\s*" + _NUM, text) / 100,
            }
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-ctx", type=int, default=Q.N_CTX)
    ap.add_argument("--chunks", type=int, default=Q.MAX_CHUNKS)
    ap.add_argument("--types", default=",".join(DEFAULT_TYPES))
    ap.add_argument("--threads", type=int, default=physical_cores())
    ap.add_argument("--ladder-dir", type=Path, default=Path(cache_dir()) / "ladder")
    ap.add_argument("--tool", help="llama-perplexity (default: the one bench/build_llama_tools.sh built)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    tool = find_tool(args.tool)
    if not tool:
        sys.exit("llama-perplexity not found; build it with bench/build_llama_tools.sh or pass --tool PATH.")
    types = tuple(t.strip().upper() for t in args.types.split(","))
    files = build_ladder(args.ladder_dir, types, threads=args.threads)
    ref = types[0]
    text = TEXT.read_text(encoding="utf-8")
    small = {"n_ctx": args.n_ctx, "max_chunks": args.chunks, "threads": args.threads}

    ours: dict[str, dict[str, Any]] = {ref: LQ.perplexity(files[ref], text, **small)}
    for t, path in files.items():
        if t != ref:
            ours[t] = LQ.kl_divergence(path, files[ref], text, **small)
    theirs = reference_figures(tool, files, ref, args)

    rows = []
    for t in files:
        row: dict[str, Any] = {"type": t}
        for key in ("ppl", "kld_mean", "kld_p99", "dp_mean", "top1_agreement"):
            a, b = ours[t].get(key), theirs[t].get(key)
            if a is None or b is None:
                continue
            row[key] = {"accelmark": a, "llama_perplexity": b, "ratio": (a / b) if b else None}
        rows.append(row)
    doc = {"n_ctx": args.n_ctx, "chunks": args.chunks, "threads": args.threads,
           "method": Q.METHOD, "rows": rows}
    if args.json:
        print(json.dumps(doc, indent=2))
        return 0
    print(f"n_ctx {args.n_ctx}, {args.chunks} chunks, {args.threads} threads; reference {ref}; {Q.METHOD}")
    print(f"{'type':6} {'PPL ratio':>10} {'KLD ratio':>10} {'p99 ratio':>10} {'Δp a/b':>16} {'top-1 a/b':>16}")
    for row in rows:
        def r(k: str) -> str:
            v = row.get(k)
            return f"{v['ratio']:.4f}" if v and v["ratio"] is not None else "-"

        def pair(k: str, scale: float) -> str:
            v = row.get(k)
            return f"{v['accelmark'] * scale:.3f}/{v['llama_perplexity'] * scale:.3f}" if v else "-"

        print(f"{row['type']:6} {r('ppl'):>10} {r('kld_mean'):>10} {r('kld_p99'):>10} "
              f"{pair('dp_mean', 100):>16} {pair('top1_agreement', 100):>16}")
    print("goals: PPL ratio within 0.995-1.005, KLD ratio within 0.98-1.02")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
