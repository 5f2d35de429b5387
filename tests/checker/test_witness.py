"""Concrete long runs (checker.engines.witness) and BMC's lemmas: neither may change an answer.

The runs ``LongRun`` exhibits let BMC skip asking Z3 "is there a longer run?"; a run that
is not a real run, or a "longest" run that is not the longest, would let BMC skip a proof
it could have made or, worse, believe in runs that do not exist.  So every step of every
run is checked against the concrete semantics, and "longest" against a reference longest
path computed here over the whole reachable graph.  The lemmas (invgen's inductive
invariant, asserted by BMC in every state copy) must change no verdict and no shortest
counterexample depth: BMC with and without them is compared on random models, with the
thresholds lowered so that small models get lemmas too.
"""
from __future__ import annotations

from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings

from tests.budget import examples
from tests.strategies import models

from flagcheck.checker.engines import bmc
from flagcheck.checker.engines.witness import LongRun
from flagcheck.pyspec import successors
from flagcheck.pyspec.trace import State
from flagcheck.tlamodel.ir import Model

LENGTH = 30


def _longest(m: Model) -> float:
    """Longest run from any initial state (inf with a reachable cycle), by plain recursion."""
    on_path: set[State] = set()

    @lru_cache(maxsize=None)
    def longest_from(s: State) -> float:
        on_path.add(s)
        best = 0.0
        for a in successors.enabled(m, s):
            t = successors.fire(m, a, s)
            best = max(best, float("inf") if t in on_path else 1 + longest_from(t))
        on_path.discard(s)
        return best

    return max(longest_from(s) for s in successors.initial_states(m))


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models())
def test_a_long_run_is_a_run_and_a_longest_run_is_the_longest(m: Model) -> None:
    w = LongRun(m, LENGTH)
    run = w.states
    assert run and run[0] in set(successors.initial_states(m))
    for s, t in zip(run, run[1:]):
        assert t in {successors.fire(m, a, s) for a in successors.enabled(m, s)}, (s, t)
    assert len(run) - 1 <= LENGTH
    longest = _longest(m)
    if longest > LENGTH:                       # a cycle or a longer run: as long as asked
        assert w.covers(LENGTH) and not w.longest
    else:                                      # small models: the search completes
        assert w.longest and len(run) - 1 == longest


@pytest.mark.solver
@pytest.mark.slow
@settings(max_examples=examples(20), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models())
def test_lemmas_change_no_bmc_answer(m: Model) -> None:
    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(bmc, "LEMMA_ACTIONS", 0)
        mp.setattr(bmc, "LEMMA_DEPTH", 1)
        with_ = bmc.check(m, depth=8, lemmas=True)
    finally:
        mp.undo()
    without = bmc.check(m, depth=8, lemmas=False)
    for name, a in with_.items():
        b = without[name]
        assert (a.status, a.depth, a.exhaustive) == (b.status, b.depth, b.exhaustive), name
        if a.trace is not None:
            assert a.trace.length == b.trace.length
