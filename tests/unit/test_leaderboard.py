"""What the leaderboard accepts, said before a run: the suite this machine could submit, or why none."""

from __future__ import annotations

from test_fit import CPU, CPU_BOX, NVIDIA, RTX_BOX, installed, machine, missing

from accelmark_tui.catalog.leaderboard import accepts, missing_scenarios, run_note
from accelmark_tui.catalog.matrix import fit_matrix
from accelmark_tui.catalog.runners import get_runner
from accelmark_tui.catalog.suites import discover_suites, get_suite
from accelmark_tui.submit.checklist import suite_refusal

ENDPOINT = get_runner("other_openai_endpoint")
SUITES = discover_suites()


def note(box, suite, scenarios=None, probe=installed, runners=(CPU, NVIDIA, ENDPOINT)):
    return run_note(fit_matrix(box, runners, SUITES, module_available=probe), suite, scenarios)


def test_one_definition_for_the_checklist_and_the_run() -> None:
    assert [s.id for s in SUITES if accepts(s.id)] == [f"suite_{c}" for c in "ABCDEFG"]
    for s in SUITES:
        assert (suite_refusal(s.id, "FreedomIntelligence/AccelMark") is None) is accepts(s.id)


def test_quick_names_the_smallest_suite_this_machine_runs() -> None:
    text = note(CPU_BOX, "suite_Quick")
    assert text == ("suite_Quick results cannot go to the AccelMark leaderboard (it takes suite_A to suite_G only); "
                    f"from this machine suite_F could, with {CPU.id} and a GGUF of Qwen2.5-0.5B-Instruct.")
    # A GPU box picks its GPU runner for the same suite.
    assert f"suite_F could, with {NVIDIA.id} " in note(RTX_BOX, "suite_Quick")


def test_none_can_and_why_never_an_endpoint_runner() -> None:
    # The endpoint runner fits every machine but measures a server: it never counts as this machine.
    text = note(CPU_BOX, "suite_Quick", probe=missing)
    assert text.endswith(f"and none of those can run here: {CPU.id} cannot run suite_F on this machine: "
                         "llama_cpp is not installed; install it with: pip install 'accelmark-tui[llama]'.")
    tiny = note(machine(ram=0.5), "suite_Quick")
    assert "none of those can run here" in tiny and "needs about 1.2 GB of memory for Qwen2.5-0.5B-Instruct" in tiny
    assert ENDPOINT.id not in text + tiny


def test_an_accepted_suite_is_said_only_when_scenarios_are_left_out() -> None:
    assert note(CPU_BOX, "suite_F") is None
    assert note(CPU_BOX, "suite_F", ["accuracy", "offline", "online", "interactive", "sustained"]) is None
    assert note(CPU_BOX, "suite_F", ["accuracy"]) == (
        "Not submittable as it stands: suite_F needs accuracy, offline, online and interactive; offline, online "
        "and interactive will not run (run them later with the same settings to complete the result).")
    assert missing_scenarios(get_suite("F"), ["interactive", "accuracy"]) == ["offline", "online"]
