"""``accelmark runners`` and ``accelmark suites``: what fits this machine, and why not.

Plain text tables for people, ``--json`` for scripts. Only the standard
library is imported at module level (start-up stays fast); the catalog and
detection are imported inside the commands.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # typing only: keeps `accelmark --help` from importing them
    from accelmark_tui.catalog.runners import RunnerInfo
    from accelmark_tui.catalog.suites import Suite
    from accelmark_tui.detect.machine import Machine

LEGEND_STATUSES = ("validated", "pending", "unsupported")
_ASCII_SYMBOLS = {"validated": "ok", "pending": "..", "unsupported": "-"}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "runners",
        help="list runners, their suite support and whether they run on this machine",
        description="List the runners (inference backends), the suites each one supports "
        "(✓ validated, ⋯ pending, — unsupported) and whether it can run on this machine, "
        "or the one reason it cannot.",
    )
    p.add_argument("--suite", metavar="ID", help="check every runner against this suite (e.g. F, suite_F, quick)")
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    p.set_defaults(func=cmd_runners)

    p = subparsers.add_parser(
        "suites",
        help="list suites and whether they run on this machine",
        description="List the suites and, for each, the runner accelmark would pick on this machine "
        "(or the one given with --runner) and whether it can run, or the one reason it cannot.",
    )
    p.add_argument("--runner", metavar="ID", help="check every suite against this runner (id or unique prefix)")
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    p.set_defaults(func=cmd_suites)


# --- shared helpers ---------------------------------------------------------


def detect() -> Machine:
    """This machine (a seam tests replace with a fixed Machine)."""
    from accelmark_tui.detect import detect_machine

    return detect_machine()


def _symbols() -> dict[str, str]:
    from accelmark_tui.catalog.fit import STATUS_SYMBOLS

    # A console that cannot print ✓ ⋯ — (e.g. a cp1252 Windows console) gets ASCII.
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "".join(STATUS_SYMBOLS.values()).encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return dict(_ASCII_SYMBOLS)
    return dict(STATUS_SYMBOLS)


def _legend(symbols: dict[str, str]) -> str:
    return "  ".join(f"{symbols[s]} {s}" for s in LEGEND_STATUSES)


def _fmt_gb(value: float | None) -> str:
    return "?" if value is None else f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def machine_summary(machine: Machine) -> str:
    ram = f"{_fmt_gb(machine.system_memory_gb)} GB RAM"
    if not machine.accelerators:
        return f"This machine: no accelerator, {machine.cpu.model} ({machine.cpu.physical_cores} cores), {ram}."
    groups: dict[tuple[str, float | None], int] = {}
    for acc in machine.accelerators:
        key = (acc.name, acc.memory_gb)
        groups[key] = groups.get(key, 0) + 1
    parts = [f"{n} × {name} ({_fmt_gb(mem)} GB)" for (name, mem), n in groups.items()]
    return f"This machine: {', '.join(parts)}, {ram}."


def machine_json(machine: Machine) -> dict[str, Any]:
    return {
        "platform": machine.platform,
        "accelerators": [
            {"name": a.name, "platform": a.platform, "memory_gb": a.memory_gb} for a in machine.accelerators
        ],
        "cpu": machine.cpu.model,
        "system_memory_gb": machine.system_memory_gb,
    }


def _ready_text(runner) -> str:
    return "runnable against a server (--base-url URL)" if runner.is_endpoint else "runnable"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    # The last column (reasons) is left unpadded so long reasons do not widen the rest.
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = []
    for cells in [headers, *rows]:
        padded = [c.ljust(widths[i]) for i, c in enumerate(cells[:-1])] + [cells[-1]]
        lines.append("  ".join(padded).rstrip())
    return "\n".join(lines)


def _warn(problems: list[str]) -> None:
    for problem in problems:
        print(f"accelmark: skipped: {problem}", file=sys.stderr)


def _emit_json(data: dict[str, Any]) -> None:
    json.dump(data, sys.stdout, indent=2)
    sys.stdout.write("\n")


def _short(suite: Suite) -> str:
    return suite.letter or suite.id.removeprefix("suite_")


# --- accelmark runners ------------------------------------------------------


def cmd_runners(args: argparse.Namespace) -> int:
    from accelmark_tui.catalog.fit import check_fit, machine_blocker
    from accelmark_tui.catalog.runners import scan_runners
    from accelmark_tui.catalog.suites import get_suite, scan_suites

    suite = get_suite(args.suite) if args.suite else None  # unknown id fails before detection
    runners, problems = scan_runners()
    suites, suite_problems = scan_suites()
    _warn(problems + suite_problems)
    machine = detect()

    if suite is not None:
        fits = [check_fit(r, suite, machine) for r in runners]
        if args.json:
            _emit_json({
                "machine": machine_json(machine),
                "suite": suite.id,
                "runners": [{**_runner_json(r, suites), "fit": f.to_dict()} for r, f in zip(runners, fits)],
            })
            return 0
        sym = _symbols()
        print(machine_summary(machine))
        print(f"Suite {suite.id}: {suite.model_short_name}, {suite.precision_required}.\n")
        rows = [
            [r.id, f"{sym[f.support]} {f.support}", _ready_text(r) if f.ready else str(f.reason)]
            for r, f in zip(runners, fits)
        ]
        print(_table(["RUNNER", "SUPPORT", "ON THIS MACHINE"], rows))
        if all(f.support == "unsupported" for f in fits):
            print(f"\nNo runner here supports {suite.id} yet.")
        print(f"\n{_legend(sym)}")
        return 0

    blockers = [machine_blocker(r, machine) for r in runners]
    if args.json:
        _emit_json({
            "machine": machine_json(machine),
            "runners": [
                {**_runner_json(r, suites), "runnable": b is None, "reason": b} for r, b in zip(runners, blockers)
            ],
        })
        return 0
    sym = _symbols()
    print(machine_summary(machine) + "\n")
    headers = ["RUNNER", "FRAMEWORK", *(_short(s) for s in suites), "ON THIS MACHINE"]
    rows = [
        [r.id, r.framework, *(sym[r.suite_status(s.id)] for s in suites), "runnable" if b is None else b]
        for r, b in zip(runners, blockers)
    ]
    print(_table(headers, rows))
    print(f"\n{_legend(sym)}.  Details for one suite: accelmark runners --suite F")
    return 0


def _runner_json(runner: RunnerInfo, suites: list[Suite]) -> dict[str, Any]:
    return {
        "id": runner.id,
        "platform": runner.platform,
        "name": runner.name,
        "framework": runner.framework,
        "device": runner.device,
        "max_chips": runner.max_chips,
        "install": runner.install_hint,
        "suite_support": {s.id: runner.suite_status(s.id) for s in suites},
        "backend": _backend_json(runner),
    }


def _backend_json(runner: RunnerInfo) -> dict[str, Any] | None:
    """The backend the runner runs: its model formats, precisions and options (`accelmark run` flags)."""
    from accelmark_tui.backends.registry import all_specs

    spec = next((s for s in all_specs() if s.name == runner.backend), None)
    if spec is None:  # a foreign runner naming no backend, or one whose package is not installed
        return {"name": runner.backend, "model_formats": runner.model_formats, "installed": False} \
            if runner.backend else None
    return spec.describe() | {"installed": True}


# --- accelmark suites -------------------------------------------------------


def cmd_suites(args: argparse.Namespace) -> int:
    from accelmark_tui.catalog.matrix import fit_matrix
    from accelmark_tui.catalog.runners import get_runner, scan_runners
    from accelmark_tui.catalog.suites import scan_suites

    fixed = get_runner(args.runner) if args.runner else None  # unknown id fails before detection
    suites, problems = scan_suites()
    runners, runner_problems = scan_runners()
    _warn(problems + runner_problems)
    machine = detect()

    # With --runner only its row is checked; else every runner, for the pick per suite.
    matrix = fit_matrix(machine, [fixed] if fixed else runners, suites)
    rows_data: list[tuple[Suite, RunnerInfo | None, Any]] = []
    for suite in suites:
        runner = fixed or matrix.best.get(suite.id)
        rows_data.append((suite, runner, matrix.fit(runner.id, suite.id) if runner else None))

    if args.json:
        _emit_json({
            "machine": machine_json(machine),
            "runner": fixed.id if fixed else None,
            "suites": [
                {
                    "id": s.id,
                    "description": s.description,
                    "model_id": s.model_id,
                    "precision": s.precision_required,
                    "upstream": s.is_upstream,
                    "memory_gb_estimate": s.model_memory_gb_estimate(),
                    "min_chips": s.min_chips,
                    "runner": r.id if r else None,
                    "fit": f.to_dict() if f else None,
                }
                for s, r, f in rows_data
            ],
        })
        return 0

    sym = _symbols()
    print(machine_summary(machine))
    if fixed:
        print(f"Runner {fixed.id} ({fixed.framework}).")
    print()
    rows = []
    for s, r, f in rows_data:
        name = s.id if s.is_upstream else f"{s.id}*"
        status = sym["unsupported"] if f is None else f"{sym[f.support]} {f.support}"
        verdict = "no runners installed" if f is None else "runnable" if f.ready else str(f.reason)
        shown = r.id if r else "-"
        if f is not None and not fixed and f.support == "unsupported":
            # best_runner fell back to the cpu runner only to explain: say what is really true.
            verdict, shown = f"no runner for this machine's hardware supports {s.id}", "-"
        cells = [name, f"{s.model_short_name} ({s.precision_required})", status]
        if not fixed:
            cells.append(shown)
        rows.append([*cells, verdict])
    headers = ["SUITE", "MODEL", "SUPPORT", *([] if fixed else ["RUNNER"]), "ON THIS MACHINE"]
    print(_table(headers, rows))
    if any(not s.is_upstream for s in suites):
        print("\n* accelmark's own suite: results stay local (the upstream leaderboard accepts A-G only).")
    else:
        print()
    print(_legend(sym))
    return 0
