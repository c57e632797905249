"""The app's terminal driver: its input thread sleeps while no key comes (Textual's polls ten
times a second), still delivers keys and a lone Esc, and stops as soon as the app does."""

from __future__ import annotations

import os
import pty
import selectors
import signal
import threading
import time
import tty

import pytest
from results_data import until

from accelmark_tui.ui.driver import QuietLinuxDriver


class CountingSelector(selectors.SelectSelector):
    calls = 0

    def select(self, timeout=None):
        CountingSelector.calls += 1
        return super().select(timeout)


class Collecting(QuietLinuxDriver):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.received: list = []

    def process_message(self, message) -> None:
        self.received.append(message)


def _keys(driver) -> list[str]:
    return [getattr(m, "key", None) for m in driver.received if getattr(m, "key", None)]


@pytest.mark.anyio
async def test_input_thread_sleeps_until_a_key_and_stops_at_once(monkeypatch):
    saved = {s: signal.getsignal(s) for s in (signal.SIGTSTP, signal.SIGCONT)}  # the driver installs its own
    master, slave = pty.openpty()
    tty.setraw(slave)
    monkeypatch.setattr(selectors, "SelectSelector", CountingSelector)
    driver = Collecting(object(), mouse=False, size=(80, 24))
    driver.fileno = slave
    thread = threading.Thread(target=driver.run_input_thread, daemon=True)
    try:
        CountingSelector.calls = 0
        thread.start()
        time.sleep(0.6)
        assert CountingSelector.calls <= 2  # Textual's loop would have polled ~6 times

        os.write(master, b"a")
        assert until(lambda: "a" in _keys(driver), 2), driver.received
        os.write(master, b"\x1b")  # a lone Esc is only known to be one after ESCAPE_DELAY
        assert until(lambda: "escape" in _keys(driver), 2), driver.received

        time.sleep(0.6)  # the few polls after a key are over: asleep again
        calls = CountingSelector.calls
        time.sleep(0.6)
        assert CountingSelector.calls == calls

        t0 = time.monotonic()
        driver.exit_event.set()
        thread.join(2)
        # The blocking select is woken by the exit event (then one last 0.1 s read, as Textual's):
        # without the wake-up it would never return.
        assert not thread.is_alive() and time.monotonic() - t0 < 0.5
    finally:
        driver.exit_event.set()
        thread.join(2)
        driver.close()
        for fd in (master, slave):
            os.close(fd)
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def test_the_app_uses_it_in_a_real_terminal():
    from accelmark_tui.ui.app import AccelmarkApp

    assert AccelmarkApp.get_driver_class(AccelmarkApp.__new__(AccelmarkApp)) is QuietLinuxDriver
