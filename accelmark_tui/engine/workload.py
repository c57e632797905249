"""Requests for each step: dataset prompts and the accuracy subset.

Every run of a step sends the same prompts (runs stay comparable); warm-up
prompts come from the far end of the dataset so they never repeat a measured
prompt (no prefix-cache flattery).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from accelmark_tui.engine.records import GenRequest

ANSWER_RE = re.compile(r"[ABCD]")


def load_prompts(path: str | Path) -> list[dict[str, Any]]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    if not rows:
        raise ValueError(f"dataset {path} is empty")
    return rows


def load_accuracy_items(path: str | Path) -> list[dict[str, Any]]:
    return load_prompts(path)


def accuracy_prompt(item: dict[str, Any]) -> str:
    """The upstream accuracy prompt, exactly."""
    letters = "ABCD"
    lines = [f"Question: {item['question']}"]
    lines += [f"{letters[i]}) {c}" for i, c in enumerate(item["choices"])]
    lines.append("Answer:")
    return "\n".join(lines)


def parse_answer(text: str | None) -> str | None:
    """First A-D in the upper-cased output, as upstream scores it."""
    if not text:
        return None
    m = ANSWER_RE.search(text.upper())
    return m.group(0) if m else None


def requests_for(plan: dict, step: dict, data: list[dict], items: list[dict],
                 run: int) -> tuple[list[GenRequest], list[GenRequest]]:
    """(measured requests, warm-up requests) for one step of one run."""
    max_tokens = int(plan["max_tokens"])
    ignore_eos = bool(plan.get("ignore_eos", False))
    if plan.get("source") == "accuracy":
        reqs = [GenRequest(request_id=i, prompt=accuracy_prompt(it), max_tokens=max_tokens, raw=True)
                for i, it in enumerate(items)]
        return reqs, []
    n = step.get("requests") or len(data)
    reqs = [GenRequest(request_id=i, prompt=data[i % len(data)]["prompt"], max_tokens=max_tokens,
                       ignore_eos=ignore_eos) for i in range(n)]
    w = int(step.get("warmup") or 0)
    warm = [GenRequest(request_id=-1 - i, prompt=data[-1 - (i % len(data))]["prompt"], max_tokens=max_tokens,
                       ignore_eos=ignore_eos) for i in range(w)]
    return reqs, warm


def planned_requests(plan: dict, n_items: int) -> int | None:
    """Measured requests a scenario will send (None when time-bound)."""
    total = 0
    for step in plan["steps"]:
        if plan.get("source") == "accuracy":
            total += n_items
        elif step.get("requests") and step["mode"] != "peak":  # a peak search sends as many trials as it needs
            total += int(step["requests"]) * int(plan["runs"])
        else:
            return None
    return total
