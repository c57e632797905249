"""Result documents assembled from hand-built metric blocks validate against upstream's schema."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import pytest

from accelmark_tui.resources import schema_path, suites_dir
from accelmark_tui.results.assemble import (
    ACCURACY_HINT,
    ResultContext,
    accuracy_block,
    merged_result,
    scenario_result,
)
from accelmark_tui.results.validate import validate_result

EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "results" / "example-result"
EXAMPLE_NAME = "mtt_s4000x1_suite_F_moorethreads_vllm_musa_f2f6f965_4f66d29d"
SCHEMA = json.loads(schema_path("result.schema.json").read_text())
T0 = datetime(2026, 5, 18, 8, 45, 57, tzinfo=timezone.utc)


def load(rel: str) -> dict:
    return json.loads((EXAMPLE / rel).read_text())


def schema_ok(doc: dict) -> None:
    jsonschema.Draft7Validator(SCHEMA).validate(doc)  # raises with the first problem
    assert validate_result(doc) == []


def example_ctx(**changes) -> ResultContext:
    doc = load("result.json")
    ctx = ResultContext(
        suite=json.loads((suites_dir() / "suite_F" / "suite.json").read_text()),
        runner_id=doc["implementation_id"], framework="vllm-musa", framework_version="0.4.2",
        env_info=load("env_info.json"), chip=doc["chip"], model_id="Qwen/Qwen2.5-0.5B-Instruct",
        model_revision="7ae557604adf67be50417f59c2c2f167def9a775", precision="BF16", parameter_count_b=0.5,
        effective_dtype="float16", model_format="HuggingFace original", submitted_by="JuhaoLiang1997",
        num_runs=3, warmup_runs=1,
    )
    for key, value in changes.items():
        setattr(ctx, key, value)
    return ctx


def example_blocks() -> dict[str, dict]:
    return {s: load(f"{s}/result.json")["metrics"][s] for s in ("offline", "online", "interactive")}


def test_scenario_documents_match_upstream_shape():
    ctx = example_ctx()
    for i, (name, block) in enumerate(example_blocks().items()):
        doc = scenario_result(ctx, name, block, start=T0 + timedelta(minutes=10 * i),
                              end=T0 + timedelta(minutes=10 * i + 2.5), model_load_seconds=146.8)
        schema_ok(doc)
        upstream = load(f"{name}/result.json")
        assert list(doc) == list(upstream)  # same keys, same order
        assert set(doc["meta"]) == set(upstream["meta"])
        assert set(doc["task"]) == set(upstream["task"])
        for key in ("chip", "environment", "model", "metrics"):
            assert doc[key] == upstream[key], key
        assert doc["task"]["scenario"] == name
        assert doc["accuracy"] == upstream["accuracy"] == {
            "subset_score": None, "baseline_delta": None, "valid": False, "notes": ACCURACY_HINT}
        meta = doc["meta"]
        assert (meta["run_id"], meta["run_name"]) == ("4f66d29d", EXAMPLE_NAME)
        assert meta["reproduce_script"] == "runners/moorethreads_vllm_musa_f2f6f965/runner.py"
        assert (meta["env_info_file"], meta["log_file"], meta["samples_file"]) == ("../env_info.json", "run.log", "samples.jsonl")
        assert meta["benchmark_elapsed_minutes"] == 2.5


def test_merged_partial_run_like_upstream():
    ctx = example_ctx()
    blocks = example_blocks()
    metas = {s: load(f"{s}/result.json")["meta"] for s in blocks}
    doc = merged_result(ctx, blocks, None, scenario_meta=metas)
    schema_ok(doc)
    assert doc["task"]["scenarios_run"] == ["offline", "online", "interactive"]
    assert doc["metrics"] == load("result.json")["metrics"]
    meta = doc["meta"]
    assert meta["scenario_dirs"] == load("result.json")["meta"]["scenario_dirs"]
    assert meta["benchmark_elapsed_minutes"] == 29.8  # sum of the scenarios, as upstream
    assert meta["benchmark_elapsed_minutes_note"] == "Total across ['offline', 'online', 'interactive'] scenarios."
    assert meta["model_load_seconds"] == 146.8
    assert meta["benchmark_start_time"] == "2026-05-18T08:45:57.373367+00:00"
    assert meta["benchmark_end_time"] == "2026-05-18T09:21:09.800661+00:00"
    # suite_F plans accuracy first; it did not run.
    assert meta["notes"] == "Partial run: ['offline', 'online', 'interactive'] succeeded, ['accuracy'] not run."
    failed = merged_result(ctx, blocks, None, scenario_meta=metas, failed={"accuracy": "killed"})
    assert failed["meta"]["notes"] == "Partial run: ['offline', 'online', 'interactive'] succeeded, ['accuracy'] failed."


def test_merged_complete_run_with_accuracy():
    ctx = example_ctx()
    blocks = example_blocks()
    metas = {s: load(f"{s}/result.json")["meta"] for s in blocks}
    acc = accuracy_block(0.36, ctx.model_id, ctx.precision, ctx.framework, threshold_delta=0.1)
    doc = merged_result(ctx, blocks, acc, scenario_meta=metas)
    schema_ok(doc)
    assert doc["task"]["scenarios_run"] == ["offline", "online", "interactive", "accuracy"]
    assert doc["accuracy"]["valid"] is True
    assert doc["meta"]["notes"] is None


def test_accuracy_against_qwen_bf16_baseline():
    acc = accuracy_block(0.38, "Qwen/Qwen2.5-0.5B-Instruct", "BF16", "llama.cpp")
    assert (acc["subset_score"], acc["baseline_delta"], acc["valid"]) == (0.38, 0.0, True)
    assert acc["framework"] == "llama.cpp" and acc["precision"] == "BF16" and acc["notes"]
    # Exactly at the threshold counts as valid (no float fuzz: 0.28 - 0.38 is -0.1).
    assert accuracy_block(0.28, "Qwen/Qwen2.5-0.5B-Instruct", "BF16", "x")["valid"] is True
    low = accuracy_block(0.27, "Qwen/Qwen2.5-0.5B-Instruct", "BF16", "x")
    assert low["valid"] is False and low["baseline_delta"] == -0.11 and "below" in low["notes"]
    # The example submission's figures.
    ex = accuracy_block(0.07, "Qwen/Qwen2.5-0.5B-Instruct", "BF16", "vllm-musa")
    assert (ex["baseline_delta"], ex["valid"]) == (-0.31, False)
    # The precision picks the baseline key.
    assert accuracy_block(0.37, "Qwen/Qwen2.5-0.5B-Instruct", "FP16", "x")["baseline_delta"] == 0.0
    assert accuracy_block(0.5, "Qwen/Qwen2.5-0.5B-Instruct", "BF16", "x", threshold_delta=0.05)["valid"] is True


@pytest.mark.parametrize(("model", "precision"), [
    ("HuggingFaceTB/SmolLM2-135M-Instruct", "INT4"),
    ("Qwen/Qwen2.5-0.5B-Instruct", "INT4"),
])
def test_accuracy_without_baseline(model, precision):
    acc = accuracy_block(0.25, model, precision, "llama.cpp")
    assert acc["valid"] is False and acc["baseline_delta"] is None and acc["subset_score"] == 0.25
    assert "No accuracy baseline" in acc["notes"] and model in acc["notes"] and precision in acc["notes"]


def gguf_ctx() -> ResultContext:
    env = load("env_info.json")
    env = {**env, "accelerators": [{"index": 0, "name": "AMD EPYC 7B13", "vendor": "AMD", "memory_gb": 7.8,
                                    "driver_version": "none (CPU)", "firmware_version": None, "supports_bf16": False}],
           "accelerator_platform": "cpu", "network_interfaces": None}
    return ResultContext(
        suite=json.loads((suites_dir() / "suite_Quick" / "suite.json").read_text()),
        runner_id="cpu_llamacpp_fcba25f1", framework="llama.cpp (llama-cpp-python)", framework_version="0.3.36",
        env_info=env, chip={"name": "AMD EPYC 7B13", "vendor": "AMD", "count": 1, "memory_gb": 7.8,
                            "interconnect_intra_node": None, "interconnect_inter_node": None},
        model_id="HuggingFaceTB/SmolLM2-135M-Instruct", model_revision="b179c952" * 8, precision="INT4",
        parameter_count_b=0.135, quantization_method="gguf_q4_1", effective_dtype=None,
        num_runs=3, warmup_runs=1, extra_config={"threads": 2, "n_ctx": 2048, "n_batch": 512},
    )


def test_gguf_run_with_extra_keys_and_all_scenarios_validates():
    ctx = gguf_ctx()
    stats = {"p50": 20.1, "p90": 25.0, "p95": 26.0, "p99": 30.2, "mean": 21.0, "std": 2.0, "min": 18.0, "max": 31.0, "n": 16}
    rel = {"n": 3, "mean": 150.2, "std": 1.1, "cv_pct": 0.73, "stability": "stable"}
    offline = copy.deepcopy(example_blocks()["offline"])
    for row in offline["results_by_concurrency"]:
        row.update(reliability=rel, ttft_ms=stats, decode_tokens_per_sec=stats, requests_failed=0)
    online = copy.deepcopy(example_blocks()["online"])
    online.update(sla_tpot_ms=None, goodput_rps=1.5)
    for row in online["results_by_qps"]:
        row.update(send_lag_ms=stats, itl_ms=stats)
    interactive = {**example_blocks()["interactive"], "ttft_ms": stats, "decode_tokens_per_sec": 149.2, "reliability": rel}
    sustained = {"sustained_concurrency": 2, "duration_minutes": 1, "sample_interval_seconds": 10, "warmup_minutes": 0.1,
                 "sustained_throughput_tokens_per_sec": 140.0, "throttle_ratio": 0.98, "throttle_onset_minute": None,
                 "ttft_p99_drift_ms": 1.2, "samples": [{"minute": 0.17, "is_warmup": False, "throughput_tokens_per_sec": 141.0,
                                                       "tokens_out": 1400, "tokens_in": 900, "requests_completed": 20,
                                                       "ttft_ms_p50": 20.0, "ttft_ms_p99": 31.0}]}
    burst = {"sla_ttft_ms": 1000, "burst_steady_qps": 0.5, "burst_peak_qps": 2, "burst_duration_seconds": 10,
             "burst_interval_seconds": 30, "steady_ttft_p50_ms": 20.0, "steady_ttft_p99_ms": 40.0, "burst_ttft_p50_ms": 60.0,
             "burst_ttft_p99_ms": 300.0, "steady_requests_total": 10, "burst_requests_total": 20, "sla_met_during_burst": True,
             "burst_degradation_ratio": 3.0, "results_by_cycle": [{"cycle": 0, "ttft_ms_p99": 300.0}]}
    blocks = {"offline": offline, "online": online, "interactive": interactive, "sustained": sustained, "burst": burst}
    metas = {}
    for i, (name, block) in enumerate(blocks.items()):
        doc = scenario_result(ctx, name, block, start=T0 + timedelta(minutes=i), end=T0 + timedelta(minutes=i + 1),
                              model_load_seconds=0.42)
        schema_ok(doc)
        assert doc["model"]["model_format"] == "gguf" and doc["model"]["quantization_method"] == "gguf_q4_1"
        assert doc["task"]["extra_config"]["threads"] == 2
        metas[name] = doc["meta"]
    acc = accuracy_block(0.26, ctx.model_id, ctx.precision, ctx.framework)
    merged = merged_result(ctx, blocks, acc, scenario_meta=metas)
    schema_ok(merged)
    assert merged["meta"]["submitted_by"] == "unsubmitted"
    assert merged["meta"]["run_name"].startswith("amd_epyc_7b13x1_suite_Quick_cpu_llamacpp_fcba25f1_")
    assert merged["meta"]["notes"] is None  # every default scenario ran


def test_schema_problems_are_path_and_message():
    doc = scenario_result(example_ctx(), "offline", copy.deepcopy(example_blocks()["offline"]), start=T0, end=T0,
                          model_load_seconds=None)
    del doc["metrics"]["offline"]["results_by_concurrency"][0]["oom"]
    doc["model"]["precision"] = "Q4_K_M"
    problems = validate_result(doc)
    assert "metrics.offline.results_by_concurrency[0]: 'oom' is a required property" in problems
    assert any(p.startswith("model.precision: 'Q4_K_M' is not one of") for p in problems)
