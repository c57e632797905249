"""``accelmark sweep``: GGUF quants × workload shapes × concurrency levels × settings, one resumable table."""

from __future__ import annotations

import argparse
import json
import sys

_SETTING = "sweep_setting:"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep",
        help="measure a ladder of GGUF quants across workload shapes and concurrency levels",
        description="Run every GGUF file (a file, a folder of them, or ORG/REPO:PATTERN on the Hugging Face Hub) "
        "through llama.cpp at every workload shape, concurrency level and backend setting, REPETITIONS times "
        "each, and print the homelab table (gen tok/s from min to max across shapes), a per-shape table and a "
        "quant table. Finished cells are kept in <results root>/sweeps/NAME/; the same command again measures "
        "only the rest.",
    )
    p.add_argument("models", nargs="+", metavar="MODEL", help="a .gguf file, a folder of them, or "
                   "ORG/REPO[@REV]:PATTERN (a glob such as '*Q4_K*.gguf', or quant names such as Q4_K_M,Q8_0)")
    p.add_argument("--shapes", metavar="NAME|FILE,...", help="workload shapes: short, long-context, long-answer, "
                   "tool-call, or paths of shape files (default: all four)")
    p.add_argument("--levels", metavar="C1,C2,...", help="concurrency levels, sequences decoded at once "
                   "(default: 1,2,4)")
    p.add_argument("--repetitions", type=int, default=5, metavar="N", help="repetitions of every cell (default: 5)")
    p.add_argument("--max-tokens", type=int, metavar="N", help="cap every shape's answer at N tokens (quick looks)")
    p.add_argument("--no-quality", action="store_true", help="skip perplexity and KL divergence")
    p.add_argument("--reference", metavar="FILE", help="the GGUF the quants' KL divergence is measured against "
                   "(default: the ladder's highest-precision file)")
    p.add_argument("--quality-chunks", type=int, default=32, metavar="N",
                   help="perplexity/KLD chunks of the bundled text (default: 32, as llama-perplexity's quick runs)")
    p.add_argument("--quality-ctx", type=int, default=512, metavar="N", help="tokens per chunk (default: 512)")
    p.add_argument("--name", metavar="NAME", help="the sweep folder's name (default: the folder's or first file's)")
    p.add_argument("--runner", metavar="ID", help="llama.cpp runner id or unique prefix (default: best fit)")
    p.add_argument("--output-dir", metavar="RESULTS_ROOT", help="results root (the sweep folder goes in sweeps/)")
    s = p.add_argument_group("settings (each a comma list; every combination is measured, the model loaded once "
                             "per file and combination)")
    s.add_argument("--threads", metavar="N,...", help="CPU threads (default: physical cores)")
    _add_settings(s)
    p.add_argument("--json", action="store_true", help="print the sweep's document as JSON on stdout")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    p.set_defaults(func=run)


def _add_settings(group: argparse._ArgumentGroup) -> None:
    from accelmark_tui.backends.llama_spec import SPEC

    for opt in SPEC.options:
        group.add_argument(opt.cli_flag, dest=_SETTING + opt.name, metavar=opt.hint + ",...",
                           help=f"{opt.help} (a comma list)")


def run(args: argparse.Namespace) -> int:
    from accelmark_tui.backends.llama_spec import SPEC
    from accelmark_tui.errors import UsageError
    from accelmark_tui.sweep import document, matrix
    from accelmark_tui.sweep.run import SweepRequest, parse_levels, run_sweep
    from accelmark_tui.sweep.shapes import parse_shapes

    if args.max_tokens is not None and args.max_tokens < 1:
        raise UsageError("--max-tokens must be at least 1.")
    if args.quality_chunks < 1 or args.quality_ctx < 16:
        raise UsageError("--quality-chunks must be at least 1 and --quality-ctx at least 16 tokens.")
    settings = {k[len(_SETTING):]: v for k, v in vars(args).items() if k.startswith(_SETTING)}
    req = SweepRequest(
        models=args.models, shapes=parse_shapes(args.shapes, args.max_tokens), levels=parse_levels(args.levels),
        repetitions=args.repetitions, settings=matrix.parse_settings(SPEC, settings, args.threads),
        quality=not args.no_quality, reference=args.reference, output_dir=args.output_dir, name=args.name,
        runner=args.runner, quality_chunks=args.quality_chunks, quality_ctx=args.quality_ctx,
    )
    say = (lambda line: None) if args.quiet else (lambda line: print(f"accelmark sweep: {line}", file=sys.stderr,
                                                                      flush=True))

    def on_cell(cell: dict) -> None:
        what = f"{cell['model']} {cell['shape']} c={cell['concurrency']} rep {cell['repetition'] + 1}"
        say(f"  {what}: error: {cell['error']}" if cell.get("error") else
            f"  {what}: {cell['gen_tps']} tok/s gen, {cell['pp_tps']} tok/s pp")

    outcome = run_sweep(req, on_cell=on_cell, on_note=say)
    if outcome.stopped:
        say(f"stopped: {outcome.measured} cell(s) measured and kept in {outcome.folder}; run the same command "
            "again to resume")
    doc = outcome.document | {"folder": str(outcome.folder), "skipped": outcome.skipped,
                              "measured": outcome.measured, "stopped": outcome.stopped}
    if args.json:
        print(json.dumps(doc, indent=1))
    else:
        print(document.markdown(doc))
        print(f"Sweep: {outcome.folder} (sweep.json, sweep.md, sweep.csv, cells.jsonl)")
    return 130 if outcome.stopped else 0
