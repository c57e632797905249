"""Prompt-cache hits are drawn out and measured: runs of the endpoint runner against a fake server
(tests/fixtures/openai_server.py) that keeps a real prefix cache of the prompts it has seen."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from accelmark_tui import resources
from accelmark_tui.engine import workload
from accelmark_tui.results.validate import validate_result
from accelmark_tui.scenarios import registry

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from openai_server import FakeOpenAI  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SUITE = json.loads((ROOT / "suites" / "suite_Quick" / "suite.json").read_text())
DISTINCT = len({row["prompt"] for row in workload.load_prompts(resources.dataset_path(SUITE["dataset"]))})


def sweep(cli, tmp_path, srv, *args: str) -> tuple[subprocess.CompletedProcess, Path, dict, list[dict]]:
    argv, env = cli(tmp_path, "run", "--runner", "other_openai_endpoint", "--output-dir", str(tmp_path / "out"),
                    "--base-url", srv.base_url, "--scenario", "sweep", "--json", *args)
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    run_dir = Path(json.loads(proc.stdout)["run_dir"])
    doc = json.loads((run_dir / "result.json").read_text())
    assert validate_result(doc) == []
    lines = (run_dir / "sweep" / "samples.jsonl").read_text().splitlines()[1:]
    return proc, run_dir, doc, [json.loads(x) for x in lines if x.strip()]


def _share(recs: list[dict]) -> float:
    ok = [r for r in recs if r["phase"] == "measure" and not r.get("error_type")]
    return round(sum(r["cached_input_tokens"] for r in ok) / sum(r["input_tokens"] for r in ok), 4)


@pytest.mark.parametrize("shape", ["usage", "timings"])
def test_cache_share_is_parsed_and_reported_per_level(cli, tmp_path, shape):
    args = ("--levels", "1,2,4", "--requests", "6", "--runs", "2", "--warmup", "1")
    with FakeOpenAI(tokens=4, prompt_cache=shape) as srv:
        _, run_dir, doc, recs = sweep(cli, tmp_path, srv, *args)
        stats = srv.stats()
        # Every request had its own prompt: the server's cache served a few shared leading words at most.
        assert stats["cached_prompt_tokens"] < 0.05 * stats["prompt_tokens"], stats
        # What the server counted is what the runner parsed, request by request (warm-ups included).
        assert sum(r["input_tokens"] for r in recs) == stats["prompt_tokens"] > 0
        assert sum(r["cached_input_tokens"] for r in recs) == stats["cached_prompt_tokens"]
        points = {p["concurrency"]: p for p in doc["metrics"]["sweep"]["points"]}
        assert list(points) == [1, 2, 4]
        for level, p in points.items():
            assert p["prompt_cache_share"] == _share([r for r in recs if r["level"] == level]) < 0.05, p
        assert doc["metrics"]["sweep"]["prompt_reuse"]["unique_prefix"] == 0

        # The same command again (--force) sends the same prompts: now the cache serves nearly all.
        proc, _, doc2, recs2 = sweep(cli, tmp_path, srv, *args, "--force")
    for p in doc2["metrics"]["sweep"]["points"]:
        assert p["prompt_cache_share"] == _share([r for r in recs2 if r["level"] == p["concurrency"]]) > 0.9, p
    # The table says so, in the terminal, the app and the export.
    view = registry.view("sweep", doc2["metrics"]["sweep"])
    assert view.headers[-1] == "cache %"
    assert [row[-1] for row in view.cells(narrow=False)] == [
        f"{p['prompt_cache_share'] * 100:.2f}" for p in doc2["metrics"]["sweep"]["points"]]
    assert all(figures["prompt_cache_pct"] > 90 for _, _, figures in view.export_rows())


def test_a_run_larger_than_the_dataset_repeats_prompts_only_behind_unique_prefixes(cli, tmp_path):
    per_level = DISTINCT // 3 + 5
    levels = (1, 2, 4)
    needed = len(levels) * per_level + sum(levels)  # measured + one warm-up per slot
    assert needed > DISTINCT
    with FakeOpenAI(tokens=2, prompt_cache="usage") as srv:
        proc, run_dir, doc, recs = sweep(cli, tmp_path, srv, "--levels", "1,2,4", "--requests", str(per_level),
                                         "--runs", "1")
        stats = srv.stats()
    # The repeats went behind unique prefixes, so the server's cache could not serve them.
    assert stats["cached_prompt_tokens"] < 0.05 * stats["prompt_tokens"], stats
    assert len(recs) == needed
    reuse = doc["metrics"]["sweep"]["prompt_reuse"]
    assert reuse["dataset_prompts"] == DISTINCT and reuse["requests"] == needed
    assert reuse["unique_prefix"] == needed - DISTINCT and "unique prefix" in reuse["note"]
    assert f"{needed - DISTINCT} of its {needed} requests repeated one behind a unique prefix" in proc.stderr
    assert all(p["prompt_cache_share"] < 0.05 for p in doc["metrics"]["sweep"]["points"])
    assert len({r["prompt_id"] for r in recs}) == needed
