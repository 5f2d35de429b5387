"""Every engine at, just below and just above the depth where a property breaks.

Hand-counted fixtures (tests/checker/fixtures_engines): the bound is where an off-by-one in
a BMC loop turns a violation into "holds" or, worse, into "proved".  Each test names the
engine bug it exists to catch.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from flagcheck.checker.engines import bmc, kinduction, pdr
from flagcheck.pyspec import explicit
from flagcheck.pyspec.replay import check_violation
from flagcheck.tlamodel.ir import Model
from flagcheck.tlamodel.load import load_design

pytestmark = pytest.mark.solver

FIX = Path(__file__).resolve().parent / "fixtures_engines"


def model_of(design: str) -> Model:
    d = load_design(FIX / design)
    return d.model(d.scenarios[0])


def _violated_at(model: Model, o, depth: int) -> None:  # noqa: ANN001
    assert o.status == "violated" and o.depth == depth, o
    assert o.trace is not None and o.trace.length == depth
    check_violation(model, o.trace, o.property)


# ---------------------------------------------------------------- BMC around its bound
@pytest.mark.parametrize("design", ["depth3.yaml", "depth3-forever.yaml"])
def test_bmc_finds_a_violation_exactly_at_its_bound(design: str) -> None:
    # bug caught: the violation query skipped at the last depth (on depth3.yaml the proof
    # that no run is longer than 3 then turns the violation into "proved")
    m = model_of(design)
    _violated_at(m, bmc.check(m, ["x_not_3"], depth=3)["x_not_3"], 3)


@pytest.mark.parametrize("design", ["depth3.yaml", "depth3-forever.yaml"])
def test_bmc_above_the_bound_still_gives_the_shortest_depth(design: str) -> None:
    m = model_of(design)
    _violated_at(m, bmc.check(m, ["x_not_3"], depth=4)["x_not_3"], 3)


@pytest.mark.parametrize("design", ["depth3.yaml", "depth3-forever.yaml"])
def test_bmc_one_below_the_bound_says_holds_up_to_it_never_proved(design: str) -> None:
    # bug caught: the loop running one depth less or more than asked
    m = model_of(design)
    o = bmc.check(m, ["x_not_3"], depth=2)["x_not_3"]
    assert o.status == "holds" and not o.exhaustive and o.depth == 2, o


def test_bmc_reports_every_property_at_the_depth_it_breaks() -> None:
    # bug caught: moving on to the next depth after one satisfying run, although another
    # property is violated at the same depth by a different run
    m = model_of("two-flags.yaml")
    out = bmc.check(m, ["a_off", "b_off"], depth=3)
    for name in ("a_off", "b_off"):
        _violated_at(m, out[name], 1)


# ---------------------------------------------------------------- the other engines
@pytest.mark.parametrize("max_k", [2, 3, 4])
def test_kinduction_around_the_bound(max_k: int) -> None:
    # k-induction's base case is BMC: the same violation at 3 for k >= 3; below it, no
    # claim at all (k-induction did not converge, the base case reached depth 2)
    m = model_of("depth3-forever.yaml")
    o = kinduction.check(m, ["x_not_3"], max_k=max_k)["x_not_3"]
    if max_k >= 3:
        _violated_at(m, o, 3)
    else:
        assert o.status != "holds", o


@pytest.mark.parametrize("design", ["depth3.yaml", "depth3-forever.yaml", "two-flags.yaml",
                                    "else-branch.yaml"])
def test_unbounded_engines_find_the_hand_counted_depth(design: str) -> None:
    m = model_of(design)
    want = {"depth3.yaml": {"x_not_3": 3}, "depth3-forever.yaml": {"x_not_3": 3},
            "two-flags.yaml": {"a_off": 1, "b_off": 1}, "else-branch.yaml": {"x_not_2": 1}}[design]
    props = list(want)
    for name, out in (("explicit", explicit.check(m, props)), ("pdr", pdr.check(m, props)),
                      ("kind", kinduction.check(m, props, max_k=6))):
        for p, depth in want.items():
            assert out[p].engine == name
            _violated_at(m, out[p], depth)


def test_kinduction_value_sets_take_both_branches_of_a_conditional() -> None:
    # bug caught: value sets keeping only the then-branch of an ite: the step case then
    # assumes x is never 2 and proves x_not_2 at k=0, although A reaches it in one step
    m = model_of("else-branch.yaml")
    assert kinduction.value_sets(m)["x"] == frozenset({0, 1, 2})
    _violated_at(m, kinduction.check(m, ["x_not_2"], max_k=4)["x_not_2"], 1)
