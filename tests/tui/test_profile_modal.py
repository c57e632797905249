"""The submitter profile: asked before the first run (never at launch), checked per field, saved to config."""

from __future__ import annotations

import json

import pytest

from accelmark_tui.config import Profile, load_profile, profile_path

pytestmark = pytest.mark.anyio


async def _open_profile(pilot, tui):
    """Home → setup (quick suite) → Start: the modal a first run meets."""
    await tui.settle(pilot)
    await pilot.press("r")
    await tui.settle(pilot)
    await pilot.press("ctrl+s")
    await tui.settle(pilot)
    modal = pilot.app.screen
    assert type(modal).__name__ == "ProfileModal"
    return modal


def _shown(modal) -> dict[str, str]:
    return {name: str(modal.query_one(f"#{name}-error").content)
            for name in ("login", "type", "organization", "contact", "save")
            if modal.query_one(f"#{name}-error").has_class("-shown")}


async def test_never_shown_at_launch(make_app, tui):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await tui.settle(pilot)
        assert [type(s).__name__ for s in app.screen_stack] == ["HomeScreen"]


async def test_bad_fields_get_errors_beside_them_and_nothing_is_saved(make_app, tui, fake_live):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        modal = await _open_profile(pilot, tui)
        assert "credits every result to a GitHub account" in str(modal.query_one("#profile-why").content)
        assert "placeholder" in str(modal.query_one("#profile-skip-note").content)
        modal.query_one("#login").value = "not a login!"
        modal.query_one("#type-vendor").value = True
        modal.query_one("#contact").value = "nobody-at-example"
        await pilot.press("ctrl+s")
        await pilot.pause()
        errors = _shown(modal)
        assert set(errors) == {"login", "organization", "contact"}
        assert "'not a login!' is not a GitHub login" in errors["login"]
        assert errors["organization"].startswith("A vendor submission needs an organisation")
        assert "is not an email address" in errors["contact"]
        assert app.screen is modal and modal.has_class("-blocked")
        assert app.focused is modal.query_one("#login")
        assert not profile_path().exists() and fake_live == []


async def test_saving_writes_the_profile_then_the_run_starts(make_app, tui, fake_live):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        modal = await _open_profile(pilot, tui)
        await pilot.press(*"@octo-cat")
        modal.query_one("#type-research").value = True
        modal.query_one("#organization").value = "  Example Lab "
        modal.query_one("#contact").value = "octo@example.org"
        await pilot.click("#save")
        await tui.settle(pilot)
        assert json.loads(profile_path().read_text()) == {
            "submitted_by": "octo-cat", "submission_type": "research", "organization": "Example Lab",
            "contact": "octo@example.org"}
        assert load_profile() == Profile("octo-cat", "research", "Example Lab", "octo@example.org")
        assert type(app.screen).__name__ == "LiveRunScreen" and len(fake_live) == 1


async def test_skip_records_nothing_and_escape_goes_back(make_app, tui, fake_live):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_profile(pilot, tui)
        await pilot.press("escape")  # Esc: back to setup, nothing started, nothing saved
        await pilot.pause()
        assert type(app.screen).__name__ == "RunSetupScreen" and fake_live == []
        assert not app.profile_skipped
        await pilot.press("ctrl+s")
        await tui.settle(pilot)
        await pilot.click("#skip")
        await tui.settle(pilot)
        assert type(app.screen).__name__ == "LiveRunScreen" and len(fake_live) == 1
        assert not profile_path().exists()


async def test_unwritable_config_is_shown_in_the_dialog(make_app, tui, fake_live, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the config folder should be")
    monkeypatch.setenv("ACCELMARK_CONFIG_DIR", str(blocker))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        modal = await _open_profile(pilot, tui)
        modal.query_one("#login").value = "octocat"
        await pilot.press("ctrl+s")
        await tui.settle(pilot)
        assert app.screen is modal and "save" in _shown(modal)
        assert fake_live == []


# -- snapshots --------------------------------------------------------------------------------


def _profile(errors: bool):
    async def run_before(pilot) -> None:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("r")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        modal = pilot.app.screen
        if errors:
            modal.query_one("#login").value = "-bad-"
            modal.query_one("#type-vendor").value = True
            await pilot.press("ctrl+s")
            await pilot.pause()
        modal.query_one("#login").cursor_blink = False
        await pilot.pause()

    return run_before


@pytest.mark.usefixtures("slow_sampling")
class TestProfileSnapshots:
    @pytest.mark.parametrize("size", ["wide", "small"])
    def test_first_run(self, size, snap_compare, make_app, tui):
        assert snap_compare(make_app(), terminal_size=tui.sizes[size], run_before=_profile(False))

    def test_errors(self, snap_compare, make_app, tui):
        assert snap_compare(make_app(), terminal_size=tui.sizes["wide"], run_before=_profile(True))


async def test_the_dialog_shows_its_own_keys_and_errors_clear_as_fields_are_fixed(make_app, tui, fake_live):
    from textual.widgets import Footer

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        modal = await _open_profile(pilot, tui)
        [footer] = modal.query(Footer)  # the dialog's own, not run setup's (^s Start, ^o Pick file)
        keys = {b.id for _, b, enabled, _ in modal.active_bindings.values() if b.show and enabled}
        assert {"profile.save", "profile.skip", "profile.cancel"} <= keys and "setup.browse" not in keys
        await pilot.click("#login")
        await pilot.press(*"bad login!")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert set(_shown(modal)) == {"login"} and app.focused is modal.query_one("#login")
        modal.query_one("#login").value = "octocat"
        await pilot.pause()
        assert _shown(modal) == {}  # fixed: its error went without pressing Save again
        await pilot.press("ctrl+n")
        await tui.settle(pilot)
        assert type(app.screen).__name__ != "ProfileModal" and app.profile_skipped
