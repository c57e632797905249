"""``--serve-cmd``: start an inference server for the run, wait for it, stop it after.

The command is a template with ``{port}`` (a free port on 127.0.0.1 is
filled in), e.g. ``llama-server -m model.gguf --port {port}`` or
``python -m llama_cpp.server --model m.gguf --port {port}``. Its output goes to
a log file the run keeps; it runs in its own session so stopping it stops
every process it started.
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import time
from pathlib import Path

from accelmark_tui.errors import RunnerFailed, UsageError


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServedProcess:
    def __init__(self, template: str, log_path: Path, ready_timeout_s: float = 600.0) -> None:
        if "{port}" not in template:
            raise UsageError("--serve-cmd must contain {port} where the server's port goes, e.g. "
                             "\"llama-server -m model.gguf --port {port}\".")
        self.template = template
        self.log_path = Path(log_path)
        self.ready_timeout_s = ready_timeout_s
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> str:
        import httpx

        self.port = free_port()
        args = shlex.split(self.template.replace("{port}", str(self.port)))
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "wb")
        try:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        except FileNotFoundError:
            raise UsageError(f"--serve-cmd: '{args[0]}' was not found; give the full path of the server program.") \
                from None
        finally:
            log.close()
        deadline = time.monotonic() + self.ready_timeout_s
        url = f"{self.base_url}/models"
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                raise RunnerFailed(f"The server command exited with status {rc} before answering; "
                                   f"its output is in {self.log_path}.")
            try:
                if httpx.get(url, timeout=2.0).status_code == 200:
                    return self.base_url
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self.stop()
        raise RunnerFailed(f"The server did not answer on port {self.port} within {self.ready_timeout_s:g} s; "
                           f"its output is in {self.log_path}.")

    def stop(self, grace_s: float = 10.0) -> int | None:
        p = self.proc
        if p is None or p.poll() is not None:
            return None if p is None else p.returncode
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            return p.poll()
        try:
            return p.wait(grace_s)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            return p.wait()
