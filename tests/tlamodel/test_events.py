"""Event properties, ``on: "LABEL: cond"`` (tlamodel.cfg_events), on fixtures/events/: a
fork that fails while only TIF_NOTIFY_SIGNAL is pending (the check kernel commit
66ae0d1e2d9f moved from signal_pending() to task_sigpending()).

What must hold: the buggy variant violates the event property with a counterexample that
stops at the labelled step, the fixed one proves it; a property not checked adds nothing to
the model; every engine and SPIN agree.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flagcheck.checker.verify import Options, verify
from flagcheck.pyspec import explicit
from flagcheck.tlamodel.load import load_design
from flagcheck.tlamodel.reduce import reduce_model

FIX = Path(__file__).resolve().parent / "fixtures" / "events"
PROP = "fork_fails_only_on_signal"
WANT = {"buggy.yaml": ("violated", 3), "fixed.yaml": ("holds", None)}


def _model(design: str, props: tuple[str, ...] = ()):  # noqa: ANN202
    d = load_design(FIX / design)
    return reduce_model(d.model(d.scenarios[0], props))


@pytest.mark.parametrize("design", sorted(WANT))
def test_explicit(design: str) -> None:
    m = _model(design)
    o = explicit.check(m)[PROP]
    assert (o.status, o.depth if o.status == "violated" else None) == WANT[design]
    if o.status == "violated":
        assert o.trace is not None
        last = m.actions[o.trace.actions[-1]]
        assert last.info.label == "fork_fail"          # the run stops at the event


def test_the_model_does_not_depend_on_the_selection() -> None:
    # an unchecked event property is compiled all the same (only not reported), so the
    # reduced model, and every depth, is the one of a run that checks it
    with_event = _model("buggy.yaml")
    without = _model("buggy.yaml", ("no_deadlock",))
    assert [(a.guard, a.updates) for a in with_event.actions] == \
        [(a.guard, a.updates) for a in without.actions]
    assert [p.name for p in without.properties] == ["no_deadlock", "assertions"]


def test_a_violation_does_not_stop_the_run() -> None:
    # unlike a failed assert: the deadlock check still sees every state after the event
    m = _model("buggy.yaml")
    assert m.error_var is None
    assert "__event_" + PROP in m.var_index()


@pytest.mark.slow
@pytest.mark.solver
@pytest.mark.parametrize("engine", ["bmc", "kind", "pdr"])
@pytest.mark.parametrize("design", sorted(WANT))
def test_every_engine_agrees(engine: str, design: str) -> None:
    d = load_design(FIX / design)
    v = {x.property: x for x in verify(d, (), (PROP,), Options(engine=engine, timeout=120))}
    want, depth = WANT[design]
    assert v[PROP].status == ("proved" if want == "holds" else want)
    if depth is not None:
        assert v[PROP].outcome.depth == depth


@pytest.mark.slow
@pytest.mark.spin
@pytest.mark.skipif(shutil.which("spin") is None or shutil.which("gcc") is None,
                    reason="needs spin and gcc")
@pytest.mark.parametrize("design", sorted(WANT))
def test_spin_agrees(design: str, tmp_path: Path) -> None:
    from tests.checker.test_spin_agreement import assert_agree, check_model
    assert_agree(check_model(_model(design), tmp_path))
