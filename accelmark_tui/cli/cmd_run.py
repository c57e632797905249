"""``accelmark run``: a benchmark run, headless, with live progress on stderr."""

from __future__ import annotations

import argparse
import sys
import threading


def register(sub: argparse._SubParsersAction) -> None:
    from accelmark_tui.catalog import DEFAULT_SUITE  # the package only: no catalog is read

    p = sub.add_parser(
        "run",
        help="run a benchmark suite (default: the quick suite on the embedded model)",
        description="Detect this machine, pick the best runner (or --runner), run the suite's scenarios "
        "on a real model and write a leaderboard-shaped result folder.",
    )
    p.add_argument("--runner", metavar="ID", help="runner id or unique prefix (default: best fit for this machine)")
    p.add_argument("--suite", metavar="ID", help=f"suite id (default: {DEFAULT_SUITE})")
    p.add_argument("--model", metavar="PATH|ORG/REPO:FILE.gguf|ORG/NAME",
                   help="what the runner's backend reads (`accelmark runners --json`: model_formats): a GGUF file or "
                   "ORG/REPO[@REV]:FILE.gguf for llama.cpp (default: the embedded SmolLM2-135M-Instruct); a Hugging "
                   "Face folder or ORG/NAME[@REV] for mlx-lm; the served model's name for the endpoint runner")
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
    load = p.add_argument_group("load shape (any runner; sweep and peak are accelmark's own scenarios)")
    load.add_argument("--arrival", default="poisson", choices=["poisson", "constant"],
                      help="open-loop arrivals of the online scenario (default: poisson)")
    load.add_argument("--levels", type=_int_list, metavar="C1,C2,...", help="concurrency levels of --scenario sweep")
    load.add_argument("--requests", type=int, metavar="N", help="requests per sweep level or peak-search trial")
    load.add_argument("--sla-ttft-ms", type=float, metavar="MS", help="p99 TTFT limit (peak search, goodput)")
    load.add_argument("--sla-tpot-ms", type=float, metavar="MS", help="p99 TPOT limit (peak search, goodput)")
    load.add_argument("--peak-start", type=float, metavar="QPS", help="first rate the peak search tries")
    load.add_argument("--peak-max", type=float, metavar="QPS", help="highest rate the peak search may try")
    add_backend_options(p)
    p.add_argument("--json", action="store_true", help="print the outcome as JSON on stdout")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    p.set_defaults(func=run)


_PASS_THROUGH = ("arrival", "levels", "requests", "sla_ttft_ms", "sla_tpot_ms", "peak_start", "peak_max")
_OPTION_DEST = "backend_option:"


def add_backend_options(p: argparse.ArgumentParser) -> None:
    """One argument group per registered backend, generated from its spec's options. Values stay text
    here: the session parses them with the runner's spec (Option.parse), so a bad one is its sentence."""
    from accelmark_tui.backends.registry import all_specs

    taken: set[str] = set()
    for spec in all_specs():
        group = p.add_argument_group(spec.title or f"{spec.name} options")
        for opt in spec.options:
            if opt.cli_flag in taken:  # two backends with one option: one flag, checked by the runner's spec
                continue
            taken.add(opt.cli_flag)
            default = "" if opt.default is None else f" (default {opt.default:g})" if isinstance(opt.default, float) \
                else f" (default {opt.default})"
            group.add_argument(opt.cli_flag, dest=_OPTION_DEST + opt.name, metavar=opt.hint, help=opt.help + default)


def backend_options(args: argparse.Namespace) -> dict[str, str]:
    """The backend options given on the command line, by option name (as typed)."""
    return {k[len(_OPTION_DEST):]: v for k, v in vars(args).items() if k.startswith(_OPTION_DEST) and v is not None}


def _int_list(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a comma-separated list of whole numbers") from None


def _leaderboard_note(session) -> str | None:
    """Why this run's result will not be submittable (and what could be from this machine), or None."""
    from accelmark_tui.catalog.leaderboard import run_note
    from accelmark_tui.catalog.matrix import fit_matrix
    from accelmark_tui.catalog.runners import discover_runners
    from accelmark_tui.catalog.suites import discover_suites

    done = session.state.scenarios_done  # a resumed folder keeps what an earlier run measured
    return run_note(fit_matrix(session.machine, discover_runners(), discover_suites()), session.suite.id,
                    [*done, *session.scenarios])


def run(args: argparse.Namespace) -> int:
    import json

    from accelmark_tui.cli.progress import ProgressPrinter
    from accelmark_tui.engine.session import RunRequest, RunSession

    req = RunRequest(
        runner=args.runner, suite=args.suite, model=args.model, scenario=args.scenario, runs=args.runs,
        warmup=args.warmup, threads=args.threads, max_tokens=args.max_tokens, tier=args.tier,
        submitter=args.submitter, output_dir=args.output_dir, force=args.force,
        options=backend_options(args), **{k: getattr(args, k) for k in _PASS_THROUGH},
    )
    session = RunSession(req)
    session.prepare()
    printer = None if args.quiet else ProgressPrinter(session, sys.stderr)
    if printer:
        printer.header(_leaderboard_note(session))
        threading.Thread(target=printer.loop, name="progress", daemon=True).start()
    try:
        outcome = session.execute()
    finally:
        if printer:
            printer.close()
    if args.json:
        print(json.dumps({"status": outcome.status, "run_dir": str(outcome.run_dir),
                          "scenarios_done": outcome.scenarios_done, "scenarios_partial": outcome.scenarios_partial}))
    else:
        if printer:
            printer.summary(outcome)
        print(outcome.message)
    return 0 if outcome.status in ("complete", "already-complete") else 2
