"""Requests for each step: dataset prompts, dealt without replacement, and the accuracy subset.

A server's prompt cache turns a repeated prompt into a near-free prefill, so
a request that repeats one measures the cache, not the server: a sweep that
sent the same 8 prompts at every level once reported 119.9 tok/s where 65.6
was true. So every request of a job — measured or warm-up, of every step,
level, run and scenario — has its own number ``g`` in the run's draw order
(``assign_prompts``, laid out over the whole planned run), and ``PromptDeck``
gives request ``g`` the ``g``-th prompt of a seeded shuffle of the dataset's
distinct prompts. Where a run needs more than the dataset has, request
``g >= n`` repeats prompt ``g % n`` behind a unique prefix and the scenario's
block counts them (``prompt_reuse``). The seed and the layout depend only on
the suite and the planned scenarios, so a resumed run and a rerun send the
same prompts in the same order. Accuracy keeps upstream's 100 fixed items.
"""

from __future__ import annotations

import json
import random
import re
import zlib
from dataclasses import dataclass
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


# Steps whose request count is only known as they run (time-bound, schedule-bound, searched):
# their scenarios draw from interleaved tails of the order, after every counted scenario.
OPEN_ENDED = ("duration", "burst", "peak")


def distinct_prompts(data: list[dict[str, Any]]) -> list[str]:
    """The dataset's prompts, each text once (the bundled sets repeat a few), in file order."""
    return list(dict.fromkeys(row["prompt"] for row in data))


def deck_seed(suite: dict[str, Any]) -> int:
    """The shuffle's seed: the suite and its dataset (stable across processes, machines and reruns)."""
    return zlib.crc32(f"{suite.get('suite_id')}/{suite.get('dataset')}".encode())


class PromptDeck:
    """The dataset's distinct prompts in a seeded order; request ``g`` of a run gets prompt ``g``."""

    def __init__(self, data: list[dict[str, Any]], seed: int) -> None:
        self.order = distinct_prompts(data)
        random.Random(seed).shuffle(self.order)

    def __len__(self) -> int:
        return len(self.order)

    def prompt(self, g: int) -> str:
        n = len(self.order)
        if g < n:
            return self.order[g]
        # Past the dataset: the same text behind a prefix no other request has. The number's digits
        # run backwards so neighbouring requests differ in their first character: two requests
        # share at most the chat template and a digit or two, never the prompt.
        return f"{str(g)[::-1]}) {self.order[g % n]}"


def _open_ended(plan: dict[str, Any]) -> bool:
    return any(step["mode"] in OPEN_ENDED for step in plan["steps"])


def _counted(step: dict[str, Any], dataset: int) -> int:
    return int(step.get("requests") or dataset)


def _warmup(step: dict[str, Any], run: int) -> int:
    return int(step.get("warmup") or 0) if run == 0 else 0  # warm-up runs before a step's first run only


def _draws(plan: dict[str, Any], dataset: int) -> int:
    return sum(_warmup(s, r) + _counted(s, dataset) for r in range(int(plan["runs"])) for s in plan["steps"])


def assign_prompts(plans: list[dict[str, Any]], dataset: int, seed: int) -> None:
    """Give every scenario plan of a run its part of the draw order (``plan["prompts"]``).

    ``plans`` must be the whole planned run (finished scenarios too), so a resumed run
    lays out the same order. Counted scenarios take consecutive blocks in plan order;
    the open-ended ones (each a single step) then take every J-th number after them.
    """
    base = 0
    tails = []
    for plan in plans:
        if plan.get("source") == "accuracy":
            continue
        if _open_ended(plan):
            tails.append(plan)
            continue
        plan["prompts"] = {"seed": seed, "dataset": dataset, "base": base, "stride": 1}
        base += _draws(plan, dataset)
    for j, plan in enumerate(tails):
        plan["prompts"] = {"seed": seed, "dataset": dataset, "base": base + j, "stride": len(tails)}


@dataclass(frozen=True, slots=True)
class StepPrompts:
    """One step's requests of one run: its warm-ups, then ``request(k)`` for k = 0, 1, … (open-ended too)."""

    deck: PromptDeck
    base: int  # the plan's first draw number
    stride: int
    first: int  # this step's first draw within the plan (its warm-ups come first)
    warmup: int
    max_tokens: int
    ignore_eos: bool
    raw: bool = False  # the prompt goes to the model as it is, without the chat template (a sweep's raw shapes)

    def _req(self, j: int) -> GenRequest:
        g = self.base + j * self.stride
        return GenRequest(request_id=g, prompt=self.deck.prompt(g), max_tokens=self.max_tokens,
                          ignore_eos=self.ignore_eos, raw=self.raw)

    def warm(self) -> list[GenRequest]:
        return [self._req(self.first + i) for i in range(self.warmup)]

    def request(self, k: int) -> GenRequest:
        return self._req(self.first + self.warmup + k)


def step_prompts(plan: dict[str, Any], step: dict[str, Any], data: list[dict[str, Any]], run: int) -> StepPrompts:
    """Where ``step`` of ``run`` draws from (a plan without ``prompts`` draws from 0 on its own)."""
    spec = plan.get("prompts") or {}
    deck = PromptDeck(data, int(spec.get("seed", 0)))
    si = plan["steps"].index(step)
    first = 0
    for r in range(run + 1):
        for i, s in enumerate(plan["steps"]):
            if (r, i) == (run, si):
                return StepPrompts(deck, int(spec.get("base", 0)), int(spec.get("stride", 1)), first,
                                   _warmup(step, run), int(plan["max_tokens"]), bool(plan.get("ignore_eos", False)),
                                   bool(plan.get("raw", False)))
            first += _warmup(s, r) + _counted(s, len(deck))
    raise ValueError(f"run {run} is not in the plan of {plan.get('name')}")


def requests_for(plan: dict, step: dict, data: list[dict], items: list[dict],
                 run: int) -> tuple[list[GenRequest], list[GenRequest]]:
    """(measured requests, warm-up requests) for one step of one run; the same job gives the same lists."""
    max_tokens = int(plan["max_tokens"])
    if plan.get("source") == "accuracy":
        reqs = [GenRequest(request_id=i, prompt=accuracy_prompt(it), max_tokens=max_tokens, raw=True)
                for i, it in enumerate(items)]
        return reqs, []
    prompts = step_prompts(plan, step, data, run)
    n = _counted(step, len(prompts.deck))
    return [prompts.request(k) for k in range(n)], prompts.warm()


def prompt_reuse(prompt_ids: list[int | None], plan: dict[str, Any]) -> dict[str, Any] | None:
    """How many of a scenario's requests (their draw numbers) repeated a dataset prompt behind a prefix."""
    spec = plan.get("prompts")
    if not spec:
        return None
    n = int(spec["dataset"])
    reused = sum(1 for g in prompt_ids if g is not None and g >= n)
    out: dict[str, Any] = {"dataset_prompts": n, "requests": len(prompt_ids), "unique_prefix": reused}
    if reused:
        out["note"] = (f"the run needed more prompts than the dataset's {n}: {reused} of these {len(prompt_ids)} "
                       "requests (warm-up included) repeated a prompt behind a unique prefix, so no two share "
                       "a cacheable prefix beyond the chat template")
    return out


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
