"""The progress feed's messages: one small frozen type per kind, both ends.

The runner builds these and ``FeedWriter.send`` writes each as one compact
JSON line (``{"type": KIND, "t": wall time, field: value, ...}``; a
``Sample`` is a plain JSON array). The parent turns a line back into its type
with ``decode``, once, in the reader thread. The line comes from another
process, so decoding is lenient: an unknown kind or a message without its
scenario is skipped, a malformed field takes its default, and nothing in a
line can raise.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, NamedTuple, Sequence

Number = int | float


class Sample(NamedTuple):
    """One finished request in a tick (a JSON array on the wire, in this order)."""

    ttft_ms: float | None
    tpot_ms: float | None
    e2e_ms: float | None
    send_lag_ms: float | None
    out_tokens: int
    ok: int  # 1 or 0: shorter on the wire than true/false
    warmup: bool


@dataclass(frozen=True, slots=True)
class Loaded:
    TYPE: ClassVar[str] = "loaded"
    info: dict[str, Any] = field(default_factory=dict)  # the backend's LoadInfo, as a dict
    load_seconds: float | None = None
    pid: int | None = None


@dataclass(frozen=True, slots=True)
class ScenarioStart:
    TYPE: ClassVar[str] = "scenario_start"
    scenario: str
    steps: int = 1
    runs: int = 1
    total: int | None = None  # planned requests, when known
    done: int = 0  # measured before this runner process started: a resumed scenario


@dataclass(frozen=True, slots=True)
class _AtStep:
    """Where in a scenario a step message is: its run and step (0-based) and level."""

    scenario: str
    run: int = 0
    step: int = 0
    level: Number | None = None  # concurrency or target rate


@dataclass(frozen=True, slots=True)
class StepStart(_AtStep):
    TYPE: ClassVar[str] = "step_start"
    mode: str | None = None
    requests: int | None = None


@dataclass(frozen=True, slots=True)
class Tick:
    """The batched, lossy progress of the last tick (at most ``feed.MAX_SAMPLES_PER_TICK`` samples)."""

    TYPE: ClassVar[str] = "tick"
    in_flight: int = 0
    done: int = 0
    failed: int = 0
    out_tokens: int = 0
    gen_tokens: int = 0  # out_tokens plus what requests still in flight have made so far
    samples: Sequence[Sample] = ()  # the runner sends each as a list in Sample's order; decode makes it a Sample
    dropped: int = 0  # samples left out of this tick
    # Where the runner is (the last step_start's figures; None before the first).
    scenario: str | None = None
    run: int | None = None
    runs: int | None = None
    step: int | None = None
    steps: int | None = None
    level: Number | None = None


@dataclass(frozen=True, slots=True)
class StepSummary(_AtStep):
    """One measured step's figures (``curves.point``, plus a peak trial's verdict)."""

    TYPE: ClassVar[str] = "step_summary"
    summary: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class StepEnd(_AtStep):
    TYPE: ClassVar[str] = "step_end"


@dataclass(frozen=True, slots=True)
class PeakResult:
    TYPE: ClassVar[str] = "peak_result"
    scenario: str
    best: Number | None = None  # the highest rate that met the SLA
    bracket: tuple[Number | None, ...] = (None, None)  # (met, missed) when the search stopped
    stopped: str | None = None  # why it stopped


@dataclass(frozen=True, slots=True)
class ScenarioEnd:
    TYPE: ClassVar[str] = "scenario_end"
    scenario: str
    seconds: float = 0.0
    samples: str | None = None  # the events file's path
    peak_memory_gb: float | None = None  # the backend's own allocator peak so far, where it reports one


@dataclass(frozen=True, slots=True)
class ScenarioStopped(_AtStep):
    """A graceful stop ended the scenario: the step it was in, and that step's next unmeasured request."""

    TYPE: ClassVar[str] = "scenario_stopped"
    request: int = 0


@dataclass(frozen=True, slots=True)
class Fatal:
    TYPE: ClassVar[str] = "fatal"
    message: str | None = None  # one sentence for the user
    kind: str | None = None  # the exception's class name


@dataclass(frozen=True, slots=True)
class Bye:
    TYPE: ClassVar[str] = "bye"
    status: str | None = None  # done | stopped


@dataclass(frozen=True, slots=True)
class Log:
    """A line for the run's log (the parent shows it; nothing in the runner sends one yet)."""

    TYPE: ClassVar[str] = "log"
    message: str = ""


Message = (Loaded | ScenarioStart | StepStart | Tick | StepSummary | StepEnd | PeakResult | ScenarioEnd
           | ScenarioStopped | Fatal | Bye | Log)


def to_wire(msg: Message) -> dict[str, Any]:
    """The message's fields by name (``send`` adds the kind and the time)."""
    return {name: getattr(msg, name) for name in msg.__match_args__}  # every field, inherited ones too


# -- decoding (parent side) ----------------------------------------------------

_FLOAT_MAX = sys.float_info.max


def number(value: Any) -> Number | None:
    """A finite number from a feed field, or None: a bool is not a number here, and neither are
    NaN, the infinities and an int too large for a float (all of which JSON can carry)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if -_FLOAT_MAX <= value <= _FLOAT_MAX else None


def _num(value: Any, default: Any) -> Any:
    n = number(value)
    return default if n is None else n


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


_LATENCY_TYPES = frozenset({float, int, type(None)})


def _samples(raw: Any) -> list[Sample]:
    """The tick's samples; one that is not an array of the right length is skipped, and a latency
    that is not a number becomes None (it would break the percentiles). Up to 64 a tick, 8 ticks a
    second: the common case costs one length check, four type checks and the tuple."""
    if type(raw) is not list:
        return []
    samples, size, fine, make = [], len(Sample._fields), _LATENCY_TYPES, Sample._make
    for row in raw:
        if type(row) is not list or len(row) != size:
            continue
        ttft, tpot, e2e, lag, out_tokens, ok, warmup = row
        if type(ttft) in fine and type(tpot) in fine and type(e2e) in fine and type(lag) in fine:
            samples.append(make(row))
        else:
            samples.append(Sample(_latency(ttft), _latency(tpot), _latency(e2e), _latency(lag), out_tokens, ok,
                                  warmup))
    return samples


def _latency(value: Any) -> float | None:
    return value if type(value) in _LATENCY_TYPES else None


def _tick(d: dict[str, Any]) -> Tick:
    out = _num(d.get("out_tokens"), 0)
    return Tick(_num(d.get("in_flight"), 0), _num(d.get("done"), 0), _num(d.get("failed"), 0), out,
                _num(d.get("gen_tokens"), out), _samples(d.get("samples")), _num(d.get("dropped"), 0),
                _str(d.get("scenario")), number(d.get("run")), number(d.get("runs")), number(d.get("step")),
                number(d.get("steps")), number(d.get("level")))


def _with_scenario(build: Callable[[dict[str, Any], str], Message]) -> Callable[[dict[str, Any]], Message | None]:
    """A decoder for a kind that names its scenario: without one, the message is skipped."""
    def decode_one(d: dict[str, Any]) -> Message | None:
        name = _str(d.get("scenario"))
        return None if name is None else build(d, name)
    return decode_one


def _at_step(d: dict[str, Any], name: str) -> tuple[str, int, int, Number | None]:
    """``_AtStep``'s fields, in order, from a step message."""
    return name, _num(d.get("run"), 0), _num(d.get("step"), 0), number(d.get("level"))


def _bracket(value: Any) -> tuple[Number | None, ...]:
    return tuple(number(b) for b in value[:2]) if isinstance(value, list) and value else (None, None)


_DECODERS: dict[str, Callable[[dict[str, Any]], Message | None]] = {
    Tick.TYPE: _tick,
    Loaded.TYPE: lambda d: Loaded(info=d["info"] if isinstance(d.get("info"), dict) else {},
                                  load_seconds=number(d.get("load_seconds")), pid=number(d.get("pid"))),
    ScenarioStart.TYPE: _with_scenario(lambda d, name: ScenarioStart(
        scenario=name, steps=_num(d.get("steps"), 1), runs=_num(d.get("runs"), 1), total=number(d.get("total")),
        done=_num(d.get("done"), 0))),
    StepStart.TYPE: _with_scenario(lambda d, name: StepStart(
        *_at_step(d, name), mode=_str(d.get("mode")), requests=number(d.get("requests")))),
    StepSummary.TYPE: _with_scenario(lambda d, name: StepSummary(
        *_at_step(d, name), summary=d["summary"] if isinstance(d.get("summary"), dict) else None)),
    StepEnd.TYPE: _with_scenario(lambda d, name: StepEnd(*_at_step(d, name))),
    PeakResult.TYPE: _with_scenario(lambda d, name: PeakResult(
        scenario=name, best=number(d.get("best")), bracket=_bracket(d.get("bracket")),
        stopped=None if d.get("stopped") is None else str(d.get("stopped")))),
    ScenarioEnd.TYPE: _with_scenario(lambda d, name: ScenarioEnd(
        scenario=name, seconds=_num(d.get("seconds"), 0.0), samples=_str(d.get("samples")),
        peak_memory_gb=number(d.get("peak_memory_gb")))),
    ScenarioStopped.TYPE: _with_scenario(lambda d, name: ScenarioStopped(*_at_step(d, name),
                                                                         request=_num(d.get("request"), 0))),
    Fatal.TYPE: lambda d: Fatal(message=_str(d.get("message")), kind=_str(d.get("kind"))),
    Bye.TYPE: lambda d: Bye(status=_str(d.get("status"))),
    Log.TYPE: lambda d: Log(message=str(d.get("message", ""))),
}


def decode(raw: Any) -> Message | None:
    """The typed message of one parsed feed line, or None (not a message, or a kind we do not know)."""
    if not isinstance(raw, dict):
        return None
    build = _DECODERS.get(raw.get("type")) if isinstance(raw.get("type"), str) else None
    return build(raw) if build is not None else None
