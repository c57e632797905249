"""The README's runner × suite matrix is the one runners/*/meta.json say (never hand-edited)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from accelmark_tui.catalog import readme_matrix
from accelmark_tui.catalog.runners import scan_runners
from accelmark_tui.catalog.suites import scan_suites
from accelmark_tui.errors import UsageError

ROOT = Path(__file__).resolve().parents[2]


def _block(text: str) -> str:
    return text.split(readme_matrix.START + "\n", 1)[1].split(readme_matrix.END, 1)[0]


def test_readme_matrix_matches_the_runners_meta_json() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.count(readme_matrix.START) == readme.count(readme_matrix.END) == 1
    assert _block(readme) == readme_matrix.current_table(ROOT), "regenerate it: accelmark dev matrix"


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def test_every_runner_and_suite_is_in_the_table() -> None:
    table = readme_matrix.current_table(ROOT)
    runners, _ = scan_runners(ROOT / "runners")
    suites, _ = scan_suites(ROOT / "suites")
    header, _rule, *rows = table.split("\n\n")[0].splitlines()
    assert _cells(header)[3:] == [s.letter or s.id.removeprefix("suite_") for s in suites]
    assert {"A", "G", "Quick"} <= set(_cells(header))
    assert [_cells(row)[1] for row in rows] == [f"`{r.id}`" for r in runners]
    symbol = {"validated": "✓", "pending": "⋯", "unsupported": "—"}  # `accelmark runners`' marks
    for r, row in zip(runners, rows):
        assert _cells(row)[3:] == [symbol[r.suite_status(s.id)] for s in suites], r.id


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    shutil.copytree(ROOT / "runners", root / "runners", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "suites", root / "suites", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_a_changed_status_or_label_changes_the_table(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    before = readme_matrix.current_table(root)
    meta_path = next(root.glob("runners/apple_*/meta.json"))
    meta = json.loads(meta_path.read_text())
    meta["suite_support"]["A"] = "validated"
    meta["accelmark"]["suite_support"]["suite_Quick"] = "unsupported"
    del meta["hardware_label"]  # falls back to schema/platforms.json's name, as upstream's generator does
    meta_path.write_text(json.dumps(meta))
    row = next(line for line in readme_matrix.current_table(root).splitlines() if meta["id"] in line)
    cells = _cells(row)
    assert cells[:2] == ["Apple Silicon", f"`{meta['id']}`"]
    assert cells[3] == "✓" and cells[-1] == "—"  # A, then suite_Quick (the last column)
    assert row not in before


def test_splice_replaces_only_the_block_and_needs_the_markers() -> None:
    text = f"intro\n{readme_matrix.START}\nold table\n{readme_matrix.END}\noutro\n"
    assert readme_matrix.splice(text, "new\n", Path("R.md")) == f"intro\n{readme_matrix.START}\nnew\n{readme_matrix.END}\noutro\n"
    with pytest.raises(UsageError, match="R.md has no <!-- runner-matrix:start -->"):
        readme_matrix.splice("no markers here\n", "new\n", Path("R.md"))
