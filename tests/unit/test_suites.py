"""Suites: schema-valid, upstream ones unchanged, accelmark's own within upstream's floors."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from accelmark_tui import resources
from accelmark_tui.catalog.suites import discover_suites, get_suite, normalize_suite_id
from accelmark_tui.errors import CatalogError, UsageError

SUITES = resources.suites_dir()
SUITE_FILES = sorted(SUITES.glob("*/suite.json"))
SUITE_SCHEMA = json.loads(resources.schema_path("suite.schema.json").read_text())
UPSTREAM = Path(__file__).resolve().parents[2].parent / "shared" / "accelmark-upstream" / "suites"


@pytest.mark.parametrize("path", SUITE_FILES, ids=lambda p: p.parent.name)
def test_suite_validates_against_upstream_schema(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.validate(data, SUITE_SCHEMA)
    assert data["suite_id"] == path.parent.name
    assert (resources.assets_dir() / "datasets" / data["dataset"]).is_dir() or data["dataset"] == "sharegpt_longctx_v1"


@pytest.mark.parametrize("letter", "ABCDEFG")
def test_upstream_suites_are_byte_identical(letter: str) -> None:
    upstream = UPSTREAM / f"suite_{letter}" / "suite.json"
    if not upstream.is_file():
        pytest.skip("../shared/accelmark-upstream is not present")
    assert (SUITES / f"suite_{letter}" / "suite.json").read_bytes() == upstream.read_bytes()


def test_accelmark_suites_stay_within_upstream_floors() -> None:
    own = [s for s in discover_suites() if not s.is_upstream]
    assert [s.id for s in own] == ["suite_Quick"]
    for suite in own:
        assert suite.id.startswith("suite_") and len(suite.id) > len("suite_X")  # cannot collide with a letter
        assert suite.num_runs >= 3
        assert suite.data["output_tokens_max"] <= 64


def test_discovery_order_and_upstream_flag() -> None:
    ids = [s.id for s in discover_suites()]
    assert ids[:7] == [f"suite_{x}" for x in "ABCDEFG"]
    assert get_suite("A").is_upstream and not get_suite("quick").is_upstream


@pytest.mark.parametrize("alias", ["F", "f", "suite_F", "SUITE_F", " suites/suite_F/ "])
def test_get_suite_aliases(alias: str) -> None:
    assert get_suite(alias).id == "suite_F"


def test_quick_alias_and_unknown() -> None:
    assert normalize_suite_id("quick") == "suite_quick"
    assert get_suite("quick").id == "suite_Quick"
    with pytest.raises(UsageError, match=r"^Unknown suite 'Z'; `accelmark suites` lists the available ones\.$"):
        get_suite("Z")


def test_scenarios_for() -> None:
    a = get_suite("A")
    assert a.scenarios_for() == ["accuracy", "offline", "online"]
    assert a.scenarios_for("all") == ["accuracy", "offline", "online", "interactive", "sustained", "speculative", "burst"]
    assert a.scenarios_for("burst") == ["burst"]
    assert a.scenarios_for("online") == ["online"]
    with pytest.raises(UsageError, match="suite_E has no scenario 'online'"):
        get_suite("E").scenarios_for("online")


def test_memory_estimates() -> None:
    assert get_suite("A").model_memory_gb_estimate() == pytest.approx(8.03 * 2 * 1.2, abs=0.1)
    assert get_suite("B").model_memory_gb_estimate() == pytest.approx(70.6 * 2 * 1.2, abs=0.1)
    assert get_suite("G").model_memory_gb_estimate("FP16") == pytest.approx(46.7 * 2 * 1.2, abs=0.1)
    assert get_suite("C").model_memory_gb_estimate("W4A16") == pytest.approx(8.03 * 0.5 * 1.2, abs=0.1)
    assert get_suite("F").model_memory_gb_estimate() == pytest.approx(0.49 * 2 * 1.2, abs=0.1)
    assert get_suite("quick").model_memory_gb_estimate() < 0.2  # INT4
    assert get_suite("A").model_memory_gb_estimate("NF7") is None  # unknown precision: no guess


def test_chip_requirements() -> None:
    assert get_suite("E").chip_counts_required == [1, 2]
    assert get_suite("E").min_chips == 2
    assert get_suite("B").required_chips == "auto" and get_suite("B").min_chips == 1
    assert get_suite("A").required_chips is None and get_suite("A").min_chips == 1


def test_malformed_suite(tmp_path: Path) -> None:
    (tmp_path / "suite_Bad").mkdir()
    (tmp_path / "suite_Bad" / "suite.json").write_text("[1,")
    (tmp_path / "suite_Moved").mkdir()
    (tmp_path / "suite_Moved" / "suite.json").write_text(json.dumps({"suite_id": "suite_Other", "scenarios": {}}))
    with pytest.warns(UserWarning):
        assert discover_suites(tmp_path) == []
    with pytest.raises(CatalogError, match=r"suite_Bad/suite.json is not valid JSON"):
        get_suite("Bad", root=tmp_path)
    with pytest.raises(CatalogError, match="says suite_id 'suite_Other' but its folder is 'suite_Moved'"):
        get_suite("Moved", root=tmp_path)
    with pytest.raises(CatalogError, match="suite_Bad"):
        discover_suites(tmp_path, strict=True)
