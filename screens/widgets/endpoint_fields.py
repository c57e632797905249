"""Run setup's fields for an endpoint runner: server URL, served model, key variable, API, chip, load shape.

The served-model list comes from the server itself: ``probe.discover`` runs in
a thread worker when the URL box is submitted (enter) or Fetch models is
pressed. The API key is read from the named variable inside that worker only
to authorise the request, and dropped: it is never shown, stored or logged.
A failed fetch posts its one sentence (``errors.user_message``) for the
screen to show beside the field it concerns.
"""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Select, Static

from accelmark_tui.screens.widgets.form_row import field_row
from accelmark_tui.ui.setup_form import URL_EXAMPLE


class EndpointFields(Vertical):
    """The endpoint rows of the setup form (``#endpoint-fields``); the screen shows or hides it."""

    class Fetched(Message):
        """The served-model list for ``url`` (normalised), or ``error`` = (field name, sentence)."""

        def __init__(self, url: str | None, models: list[str], server: str | None,
                     error: tuple[str, str] | None) -> None:
            super().__init__()
            self.url, self.models, self.server, self.error = url, models, server, error

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.models_url: str | None = None  # the API root the Select's models came from
        self.fetching = False

    def compose(self) -> ComposeResult:
        yield field_row(
            "Server", "base-url",
            Horizontal(Input(id="base-url", compact=True, placeholder=URL_EXAMPLE),
                       Button("Fetch models", id="fetch-models", compact=True), id="base-url-row"),
            Static("The server's OpenAI-compatible API root; enter or Fetch models lists what it serves.",
                   id="base-url-about", markup=False))
        yield field_row("Model", "served-model",
                        Select([], id="served-model", compact=True, prompt="Fetch the server's models first"),
                        Static("", id="served-model-about", markup=False))
        yield field_row("Key var", "api-key-env",
                        Input(id="api-key-env", compact=True,
                              placeholder="NAME of the variable holding the API key, e.g. OPENAI_API_KEY (optional)"))
        yield field_row("API", "api", Select([("chat", "chat"), ("completions", "completions")], value="chat",
                                             allow_blank=False, id="api", compact=True))
        yield field_row(
            "Chip", "chip",
            Horizontal(Input(id="chip", compact=True, placeholder="a remote server's accelerator (optional)"),
                       Input(id="chip-count", compact=True, placeholder="count"), id="chip-row"),
            Static("Declare a remote server's hardware; a local server is measured as this machine's.",
                   id="chip-about", markup=False))
        with Horizontal(id="load-shape"):
            yield field_row("Levels", "levels", Input(id="levels", compact=True, placeholder="1,2,4,8,16,32 (sweep)"))
            yield field_row("SLA TTFT", "sla-ttft", Input(id="sla-ttft", compact=True, placeholder="ms, p99"))

    # -- values ---------------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """The FormValues fields of these rows."""
        served = self.query_one("#served-model", Select).value
        api = self.query_one("#api", Select).value
        return {
            "base_url": self.query_one("#base-url", Input).value,
            "served_model": None if served is Select.NULL else str(served), "models_url": self.models_url,
            "api_key_env": self.query_one("#api-key-env", Input).value,
            "api": "" if api is Select.NULL else str(api),
            "chip": self.query_one("#chip", Input).value, "chip_count": self.query_one("#chip-count", Input).value,
            "levels": self.query_one("#levels", Input).value, "sla_ttft_ms": self.query_one("#sla-ttft", Input).value,
        }

    def set_sla_hint(self, suite_sla_ms: float | None) -> None:
        self.query_one("#sla-ttft", Input).placeholder = (
            f"{suite_sla_ms:g} ms (suite's p99)" if suite_sla_ms is not None else "ms, p99 (peak needs it)")

    # -- fetching the served models ------------------------------------------------------------------
    @on(Input.Submitted, "#base-url")
    @on(Input.Submitted, "#api-key-env")
    @on(Button.Pressed, "#fetch-models")
    def fetch(self) -> None:
        if self.fetching:
            return
        self.fetching = True
        self.query_one("#fetch-models", Button).disabled = True
        self.query_one("#served-model-about", Static).update("Asking the server for its models…")
        self._fetch(self.query_one("#base-url", Input).value, self.query_one("#api-key-env", Input).value)

    @work(thread=True, exclusive=True, group="endpoint-fetch", exit_on_error=False)
    def _fetch(self, url: str, key_var: str) -> None:
        from accelmark_tui.errors import user_message

        services = self.app.services
        if not url.strip():
            first = f"Give the server's URL first, e.g. {URL_EXAMPLE}."
            self.post_message(self.Fetched(None, [], None, ("base-url", first)))
            return
        field = "base-url"
        try:
            base = services.endpoint_url(url)
            field = "api-key-env"
            key = services.endpoint_key(key_var.strip() or None)  # used for this request only, then dropped
            field = "base-url"
            info = services.served_models(base, key)
        except Exception as exc:  # noqa: BLE001 - every failure is one sentence beside its field
            self.post_message(self.Fetched(None, [], None, (field, user_message(exc))))
        else:
            self.post_message(self.Fetched(base, info.models, info.server, None))

    def on_endpoint_fields_fetched(self, message: Fetched) -> None:
        # Not stopped: the screen shows the error (or clears it) beside the field.
        self.fetching = False
        self.query_one("#fetch-models", Button).disabled = False
        about = self.query_one("#served-model-about", Static)
        if message.error is not None:
            about.update("")
            return
        select = self.query_one("#served-model", Select)
        keep = select.value if select.value in message.models else message.models[0]
        select.set_options([(m, m) for m in message.models])
        select.value = keep
        self.models_url = message.url
        n = len(message.models)
        about.update(f"{n} model{'s' if n != 1 else ''} served by {message.server or 'the server'} at {message.url}.")
