"""Differential test for liveness: the explicit product/SCC engine (pyspec.liveness) against
the lasso BMC (checker.engines.lasso) on random multi-task IR models.

The models are tests/strategies.py's ``models(liveness=True)`` (every operator, 1-3 tasks
with program counters, guards that come and go, so weak fairness matters, plus random
Liveness properties: leads_to, eventually and always_eventually over random conditions and
``x == k`` atoms, and a two-obligation leads_to, a ``for_each`` shape).

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

import pytest
from hypothesis import HealthCheck, given, settings

from tests.budget import examples
from tests.strategies import LIVE, models

from flagcheck.checker.engines import bmc
from flagcheck.pyspec import explicit
from flagcheck.pyspec.explicit import reachable_count
from flagcheck.pyspec.replay import check_violation
from flagcheck.tlamodel.ir import Model

pytestmark = [pytest.mark.solver, pytest.mark.slow]


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models(liveness=True))
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
