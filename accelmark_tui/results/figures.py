"""The figures a result submits, their digest, and how two copies of them are compared.

The leaderboard shows a result's metric blocks (``metrics.<scenario>``) and its
accuracy receipt. When a result document is assembled, a SHA-256 of each of
those parts (over canonical JSON) goes under ``meta.figures_digest``, so a hand
edit of a figure is caught even in a copied folder without its samples. The
digest is a tamper *check*, not a signature: whoever edits a figure and
recomputes the digest is caught only where the samples are still there (the
submit checklist recomputes the figures from them).

Comparing recorded with recomputed figures: integers, booleans, strings and
nulls must be equal; floats must agree to a relative 1e-6. The recomputation
runs the same builder on the same records, so the only legitimate difference
is float rounding across Python or library versions (relative ~1e-15, enough
to flip a rounded last digit only exactly on a tie); 1e-6 is far above that
and far below any edit of a figure's shown digits (0.1 % or more for figures
shown with up to four significant digits).
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any, Iterator, Mapping

DIGEST_KEY = "figures_digest"  # under result.json's meta
FLOAT_REL_TOL = 1e-6
# The accuracy receipt's text fields (framework, precision, notes) are not figures.
_ACCURACY_TEXT = ("framework", "precision", "notes")


def submitted_figures(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a result document the leaderboard shows: each metric block, and the accuracy figures."""
    metrics = doc.get("metrics") if isinstance(doc.get("metrics"), dict) else {}
    parts: dict[str, Any] = {str(name): block for name, block in metrics.items()}
    acc = doc.get("accuracy")
    if isinstance(acc, dict):
        parts["accuracy"] = {k: v for k, v in acc.items() if k not in _ACCURACY_TEXT}
    return parts


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest_of(doc: Mapping[str, Any]) -> dict[str, str]:
    """``{part: sha256 hex}`` of the submitted figures (part: a scenario name or ``accuracy``)."""
    return {part: hashlib.sha256(_canonical(value)).hexdigest() for part, value in submitted_figures(doc).items()}


def stamp(doc: dict[str, Any]) -> dict[str, Any]:
    """Record the digest of ``doc``'s figures under its meta (call once the document is complete)."""
    doc.setdefault("meta", {})[DIGEST_KEY] = digest_of(doc)
    return doc


def digest_mismatches(doc: Mapping[str, Any]) -> list[str] | None:
    """Parts whose figures differ from the digest recorded in ``doc``; None when none was recorded."""
    meta = doc.get("meta") if isinstance(doc.get("meta"), dict) else {}
    recorded = meta.get(DIGEST_KEY)
    if not isinstance(recorded, dict):
        return None
    now = digest_of(doc)
    return [part for part in dict.fromkeys([*recorded, *now]) if recorded.get(part) != now.get(part)]


# ── comparing recorded figures with recomputed ones ──────────────────────────


def same_figure(recorded: Any, recomputed: Any) -> bool:
    """Equal, floats within ``FLOAT_REL_TOL`` (an int and a float of the same value are equal)."""
    if isinstance(recorded, bool) or isinstance(recomputed, bool):
        return recorded is recomputed
    if isinstance(recorded, (int, float)) and isinstance(recomputed, (int, float)):
        if isinstance(recorded, int) and isinstance(recomputed, int):
            return recorded == recomputed
        if math.isnan(recorded) or math.isnan(recomputed):
            return math.isnan(recorded) and math.isnan(recomputed)
        return math.isclose(recorded, recomputed, rel_tol=FLOAT_REL_TOL, abs_tol=1e-12)
    return recorded == recomputed


def differences(recorded: Any, recomputed: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
    """``(field, recorded, recomputed)`` for every figure that differs, depth first.

    Only what the recomputation produces is compared: a key the builder does
    not make (the runner's peak RSS, added after the block is built) is not
    judged here; the digest covers it.
    """
    if isinstance(recomputed, dict) and isinstance(recorded, dict):
        for key, value in recomputed.items():
            if key in recorded:
                yield from differences(recorded[key], value, f"{path}.{key}")
    elif isinstance(recomputed, list) and isinstance(recorded, list):
        if len(recorded) != len(recomputed):
            yield (f"{path} (entries)", len(recorded), len(recomputed))
            return
        for i, (a, b) in enumerate(zip(recorded, recomputed)):
            yield from differences(a, b, f"{path}[{i}]")
    elif not same_figure(recorded, recomputed):
        yield (path, recorded, recomputed)


def shown(value: Any) -> str:
    """A figure as the JSON file shows it (6.4, null, true)."""
    return json.dumps(value, ensure_ascii=False)
