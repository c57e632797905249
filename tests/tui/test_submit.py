"""The submit screen: honest about what is not built, and what each fixed run still needs."""

from __future__ import annotations

from pathlib import Path

import pytest
from results_data import build_root, screen_app, services_for, settle

from accelmark_tui.results.store import find_run, load_run

SIZES = {"wide": (120, 40), "small": (80, 24)}


@pytest.fixture
def root(tmp_path, monkeypatch) -> tuple[Path, dict[str, str]]:
    monkeypatch.chdir(tmp_path)
    # What the checklist reads from outside the run: no token and no GitHub CLI here, so the
    # screen reads the same on every machine (the profile dir is the test's own, empty).
    for var in ("GITHUB_TOKEN", "GH_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr("accelmark_tui.screens.submit.shutil.which", lambda name: None)
    return build_root(Path("."))


def _app(services, root, which="example", theme="textual-dark"):
    from accelmark_tui.screens.submit import SubmitScreen

    return screen_app(lambda: SubmitScreen(root[1][which]), services_for(services, root[0]), theme)


@pytest.mark.parametrize("size", ["wide", "small"])
def test_submit_snapshot(size, snap_compare, services, root):
    assert snap_compare(_app(services, root), terminal_size=SIZES[size], run_before=settle)


def test_submit_snapshot_incomplete_light(snap_compare, services, root):
    assert snap_compare(_app(services, root, "partial", "textual-light"), terminal_size=SIZES["wide"],
                        run_before=settle)


def _marks(items):
    return [m for m, _, _ in items]


def test_checklist_for_the_example(root):
    """The submit engine's items for the upstream example, then the token line."""
    from accelmark_tui.results.profile import Profile
    from accelmark_tui.screens.submit import MISSING, NOTE, OK, checklist

    run = load_run(find_run(root[1]["example"], root[0]))
    items = checklist(run, None, environ={}, gh_available=False)
    names = [what.split(":")[0] for _, what, _ in items]
    assert names[:2] == ["submitter", "suite accepted"] and names[-1] == "GitHub token"
    assert MISSING not in _marks(items)[:-1]  # the example itself is submittable
    assert dict(zip(names, _marks(items)))["accuracy receipt"] == NOTE  # valid: false, with its reason
    assert _marks(items)[-1] == MISSING and "gh auth login" in items[-1][2]
    items = checklist(run, Profile("octocat"), environ={"GH_TOKEN": "ghp_not_a_real_token"}, gh_available=False)
    assert "@octocat" in items[0][1] and "re-stamped" in items[0][1]
    assert items[-1][0] == OK and "GH_TOKEN" in items[-1][1]
    assert not any("ghp_not_a_real_token" in what + fix for _, what, fix in items)  # never the token
    assert checklist(run, None, environ={}, gh_available=True)[-1][0] == NOTE


def test_checklist_for_an_incomplete_run_and_a_local_suite(root):
    import json

    from accelmark_tui.screens.submit import MISSING, checklist

    run = load_run(find_run(root[1]["partial"], root[0]))
    items = {what.split(":")[0]: (mark, what, fix) for mark, what, fix in
             checklist(run, None, environ={}, gh_available=False)}
    assert items["required files"][0] == MISSING and "Resume" in items["required files"][2]
    # The example as accelmark's own quick suite: refused by the upstream leaderboard, with the reason.
    doc_path = Path(root[1]["example"]) / "result.json"
    doc = json.loads(doc_path.read_text())
    doc["suite_id"] = "suite_Quick"
    doc_path.write_text(json.dumps(doc))
    run = load_run(find_run(root[1]["example"], root[0]))
    suite = next(i for i in checklist(run, None, environ={}, gh_available=False) if i[1].startswith("suite"))
    assert suite[0] == MISSING and "suite_A to suite_G" in suite[1]


def test_the_command_that_submits_today(root):
    from accelmark_tui.screens.submit import submit_command

    run = load_run(find_run(root[1]["example"], root[0]))
    assert submit_command(run, root[0]) == f"accelmark submit {run.run_dir.run_name} --output-dir results"


@pytest.mark.anyio
async def test_screen_says_nothing_is_sent(services, root):
    app = _app(services, root)
    async with app.run_test(size=SIZES["wide"]) as pilot:
        await settle(pilot)
        plan = str(app.screen.query_one("#submit-plan").content)
        assert "not built yet; nothing is sent" in plan and "FreedomIntelligence/AccelMark" in plan
        assert "accelmark submit mtt_s4000x1_suite_F" in plan and "--dry-run" in plan
        assert app.screen.items[-1][1].startswith("GitHub token")
