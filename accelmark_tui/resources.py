"""Locate the bundled runners/, suites/ and assets/ folders.

In the repo they are top-level folders; installed they live under
``accelmark_tui`` (see pyproject's package-dir). Both resolve through the
``accelmark_tui.<name>`` package, so callers never care which.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path


@cache
def bundled_dir(name: str) -> Path:
    """Path of ``runners``, ``suites`` or ``assets``."""
    tree = Path(__file__).resolve().parent.parent
    if (tree / "pyproject.toml").is_file() and (tree / name).is_dir():
        # A source tree (a git worktree too): its own folders, not those an editable install maps to another tree.
        return tree / name
    spec = importlib.util.find_spec(f"accelmark_tui.{name}")
    if spec is not None and spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0])
    return tree / name


def runners_dir() -> Path:
    return bundled_dir("runners")


def suites_dir() -> Path:
    return bundled_dir("suites")


def assets_dir() -> Path:
    return bundled_dir("assets")


def schema_path(name: str) -> Path:
    """An upstream JSON schema bundled in ``assets/schema``."""
    return assets_dir() / "schema" / name


def dataset_path(name: str) -> Path:
    return assets_dir() / "datasets" / name / "requests.jsonl"
