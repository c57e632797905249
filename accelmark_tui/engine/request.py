"""What a run is asked to do (``RunRequest``: the CLI's and run setup's options) and how it ended
(``RunOutcome``): plain data the session takes and returns, kept apart from its flow."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


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
    # The runner's backend options as the user gave them (text or typed values), by option name: checked
    # against its spec (engine/backend_spec.py) by the session. Endpoint runners: --model is the served name.
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunOutcome:
    run_dir: Path
    status: str  # complete | incomplete | stopped | already-complete
    scenarios_done: list[str] = field(default_factory=list)
    message: str = ""
    scenarios_partial: list[str] = field(default_factory=list)  # stopped part-way, kept as partial blocks
