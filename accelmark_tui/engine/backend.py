"""What a backend (inference engine adapter) offers the load generator.

A backend runs inside the runner's child process. The load generator (one for
every runner, ``loadgen.py``) decides *when* requests go out; the backend only
generates and stamps token arrivals as close to the engine as it can.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from accelmark_tui.engine.records import GenRequest, RequestRecord


@dataclass(slots=True)
class ModelSpec:
    """The model a job runs, as resolved by the parent (``engine/models.py``)."""

    path: str  # local file or directory
    model_id: str  # canonical id for the result (e.g. HuggingFaceTB/SmolLM2-135M-Instruct)
    revision: str  # pinned hub revision, or the file's SHA-256
    source: str = "local"  # "local" | "huggingface"
    format: str = "gguf"
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class PreparedModel:
    """What a runner's own parent-side set-up settled before anything is measured.

    A runner whose model is more than a local file (the endpoint runner: start or
    reach a server, ask what it serves, decide whose hardware the result describes)
    names its set-up in meta.json's ``accelmark.prepare`` as ``module:function``,
    called as ``function(request, machine, log_path)``. The session uses what it
    returns without knowing the kind, so the engine never imports a runner's parts.
    """

    model: ModelSpec
    chip: dict[str, Any] | None = None  # the hardware the result describes; None: this machine's
    extra_config: dict[str, Any] = field(default_factory=dict)  # merged into task.extra_config
    backend_options: dict[str, Any] = field(default_factory=dict)  # handed to the backend in the job
    # Something started for the run (a server): ``stop()`` after it, ``log_path`` kept with the run.
    server: Any = None
    # A server on this machine the run measures but did not start: its processes are the run's own to the
    # background-load sampler, not "other"; the note says why one could not be named (it then counts).
    measured_pids: list[int] = field(default_factory=list)
    measured_note: str | None = None


def load_object(path: str) -> Any:
    """``"package.module:name"`` → that object, imported on first use (plug-ins named as data)."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(slots=True)
class LoadInfo:
    """What the backend reports after loading; lands in the result."""

    framework: str
    framework_version: str
    precision: str  # result-schema enum: INT4, INT8, FP16, BF16, FP32, ...
    quantization_method: str | None
    model_format: str
    parameter_count_b: float
    max_concurrency: int  # sequences it serves at once
    threads: int | None = None
    context_length: int | None = None
    effective_dtype: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Backend(ABC):
    """Adapter over one inference engine. Subclasses live in ``accelmark_tui/backends``."""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        self.options = dict(options or {})

    @abstractmethod
    def load(self, model: ModelSpec, threads: int | None, max_concurrency: int) -> LoadInfo:
        """Load the model (blocking). Raise ``ModelError`` with one sentence on failure."""

    @abstractmethod
    async def generate(self, req: GenRequest, rec: RequestRecord) -> None:
        """Generate for ``req``, filling ``rec`` (chunks, end, counts, finish reason).

        ``rec.sent_ns`` is set by the load generator just before the call. A
        failure of this one request is recorded with ``rec.fail`` rather than
        raised; raising means the backend itself is broken.
        """

    def start(self, req: GenRequest, rec: RequestRecord):
        """Begin ``req`` synchronously if the backend can (returns an awaitable), else None.

        The load generator calls this at the moment of sending; None means it
        falls back to ``generate()``. Backends whose send is a plain write (an
        idle HTTP connection) use it to leave no loop iteration between the
        scheduled time and the bytes going out.
        """
        return None

    def peak_memory_gb(self) -> float | None:
        """The peak of the engine's own device allocator so far (GB), where it keeps one; recorded at each
        scenario's end as ``backend_peak_memory_gb`` beside the runner's peak RSS."""
        return None

    def count_tokens(self, text: str) -> int | None:
        """Tokens in ``text`` by the model's tokenizer, when the backend has one."""
        return None

    def close(self) -> None:
        """Free the engine; called once at the end of the job."""
