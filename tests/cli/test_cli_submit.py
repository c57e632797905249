"""`accelmark submit` in a subprocess against the GitHub-like server on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("github_server", REPO / "tests" / "fixtures" / "github_server.py")
gs = importlib.util.module_from_spec(_spec)
sys.modules["github_server"] = gs
_spec.loader.exec_module(gs)

UPSTREAM = "FreedomIntelligence/AccelMark"
TOKEN = "ghp_ZZ9PluralZAlpha_secret_4242"  # distinctive: grepped for everywhere below


@pytest.fixture
def server():
    with gs.GitHubServer({TOKEN: "alice"}) as srv:
        srv.state.add_repo(UPSTREAM, gs.upstream_files())
        yield srv


@pytest.fixture
def env(tmp_path, server):
    bin_dir = tmp_path / "bin"  # no `gh` on PATH: only the variables give a token
    bin_dir.mkdir()
    out = {k: v for k, v in os.environ.items() if k not in ("GITHUB_TOKEN", "GH_TOKEN")}
    out.update(PYTHONPATH=str(REPO), PATH=str(bin_dir), GITHUB_TOKEN=TOKEN, ACCELMARK_GITHUB_API=server.url,
               ACCELMARK_DATA_DIR=str(tmp_path / "data"), ACCELMARK_CONFIG_DIR=str(tmp_path / "config"),
               ACCELMARK_CACHE_DIR=str(tmp_path / "cache"), ACCELMARK_GITHUB_TIMEOUT="5")
    return out


@pytest.fixture
def root(tmp_path) -> Path:
    return tmp_path / "results"


def accelmark(env, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "accelmark_tui", *args], env=env, capture_output=True, text=True,
                          timeout=120, input=stdin if stdin is not None else "")


def test_submit_then_resubmit(env, root, server, tmp_path):
    run = gs.make_run(root, submitted_by="unsubmitted")
    first = accelmark(env, "submit", str(run), "--yes", "--json")
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    assert data["pr_url"] == f"{server.url}/{UPSTREAM}/pull/1" and data["pr_created"] is True
    assert data["submitted_by"] == "alice" and data["branch"].startswith("submit/mtt-s4000x1-suite_F-")
    for name in ("fork", "branch", "commit", "pr"):
        assert f"✓ {name}" in first.stderr
    # Again, by run name this time: the same branch and PR are updated.
    again = accelmark(env, "submit", data["run_name"], "--output-dir", str(root), "--yes")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"Pull request updated: {server.url}/{UPSTREAM}/pull/1"
    assert len(server.state.pulls) == 1

    # The token is in no file written and no captured output.
    outputs = first.stdout + first.stderr + again.stdout + again.stderr
    assert TOKEN not in outputs
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    assert all(TOKEN not in json.dumps(b) for b in server.state.bodies)
    assert TOKEN not in json.dumps(server.state.pulls)


def test_dry_run_calls_nothing(env, root, server):
    run = gs.make_run(root, submitted_by="alice")
    proc = accelmark(env, "submit", str(run), "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "✓ run identity" in proc.stdout and f"results/community/{run.name}/result.json" in proc.stdout
    assert "PR title: [Community] MTT S4000 x1" in proc.stdout and "## How to reproduce" in proc.stdout
    assert proc.stdout.rstrip().endswith("Dry run: nothing was sent.")
    assert server.state.requests == []
    as_json = json.loads(accelmark(env, "submit", str(run), "--dry-run", "--json").stdout)
    assert as_json["dry_run"] and as_json["ok"] and len(as_json["files"]) == 6 and as_json["pr_url"] is None


def test_no_terminal_needs_yes(env, root, server):
    run = gs.make_run(root, submitted_by="alice")
    proc = accelmark(env, "submit", str(run))
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith("pass --yes to submit without a prompt.")
    assert server.state.requests == [] and run.exists()


def test_quick_suite_refused(env, root, server):
    run = gs.make_run(root, edit=lambda d: d.update(suite_id="suite_Quick"), submitted_by="alice")
    proc = accelmark(env, "submit", str(run), "--yes")
    assert proc.returncode == 2
    assert "run suite F to get a submittable result" in proc.stderr
    assert server.state.count("POST", ".") == 0


def test_failures_are_one_sentence(env, root, server):
    run = gs.make_run(root, submitted_by="alice")
    bad = accelmark({**env, "GITHUB_TOKEN": "ghp_not_a_real_one"}, "submit", str(run), "--yes")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "rejected the token" in bad.stderr
    server.state.fault("rate_limit")
    limited = accelmark(env, "submit", str(run), "--yes")
    assert limited.returncode == 2 and "rate limit is used up" in limited.stderr and "resets at" in limited.stderr
    assert TOKEN not in limited.stderr + limited.stdout
    missing = {k: v for k, v in env.items() if k != "GITHUB_TOKEN"}
    none = accelmark(missing, "submit", str(run), "--yes")
    assert none.returncode == 2 and "No GitHub token found" in none.stderr and "public_repo" in none.stderr


def test_unknown_run(env, root):
    proc = accelmark(env, "submit", "nope", "--output-dir", str(root), "--yes")
    assert proc.returncode == 2 and "No run named 'nope'" in proc.stderr


def test_terminal_prompt_shows_the_plan_and_asks(env, root, server):
    import pty
    import select

    run = gs.make_run(root, submitted_by="alice")
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "accelmark_tui", "submit", str(run)], env=env, stdin=slave,
                            stdout=subprocess.PIPE, stderr=slave, close_fds=True)
    os.close(slave)
    seen = b""
    while b"[y/N]" not in seen:
        ready, _, _ = select.select([master], [], [], 30)
        assert ready, seen.decode(errors="replace")
        seen += os.read(master, 65536)
    assert b"Files:" in seen and b"PR title:" in seen and b"as @alice?" in seen
    assert server.state.count("POST", ".") == 0  # nothing sent before the answer
    os.write(master, b"y\n")
    out, _ = proc.communicate(timeout=60)
    os.close(master)
    assert proc.returncode == 0 and out.decode().startswith("Pull request opened: ")
    assert len(server.state.pulls) == 1


def test_repo_default_comes_from_settings(env, root, server, tmp_path):
    """settings.json's submit_repo is --repo's default for submit and validate; --repo still wins."""
    run = gs.make_run(root, submitted_by="alice")
    config = Path(env["ACCELMARK_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    (config / "settings.json").write_text(json.dumps({"submit_repo": "example-lab/LeaderboardFork"}))
    validated = json.loads(accelmark(env, "validate", str(run), "--json").stdout)
    assert validated["repo"] == "example-lab/LeaderboardFork"
    dry = json.loads(accelmark(env, "submit", str(run), "--dry-run", "--json").stdout)
    suite = next(c for c in dry["checks"] if c["name"] == "suite accepted")
    assert "example-lab/LeaderboardFork is checked for suites/suite_F/" in suite["detail"]
    assert json.loads(accelmark(env, "validate", str(run), "--json", "--repo", UPSTREAM).stdout)["repo"] == UPSTREAM
    (config / "settings.json").write_text("{")
    broken = accelmark(env, "validate", str(run))
    assert broken.returncode == 2 and "settings.json are unreadable" in broken.stderr


def test_dry_run_previews_a_blocked_run(env, root, server):
    """Blocked by items a submitter can fix: the files and PR text are still shown, marked, and the exit is 2."""
    run = gs.make_run(root, edit=lambda d: d.update(suite_id="suite_Quick"), submitted_by="unsubmitted")
    no_token = {k: v for k, v in env.items() if k != "GITHUB_TOKEN"}
    proc = accelmark(no_token, "submit", str(run), "--dry-run")
    assert proc.returncode == 2 and "and 1 more item(s)" in proc.stderr  # the submitter and the suite
    text = proc.stdout
    assert "✗ submitter" in text and "fix: Run suite F to get a submittable result" in text
    assert text.index("✗ suite accepted") < text.index("Not sendable yet") < text.index("PR title: [Community]")
    assert f"results/community/{run.name}/result.json" in text and "## How to reproduce" in text
    # The login is not known yet: the body says it will be stamped; it never claims "@unsubmitted".
    assert "stamped into the run when submitting" in text and "(before the login is stamped)" in text
    assert "@‹your GitHub login, stamped when submitting›" in text and "@unsubmitted" not in text
    data = json.loads(accelmark(no_token, "submit", str(run), "--dry-run", "--json").stdout)
    assert not data["ok"] and data["title"].startswith("[Community]") and len(data["files"]) == 6
    assert data["login_to_stamp"] is True and data["preview_withheld"] is None
    assert server.state.requests == []


def test_scopeless_classic_token_is_named_before_anything_changes(env, root, server):
    run = gs.make_run(root, submitted_by="unsubmitted")
    server.state.scopes[TOKEN] = "read:user, gist"
    proc = accelmark(env, "submit", str(run), "--yes")
    assert proc.returncode == 2 and "lacks the public_repo scope (its scopes: gist, read:user)" in proc.stderr
    assert server.state.count("POST", ".") == 0 and run.exists()  # not forked, not re-stamped
    server.state.scopes[TOKEN] = "public_repo, read:user"
    assert accelmark(env, "submit", str(run), "--yes").returncode == 0


def _pty_submit(env, run, answers):
    """Run `accelmark submit RUN` on a terminal, answering each prompt in ``answers`` (prompt → reply)."""
    import pty
    import select

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "accelmark_tui", "submit", str(run)], env=env, stdin=slave,
                            stdout=subprocess.PIPE, stderr=slave, close_fds=True)
    os.close(slave)
    def read() -> bytes:
        try:
            return os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            return b""

    seen = b""
    for prompt, reply in answers:
        while prompt not in seen:
            ready, _, _ = select.select([master], [], [], 30)
            assert ready, seen.decode(errors="replace")
            chunk = read()
            if not chunk:
                break
            seen += chunk
        if prompt not in seen:
            break
        os.write(master, reply)
    out, _ = proc.communicate(timeout=60)
    while select.select([master], [], [], 0.2)[0] and (chunk := read()):
        seen += chunk
    os.close(master)
    return proc.returncode, out.decode(), seen.decode(errors="replace")


def test_terminal_shows_the_checklist_before_asking_for_a_token(env, root, server):
    run = gs.make_run(root, submitted_by="unsubmitted")
    no_token = {k: v for k, v in env.items() if k != "GITHUB_TOKEN"}
    rc, out, seen = _pty_submit(no_token, run, [(b"GitHub token: ", TOKEN.encode() + b"\n"), (b"[y/N]", b"y\n")])
    assert seen.index("Checklist for") < seen.index("GitHub token: ") < seen.index("As @alice:") < seen.index("[y/N]")
    assert TOKEN not in seen + out  # hidden as it is typed
    assert rc == 0 and out.startswith("Pull request opened: ")


def test_terminal_blocked_run_never_asks_for_a_token(env, root, server):
    run = gs.make_run(root, edit=lambda d: d.update(suite_id="suite_Quick"), submitted_by="alice")
    no_token = {k: v for k, v in env.items() if k != "GITHUB_TOKEN"}
    rc, _, seen = _pty_submit(no_token, run, [(b"GitHub token: ", b"\n")])
    assert rc == 2 and "GitHub token" not in seen and "✗ suite accepted" in seen and "PR title:" in seen
    assert server.state.requests == []
