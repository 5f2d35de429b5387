"""flagcheck mutate on the shipped designs: the mutants docs/mutation.md describes exist, the
shipped scenarios before the new ones let them through, and the new scenarios kill them."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from flagcheck.checker.mutate.run import DEFAULT_OPTIONS, Checker
from flagcheck.checker.mutate.targets import Mutant, make_mutants
from flagcheck.tlamodel.load import Design, load_design

SPECS = Path(__file__).resolve().parents[2] / "specs"
#: the scenarios every design listed before flagcheck mutate found their blind spots
FIRST_SEVEN = ("oleg-lost-signal", "oleg-on-cpu", "group-shared-signal",
               "signal-during-task-work-run", "twa-signal-interrupts-sleep",
               "io-uring-pthread-join", "io-uring-killable-join")
CLEAR_AFTER_RUN = ("exit_to_user_mode_work: swap 'current.TIF_NOTIFY_SIGNAL = false;' with the "
                   "next statement 'task_work_run();'")


def mutant(design: Design, description: str) -> Mutant:
    (m,) = [m for m in make_mutants(design, design.scenarios) if m.description == description]
    return m


def checker(design: Design, scenarios: tuple[str, ...], reduce: bool = False) -> Checker:
    opts = dataclasses.replace(DEFAULT_OPTIONS, reduce=reduce)
    chk = Checker(design, [design.scenario(s) for s in scenarios], opts)
    chk.measure()
    return chk


@pytest.fixture(scope="module")
def v511() -> Design:
    return load_design(SPECS / "notify-signal-5.11.yaml")


def test_clear_after_run_mutant_is_generated_at_its_line(v511: Design) -> None:
    m = mutant(v511, CLEAR_AFTER_RUN)
    assert m.operator == "swap"
    assert m.loc.file.endswith("notify-signal-5.11.yaml")
    text = Path(m.loc.file).read_text().splitlines()[m.loc.line - 1]
    assert "current.TIF_NOTIFY_SIGNAL = false;" in text


@pytest.mark.slow
def test_clear_after_run_survives_the_first_seven_scenarios(v511: Design) -> None:
    r = checker(v511, FIRST_SEVEN).check(mutant(v511, CLEAR_AFTER_RUN))
    assert r.status == "survived", r


def test_clear_after_run_is_killed_by_a_second_adder_racing_the_run(v511: Design) -> None:
    # with the reduction verify uses, so the depth is the one verify would show
    chk = checker(v511, ("twa-signal-during-task-work-run",), reduce=True)
    r = chk.check(mutant(v511, CLEAR_AFTER_RUN))
    assert r.status == "killed" and r.kill is not None
    assert (r.kill.scenario, r.kill.property, r.kill.depth) == (
        "twa-signal-during-task-work-run", "no_deadlock", 18)


@pytest.mark.parametrize("scenario, description", [
    ("signal-interrupts-wait", "send_signal: invert the guard of 'if (!(sig in t.pending))'"),
    ("group-signal-wakes-sleeper", "complete_signal: drop the wake-up 'signal_wake_up(u, false);'"),
])
def test_new_signal_scenarios_kill_signal_side_mutants(
        v511: Design, scenario: str, description: str) -> None:
    m = mutant(v511, description)
    r = checker(v511, (scenario,)).check(m)
    assert r.status == "killed" and r.kill is not None and r.kill.scenario == scenario


NOTIFY_SIGNAL_NEVER_CLEARED = ("exit_to_user_mode_work: drop the flag write "
                               "'current.TIF_NOTIFY_SIGNAL = false;'")


def test_a_flag_never_cleared_is_killed_by_the_stranded_joiner_work(v511: Design) -> None:
    """T loops for ever in exit_to_user_mode() without blocking (no_deadlock holds); the
    livelock scenario turns that into U's TWA_RESUME work never running: task_work_runs."""
    assert {"task_work_runs", "signals_delivered"} <= set(v511.checked_properties())
    chk = checker(v511, ("livelock-strands-joiner-work",))
    base = dict((p, s) for p, s, _ in chk.baseline["livelock-strands-joiner-work"].verdicts)
    assert base["task_work_runs"] == "holds" and base["no_deadlock"] == "holds"
    r = chk.check(mutant(v511, NOTIFY_SIGNAL_NEVER_CLEARED))
    assert r.status == "killed" and r.kill is not None
    assert (r.kill.property, r.kill.now) == ("task_work_runs", "violated")


def test_the_clear_after_run_mutant_is_killed_on_the_shipped_list(v511: Design) -> None:
    """The mutant the command was written for stays killed with every scenario the design
    lists (mutate checks the cheapest scenarios first; any of them may kill it)."""
    chk = checker(v511, tuple(s.name for s in v511.scenarios))
    r = chk.check(mutant(v511, CLEAR_AFTER_RUN))
    assert r.status == "killed" and r.kill is not None and r.kill.now == "violated"
