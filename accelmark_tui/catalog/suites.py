"""Suites: ``suites/<suite_id>/suite.json`` in the AccelMark suite schema.

Suites A-G are upstream's specs, bundled unchanged; accelmark's own suites
(``suite_Quick``) use names that cannot collide with upstream letters.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accelmark_tui import resources
from accelmark_tui.catalog.runners import UPSTREAM_LETTERS, CatalogWarning, upstream_letter
from accelmark_tui.errors import CatalogError, UsageError

SCENARIO_SELECTIONS = ("default", "all")

# Parameter counts (billions) of the suites' models, from their model cards;
# the memory estimate is only a fit hint, so a table beats downloading configs.
MODEL_PARAMS_B: dict[str, float] = {
    "meta-llama/Meta-Llama-3-8B-Instruct": 8.03,
    "meta-llama/Meta-Llama-3-70B-Instruct": 70.6,
    "meta-llama/Llama-3.1-8B-Instruct": 8.03,
    "mistralai/Mixtral-8x7B-Instruct-v0.1": 46.7,
    "Qwen/Qwen2.5-0.5B-Instruct": 0.49,
    "HuggingFaceTB/SmolLM2-135M-Instruct": 0.135,
}

# Weight bytes per parameter for the precision tags suites use. Weight-only
# formats (W8A16, W4A16) store weights at the first number's width.
BYTES_PER_PARAM: dict[str, float] = {
    "FP32": 4.0,
    "BF16": 2.0,
    "FP16": 2.0,
    "FP8": 1.0,
    "INT8": 1.0,
    "W8A8": 1.0,
    "W8A16": 1.0,
    "INT4": 0.5,
    "W4A16": 0.5,
}

# Weights are not the whole footprint: KV cache, activations and runtime
# buffers. 20 % is the usual rule of thumb for a short-context fit check.
MEMORY_OVERHEAD = 1.2


@dataclass(frozen=True)
class Suite:
    id: str
    path: Path
    data: dict[str, Any] = field(repr=False, compare=False)

    @property
    def letter(self) -> str | None:
        return upstream_letter(self.id)

    @property
    def is_upstream(self) -> bool:
        """True for upstream's suites A-G (the only ones the leaderboard accepts)."""
        return self.letter is not None

    @property
    def description(self) -> str:
        return str(self.data.get("description", ""))

    @property
    def model_id(self) -> str:
        return str(self.data.get("model_id", ""))

    @property
    def model_short_name(self) -> str:
        return self.model_id.rsplit("/", 1)[-1]

    @property
    def precision_required(self) -> str:
        return str(self.data.get("precision_required", ""))

    @property
    def allowed_precisions(self) -> list[str]:
        return list(self.data.get("allowed_precisions") or [])

    @property
    def num_runs(self) -> int:
        return int(self.data.get("num_runs", 1))

    @property
    def default_scenarios(self) -> list[str]:
        return list(self.data.get("scenarios", {}).get("default") or [])

    @property
    def extra_scenarios(self) -> list[str]:
        return list(self.data.get("scenarios", {}).get("extra") or [])

    def scenarios_for(self, selection: str = "default") -> list[str]:
        """Scenarios to run for ``--scenario default|all|<name>`` (upstream's semantics)."""
        if selection == "default":
            return self.default_scenarios
        if selection == "all":
            return self.default_scenarios + [s for s in self.extra_scenarios if s not in self.default_scenarios]
        if selection in self.default_scenarios or selection in self.extra_scenarios:
            return [selection]
        known = ", ".join(["default", "all", *self.default_scenarios, *self.extra_scenarios])
        raise UsageError(f"{self.id} has no scenario '{selection}'; choose one of: {known}.")

    @property
    def required_chips(self) -> int | str | None:
        """Upstream's ``required_chips``: a count, ``"auto"`` (as many as the model needs) or None."""
        value = self.data.get("required_chips")
        return value if isinstance(value, (int, str)) else None

    @property
    def chip_counts_required(self) -> list[int]:
        """Chip counts a submission must include (suite E: 1 and 2)."""
        return [int(n) for n in self.data.get("chip_counts_required") or []]

    @property
    def min_chips(self) -> int:
        """Fewest chips a machine needs to run the whole suite."""
        counts = self.chip_counts_required
        if counts:
            return max(counts)
        if isinstance(self.required_chips, int):
            return max(1, self.required_chips)
        return 1

    @property
    def model_params_b(self) -> float | None:
        return MODEL_PARAMS_B.get(self.model_id)

    def model_memory_gb_estimate(self, precision: str | None = None) -> float | None:
        """Memory to hold the model at ``precision`` (default: the required one), or None if unknown."""
        params = self.model_params_b
        per_param = BYTES_PER_PARAM.get((precision or self.precision_required).upper())
        if params is None or per_param is None:
            return None
        # 1e9 params x bytes / 1e9 bytes-per-GB: decimal GB, as GPU vendors count.
        return math.ceil(params * per_param * MEMORY_OVERHEAD * 10) / 10


def load_suite(path: Path) -> Suite:
    """Read one suite.json; CatalogError (naming the file) if malformed."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogError(f"Cannot read {path} ({exc.strerror}); restore the suite folder.") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path} is not valid JSON ({exc}); fix or restore that file.") from exc
    if not isinstance(data, dict) or not isinstance(data.get("suite_id"), str):
        raise CatalogError(f"{path} has no suite_id; fix or restore that file.")
    if data["suite_id"] != path.parent.name:
        raise CatalogError(
            f"{path} says suite_id '{data['suite_id']}' but its folder is '{path.parent.name}'; make them match."
        )
    scenarios = data.get("scenarios")
    if not isinstance(scenarios, dict) or not isinstance(scenarios.get("default"), list):
        raise CatalogError(f"{path} has no scenarios.default list; fix or restore that file.")
    return Suite(id=data["suite_id"], path=path, data=data)


def scan_suites(root: Path | None = None) -> tuple[list[Suite], list[str]]:
    """All well-formed suites under ``root`` and one sentence per skipped folder."""
    root = resources.suites_dir() if root is None else Path(root)
    found: list[Suite] = []
    problems: list[str] = []
    if root.is_dir():
        for path in sorted(root.glob("*/suite.json")):
            try:
                found.append(load_suite(path))
            except CatalogError as exc:
                problems.append(str(exc))
    # Upstream A-G first (leaderboard order), then accelmark's own.
    found.sort(key=lambda s: (not s.is_upstream, s.id))
    return found, problems


def discover_suites(root: Path | None = None, *, strict: bool = False) -> list[Suite]:
    """Every suite under ``root`` (default: the bundled suites); see discover_runners for ``strict``."""
    found, problems = scan_suites(root)
    if problems and strict:
        raise CatalogError(problems[0])
    for problem in problems:
        warnings.warn(problem, CatalogWarning, stacklevel=2)
    return found


def normalize_suite_id(name: str) -> str:
    """``F`` / ``f`` / ``suite_F`` → ``suite_F``; ``quick`` → ``suite_quick`` (matched case-insensitively)."""
    name = name.strip().rstrip("/").split("/")[-1]
    if name.lower().startswith("suite_"):
        name = name[6:]
    if len(name) == 1 and name.upper() in UPSTREAM_LETTERS:
        name = name.upper()
    return f"suite_{name}"


def get_suite(suite_id: str, root: Path | None = None) -> Suite:
    """The suite named ``suite_id``, accepting ``F``, ``suite_F`` and ``quick`` style aliases."""
    wanted = normalize_suite_id(suite_id)
    root_path = resources.suites_dir() if root is None else Path(root)
    found, _problems = scan_suites(root_path)
    for suite in found:
        if suite.id == wanted:
            return suite
    folded = [s for s in found if s.id.lower() == wanted.lower()]
    if len(folded) == 1:
        return folded[0]
    broken = root_path / wanted / "suite.json"
    if broken.is_file():
        load_suite(broken)  # the folder exists but is malformed: raise its CatalogError
    raise UsageError(f"Unknown suite '{suite_id}'; `accelmark suites` lists the available ones.")
