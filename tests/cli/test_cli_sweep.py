"""`accelmark sweep` for real: two GGUF files (the embedded Q4_1 model and a tiny F32 one, renamed to
misleading quant names) plus a broken one, two shapes × two levels × two repetitions, stopped with Ctrl-C,
resumed, and run a third time with nothing left to do."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp")

from accelmark_tui.engine.records import read_records  # noqa: E402

SHAPES = [  # tiny answers keep the suite fast; one chat, one raw tool-call-shaped prompt
    {"name": "chat", "prompt_source": "dataset:sharegpt_standard_v1", "prompt_tokens": 24, "output_tokens": 12,
     "format": "chat"},
    {"name": "tools", "prompt_source": "tools:sharegpt_standard_v1", "prompt_tokens": 48, "output_tokens": 6,
     "format": "raw", "tools": [{"name": "get_weather", "parameters": {"city": "string"}}]},
]


@pytest.fixture(scope="module")
def ladder(tmp_path_factory) -> tuple[Path, str]:
    from accelmark_tui.engine.models import embedded_model_path
    from accelmark_tui.engine.tiny_model import write_tiny_model

    base = tmp_path_factory.mktemp("ladder")
    folder = base / "ladder"
    folder.mkdir()
    tiny = base / "tiny"
    write_tiny_model(tiny, gguf=True)
    # Names that lie: the quant must come from the files.
    shutil.copy(embedded_model_path(), folder / "model-Q8_0.gguf")
    shutil.copy(tiny / "model.gguf", folder / "model-Q2_K.gguf")
    (folder / "notes-F16.gguf").write_text("not a model\n")
    data = (tiny / "model.gguf").read_bytes()
    (folder / "cut-Q4_0.gguf").write_bytes(data[: len(data) // 2])
    paths = []
    for shape in SHAPES:
        p = base / f"{shape['name']}.json"
        p.write_text(json.dumps(shape))
        paths.append(str(p))
    return folder, ",".join(paths)


def _argv(cli, tmp_path, folder, shapes, *more):
    return cli(tmp_path, "sweep", str(folder), "--shapes", shapes, "--levels", "1,2", "--repetitions", "2",
               "--no-quality", "--threads", "2", "--output-dir", str(tmp_path / "out"), "--json", *more)


def test_sweep_measures_the_ladder_survives_ctrl_c_resumes_and_skips_what_is_done(cli, tmp_path, ladder):
    folder, shapes = ladder
    argv, env = _argv(cli, tmp_path, folder, shapes)
    cells_file = tmp_path / "out" / "sweeps" / "ladder" / "cells.jsonl"

    # 1. Ctrl-C once the first good cells are stored: they are kept, the run says it stopped.
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            stdin=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        good = [c for c in map(json.loads, cells_file.read_text().splitlines())
                if c["error"] is None] if cells_file.exists() else []
        if len(good) >= 2:
            proc.send_signal(signal.SIGINT)
            break
        time.sleep(0.2)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err
    first = json.loads(out)
    assert first["stopped"] and first["measured"] >= 2
    kept = first["measured"]

    # 2. The same command measures only the rest.
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["skipped"] == kept and doc["measured"] == 16 - kept
    assert f"{kept} already finished (skipped)" in done.stderr

    # The contract's fields; the quant is the file's, not its name's.
    quants = {q["model"]: q for q in doc["quants"]}
    assert quants["model-Q8_0.gguf"]["quant"] == "Q4_1" and quants["model-Q2_K.gguf"]["quant"] == "F32"
    for q in quants.values():
        assert {"quant", "file_size_bytes", "bpw", "ppl", "kld_mean", "top1_agreement"} <= set(q)
        assert q["ppl"] is None and q["kld_mean"] is None  # --no-quality: null, never invented
    f32 = quants["model-Q2_K.gguf"]
    assert f32["file_size_bytes"] == (folder / "model-Q2_K.gguf").stat().st_size
    assert 32 <= f32["bpw"] < 40  # F32 weights plus the file's metadata and vocabulary
    good = [c for c in doc["cells"] if c["error"] is None]
    assert len(good) == 2 * 2 * 2  # files × shapes × levels
    for c in good:
        assert {"model", "quant", "shape", "concurrency", "pp_tps", "ttft_ms_p50", "error"} <= set(c)
        assert c["gen_tps"]["mean"] > 0 and c["gen_tps"]["sd"] >= 0 and c["gen_tps"]["n"] == 2
        assert c["output_enforced"] is True and c["build_commit"] and c["hardware"] and c["accelmark_version"]
    assert {c["shape"] for c in good} == {"chat", "tools"}

    # Concurrency 2 ran two sequences at once: read from the runner's own request records.
    runs = tmp_path / "out" / "sweeps" / "ladder" / "runs"
    for samples in runs.glob("*/*/samples.jsonl"):
        recs = [r for r in read_records(samples) if r.phase == "measure" and r.level == 2]
        assert len(recs) % 2 == 0 and recs
        for a, b in zip(recs[::2], recs[1::2]):
            assert a.sent_ns < b.end_ns and b.sent_ns < a.end_ns, samples
    assert all(c["ran_at_once"] == c["concurrency"] for c in good)

    # The broken files are error rows, each with its own sentence; the rest completed.
    bad = {c["model"]: c["error"] for c in doc["cells"] if c["error"]}
    assert set(bad) == {"notes-F16.gguf", "cut-Q4_0.gguf"}
    assert "not a GGUF file" in bad["notes-F16.gguf"] and "truncated" in bad["cut-Q4_0.gguf"]
    assert {q["model"]: q["error"] is not None for q in doc["quants"]} == {
        "model-Q8_0.gguf": False, "model-Q2_K.gguf": False, "notes-F16.gguf": True, "cut-Q4_0.gguf": True}

    # 3. Nothing left: every finished cell is skipped, and the run says so.
    again = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, stdin=subprocess.DEVNULL)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["skipped"] == 16 and json.loads(again.stdout)["measured"] == 0
    assert "16 already finished (skipped)" in again.stderr

    # Every cell as CSV too.
    import csv

    rows = list(csv.DictReader((tmp_path / "out" / "sweeps" / "ladder" / "sweep.csv").open()))
    assert len(rows) == len(doc["cells"]) and {"gen_tps_mean", "gen_tps_sd", "pp_tps_mean", "quant"} <= set(rows[0])

    # The tables: the homelab one has a min–max range per file and level.
    md = (tmp_path / "out" / "sweeps" / "ladder" / "sweep.md").read_text()
    assert "Gen tok/s (min–max across shapes)" in md
    row = next(line for line in md.splitlines() if line.startswith("| model-Q2_K | F32 |") and "| 2 |" in line)
    low, high = (float(v) for v in row.rstrip(" |").rsplit("| ", 1)[1].split("–"))
    assert 0 < low <= high


@pytest.mark.parametrize("args, sentence", [
    (["--shapes", "shortish"], "Unknown shape 'shortish'"),
    (["--levels", "1,x"], "--levels takes whole numbers"),
    (["--type-k", "f16,q9_9"], "--type-k must be one of"),
    (["--repetitions", "0"], "--repetitions must be at least 1"),
])
def test_bad_input_is_one_sentence_and_exit_2(cli, tmp_path, args, sentence):
    from accelmark_tui.engine.models import embedded_model_path

    argv, env = cli(tmp_path, "sweep", str(embedded_model_path()), "--no-quality", *args)
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2 and sentence in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_a_typo_in_a_shape_file_names_the_file_and_the_field(cli, tmp_path):
    shape = tmp_path / "mine.json"
    shape.write_text(json.dumps({"name": "mine", "prompt_source": "dataset:sharegpt_standard_v1",
                                 "prompt_tokens": 32, "output_tokns": 8}))
    argv, env = cli(tmp_path, "sweep", "x.gguf", "--shapes", str(shape), "--no-quality")
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2
    assert f"Shape file {shape}: field 'output_tokns' is not a shape field" in proc.stderr, proc.stderr


def test_a_hub_pattern_offline_is_one_sentence(cli, tmp_path):
    argv, env = cli(tmp_path, "sweep", "someorg/somerepo:Q4_K_M,Q8_0", "--no-quality",
                    HF_ENDPOINT="http://127.0.0.1:9")
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2 and "Could not reach the Hugging Face Hub" in proc.stderr, proc.stderr
