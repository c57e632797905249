"""Run setup with the endpoint runner, against the fake OpenAI-compatible server.

The URL is typed, enter (or Fetch models) lists the served models from the
server; a bad URL, a server that is not OpenAI-compatible and a missing key
variable each get their one sentence beside the field; Start builds a
RunRequest carrying the endpoint fields (the key's variable name, never the
key). Snapshots use a fixed model list instead of a server (its port varies).
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from accelmark_tui.config import Profile

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from openai_server import FakeOpenAI  # noqa: E402

pytestmark = pytest.mark.anyio
ENDPOINT = "other_openai_endpoint"
NO_KEY_VAR = "ACCELMARK_TEST_MISSING_KEY"


async def _setup(pilot, tui, runner=ENDPOINT, suite="suite_Quick"):
    await tui.settle(pilot)
    pilot.app.open_setup(runner_id=runner, suite_id=suite)
    await tui.settle(pilot)
    return pilot.app.screen


def _errors(screen) -> dict[str, str]:
    from accelmark_tui.ui.setup_form import FIELDS

    return {name: str(screen.query_one(f"#{name}-error").content) for name in FIELDS
            if screen.query_one(f"#{name}-error").has_class("-shown")}


async def _type(pilot, tui, selector: str, text: str, enter: bool = True, keys: bool = False) -> None:
    """Fill a box (key by key, as a user types, with ``keys``), then press enter."""
    await pilot.click(selector)
    pilot.app.screen.query_one(selector).value = "" if keys else text
    await pilot.press(*(text if keys else ""), *(["enter"] if enter else []))
    await tui.settle(pilot)
    await pilot.pause(0.1)
    await tui.settle(pilot)


async def _start(pilot, tui) -> None:
    await pilot.press("ctrl+s")
    await tui.settle(pilot)


async def test_endpoint_runner_swaps_the_model_rows_for_the_servers(make_app, tui):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _setup(pilot, tui)
        assert screen.query_one("#runner").value.startswith("other_openai_endpoint_")
        assert screen.has_class("-endpoint")
        assert screen.query_one("#endpoint-fields").display and not screen.query_one("#model-field").display
        assert not screen.query_one("#threads-field").display
        picks = [str(cb.name) for cb in screen.query("#scenario-picks Checkbox")]
        assert picks[-2:] == ["sweep", "peak"]
        assert "accelmark's own (pick): sweep, peak" in tui.text(screen.query_one("#scenario-about"))
        assert screen.query_one("#sla-ttft").placeholder == "1000 ms (suite's p99)"
        # A llama.cpp runner: the GGUF rows come back, the server's go, no sweep/peak boxes.
        screen.query_one("#runner").value = next(r.id for r in app.services.runners() if r.id.startswith("cpu_"))
        await tui.settle(pilot)
        assert not screen.has_class("-endpoint") and screen.query_one("#model-field").display
        assert not screen.query_one("#endpoint-fields").display
        assert "sweep" not in [str(cb.name) for cb in screen.query("#scenario-picks Checkbox")]


async def test_typed_url_fetches_and_lists_the_served_models(make_app, tui):
    app = make_app()
    with FakeOpenAI(tokens=8, models=["llama-3-8b", "qwen2-7b"]) as srv:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await _setup(pilot, tui)
            select = screen.query_one("#served-model")
            assert select.value is select.NULL
            await _type(pilot, tui, "#base-url", srv.root_url, keys=True)  # without /v1: the API root is found
            assert [str(o[0]) for o in select._options if o[1] is not select.NULL] == ["llama-3-8b", "qwen2-7b"]
            assert select.value == "llama-3-8b"
            about = tui.text(screen.query_one("#served-model-about"))
            assert about.startswith("2 models served by") and srv.base_url in about
            assert _errors(screen) == {}
            # Fetch models again keeps the user's choice.
            select.value = "qwen2-7b"
            await pilot.click("#fetch-models")
            await tui.settle(pilot)
            await pilot.pause(0.1)
            assert select.value == "qwen2-7b" and srv.stats()["paths"].get("/v1/models", 0) >= 2


async def test_bad_urls_get_their_sentence_beside_the_field(make_app, tui):
    app = make_app()
    with FakeOpenAI(non_openai=True) as html:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await _setup(pilot, tui)
            await _type(pilot, tui, "#base-url", "ftp://models.example")
            assert _errors(screen)["base-url"].endswith("must start with http:// or https://.")
            assert screen.query_one("#base-url-field").has_class("-invalid")
            await _type(pilot, tui, "#base-url", "http://127.0.0.1:9/v1")
            assert _errors(screen) == {"base-url": "Cannot connect to http://127.0.0.1:9/v1; check the URL and that "
                                                   "the server is running."}
            await _type(pilot, tui, "#base-url", html.base_url)
            error = _errors(screen)["base-url"]
            assert "does not look like an OpenAI-compatible API" in error and error.count(". ") == 0
            select = screen.query_one("#served-model")
            assert select.value is select.NULL  # nothing listed from a failed fetch
            # Start: the URL may be well formed, but there is still no model to measure.
            await _start(pilot, tui)
            assert _errors(screen)["served-model"].startswith("Fetch the server's models")


async def test_missing_key_variable_is_named_beside_its_field(make_app, tui, monkeypatch, fake_live):
    monkeypatch.delenv(NO_KEY_VAR, raising=False)
    app = make_app()
    with FakeOpenAI(api_key="s3cret-key") as srv:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await _setup(pilot, tui)
            await _type(pilot, tui, "#api-key-env", NO_KEY_VAR, enter=False)
            await _type(pilot, tui, "#base-url", srv.base_url)
            errors = _errors(screen)
            assert set(errors) == {"api-key-env"}
            assert errors["api-key-env"].startswith(f"The environment variable {NO_KEY_VAR}")
            assert errors["api-key-env"].endswith("is not set; export it and try again.")
            await _start(pilot, tui)
            assert "api-key-env" in _errors(screen) and fake_live == []
            # Without a key the server refuses: its sentence says so, beside the URL.
            await _type(pilot, tui, "#api-key-env", "", enter=False)
            await pilot.click("#fetch-models")
            await tui.settle(pilot)
            await pilot.pause(0.1)
            assert "refused the request (HTTP 401)" in _errors(screen)["base-url"]


async def test_a_pasted_key_is_refused_and_never_echoed(make_app, tui):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _setup(pilot, tui)
        await _type(pilot, tui, "#api-key-env", "sk-live-0123456789abcdef", enter=False, keys=True)
        error = _errors(screen)["api-key-env"]
        assert error.startswith("Give the NAME of the environment variable") and "sk-live" not in error


async def test_start_builds_the_endpoint_request(make_app, tui, monkeypatch, fake_live, services):
    services.save_profile(Profile("octocat"))
    monkeypatch.setenv("ACCELMARK_TEST_KEY", "s3cret-key")
    app = make_app()
    with FakeOpenAI(api_key="s3cret-key", models=["served-a", "served-b"]) as srv:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await _setup(pilot, tui, suite="suite_E")  # suite E has no SLA: peak needs one here
            await _type(pilot, tui, "#api-key-env", "ACCELMARK_TEST_KEY", enter=False)
            await _type(pilot, tui, "#base-url", srv.base_url)
            screen.query_one("#served-model").value = "served-b"
            screen.query_one("#api").value = "completions"
            screen.query_one("#mode-pick").value = True
            await pilot.pause()
            for cb in screen.query("#scenario-picks Checkbox"):
                cb.value = str(cb.name) in ("sweep", "peak")
            await _type(pilot, tui, "#levels", "8, 1,2,4", enter=False)
            await _type(pilot, tui, "#chip-count", "8", enter=False)
            assert _errors(screen)["chip"].startswith("Name the server's chip")
            await _start(pilot, tui)
            assert set(_errors(screen)) == {"chip", "sla-ttft"}
            assert _errors(screen)["sla-ttft"] == ("Peak search needs a p99 TTFT limit: give the SLA TTFT in "
                                                   "milliseconds.")
            await _type(pilot, tui, "#chip", "NVIDIA H100", enter=False)
            await _type(pilot, tui, "#sla-ttft", "750", enter=False)
            await _start(pilot, tui)
            assert _errors(screen) == {}
            (request,) = fake_live
    assert request.runner.startswith("other_openai_endpoint_") and request.suite == "suite_E"
    o = request.options
    assert (o["base_url"], request.model, o["api"]) == (srv.base_url, "served-b", "completions")
    assert (o["api_key_env"], o["chip"], o["chip_count"]) == ("ACCELMARK_TEST_KEY", "NVIDIA H100", 8)
    assert (request.scenario, request.levels, request.sla_ttft_ms, request.threads) == ("sweep,peak", [1, 2, 4, 8],
                                                                                      750.0, None)
    assert "s3cret" not in repr(request)  # the variable's name travels, never the key


def test_endpoint_form_check_without_widgets(monkeypatch):
    """The endpoint rules on their own (no app, no server)."""
    from accelmark_tui.ui.setup_form import FormValues, check_form

    monkeypatch.delenv(NO_KEY_VAR, raising=False)
    no_sla = SimpleNamespace(id="suite_X", data={}, model_short_name="X")
    base = dict(runner="other_openai_endpoint_x", suite="suite_X", endpoint=True, base_url="http://h:8000",
                served_model="m", models_url="http://h:8000/v1")
    errors, request = check_form(FormValues(**base), suite=no_sla, fit=None, machine=None)
    assert errors == {} and (request.options["base_url"], request.model, request.options["api"], request.levels) == \
        ("http://h:8000/v1", "m", "chat", None)
    bad = FormValues(**{**base, "base_url": "http://other:8000", "levels": "1,0", "sla_ttft_ms": "-5",
                        "api_key_env": NO_KEY_VAR, "api": "grpc", "threads": "lots", "source": "nowhere"})
    errors, request = check_form(bad, suite=no_sla, fit=None, machine=None)
    assert request is None and set(errors) == {"served-model", "levels", "sla-ttft", "api-key-env", "api"}
    assert errors["served-model"] == ("The models listed came from http://h:8000/v1; fetch them again for this URL.")
    # While typing the variable is not looked up (a half-typed name is not "missing").
    errors, _ = check_form(bad, suite=no_sla, fit=None, machine=None, check_files=False)
    assert "api-key-env" not in errors
    peak = FormValues(**{**base, "scenario_mode": "pick", "picks": ["peak"]})
    assert set(check_form(peak, suite=no_sla, fit=None, machine=None)[0]) == {"sla-ttft"}
    with_sla = SimpleNamespace(id="suite_Y", data={"online_sla_ttft_ms": 500}, model_short_name="Y")
    assert check_form(peak, suite=with_sla, fit=None, machine=None)[0] == {}


# -- snapshots --------------------------------------------------------------------------------

FIXED_MODELS = ["meta-llama/Meta-Llama-3-8B-Instruct", "Qwen/Qwen2-7B-Instruct"]


def _open_endpoint(invalid: bool = False):
    async def run_before(pilot) -> None:
        app = pilot.app
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.open_setup(runner_id=ENDPOINT, suite_id="suite_Quick")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        screen.query_one("#base-url").value = "http://gpu-box.lan:8000"
        screen.query_one("#fetch-models").press()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not invalid:  # accelmark's sweep and peak beside the suite's scenarios
            screen.query_one("#mode-pick").value = True
            await pilot.pause()
            for cb in screen.query("#scenario-picks Checkbox"):
                cb.value = str(cb.name) in ("offline", "sweep", "peak")
            screen.query_one("#levels").value = "1,4,16,64"
        else:
            screen.query_one("#api-key-env").value = NO_KEY_VAR
            screen.query_one("#levels").value = "1,2,many"
            screen.query_one("#chip-count").value = "2"
            await pilot.press("ctrl+s")
            await app.workers.wait_for_complete()
            await pilot.pause()
        for box in screen.query("Input"):
            box.cursor_blink = False
        screen.query_one("#setup-form").scroll_to_widget(screen.query_one("#base-url-field"), top=True,
                                                         animate=False)
        await pilot.pause()

    return run_before


@pytest.fixture
def fixed_server(monkeypatch):
    from accelmark_tui.endpoint import probe

    def discover(base_url, api_key=None, model=None, timeout_s=10.0):
        return probe.EndpointInfo(base_url, list(FIXED_MODELS), FIXED_MODELS[0], server="vllm")

    monkeypatch.setattr(probe, "discover", discover)
    monkeypatch.delenv(NO_KEY_VAR, raising=False)


@pytest.mark.usefixtures("slow_sampling", "fixed_server")
class TestEndpointSetupSnapshots:
    @pytest.mark.parametrize("size", ["wide", "small"])
    def test_fetched(self, size, snap_compare, make_app, tui):
        assert snap_compare(make_app(), terminal_size=tui.sizes[size], run_before=_open_endpoint())

    @pytest.mark.parametrize("size", ["wide", "small"])
    def test_errors_beside_fields(self, size, snap_compare, make_app, tui):
        assert snap_compare(make_app(), terminal_size=tui.sizes[size], run_before=_open_endpoint(invalid=True))
