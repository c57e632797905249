"""``accelmark run``: a benchmark run, headless, with live progress on stderr."""

from __future__ import annotations

import argparse
import sys
import threading


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="run a benchmark suite (default: the quick suite on the embedded model)",
        description="Detect this machine, pick the best runner (or --runner), run the suite's scenarios "
        "on a real model and write a leaderboard-shaped result folder.",
    )
    p.add_argument("--runner", metavar="ID", help="runner id or unique prefix (default: best fit for this machine)")
    p.add_argument("--suite", metavar="ID", help="suite id (default: suite_Quick)")
    p.add_argument("--model", metavar="PATH|ORG/REPO:FILE.gguf",
                   help="local GGUF file or a Hugging Face file (default: the embedded SmolLM2-135M-Instruct)")
    p.add_argument("--scenario", default="default", metavar="default|all|NAME",
                   help="scenarios to run: the suite's default set, all, or names (comma-separated)")
    p.add_argument("--runs", type=int, metavar="N", help="repeated runs per scenario (default: the suite's num_runs)")
    p.add_argument("--warmup", type=int, metavar="N", help="warm-up requests before each level (excluded from results)")
    p.add_argument("--threads", type=int, metavar="N", help="CPU threads (default: physical cores, as llama.cpp's tools)")
    p.add_argument("--max-tokens", type=int, metavar="N", help=argparse.SUPPRESS)
    p.add_argument("--tier", default="community", choices=["community", "verified"], help="results tier")
    p.add_argument("--submitter", metavar="LOGIN", help="GitHub login recorded as submitted_by (default: profile)")
    p.add_argument("--output-dir", metavar="RESULTS_ROOT", help="results root (the run folder is created below it)")
    p.add_argument("--force", action="store_true", help="measure again; the earlier run is archived, not deleted")
    p.add_argument("--json", action="store_true", help="print the outcome as JSON on stdout")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

    from accelmark_tui.cli.progress import ProgressPrinter
    from accelmark_tui.engine.session import RunRequest, RunSession

    req = RunRequest(
        runner=args.runner, suite=args.suite, model=args.model, scenario=args.scenario, runs=args.runs,
        warmup=args.warmup, threads=args.threads, max_tokens=args.max_tokens, tier=args.tier,
        submitter=args.submitter, output_dir=args.output_dir, force=args.force,
    )
    session = RunSession(req)
    session.prepare()
    printer = None if args.quiet else ProgressPrinter(session, sys.stderr)
    if printer:
        printer.header()
        threading.Thread(target=printer.loop, name="progress", daemon=True).start()
    try:
        outcome = session.execute()
    finally:
        if printer:
            printer.close()
    if args.json:
        print(json.dumps({"status": outcome.status, "run_dir": str(outcome.run_dir),
                          "scenarios_done": outcome.scenarios_done}))
    else:
        if printer:
            printer.summary(outcome)
        print(outcome.message)
    return 0 if outcome.status in ("complete", "already-complete") else 2
