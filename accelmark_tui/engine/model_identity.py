"""Which model a GGUF file is: one identity per file, however it was given.

The same file must get the same ``model_id`` whether it is the embedded model,
a path or a hub download, or two results of one model will not line up. A
file a suite pins (``model_file`` with a SHA-256 ``model_revision``) is known
by its hash. Otherwise the file's own provenance metadata says where it came
from (``general.source.*``, then the model it was made from,
``general.base_model.0.*``); the hub repository it was downloaded from comes
next, and ``general.name`` (a display name the converter made up, e.g.
"Smollm2 135M 8k Lc100K Mix1 Ep2") only as the last resort.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from accelmark_tui.catalog.suites import scan_suites

# Where the file says it was converted from, most specific first.
SOURCE_KEYS = ("general.source.huggingface.repository", "general.source.repo_url", "general.source.url")
# The model it was made from: used only when the file names no source of its own.
BASE_KEYS = ("general.base_model.0.repo_url", "general.base_model.0.url")
BASE_ORG, BASE_NAME = "general.base_model.0.organization", "general.base_model.0.name"
# Every key the identity reads (models.check_gguf keeps these from the metadata).
KEYS = (*SOURCE_KEYS, *BASE_KEYS, BASE_ORG, BASE_NAME, "general.name", "general.basename")

_HF_HOSTS = {"huggingface.co", "www.huggingface.co", "hf.co"}


@dataclass(frozen=True, slots=True)
class ModelIdentity:
    model_id: str
    source: str  # "sha256", a GGUF key, "hub repository" or "file name"
    note: str  # the sentence recorded as the result's model_note


@cache
def known_files() -> dict[str, tuple[str, str]]:
    """SHA-256 → (model_id, suite_id) for every model file a bundled suite pins."""
    found: dict[str, tuple[str, str]] = {}
    for suite in scan_suites()[0]:
        rev, model_id = suite.data.get("model_revision"), suite.data.get("model_id")
        if suite.data.get("model_file") and isinstance(rev, str) and re.fullmatch(r"[0-9a-f]{64}", rev) and model_id:
            found.setdefault(rev, (str(model_id), suite.id))
    return found


def repo_id(value: str) -> str:
    """``https://huggingface.co/ORG/NAME[/...]`` or ``ORG/NAME`` → ``ORG/NAME``; another URL → host/path."""
    text = value.strip().rstrip("/")
    if "://" not in text:
        return text
    u = urlsplit(text)
    parts = [p for p in u.path.split("/") if p]
    if (u.hostname or "").lower() in _HF_HOSTS and len(parts) >= 2:
        return "/".join(parts[:2])
    return "/".join([u.hostname or "", *parts])


def identify(sha256: str, meta: dict[str, str], *, hub_repo: str | None = None, stem: str = "") -> ModelIdentity:
    """The file's ``model_id`` and where it came from (see the module's order)."""
    if sha256 in known_files():
        model_id, suite_id = known_files()[sha256]
        return ModelIdentity(model_id, "sha256", f"model_id from the file's SHA-256, which {suite_id} pins as its model file")
    for key in SOURCE_KEYS:
        if meta.get(key):
            return ModelIdentity(repo_id(meta[key]), key, f"model_id from the GGUF's {key}")
    base_note = " (the model it was made from; the file names no source of its own)"
    for key in BASE_KEYS:
        if meta.get(key):
            return ModelIdentity(repo_id(meta[key]), key, f"model_id from the GGUF's {key}{base_note}")
    if meta.get(BASE_ORG) and meta.get(BASE_NAME):
        return ModelIdentity(f"{meta[BASE_ORG]}/{meta[BASE_NAME]}", f"{BASE_ORG} + name",
                             f"model_id from the GGUF's {BASE_ORG} and .name{base_note}")
    if hub_repo:
        return ModelIdentity(hub_repo, "hub repository",
                             "model_id from the Hugging Face repository it was downloaded from (the GGUF names no source)")
    for key in ("general.name", "general.basename"):
        if meta.get(key):
            return ModelIdentity(meta[key], key, f"model_id from the GGUF's {key}, a display name "
                                                 "(the file has no general.source or general.base_model metadata)")
    return ModelIdentity(stem, "file name", "model_id from the file name (the GGUF has no source, base model or name)")
