"""`accelmark detect`: what is on this machine, as a table or as env_info JSON.

Standard library only at module level (this module is imported for every
`accelmark --help`); detection itself loads psutil and vendor libraries lazily.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "detect",
        help="show the accelerators, CPU, memory and software found on this machine",
        description="Detect this machine's accelerators, CPU, memory and software. "
        "With --json, print the AccelMark env_info.json that a run would record.",
    )
    parser.add_argument("--json", action="store_true", help="print env_info.json (AccelMark env schema)")
    parser.add_argument(
        "--cached",
        action="store_true",
        help="reuse the detection cached since the last boot (faster; default is fresh detection)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from accelmark_tui.detect import detect_machine, llama_repack

    machine = detect_machine(use_cache=args.cached)
    # From the llama.cpp backend's cached probe verdict; detect never runs the probe.
    repack = llama_repack.describe(machine.cpu.flags)
    if args.json:
        env = machine.env_info()
        env["vendor_details"]["llama_cpp_repacking"] = repack
        json.dump(env, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render(machine, repack))
    return 0


def _gb(value: float | None) -> str:
    return "? GB" if value is None else f"{value:g} GB"


def render(machine: Any, repack: dict[str, Any] | None = None) -> str:
    """The human table: one ``label  value`` line per fact."""
    cpu = machine.cpu
    rows: list[tuple[str, str]] = []
    if machine.accelerators:
        groups: dict[tuple[str, Any], list[Any]] = {}
        for acc in machine.accelerators:
            groups.setdefault((acc.name, acc.memory_gb), []).append(acc)
        for i, ((name, memory), accs) in enumerate(groups.items()):
            first = accs[0]
            bits = [f"{len(accs)} x {name}", _gb(memory) + (" unified" if first.extra.get("unified_memory") else ""),
                    f"{first.vendor}/{first.platform}"]
            if first.compute_capability:
                bits.append(f"compute {first.compute_capability}")
            if first.extra.get("gpu_cores"):
                bits.append(f"{first.extra['gpu_cores']} GPU cores")
            if first.supports_bf16 is not None:
                bits.append("bf16" if first.supports_bf16 else "no bf16")
            rows.append(("Accelerators" if i == 0 else "", ", ".join(bits)))
        if machine.intra_node_interconnect:
            rows.append(("Interconnect", machine.intra_node_interconnect))
    else:
        rows.append(("Accelerators", "none found; the CPU is the benchmark chip (platform cpu)"))
    chip = machine.chip()
    rows.append(("Chip", f"{chip['name']} x{chip['count']}, {_gb(chip['memory_gb'])} ({chip['vendor']})"))
    rows.append(("CPU", f"{cpu.model} ({cpu.vendor}, {cpu.arch or '?'})"))
    cores = f"{cpu.physical_cores} physical / {cpu.logical_cores} logical"
    if cpu.sockets > 1:
        cores += f", {cpu.sockets} sockets"
    if cpu.usable_cores and cpu.usable_cores < cpu.logical_cores:
        cores += f", {cpu.usable_cores} usable here"
    rows.append(("Cores", cores))
    rows.append(("Threads", f"{machine.recommended_threads()} (physical cores, for CPU runners)"))
    rows.append(("NUMA nodes", str(cpu.numa_nodes)))
    if cpu.flags:
        rows.append(("CPU features", " ".join(cpu.flags)))
    rows.append(("RAM", _gb(machine.system_memory_gb)))
    rows.append(("OS", machine.os))
    rows.append(("Kernel", machine.kernel_version))
    rows.append(("Python", machine.python_version))
    rows.append(("Driver", machine.driver_version))
    rows.append(("Runtime", machine.runtime_version))
    rows.append(("PCIe", machine.pcie_generation))
    if repack is not None:
        rows.append(("llama repack", repack["reason"]))
    for i, note in enumerate(machine.probe_notes):
        rows.append(("Not found" if i == 0 else "", note))
    width = max(len(label) for label, _ in rows)
    return "".join(f"{label:<{width}}  {value}\n" for label, value in rows)
