"""One-step semantics: enabledness, simultaneous updates, initial states, deadlock."""
from __future__ import annotations

import dataclasses

import pytest

from tests.pyspec import pyspec_models as M
from flagcheck.pyspec.successors import compile_model, enabled, fire, initial_states, is_deadlock
from flagcheck.tlamodel.ir import (TRUE, Action, IntType, Model, StepInfo, VarDecl, const, mk, var)

I3 = IntType(0, 3)


def swap_model() -> Model:
    """x, y := y, x (must swap, not copy) and z untouched."""
    upd = (("x", var("y", I3)), ("y", var("x", I3)))
    return Model(name="swap", vars=(VarDecl("x", I3), VarDecl("y", I3), VarDecl("z", I3)),
                 init=((1,), (2,), (3,)),
                 actions=(Action(0, "T", TRUE, upd, StepInfo("swap")),), properties=())


def test_enabled_in_lost_update():
    m = M.lost_update()
    s0 = (0, 0, 0, 0, 0)
    assert enabled(m, s0) == [0, 2]               # both reads
    assert enabled(m, (0, 1, 0, 0, 0)) == [1, 2]  # A write, B read
    assert enabled(m, (1, 2, 0, 2, 0)) == []


def test_fire_reads_the_pre_state():
    m = swap_model()
    assert fire(m, 0, (1, 2, 3)) == (2, 1, 3)
    assert fire(m, m.actions[0], (0, 3, 1)) == (3, 0, 1)


def test_fire_lost_update_steps():
    m = M.lost_update()
    s = (0, 0, 0, 0, 0)
    for a in (0, 2, 1, 3):                        # read A, read B, write A, write B
        s = fire(m, a, s)
    assert s == (1, 2, 0, 2, 0)                   # one increment lost
    s = (0, 0, 0, 0, 0)
    for a in (0, 1, 2, 3):                        # serial
        s = fire(m, a, s)
    assert s == (2, 2, 0, 2, 1)


def test_initial_states_cartesian_product():
    m = M.mutual_wait(flag_init=(False, True))
    got = sorted(initial_states(m))
    assert got == [(False, False, 0, 0), (False, True, 0, 0),
                   (True, False, 0, 0), (True, True, 0, 0)]


def test_deadlock_needs_non_terminal():
    m = M.mutual_wait()
    assert is_deadlock(m, (False, False, 1, 1))
    assert not is_deadlock(m, (False, False, 1, 0))     # B can still prepare
    assert not is_deadlock(m, (True, True, 3, 3))       # finished
    assert not is_deadlock(M.atomic_counter(), (2, 1, 1))
    assert is_deadlock(M.atomic_counter(terminal_when_done=False), (2, 1, 1))


def test_pc_dispatch_agrees_with_testing_every_guard():
    """The pc bucketing is an optimisation; it must not change which actions are enabled."""
    m = M.counter_race(2, 2)
    plain = dataclasses.replace(m, pcs=())
    idx = m.var_index()
    for x in range(5):
        for pa in range(5):
            for pb in range(5):
                s = (x, pa, 1, pb, 2)
                brute = [a.index for a in m.actions
                         if a.guard.args[1].value == s[idx[a.guard.args[0].name]]]
                assert enabled(m, s) == brute == enabled(plain, s)


def test_malformed_models_rejected():
    m = swap_model()
    twice = dataclasses.replace(m.actions[0], updates=(("x", const(0, I3)), ("x", const(1, I3))))
    with pytest.raises(ValueError, match="twice"):
        compile_model(dataclasses.replace(m, actions=(twice,)))
    renumbered = dataclasses.replace(m.actions[0], index=5)
    with pytest.raises(ValueError, match="index 5"):
        compile_model(dataclasses.replace(m, actions=(renumbered,)))
    unknown = dataclasses.replace(m.actions[0], updates=(("w", const(0, I3)),))
    with pytest.raises(ValueError, match="unknown variable 'w'"):
        compile_model(dataclasses.replace(m, actions=(unknown,)))
    with pytest.raises(ValueError, match="init"):
        compile_model(dataclasses.replace(m, init=((1,),)))
    bad_guard = dataclasses.replace(m.actions[0], guard=mk("eq", var("q", I3), const(0, I3)))
    with pytest.raises(KeyError, match="q"):
        compile_model(dataclasses.replace(m, actions=(bad_guard,)))


def test_reference_semantics_does_not_import_z3():
    """pyspec is the oracle for the Z3 engines, so it must not depend on Z3 itself, nor on
    anything of checker (the import direction of docs/architecture.md)."""
    import subprocess
    import sys
    code = ("import sys, pkgutil, importlib, flagcheck.pyspec as p\n"
            "for m in pkgutil.iter_modules(p.__path__): importlib.import_module(f'{p.__name__}.{m.name}')\n"
            "assert 'z3' not in sys.modules, 'z3 imported'\n"
            "bad = sorted(m for m in sys.modules if m.startswith('flagcheck.checker'))\n"
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_front_end_imports_no_engine():
    """tlamodel is the bottom of the import direction: neither pyspec nor checker."""
    import subprocess
    import sys
    code = ("import sys, pkgutil, importlib, flagcheck.tlamodel as t\n"
            "for m in pkgutil.iter_modules(t.__path__): importlib.import_module(f'{t.__name__}.{m.name}')\n"
            "bad = sorted(m for m in sys.modules if m.startswith(('flagcheck.checker', 'flagcheck.pyspec')))\n"
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
