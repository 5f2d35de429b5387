"""PDR's safety net: a certificate is re-proved by a plain solver before "proved" is shown.

Spacer's answer is trusted only through ``_Query.recheck``: initiation, consecution and
safety of the invariant.  Each test hands it a wrong invariant that fails exactly one of
the three, and a right one, on a fixture whose reachable states a reader can list.
"""
from __future__ import annotations

import pytest
import time
from pathlib import Path

import z3

from flagcheck.checker.engines import pdr
from flagcheck.tlamodel.load import load_design

pytestmark = pytest.mark.solver

FIX = Path(__file__).resolve().parent / "fixtures_engines"


def _query(prop: str) -> pdr._Query:
    d = load_design(FIX / "depth3.yaml")     # A: x = 1; x = 2; x = 3;  (a is never set)
    m = d.model(d.scenarios[0], ("x_not_3", "a_off"))
    return pdr._Query(m, m.property(prop), time.monotonic(), None, None, 0, None)


def _vars(q: pdr._Query) -> dict[str, z3.ExprRef]:
    return q.enc.vars_at(0)


def test_a_correct_invariant_is_accepted() -> None:
    q = _query("a_off")
    assert q.recheck(z3.Not(_vars(q)["a"])) is True      # no step sets a


def test_an_invariant_that_excludes_the_initial_state_is_rejected() -> None:
    q = _query("a_off")
    # false is inductive and safe, but the initial state is outside it
    assert q.recheck(z3.BoolVal(False, q.ctx)) is False


def test_a_non_inductive_invariant_is_rejected() -> None:
    q = _query("x_not_3")
    # x != 3 holds initially and implies the property, but x == 2 steps to x == 3
    assert q.recheck(_vars(q)["x"] != 3) is False


def test_an_unsafe_invariant_is_rejected() -> None:
    q = _query("x_not_3")
    # true is initial and inductive, but admits x == 3
    assert q.recheck(z3.BoolVal(True, q.ctx)) is False


def test_pdr_never_proves_what_replay_shows_violated() -> None:
    d = load_design(FIX / "depth3.yaml")
    m = d.model(d.scenarios[0], ("x_not_3", "a_off"))
    out = pdr.check(m, ["x_not_3", "a_off"])
    assert out["x_not_3"].status == "violated" and out["x_not_3"].depth == 3
    assert out["a_off"].status == "holds" and out["a_off"].exhaustive
