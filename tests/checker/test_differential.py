"""Differential test: the Z3 BMC engine against the explicit engine on random models.

The Z3 encoding and the explicit interpreter both read the same IR, so they must agree on
every model.  The models are tests/strategies.py's ``models()``: small multi-task IR
models using every operator (ints, enums, sets, ite, program counters).  For each, BMC is
run to one step beyond the explicit engine's BFS diameter, so it sees every reachable
state, and the two must agree on every property's verdict and on the length of the shortest counterexample.
Every BMC trace must also replay in pyspec.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from tests.budget import examples
from tests.strategies import models

from flagcheck.checker.engines import bmc
from flagcheck.pyspec import explicit
from flagcheck.pyspec.replay import check_violation
from flagcheck.tlamodel.ir import Model

pytestmark = [pytest.mark.solver, pytest.mark.slow]


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models())
def test_bmc_agrees_with_explicit(m: Model) -> None:
    ex = explicit.check(m)
    diameter = max(o.depth for o in ex.values())
    sym = bmc.check(m, depth=diameter + 1)
    for name, e in ex.items():
        b = sym[name]
        if e.status == "violated":
            assert b.status == "violated", (name, e, b)
            assert b.depth == e.depth, f"{name}: bmc {b.depth} vs explicit {e.depth}"
            assert b.trace is not None
            check_violation(m, b.trace, name)       # the Z3 trace replays concretely
        else:
            assert e.status == "holds" and e.exhaustive
            assert b.status == "holds", (name, b)
