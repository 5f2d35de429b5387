"""The layered (packed, column-wise) search against the tuple search it replaces.

The layered search promises more than equal verdicts: the same shortest counterexample
state by state, the same ``states`` count at every violation, the same depth and reason
under a state limit.  So each case compares whole Outcomes (less the clock) of
``check(..., layered=True)`` and ``check(..., layered=False)``, on 600 random models (300
with program counters, 300 without) under ten state limits each, and on every shipped
design × scenario pair."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from tests.budget import examples
from tests.shipped import cached_design, shipped_pairs
from tests.strategies import sample

from flagcheck.pyspec import layered
from flagcheck.pyspec.explicit import check, reachable_count
from flagcheck.pyspec.packed import Layout, Unpackable
from flagcheck.pyspec.replay import check_violation
from flagcheck.tlamodel.ir import IntType, Invariant, Model, VarDecl, const, mk, var

SPECS = Path(__file__).resolve().parents[2] / "specs"


def same(m: Model, **kw: object) -> dict:
    """Both searches' outcomes, asserted equal but for the seconds; the layered search
    also with layers expanded in chunks of 3 states (big layers are chunked)."""
    def strip(out: dict) -> dict:
        return {n: dataclasses.replace(o, seconds=0.0) for n, o in out.items()}
    fast = check(m, layered=True, **kw)  # type: ignore[arg-type]
    slow = check(m, layered=False, **kw)  # type: ignore[arg-type]
    assert strip(fast) == strip(slow)
    default, layered.CHUNK = layered.CHUNK, 3
    try:
        assert strip(check(m, layered=True, **kw)) == strip(slow)  # type: ignore[arg-type]
    finally:
        layered.CHUNK = default
    return fast


#: state limits each random model is searched under (None: none), so the cut under
#: ``max_states`` (which states, which depth, which property answered first) is compared too
LIMITS = (None, 0, 1, 2, 3, 5, 8, 13, 21, 40)


@pytest.mark.slow
@pytest.mark.parametrize("pcs", [True, False], ids=["pcs", "no-pcs"])
def test_layered_equals_tuple_search_on_random_models(pcs):
    """300 random models of each shape (tests/strategies.py's deterministic sample), each
    under every limit in LIMITS; violations also replay."""
    for m in sample(examples(300), pcs=pcs):
        for limit in LIMITS:
            for name, o in same(m, max_states=limit).items():
                if o.status == "violated":
                    check_violation(m, o.trace, name)


@pytest.mark.parametrize("path,scenario", shipped_pairs())
def test_layered_equals_tuple_search_on_shipped_specs(path, scenario):
    d = cached_design(path)
    m = d.model(d.scenario(scenario))
    layered.vmodel(m)                     # every shipped model packs (else this is moot)
    same(m)


def test_unpackable_model_falls_back_to_the_tuple_search():
    big = IntType(0, (1 << 40) - 1)
    names = "abcde"
    m = Model("wide", tuple(VarDecl(n, big) for n in names), ((0, 1),) * 5, (),
              (Invariant("ok", mk("le", var("a", big), const(1, big))),))
    with pytest.raises(Unpackable, match="200 bits"):    # a 40-bit field a word, 5 words
        Layout.of(m)
    assert check(m)["ok"].status == "holds" and reachable_count(m) == 32


def test_value_outside_its_type_falls_back():
    """An update the front end did not range-check leaves the type: the packed search
    cannot store it, so the tuple search answers (and finds the state)."""
    small = IntType(0, 1)
    x = var("x", small)
    from flagcheck.tlamodel.ir import Action, StepInfo
    m = Model("over", (VarDecl("x", small),), ((0,),),
              (Action(0, "T", mk("le", x, const(2, small)),
                      (("x", mk("add", x, const(1, small))),), StepInfo("x++")),),
              (Invariant("small", mk("le", x, const(1, small))),))
    out = check(m)["small"]
    assert out.status == "violated" and out.depth == 2 and out.trace.states[-1] == (2,)
