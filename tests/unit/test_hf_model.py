"""Hugging Face model folders and repo ids as a ModelSpec (engine/hf_model.py), on real files.

The folders are the tiny model `accelmark dev tiny-model` writes; the hub tests
serve one from a small hub-like HTTP server on 127.0.0.1 (``HF_ENDPOINT``), so
huggingface_hub itself resolves the revision, downloads and caches.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from accelmark_tui.engine import hf_model
from accelmark_tui.engine import tiny_model as tm
from accelmark_tui.errors import ModelError, NetworkError


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hf") / "tiny-llama"
    tm.write_tiny_model(out, seed=0, gguf=True)
    return out


def _one_sentence(exc: BaseException) -> str:
    msg = str(exc)
    assert "\n" not in msg and msg.endswith(".") and msg.count(". ") == 0
    return msg


def _revision_by_hand(folder: Path, names: list[str]) -> str:
    lines = "".join(f"{n}\0{hashlib.sha256((folder / n).read_bytes()).hexdigest()}\n" for n in sorted(names))
    return hashlib.sha256(lines.encode()).hexdigest()


# -- a local folder ------------------------------------------------------------
def test_tiny_model_resolves(tiny: Path) -> None:
    spec = hf_model.resolve_hf_model(str(tiny))
    assert spec.format == "hf" and spec.source == "local" and spec.path == str(tiny.resolve())
    assert spec.model_id == "tiny-llama" and spec.extra["model_id_source"] == "folder name"
    ex = spec.extra
    params = sum(math.prod(shape) for _, shape in tm.shapes())
    assert ex["parameter_count"] == params and ex["parameter_count_b"] == round(params / 1e9, 6)
    assert ex["architecture"] == "LlamaForCausalLM" and ex["architecture_family"] == "dense"
    assert (ex["hidden_size"], ex["num_hidden_layers"], ex["context_length"]) == (tm.HIDDEN, tm.LAYERS, tm.CONTEXT)
    assert ex["torch_dtype"] == "float32" and ex["precision"] == "FP32" and ex["quantization_method"] is None
    assert ex["model_format"] == "HuggingFace original"
    assert ex["weight_bytes"] == (tiny / "model.safetensors").stat().st_size


def test_revision_covers_the_model_files_only_and_is_stable(tiny: Path, tmp_path: Path) -> None:
    names = ["config.json", "generation_config.json", "model.safetensors", "special_tokens_map.json",
             "tokenizer.json", "tokenizer_config.json"]  # not model.gguf: another format's file
    rev = hf_model.resolve_hf_model(str(tiny)).revision
    assert rev == _revision_by_hand(tiny, names) == hf_model.resolve_hf_model(str(tiny)).revision
    copy = tmp_path / "elsewhere"
    shutil.copytree(tiny, copy)
    (copy / "README.md").write_text("not a model file\n")
    assert hf_model.resolve_hf_model(str(copy)).revision == rev  # same bytes, same revision, wherever they lie
    cfg = json.loads((copy / "tokenizer_config.json").read_text())
    (copy / "tokenizer_config.json").write_text(json.dumps({**cfg, "model_max_length": 16}))
    assert hf_model.resolve_hf_model(str(copy)).revision != rev  # a tokenizer change is another revision


def test_model_id_from_name_or_path_then_the_hub_cache_folder(tiny: Path, tmp_path: Path) -> None:
    named = tmp_path / "named"
    shutil.copytree(tiny, named)
    cfg = json.loads((named / "config.json").read_text())
    (named / "config.json").write_text(json.dumps({**cfg, "_name_or_path": "org/tiny-chat"}))
    spec = hf_model.resolve_hf_model(str(named))
    assert spec.model_id == "org/tiny-chat" and spec.extra["model_id_source"] == "config.json _name_or_path"
    cached = tmp_path / "hub" / "models--acme--small-lm" / "snapshots" / ("ab" * 20)
    shutil.copytree(tiny, cached)
    assert hf_model.resolve_hf_model(str(cached)).model_id == "acme/small-lm"


def _write_safetensors(path: Path, tensors: dict[str, tuple[str, list[int]]], *, sparse: bool = False) -> None:
    """A safetensors file whose data is zeros (sparse: a hole, never written)."""
    width = {"F32": 4, "F16": 2, "BF16": 2, "U32": 4}
    header, offset = {}, 0
    for name, (dtype, shape) in tensors.items():
        n = math.prod(shape) * width[dtype]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    text = json.dumps(header).encode()
    with open(path, "wb") as fh:
        fh.write(len(text).to_bytes(8, "little") + text)
        if sparse:
            fh.truncate(8 + len(text) + offset)
        else:
            fh.write(bytes(offset))


def test_mlx_quantized_weights_count_the_weights_they_pack(tmp_path: Path) -> None:
    folder = tmp_path / "q4"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "torch_dtype": "bfloat16",
        "quantization": {"group_size": 64, "bits": 4}, "hidden_size": 512}))
    _write_safetensors(folder / "model.safetensors", {
        "lm_head.weight": ("U32", [1000, 64]), "lm_head.scales": ("BF16", [1000, 8]),
        "lm_head.biases": ("BF16", [1000, 8]), "model.norm.weight": ("BF16", [512])})
    ex = hf_model.resolve_hf_model(str(folder)).extra
    assert ex["parameter_count"] == 1000 * 64 * 8 + 512  # eight 4-bit weights per uint32; scales/biases are not weights
    assert (ex["precision"], ex["quantization_method"], ex["model_format"]) == ("INT4", "mlx_q4", "MLX")
    assert ex["weights_dtype"] == "BF16"


def test_only_the_headers_are_read(tmp_path: Path) -> None:
    folder = tmp_path / "big"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "llama", "torch_dtype": "float16"}))
    shards = [f"model-0000{i}-of-00002.safetensors" for i in (1, 2)]
    for name in shards:  # 2 × 4 GB of F16 weights, as holes: reading them would take seconds
        _write_safetensors(folder / name, {"w": ("F16", [32768, 65536])}, sparse=True)
    t = time.perf_counter()
    params, by_dtype, nbytes = hf_model.weight_stats(folder, hf_model.read_config(folder))
    assert time.perf_counter() - t < 1.0
    assert params == 2 * 32768 * 65536 and by_dtype == {"F16": params} and nbytes > 8e9


# -- bad input: one sentence each ---------------------------------------------------------
def test_bad_folders_are_one_sentence(tiny: Path, tmp_path: Path) -> None:
    def error(path: Path | str) -> str:
        with pytest.raises(ModelError) as e:
            hf_model.resolve_hf_model(str(path))
        return _one_sentence(e.value)

    assert "Model folder not found" in error(tmp_path / "nope")
    assert "GGUF files run with a llama.cpp runner" in error(tiny / "model.gguf")
    assert "is a file, not a Hugging Face model folder" in error(tiny / "config.json")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "has no config.json" in error(empty)
    no_weights = tmp_path / "no-weights"
    no_weights.mkdir()
    shutil.copy(tiny / "config.json", no_weights)
    (no_weights / "pytorch_model.bin").write_bytes(b"\0" * 64)
    assert "has no model*.safetensors weights" in error(no_weights)
    broken = tmp_path / "broken"
    shutil.copytree(tiny, broken)
    (broken / "config.json").write_text("{not json")
    assert "config.json is not valid JSON" in error(broken)
    shutil.copy(tiny / "config.json", broken / "config.json")
    data = (tiny / "model.safetensors").read_bytes()
    (broken / "model.safetensors").write_bytes(data[: len(data) // 2])
    assert "model.safetensors is truncated" in error(broken)
    (broken / "model.safetensors").write_bytes(b"not a safetensors file at all")
    assert "is not a safetensors file or is truncated" in error(broken)


# -- the hub ---------------------------------------------------------------------------------
COMMIT = "89abcdef0123456789abcdef0123456789abcdef"


class _Hub(BaseHTTPRequestHandler):
    """org/tiny at main, v1.0 and COMMIT: the files of a folder, as huggingface_hub asks for them."""

    folder: Path
    revisions = {"main", "v1.0", COMMIT}

    def log_message(self, *a):  # quiet
        pass

    def _route(self) -> tuple[int, dict[str, str], bytes]:
        parts = self.path.split("?")[0].strip("/").split("/")
        files = {p.name: p for p in self.folder.iterdir()}
        if parts[:2] == ["api", "models"] and "revision" in parts:
            repo, rev = "/".join(parts[2:4]), parts[5]
            if repo != "org/tiny":
                return 404, {"X-Error-Code": "RepoNotFound", "X-Error-Message": "Repository not found"}, b"{}"
            if rev not in self.revisions:
                return 404, {"X-Error-Code": "RevisionNotFound", "X-Error-Message": "Invalid rev id"}, b"{}"
            body = json.dumps({"id": repo, "sha": COMMIT, "siblings": [{"rfilename": f} for f in files]}).encode()
            return 200, {"Content-Type": "application/json"}, body
        if parts[:2] == ["api", "models"] and parts[4:5] == ["tree"]:  # the file listing snapshot_download asks for
            if "/".join(parts[2:4]) != "org/tiny" or parts[5] not in self.revisions:
                return 404, {"X-Error-Code": "RevisionNotFound", "X-Error-Message": "Invalid rev id"}, b"[]"
            listing = [{"type": "file", "path": f, "size": p.stat().st_size,
                        "oid": hashlib.sha1(p.read_bytes()).hexdigest()} for f, p in files.items()]
            return 200, {"Content-Type": "application/json"}, json.dumps(listing).encode()
        if len(parts) >= 5 and parts[2] == "resolve" and "/".join(parts[:2]) == "org/tiny" and parts[4] in files:
            body = files[parts[4]].read_bytes()
            return 200, {"X-Repo-Commit": COMMIT, "ETag": '"' + hashlib.sha1(body).hexdigest() + '"',
                         "Content-Type": "application/octet-stream"}, body
        return 404, {"X-Error-Code": "EntryNotFound", "X-Error-Message": "Entry not found"}, b""

    def _send(self, with_body: bool) -> None:
        code, headers, body = self._route()
        self.send_response(code)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def do_HEAD(self):
        self._send(False)

    def do_GET(self):
        self._send(True)


@pytest.fixture
def hub(tiny, tmp_path, monkeypatch):
    pytest.importorskip("huggingface_hub")
    _Hub.folder = tiny
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Hub)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{srv.server_address[1]}")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    yield srv
    srv.shutdown()
    srv.server_close()


def test_repo_id_downloads_the_model_files_and_pins_the_commit(hub, tiny, tmp_path) -> None:
    spec = hf_model.resolve_hf_model("org/tiny")
    assert spec.source == "huggingface" and spec.model_id == "org/tiny" and spec.revision == COMMIT
    folder = Path(spec.path)
    assert str(tmp_path / "hf") in spec.path and folder.name == COMMIT
    # The model's files, byte for byte; not the GGUF beside them (another format's file).
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in hf_model.model_files(tiny))
    assert (folder / "model.safetensors").read_bytes() == (tiny / "model.safetensors").read_bytes()
    assert spec.extra["hub_repo"] == "org/tiny" and spec.extra["parameter_count"] > 0
    assert hf_model.resolve_hf_model("org/tiny@v1.0").revision == COMMIT  # a tag resolves to its commit


def test_hub_errors_are_one_sentence(hub) -> None:
    with pytest.raises(ModelError) as e:
        hf_model.resolve_hf_model("org/tiny@v9")
    assert "has no revision v9" in _one_sentence(e.value)
    with pytest.raises(ModelError) as e:
        hf_model.resolve_hf_model("org/other")
    assert "repository org/other was not found" in _one_sentence(e.value)


def test_hub_unreachable_is_quick_and_uses_the_cache(hub) -> None:
    spec = hf_model.resolve_hf_model("org/tiny")
    hub.shutdown()
    hub.server_close()
    t = time.perf_counter()
    again = hf_model.resolve_hf_model("org/tiny")  # offline: served from the HF cache
    assert again.path == spec.path and again.revision == COMMIT
    with pytest.raises(NetworkError) as e:
        hf_model.resolve_hf_model("org/uncached")
    assert time.perf_counter() - t < 10
    assert "Could not reach the Hugging Face Hub" in _one_sentence(e.value)


def test_repo_id_without_huggingface_hub_installed(monkeypatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "huggingface_hub", None)  # import fails
    with pytest.raises(ModelError, match="pip install huggingface-hub"):
        hf_model.resolve_hf_model("org/tiny")
