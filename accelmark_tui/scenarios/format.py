"""Fixed-width pipe tables in the style of llama-bench's markdown output.

The same text reads well in a terminal and renders as a table in Markdown,
so the CLI, the exports and the PR body share one formatter. No rich, no
textual: this runs in the headless CLI.
"""

from __future__ import annotations

from typing import Any, Sequence

NONE = "-"


def fmt(value: Any, digits: int = 2) -> str:
    """A cell: numbers to ``digits`` places (ints as ints), None as ``-``."""
    if value is None:
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _is_numeric(cell: str) -> bool:
    try:
        float(cell.replace(",", "").rstrip("%"))
    except ValueError:
        return False
    return True


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], align: str | None = None) -> str:
    """A pipe table; ``align`` is one ``l``/``r`` per column (default: numbers right)."""
    cells = [[fmt(c) if not isinstance(c, str) else c for c in row] for row in rows]
    ncol = len(headers)
    if align is None:
        align = "".join(
            "r" if any(_is_numeric(r[i]) for r in cells) and all(_is_numeric(r[i]) or r[i] == NONE for r in cells) else "l"
            for i in range(ncol)
        )
    widths = [max([len(headers[i]), 3] + [len(r[i]) for r in cells]) for i in range(ncol)]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if a == "r" else v.ljust(w) for v, w, a in zip(values, widths, align)]
        return "| " + " | ".join(parts) + " |"

    rule = "| " + " | ".join("-" * (w - 1) + ":" if a == "r" else "-" * w for w, a in zip(widths, align)) + " |"
    return "\n".join([line(headers), rule] + [line(r) for r in cells])


def kv(pairs: Sequence[tuple[str, Any]]) -> str:
    """Aligned ``label  value`` lines, skipping empty values."""
    shown = [(k, fmt(v)) for k, v in pairs if v not in (None, "", [], {})]
    if not shown:
        return ""
    width = max(len(k) for k, _ in shown)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in shown)


def cv_of(row: dict[str, Any]) -> tuple[float | None, str | None]:
    """(cv %, stability) from a row's reliability block, flat or keyed by metric."""
    rel = row.get("reliability")
    if not isinstance(rel, dict):
        return None, None
    if "cv_pct" not in rel:
        inner = rel.get("throughput_tokens_per_sec") or next((v for v in rel.values() if isinstance(v, dict) and "cv_pct" in v), None)
        rel = inner if isinstance(inner, dict) else {}
    cv = rel.get("cv_pct")
    return (float(cv) if isinstance(cv, (int, float)) else None), rel.get("stability")


def quant_label(method: Any) -> str:
    """A result's ``quantization_method`` as people name it: ``gguf_q4_k_m`` → ``Q4_K_M``; None → ``-``."""
    if not isinstance(method, str) or not method:
        return NONE
    return method[5:].upper() if method.startswith("gguf_") else method


def weights_label(quantization: Any, precision: Any) -> str:
    """What the weights are, in one word: the quant (``Q4_1``) or, unquantized (no quantization_method, by
    upstream's rule), the precision (``BF16``)."""
    return quant_label(quantization) if quantization else (str(precision) if precision else NONE)


def model_label(model: dict[str, Any], revision: bool = False) -> str:
    """``HuggingFaceTB/SmolLM2-135M-Instruct (Q4_1, INT4, gguf)``: id, quant as people name it, precision,
    format (and ``@ revision`` where asked); one wording for the CLI's and the app's run detail."""
    rev = str(model.get("model_revision") or "")[:12] if revision else ""
    quant = model.get("quantization_method")
    inner = ", ".join(str(x) for x in ((quant_label(quant) if quant else None), model.get("precision"),
                                       model.get("model_format")) if x)
    return f"{model.get('model_id')}{' @ ' + rev if rev else ''}" + (f" ({inner})" if inner else "")


def decode_tok_s(tpot_ms: Any) -> float | None:
    """Per-user decode speed from TPOT (ms/token); None when TPOT is missing or zero."""
    return round(1000.0 / tpot_ms, 2) if isinstance(tpot_ms, (int, float)) and tpot_ms > 0 else None


def share_pct(share: Any) -> float | None:
    """A 0-1 share (kept to 4 places) as a percentage; None stays None."""
    return round(share * 100, 2) if isinstance(share, (int, float)) and not isinstance(share, bool) else None
