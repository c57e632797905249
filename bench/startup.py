#!/usr/bin/env python3
"""Start-up time of `accelmark --help` and `accelmark detect`, against `python -c pass`.

Each command runs as a fresh subprocess, interleaved (pass, help, detect, pass,
help, …) so drift in machine load hits all three alike, after one untimed
warm-up round that fills the OS file cache. Reports median and p90 wall time,
and the median minus `python -c pass` (what accelmark itself costs). Goal:
each accelmark command under 0.5 s.

    python bench/startup.py [--reps 10] [--via auto|module|script] [--json]

`--via module` runs `python -m accelmark_tui` with PYTHONPATH at this repo;
`--via script` runs the installed `accelmark`; `auto` (default) prefers the
script when it is on PATH. Config/cache/data point at a temporary directory.
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

REPO = Path(__file__).resolve().parents[1]
GOAL_S = 0.5


def commands(via: str) -> dict[str, list[str]]:
    script = shutil.which("accelmark") if via in ("auto", "script") else None
    if via == "script" and script is None:
        sys.exit("bench/startup.py: `accelmark` is not on PATH; install the package or use --via module.")
    base = [script] if script else [sys.executable, "-m", "accelmark_tui"]
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "accelmark --help": [*base, "--help"],
        "accelmark detect": [*base, "detect"],
    }


def run_once(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, timeout=60)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"bench/startup.py: `{' '.join(argv)}` failed: {proc.stderr.decode(errors='replace').strip()}")
    return elapsed


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def measure(reps: int, via: str) -> dict[str, object]:
    cmds = commands(via)
    with tempfile.TemporaryDirectory(prefix="accelmark-bench-") as tmp:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        for name in ("CONFIG", "CACHE", "DATA"):
            env[f"ACCELMARK_{name}_DIR"] = str(Path(tmp) / name.lower())
        for argv in cmds.values():  # warm-up, untimed
            run_once(argv, env)
        times: dict[str, list[float]] = {name: [] for name in cmds}
        for _ in range(reps):
            for name, argv in cmds.items():
                times[name].append(run_once(argv, env))
    baseline = statistics.median(times["python -c pass"])
    rows = []
    for name, values in times.items():
        median = statistics.median(values)
        row = {"command": name, "median_s": round(median, 4), "p90_s": round(p90(values), 4),
               "minus_python_s": round(median - baseline, 4), "runs": len(values)}
        if name != "python -c pass":
            row["meets_goal"] = median < GOAL_S
        rows.append(row)
    return {"via": "script" if cmds["accelmark --help"][0] != sys.executable else "module",
            "python": sys.version.split()[0], "reps": reps, "goal_s": GOAL_S, "results": rows}


def render(report: dict[str, object]) -> str:
    lines = [f"start-up, {report['reps']} interleaved runs each ({report['via']}, Python {report['python']}); "
             f"goal < {report['goal_s']} s", "",
             f"{'command':<18} {'median':>8} {'p90':>8} {'- python':>9}  goal"]
    for row in report["results"]:  # type: ignore[union-attr]
        goal = "" if "meets_goal" not in row else ("ok" if row["meets_goal"] else "MISSED")
        lines.append(f"{row['command']:<18} {row['median_s']:>7.3f}s {row['p90_s']:>7.3f}s "
                     f"{row['minus_python_s']:>+8.3f}s  {goal}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=10, help="timed runs per command (default 10)")
    parser.add_argument("--via", choices=("auto", "module", "script"), default="auto")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    report = measure(max(1, args.reps), args.via)
    sys.stdout.write(json.dumps(report, indent=2) + "\n" if args.json else render(report))
    return 0 if all(r.get("meets_goal", True) for r in report["results"]) else 1  # type: ignore[union-attr]


if __name__ == "__main__":
    sys.exit(main())
