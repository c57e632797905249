"""The AMX probe: a real child process decides llama.cpp's weight repacking, once per build.

The child's command is injectable (``argv``), so a child that dies of SIGSEGV stands
in for a GCC <= 12 build on an AMX CPU; one test runs the real child on the embedded model.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from accelmark_tui.backends import amx_probe
from accelmark_tui.detect import llama_repack

SEGV = [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"]
PASS = [sys.executable, "-c", "pass"]


def marker_child(path: Path) -> list[str]:
    """A child that leaves a file behind: its absence proves no child ran."""
    return [sys.executable, "-c", f"open({str(path)!r}, 'w').close()"]


@pytest.fixture
def lib(tmp_path: Path) -> Path:
    """A stand-in for llama_cpp/lib: the key reads names, sizes and mtimes only."""
    d = tmp_path / "lib"
    d.mkdir()
    (d / "libggml-cpu.so").write_bytes(b"\x7fELF built by gcc 12")
    (d / "libllama.so").write_bytes(b"\x7fELF")
    return d


def test_a_crash_turns_repacking_off_names_the_cause_and_is_cached(tmp_path: Path, lib: Path) -> None:
    key = llama_repack.build_key(lib)
    on, reason = amx_probe.verdict(True, key=key, argv=SEGV)
    assert on is False
    assert reason.startswith("off: this llama.cpp build crashed (SIGSEGV) in its AMX matmul")
    assert "GCC <= 12" in reason and "ggml-org/llama.cpp#20824" in reason
    assert reason.endswith(llama_repack.REINSTALL)
    ran = tmp_path / "ran"
    assert amx_probe.verdict(True, key=key, argv=marker_child(ran)) == (False, reason)
    assert not ran.exists(), "a cached verdict must not start another child"


def test_a_pass_turns_it_on_and_a_rebuilt_library_is_probed_again(tmp_path: Path, lib: Path) -> None:
    key = llama_repack.build_key(lib)
    assert amx_probe.verdict(True, key=key, argv=PASS) == (True, "on: AMX probe passed for this build")
    so = lib / "libggml-cpu.so"
    so.write_bytes(b"\x7fELF rebuilt with the fix header")  # a reinstall rewrites the library
    rebuilt = llama_repack.build_key(lib)
    assert rebuilt != key
    st = so.stat()
    os.utime(so, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # same size, newer file
    touched = llama_repack.build_key(lib)
    assert touched not in (key, rebuilt)
    assert amx_probe.verdict(True, key=touched, argv=SEGV)[0] is False  # probed again, its own verdict
    ran = tmp_path / "ran"
    assert amx_probe.verdict(True, key=key, argv=marker_child(ran))[0] is True  # the first build's verdict is kept
    assert not ran.exists()


def test_a_hang_or_a_failed_start_is_no_verdict(lib: Path) -> None:
    key = llama_repack.build_key(lib)
    hang = [sys.executable, "-c", "import time; time.sleep(60)"]
    assert amx_probe.verdict(True, key=key, argv=hang, timeout=1) == (
        False, "off: the AMX probe did not finish within 1 s")
    failed = [sys.executable, "-c", "import sys; sys.exit('ModelError: no embedded model')"]
    assert amx_probe.verdict(True, key=key, argv=failed) == (
        False, "off: the AMX probe failed (ModelError: no embedded model)")
    assert llama_repack.read_verdict(key) is None  # the next load asks again


def test_a_build_without_amx_starts_no_child(tmp_path: Path) -> None:
    ran = tmp_path / "ran"
    on, reason = amx_probe.verdict(False, argv=marker_child(ran))
    assert on is True and reason.startswith("on: no AMX on this CPU")
    assert not ran.exists()


def test_detect_reads_the_cache_and_never_probes(monkeypatch: pytest.MonkeyPatch, lib: Path) -> None:
    monkeypatch.setattr(llama_repack, "llama_lib_dir", lambda: lib)
    monkeypatch.setattr(amx_probe, "run_probe", _no_child)
    assert llama_repack.describe(["avx2", "amx_int8"]) == {"extra_bufts": None, "reason": llama_repack.NOT_PROBED}
    assert llama_repack.describe(["avx2"]) == {"extra_bufts": True, "reason": "on: no AMX on this CPU"}
    llama_repack.write_verdict(llama_repack.build_key(lib), False, amx_probe.crashed("SIGSEGV"))
    assert llama_repack.describe(["avx2", "amx_int8"]) == {"extra_bufts": False, "reason": amx_probe.crashed("SIGSEGV")}
    monkeypatch.setattr(llama_repack, "llama_lib_dir", lambda: None)
    assert llama_repack.describe(["amx_int8"]) == {"extra_bufts": None, "reason": "llama-cpp-python is not installed"}


def _no_child(*_a: object, **_k: object) -> tuple[bool, str, bool]:
    raise AssertionError("the probe must not run here")


# -- the real llama.cpp -------------------------------------------------------------------


def test_this_machine_without_amx_probes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("llama_cpp")
    from accelmark_tui.backends import llama_lowlevel as L

    if L.amx_present():
        pytest.skip("this llama.cpp build has AMX kernels: the probe runs here")
    monkeypatch.setattr(amx_probe, "run_probe", _no_child)
    on, reason = L.default_extra_bufts()
    assert on is True and reason.startswith("on: no AMX on this CPU")


def test_the_real_child_decodes_a_batch_with_repacking_on() -> None:
    pytest.importorskip("llama_cpp")
    from accelmark_tui.backends import llama_lowlevel as L

    on, reason, keep = amx_probe.run_probe()  # python -m accelmark_tui.backends.amx_probe, embedded model
    assert keep, reason  # a verdict on the build, not a failure to run the probe
    if not L.amx_present():
        assert (on, reason) == (True, amx_probe.PASSED)
