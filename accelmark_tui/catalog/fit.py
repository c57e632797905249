"""Does a runner fit a suite on this machine? One answer, one reason, one fix.

The checks run in the order a user would fix things: a runner that cannot do
the suite at all, hardware the machine lacks, a backend that is not
installed, too few chips, too little memory. Only the first failing check is
reported, so the message is always the next thing to do.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from accelmark_tui.catalog.runners import RunnerInfo, discover_runners
from accelmark_tui.catalog.suites import Suite
from accelmark_tui.detect.machine import Machine

ModuleProbe = Callable[[str], Any]

STATUS_SYMBOLS = {"validated": "✓", "pending": "⋯", "unsupported": "—"}
_SUPPORT_RANK = {"validated": 0, "pending": 1, "unsupported": 2}

# What to call each platform's hardware in a sentence.
PLATFORM_HARDWARE = {
    "nvidia": ("an NVIDIA GPU", "NVIDIA GPUs", "NVIDIA GPU memory"),
    "amd": ("an AMD GPU", "AMD GPUs", "AMD GPU memory"),
    "apple": ("an Apple silicon GPU", "Apple silicon GPUs", "unified memory"),
    "ascend": ("a Huawei Ascend NPU", "Ascend NPUs", "NPU memory"),
    "google": ("a Google TPU", "TPUs", "TPU memory"),
}
# Platforms whose model memory is system RAM (CPU, and Apple's unified memory).
SYSTEM_RAM_PLATFORMS = ("cpu", "apple")


def _hardware(platform: str) -> tuple[str, str, str]:
    return PLATFORM_HARDWARE.get(platform, (f"a {platform} accelerator", f"{platform} accelerators", "accelerator memory"))


@dataclass(frozen=True)
class Fit:
    runner_id: str
    suite_id: str
    status: str  # "ready" | "blocked"
    support: str  # "validated" | "pending" | "unsupported"
    reason: str | None = None  # why blocked, with the fix; None when ready

    @property
    def ready(self) -> bool:
        return self.status == "ready"

    @property
    def symbol(self) -> str:
        return STATUS_SYMBOLS.get(self.support, "?")

    def message(self) -> str:
        """One sentence for an error: ``<runner> cannot run <suite> here: <reason>.``"""
        if self.ready:
            return f"{self.runner_id} can run {self.suite_id} here ({self.support})."
        return f"{self.runner_id} cannot run {self.suite_id} on this machine: {self.reason}."

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _module_missing(name: str, module_available: ModuleProbe) -> bool:
    try:
        return module_available(name) is None
    except (ImportError, ValueError):  # a dotted name whose parent is missing
        return True


def chips_on(machine: Machine, platform: str) -> list[Any]:
    """The machine's accelerators of a platform (for cpu: none; the CPU is one chip)."""
    return [a for a in machine.accelerators if a.platform == platform]


def _fmt_gb(value: float) -> str:
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def machine_blocker(
    runner: RunnerInfo,
    machine: Machine,
    *,
    module_available: ModuleProbe = importlib.util.find_spec,
) -> str | None:
    """Why ``runner`` cannot run anything on ``machine`` (hardware, then backend), or None."""
    # cpu and endpoint runners fit every machine; the others need their device family (or one of runs_on).
    families = [runner.platform, *runner.runs_on]
    if "cpu" not in families and not runner.is_endpoint and not any(chips_on(machine, f) for f in families):
        return f"needs {_hardware(runner.platform)[0]}; this machine has none"
    # The backend's Python modules, probed without importing them (imports are slow and may crash).
    for module in runner.requires_modules:
        if _module_missing(module, module_available):
            return f"{module} is not installed; install it with: {runner.install_hint}"
    return None


def check_fit(
    runner: RunnerInfo,
    suite: Suite,
    machine: Machine,
    *,
    precision: str | None = None,
    module_available: ModuleProbe = importlib.util.find_spec,
) -> Fit:
    """Whether ``runner`` can run ``suite`` on ``machine``, and the first reason it cannot."""
    support = runner.suite_status(suite.id)

    def blocked(reason: str) -> Fit:
        return Fit(runner.id, suite.id, "blocked", support, reason)

    # 1. The runner itself says no: nothing on this machine can change that.
    if support == "unsupported":
        return blocked(
            f"the runner declares {suite.id} unsupported; "
            f"choose a runner that supports it (`accelmark runners --suite {suite.letter or suite.id}`)"
        )

    # 2-3. Hardware and backend, which do not depend on the suite.
    reason = machine_blocker(runner, machine, module_available=module_available)
    if reason:
        return blocked(reason)
    if runner.is_endpoint:
        # The server's chips and memory are not this machine's to check; the run records them.
        return Fit(runner.id, suite.id, "ready", support, None)
    is_cpu = runner.platform == "cpu"
    chips = [] if is_cpu else chips_on(machine, runner.platform)

    # 4. Chip count: what the suite needs vs. what the machine has and the runner drives.
    have = 1 if is_cpu else len(chips)
    need = suite.min_chips
    if need > 1:
        what = "chips" if is_cpu else _hardware(runner.platform)[1]
        if have < need:
            return blocked(f"{suite.id} needs {need} {what} (this machine has {have})")
        if runner.max_chips < need:
            return blocked(
                f"{suite.id} needs {need} {what} but this runner drives at most {runner.max_chips}; "
                "use a multi-chip runner"
            )

    # 5. Memory for the weights (plus overhead) at the precision that will run.
    needed_gb = suite.model_memory_gb_estimate(precision)
    if needed_gb is not None:
        if runner.platform in SYSTEM_RAM_PLATFORMS:
            have_gb: float | None = machine.system_memory_gb
            kind = "system RAM" if is_cpu else _hardware(runner.platform)[2]
        else:
            # "auto" suites spread the model over every chip the runner drives.
            used = min(have, runner.max_chips) if suite.required_chips == "auto" else max(need, 1)
            sizes = [c.memory_gb for c in chips[:used]]
            have_gb = None if any(s is None for s in sizes) else float(sum(sizes))
            kind = _hardware(runner.platform)[2]
        if have_gb is not None and have_gb < needed_gb:
            return blocked(
                f"needs about {_fmt_gb(needed_gb)} GB of memory for {suite.model_short_name} in "
                f"{(precision or suite.precision_required).upper()} (has {_fmt_gb(have_gb)} GB of {kind}); "
                "pick a suite with a smaller model"
            )

    return Fit(runner.id, suite.id, "ready", support, None)


def best_runner(
    suite: Suite,
    machine: Machine,
    runners: Iterable[RunnerInfo] | None = None,
    *,
    module_available: ModuleProbe = importlib.util.find_spec,
    fits: Mapping[tuple[str, str], Fit] | None = None,
) -> RunnerInfo | None:
    """The runner to pick by default for ``suite`` on ``machine``.

    A ready runner for the machine's accelerators wins (validated before
    pending, ``machine.platform`` before other accelerators), else a ready
    cpu runner. When nothing is ready, the runner whose blocker is worth
    fixing: one for this machine's accelerators that supports the suite (its
    reason is e.g. the GPU build to install), then a cpu runner that supports
    it, then the cpu runner anyway. Check its fit before running it; None
    only when there are no runners at all. ``fits``: answers already checked,
    by (runner id, suite id), e.g. a ``FitMatrix``'s.
    """
    pool = list(discover_runners() if runners is None else runners)
    if not pool:
        return None
    platforms: list[str] = []
    for platform in [machine.platform, *(a.platform for a in machine.accelerators)]:
        if platform != "cpu" and platform not in platforms:
            platforms.append(platform)

    def key(r: RunnerInfo) -> tuple[int, int, int, str]:
        fit = (fits or {}).get((r.id, suite.id)) or check_fit(r, suite, machine, module_available=module_available)
        if r.platform in platforms:
            place = platforms.index(r.platform)
        elif r.platform == "cpu":
            place = len(platforms)
        else:
            return (2, len(platforms) + 1, 3, r.id)  # hardware this machine lacks: never the pick
        tier = 0 if fit.ready else 1 if fit.support != "unsupported" else 2
        # Ready beats everything; then this machine's accelerators before the CPU.
        return (tier, place, _SUPPORT_RANK.get(fit.support, 3), r.id)

    best = min(pool, key=key)
    if key(best)[0] == 2:
        # Nothing for this machine supports the suite: name the cpu runner, whose reason says so.
        cpu = [r for r in pool if r.platform == "cpu"]
        return min(cpu, key=lambda r: r.id) if cpu else best
    return best
