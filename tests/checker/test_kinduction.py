"""k-induction against hand-computed k's, the explicit engine, and random models.

Why these checks: a k-induction bug shows up either as a wrong proof (holds where the
explicit engine finds a violation -- the one unforgivable answer), as a non-shortest
trace from the base case, or as a k that does not match the model's structure.  The
hand-made ``chain`` model pins k exactly: its bad state sits at the end of a chain of
unreachable states, so plain induction (k=0) fails and the simple-path bound k=3 is
the first to succeed, well before every simple path from init has been exhausted.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from tests.budget import examples

from flagcheck.checker.engines import kinduction
from flagcheck.pyspec import explicit
from flagcheck.pyspec.replay import check_violation
from tests.checker import models as M
from tests.checker import reference as ref
from tests.strategies import models
from flagcheck.tlamodel.ir import (Action, DeadlockFree, IntType, Invariant, Model, StepInfo, TRUE,
                         VarDecl, const, mk, var)

pytestmark = pytest.mark.solver


def chain(loop: int = 10, tail: int = 3) -> Model:
    """x counts 0..loop-1 and wraps; from ``loop`` a chain of ``tail`` unreachable states
    climbs to the bad value loop+tail, which is also the only non-terminal dead end.

    Step case: the simple paths of P-states into the bad state are the chain's suffixes,
    the longest with ``tail`` P-states (k = tail-1 is sat), and the chain's first state
    has no predecessor, so k = tail is the first unsat step case.  Simple paths from init
    run out only at k = loop-1, so the init-side check cannot be what proves it first.
    """
    bad = loop + tail
    x_t = IntType(0, bad + 3)
    x = var("x", x_t)
    c = lambda v: const(v, x_t)  # noqa: E731
    inc = Action(0, "C", mk("lt", x, c(bad)),
                 (("x", mk("ite", mk("eq", x, c(loop - 1)), c(0), mk("add", x, c(1)),
                           ty=x_t)),), StepInfo("x = (x == loop-1) ? 0 : x + 1"))
    return Model(name="chain", vars=(VarDecl("x", x_t),), init=((0,),), actions=(inc,),
                 properties=(Invariant("not_bad", mk("ne", x, c(bad))),
                             DeadlockFree("no_deadlock")),
                 tasks=("C",), terminal=mk("lt", c(bad), x))


def _agree(model: Model, out: dict, ex: dict) -> None:
    """kind agrees with explicit: same violations at the same shortest depth (with a
    trace that replays), and never a proof of a violated property."""
    for name, e in ex.items():
        k = out[name]
        assert k.engine == "kind" and k.property == name
        if e.status == "violated":
            assert k.status == "violated", (name, e, k)
            assert k.depth == e.depth and k.trace is not None and k.trace.length == k.depth
            check_violation(model, k.trace, name)
            ref.check_trace(model, model.property(name), k.trace)
        else:
            assert e.status == "holds" and e.exhaustive
            assert k.status in ("holds", "unknown"), (name, k)
            if k.status == "holds":
                assert k.exhaustive and k.reason.startswith(f"k-induction, k={k.depth}")


@pytest.mark.parametrize("name", sorted(M.ALL))
def test_hand_models_agree_with_explicit(name: str) -> None:
    m = M.ALL[name]()
    _agree(m, kinduction.check(m, max_k=20), explicit.check(m))


def test_hand_models_are_all_decided() -> None:
    """Every hand model is decided, at the k worked out in models.py's docstrings (plain
    k-induction: the mined invariant would make most of them k=0, see test_invgen.py)."""
    ks = {(n, p): (o.status, o.depth)
          for n, f in M.ALL.items()
          for p, o in kinduction.check(f(), max_k=20, aux=False).items()}
    assert all(s != "unknown" for s, _ in ks.values()), ks
    assert ks[("counter_race_2", "count_ok")] == ("violated", 4)
    assert ks[("counter_race_3", "count_ok")] == ("violated", 6)
    assert ks[("signals", "not_three")] == ("violated", 5)
    assert ks[("mutual_wait", "no_deadlock")] == ("violated", 2)
    # flags never set: inductive outright; x <= 1 likewise (1 - x keeps 0..1 in 0..1)
    assert ks[("mutual_wait", "flags_off")] == ("holds", 0)
    assert ks[("spinner", "x_small")] == ("holds", 0)
    assert ks[("choice_init", "positive")] == ("holds", 0)


def test_chain_needs_k_greater_than_one() -> None:
    out = kinduction.check(chain(), max_k=20, aux=False)
    for name in ("not_bad", "no_deadlock"):
        o = out[name]
        assert o.status == "holds" and o.exhaustive and o.depth == 3, o
        assert o.reason == "k-induction, k=3"


def test_no_proof_before_convergence() -> None:
    """Below the k the chain needs, the answer is unknown -- never holds."""
    out = kinduction.check(chain(), max_k=2, aux=False)
    for o in out.values():
        assert o.status == "unknown" and not o.exhaustive
        assert o.reason == "k-induction did not converge up to k=2"
        assert o.depth == 2   # the base case did check every depth up to 2


def test_init_side_termination_proves_finite_runs() -> None:
    """With a longer chain than loop, every simple path from init ends first (k=loop-1)."""
    out = kinduction.check(chain(loop=3, tail=8), max_k=20, aux=False)
    for o in out.values():
        assert o.status == "holds" and o.depth == 2
        assert o.reason.startswith("k-induction, k=2 (no simple path from init")


def test_value_sets_over_approximate_reachable_values() -> None:
    """pcs only ever set to constants keep to those, the unused tmp's to their initial 0;
    counters (x + 1) are unconstrained."""
    assert kinduction.value_sets(M.counter_race(2, atomic=True)) == {
        "T0.pc": frozenset({0, 2}), "T1.pc": frozenset({0, 2}),
        "T0.tmp": frozenset({0}), "T1.tmp": frozenset({0})}
    assert kinduction.value_sets(chain()) == {}
    # with the pcs pinned to {read, done}, no_deadlock is plain inductive (k=0)
    out = kinduction.check(M.counter_race(2, atomic=True), ["no_deadlock"], aux=False)
    assert out["no_deadlock"].reason == "k-induction, k=0"


def test_timeout_gives_unknown() -> None:
    out = kinduction.check(M.pigeons(12), timeout=1.0)   # 10 pigeons were once solved in time
    o = out["hole_shared"]
    assert o.status == "unknown" and not o.exhaustive and o.depth == -1
    assert "timeout" in o.reason and o.seconds < 10


def test_properties_subset_and_order() -> None:
    out = kinduction.check(M.counter_race(2), ["no_deadlock", "count_ok"], max_k=10)
    assert list(out) == ["no_deadlock", "count_ok"]
    with pytest.raises(KeyError):
        kinduction.check(M.counter_race(2), ["nope"])


@pytest.mark.slow
@settings(max_examples=examples(80), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models())
def test_kind_agrees_with_explicit_on_random_models(m: Model) -> None:
    ex = explicit.check(m)
    max_k = max(o.depth for o in ex.values()) + 1   # reaches every explicit violation
    _agree(m, kinduction.check(m, max_k=max_k, timeout=60), ex)
