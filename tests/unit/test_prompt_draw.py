"""Prompts are dealt without replacement across a whole run: no request repeats one by accident.

A server's prompt cache makes a repeated prompt's prefill nearly free, so a plan that sends a
prompt twice measures the cache. These tests build real plans from the bundled suite and dataset.
"""

from __future__ import annotations

import json

from accelmark_tui import resources
from accelmark_tui.engine import blocks, workload
from accelmark_tui.engine.plan import Options, plan_scenario
from accelmark_tui.engine.records import RequestRecord
from accelmark_tui.resources import suites_dir

SUITE = json.loads((suites_dir() / "suite_Quick" / "suite.json").read_text())
DATA = workload.load_prompts(resources.dataset_path(SUITE["dataset"]))
DISTINCT = list(dict.fromkeys(row["prompt"] for row in DATA))  # the bundled set repeats a few texts


def _plans(names: list[str], opts: Options) -> list[dict]:
    plans = [plan_scenario(n, SUITE, opts) for n in names]
    workload.assign_prompts(plans, len(DISTINCT), workload.deck_seed(SUITE))
    return plans


def _sent(plan: dict) -> list[tuple[str, str, int, object]]:
    """(prompt, phase, run, level) of every request the runner sends for ``plan`` (warm-ups before run 0)."""
    out = []
    for run in range(plan["runs"]):
        for step in plan["steps"]:
            reqs, warm = workload.requests_for(plan, step, DATA, [], run)
            if run == 0:
                out += [(r.prompt, "warmup", run, step["level"]) for r in warm]
            out += [(r.prompt, "measure", run, step["level"]) for r in reqs]
    return out


def test_no_two_requests_of_a_multi_level_multi_run_plan_share_a_prompt():
    # One scenario on its own: every level, run and warm-up request gets its own prompt.
    sweep = plan_scenario("sweep", SUITE, Options(runs=3, warmup=2, levels=[1, 2, 4], requests=8))
    prompts = [s[0] for s in _sent(sweep)]
    assert len(prompts) == 3 * 3 * 8 + 3 * 2
    assert len(set(prompts)) == len(prompts) and set(prompts) <= set(DISTINCT)

    # A whole run: the scenarios' shares of the draw never overlap either.
    plans = _plans(["offline", "online", "interactive", "sweep"],
                   Options(runs=3, warmup=2, levels=[1, 2, 4], requests=8))
    sent = [s for p in plans for s in _sent(p)]
    assert {p for _, p, _, _ in sent} == {"warmup", "measure"} and len({r for _, _, r, _ in sent}) == 3
    assert [len({lvl for _, _, _, lvl in _sent(p)}) for p in plans] == [2, 2, 1, 3]
    assert len(sent) < len(DISTINCT)  # the plan fits the dataset: every request gets its own dataset prompt
    prompts = [s[0] for s in sent]
    assert len(set(prompts)) == len(prompts)
    assert set(prompts) <= set(DISTINCT)


def test_the_same_job_sends_the_same_prompts_in_the_same_order_and_a_resume_too():
    opts = Options(runs=2, warmup=1, levels=[1, 2], requests=5)
    first = _plans(["offline", "sweep"], opts)
    again = _plans(["offline", "sweep"], opts)
    assert [_sent(p) for p in first] == [_sent(p) for p in again]
    # A resumed run's job holds only the scenarios left; their layout came from the whole plan.
    resumed = [p for p in again if p["name"] == "sweep"]
    assert _sent(resumed[0]) == _sent(first[1])
    # Another suite (another seed) deals in another order.
    other = [plan_scenario("sweep", SUITE, opts)]
    workload.assign_prompts(other, len(DISTINCT), workload.deck_seed({**SUITE, "suite_id": "suite_Other"}))
    assert [s[0] for s in _sent(other[0])] != [s[0] for s in _sent(first[1])]


def test_a_run_larger_than_the_dataset_gets_unique_prefixes_and_the_block_counts_them():
    n = len(DISTINCT)
    plan = _plans(["sweep"], Options(runs=1, warmup=0, levels=[1, 2], requests=n - 10))[0]
    sent = [s[0] for s in _sent(plan)]
    assert len(sent) == 2 * (n - 10) and len(set(sent)) == len(sent)
    plain = [p for p in sent if p in DISTINCT]
    prefixed = [p for p in sent if p not in DISTINCT]
    assert len(plain) == n and len(prefixed) == n - 20
    # Each repeat is a dataset prompt behind a short prefix that no other request starts with.
    for p in prefixed:
        head, _, body = p.partition(") ")
        assert head.isdigit() and body in DISTINCT
    assert len({p.partition(") ")[0] for p in prefixed}) == len(prefixed)
    assert len({p[:1] for p in prefixed[:10]}) == 10  # neighbours differ from the first character

    records = []
    for i, req in enumerate(workload.requests_for(plan, plan["steps"][1], DATA, [], 0)[0]):
        r = RequestRecord(request_id=i, scenario="sweep", prompt_id=req.request_id, level=2)
        r.sent_ns, r.first_token_ns, r.end_ns, r.output_tokens, r.input_tokens = 0, 1, 2, 1, 10
        records.append(r)
    block = blocks.build("sweep", records, plan, blocks.ReportContext())
    reuse = block["prompt_reuse"]
    assert reuse["dataset_prompts"] == n and reuse["requests"] == n - 10 and reuse["unique_prefix"] == n - 20
    assert "unique prefix" in reuse["note"]


def test_time_bound_burst_and_peak_steps_draw_past_their_pool_without_wrapping():
    plans = _plans(["offline", "peak", "burst", "sustained"], Options(runs=1, warmup=1, sla_ttft_ms=500.0))
    seen: set[str] = set()
    for plan in plans:
        step = plan["steps"][0]
        prompts = workload.step_prompts(plan, step, DATA, 0)
        # Burst and sustained once cycled a pool of the dataset; peak re-sent its few prompts every trial.
        count = len(DISTINCT) + 50 if step["mode"] in workload.OPEN_ENDED else step["requests"]
        sent = [r.prompt for r in prompts.warm()] + [prompts.request(k).prompt for k in range(count)]
        assert len(set(sent)) == len(sent), plan["name"]
        assert not seen & set(sent), plan["name"]
        seen |= set(sent)
    assert workload.requests_for(plans[1], plans[1]["steps"][0], DATA, [], 0)[0] == [
        workload.step_prompts(plans[1], plans[1]["steps"][0], DATA, 0).request(k)
        for k in range(plans[1]["steps"][0]["requests"])]


def test_accuracy_keeps_its_fixed_items():
    items = workload.load_accuracy_items(resources.schema_path("accuracy_subset.jsonl"))
    plan = _plans(["accuracy"], Options())[0]
    reqs, warm = workload.requests_for(plan, plan["steps"][0], DATA, items, 0)
    assert "prompts" not in plan and not warm
    assert [r.prompt for r in reqs] == [workload.accuracy_prompt(it) for it in items]
    assert workload.prompt_reuse([0, 1], plan) is None
