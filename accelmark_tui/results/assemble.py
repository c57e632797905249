"""Build result documents in the leaderboard's shape.

The metric blocks (``metrics.<scenario>``) come ready-made from the engine;
this module wraps them in everything else ``result.schema.json`` wants —
chip, software, model, task, accuracy and meta — the way the upstream
example submission does, so a run folder can be submitted as it is.
"""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from accelmark_tui.config import PLACEHOLDER_SUBMITTER
from accelmark_tui.results.identity import Identity, identity_of
from accelmark_tui.scenarios.registry import OWN

SCHEMA_VERSION = "1.0"
ACCURACY_HINT = "Run --scenario accuracy to check model accuracy."
DEFAULT_PARALLELISM = {
    "tensor_parallel_size": 1,
    "pipeline_parallel_size": 1,
    "expert_parallel_size": 1,
    "data_parallel_size": 1,
}


def accuracy_placeholder() -> dict[str, Any]:
    """What upstream writes in a scenario's result.json before accuracy is known."""
    return {"subset_score": None, "baseline_delta": None, "valid": False, "notes": ACCURACY_HINT}


@dataclass
class ResultContext:
    """Everything about a run except its measurements."""

    suite: dict[str, Any]  # suite.json
    runner_id: str
    framework: str  # e.g. "llama.cpp (llama-cpp-python)"
    framework_version: str
    env_info: dict[str, Any]  # env_info.json (validates against env.schema.json)
    chip: dict[str, Any]  # name, vendor, count, memory_gb, interconnect_intra_node, interconnect_inter_node
    model_id: str
    model_revision: str
    precision: str  # schema enum: INT4, INT8, FP16, BF16, ...
    parameter_count_b: float
    architecture: str | None = "dense"
    effective_dtype: str | None = None
    quantization_method: str | None = None  # e.g. "gguf_q4_1"
    model_format: str | None = "gguf"
    model_source: str | None = "local"  # "local" | "huggingface"
    model_name: str | None = None
    model_note: str | None = None
    submitted_by: str = PLACEHOLDER_SUBMITTER
    submission_type: str = "individual"
    num_runs: int = 1
    warmup_runs: int = 0
    parallelism: dict[str, int | None] = field(default_factory=lambda: dict(DEFAULT_PARALLELISM))
    extra_config: dict[str, Any] | None = None  # threads, n_ctx, backend options, served concurrency…
    runtime_metrics: dict[str, Any] | None = None
    tier: str = "community"
    software_overrides: dict[str, Any] = field(default_factory=dict)  # driver/runtime strings, extra keys

    @property
    def suite_id(self) -> str:
        return str(self.suite["suite_id"])

    def identity(self) -> Identity:
        return identity_of(
            chip_name=self.chip["name"], chip_memory_gb=self.chip["memory_gb"], chip_count=self.chip["count"],
            interconnect=self.chip.get("interconnect_intra_node"), runner_id=self.runner_id,
            framework_version=self.framework_version, suite_id=self.suite_id, model_id=self.model_id,
            precision=self.precision, submitted_by=self.submitted_by,
        )

    def software(self) -> dict[str, Any]:
        env = self.env_info
        accels = env.get("accelerators") or [{}]
        sw = {
            "framework": self.framework,
            "framework_version": self.framework_version,
            "driver_version": str(accels[0].get("driver_version") or "none"),
            "runtime_version": str(env.get("runtime_version") or "none"),
            "os": str(env.get("os") or platform.platform()),
            "python_version": str(env.get("python_version") or platform.python_version()),
        }
        sw.update(self.software_overrides)
        return sw

    def model(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "model_revision": self.model_revision,
            "model_name": self.model_name,
            "model_note": self.model_note,
            "model_source": self.model_source,
            "architecture": self.architecture,
            "parameter_count_b": self.parameter_count_b,
            "precision": self.precision,
            "effective_dtype": self.effective_dtype,
            "quantization_method": self.quantization_method,
            "model_format": self.model_format,
        }

    def head(self) -> dict[str, Any]:
        """The leading keys shared by every result.json of the run, in upstream's order."""
        return {
            "schema_version": SCHEMA_VERSION,
            "suite_id": self.suite_id,
            "implementation_id": self.runner_id,
            "chip": dict(self.chip),
            "environment": self.env_info,
            "software": self.software(),
            "model": self.model(),
        }


# ── time labels ──────────────────────────────────────────────────────────────

TimeLike = datetime | str | float | int


def _as_datetime(value: TimeLike) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, (int, float)):
        moment = datetime.fromtimestamp(value, timezone.utc)
    else:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))  # 3.10 rejects a trailing Z
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _time_meta(start: TimeLike, end: TimeLike) -> dict[str, Any]:
    s, e = _as_datetime(start), _as_datetime(end)
    local = s.astimezone()  # upstream labels date/time on the submitter's clock
    return {
        "date": local.date().isoformat(),
        "time": local.strftime("%H:%M:%S"),
        "benchmark_start_time": s.astimezone(timezone.utc).isoformat(),
        "benchmark_end_time": e.astimezone(timezone.utc).isoformat(),
        "benchmark_elapsed_minutes": round((e - s).total_seconds() / 60.0, 1),
    }


def _meta(ctx: ResultContext, ident: Identity, start: TimeLike, end: TimeLike) -> dict[str, Any]:
    times = _time_meta(start, end)
    return {
        "submitted_by": ctx.submitted_by,
        "submission_type": ctx.submission_type,
        "date": times["date"],
        "time": times["time"],
        "run_id": ident.run_id,
        "run_name": ident.run_name,
        "flagged": None,
        "reproduce_script": f"runners/{ctx.runner_id}/runner.py",
        # Upstream's values; its validator resolves them by file name under the run folder.
        "env_info_file": "../env_info.json",
        "log_file": "run.log",
        "samples_file": "samples.jsonl",
        "notes": None,
        "benchmark_start_time": times["benchmark_start_time"],
        "benchmark_end_time": times["benchmark_end_time"],
        "benchmark_elapsed_minutes": times["benchmark_elapsed_minutes"],
    }


# ── documents ────────────────────────────────────────────────────────────────


def scenario_result(
    ctx: ResultContext,
    scenario: str,
    block: dict[str, Any],
    *,
    start: TimeLike,
    end: TimeLike,
    model_load_seconds: float | None,
    accuracy: dict[str, Any] | None = None,
    notes: str | None = None,
    runtime_metrics: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``<scenario>/result.json``: one scenario's block with the run's context."""
    ident = ctx.identity()
    doc = ctx.head()
    doc["task"] = {
        "scenario": scenario,
        "num_runs": ctx.num_runs,
        "warmup_runs": ctx.warmup_runs,
        "parallelism": dict(ctx.parallelism),
        "extra_config": ctx.extra_config,
        "runtime_metrics": runtime_metrics if runtime_metrics is not None else ctx.runtime_metrics,
    }
    doc["metrics"] = {scenario: block}
    doc["accuracy"] = accuracy if accuracy is not None else accuracy_placeholder()
    meta = _meta(ctx, ident, start, end)
    meta["notes"] = notes
    meta["model_load_seconds"] = None if model_load_seconds is None else round(float(model_load_seconds), 1)
    doc["meta"] = meta
    return doc


def _load_baselines(path: str | Path | None) -> dict[str, Any]:
    if path is None:
        from accelmark_tui.resources import schema_path

        path = schema_path("accuracy_baselines.json")
    return json.loads(Path(path).read_text(encoding="utf-8"))


def accuracy_block(
    score: float,
    model_id: str,
    precision: str,
    framework: str,
    baselines_path: str | Path | None = None,
    threshold_delta: float = 0.1,
) -> dict[str, Any]:
    """The accuracy receipt (``accuracy/accuracy.json`` and the result's ``accuracy``).

    Valid when score − baseline ≥ −delta, the baseline being the model's
    ``<precision>_baseline_score``. No baseline → not valid, with a note saying
    so (upstream requires ``notes`` whenever ``valid`` is false).
    """
    score = round(float(score), 4)
    entry = _load_baselines(baselines_path).get(model_id) or {}
    baseline = entry.get(f"{precision.lower()}_baseline_score")
    out: dict[str, Any] = {"subset_score": score, "baseline_delta": None, "valid": False,
                           "framework": framework, "precision": precision}
    if baseline is None:
        out["notes"] = (f"No accuracy baseline exists for {model_id} at {precision}, "
                        f"so the score ({score:.2f}) cannot be judged valid.")
        return out
    # Rounded before comparing so 0.28 − 0.38 counts as −0.1, not −0.10000000000000003.
    delta = round(score - float(baseline), 4)
    valid = delta >= -float(threshold_delta)
    out.update(baseline_delta=delta, valid=valid, baseline_score=float(baseline), threshold_delta=float(threshold_delta))
    if valid:
        out["notes"] = f"Score {score:.2f} vs baseline {baseline:.2f} at {precision} (allowed drop {threshold_delta})."
    else:
        out["notes"] = (f"Score {score:.2f} is {abs(delta):.2f} below the {precision} baseline {baseline:.2f}, "
                        f"more than the allowed {threshold_delta}; check the precision or quantization.")
    return out


def _listing(names: list[str]) -> str:
    return repr(list(names))  # upstream prints Python lists: "['offline', 'online']"


def merged_result(
    ctx: ResultContext,
    blocks: Mapping[str, dict[str, Any]],
    accuracy: dict[str, Any] | None,
    *,
    scenario_meta: Mapping[str, Mapping[str, Any]],
    planned: list[str] | None = None,
    failed: Mapping[str, str] | None = None,
    partial: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The run's top-level ``result.json`` merging every finished scenario.

    ``scenario_meta`` maps each scenario to its own result's ``meta`` (needs
    ``benchmark_start_time``, ``benchmark_end_time``, ``model_load_seconds``).
    ``planned`` defaults to the suite's default scenarios; whatever was
    planned but not finished is named in ``meta.notes``, a scenario stopped
    part-way (``partial``: scenario → how far it got) with how far: its block
    is never merged.
    """
    ident = ctx.identity()
    # accelmark's own scenarios (sweep, peak) live under new metrics keys, never in scenarios_run.
    order = [s for s in blocks if s not in OWN]
    ran = order + (["accuracy"] if accuracy and accuracy.get("subset_score") is not None else [])
    doc = ctx.head()
    doc["task"] = {
        "scenarios_run": ran,
        "parallelism": dict(ctx.parallelism),
        "num_runs": ctx.num_runs,
        "warmup_runs": ctx.warmup_runs,
        "extra_config": ctx.extra_config,
    }
    if ctx.runtime_metrics is not None:
        doc["task"]["runtime_metrics"] = ctx.runtime_metrics
    doc["metrics"] = {"derived": {}, **{s: blocks[s] for s in order},
                      **{s: blocks[s] for s in blocks if s in OWN}}
    doc["accuracy"] = accuracy if accuracy is not None else accuracy_placeholder()

    metas = [scenario_meta[s] for s in blocks if s in scenario_meta]
    starts = [m["benchmark_start_time"] for m in metas if m.get("benchmark_start_time")]
    ends = [m["benchmark_end_time"] for m in metas if m.get("benchmark_end_time")]
    now = datetime.now(timezone.utc)
    start = min(starts, key=lambda t: _as_datetime(t)) if starts else now
    end = max(ends, key=lambda t: _as_datetime(t)) if ends else now
    meta = _meta(ctx, ident, start, end)
    # Upstream sums the scenarios' own durations (gaps such as model loads excluded).
    meta["benchmark_elapsed_minutes"] = round(sum(float(m.get("benchmark_elapsed_minutes") or 0) for m in metas), 1)
    loads = [m.get("model_load_seconds") for m in metas if m.get("model_load_seconds") is not None]
    meta["model_load_seconds"] = loads[0] if loads else None
    meta["benchmark_elapsed_minutes_note"] = f"Total across {_listing(list(blocks))} scenarios."
    meta["scenario_dirs"] = {s: f"results/{ctx.tier}/{ident.run_name}/{s}" for s in order}

    planned_list = list(planned) if planned is not None else list((ctx.suite.get("scenarios") or {}).get("default") or [])
    failed = dict(failed or {})
    finished = ran + [s for s in blocks if s in OWN]
    stopped = {s: text for s, text in (partial or {}).items() if s not in finished and s not in failed}
    not_run = [s for s in planned_list if s not in finished and s not in failed and s not in stopped]
    if failed or not_run or stopped:
        parts = [f"Partial run: {_listing(finished)} succeeded"]
        if failed:
            parts.append(f"{_listing(list(failed))} failed")
        if stopped:
            how = "; ".join(stopped.values())
            parts.append(f"{_listing(list(stopped))} stopped part-way and not merged here ({how})")
        if not_run:
            parts.append(f"{_listing(not_run)} not run")
        meta["notes"] = ", ".join(parts) + "."
    doc["meta"] = meta
    return doc
