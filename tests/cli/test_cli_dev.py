"""`accelmark dev matrix` and `accelmark dev tiny-model` from the outside."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MARK_A = "| Apple Silicon (Metal build of llama.cpp) | `{id}` | llama.cpp (llama-cpp-python) | ✓ |"


def run(cli, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv, env = cli(tmp_path, *args)
    return subprocess.run(argv, capture_output=True, text=True, env={**env, "PYTHONIOENCODING": "utf-8"},
                          cwd=tmp_path, timeout=120)


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    for name in ("runners", "suites"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "README.md", root / "README.md")
    return root


def test_matrix_check_passes_on_this_tree_and_fails_on_a_stale_readme(cli, tmp_path: Path) -> None:
    root = _tree(tmp_path)
    fresh = run(cli, tmp_path, "dev", "matrix", "--check", "--root", str(root))
    assert fresh.returncode == 0, fresh.stderr
    assert "matches runners/*/meta.json" in fresh.stdout

    meta_path = next(root.glob("runners/apple_*/meta.json"))
    meta = json.loads(meta_path.read_text())
    meta["suite_support"]["A"] = "validated"
    meta_path.write_text(json.dumps(meta, indent=2))
    readme = (root / "README.md").read_text(encoding="utf-8")
    stale = run(cli, tmp_path, "dev", "matrix", "--check", "--root", str(root))
    assert stale.returncode == 1
    assert stale.stderr.count("\n") == 1 and "out of date" in stale.stderr and "accelmark dev matrix" in stale.stderr
    assert (root / "README.md").read_text(encoding="utf-8") == readme  # --check changes nothing

    fix = run(cli, tmp_path, "dev", "matrix", "--root", str(root))
    assert fix.returncode == 0, fix.stderr
    new = (root / "README.md").read_text(encoding="utf-8")
    assert MARK_A.format(id=meta["id"]) in new and MARK_A.format(id=meta["id"]) not in readme
    changed = [(a, b) for a, b in zip(readme.splitlines(), new.splitlines()) if a != b]
    assert len(new.splitlines()) == len(readme.splitlines()) and len(changed) == 1  # that row, in place
    assert run(cli, tmp_path, "dev", "matrix", "--check", "--root", str(root)).returncode == 0


def test_matrix_without_markers_is_one_sentence(cli, tmp_path: Path) -> None:
    root = _tree(tmp_path)
    (root / "README.md").write_text("# a README with no matrix\n", encoding="utf-8")
    proc = run(cli, tmp_path, "dev", "matrix", "--root", str(root))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "<!-- runner-matrix:start -->" in proc.stderr


def test_tiny_model_writes_the_folder_and_repeats_from_its_seed(cli, tmp_path: Path) -> None:
    first = run(cli, tmp_path, "dev", "tiny-model", "one", "--gguf", "--seed", "5")
    assert first.returncode == 0, first.stderr
    assert "tiny random-weight Llama" in first.stdout and "model.gguf" in first.stdout
    names = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert names == sorted(["config.json", "generation_config.json", "model.safetensors", "special_tokens_map.json",
                            "tokenizer.json", "tokenizer_config.json", "model.gguf"])
    assert json.loads((tmp_path / "one" / "config.json").read_text())["architectures"] == ["LlamaForCausalLM"]
    assert run(cli, tmp_path, "dev", "tiny-model", "two", "--gguf", "--seed", "5").returncode == 0
    assert all((tmp_path / "one" / n).read_bytes() == (tmp_path / "two" / n).read_bytes() for n in names)
    plain = run(cli, tmp_path, "dev", "tiny-model", "three")
    assert plain.returncode == 0 and not (tmp_path / "three" / "model.gguf").exists()


def test_tiny_model_refuses_a_full_or_unwritable_folder(cli, tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    proc = run(cli, tmp_path, "dev", "tiny-model", "full")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "is not empty" in proc.stderr and "--force" in proc.stderr
    assert not (tmp_path / "full" / "config.json").exists()
    assert run(cli, tmp_path, "dev", "tiny-model", "full", "--force").returncode == 0
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine" and (tmp_path / "full" / "config.json").is_file()

    blocked = run(cli, tmp_path, "dev", "tiny-model", "full/keep.txt/model")
    assert blocked.returncode == 2
    assert blocked.stderr.count("\n") == 1 and "Cannot write the tiny model" in blocked.stderr
    assert "Traceback" not in blocked.stderr


def test_ladder_writes_files_that_name_their_quant_and_reuses_them(cli, tmp_path: Path) -> None:
    from accelmark_tui.engine.models import check_gguf

    out = tmp_path / "ladder"
    first = run(cli, tmp_path, "dev", "ladder", str(out), "--types", "F16,q8_0")
    assert first.returncode == 0, first.stderr
    files = {p.name: p for p in out.glob("*.gguf")}
    assert set(files) == {"SmolLM2-135M-Instruct-F16.gguf", "SmolLM2-135M-Instruct-Q8_0.gguf"}
    assert check_gguf(files["SmolLM2-135M-Instruct-Q8_0.gguf"]).file_type_name == "Q8_0"
    assert "Q8_0" in first.stdout and "llama_model_quantize" not in first.stdout + first.stderr
    mtimes = {n: p.stat().st_mtime_ns for n, p in files.items()}
    again = run(cli, tmp_path, "dev", "ladder", str(out), "--types", "F16,Q8_0")
    assert again.returncode == 0 and {n: p.stat().st_mtime_ns for n, p in files.items()} == mtimes

    bad = run(cli, tmp_path, "dev", "ladder", str(out), "--types", "Q9_9")
    assert bad.returncode == 2 and "Unknown quantization type Q9_9" in bad.stderr
    assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
