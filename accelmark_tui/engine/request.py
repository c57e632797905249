"""What a run is asked to do (``RunRequest``: the CLI's and run setup's options) and how it ended
(``RunOutcome``): plain data the session takes and returns, kept apart from its flow."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class RunRequest:
    runner: str | None = None
    suite: str | None = None
    model: str | None = None
    scenario: str = "default"
    runs: int | None = None
    warmup: int | None = None
    threads: int | None = None
    max_tokens: int | None = None
    tier: str = "community"
    submitter: str | None = None
    output_dir: str | None = None
    force: bool = False
    # Load shape (any runner).
    arrival: str = "poisson"
    levels: list[int] | None = None
    requests: int | None = None
    sla_ttft_ms: float | None = None
    sla_tpot_ms: float | None = None
    peak_start: float | None = None
    peak_max: float | None = None
    # Endpoint runner: --model is the served model name there.
    base_url: str | None = None
    api_key_env: str | None = None
    api: str | None = None
    serve_cmd: str | None = None
    chip: str | None = None
    chip_count: int | None = None
    precision: str | None = None
    model_id: str | None = None
    model_revision: str | None = None
    connect_timeout_s: float | None = None
    first_byte_timeout_s: float | None = None
    idle_timeout_s: float | None = None


@dataclass
class RunOutcome:
    run_dir: Path
    status: str  # complete | incomplete | stopped | already-complete
    scenarios_done: list[str] = field(default_factory=list)
    message: str = ""
    scenarios_partial: list[str] = field(default_factory=list)  # stopped part-way, kept as partial blocks
