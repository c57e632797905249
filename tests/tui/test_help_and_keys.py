"""Help and keys: F1 lists every binding, Esc goes back, the command palette, ctrl+q."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from textual.binding import Binding

pytestmark = pytest.mark.anyio

MY_SCREENS = [("home", "HomeScreen"), ("catalog", "CatalogScreen"), ("run_setup", "RunSetupScreen"),
              ("profile_modal", "ProfileModal"), ("file_picker", "FilePickerModal"), ("help", "HelpScreen"),
              ("error_modal", "ErrorModal"), ("confirm_modal", "ConfirmModal"),
              ("submit", "SubmitScreen")]


@pytest.mark.parametrize(("module", "name"), MY_SCREENS + [("app", "AccelmarkApp")])
def test_every_binding_has_an_id_and_a_description(module, name):
    path = "accelmark_tui.ui.app" if module == "app" else f"accelmark_tui.screens.{module}"
    cls = getattr(importlib.import_module(path), name)
    own = [b for b in cls.__dict__.get("BINDINGS", []) if isinstance(b, Binding)]
    assert own, f"{name} declares no bindings"
    for binding in own:
        assert binding.id and binding.description and binding.tooltip, binding


async def test_f1_lists_the_screen_and_app_bindings_and_esc_closes(make_app, tui):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await tui.settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        help_screen = app.screen
        assert type(help_screen).__name__ == "HelpScreen"
        keys = tui.text(help_screen.query_one("#help-keys"))
        for text in ("Quick suite", "Set up a run of the quick suite", "Catalog", "Results", "Submit",
                     "Quit", "Quit (asks first while a run is live)", "Help", "Theme"):
            assert text in keys, text
        assert "Back" not in keys  # nothing to go back to from home
        assert "What accelmark found" in str(help_screen.query_one("#help-about").content)
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "HomeScreen"


async def test_help_on_catalog_lists_its_keys(make_app, tui):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await tui.settle(pilot)
        await pilot.press("c")
        await tui.settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        keys = tui.text(app.screen.query_one("#help-keys"))
        assert "Set up run" in keys and "Back" in keys and "Quick suite" not in keys
        await pilot.press("f1")  # F1 again closes too
        await pilot.pause()
        assert type(app.screen).__name__ == "CatalogScreen"


async def test_f1_inside_a_dialog_lists_the_dialog_keys(make_app, tui):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await tui.settle(pilot)
        await pilot.press("r")
        await tui.settle(pilot)
        await pilot.press("ctrl+s")
        await tui.settle(pilot)
        assert type(app.screen).__name__ == "ProfileModal"
        await pilot.press("f1")
        await pilot.pause()
        keys = tui.text(app.screen.query_one("#help-keys"))
        assert "Save" in keys and "Back without saving or starting" in keys and "Quit" not in keys
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "ProfileModal"


async def test_escape_goes_back_everywhere_but_home(make_app, tui):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await tui.settle(pilot)
        await pilot.press("escape")
        assert type(app.screen).__name__ == "HomeScreen"
        await pilot.press("c")
        await tui.settle(pilot)
        await pilot.press("enter")  # cpu × Quick → setup
        await tui.settle(pilot)
        assert [type(s).__name__ for s in app.screen_stack] == ["HomeScreen", "CatalogScreen", "RunSetupScreen"]
        await pilot.press("escape")
        await pilot.press("escape")
        await pilot.press("escape")
        await pilot.pause()
        assert [type(s).__name__ for s in app.screen_stack] == ["HomeScreen"]


async def test_command_palette_finds_suite_quick_and_opens_setup(make_app, tui):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await tui.settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"suite_Quick")
        await pilot.pause(0.5)
        palette = app.screen
        options = palette.query_one("CommandList")
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("Suite suite_Quick" in p for p in prompts), prompts
        await pilot.press("enter")
        await tui.settle(pilot)
        assert type(app.screen).__name__ == "RunSetupScreen"
        assert app.screen.query_one("#suite").value == "suite_Quick"


async def test_command_palette_offers_runners_runs_and_screens(make_app, tui, results_root):
    import shutil
    from pathlib import Path

    example = Path(__file__).resolve().parents[1] / "fixtures" / "results" / "example-result"
    name = "mtt_s4000x1_suite_F_moorethreads_vllm_musa_f2f6f965_4f66d29d"
    shutil.copytree(example, results_root / "community" / name)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await tui.settle(pilot)
        from accelmark_tui.ui.commands import AccelmarkCommands

        provider = AccelmarkCommands(app.screen)
        await provider.startup()
        texts = [e.text for e in provider._entries]
        assert "Catalog: runners × suites" in texts and "Results" in texts and "Help" in texts
        assert any(t.startswith("Runner cpu_llamacpp_") for t in texts)
        assert f"Run {name}" in texts
        hits = [h async for h in provider.search("mtt_s4000")]
        assert hits and "mtt_s4000" in str(hits[0].text)


async def test_ctrl_q_exits_when_no_run_is_live(make_app, tui):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await tui.settle(pilot)
        await pilot.press("c")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running


async def test_ctrl_q_asks_first_while_a_run_is_live(make_app, tui):
    stopped = []
    proc = SimpleNamespace(poll=lambda: None)  # a runner process that is still running
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await tui.settle(pilot)
        app.live_session = SimpleNamespace(proc=proc, stop=lambda now=False: stopped.append(now))
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmModal"
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running and stopped == []
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert stopped == [False] and not app.is_running


# -- snapshots --------------------------------------------------------------------------------


def _help_over(key: str | None):
    async def run_before(pilot) -> None:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if key:
            await pilot.press(key)
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()

    return run_before


@pytest.mark.usefixtures("slow_sampling")
class TestHelpSnapshots:
    @pytest.mark.parametrize("size", ["wide", "small"])
    def test_help_on_home(self, size, snap_compare, make_app, tui):
        assert snap_compare(make_app(), terminal_size=tui.sizes[size], run_before=_help_over(None))

    def test_help_on_catalog_light(self, snap_compare, make_app, tui):
        assert snap_compare(make_app("textual-light"), terminal_size=tui.sizes["small"], run_before=_help_over("c"))
