"""Ranking functions (checker.engines.ranking): a certified bound is never below the longest run.

BMC calls a property proved once a ranking says no run has more than B steps, so a bound
below the true longest run would turn an unchecked depth into a proof.  The linear program
only fits the graph; what makes the bound true is Z3's certificate.  So the certificate is
tested on rankings that are wrong on purpose (the fitted one with its bound lowered, and
random weights): whatever ``certify`` accepts must bound the longest run, computed here by
plain recursion over the concrete semantics.
"""
from __future__ import annotations

from dataclasses import replace

import pytest
import z3
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.budget import examples
from tests.checker import models as M
from tests.checker.test_witness import _longest
from tests.strategies import models

from flagcheck.checker.engines import bmc, invgen, ranking
from flagcheck.checker.engines.encode import Encoder
from flagcheck.checker.engines.runloop import BoundedSearch
from flagcheck.tlamodel.ir import Model, domain

pytestmark = pytest.mark.solver


def _invariant(m: Model, enc: Encoder) -> z3.BoolRef:
    lemmas = invgen.mine(m, timeout=30)
    return z3.BoolVal(True, enc.ctx) if lemmas is None else lemmas.formula(enc, 0)


@pytest.mark.parametrize("n", [2, 3])
def test_the_counter_race_is_ranked_by_its_exact_length(n: int) -> None:
    m = M.counter_race(n)
    enc = Encoder(m, z3.Context())
    r = ranking.find(m, enc, _invariant(m, enc))
    assert r is not None
    assert r.bound == 2 * n == _longest(m)


def test_a_model_that_runs_for_ever_has_no_ranking() -> None:
    m = M.spinner()
    assert _longest(m) == float("inf")
    enc = Encoder(m, z3.Context())
    assert ranking.find(m, enc, _invariant(m, enc)) is None


def test_a_bound_one_below_the_longest_run_is_refused() -> None:
    m = M.counter_race(3)
    enc = Encoder(m, z3.Context())
    inv = _invariant(m, enc)
    r = ranking.find(m, enc, inv)
    assert r is not None and ranking.certify(r, enc, inv)
    assert not ranking.certify(replace(r, top=r.top - r.step), enc, inv)
    assert not ranking.certify(replace(r, weights=()), enc, inv)
    # V shifted down by one step: still within its (lowered) bound initially and still
    # dropping on every step, but negative after the last one; only the third question
    # ("V stays >= 0 after a step") refuses it
    assert not ranking.certify(replace(r, constant=r.constant - r.step, top=r.top - r.step),
                               enc, inv)


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models(), st.data())
def test_whatever_is_certified_bounds_the_longest_run(m: Model, data: st.DataObject) -> None:
    enc = Encoder(m, z3.Context())
    inv = _invariant(m, enc)
    longest = _longest(m)
    found = ranking.find(m, enc, inv)
    if found is not None:
        assert found.bound >= longest
        lowered = replace(found, top=found.top - found.step * data.draw(st.integers(1, 3)))
        assert not ranking.certify(lowered, enc, inv)
    # random weights over the model's atoms: most are refused, none may be wrong
    atoms = [(v.name, x) for v in m.vars for x in domain(v.type)]
    weights = tuple((x, v, data.draw(st.integers(-3, 3))) for x, v in
                    data.draw(st.lists(st.sampled_from(atoms), max_size=6, unique=True)))
    guess = ranking.Ranking(weights, data.draw(st.integers(0, 6)), data.draw(st.integers(1, 2)),
                            data.draw(st.integers(0, 12)))
    if ranking.certify(guess, enc, inv):
        assert guess.bound >= longest


def test_bmc_proves_with_the_ranking_when_sat_cannot(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the SAT proof disabled, the proof at the longest run's depth (6) is the ranking's;
    without the ranking too, BMC can only say "holds up to depth 12"."""
    m = M.counter_race(3)
    monkeypatch.setattr(bmc, "LEMMA_ACTIONS", 0)
    monkeypatch.setattr(bmc, "LEMMA_DEPTH", 1)
    monkeypatch.setattr(BoundedSearch, "_prove_no_run", lambda self, n: "unknown")
    out = bmc.check(m, depth=12)
    assert (out["count_ok"].status, out["count_ok"].depth) == ("violated", 6)
    assert (out["no_deadlock"].status, out["no_deadlock"].depth,
            out["no_deadlock"].exhaustive) == ("holds", 6, True)
    monkeypatch.setattr(ranking, "find", lambda *a: None)
    out = bmc.check(m, depth=12)
    assert (out["no_deadlock"].status, out["no_deadlock"].depth,
            out["no_deadlock"].exhaustive) == ("holds", 12, False)
