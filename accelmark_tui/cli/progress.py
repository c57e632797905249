"""Live progress for ``accelmark run`` on a terminal or a plain pipe.

Pulls ``LiveRun.snapshot()`` at a fixed rate (4 Hz on a TTY, a line every
5 s otherwise): the runner's pace never decides how often we print.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, TextIO

from accelmark_tui.scenarios.registry import headline

if TYPE_CHECKING:
    from accelmark_tui.engine.live import LiveSnapshot


def _fmt_s(s: float | None) -> str:
    if s is None:
        return "?"
    s = int(s)
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


class ProgressPrinter:
    def __init__(self, session, out: TextIO) -> None:
        self.session = session
        self.out = out
        self.tty = out.isatty()
        self._stop = threading.Event()
        self._log_seen = 0
        self._line_len = 0

    def header(self, note: str | None = None) -> None:
        """The run's first lines; ``note`` says up front when its result cannot be submitted."""
        s = self.session
        m = s.machine
        chip = m.accelerators[0].name if m.accelerators else m.cpu.model
        self._print(f"accelmark run: {s.suite.id} on {chip} with {s.runner.id}")
        if note:
            self._print(f"  {note}")
        self._print(f"  model {s.model.model_id} ({s.model.extra.get('file_type_name', s.model.format)}), "
                    f"scenarios: {', '.join(s.todo) or 'none left'}")
        self._print(f"  results: {s.run_dir.path}")

    def _print(self, line: str) -> None:
        if self.tty and self._line_len:
            self.out.write("\r" + " " * self._line_len + "\r")
            self._line_len = 0
        self.out.write(line + "\n")
        self.out.flush()

    def status_line(self, snap: LiveSnapshot) -> str:
        if snap.phase in ("starting", "loading"):
            return f"loading model… {_fmt_s(snap.elapsed_s)}"
        tok = snap.tok_s.values
        recent = sum(tok[-8:]) / len(tok[-8:]) if tok else 0.0
        ttft = snap.ttft_p50.values
        total = snap.total
        level = snap.level
        parts = [
            f"{snap.scenario or '-'} run {snap.run + 1}/{snap.runs or 1}"
            + (f" level {level}" if level is not None else ""),
            f"{snap.done}/{total if total is not None else '?'} req",
            f"{recent:6.1f} tok/s",
            f"TTFT p50 {ttft[-1]:.0f} ms" if ttft else "TTFT p50 -",
        ]
        if snap.phase == "stopping":  # the wind-down: what is left is the in-flight requests, not the plan
            parts.insert(0, f"stopping… {snap.in_flight} in flight")
        else:
            parts.append(f"in flight {snap.in_flight}")
        if snap.failed:
            parts.append(f"{snap.failed} failed")
        if snap.eta_s is not None:
            parts.append(f"ETA {_fmt_s(snap.eta_s)}")
        return " | ".join(parts)

    def loop(self) -> None:
        period = 0.25 if self.tty else 10.0
        last_status = 0.0
        while not self._stop.wait(0.25):
            snap = self.session.live.snapshot()
            self._print_new_log(snap)
            now = time.monotonic()
            if now - last_status >= period:
                last_status = now
                line = self.status_line(snap)
                if self.tty:
                    self.out.write("\r" + line.ljust(self._line_len))
                    self._line_len = len(line)
                    self.out.flush()
                elif snap.phase in ("running", "stopping") and line != getattr(self, "_last_plain", None):
                    self._last_plain = line
                    self._print("  " + line)

    def _print_new_log(self, snap: LiveSnapshot) -> None:
        # The log is a bounded deque; log_total tells how many lines are new.
        new = min(snap.log_total - self._log_seen, len(snap.log))
        for line in snap.log[len(snap.log) - new:] if new > 0 else []:
            self._print("  " + line)
        self._log_seen = snap.log_total

    def close(self) -> None:
        self._stop.set()
        self._print_new_log(self.session.live.snapshot())
        if self.tty and self._line_len:
            self.out.write("\r" + " " * self._line_len + "\r")
            self.out.flush()

    def summary(self, outcome) -> None:
        """Headline figures of what finished, one line per scenario."""
        blocks = self.session.live.snapshot().scenario_blocks
        for name, b in blocks.items():
            self._print(f"  {name}: {headline(name, b)}")
