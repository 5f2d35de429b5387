"""Typed task_work, task_work_add(T, callback, notify) (tlamodel.cfg_taskwork), on the
fixture design fixtures/taskwork/: the works run in the order they were queued, by the
target's task_work_run(), and a full queue is a modelling error with its own message.

What must hold: queued fput-then-completion runs in that order (the completion's assert
holds); the reverse order breaks it; a third work on a queue of two stops the run with
"task_work queue of T is full"; designs without typed work get no queue; every engine and
SPIN agree.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flagcheck.checker.report.facts import error_message
from flagcheck.checker.verify import Options, verify
from flagcheck.pyspec import explicit
from flagcheck.tlamodel.load import load_design
from flagcheck.tlamodel.reduce import reduce_model

FIX = Path(__file__).resolve().parent / "fixtures" / "taskwork"
SPECS = Path(__file__).resolve().parents[2] / "specs"
WANT = {"two-works": ("holds", None), "reversed": ("violated", 6), "overflow": ("violated", 3)}


def _model(scenario: str):  # noqa: ANN202
    d = load_design(FIX / "design.yaml")
    return reduce_model(d.model(d.scenario(scenario)))


@pytest.mark.parametrize("scenario", sorted(WANT))
def test_explicit(scenario: str) -> None:
    m = _model(scenario)
    o = explicit.check(m)["assertions"]
    assert (o.status, o.depth if o.status == "violated" else None) == WANT[scenario]
    if scenario == "overflow":
        assert o.trace is not None
        msg = error_message(m, o.trace.states[-1])
        assert msg is not None and msg.startswith("task_work queue of T is full: "
                                                  "task_work_add(T, complete_work, TWA_SIGNAL);")


def test_the_queue_exists_only_with_typed_work() -> None:
    m = _model("two-works")
    assert {v.name for v in m.vars if v.field and v.field.startswith("task_work[")} == {
        f"{t}.task_work[{i}]" for t in ("T", "A") for i in ("0", "1", "run")}
    d = load_design(SPECS / "notify-signal-5.11.yaml")
    plain = d.model(d.scenario("oleg-lost-signal"))
    assert not any(v.field and v.field.startswith("task_work[") for v in plain.vars)


@pytest.mark.slow
@pytest.mark.solver
@pytest.mark.parametrize("engine", ["bmc", "kind", "pdr"])
def test_every_engine_agrees(engine: str) -> None:
    d = load_design(FIX / "design.yaml")
    for scenario, (status, depth) in WANT.items():
        v = {x.property: x for x in verify(d, (scenario,), (), Options(engine=engine,
                                                                        timeout=300))}
        assert v["assertions"].status == ("proved" if status == "holds" else status)
        if depth is not None:
            assert v["assertions"].outcome.depth == depth


@pytest.mark.slow
@pytest.mark.spin
@pytest.mark.skipif(shutil.which("spin") is None or shutil.which("gcc") is None,
                    reason="needs spin and gcc")
@pytest.mark.parametrize("scenario", sorted(WANT))
def test_spin_agrees(scenario: str, tmp_path: Path) -> None:
    from tests.checker.test_spin_agreement import assert_agree, check_model
    assert_agree(check_model(_model(scenario), tmp_path))
