"""Replay accepts real runs and rejects every kind of corrupted trace, saying where."""
from __future__ import annotations

import pytest

from tests.pyspec import pyspec_models as M
from flagcheck.pyspec.explicit import check
from flagcheck.pyspec.replay import ReplayError, check_violation, replay
from flagcheck.pyspec.trace import Trace

# lost_update, hand-written: read A, read B, write A, write B.  Vars (x, pc_A, tmp_A, pc_B, tmp_B)
RACE_STATES = ((0, 0, 0, 0, 0), (0, 1, 0, 0, 0), (0, 1, 0, 1, 0), (1, 2, 0, 1, 0), (1, 2, 0, 2, 0))
RACE = Trace(RACE_STATES, (0, 2, 1, 3))


def with_state(trace: Trace, i: int, state: tuple) -> Trace:
    states = list(trace.states)
    states[i] = state
    return Trace(tuple(states), trace.actions, trace.loop_start)


def with_action(trace: Trace, i: int, a: int) -> Trace:
    acts = list(trace.actions)
    acts[i] = a
    return Trace(trace.states, tuple(acts), trace.loop_start)


def test_accepts_hand_trace_and_engine_trace():
    m = M.lost_update()
    replay(m, RACE)
    check_violation(m, RACE, "no_lost_update")
    engine = check(m)["no_lost_update"].trace
    replay(m, engine)
    check_violation(m, engine, "no_lost_update")


def test_changed_value():
    bad = with_state(RACE, 2, (0, 1, 0, 1, 2))   # tmp_B read as 2, but x was 0
    with pytest.raises(ReplayError) as ei:
        replay(M.lost_update(), bad)
    e = ei.value
    assert (e.step, e.variable, e.expected, e.actual) == (2, "tmp_B", "0", "2")
    msg = str(e)
    assert "step 2" in msg and "task B" in msg and "tmp = x" in msg
    assert "tmp_B expected 0 but trace has 2" in msg


def test_wrong_action():
    bad = with_action(RACE, 0, 2)                # claims B read, but the state shows A read
    with pytest.raises(ReplayError) as ei:
        replay(M.lost_update(), bad)
    e = ei.value
    assert e.step == 1 and e.variable == "pc_A" and (e.expected, e.actual) == ("0", "1")
    assert "pc_B expected 1 but trace has 0" in str(e)   # every mismatch is listed


def test_disabled_guard():
    bad = Trace((RACE_STATES[0], (1, 2, 0, 0, 0)), (1,))   # A writes before reading
    with pytest.raises(ReplayError, match=r"step 1 \(task A: x = tmp \+ 1\): action is not "
                                          r"enabled, guard \(pc_A == 1\) is false"):
        replay(M.lost_update(), bad)


def test_bad_initial_state():
    bad = with_state(RACE, 0, (1, 0, 0, 0, 0))
    with pytest.raises(ReplayError, match="state 0 is not an initial state: x = 1") as ei:
        replay(M.lost_update(), bad)
    assert ei.value.step == 0 and ei.value.variable == "x"


def test_action_out_of_range_and_wrong_width():
    with pytest.raises(ReplayError, match="action index 4 out of range"):
        replay(M.lost_update(), with_action(RACE, 3, 4))
    with pytest.raises(ReplayError, match="state 1 has 4 values"):
        replay(M.lost_update(), with_state(RACE, 1, (0, 1, 0, 0)))


def test_bool_and_enum_values_rendered():
    m = M.mutual_wait()
    good = Trace(((False, False, 0, 0), (False, False, 1, 0)), (0,))
    replay(m, good)
    bad = with_state(good, 1, (True, False, 1, 0))
    with pytest.raises(ReplayError, match="flag_A expected false but trace has true"):
        replay(m, bad)


def test_check_violation_rejects_non_counterexamples():
    m = M.lost_update()
    prefix = Trace(RACE_STATES[:3], RACE.actions[:2])
    replay(m, prefix)                                   # a fine run ...
    with pytest.raises(ReplayError, match="no_lost_update .* holds in last state 2"):
        check_violation(m, prefix, "no_lost_update")    # ... but not a counterexample
    with pytest.raises(ReplayError, match="not a deadlock .*enabled: task A: x = tmp"):
        check_violation(m, prefix, "deadlock_free")
    done = Trace(((0, 0, 0), (1, 1, 0), (2, 1, 1)), (0, 1))
    with pytest.raises(ReplayError, match="terminal"):
        check_violation(M.atomic_counter(), done, "deadlock_free")
    check_violation(M.atomic_counter(terminal_when_done=False), done, "deadlock_free")


def test_lasso_must_close():
    m = M.toggle()
    replay(m, Trace(((False,), (True,), (False,)), (0, 0), loop_start=0))
    with pytest.raises(ReplayError, match="lasso does not close.*b expected true but trace has false"):
        replay(m, Trace(((False,), (True,), (False,)), (0, 0), loop_start=1))
    with pytest.raises(ReplayError, match="loop_start 5"):
        replay(m, Trace(((False,), (True,)), (0,), loop_start=5))


def test_the_end_of_the_run_comes_back_from_the_replay():
    """The reports show who can still step at the end of a counterexample and who waits;
    the replay works that out (a deadlock is a state where nothing is enabled) and returns
    it, so no report runs the model again."""
    m = M.mutual_wait()
    dead = Trace(((False, False, 0, 0), (False, False, 1, 0), (False, False, 1, 1)), (0, 3))
    end = check_violation(m, dead, "no_deadlock")
    assert end.enabled == () and end.enabled_tasks == frozenset()
    assert dict(end.blocked) == {"A": None, "B": None} and end.finished == frozenset()
    assert end.violated_instance is None
    # flags_off fails at once when both flags start set: both tasks can still prepare
    m = M.mutual_wait(flag_init=(True,))
    end = check_violation(m, Trace(((True, True, 0, 0),), ()), "flags_off")
    assert end.enabled == (0, 3) and end.enabled_tasks == {"A", "B"} and not end.blocked


def test_a_lasso_comes_back_with_the_obligation_it_violates():
    from flagcheck.pyspec import liveness
    from tests.pyspec.fixtures_liveness import liveness_models as L
    m = L.handshake(acker=True)
    t = check(m, ["answered"])["answered"].trace
    end = check_violation(m, t, "answered")
    assert end.violated_instance == liveness.violated_instance(m, m.property("answered"), t) == 1
