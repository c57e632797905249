"""Folder validation: the real upstream submission passes; edits and gaps are caught."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from accelmark_tui.results.layout import RunDir
from accelmark_tui.results.validate import ERROR, WARNING, errors_only, validate_env, validate_result, validate_run_dir

EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "results" / "example-result"
EXAMPLE_NAME = "mtt_s4000x1_suite_F_moorethreads_vllm_musa_f2f6f965_4f66d29d"


@pytest.fixture(autouse=True)
def _dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("ACCELMARK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ACCELMARK_CONFIG_DIR", str(tmp_path / "config"))


@pytest.fixture
def run(tmp_path) -> Path:
    dest = tmp_path / "results" / "community" / EXAMPLE_NAME
    shutil.copytree(EXAMPLE, dest)
    return dest


def edit(path: Path, fn) -> None:
    doc = json.loads(path.read_text())
    fn(doc)
    path.write_text(json.dumps(doc, indent=2))


def messages(problems, severity=ERROR) -> list[str]:
    return [str(p) for p in problems if p.severity == severity]


def test_example_submission_is_clean(run):
    problems = validate_run_dir(run)
    assert errors_only(problems) == []
    # The one remark: upstream's own accuracy receipt is below its baseline (0.07 vs 0.38).
    assert [p.file for p in problems if p.severity == WARNING] == ["accuracy/accuracy.json"]
    assert validate_run_dir(RunDir.from_path(run)) == problems


def test_documents_validate_individually():
    assert validate_result(json.loads((EXAMPLE / "result.json").read_text())) == []
    assert validate_env(json.loads((EXAMPLE / "env_info.json").read_text())) == []
    env = json.loads((EXAMPLE / "env_info.json").read_text())
    env["accelerators"] = []
    env.pop("cpu")
    assert validate_env(env) == ["(root): 'cpu' is a required property", "accelerators: [] should be non-empty"]


def test_hand_edited_identity_field_is_caught(run):
    edit(run / "result.json", lambda d: d["model"].update(precision="FP16"))
    errors = messages(validate_run_dir(run))
    assert len(errors) == 2  # run_id and run_name no longer match the fields
    assert errors[0].startswith("result.json: meta.run_id is '4f66d29d' but the fields give '")
    assert "meta.run_name" in errors[1]


def test_edited_scenario_submitter_is_caught_in_that_file(run):
    edit(run / "online" / "result.json", lambda d: d["meta"].update(submitted_by="someone-else"))
    errors = messages(validate_run_dir(run))
    assert errors and all(e.startswith("online/result.json: meta.run") for e in errors)


def test_folder_name_must_be_the_run_name(tmp_path):
    dest = tmp_path / "community" / "my-run"
    shutil.copytree(EXAMPLE, dest)
    errors = messages(validate_run_dir(dest))
    assert any("the folder is named 'my-run'" in e for e in errors)


def test_missing_files_and_schema_errors(run):
    (run / "env_info.json").unlink()
    shutil.rmtree(run / "interactive")
    edit(run / "offline" / "result.json", lambda d: d["metrics"]["offline"]["results_by_concurrency"][0].pop("oom"))
    errors = messages(validate_run_dir(run))
    assert "env_info.json: is missing; it must sit in the run folder." in errors
    assert "interactive/result.json: is missing though result.json lists 'interactive'." in errors
    assert "offline/result.json: metrics.offline.results_by_concurrency[0]: 'oom' is a required property" in errors


def test_accuracy_receipt_or_reason(run):
    (run / "accuracy" / "accuracy.json").unlink()
    # The merged result still explains the accuracy: a warning only.
    problems = validate_run_dir(run)
    assert errors_only(problems) == []
    assert any(p.file == "accuracy/accuracy.json" and p.severity == WARNING for p in problems)
    # No receipt and no reason: an error.
    edit(run / "result.json", lambda d: d["accuracy"].update(notes=None))
    errors = messages(validate_run_dir(run))
    assert "accuracy/accuracy.json: is missing; run the accuracy scenario or record why not." in errors
    assert "result.json: accuracy.valid is false but accuracy.notes is empty; say why." in errors


def test_num_runs_floor(run):
    edit(run / "result.json", lambda d: d["task"].update(num_runs=1))
    assert "result.json: task.num_runs is 1 but suite_F needs at least 3." in messages(validate_run_dir(run))


def test_unknown_revision_of_an_endpoint_run(run):
    edit(run / "result.json", lambda d: d["model"].update(model_revision="unknown"))
    errors = messages(validate_run_dir(run))
    assert any(e.startswith("result.json: model.model_revision is unknown; rerun with --model-revision") for e in errors)


def test_incomplete_run_and_not_a_folder(tmp_path, run):
    (run / "result.json").unlink()
    errors = messages(validate_run_dir(run))
    assert errors == ["result.json: is missing; the run is incomplete, resume it to finish."]
    assert messages(validate_run_dir(tmp_path / "nope")) == [f".: {(tmp_path / 'nope').resolve()} is not a folder."]
