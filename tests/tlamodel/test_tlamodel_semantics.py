"""What compiled code does: run the IR of tiny fixture designs with pyspec."""
from __future__ import annotations

import pytest

from flagcheck.pyspec.explicit import check
from flagcheck.pyspec.successors import enabled, fire, initial_states
from flagcheck.tlamodel.ir import IntType
from tests.tlamodel.tlm_util import (actions_of, design, error_message, explore, finals, model,
                                    reachable, values)


@pytest.fixture(scope="module")
def sem():
    return design("sem.yaml")


def build(sem, scenario):
    return sem.model(sem.scenario(scenario))


# ---------------------------------------------------------------- granularity
def test_split_read_write_loses_an_update():
    m = model("race.yaml", "race")
    out = check(m)["no_lost_update"]
    assert out.status == "violated"
    # both reads, both writes, both "done": the shortest lost update has six steps
    assert out.depth == 6
    last = values(m, out.trace.states[-1])
    assert (last["x"], last["A.done"], last["B.done"]) == (1, True, True)
    texts = [m.actions[i].info.text for i in out.trace.actions[:2]]
    assert texts == ["current.tmp = x;", "current.tmp = x;"]      # both read before any write
    stacks = [m.actions[i].info.stack for i in out.trace.actions]
    assert stacks.count(("incr",)) == 4 and stacks.count(()) == 2   # trace names incr()


def test_atomic_increment_loses_nothing():
    m = model("race.yaml", "race-atomic")
    assert len(actions_of(m, "A")) == 2                 # the whole incr() is one action
    out = check(m)["no_lost_update"]
    assert (out.status, out.exhaustive) == ("holds", True)
    assert {f["x"] for f in finals(m)} == {2}


def test_await_blocks_until_its_condition_holds(sem):
    m = build(sem, "await")
    (s0,) = list(initial_states(m))
    assert [m.actions[i].task for i in enabled(m, s0)] == ["S"]   # W is blocked at await
    for st in reachable(m):
        assert not st["W.done"] or st["flag"]
    assert {(f["W.done"], f["flag"]) for f in finals(m)} == {(True, True)}


def test_await_that_never_holds_is_a_deadlock(sem):
    out = check(build(sem, "await-alone"))["no_deadlock"]
    assert (out.status, out.depth) == ("violated", 0)


def test_atomic_with_await_in_the_middle_is_one_guarded_step(sem):
    m = build(sem, "atomic-await")
    (act,) = actions_of(m, "W")
    (s0,) = list(initial_states(m))
    assert act.index not in enabled(m, s0)               # the block cannot start before flag
    xs = {st["x"] for st in reachable(m)}
    assert xs == {0, 2}                                  # x == 1 is never visible
    s1 = fire(m, actions_of(m, "S")[0], s0)
    assert enabled(m, s1) == [act.index]
    assert values(m, fire(m, act, s1))["x"] == 2


def test_if_with_constant_condition_creates_no_step(sem):
    m = build(sem, "const-if")
    assert [a.info.text for a in actions_of(m, "C")] == ["x = 1;"]   # pick(1): no test step
    assert actions_of(m, "D") == []                                   # if (allowed()): gone
    v = actions_of(m, "V")                                            # pick(x): test + branches
    assert sorted(a.info.text for a in v) == ["if (k == 1)", "if (k == 1)", "x = 1;", "x = 2;"]
    pc_types = {p: t for p, t in ((d.name, d.type) for d in m.vars) if p.endswith(".pc")}
    assert pc_types["C.pc"] == IntType(0, 1) and pc_types["D.pc"] == IntType(0, 0)
    # C alone finishes in one step
    depth = explore(m)
    (s0,) = list(initial_states(m))
    s1 = fire(m, actions_of(m, "C")[0], s0)
    assert depth[s1] == 1 and values(m, s1)["x"] == 1


# ---------------------------------------------------------------- parameters and calls
def test_by_name_argument_is_re_evaluated_in_every_loop_iteration(sem):
    m = build(sem, "byname-wait")
    states = reachable(m)
    assert any(st["W.done"] for st in states)           # the loop saw S's write of flag
    assert all(st["flag"] for st in states if st["W.done"])
    assert {f["W.done"] for f in finals(m)} == {True}
    assert check(m)["no_deadlock"].status == "holds"


def test_by_name_argument_sees_the_callees_own_writes(sem):
    # bump_then_read(x): x = x + 1; current.tmp = v;  -- v is x after the increment
    (final,) = finals(build(sem, "byname-read"))
    assert (final["x"], final["R.tmp"]) == (1, 1)


def test_choose_picks_every_candidate_and_else_when_there_is_none(sem):
    m = build(sem, "choose")
    ends = finals(m)
    assert {f["picked"] for f in ends} == {"GREEN", "BLUE"}   # where c != RED
    assert {f["x"] for f in ends} == {0}                       # A's else never runs
    assert {f["B.cnt"] for f in ends} == {2}                   # no task has go: B's else runs
    assert {f["target"] for f in ends} == {"A", "B", "C"}      # C's choose: every task
    assert {f["C.tmp"] for f in ends} == {1}


def test_goto_and_labels(sem):
    m = build(sem, "goto")
    (final,) = finals(m)
    assert (final["x"], final["A.done"]) == (3, True)
    acts = actions_of(m, "A")
    assert {a.info.label for a in acts} == {"again", "out", None}
    assert "x = 0;" not in [a.info.text for a in acts]        # jumped over: no action
    assert len(acts) == 4                                      # x += 1, if true/false, done


def test_return_from_inlined_procedure_outside_atomic(sem):
    m = build(sem, "return")
    ends = finals(m)
    assert {(f["R1.cnt"], f["R1.done"]) for f in ends} == {(0, True)}   # go: returned early
    assert {(f["R0.cnt"], f["R0.done"]) for f in ends} == {(1, True)}
    # return inside atomic in the task's own code finishes the task: cnt stays 1, never 3
    assert {f["Z.cnt"] for f in ends} == {1}
    assert all(st["Z.cnt"] != 3 for st in reachable(m))
    # return inside atomic { } of a procedure inlined outside atomic: leaves the procedure
    assert {(f["P1.cnt"], f["P0.cnt"]) for f in ends} == {(0, 3)}
    assert len(actions_of(m, "P1")) == 3          # atomic (2 paths) + cnt += 2


def test_break_from_inside_atomic_and_continue(sem):
    m = build(sem, "loops")
    ends = finals(m)
    assert {(f["x"], f["A.done"]) for f in ends} == {(2, True)}
    assert {(f["B.cnt"], f["B.tmp"]) for f in ends} == {(3, 2)}     # continue skipped one
    assert len([a for a in actions_of(m, "A") if a.info.text.startswith("atomic")]) == 2


# ---------------------------------------------------------------- state flattening
def test_per_task_and_per_group_variables_are_flattened(sem):
    m = build(sem, "flatten")
    owned = {(d.name, d.owner, d.field) for d in m.vars}
    assert {("A.cnt", "A", "cnt"), ("C.cnt", "C", "cnt"), ("G1.gsum", "G1", "gsum"),
            ("G2.gsum", "G2", "gsum"), ("x", None, None)} <= owned
    assert not any(d.name == "G3.gsum" for d in m.vars)     # only the scenario's groups
    (final,) = finals(m)
    assert final["G1.gsum"] == 2          # A via bump_group(current) -> t.group.gsum, B directly
    assert final["B.cnt"] == 2 and final["A.cnt"] == 0       # B.cnt = 2 ran in task A
    assert final["G2.gsum"] == 2          # current.group.gsum = 1; G2.gsum += 1;
    assert final["C.tmp"] == 3            # A.group == G1


def test_assignment_through_a_task_variable_updates_the_chosen_task(sem):
    m = build(sem, "target")
    ends = finals(m)
    outcomes = {(f["target"], f["A.cnt"], f["B.cnt"], f["C.cnt"]) for f in ends}
    assert outcomes == {("B", 0, 3, 0), ("C", 0, 0, 3)}
    (write,) = [a for a in actions_of(m, "A") if a.info.text == "target.cnt = 3;"]
    assert {n for n, _ in write.updates} == {"A.pc", "A.cnt", "B.cnt", "C.cnt"}


# ---------------------------------------------------------------- run-time errors
def test_out_of_range_assignment_is_an_assertions_violation(sem):
    m = build(sem, "range")
    out = check(m)["assertions"]
    assert (out.status, out.depth) == ("violated", 2)
    last = values(m, out.trace.states[-1])
    assert last["x"] == 3                       # the bad write did not happen
    assert error_message(m, last).startswith("value out of range 0..3 for x: x += 1;")
    assert enabled(m, out.trace.states[-1]) == []   # the run stops at the error
    assert check(m)["no_deadlock"].status == "holds"   # ... and that is not a deadlock


def test_assertion_fails_only_on_one_interleaving(sem):
    m = build(sem, "assert-interleave")
    out = check(m)["assertions"]
    assert (out.status, out.depth) == ("violated", 3)
    assert [m.actions[i].task for i in out.trace.actions] == ["A", "B", "A"]
    assert "assertion failed: assert (current.tmp == x);" in error_message(
        m, values(m, out.trace.states[-1]))


def test_assert_false_reachable_only_after_the_other_task(sem):
    m = build(sem, "assert-false")
    out = check(m)["assertions"]
    assert (out.status, out.depth) == ("violated", 3)
    assert [m.actions[i].info.text for i in out.trace.actions] == [
        "flag = true;", "if (flag)", "assert (false);"]
    ok = [f for f in finals(m) if error_message(m, f) == "none"]
    assert ok and all(f["flag"] for f in ok)     # B first: the run ends cleanly


def test_assertion_inside_atomic_cannot_fail(sem):
    m = build(sem, "assert-atomic")
    assert m.error_var is None                   # folded away: no run-time error is possible
    # the property is still reported (tables line up), trivially true
    assert str(m.property("assertions").expr) == "true"
    assert check(m)["assertions"].status == "holds"
