"""Wake an asyncio loop at an exact ``perf_counter_ns`` instant (open-loop sends).

asyncio's timers wait in ``epoll_wait``, whose timeout is whole milliseconds
rounded up: every scheduled send would leave 0–1 ms late before any real
delay. On Linux a ``timerfd`` armed with an absolute CLOCK_MONOTONIC time (the
clock ``perf_counter_ns`` reads) wakes the same loop with microsecond
precision; elsewhere the loop's own timer is used and the lag it adds is
measured like any other.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import sys
import time

_CLOCK_MONOTONIC = 1
_TFD_NONBLOCK = 0o4000
_TFD_CLOEXEC = 0o2000000
_TFD_TIMER_ABSTIME = 1


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class _Itimerspec(ctypes.Structure):
    _fields_ = [("it_interval", _Timespec), ("it_value", _Timespec)]


def _libc():
    if not sys.platform.startswith("linux") or time.get_clock_info("perf_counter").implementation != \
            "clock_gettime(CLOCK_MONOTONIC)":
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.timerfd_create.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.timerfd_settime.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.POINTER(_Itimerspec), ctypes.c_void_p]
        return libc
    except (OSError, AttributeError):
        return None


class Waker:
    """One per loop: ``await waker.until(t_ns)`` returns at ``t_ns`` (never earlier)."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._libc = _libc()
        self.fd = -1
        self._fut: asyncio.Future | None = None
        self._spec = _Itimerspec()
        if self._libc is not None:
            fd = self._libc.timerfd_create(_CLOCK_MONOTONIC, _TFD_NONBLOCK | _TFD_CLOEXEC)
            if fd >= 0:
                self.fd = fd
                self.loop.add_reader(fd, self._fired)
        self.precise = self.fd >= 0

    async def until(self, t_ns: int) -> None:
        if t_ns <= time.perf_counter_ns():
            return
        if not self.precise:
            await asyncio.sleep((t_ns - time.perf_counter_ns()) / 1e9)
            while time.perf_counter_ns() < t_ns:  # the loop may wake a hair early
                await asyncio.sleep(0)
            return
        spec = self._spec
        spec.it_value.tv_sec, spec.it_value.tv_nsec = divmod(t_ns, 1_000_000_000)
        if self._libc.timerfd_settime(self.fd, _TFD_TIMER_ABSTIME, ctypes.byref(spec), None) != 0:
            await asyncio.sleep((t_ns - time.perf_counter_ns()) / 1e9)
            return
        self._fut = self.loop.create_future()
        try:
            await self._fut
        finally:
            self._fut = None

    def _fired(self) -> None:
        try:
            os.read(self.fd, 8)
        except BlockingIOError:
            return
        if self._fut is not None and not self._fut.done():
            self._fut.set_result(None)

    def close(self) -> None:
        if self.fd >= 0:
            self.loop.remove_reader(self.fd)
            os.close(self.fd)
            self.fd = -1
