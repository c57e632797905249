"""Every bundled runner folder follows the AccelMark convention, and rehash keeps it so."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest

from accelmark_tui import resources
from accelmark_tui.catalog.rehash import check_runner, rehash_runner
from accelmark_tui.catalog.runners import (
    CatalogWarning,
    discover_runners,
    get_runner,
    runner_hash,
)
from accelmark_tui.errors import CatalogError, UsageError

RUNNERS = resources.runners_dir()
FOLDERS = sorted(p for p in RUNNERS.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))
META_SCHEMA = json.loads(resources.schema_path("meta.schema.json").read_text())
LETTERS = set("ABCDEFG")
STATUSES = {"validated", "pending", "unsupported"}


def test_there_is_a_runner_per_device_family() -> None:
    platforms = {f.name.split("_", 1)[0] for f in FOLDERS}
    assert {"cpu", "nvidia", "amd", "apple"} <= platforms


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_folder_follows_convention(folder: Path) -> None:
    assert {"runner.py", "meta.json", "requirements.txt"} <= {p.name for p in folder.iterdir()}
    hash8 = hashlib.sha256((folder / "runner.py").read_bytes()).hexdigest()[:8]
    assert folder.name.endswith("_" + hash8), f"{folder.name}: runner.py hashes to {hash8}; run accelmark dev rehash"
    assert runner_hash(folder) == hash8

    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    jsonschema.validate(meta, META_SCHEMA)
    assert meta["id"] == folder.name
    assert re.fullmatch(rf"{meta['platform']}_[a-z][a-z0-9_]*_{hash8}", folder.name)
    assert set(meta.get("suite_support") or {}) <= LETTERS
    assert set(meta["suite_support"].values()) <= STATUSES

    own = meta["accelmark"]
    assert set(own["suite_support"]) and not set(own["suite_support"]) & {f"suite_{x}" for x in LETTERS}
    assert set(own["suite_support"].values()) <= STATUSES
    # An endpoint runner measures a server: its device is "endpoint" whatever the platform label.
    assert own["device"] == ("endpoint" if own.get("kind") == "endpoint" else meta["platform"])
    assert own["requires_modules"] and own["install"]


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_runner_py_is_a_thin_adapter(folder: Path) -> None:
    source = (folder / "runner.py").read_text()
    assert "from accelmark_tui.engine.child import run_child" in source
    assert "run_child(BACKEND, OPTIONS)" in source
    assert len(source.splitlines()) < 30


def test_requirements_pin_the_backend() -> None:
    for folder in FOLDERS:
        lines = (folder / "requirements.txt").read_text().splitlines()
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        # The endpoint runner's client is accelmark itself; the others pin their backend (mlx-lm's, the
        # versions validated; MLX's CPU backend is its own wheel on Linux).
        if meta["accelmark"].get("kind") == "endpoint":
            want = ["accelmark-tui"]
        elif "mlx_lm" in meta["accelmark"]["requires_modules"]:
            want = ['mlx==0.32.4; platform_system == "Darwin"', 'mlx[cpu]==0.32.4; platform_system == "Linux"',
                    "mlx-lm==0.32.2"]
        else:
            want = ["llama-cpp-python==0.3.36"]
        assert lines == want, folder.name


def test_gpu_runners_are_never_validated() -> None:
    # No GPU here: a status of validated would be a claim nobody checked.
    for runner in discover_runners():
        if runner.platform != "cpu" and not runner.is_endpoint:
            statuses = {*runner.meta["suite_support"].values(), *runner.accelmark["suite_support"].values()}
            assert "validated" not in statuses, runner.id


def test_cpu_runner_statuses() -> None:
    cpu = get_runner("cpu_llamacpp")
    assert cpu.suite_status("suite_Quick") == "validated"
    assert [cpu.suite_status(f"suite_{x}") for x in "ADF"] == ["pending"] * 3
    assert [cpu.suite_status(f"suite_{x}") for x in "BCEG"] == ["unsupported"] * 4
    assert cpu.suite_status("suite_Nope") == "unsupported"
    assert cpu.requires_modules == ["llama_cpp"] and cpu.max_chips == 1


def test_get_runner_by_id_prefix_and_unknown() -> None:
    nvidia = get_runner("nvidia_llamacpp")
    assert get_runner(nvidia.id) == nvidia
    with pytest.raises(UsageError, match=r"^Unknown runner 'nope'; `accelmark runners` lists"):
        get_runner("nope")
    with pytest.raises(UsageError, match="ambiguous"):
        get_runner("a")  # amd_… and apple_…


def _copy(folder_name: str, dest: Path) -> Path:
    target = dest / folder_name
    shutil.copytree(RUNNERS / folder_name, target)
    return target


def test_rehash_renames_after_runner_py_changes(tmp_path: Path) -> None:
    original = get_runner("cpu_llamacpp").id
    folder = _copy(original, tmp_path)
    assert not check_runner(folder).changed
    with (folder / "runner.py").open("a") as fh:
        fh.write("# a configuration change\n")
    new_hash = hashlib.sha256((folder / "runner.py").read_bytes()).hexdigest()[:8]

    assert check_runner(folder).changed
    result = rehash_runner(folder)
    assert result.new_id == f"cpu_llamacpp_{new_hash}" != original
    assert not folder.exists()
    moved = tmp_path / result.new_id
    assert json.loads((moved / "meta.json").read_text())["id"] == result.new_id
    assert not check_runner(moved).changed
    assert [r.id for r in discover_runners(tmp_path)] == [result.new_id]


def test_rehash_fixes_a_stale_meta_id(tmp_path: Path) -> None:
    folder = _copy(get_runner("apple_llamacpp").id, tmp_path)
    meta = json.loads((folder / "meta.json").read_text())
    meta["id"] = "apple_llamacpp_00000000"
    (folder / "meta.json").write_text(json.dumps(meta))
    assert check_runner(folder).changed
    assert rehash_runner(folder).new_folder == folder
    assert json.loads((folder / "meta.json").read_text())["id"] == folder.name


def test_rehash_refuses_to_overwrite(tmp_path: Path) -> None:
    folder = _copy(get_runner("cpu_llamacpp").id, tmp_path)
    (folder / "runner.py").write_text((folder / "runner.py").read_text() + "\n")
    (tmp_path / check_runner(folder).new_id).mkdir()
    with pytest.raises(CatalogError, match="already exists"):
        rehash_runner(folder)


def test_malformed_meta_is_skipped_with_a_warning_or_raised(tmp_path: Path) -> None:
    _copy(get_runner("cpu_llamacpp").id, tmp_path)
    broken = tmp_path / "nvidia_broken_12345678"
    broken.mkdir()
    (broken / "runner.py").write_text("")
    (broken / "meta.json").write_text("{not json")
    with pytest.warns(CatalogWarning, match="nvidia_broken_12345678/meta.json is not valid JSON"):
        found = discover_runners(tmp_path)
    assert [r.platform for r in found] == ["cpu"]
    with pytest.raises(CatalogError, match="meta.json"):
        discover_runners(tmp_path, strict=True)
    with pytest.raises(CatalogError, match="not valid JSON"):
        get_runner("nvidia_broken_12345678", root=tmp_path)
