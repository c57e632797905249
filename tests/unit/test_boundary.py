"""The engine never imports Textual (design: engine / UI boundary)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

ENGINE_PACKAGES = ["cli", "detect", "catalog", "engine", "results", "backends"]


def _run(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, ACCELMARK_DATA_DIR=str(tmp_path / "d"), ACCELMARK_CONFIG_DIR=str(tmp_path / "c"),
               ACCELMARK_CACHE_DIR=str(tmp_path / "k"), PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)


def test_headless_commands_leave_textual_unimported(tmp_path):
    code = (
        "import sys, importlib, pkgutil\n"
        "import accelmark_tui\n"
        f"for pkg in {ENGINE_PACKAGES!r}:\n"
        "    mod = importlib.import_module('accelmark_tui.' + pkg)\n"
        "    for info in pkgutil.iter_modules(mod.__path__):\n"
        "        importlib.import_module(f'accelmark_tui.{pkg}.{info.name}')\n"
        "from accelmark_tui.cli import main\n"
        "for argv in (['detect', '--json'], ['runners', '--json'], ['suites', '--json'], ['results', '--json']):\n"
        "    assert main(argv) == 0, argv\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "assert not bad, bad\n"
        "print('ok')\n"
    )
    proc = _run(code, tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().endswith("ok")


def test_import_linter_contract():
    lint = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    if not Path(lint).exists():
        pytest.skip("import-linter is not installed")
    proc = subprocess.run([lint, "--config", str(ROOT / "pyproject.toml")], capture_output=True, text=True,
                          cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "KEPT" in proc.stdout
