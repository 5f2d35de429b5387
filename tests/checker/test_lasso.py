"""Lasso BMC (checker.engines.lasso, reached through checker.engines.bmc.check) against hand-derived
shortest lassos (tests/pyspec/fixtures_liveness/liveness_models.py) and the shipped specs."""
from __future__ import annotations

import time
from dataclasses import replace

import pytest

from flagcheck.checker.engines import bmc, lasso
from flagcheck.pyspec import explicit
from flagcheck.pyspec.replay import check_violation
from flagcheck.pyspec.successors import enabled
from tests.pyspec.fixtures_liveness import liveness_models as L
from flagcheck.tlamodel.ir import (Action, DeadlockFree, IntType, Invariant, Liveness, Model, StepInfo,
                         VarDecl, const, mk, var)

pytestmark = pytest.mark.solver

CASES = [(m, p) for m, props in L.EXPECT.items() for p in props]


@pytest.mark.parametrize("model_name,prop", CASES, ids=[f"{m}-{p}" for m, p in CASES])
def test_bmc_shortest_lassos(model_name: str, prop: str) -> None:
    m = L.ALL[model_name]()
    o = bmc.check(m, [prop], depth=8)[prop]
    assert o.engine == "bmc" and o.property == prop and o.states is None
    expect = L.EXPECT[model_name][prop]
    if expect is None:
        assert o.status == "holds" and o.trace is None, o
        # runs end (no run longer than the diameter) only in these two models
        assert o.exhaustive == (model_name in ("idle", "handshake_acker"))
        assert o.depth == (8 if not o.exhaustive else {"idle": 0, "handshake_acker": 4}[model_name])
        return
    assert o.status == "violated", o
    t = o.trace
    assert t is not None and t.length == o.depth
    assert (t.length, t.loop_start) == expect
    check_violation(m, t, prop)
    if t.loop_start == t.length:
        assert enabled(m, t.states[-1]) == []


def test_lasso_longer_than_state_space() -> None:
    """three_rings: 5 reachable states, shortest fair violating lasso 6 steps."""
    m = L.three_rings()
    assert explicit.reachable_count(m) == 5
    o = bmc.check(m, depth=5)["escapes"]
    assert (o.status, o.depth, o.exhaustive) == ("holds", 5, False)
    o = bmc.check(m, depth=6)["escapes"]
    assert (o.status, o.depth) == ("violated", 6)
    check_violation(m, o.trace, "escapes")


def test_one_query_serves_several_properties() -> None:
    """All spinner properties at once, mixed with safety properties: each violated one gets a
    shortest lasso of its own (the joint query must not shift depths)."""
    m = L.spinner()
    x = var("x", IntType(0, 4))
    m = replace(m, properties=(Invariant("x_small", mk("le", x, const(1, IntType(0, 4)))),)
                + m.properties + (DeadlockFree("no_deadlock"),))
    out = bmc.check(m, depth=6)
    assert list(out) == [p.name for p in m.properties]
    assert out["x_small"].status == "holds" and out["no_deadlock"].status == "holds"
    for name, exp in L.EXPECT["spinner"].items():
        o = out[name]
        if exp is None:
            assert (o.status, o.depth) == ("holds", 6)
        else:
            assert (o.status, o.depth, o.trace.loop_start) == ("violated", *exp)
            check_violation(m, o.trace, name)


def test_wide_constants_in_properties() -> None:
    """x in 0..4 fits 4-bit vectors, but ``x == 20`` does not (20 mod 16 = 4): the encoder
    must be sized for the liveness expressions too, or x == 4 would satisfy x == 20."""
    x_t = IntType(0, 4)
    x = var("x", x_t)
    m = Model("wide", (VarDecl("x", x_t),), ((0,),),
              (Action(0, "T", mk("lt", x, const(4, x_t)), (("x", mk("add", x, const(1, x_t))),),
                      StepInfo("x++")),),
              (Liveness("twenty", "eventually", ((mk("eq", x, const(20, IntType(0, 20))), None),)),),
              tasks=("T",))
    assert lasso.liveness_width(m) > 4
    o = bmc.check(m, depth=6)["twenty"]
    assert (o.status, o.depth, o.trace.loop_start) == ("violated", 4, 4)   # x = 4 is dead
    assert explicit.check(m)["twenty"].status == "violated"


def test_timeout_and_errors() -> None:
    m = L.three_rings()
    o = bmc.check(m, depth=10, timeout=0.0)["escapes"]
    assert (o.status, o.depth) == ("unknown", -1) and "timeout" in o.reason
    with pytest.raises(ValueError):
        lasso.check(m, depth=-1)
    with pytest.raises(KeyError):
        bmc.check(m, ["nope"])
    with pytest.raises(TypeError):
        lasso.check(replace(m, properties=(DeadlockFree("dl"),)), ["dl"])


# ---------------------------------------------------------------- shipped specs
@pytest.mark.slow
def test_task_work_runs_violated_twa_resume_counter() -> None:
    m = L.spec_model("twa-resume-counter", "io-uring-pthread-join", ("task_work_runs",))
    ex = explicit.check(m, ["task_work_runs"])["task_work_runs"]
    t0 = time.monotonic()
    o = bmc.check(m, ["task_work_runs"], depth=ex.depth)["task_work_runs"]
    secs = time.monotonic() - t0
    assert o.status == "violated" and o.depth == ex.depth == 22, (o, ex)
    t = o.trace
    assert t.loop_start == t.length          # the deadlock, stuttering with work queued
    check_violation(m, t, "task_work_runs")
    print(f"bmc task_work_runs twa-resume-counter: depth {o.depth} in {secs:.1f}s")


@pytest.mark.slow
def test_task_work_runs_holds_notify_signal_bounded() -> None:
    m = L.spec_model("notify-signal-5.11", "io-uring-pthread-join", ("task_work_runs",))
    t0 = time.monotonic()
    o = bmc.check(m, ["task_work_runs"], depth=10)["task_work_runs"]
    print(f"bmc task_work_runs notify-signal-5.11: {o.status} to depth 10 in "
          f"{time.monotonic() - t0:.1f}s")
    assert (o.status, o.depth, o.exhaustive) == ("holds", 10, False)
