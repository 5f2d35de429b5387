"""``local`` variables, ``return <value>;`` and procedures called inside expressions
(tlamodel.cfg_decl, tlamodel.cfg_locals), on the fixture design fixtures/locals/.

What must hold: the values are right (the fixture's invariants are proved, and a wrong
value would break them); a dead local costs no states (the same design with the local in a
state variable that is never reset has more); a slot holds its default wherever the task
has finished; declarations without a step of their own make no action; and every engine,
and SPIN on the export, agree.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flagcheck.checker.verify import Options, verify
from flagcheck.pyspec import explicit
from flagcheck.pyspec.explicit import reachable_states
from flagcheck.tlamodel.ir import Model
from flagcheck.tlamodel.load import load_design
from flagcheck.tlamodel.reduce import reduce_model

FIX = Path(__file__).resolve().parent / "fixtures" / "locals"


def _model(name: str, reduce: bool = True) -> Model:
    d = load_design(FIX / name)
    m = d.model(d.scenarios[0])
    return reduce_model(m) if reduce else m


def test_values_are_right_and_proved() -> None:
    for reduce in (True, False):
        out = explicit.check(_model("design.yaml", reduce))
        assert {k: o.status for k, o in out.items()} == {
            "one_woken": "holds", "totals": "holds", "no_deadlock": "holds",
            "assertions": "holds"}
        assert all(o.exhaustive for o in out.values())


@pytest.mark.parametrize("reduce", [True, False])
def test_a_dead_local_does_not_split_states(reduce: bool) -> None:
    local = explicit.check(_model("design.yaml", reduce))["one_woken"].states
    state_var = explicit.check(_model("state-var.yaml", reduce))["one_woken"].states
    assert local < state_var, (local, state_var)


def test_slots_hold_their_default_once_the_task_has_finished() -> None:
    m = _model("design.yaml", reduce=False)
    idx = m.var_index()
    slots = [v for v in m.vars if v.owner in m.tasks and v.field != "pc"
             and v.field not in ("woke", "total")]
    assert {v.name for v in slots} == {
        "A.test_and_set()@16:10", "A.test_and_set.old", "A.mark.was", "A.bump()@11:13",
        "A.bump.n", "B.test_and_set()@16:10", "B.test_and_set.old", "B.mark.was", "B.run.i",
        "B.run.seen"}
    finished = {t: next(i for i, info in enumerate(infos) if info.text == "finished")
                for t, _, infos in m.pcs}
    seen = 0
    for st in reachable_states(m, 100_000):
        for v in slots:
            if st[idx[f"{v.owner}.pc"]] == finished[v.owner]:  # type: ignore[index]
                seen += 1
                assert st[idx[v.name]] in (False, 0), (v.name, st)
    assert seen > 0


def test_declarations_and_constant_returns_are_no_steps() -> None:
    m = _model("design.yaml", reduce=False)
    texts = [a.info.text for a in m.actions]
    assert not any(t.startswith("local seen") or t.startswith("local i") for t in texts), texts
    assert "return 3;" not in texts
    assert any(t.startswith("local n: 0..3 = count") for t in texts)   # reads the state


@pytest.mark.slow
@pytest.mark.solver
@pytest.mark.parametrize("engine", ["bmc", "kind", "pdr"])
def test_every_engine_agrees(engine: str) -> None:
    d = load_design(FIX / "design.yaml")
    verdicts = verify(d, ("two-kickers",), (), Options(engine=engine, timeout=120))
    assert {v.property: v.status for v in verdicts} == {
        "one_woken": "proved", "totals": "proved", "no_deadlock": "proved",
        "assertions": "proved"}


@pytest.mark.slow
@pytest.mark.spin
@pytest.mark.skipif(shutil.which("spin") is None or shutil.which("gcc") is None,
                    reason="needs spin and gcc")
@pytest.mark.parametrize("reduce", [True, False])
def test_spin_agrees_on_the_export(reduce: bool, tmp_path: Path) -> None:
    from tests.checker.test_spin_agreement import assert_agree, check_model
    assert_agree(check_model(_model("design.yaml", reduce), tmp_path))
