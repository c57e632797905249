"""The terminal driver: Textual's Linux driver without its ten wake-ups a second.

Textual's input thread polls stdin with a 0.1 s timeout, to notice when to stop and to flush a
lone Esc. During a run every wake-up of the app is CPU taken from the benchmark (on a 2-core
machine, from a llama.cpp thread the other one then waits for), and those polls were a fifth of
the app's CPU. This input thread sleeps until a key arrives or the app stops, and polls only
while a key sequence may still be incomplete.
"""

from __future__ import annotations

import os
import selectors
from codecs import getincrementaldecoder
from threading import Event

from textual import constants
from textual._parser import ParseError
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

POLL_S = 0.1
# Polls after the last input before sleeping again: the parser flushes a lone Esc after ESCAPE_DELAY.
SETTLE_POLLS = int(constants.ESCAPE_DELAY / POLL_S) + 2


class _WakingEvent(Event):
    """The driver's exit event: setting it also wakes the input thread's select."""

    def __init__(self, wake_fd: int) -> None:
        super().__init__()
        self._wake_fd = wake_fd

    def set(self) -> None:
        super().set()
        try:
            os.write(self._wake_fd, b"x")
        except OSError:
            pass  # the pipe is full (a wake-up is pending anyway) or closed (the driver is gone)


class QuietLinuxDriver(LinuxDriver):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self.exit_event = _WakingEvent(self._wake_w)

    def close(self) -> None:
        super().close()
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def run_input_thread(self) -> None:
        """Textual's loop (``LinuxDriver.run_input_thread``) with a blocking select while idle."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        selector.register(self._wake_r, selectors.EVENT_READ)
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode
        idle_polls = SETTLE_POLLS

        def process(ready: list, final: bool = False) -> None:
            for key, _mask in ready:
                if key.fd == self._wake_r:
                    os.read(self._wake_r, 512)
                    continue
                data = decode(os.read(self.fileno, 1024 * 4), final=final)
                if not data:
                    break  # stdin piped and at its end
                for event in parser.feed(data):
                    self.process_message(event)
            for event in parser.tick():
                self.process_message(event)

        try:
            while not self.exit_event.is_set():
                ready = selector.select(POLL_S if idle_polls < SETTLE_POLLS else None)
                idle_polls = 0 if any(key.fd == self.fileno for key, _ in ready) else idle_polls + 1
                process(ready)
            selector.unregister(self.fileno)
            process(selector.select(POLL_S), final=True)
        finally:
            selector.close()
            try:
                for _event in parser.feed(""):
                    pass
            except (EOFError, ParseError):
                pass
