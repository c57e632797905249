"""Huawei Ascend NPUs from ``npu-smi info`` (its table output) and the CANN install.

``parse_npu_smi_info`` is pure over the tool's text; ``probe`` runs the tool
through an injectable runner. The table has two rows per device:

    | 0     910B                | OK            | 70.0        34                0    / 0             |
    | 0                         | 0000:C1:00.0  | 0           1197 / 13553      1365 / 32768         |

row 1: NPU id, chip name, health; row 2 (one per chip of the NPU): chip id
[device id], bus id, and memory "used / total" pairs whose last pair is the
device memory (HBM on 910-class cards, DDR on 310-class cards).
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Callable
from pathlib import Path

from accelmark_tui.detect._probe import ProbeResult, ToolError, ToolMissing, ToolRunner, not_found, run_tool
from accelmark_tui.detect.machine import Accelerator

PLATFORM = "ascend"
COMMAND = ["npu-smi", "info"]
_BUS_ID = re.compile(r"^[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.\d$")
_PAIR = re.compile(r"(\d+)\s*/\s*(\d+)")


def parse_version(text: str) -> str | None:
    """Driver version from the banner line ``| npu-smi 24.1.0   Version: 24.1.0 |``."""
    match = re.search(r"npu-smi\s+\S+\s+Version:\s*(\S+)", text)
    return match.group(1) if match else None


def supports_bf16(chip: str) -> bool | None:
    """910B / 910C (Atlas A2/A3) have BF16; 310-class inference cards do not; else unknown."""
    name = chip.lower().replace("ascend", "")
    if name.startswith(("910b", "910_93", "910c")) or name == "910":  # 910C reports "Ascend910"
        return True
    if name.startswith("310"):
        return False
    return None


def parse_npu_smi_info(text: str) -> tuple[list[Accelerator], str | None]:
    """(accelerators, driver version) from ``npu-smi info``; one accelerator per chip row."""
    driver = parse_version(text)
    accelerators: list[Accelerator] = []
    chip_name: str | None = None
    npu_id = -1
    for line in text.splitlines():
        if "Process id" in line or "Process name" in line:
            break  # the per-process table below the devices reuses the same row shape
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3:
            continue
        head = re.fullmatch(r"(\d+)\s+(\S+)", cells[0])
        if head and re.fullmatch(r"[A-Za-z]+", cells[1]):  # row 1: "<npu> <name>" | health
            npu_id, chip_name = int(head.group(1)), head.group(2)
            continue
        if chip_name is None or not _BUS_ID.match(cells[1]):
            continue
        ids = cells[0].split()  # row 2: "<chip>" or "<chip> <device>" | bus id | usage
        pairs = _PAIR.findall(cells[2])
        total_mb = int(pairs[-1][1]) if pairs else 0
        accelerators.append(Accelerator(
            index=int(ids[1]) if len(ids) > 1 and ids[1].isdigit() else len(accelerators),
            name=f"Huawei Ascend {chip_name}",
            vendor="Huawei",
            platform=PLATFORM,
            memory_gb=round(total_mb / 1024, 1) if total_mb else None,
            driver_version=driver or "unknown",
            supports_bf16=supports_bf16(chip_name),
            extra={"npu_id": npu_id, "chip_id": int(ids[0]) if ids and ids[0].isdigit() else None,
                   "bus_id": cells[1]},
        ))
    return accelerators, driver


def parse_install_info(text: str) -> str | None:
    """``version=8.0.RC1`` from a CANN ``ascend_toolkit_install.info`` file."""
    match = re.search(r"^\s*version\s*=\s*(\S+)", text, re.IGNORECASE | re.MULTILINE)
    return match.group(1) if match else None


def find_cann_version() -> str | None:
    """CANN toolkit version from its install-info file, where set_env.sh or the default paths put it."""
    bases = [os.environ.get("ASCEND_HOME_PATH"), os.environ.get("ASCEND_TOOLKIT_HOME"),
             "/usr/local/Ascend/ascend-toolkit/latest", "/usr/local/Ascend/cann",
             *sorted(glob.glob("/usr/local/Ascend/cann-*"), reverse=True)]
    for base in filter(None, bases):
        for info in glob.glob(os.path.join(base, "*-linux", "ascend_toolkit_install.info")):
            try:
                version = parse_install_info(Path(info).read_text())
            except OSError:
                continue
            if version:
                return version
    return None


def probe(run: ToolRunner = run_tool, *, cann_version: Callable[[], str | None] = find_cann_version) -> ProbeResult:
    """Ascend NPUs, or none with a note: never raises."""
    try:
        text = run(COMMAND)
    except ToolMissing as exc:
        return not_found(PLATFORM, f"Ascend: {exc} (no Ascend NPU driver installed).")
    except ToolError as exc:
        return not_found(PLATFORM, f"Ascend: {exc}.")
    accelerators, driver = parse_npu_smi_info(text)
    if not accelerators:
        return not_found(PLATFORM, "Ascend: `npu-smi info` listed no NPU.")
    try:
        cann = cann_version()
    except OSError:
        cann = None
    return ProbeResult(
        platform=PLATFORM,
        accelerators=accelerators,
        runtime_version=f"CANN {cann}" if cann else "CANN (version unknown)",
        # HCCS links the 8 NPUs of an Atlas server; npu-smi info's table does not show topology.
        intra_node_interconnect=None,
        details={"npu_driver": driver, "cann": cann},
    )
