"""Whether llama.cpp's weight repacking is on for this llama-cpp-python build, and why.

The llama.cpp backend decides it (``backends/amx_probe.py`` runs a child process
once per build on AMX CPUs); the verdict is cached here, keyed by the build and
the CPU, so `accelmark detect` can report it without loading llama.cpp. Standard
library only: detect must stay fast, and never runs the probe.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import platform
from pathlib import Path
from typing import Any

from accelmark_tui.errors import OutputError
from accelmark_tui.jsonfile import atomic_write_json
from accelmark_tui.paths import cache_dir

CACHE_FILE = "llama_repack.json"
KEEP = 16  # builds remembered (one per venv/reinstall); older verdicts are dropped
HEADER = "llama/ggml_amx_tilecfg_fix.h"  # under the bundled assets folder
# The one reinstall command for AMX machines whose compiler is GCC <= 12 (README, docs/amx.md).
REINSTALL = (
    "CMAKE_ARGS=\"-DCMAKE_CXX_FLAGS=-include$(python -c 'from accelmark_tui.resources import assets_dir; "
    f"print(assets_dir() / \"{HEADER}\")')\" pip install --no-deps --force-reinstall --no-cache-dir "
    "--no-binary llama-cpp-python llama-cpp-python==0.3.36"
)
AMX_FLAGS = ("amx_int8", "amx_tile")
NO_AMX = "on: no AMX on this CPU"
NOT_PROBED = "not probed yet: the first llama.cpp run of this build checks AMX in a child process"


def cpu_model() -> str:
    """The CPU's model name (Linux /proc/cpuinfo), else what the platform module says."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, sep, value = line.partition(":")
                if sep and key.strip() == "model name":
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def llama_lib_dir() -> Path | None:
    """llama-cpp-python's folder of shared libraries, found without importing it."""
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.origin:
        return None
    return Path(spec.origin).parent / "lib"


def build_key(lib_dir: Path | None = None) -> str | None:
    """A digest of the llama-cpp-python version, its libraries' names/sizes/mtimes and the CPU.

    A reinstall rewrites the libraries (new mtimes), so a rebuilt llama.cpp is probed
    again; None when llama-cpp-python is not installed.
    """
    lib_dir = lib_dir or llama_lib_dir()
    if lib_dir is None or not lib_dir.is_dir():
        return None
    try:
        version = importlib.metadata.version("llama_cpp_python")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    libs = []
    for path in sorted(lib_dir.iterdir()):
        try:
            st = path.stat()
        except OSError:
            continue
        libs.append([path.name, st.st_size, st.st_mtime_ns])
    blob = json.dumps([version, libs, cpu_model()])
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _path() -> Path:
    return cache_dir() / CACHE_FILE


def _entries() -> dict[str, Any]:
    try:
        data = json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # missing or corrupt: nothing known
    return data if isinstance(data, dict) else {}


def read_verdict(key: str) -> tuple[bool, str] | None:
    """The cached (extra_bufts, reason) for this build, or None."""
    entry = _entries().get(key)
    if isinstance(entry, dict) and isinstance(entry.get("on"), bool) and isinstance(entry.get("reason"), str):
        return entry["on"], entry["reason"]
    return None


def write_verdict(key: str, on: bool, reason: str) -> None:
    entries = {k: v for k, v in _entries().items() if k != key}
    entries = dict(list(entries.items())[-(KEEP - 1):])
    entries[key] = {"on": on, "reason": reason}
    try:
        atomic_write_json(_path(), entries)
    except OutputError:
        pass  # an unwritable cache only costs the next load another probe


def describe(cpu_flags: list[str]) -> dict[str, Any]:
    """What `accelmark detect` reports: ``extra_bufts`` (None: not known yet) and the reason."""
    key = build_key()
    if key is None:
        return {"extra_bufts": None, "reason": "llama-cpp-python is not installed"}
    cached = read_verdict(key)
    if cached is not None:
        return {"extra_bufts": cached[0], "reason": cached[1]}
    if not any(f in cpu_flags for f in AMX_FLAGS):
        return {"extra_bufts": True, "reason": NO_AMX}
    return {"extra_bufts": None, "reason": NOT_PROBED}
