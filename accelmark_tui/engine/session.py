"""A benchmark run from request to result folder (the engine's main flow).

``RunSession.prepare()`` resolves and checks everything that can be wrong
before anything is measured (runner, suite, fit, model, output folder);
``execute()`` starts the runner process, folds its feed into a ``LiveRun``
and writes each scenario's result the moment its events file is complete, so
a stop or crash never loses a finished scenario and a rerun resumes.
"""

from __future__ import annotations

import json
import os
import queue
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from accelmark_tui import paths, resources
from accelmark_tui.catalog import DEFAULT_SUITE
from accelmark_tui.detect.background import BackgroundSampler
from accelmark_tui.engine import blocks, resume
from accelmark_tui.engine import plan as planmod
from accelmark_tui.engine import workload
from accelmark_tui.engine import run_options
from accelmark_tui.engine.backend import PreparedModel, load_object
from accelmark_tui.engine.metrics import LATE_SEND_MS, LATE_SHARE_WARN
from accelmark_tui.engine.host import PeakRss, RunnerProcess, describe_exit
from accelmark_tui.engine.live import LiveRun
from accelmark_tui.engine.messages import Bye, Fatal, Loaded, Message, ScenarioEnd, ScenarioStart, ScenarioStopped
from accelmark_tui.engine.records import read_records
from accelmark_tui.engine.request import RunOutcome, RunRequest  # noqa: F401  (re-exported: callers import them here)
from accelmark_tui.engine.resultdoc import ResultWriter, framework_version_of
from accelmark_tui.engine.workload import load_accuracy_items
from accelmark_tui.errors import RunnerFailed, UsageError
from accelmark_tui.results import background
from accelmark_tui.results.partial import sentence as partial_sentence
from accelmark_tui.scenarios import registry


class RunSession:
    def __init__(self, request: RunRequest, live: LiveRun | None = None, machine=None) -> None:
        self.req = request
        self.live = live or LiveRun()
        self.machine = machine
        self.proc: RunnerProcess | None = None
        self._msgs: queue.Queue[Message] = queue.Queue()
        self.prepared = False
        self.prepared_model: PreparedModel | None = None  # what the backend's prepare settled (model, server, options)

    # -- everything that can fail before measuring --------------------------
    def prepare(self) -> "RunSession":
        from accelmark_tui.catalog import fit as fitmod
        from accelmark_tui.catalog.runners import get_runner
        from accelmark_tui.catalog.suites import get_suite
        from accelmark_tui.detect import detect_machine
        from accelmark_tui.results.layout import TIERS

        req = self.req
        if req.tier not in TIERS:
            raise UsageError(f"Unknown tier '{req.tier}'; use one of {', '.join(TIERS)}.")
        if req.threads is not None and req.threads < 1:
            raise UsageError("--threads must be at least 1.")
        self.machine = self.machine or detect_machine()
        self.suite = get_suite(req.suite or DEFAULT_SUITE)
        if req.runner:
            self.runner = get_runner(req.runner)
        else:
            self.runner = fitmod.best_runner(self.suite, self.machine)
            if self.runner is None:
                raise UsageError(f"No runner can run {self.suite.id} on this machine; `accelmark runners` says why.")
        fit = fitmod.check_fit(self.runner, self.suite, self.machine)
        if not fit.ready:
            raise UsageError(f"{self.runner.id} cannot run {self.suite.id} here: {fit.reason.rstrip('.')}.")
        suite = self.suite.data
        self.scenarios = planmod.select_scenarios(suite, req.scenario)
        opts = planmod.Options(runs=req.runs, warmup=req.warmup, max_tokens=req.max_tokens, arrival=req.arrival,
                               levels=req.levels, requests=req.requests, sla_ttft_ms=req.sla_ttft_ms,
                               sla_tpot_ms=req.sla_tpot_ms, peak_start=req.peak_start, peak_max=req.peak_max)
        acc_c = max(1, min(8, max(int(c) for c in suite.get("concurrency_levels", [1]))))
        plans = [planmod.plan_scenario(s, suite, opts, accuracy_concurrency=acc_c) for s in self.scenarios]
        # Every request of the run gets its own prompt: laid out over all planned scenarios (finished ones
        # too), so a resumed run sends what the first one would have.
        prompts = workload.distinct_prompts(workload.load_prompts(resources.dataset_path(suite["dataset"])))
        workload.assign_prompts(plans, len(prompts), workload.deck_seed(suite))
        self.spec = run_options.spec_of(self.runner)
        req.options = run_options.checked(self.spec, self.runner, req.options)
        # The backend resolves --model for its formats (and starts or reaches a server): see PreparedModel.
        log = paths.cache_dir() / "serve" / f"server-{int(time.time())}.log"
        self.prepared_model = prep = load_object(self.spec.prepare)(req, suite=self.suite, machine=self.machine,
                                                                     log_path=log)
        self.model = prep.model
        self.gguf = prep.model.extra
        try:
            return self._prepare_output(plans, chip=prep.chip)
        except BaseException:
            if prep.server:
                prep.server.stop()
            raise

    def _prepare_output(self, plans: list[dict], chip: dict | None = None) -> "RunSession":
        from accelmark_tui.results.layout import RunDir

        req, suite = self.req, self.suite.data
        self.framework_version = self.spec.framework_version() or framework_version_of(self.runner)
        self.writer = ResultWriter.create(
            machine=self.machine, suite=suite, runner=self.runner, model=self.model,
            framework_version=self.framework_version, tier=req.tier, submitter=req.submitter,
            output_dir=req.output_dir, num_runs=req.runs, chip=chip,
        )
        # The options the user set that change what is measured: in task.extra_config, and a resumed run repeats them.
        recorded = json.loads(json.dumps(self.spec.recorded(req.options)))
        self.writer.runner_config = dict(self.prepared_model.extra_config) | (
            {"backend_options": recorded} if recorded else {})
        self.run_dir: RunDir = self.writer.run_dir
        run_options.check_same(self.spec, self.run_dir, recorded, req.force)
        self.state = self.run_dir.prepare(req.force, scenarios_planned=self.scenarios)
        self.state.extra["backend_options"] = recorded
        self.run_dir.save_state(self.state)
        self.todo = [s for s in self.scenarios if s not in self.state.scenarios_done]
        self.plans = [p for p in plans if p["name"] in self.todo]
        # A scenario stopped part-way continues at its next request (when its plan is unchanged).
        self.resume = {p["name"]: at for p in self.plans if (at := resume.resume_point(
            self.state.scenarios_partial.get(p["name"]), p, self.run_dir.samples(p["name"])))}
        self.prepared = True
        return self

    # -- the run ---------------------------------------------------------------
    def execute(self) -> RunOutcome:
        if not self.prepared:
            self.prepare()
        try:
            return self._execute()
        finally:
            self._stop_server()

    def _stop_server(self) -> None:
        server = self.prepared_model.server if self.prepared_model is not None else None
        if server is None:
            return
        server.stop()
        try:  # the run keeps the server's log beside its own
            if server.log_path.exists() and self.run_dir.path.exists():
                dest = self.run_dir.path / ".accelmark" / "server.log"
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(server.log_path.read_bytes())
                server.log_path.unlink()
        except OSError:
            pass

    def _execute(self) -> RunOutcome:
        rd, state, live = self.run_dir, self.state, self.live
        if not self.todo:
            state.status = "complete"
            rd.save_state(state)
            live.phase = "finished"
            return RunOutcome(rd.path, "already-complete", list(state.scenarios_done),
                              f"Already complete: {rd.path} (use --force to measure again).")
        self.writer.write_env()
        job = self._job()
        job_path = rd.path / ".accelmark" / "job.json"
        job_path.parent.mkdir(parents=True, exist_ok=True)
        job_path.write_text(json.dumps(job, indent=1), encoding="utf-8")
        live.phase = "loading"
        live.note(f"runner {self.runner.id}, suite {self.suite.id}, scenarios {', '.join(self.todo)}")
        for name in [n for n in state.scenarios_partial if n in self.todo]:
            at = self.resume.get(name)
            if at is None:  # its events file is about to be rewritten: that checkpoint no longer holds
                del state.scenarios_partial[name]
            live.note(f"{name}: resuming at run {at['run'] + 1}, step {at['step'] + 1}, request {at['request'] + 1}"
                      if at else f"{name}: stopped part-way earlier; it cannot continue there, so it starts again")
        rd.save_state(state)

        def on_message(msg: Message) -> None:
            live.handle(msg)
            if isinstance(msg, (Loaded, ScenarioStart, ScenarioEnd, ScenarioStopped, Fatal, Bye)):
                self._msgs.put(msg)

        self.proc = RunnerProcess(self.runner.runner_py, job_path, rd.log, on_message)
        self.proc.start()
        rss = PeakRss()
        bg = self._background_sampler()
        fatal: str | None = None
        bye: str | None = None
        current: str | None = self.todo[0]
        restore = _on_interrupt(self._interrupted)
        while True:
            try:
                msg = self._msgs.get(timeout=1.0)  # woken by messages; the timeout only polls the process
            except queue.Empty:
                rss.sample(self.proc.pid)
                self._sample_background(bg, current)
                if self.proc.poll() is not None and self._msgs.empty():
                    self.proc.wait()  # drain the reader so no message is lost
                    if self._msgs.empty():
                        break
                continue
            match msg:
                case Loaded():
                    self.writer.set_load(msg.info, msg.load_seconds)
                case ScenarioStart():
                    self.writer.mark_start(msg.scenario)
                    bg.start()  # the measured window: model load is over, this scenario's requests follow
                case ScenarioEnd():
                    name = msg.scenario
                    bg.sample(final=True)
                    self._finish_scenario(name, rss, bg.summary(), msg.peak_memory_gb)
                    idx = self.todo.index(name)
                    current = self.todo[idx + 1] if idx + 1 < len(self.todo) else None
                case ScenarioStopped():
                    bg.sample(final=True)
                    self._keep_partial(msg, bg.summary())
                case Fatal():
                    fatal = msg.message
                case Bye():
                    bye = msg.status
        rc = self.proc.wait()
        restore()
        done = list(state.scenarios_done)
        if bye == "done" and rc == 0 and not state.remaining:
            state.status = "complete"
            live.phase = "finished"
            rd.save_state(state)
            self.writer.write_merged(state, complete=True)
            return RunOutcome(rd.path, "complete", done, f"Results: {rd.path}")
        state.status = "incomplete"
        rd.save_state(state)
        if done:
            self.writer.write_merged(state, complete=False)
        partial = {n: e for n, e in state.scenarios_partial.items() if n not in done}
        if self.proc.stop_requested or bye == "stopped":
            live.phase = "stopped"
            return RunOutcome(rd.path, "stopped", done, _kept(done, rd.path, "Stopped", partial), list(partial))
        live.phase = "failed"
        if fatal and not done and current == self.todo[0] and self.writer.load_info is None:
            raise RunnerFailed(fatal)  # e.g. a model the backend cannot load: its own sentence
        what = fatal or f"The runner process {describe_exit(rc)}"
        where = f" during '{current}'" if current else ""
        raise RunnerFailed(f"{what.rstrip('.')}{where}; {_kept(done, rd.path, None, partial)}")

    def _interrupted(self) -> None:
        # First Ctrl-C: graceful stop (in-flight requests finish); second: stop now.
        self._interrupts = getattr(self, "_interrupts", 0) + 1
        first = self._interrupts == 1
        self.live.note("stopping: in-flight requests finish and every finished request is kept, nothing new is sent "
                       "(Ctrl-C again to stop now)"
                       if first else "stopping now")
        self.stop(now=not first)

    def stop(self, now: bool = False) -> None:
        if self.proc:
            if not now:
                self.live.begin_stop()  # the views show the wind-down, not an ETA
            self.proc.kill() if now else self.proc.stop()

    # -- helpers ---------------------------------------------------------------
    def _job(self) -> dict[str, Any]:
        suite = self.suite.data
        return {
            "model": asdict(self.model),
            "threads": self.req.threads,
            "max_concurrency": planmod.max_concurrency(self.plans),
            "max_model_len": int(suite.get("max_model_len", 2048)),
            "dataset": str(resources.dataset_path(suite["dataset"])),
            "accuracy_subset": str(resources.schema_path("accuracy_subset.jsonl")),
            "run_dir": str(self.run_dir.path),
            "scenarios": self.plans,
            "resume": self.resume,
            "backend_options": self.prepared_model.backend_options,
        }

    def _background_sampler(self) -> BackgroundSampler:
        """Other processes' CPU use while each scenario is measured. The run's own: accelmark's process tree
        (this process, the runner child, a server it started) and a local server it measures."""
        prep = self.prepared_model
        self._bg_warned: set[str] = set()
        return BackgroundSampler([os.getpid(), *(prep.measured_pids if prep else [])],
                                 note=prep.measured_note if prep else None)

    def _sample_background(self, bg: BackgroundSampler, scenario: str | None) -> None:
        """One sample (the loop wakes about once a second); warn once per scenario while it is measured."""
        if bg.sample() is None or scenario is None or scenario in self._bg_warned or scenario == "accuracy":
            return
        if line := background.scenario_warning(scenario, bg.summary(), so_far=True):
            self._bg_warned.add(scenario)
            self.live.note(line)

    def _finish_scenario(self, name: str, rss: PeakRss, load: dict[str, Any] | None = None,
                         backend_peak_gb: float | None = None) -> None:
        records = read_records(self.run_dir.samples(name))
        p = next(p for p in self.plans if p["name"] == name)
        ctx = blocks.ReportContext(served_concurrency=int((self.writer.load_info or {}).get("max_concurrency", 1)),
                                   chips=self.writer.chip_count)
        block = blocks.build(name, records, p, ctx)
        for level, share in registry.get(name).late_levels(block, LATE_SHARE_WARN):  # open-loop levels over 10 % late
            self.live.note(f"warning: {name} at {level:g} req/s did not hold its schedule: {share:.0%} of sends "
                           f"went out more than {LATE_SEND_MS:g} ms late, so the figures partly measure the client")
        reuse = block.get("prompt_reuse") if isinstance(block, dict) else None
        if reuse and reuse.get("unique_prefix"):
            self.live.note(f"note: {name} needed more prompts than the dataset's {reuse['dataset_prompts']}: "
                           f"{reuse['unique_prefix']} of its {reuse['requests']} requests repeated one behind a "
                           f"unique prefix (metrics.{name}.prompt_reuse)")
        if rss.peak_bytes and isinstance(block, dict):
            block["runner_peak_rss_gb"] = round(rss.peak_bytes / 1e9, 3)
        if backend_peak_gb is not None and isinstance(block, dict):
            block["backend_peak_memory_gb"] = backend_peak_gb
        if load is not None and isinstance(block, dict) and name != "accuracy":  # a score does not depend on speed
            block[background.KEY] = load
            if line := background.scenario_warning(name, load):
                self.live.note(line)
        self.state.mark_done(name)
        self.writer.write_scenario(name, block, self.state)
        self.run_dir.save_state(self.state)
        self.live.scenario_finished(name, block)

    def _keep_partial(self, stop: ScenarioStopped, load: dict[str, Any] | None = None) -> None:
        """A graceful stop mid-scenario: its finished requests become a block marked partial (never a
        finished scenario) and the run state keeps where the same command continues."""
        name, samples = stop.scenario, self.run_dir.samples(stop.scenario)
        p = next(p for p in self.plans if p["name"] == name)
        records = read_records(samples)
        n_items = len(load_accuracy_items(resources.schema_path("accuracy_subset.jsonl"))) \
            if p.get("source") == "accuracy" else 0
        entry = resume.checkpoint(p, stop, records, samples, n_items)
        if entry is None:
            return  # nothing measured yet: a rerun starts it afresh
        ctx = blocks.ReportContext(served_concurrency=int((self.writer.load_info or {}).get("max_concurrency", 1)),
                                   chips=self.writer.chip_count)
        block = blocks.build(name, records, p, ctx)
        if load is not None and isinstance(block, dict) and name != "accuracy":
            block[background.KEY] = load
        self.state.scenarios_partial[name] = entry
        self.writer.write_partial(name, block, entry, self.state)
        self.run_dir.save_state(self.state)
        self.live.note(f"{partial_sentence(entry)}; kept as a partial block")


def _on_interrupt(handler):
    """Route SIGINT to ``handler`` while a run is live (main thread only); returns the undo."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.signal(signal.SIGINT, lambda *_: handler())
    return lambda: signal.signal(signal.SIGINT, previous)


def _kept(done: list[str], where: Path, verb: str | None, partial: dict[str, dict] | None = None) -> str:
    """What was kept, as a sentence (``verb`` leads it) or a clause (``verb`` None)."""
    part = "; ".join(partial_sentence(e) for e in (partial or {}).values())
    if not done and not part:
        text = f"no scenario had finished, so nothing but the run folder {where} was written."
    elif not done:
        text = (f"{part}, kept as a partial block (never submitted) in {where}; "
                "run the same command again to resume it.")
    else:
        text = (f"finished scenarios ({', '.join(done)}) were kept in {where}"
                + (f"; {part}, kept as a partial block (never submitted)" if part else "")
                + "; run the same command again to resume the rest.")
    return f"{verb}: {text}" if verb else text

