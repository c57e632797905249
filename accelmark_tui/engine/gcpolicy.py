"""Keep garbage-collector pauses out of measured steps.

A full collection walks every live object; mid-step that is every record
measured so far, and at a few thousand requests a second it stalls the event
loop for tens of milliseconds — inflating the TTFT and send lag of whatever
was in flight (bench/loadgen_capacity.py showed p99 send lag of 15–35 ms
with it, 4 ms without). During a step, objects that have lived through a
progress tick are frozen (``gc.freeze``: excluded from later collections), so
the collector only ever scans the last tick's young objects. Between steps
everything is unfrozen and collected, outside any measurement.
"""

from __future__ import annotations

import gc


class StepGc:
    def __init__(self) -> None:
        self.active = False

    def __enter__(self) -> "StepGc":
        gc.collect()
        gc.freeze()
        self.active = True
        return self

    def tick(self) -> None:
        """Called by the runner's ticker (a few times a second) while a step runs."""
        if self.active:
            gc.freeze()

    def __exit__(self, *exc) -> None:
        self.active = False
        gc.unfreeze()
        gc.collect()
