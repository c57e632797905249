"""``accelmark results``: list saved runs, or show one (``results show RUN``).

Only the standard library at module level (fast start-up); the results
package loads when the command runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "results",
        help="list saved runs, or show one (`results show RUN`)",
        description="List the runs saved under the results root, or show one run's tables. "
        "RUN is a run name, a unique prefix of one, or a run folder.",
    )
    parser.add_argument("--output-dir", metavar="ROOT", help="results root (default: accelmark's data folder)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--no-history", action="store_true", help="leave out earlier runs kept by --force")
    parser.set_defaults(func=_list)

    actions = parser.add_subparsers(dest="results_action", metavar="ACTION", parser_class=type(parser))
    show = actions.add_parser("show", help="show one run", description="Show one run: per-scenario tables, "
                              "accuracy and environment, or export it.")
    show.add_argument("run", metavar="RUN", help="run name, unique prefix, or run folder")
    # SUPPRESS: the option may come before or after `show` without one overwriting the other.
    show.add_argument("--output-dir", metavar="ROOT", default=argparse.SUPPRESS, help="results root")
    fmt = show.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="the run's documents as JSON")
    fmt.add_argument("--markdown", action="store_true", help="a Markdown table, one row per measured step")
    fmt.add_argument("--csv", action="store_true", help="CSV, one row per measured step")
    show.set_defaults(func=_show)


def _out(text: str) -> None:
    # Notes may hold characters a legacy console encoding lacks; never crash on output.
    try:
        sys.stdout.reconfigure(errors="replace")  # type: ignore[union-attr]
    except (AttributeError, ValueError):
        pass
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _list(args: argparse.Namespace) -> int:
    from accelmark_tui.paths import results_root
    from accelmark_tui.results.render import render_run_list
    from accelmark_tui.results.store import list_runs

    root = results_root(args.output_dir)
    runs = list_runs(root, include_history=not args.no_history)
    if args.json:
        _out(json.dumps({"root": str(root), "runs": [r.to_dict() for r in runs]}, indent=2))
    else:
        _out(render_run_list(runs, str(root)))
    return 0


def _show(args: argparse.Namespace) -> int:
    from accelmark_tui.paths import results_root
    from accelmark_tui.results.render import render_run, to_csv, to_markdown
    from accelmark_tui.results.store import find_run, load_run, summarize

    root = results_root(getattr(args, "output_dir", None))
    run = load_run(find_run(args.run, root))
    if getattr(args, "json", False):
        _out(json.dumps({
            "summary": summarize(run).to_dict(),
            "result": run.result,
            "scenarios": run.scenarios,
            "env_info": run.env_info,
            "accuracy": run.accuracy,
            "state": run.state.to_dict() if run.state else None,
        }, indent=2))
    elif args.markdown:
        _out(to_markdown(run))
    elif args.csv:
        sys.stdout.write(to_csv(run))
    else:
        _out(render_run(run))
    return 0
