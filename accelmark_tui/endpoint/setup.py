"""Everything an endpoint run settles before measuring (parent side).

Starts the server when ``--serve-cmd`` asks for it, checks the URL, the key
variable and the model, and decides whose hardware the result describes:
this machine's when the server is local (started here or on a loopback
address), what the user declared with ``--chip``, or "undeclared" (kept, but
the submit checklist refuses it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from accelmark_tui.endpoint import probe
from accelmark_tui.endpoint.serve import ServedProcess
from accelmark_tui.engine.backend import ModelSpec, PreparedModel
from accelmark_tui.errors import UsageError

LOOPBACK = ("127.0.0.1", "localhost", "::1", "0.0.0.0")
TIMEOUTS = ("connect_timeout_s", "first_byte_timeout_s", "idle_timeout_s")


@dataclass
class EndpointPrepared(PreparedModel):
    """The session's ``PreparedModel`` for an endpoint run, with what the server told us."""

    base_url: str = ""
    served_model: str = ""
    models: list[str] = field(default_factory=list)

    @property
    def endpoint(self) -> dict[str, Any]:
        """``task.extra_config.endpoint``: whose hardware, which URL and model, who started the server."""
        return self.extra_config["endpoint"]


def declared_chip(name: str, count: int | None) -> dict[str, Any]:
    from accelmark_tui.detect.machine import CHIP_VENDORS

    vendor = next((v for v in CHIP_VENDORS if v.lower() in name.lower()), "Other")
    return {"name": name, "vendor": vendor, "count": int(count or 1), "memory_gb": 0.0,
            "interconnect_intra_node": None, "interconnect_inter_node": None,
            "_source": "declared by the submitter (remote endpoint)"}


def prepare_endpoint(req, machine, log_path: Path, *, suite=None) -> EndpointPrepared:
    """The openai-endpoint backend's ``prepare`` (backends/endpoint_spec.py): ``req`` is the session's
    RunRequest, its ``options`` parsed by the spec; raises UsageError/NetworkError with one sentence."""
    o = req.options  # their types, choices and minimums are checked: Option.parse
    api = o.get("api") or "chat"
    timeouts = {}
    for k in TIMEOUTS:  # checked before any server starts, like the key
        v = o.get(k)
        if v is not None:
            if v <= 0:
                raise UsageError(f"--{k[:-2].replace('_', '-')} must be above 0 seconds.")
            timeouts[k] = float(v)
    key = probe.api_key_from_env(o.get("api_key_env"))
    server = None
    if o.get("serve_cmd"):
        if o.get("base_url"):
            raise UsageError("Give --base-url or --serve-cmd, not both (--serve-cmd picks its own local URL).")
        server = ServedProcess(o.get("serve_cmd"), log_path)
        base = server.start()
    elif o.get("base_url"):
        base = probe.normalize_base_url(o.get("base_url"))
    else:
        raise UsageError("The endpoint runner needs the server's URL: pass --base-url http://HOST:PORT/v1 "
                         "(or --serve-cmd \"... --port {port}\" to start one).")
    try:
        info = probe.discover(base, key, req.model)
    except Exception:
        if server:
            server.stop()
        raise
    host = urlsplit(base).hostname or ""
    if server is not None or host in LOOPBACK:
        source, chip = "local", machine.chip()
    elif o.get("chip"):
        source, chip = "declared", declared_chip(o.get("chip"), o.get("chip_count"))
    else:
        source = "undeclared"
        chip = {"name": "undeclared remote hardware", "vendor": "Other", "count": 1, "memory_gb": 0.0,
                "interconnect_intra_node": None, "interconnect_inter_node": None}
    precision = (o.get("precision") or "").upper() or None
    endpoint = {"hardware_source": source, "base_url": base if source != "undeclared" or host in LOOPBACK else
                f"{urlsplit(base).scheme}://{host}", "served_model": info.model, "api": api,
                "server_header": info.server, "started_by_accelmark": server is not None,
                "precision_source": "declared" if precision else "unknown"}
    if o.get("serve_cmd"):
        endpoint["serve_cmd"] = o.get("serve_cmd")
    model = ModelSpec(
        path=base, model_id=o.get("model_id") or info.model, revision=o.get("model_revision") or "unknown",
        source="endpoint", format="served",
        extra={"precision": precision or "mixed", "quantization_method": None, "parameter_count_b": 0.0,
               "served_model": info.model,
               "note": f"served as '{info.model}' by an OpenAI-compatible endpoint ({info.server or 'unknown server'})"},
    )
    options = {"base_url": base, "served_model": info.model, "api_key_env": o.get("api_key_env"), "api": api,
               "declared": {"precision": precision}}
    options.update(timeouts)
    # Whose CPU the background-load sampler counts as the run's own, besides accelmark's process tree.
    if server is not None:  # started here: a child of accelmark, inside its tree
        pids, note = [], None
    elif host in LOOPBACK:
        pids, note = _local_server(base)
    else:
        pids, note = [], "the server runs on another machine; this share is of the client machine's CPU"
    return EndpointPrepared(model=model, chip=chip, extra_config={"endpoint": endpoint}, backend_options=options,
                            server=server, base_url=base, served_model=info.model, models=info.models,
                            measured_pids=pids, measured_note=note)


def _local_server(base: str) -> tuple[list[int], str | None]:
    """The process serving a loopback URL the run did not start: it is the thing measured, so not
    background load. Looked up once, by the port it listens on."""
    from accelmark_tui.detect.background import listening_pids

    parts = urlsplit(base)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    pids = listening_pids(port)
    return pids, None if pids else (f"the server listening on port {port} could not be identified (another "
                                    "user's process?), so its CPU use counts as background")
