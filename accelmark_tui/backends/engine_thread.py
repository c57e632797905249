"""What in-process backends share around their engine thread (llama.cpp's, mlx-lm's).

Each backend owns one thread that drives its engine; requests reach it on a queue as
``(req, rec, fut, loop)`` and the asyncio side waits on ``fut``. These are the pieces outside the
per-token path: waking a waiting request from the engine thread, and failing every request still
queued or in flight when the engine stops, so no ``generate()`` waits forever.
"""

from __future__ import annotations

import asyncio
import queue
import time
from collections.abc import Iterable
from typing import Any


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


def wake(loop: asyncio.AbstractEventLoop, fut: asyncio.Future[None]) -> None:
    """Resolve ``fut`` on its own loop, from the engine thread."""
    try:
        loop.call_soon_threadsafe(_resolve, fut)
    except RuntimeError:  # the caller's loop is already closed: nobody is waiting
        pass


def drain(q: queue.Queue[Any], stop: Any) -> list[Any]:
    """Every request still queued (``stop`` markers dropped); call it holding the lock that marks the
    backend closed, so nothing is queued after it."""
    out = []
    while True:
        try:
            item = q.get_nowait()
        except queue.Empty:
            return out
        if item is not stop:
            out.append(item)


def fail_all(in_flight: Iterable[tuple[Any, asyncio.AbstractEventLoop, asyncio.Future[None]]],
             queued: Iterable[tuple[Any, Any, asyncio.Future[None], asyncio.AbstractEventLoop]],
             crash: BaseException | None) -> None:
    """Fail ``in_flight`` ``(rec, loop, fut)`` and ``queued`` ``(req, rec, fut, loop)`` requests with why."""
    now = time.perf_counter_ns()
    why = f"the engine stopped ({crash!r})" if crash else "the backend was closed"
    for rec, loop, fut in in_flight:
        rec.fail("backend_closed", why, now)
        wake(loop, fut)
    for _req, rec, fut, loop in queued:
        rec.fail("backend_closed", why, now)
        wake(loop, fut)
