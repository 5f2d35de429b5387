"""The BFS engine: shortest counterexamples, exhaustive counts, and honest limits."""
from __future__ import annotations

import dataclasses

import pytest

from tests.pyspec import pyspec_models as M
from flagcheck.pyspec.explicit import check, reachable_count
from flagcheck.pyspec.replay import check_violation
from flagcheck.tlamodel.ir import FALSE, IntType, Invariant, const, mk, var


def test_lost_update_shortest_trace_and_deadlock_holds():
    m = M.lost_update()
    res = check(m)
    inv = res["no_lost_update"]
    assert inv.status == "violated" and inv.engine == "explicit"
    assert inv.depth == 4 == inv.trace.length
    assert inv.trace.states[-1][0] == 1                 # x == 1: an increment was lost
    # both reads happen before both writes in any violating run
    assert sorted(inv.trace.actions[:2]) == [0, 2] and sorted(inv.trace.actions[2:]) == [1, 3]
    check_violation(m, inv.trace, "no_lost_update")
    dl = res["deadlock_free"]                           # search went on after the violation
    assert (dl.status, dl.exhaustive, dl.states, dl.depth) == ("holds", True, 13, 4)


def test_shallower_invariant_gets_its_own_shortest_trace():
    m = M.lost_update()
    X = IntType(0, 2)
    m = dataclasses.replace(m, properties=m.properties + (
        Invariant("x_zero", mk("eq", var("x", X), const(0, X))),))
    res = check(m, ["x_zero", "no_lost_update"])
    assert list(res) == ["x_zero", "no_lost_update"]
    assert res["x_zero"].depth == 2                      # one read + its write
    assert res["x_zero"].trace.actions in ((0, 1), (2, 3))
    assert res["no_lost_update"].depth == 4


def test_invariant_violated_in_initial_state():
    m = M.atomic_counter()
    m = dataclasses.replace(m, properties=(Invariant("never", FALSE),))
    out = check(m)["never"]
    assert out.status == "violated" and out.depth == 0
    assert out.trace.states == ((0, 0, 0),) and out.trace.actions == ()


def test_deadlock_found_at_depth_two():
    m = M.mutual_wait()
    res = check(m)
    dl = res["no_deadlock"]
    assert dl.status == "violated" and dl.depth == 2
    assert dl.trace.states[-1] == (False, False, 1, 1)
    assert sorted(dl.trace.actions) == [0, 3]           # both "prepare"
    check_violation(m, dl.trace, "no_deadlock")
    assert (res["flags_off"].status, res["flags_off"].states, res["flags_off"].depth) == \
        ("holds", 4, 2)


def test_terminal_state_is_not_a_deadlock():
    ok = check(M.atomic_counter())
    assert {n: (o.status, o.states, o.depth) for n, o in ok.items()} == {
        "counted": ("holds", 4, 2), "deadlock_free": ("holds", 4, 2)}
    bad = check(M.atomic_counter(terminal_when_done=False))["deadlock_free"]
    assert bad.status == "violated" and bad.trace.states[-1] == (2, 1, 1) and bad.depth == 2


def test_reachable_count():
    assert reachable_count(M.lost_update()) == 13
    assert reachable_count(M.atomic_counter()) == 4
    assert reachable_count(M.mutual_wait()) == 4
    # 4 initial flag combinations; flags are only ever set.  Counted by flag value:
    #   (T,T): nobody blocks, pc_A x pc_B in 0..3 x 0..3           -> 16
    #   (T,F): A stuck at pc <= 1 until B sets flag_B (pc_B 2 -> 3,
    #          which moves into (T,T)), so pc_A in {0,1}, pc_B in {0,1,2} -> 6
    #   (F,T): symmetric                                            -> 6
    #   (F,F): both stuck at pc <= 1                                -> 4
    assert reachable_count(M.mutual_wait(flag_init=(False, True))) == 16 + 6 + 6 + 4
    with pytest.raises(RuntimeError, match="state limit 3"):
        reachable_count(M.lost_update(), max_states=3)


def test_state_limit_gives_unknown_with_completed_depth():
    m = M.lost_update()
    # layers hold 1, 2, 3, 4, 3 states; the 6th state is the third one at depth 2,
    # discovered while expanding layer 1
    res = check(m, max_states=5)
    for name, depth in (("no_lost_update", 1), ("deadlock_free", 0)):
        o = res[name]
        assert o.status == "unknown" and not o.exhaustive and o.trace is None
        assert o.reason == "state limit 5 reached" and o.states == 5 and o.depth == depth
    # exactly enough room: the search completes
    full = check(m, max_states=13)
    assert full["no_lost_update"].status == "violated"
    assert full["deadlock_free"].status == "holds" and full["deadlock_free"].states == 13
    none = check(m, max_states=0)
    assert {n: (o.status, o.depth, o.states) for n, o in none.items()} == {
        "no_lost_update": ("unknown", -1, 0), "deadlock_free": ("unknown", -1, 0)}


def test_violation_found_before_limit_is_kept():
    m = M.atomic_counter(terminal_when_done=False)
    m = dataclasses.replace(m, properties=m.properties + (Invariant("never", FALSE),))
    res = check(m, max_states=2)
    assert res["never"].status == "violated" and res["never"].depth == 0
    assert res["deadlock_free"].status == "unknown"


def race_reachable(n: int, rounds: int) -> set[tuple]:
    """Independent oracle: the counter race simulated directly in Python, not via the IR."""
    start = (0,) + (0, 0) * n
    seen, todo = {start}, [start]
    while todo:
        s = todo.pop()
        for k in range(n):
            pc, tmp = s[1 + 2 * k], s[2 + 2 * k]
            if pc == 2 * rounds:
                continue
            t = list(s)
            if pc % 2 == 0:
                t[2 + 2 * k] = s[0]          # tmp = x
            else:
                t[0] = tmp + 1               # x = tmp + 1
            t[1 + 2 * k] = pc + 1
            t = tuple(t)
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return seen


def test_timeout_gives_unknown():
    m = M.counter_race(3, 3)                           # "bounded" holds
    o = check(m, ["bounded"], timeout=0.0)["bounded"]
    assert o.status == "unknown" and o.reason == "timeout 0.0s" and not o.exhaustive
    assert 0 < o.states < len(race_reachable(3, 3))


def test_counter_race_counts():
    assert reachable_count(M.counter_race(2, 1)) == 13   # same shape as lost_update
    oracle = race_reachable(3, 3)
    res = check(M.counter_race(3, 3), ["bounded", "all_counted"])
    assert res["bounded"].status == "holds" and res["bounded"].states == len(oracle)
    assert res["all_counted"].status == "violated"
    # every task must finish (6 steps each) => 18 steps, whatever the interleaving
    assert res["all_counted"].depth == 18
    check_violation(M.counter_race(3, 3), res["all_counted"].trace, "all_counted")
    assert res["bounded"].depth == 18                    # diameter: longest run


def test_property_selection():
    m = M.lost_update()
    assert check(m, []) == {}
    assert list(check(m, ["deadlock_free"])) == ["deadlock_free"]
    with pytest.raises(KeyError, match="no property 'nope'"):
        check(m, ["nope"])
