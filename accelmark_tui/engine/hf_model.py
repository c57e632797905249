"""Hugging Face model folders (and hub repo ids) as a ``ModelSpec``, for runners that load safetensors.

A folder is what ``save_pretrained`` (or ``accelmark dev tiny-model``) writes: ``config.json``,
``model*.safetensors`` and the tokenizer's files. Its revision is a SHA-256 over those files'
own SHA-256s (``filehash``, cached) in sorted order, so the same bytes give the same revision
wherever the folder lies; a hub repo id's revision is the commit the hub resolved. The
parameter count comes from the safetensors headers alone (the JSON before the data), never
the weights. Pure Python; ``huggingface_hub`` is imported only for a repo id.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import math
import os
import re
from pathlib import Path
from typing import Any

from accelmark_tui.engine.backend import ModelSpec, PreparedModel
from accelmark_tui.engine.filehash import file_sha256
from accelmark_tui.engine.model_identity import ModelIdentity
from accelmark_tui.engine.models import _hf_cache_dir, _reachable
from accelmark_tui.errors import ModelError, NetworkError, UsageError

CONFIG = "config.json"
WEIGHTS = "model*.safetensors"  # what save_pretrained writes and mlx-lm loads (not consolidated.safetensors)
# The files a model run reads: what the revision covers and what a hub download fetches (no *.py: no remote code).
MODEL_FILES = (WEIGHTS, "*.json", "*.jinja", "*.tiktoken", "tokenizer.model", "merges.txt", "vocab.txt")
_REPO = re.compile(r"^(?P<repo>[\w.-]+/[\w.-]+)(?:@(?P<rev>[\w./-]+))?$")
_FLOAT = {"F32": "FP32", "F16": "FP16", "BF16": "BF16", "F64": "FP32"}
_CONFIG_DTYPE = {"float32": "FP32", "float16": "FP16", "bfloat16": "BF16"}
_MAX_HEADER = 100 << 20  # safetensors' own reader refuses larger headers


def is_repo_id(spec: str) -> bool:
    """``ORG/NAME[@REV]`` that is not a path on this machine."""
    return bool(_REPO.match(spec)) and not Path(spec).expanduser().exists()


def resolve_hf_model(spec: str) -> ModelSpec:
    """``--model`` as a Hugging Face folder or ``ORG/NAME[@REV]`` → a validated, pinned ModelSpec."""
    local = Path(spec).expanduser()
    m = _REPO.match(spec)
    if local.exists() or not m:
        folder = _check_folder(local)
        return _spec(folder, folder_revision(folder), "local", _identify(folder, None), {})
    folder, commit = hub_snapshot(m["repo"], m["rev"])
    _check_folder(folder)
    return _spec(folder, commit, "huggingface", _identify(folder, m["repo"]), {"hub_repo": m["repo"]})


def check_folder(spec: str | os.PathLike[str]) -> Path:
    """The folder, checked as a Hugging Face model folder (the run setup's check); one sentence if not."""
    return _check_folder(Path(spec).expanduser())


def _check_folder(p: Path) -> Path:
    if not p.exists():
        raise ModelError(f"Model folder not found: {p}; pass a Hugging Face model folder or ORG/NAME[@REV].")
    if not p.is_dir():
        fix = "GGUF files run with a llama.cpp runner" if p.suffix.lower() == ".gguf" else \
            "pass the folder holding config.json and the .safetensors weights"
        raise ModelError(f"{p} is a file, not a Hugging Face model folder; {fix}.")
    if not (p / CONFIG).is_file():
        raise ModelError(f"{p} has no config.json, so it is not a Hugging Face model folder; pass the folder "
                         "holding config.json and the .safetensors weights.")
    if not weight_files(p):
        raise ModelError(f"{p} has no {WEIGHTS} weights; save the model as safetensors (save_pretrained does).")
    return p.resolve()


def weight_files(folder: Path) -> list[Path]:
    return sorted(f for f in folder.glob(WEIGHTS) if f.is_file())


def model_files(folder: Path) -> list[Path]:
    """The folder's files a run reads (``MODEL_FILES``), sorted by name."""
    return sorted(f for f in folder.iterdir()
                  if f.is_file() and any(fnmatch.fnmatch(f.name, pat) for pat in MODEL_FILES))


def folder_revision(folder: Path) -> str:
    """SHA-256 over ``name NUL sha256(file)`` lines of ``model_files`` in sorted order."""
    h = hashlib.sha256()
    for f in model_files(folder):
        h.update(f"{f.name}\0{file_sha256(f)}\n".encode())
    return h.hexdigest()


def read_config(folder: Path) -> dict[str, Any]:
    path = folder / CONFIG
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path} is not valid JSON ({exc}); download the model again.") from None
    if not isinstance(data, dict):
        raise ModelError(f"{path} does not hold a JSON object; download the model again.")
    return data


def safetensors_header(path: Path) -> dict[str, Any]:
    """The header JSON of one safetensors file, checked against the file's size (truncation)."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(8)
        n = int.from_bytes(head, "little") if len(head) == 8 else -1
        if n < 2 or n > min(_MAX_HEADER, size - 8):
            raise ModelError(f"{path} is not a safetensors file or is truncated ({size} bytes); download it again.")
        try:
            header = json.loads(fh.read(n))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ModelError(f"{path} has a corrupt safetensors header; download it again.") from None
    try:
        end = max((int(t["data_offsets"][1]) for k, t in header.items() if k != "__metadata__"), default=0)
    except (AttributeError, KeyError, TypeError, ValueError, IndexError):  # not a dict, or tensors without offsets
        raise ModelError(f"{path} has a corrupt safetensors header; download it again.") from None
    if size < 8 + n + end:
        raise ModelError(f"{path} is truncated ({size} of {8 + n + end} bytes); download it again.")
    return header


def _quantization(cfg: dict[str, Any]) -> dict[str, Any] | None:
    """mlx-lm's own quantization block (``bits`` + ``group_size``), if the weights are mlx-quantized."""
    q = cfg.get("quantization")
    return q if isinstance(q, dict) and isinstance(q.get("bits"), int) else None


def weight_stats(folder: Path, cfg: dict[str, Any]) -> tuple[int, dict[str, int], int]:
    """(parameter count, elements per float dtype, bytes) from the headers of every weight file.

    An mlx-quantized linear stores ``32 / bits`` weights per uint32 next to its
    ``scales`` and ``biases``: counted as the weights it packs, without those.
    """
    q = _quantization(cfg)
    params, nbytes, by_dtype = 0, 0, {}
    for f in weight_files(folder):
        header = safetensors_header(f)
        nbytes += f.stat().st_size
        tensors = {k: t for k, t in header.items() if k != "__metadata__"}
        for name, t in tensors.items():
            count = math.prod(t.get("shape") or [1])
            base = name.rsplit(".", 1)[0]
            if q and (name.endswith(".scales") or name.endswith(".biases")) and base + ".weight" in tensors \
                    and base + ".scales" in tensors:
                continue
            if q and t.get("dtype") == "U32" and base + ".scales" in tensors:
                count = count * 32 // int(q["bits"])
            elif t.get("dtype") in _FLOAT:
                by_dtype[t["dtype"]] = by_dtype.get(t["dtype"], 0) + count
            params += count
    return params, by_dtype, nbytes


def precision_of(cfg: dict[str, Any], by_dtype: dict[str, int]) -> tuple[str, str | None, str | None]:
    """(result-schema precision, quantization_method, dtype of the float weights)."""
    dtype = max(by_dtype, key=by_dtype.__getitem__) if by_dtype else None
    named = cfg.get("torch_dtype") or cfg.get("dtype")
    floating = _FLOAT.get(dtype or "") or _CONFIG_DTYPE.get(str(named), "FP32")
    q = _quantization(cfg)
    if q:
        mode = str(q.get("mode") or "affine")
        method = f"mlx_q{q['bits']}" if mode == "affine" else f"mlx_{mode}"
        return ("INT4" if int(q["bits"]) <= 4 else "INT8"), method, dtype
    return floating, None, dtype


def model_format_of(quantization_method: str | None) -> str:
    """The result schema's ``model_format`` wording: mlx-quantized weights are MLX's own format."""
    return "MLX" if quantization_method and quantization_method.startswith("mlx_") else "HuggingFace original"


def _text_config(cfg: dict[str, Any]) -> dict[str, Any]:
    inner = cfg.get("text_config")  # multimodal configs keep the language model's sizes here
    return {**cfg, **inner} if isinstance(inner, dict) else cfg


def describe(folder: Path) -> dict[str, Any]:
    """What the result records about the model (``ModelSpec.extra``)."""
    cfg = read_config(folder)
    text = _text_config(cfg)
    params, by_dtype, nbytes = weight_stats(folder, cfg)
    precision, method, dtype = precision_of(cfg, by_dtype)
    experts = text.get("num_local_experts") or text.get("num_experts") or 0
    archs = cfg.get("architectures") or []
    return {
        "architecture": archs[0] if archs else cfg.get("model_type"), "model_type": cfg.get("model_type"),
        "torch_dtype": cfg.get("torch_dtype") or cfg.get("dtype"), "weights_dtype": dtype,
        "parameter_count": params, "parameter_count_b": round(params / 1e9, 6),
        "hidden_size": text.get("hidden_size"), "num_hidden_layers": text.get("num_hidden_layers"),
        "context_length": text.get("max_position_embeddings"), "vocab_size": text.get("vocab_size"),
        "architecture_family": "moe" if isinstance(experts, int) and experts > 1 else "dense",
        "precision": precision, "quantization_method": method,
        "model_format": model_format_of(method),
        "weight_files": len(weight_files(folder)), "weight_bytes": nbytes,
    }


def _identify(folder: Path, hub_repo: str | None) -> ModelIdentity:
    if hub_repo:
        return ModelIdentity(hub_repo, "hub repository", "model_id from the Hugging Face repository it was downloaded from")
    named = read_config(folder).get("_name_or_path")
    if isinstance(named, str) and _REPO.match(named) and "@" not in named and not named.startswith("."):
        return ModelIdentity(named, "config.json _name_or_path", "model_id from config.json's _name_or_path")
    # A folder inside the HF cache: models--ORG--NAME/snapshots/<commit>.
    if folder.parent.name == "snapshots" and folder.parent.parent.name.startswith("models--"):
        org_name = folder.parent.parent.name[len("models--"):].split("--", 1)
        if len(org_name) == 2:
            return ModelIdentity("/".join(org_name), "hub cache folder",
                                 "model_id from the Hugging Face cache folder it lies in")
    return ModelIdentity(folder.name, "folder name", "model_id from the folder name (config.json has no _name_or_path)")


def _spec(folder: Path, revision: str, source: str, ident: ModelIdentity, more: dict[str, Any]) -> ModelSpec:
    extra = describe(folder) | more | {"model_id_source": ident.source, "model_id_note": ident.note}
    return ModelSpec(path=str(folder), model_id=ident.model_id, revision=revision, source=source, format="hf",
                     extra=extra)


def hub_snapshot(repo: str, revision: str | None) -> tuple[Path, str]:
    """Download (or reuse from the HF cache) a repo's model files; (folder, commit hash).

    Bounded waits as ``models.hub_download``: no network gives a sentence, never a hang.
    """
    os.environ.setdefault("HF_HUB_ETAG_TIMEOUT", "10")
    os.environ.setdefault("HF_HUB_DOWNLOAD_TIMEOUT", "20")
    try:
        import huggingface_hub as hf
        from huggingface_hub import errors as hfe
    except ImportError:
        raise ModelError(f"Downloading {repo} needs huggingface-hub; install it with pip install huggingface-hub.") from None
    where = repo + (f" at {revision}" if revision else "")
    endpoint = (os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/")
    timeout = float(os.environ["HF_HUB_ETAG_TIMEOUT"])
    kw: dict[str, Any] = dict(revision=revision, endpoint=endpoint, cache_dir=_hf_cache_dir(),
                              allow_patterns=list(MODEL_FILES))
    if not _reachable(endpoint, timeout):
        try:
            local = hf.snapshot_download(repo, local_files_only=True, **kw)
        except Exception:
            raise NetworkError(
                f"Could not reach the Hugging Face Hub ({endpoint}) to download {where} and it is not cached; "
                "connect to the network or pass a local model folder."
            ) from None
        return Path(local), Path(local).name
    try:
        local = hf.snapshot_download(repo, etag_timeout=timeout, **kw)
    except (hfe.LocalEntryNotFoundError, hfe.OfflineModeIsEnabled):
        raise NetworkError(f"The Hugging Face Hub stopped answering while downloading {where}; check the network "
                           "and try again.") from None
    except hfe.GatedRepoError:
        raise ModelError(f"{repo} is gated; accept its licence on huggingface.co and log in with hf auth login.") from None
    except hfe.RepositoryNotFoundError:
        raise ModelError(f"The Hugging Face repository {repo} was not found (or is private); check the name.") from None
    except hfe.RevisionNotFoundError:
        raise ModelError(f"{repo} has no revision {revision}; check the @REV part of the model spec.") from None
    except hfe.HFValidationError:
        raise ModelError(f"{repo} is not a valid Hugging Face repository name; use ORG/NAME[@REV].") from None
    except hfe.HfHubHTTPError as exc:
        code = getattr(getattr(exc, "response", None), "status_code", "?")
        raise NetworkError(f"The Hugging Face Hub refused the download of {where} (HTTP {code}); try again later.") from None
    except OSError as exc:
        if getattr(exc, "errno", None) is not None:
            raise  # a full disk or permissions: errors.user_message words those
        raise NetworkError(f"The download of {where} failed ({type(exc).__name__}); check the network and try again.") from None
    except Exception as exc:  # httpx transport errors are not OSErrors
        raise NetworkError(f"The download of {where} failed ({type(exc).__name__}); check the network and try again.") from None
    # The cache layout is snapshots/<commit>/: the folder's name pins the revision.
    return Path(local), Path(local).name


def prepare_hf(req: Any, *, suite: Any, machine: Any = None, log_path: Any = None) -> PreparedModel:
    """The ``prepare`` of backends that run a Hugging Face model (mlx-lm): ``--model`` as a folder or repo id;
    without it, an upstream suite's hub model (``model_id``) is fetched. The user's options go to the backend."""
    spec = req.model
    if spec is None:
        data = suite.data
        if data.get("model_file"):  # the quick suite's model is a GGUF this backend cannot read
            raise UsageError(f"{suite.id}'s bundled model is a GGUF, which this runner cannot load; pass a Hugging "
                             "Face folder or repo id with --model (`accelmark dev tiny-model DIR` writes a tiny one).")
        spec = str(data.get("model_id") or "")
        if not spec:
            raise UsageError(f"{suite.id} names no model; pass a Hugging Face folder or repo id with --model.")
    return PreparedModel(model=resolve_hf_model(spec), backend_options=dict(req.options))
