"""Random small models: the BFS engine against a brute-force oracle.

The oracle evaluates guards and updates with the naive tree walker (not pyspec) and
computes distances by fixpoint relaxation (not BFS), so shortest depths, state counts,
diameters and the meaning of ``unknown`` depths are all checked independently."""
from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.budget import examples

from flagcheck.pyspec.explicit import check
from flagcheck.pyspec.replay import check_violation
from pyspec_models import naive
from flagcheck.tlamodel.ir import (BOOL, Action, DeadlockFree, Expr, IntType, Invariant, Model,
                         StepInfo, VarDecl, const, mk, var)

I4 = IntType(0, 3)
A, B, F = var("a", I4), var("b", I4), var("f", BOOL)
NAMES = ("a", "b", "f")


@st.composite
def atoms(draw) -> Expr:
    c = const(draw(st.integers(0, 3)), I4)
    return draw(st.sampled_from([
        mk("eq", A, c), mk("lt", B, c), mk("le", A, B), F, mk("not", F), mk("ne", B, c)]))


@st.composite
def guards(draw) -> Expr:
    return mk("and", *draw(st.lists(atoms(), max_size=2)))


def int_rhs(draw, me: Expr, other: Expr) -> Expr:
    return draw(st.sampled_from([
        const(draw(st.integers(0, 3)), I4), other,
        mk("ite", mk("lt", me, const(3, I4)), mk("add", me, const(1, I4)), const(0, I4), ty=I4),
        mk("ite", mk("lt", const(0, I4), me), mk("sub", me, const(1, I4)), const(3, I4), ty=I4)]))


@st.composite
def models(draw) -> Model:
    actions = []
    for k in range(draw(st.integers(1, 4))):
        upd = []
        if draw(st.booleans()):
            upd.append(("a", int_rhs(draw, A, B)))
        if draw(st.booleans()):
            upd.append(("b", int_rhs(draw, B, A)))
        if draw(st.booleans()):
            upd.append(("f", draw(st.sampled_from([mk("not", F), mk("eq", A, B),
                                                    const(True, BOOL)]))))
        actions.append(Action(k, f"T{k}", draw(guards()), tuple(upd), StepInfo(f"act{k}")))
    init = (tuple(draw(st.sets(st.integers(0, 3), min_size=1, max_size=2))),
            tuple(draw(st.sets(st.integers(0, 3), min_size=1, max_size=2))),
            tuple(draw(st.sets(st.booleans(), min_size=1))))
    bad = mk("and", mk("eq", A, const(draw(st.integers(0, 3)), I4)),
             mk("eq", B, const(draw(st.integers(0, 3)), I4)))
    return Model(name="random", vars=(VarDecl("a", I4), VarDecl("b", I4), VarDecl("f", BOOL)),
                 init=init, actions=tuple(actions),
                 properties=(Invariant("inv", mk("not", bad)), DeadlockFree("dl")),
                 terminal=draw(atoms()))


def oracle(m: Model):
    """Distances of all reachable states, by relaxation to a fixpoint."""
    def env(s):
        return dict(zip(NAMES, s))

    def succ(s):
        e = env(s)
        for act in m.actions:
            if naive(act.guard, e):
                t = dict(e)
                t.update({n: naive(x, e) for n, x in act.updates})
                yield tuple(t[n] for n in NAMES)

    dist = {s: 0 for s in itertools.product(*m.init)}
    changed = True
    while changed:
        changed = False
        for s, d in list(dist.items()):
            for t in succ(s):
                if dist.get(t, 1 << 30) > d + 1:
                    dist[t] = d + 1
                    changed = True
    inv = m.properties[0].expr
    inv_bad = [d for s, d in dist.items() if not naive(inv, env(s))]
    dl_bad = [d for s, d in dist.items()
              if not any(True for _ in succ(s)) and not naive(m.terminal, env(s))]
    return dist, {"inv": inv_bad, "dl": dl_bad}


@settings(max_examples=examples(300), deadline=None)
@given(models(), st.one_of(st.none(), st.integers(0, 40)))
def test_bfs_matches_oracle(m, max_states):
    dist, bad = oracle(m)
    res = check(m, max_states=max_states)
    for name in ("inv", "dl"):
        o = res[name]
        if o.status == "violated":
            assert bad[name] and o.depth == min(bad[name])           # shortest
            check_violation(m, o.trace, name)
        elif o.status == "holds":
            assert not bad[name] and o.exhaustive
            assert o.states == len(dist) and o.depth == max(dist.values())
        else:
            assert max_states is not None and max_states < len(dist)
            assert o.reason == f"state limit {max_states} reached" and o.states == max_states
            # no violation within the reported depth: it really was checked that far
            assert o.depth >= -1 and all(d > o.depth for d in bad[name])
            if name == "inv":
                assert sum(1 for d in dist.values() if d <= o.depth) <= max_states
    if max_states is None or max_states >= len(dist):
        assert all(res[n].status != "unknown" for n in res)
