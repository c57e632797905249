"""Run identity exactly as the leaderboard's CI recomputes it.

``run_id`` hashes the configuration (chip, runner, framework version, suite,
model, precision, submitter), never the measurements, so the same setup run
twice lands in the same folder (resume), and re-stamping the submitter after
the fact is honest: only the label changes, not what was measured.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accelmark_tui.config import validate_login
from accelmark_tui.errors import OutputError, UsageError
from accelmark_tui.results.layout import RunDir

# Exactly these keys, no more: a different key set gives a different hash than upstream.
IDENTITY_KEYS = (
    "chip_name", "chip_memory_gb", "chip_count", "interconnect", "runner_id",
    "framework_version", "suite_id", "model_id", "precision", "submitted_by",
)


def chip_slug(name: str) -> str:
    """``"MTT S4000"`` → ``"mtt_s4000"``: lower case, `` `` ``/`` ``-`` → ``_``, rest dropped."""
    s = re.sub(r"[ /\-]", "_", name.lower())
    return re.sub(r"[^a-z0-9_]", "", s)


def identity_fields(
    *,
    chip_name: str,
    chip_memory_gb: float | int | str,
    chip_count: int,
    interconnect: str | None,
    runner_id: str,
    framework_version: str,
    suite_id: str,
    model_id: str,
    precision: str,
    submitted_by: str,
) -> dict[str, Any]:
    """The dict that is hashed, normalised the way upstream normalises it."""
    count = int(chip_count)
    return {
        "chip_name": chip_name,
        "chip_memory_gb": round(float(chip_memory_gb)),
        "chip_count": count,
        # One chip has no interconnect, whatever detection found.
        "interconnect": interconnect if count > 1 else None,
        "runner_id": runner_id,
        "framework_version": framework_version,
        "suite_id": suite_id,
        "model_id": model_id,
        "precision": precision,
        "submitted_by": submitted_by,
    }


def compute_run_id(**fields: Any) -> str:
    """First 8 hex of SHA-256 of ``json.dumps(d, sort_keys=True)`` (default separators).

    ``fields`` are ``identity_fields``' keywords; it checks and normalises them.
    """
    d = identity_fields(**fields)
    return hashlib.sha256(json.dumps(d, sort_keys=True).encode("utf-8")).hexdigest()[:8]


def run_name(chip_name: str, chip_count: int, suite_id: str, runner_id: str, run_id: str) -> str:
    return f"{chip_slug(chip_name)}x{int(chip_count)}_{suite_id}_{runner_id}_{run_id}"


@dataclass(frozen=True)
class Identity:
    run_id: str
    run_name: str
    fields: dict[str, Any]


def identity_of(**fields: Any) -> Identity:
    rid = compute_run_id(**fields)
    return Identity(rid, run_name(fields["chip_name"], fields["chip_count"], fields["suite_id"], fields["runner_id"], rid),
                    identity_fields(**fields))


def fields_from_result(result: dict[str, Any]) -> dict[str, Any]:
    """Identity inputs read back from a result.json; ValueError names what is missing."""
    try:
        chip, model = result["chip"], result["model"]
        fields = {
            "chip_name": chip["name"],
            "chip_memory_gb": chip["memory_gb"],
            "chip_count": chip["count"],
            "interconnect": chip.get("interconnect_intra_node"),
            "runner_id": result["implementation_id"],
            "framework_version": result["software"]["framework_version"],
            "suite_id": result["suite_id"],
            "model_id": model["model_id"],
            "precision": model["precision"],
            "submitted_by": result["meta"]["submitted_by"],
        }
    except (KeyError, TypeError) as exc:
        raise ValueError(f"result.json lacks {exc} needed for the run identity") from exc
    if fields["chip_memory_gb"] is None or fields["runner_id"] is None:
        raise ValueError("result.json has a null chip.memory_gb or implementation_id, needed for the run identity")
    return fields


def identity_from_result(result: dict[str, Any]) -> Identity:
    """Recompute run_id and run_name from a result.json document."""
    return identity_of(**fields_from_result(result))


# ── re-stamping the submitter ────────────────────────────────────────────────


def _result_files(folder: Path) -> list[Path]:
    files = [folder / "result.json"] if (folder / "result.json").is_file() else []
    files += sorted(p for p in folder.glob("*/result.json") if not p.parent.name.startswith("."))
    return files


def restamp(run_dir: str | os.PathLike[str], new_login: str, *, submission_type: str | None = None) -> Path:
    """Re-stamp ``submitted_by`` in every result.json and rename the folder.

    Returns the new folder path. Identity is recomputed from the documents
    themselves, so a second call with the same login is a no-op.
    """
    from accelmark_tui.jsonfile import atomic_write_json, read_json

    login = validate_login(new_login)
    folder = Path(run_dir)
    files = _result_files(folder)
    if not files:
        raise UsageError(f"{folder} holds no result.json to re-stamp; finish the run first.")
    docs = [(p, read_json(p)) for p in files]
    old_name = docs[0][1].get("meta", {}).get("run_name") or folder.name
    new_ident: Identity | None = None
    for path, doc in docs:
        meta = doc.setdefault("meta", {})
        meta["submitted_by"] = login
        if submission_type:
            meta["submission_type"] = submission_type
        try:
            ident = identity_from_result(doc)
        except ValueError as exc:
            raise UsageError(f"Cannot re-stamp {path}: {exc}.") from exc
        new_ident = new_ident or ident
        meta["run_id"], meta["run_name"] = ident.run_id, ident.run_name
        if isinstance(meta.get("scenario_dirs"), dict):
            meta["scenario_dirs"] = {
                k: v.replace(old_name, ident.run_name) if isinstance(v, str) else v
                for k, v in meta["scenario_dirs"].items()
            }
    assert new_ident is not None
    target = folder.parent / new_ident.run_name
    if target != folder and target.exists():
        raise UsageError(f"A run named {new_ident.run_name} already exists in {folder.parent}; remove or rename it first.")
    for path, doc in docs:
        atomic_write_json(path, doc)
    if target != folder:
        try:
            os.replace(folder, target)
        except OSError as exc:
            raise OutputError(f"Cannot rename {folder} to {target.name} ({exc.strerror}); check the folder's permissions.") from exc
        renamed = RunDir.from_path(target)
        atomic_write_json(renamed.names_file, [*renamed.previous_names(), folder.name])
    return target
