"""How long `accelmark run` (the quick suite, no arguments) takes. Goal: < 3 minutes on 2 CPU cores.

Prints the wall time of the whole command and of each scenario, beside two
references measured in the same run: `python -c pass` (process start-up) and
the 1-minute load average before and after (this machine is shared; a busy
neighbour shows up there, not as a mystery in the figure).

    python bench/quick_suite_time.py [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    return time.perf_counter() - t0, proc


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="accelmark-quick-") as tmp:
        env = dict(os.environ, ACCELMARK_DATA_DIR=f"{tmp}/data", ACCELMARK_CONFIG_DIR=f"{tmp}/config",
                   ACCELMARK_CACHE_DIR=f"{tmp}/cache", PYTHONPATH=str(ROOT))
        ref, _ = timed([sys.executable, "-c", "pass"], env)
        load_before = os.getloadavg()[0]
        wall, proc = timed([sys.executable, "-m", "accelmark_tui", "run", "--output-dir", f"{tmp}/out", "--quiet",
                            "--json"], env)
        load_after = os.getloadavg()[0]
        if proc.returncode != 0:
            print(f"accelmark run failed: {proc.stderr.strip()}", file=sys.stderr)
            return 1
        run_dir = Path(json.loads(proc.stdout)["run_dir"])
        result = json.loads((run_dir / "result.json").read_text())
        scen = {}
        for name in result["task"]["scenarios_run"]:
            f = run_dir / name / "result.json"
            if f.exists():
                scen[name] = round(json.loads(f.read_text())["meta"]["benchmark_elapsed_minutes"] * 60, 1)
    report = {"wall_s": round(wall, 1), "goal_s": 180, "python_c_pass_s": round(ref, 3),
              "loadavg_1m_before": load_before, "loadavg_1m_after": load_after, "scenario_s": scen,
              "model_load_s": result["meta"].get("model_load_seconds")}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"accelmark run (suite_Quick, defaults): {wall:.1f} s wall (goal < 180 s); "
              f"python -c pass {ref * 1000:.0f} ms; load average {load_before:.2f} → {load_after:.2f}")
        for k, v in scen.items():
            print(f"  {k:<12} {v:6.1f} s")
        print(f"  model load   {report['model_load_s']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
