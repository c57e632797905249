"""Workload shapes: small JSON files (assets/shapes/) saying what a sweep's requests look like.

A shape names its prompt source, the prompt's length and the answer's length in tokens, and
whether the prompt goes through the model's chat template (``chat``) or as it is (``raw``).
Users copy a built-in file, edit it and pass its path to ``--shapes``; a mistake in one is one
sentence naming the file and the field.

``prompt_tokens`` counts the prompt's text in the model's own tokens (the chat template adds its few);
the tokens a cell actually prefilled are counted by the backend and kept in the cell.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from accelmark_tui import resources
from accelmark_tui.engine import workload
from accelmark_tui.errors import UsageError

BUILT_IN = ("short", "long-context", "long-answer", "tool-call")
DEFAULT = ("short", "long-context", "long-answer", "tool-call")
FORMATS = ("chat", "raw")
SOURCES = ("dataset", "tools")  # "dataset:NAME": its prompts; "tools:NAME": tool definitions, then its prompts
_FIELDS = {"name", "description", "prompt_source", "prompt_tokens", "output_tokens", "format", "tools"}


@dataclass(frozen=True)
class Shape:
    name: str
    prompt_source: str
    prompt_tokens: int
    output_tokens: int
    format: str = "chat"
    description: str = ""
    tools: list[dict[str, Any]] = field(default_factory=list)
    path: str = ""

    def capped(self, max_output: int | None) -> "Shape":
        """The same shape with its answer cut to ``max_output`` tokens (tests, quick looks)."""
        if not max_output or self.output_tokens <= max_output:
            return self
        return Shape(self.name, self.prompt_source, self.prompt_tokens, max_output, self.format,
                     self.description, self.tools, self.path)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "prompt_source": self.prompt_source, "prompt_tokens": self.prompt_tokens,
                "output_tokens": self.output_tokens, "format": self.format}


def shapes_dir() -> Path:
    return resources.assets_dir() / "shapes"


def load_shape(path: Path) -> Shape:
    """One shape file, checked field by field."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"Shape file {path} cannot be read ({exc.strerror or exc}).") from None
    except ValueError as exc:
        raise UsageError(f"Shape file {path} is not valid JSON ({exc}).") from None
    if not isinstance(data, dict):
        raise UsageError(f"Shape file {path} must hold a JSON object.")

    def bad(name: str, why: str) -> UsageError:
        return UsageError(f"Shape file {path}: field '{name}' {why}.")

    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise bad(unknown[0], f"is not a shape field (they are {', '.join(sorted(_FIELDS))})")
    for name in ("prompt_tokens", "output_tokens"):
        v = data.get(name)
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise bad(name, "must be a whole number of tokens, at least 1")
    src = data.get("prompt_source")
    kind, _, dataset = src.partition(":") if isinstance(src, str) else ("", "", "")
    if kind not in SOURCES or not dataset:
        raise bad("prompt_source", f"must be one of {', '.join(s + ':DATASET' for s in SOURCES)}")
    if not resources.dataset_path(dataset).is_file():
        raise bad("prompt_source", f"names dataset '{dataset}', which accelmark does not bundle")
    fmt = data.get("format", "chat")
    if fmt not in FORMATS:
        raise bad("format", f"must be chat or raw, not {fmt!r}")
    tools = data.get("tools", [])
    if kind == "tools" and (not isinstance(tools, list) or not tools or not all(isinstance(t, dict) for t in tools)):
        raise bad("tools", "must be a list of tool definitions (JSON objects) for a tools: prompt source")
    name = data.get("name", path.stem)
    if not isinstance(name, str) or not name.strip() or "/" in name:
        raise bad("name", "must be a short name without slashes")
    return Shape(name.strip(), src, data["prompt_tokens"], data["output_tokens"], fmt,
                 str(data.get("description", "")), list(tools), str(path))


def parse_shapes(text: str | None, max_output: int | None = None) -> list[Shape]:
    """``--shapes``: built-in names and/or paths of shape files, comma separated (default: all four)."""
    items = [s.strip() for s in (text or ",".join(DEFAULT)).split(",") if s.strip()]
    if not items:
        raise UsageError("--shapes needs at least one shape name or file.")
    out: list[Shape] = []
    for item in items:
        if item in BUILT_IN:
            shape = load_shape(shapes_dir() / f"{item}.json")
        elif item.endswith(".json") or Path(item).exists():
            shape = load_shape(Path(item).expanduser())
        else:
            raise UsageError(f"Unknown shape '{item}'; use {', '.join(BUILT_IN)} or the path of a shape file.")
        if any(s.name == shape.name for s in out):
            raise UsageError(f"Two shapes are named '{shape.name}'; give each a name of its own.")
        out.append(shape.capped(max_output))
    return out


def write_prompts(shape: Shape, count: int, dest: Path, cut: Callable[[Iterable[str], int], str]) -> Path:
    """``count`` distinct prompts of ``shape.prompt_tokens`` tokens, as a dataset file the runner reads.

    ``cut`` joins texts and cuts them to a number of tokens in the model's own tokenizer (sweep/tokens.py).
    Prompt i joins the source's prompts from position i on, so prompts differ from their first tokens on
    (nothing for a prompt cache to share) and the file is the same every time.
    """
    kind, _, dataset = shape.prompt_source.partition(":")
    texts = workload.distinct_prompts(workload.load_prompts(resources.dataset_path(dataset)))
    head = []
    if kind == "tools":
        head = ["You can call these tools. Answer with a JSON object {\"tool\": NAME, \"arguments\": {...}} "
                "when one helps.\nTools:\n" + "\n".join(json.dumps(t, sort_keys=True) for t in shape.tools)
                + "\n\nUser request:"]
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest, "w", encoding="utf-8") as fh:
        for i in range(count):
            source = itertools.chain(head, (texts[(i + j) % len(texts)] for j in range(len(texts))))
            fh.write(json.dumps({"request_id": i, "prompt": cut(source, shape.prompt_tokens)}) + "\n")
    return dest
