"""The shipped AMX fix header keeps ggml's tile configuration; the README's command finds it.

ggml's ``ggml_tile_config_init`` (cut down in tests/fixtures/amx) is compiled to assembly
with and without the header: with it, the rows/colsb stores reach memory before
``ldtilecfg``; without it, GCC <= 12 keeps only the palette byte (docs/amx.md).
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from accelmark_tui.detect import llama_repack

ROOT = Path(__file__).resolve().parents[2]
REPRO = ROOT / "tests" / "fixtures" / "amx" / "tilecfg_repro.cpp"
HEADER = ROOT / "assets" / llama_repack.HEADER


def _stores_before_ldtilecfg(*flags: str) -> int:
    """Stores to the stack config in ggml_tile_config_init before its ldtilecfg."""
    asm = subprocess.run(["g++", "-O3", "-march=sapphirerapids", *flags, "-S", "-o", "-", str(REPRO)],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    body = asm.split("_Z21ggml_tile_config_initv:", 1)[1].split("ldtilecfg", 1)[0]
    return len(re.findall(r"^\s+v?mov\w*\s+[^\n]*,\s*-?\d*\(%rsp\)$", body, re.M))


def _gcc_major() -> int:
    out = subprocess.run(["g++", "-dumpversion"], capture_output=True, text=True, timeout=30).stdout
    return int(out.split(".")[0])


@pytest.mark.skipif(shutil.which("g++") is None or platform.machine() != "x86_64", reason="needs g++ on x86-64")
def test_the_header_keeps_the_tile_config_stores() -> None:
    fixed = _stores_before_ldtilecfg(f"-include{HEADER}")
    assert fixed >= 4, "palette, rows and colsb must be stored before ldtilecfg"
    plain = _stores_before_ldtilecfg()
    if _gcc_major() <= 12:
        assert plain <= 2, "GCC <= 12 drops the rows/colsb stores (the bug the header fixes)"
    else:
        assert plain == fixed  # newer GCC reads all 64 bytes; the header is a no-op


def test_the_readme_gives_the_reinstall_command_and_it_finds_the_header() -> None:
    assert llama_repack.REINSTALL in (ROOT / "README.md").read_text(encoding="utf-8")
    code = re.search(r"python -c '([^']+)'", llama_repack.REINSTALL)[1]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # -S: this tree's accelmark_tui, not an editable install's mapping of its assets elsewhere
    out = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert Path(out.stdout.strip()) == HEADER and HEADER.is_file()
