"""A deliberately tiny, independent reading of the IR, used only to judge the Z3 engine.

Why not pyspec: pyspec's explicit engine is being written in parallel; checking the BMC
traces against it would test one unfinished implementation with another.  This one is a
direct transcription of the comments in tlamodel/ir.py, short enough to audit by eye.
"""
from __future__ import annotations

from collections import deque

from flagcheck.pyspec.trace import State, Trace
from flagcheck.tlamodel.ir import (
    DeadlockFree, EnumType, Expr, IntType, Invariant, Model, Property, SetType, Value,
)


def evaluate(e: Expr, env: dict[str, Value]) -> Value:
    """The value of ``e`` in the state ``env`` (enum = index, set = bitmask)."""
    if e.op == "const":
        assert e.value is not None
        return e.value
    if e.op == "var":
        assert e.name is not None
        return env[e.name]
    a = [evaluate(x, env) for x in e.args]
    op = e.op
    if op == "not":
        return not a[0]
    if op == "and":
        return all(a)
    if op == "or":
        return any(a)
    if op == "eq":
        return a[0] == a[1]
    if op == "ne":
        return a[0] != a[1]
    if op == "lt":
        return a[0] < a[1]
    if op == "le":
        return a[0] <= a[1]
    if op == "add":
        return a[0] + a[1]
    if op == "sub":
        return a[0] - a[1]
    if op == "ite":
        return a[1] if a[0] else a[2]
    if op == "union":
        return a[0] | a[1]
    if op == "inter":
        return a[0] & a[1]
    if op == "diff":
        return a[0] & ~a[1]
    if op == "singleton":
        return 1 << a[0]
    if op == "member":
        return bool(a[1] >> a[0] & 1)
    raise ValueError(op)


def env_of(model: Model, state: State) -> dict[str, Value]:
    return {v.name: x for v, x in zip(model.vars, state)}


def in_domain(model: Model, state: State) -> bool:
    for v, x in zip(model.vars, state):
        ty = v.type
        if isinstance(ty, IntType) and not ty.lo <= x <= ty.hi:
            return False
        if isinstance(ty, EnumType) and not 0 <= x < len(ty.values):
            return False
        if isinstance(ty, SetType) and not 0 <= x < 1 << len(ty.elem.values):
            return False
    return True


def step(model: Model, state: State, pos: int) -> State | None:
    """Fire action ``pos`` in ``state``; None if its guard is false."""
    env = env_of(model, state)
    act = model.actions[pos]
    if not evaluate(act.guard, env):
        return None
    new = dict(env)
    new.update({n: evaluate(e, env) for n, e in act.updates})  # all read the pre-state
    return tuple(new[v.name] for v in model.vars)


def successors(model: Model, state: State) -> list[State]:
    return [s for k in range(len(model.actions)) if (s := step(model, state, k)) is not None]


def violates(model: Model, prop: Property, state: State) -> bool:
    env = env_of(model, state)
    if isinstance(prop, Invariant):
        return not evaluate(prop.expr, env)
    assert isinstance(prop, DeadlockFree)
    return not successors(model, state) and not evaluate(model.terminal, env)


def initial_states(model: Model) -> list[State]:
    out: list[State] = [()]
    for allowed in model.init:
        out = [s + (v,) for s in out for v in allowed]
    return out


def check_trace(model: Model, prop: Property, trace: Trace) -> None:
    """Assert ``trace`` is a real run that ends in its first violation of ``prop``."""
    assert trace.states[0] in initial_states(model)
    by_index = {a.index: k for k, a in enumerate(model.actions)}
    for i, a in enumerate(trace.actions):
        assert step(model, trace.states[i], by_index[a]) == trace.states[i + 1], f"step {i}"
    for s in trace.states:
        assert in_domain(model, s)
    assert violates(model, prop, trace.states[-1])
    # a shortest counterexample cannot pass through an earlier bad state
    assert not any(violates(model, prop, s) for s in trace.states[:-1])


def shortest_violation(model: Model, prop: Property) -> int | None:
    """Breadth-first search: the length of a shortest run ending in a violation."""
    seen = {s: 0 for s in initial_states(model)}
    todo = deque(seen)
    while todo:
        s = todo.popleft()
        if violates(model, prop, s):
            return seen[s]
        for t in successors(model, s):
            if t not in seen:
                seen[t] = seen[s] + 1
                todo.append(t)
    return None


def longest_run(model: Model) -> int | None:
    """Steps in a longest run from an initial state; None if some run is endless."""
    memo: dict[State, int] = {}
    active: set[State] = set()

    def go(s: State) -> int | None:
        if s in memo:
            return memo[s]
        if s in active:
            return None  # a cycle: runs of every length exist
        active.add(s)
        best = 0
        for t in successors(model, s):
            r = go(t)
            if r is None:
                return None
            best = max(best, r + 1)
        active.discard(s)
        memo[s] = best
        return best

    lengths = [go(s) for s in initial_states(model)]
    return None if any(x is None for x in lengths) else max(lengths)  # type: ignore[type-var]
