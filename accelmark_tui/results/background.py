"""What a run's recorded background load says: the sentences the live run, ``results show`` and
compare print.

The sampler (``detect/background.py``) leaves ``metrics.<scenario>.background_cpu`` on each
measured scenario: the mean and max share of the machine's CPU other processes used while it
was measured. A figure measured while others took more than ``WARN_SHARE`` of the CPU may be
low; two runs whose shares differ by more than ``DIFF_SHARE`` compare partly their machines'
load. Runs saved before the sampler existed carry no block, and nothing is said about them.
"""

from __future__ import annotations

from typing import Any

from accelmark_tui.detect.background import DIFF_SHARE, WARN_SHARE
from accelmark_tui.scenarios.registry import in_order

KEY = "background_cpu"
# While measuring, warn only once the mean covers this many samples (about seconds): one busy second is not load.
SO_FAR_SAMPLES = 5


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def background_of(block: Any) -> dict[str, Any] | None:
    """A scenario block's background record, if it has one."""
    bg = block.get(KEY) if isinstance(block, dict) else None
    return bg if isinstance(bg, dict) else None


def mean_share(block: Any) -> float | None:
    return _num((background_of(block) or {}).get("mean_share"))


def _share(bg: dict[str, Any]) -> str:
    mean, peak = _num(bg.get("mean_share")), _num(bg.get("max_share"))
    return f"{mean:.0%}" + (f" (max {peak:.0%})" if peak is not None else "") if mean is not None else "-"


def over(bg: dict[str, Any] | None) -> bool:
    mean = _num((bg or {}).get("mean_share"))
    return mean is not None and mean > WARN_SHARE


def scenario_warning(name: str, bg: dict[str, Any] | None, so_far: bool = False) -> str | None:
    """One sentence when ``name``'s background share passed the threshold (``so_far``: while measuring)."""
    if bg is None or not over(bg) or (so_far and (_num(bg.get("samples")) or 0) < SO_FAR_SAMPLES):
        return None
    now = ("are using", "is", " (so far)") if so_far else ("used", "was", "")
    note = f" ({bg['note']})" if bg.get("note") else ""
    return (f"warning: other processes {now[0]} {_share(bg)} of the CPU while {name} {now[1]} measured{now[2]}, "
            f"above the {WARN_SHARE:.0%} threshold; its figures may be low: measure again on a quiet machine{note}")


def run_warnings(metrics: dict[str, Any]) -> list[str]:
    """A saved run's warnings, one per scenario measured under background load."""
    return [w for name, block in metrics.items() if (w := scenario_warning(name, background_of(block)))]


def background_lines(metrics: dict[str, Any]) -> list[tuple[str, str]]:
    """(scenario, "mean (max), N samples over S s" or why it was not measured) per recorded scenario."""
    rows = []
    for name, block in metrics.items():
        bg = background_of(block)
        if bg is None:
            continue
        if bg.get("mean_share") is None:
            rows.append((name, f"not measured: {bg.get('unavailable') or 'no sample'}"))
            continue
        rows.append((name, f"{_share(bg)}, {bg.get('samples')} samples over {bg.get('seconds')} s"))
    return rows


def compare_warnings(ma: dict[str, Any], mb: dict[str, Any]) -> list[str]:
    """Two runs' metrics (A, B): which was measured under background load, and where their loads
    differ by more than ``DIFF_SHARE`` (the comparison then partly measures the machines' load)."""
    out = []
    for label, metrics in (("A", ma), ("B", mb)):
        loaded = [f"{name} {_share(bg)}" for name, block in metrics.items() if over(bg := background_of(block))]
        if loaded:
            out.append(f"⚠ {label} was measured while other processes used over {WARN_SHARE:.0%} of the CPU: "
                       f"{', '.join(loaded)}. Its figures may be low.")
    differ = []
    for name in in_order(ma.keys() & mb.keys()):
        a, b = mean_share(ma[name]), mean_share(mb[name])
        if a is not None and b is not None and abs(a - b) > DIFF_SHARE:
            differ.append(f"{name} A {a:.0%}, B {b:.0%}")
    if differ:
        out.append(f"⚠ Background load differs between the runs by more than {DIFF_SHARE:.0%} of the CPU: "
                   f"{'; '.join(differ)}.")
    return out
