"""Where accelmark keeps config, cache and results.

platformdirs locations, each overridable by an environment variable so tests
(and users with unusual layouts) can redirect them. Nothing is written to ``~``
or the current directory unless asked.
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "accelmark"

ENV_CONFIG = "ACCELMARK_CONFIG_DIR"
ENV_CACHE = "ACCELMARK_CACHE_DIR"
ENV_DATA = "ACCELMARK_DATA_DIR"


def _dir(env: str, kind: str) -> Path:
    override = os.environ.get(env)
    if override:
        return Path(override).expanduser()
    import platformdirs  # deferred: keeps `--help` start-up lean

    return Path(getattr(platformdirs, f"user_{kind}_dir")(APP, appauthor=False))


def config_dir() -> Path:
    return _dir(ENV_CONFIG, "config")


def cache_dir() -> Path:
    return _dir(ENV_CACHE, "cache")


def data_dir() -> Path:
    return _dir(ENV_DATA, "data")


def results_root(output_dir: str | os.PathLike[str] | None = None) -> Path:
    """The results root: ``--output-dir`` when given, else ``<data>/results``."""
    if output_dir:
        return Path(output_dir).expanduser()
    return data_dir() / "results"
