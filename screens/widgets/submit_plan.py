"""What the submit screen shows: the plan as Rich renderables, the status and account lines.

Pure Python (no Textual): the checklist, the files and the pull request's
words all come from the submit engine's ``Plan`` (``flow.plan``, the same one
``accelmark submit --dry-run`` prints); nothing is recomputed here. Colours
are the app theme's, passed in, so the screen reads on dark and light.
"""

from __future__ import annotations

from typing import Any, Mapping

from rich.console import Group
from rich.table import Table
from rich.text import Text

OK, MISSING, NOTE = "✓", "✗", "!"


def mark_of(check: Any) -> str:
    return MISSING if not check.ok else NOTE if check.warning else OK


def checks_table(checks: list[Any], colours: Mapping[str, str]) -> Table:
    """One row per checklist item; a failing one says how to fix it, dimmed, under it."""
    style = {OK: colours["success"], MISSING: colours["error"], NOTE: colours["warning"]}
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for check in checks:
        mark = mark_of(check)
        body = Text(f"{check.name}: {check.detail}")
        if not check.ok and check.fix:
            body.append("\n" + check.fix, style="dim")
        grid.add_row(Text(mark, style=f"bold {style[mark]}"), body)
    return grid


def checks_summary(checks: list[Any]) -> str:
    bad = sum(1 for c in checks if not c.ok)
    if bad:
        return f"{bad} item(s) block this run; each says how to fix it."
    warn = sum(1 for c in checks if c.ok and c.warning)
    return f"{len(checks)} checks pass" + (f" ({warn} to read: !)" if warn else "") + "."


def files_text(plan: Any) -> Text:
    """The files the pull request sends (runners/ ones only when the target lacks the runner)."""
    if plan.bundle is None:
        return Text(plan.withheld or "Listed once the run has been checked.", style="dim")
    text = Text()
    if not plan.ok:
        text.append("Not sendable yet: these go once the ✗ items above are fixed.\n", style="bold")
    for path in plan.files():
        text.append(f"{path}\n")
    note = "Samples, logs and .accelmark/ stay on this machine."
    if plan.bundle.runner_files:
        note = "runners/ files are sent only if the target repository lacks the runner. " + note
    text.append(note, style="dim")
    return text


def pr_preview(plan: Any) -> Group | Text:
    """Branch, title and body of the pull request, exactly as they will be sent."""
    if plan.bundle is None:
        return Text(plan.withheld or "Shown once the run has been checked.", style="dim")
    head = Text()
    if not plan.ok:
        head.append("Not sendable yet: this is the text once the ✗ items above are fixed.\n", style="bold")
    if plan.login_pending:
        head.append("Your GitHub login is stamped into the run when submitting; its run id, name and branch "
                    "change then.\n", style="bold")
    head.append("Branch  ", style="bold")
    head.append(f"{plan.branch}\n")
    head.append("Title   ", style="bold")
    head.append(plan.title)
    return Group(head, Text(""), Text(plan.body.rstrip("\n"), style="dim"))


def status_line(state: str, plan: Any, *, error: str = "", login: str | None = None, created: bool = False,
                pr_url: str | None = None) -> str:
    """The one line on top: where the submission stands and the key that moves it on.

    ``error``: the sentence of a failure, or of the checklist item that blocks the run.
    """
    if state == "checking":
        return "Checking the run and your GitHub account…"
    if state == "blocked":
        return error
    if state == "no-token":
        return "Submitting needs a GitHub token: paste one below (or ctrl+r after `gh auth login`)."
    if state == "ready":
        return "Ready: nothing blocks this run; ctrl+s sends it."
    if state == "submitting":
        return "Submitting…"
    if state == "done":
        return f"Pull request {'opened' if created else 'updated'}: {pr_url}  ·  o opens it in the browser"
    if login is None:  # the account could not be checked (no network, GitHub down)
        retry = " ctrl+r checks again."
    else:
        retry = " ctrl+s tries again." if plan is not None and plan.ok else ""
    return (error or "Something went wrong.") + retry


def account_line(repo: str, login: str | None, token_source: str | None, account_error: str, state: str,
                 profile: Any) -> str:
    """Target repository, the token owner's login and where the token came from (never the token)."""
    if login:
        who = f"as @{login} · token from {token_source}, never shown or stored"
    elif account_error and state != "no-token":
        who = "account unknown: the token could not be checked"
    elif state == "blocked":
        who = "no GitHub account yet (a token is asked for once nothing else blocks the run)"
    else:
        who = "no GitHub account yet: add a token below"
    kind = f"profile: {profile.submission_type}" if profile is not None else "no submitter profile yet (p)"
    return f"To {repo} {who} · {kind}"
