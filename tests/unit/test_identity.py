"""Run identity: the leaderboard's run_id/run_name recomputation, and re-stamping."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from accelmark_tui.errors import UsageError
from accelmark_tui.config import PLACEHOLDER_SUBMITTER
from accelmark_tui.results.identity import (
    chip_slug,
    compute_run_id,
    identity_from_result,
    restamp,
    run_name,
)
from accelmark_tui.results.validate import errors_only, validate_run_dir

EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "results" / "example-result"
EXAMPLE_NAME = "mtt_s4000x1_suite_F_moorethreads_vllm_musa_f2f6f965_4f66d29d"
EXAMPLE_FIELDS = dict(
    chip_name="MTT S4000", chip_memory_gb=48.0, chip_count=1, interconnect=None,
    runner_id="moorethreads_vllm_musa_f2f6f965", framework_version="0.4.2", suite_id="suite_F",
    model_id="Qwen/Qwen2.5-0.5B-Instruct", precision="BF16", submitted_by="JuhaoLiang1997",
)


@pytest.fixture(autouse=True)
def _dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("ACCELMARK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ACCELMARK_CONFIG_DIR", str(tmp_path / "config"))


def example_run(root: Path) -> Path:
    dest = root / "community" / EXAMPLE_NAME
    shutil.copytree(EXAMPLE, dest)
    return dest


def test_example_submission_run_id():
    assert compute_run_id(**EXAMPLE_FIELDS) == "4f66d29d"
    assert run_name("MTT S4000", 1, "suite_F", "moorethreads_vllm_musa_f2f6f965", "4f66d29d") == EXAMPLE_NAME


def test_identity_from_every_example_result():
    for path in [EXAMPLE / "result.json", *sorted(EXAMPLE.glob("*/result.json"))]:
        ident = identity_from_result(json.loads(path.read_text()))
        assert (ident.run_id, ident.run_name) == ("4f66d29d", EXAMPLE_NAME), path


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("MTT S4000", "mtt_s4000"),
        ("NVIDIA GeForce RTX 4090", "nvidia_geforce_rtx_4090"),
        ("Apple M2 Pro/Max-10", "apple_m2_pro_max_10"),
        ("Intel(R) Xeon(R) Gold 6430", "intelr_xeonr_gold_6430"),
        ("AMD Ryzen\u2122 9 7950X", "amd_ryzen_9_7950x"),
        ("A100-SXM4-80GB", "a100_sxm4_80gb"),
    ],
)
def test_chip_slug(name, slug):
    assert chip_slug(name) == slug


def test_normalisation_matches_upstream():
    # Memory is rounded to whole GB before hashing.
    assert compute_run_id(**{**EXAMPLE_FIELDS, "chip_memory_gb": 47.6}) == "4f66d29d"
    assert compute_run_id(**{**EXAMPLE_FIELDS, "chip_memory_gb": "48"}) == "4f66d29d"
    # One chip: the interconnect is not part of the identity.
    assert compute_run_id(**{**EXAMPLE_FIELDS, "interconnect": "NVLink"}) == "4f66d29d"
    # Several chips: it is.
    two = {**EXAMPLE_FIELDS, "chip_count": 2}
    assert compute_run_id(**{**two, "interconnect": "NVLink"}) != compute_run_id(**{**two, "interconnect": None})
    # Every configuration field moves the hash.
    for key, value in [("submitted_by", PLACEHOLDER_SUBMITTER), ("precision", "FP16"), ("framework_version", "0.4.3")]:
        assert compute_run_id(**{**EXAMPLE_FIELDS, key: value}) != "4f66d29d"


def test_identity_from_incomplete_result_says_what_is_missing():
    doc = json.loads((EXAMPLE / "result.json").read_text())
    del doc["software"]
    with pytest.raises(ValueError, match="software"):
        identity_from_result(doc)


def test_restamp_renames_and_rewrites(tmp_path):
    old = example_run(tmp_path)
    new = restamp(old, "octocat")
    assert not old.exists() and new.is_dir()
    expected = compute_run_id(**{**EXAMPLE_FIELDS, "submitted_by": "octocat"})
    assert new.name == f"mtt_s4000x1_suite_F_moorethreads_vllm_musa_f2f6f965_{expected}"
    for path in [new / "result.json", *new.glob("*/result.json")]:
        meta = json.loads(path.read_text())["meta"]
        assert meta["submitted_by"] == "octocat"
        assert (meta["run_id"], meta["run_name"]) == (expected, new.name)
    dirs = json.loads((new / "result.json").read_text())["meta"]["scenario_dirs"]
    assert dirs["offline"] == f"results/community/{new.name}/offline"
    # The measurements are untouched.
    assert json.loads((new / "offline" / "result.json").read_text())["metrics"] == \
        json.loads((EXAMPLE / "offline" / "result.json").read_text())["metrics"]
    assert errors_only(validate_run_dir(new)) == []
    # Re-stamping with the same login is a no-op.
    assert restamp(new, "octocat") == new


def test_restamp_refuses_bad_login_and_existing_target(tmp_path):
    old = example_run(tmp_path)
    with pytest.raises(UsageError):
        restamp(old, "not a login")
    taken = old.parent / run_name("MTT S4000", 1, "suite_F", "moorethreads_vllm_musa_f2f6f965",
                                   compute_run_id(**{**EXAMPLE_FIELDS, "submitted_by": "octocat"}))
    taken.mkdir()
    with pytest.raises(UsageError, match="already exists"):
        restamp(old, "octocat")
    # Nothing was rewritten when the rename could not happen.
    assert json.loads((old / "result.json").read_text())["meta"]["submitted_by"] == "JuhaoLiang1997"
