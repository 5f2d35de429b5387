"""flagcheck mutate on small fixture designs (tests/checker/fixtures_mutate): which mutants
are made, and how each is judged.  The fixture lines named here are pinned in wq-lib.yaml."""
from __future__ import annotations

from pathlib import Path

import pytest

from flagcheck.checker.mutate.operators import OPERATORS
from flagcheck.checker.mutate.run import DesignMutation, floor_failures, mutate_design
from flagcheck.checker.mutate.targets import make_mutants
from flagcheck.tlamodel import syntax_tree as A
from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.load import load_design

FIX = Path(__file__).parent / "fixtures_mutate"
LIB = "wq-lib.yaml"


@pytest.fixture(scope="module")
def wq() -> DesignMutation:
    return mutate_design(FIX / "wq.yaml", jobs=1)


def by_description(d: DesignMutation, text: str):  # noqa: ANN201
    (r,) = [r for r in d.results if text in r.mutant.description]
    return r


def test_every_operator_has_a_mutant_and_scenario_code_is_never_mutated() -> None:
    design = load_design(FIX / "wq.yaml")
    ms = make_mutants(design, design.scenarios)
    ops = {m.operator for m in ms}
    # wq-lib has one flag (no family) and no lock
    assert ops == set(OPERATORS) - {"flag-family", "drop-lock"}
    assert all(Path(m.loc.file).name == LIB for m in ms)
    assert [m.id for m in ms] == list(range(1, len(ms) + 1))
    # the property-free library: nothing outside the procedures the scenario calls
    assert {m.name for m in ms} == {"wake_up_process", "schedule", "wait_for_cond", "signal_cond"}


def test_split_atomic_makes_two_atomic_steps() -> None:
    design = load_design(FIX / "wq.yaml")
    (m,) = [m for m in make_mutants(design, design.scenarios, ["split-atomic"])
            if "after 'current.seen = true;'" in m.description]
    first, second = m.spec.body
    assert isinstance(first, A.Atomic) and isinstance(second, A.Atomic)
    assert len(first.body.stmts) == 2 and len(second.body.stmts) == 1


def test_swap_leaves_jumps_in_place() -> None:
    design = load_design(FIX / "wq.yaml")
    swaps = make_mutants(design, design.scenarios, ["swap"])
    assert not any("break" in m.description for m in swaps)
    assert any("swap 'cond = true;' with the next statement 'wake_up_process(t);'"
               in m.description for m in swaps)


def test_unknown_operator_is_a_design_error() -> None:
    design = load_design(FIX / "wq.yaml")
    with pytest.raises(DesignError, match="unknown mutation operator 'swapp'.*"):
        make_mutants(design, design.scenarios, ["swapp"])


def test_dropped_wakeup_is_killed_with_property_and_depth(wq: DesignMutation) -> None:
    r = by_description(wq, "signal_cond: drop the wake-up 'wake_up_process(t);'")
    assert r.status == "killed"
    assert r.kill is not None
    assert (r.kill.scenario, r.kill.property, r.kill.now) == ("wq-one-waker", "no_deadlock",
                                                             "violated")
    assert r.kill.depth == 3         # steps of the model as written (mutate does not reduce)


def test_swapped_condition_and_wakeup_is_the_lost_wakeup(wq: DesignMutation) -> None:
    r = by_description(wq, "signal_cond: swap 'cond = true;'")
    assert r.status == "killed" and r.kill is not None and r.kill.depth == 4


def test_unread_flag_write_survives_with_its_line(wq: DesignMutation) -> None:
    r = by_description(wq, "drop the flag write 't.TIF_WOKEN = true;'")
    assert r.status == "survived"
    assert r.mutant.where.endswith(f"{LIB}:17")
    assert r in wq.survivors


def test_commuting_writes_in_one_atomic_are_equivalent(wq: DesignMutation) -> None:
    r = by_description(wq, "wake_up_process: swap 't.state = RUNNING;'")
    assert r.status == "equivalent"


def test_split_that_changes_no_state_count_is_equivalent_suspect(wq: DesignMutation) -> None:
    r = by_description(wq, "split the atomic block after 'current.seen = true;'")
    assert r.status == "equivalent-suspect"


def test_score_counts_killed_survived_unknown_only(wq: DesignMutation) -> None:
    assert wq.count("killed") == 8 and wq.count("survived") == 2
    assert wq.scored == 10
    assert wq.score == pytest.approx(80.0)
    assert floor_failures([wq], 80.0) == []
    (msg,) = floor_failures([wq], 80.5)
    assert "design wq: mutation score 80.0% is below the floor 80.5%" in msg
    assert f"{LIB}:17" in msg


def test_a_second_scenario_kills_the_survivor() -> None:
    d = mutate_design(FIX / "wq2.yaml", jobs=1)
    r = by_description(d, "drop the flag write 't.TIF_WOKEN = true;'")
    assert r.status == "killed" and r.kill is not None
    assert (r.kill.scenario, r.kill.property) == ("wq-woken", "assertions")
    assert d.score > 80.0


def test_a_mutant_the_front_end_refuses_is_invalid_and_not_scored() -> None:
    d = mutate_design(FIX / "spin.yaml", jobs=1)
    (r,) = d.results
    assert r.status == "invalid"
    assert "never executes a statement" in r.reason
    assert d.scored == 0 and d.score == 100.0


def test_scenario_selection_and_mutant_ids() -> None:
    d = mutate_design(FIX / "wq2.yaml", refs=("wq-one-waker",), jobs=1, only=(1, 2))
    assert d.scenarios == ("wq-one-waker",)
    assert [r.mutant.id for r in d.results] == [1, 2]


@pytest.mark.slow
def test_worker_processes_give_the_same_judgements(wq: DesignMutation) -> None:
    d = mutate_design(FIX / "wq.yaml", jobs=2)
    assert [(r.mutant.id, r.status, r.kill) for r in d.results] == \
        [(r.mutant.id, r.status, r.kill) for r in wq.results]


def test_dropping_a_lock_held_across_steps_loses_an_update() -> None:
    d = mutate_design(FIX / "counter-lock.yaml", ops=("drop-lock",), jobs=1)
    (r,) = d.results
    assert r.mutant.description == "inc: drop the lock 'spin_lock(l);' and its 'spin_unlock(l);'"
    assert r.mutant.where.endswith("counter-lock.yaml:15")
    assert r.status == "killed" and r.kill is not None
    assert (r.kill.property, r.kill.now) == ("no_lost_update", "violated")


def test_explain_labels_a_survivor_that_never_finishes() -> None:
    d = mutate_design(FIX / "livelock.yaml", jobs=1, explain=True)
    drop = by_description(d, "drop the flag write 'current.TIF_WORK = false;'")
    invert = by_description(d, "invert the guard of 'while (current.TIF_WORK)'")
    assert drop.status == invert.status == "survived"
    assert drop.reason.startswith("livelock on one-worker: some task never finishes")
    assert invert.reason == ""           # it ends at once: no livelock, just unchecked
    plain = mutate_design(FIX / "livelock.yaml", jobs=1)
    assert by_description(plain, "drop the flag write").reason == ""
