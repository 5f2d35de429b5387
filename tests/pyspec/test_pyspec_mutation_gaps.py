"""Reference-semantics behaviour that the fast test tier left unchecked: each test kills
mutants that survived it (benchmarks/mutation.md lists them by file:line).

Why separate hand tests: the random cross-check (test_pyspec_evaluate) reaches these paths
only at full example counts, and a mutation found only by chance is not a guarantee.  The
paths are the compiler's constant folding (``SCALAR``), its generic closures (``c < x``,
compound operands) and its n-ary ``and``/``or``, and the pc dispatch of compiled models.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import pytest

from flagcheck.pyspec import explicit
from flagcheck.pyspec.evaluate import evaluate
from flagcheck.pyspec.replay import ReplayError, check_violation
from flagcheck.pyspec.successors import compiled, enabled, is_deadlock
from flagcheck.pyspec.trace import Trace
from flagcheck.tlamodel.ir import (BOOL, TRUE, Action, EnumType, Expr, IntType, Invariant,
                                   Liveness, Model, PcInfo, SetType, StepInfo, VarDecl, const,
                                   mk, var)

from tests.pyspec import pyspec_models as M

SIG = EnumType("sig", ("SIGINT", "SIGUSR1", "SIGKILL"))
SIGSET = SetType(SIG)
I3 = IntType(0, 3)
VARS = {"b1": BOOL, "b2": BOOL, "b3": BOOL, "b4": BOOL, "i1": I3, "i2": I3}
INDEX = {name: k for k, name in enumerate(VARS)}


def ev(e: Expr, **vals: object) -> object:
    base: dict[str, object] = {"b1": False, "b2": False, "b3": False, "b4": False,
                               "i1": 0, "i2": 0}
    base.update(vals)
    return evaluate(e, tuple(base[n] for n in VARS), INDEX)


def x(name: str) -> Expr:
    return var(name, VARS[name])


# ---------------------------------------------------------------- constant folding
def test_set_operators_on_constants_fold_to_the_right_value() -> None:
    # all operands constant: the value comes from SCALAR (folding), not from a closure
    pending, usr1 = const(0b101, SIGSET), const(0b011, SIGSET)
    assert ev(mk("diff", pending, usr1)) == 0b100
    assert ev(mk("inter", pending, usr1)) == 0b001
    assert ev(mk("union", pending, usr1)) == 0b111
    assert ev(mk("member", const(2, SIG), pending)) is True
    assert ev(mk("member", const(1, SIG), pending)) is False
    assert ev(mk("member", const(0, SIG), const(0b001, SIGSET))) is True
    assert ev(mk("singleton", const(2, SIG))) == 0b100


def test_comparisons_and_arithmetic_on_constants_fold() -> None:
    c = lambda v: const(v, I3)  # noqa: E731
    assert ev(mk("lt", c(1), c(1))) is False and ev(mk("lt", c(1), c(2))) is True
    assert ev(mk("le", c(2), c(1))) is False and ev(mk("le", c(1), c(1))) is True
    assert ev(mk("eq", c(1), c(2))) is False and ev(mk("ne", c(1), c(2))) is True
    assert ev(mk("sub", c(1), c(3))) == -2 and ev(mk("add", c(1), c(3))) == 4
    assert ev(mk("not", const(True, BOOL))) is False
    assert ev(mk("ite", const(False, BOOL), x("i1"), c(3)), i1=1) == 3


# ---------------------------------------------------------------- generic closures
def test_comparisons_with_a_constant_on_the_left_or_compound_operands() -> None:
    # ``c op x`` and ``(x + 1) op y`` take the generic closures, not the s[i] fast paths
    one = const(1, I3)
    for i1 in range(4):
        assert ev(mk("lt", one, x("i1")), i1=i1) is (1 < i1)
        assert ev(mk("le", one, x("i1")), i1=i1) is (1 <= i1)
        assert ev(mk("sub", one, x("i1")), i1=i1) == 1 - i1
        assert ev(mk("eq", one, x("i1")), i1=i1) is (i1 == 1)
        assert ev(mk("ne", one, x("i1")), i1=i1) is (i1 != 1)
        for i2 in range(4):
            inc = mk("add", x("i1"), one)
            assert ev(mk("lt", inc, x("i2")), i1=i1, i2=i2) is (i1 + 1 < i2)
            assert ev(mk("le", inc, x("i2")), i1=i1, i2=i2) is (i1 + 1 <= i2)
            assert ev(mk("eq", inc, x("i2")), i1=i1, i2=i2) is (i1 + 1 == i2)
            assert ev(mk("ne", inc, x("i2")), i1=i1, i2=i2) is (i1 + 1 != i2)
            assert ev(mk("sub", inc, x("i2")), i1=i1, i2=i2) == i1 + 1 - i2
            assert ev(mk("add", inc, x("i2")), i1=i1, i2=i2) == i1 + 1 + i2


# ---------------------------------------------------------------- n-ary and / or
def test_and_or_of_four_and_more_operands() -> None:
    bs = [x(f"b{k}") for k in range(1, 5)]
    for mask in range(16):
        vals = {f"b{k + 1}": bool(mask >> k & 1) for k in range(4)}
        assert ev(mk("and", *bs), **vals) is all(vals.values()), vals
        assert ev(mk("or", *bs), **vals) is any(vals.values()), vals
        assert ev(mk("and", *bs[:3]), **vals) is all(list(vals.values())[:3]), vals
        assert ev(mk("or", *bs[:3]), **vals) is any(list(vals.values())[:3]), vals


# ---------------------------------------------------------------- pc dispatch
def test_candidates_are_only_the_actions_at_each_tasks_pc() -> None:
    # why the dispatch exists: a state tests only the guards of the statements its tasks
    # are at.  lost_update's guards are all "pc_T == k": none is residual.
    m = M.lost_update()
    cm = compiled(m)
    assert cm.residual == ()
    assert sorted(a.index for a in cm.candidates((0, 0, 0, 0, 0))) == [0, 2]
    assert sorted(a.index for a in cm.candidates((0, 1, 0, 2, 0))) == [1]


def _one_step_model(guard_of: Callable[[Expr, Expr], Expr]) -> Model:
    """Task T: one statement guarded by ``guard_of(flag, pc)`` that sets pc to 1.
    Vars (flag, pc), both 0..1; flag starts at 1, pc at 0."""
    ty = IntType(0, 1)
    pc, flag = var("pc", ty), var("flag", ty)
    act = Action(0, "T", guard_of(flag, pc), (("pc", const(1, ty)),), StepInfo("go"))
    return Model(name="one_step", vars=(VarDecl("flag", ty), VarDecl("pc", ty, internal=True)),
                 init=((1,), (0,)), actions=(act,),
                 properties=(Invariant("true", const(True, BOOL)),), tasks=("T",),
                 terminal=mk("eq", pc, const(1, ty)),
                 pcs=(("T", "pc", (PcInfo("go"), PcInfo("finished"))),))


GUARDS = {
    # constants on the left, the non-pc conjunct first
    "1 == flag && 0 == pc": lambda f, p: mk("and", mk("eq", const(1, f.type), f),
                                             mk("eq", const(0, p.type), p)),
    # variable on the left, the non-pc conjunct first
    "flag == 1 && pc == 0": lambda f, p: mk("and", mk("eq", f, const(1, f.type)),
                                             mk("eq", p, const(0, p.type))),
    # a conjunct that is no comparison before the pc test
    "!(flag == 0) && pc == 0": lambda f, p: mk("and", mk("not", mk("eq", f, const(0, f.type))),
                                                mk("eq", p, const(0, p.type))),
}


@pytest.mark.parametrize("guard", sorted(GUARDS))
def test_the_pc_test_is_found_among_the_guards_conjuncts(guard: str) -> None:
    # the action must be filed under pc == 0, not under the value of the other conjunct
    # (filed wrongly it is never a candidate) nor left residual (tested in every state)
    m = _one_step_model(GUARDS[guard])
    assert enabled(m, (1, 0)) == [0]
    assert not is_deadlock(m, (1, 0))
    cm = compiled(m)
    assert [(pos, sorted(t)) for pos, t in cm.dispatch] == [(1, [0])] and cm.residual == ()
    assert enabled(m, (0, 0)) == [] and is_deadlock(m, (0, 0))


def test_a_model_is_compiled_once() -> None:
    # the cache is what makes the public one-step functions cheap: same model, same object
    m = M.lost_update()
    assert compiled(m) is compiled(m)
    assert compiled(M.lost_update()) is not compiled(m)


# ---------------------------------------------------------------- explicit: limits
def test_the_memory_limit_is_reported_in_megabytes(monkeypatch: pytest.MonkeyPatch) -> None:
    # a process near its address-space limit stops the search with the limit in MB
    monkeypatch.setattr(explicit, "_CLOCK_EVERY", 1)
    monkeypatch.setattr(explicit, "_address_space_limit", lambda: 100 << 20)
    monkeypatch.setattr(explicit, "_address_space_used", lambda: 95 << 20)
    o = explicit.check(M.lost_update(), ["no_lost_update"])["no_lost_update"]
    assert o.status == "unknown" and o.reason == "memory limit 100 MB reached", o


# ---------------------------------------------------------------- replay: lassos
def _toggle_with_idlers() -> Model:
    """C flips b forever; A and B can each set their own flag at any time.  "a_eventually"
    (a holds at some point) is violated by any lasso on which A never steps."""
    acts = (Action(0, "C", TRUE, (("b", mk("not", var("b", BOOL))),), StepInfo("b = !b")),
            Action(1, "A", TRUE, (("a", TRUE),), StepInfo("a = true")),
            Action(2, "B", TRUE, (("c", TRUE),), StepInfo("c = true")))
    live = Liveness("a_eventually", "eventually", ((var("a", BOOL), None),))
    return Model(name="idlers", vars=(VarDecl("b", BOOL), VarDecl("a", BOOL),
                                      VarDecl("c", BOOL)),
                 init=((False,),) * 3, actions=acts, properties=(live,), tasks=("A", "B", "C"))


def test_a_lasso_that_loops_is_not_judged_as_a_stutter() -> None:
    # only C may run: a fair lasso on which a never holds, the last state (= state 0) live
    m = _toggle_with_idlers()
    only_c = dataclasses.replace(m, actions=m.actions[:1], tasks=("C",))
    lasso = Trace(((False, False, False), (True, False, False), (False, False, False)), (0, 0),
                  loop_start=0)
    check_violation(only_c, lasso, "a_eventually")


def test_an_unfair_loop_names_every_task_it_starves() -> None:
    m = _toggle_with_idlers()
    lasso = Trace(((False, False, False), (True, False, False), (False, False, False)), (0, 0),
                  loop_start=0)
    with pytest.raises(ReplayError, match=r"is not fair: tasks A, B never step"):
        check_violation(m, lasso, "a_eventually")
