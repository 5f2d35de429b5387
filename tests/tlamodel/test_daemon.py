"""Task kinds: ``daemon: true`` (a kernel thread) may block for ever without that being a
deadlock, and is still checked for lost signals (fixtures/daemon/).

What must hold: a kthread-style daemon asleep for good is no ``no_deadlock`` violation, the
same task not marked daemon is one; a signal lost to the sleeping daemon is still a
``no_lost_signal`` violation; every engine and SPIN agree on it.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flagcheck.checker.verify import Options, verify
from flagcheck.pyspec import explicit
from flagcheck.tlamodel.load import load_design
from flagcheck.tlamodel.reduce import reduce_model

FIX = Path(__file__).resolve().parent / "fixtures" / "daemon"
CASES = [("design.yaml", "kthread", {"no_lost_signal": "holds", "no_deadlock": "holds"}),
         ("design.yaml", "kthread-idle", {"no_lost_signal": "holds", "no_deadlock": "holds"}),
         ("design.yaml", "kthread-idle-not-daemon",
          {"no_lost_signal": "holds", "no_deadlock": "violated"}),
         ("lost.yaml", "kthread", {"no_lost_signal": "violated", "no_deadlock": "holds"})]


def _model(design: str, scenario: str):  # noqa: ANN202
    d = load_design(FIX / design)
    return reduce_model(d.model(d.scenario(scenario)))


@pytest.mark.parametrize("design, scenario, want", CASES)
def test_explicit(design: str, scenario: str, want: dict[str, str]) -> None:
    out = explicit.check(_model(design, scenario))
    assert {k: out[k].status for k in want} == want
    assert out["assertions"].status == "holds"


def test_the_daemon_is_left_out_of_the_terminal_predicate() -> None:
    m = _model("design.yaml", "kthread-idle")
    assert "K.pc" not in {v for v in _names(m.terminal)} and "S.pc" in _names(m.terminal)


def _names(e) -> set[str]:  # noqa: ANN001
    from flagcheck.tlamodel.ir import free_vars
    return set(free_vars(e))


@pytest.mark.slow
@pytest.mark.solver
@pytest.mark.parametrize("engine", ["bmc", "kind", "pdr"])
def test_every_engine_agrees(engine: str) -> None:
    for design, scenario, want in CASES:
        d = load_design(FIX / design)
        got = {v.property: v.status for v in
               verify(d, (scenario,), (), Options(engine=engine, timeout=120))}
        # BMC proves only when no run is longer than its bound; the daemon loops for ever
        held = ("proved", "holds") if engine == "bmc" else ("proved",)
        for k, s in want.items():
            assert got[k] in (held if s == "holds" else (s,)), (design, scenario, k, got[k])


@pytest.mark.slow
@pytest.mark.spin
@pytest.mark.skipif(shutil.which("spin") is None or shutil.which("gcc") is None,
                    reason="needs spin and gcc")
@pytest.mark.parametrize("design, scenario, want", CASES)
def test_spin_agrees(design: str, scenario: str, want: dict[str, str], tmp_path: Path) -> None:
    from tests.checker.test_spin_agreement import assert_agree, check_model
    assert_agree(check_model(_model(design, scenario), tmp_path))
