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


def _lint_imports(tree: Path) -> subprocess.CompletedProcess:
    lint = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    if not Path(lint).exists():
        pytest.skip("import-linter is not installed")
    return subprocess.run([lint, "--no-cache", str(tree / "pyproject.toml")], capture_output=True, text=True,
                          cwd=tree, env=dict(os.environ, PYTHONPATH=str(tree)), timeout=300)


def test_import_linter_contracts_are_kept():
    proc = _lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "BROKEN" not in proc.stdout and proc.stdout.count("KEPT") >= 4


def test_import_linter_sees_the_screens():
    # accelmark_tui/screens links to the top-level screens/ folder; without it the screens
    # would be invisible to the linter and their contract would pass vacuously.
    assert (ROOT / "accelmark_tui" / "screens").resolve() == (ROOT / "screens").resolve()


@pytest.mark.parametrize("planted, code, contract", [
    ("accelmark_tui/results/_planted.py", "import accelmark_tui.engine.session\n",
     "Headless layers: each imports only the layers below it"),
    ("accelmark_tui/engine/_planted.py", "import textual.app\n", "The engine never imports Textual"),
    ("screens/_planted.py", "from accelmark_tui.cli import main\n",
     "Screens reach the engine only through the app's services"),
    ("accelmark_tui/ui/sampler.py", "import accelmark_tui.screens.home\n",
     "The app: the shell opens screens, screens use the app's parts"),
], ids=["results-imports-engine", "engine-imports-textual", "screen-imports-cli", "services-opens-a-screen"])
def test_import_linter_fails_on_a_planted_violation(tmp_path, planted, code, contract):
    tree = tmp_path / "tree"
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "__snapshots__")
    shutil.copytree(ROOT / "accelmark_tui", tree / "accelmark_tui", symlinks=True, ignore=skip)
    shutil.copytree(ROOT / "screens", tree / "screens", ignore=skip)
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    assert _lint_imports(tree).returncode == 0  # the copy is as clean as the tree
    target = tree / planted
    target.write_text((target.read_text(encoding="utf-8") if target.exists() else "") + code, encoding="utf-8")
    proc = _lint_imports(tree)
    assert proc.returncode == 1, proc.stdout[-3000:]
    broken = proc.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken and Path(planted).stem in broken, proc.stdout[-3000:]
