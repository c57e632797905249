"""The progress feed from runner to parent: batched, lossy JSON lines.

The runner never sends one message per token or per request: finished
requests accumulate in a small buffer that a ticker flushes at most
``MAX_RATE`` times a second, with a cap on how many samples one tick carries.
Full-fidelity data lives in the events file, not here. The messages are the
types in ``messages.py``; the parent gets them back typed from ``read_feed``.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any, Iterator

from accelmark_tui.engine import metrics
from accelmark_tui.engine.messages import Message, Tick, decode, to_wire
from accelmark_tui.engine.records import RequestRecord

MAX_RATE = 20.0  # ticks per second, at most (the design's ceiling)
MAX_SAMPLES_PER_TICK = 64  # lossy on purpose: the UI needs a picture, not every request


class FeedWriter:
    """Runner side. Thread-safe; ``tick()`` is called by a timer in the runner."""

    def __init__(self, fd: int | None) -> None:
        self._fh = os.fdopen(fd, "w", buffering=1, encoding="utf-8") if fd is not None else None
        self._lock = threading.Lock()
        # A Sample's fields in order, as plain lists: the wire form. A Sample here would cost the runner
        # ~15 % more per record and tick (json copies a tuple subclass); read_feed makes them Samples.
        self._samples: list[list] = []
        self._dropped = 0
        self.done = 0
        self.failed = 0
        self.out_tokens = 0
        # Where the runner is (Tick's scenario, run, runs, step, steps, level), sent with every tick.
        self.state: dict[str, Any] = {}
        self._last_tick = 0.0
        self._last_sent: tuple[int, int] | None = None  # (in flight, generated tokens) of the last tick
        self._dirty = False

    def send(self, msg: Message) -> None:
        if self._fh is None:
            return
        line = json.dumps({"type": msg.TYPE, "t": time.time(), **to_wire(msg)}, separators=(",", ":"),
                          default=str)
        with self._lock:
            try:
                self._fh.write(line + "\n")
            except (BrokenPipeError, ValueError):
                self._fh = None  # parent went away; keep measuring, the events file has everything

    def record(self, rec: RequestRecord) -> None:
        """Count a finished request (called from the load generator's sink)."""
        ok = rec.ok
        with self._lock:
            self._dirty = True
            if ok:
                out = metrics.out_tokens(rec)
                self.done += 1
                self.out_tokens += out
            else:
                out = 0
                self.failed += 1
            if len(self._samples) < MAX_SAMPLES_PER_TICK:
                self._samples.append([
                    _r(metrics.ttft_ms(rec)), _r(metrics.tpot_ms(rec)), _r(metrics.e2e_ms(rec)),
                    _r(metrics.send_lag_ms(rec)), out, 1 if ok else 0, rec.phase == "warmup"])
            else:
                self._dropped += 1

    def tick(self, in_flight: int, live_tokens: int = 0, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_tick < 1.0 / MAX_RATE:
            return
        with self._lock:
            samples, self._samples = self._samples, []
            dropped, self._dropped = self._dropped, 0
            dirty, self._dirty = self._dirty, False
        gen_tokens = self.out_tokens + live_tokens
        if not dirty and not force and (in_flight, gen_tokens) == self._last_sent:
            return
        self._last_sent = (in_flight, gen_tokens)
        self._last_tick = now
        self.send(Tick(in_flight=in_flight, done=self.done, failed=self.failed, out_tokens=self.out_tokens,
                       gen_tokens=gen_tokens, samples=samples, dropped=dropped, **self.state))

    def close(self) -> None:
        if self._fh is not None:
            try:
                self._fh.close()
            except OSError:
                pass
            self._fh = None


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 3)


def read_feed(fh) -> Iterator[Message]:
    """Parent side: the typed messages of feed lines; garbage lines and unknown kinds are skipped, never fatal."""
    for line in fh:
        line = line.strip()
        if not line:
            continue
        try:
            msg = decode(json.loads(line))
        except (json.JSONDecodeError, RecursionError):
            continue
        if msg is not None:
            yield msg
