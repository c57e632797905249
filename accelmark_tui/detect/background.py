"""Other processes' CPU use while accelmark measures: the one background-load sampler.

The share is of the whole machine: system-wide busy CPU time (``psutil.cpu_times``,
``/proc/stat`` on Linux) minus the CPU time of the processes the run owns, over the
same interval, divided by the interval's CPU time on all cores. The run owns its
process trees: accelmark itself (the app or CLI, the runner child, a server started
with ``--serve-cmd``: all its descendants) and a server the run measures that it did
not start. Steal time counts as busy: a hypervisor gave that CPU to someone else.

Cheap enough for a 2-core box under measurement: a sample reads ``/proc/stat`` and one
``/proc/<pid>/stat`` per owned process, at most ``MAX_HZ`` times a second. The owned
trees are resolved once per window (``start``), the only scan of every process: a
process the tree starts later counts as background until the next window (the runner
starts none while measuring), and an owned process that exits mid-interval leaves its
last fraction of a second there too.

Where psutil is missing or the system's CPU times cannot be read, the share is None,
with the reason, never a made-up 0. ``accelmark doctor`` uses the same sampler.
"""

from __future__ import annotations

import time
from typing import Any, Iterable

# A scenario whose mean background share passed this is flagged (on screen, results, compare).
WARN_SHARE = 0.10
# Two compared runs whose shares differ by more than this (of the machine's CPU) are flagged.
DIFF_SHARE = 0.05
# At most 2 samples a second: /proc/stat counts in 10 ms ticks, too coarse for shorter intervals.
MAX_HZ = 2.0
# The last sample of a window may be shorter (the window's tail), but not this short.
MIN_FINAL_S = 0.1


def _busy_and_total(times: Any) -> tuple[float, float]:
    """Busy and total CPU seconds (all cores) from one ``cpu_times()``, psutil's own definition."""
    total = sum(times)
    # Linux counts guest time inside user and nice as well; count it once.
    total -= getattr(times, "guest", 0.0) + getattr(times, "guest_nice", 0.0)
    idle = times.idle + getattr(times, "iowait", 0.0)
    return total - idle, total


class BackgroundSampler:
    """Windows of other processes' CPU share; ``start`` a window, ``sample`` in it, read ``summary``."""

    def __init__(self, own_pids: Iterable[int] = (), note: str | None = None) -> None:
        """``own_pids``: roots of the process trees the run owns (their descendants are found at
        ``start``); ``note``: a caveat kept in every summary (a measured server not identified)."""
        self.own_pids = list(own_pids)
        self.note = note
        self.unavailable: str | None = None
        try:
            import psutil
        except ImportError:
            self._psutil: Any = None
            self.unavailable = "psutil is not installed"
        else:
            self._psutil = psutil
        self.cpus = self._psutil.cpu_count() if self._psutil else None
        self._reset()

    def _reset(self) -> None:
        self._procs: dict[int, Any] = {}  # pid → psutil.Process of the owned trees
        self._own: dict[int, float] = {}  # pid → its CPU seconds at the last sample
        self._last: tuple[float, float, float] | None = None  # (monotonic, busy, total) at the last sample
        self._other = self._all = self._seconds = 0.0
        self._max: float | None = None
        self._samples = 0

    def start(self) -> None:
        """A new window: resolve the owned trees once and take the baseline."""
        self._reset()
        if self.unavailable:
            return
        ps = self._psutil
        for pid in self.own_pids:
            try:
                root = ps.Process(pid)
                tree = [root, *root.children(recursive=True)]
            except (ps.NoSuchProcess, ps.AccessDenied, ps.ZombieProcess):
                continue
            self._procs.update((p.pid, p) for p in tree)
        self._read()

    def _read(self) -> tuple[float, float] | None:
        """Read the counters: (other processes' CPU seconds, all CPU seconds) since the last read, None
        for the first read of a window; on a failure the sampler records why and stops."""
        try:
            busy, total = _busy_and_total(self._psutil.cpu_times())
        except Exception as exc:  # noqa: BLE001 - any failure means "not measured", said once
            self.unavailable = f"the system's CPU times cannot be read ({type(exc).__name__}: {exc})"
            return None
        own = 0.0
        for pid, proc in list(self._procs.items()):
            try:
                t = proc.cpu_times()
            except Exception:  # noqa: BLE001 - gone, or no longer ours to read
                del self._procs[pid]
                continue
            now = t.user + t.system
            own += now - self._own.get(pid, now)  # a process's first reading is its baseline
            self._own[pid] = now
        previous = self._last
        self._last = (time.monotonic(), busy, total)
        return None if previous is None else (busy - previous[1] - own, total - previous[2])

    def sample(self, final: bool = False) -> float | None:
        """Close one interval (at most ``MAX_HZ``; ``final``: the window's tail, down to ``MIN_FINAL_S``,
        and the window ends). Returns that interval's share, or None when nothing was sampled."""
        if self.unavailable or self._last is None:
            return None
        elapsed = time.monotonic() - self._last[0]
        share = self._close(elapsed) if elapsed >= (MIN_FINAL_S if final else 1.0 / MAX_HZ) else None
        if final:
            self._last = None  # nothing more until the next start
        return share

    def _close(self, elapsed: float) -> float | None:
        got = self._read()
        if got is None or got[1] <= 0:
            return None
        other, total = got
        other = min(max(other, 0.0), total)  # tick rounding can put own time a hair above busy time
        self._other += other
        self._all += total
        self._seconds += elapsed
        self._samples += 1
        share = other / total
        self._max = share if self._max is None else max(self._max, share)
        return share

    def summary(self) -> dict[str, Any]:
        """The window's block (``metrics.<scenario>.background_cpu``): mean (time-weighted) and max share
        of the machine's CPU, the samples and seconds they cover; None shares with the reason why."""
        block: dict[str, Any] = {
            "mean_share": round(self._other / self._all, 4) if self._all > 0 else None,
            "max_share": None if self._max is None else round(self._max, 4),
            "samples": self._samples,
            "seconds": round(self._seconds, 2),
            "cpus": self.cpus,
        }
        if self.unavailable:
            block["unavailable"] = self.unavailable
        elif not self._samples:
            block["unavailable"] = "the window was too short to sample"
        if self.note:
            block["note"] = self.note
        return block


def listening_pids(port: int) -> list[int]:
    """The processes on this machine listening on TCP ``port``: one scan of the socket table, for a
    run that measures a local server it did not start. [] when none can be named (a process of
    another user needs root to be seen; some systems refuse the scan without it)."""
    try:
        import psutil

        conns = psutil.net_connections(kind="tcp")
    except Exception:  # noqa: BLE001 - ImportError, AccessDenied (macOS), an unreadable /proc
        return []
    return sorted({c.pid for c in conns if c.pid and c.status == psutil.CONN_LISTEN and c.laddr
                   and c.laddr.port == port})
