"""What every probe shares: the result shape, and running a tool without hanging.

A probe never raises and never hangs: a missing library, a missing tool, a
tool that errors or times out all mean "no such device" plus a note saying why.
Tool calls go through an injectable ``ToolRunner`` so tests can replay the
recorded output of a real device.
"""

from __future__ import annotations

import importlib.util
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from accelmark_tui.detect.machine import Accelerator

TOOL_TIMEOUT_S = 3.0

GIB = float(1 << 30)


class ToolError(Exception):
    """A tool that is missing, failed or timed out; the message is the note to show."""


class ToolMissing(ToolError):
    """The tool is not installed (not on PATH)."""


ToolRunner = Callable[[Sequence[str]], str]


def run_tool(argv: Sequence[str], timeout: float = TOOL_TIMEOUT_S) -> str:
    """stdout of ``argv``; ToolError when the tool is missing, exits non-zero or is too slow."""
    try:
        proc = subprocess.run(
            list(argv),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise ToolMissing(f"`{argv[0]}` not found") from None
    except subprocess.TimeoutExpired:
        raise ToolError(f"`{' '.join(argv)}` did not answer within {timeout:g} s") from None
    except OSError as exc:
        raise ToolError(f"`{argv[0]}` could not run ({exc.strerror or exc})") from None
    if proc.returncode != 0:
        last = (proc.stderr or proc.stdout or "").strip().splitlines()
        why = f": {last[-1][:160]}" if last else ""
        raise ToolError(f"`{' '.join(argv)}` exited with status {proc.returncode}{why}")
    return proc.stdout


def module_available(name: str) -> bool:
    """True when ``name`` can be imported, without importing it (keeps `detect` fast)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def gib(n_bytes: float | int | None) -> float | None:
    return None if n_bytes is None else round(float(n_bytes) / GIB, 1)


@dataclass(slots=True)
class ProbeResult:
    """What one vendor probe found. Empty ``accelerators`` means "none", with ``notes`` saying why."""

    platform: str
    accelerators: list[Accelerator] = field(default_factory=list)
    runtime_version: str | None = None
    intra_node_interconnect: str | None = None
    pcie_generation: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.accelerators)


def not_found(platform: str, note: str) -> ProbeResult:
    return ProbeResult(platform=platform, notes=[note])


def describe(exc: BaseException) -> str:
    """An exception as a short note; library errors may fail even at str()."""
    try:
        text = str(exc).strip()
    except Exception:  # pynvml's __str__ calls back into the (possibly missing) library
        text = ""
    return (text.splitlines()[0][:200] if text else "") or type(exc).__name__
