"""What the app costs the measurement: figures for the README (issue 3, Performance).

(a) decode tok/s of the same interactive scenario run from the app in a real
    terminal (a tmux pty, the app opened straight on a live run through
    ACCELMARK_AUTORUN) versus headless ``accelmark run``, interleaved. The bench
    itself sleeps through both (it blocks in ``subprocess.run`` and in
    ``tmux wait-for``): polling the run folder during the app's runs only cost
    the app's side decode speed;
(b) CPU time of the app process (its own threads: UI, feed reader, telemetry;
    not the runner child) from the runner's start to the run's end, as a share
    of one core, reported by the app itself (ACCELMARK_AUTORUN_REPORT);
(c) time from launching ``accelmark`` in tmux to the first painted home screen
    naming this machine's CPU, beside ``python -c pass`` measured in the same run;
(d) memory bound: one hour of synthetic 20 Hz feed ticks folded into a LiveRun.

Usage:  python bench/ui_overhead.py [--pairs 3] [--runs 1] [--launches 5] [--json] [--skip-runs]
tmux runs on its own socket (``-L``), so no other tmux session is touched.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parents[1]
ARGS = {"suite": "suite_Quick", "scenario": "interactive", "runs": 1}
GOALS = {"ratio": 0.97, "cpu_share": 0.10, "startup_s": 1.5}


class Tmux:
    """One private tmux server (its own socket); every session it starts dies with ``close()``."""

    def __init__(self) -> None:
        self.socket = f"accelmark-bench-{os.getpid()}"
        # A server exits with its last session, and a new session can race the exiting server:
        # an idle keeper session holds the server up until close().
        self._t("new-session", "-d", "-s", "keeper", "sleep 86400")

    def _t(self, *args: str, check: bool = True) -> str:
        out = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True)
        if check and out.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {out.stderr.strip()}")
        return out.stdout

    def start(self, name: str, command: str, env: dict[str, str], size=(120, 40), signal: bool = False) -> None:
        """``signal``: when the command ends, signal the tmux channel ``name`` (see ``wait``)."""
        exports = " ".join(f"{k}={_sh(v)}" for k, v in env.items())
        then = f"; tmux -L {self.socket} wait-for -S {name}" if signal else ""
        self._t("new-session", "-d", "-s", name, "-x", str(size[0]), "-y", str(size[1]),
                f"cd {_sh(str(REPO))} && {'' if signal else 'exec '}env {exports} {command}{then}")

    def pid(self, name: str) -> int:
        """The pane's process (the app itself when started without ``signal``: it was exec'd)."""
        return int(self._t("display-message", "-p", "-t", name, "#{pane_pid}").strip())

    def wait(self, name: str, timeout: float) -> None:
        """Block (no polling) until the command started with ``signal=True`` has ended."""
        subprocess.run(["tmux", "-L", self.socket, "wait-for", name], check=True, timeout=timeout)

    def screen(self, name: str) -> str:
        return self._t("capture-pane", "-p", "-J", "-t", name, check=False)

    def kill(self, name: str) -> None:
        self._t("kill-session", "-t", name, check=False)

    def close(self) -> None:
        self._t("kill-server", check=False)


def _sh(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _decode(out_dir: Path) -> dict[str, Any]:
    """decode_tokens_per_sec (the mean over requests, as result.json reports it) and its p50."""
    docs = sorted(out_dir.glob("community/*/result.json"))
    block = (json.loads(docs[0].read_text()).get("metrics") or {}).get("interactive") or {} if docs else {}
    return {"decode_tok_s": block.get("decode_tokens_per_sec"),
            "decode_p50": (block.get("decode_tokens_per_sec_dist") or {}).get("p50")}


def accelmark_exe() -> str:
    """The installed ``accelmark`` entry point (the startup figure is about exactly that)."""
    exe = shutil.which("accelmark", path=str(Path(sys.executable).parent)) or shutil.which("accelmark")
    return exe or f"{_sh(sys.executable)} -m accelmark_tui"


def launcher() -> str:
    """How the app is started for a run: the installed ``accelmark`` (app.py installs the autorun hook)."""
    return accelmark_exe()


# ── (a) + (b) ────────────────────────────────────────────────────────────────


def headless_run(out: Path, env: dict[str, str]) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "accelmark_tui", "run", "--suite", ARGS["suite"], "--scenario", ARGS["scenario"],
           "--runs", str(ARGS["runs"]), "--output-dir", str(out), "--force", "--quiet"]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, text=True, cwd=REPO)
    if proc.returncode != 0:
        raise RuntimeError(f"headless run failed: {proc.stderr.strip()[-500:]}")
    return {**_decode(out), "wall_s": round(time.monotonic() - t0, 1)}


def app_run(tmux: Tmux, name: str, out: Path, env: dict[str, str], command: str, timeout: float = 900) -> dict:
    """The same run from the app. The bench does nothing while it runs, as while the headless run
    runs: the app writes its own report when the run ends (its state, its CPU time from the runner's
    start to the end: ``ui.autorun.Reporter``) and quits, and the bench blocks in ``tmux wait-for``."""
    request = dict(ARGS, output_dir=str(out), force=True)
    report = out.with_name(out.name + ".report.json")
    tmux.start(name, command, {**env, "ACCELMARK_AUTORUN": json.dumps(request),
                               "ACCELMARK_AUTORUN_REPORT": str(report)}, signal=True)
    try:
        tmux.wait(name, timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"the app run did not end within {timeout:.0f} s; last screen:\n{tmux.screen(name)}")
    finally:
        tmux.kill(name)
    if not report.is_file():
        raise RuntimeError("the app ended without its report (did it crash? run it in a terminal to see)")
    doc = json.loads(report.read_text())
    if doc["state"] != "done":
        raise RuntimeError(f"the app run ended {doc['state']}: {doc.get('error')}")
    return {**_decode(out), "wall_s": round(doc["window_s"], 1), "app_cpu_s": doc["cpu_s"],
            "app_cpu_share": round(doc["cpu_s"] / doc["window_s"], 4)}


# ── (c) ──────────────────────────────────────────────────────────────────────


def time_to_home(tmux: Tmux, name: str, env: dict[str, str], cpu_name: str, command: str) -> float:
    needle = cpu_name[:24]
    t0 = time.monotonic()
    tmux.start(name, command, env)
    try:
        while time.monotonic() - t0 < 30:
            if needle in tmux.screen(name):
                return time.monotonic() - t0
            time.sleep(0.02)
        raise RuntimeError(f"home never named the CPU ({needle!r}):\n{tmux.screen(name)}")
    finally:
        tmux.kill(name)


def python_pass(n: int) -> float:
    times = []
    for _ in range(n):
        t0 = time.monotonic()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.monotonic() - t0)
    return statistics.median(times)


# ── (d) ──────────────────────────────────────────────────────────────────────


def memory_bound(hours: float = 1.0, hz: float = 20.0) -> dict[str, Any]:
    from accelmark_tui.engine import live as live_mod
    from accelmark_tui.engine.live import LiveRun
    from accelmark_tui.engine.messages import decode

    class Clock:  # one hour of feed in seconds of CPU: the clock is simulated
        t = 0.0

        def monotonic(self) -> float:
            return self.t

        def strftime(self, fmt: str) -> str:
            return time.strftime(fmt)

    real_time, clock = live_mod.time, Clock()
    live_mod.time = clock
    try:
        live = LiveRun()
        live.started = 0.0
        live.handle(decode({"type": "scenario_start", "scenario": "sustained", "total": None, "runs": 1, "steps": 1}))
        proc = psutil.Process()
        n = int(hours * 3600 * hz)
        rss = [proc.memory_info().rss]
        lengths_at = {}
        tokens = 0
        for i in range(n):
            clock.t += 1 / hz
            tokens += 7
            live.handle(decode({"type": "tick", "in_flight": 2, "failed": 0, "gen_tokens": tokens,
                                "samples": [[150.0 + i % 40, 9.5, 700.0, 0.4, 64, 1, False]] if i % 4 == 0 else []}))
            if i % 600 == 0:
                live.note(f"minute {i // 1200}")
            if i + 1 in (n // 60, n):
                snap = live.snapshot()
                lengths_at["1 min" if i + 1 == n // 60 else f"{hours:g} h"] = {
                    "tok_s": len(snap.tok_s.times), "ttft_p50": len(snap.ttft_p50.times),
                    "in_flight_series": len(snap.in_flight_series.times), "log": len(snap.log)}
                rss.append(proc.memory_info().rss)
        return {"messages": n, "series_lengths": lengths_at,
                "rss_mb": {"before": round(rss[0] / 2**20, 1), "after 1 min": round(rss[1] / 2**20, 1),
                           "after 1 h": round(rss[2] / 2**20, 1)}}
    finally:
        live_mod.time = real_time


# ── main ─────────────────────────────────────────────────────────────────────


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=3, help="interleaved headless/app run pairs (default 3)")
    ap.add_argument("--launches", type=int, default=5, help="app launches for the startup time (default 5)")
    ap.add_argument("--runs", type=int, default=1,
                    help="repeated runs of the interactive scenario inside each run (default 1; more averages noise)")
    ap.add_argument("--skip-runs", action="store_true", help="only startup time and the memory bound")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    ARGS["runs"] = args.runs
    if shutil.which("tmux") is None:
        print("tmux is needed (the app must run in a real terminal); install it.", file=sys.stderr)
        return 2

    from accelmark_tui.detect import detect_machine

    cpu_name = detect_machine(use_cache=True).cpu.model
    command = launcher()
    work = Path(tempfile.mkdtemp(prefix="accelmark-ui-bench-"))
    env = {"ACCELMARK_DATA_DIR": str(work / "data"), "ACCELMARK_CONFIG_DIR": str(work / "config"),
           "ACCELMARK_CACHE_DIR": str(work / "cache"), "TERM": "xterm-256color"}
    tmux = Tmux()
    out: dict[str, Any] = {"launcher": command, "startup_command": accelmark_exe(), "cpu": cpu_name,
                           "args": ARGS, "goals": GOALS}
    try:
        exe = accelmark_exe()
        cold = time_to_home(tmux, "start-cold", env, cpu_name, exe)  # empty detection cache
        warm = [time_to_home(tmux, f"start-{i}", env, cpu_name, exe) for i in range(args.launches)]
        out["startup"] = {"cold_s": round(cold, 3), "warm_median_s": round(statistics.median(warm), 3),
                          "warm_s": [round(w, 3) for w in warm], "python_c_pass_s": round(python_pass(5), 3)}
        if not args.skip_runs:
            pairs = []
            for i in range(args.pairs):
                order = ("headless", "app") if i % 2 == 0 else ("app", "headless")  # cancel drift
                pair: dict[str, Any] = {"order": order}
                for kind in order:
                    target = work / f"{kind}-{i}"
                    pair[kind] = headless_run(target, env) if kind == "headless" else \
                        app_run(tmux, f"run-{i}", target, env, command)
                h, a = pair["headless"]["decode_tok_s"], pair["app"]["decode_tok_s"]
                pair["ratio"] = round(a / h, 4) if a and h else None
                hp, ap_ = pair["headless"]["decode_p50"], pair["app"]["decode_p50"]
                pair["ratio_p50"] = round(ap_ / hp, 4) if ap_ and hp else None
                pairs.append(pair)
                if not args.json:
                    print(f"pair {i + 1}: headless {h} tok/s, app {a} tok/s, ratio {pair['ratio']} "
                          f"(per-request p50: {hp} vs {ap_}, ratio {pair['ratio_p50']}), "
                          f"app CPU {pair['app']['app_cpu_share'] * 100:.1f} % of a core", file=sys.stderr)
            heads = [p["headless"]["decode_tok_s"] for p in pairs]
            apps = [p["app"]["decode_tok_s"] for p in pairs]
            out["runs"] = {"pairs": pairs, "headless_mean": round(statistics.mean(heads), 2),
                           "app_mean": round(statistics.mean(apps), 2),
                           "ratio_of_means": round(statistics.mean(apps) / statistics.mean(heads), 4),
                           "ratio_median": round(statistics.median(p["ratio"] for p in pairs), 4),
                           "ratio_p50_median": round(statistics.median(p["ratio_p50"] for p in pairs), 4),
                           "app_cpu_share_mean": round(statistics.mean(p["app"]["app_cpu_share"] for p in pairs), 4)}
        out["memory"] = memory_bound()
        out["load_average"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        tmux.close()
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(out, indent=1))
    else:
        print_table(out)
    return 0


def print_table(out: dict[str, Any]) -> None:
    rows = [("app started for runs with", out["launcher"], ""), ("startup measured on", out["startup_command"], "")]
    s = out["startup"]
    rows += [("time to home naming the CPU (warm, median)", f"{s['warm_median_s']:.2f} s",
              f"goal < {GOALS['startup_s']} s"),
             ("time to home, first launch (cold detection cache)", f"{s['cold_s']:.2f} s", ""),
             ("python -c pass (same run)", f"{s['python_c_pass_s']:.2f} s", "")]
    if "runs" in out:
        r = out["runs"]
        rows += [("interactive decode tok/s, headless (mean)", f"{r['headless_mean']:.1f}", ""),
                 ("interactive decode tok/s, app in tmux (mean)", f"{r['app_mean']:.1f}", ""),
                 ("ratio app / headless (of means; median of pairs)",
                  f"{r['ratio_of_means']:.3f}; {r['ratio_median']:.3f}", f"goal ≥ {GOALS['ratio']}"),
                 ("ratio of per-request p50 decode (median of pairs)", f"{r['ratio_p50_median']:.3f}", ""),
                 ("app CPU during the run, share of one core (mean)", f"{r['app_cpu_share_mean'] * 100:.1f} %",
                  f"goal < {GOALS['cpu_share'] * 100:.0f} %")]
    m = out["memory"]
    lens = m["series_lengths"]
    rows += [(f"LiveRun fed {m['messages']:,} ticks (1 h at 20 Hz): series points", 
              ", ".join(f"{k}: {v['tok_s']}" for k, v in lens.items()), "bounded (512)"),
             ("RSS before / after 1 min / after 1 h",
              " / ".join(f"{v} MB" for v in m["rss_mb"].values()), ""),
             ("load average during the bench", ", ".join(map(str, out["load_average"])), "")]
    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    for label, value, goal in rows:
        print(f"{label.ljust(width)}  {value.rjust(vwidth)}  {goal}")


if __name__ == "__main__":
    raise SystemExit(main())
