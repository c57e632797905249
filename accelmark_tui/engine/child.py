"""Runner child process: load a backend, run the job's scenarios, report.

Entry point for every ``runners/*/runner.py``::

    from accelmark_tui.engine.child import run_child
    raise SystemExit(run_child("accelmark_tui.backends.llama_cpp:LlamaCppBackend", {"n_gpu_layers": 0}))

The parent passes ``--job JOB.json --feed-fd N``. Every finished request is
appended to ``<run_dir>/<scenario>/samples.jsonl`` (full fidelity: results are
computed from it); the parent gets a batched progress feed on fd N. SIGTERM
asks for a graceful stop: in-flight requests finish, nothing new is sent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
import zlib
from dataclasses import asdict
from pathlib import Path
from typing import Any

from accelmark_tui.engine import resume, workload
from accelmark_tui.engine.backend import Backend, ModelSpec, load_object
from accelmark_tui.engine.feed import FeedWriter
from accelmark_tui.engine.gcpolicy import StepGc
from accelmark_tui.engine.curves import PeakSearch, point, sla_of, trial_verdict
from accelmark_tui.engine.loadgen import LoadGen, Stopped, burst_offsets, constant_offsets, poisson_offsets
from accelmark_tui.engine.messages import (Bye, Fatal, Loaded, PeakResult, ScenarioEnd, ScenarioStart,
                                           ScenarioStopped, StepEnd, StepStart, StepSummary)
from accelmark_tui.engine.metrics import Sla
from accelmark_tui.engine.records import PHASE_MEASURE, PHASE_WARMUP, GenRequest, RequestRecord
from accelmark_tui.errors import AccelmarkError, user_message

# Progress ticks per second. Every wake-up of this process takes CPU from the
# engine's threads (on a 2-core box they own both cores), so stay well under
# the feed's 20/s ceiling: 8 Hz still redraws a 4 Hz UI smoothly.
TICK_HZ = 8


def _load_backend(path: str, options: dict | None) -> Backend:
    return load_object(path)(options)


class EventsFile:
    """Append-only JSON lines, flushed by the progress ticker (and at close).

    Not per record: at thousands of requests a second a write syscall each was
    a measurable share of the client's CPU. A kill loses at most one tick of
    records, and only of a scenario that was not finished anyway (a finished
    scenario is closed, hence flushed, before it counts as done).
    """

    def __init__(self, path: Path, header: dict[str, Any], keep_bytes: int | None = None) -> None:
        """``keep_bytes``: a resumed scenario's file is cut back to its checkpoint and appended to."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if keep_bytes is not None:
            os.truncate(path, keep_bytes)
        self._fh = open(path, "w" if keep_bytes is None else "a", encoding="utf-8")
        self._fh.write(json.dumps({"type": "header", **header}) + "\n")
        self._fh.flush()

    def write(self, rec: RequestRecord, keep_text: bool) -> None:
        if not keep_text:
            rec.text = None
        self._fh.write(rec.to_json() + "\n")

    def flush(self) -> None:
        if not self._fh.closed:
            self._fh.flush()

    def close(self) -> None:
        self._fh.close()


async def _run_step(gen: LoadGen, plan: dict, step: dict, run: int, reqs: list[GenRequest],
                    warm: list[GenRequest], seed: int, feed: FeedWriter,
                    prompts: workload.StepPrompts | None, skip: int = 0) -> list[RequestRecord]:
    """Run one step; returns its measured records (peak search reads them to pick the next rate).

    Time-bound, burst and peak steps send as many requests as their clock or search asks for:
    they take them from ``prompts``, which never hands out the same prompt twice unmarked.
    ``skip``: requests measured before a stop (a resumed closed or open-loop step sends the rest).
    """
    name, level = plan["name"], step["level"]
    if warm:
        # Warm-up goes through the same path at the step's concurrency; never measured.
        await gen.closed_loop(warm, step.get("concurrency") or 1, name, run, level, PHASE_WARMUP)
    mode = step["mode"]
    if mode == "closed":
        return await gen.closed_loop(reqs[skip:], step["concurrency"], name, run, level)
    if mode in ("poisson", "constant"):
        offs = poisson_offsets(len(reqs), step["rate"], seed) if mode == "poisson" else \
            constant_offsets(len(reqs), step["rate"])
        # Resumed: the rest of the same schedule, its first arrival now.
        return await gen.open_loop(reqs[skip:], [o - offs[skip] for o in offs[skip:]], name, run, level)
    if mode == "duration":
        await gen.for_duration(prompts.request, step["concurrency"], step["duration_s"],
                               name, run, level, warmup_s=step.get("warmup_s", 0.0))
        return []
    if mode == "burst":
        sched = burst_offsets(step["steady_qps"], step["peak_qps"], step["burst_s"], step["interval_s"],
                              step["cycles"], seed)
        return await gen.open_loop([prompts.request(i) for i in range(len(sched))], [t for t, _ in sched],
                                   name, run, level)
    if mode == "peak":
        return await _peak_search(gen, plan, step, run, prompts, seed, feed)
    raise ValueError(f"unknown step mode {mode}")


async def _peak_search(gen: LoadGen, plan: dict, step: dict, run: int, prompts: workload.StepPrompts, seed: int,
                       feed: FeedWriter) -> list[RequestRecord]:
    sla = sla_of(plan) or Sla()
    search = PeakSearch(step["start_rate"], step["max_rate"], step.get("tolerance", 0.05), step.get("max_trials", 12))
    records: list[RequestRecord] = []
    trial = sent = 0
    while (rate := search.next_rate()) is not None:
        # Each trial lasts at least trial_seconds so a high rate is judged on enough requests.
        n = max(int(step["requests"]), int(rate * float(step.get("trial_seconds", 0.0))))
        batch = [prompts.request(sent + i) for i in range(n)]  # each trial sends prompts no trial sent
        sent += n
        feed.state.update(level=rate)
        feed.send(StepStart(scenario=plan["name"], run=run, step=trial, level=rate, mode="poisson", requests=n))
        got = await gen.open_loop(batch, poisson_offsets(n, rate, seed + trial), plan["name"], run, rate)
        verdict = trial_verdict(got, sla)
        search.record(rate, verdict)
        feed.send(StepSummary(scenario=plan["name"], run=run, step=trial, level=rate,
                              summary={**point(got, sla), **verdict}))
        records.extend(got)
        trial += 1
    feed.send(PeakResult(scenario=plan["name"], best=search.lo, bracket=(search.lo, search.hi),
                         stopped=search.stopped_reason))
    return records


async def _run_job(job: dict, backend: Backend, feed: FeedWriter, stop: asyncio.Event) -> str:
    out_dir = Path(job["run_dir"])
    datasets = {job["dataset"]: workload.load_prompts(job["dataset"])}  # a plan may name its own (a sweep's shapes)
    items = workload.load_accuracy_items(job["accuracy_subset"]) if any(
        p["name"] == "accuracy" for p in job["scenarios"]) else []

    step_gc = StepGc()

    async def ticker() -> None:
        while True:
            feed.tick(gen.in_flight, gen.live_tokens())
            if "events" in current:
                current["events"].flush()
            step_gc.tick()
            await asyncio.sleep(1.0 / TICK_HZ)

    current: dict[str, Any] = {}

    def sink(rec: RequestRecord) -> None:
        current["events"].write(rec, keep_text=rec.scenario == "accuracy")
        if rec.phase == PHASE_MEASURE:
            current["measured"] += 1  # of the current step: where a stop leaves it
        feed.record(rec)

    gen = LoadGen(backend, sink, stop)
    tick_task = asyncio.create_task(ticker())
    try:
        for plan in job["scenarios"]:
            name = plan["name"]
            if plan.get("dataset") and plan["dataset"] not in datasets:
                datasets[plan["dataset"]] = workload.load_prompts(plan["dataset"])
            data = datasets[plan.get("dataset") or job["dataset"]]
            at = job.get("resume", {}).get(name)  # a scenario stopped part-way: continue where it stopped
            events = EventsFile(out_dir / name / "samples.jsonl", {
                "scenario": name, "plan": plan, "clock": "perf_counter_ns",
                "clock_origin_ns": time.perf_counter_ns(), "wall_origin": time.time(),
                **({"resumed_at": at} if at else {}),
            }, keep_bytes=at["bytes"] if at else None)
            current["events"], current["measured"] = events, 0
            feed.done = feed.failed = 0
            t0 = time.time()
            feed.send(ScenarioStart(scenario=name, steps=len(plan["steps"]), runs=plan["runs"],
                                    total=workload.planned_requests(plan, len(items)), done=at["done"] if at else 0))
            fresh = True  # no step of this scenario measured by this process yet
            where = (0, 0, 0)  # run, step, requests of it measured before this process
            try:
                for run in range(plan["runs"]):
                    for si, step in enumerate(plan["steps"]):
                        seed = zlib.crc32(f"{name}:{si}:{run}".encode())  # stable across processes
                        # Drawn for every step, measured or not, so a resumed run draws what the first one did.
                        reqs, warm = workload.requests_for(plan, step, data, items, run)
                        more = workload.step_prompts(plan, step, data, run) if step["mode"] in workload.OPEN_ENDED \
                            else None
                        skip = resume.skip_in(at, run, si, len(reqs))
                        if skip is None:
                            continue  # measured before the stop
                        # Warm-up before each level's first run, and before the first step a resumed scenario
                        # measures: that runner was just loaded (cold caches, new allocations and connections),
                        # which is what warm-up keeps out of the figures. It is never measured, so running it
                        # again costs time, not honesty.
                        use_warm = warm if run == 0 or (fresh and at) else []
                        fresh = False
                        where, current["measured"] = (run, si, skip), 0
                        feed.state.update(scenario=name, run=run, runs=plan["runs"], step=si,
                                          steps=len(plan["steps"]), level=step["level"])
                        feed.send(StepStart(scenario=name, run=run, step=si, level=step["level"],
                                            mode=step["mode"], requests=len(reqs) - skip))
                        with step_gc:
                            got = await _run_step(gen, plan, step, run, reqs, use_warm, seed, feed, more, skip)
                        feed.tick(gen.in_flight, gen.live_tokens(), force=True)
                        events.flush()  # the step's records are on disk before its end is announced (a sweep reads them)
                        if got and step["mode"] != "peak":
                            # Each level's figures at once: the sweep screen grows point by point.
                            feed.send(StepSummary(scenario=name, run=run, step=si, level=step["level"],
                                                  summary=point(got, sla_of(plan))))
                        feed.send(StepEnd(scenario=name, run=run, step=si, level=step["level"]))
            except Stopped:
                events.close()
                run, si, skip = where
                feed.send(ScenarioStopped(scenario=name, run=run, step=si, level=plan["steps"][si]["level"],
                                          request=skip + current["measured"]))
                return "stopped"
            events.close()
            feed.send(ScenarioEnd(scenario=name, seconds=round(time.time() - t0, 3),
                                  samples=str(out_dir / name / "samples.jsonl"), peak_memory_gb=backend.peak_memory_gb()))
        return "done"
    finally:
        tick_task.cancel()


def install_fast_loop() -> str:
    """uvloop where installed: the endpoint client's per-request cost halves (bench/loadgen_capacity.py)."""
    try:
        import uvloop
    except ImportError:
        return "asyncio"
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return f"uvloop {uvloop.__version__}"


def _watch_parent() -> None:
    """Exit when the parent dies: nobody would write results, and the runner
    would keep the cores busy (it runs in its own session, so signals to the
    parent's process group do not reach it)."""
    import threading

    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(4)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def run_child(backend: str, options: dict | None = None, argv: list[str] | None = None) -> int:
    _watch_parent()
    ap = argparse.ArgumentParser(description="accelmark runner process (started by `accelmark run`).")
    ap.add_argument("--job", required=True, help="job JSON written by accelmark")
    ap.add_argument("--feed-fd", type=int, default=None, help="file descriptor for the progress feed")
    args = ap.parse_args(argv)
    feed = FeedWriter(args.feed_fd)
    try:
        job = json.loads(Path(args.job).read_text(encoding="utf-8"))
        opts = {**(options or {}), **job.get("backend_options", {})}
        opts.setdefault("max_model_len", job.get("max_model_len"))
        be = _load_backend(backend, opts)
        t0 = time.perf_counter()
        info = be.load(ModelSpec(**job["model"]), job.get("threads"), job.get("max_concurrency", 1))
        feed.send(Loaded(info=asdict(info), load_seconds=round(time.perf_counter() - t0, 3), pid=os.getpid()))
    except AccelmarkError as exc:
        feed.send(Fatal(message=str(exc), kind=type(exc).__name__))
        return 2
    except Exception as exc:  # noqa: BLE001 - reported, not swallowed
        feed.send(Fatal(message=user_message(exc), kind=type(exc).__name__))
        print(f"runner failed while loading: {exc!r}", file=sys.stderr)
        return 2

    async def main() -> str:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):
                pass
        return await _run_job(job, be, feed, stop)

    install_fast_loop()
    try:
        status = asyncio.run(main())
    except Exception as exc:  # noqa: BLE001
        feed.send(Fatal(message=user_message(exc), kind=type(exc).__name__))
        import traceback

        traceback.print_exc()  # to run.log (stderr), never to the user's terminal
        return 3
    finally:
        try:
            be.close()
        except Exception:  # noqa: BLE001
            pass
    feed.send(Bye(status=status))
    feed.close()
    return 0
