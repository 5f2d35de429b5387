"""Differential test for liveness: the explicit product/SCC engine (pyspec.liveness) against
the lasso BMC (checker.engines.lasso) on random multi-task IR models.

The models are test_differential's ``models()`` (every operator, 1-3 tasks with program
counters, guards that come and go, so weak fairness matters) with random Liveness
properties added: leads_to, eventually and always_eventually over random conditions and
``x == k`` atoms, and a two-obligation leads_to (a ``for_each`` shape).

How deep BMC must look.  Not "the number of reachable states": a fair loop may have to
visit a state several times to give every task its step (tests/pyspec/fixtures_liveness
``three_rings``: 5 states, shortest violating lasso 6 steps).  So BMC runs to
``max(reachable states, explicit lasso length)``: where explicit found a lasso of L steps,
BMC at depth >= L must find one of at most L steps (its search is exhaustive per depth);
where explicit proved the property, BMC must not find any lasso (soundness), at any depth.
Every lasso of either engine must replay (pyspec.replay.check_violation: a run, closed,
fair, violating).
"""
from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.budget import examples

from flagcheck.checker.engines import bmc
from flagcheck.pyspec import explicit
from flagcheck.pyspec.explicit import reachable_count
from flagcheck.pyspec.replay import check_violation
from tests.checker.test_differential import I4, X, bools, models
from flagcheck.tlamodel.ir import Liveness, Model, const, mk

CONDS = st.one_of(bools(1), st.integers(0, 3).map(lambda v: mk("eq", X, const(v, I4))))


@st.composite
def live_models(draw: st.DrawFn) -> Model:
    m = draw(models())
    props = [
        Liveness("lt", "leads_to", ((draw(CONDS), draw(CONDS)),)),
        Liveness("ev", "eventually", ((draw(CONDS), None),)),
        Liveness("ae", "always_eventually", ((draw(CONDS), None),)),
        Liveness("lt2", "leads_to", ((draw(CONDS), draw(CONDS)), (draw(CONDS), draw(CONDS))),
                 labels=("one", "two")),
        Liveness("x12", "leads_to", ((mk("eq", X, const(1, I4)), mk("eq", X, const(2, I4))),)),
    ]
    # keep the safety properties: the engines dispatch mixed property lists
    return replace(m, properties=m.properties + tuple(props))


LIVE = ("lt", "ev", "ae", "lt2", "x12")


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(live_models())
def test_lasso_bmc_agrees_with_explicit(m: Model) -> None:
    ex = explicit.check(m)
    n = reachable_count(m)
    depth = max([n] + [o.depth for name, o in ex.items() if name in LIVE
                       and o.status == "violated"])
    sym = bmc.check(m, list(LIVE), depth=depth)
    for name in LIVE:
        e, b = ex[name], sym[name]
        assert e.status in ("violated", "holds"), (name, e)
        if e.status == "violated":
            assert e.trace is not None and e.trace.loop_start is not None
            assert e.depth == e.trace.length
            check_violation(m, e.trace, name)
            assert b.status == "violated", (name, e, b)
            assert b.depth <= e.depth, f"{name}: bmc {b.depth} vs explicit {e.depth}"
            assert b.trace is not None and b.trace.length == b.depth
            check_violation(m, b.trace, name)
        else:
            assert e.exhaustive
            assert b.status == "holds", (name, b)
