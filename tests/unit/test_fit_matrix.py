"""FitMatrix: every runner × suite checked once, the pick per suite, the suite to show first."""

from __future__ import annotations

from test_fit import CPU, CPU_BOX, NVIDIA, RTX_BOX, installed, missing

from accelmark_tui.catalog import DEFAULT_SUITE
from accelmark_tui.catalog.fit import Fit, best_runner, check_fit
from accelmark_tui.catalog.matrix import fit_matrix
from accelmark_tui.catalog.suites import get_suite

SUITES = [get_suite("F"), get_suite("quick"), get_suite("B")]


def test_every_pair_is_the_fit_check_fit_gives() -> None:
    m = fit_matrix(RTX_BOX, [CPU, NVIDIA], SUITES, module_available=missing)
    assert set(m.fits) == {(r.id, s.id) for r in (CPU, NVIDIA) for s in SUITES}
    for (runner_id, suite_id), fit in m.fits.items():
        runner = m.runner(runner_id)
        assert fit == check_fit(runner, m.suite(suite_id), RTX_BOX, module_available=missing)
    assert m.fit(CPU.id, "suite_Quick") is m.fits[(CPU.id, "suite_Quick")]
    assert m.fit(None, "suite_Quick") is None and m.fit(CPU.id, "suite_Z") is None
    assert m.machine is RTX_BOX and m.runners == [CPU, NVIDIA] and m.suites == SUITES


def test_the_pick_per_suite_is_best_runners() -> None:
    for box, probe in ((RTX_BOX, installed), (RTX_BOX, missing), (CPU_BOX, installed)):
        m = fit_matrix(box, [CPU, NVIDIA], SUITES, module_available=probe)
        assert {s: r.id for s, r in m.best.items()} == {
            s.id: best_runner(s, box, [CPU, NVIDIA], module_available=probe).id for s in SUITES}
    assert fit_matrix(RTX_BOX, [CPU, NVIDIA], SUITES, module_available=installed).best["suite_Quick"] is NVIDIA
    assert fit_matrix(CPU_BOX, [CPU, NVIDIA], SUITES, module_available=installed).best["suite_Quick"] is CPU


def test_the_default_suite_comes_first_else_the_first_suite() -> None:
    assert DEFAULT_SUITE == "suite_Quick"
    assert fit_matrix(CPU_BOX, [CPU], SUITES, module_available=installed).default_suite == DEFAULT_SUITE
    assert fit_matrix(CPU_BOX, [CPU], [get_suite("F"), get_suite("B")],
                      module_available=installed).default_suite == "suite_F"


def test_an_empty_catalog_is_an_empty_matrix() -> None:
    m = fit_matrix(CPU_BOX, [], SUITES, module_available=installed)
    assert m.fits == {} and m.best == {} and m.default_suite == DEFAULT_SUITE
    m = fit_matrix(CPU_BOX, [CPU], [], module_available=installed)
    assert m.fits == {} and m.best == {} and m.default_suite is None and m.suite(None) is None


def test_best_runner_reuses_the_answers_it_is_given() -> None:
    quick = get_suite("quick")
    fits = {(r.id, quick.id): check_fit(r, quick, RTX_BOX, module_available=installed) for r in (CPU, NVIDIA)}
    assert best_runner(quick, RTX_BOX, [CPU, NVIDIA], module_available=installed, fits=fits) is NVIDIA
    fits[(NVIDIA.id, quick.id)] = Fit(NVIDIA.id, quick.id, "blocked", "unsupported", "told so")  # not rechecked
    assert best_runner(quick, RTX_BOX, [CPU, NVIDIA], module_available=installed, fits=fits) is CPU
