"""The ``lock`` type: spin_lock()/spin_unlock() held across steps (tlamodel.cfg_lock), on the
fixture design fixtures/locks/ (ABBA, and siglock taken again by a helper its holder calls).

What must hold: ABBA is a deadlock at depth 2 (both tasks hold one lock and spin on the
other); the second acquisition by the holder is a ``lock_misuse`` violation that stops the
run at that step, with the kernel-worded message; lock steps are never merged by the
reduction; every engine and SPIN agree.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flagcheck.checker.verify import Options, verify
from flagcheck.checker.report.facts import error_message
from flagcheck.pyspec import explicit
from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.ir import Model
from flagcheck.tlamodel.load import load_design
from flagcheck.tlamodel.reduce import reduce_model

FIX = Path(__file__).resolve().parent / "fixtures" / "locks"
WANT = {"abba": {"no_deadlock": ("violated", 2), "exclusive": ("violated", 2),
                 "assertions": ("holds", None), "lock_misuse": ("holds", None)},
        "relock": {"no_deadlock": ("holds", None), "exclusive": ("holds", None),
                   "assertions": ("holds", None), "lock_misuse": ("violated", 2)}}


def _model(scenario: str, reduce: bool = True) -> Model:
    d = load_design(FIX / "design.yaml")
    m = d.model(d.scenario(scenario))
    return reduce_model(m) if reduce else m


@pytest.mark.parametrize("scenario", sorted(WANT))
def test_explicit_verdicts(scenario: str) -> None:
    out = explicit.check(_model(scenario))
    got = {k: (o.status, o.depth if o.status == "violated" else None) for k, o in out.items()}
    assert got == WANT[scenario]


def test_the_misuse_trace_ends_at_the_second_acquisition() -> None:
    m = _model("relock")
    o = explicit.check(m)["lock_misuse"]
    assert o.trace is not None
    last = m.actions[o.trace.actions[-1]]
    assert last.info.text == "spin_lock(current.group.siglock);"
    assert last.info.stack == ("recalc",)
    msg = error_message(m, o.trace.states[-1])
    assert msg is not None and msg.startswith(
        "lock misuse: spin_lock(current.group.siglock); but P already holds G.siglock")


def test_lock_steps_are_not_merged() -> None:
    m = _model("abba")
    assert "a" in m.observable and "b" in m.observable
    lock_steps = [a for a in m.actions if "spin_" in a.info.text]
    assert len(lock_steps) == 8 and all(not a.parts for a in lock_steps)


def test_assigning_a_lock_is_refused(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        "flagcheck: 1\nscenario: s\ntasks:\n  P:\nrun:\n  P: |\n    a = b;\n")
    (tmp_path / "d.yaml").write_text(
        f"flagcheck: 1\ndesign: d\nextends: {FIX / 'lib.yaml'}\nscenarios: [s.yaml]\n")
    d = load_design(tmp_path / "d.yaml", allow_paths=(FIX,))
    with pytest.raises(DesignError, match="a lock changes only by spin_lock"):
        d.model(d.scenarios[0])


@pytest.mark.slow
@pytest.mark.solver
@pytest.mark.parametrize("engine", ["bmc", "kind", "pdr"])
def test_every_engine_agrees(engine: str) -> None:
    d = load_design(FIX / "design.yaml")
    for scenario, want in WANT.items():
        verdicts = verify(d, (scenario,), (), Options(engine=engine, timeout=120))
        got = {v.property: (v.status, v.outcome.depth if v.status == "violated" else None)
               for v in verdicts}
        assert got == {k: ("proved" if s == "holds" else s, n) for k, (s, n) in want.items()}


@pytest.mark.slow
@pytest.mark.spin
@pytest.mark.skipif(shutil.which("spin") is None or shutil.which("gcc") is None,
                    reason="needs spin and gcc")
@pytest.mark.parametrize("scenario", sorted(WANT))
def test_spin_agrees_on_the_export(scenario: str, tmp_path: Path) -> None:
    from tests.checker.test_spin_agreement import assert_agree, check_model
    assert_agree(check_model(_model(scenario), tmp_path))
