"""The submit flow against a GitHub-like server on 127.0.0.1 holding real state."""

from __future__ import annotations

import importlib.util
import json
import socket
import sys
from pathlib import Path

import pytest

from accelmark_tui.submit.auth import Token
from accelmark_tui.errors import SubmitBlocked
from accelmark_tui.submit.flow import submit
from accelmark_tui.submit.github import GitHubClient, GitHubError

_path = Path(__file__).resolve().parents[1] / "fixtures" / "github_server.py"
_spec = importlib.util.spec_from_file_location("github_server", _path)
gs = importlib.util.module_from_spec(_spec)
sys.modules["github_server"] = gs
_spec.loader.exec_module(gs)

UPSTREAM = "FreedomIntelligence/AccelMark"
TOKEN = "ghp_TESTTOKEN_abc123"


@pytest.fixture
def server():
    with gs.GitHubServer({TOKEN: "alice"}) as srv:
        srv.state.add_repo(UPSTREAM, gs.upstream_files())
        yield srv


def client(srv, token: str = TOKEN, **kw) -> GitHubClient:
    kw.setdefault("poll_interval", 0.01)
    kw.setdefault("backoff", 0.01)
    return GitHubClient(Token(token, "test"), srv.url, **kw)


def go(srv, run, **kw):
    steps = []
    with client(srv, **kw.pop("client_kw", {})) as c:
        result = submit(run, client=c, on_step=lambda *a: steps.append(a), **kw)
    return result, steps


def current(run_root: Path) -> Path:
    [run] = [p for p in (run_root / "community").iterdir() if not p.name.startswith(".")]
    return run


def test_first_submission(server, tmp_path):
    server.state.fork_polls = 3  # GitHub builds forks in the background
    run = gs.make_run(tmp_path, edit=gs.local_runner, submitted_by="unsubmitted")
    result, steps = go(server, run)
    # Re-stamped with the token owner's login before validation; the folder follows the new name.
    new = current(tmp_path)
    assert new.name == result.plan.run_name != run.name and not run.exists()
    meta = json.loads((new / "result.json").read_text())["meta"]
    assert meta["submitted_by"] == "alice" and new.name == meta["run_name"]
    assert [s[0] for s in steps if s[1] == "ok"] == ["account", "identity", "validate", "fork", "branch", "commit", "pr"]
    st = server.state
    assert st.count("POST", r"/forks$") == 1
    assert st.count("GET", r"^/repos/alice/AccelMark/git/ref/") >= 4  # 3 polls answered 409, then ready
    fork = st.repos["alice/accelmark"]
    files = st.tree_of(fork, result.plan.branch)
    base = f"results/community/{new.name}"
    sent = sorted(p for p in files if p.startswith(base))
    assert sent == sorted(f"{base}/{p}" for p in ("env_info.json", "result.json", "offline/result.json",
                                                   "online/result.json", "interactive/result.json", "accuracy/accuracy.json"))
    runner = meta["reproduce_script"].rsplit("/", 1)[0]
    assert f"{runner}/runner.py" in files and f"{runner}/meta.json" in files  # runner folder added
    assert "README.md" in files  # built on upstream's tree
    assert gs.json.loads(st.file("alice/AccelMark", result.plan.branch, f"{base}/result.json"))["meta"]["log_file"] is None
    [pr] = st.pulls
    assert pr["head"] == f"alice:{result.plan.branch}" and pr["base"] == "main"
    assert result.pr_url == pr["html_url"] and result.created
    assert "## Headline metrics" in pr["body"] and "(added by this PR)" in pr["body"]
    assert result.plan.branch.startswith("submit/mtt-s4000x1-suite_F-")
    assert all(TOKEN not in json.dumps(b) for b in st.bodies)


def test_repeated_submission_updates_the_same_pr(server, tmp_path):
    run = gs.make_run(tmp_path, submitted_by="alice")
    first, _ = go(server, run)
    second, steps = go(server, current(tmp_path))
    assert second.pr_url == first.pr_url and not second.created
    assert len(server.state.pulls) == 1 and server.state.count("POST", r"/pulls$") == 1
    assert server.state.count("POST", r"/forks$") == 1
    assert ("fork", "ok", "alice/AccelMark (existing)") in steps
    # The foreign runner is already upstream: nothing under runners/ is sent.
    assert not any(p.startswith("runners/") and "moorethreads" not in p
                   for p in server.state.tree_of(server.state.repos["alice/accelmark"], second.plan.branch))


def test_existing_fork_is_reused(server, tmp_path):
    server.state.fork_of(UPSTREAM, "alice")
    result, _ = go(server, gs.make_run(tmp_path, submitted_by="alice"))
    assert result.fork == "alice/AccelMark" and server.state.count("POST", r"/forks$") == 0
    assert server.state.pulls


def test_quick_suite_refused_before_github(server, tmp_path):
    run = gs.make_run(tmp_path, edit=lambda d: d.update(suite_id="suite_Quick"), submitted_by="alice")
    with pytest.raises(SubmitBlocked) as err:
        go(server, run)
    assert "; run suite F to get a submittable result" in str(err.value)
    assert server.state.count("POST", ".") == 0


def test_hand_edited_result_blocks(server, tmp_path):
    run = gs.make_run(tmp_path, submitted_by="bob")
    doc = json.loads((run / "result.json").read_text())
    doc["chip"]["memory_gb"] = 80
    (run / "result.json").write_text(json.dumps(doc))
    with pytest.raises(SubmitBlocked) as err:
        go(server, run)
    assert "run identity" in str(err.value) and run.exists()
    assert server.state.count("POST", ".") == 0


@pytest.mark.parametrize("kind, method, path, expect", [
    ("401", None, None, "rejected the token"),
    ("403_scopes", "POST", r"/forks$", "public_repo scope"),
    ("rate_limit", None, None, "rate limit is used up"),
])
def test_auth_and_permission_failures(server, tmp_path, kind, method, path, expect):
    server.state.fault(kind, method=method, path=path)
    with pytest.raises(GitHubError) as err:
        go(server, gs.make_run(tmp_path, submitted_by="alice"))
    msg = str(err.value)
    assert expect in msg and "\n" not in msg
    if kind == "rate_limit":
        assert "resets at" in msg


def test_bad_token(server, tmp_path):
    with pytest.raises(GitHubError, match="401 bad credentials"):
        go(server, gs.make_run(tmp_path, submitted_by="alice"), client_kw={"token": "ghp_wrong"})


def test_missing_repo(server, tmp_path):
    with pytest.raises(GitHubError, match=r"\(404\); check the repository name"):
        go(server, gs.make_run(tmp_path, submitted_by="alice"), repo="nobody/nothing")


def test_other_repo_without_the_suite(server, tmp_path):
    server.state.add_repo("me/board", {"README.md": b"x"})
    with pytest.raises(GitHubError, match="has no suites/suite_F/"):
        go(server, gs.make_run(tmp_path, submitted_by="alice"), repo="me/board")


def test_server_errors_are_retried(server, tmp_path):
    server.state.fault("500", method="POST", path=r"/git/blobs$", times=2)
    result, _ = go(server, gs.make_run(tmp_path, submitted_by="alice"))
    assert result.pr_url and server.state.count("POST", r"/git/blobs$") == 6 + 2


def test_persistent_server_errors(server, tmp_path):
    server.state.fault("500", path=r"^/user$")
    with pytest.raises(GitHubError, match=r"kept failing \(500\)"):
        go(server, gs.make_run(tmp_path, submitted_by="alice"))
    assert server.state.count("GET", r"^/user$") == 4  # first try + 3 retries


def test_timeouts(server, tmp_path):
    server.state.timeout_s = 2.0
    server.state.fault("timeout", path=r"^/user$", times=1)
    result, _ = go(server, gs.make_run(tmp_path, submitted_by="alice"), client_kw={"timeout": 0.3})
    assert result.pr_url  # retried after one timeout
    server.state.fault("timeout", path=r"^/user$")
    with pytest.raises(GitHubError, match="did not answer in time"):
        go(server, current(tmp_path), client_kw={"timeout": 0.2, "retries": 1})


def test_network_down(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    c = GitHubClient(Token(TOKEN, "t"), f"http://127.0.0.1:{port}", backoff=0.01)
    with pytest.raises(GitHubError, match="Could not reach GitHub") as err:
        submit(gs.make_run(tmp_path, submitted_by="alice"), client=c)
    assert "check the network connection" in str(err.value)


def test_fork_left_without_pr_is_reported_then_finished(server, tmp_path):
    server.state.fault("403_scopes", method="POST", path=r"/pulls$")
    run = gs.make_run(tmp_path, submitted_by="alice")
    with pytest.raises(GitHubError) as err:
        go(server, run)
    msg = str(err.value)
    assert "Left on GitHub: your fork alice/AccelMark, branch submit/" in msg
    assert "no pull request was opened" in msg and "again to finish" in msg
    server.state.faults.clear()
    result, steps = go(server, current(tmp_path))
    assert result.created and len(server.state.pulls) == 1
    assert any(s[0] == "branch" and "existing, updated" in s[2] for s in steps)


def test_fork_never_ready(server, tmp_path):
    server.state.fork_polls = 1000
    with pytest.raises(GitHubError, match="was not ready after") as err:
        go(server, gs.make_run(tmp_path, submitted_by="alice"), client_kw={"poll_tries": 3})
    assert "submit again" in str(err.value)


def test_server_checks_headers(server):
    import httpx

    r = httpx.get(f"{server.url}/user", headers={"Authorization": f"token {TOKEN}",
                                                 "Accept": "application/vnd.github+json",
                                                 "X-GitHub-Api-Version": "2022-11-28"})
    assert r.status_code == 200 and r.json()["login"] == "alice"
    assert httpx.get(f"{server.url}/user", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 415
    assert httpx.get(f"{server.url}/user", headers={"Accept": "application/vnd.github+json",
                                                    "X-GitHub-Api-Version": "2022-11-28"}).status_code == 401
