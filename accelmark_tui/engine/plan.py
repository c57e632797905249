"""Turn a suite spec and the user's options into scenario plans for a runner.

A plan is plain JSON (it crosses into the runner process). Each scenario has
``steps`` (levels: a concurrency or a target rate) repeated ``runs`` times;
warm-up requests run before a step's first run and never enter statistics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accelmark_tui.engine.backend import load_object
from accelmark_tui.errors import UsageError
from accelmark_tui.scenarios import registry

# Scenarios the upstream schema knows but this engine does not run yet.
NOT_IMPLEMENTED = {"speculative": "speculative decoding needs a draft-model runner, which accelmark does not have yet"}


@dataclass(slots=True)
class Options:
    runs: int | None = None  # repeated runs of offline/online/interactive
    warmup: int | None = None  # warm-up requests before each step
    max_tokens: int | None = None
    arrival: str = "poisson"  # online scenario: poisson | constant
    levels: list[int] | None = None  # sweep concurrency levels
    requests: int | None = None  # requests per level (sweep) or per trial (peak)
    sla_ttft_ms: float | None = None  # peak search / goodput limits (override the suite's)
    sla_tpot_ms: float | None = None
    peak_start: float | None = None  # first rate the peak search tries (req/s)
    peak_max: float | None = None  # the search never goes above this rate


def _runs(suite: dict, opts: Options) -> int:
    n = opts.runs if opts.runs is not None else int(suite.get("num_runs", 3))
    if n < 1:
        raise UsageError("--runs must be at least 1.")
    return n


def _warm(opts: Options, default: int) -> int:
    if opts.warmup is not None:
        if opts.warmup < 0:
            raise UsageError("--warmup must be 0 or more.")
        return opts.warmup
    return max(0, default)


@dataclass(frozen=True, slots=True)
class PlanContext:
    """What a planner needs beyond the suite and the options: facts of the whole run."""

    accuracy_concurrency: int = 4  # the accuracy items run this many at a time (the runner's batch)


def plan_scenario(name: str, suite: dict, opts: Options, accuracy_concurrency: int = 4) -> dict[str, Any]:
    """The scenario's plan: the fields every plan has, then its own planner's steps (the registry names it)."""
    if name in NOT_IMPLEMENTED:
        raise UsageError(f"Scenario '{name}' is not available: {NOT_IMPLEMENTED[name]}.")
    scenario = registry.REGISTRY.get(name)
    if scenario is None or not scenario.planner:
        raise UsageError(f"Unknown scenario '{name}'; choose one of {', '.join(registry.names())}, 'default' or 'all'.")
    plan: dict[str, Any] = {"name": name, "max_tokens": int(opts.max_tokens or suite.get("output_tokens_max", 256)),
                            "runs": _runs(suite, opts), "steps": []}
    load_object(scenario.planner)(plan, suite, opts, PlanContext(accuracy_concurrency))
    return plan


# -- one planner per scenario: ``planner(plan, suite, opts, ctx)`` fills in its steps ----------------


def plan_accuracy(plan: dict[str, Any], suite: dict, opts: Options, ctx: PlanContext) -> None:
    c = ctx.accuracy_concurrency
    plan.update(runs=1, max_tokens=int(suite.get("accuracy_max_tokens", 4)), source="accuracy")
    plan["steps"] = [{"mode": "closed", "level": c, "concurrency": c, "requests": None, "warmup": 0}]


def plan_offline(plan: dict[str, Any], suite: dict, opts: Options, ctx: PlanContext) -> None:
    n = int(suite.get("request_count", 100))
    warm_runs = int(suite.get("warmup_runs", 1))
    for c in suite.get("concurrency_levels", [1]):
        plan["steps"].append({"mode": "closed", "level": int(c), "concurrency": int(c), "requests": n,
                              "warmup": _warm(opts, warm_runs * min(int(c), n))})


def plan_online(plan: dict[str, Any], suite: dict, opts: Options, ctx: PlanContext) -> None:
    n = int(suite.get("online_request_count") or suite.get("request_count", 100))
    levels = suite.get("online_qps_levels") or []
    if not levels:
        raise UsageError(f"Suite {suite['suite_id']} defines no online QPS levels; pick another scenario.")
    if opts.arrival not in ("poisson", "constant"):
        raise UsageError(f"--arrival must be poisson or constant, not '{opts.arrival}'.")
    for q in levels:
        plan["steps"].append({"mode": opts.arrival, "level": float(q), "rate": float(q), "requests": n,
                              "warmup": _warm(opts, int(suite.get("online_warmup_requests", 10)))})
    plan["sla_ttft_ms"] = _sla(opts.sla_ttft_ms, suite.get("online_sla_ttft_ms"))
    plan["sla_tpot_ms"] = _sla(opts.sla_tpot_ms, suite.get("online_sla_tpot_ms"))


def plan_sweep(plan: dict[str, Any], suite: dict, opts: Options, ctx: PlanContext) -> None:
    levels = opts.levels or [int(c) for c in suite.get("sweep_concurrency_levels") or suite.get(
        "concurrency_levels") or []] or list(DEFAULT_SWEEP)
    if any(int(c) < 1 for c in levels):
        raise UsageError("--levels must be positive concurrency values, e.g. 1,2,4,8.")
    n = _count(opts.requests, suite.get("request_count", 100))
    plan.update(runs=opts.runs or 1, sla_ttft_ms=_sla(opts.sla_ttft_ms, suite.get("online_sla_ttft_ms")),
                sla_tpot_ms=_sla(opts.sla_tpot_ms, suite.get("online_sla_tpot_ms")))
    for c in sorted({int(c) for c in levels}):
        plan["steps"].append({"mode": "closed", "level": c, "concurrency": c, "requests": max(n, c),
                              "warmup": _warm(opts, min(c, n))})


def plan_peak(plan: dict[str, Any], suite: dict, opts: Options, ctx: PlanContext) -> None:
    ttft = _sla(opts.sla_ttft_ms, suite.get("online_sla_ttft_ms"))
    if ttft is None:
        raise UsageError("Peak search needs a p99 TTFT limit: pass --sla-ttft-ms MS (the suite defines none).")
    start = float(opts.peak_start or (suite.get("online_qps_levels") or [1.0])[0])
    top = float(opts.peak_max or 10_000.0)
    if start <= 0 or top < start:
        raise UsageError("--peak-start must be above 0 and no higher than --peak-max.")
    plan.update(runs=1, sla_ttft_ms=ttft, sla_tpot_ms=_sla(opts.sla_tpot_ms, suite.get("online_sla_tpot_ms")))
    plan["steps"] = [{"mode": "peak", "level": None, "start_rate": start, "max_rate": top,
                      "requests": _count(opts.requests, suite.get("online_request_count") or 50),
                      "trial_seconds": float(suite.get("peak_trial_seconds", 10.0)),
                      "tolerance": 0.05, "max_trials": 12,
                      "warmup": _warm(opts, int(suite.get("online_warmup_requests", 10)))}]


def plan_interactive(plan: dict[str, Any], suite: dict, opts: Options, ctx: PlanContext) -> None:
    n = int(suite.get("interactive_request_count") or suite.get("request_count", 100))
    plan["steps"] = [{"mode": "closed", "level": 1, "concurrency": 1, "requests": n,
                      "warmup": _warm(opts, int(suite.get("interactive_warmup_runs", 0)))}]


def plan_sustained(plan: dict[str, Any], suite: dict, opts: Options, ctx: PlanContext) -> None:
    c = int(suite.get("sustained_concurrency", 8))
    plan.update(runs=1)
    plan["steps"] = [{
        "mode": "duration", "level": c, "concurrency": c,
        "duration_s": float(suite.get("duration_minutes", 15)) * 60.0,
        "warmup_s": float(suite.get("warmup_minutes", 0)) * 60.0,
        "sample_interval_s": float(suite.get("sample_interval_seconds", 60)),
        "requests": None, "warmup": 0,
    }]


def plan_burst(plan: dict[str, Any], suite: dict, opts: Options, ctx: PlanContext) -> None:
    steady = float(suite.get("burst_steady_qps") or 1.0)
    peak = float(suite.get("burst_peak_qps") or steady * 5)
    plan.update(runs=1, sla_ttft_ms=suite.get("online_sla_ttft_ms"))
    plan["steps"] = [{
        "mode": "burst", "level": peak, "steady_qps": steady, "peak_qps": peak,
        "burst_s": float(suite.get("burst_duration_seconds") or 30),
        "interval_s": float(suite.get("burst_interval_seconds") or 120), "cycles": int(suite.get("burst_cycles", 2)),
        "requests": None, "warmup": _warm(opts, int(suite.get("burst_warmup_requests", 10))),
    }]


DEFAULT_SWEEP = (1, 2, 4, 8, 16, 32)


def _sla(override: float | None, suite_value) -> float | None:
    if override is not None:
        if override <= 0:
            raise UsageError("SLA limits (--sla-ttft-ms, --sla-tpot-ms) must be above 0.")
        return float(override)
    return None if suite_value is None else float(suite_value)


def _count(override: int | None, default) -> int:
    if override is not None and override < 1:
        raise UsageError("--requests must be at least 1.")
    return int(override or default)


def select_scenarios(suite: dict, selection: str | None) -> list[str]:
    """``default`` | ``all`` | a scenario name | comma-separated names."""
    sc = suite.get("scenarios", {})
    default, extra = list(sc.get("default", [])), list(sc.get("extra", []))
    sel = (selection or "default").strip()
    if sel == "default":
        names = default
    elif sel == "all":
        names = default + [s for s in extra if s not in default]
    else:
        names = [s.strip() for s in sel.split(",") if s.strip()]
        for s in names:
            # accelmark's own scenarios run with any suite.
            if s not in default and s not in extra and s not in registry.OWN:
                raise UsageError(f"Suite {suite['suite_id']} has no scenario '{s}'; it has: "
                                 f"{', '.join(default + extra)}, plus accelmark's {' and '.join(registry.OWN)}.")
    runnable = [s for s in names if s not in NOT_IMPLEMENTED]
    if not runnable:
        raise UsageError(f"None of the selected scenarios can run here ({', '.join(names)}).")
    return runnable


def max_concurrency(plans: list[dict]) -> int:
    peak = 1
    for p in plans:
        for s in p["steps"]:
            if s.get("concurrency"):
                peak = max(peak, int(s["concurrency"]))
            if s["mode"] in ("poisson", "constant", "burst", "peak"):
                peak = max(peak, 4)  # open loop: arrivals overlap; serve a few at once
    return peak
