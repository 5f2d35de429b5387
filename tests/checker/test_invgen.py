"""The mined invariant (checker.engines.invgen) against the reference semantics and Z3 itself.

Why these checks: k-induction assumes every clause invgen returns at every position of
its step case, so one clause that is false in some reachable state turns a violated
property into a "proof".  So: every clause must hold in every state the reference
interpreter (tests/checker/reference.py, independent of pyspec and of Z3) reaches; the
conjunction must be inductive by a fresh solver's own check; a starved sample (false
candidates) must be repaired by Houdini, not returned; a deadline must give nothing.
"""
from __future__ import annotations

import pytest
import z3
from hypothesis import HealthCheck, given, settings

from tests.budget import examples

from flagcheck.checker.engines import invgen, kinduction
from flagcheck.checker.engines.encode import Encoder
from tests.checker import models as M
from tests.checker import reference as ref
from tests.strategies import models
from tests.checker.test_kinduction import chain
from flagcheck.tlamodel.ir import Liveness, Model, Property

pytestmark = pytest.mark.solver


def _reachable(model: Model) -> set:
    seen = set(ref.initial_states(model))
    todo = list(seen)
    while todo:
        for t in ref.successors(model, todo.pop()):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return seen


def _holds_everywhere(model: Model, lemmas: invgen.Lemmas) -> None:
    idx = model.var_index()
    for st in _reachable(model):
        for c in lemmas.clauses:
            assert not all(st[idx[x]] == v for x, v in c), (c, st)


def _inductive(model: Model, lemmas: invgen.Lemmas) -> None:
    """Initiation and consecution, re-proved by a plain (non-incremental) Z3 solver."""
    enc = Encoder(model)
    for bad in (z3.And(enc.init(0), z3.Not(lemmas.formula(enc, 0))),
                z3.And(enc.domain(0), lemmas.formula(enc, 0), enc.trans(0),
                       z3.Not(lemmas.formula(enc, 1)))):
        s = z3.Solver()
        s.add(bad)
        assert s.check() == z3.unsat


@pytest.mark.parametrize("name", sorted(M.ALL))
def test_hand_model_lemmas_are_invariants(name: str) -> None:
    m = M.ALL[name]()
    lemmas = invgen.mine(m, timeout=60)
    assert lemmas is not None
    _holds_everywhere(m, lemmas)
    _inductive(m, lemmas)


def test_starved_sample_is_repaired_by_houdini(monkeypatch: pytest.MonkeyPatch) -> None:
    """With only the initial state sampled, most candidates are false; Houdini must drop
    every one of them (rounds > 0) and what is left must still be an invariant."""
    monkeypatch.setattr(invgen, "SAMPLE_STATES", 1)
    monkeypatch.setattr(invgen, "SAMPLE_WALKS", 0)
    m = M.counter_race(2)
    lemmas = invgen.mine(m, timeout=60)
    assert lemmas is not None and lemmas.rounds > 0
    assert len(lemmas.clauses) < lemmas.mined + lemmas.blocked
    _holds_everywhere(m, lemmas)
    _inductive(m, lemmas)


def test_deadline_gives_nothing() -> None:
    assert invgen.mine(M.counter_race(2), timeout=0.0) is None


def test_chain_lemmas_cut_the_unreachable_tail() -> None:
    """chain's bad value sits behind a tail of unreachable values: plain k-induction needs
    k=3 there; the mined unit clauses exclude the tail, so the property is inductive."""
    lemmas = invgen.mine(chain(), timeout=60)
    assert lemmas is not None
    assert {c for c in lemmas.clauses if len(c) == 1} >= {(("x", v),) for v in range(10, 14)}
    plain = kinduction.check(chain(), ["not_bad"], max_k=20, aux=False)["not_bad"]
    strong = kinduction.check(chain(), ["not_bad"], max_k=20)["not_bad"]
    assert (plain.status, plain.depth, plain.reason) == ("holds", 3, "k-induction, k=3")
    assert strong.status == "holds" and strong.depth == 0
    assert strong.reason.startswith("k-induction, k=0; step case strengthened by ")


@pytest.mark.slow
@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models())
def test_random_model_lemmas_are_invariants(m: Model) -> None:
    lemmas = invgen.mine(m, timeout=60)
    assert lemmas is not None
    _holds_everywhere(m, lemmas)
    _inductive(m, lemmas)


def _admitted(model: Model, lemmas: invgen.Lemmas) -> int:
    """How many well-typed states the invariant admits (hand models only: a product)."""
    import itertools

    from flagcheck.tlamodel.ir import domain
    idx = model.var_index()
    n = 0
    for st in itertools.product(*(domain(v.type) for v in model.vars)):
        if all(not all(st[idx[x]] == v for x, v in c) for c in lemmas.clauses):
            n += 1
    return n


def test_blocking_only_strengthens_and_its_fallback_is_houdini() -> None:
    """Blocking states no run reached gives an invariant at least as tight as Houdini's
    (on the 3-task counter race: 163 admitted states instead of 3064, for 84 reachable
    ones -- not exact, as 1-inductive clauses need not be); when blocking runs out of
    time the result is Houdini's own, never a half-blocked set."""
    m = M.counter_race(3)
    full = invgen.mine(m, timeout=60)
    houdini = invgen.mine(m, timeout=60, block_seconds=0)
    starved = invgen.mine(m, timeout=60, block_seconds=1e-9)
    assert full is not None and houdini is not None and starved is not None
    assert houdini.blocked == 0 and starved.blocked == 0
    assert set(starved.clauses) == set(houdini.clauses)
    reachable = len(_reachable(m))
    assert reachable <= _admitted(m, full) < _admitted(m, houdini)
    for lemmas in (full, houdini):
        _holds_everywhere(m, lemmas)
        _inductive(m, lemmas)


def test_a_complete_sample_asserts_its_clauses_and_a_wrong_one_is_caught(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A sample whose search ended is taken as every reachable state, and the clauses are
    asserted rather than assumed (nothing can be dropped).  If that sample is wrong -- here
    the search is made to lose every other state, as a pyspec bug would -- Z3 shows a
    sampled state stepping out of the clauses; mining must notice and start over with
    assumptions, and still return a true invariant."""
    m = M.counter_race(3)
    runs: list[tuple[bool, bool]] = []
    run = invgen._Fixpoint.run

    def spy(self: invgen._Fixpoint) -> bool | None:
        out = run(self)
        runs.append((self.exact, self.mismatch))
        return out

    monkeypatch.setattr(invgen._Fixpoint, "run", spy)
    exact = invgen.mine(m, timeout=60)
    assert exact is not None and runs == [(True, False)]
    _holds_everywhere(m, exact)
    _inductive(m, exact)

    runs.clear()
    full = invgen.explicit.reachable_states
    monkeypatch.setattr(invgen.explicit, "reachable_states",
                        lambda model, n: full(model, n)[::2])
    lossy = invgen.mine(m, timeout=60)
    assert lossy is not None and runs == [(True, True), (False, False)]
    _holds_everywhere(m, lossy)
    _inductive(m, lossy)


def _admits_violation(model: Model, lemmas: invgen.Lemmas, prop: Property) -> bool:
    """Some well-typed state the invariant admits violates ``prop`` (a fresh solver)."""
    enc = Encoder(model)
    s = z3.Solver(ctx=enc.ctx)
    s.add(enc.domain(0), lemmas.formula(enc, 0), enc.prop_violation(prop, 0))
    return s.check() == z3.sat


def _safety(model: Model) -> tuple[Property, ...]:
    return tuple(p for p in model.properties if not isinstance(p, Liveness))


def test_bad_states_no_run_reaches_are_blocked() -> None:
    """The atomic counter race keeps count_ok, yet the invariant mined from steps alone
    admits an unreachable state that violates it.  Mined with the property (as BMC does),
    the invariant admits none, and is still an invariant."""
    m = M.counter_race(2, atomic=True)
    count_ok = m.property("count_ok")
    plain = invgen.mine(m, timeout=60)
    blocked = invgen.mine(m, timeout=60, bad=(count_ok,))
    assert plain is not None and blocked is not None
    assert _admits_violation(m, plain, count_ok)
    assert not _admits_violation(m, blocked, count_ok)
    _holds_everywhere(m, blocked)
    _inductive(m, blocked)


@pytest.mark.parametrize("name", sorted(M.ALL))
def test_blocking_bad_states_excludes_every_unreached_violation(name: str) -> None:
    """On every hand model, with every safety property passed: the result is still an
    invariant, and a property no reachable state violates has no violating state left
    in it.  A reachable violation (the counter race's lost update, mutual_wait's
    deadlock) must not stop the others' blocking, nor make the invariant unsound."""
    m = M.ALL[name]()
    lemmas = invgen.mine(m, timeout=60, bad=_safety(m))
    assert lemmas is not None
    _holds_everywhere(m, lemmas)
    _inductive(m, lemmas)
    reached = _reachable(m)
    for p in _safety(m):
        if not any(ref.violates(m, p, st) for st in reached):
            assert not _admits_violation(m, lemmas, p), p.name


@pytest.mark.slow
@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models())
def test_random_model_lemmas_with_bad_states_are_invariants(m: Model) -> None:
    lemmas = invgen.mine(m, timeout=60, bad=_safety(m))
    assert lemmas is not None
    _holds_everywhere(m, lemmas)
    _inductive(m, lemmas)
