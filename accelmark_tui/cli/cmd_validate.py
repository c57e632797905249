"""``accelmark validate RUN``: the submission checklist, without sending anything.

Exit status 2 when an item blocks submitting. Only the standard library at
module level; the submit engine loads when the command runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from accelmark_tui.cli import add_run_and_repo


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "validate",
        help="check a run against the leaderboard's rules before submitting",
        description="Check a run folder the way the leaderboard's CI will (schemas, run identity, required files, "
        "number of runs, pinned model revision, every scenario the suite requires, figures matching the run's "
        "samples and digest, accuracy receipt, suite accepted by the target repository). "
        "RUN is a run name, a unique prefix of one, or a run folder. Exit status 2 if anything blocks.",
    )
    add_run_and_repo(p)
    p.add_argument("--output-dir", metavar="ROOT", help="results root (default: accelmark's data folder)")
    p.add_argument("--json", action="store_true", help="print the checklist as JSON")
    p.set_defaults(func=run)


def render_checks(checks: list[Any]) -> str:
    """One line per item; a failing item gets its fix on the next line."""
    lines = []
    for c in checks:
        mark = "✗" if not c.ok else ("!" if c.warning else "✓")
        lines.append(f"  {mark} {c.name}: {c.detail}")
        if not c.ok and c.fix:
            lines.append(f"      fix: {c.fix}")
    return "\n".join(lines)


def out(text: str, stream: Any = None) -> None:
    stream = stream or sys.stdout
    try:
        stream.reconfigure(errors="replace")  # notes may hold characters a legacy console lacks
    except (AttributeError, ValueError):
        pass
    stream.write(text if text.endswith("\n") else text + "\n")


def run(args: argparse.Namespace) -> int:
    from accelmark_tui.paths import results_root
    from accelmark_tui.results.store import find_run
    from accelmark_tui.config import load_settings, profile_or_none
    from accelmark_tui.submit.checklist import blocking, build_checklist

    repo = args.repo or load_settings().submit_repo  # --repo given: settings.json is not read
    rd = find_run(args.run, results_root(args.output_dir))
    profile = profile_or_none()
    checks = build_checklist(rd, repo=repo, login=profile.submitted_by if profile else None)
    bad = blocking(checks)
    if args.json:
        out(json.dumps({"run_dir": str(rd.path), "run_name": rd.run_name, "repo": repo, "ok": not bad,
                        "checks": [c.to_dict() for c in checks]}, indent=2))
    else:
        out(f"{rd.run_name} → {repo}\n{render_checks(checks)}")
    if bad:
        print(f"accelmark: {len(bad)} item(s) block submitting this run; fix them and validate again.", file=sys.stderr)
        return 2
    return 0
