"""Parent side of a runner: start ``runner.py`` in a child process and listen.

The child gets its own interpreter (its backend's imports, no GIL contention
with the app, a crash or OOM cannot take the app down). Its stderr goes to the
run's ``run.log``; its progress feed arrives on a pipe and is decoded by a
reader thread that hands each typed message to ``on_message``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

from accelmark_tui.engine.feed import read_feed
from accelmark_tui.engine.messages import Message


class RunnerProcess:
    def __init__(self, runner_py: Path, job_path: Path, log_path: Path,
                 on_message: Callable[[Message], None]) -> None:
        self.runner_py = runner_py
        self.job_path = job_path
        self.log_path = log_path
        self.on_message = on_message
        self.proc: subprocess.Popen | None = None
        self._reader: threading.Thread | None = None
        self.stop_requested = False

    def start(self) -> None:
        r, w = os.pipe()
        log = open(self.log_path, "ab")
        env = dict(os.environ)
        env.setdefault("PYTHONUNBUFFERED", "1")
        # The runner imports accelmark_tui; make sure the same copy is found.
        pkg_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = pkg_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        try:
            self.proc = subprocess.Popen(
                [sys.executable, str(self.runner_py), "--job", str(self.job_path), "--feed-fd", str(w)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, pass_fds=(w,), env=env,
                start_new_session=True,  # Ctrl-C in the terminal reaches us, not the runner directly
            )
        finally:
            os.close(w)
            log.close()
        fh = os.fdopen(r, "r", encoding="utf-8", errors="replace")
        self._reader = threading.Thread(target=self._read, args=(fh,), name="runner-feed", daemon=True)
        self._reader.start()

    def _read(self, fh) -> None:
        with fh:
            for msg in read_feed(fh):
                self.on_message(msg)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def stop(self) -> None:
        """Graceful: the runner lets in-flight requests finish and sends nothing new."""
        self.stop_requested = True
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """Stop now."""
        self.stop_requested = True
        if self.proc and self.proc.poll() is None:
            self.proc.kill()

    def wait(self, timeout: float | None = None) -> int:
        assert self.proc is not None
        rc = self.proc.wait(timeout=timeout)
        if self._reader:
            self._reader.join(timeout=5)
        return rc

    def poll(self) -> int | None:
        return self.proc.poll() if self.proc else None


def describe_exit(rc: int) -> str:
    """Words for a runner's exit status."""
    if rc < 0:
        try:
            name = signal.Signals(-rc).name
        except ValueError:
            name = f"signal {-rc}"
        hint = " (out of memory?)" if -rc == signal.SIGKILL else ""
        return f"was killed by {name}{hint}"
    return f"exited with status {rc}"


class PeakRss:
    """Peak resident memory of the runner process, sampled about once a second."""

    def __init__(self) -> None:
        self.peak_bytes = 0
        self._last = 0.0

    def sample(self, pid: int | None) -> None:
        now = time.monotonic()
        if pid is None or now - self._last < 1.0:
            return
        self._last = now
        try:
            import psutil

            self.peak_bytes = max(self.peak_bytes, psutil.Process(pid).memory_info().rss)
        except Exception:  # noqa: BLE001 - the process may have just exited
            pass
