"""Bounded model checking against hand-computed answers and an independent replay.

Every counterexample is re-run step by step with tests/checker/reference.py (not pyspec),
and its length is compared both with the number worked out by hand in models.py and with
a breadth-first search, so a wrong encoding cannot hide behind a plausible-looking trace.
"""
from __future__ import annotations

import time

import pytest

from flagcheck.checker.engines import bmc
from tests.checker import models as M
from tests.checker import reference as ref

pytestmark = pytest.mark.solver


def _check(model, **kw):
    out = bmc.check(model, **kw)
    for name, o in out.items():
        assert o.engine == "bmc" and o.property == name and o.states is None
        assert o.seconds > 0          # measured, not a default
        if o.status == "violated":
            assert o.trace is not None and o.trace.length == o.depth
            ref.check_trace(model, model.property(name), o.trace)
        else:
            assert o.trace is None
    return out


def test_counter_race_shortest_violation():
    m = M.counter_race(2)
    out = _check(m, depth=10)
    race = out["count_ok"]
    assert race.status == "violated" and race.depth == 4  # read, read, write, write
    final = dict(zip([v.name for v in m.vars], race.trace.states[-1]))
    assert final["counter"] == 1 and final["T0.pc"] == final["T1.pc"] == 2
    # both reads happen before either write
    kinds = [m.actions[a].info.text for a in race.trace.actions]
    assert kinds[:2] == ["tmp = counter"] * 2
    dl = out["no_deadlock"]
    assert dl.status == "holds" and dl.exhaustive and dl.depth == 4  # every run is 4 steps


def test_counter_race_three_tasks():
    out = _check(M.counter_race(3), depth=10)
    assert out["count_ok"].status == "violated" and out["count_ok"].depth == 6
    assert out["no_deadlock"].exhaustive and out["no_deadlock"].depth == 6


def test_atomic_counter_is_proved():
    out = _check(M.counter_race(2, atomic=True), depth=10)
    for o in out.values():
        assert o.status == "holds" and o.exhaustive and o.depth == 2


def test_proof_at_exactly_the_depth_bound():
    # the longest run has 2 steps; depth=2 still reaches the proof (no run of length 3)
    out = _check(M.counter_race(2, atomic=True), depth=2)
    assert all(o.exhaustive and o.depth == 2 for o in out.values())
    out = _check(M.counter_race(2, atomic=True), depth=1)
    assert all(o.status == "holds" and not o.exhaustive and o.depth == 1
               for o in out.values())


def test_mutual_wait_deadlocks():
    m = M.mutual_wait()
    out = _check(m, depth=10)
    dl = out["no_deadlock"]
    assert dl.status == "violated" and dl.depth == 2
    assert dl.trace.states[-1] == (False, False, 1, 1)  # both waiting, no flag set
    assert sorted(dl.trace.actions) == [0, 2]
    flags = out["flags_off"]
    assert flags.status == "holds" and flags.exhaustive and flags.depth == 2


def test_endless_loop_holds_only_up_to_depth():
    out = _check(M.spinner(), depth=15)
    for o in out.values():
        assert o.status == "holds" and not o.exhaustive and o.depth == 15


def test_sets_enums_ite():
    m = M.signals()
    out = _check(m, depth=8)
    three = out["not_three"]
    assert three.status == "violated" and three.depth == 5
    end = dict(zip([v.name for v in m.vars], three.trace.states[-1]))
    assert end == {"pending": 0, "blocked": 0, "last": end["last"], "score": 3}
    assert end["last"] in (M.USR2, M.TERM)
    texts = sorted(m.actions[a].info.text for a in three.trace.actions)
    assert texts == ["deliver SIGTERM", "deliver SIGUSR2", "raise SIGTERM", "raise SIGUSR2",
                     "unblock SIGTERM"]
    term = out["term_not_delivered"]
    assert term.status == "violated" and term.depth == 3
    steps = [m.actions[a].info.text for a in term.trace.actions]
    # raise and unblock are independent: either order is a shortest run; delivery is last
    assert sorted(steps[:2]) == ["raise SIGTERM", "unblock SIGTERM"]
    assert steps[2] == "deliver SIGTERM"
    assert term.trace.states[-1] == (0, 0, M.TERM, 2)


def test_initial_choice_and_no_actions():
    out = _check(M.choice_init(), depth=5)
    seven = out["not_seven"]
    assert seven.status == "violated" and seven.depth == 0
    assert seven.trace.states == ((7,),) and seven.trace.actions == ()
    pos = out["positive"]
    assert pos.status == "holds" and pos.exhaustive and pos.depth == 0


@pytest.mark.parametrize("name", sorted(M.ALL))
def test_agrees_with_breadth_first_search(name):
    """Shortest violation depth and proof depth equal the explicit ground truth."""
    m = M.ALL[name]()
    longest = ref.longest_run(m)
    depth = 12
    out = _check(m, depth=depth)
    for p in m.properties:
        o = out[p.name]
        want = ref.shortest_violation(m, p)
        if want is not None and want <= depth:
            assert (o.status, o.depth) == ("violated", want)
        elif longest is not None and longest <= depth:
            assert (o.status, o.exhaustive, o.depth) == ("holds", True, longest)
        else:
            assert (o.status, o.exhaustive, o.depth) == ("holds", False, depth)


def test_property_selection_and_order():
    m = M.counter_race(2)
    out = bmc.check(m, properties=["no_deadlock", "count_ok"], depth=6)
    assert list(out) == ["no_deadlock", "count_ok"]
    assert list(bmc.check(m, properties=["count_ok"], depth=6)) == ["count_ok"]
    with pytest.raises(KeyError):
        bmc.check(m, properties=["nope"])
    with pytest.raises(ValueError):
        bmc.check(m, depth=-1)


def test_same_seed_same_trace():
    a = bmc.check(M.counter_race(3), depth=8, seed=7)["count_ok"].trace
    b = bmc.check(M.counter_race(3), depth=8, seed=7)["count_ok"].trace
    assert a == b


def test_tiny_timeout_is_unknown_never_holds():
    out = bmc.check(M.counter_race(3), depth=40, timeout=0.0001)
    for o in out.values():
        assert o.status == "unknown"
        assert o.reason.startswith("timeout 0.0001s at depth ")
        assert o.depth < 6 and not o.exhaustive and o.trace is None


def test_budget_runs_out_mid_search():
    # proving "bounded" needs a million steps; half a second cannot reach that
    t0 = time.monotonic()
    o = bmc.check(M.long_counter(), depth=1_000_000, timeout=0.5)["bounded"]
    elapsed = time.monotonic() - t0
    assert o.status == "unknown" and o.reason.startswith("timeout 0.5s at depth ")
    assert o.depth >= 0  # some depths were finished before the budget ran out
    assert int(o.reason.rsplit(" ", 1)[1]) in (o.depth, o.depth + 1)
    assert elapsed < 3.0


def test_budget_runs_out_inside_a_solver_call():
    # the depth-0 query is the pigeonhole principle for 10 pigeons: far beyond 0.3s
    t0 = time.monotonic()
    o = bmc.check(M.pigeons(10), depth=5, timeout=0.3)["hole_shared"]
    assert time.monotonic() - t0 < 3.0
    assert (o.status, o.depth, o.reason) == ("unknown", -1, "timeout 0.3s at depth 0")


def test_small_pigeons_are_proved():
    o = _check(M.pigeons(5), depth=5)["hole_shared"]
    assert (o.status, o.exhaustive, o.depth) == ("holds", True, 0)
