"""The explicit liveness engine (pyspec.liveness) and lasso replay (pyspec.replay) against
verdicts worked out by hand (tests/pyspec/fixtures_liveness/liveness_models.py), and on the
shipped specs."""
from __future__ import annotations

import time

import pytest

from flagcheck.pyspec import explicit, liveness
from flagcheck.pyspec.replay import ReplayError, check_violation
from flagcheck.pyspec.successors import enabled
from flagcheck.pyspec.trace import Trace
from tests.pyspec.fixtures_liveness import liveness_models as L

CASES = [(m, p) for m, props in L.EXPECT.items() for p in props]


@pytest.mark.parametrize("model_name,prop", CASES, ids=[f"{m}-{p}" for m, p in CASES])
def test_explicit_hand_verdicts(model_name: str, prop: str) -> None:
    m = L.ALL[model_name]()
    o = explicit.check(m, [prop])[prop]
    assert o.engine == "explicit" and o.property == prop
    expect = L.EXPECT[model_name][prop]
    if expect is None:
        assert (o.status, o.exhaustive, o.trace) == ("holds", True, None), o
        return
    assert o.status == "violated", o
    t = o.trace
    assert t is not None and t.loop_start is not None and o.depth == t.length
    want = L.EXPLICIT.get((model_name, prop), expect)
    assert (t.length, t.loop_start) == want
    check_violation(m, t, prop)
    if t.loop_start == t.length:       # stutter lasso: the last state is dead
        assert enabled(m, t.states[-1]) == []
    else:
        assert t.states[-1] == t.states[t.loop_start]


def test_all_properties_at_once_and_mixed_with_safety() -> None:
    from dataclasses import replace

    from flagcheck.tlamodel.ir import DeadlockFree, Invariant, mk, var, const, IntType
    m = L.spinner()
    x = var("x", IntType(0, 4))
    m = replace(m, properties=(Invariant("x_small", mk("le", x, const(1, IntType(0, 4)))),)
                + m.properties + (DeadlockFree("no_deadlock"),))
    out = explicit.check(m)
    assert list(out) == [p.name for p in m.properties]
    assert out["x_small"].status == "holds" and out["no_deadlock"].status == "holds"
    assert {n: o.status for n, o in out.items() if n in L.EXPECT["spinner"]} == {
        n: "holds" if e is None else "violated" for n, e in L.EXPECT["spinner"].items()}
    assert out["x_small"].states == out["never_two"].states == 2


def test_for_each_obligation_reported() -> None:
    m = L.handshake(acker=True)
    t = explicit.check(m, ["answered"])["answered"].trace
    prop = m.property("answered")
    assert liveness.violated_instance(m, prop, t) == 1          # R2's obligation
    assert liveness.instance_label(prop, 1) == " for R2"


def test_two_pass_semantics() -> None:
    """leads_to(x == 1, x == 2) on [0 -> 1 -> 0]: pending only from position 1 on, still a
    violation (the bit is true throughout the second pass)."""
    m = L.spinner()
    t = Trace(((0,), (1,), (0,)), (0, 0), loop_start=0)
    check_violation(m, t, "one_to_two")
    assert liveness.lasso_positions(t) == [0, 1, 0, 1]


# ---------------------------------------------------------------- replay rejects
def test_unfair_loop_rejected() -> None:
    m = L.starvation(intermittent=False)
    with pytest.raises(ReplayError, match=r"loop \(states 0\.\.2\) is not fair: task B never step"):
        check_violation(m, L.unfair_trace(), "finishes")
    # the same loop is fair when B is disabled at x == 0 (weak fairness)
    check_violation(L.starvation(intermittent=True), L.unfair_trace(), "finishes")


def test_stutter_only_in_dead_states() -> None:
    m = L.spinner()
    with pytest.raises(ReplayError, match="stuttering in state 0, but that state is not dead"):
        check_violation(m, Trace(((0,),), (), loop_start=0), "never_two")
    m = L.handshake(acker=False)
    t = explicit.check(m, ["answered"])["answered"].trace
    check_violation(m, t, "answered")
    cut = Trace(t.states[:-1], t.actions[:-1], loop_start=len(t.actions) - 1)
    with pytest.raises(ReplayError, match="not dead"):
        check_violation(m, cut, "answered")


def test_not_a_violation_rejected() -> None:
    m = L.spinner()
    lasso = Trace(((0,), (1,), (0,)), (0, 0), loop_start=0)
    for prop in ("reaches_one", "one_again", "back_to_zero"):
        with pytest.raises(ReplayError, match=f"{prop} .* is not violated on this lasso"):
            check_violation(m, lasso, prop)
    m = L.handshake(acker=True)
    t = explicit.check(m, ["answered"])["answered"].trace
    with pytest.raises(ReplayError, match="acked1 .*not violated"):
        check_violation(m, t, "acked1")


def test_lasso_required_and_must_close() -> None:
    m = L.spinner()
    with pytest.raises(ReplayError, match="must be a lasso"):
        check_violation(m, Trace(((0,), (1,)), (0,)), "never_two")
    with pytest.raises(ReplayError, match="lasso does not close"):
        check_violation(m, Trace(((0,), (1,)), (0,), loop_start=0), "never_two")


# ---------------------------------------------------------------- limits and errors
def test_limits_give_unknown() -> None:
    m = L.three_rings()
    o = explicit.check(m, ["escapes"], max_states=3)["escapes"]
    assert (o.status, o.depth, o.exhaustive) == ("unknown", -1, False)
    assert "state limit 3" in o.reason
    o = explicit.check(m, ["escapes"], timeout=0.0)["escapes"]
    assert o.status == "unknown" and "timeout" in o.reason


def test_rejects_non_liveness() -> None:
    m = L.spinner()
    from dataclasses import replace

    from flagcheck.tlamodel.ir import DeadlockFree
    m = replace(m, properties=m.properties + (DeadlockFree("dl"),))
    with pytest.raises(TypeError):
        liveness.check(m, ["dl"])
    with pytest.raises(KeyError):
        explicit.check(m, ["nope"])


# ---------------------------------------------------------------- shipped specs
@pytest.mark.parametrize("design,verdict", [("twa-resume-counter", "violated"),
                                            ("notify-signal-5.11", "holds")])
def test_task_work_runs_on_specs(design: str, verdict: str) -> None:
    m = L.spec_model(design, "io-uring-pthread-join", ("task_work_runs",))
    t0 = time.monotonic()
    o = explicit.check(m, ["task_work_runs"])["task_work_runs"]
    secs = time.monotonic() - t0
    assert o.status == verdict, o
    if verdict == "holds":
        assert o.exhaustive and o.states and o.states > 100
    else:
        # Hillf's TWA_RESUME design: T1 blocks in pthread_join() with its task_work queued,
        # T2 waits for the CQE only that work posts: a deadlock with work pending, i.e. a
        # stutter lasso at the dead last state
        t = o.trace
        assert t is not None and t.loop_start == t.length == o.depth
        assert enabled(m, t.states[-1]) == []
        check_violation(m, t, "task_work_runs")
        prop = m.property("task_work_runs")
        assert prop.labels[liveness.violated_instance(m, prop, t)] == "T1"
    assert secs < 30
