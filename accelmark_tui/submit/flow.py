"""The submission, step by step: identity, checklist, bundle, fork, branch, commit, PR.

``plan`` does everything that stays on this machine (a dry run, or the
preview before confirming); ``submit`` does it again for real and then talks
to GitHub, reporting each step through ``on_step(name, status, detail)`` with
status ``start`` / ``ok`` / ``fail``. A failure after the fork exists says
what was left behind and that submitting again picks up from there.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accelmark_tui.config import DEFAULT_REPO, PLACEHOLDER_SUBMITTER, profile_or_none
from accelmark_tui.errors import AccelmarkError, SubmitBlocked, UsageError
from accelmark_tui.results.identity import identity_from_result
from accelmark_tui.results.layout import RunDir, read_json
from accelmark_tui.submit.auth import Token
from accelmark_tui.submit.bundle import Bundle, branch_name, build_bundle, pr_text
from accelmark_tui.submit.checklist import Check, blocking, build_checklist, suite_refusal

StepCallback = Callable[[str, str, str], None]
STEPS = ("account", "identity", "validate", "fork", "branch", "commit", "pr")
# Failing any of these makes the PR text untrustworthy or unbuildable, so no preview is shown
# (an edited figure must never reach even a previewed PR body); other items only block sending.
WITHHOLD_PREVIEW = ("figures", "run identity", "required files", "result.json schema", "env_info.json schema")
LOGIN_TO_STAMP = "‹your GitHub login, stamped when submitting›"


@dataclass
class Plan:
    run_dir: Path
    run_name: str
    login: str | None
    checks: list[Check]
    bundle: Bundle | None = None
    branch: str = ""
    title: str = ""
    body: str = ""
    include_runner: bool = True  # until the target repository is asked
    withheld: str = ""  # why the files and PR text are not shown, when they are not
    login_pending: bool = False  # no login known yet: submitting re-stamps run id, name and branch
    scenarios: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return not blocking(self.checks)

    def files(self) -> list[str]:
        return [f.path for f in self.bundle.files(include_runner=self.include_runner)] if self.bundle else []

    def to_dict(self) -> dict[str, Any]:
        return {"run_dir": str(self.run_dir), "run_name": self.run_name, "submitted_by": self.login, "ok": self.ok,
                "checks": [c.to_dict() for c in self.checks], "files": self.files(), "branch": self.branch,
                "title": self.title, "body": self.body, "preview_withheld": self.withheld or None,
                "login_to_stamp": self.login_pending}


@dataclass
class SubmitResult:
    plan: Plan
    pr_url: str | None = None
    pr_number: int | None = None
    fork: str | None = None
    created: bool = False  # False: an open PR was updated
    steps: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {**self.plan.to_dict(), "pr_url": self.pr_url, "pr_number": self.pr_number, "fork": self.fork,
                "pr_created": self.created, "steps": self.steps}


def _identity_intact(rd: RunDir) -> bool:
    """Every result.json's stored run_id recomputes; re-stamping an edited run would launder the edit."""
    files = [rd.result] + [rd.scenario_result(s) for s in rd.scenarios_present()]
    for path in files:
        try:
            doc = read_json(path)
            if identity_from_result(doc).run_id != (doc.get("meta") or {}).get("run_id"):
                return False
        except (OSError, ValueError, AttributeError):
            return False
    return True


def _recorded_submitter(rd: RunDir) -> str | None:
    try:
        return (read_json(rd.result).get("meta") or {}).get("submitted_by")
    except (OSError, ValueError, AttributeError):
        return None


def _complete(rd: RunDir, checks: list[Check], login: str | None) -> Plan:
    """The plan; files and PR text are previewed even when an item blocks, unless it makes them untrustworthy."""
    plan = Plan(rd.path, rd.run_name, login, checks)
    bad = [c.name for c in blocking(checks) if c.name in WITHHOLD_PREVIEW]
    if bad:
        plan.withheld = (f"The files and pull request text are not shown while '{bad[0]}' fails: they would carry "
                         "figures that cannot be trusted.")
        return plan
    plan.bundle = build_bundle(rd)
    plan.run_name = plan.bundle.run_name
    plan.branch = branch_name(plan.bundle.result)
    from accelmark_tui.results.store import load_run

    plan.scenarios = load_run(rd).scenarios
    plan.title, plan.body = pr_text(plan.bundle, include_runner=plan.include_runner, scenarios=plan.scenarios)
    recorded = _recorded_submitter(rd)
    if not login and (not recorded or recorded == PLACEHOLDER_SUBMITTER):
        plan.login_pending = True
        plan.body = plan.body.replace(f"@{recorded}", f"@{LOGIN_TO_STAMP}")
    return plan


def plan(run_dir: RunDir | str | os.PathLike[str], *, repo: str = DEFAULT_REPO, login: str | None = None,
         in_place: bool = False, submission_type: str | None = None) -> Plan:
    """Checklist, files and PR text for submitting as ``login``.

    ``in_place=False`` previews on a temporary copy, so a dry run never
    re-stamps or renames the user's folder; ``in_place=True`` re-stamps it.
    """
    rd = run_dir if isinstance(run_dir, RunDir) else RunDir.from_path(run_dir)
    if not rd.exists():
        raise UsageError(f"{rd.path} is not a run folder; give a run name from `accelmark results` or a folder path.")
    recorded = _recorded_submitter(rd)
    if not login or login == recorded or not _identity_intact(rd):
        # Nothing to re-stamp, or an edited run: check it as it is so the edit is reported.
        return _complete(rd, build_checklist(rd, repo=repo, login=login), login)
    from accelmark_tui.results.identity import restamp

    if in_place:
        new = RunDir.from_path(restamp(rd.path, login, submission_type=submission_type))
        return _complete(new, build_checklist(new, repo=repo, login=login), login)
    with tempfile.TemporaryDirectory(prefix="accelmark-preview-") as tmp:
        copy = Path(tmp) / rd.tier / rd.run_name
        shutil.copytree(rd.path, copy, ignore=shutil.ignore_patterns("samples.jsonl", "*.log", ".accelmark"))
        new = RunDir.from_path(restamp(copy, login, submission_type=submission_type))
        out = _complete(new, build_checklist(new, repo=repo, login=login, samples=rd), login)  # samples stay behind
    out.run_dir = rd.path  # the preview's copy is gone; point at the real folder
    return out


def blocked_sentence(checks: list[Check]) -> str:
    """One sentence: the first blocking item, how to fix it, and how many more there are."""
    bad = blocking(checks)
    first = bad[0]
    more = f" and {len(bad) - 1} more item(s) in the checklist" if len(bad) > 1 else ""
    fix = first.fix.rstrip(".")
    fix = fix[:1].lower() + fix[1:]
    return f"This run cannot be submitted ({first.name}: {first.detail}{more}); {fix}."


def submit(run_dir: RunDir | str | os.PathLike[str], *, repo: str = DEFAULT_REPO, api_url: str | None = None,
           token: Token | None = None, dry_run: bool = False, on_step: StepCallback | None = None,
           client: Any = None, login: str | None = None) -> SubmitResult:
    """Submit a run and return the PR; ``dry_run`` stops before any network call.

    ``client`` may be a ready ``GitHubClient`` (tests tune its polling); else
    one is made from ``token`` and ``api_url``.
    """
    steps: list[dict[str, str]] = []

    def step(name: str, status: str, detail: str = "") -> None:
        steps.append({"step": name, "status": status, "detail": detail})
        if on_step:
            on_step(name, status, detail)

    if "/" not in repo.strip("/") or repo.count("/") != 1:
        raise UsageError(f"'{repo}' is not a repository name; give it as OWNER/NAME.")
    profile = profile_or_none()
    profile_login, submission_type = (profile.submitted_by, profile.submission_type) if profile else (None, None)
    if dry_run:
        p = plan(run_dir, repo=repo, login=login or profile_login, submission_type=submission_type)
        return SubmitResult(p, steps=steps)

    from accelmark_tui.submit.github import GitHubClient

    own = client is None
    if own:
        if token is None:
            from accelmark_tui.submit.auth import require_token

            token = require_token()
        client = GitHubClient(token, api_url)
    try:
        step("account", "start")
        login = client.user_login()
        step("account", "ok", f"@{login}")
        step("identity", "start")
        p = plan(run_dir, repo=repo, login=login, in_place=True, submission_type=submission_type)
        step("identity", "ok", p.run_name)
        step("validate", "start")
        if not p.ok:
            step("validate", "fail", blocked_sentence(p.checks))
            raise SubmitBlocked(blocked_sentence(p.checks), p.checks)
        step("validate", "ok", f"{len(p.checks)} checks passed")
        result = SubmitResult(p, steps=steps)
        _github(client, p, repo, login, result, step)
        return result
    finally:
        if own:
            client.close()


def _github(client: Any, p: Plan, repo: str, login: str, result: SubmitResult, step: StepCallback) -> None:
    from accelmark_tui.submit.github import GitHubError

    assert p.bundle is not None
    current = "fork"
    made: list[str] = []  # what exists on GitHub so far, for the message if a later step fails
    try:
        step("fork", "start")
        upstream = client.repo(repo)
        upstream_name = str(upstream.get("full_name") or repo)
        base = str(upstream.get("default_branch") or "main")
        fork = client.find_fork(upstream_name, login)
        if fork is None:
            created = client.create_fork(upstream_name)
            fork_name = str(created.get("full_name") or f"{login}/{upstream_name.split('/')[1]}")
            client.wait_for_fork(fork_name, base)
            step("fork", "ok", f"{fork_name} (new)")
        else:
            fork_name = str(fork["full_name"])
            step("fork", "ok", f"{fork_name} (existing)")
        result.fork = fork_name
        made.append(f"your fork {fork_name}")

        current = "branch"
        step("branch", "start")
        base_sha = client.get_ref(upstream_name, base)
        if base_sha is None:
            raise GitHubError(f"{upstream_name} has no branch {base}; check --repo.")
        suite_id = p.bundle.result.get("suite_id")
        if not suite_refusal(suite_id, repo) and not client.path_exists(upstream_name, f"suites/{suite_id}", base):
            raise GitHubError(f"{upstream_name} has no suites/{suite_id}/, so it cannot take this result; "
                              "run a suite it has, or pick another repository with --repo.")
        runner_id = p.bundle.runner_id
        have_runner = bool(runner_id) and client.path_exists(upstream_name, f"runners/{runner_id}", base)
        if not have_runner and not p.bundle.runner_files:
            raise GitHubError(f"Neither {upstream_name} nor this accelmark has runners/{runner_id}/, which the result's "
                              "reproduce_script needs; submit that runner folder to the leaderboard first.")
        p.include_runner = not have_runner
        p.title, p.body = pr_text(p.bundle, include_runner=p.include_runner, scenarios=p.scenarios)
        existed = client.get_ref(fork_name, p.branch) is not None
        if not existed:
            try:
                client.create_ref(fork_name, p.branch, base_sha)
            except GitHubError as exc:
                if exc.status != 422:  # 422: made meanwhile (a retried call); the commit step moves it anyway
                    raise
            made.append(f"branch {p.branch}")
        step("branch", "ok", f"{p.branch} ({'existing, updated' if existed else 'new'}) from {base}")

        current = "commit"
        step("commit", "start")
        files = p.bundle.files(include_runner=p.include_runner)
        entries = [{"path": f.path, "mode": "100644", "type": "blob", "sha": client.create_blob(fork_name, f.content)}
                   for f in files]
        tree = client.create_tree(fork_name, client.commit_tree(upstream_name, base_sha), entries)
        message = f"Add {p.run_name} ({p.bundle.result.get('suite_id')})\n\nSubmitted with accelmark."
        commit = client.create_commit(fork_name, message, tree, [base_sha])
        client.update_ref(fork_name, p.branch, commit)
        step("commit", "ok", f"{commit[:7]}: {len(files)} files")

        current = "pr"
        step("pr", "start")
        head = f"{login}:{p.branch}"
        pr = client.find_pull(upstream_name, head)
        if pr is None:
            try:
                pr = client.create_pull(upstream_name, title=p.title, body=p.body, head=head, base=base)
                result.created = True
            except GitHubError as exc:
                # 422 "already exists": a create retried after a timeout did land; use that PR.
                pr = client.find_pull(upstream_name, head) if exc.status == 422 else None
                if pr is None:
                    raise
                pr = client.update_pull(upstream_name, int(pr["number"]), title=p.title, body=p.body)
        else:
            pr = client.update_pull(upstream_name, int(pr["number"]), title=p.title, body=p.body)
        result.pr_url, result.pr_number = str(pr.get("html_url")), int(pr["number"])
        step("pr", "ok", f"{result.pr_url} ({'opened' if result.created else 'updated'})")
    except AccelmarkError as exc:
        left = ""
        if made:
            left = (f" Left on GitHub: {', '.join(made)}; no pull request was opened. Run `accelmark submit "
                    f"{p.run_name}` again to finish: it reuses them.") if current != "pr" or result.pr_url is None else ""
        step(current, "fail", str(exc))
        raise GitHubError(f"{exc}{left}", getattr(exc, "status", 0)) from exc
