"""Check a run folder's submitted figures against its samples and its recorded digest.

Where a scenario's ``samples.jsonl`` is still on this machine, its block is
built again with the engine's own builder (``engine.blocks.build``, the plan
from the file's header, the served concurrency and chip count the result
records) and the accuracy receipt is scored again from the accuracy scenario's
per-item records; each result document is compared with that
(``results.figures.differences``). Every document's figures are also checked
against the digest it recorded when it was written (``results.figures``), which
still works on a copied folder without samples.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from accelmark_tui.engine import blocks
from accelmark_tui.engine.records import read_records
from accelmark_tui.engine.resultdoc import accuracy_receipt
from accelmark_tui.errors import AccelmarkError
from accelmark_tui.results import figures
from accelmark_tui.results.layout import RunDir, read_json

SAMPLES = "samples.jsonl"


@dataclass(frozen=True)
class Mismatch:
    field: str  # "interactive.tpot_ms_p50"; a whole part ("interactive") for a digest mismatch
    file: str  # the document holding the recorded figure, relative to the run folder
    recorded: Any = None
    expected: Any = None
    source: str = ""  # where ``expected`` comes from: "samples.jsonl", "result.json"; "" for the digest

    def __str__(self) -> str:
        if not self.source:
            return f"{self.field} in {self.file} does not match the digest recorded when the run was written"
        where = f"from {self.source}" if self.source == SAMPLES else f"in {self.source}"
        return (f"{self.field} is {figures.shown(self.recorded)} in {self.file}, "
                f"{figures.shown(self.expected)} {where}")


def _header(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        first = json.loads(fh.readline() or "{}")
    return first if isinstance(first, dict) and first.get("type") == "header" else {}


def _ctx(doc: dict[str, Any]) -> blocks.ReportContext:
    """The run facts the session gave the builders (recorded in task.extra_config and chip)."""
    extra = (doc.get("task") or {}).get("extra_config") or {}
    return blocks.ReportContext(served_concurrency=int(extra.get("max_concurrency") or 1),
                                chips=int((doc.get("chip") or {}).get("count") or 1))


@cache
def _suite(suite_id: str) -> dict[str, Any] | None:
    from accelmark_tui.catalog.suites import get_suite

    try:
        return get_suite(suite_id).data
    except AccelmarkError:
        return None


def _receipt(block: dict[str, Any], doc: dict[str, Any], recorded: dict[str, Any]) -> dict[str, Any]:
    """The accuracy receipt the writer makes from this block, with the result's model and suite."""
    model = doc.get("model") or {}
    suite = _suite(str(doc.get("suite_id"))) or {"accuracy_threshold_delta": recorded.get("threshold_delta") or 0.1}
    out = accuracy_receipt(block, str(model.get("model_id")), str(model.get("precision")),
                           str((doc.get("software") or {}).get("framework")), suite)
    return figures.submitted_figures({"accuracy": out})["accuracy"]


def _recomputed(samples: RunDir, doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each part of ``doc`` whose samples are here, built again: scenario blocks and the accuracy receipt."""
    out: dict[str, dict[str, Any]] = {}
    metrics = doc.get("metrics") if isinstance(doc.get("metrics"), dict) else {}
    accuracy = doc.get("accuracy") if isinstance(doc.get("accuracy"), dict) else {}
    for name in [*metrics, "accuracy"]:
        path = samples.samples(name)
        if not path.is_file():
            continue
        try:
            block = blocks.build(name, read_records(path), _header(path).get("plan") or {}, _ctx(doc))
        except (AccelmarkError, OSError, ValueError, KeyError, TypeError, IndexError):
            continue  # samples that cannot be read back are not evidence either way; the digest still is
        out[name] = _receipt(block, doc, accuracy) if name == "accuracy" else block
    return out


def _documents(rd: RunDir) -> list[tuple[str, dict[str, Any]]]:
    docs = [("result.json", rd.result)] + [(f"{s}/result.json", rd.scenario_result(s)) for s in rd.scenarios_present()]
    out = []
    for rel, path in docs:
        try:
            doc = read_json(path)
        except (OSError, ValueError):
            continue  # the validator reports unreadable files
        if isinstance(doc, dict):
            out.append((rel, doc))
    return out


def figure_mismatches(rd: RunDir, samples: RunDir | None = None) -> tuple[list[Mismatch], list[str]]:
    """Every submitted figure that differs from its samples or its digest, and what they were checked against.

    ``samples``: the folder whose samples to use (default ``rd``; a re-stamped
    preview copy passes the original, as the copy leaves samples behind).
    """
    samples = samples or rd
    docs = _documents(rd)
    merged = next((doc for rel, doc in docs if rel == "result.json"), None)
    recomputed = _recomputed(samples, merged) if merged is not None else {}
    found: list[Mismatch] = []
    against = {"samples": bool(recomputed), "digest": False}
    for rel, doc in docs:
        parts = figures.submitted_figures(doc)
        if isinstance(parts.get("accuracy"), dict) and parts["accuracy"].get("subset_score") is None:
            parts.pop("accuracy")  # the placeholder a scenario written before accuracy carries
        edited = set()
        for part, value in recomputed.items():
            if part in parts:
                for field, was, now in figures.differences(parts[part], value, part):
                    found.append(Mismatch(field, rel, was, now, SAMPLES))
                    edited.add(part)
        stale = figures.digest_mismatches(doc)
        against["digest"] = against["digest"] or stale is not None
        found += [Mismatch(part, rel) for part in stale or [] if part not in edited]
    receipt = _accuracy_file(rd)
    if receipt is not None and merged is not None:
        # The receipt travels as its own file: it must say what its samples, or else result.json, say.
        if "accuracy" in recomputed:
            expected, source = recomputed["accuracy"], SAMPLES
        elif not any(m.file == "result.json" and m.field.split(".")[0] == "accuracy" for m in found):
            expected, source = figures.submitted_figures(merged).get("accuracy"), "result.json"
        else:
            expected = None  # result.json's own accuracy is the edited one: already reported
        if isinstance(expected, dict):
            found += [Mismatch(field, "accuracy/accuracy.json", was, now, source)
                      for field, was, now in figures.differences(receipt, expected, "accuracy")]
    return found, [name for name, used in against.items() if used]


def _accuracy_file(rd: RunDir) -> dict[str, Any] | None:
    try:
        doc = read_json(rd.accuracy)
    except (OSError, ValueError):
        return None
    return figures.submitted_figures({"accuracy": doc})["accuracy"] if isinstance(doc, dict) else None
