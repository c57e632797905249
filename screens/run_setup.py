"""Run setup: runner, suite, model, scenarios, runs, warm-up, threads, tier; then Start.

Every field is checked before Start (``ui.setup_form.check_form``) and a bad
one gets its sentence right under it. The catalog and the GGUF check touch
the disk, so they run in thread workers. The first Start without a submitter
profile asks for one (or a skip) before the run begins. An endpoint runner
swaps the model rows for the server's (``widgets.endpoint_fields``: URL, the
served models fetched from it, key variable, API, chip, sweep/peak load shape)
and offers accelmark's sweep and peak scenarios. The runner's backend options (its spec's, through
``services.backend_options``) follow as generated fields: a box for a number or text, a list for
choices or an on/off whose default is the backend's, each checked by the option's own parser.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Footer, Header, Input, Label, RadioSet, Select, Static

from accelmark_tui.screens.widgets import model_source
from accelmark_tui.screens.widgets.backend_options import BackendOptions
from accelmark_tui.screens.widgets.endpoint_fields import EndpointFields
from accelmark_tui.screens.widgets.form_row import field_row, show_field_error
from accelmark_tui.screens.widgets.setup_choices import pick_runner, scenario_choices
from accelmark_tui.screens.widgets.toggles import Checkbox, RadioButton
from accelmark_tui.ui.base import AccelmarkScreen
from accelmark_tui.ui.setup_form import ENDPOINT_FIELDS, FIELDS, FormValues, check_form, suite_has_model

_field = field_row
# Typed boxes → the field whose sentence they share.
_INPUT_FIELD = {"model-path": "model", "model-hub": "model", "chip-count": "chip"}


class RunSetupScreen(AccelmarkScreen):
    CSS_PATH = Path(__file__).with_name("run_setup.tcss")
    HELP_TITLE = "Run setup"
    HELP_TEXT = ("Choose what to run. Empty number fields use the suite's defaults. Start checks every field and "
                 "shows what is wrong beside it; nothing is measured until all are fine. With the endpoint runner, "
                 "give the server's URL and press enter (or Fetch models) to list the models it serves; the API "
                 "key is named by its environment variable, never typed here.")
    BINDINGS = [
        Binding("ctrl+s", "start", "Start", id="setup.start", tooltip="Check every field, then start the run"),
        Binding("ctrl+o", "browse", "Pick file", id="setup.browse", tooltip="Choose a local GGUF model file"),
    ]

    class Loaded(Message):
        def __init__(self, matrix: Any) -> None:
            super().__init__()
            self.matrix = matrix

    class Checked(Message):
        def __init__(self, errors: dict[str, str], request: Any) -> None:
            super().__init__()
            self.errors, self.request = errors, request

    def __init__(self, runner_id: str | None = None, suite_id: str | None = None) -> None:
        super().__init__()
        self.runner_id, self.suite_id = runner_id, suite_id
        self._picks_for: tuple[Any, bool] | None = None  # (suite, endpoint) the scenario boxes were built for
        self.matrix: Any = None  # the services' FitMatrix: runners, suites, fits, the runner to pick per suite
        self.request: Any = None  # the last request that passed every check

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="setup-form"):
            yield _field("Runner", "runner", Select([], id="runner", compact=True, prompt="Loading…"),
                         Static("", id="fit-line"))
            yield _field("Suite", "suite", Select([], id="suite", compact=True, prompt="Loading…"),
                         Static("", id="suite-about", markup=False), Static("", id="suite-note", markup=False))
            yield _field(
                "Model", "model",
                RadioSet(RadioButton("Suite's model", id="src-suite", value=True, compact=True),
                         RadioButton("Local GGUF", id="src-local", compact=True),
                         RadioButton("Hugging Face", id="src-hub", compact=True),
                         id="model-source", compact=True),
                Horizontal(Input(id="model-path", compact=True, placeholder="/path/to/model.gguf"),
                           Button("Browse…", id="browse", compact=True), id="local-row"),
                Input(id="model-hub", compact=True, placeholder="ORG/REPO[@REV]:FILE.gguf"),
                Static("", id="model-about", markup=False),
            )
            yield EndpointFields(id="endpoint-fields")
            yield BackendOptions(id="backend-options")
            yield _field(
                "Scenarios", "scenario",
                RadioSet(RadioButton("default", id="mode-default", value=True, compact=True),
                         RadioButton("all", id="mode-all", compact=True),
                         RadioButton("pick", id="mode-pick", compact=True), id="scenario-mode", compact=True),
                Horizontal(id="scenario-picks"),
                Static("", id="scenario-about", markup=False),
            )
            with Horizontal(id="numbers"):
                yield _field("Runs", "runs", Input(id="runs", compact=True, type="text"))
                yield _field("Warm-up", "warmup", Input(id="warmup", compact=True))
                yield _field("Threads", "threads", Input(id="threads", compact=True))
            yield _field("Tier", "tier",
                         Select([("community", "community"), ("verified", "verified")], value="community",
                                allow_blank=False, id="tier", compact=True),
                         Checkbox("Measure again even if already done (the old run is kept)",
                                  id="force", compact=True))
            with Horizontal(id="actions"):
                yield Button("Start run (ctrl+s)", id="start", variant="primary")
                yield Button("Back (esc)", id="cancel")
            yield Label("", id="start-error", classes="-error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#setup-form").loading = True
        self.load()

    # -- catalog ------------------------------------------------------------------------------
    @work(thread=True, group="setup-load", exit_on_error=False)
    def load(self) -> None:
        self.post_message(self.Loaded(self.app.services.fit_matrix()))

    def on_run_setup_screen_loaded(self, message: Loaded) -> None:
        matrix = self.matrix = message.matrix
        suite_ids = [s.id for s in matrix.suites]
        suite_id = self.suite_id if self.suite_id in suite_ids else matrix.default_suite
        runner_id, named = pick_runner(matrix, self.runner_id, suite_id)
        with self.prevent(Select.Changed):
            self.query_one("#suite", Select).set_options([(s, s) for s in suite_ids])
            self.query_one("#runner", Select).set_options([(r.id, r.id) for r in matrix.runners])
            if suite_id:
                self.query_one("#suite", Select).value = suite_id
            if runner_id:
                self.query_one("#runner", Select).value = runner_id
        threads = matrix.machine.recommended_threads()
        self.query_one("#threads", Input).placeholder = f"{threads} (physical cores)"
        self._suite_changed()
        self.query_one("#setup-form").loading = False
        if self.runner_id and not named:
            self._show({"runner": f"Unknown runner '{self.runner_id}'; choose one from the list."})
        start = self.query_one("#start", Button)
        # Prefilled: Enter starts (and the footer shows ^s); the form stays at its top, where the fit line and
        # the suite are, rather than scrolling them away at 80×24 to show the button.
        start.focus(scroll_visible=False)

    # -- dependent fields -------------------------------------------------------------------------
    def _pair(self) -> tuple[Any, Any]:
        """(suite, fit) of the chosen runner and suite; either may be None."""
        if self.matrix is None:
            return None, None
        runner, suite_id = self._value("#runner"), self._value("#suite")
        suite = self.matrix.suite(suite_id)
        return suite, self.matrix.fit(runner, suite_id) if suite else None

    def _value(self, selector: str) -> Any:
        value = self.query_one(selector, Select).value
        return None if value is Select.NULL else value

    def _suite_changed(self) -> None:
        suite, _ = self._pair()
        if suite is None:
            return
        first = suite.description.split(". ")[0].rstrip(".")
        self.query_one("#suite-about", Static).update(f"{first}.")
        self.query_one("#runs", Input).placeholder = f"{suite.num_runs} (suite default)"
        self.query_one("#warmup", Input).placeholder = "suite default"
        self.query_one(EndpointFields).set_sla_hint((suite.data or {}).get("online_sla_ttft_ms"))
        # A suite without a bundled model needs a file: preselect the hub rather than a choice that cannot run.
        bundled = suite_has_model(suite)
        if not bundled and self._source() == "suite":
            self.query_one("#src-hub", RadioButton).value = True
        self._runner_changed()
        self._source_changed()
        self._note_changed()

    def _note_changed(self) -> None:
        """Say before the run when its result cannot be submitted (suite or scenario choice), and what could be."""
        suite, _ = self._pair()
        picks = self.values().picks if self._mode() == "pick" else None
        note = self.app.services.leaderboard_note(self.matrix, suite.id, picks) if suite else None
        self.query_one("#suite-note", Static).update(note or "")
        self.query_one("#suite-note").display = bool(note)

    def _runner(self) -> Any:
        return self.matrix.runner(self._value("#runner")) if self.matrix else None

    def _endpoint(self) -> bool:
        """Whether the chosen runner measures a server (its fields replace the model's)."""
        runner = self._runner()
        return bool(runner is not None and runner.is_endpoint)

    def _folders(self) -> bool:
        """Whether the chosen runner's backend reads Hugging Face folders (mlx-lm), not GGUF files."""
        formats = getattr(self._runner(), "model_formats", None) or ()
        return "hf" in formats and "gguf" not in formats

    def _build_picks(self) -> None:
        """The scenario boxes of the suite, plus accelmark's own (sweep, peak) for an endpoint runner."""
        suite, _ = self._pair()
        endpoint = self._endpoint()
        if suite is None or self._picks_for == (suite.id, endpoint):
            return
        self._picks_for = (suite.id, endpoint)
        picks = self.query_one("#scenario-picks", Horizontal)
        picks.remove_children()
        names, own, about = scenario_choices(suite, endpoint)
        # name, not id: the old boxes are still being removed while the new ones mount.
        picks.mount_all([Checkbox(n, value=n in suite.default_scenarios, name=n, compact=True) for n in names + own])
        self.query_one("#scenario-about", Static).update(about)

    def _runner_changed(self) -> None:
        endpoint = self._endpoint()
        if endpoint != self.has_class("-endpoint"):
            self.set_class(endpoint, "-endpoint")
            for name in ("model", "threads", *ENDPOINT_FIELDS):
                self._show_one(name, None)  # a hidden field keeps no sentence
            self.refresh_bindings()  # no model file to pick for a server
        self._build_picks()
        self._build_options()
        self._model_kind_changed()
        _, fit = self._pair()
        line = self.query_one("#fit-line", Static)
        if fit is None:
            line.update("")
            return
        line.update(f"{fit.symbol} {fit.message()}" if fit.ready else "")
        self._show_one("runner", None if fit.ready else fit.message())

    def _build_options(self) -> None:
        """One generated field per backend option the chosen runner's backend shows here."""
        runner = self._runner()
        self.query_one(BackendOptions).show(runner.backend if runner else None,
                                            tuple(self.app.services.backend_options(runner)))

    def _model_kind_changed(self) -> None:
        """GGUF files or Hugging Face folders, as the chosen runner's backend reads them."""
        local, path, hub = model_source.labels(self._folders())
        self.query_one("#src-local", RadioButton).label = local
        self.query_one("#model-path", Input).placeholder = path
        self.query_one("#model-hub", Input).placeholder = hub
        self.refresh_bindings()  # the file picker picks GGUF files
        self._source_changed()

    def _source(self) -> str:
        pressed = self.query_one("#model-source", RadioSet).pressed_button
        return str(pressed.id).removeprefix("src-") if pressed is not None else ""

    def _source_changed(self) -> None:
        source = self._source()
        self.query_one("#local-row").display = source == "local"
        self.query_one("#model-hub").display = source == "hub"
        suite, _ = self._pair()
        about = model_source.about(source, self._folders(), suite, bool(suite and suite_has_model(suite)))
        self.query_one("#model-about", Static).update(about)
        self._show_one("model", None)

    @on(Select.Changed, "#suite")
    def _on_suite(self) -> None:
        self._suite_changed()

    @on(Select.Changed, "#runner")
    def _on_runner(self) -> None:
        self._runner_changed()

    @on(RadioSet.Changed, "#model-source")
    def _on_source(self) -> None:
        self._source_changed()

    @on(RadioSet.Changed, "#scenario-mode")
    def _on_mode(self) -> None:
        self.query_one("#scenario-picks").display = self._mode() == "pick"
        self._show_one("scenario", None)
        self._note_changed()

    @on(Checkbox.Changed, "#scenario-picks Checkbox")
    def _on_pick(self) -> None:
        self._note_changed()

    def _mode(self) -> str:
        pressed = self.query_one("#scenario-mode", RadioSet).pressed_button
        return str(pressed.id).removeprefix("mode-") if pressed is not None else ""

    @on(Input.Changed)
    def _on_typed(self, event: Input.Changed) -> None:
        # Check the typed field at once (without opening files); other fields keep their state.
        name = _INPUT_FIELD.get(event.input.id or "", event.input.id)
        if (name in FIELDS or name in self.query_one(BackendOptions).field_names()) and self.matrix is not None:
            suite, fit = self._pair()
            errors, _ = check_form(self.values(), suite=suite, fit=fit, machine=self.matrix.machine,
                                   check_files=False)
            if name in ("model", "base-url") and not event.value.strip():
                errors.pop(name, None)  # an empty box while typing is not a mistake yet
            self._show_one(name, errors.get(name))

    @on(Select.Changed, "#served-model")
    @on(Select.Changed, "#api")
    @on(Select.Changed, "#backend-options Select")
    def _on_endpoint_choice(self, event: Select.Changed) -> None:
        self._show_one(str(event.select.id), None)

    def on_endpoint_fields_fetched(self, message: EndpointFields.Fetched) -> None:
        if message.error is not None:
            self._show_one(*message.error)
            return
        for name in ("base-url", "api-key-env", "served-model"):
            self._show_one(name, None)

    # -- values, errors ---------------------------------------------------------------------------
    def values(self) -> FormValues:
        picks = [str(cb.name) for cb in self.query("#scenario-picks Checkbox").results(Checkbox)
                 if cb.value and cb.is_attached and not cb._closing]
        endpoint = self._endpoint()
        return FormValues(
            runner=self._value("#runner"), suite=self._value("#suite"), source=self._source(),
            path=self.query_one("#model-path", Input).value, hub=self.query_one("#model-hub", Input).value,
            scenario_mode=self._mode(), picks=picks, runs=self.query_one("#runs", Input).value,
            warmup=self.query_one("#warmup", Input).value, threads=self.query_one("#threads", Input).value,
            tier=self._value("#tier") or "", force=self.query_one("#force", Checkbox).value,
            endpoint=endpoint, **(self.query_one(EndpointFields).values() if endpoint else {}),
            declared=self.query_one(BackendOptions).declared, options=self.query_one(BackendOptions).values(),
            model_formats=tuple(getattr(self._runner(), "model_formats", None) or ()),
        )

    def _show_one(self, name: str, error: str | None) -> None:
        show_field_error(self, name, error)

    def _show(self, errors: dict[str, str]) -> None:
        for name in (*FIELDS, *self.query_one(BackendOptions).field_names()):
            self._show_one(name, errors.get(name))
        self.set_class(bool(errors), "-blocked")
        summary = self.query_one("#start-error", Label)
        count = len(errors)
        summary.update(f"{count} field{'s' if count > 1 else ''} to fix before the run can start." if count else "")
        summary.set_class(bool(errors), "-shown")

    # -- start ------------------------------------------------------------------------------------
    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        if self.matrix is None or self.has_class("-checking"):
            return
        suite, fit = self._pair()
        self.add_class("-checking")
        self.check(self.values(), suite, fit, self.matrix.machine)

    @work(thread=True, group="setup-check", exit_on_error=False)
    def check(self, values: FormValues, suite: Any, fit: Any, machine: Any) -> None:
        errors, request = check_form(values, suite=suite, fit=fit, machine=machine)
        self.post_message(self.Checked(errors, request))

    def on_run_setup_screen_checked(self, message: Checked) -> None:
        self.remove_class("-checking")
        self._show(message.errors)
        if message.errors:
            first = next(n for n in (*FIELDS, *self.query_one(BackendOptions).field_names()) if n in message.errors)
            target = {"model": "#model-source", "scenario": "#scenario-mode"}.get(first, f"#{first}")
            self.query_one(target).focus()
            return
        self.request = message.request
        services = self.app.services
        if services.profile() is None and not getattr(self.app, "profile_skipped", False):
            from accelmark_tui.screens.profile_modal import ProfileModal

            self.app.push_screen(ProfileModal(), self._after_profile)
            return
        self._launch()

    def _after_profile(self, result: Any) -> None:
        from accelmark_tui.screens.profile_modal import ProfileModal

        if result is None:
            return  # Esc: back to setup, nothing started
        if result == ProfileModal.SKIPPED:
            self.app.profile_skipped = True
        self._launch()

    def _launch(self) -> None:
        from accelmark_tui.screens.live_run import LiveRunScreen

        self.app.push_screen(LiveRunScreen(self.request))

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        # No file to pick for a server, or for a model folder (typed).
        return not (action == "browse" and (self.has_class("-endpoint") or self._folders()))

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.app.action_back()

    @on(Button.Pressed, "#browse")
    def action_browse(self) -> None:
        from accelmark_tui.screens.file_picker import FilePickerModal

        def picked(path: str | None) -> None:
            if path:
                self.app.last_model_folder = Path(path).parent  # the next pick starts there
                self.query_one("#src-local", RadioButton).value = True
                self.query_one("#model-path", Input).value = path

        self.app.push_screen(FilePickerModal(self.query_one("#model-path", Input).value or None,
                                             last=self.app.last_model_folder), picked)

