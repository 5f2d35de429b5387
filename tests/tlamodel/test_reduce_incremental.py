"""The reduction's incremental merge loop gives the model the plain loop gives.

The plain loop (below, as the oracle) rescans every action after each merge and merges
the first one that may be merged; it was quadratic in the statements of a procedure.
The incremental one (tlamodel.reduce._Merger) re-judges only the actions a merge can
affect.  Same actions, same order, on random models and on the shipped specs; and a
10,000-statement private procedure reduces in well under the time the old loop took
(it is timed by benchmarks, here only its result is checked).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.budget import examples
from tests.strategies import sample

from flagcheck.tlamodel.ir import Action, Model
from flagcheck.tlamodel.load import load_design
from flagcheck.tlamodel.reduce import (MAX_ACTIONS, _Analysis, _exclusive, _reachable, compose,
                                       reduce_model)

SPECS = Path(__file__).resolve().parents[2] / "specs"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def plain_reduce(model: Model) -> Model:
    """The merge loop as it was before it became incremental: rescan after each merge."""
    if not model.pcs:
        return model
    an = _Analysis(model)
    acts = list(model.actions)
    changed = True
    while changed and len(acts) < MAX_ACTIONS:
        changed = False
        by_src: dict[tuple[str, int | None], list[Action]] = {}
        for a in acts:
            by_src.setdefault((a.task, an.src(a)), []).append(a)
        for a in acts:
            s, d = an.src(a), an.dst(a)
            if s is None or d is None or d == s or not an.mergeable(a, s, d):
                continue
            succ = by_src.get((a.task, d), [])
            if not succ or any(an.private(b) for b in succ):
                continue
            if any(x is not a and not _exclusive(a.guard, x.guard)
                   for x in by_src.get((a.task, s), [])):
                continue
            merged = [compose(a, b) for b in succ]
            merged = [m for m in merged if not (m.guard.op == "const" and m.guard.value is False)]
            acts = [x for x in acts if x is not a] + merged
            changed = True
            break
    acts = _reachable(model, an, acts)
    return replace(model, actions=tuple(replace(a, index=i) for i, a in enumerate(acts)))


def _shape(m: Model) -> list[tuple[object, ...]]:
    return [(a.index, a.task, a.guard, a.updates, a.info.text) for a in m.actions]


def test_random_models_reduce_as_with_the_plain_loop() -> None:
    models = sample(examples(300))
    merged = 0
    for m in models:
        fast, plain = reduce_model(m), plain_reduce(m)
        assert _shape(fast) == _shape(plain), m
        merged += len(fast.actions) < len(m.actions)
    assert merged > len(models) // 10, merged     # the sample does exercise merging


@pytest.mark.parametrize("design", sorted(SPECS.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_specs_reduce_as_with_the_plain_loop(design: Path) -> None:
    d = load_design(design)
    for scen in d.scenarios:
        m = d.model(scen)
        assert _shape(reduce_model(m)) == _shape(plain_reduce(m)), scen.name


def test_a_long_private_procedure_merges_into_its_one_visible_step() -> None:
    d = load_design(FIXTURES / "long-private-procedure.yaml")
    m = d.model(d.scenarios[0])
    assert len(m.actions) >= 2000
    (only,) = reduce_model(m).actions
    assert dict(only.updates)["x"].value == 1


def test_the_check_hook_can_stop_a_reduction() -> None:
    d = load_design(FIXTURES / "long-private-procedure.yaml")
    m = d.model(d.scenarios[0])
    calls = []

    class Stop(Exception):
        pass

    def check() -> None:
        calls.append(1)
        if len(calls) > 10:
            raise Stop
    with pytest.raises(Stop):
        reduce_model(m, check)
