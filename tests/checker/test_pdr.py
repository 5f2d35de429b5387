"""PDR (Spacer) against the explicit engine, hand models and random models.

Why these checks: Spacer's "safe" must never contradict a concrete violation, its
"unsafe" must come back as a real shortest trace (re-derived by BMC, so the depth must
match the explicit engine's), and the invariant it reports must be stated in the
design's own names -- that text is the engine's reason to exist next to k-induction.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from tests.budget import examples

from flagcheck.checker.engines import pdr
from flagcheck.pyspec import explicit
from flagcheck.pyspec.replay import check_violation
from tests.checker import models as M
from tests.checker import reference as ref
from tests.strategies import models
from tests.checker.test_kinduction import chain
from flagcheck.tlamodel.ir import Model

pytestmark = pytest.mark.solver


def _agree(model: Model, out: dict, ex: dict) -> None:
    for name, e in ex.items():
        p = out[name]
        assert p.engine == "pdr" and p.property == name
        if e.status == "violated":
            assert p.status == "violated", (name, e, p)
            # BMC re-run to Spacer's depth finds a shortest trace: the explicit depth
            assert p.depth == e.depth and p.trace is not None and p.trace.length == p.depth
            check_violation(model, p.trace, name)
            ref.check_trace(model, model.property(name), p.trace)
        else:
            assert e.status == "holds" and e.exhaustive
            assert p.status in ("holds", "unknown"), (name, p)
            if p.status == "holds":
                assert p.exhaustive and p.reason.startswith("PDR; invariant (")
                assert "re-checked" in p.reason and "not re-checked" not in p.reason


@pytest.mark.parametrize("name", sorted(M.ALL))
def test_hand_models_agree_with_explicit(name: str) -> None:
    m = M.ALL[name]()
    out = pdr.check(m, timeout=60)
    _agree(m, out, explicit.check(m))
    assert all(o.status != "unknown" for o in out.values()), out


def test_invariant_uses_design_names() -> None:
    # atomic counter: counter == number of tasks done, in terms of the pc enum's names
    o = pdr.check(M.counter_race(2, atomic=True), ["count_ok"], aux=False)["count_ok"]
    assert o.status == "holds"
    assert "T0.pc" in o.reason and "done" in o.reason and "counter" in o.reason
    # spinner: Spacer's bounds on x come out as one range over the declared type
    o = pdr.check(M.spinner(), ["x_small"], aux=False)["x_small"]
    assert o.reason.endswith("): 0 <= x <= 1"), o.reason


def test_invariant_of_chain_excludes_the_unreachable_tail() -> None:
    """k-induction needs k=3 here; PDR learns x stays in the loop (x <= 9, or tighter)."""
    out = pdr.check(chain(), timeout=60, aux=False)
    for o in out.values():
        assert o.status == "holds" and o.exhaustive
        assert "x" in o.reason.split("): ", 1)[1], o.reason   # a constraint on x


def test_sizes_are_reported() -> None:
    o = pdr.check(M.mutual_wait(), ["flags_off"], aux=False)["flags_off"]
    assert o.reason == "PDR; invariant (2 lemmas, 5 nodes, re-checked): !fa && !fb"


def test_mined_clauses_are_part_of_the_rechecked_certificate(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """When Spacer alone runs out of its time (here: none at all), it is asked again with
    checker.engines.invgen's clauses; its own invariant is then only inductive relative to them,
    and the reason says so and the re-check covers both."""
    monkeypatch.setattr(pdr, "ALONE_SECONDS", 0.0)
    o = pdr.check(M.mutual_wait(), ["flags_off"])["flags_off"]
    assert o.status == "holds" and o.exhaustive
    assert o.reason.startswith("PDR; invariant (") and "re-checked)" in o.reason
    assert o.reason.endswith("mined clauses (checker.engines.invgen)"), o.reason
    # Spacer alone, when it has the time, gives the readable invariant without them
    monkeypatch.setattr(pdr, "ALONE_SECONDS", 10.0)
    o = pdr.check(M.mutual_wait(), ["flags_off"])["flags_off"]
    assert o.reason == "PDR; invariant (2 lemmas, 5 nodes, re-checked): !fa && !fb"


def test_violation_trace_comes_from_bmc() -> None:
    o = pdr.check(M.signals(), ["not_three"])["not_three"]
    assert o.status == "violated" and o.depth == 5 and "shortest trace by BMC" in o.reason


def test_timeout_gives_unknown() -> None:
    o = pdr.check(M.pigeons(10), timeout=1.0)["hole_shared"]
    assert o.status == "unknown" and not o.exhaustive and "timeout" in o.reason
    assert o.seconds < 10


def test_properties_subset_and_order() -> None:
    out = pdr.check(M.counter_race(2), ["no_deadlock", "count_ok"])
    assert list(out) == ["no_deadlock", "count_ok"]
    with pytest.raises(KeyError):
        pdr.check(M.counter_race(2), ["nope"])


@pytest.mark.slow
@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models())
def test_pdr_agrees_with_explicit_on_random_models(m: Model) -> None:
    _agree(m, pdr.check(m, timeout=60), explicit.check(m))
