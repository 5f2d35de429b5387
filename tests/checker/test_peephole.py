"""BMC's reduced proof (checker.engines.encode.Encoder.peephole) drops runs, never states.

The proof that no run of n steps exists is asked of canonical runs only: where a task
fires at one step and a lower-numbered task at the next, the two actions must be
dependent.  That is sound only if every state reached at step n by some run is reached
at step n by a canonical one; an independence relation that is too generous (a missed
read of a guard, an update reading what the other writes) breaks exactly that.  So, on
random models, the states Z3 finds at the end of canonical runs of n steps are compared
with those at the end of all runs of n steps, enumerated with the concrete semantics.
"""
from __future__ import annotations

import z3
from hypothesis import HealthCheck, given, settings

from tests.budget import examples
from tests.checker import models as M
from tests.strategies import models

from flagcheck.checker.engines.encode import Encoder
from flagcheck.pyspec import successors
from flagcheck.pyspec.trace import State
from flagcheck.tlamodel.ir import Model

STEPS = 4


def _ends(m: Model, n: int) -> tuple[set[State], int]:
    """The last states of all runs of exactly ``n`` steps, and how many such runs."""
    layer = {s: 1 for s in successors.initial_states(m)}
    for _ in range(n):
        nxt: dict[State, int] = {}
        for s, count in layer.items():
            for a in successors.enabled(m, s):
                t = successors.fire(m, a, s)
                nxt[t] = nxt.get(t, 0) + count
        layer = nxt
    return set(layer), sum(layer.values())


def _canonical(m: Model, n: int, count_runs: bool = False) -> tuple[set[State], int]:
    """The last states of canonical runs of ``n`` steps (Z3), and how many canonical runs
    there are when ``count_runs`` (else how many end states)."""
    enc = Encoder(m, z3.Context())
    s = z3.Solver(ctx=enc.ctx)
    s.add(enc.init(0))
    for i in range(n):
        s.add(enc.trans(i))
    for i in range(n - 1):
        s.add(enc.peephole(i))
    ends: set[State] = set()
    found = 0
    told = list(enc.vars_at(n).values())
    if count_runs:
        told += [enc.action_index(i) for i in range(n)]
    while s.check() == z3.sat:
        mod = s.model()
        ends.add(enc.read_state(mod, n))
        found += 1
        s.add(z3.Or([x != mod.eval(x, model_completion=True) for x in told]
                    + [z3.BoolVal(False, enc.ctx)]))
    return ends, found


@settings(max_examples=examples(60), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(models())
def test_canonical_runs_reach_every_state_all_runs_reach(m: Model) -> None:
    for n in range(STEPS + 1):
        want, _ = _ends(m, n)
        got, _ = _canonical(m, n)
        assert got == want, f"step {n}: canonical runs end in {len(got)} states, runs in {len(want)}"


def test_the_reduction_drops_runs_and_keeps_dependent_orders() -> None:
    """counter++ as two steps in two tasks.  Of the four runs of two steps, one is not
    canonical: T1 reads the counter, then T0 does (two reads commute).  Of the runs of
    three steps, T0's read after T1's write is canonical: the write is what T0 reads."""
    m = M.counter_race(2)
    ends, runs = _ends(m, 2)
    got, canonical = _canonical(m, 2, count_runs=True)
    assert (runs, canonical, got) == (4, 3, ends)
    ends, runs = _ends(m, 3)
    got, canonical = _canonical(m, 3, count_runs=True)
    assert got == ends and canonical < runs


def test_a_guard_that_reads_the_other_tasks_write_keeps_the_order() -> None:
    m = M.handoff()
    ends, runs = _ends(m, 2)
    assert runs == 1 and _canonical(m, 2, count_runs=True) == (ends, 1)
