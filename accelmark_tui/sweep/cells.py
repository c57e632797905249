"""One cell's figures from its request records, the sweep folder's cell file, and the repetitions folded.

A cell is one repetition of one (file, settings, shape, concurrency). Its figures follow the metric
contract (engine/metrics.py), nothing is redefined here:

- ``gen_tps``: generation (decode) tok/s of the cell's sequences together: the tokens after each first token,
  Σ (output − 1), over the decode window, from the first first token to the last end. At concurrency 1
  it is 1 / TPOT exactly (llama-bench's tg); at c it is llama-batched-bench's S_TG. Prefill is left out, so
  a long-context shape is not slower for its prompt, only for decoding at depth;
- ``output_tps``: the contract's output tok/s, Σ output tokens / measured window (prefill included);
- ``gen_tps_per_seq``: interactivity, 1 / TPOT, the mean over the cell's requests (tok/s one sequence saw);
- ``pp_tps``: prompt tokens / TTFT, the median over the cell's requests: prefill speed as a request saw it
  (at concurrency > 1 it includes waiting for a batch slot, which is what a user waits for too);
- TTFT and TPOT percentiles pooled over the requests of every repetition.

Repetitions are folded as llama-bench does: mean ± sample standard deviation (``stats.reliability``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

from accelmark_tui.engine import metrics
from accelmark_tui.engine.records import RequestRecord
from accelmark_tui.engine.stats import describe, median, reliability

CELLS_FILE = "cells.jsonl"


def overlap(records: Iterable[RequestRecord]) -> int:
    """The most requests in flight at one moment (sent, not yet ended): concurrency that really happened."""
    events = sorted([(r.sent_ns, 1) for r in records if r.sent_ns is not None and r.end_ns is not None]
                    + [(r.end_ns, -1) for r in records if r.sent_ns is not None and r.end_ns is not None],
                    key=lambda e: (e[0], e[1]))
    peak = cur = 0
    for _, step in events:
        cur += step
        peak = max(peak, cur)
    return peak


def figures(records: list[RequestRecord], output_tokens: int, concurrency: int) -> dict[str, Any]:
    """The measured figures of one cell (one repetition)."""
    recs = metrics.measured(records)
    ok = [r for r in recs if r.ok]
    if not ok:
        errors = sorted({f"{r.error_type}: {r.error_message}" for r in recs if not r.ok})
        return {"error": "; ".join(errors) or "no request finished"}
    s = metrics.summarize(recs)
    ttft = [v for v in (metrics.ttft_ms(r) for r in ok) if v is not None]
    tpot = [v for v in (metrics.tpot_ms(r) for r in ok) if v is not None]
    pp = [r.input_tokens / (t / 1000.0) for r, t in ((r, metrics.ttft_ms(r)) for r in ok) if r.input_tokens and t]
    outs = [metrics.out_tokens(r) for r in ok]
    ran = overlap(ok)
    decode_ns = max(r.end_ns for r in ok) - min(r.first_token_ns or r.end_ns for r in ok)
    decoded = sum(max(metrics.out_tokens(r) - 1, 0) for r in ok)
    out: dict[str, Any] = {
        "gen_tps": round(decoded / (decode_ns / 1e9), 3) if decode_ns > 0 and decoded else None,
        "output_tps": s["output_tokens_per_sec"],
        "gen_tps_per_seq": round(sum(1000.0 / t for t in tpot if t > 0) / len(tpot), 3) if tpot else None,
        "pp_tps": round(median(pp), 3) if pp else None,
        "prompt_tokens": round(sum(r.input_tokens or 0 for r in ok) / len(ok), 1),
        "output_tokens": round(sum(outs) / len(outs), 1),
        "output_enforced": all(n == output_tokens for n in outs),
        "ran_at_once": ran,
        "failed": len(recs) - len(ok),
        "ttft_ms": [round(v, 3) for v in ttft],
        "tpot_ms": [round(v, 3) for v in tpot],
        "error": None,
    }
    notes = []
    if not out["output_enforced"]:
        notes.append(f"answers were {min(outs)}–{max(outs)} tokens, not the shape's {output_tokens}: the "
                     "backend did not enforce the length")
    if ran < concurrency:
        notes.append(f"at most {ran} of the {concurrency} sequences ran at once")
    if out["failed"]:
        notes.append(f"{out['failed']} of {len(recs)} requests failed")
    out["note"] = "; ".join(notes) or None
    return out


class CellStore:
    """``cells.jsonl`` in the sweep folder: one JSON line per cell as it finishes (a kill loses none before)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / CELLS_FILE
        self.cells: dict[str, dict[str, Any]] = {}
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    cell = json.loads(line)
                except ValueError:
                    continue  # a line cut by a kill mid-write: that cell runs again
                if isinstance(cell, dict) and cell.get("key"):
                    self.cells[cell["key"]] = cell

    def done(self, key: str) -> bool:
        """Finished cells are skipped; a cell that failed is tried again."""
        cell = self.cells.get(key)
        return cell is not None and cell.get("error") is None

    def add(self, cell: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(cell, sort_keys=True) + "\n")
        self.cells[cell["key"]] = cell


def _spread(values: list[float]) -> dict[str, Any] | None:
    rel = reliability([v for v in values if v is not None])
    return {"mean": rel["mean"], "sd": rel["std"], "n": rel["n"]} if rel else None


def _p(values: list[float], q: int) -> float | None:
    d = describe(values)
    return d[f"p{q}"] if d else None


def fold(reps: list[dict[str, Any]]) -> dict[str, Any]:
    """A table row: the repetitions of one (file, settings, shape, concurrency) folded."""
    first = reps[0]
    good = [c for c in reps if c.get("error") is None]
    ttft = [v for c in good for v in c.get("ttft_ms") or []]
    tpot = [v for c in good for v in c.get("tpot_ms") or []]
    notes = sorted({c["note"] for c in good if c.get("note")})
    errors = sorted({c["error"] for c in reps if c.get("error")})
    row = {k: first.get(k) for k in ("model", "path", "sha256", "quant", "settings", "shape", "concurrency",
                                    "output_tokens_target", "build", "build_commit", "compute", "backend",
                                    "framework_version", "accelmark_version", "hardware")}
    row.update(
        repetitions=len(good),
        gen_tps=_spread([c["gen_tps"] for c in good]),
        gen_tps_per_seq=_spread([c["gen_tps_per_seq"] for c in good]),
        output_tps=_spread([c.get("output_tps") for c in good]),
        pp_tps=_spread([c["pp_tps"] for c in good]),
        prompt_tokens=first.get("prompt_tokens") if good else None,
        ttft_ms_p50=_p(ttft, 50), ttft_ms_p99=_p(ttft, 99), tpot_ms_p50=_p(tpot, 50), tpot_ms_p99=_p(tpot, 99),
        peak_rss_gb=max((c["peak_rss_gb"] for c in good if c.get("peak_rss_gb")), default=None),
        output_enforced=all(c.get("output_enforced") for c in good) if good else None,
        ran_at_once=min((c["ran_at_once"] for c in good), default=None),
        note="; ".join(notes) or None,
        error=None if good else ("; ".join(errors) or "not measured"),
    )
    return row
