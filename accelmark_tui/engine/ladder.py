"""A quant ladder made from the embedded model: an F16 source and llama.cpp quantizations of it.

For trying a sweep (``accelmark dev ladder DIR``) and for the tests, without a download.
The embedded SmolLM2 file is Q4_1 (token embeddings Q8_0); its tensors are dequantized
with the ``gguf`` package into an F16 GGUF that keeps every metadata key (tokenizer,
chat template) and says ``general.file_type`` = F16, then llama.cpp's own quantize API
(``llama_model_quantize``, the code behind ``llama-quantize``) writes each type asked.

SmolLM2-135M's rows are 576 wide: not a multiple of 256, so k-quants (Q2_K … Q6_K)
fall back per tensor to a 32-block type inside llama.cpp (Q2_K/Q3_K → IQ4_NL, Q4_K →
Q5_0 …) and their files would not order by bits. The default ladder therefore uses
32-block types only. Files are cached under a folder keyed by the source's SHA-256 and
the llama-cpp-python version, written to ``*.part`` and renamed, so a second call (or a
test session after the first) reuses them.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

from accelmark_tui.engine.filehash import file_sha256
from accelmark_tui.engine.models import FILE_TYPES, embedded_model_path
from accelmark_tui.errors import ModelError, UsageError

# Highest precision first: the source, then 32-block types in falling bits per weight.
DEFAULT_TYPES = ("F16", "Q8_0", "Q5_0", "Q4_0")
_FTYPE_ID = {name: ftype for ftype, name in FILE_TYPES.items()}


def ladder_key(source: Path) -> str:
    import llama_cpp

    return f"{file_sha256(source)[:16]}-lcp{llama_cpp.__version__}"


def build_ladder(folder: str | os.PathLike[str], types: tuple[str, ...] = DEFAULT_TYPES, *,
                 source: str | os.PathLike[str] | None = None, threads: int | None = None) -> dict[str, Path]:
    """Write (or reuse) ``folder/<stem>-<TYPE>.gguf`` for each type; return {type: path}, in ``types`` order.

    ``source`` defaults to the embedded model. F16 (or F32) is the dequantized source;
    every other type is quantized from the F16 file.
    """
    src = Path(source) if source else embedded_model_path()
    unknown = [t for t in types if t not in _FTYPE_ID]
    if unknown:
        raise UsageError(f"Unknown quantization type {unknown[0]}; use llama.cpp's names such as "
                         f"{', '.join(DEFAULT_TYPES)}.")
    out = Path(folder).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    stem = src.stem.split(".")[0]
    f16 = out / f"{stem}-F16.gguf"
    if not f16.exists():
        dequantize_gguf(src, f16, "F16")
    paths: dict[str, Path] = {}
    for t in types:
        dst = out / f"{stem}-{t}.gguf"
        if not dst.exists():
            if t in ("F16", "F32"):
                dequantize_gguf(src, dst, t)
            else:
                quantize(f16, dst, t, threads=threads)
        paths[t] = dst
    return paths


def dequantize_gguf(src: Path, dst: Path, float_type: str = "F16") -> Path:
    """``src`` with every tensor as ``float_type`` (1-D tensors stay F32, as llama.cpp's converter keeps norms)."""
    try:
        import gguf
    except ImportError:
        raise UsageError("Making a quant ladder needs the gguf package; install it with "
                         "pip install 'accelmark-tui[sweep]' (or pip install gguf).") from None
    import numpy as np

    dtype = {"F16": np.float16, "F32": np.float32}[float_type]
    reader = gguf.GGUFReader(src)
    arch = reader.fields[gguf.Keys.General.ARCHITECTURE].contents()
    part = dst.with_name(dst.name + ".part")
    writer = gguf.GGUFWriter(part, arch)
    for field in reader.fields.values():
        # GGUF.* are the reader's virtual fields; the writer adds the architecture itself.
        if field.name.startswith("GGUF.") or field.name == gguf.Keys.General.ARCHITECTURE:
            continue
        value = _FTYPE_ID[float_type] if field.name == gguf.Keys.General.FILE_TYPE else field.contents()
        vtype = field.types[0]
        sub = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, value, vtype, sub_type=sub)

    def as_float(t: gguf.ReaderTensor) -> np.ndarray:
        data = gguf.quants.dequantize(t.data, t.tensor_type)
        return data.astype(np.float32 if data.ndim == 1 else dtype, copy=False)

    # Two passes, one tensor in memory at a time: infos first (the header), then the data.
    for t in reader.tensors:
        shape = tuple(int(n) for n in reversed(t.shape.tolist()))
        one_d = len(shape) == 1
        writer.add_tensor_info(t.name, shape, np.dtype(np.float32 if one_d else dtype),
                               int(np.prod(shape)) * (4 if one_d else np.dtype(dtype).itemsize))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for t in reader.tensors:
        writer.write_tensor_data(as_float(t))
    writer.close()
    part.replace(dst)
    return dst


def quantize(src: Path, dst: Path, type_name: str, *, threads: int | None = None) -> Path:
    """llama.cpp's ``llama_model_quantize`` from ``src`` to ``dst`` as file type ``type_name``."""
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = _FTYPE_ID[type_name]
    params.nthread = int(threads or 0)  # 0: llama.cpp picks the hardware's thread count
    part = dst.with_name(dst.name + ".part")
    rc = llama_cpp.llama_model_quantize(str(src).encode(), str(part).encode(), ctypes.byref(params))
    if rc != 0 or not part.exists():
        part.unlink(missing_ok=True)
        raise ModelError(f"llama.cpp could not quantize {src.name} to {type_name} (code {rc}); "
                         "pick another type or check the source file.")
    part.replace(dst)
    return dst
