"""The per-request record of the metric contract.

Every runner fills the same record; every metric is computed from these
records (see ``metrics.py``). Times are ``time.perf_counter_ns()`` values taken
in the runner process, stored relative to the job's epoch so files stay small.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

PHASE_WARMUP = "warmup"
PHASE_MEASURE = "measure"


@dataclass(slots=True)
class GenRequest:
    """One generation request as the load generator hands it to a backend."""

    request_id: int
    prompt: str
    max_tokens: int
    # Chat messages are built from ``prompt`` by the backend's chat template
    # unless ``raw`` is set (accuracy prompts are completions, not chats).
    raw: bool = False
    temperature: float = 0.0
    ignore_eos: bool = False


@dataclass(slots=True, eq=False)  # identity equality: records live in sets while in flight
class RequestRecord:
    """Everything measured about one request (the design's metric contract)."""

    request_id: int
    scenario: str
    prompt_id: int | None = None  # the accuracy item it carried, or its number in the run's prompt draw
    run: int = 0
    level: float | int | None = None  # concurrency or target QPS of this step
    phase: str = PHASE_MEASURE
    scheduled_ns: int | None = None  # when the schedule wanted it sent
    sent_ns: int | None = None  # when it was actually handed to the backend
    first_byte_ns: int | None = None  # any response data
    first_token_ns: int | None = None  # any channel, reasoning included
    first_content_ns: int | None = None  # first visible content
    end_ns: int | None = None
    chunk_ns: list[int] = field(default_factory=list)  # arrival of each chunk
    chunk_tokens: list[int] = field(default_factory=list)  # tokens in each chunk
    input_tokens: int | None = None  # as the engine/server reports
    # Of input_tokens, those the server says it served from its prompt cache; None where it does not say.
    cached_input_tokens: int | None = None
    output_tokens: int | None = None  # as the engine/server reports
    output_tokens_client: int | None = None  # counted by us, kept when it differs
    reasoning_tokens: int = 0
    finish_reason: str | None = None
    error_type: str | None = None
    error_message: str | None = None
    text: str | None = None  # kept only where a scenario needs it (accuracy)
    extra: dict[str, Any] | None = None
    # Which runner process measured it, counted by the events file's headers when read (None: the first);
    # a step stopped and resumed is measured in parts, and the pause between them is no measured time.
    segment: int | None = None

    @property
    def ok(self) -> bool:
        return self.error_type is None and self.end_ns is not None

    def add_chunk(self, t_ns: int, tokens: int = 1) -> None:
        if self.first_byte_ns is None:
            self.first_byte_ns = t_ns
        if self.first_token_ns is None and tokens > 0:
            self.first_token_ns = t_ns
        self.chunk_ns.append(t_ns)
        self.chunk_tokens.append(tokens)

    def fail(self, error_type: str, message: str, t_ns: int) -> None:
        self.error_type = error_type
        self.error_message = message
        self.end_ns = t_ns

    def to_json(self) -> str:
        # Field by field, not dataclasses.asdict: asdict deep-copies every list and
        # was half the client's CPU per request at thousands of requests a second.
        d = {f: getattr(self, f) for f in _FIELDS}
        # Drop empty optional fields: events files hold thousands of records.
        for key in _OPTIONAL:
            if d[key] is None:
                del d[key]
        return _dumps(d)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RequestRecord":
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**known)


_FIELDS = tuple(RequestRecord.__dataclass_fields__)
_OPTIONAL = ("text", "extra", "error_type", "error_message", "scheduled_ns", "cached_input_tokens", "segment")
try:
    import orjson as _orjson

    def _dumps(d: dict[str, Any]) -> str:
        return _orjson.dumps(d).decode()
except ImportError:  # pragma: no cover - orjson is a dependency; kept for source checkouts
    def _dumps(d: dict[str, Any]) -> str:
        return json.dumps(d, separators=(",", ":"))


def read_records(path) -> list[RequestRecord]:
    """Read an events file; a torn last line (killed writer) is skipped.

    Each runner process that wrote to the file began with a header line (a resumed
    scenario appends): records after the n-th header get ``segment`` n - 1 (None for 0).
    """
    out: list[RequestRecord] = []
    headers = 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line or not line.startswith("{"):
                continue
            try:
                d = json.loads(line)
            except json.JSONDecodeError:
                continue
            if d.get("type") == "header":
                headers += 1
                continue
            if d.get("type", "request") != "request" or "request_id" not in d:
                continue
            rec = RequestRecord.from_dict(d)
            if headers > 1:
                rec.segment = headers - 1
            out.append(rec)
    return out
