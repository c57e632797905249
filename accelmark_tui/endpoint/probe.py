"""Check an OpenAI-compatible endpoint before measuring it (blocking, one-off).

Every failure is one sentence naming the URL and what to do: unreachable,
not an OpenAI server, missing key variable, refused key, unknown model.
The key itself never appears in a message.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from accelmark_tui.errors import NetworkError, UsageError


@dataclass
class EndpointInfo:
    base_url: str
    models: list[str]
    model: str
    server: str | None = None  # the Server header, e.g. "llama.cpp" or "uvicorn"
    owned_by: str | None = None
    extra: dict = field(default_factory=dict)


def normalize_base_url(url: str) -> str:
    """``http://host:port`` and ``…/v1/`` both mean the ``/v1`` API root."""
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"The server URL '{url}' must start with http:// or https://.")
    if not url.endswith("/v1"):
        url += "/v1"
    return url


def api_key_from_env(var: str | None) -> str | None:
    """The key from the variable the user named; the name is kept, never the value."""
    if not var:
        return None
    if var.startswith(("sk-", "Bearer ")) or len(var) > 64:
        raise UsageError("Give the NAME of an environment variable holding the API key, not the key itself.")
    key = os.environ.get(var)
    if not key:
        raise UsageError(f"The environment variable {var}, named for the API key, is not set; export it and try again.")
    return key


def discover(base_url: str, api_key: str | None = None, model: str | None = None,
             timeout_s: float = 10.0) -> EndpointInfo:
    """List the served models and pick ``model`` (or the only/first one)."""
    import httpx

    url = f"{base_url}/models"
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        r = httpx.get(url, headers=headers, timeout=timeout_s)
    except httpx.InvalidURL:
        raise UsageError(f"'{base_url}' is not a valid URL; check the host and port.") from None
    except httpx.TimeoutException:
        raise NetworkError(f"{base_url} did not answer within {timeout_s:g} s; check that the server is up.") from None
    except httpx.HTTPError:
        raise NetworkError(f"Cannot connect to {base_url}; check the URL and that the server is running.") from None
    if r.status_code in (401, 403):
        hint = ("check the key in the environment variable named for it" if api_key
                else "name the environment variable holding its API key (--api-key-env VAR)")
        raise UsageError(f"{base_url} refused the request (HTTP {r.status_code}); {hint}.")
    try:
        body = r.json()
        data = body["data"]
        models = [m["id"] for m in data if isinstance(m, dict) and "id" in m]
    except (ValueError, KeyError, TypeError):
        raise UsageError(f"{base_url} does not look like an OpenAI-compatible API (GET /models gave no model list); "
                         "check the URL (it should end in /v1).") from None
    if r.status_code != 200:
        raise UsageError(f"{base_url}/models answered HTTP {r.status_code}; check the URL.")
    if not models:
        raise UsageError(f"{base_url} serves no model; load one into the server first.")
    if model is None:
        model = models[0]
    elif model not in models:
        raise UsageError(f"{base_url} does not serve '{model}'; it serves: {', '.join(models[:8])}.")
    owned = next((m.get("owned_by") for m in data if isinstance(m, dict) and m.get("id") == model), None)
    return EndpointInfo(base_url, models, model, server=r.headers.get("server"), owned_by=owned)
