"""Run setup: prefilled fields, an error beside every bad field, Start → profile → live run."""

from __future__ import annotations


import pytest

from accelmark_tui.engine.models import embedded_model_path
from accelmark_tui.config import Profile, load_profile

pytestmark = pytest.mark.anyio


async def _setup(pilot, tui, runner=None, suite="suite_Quick"):
    await tui.settle(pilot)
    pilot.app.open_setup(runner_id=runner, suite_id=suite)
    await tui.settle(pilot)
    screen = pilot.app.screen
    assert type(screen).__name__ == "RunSetupScreen"
    return screen


def _errors(screen) -> dict[str, str]:
    from accelmark_tui.ui.setup_form import FIELDS

    shown = {}
    for name in FIELDS:
        label = screen.query_one(f"#{name}-error")
        if label.has_class("-shown"):
            shown[name] = str(label.content)
    return shown


async def _start(pilot, tui) -> None:
    await pilot.press("ctrl+s")
    await tui.settle(pilot)


async def test_prefilled_from_arguments_with_suite_defaults(make_app, tui):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _setup(pilot, tui, runner="cpu_llamacpp_fcba25f1")
        assert screen.query_one("#runner").value == "cpu_llamacpp_fcba25f1"
        assert screen.query_one("#suite").value == "suite_Quick"
        assert screen.query_one("#src-suite").value is True
        assert screen.query_one("#runs").placeholder == "3 (suite default)"
        assert screen.query_one("#threads").placeholder == "2 (physical cores)"
        assert "can run suite_Quick here (validated)" in tui.text(screen.query_one("#fit-line"))
        assert app.focused is screen.query_one("#start")
        picks = {str(cb.name): cb.value for cb in screen.query("#scenario-picks Checkbox")}
        assert picks == {"accuracy": True, "offline": True, "online": True, "interactive": True,
                         "sustained": False, "burst": False}


async def test_invalid_fields_show_errors_and_block_start(make_app, tui, fake_live, tmp_path):
    not_gguf = tmp_path / "notes.gguf"
    not_gguf.write_text("hello")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _setup(pilot, tui)
        screen.query_one("#src-local").value = True
        screen.query_one("#model-path").value = str(not_gguf)
        screen.query_one("#mode-pick").value = True
        await pilot.pause()
        for cb in screen.query("#scenario-picks Checkbox"):
            cb.value = False
        screen.query_one("#runs").value = "three"
        screen.query_one("#warmup").value = "-1"
        screen.query_one("#threads").value = "64"
        await _start(pilot, tui)
        errors = _errors(screen)
        assert set(errors) == {"model", "scenario", "runs", "warmup", "threads"}
        assert "is not a GGUF file" in errors["model"]
        assert errors["scenario"].startswith("Tick at least one scenario")
        assert errors["runs"].startswith("Runs must be a whole number from 1 to 100")
        assert errors["warmup"].startswith("Warm-up must be from 0 to 1000")
        assert "This machine has 2 logical cores." in errors["threads"]
        assert screen.has_class("-blocked") and screen.query_one("#runs-field").has_class("-invalid")
        assert "5 fields to fix" in str(screen.query_one("#start-error").content)
        assert type(app.screen).__name__ == "RunSetupScreen" and fake_live == []
        assert app.focused is screen.query_one("#model-source")  # the first bad field
        # Fixing a field clears its error as it is typed.
        screen.query_one("#runs").value = "2"
        await pilot.pause()
        assert "runs" not in _errors(screen)


HUB_SPECS = [
    ("bartowski/SmolLM2-135M-Instruct-GGUF:SmolLM2-135M-Instruct-Q4_K_M.gguf", True),
    ("org/repo@v1.0:sub/model.gguf", True),
    ("just-a-name", False),
    ("org/repo:model.bin", False),
]


async def test_an_unsubmittable_choice_is_said_before_the_run(make_app, tui):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _setup(pilot, tui)
        note = screen.query_one("#suite-note")
        cpu = next(r.id for r in app.services.runners() if r.id.startswith("cpu_llamacpp_"))
        assert note.display and tui.text(note) == (
            "suite_Quick results cannot go to the AccelMark leaderboard (it takes suite_A to suite_G only); from this "
            f"machine suite_F could, with {cpu} and a GGUF of Qwen2.5-0.5B-Instruct.")
        screen.query_one("#suite").value = "suite_F"
        await tui.settle(pilot)
        assert not note.display  # an accepted suite with its default scenarios: nothing to say
        screen.query_one("#mode-pick").value = True
        await pilot.pause()
        for cb in screen.query("#scenario-picks Checkbox"):
            cb.value = cb.name == "accuracy"
        await pilot.pause()
        assert note.display and tui.text(note).startswith(
            "Not submittable as it stands: suite_F needs accuracy, offline, online and interactive; offline, online "
            "and interactive will not run")


async def test_hub_spec_is_checked_while_typing(make_app, tui):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _setup(pilot, tui)
        screen.query_one("#src-hub").value = True
        await pilot.pause()
        assert screen.query_one("#model-hub").display and not screen.query_one("#local-row").display
        for spec, ok in HUB_SPECS:
            screen.query_one("#model-hub").value = spec
            await pilot.pause()
            assert ("model" not in _errors(screen)) is ok, spec
            if not ok:
                assert "is not ORG/REPO[@REV]:FILE.gguf" in _errors(screen)["model"]


async def test_suite_without_bundled_model_needs_a_file(make_app, tui):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _setup(pilot, tui, suite="suite_A")
        assert screen.query_one("#src-hub").value is True  # preselected: the embedded model is not suite A's
        screen.query_one("#src-suite").value = True
        await _start(pilot, tui)
        assert "suite_A's model (Meta-Llama-3-8B-Instruct) is not bundled" in _errors(screen)["model"]


async def test_blocked_runner_is_an_error_beside_the_runner(make_app, tui):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _setup(pilot, tui)
        runner = next(r.id for r in app.services.runners() if r.id.startswith("nvidia_llamacpp_"))
        screen.query_one("#runner").value = runner
        await pilot.pause()
        assert "needs an NVIDIA GPU; this machine has none" in _errors(screen)["runner"]
        await _start(pilot, tui)
        assert set(_errors(screen)) == {"runner"}


async def test_valid_start_without_profile_asks_for_it_then_runs(make_app, tui, fake_live):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _setup(pilot, tui, runner="cpu_llamacpp")
        screen.query_one("#runs").value = "1"
        screen.query_one("#warmup").value = "0"
        screen.query_one("#threads").value = "2"
        await _start(pilot, tui)
        assert _errors(screen) == {}
        assert type(app.screen).__name__ == "ProfileModal"
        await pilot.click("#skip")
        await tui.settle(pilot)
        assert type(app.screen).__name__ == "LiveRunScreen"
        (request,) = fake_live
        assert request.runner.startswith("cpu_llamacpp_") and request.suite == "suite_Quick"
        assert (request.model, request.scenario, request.runs, request.warmup, request.threads) == \
            (None, "default", 1, 0, 2)
        assert (request.tier, request.force) == ("community", False)
        assert app.profile_skipped and load_profile() is None
        # Skipped once: the next Start in this session goes straight to the run.
        app.pop_screen()
        await pilot.pause()
        await _start(pilot, tui)
        assert type(app.screen).__name__ == "LiveRunScreen" and len(fake_live) == 2


async def test_start_with_a_profile_goes_straight_to_the_run(make_app, tui, fake_live, services):
    services.save_profile(Profile("octocat"))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _setup(pilot, tui)
        screen.query_one("#mode-all").value = True
        screen.query_one("#tier").value = "verified"
        screen.query_one("#force").value = True
        await _start(pilot, tui)
        assert type(app.screen).__name__ == "LiveRunScreen"
        assert (fake_live[0].scenario, fake_live[0].tier, fake_live[0].force) == ("all", "verified", True)


async def test_picked_scenarios_and_a_local_gguf(make_app, tui, fake_live, services):
    services.save_profile(Profile("octocat"))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _setup(pilot, tui)
        screen.query_one("#mode-pick").value = True
        screen.query_one("#src-local").value = True
        await pilot.pause()
        for cb in screen.query("#scenario-picks Checkbox"):
            cb.value = str(cb.name) in ("offline", "burst")
        screen.query_one("#model-path").value = str(embedded_model_path())
        await _start(pilot, tui)
        assert _errors(screen) == {}
        assert fake_live[0].scenario == "offline,burst"
        assert fake_live[0].model == str(embedded_model_path())


async def test_backend_options_are_generated_fields_checked_by_their_parser(make_app, tui, fake_live, services):
    """The llama.cpp runner's declared options appear as fields (a list for choices, a box for numbers);
    a bad value is its option's sentence beside the field; set values reach the request's options."""
    services.save_profile(Profile("octocat"))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _setup(pilot, tui, runner="cpu_llamacpp")
        assert type(screen.query_one("#opt-type-k")).__name__ == "Select"
        assert type(screen.query_one("#opt-n-batch")).__name__ == "Input"
        assert screen.query_one("#opt-n-batch").placeholder == "N (default: 512)"
        screen.query_one("#opt-type-k").value = "q8_0"
        screen.query_one("#opt-n-batch").value = "lots"
        await tui.settle(pilot)
        error = screen.query_one("#opt-n-batch-error")
        assert error.has_class("-shown") and str(error.content) == "--n-batch takes a whole number, not 'lots'."
        await _start(pilot, tui)
        assert not fake_live and screen.query_one("#opt-n-batch-field").has_class("-invalid")
        screen.query_one("#opt-n-batch").value = "64"
        await _start(pilot, tui)
        assert not screen.query_one("#opt-n-batch-error").has_class("-shown")
        assert fake_live[0].options == {"type_k": "q8_0", "n_batch": 64}
        # The endpoint runner's own form has its URL and API fields; its other options are generated.
        app.pop_screen()
        await pilot.pause()
        screen.query_one("#runner").value = next(r for r in screen.matrix.runners if r.is_endpoint).id
        await tui.settle(pilot)
        assert not screen.query("#opt-type-k") and not screen.query("#opt-base-url")
        assert screen.query_one("#opt-idle-timeout-s").placeholder == "S (default: 60.0)"


async def test_file_picker_shows_gguf_files_and_fills_the_path(make_app, tui, tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "tiny.gguf").write_bytes(b"GGUF")
    (tmp_path / "models" / "readme.txt").write_text("not a model")
    (tmp_path / "models" / ".hidden.gguf").write_bytes(b"GGUF")
    (tmp_path / "models" / "sub").mkdir()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _setup(pilot, tui)
        screen.query_one("#model-path").value = str(tmp_path / "models")
        await pilot.press("ctrl+o")
        await tui.settle(pilot)
        picker = app.screen
        assert type(picker).__name__ == "FilePickerModal"
        tree = picker.query_one("#picker-tree")
        await pilot.pause(0.2)
        await tui.settle(pilot)
        assert [child.data.path.name for child in tree.root.children] == ["sub", "tiny.gguf"]
        await pilot.press("down", "down", "enter")
        await tui.settle(pilot)
        assert app.screen is screen
        assert screen.query_one("#model-path").value == str(tmp_path / "models" / "tiny.gguf")
        assert screen.query_one("#src-local").value is True


async def test_file_picker_opens_here_then_where_the_last_pick_was(make_app, tui, tmp_path, monkeypatch):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "tiny.gguf").write_bytes(b"GGUF")
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _setup(pilot, tui)
        await pilot.press("ctrl+o")
        await tui.settle(pilot)
        assert app.screen.start == tmp_path  # the current folder, not the home folder
        app.screen.dismiss(str(tmp_path / "models" / "tiny.gguf"))
        await tui.settle(pilot)
        screen.query_one("#model-path").value = ""
        await pilot.press("ctrl+o")
        await tui.settle(pilot)
        assert app.screen.start == tmp_path / "models"  # remembered


async def test_file_picker_escape_cancels(make_app, tui):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _setup(pilot, tui)
        await pilot.press("ctrl+o")
        await tui.settle(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and screen.query_one("#model-path").value == ""


def test_form_check_without_widgets():
    """The field rules on their own (no app): what Start relies on."""
    from accelmark_tui.catalog.suites import get_suite
    from accelmark_tui.ui.setup_form import FormValues, check_form

    suite = get_suite("suite_Quick")
    errors, request = check_form(FormValues(runner="cpu_llamacpp_x", suite=suite.id, runs=" 5 ", threads=""),
                                 suite=suite, fit=None, machine=None)
    assert errors == {} and (request.runs, request.threads, request.model) == (5, None, None)
    errors, request = check_form(FormValues(runner=None, suite=None, source="local", tier="gold"),
                                 suite=None, fit=None, machine=None)
    assert request is None and set(errors) == {"runner", "suite", "model", "tier"}


# -- snapshots --------------------------------------------------------------------------------


def _open(runner=None, suite="suite_Quick", invalid=False):
    async def run_before(pilot) -> None:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        pilot.app.open_setup(runner_id=runner, suite_id=suite)
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if invalid:
            screen = pilot.app.screen
            screen.query_one("#src-hub").value = True
            await pilot.pause()
            screen.query_one("#model-hub").value = "not a hub file"
            screen.query_one("#runs").value = "0"
            screen.query_one("#threads").value = "x"
            await pilot.press("ctrl+s")
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            for box in screen.query("Input"):
                box.cursor_blink = False
            await pilot.pause()

    return run_before


@pytest.mark.usefixtures("slow_sampling")
class TestRunSetupSnapshots:
    @pytest.mark.parametrize("size", ["wide", "small"])
    def test_prefilled(self, size, snap_compare, make_app, tui):
        assert snap_compare(make_app(), terminal_size=tui.sizes[size], run_before=_open("cpu_llamacpp"))

    @pytest.mark.parametrize("size", ["wide", "small"])
    def test_errors_beside_fields(self, size, snap_compare, make_app, tui):
        assert snap_compare(make_app(), terminal_size=tui.sizes[size], run_before=_open(invalid=True))


async def test_radio_buttons_and_checkboxes_show_their_state_without_colour(make_app, tui):
    """Textual's ▐●▌ and ▐X▌ look the same on and off but for colour; off leaves the mark out."""
    from textual.widgets import Checkbox, RadioButton

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await tui.settle(pilot)
        await pilot.press("r")
        await tui.settle(pilot)
        radios = {r.id: r._button.plain for r in app.screen.query(RadioButton)}
        assert radios["src-suite"] == "▐●▌" and radios["src-local"] == "▐ ▌"
        boxes = [(b.value, b._button.plain) for b in app.screen.query(Checkbox)]
        assert boxes and all(plain == ("▐X▌" if on else "▐ ▌") for on, plain in boxes)


async def test_a_folder_backend_asks_for_a_folder_or_repo_not_a_gguf(make_app, tui, fake_live, services, tmp_path):
    """The mlx-lm runner reads Hugging Face folders: the model row says so, the GGUF file picker is not offered,
    the bundled GGUF is refused in one sentence, and a tiny model's folder starts the run."""
    pytest.importorskip("mlx_lm")  # the runner is ready only with mlx installed
    from accelmark_tui.engine.tiny_model import write_tiny_model

    write_tiny_model(tmp_path / "tiny")
    services.save_profile(Profile("octocat"))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _setup(pilot, tui, runner="apple_mlx_lm")
        assert str(screen.query_one("#src-local").label) == "Local folder"
        assert screen.query_one("#model-hub").placeholder == "ORG/NAME[@REV]"
        assert screen.check_action("browse", ()) is False
        await _start(pilot, tui)  # the suite's model: the embedded GGUF
        assert "bundled model is a GGUF, which this runner cannot load" in _errors(screen)["model"]
        screen.query_one("#src-hub").value = True
        screen.query_one("#model-hub").value = "org/repo:model.gguf"
        await _start(pilot, tui)
        assert "is not ORG/NAME[@REV]" in _errors(screen)["model"]
        screen.query_one("#src-local").value = True
        screen.query_one("#model-path").value = str(tmp_path / "tiny")
        await _start(pilot, tui)
        assert _errors(screen) == {} and fake_live[0].model == str(tmp_path / "tiny")
        assert fake_live[0].runner.startswith("apple_mlx_lm_")
