"""Where the app's CPU goes while decode is measured, thread by thread, beside the headless CLI.

One interactive run (3 runs of 8 requests) from the app in tmux and one headless; for each, the
parent process's threads are read from /proc/<pid>/task/*/schedstat (nanoseconds on CPU) and
status (voluntary switches = wake-ups) at the runner's start + 3 s and again ``--window`` s
later, well inside the decode phase. The bench sleeps in between. Linux only.

Usage:  python bench/app_threads.py [--window 18]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ui_overhead import REPO, Tmux, launcher  # noqa: E402

REQUEST = {"suite": "suite_Quick", "scenario": "interactive", "runs": 3}


def threads(pid: int) -> dict[int, tuple[int, int]]:
    """tid → (ns on CPU, voluntary switches)."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            ns = int((task / "schedstat").read_text().split()[0])
            status = dict(ln.split(":\t") for ln in (task / "status").read_text().splitlines() if ":\t" in ln)
            out[int(task.name)] = (ns, int(status["voluntary_ctxt_switches"]))
        except (OSError, ValueError, KeyError):
            continue  # the thread ended between listing and reading
    return out


def measure(pid: int, out: Path, window: float) -> dict:
    deadline = time.monotonic() + 120
    while not any(out.glob("community/*/.accelmark/job.json")):  # before the window: polling is fine
        if time.monotonic() > deadline:
            raise RuntimeError("the runner never started")
        time.sleep(0.05)
    time.sleep(3.0)  # model loaded, decoding
    before, t0 = threads(pid), time.monotonic()
    time.sleep(window)
    after, t1 = threads(pid), time.monotonic()
    rows = []
    for tid, (ns, vol) in after.items():
        ns0, vol0 = before.get(tid, (0, 0))
        rows.append((tid, (ns - ns0) / 1e6, vol - vol0))
    span = t1 - t0
    return {"window_s": round(span, 2), "threads": sorted(rows, key=lambda r: -r[1]),
            "cpu_ms": round(sum(r[1] for r in rows), 1), "share": sum(r[1] for r in rows) / 1e3 / span,
            "wakeups_per_s": sum(r[2] for r in rows) / span}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--window", type=float, default=18.0, help="seconds measured inside the decode phase")
    args = ap.parse_args()
    if not Path("/proc/self/task").is_dir() or shutil.which("tmux") is None:
        print("This bench reads /proc and needs tmux (Linux).", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="accelmark-threads-"))
    env = {"ACCELMARK_DATA_DIR": str(work / "data"), "ACCELMARK_CONFIG_DIR": str(work / "config"),
           "ACCELMARK_CACHE_DIR": str(work / "cache"), "TERM": "xterm-256color"}
    tmux = Tmux()
    results = {}
    try:
        out = work / "headless"
        proc = subprocess.Popen([sys.executable, "-m", "accelmark_tui", "run", "--suite", REQUEST["suite"],
                                 "--scenario", REQUEST["scenario"], "--runs", str(REQUEST["runs"]),
                                 "--output-dir", str(out), "--force", "--quiet"],
                                env={**os.environ, **env}, cwd=REPO, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        results["headless CLI"] = measure(proc.pid, out, args.window)
        proc.wait()
        out = work / "app"
        tmux.start("app", launcher("auto"),
                   {**env, "ACCELMARK_AUTORUN": json.dumps(dict(REQUEST, output_dir=str(out), force=True))})
        results["app in tmux"] = measure(tmux.pid("app"), out, args.window)
    finally:
        tmux.close()
        shutil.rmtree(work, ignore_errors=True)
    for label, r in results.items():
        print(f"{label}: {r['cpu_ms']:.1f} ms of CPU over {r['window_s']:.1f} s = {r['share'] * 100:.2f} % of a core, "
              f"{r['wakeups_per_s']:.1f} wake-ups/s")
        for tid, ms, vol in r["threads"]:
            if ms > 0.05 or vol:
                print(f"    thread {tid:>8}: {ms:7.1f} ms, {vol:4d} wake-ups")
    extra = results["app in tmux"]["share"] - results["headless CLI"]["share"]
    print(f"the app's own cost while decoding: {extra * 100:.2f} % of a core more than the headless CLI's parent")
    print(f"load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
