"""`accelmark detect` end to end in a subprocess: JSON validity, schema, exit status, lean imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[2]
ENV_SCHEMA = json.loads((ROOT / "assets" / "schema" / "env.schema.json").read_text())


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    for name in ("CACHE", "CONFIG", "DATA"):
        path = tmp_path / name.lower()
        path.mkdir()
        env[f"ACCELMARK_{name}_DIR"] = str(path)
    return env


def accelmark(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "accelmark_tui", *args], capture_output=True, text=True,
                          env=env, cwd=env["ACCELMARK_DATA_DIR"], timeout=60)


def test_detect_json_is_valid_env_info(env: dict[str, str]) -> None:
    proc = accelmark("detect", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)  # nothing but the JSON on stdout
    jsonschema.Draft7Validator(ENV_SCHEMA).validate(data)
    assert data["accelerators"][0]["index"] == 0
    assert isinstance(data["vendor_details"]["probe_notes"], list)


def test_detect_table(env: dict[str, str]) -> None:
    proc = accelmark("detect", env=env)
    assert proc.returncode == 0, proc.stderr
    for label in ("Accelerators", "Chip", "CPU", "Cores", "NUMA nodes", "RAM", "OS", "Kernel", "Python",
                  "Driver", "Runtime"):
        assert any(line.startswith(label) for line in proc.stdout.splitlines()), label
    assert not os.listdir(env["ACCELMARK_CACHE_DIR"])  # fresh detection writes nothing


def test_detect_cached_writes_and_reuses_the_cache(env: dict[str, str]) -> None:
    first = accelmark("detect", "--json", "--cached", env=env)
    assert first.returncode == 0, first.stderr
    assert (Path(env["ACCELMARK_CACHE_DIR"]) / "machine.json").is_file()
    second = accelmark("detect", "--json", "--cached", env=env)
    assert json.loads(second.stdout)["collected_at"] == json.loads(first.stdout)["collected_at"]


def test_detect_does_not_import_textual_or_jsonschema(env: dict[str, str]) -> None:
    code = (
        "import sys, io, contextlib\n"
        "from accelmark_tui.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['detect', '--json']) == 0\n"
        "assert 'textual' not in sys.modules, 'textual imported'\n"
        "assert 'jsonschema' not in sys.modules, 'jsonschema imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_detect_bad_argument_exits_2(env: dict[str, str]) -> None:
    proc = accelmark("detect", "--jsn", env=env)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1  # one sentence


def test_detect_is_fast(env: dict[str, str]) -> None:
    # The goal is < 0.5 s (bench/startup.py measures it); a loose bound here catches
    # a heavy import sneaking into the detect path without making CI flaky.
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        assert accelmark("detect", "--json", env=env).returncode == 0
        best = min(best, time.perf_counter() - start)
    assert best < 1.0


def test_detect_says_whether_llama_cpp_repacks_weights(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("llama_cpp")
    from accelmark_tui.detect import llama_repack

    proc = accelmark("detect", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    jsonschema.Draft7Validator(ENV_SCHEMA).validate(data)
    amx = any(f in data["vendor_details"]["cpu_flags"] for f in ("amx_int8", "amx_tile"))
    assert data["vendor_details"]["llama_cpp_repacking"] == (
        {"extra_bufts": None, "reason": llama_repack.NOT_PROBED} if amx
        else {"extra_bufts": True, "reason": "on: no AMX on this CPU"})
    # The backend's cached verdict for this very build is what detect reports; detect never probes.
    monkeypatch.setenv("ACCELMARK_CACHE_DIR", env["ACCELMARK_CACHE_DIR"])
    llama_repack.write_verdict(llama_repack.build_key(), False, "off: the verdict the backend cached")
    table = accelmark("detect", env=env)
    assert any(line.startswith("llama repack ") and line.endswith(" off: the verdict the backend cached")
               for line in table.stdout.splitlines()), table.stdout
    assert sorted(os.listdir(env["ACCELMARK_CACHE_DIR"])) == ["llama_repack.json"]
