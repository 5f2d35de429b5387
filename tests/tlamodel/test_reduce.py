"""The private-step reduction (tlamodel.reduce) must not change any verdict.

It only shortens runs, so: same status for every property, counterexamples no longer than
before, and fewer or equal states; on the shipped specs and on random multi-task models.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tests.budget import examples
from tests.strategies import models

from flagcheck.pyspec import explicit
from flagcheck.pyspec.replay import check_violation
from flagcheck.tlamodel.ir import Model
from flagcheck.tlamodel.load import load_design
from tests.shipped import cached_design
from flagcheck.tlamodel.reduce import reduce_model

SPECS = Path(__file__).resolve().parents[2] / "specs"
CASES = [(d, s.name) for d in sorted(SPECS.glob("*.yaml")) for s in cached_design(d).scenarios]


def _same_verdicts(m: Model) -> Model:
    r = reduce_model(m)
    before, after = explicit.check(m), explicit.check(r)
    for name, o in before.items():
        a = after[name]
        assert a.status == o.status, (name, o, a)
        assert a.exhaustive == o.exhaustive
        if o.exhaustive:     # all reachable states; for a violation, the count is how far the
            # breadth-first search got before it stopped, which depends on successor order
            assert (a.states or 0) <= (o.states or 0)
        if o.status == "violated":
            assert a.depth <= o.depth
            check_violation(r, a.trace, name)
    return r


@pytest.mark.slow
@pytest.mark.parametrize("design, scenario", CASES, ids=[f"{d.stem}:{s}" for d, s in CASES])
def test_reduction_keeps_every_verdict_of_the_shipped_specs(design: Path, scenario: str) -> None:
    d = cached_design(design)
    m = d.model(d.scenario(scenario))
    r = _same_verdicts(m)
    assert len(r.vars) == len(m.vars)


def test_reduction_shortens_olegs_counterexample() -> None:
    d = load_design(SPECS / "rfc-v2-tif-taskwork.yaml")
    m = d.model(d.scenario("oleg-lost-signal"))
    before = explicit.check(m, ["no_lost_signal"])["no_lost_signal"]
    after = explicit.check(reduce_model(m), ["no_lost_signal"])["no_lost_signal"]
    assert (before.depth, after.depth) == (24, 18)


@pytest.mark.slow
@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models())
def test_reduction_keeps_verdicts_on_random_models(m: Model) -> None:
    _same_verdicts(m)
