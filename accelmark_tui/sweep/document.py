"""The sweep's document (``--json``, ``sweep.json``) and its tables (terminal and ``sweep.md``).

``cells``: one row per (file, settings, shape, concurrency), its repetitions folded (cells.fold).
``quants``: one row per file: size, bits per weight, speed at the lowest level, and the quality figures
(perplexity, KL divergence against the reference, top-token agreement) where the quality module gave them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from accelmark_tui.sweep import cells as cellmod
from accelmark_tui.sweep import matrix

SCHEMA = "accelmark-sweep/0.1"
QUALITY_KEYS = ("ppl", "ppl_ratio", "kld_mean", "kld_p99", "dp_mean", "top1_agreement")  # llama_quality's names


def build(req: Any, files: list[matrix.ModelFile], store: cellmod.CellStore, runner: Any,
          quality: dict[str, dict[str, Any]]) -> dict[str, Any]:
    rows = []
    for f in files:
        for settings in req.settings:
            for shape in req.shapes:
                for c in req.levels:
                    reps = [store.cells[k] for r in range(req.repetitions) if (k := matrix.cell_key(
                        f.sha256 or "unreadable", settings, shape.to_dict(), c, r)) in store.cells]
                    if reps:
                        rows.append(cellmod.fold(reps))
    low = min(req.levels)
    quants = []
    for f in files:
        mine = [r for r in rows if r["path"] == f.path and r["concurrency"] == low and r["error"] is None]
        q = quality.get(f.path) or {}
        quants.append({"model": f.name, "path": f.path, "sha256": f.sha256, "quant": f.quant,
                       "file_size_bytes": f.file_size_bytes, "parameter_count": f.parameter_count, "bpw": f.bpw,
                       "source": f.source, "at_concurrency": low,
                       "gen_tps": _mean(r["gen_tps"] for r in mine), "pp_tps": _mean(r["pp_tps"] for r in mine),
                       **{k: q.get(k) for k in QUALITY_KEYS}, "error": f.error})
    first = next((r for r in rows if r.get("build_commit")), {})
    return {"schema": SCHEMA, "accelmark_version": first.get("accelmark_version"), "runner": runner.id,
            "hardware": first.get("hardware"), "backend": backend_label(first),
            "shapes": [s.to_dict() for s in req.shapes], "levels": list(req.levels),
            "repetitions": req.repetitions, "settings": req.settings, "quality": bool(quality),
            "cells": rows, "quants": quants}


def _mean(spreads: Any) -> float | None:
    vals = [s["mean"] for s in spreads if s]
    return round(sum(vals) / len(vals), 3) if vals else None


def backend_label(row: dict[str, Any]) -> str | None:
    if not row:
        return None
    commit = (row.get("build_commit") or "")[:7]
    return f"{row.get('backend') or 'llama.cpp'} {commit or row.get('framework_version') or ''} " \
           f"({row.get('compute') or '?'})".replace("  ", " ")


def save(folder: Path, doc: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sweep.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
    (folder / "sweep.md").write_text(markdown(doc), encoding="utf-8")
    (folder / "sweep.csv").write_text(csv_text(doc), encoding="utf-8")


CSV_SPREADS = ("gen_tps", "gen_tps_per_seq", "output_tps", "pp_tps")
CSV_PLAIN = ("model", "quant", "shape", "concurrency", "repetitions", "prompt_tokens", "output_tokens_target",
             "ttft_ms_p50", "ttft_ms_p99", "tpot_ms_p50", "tpot_ms_p99", "peak_rss_gb", "ran_at_once",
             "output_enforced", "build_commit", "compute", "hardware", "sha256", "error", "note")


def csv_text(doc: dict[str, Any]) -> str:
    """Every cell, one row each (spreads as _mean and _sd columns, settings as JSON)."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([*CSV_PLAIN[:4], "settings", *(f"{k}_{p}" for k in CSV_SPREADS for p in ("mean", "sd")),
                *CSV_PLAIN[4:]])
    for r in doc["cells"]:
        spreads = [(r.get(k) or {}).get(p) for k in CSV_SPREADS for p in ("mean", "sd")]
        w.writerow([*(r.get(k) for k in CSV_PLAIN[:4]), matrix.settings_key(r.get("settings") or {}), *spreads,
                    *(r.get(k) for k in CSV_PLAIN[4:])])
    return buf.getvalue()


def _num(v: Any, digits: int = 1) -> str:
    return "—" if v is None else f"{v:.{digits}f}"


def _spread(s: dict[str, Any] | None) -> str:
    if not s:
        return "—"
    return f"{s['mean']:.1f} ± {s['sd']:.1f}" if s.get("n", 1) > 1 else f"{s['mean']:.1f}"


def _table(head: list[str], body: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "/") for c in row) + " |" for row in body]
    return "\n".join(lines)


def _settings(row: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted((row.get("settings") or {}).items())) or "defaults"


def homelab(doc: dict[str, Any]) -> str:
    """The homelab page's table: per file, settings and concurrency, gen tok/s from min to max across shapes."""
    many = len(doc["settings"]) > 1
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for r in doc["cells"]:
        groups.setdefault((r["path"], matrix.settings_key(r["settings"] or {}), r["concurrency"]), []).append(r)
    body = []
    for (_, _, c), rows in groups.items():
        first, vals = rows[0], [r["gen_tps"]["mean"] for r in rows if r["gen_tps"]]
        rng = f"{min(vals):.1f}–{max(vals):.1f}" if len(vals) > 1 else _num(vals[0]) if vals else "error"
        body.append([Path(first["model"]).stem, first["quant"] or "?", *([_settings(first)] if many else []),
                     doc["hardware"] or "?", doc["backend"] or "?", str(c), rng])
    return _table(["Variant", "Quant", *(["Settings"] if many else []), "Hardware", "Backend", "Conc.",
                   "Gen tok/s (min–max across shapes)"], body)


def per_shape(doc: dict[str, Any]) -> str:
    body = [[Path(r["model"]).stem, r["quant"] or "?", _settings(r), r["shape"], str(r["concurrency"]),
             _spread(r["gen_tps"]), _spread(r["gen_tps_per_seq"]), _spread(r["pp_tps"]), _num(r["ttft_ms_p50"]),
             _num(r["tpot_ms_p50"], 2), (r["error"] or r["note"] or "")[:120]] for r in doc["cells"]]
    return _table(["Model", "Quant", "Settings", "Shape", "Conc.", "Gen tok/s", "Per seq", "PP tok/s",
                   "TTFT p50 ms", "TPOT p50 ms", "Note"], body)


def quant_table(doc: dict[str, Any]) -> str:
    body = []
    for q in doc["quants"]:
        size = "—" if q["file_size_bytes"] is None else f"{q['file_size_bytes'] / 2**20:.1f} MiB"
        body.append([q["model"], q["quant"] or "?", size, _num(q["bpw"], 2), _num(q["gen_tps"]), _num(q["pp_tps"]),
                     _num(q["ppl"], 3), _num(q["ppl_ratio"], 3), _num(q["kld_mean"], 4),
                     "—" if q["top1_agreement"] is None else f"{q['top1_agreement']:.1%}", (q["error"] or "")[:120]])
    return _table(["File", "Quant", "Size", "bpw", f"Gen tok/s (c={doc['levels'][0]})", "PP tok/s", "PPL",
                   "PPL ratio", "KLD", "Top-1", "Error"], body)


def markdown(doc: dict[str, Any]) -> str:
    return (f"## Speed (range across shapes)\n\n{homelab(doc)}\n\n## Per shape\n\n{per_shape(doc)}\n\n"
            f"## Quants\n\n{quant_table(doc)}\n")
