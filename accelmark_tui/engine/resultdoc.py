"""Write a run's upstream-shaped files as scenarios finish.

Bridges the session (what was measured) and ``accelmark_tui.results``
(identity, layout, documents). Identity covers the configuration, not the
measurements: it is fixed before the runner starts, so a rerun of the same
configuration finds the same folder and resumes it.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from accelmark_tui import paths
from accelmark_tui.results import assemble, figures, partial
from accelmark_tui.config import PLACEHOLDER_SUBMITTER
from accelmark_tui.results.layout import RunDir, RunState, atomic_write_json, check_writable, read_json
from accelmark_tui.scenarios import registry

# Python distribution whose version is the runner's framework_version.
FRAMEWORK_DISTS = {"llama_cpp": "llama-cpp-python", "mlx_lm": "mlx-lm", "vllm": "vllm", "httpx": "httpx"}


def framework_version_of(runner) -> str:
    dist = runner.accelmark.get("framework_dist")
    if not dist:
        mods = runner.requires_modules
        dist = FRAMEWORK_DISTS.get(mods[0]) if mods else None
    if not dist:
        return "unknown"
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def accuracy_receipt(block: dict[str, Any], model_id: str, precision: str, framework: str,
                     suite: dict[str, Any]) -> dict[str, Any]:
    """``accuracy/accuracy.json`` from the accuracy scenario's block (the submit checklist rebuilds it too)."""
    out = assemble.accuracy_block(block.get("score") or 0.0, model_id, precision, framework,
                                  threshold_delta=float(suite.get("accuracy_threshold_delta", 0.1)))
    out.update({k: block.get(k) for k in ("items", "correct", "answered", "failed", "chance_score")})
    return out


@dataclass
class ResultWriter:
    ctx: assemble.ResultContext
    run_dir: RunDir
    chip_count: int
    load_info: dict[str, Any] | None = None
    load_seconds: float | None = None
    blocks: dict[str, dict] = field(default_factory=dict)
    scenario_meta: dict[str, dict] = field(default_factory=dict)
    accuracy: dict[str, Any] | None = None
    started: dict[str, datetime] = field(default_factory=dict)
    runner_config: dict[str, Any] | None = None  # task.extra_config from the runner's set-up (endpoint runs)

    @classmethod
    def create(cls, *, machine, suite: dict, runner, model, framework_version: str, tier: str,
               submitter: str | None, output_dir: str | None, num_runs: int | None = None,
               warmup_runs: int | None = None, chip: dict[str, Any] | None = None) -> "ResultWriter":
        from accelmark_tui.config import current_submitter

        who, kind = current_submitter()
        if submitter:
            from accelmark_tui.config import validate_login

            who = validate_login(submitter)
        ex = model.extra
        chip = chip or machine.chip()  # endpoint runs: the server's hardware
        upstream = not suite.get("model_file")
        ctx = assemble.ResultContext(
            suite=suite, runner_id=runner.id, framework=runner.framework, framework_version=framework_version,
            env_info=machine.env_info(), chip=chip,
            # An upstream suite names its canonical model; the GGUF actually run is model_name.
            model_id=suite["model_id"] if upstream and suite.get("model_id") else model.model_id,
            model_revision=model.revision, precision=ex.get("precision", "FP16"),
            parameter_count_b=float(ex.get("parameter_count_b") or 0.0),
            architecture=ex.get("architecture_family", "dense"),
            # A backend's resolver may name the format in upstream's words ("HuggingFace original", "MLX").
            quantization_method=ex.get("quantization_method"), model_format=ex.get("model_format") or model.format,
            # The schema knows huggingface/local; where a server got its weights is unknown.
            model_source=None if model.source == "endpoint" else model.source,
            model_name=(ex.get("served_model") or ex.get("hub_file") or _basename(model.path)),
            # Otherwise: where the model_id came from (the file's hash, its GGUF metadata…).
            model_note=ex.get("note") or ((f"{model.format.upper()} conversion of the suite's model" if model.format != "hf"
                                           else "the suite's model") + f" run by {runner.framework}" if upstream
                                          else ex.get("model_id_note")),
            submitted_by=who or PLACEHOLDER_SUBMITTER, submission_type=kind,
            num_runs=int(num_runs if num_runs is not None else suite.get("num_runs", 1)),
            warmup_runs=int(warmup_runs if warmup_runs is not None else suite.get("warmup_runs", 0)),
            tier=tier,
        )
        root = paths.results_root(output_dir)
        check_writable(root)
        rd = RunDir(root, tier, ctx.identity().run_name)
        return cls(ctx=ctx, run_dir=rd, chip_count=int(chip.get("count", 1)))

    def set_load(self, info: dict[str, Any], load_seconds: float | None) -> None:
        self.load_info = info
        self.load_seconds = load_seconds
        extra = {k: info.get(k) for k in ("threads", "context_length", "max_concurrency") if info.get(k) is not None}
        extra.update({k: v for k, v in (info.get("extra") or {}).items() if isinstance(v, (str, int, float, bool))})
        if self.runner_config:
            extra.update(self.runner_config)
        self.ctx.extra_config = extra or None
        if info.get("effective_dtype"):
            self.ctx.effective_dtype = info["effective_dtype"]

    def write_env(self) -> None:
        if not self.run_dir.env_info.exists():
            atomic_write_json(self.run_dir.env_info, self.ctx.env_info)

    def mark_start(self, name: str) -> None:
        self.started.setdefault(name, datetime.now(timezone.utc))

    def write_scenario(self, name: str, block: dict, state: RunState, seconds: float | None = None) -> None:
        end = datetime.now(timezone.utc)
        start = self.started.get(name)
        if start is None:
            start = datetime.fromtimestamp(end.timestamp() - (seconds or 0.0), timezone.utc)
        if name in registry.OWN:
            # Not an upstream scenario: its block goes under a new key of the run's metrics,
            # and its folder holds <name>.json instead of an upstream-shaped result.json.
            self.blocks[name] = block
            self.scenario_meta[name] = {"benchmark_start_time": start.isoformat(), "benchmark_end_time": end.isoformat(),
                                        "benchmark_elapsed_minutes": round((end - start).total_seconds() / 60, 2),
                                        "model_load_seconds": self.load_seconds}
            atomic_write_json(self.run_dir.own_result(name), {"metrics": {name: block}, "meta": self.scenario_meta[name]})
        elif name == "accuracy":
            self.accuracy = accuracy_receipt(block, self.ctx.model_id, self.ctx.precision, self.ctx.framework,
                                             self.ctx.suite)
            # The scorer's block (the CLI summary, the live screen) shows the baseline it was judged against too.
            block.update({k: self.accuracy.get(k) for k in ("baseline_score", "baseline_delta", "valid", "precision",
                                                            "framework")})
            atomic_write_json(self.run_dir.accuracy, self.accuracy)
            self.scenario_meta[name] = {"benchmark_start_time": start.isoformat(), "benchmark_end_time": end.isoformat(),
                                        "benchmark_elapsed_minutes": round((end - start).total_seconds() / 60, 2),
                                        "model_load_seconds": self.load_seconds}
        else:
            doc = assemble.scenario_result(self.ctx, name, block, start=start, end=end,
                                           model_load_seconds=self.load_seconds, accuracy=self.accuracy)
            atomic_write_json(self.run_dir.scenario_result(name), figures.stamp(doc))  # digest last: nothing changes after
            self.blocks[name] = block
            self.scenario_meta[name] = doc["meta"]
        self.run_dir.partial(name).unlink(missing_ok=True)  # finished: what a stop kept is in it now
        self.write_merged(state, complete=False, extra_done=[name])

    def write_partial(self, name: str, block: dict, entry: dict[str, Any], state: RunState) -> None:
        """A scenario a stop ended part-way: ``<scenario>/partial.json``, marked in ``meta.partial``, and
        named (not merged) in the merged result's notes. Upstream never reads that file."""
        end = datetime.now(timezone.utc)
        doc = assemble.scenario_result(self.ctx, name, block, start=self.started.get(name, end), end=end,
                                       model_load_seconds=self.load_seconds, accuracy=self.accuracy,
                                       notes=f"Partial: {partial.sentence(entry)}; never submitted.")
        doc["meta"]["partial"] = partial.marker(entry)
        atomic_write_json(self.run_dir.partial(name), doc)
        self.write_merged(state, complete=False)

    def _load_earlier(self, state: RunState) -> None:
        """On resume, pick up blocks of scenarios finished by an earlier process."""
        for name in state.scenarios_done:
            if name in self.blocks or (name == "accuracy" and self.accuracy):
                continue
            try:
                if name in registry.OWN:
                    doc = read_json(self.run_dir.own_result(name))
                    self.blocks[name] = doc["metrics"][name]
                    self.scenario_meta[name] = doc["meta"]
                elif name == "accuracy":
                    self.accuracy = read_json(self.run_dir.accuracy)
                else:
                    doc = read_json(self.run_dir.scenario_result(name))
                    self.blocks[name] = doc["metrics"][name]
                    self.scenario_meta[name] = doc["meta"]
            except (OSError, ValueError, KeyError):
                continue

    def write_merged(self, state: RunState, complete: bool, extra_done: list[str] | None = None) -> None:
        self._load_earlier(state)
        order = [s for s in state.scenarios_planned if s in self.blocks and s != "accuracy"]
        blocks = {s: self.blocks[s] for s in order}
        if not blocks and not self.accuracy:
            return
        doc = assemble.merged_result(self.ctx, blocks, self.accuracy, scenario_meta=self.scenario_meta,
                                     planned=state.scenarios_planned, failed=state.scenarios_failed,
                                     partial={n: partial.sentence(e) for n, e in state.scenarios_partial.items()})
        atomic_write_json(self.run_dir.result, figures.stamp(doc))


def _basename(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]
