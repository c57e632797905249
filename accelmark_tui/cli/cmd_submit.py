"""``accelmark submit RUN``: validate, fork, branch, commit and open the PR.

``--dry-run`` shows the checklist, the files and the PR text and never calls
GitHub. Without ``--yes`` it asks on a terminal and refuses without one.
Progress goes to stderr so ``--json`` stdout stays one document. Only the
standard library at module level.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from accelmark_tui.cli import add_run_and_repo


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "submit",
        help="submit a run to the leaderboard as a GitHub pull request",
        description="Validate a run, fork the leaderboard repository, commit the result on a branch and open (or "
        "update) the pull request. The token comes from GITHUB_TOKEN, GH_TOKEN or `gh auth token` and is never "
        "stored. RUN is a run name, a unique prefix of one, or a run folder.",
    )
    add_run_and_repo(p)
    p.add_argument("--api-url", metavar="URL", help="GitHub API base URL, for GitHub Enterprise (default: "
                   "$ACCELMARK_GITHUB_API or https://api.github.com)")
    p.add_argument("--output-dir", metavar="ROOT", help="results root (default: accelmark's data folder)")
    p.add_argument("--dry-run", action="store_true", help="show the checklist, files and PR text; call nothing")
    p.add_argument("--yes", "-y", action="store_true", help="submit without the confirming prompt")
    p.add_argument("--json", action="store_true", help="print the outcome as JSON on stdout")
    p.set_defaults(func=run)


def _checklist(plan: Any) -> str:
    from accelmark_tui.cli.cmd_validate import render_checks

    return "\n".join([f"Checklist for {plan.run_name}:", render_checks(plan.checks)])


def _sending(plan: Any) -> str:
    """Files, branch and PR text; marked as not sendable yet when an item blocks."""
    if plan.bundle is None:
        return plan.withheld
    parts = ["", "Not sendable yet: this is what goes once the ✗ items above are fixed."] if not plan.ok else []
    head = "Files (runners/ ones only if the repository lacks the runner):" if plan.bundle.runner_files else "Files:"
    parts += ["", head, *[f"  {f}" for f in plan.files()], ""]
    if plan.login_pending:
        parts += ["Submitter: your GitHub login (from GITHUB_TOKEN, GH_TOKEN or `gh auth token`) is stamped into the "
                  "run when submitting, which changes its run id, run name and branch."]
    parts += [f"Branch: {plan.branch}" + (" (before the login is stamped)" if plan.login_pending else ""),
              f"PR title: {plan.title}", "", plan.body]
    return "\n".join(parts)


def _preview(plan: Any) -> str:
    return _checklist(plan) + "\n" + _sending(plan)


def _ask_token() -> Any:
    """The token, pasted on the terminal (hidden, kept in memory only); none pasted: how to get one."""
    import getpass

    from accelmark_tui.submit.auth import HOW_TO_GET_ONE, MissingToken, Token

    sys.stderr.write("\nNo GitHub token in GITHUB_TOKEN, GH_TOKEN or `gh auth token`. Paste one (public_repo scope; "
                     "hidden, never stored), or press Enter to stop.\n")
    try:
        value = getpass.getpass("GitHub token: ", stream=sys.stderr)
    except (EOFError, KeyboardInterrupt):
        value = ""
    if not value.strip():
        raise MissingToken(HOW_TO_GET_ONE)
    return Token(value, "the terminal")


def _confirm(question: str) -> bool:
    sys.stderr.write(question)
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


def run(args: argparse.Namespace) -> int:
    from accelmark_tui.cli.cmd_validate import out
    from accelmark_tui.errors import UsageError
    from accelmark_tui.paths import results_root
    from accelmark_tui.results.store import find_run
    from accelmark_tui.config import load_settings, profile_or_none
    from accelmark_tui.submit import DEFAULT_API, ENV_API
    from accelmark_tui.errors import SubmitBlocked
    from accelmark_tui.submit.flow import blocked_sentence, plan, submit

    repo = args.repo or load_settings().submit_repo  # --repo given: settings.json is not read
    api_url = args.api_url or os.environ.get(ENV_API) or DEFAULT_API
    rd = find_run(args.run, results_root(args.output_dir))

    if args.dry_run:
        result = submit(rd, repo=repo, dry_run=True)
        if args.json:
            out(json.dumps({**result.to_dict(), "dry_run": True}, indent=2))
        else:
            out(_preview(result.plan) + "\nDry run: nothing was sent.")
        if not result.plan.ok:
            print(f"accelmark: {blocked_sentence(result.plan.checks)}", file=sys.stderr)
            return 2
        return 0

    # Refuse before any network call or change to the folder.
    interactive = sys.stdin.isatty() and sys.stderr.isatty()
    if not args.yes and not interactive:
        raise UsageError("Submitting needs a confirmation and there is no terminal to ask on; pass --yes to submit "
                         "without a prompt.")

    from accelmark_tui.submit.auth import HOW_TO_GET_ONE, MissingToken, find_token
    from accelmark_tui.submit.checklist import blocking
    from accelmark_tui.submit.github import GitHubClient

    # The checklist first, from this machine alone: what blocks is known before a token is asked for.
    profile = profile_or_none()
    submission_type = profile.submission_type if profile else None
    local = plan(rd, repo=repo, login=profile.submitted_by if profile else None, submission_type=submission_type)
    if not args.yes:
        out(_checklist(local), sys.stderr)
    if [c for c in blocking(local.checks) if c.name != "submitter"]:  # the token's login settles "submitter"
        if args.yes:
            out(_checklist(local), sys.stderr)
        else:
            out(_sending(local), sys.stderr)
        raise SubmitBlocked(blocked_sentence(local.checks), local.checks)

    token = find_token() or (_ask_token() if not args.yes else None)
    if token is None:
        raise MissingToken(HOW_TO_GET_ONE)
    timeout = float(os.environ.get("ACCELMARK_GITHUB_TIMEOUT") or 20)
    with GitHubClient(token, api_url, timeout=timeout) as client:
        if not args.yes:
            login = client.user_login()
            preview = plan(rd, repo=repo, login=login, submission_type=submission_type)
            if [c.to_dict() for c in preview.checks] != [c.to_dict() for c in local.checks]:
                out(f"\nAs @{login}:\n" + _checklist(preview), sys.stderr)
            out(_sending(preview), sys.stderr)
            if not preview.ok:
                raise SubmitBlocked(blocked_sentence(preview.checks), preview.checks)
            if not _confirm(f"\nSubmit {preview.run_name} to {repo} as @{login}? [y/N] "):
                print("accelmark: Nothing was sent.", file=sys.stderr)
                return 1

        def on_step(name: str, status: str, detail: str) -> None:
            if status == "start":
                return
            mark = {"ok": "✓", "fail": "✗"}.get(status, "·")
            sys.stderr.write(f"  {mark} {name}" + (f": {detail}" if detail else "") + "\n")

        try:
            result = submit(rd, repo=repo, client=client, on_step=on_step)
        except SubmitBlocked as exc:
            from accelmark_tui.cli.cmd_validate import render_checks

            out(render_checks(exc.checks), sys.stderr)
            raise
    if args.json:
        out(json.dumps(result.to_dict(), indent=2))
    else:
        verb = "opened" if result.created else "updated"
        out(f"Pull request {verb}: {result.pr_url}")
    return 0
