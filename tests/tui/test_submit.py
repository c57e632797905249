"""The submit screen, driven by keys against the GitHub-like server on 127.0.0.1.

The screen runs the real submit engine (``flow.submit`` in a thread worker)
and talks HTTP to ``tests/fixtures/github_server.py`` through
``ACCELMARK_GITHUB_API``, as ``accelmark submit`` does: first submission,
resubmission, failures, the token and profile steps, and the token's absence
from every file and output.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
from pathlib import Path

import pytest
from results_data import build_root, screen_app, services_for

from accelmark_tui.config import Profile, load_profile, save_profile

REPO = Path(__file__).resolve().parents[2]
SIZES = {"wide": (120, 40), "small": (80, 24)}
UPSTREAM = "FreedomIntelligence/AccelMark"
TOKEN = "ghp_TuiSubmitZeta9_secret_77310"  # distinctive: searched for everywhere below
STEPS = ("fork", "branch", "commit", "pr")


def _github_server():
    if "github_server" not in sys.modules:  # the CLI tests load the same file under this name
        path = REPO / "tests" / "fixtures" / "github_server.py"
        spec = importlib.util.spec_from_file_location("github_server", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["github_server"] = module
        spec.loader.exec_module(module)
    return sys.modules["github_server"]


gs = _github_server()


@pytest.fixture
def github(monkeypatch):
    """The server, holding the leaderboard; the app finds it as the CLI does (ACCELMARK_GITHUB_API)."""
    with gs.GitHubServer({TOKEN: "alice"}) as srv:
        srv.state.add_repo(UPSTREAM, gs.upstream_files())
        monkeypatch.setenv("ACCELMARK_GITHUB_API", srv.url)
        monkeypatch.setenv("ACCELMARK_GITHUB_TIMEOUT", "5")
        yield srv


@pytest.fixture
def token_env(monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)


@pytest.fixture
def profile():
    """A returning submitter: the profile is saved already."""
    save_profile(Profile("alice"))


@pytest.fixture
def root(tmp_path) -> tuple[Path, dict[str, str]]:
    return build_root(tmp_path)


async def settle(pilot) -> None:
    """Wait until the screen's workers ended (a failed one too) and their messages were handled."""
    import asyncio

    for _ in range(3):
        pending = [w for w in pilot.app.workers if not w.is_finished]
        if pending:
            await asyncio.gather(*(w.wait() for w in pending), return_exceptions=True)
        await pilot.pause()


def _app(services, root, which="example", theme="textual-dark"):
    from accelmark_tui.screens.submit import SubmitScreen

    return screen_app(lambda: SubmitScreen(root[1][which]), services_for(services, root[0]), theme)


def _text(screen, selector: str) -> str:
    import io

    from rich.console import Console

    content = screen.query_one(selector).content
    if isinstance(content, str):
        return content
    console = Console(width=200, file=io.StringIO(), record=True, color_system=None)
    console.print(content)
    return console.export_text()


def _steps(screen) -> list[str]:
    from accelmark_tui.screens.widgets.submit_steps import SubmitSteps

    steps = screen.query_one(SubmitSteps)
    return [steps.status_of(name) for name in STEPS]


async def _submit(pilot) -> None:
    await pilot.press("ctrl+s")
    await settle(pilot)


def _paste(screen, text: str) -> None:
    from textual import events

    screen.query_one("#token-input").post_message(events.Paste(text))


# ── the flow ─────────────────────────────────────────────────────────────────


@pytest.mark.anyio
async def test_first_submission_shows_every_step_and_the_link(services, root, github, token_env, profile,
                                                              monkeypatch):
    from accelmark_tui.screens.widgets.submit_steps import SubmitSteps

    # Every row change happens on the UI thread: the worker only posts messages.
    calls: list[tuple[str, str, bool]] = []
    original = SubmitSteps.set

    def recording(self, name, status, detail=""):
        calls.append((name, status, threading.current_thread() is threading.main_thread()))
        original(self, name, status, detail)

    monkeypatch.setattr(SubmitSteps, "set", recording)
    app = _app(services, root)
    opened: list[str] = []
    app.open_url = lambda url, **kw: opened.append(url)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.state == "ready" and screen.login == "alice"
        status = _text(screen, "#submit-status")
        assert status == "Ready: nothing blocks this run; ctrl+s sends it."
        account = _text(screen, "#submit-account")
        assert account.startswith(f"To {UPSTREAM} as @alice · token from GITHUB_TOKEN") and TOKEN not in account
        # What will be sent: the dry run's files and PR text, before anything is sent.
        files = _text(screen, "#submit-files")
        assert "results/community/mtt_s4000x1_suite_F_" in files and "/offline/result.json" in files
        preview = _text(screen, "#submit-pr")
        assert "Title   [Community] MTT S4000 x1 · suite_F" in preview and "## How to reproduce" in preview
        assert "submitted by @alice" in preview
        assert github.state.count("POST", ".") == 0 and not screen.query_one("#submit-steps").display

        await _submit(pilot)
        assert screen.state == "done" and screen.has_class("-done")
        assert _steps(screen) == ["ok"] * 4
        url = f"{github.url}/{UPSTREAM}/pull/1"
        assert screen.pr_url == url and _text(screen, "#submit-status").startswith(f"Pull request opened: {url}")
        assert "alice/AccelMark (new)" in _text(screen, "#step-fork")
        assert url in _text(screen, "#step-pr")
        await pilot.press("o")
        assert opened == [url]

    assert [(n, s) for n, s, _ in calls if s != "pending"] == [(n, s) for n in STEPS for s in ("start", "ok")]
    assert all(on_ui for _, _, on_ui in calls)
    pr = github.state.pulls[0]
    assert len(github.state.pulls) == 1 and pr["user"] == "alice" and pr["head"].startswith("alice:submit/")
    run_name = screen.result.plan.run_name
    assert github.state.file("alice/AccelMark", pr["head"].split(":", 1)[1],
                             f"results/community/{run_name}/result.json") is not None
    assert (root[0] / "community" / run_name).is_dir()  # re-stamped in place with the login


@pytest.mark.anyio
async def test_resubmission_updates_the_same_pull_request(services, root, github, token_env, profile):
    app = _app(services, root)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        await _submit(pilot)
        first = app.screen.result
    assert first.created and len(github.state.pulls) == 1

    # A later session opens the (re-stamped) run again and submits it again.
    from accelmark_tui.screens.submit import SubmitScreen

    again = screen_app(lambda: SubmitScreen(str(first.plan.run_dir)), services_for(services, root[0]))
    async with again.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        screen = again.screen
        assert screen.state == "ready"
        await _submit(pilot)
        assert screen.state == "done" and _steps(screen) == ["ok"] * 4
        assert "(existing)" in _text(screen, "#step-fork") and "existing, updated" in _text(screen, "#step-branch")
        assert _text(screen, "#submit-status").startswith(f"Pull request updated: {first.pr_url}")
    assert len(github.state.pulls) == 1 and github.state.count("POST", r"/pulls$") == 1


@pytest.mark.anyio
async def test_a_401_is_one_sentence_and_the_app_stays_up(services, root, github, token_env, profile):
    from accelmark_tui.screens.error_modal import ErrorModal
    from accelmark_tui.screens.submit import SubmitScreen

    github.state.fault("401", method="POST", path=r"/forks$")
    app = _app(services, root)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        screen = app.screen
        await _submit(pilot)
        modal = app.screen
        assert isinstance(modal, ErrorModal) and modal.title_text == "Submission failed"
        assert modal.text.startswith("GitHub rejected the token while trying to fork") and modal.text.count(". ") == 0
        assert "\n" not in modal.text
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and isinstance(screen, SubmitScreen)
        assert _steps(screen) == ["fail", "pending", "pending", "pending"]
        assert "rejected the token" in _text(screen, "#step-fork")
        # A refused token sends the user back to the token step, in place.
        assert screen.state == "no-token" and screen.query_one("#submit-token").display
        assert "was refused" in _text(screen, "#token-reason")
        assert app.is_running
    assert github.state.pulls == []


@pytest.mark.anyio
async def test_fork_without_a_pull_request_says_what_to_do_then_finishes(services, root, github, token_env, profile):
    from accelmark_tui.screens.error_modal import ErrorModal

    github.state.fault("403_scopes", method="POST", path=r"/pulls$", times=1)
    app = _app(services, root)
    async with app.run_test(size=SIZES["small"]) as pilot:
        await settle(pilot)
        screen = app.screen
        await _submit(pilot)
        modal = app.screen
        assert isinstance(modal, ErrorModal)
        assert "GitHub refused to open the pull request" in modal.text and "public_repo" in modal.text
        assert "Left on GitHub: your fork alice/AccelMark, branch submit/" in modal.text
        assert "no pull request was opened" in modal.text
        await pilot.press("escape")
        await pilot.pause()
        assert _steps(screen) == ["ok", "ok", "ok", "fail"] and screen.state == "failed"
        assert _text(screen, "#submit-status").endswith("ctrl+s tries again.")
        await _submit(pilot)  # the fork and branch are reused
        assert screen.state == "done" and _steps(screen) == ["ok"] * 4
    assert len(github.state.pulls) == 1 and github.state.count("POST", r"/forks$") == 1


@pytest.mark.anyio
async def test_no_token_explains_and_takes_a_pasted_one(services, root, github, profile):
    from textual.widgets import Input

    app = _app(services, root)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.state == "no-token" and screen.query_one("#submit-token").display
        assert "No GitHub token found" in _text(screen, "#token-reason")
        help_text = _text(screen, "#token-help")
        assert "public_repo" in help_text and "https://github.com/settings/tokens/new?scopes=public_repo" in help_text
        assert github.state.requests == []  # nothing asked of GitHub without a token
        field = screen.query_one("#token-input", Input)
        assert field.password and app.focused is field
        await pilot.press("ctrl+s")  # greyed out: nothing to submit with
        await settle(pilot)
        assert github.state.requests == []

        _paste(screen, "ghp_not_a_real_token")  # GitHub refuses it: said in place, forgotten at once
        await pilot.press("enter")
        await settle(pilot)
        assert screen.state == "no-token" and "was refused" in _text(screen, "#token-reason")
        assert "rejected the token" in _text(screen, "#token-reason") and app.github_token is None

        _paste(screen, TOKEN)
        await pilot.press("enter")
        await settle(pilot)
        assert field.value == "" and screen.state == "ready" and screen.login == "alice"
        assert "token from pasted here" in _text(screen, "#submit-account")
        assert not screen.query_one("#submit-token").display
        await _submit(pilot)
        assert screen.state == "done"

        # ctrl+r checks again: the pasted token is kept for this app session.
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert screen.state == "ready" and app.github_token is not None
    assert len(github.state.pulls) == 1


@pytest.mark.anyio
async def test_missing_profile_opens_the_profile_dialog_then_submits(services, root, github, token_env):
    from accelmark_tui.screens.profile_modal import ProfileModal

    app = _app(services, root)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        screen = app.screen
        assert "no submitter profile yet" in _text(screen, "#submit-account")
        await _submit(pilot)
        assert isinstance(app.screen, ProfileModal)
        assert app.screen.query_one("#login").value == "alice"  # prefilled from the token's account
        await pilot.press("escape")  # back: nothing sent
        await settle(pilot)
        assert app.screen is screen and github.state.count("POST", ".") == 0 and load_profile() is None

        await _submit(pilot)
        await pilot.press("ctrl+s")  # save the profile; the submission goes on
        await settle(pilot)
        assert app.screen is screen and screen.state == "done" and _steps(screen) == ["ok"] * 4
        assert load_profile() == Profile("alice", "individual")
    assert len(github.state.pulls) == 1


@pytest.mark.anyio
async def test_a_blocked_run_cannot_be_submitted(services, root, github, token_env, profile):
    app = _app(services, root, "partial")
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.state == "blocked"
        status = _text(screen, "#submit-status")
        assert status.startswith("This run cannot be submitted (suite accepted:") and "more item(s)" in status
        assert "Resume the run" in _text(screen, "#submit-checks")
        assert "not shown while 'required files' fails" in _text(screen, "#submit-files")
        await pilot.press("ctrl+s")  # never silent: it says why nothing was sent
        await settle(pilot)
        said = [n.message for n in app._notifications]
        assert any(m.startswith("This run cannot be submitted (suite accepted:") for m in said), said
    assert github.state.count("POST", ".") == 0


@pytest.mark.anyio
async def test_a_blocked_run_still_previews_what_would_be_sent(services, root, github, token_env, profile):
    """Blocked only by the suite: the files and PR text are shown, marked as not sendable yet."""
    from accelmark_tui.screens.submit import SubmitScreen

    run = gs.make_run(root[0], edit=lambda d: d.update(suite_id="suite_Quick"), submitted_by="alice")
    app = screen_app(lambda: SubmitScreen(str(run)), services_for(services, root[0]), "textual-dark")
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.state == "blocked"
        assert "Not sendable yet" in _text(screen, "#submit-files") and "result.json" in _text(screen, "#submit-files")
        assert "Title   [Community]" in _text(screen, "#submit-pr")


@pytest.mark.anyio
async def test_a_run_no_token_can_unblock_says_so_before_asking_for_one(services, root, github):
    """No token and a quick-suite run: the blocker is named first, and no token is asked for (a walk found
    a first-time submitter asked to paste a token for a run the leaderboard would never take)."""
    from accelmark_tui.screens.submit import SubmitScreen

    run = gs.make_run(root[0], edit=lambda d: d.update(suite_id="suite_Quick"), submitted_by="unsubmitted")
    app = screen_app(lambda: SubmitScreen(str(run)), services_for(services, root[0]), "textual-dark")
    async with app.run_test(size=SIZES["small"]) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.state == "blocked" and not screen.query_one("#submit-token").display
        assert _text(screen, "#submit-status").startswith("This run cannot be submitted (suite accepted:")
        assert "a token is asked for once nothing else blocks" in _text(screen, "#submit-account")
        assert "Not sendable yet" in _text(screen, "#submit-pr")  # what it would send is still shown
    assert github.state.requests == []


@pytest.mark.anyio
async def test_a_token_that_cannot_be_checked_says_why(services, root, github, token_env, profile, monkeypatch):
    import socket

    with socket.socket() as s:  # a port nothing listens on: the network is "down"
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setenv("ACCELMARK_GITHUB_API", dead)
    app = _app(services, root)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.state == "failed" and screen.query_one("#submit-token").display
        reason = _text(screen, "#token-reason")
        assert "could not be checked: Could not reach GitHub" in reason and "ctrl+r tries again" in reason
        await pilot.press("ctrl+s")
        await settle(pilot)
        said = [n.message for n in app._notifications]
        assert any(m.startswith("Your GitHub account could not be checked (Could not reach") for m in said), said

        monkeypatch.setenv("ACCELMARK_GITHUB_API", github.url)  # the network is back: ctrl+r
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert screen.state == "ready" and not screen.query_one("#submit-token").display


@pytest.mark.anyio
async def test_a_token_without_the_scope_is_refused_in_place(services, root, github, profile):
    github.state.scopes[TOKEN] = "read:user"
    app = _app(services, root)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        _paste(app.screen, TOKEN)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert screen.state == "no-token" and app.github_token is None
        assert "lacks the public_repo scope (its scopes: read:user)" in _text(screen, "#token-reason")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("needs a GitHub token" in n.message for n in app._notifications)
    assert github.state.count("POST", ".") == 0


def test_the_step_rows_are_the_engines_steps():
    from accelmark_tui.screens.widgets.submit_steps import ROWS
    from accelmark_tui.submit.flow import STEPS as ENGINE_STEPS

    assert [name for name, _ in ROWS] == list(STEPS)
    assert set(STEPS) <= set(ENGINE_STEPS)


@pytest.mark.anyio
async def test_the_target_repository_comes_from_settings(services, root, github, token_env, profile):
    """settings.json's submit_repo is where the PR goes; a broken file is one sentence, then ctrl+r."""
    import json

    from accelmark_tui.screens.error_modal import ErrorModal
    from accelmark_tui.config import settings_path

    github.state.add_repo("example-lab/Leaderboard", gs.upstream_files())
    settings_path().parent.mkdir(parents=True, exist_ok=True)
    settings_path().write_text("{")
    app = _app(services, root)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ErrorModal) and "settings.json are unreadable" in app.screen.text
        await pilot.press("escape")
        await pilot.pause()
        screen = app.screen
        assert screen.state == "failed" and _text(screen, "#submit-status").endswith("ctrl+r checks again.")
        settings_path().write_text(json.dumps({"submit_repo": "example-lab/Leaderboard"}))
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert screen.state == "ready" and _text(screen, "#submit-account").startswith(
            "To example-lab/Leaderboard as @alice")
        await _submit(pilot)
        assert screen.state == "done" and screen.pr_url == f"{github.url}/example-lab/Leaderboard/pull/1"
    assert [p["repo"] for p in github.state.pulls] == ["example-lab/Leaderboard"]


@pytest.mark.anyio
async def test_the_token_is_in_no_file_and_no_output(services, root, github, profile, capfd, tmp_path):
    """Pasted, used for a whole submission: it shows nowhere, on screen, on disk or in output."""
    app = _app(services, root)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        _paste(app.screen, TOKEN)
        await pilot.press("enter")
        await settle(pilot)
        await _submit(pilot)
        assert app.screen.state == "done"
        shots = [app.export_screenshot()]
        await pilot.press("f1")
        await pilot.pause()
        shots.append(app.export_screenshot())
    assert all(TOKEN not in shot for shot in shots)
    assert TOKEN not in repr(app.github_token) and TOKEN not in str(app.github_token)
    out = capfd.readouterr()
    assert TOKEN not in out.out + out.err
    home = Path(os.environ["ACCELMARK_CONFIG_DIR"]).parent  # config, data, cache of this test
    files = [p for base in (tmp_path, home) for p in base.rglob("*") if p.is_file()]
    assert any(p.name == "profile.json" for p in files) and any(p.name == "result.json" for p in files)
    for path in files:
        assert TOKEN.encode() not in path.read_bytes(), path
    import json

    assert all(TOKEN not in json.dumps(body) for body in github.state.bodies)
    assert TOKEN not in json.dumps(github.state.pulls)


# ── snapshots (fixed data: the example run, login alice, the PR link pinned) ──


@pytest.mark.parametrize("size", ["wide", "small"])
def test_submit_snapshot_ready(size, snap_compare, services, root, github, token_env, profile):
    assert snap_compare(_app(services, root), terminal_size=SIZES[size], run_before=settle)


@pytest.mark.parametrize("size", ["wide", "small"])
def test_submit_snapshot_done(size, snap_compare, services, root, github, token_env, profile):
    github.state.base_url = "https://github.com"  # the PR link, without the server's random port

    async def submitted(pilot):
        await settle(pilot)
        await _submit(pilot)

    assert snap_compare(_app(services, root), terminal_size=SIZES[size], run_before=submitted)


def test_submit_snapshot_no_token_blocked_light(snap_compare, services, root, github):
    assert snap_compare(_app(services, root, "partial", "textual-light"), terminal_size=SIZES["wide"],
                        run_before=settle)
