"""Differential test: the Z3 BMC engine against the explicit engine on random models.

The Z3 encoding and the explicit interpreter both read the same IR, so they must agree on
every model.  Hypothesis builds small multi-task IR models using every
operator (ints, enums, sets, ite, program counters); for each, BMC is run to one step
beyond the explicit engine's BFS diameter, so it sees every reachable state, and the two
must agree on every property's verdict and on the length of the shortest counterexample.
Every BMC trace must also replay in pyspec.
"""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.budget import examples

from flagcheck.checker.engines import bmc
from flagcheck.pyspec import explicit
from flagcheck.pyspec.replay import check_violation
from flagcheck.tlamodel.ir import (BOOL, Action, DeadlockFree, EnumType, Expr, IntType, Invariant, Model,
                         SetType, StepInfo, VarDecl, const, mk, var)

I4 = IntType(0, 3)
COL = EnumType("colour", ("RED", "GREEN", "BLUE"))
SET = SetType(COL)
VARS = (VarDecl("x", I4), VarDecl("y", I4), VarDecl("f", BOOL), VarDecl("c", COL),
        VarDecl("s", SET))
X, Y, F, C, S = (var(v.name, v.type) for v in VARS)


def ints(depth: int) -> st.SearchStrategy[Expr]:
    leaf = st.one_of(st.sampled_from([X, Y]), st.integers(0, 3).map(lambda v: const(v, I4)))
    if depth == 0:
        return leaf
    sub = ints(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(st.sampled_from(["add", "sub"]), sub, sub).map(lambda t: mk(t[0], t[1], t[2])),
        st.tuples(bools(depth - 1), sub, sub).map(lambda t: mk("ite", *t, ty=I4)))


def colours(depth: int) -> st.SearchStrategy[Expr]:
    leaf = st.one_of(st.just(C), st.integers(0, 2).map(lambda v: const(v, COL)))
    if depth == 0:
        return leaf
    return st.one_of(leaf, st.tuples(bools(depth - 1), leaf, leaf).map(
        lambda t: mk("ite", *t, ty=COL)))


def sets(depth: int) -> st.SearchStrategy[Expr]:
    leaf = st.one_of(st.just(S), st.integers(0, 7).map(lambda v: const(v, SET)),
                     colours(0).map(lambda c: mk("singleton", c)))
    if depth == 0:
        return leaf
    sub = sets(depth - 1)
    return st.one_of(leaf, st.tuples(st.sampled_from(["union", "inter", "diff"]), sub, sub).map(
        lambda t: mk(t[0], t[1], t[2])))


def bools(depth: int) -> st.SearchStrategy[Expr]:
    leaf = st.one_of(st.just(F), st.booleans().map(lambda b: const(b, BOOL)))
    if depth == 0:
        return leaf
    d = depth - 1
    return st.one_of(
        leaf,
        st.tuples(st.sampled_from(["eq", "ne", "lt", "le"]), ints(d), ints(d)).map(
            lambda t: mk(t[0], t[1], t[2])),
        st.tuples(st.sampled_from(["eq", "lt"]), colours(d), colours(d)).map(
            lambda t: mk(t[0], t[1], t[2])),
        st.tuples(colours(d), sets(d)).map(lambda t: mk("member", *t)),
        st.tuples(sets(d), sets(d)).map(lambda t: mk("eq", *t)),
        bools(d).map(lambda b: mk("not", b)),
        st.lists(bools(d), max_size=3).map(lambda xs: mk("and", *xs)),
        st.lists(bools(d), max_size=3).map(lambda xs: mk("or", *xs)))


def in_range(e: Expr) -> Expr:
    """Keep an int update inside 0..3, as the front end's range checks do."""
    ok = mk("and", mk("le", const(0, I4), e), mk("le", e, const(3, I4)))
    return mk("ite", ok, e, const(0, I4), ty=I4)


# built once: constructing these recursive strategies is far costlier than drawing from them
UPDATES = (("x", ints(2).map(in_range)), ("y", ints(1).map(in_range)), ("f", bools(2)),
           ("c", colours(1)), ("s", sets(2)))
GUARDS = bools(2)


@st.composite
def models(draw: st.DrawFn) -> Model:
    n_tasks = draw(st.integers(1, 3))
    pcs = [VarDecl(f"T{t}.pc", IntType(0, 2), owner=f"T{t}", field="pc", internal=True)
           for t in range(n_tasks)]
    actions: list[Action] = []
    for t in range(n_tasks):
        pc = var(pcs[t].name, pcs[t].type)
        for k in range(draw(st.integers(1, 3))):
            src, dst = (0 if k == 0 else draw(st.integers(0, 2))), draw(st.integers(0, 2))
            upd: list[tuple[str, Expr]] = [(pcs[t].name, const(dst, pcs[t].type))]
            for name, strat in UPDATES:
                if draw(st.booleans()):
                    upd.append((name, draw(strat)))
            cond = draw(GUARDS) if draw(st.booleans()) else const(True, BOOL)
            guard = mk("and", mk("eq", pc, const(src, pcs[t].type)), cond)
            actions.append(Action(len(actions), f"T{t}", guard, tuple(upd), StepInfo("step")))
    init_x = tuple(draw(st.sets(st.integers(0, 3), min_size=1, max_size=2)))
    init = (init_x, (0,),
            tuple(draw(st.sets(st.booleans(), min_size=1))), (draw(st.integers(0, 2)),),
            (draw(st.integers(0, 7)),)) + ((0,),) * n_tasks
    # violated only once x reaches a drawn value, so most violations need a few steps
    target = draw(st.sampled_from([v for v in range(4) if v not in init_x]))
    inv = mk("ne", X, const(target, I4))
    if draw(st.booleans()):
        inv = mk("or", inv, draw(GUARDS))
    done = mk("and", *(mk("eq", var(p.name, p.type), const(2, p.type)) for p in pcs))
    return Model("random", VARS + tuple(pcs), init, tuple(actions),
                 (Invariant("inv", inv), DeadlockFree("deadlock")), terminal=done,
                 tasks=tuple(p.owner or "" for p in pcs),
                 pcs=tuple((p.owner or "", p.name, ()) for p in pcs))


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models())
def test_bmc_agrees_with_explicit(m: Model) -> None:
    ex = explicit.check(m)
    diameter = max(o.depth for o in ex.values())
    sym = bmc.check(m, depth=diameter + 1)
    for name, e in ex.items():
        b = sym[name]
        if e.status == "violated":
            assert b.status == "violated", (name, e, b)
            assert b.depth == e.depth, f"{name}: bmc {b.depth} vs explicit {e.depth}"
            assert b.trace is not None
            check_violation(m, b.trace, name)       # the Z3 trace replays concretely
        else:
            assert e.status == "holds" and e.exhaustive
            assert b.status == "holds", (name, b)
