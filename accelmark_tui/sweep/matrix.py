"""A sweep's matrix: the GGUF files (given, in a folder, or on the Hugging Face Hub), the backend settings
(every option a list, like llama-bench's comma lists), and the key that names one finished cell.

A file's quantization is read from the file (``check_gguf``'s file type, without ``MOSTLY_``), never from its
name. A file that is not a GGUF or is truncated stays in the matrix with its error: its cells are error rows.
"""

from __future__ import annotations

import fnmatch
import hashlib
import itertools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accelmark_tui.engine.backend_spec import BackendSpec
from accelmark_tui.errors import AccelmarkError, NetworkError, UsageError

_HUB = re.compile(r"^(?P<repo>[\w.-]+/[\w.-]+)(?:@(?P<rev>[\w./-]+))?:(?P<pattern>[^:]+)$")


@dataclass
class ModelFile:
    path: str
    sha256: str | None = None
    quant: str | None = None  # llama.cpp's file-type name without MOSTLY_, read from the file
    file_size_bytes: int | None = None
    parameter_count: int | None = None  # elements of every tensor in the file (the GGUF's tensor infos)
    bpw: float | None = None  # 8 × file size / parameter count (the whole file, metadata and vocabulary included)
    source: dict[str, Any] | None = None  # hub repo, file and pinned commit, for a downloaded file
    error: str | None = None  # why it cannot run (not a GGUF, truncated): its cells say so

    @property
    def name(self) -> str:
        return Path(self.path).name


def inspect(path: Path, source: dict[str, Any] | None = None) -> ModelFile:
    from accelmark_tui.engine.filehash import file_sha256
    from accelmark_tui.engine.models import check_gguf

    entry = ModelFile(str(path), source=source)
    try:
        entry.file_size_bytes = path.stat().st_size
        entry.sha256 = file_sha256(path)
        info = check_gguf(path)
    except (AccelmarkError, OSError) as exc:
        entry.error = str(exc) if isinstance(exc, AccelmarkError) else f"{path} cannot be read ({exc.strerror or exc})"
        return entry
    entry.quant = info.file_type_name.removeprefix("MOSTLY_")
    entry.parameter_count = info.parameter_count
    entry.bpw = round(8 * info.file_size / info.parameter_count, 3) if info.parameter_count else None
    return entry


def resolve_models(items: list[str]) -> list[ModelFile]:
    """MODEL arguments → files: a path, a folder (its *.gguf files; one that is no GGUF inside is an error
    row), or ``ORG/REPO[@REV]:PATTERN`` (a glob, or comma-separated quant names)."""
    out: list[ModelFile] = []
    for item in items:
        p = Path(item).expanduser()
        m = _HUB.match(item)
        if p.is_dir():
            files = sorted(f for f in p.iterdir() if f.is_file() and f.name.lower().endswith(".gguf"))
            if not files:
                raise UsageError(f"The folder {p} holds no .gguf files; put GGUF files in it or name them.")
            out.extend(inspect(f.resolve()) for f in files)
        elif p.exists() or not m:
            if not p.exists():
                raise UsageError(f"Model {item} is neither a file, a folder nor ORG/REPO:PATTERN.")
            out.append(inspect(p.resolve()))
        else:
            out.extend(inspect(path, src) for path, src in hub_files(m["repo"], m["pattern"], m["rev"]))
    seen: set[str] = set()
    unique = []
    for f in out:  # the same file twice (a path and its folder) is measured once
        if f.path not in seen:
            seen.add(f.path)
            unique.append(f)
    return unique


def match_pattern(files: list[str], pattern: str) -> list[str]:
    """A glob (``*Q4_K*.gguf``) or quant names (``Q4_K_M,Q8_0``) against a repository's GGUF files."""
    ggufs = [f for f in files if f.lower().endswith(".gguf")]
    if any(c in pattern for c in "*?["):
        return [f for f in ggufs if fnmatch.fnmatch(f, pattern) or fnmatch.fnmatch(Path(f).name, pattern)]
    picked = []
    for quant in (q.strip() for q in pattern.split(",") if q.strip()):
        rx = re.compile(rf"(^|[^A-Za-z0-9]){re.escape(quant)}([^A-Za-z0-9_]|$)", re.I)
        picked += [f for f in ggufs if rx.search(Path(f).name) and f not in picked]
    return picked


def hub_files(repo: str, pattern: str, revision: str | None) -> list[tuple[Path, dict[str, Any]]]:
    """Download the matching files into the HF cache, pinned to the commit the hub reports."""
    from accelmark_tui.engine import models

    os.environ.setdefault("HF_HUB_ETAG_TIMEOUT", "10")
    endpoint = (os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/")
    if not models._reachable(endpoint, 10.0):
        raise NetworkError(f"Could not reach the Hugging Face Hub ({endpoint}) to list {repo}; connect to the "
                           "network or pass local .gguf files.")
    try:
        import huggingface_hub as hf

        info = hf.HfApi(endpoint=endpoint).model_info(repo, revision=revision, files_metadata=False)
    except ImportError:
        raise UsageError("Sweeping a Hugging Face repository needs huggingface-hub; pip install huggingface-hub.") \
            from None
    except Exception as exc:  # noqa: BLE001 - the hub's many error types, one sentence
        raise NetworkError(f"The Hugging Face Hub could not list {repo} ({type(exc).__name__}); check the name "
                           "and the network.") from None
    names = match_pattern([s.rfilename for s in info.siblings or []], pattern)
    if not names:
        raise UsageError(f"{repo} has no GGUF file matching '{pattern}'.")
    out = []
    for name in names:
        path, commit = models.hub_download(repo, name, info.sha)
        out.append((path, {"hub_repo": repo, "hub_file": name, "revision": commit}))
    return out


def parse_settings(spec: BackendSpec, values: dict[str, str | None], threads: str | None) -> list[dict[str, Any]]:
    """Every combination of the settings lists (``--type-k f16,q8_0 --threads 2,4``), each item parsed by
    the backend's own Option; [{}] when none is given (the backend's defaults)."""
    axes: list[list[tuple[str, Any]]] = []
    if threads:
        axes.append([("threads", _threads(t)) for t in _items(threads, "--threads")])
    for name, text in values.items():
        if text is None:
            continue
        opt = spec.option(name)
        if opt is None:
            raise UsageError(f"The {spec.name} backend has no option '{name}'.")
        axes.append([(name, opt.parse(v)) for v in _items(text, opt.cli_flag)])
    return [dict(combo) for combo in itertools.product(*axes)] if axes else [{}]


def _items(text: str, flag: str) -> list[str]:
    items = [t.strip() for t in str(text).split(",") if t.strip()]
    if not items:
        raise UsageError(f"{flag} needs a value or a comma-separated list.")
    return list(dict.fromkeys(items))


def _threads(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise UsageError(f"--threads takes whole numbers of at least 1, not '{text}'.")
    return int(text)


def settings_key(settings: dict[str, Any]) -> str:
    return json.dumps(settings, sort_keys=True, separators=(",", ":"))


def cell_key(sha256: str, settings: dict[str, Any], shape: dict[str, Any], level: int, repetition: int) -> str:
    """One finished cell's identity: the file's bytes, the settings, the shape as measured, level, repetition."""
    shape_id = hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:12]
    return f"{sha256[:16]}|{settings_key(settings)}|{shape['name']}.{shape_id}|c{level}|r{repetition}"
