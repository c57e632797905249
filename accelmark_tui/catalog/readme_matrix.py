"""The README's runner × suite matrix, generated from runners/*/meta.json (``accelmark dev matrix``).

Never hand-edited: upstream's README has the same table between marker comments,
made by its tools/generate_platforms_matrix.py, whose columns and legend this
follows, with accelmark's own suites (``accelmark.suite_support``) after A–G.
Rows are in the order ``accelmark runners`` lists them, marks are its marks.
"""

from __future__ import annotations

import json
from pathlib import Path

from accelmark_tui import resources
from accelmark_tui.catalog.fit import STATUS_SYMBOLS
from accelmark_tui.catalog.runners import RunnerInfo, scan_runners
from accelmark_tui.catalog.suites import Suite, scan_suites
from accelmark_tui.errors import CatalogError, UsageError

START, END = "<!-- runner-matrix:start -->", "<!-- runner-matrix:end -->"
LEGEND = (
    "_Legend: ✓ validated · ⋯ pending (declared in meta.json, not yet run end to end on that hardware) · "
    "— unsupported. A–G are upstream's suites (`suite_support`); the others are accelmark's own "
    "(`accelmark.suite_support`), which the leaderboard does not take._"
)


def default_root() -> Path:
    """The source tree the bundled runners live in: its README.md, runners/ and suites/."""
    return resources.runners_dir().parent


def _platform_names() -> dict[str, str]:
    # schema/platforms.json names a platform when a runner gives no hardware_label (as upstream).
    try:
        data = json.loads(resources.schema_path("platforms.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    platforms = data.get("platforms", [])
    return {str(p["id"]): str(p["display_name"]) for p in platforms if "id" in p and "display_name" in p}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _hardware(runner: RunnerInfo, names: dict[str, str]) -> str:
    return str(runner.meta.get("hardware_label") or names.get(runner.platform) or runner.platform.capitalize())


def render(runners: list[RunnerInfo], suites: list[Suite]) -> str:
    """The table and its legend, ending in a newline."""
    names = _platform_names()
    columns = [s.letter or s.id.removeprefix("suite_") for s in suites]
    lines = [
        "| Hardware | Runner folder | Framework | " + " | ".join(columns) + " |",
        "|---|---|---|" + ":-:|" * len(suites),
    ]
    for r in runners:
        marks = [STATUS_SYMBOLS[r.suite_status(s.id)] for s in suites]
        lines.append(f"| {_cell(_hardware(r, names))} | `{r.id}` | {_cell(r.framework)} | " + " | ".join(marks) + " |")
    return "\n".join([*lines, "", LEGEND]) + "\n"


def current_table(root: Path) -> str:
    """The table ``root``'s runner folders say today; a malformed folder is an error, not a missing row."""
    runners, problems = scan_runners(root / "runners")
    suites, suite_problems = scan_suites(root / "suites")
    if problems or suite_problems:
        raise CatalogError((problems + suite_problems)[0])
    return render(runners, suites)


def splice(readme: str, table: str, where: Path) -> str:
    """``readme`` with the text between the marker lines replaced by ``table``."""
    if START not in readme or END not in readme or readme.index(START) > readme.index(END):
        raise UsageError(f"{where} has no {START} … {END} lines; add them where the runner matrix goes.")
    before, rest = readme.split(START, 1)
    after = rest.split(END, 1)[1]
    return f"{before}{START}\n{table}{END}{after}"


def read_readme(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(
            f"No README at {path} (an installed accelmark has none); pass --root with a source tree.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"Cannot read {path} ({exc}); pass --root with a readable source tree.") from exc
