"""The figures digest on the real upstream example: it survives writing, re-stamping, and catches an edit."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

from accelmark_tui.jsonfile import atomic_write_json, read_json
from accelmark_tui.results import figures
from accelmark_tui.results.identity import restamp

_path = Path(__file__).resolve().parents[1] / "fixtures" / "github_server.py"
_spec = importlib.util.spec_from_file_location("github_server", _path)
gs = importlib.util.module_from_spec(_spec)
sys.modules["github_server"] = gs
_spec.loader.exec_module(gs)


def test_digest_survives_the_file_and_a_restamp_and_names_the_edited_part(tmp_path):
    run = gs.make_run(tmp_path)
    doc = read_json(run / "result.json")
    assert figures.digest_mismatches(doc) is None  # written without one: nothing to compare
    atomic_write_json(run / "result.json", figures.stamp(doc))
    assert set(read_json(run / "result.json")["meta"][figures.DIGEST_KEY]) == {
        "derived", "offline", "online", "interactive", "accuracy"}
    moved = restamp(run, "alice")  # the submitter and the identity change, the figures do not
    doc = read_json(moved / "result.json")
    assert figures.digest_mismatches(doc) == []
    doc["accuracy"]["notes"] = "explained by hand"  # text, not a figure
    assert figures.digest_mismatches(doc) == []
    doc["metrics"]["interactive"]["tpot_ms_p50"] *= 0.5
    doc["accuracy"]["subset_score"] = 0.9
    assert figures.digest_mismatches(doc) == ["interactive", "accuracy"]


def test_recorded_and_recomputed_figures():
    rows = {"a": 884.9, "n": 8, "ok": True, "rows": [{"x": 1.0}, {"x": 2.5}], "note": "same"}
    assert list(figures.differences(rows, json.loads(json.dumps(rows)), "s")) == []
    assert list(figures.differences({**rows, "a": 884.9 * (1 + 1e-9)}, rows, "s")) == []  # float noise
    edited = {**rows, "a": 885.0, "n": 9, "ok": 1, "rows": [{"x": 1.0}, {"x": 2.6}]}
    assert list(figures.differences(edited, rows, "s")) == [
        ("s.a", 885.0, 884.9), ("s.n", 9, 8), ("s.ok", 1, True), ("s.rows[1].x", 2.6, 2.5)]
    assert list(figures.differences({"rows": []}, rows, "s")) == [("s.rows (entries)", 0, 2)]
    # What the builder does not make (the runner's peak RSS) is left to the digest.
    assert list(figures.differences({**rows, "runner_peak_rss_gb": 1.2}, rows, "s")) == []
