"""SolverContext: plain-string results, assumptions, scopes, and the shared deadline."""
from __future__ import annotations

import pytest
import time

import z3

from flagcheck.checker.engines.solver import SolverContext

pytestmark = pytest.mark.solver


def test_results_assumptions_and_scopes():
    s = SolverContext()
    x = z3.Int("x", s.ctx)
    a = z3.Bool("a", s.ctx)
    s.add(x > 2, z3.Implies(a, x < 2))
    assert s.check() == "sat" and s.model().eval(x).as_long() > 2
    assert s.check([a]) == "unsat"
    assert s.check() == "sat"  # an assumption is not an assertion
    s.push()
    s.add(x < 0)
    assert s.check() == "unsat"
    s.pop()
    assert s.check() == "sat"


def _pigeonhole(s: SolverContext, n: int) -> None:
    """n pigeons, n-1 holes, as plain clauses: hard for any CDCL solver at n=12."""
    p = [[z3.Bool(f"p{i}_{h}", s.ctx) for h in range(n - 1)] for i in range(n)]
    for i in range(n):
        s.add(z3.Or(p[i]))
    for h in range(n - 1):
        for i in range(n):
            for j in range(i + 1, n):
                s.add(z3.Or(z3.Not(p[i][h]), z3.Not(p[j][h])))


def test_per_check_timeout():
    s = SolverContext()
    _pigeonhole(s, 12)
    s.set_timeout(50)
    t0 = time.monotonic()
    assert s.check() == "unknown"
    assert s.reason_unknown() == "timeout"
    assert time.monotonic() - t0 < 2.0


def test_deadline_is_shared_by_all_checks():
    s = SolverContext(timeout=0.2)
    _pigeonhole(s, 12)
    t0 = time.monotonic()
    assert s.check() == "unknown" and s.reason_unknown() == "timeout"
    assert s.expired()
    # once the budget is spent, even a trivial query is not attempted
    assert s.check([z3.BoolVal(False, s.ctx)]) == "unknown"
    assert time.monotonic() - t0 < 2.0


def test_no_deadline():
    s = SolverContext(seed=3)
    assert s.remaining() is None and not s.expired()
    s.add(z3.Bool("b", s.ctx))
    assert s.check() == "sat" and s.reason_unknown() == ""
