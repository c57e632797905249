"""Shared test set-up: every test gets its own accelmark dirs (never ~)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory, monkeypatch):
    base = tmp_path_factory.mktemp("accelmark-home")
    for var, sub in (("ACCELMARK_DATA_DIR", "data"), ("ACCELMARK_CONFIG_DIR", "config"),
                     ("ACCELMARK_CACHE_DIR", "cache")):
        monkeypatch.setenv(var, str(base / sub))
    yield


@pytest.fixture
def cli():
    """Build (argv, env) for `python -m accelmark_tui ...` subprocesses in a temp home."""

    def make(tmp: Path, *args: str, **extra: str) -> tuple[list[str], dict[str, str]]:
        env = dict(os.environ)
        env.update(ACCELMARK_DATA_DIR=str(tmp / "data"), ACCELMARK_CONFIG_DIR=str(tmp / "config"),
                   ACCELMARK_CACHE_DIR=str(tmp / "cache"), PYTHONPATH=str(ROOT))
        env.update(extra)
        return [sys.executable, "-m", "accelmark_tui", *args], env

    return make


@pytest.fixture(scope="session")
def quant_ladder(tmp_path_factory) -> dict[str, Path]:
    """The embedded model as F16 and three llama.cpp quantizations of it, built once a test session
    (engine/ladder.py); {file type: path}, highest precision first."""
    from accelmark_tui.engine.ladder import DEFAULT_TYPES, build_ladder

    return build_ladder(tmp_path_factory.mktemp("ladder"), DEFAULT_TYPES)
