"""`accelmark results` end to end, in a subprocess, on a run folder built from the upstream example."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "tests" / "fixtures" / "results" / "example-result"
EXAMPLE_NAME = "mtt_s4000x1_suite_F_moorethreads_vllm_musa_f2f6f965_4f66d29d"


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    out = dict(os.environ)
    out.update(
        PYTHONPATH=str(REPO) + os.pathsep + out.get("PYTHONPATH", ""),
        ACCELMARK_DATA_DIR=str(tmp_path / "data"),
        ACCELMARK_CONFIG_DIR=str(tmp_path / "config"),
        ACCELMARK_CACHE_DIR=str(tmp_path / "cache"),
    )
    return out


@pytest.fixture
def root(tmp_path) -> Path:
    base = tmp_path / "results"
    shutil.copytree(EXAMPLE, base / "community" / EXAMPLE_NAME)
    return base


def accelmark(env, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "accelmark_tui", *args], env=env, capture_output=True, text=True,
                          timeout=60)


def test_list_json(env, root):
    proc = accelmark(env, "results", "--output-dir", str(root), "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["root"] == str(root)
    [run] = data["runs"]
    assert run["run_name"] == EXAMPLE_NAME and run["status"] == "complete"
    assert run["best_offline_tok_s"] == 2004.02 and run["online_max_valid_qps"] == 40


def test_list_table_and_default_root(env, root, tmp_path):
    proc = accelmark(env, "results", "--output-dir", str(root))
    assert proc.returncode == 0 and EXAMPLE_NAME in proc.stdout and "| run " in proc.stdout
    # Default root: <ACCELMARK_DATA_DIR>/results, empty here; nothing is created by looking.
    proc = accelmark(env, "results")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"No runs under {tmp_path / 'data' / 'results'} yet; run `accelmark run` to make one."
    assert not (tmp_path / "data").exists()


def test_list_shows_the_quant_as_people_name_it(env, root):
    result = root / "community" / EXAMPLE_NAME / "result.json"
    doc = json.loads(result.read_text())
    doc["model"]["quantization_method"] = "gguf_q8_0"
    result.write_text(json.dumps(doc))
    proc = accelmark(env, "results", "--output-dir", str(root))
    assert proc.returncode == 0, proc.stderr
    header, _, row = proc.stdout.splitlines()[:3]
    cells = dict(zip((c.strip() for c in header.split("|")), (c.strip() for c in row.split("|"))))
    assert cells["quant"] == "Q8_0" and cells["precision"] == "BF16"


def test_show_formats(env, root):
    text = accelmark(env, "results", "show", EXAMPLE_NAME[:12], "--output-dir", str(root))
    assert text.returncode == 0, text.stderr
    assert "Online (SLA: TTFT p99 <= 500 ms" in text.stdout and "2004.02" in text.stdout

    as_json = accelmark(env, "results", "--output-dir", str(root), "show", EXAMPLE_NAME, "--json")
    data = json.loads(as_json.stdout)
    assert data["result"]["meta"]["run_id"] == "4f66d29d"
    assert set(data["scenarios"]) == {"offline", "online", "interactive"}
    assert data["accuracy"]["subset_score"] == 0.07 and data["state"] is None

    folder = str(root / "community" / EXAMPLE_NAME)
    as_csv = accelmark(env, "results", "show", folder, "--csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    # offline 3, online 2 + its max-valid-QPS row, interactive, accuracy
    assert len(rows) == 8 and all(r["framework_version"] == "0.4.2" and r["chip"] == "MTT S4000" for r in rows)

    md = accelmark(env, "results", "show", folder, "--markdown")
    assert md.returncode == 0 and md.stdout.startswith(f"## {EXAMPLE_NAME}")


@pytest.mark.parametrize("args", [["show", "no-such-run"], ["show", "/no/such/folder"]])
def test_unknown_run_is_one_sentence(env, root, args):
    proc = accelmark(env, "results", "--output-dir", str(root), *args)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("accelmark: No run named") and "Traceback" not in proc.stderr


def test_conflicting_formats_are_an_argument_error(env, root):
    proc = accelmark(env, "results", "show", EXAMPLE_NAME, "--csv", "--markdown", "--output-dir", str(root))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_headless_results_never_import_textual(env, root):
    code = ("import sys; from accelmark_tui.cli import main; "
            f"rc = main(['results', '--output-dir', {str(root)!r}]); "
            f"main(['results', 'show', {EXAMPLE_NAME!r}, '--output-dir', {str(root)!r}]); "
            "print('TEXTUAL' if 'textual' in sys.modules else 'CLEAN', rc)")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "CLEAN 0"


def test_a_run_id_prefix_names_a_run_in_every_command(env, root):
    shown = accelmark(env, "results", "show", "4f66d", "--output-dir", str(root))
    assert shown.returncode == 0, shown.stderr
    assert f"Run        {EXAMPLE_NAME}" in shown.stdout
    checked = accelmark(env, "validate", "4f66d", "--output-dir", str(root))
    assert EXAMPLE_NAME in checked.stdout + checked.stderr and "No run named" not in checked.stderr


def _with_background(run_dir: Path, shares: dict[str, float]) -> None:
    """The example run as if accelmark had sampled background load while each scenario was measured."""
    for path, name in [(run_dir / "result.json", None), *((run_dir / s / "result.json", s) for s in shares)]:
        doc = json.loads(path.read_text())
        for s, share in shares.items():
            if name in (None, s):
                doc["metrics"][s]["background_cpu"] = {"mean_share": share, "max_share": min(1.0, share + 0.1),
                                                       "samples": 40, "seconds": 20.1, "cpus": 2}
        path.write_text(json.dumps(doc))


def test_show_warns_of_background_load(env, root):
    _with_background(root / "community" / EXAMPLE_NAME, {"offline": 0.42, "interactive": 0.03})
    text = accelmark(env, "results", "show", EXAMPLE_NAME, "--output-dir", str(root))
    assert text.returncode == 0, text.stderr
    assert "offline      42% (max 52%), 40 samples over 20.1 s" in text.stdout
    assert "interactive  3% (max 13%), 40 samples over 20.1 s" in text.stdout
    warning = ("other processes used 42% (max 52%) of the CPU while offline was measured, above the 10% threshold; "
               "its figures may be low")
    assert f"\nwarning: {warning}" in text.stdout and "while interactive was measured" not in text.stdout
    md = accelmark(env, "results", "show", EXAMPLE_NAME, "--markdown", "--output-dir", str(root))
    assert md.returncode == 0 and f"> **Warning: {warning}" in md.stdout
    assert "while interactive was measured" not in md.stdout
