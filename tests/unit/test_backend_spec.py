"""Backends declare themselves: typed options parsed in one place, runner folders that agree with
their backend's spec, CLI flags generated per backend, third-party backends from entry points."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from accelmark_tui import resources
from accelmark_tui.backends import registry
from accelmark_tui.catalog.runners import discover_runners
from accelmark_tui.cli import build_parser
from accelmark_tui.engine.backend_spec import BackendSpec, Option
from accelmark_tui.errors import UsageError

ROOT = Path(__file__).resolve().parents[2]


def _assigned(runner_py: Path, name: str):
    """A constant assigned at runner.py's top level, read without importing it."""
    for node in ast.parse(runner_py.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    return None


@pytest.mark.parametrize("runner", discover_runners(resources.runners_dir(), strict=True), ids=lambda r: r.id)
def test_a_runner_folder_agrees_with_its_backend_spec(runner):
    spec = registry.get_spec(runner.backend)  # meta.json names a registered backend
    assert tuple(runner.model_formats) == spec.model_formats, "meta.json model_formats differ from the spec's"
    assert _assigned(runner.runner_py, "BACKEND") == spec.backend, "runner.py's BACKEND is not the spec's class"
    for name in _assigned(runner.runner_py, "OPTIONS") or {}:  # what a runner presets is an option of its backend
        assert spec.option(name) is not None or name in ("gpu", "n_ctx", "kv_unified"), name


def test_option_parse_is_the_one_check():
    n = Option("n_batch", int, "batch", minimum=1)
    assert n.parse("256") == 256 and n.parse(8) == 8
    kinds = Option("type_k", str, "K", choices=("f16", "q8_0"))
    on = Option("extra_bufts", bool, "repack")
    assert on.parse("off") is False and on.parse("ON") is True and on.parse(True) is True
    assert Option("idle_timeout_s", float, "s", flag="--idle-timeout").parse(3) == 3.0
    for opt, bad, words in [(n, "lots", "--n-batch takes a whole number, not 'lots'."),
                            (n, "0", "--n-batch must be at least 1, not 0."),
                            (n, True, "--n-batch takes int, not bool (True)."),
                            (kinds, "q3", "--type-k must be one of f16, q8_0, not 'q3'."),
                            (on, "maybe", "--extra-bufts takes on or off, not 'maybe'.")]:
        with pytest.raises(UsageError) as err:
            opt.parse(bad)
        assert str(err.value) == words


def test_every_spec_option_has_a_run_flag_in_its_backend_group():
    run = build_parser()._subparsers._group_actions[0].choices["run"]
    groups = {g.title: {a.option_strings[0] for a in g._group_actions} for g in run._action_groups}
    for spec in registry.all_specs():
        assert groups[spec.title] == {o.cli_flag for o in spec.options}, spec.name
    # Today's endpoint flags keep their names.
    assert {"--base-url", "--serve-cmd", "--connect-timeout", "--first-byte-timeout", "--idle-timeout"} <= \
        groups[registry.get_spec("openai-endpoint").title]


def test_a_registered_spec_adds_its_flags_and_they_reach_the_request(monkeypatch):
    fake = BackendSpec(name="fake", title="fake options", backend="fake_pkg:FakeBackend", model_formats=("hf",),
                       prepare="fake_pkg:prepare", options=(Option("depth", int, "how deep", minimum=1),))
    monkeypatch.setattr(registry, "BUILTIN", (*registry.BUILTIN, fake))
    registry.all_specs.cache_clear()
    try:
        from accelmark_tui.cli.cmd_run import backend_options

        args = build_parser().parse_args(["run", "--depth", "3", "--type-k", "q8_0"])
        assert backend_options(args) == {"depth": "3", "type_k": "q8_0"}
        assert registry.get_spec("fake") is fake
    finally:
        registry.all_specs.cache_clear()


PLUGIN = '''
from accelmark_tui.engine.backend_spec import BackendSpec, Option
SPEC = BackendSpec(name="toy", title="toy options (a plug-in)", backend="toy_backend:Toy", model_formats=("hf",),
                   prepare="toy_backend:prepare", options=(Option("toy_depth", int, "how deep"),))
'''


def _plugin_env(tmp_path: Path) -> dict[str, str]:
    """A real installed distribution on the path, registering one good and one broken backend."""
    site = tmp_path / "site"
    dist = site / "toy_backend-0.1.dist-info"
    dist.mkdir(parents=True)
    (site / "toy_backend.py").write_text(PLUGIN, encoding="utf-8")
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-backend\nVersion: 0.1\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text("[accelmark.backends]\ntoy = toy_backend:SPEC\n"
                                           "broken = toy_backend_missing:SPEC\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(site)]),
               ACCELMARK_DATA_DIR=str(tmp_path / "data"), ACCELMARK_CONFIG_DIR=str(tmp_path / "config"),
               ACCELMARK_CACHE_DIR=str(tmp_path / "cache"))
    return env


def test_an_entry_point_plugin_adds_its_flags_and_a_broken_one_is_a_note(tmp_path):
    env = _plugin_env(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "accelmark_tui", "run", "--help"], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "toy options (a plug-in)" in proc.stdout and "--toy-depth N" in proc.stdout
    notes = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(notes) == 1 and notes[0].startswith("accelmark: note: skipped the backend plug-in 'broken' (")
    # The option is the toy backend's: a llama.cpp runner says whose it is, in one sentence.
    proc = subprocess.run([sys.executable, "-m", "accelmark_tui", "run", "--runner", "cpu_llamacpp", "--toy-depth",
                           "2"], capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1].startswith("accelmark: --toy-depth is an option of the toy backend; "
                                                   "cpu_llamacpp_")


def test_runners_json_shows_each_runners_backend(tmp_path):
    env = _plugin_env(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "accelmark_tui", "runners", "--json"], capture_output=True,
                          text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    by_id = {r["id"].rsplit("_", 1)[0]: r["backend"] for r in json.loads(proc.stdout)["runners"]}
    llama, endpoint = by_id["cpu_llamacpp"], by_id["other_openai_endpoint"]
    assert llama["name"] == "llama.cpp" and llama["model_formats"] == ["gguf"] and llama["installed"]
    assert {o["flag"] for o in llama["options"]} >= {"--type-k", "--type-v", "--n-batch", "--n-ubatch"}
    kv = next(o for o in llama["options"] if o["name"] == "type_k")
    assert kv["type"] == "str" and "q8_0" in kv["choices"]
    assert endpoint["name"] == "openai-endpoint" and endpoint["model_formats"] == ["served"]
