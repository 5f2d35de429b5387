"""Merge task-private steps into the task's next visible step (a Lipton reduction).

Why: bounded model checking pays for every step of the longest run it must cover, and a
third of the steps in the kernel specs only touch state nobody else can see (a system
call's return code, the exit loop's ti_work snapshot, ``if (current.ti_sigpending)``).

Soundness.  Call a variable *private* to task t when only t's actions read or write it and
no invariant reads it; an action is private when every variable it reads or writes is
private to its task (reading the run-time error variable in the guard is allowed: it only
stops the world).  A private action commutes with every action of every other task: they
touch disjoint variables.  So in any run, a private step of t can be moved right until it
sits just before t's next step, without changing any state an invariant reads and without
changing what other tasks can do.  Replacing "a then b" by the single action "a;b" (for every
successor b of a) therefore reaches exactly the same states up to private variables and
t's program counter, which invariants do not read; a deadlock (no action enabled, not all
tasks finished) exists in one model iff it exists in the other, because a private step
never enables or disables another task.  Only chains that end in a visible step are
merged, so a loop of private steps is left alone, and the run never "skips" a blocking
point: a;b is enabled exactly when a is and b is after a.  A step is merged only if, when it
is enabled, it is its task's only move (its guard excludes every sibling's), so "a, then
blocked" becomes "blocked before a" and nothing else.  The one place where a program
counter is observed is the terminal predicate ("every task has finished"), so no step is
merged into or out of a pc value it names.

The reduced model has shorter counterexamples (its own steps) and fewer states; both
engines read the same reduced model, so they still agree, and every trace still replays.

Independence of the checked properties.  "No invariant reads it" is judged against every
property the design *could* check (``Model.observable``: the library's, the design's and the
scenario's, selected or not), not only against the ones this run checks.  Keeping more
variables visible merges fewer steps, which is always sound (the argument above only needs
the checked properties' variables to stay visible), and it makes the reduced model, hence
the shortest counterexample's depth, a function of the design and the scenario alone:
``verify -p no_deadlock`` and a run of every property report the same depth, so an
``expect: violated@N`` line does not break when a property is added to ``check:``.
``verify --no-reduce`` skips the reduction (depths are then steps of the source model).
"""
from __future__ import annotations

import heapq
from dataclasses import replace
from typing import Callable

from flagcheck.tlamodel.fold import op
from flagcheck.tlamodel.ir import (Action, Expr, Invariant, Liveness, Model, StepInfo, free_vars,
                                   pc_value)

MAX_ACTIONS = 20_000


def subst(e: Expr, sigma: dict[str, Expr], memo: dict[int, Expr] | None = None) -> Expr:
    """``e`` with variables replaced (and constants folded again)."""
    memo = {} if memo is None else memo
    hit = memo.get(id(e))
    if hit is not None:
        return hit
    if e.op == "var":
        out = sigma.get(e.name or "", e)
    elif e.op == "const":
        out = e
    else:
        args = tuple(subst(a, sigma, memo) for a in e.args)
        out = e if args == e.args else op(e.op, *args, ty=e.type)
    memo[id(e)] = out
    return out


def _compared_values(e: Expr, pc: str) -> set[int] | None:
    """The constants ``pc`` is compared with in ``e``; None if ``pc`` occurs any other way."""
    out: set[int] = set()
    if e.op == "eq" and any(a.op == "var" and a.name == pc for a in e.args):
        other = e.args[1] if e.args[0].op == "var" and e.args[0].name == pc else e.args[0]
        if other.op == "const":
            return {int(other.value)}  # type: ignore[arg-type]
        return None
    if e.op == "var":
        return None if e.name == pc else out
    for a in e.args:
        sub = _compared_values(a, pc)
        if sub is None:
            return None
        out |= sub
    return out


def _conjuncts(e: Expr) -> list[Expr]:
    if e.op == "and":
        return [c for a in e.args for c in _conjuncts(a)]
    return [e]


def _exclusive(g1: Expr, g2: Expr) -> bool:
    """True only if g1 and g2 can never hold together (a syntactic, conservative test:
    a conjunct and its negation, or one variable equal to two different constants)."""
    c1, c2 = _conjuncts(g1), _conjuncts(g2)
    for x in c1:
        for y in c2:
            if (x.op == "not" and x.args[0] == y) or (y.op == "not" and y.args[0] == x):
                return True
            if x.op == "eq" and y.op == "eq" and x.args[0].op == "var" and \
                    x.args[0] == y.args[0] and x.args[1].op == "const" and \
                    y.args[1].op == "const" and x.args[1].value != y.args[1].value:
                return True
    return False


class _Analysis:
    def __init__(self, model: Model) -> None:
        self.model = model
        self.pc_of = {task: pc for task, pc, _ in model.pcs}
        self.users: dict[str, set[str]] = {}
        for a in model.actions:
            for v in self.reads(a) | {n for n, _ in a.updates}:
                self.users.setdefault(v, set()).add(a.task)
        #: pc values the terminal predicate tells apart ("finished"); None: it reads pc otherwise
        self.terminal_pcs: dict[str, set[int] | None] = {
            task: _compared_values(model.terminal, pc) for task, pc, _ in model.pcs}
        #: variables a property reads: every property the design could check (so the result
        #: does not depend on the checked subset: see the module docstring), and the model's
        #: own properties (models built by hand have no ``observable``)
        self.observed: set[str] = set(model.observable)
        for p in model.properties:
            if isinstance(p, Invariant):
                self.observed |= free_vars(p.expr)
            elif isinstance(p, Liveness):
                for a, b in p.instances:
                    self.observed |= free_vars(a) | (free_vars(b) if b is not None else set())

    def reads(self, a: Action) -> set[str]:
        out = set(free_vars(a.guard))
        for _, e in a.updates:
            out |= free_vars(e)
        out.discard(self.model.error_var or "")
        return out

    def private(self, a: Action) -> bool:
        names = self.reads(a) | {n for n, _ in a.updates}
        return all(self.users.get(v, set()) <= {a.task} and v not in self.observed
                   and v != self.model.error_var for v in names)

    def mergeable(self, a: Action, p: int, q: int) -> bool:
        """Merging must not move the task into or out of a pc the terminal predicate reads
        (a finished task is not deadlocked: see the module docstring)."""
        seen = self.terminal_pcs[a.task]
        return seen is not None and p not in seen and q not in seen and self.private(a)

    def src(self, a: Action) -> int | None:
        return pc_value(a.guard, self.pc_of[a.task])

    def dst(self, a: Action) -> int | None:
        for n, e in a.updates:
            if n == self.pc_of[a.task] and e.op == "const":
                return int(e.value)  # type: ignore[arg-type]
        return None


def compose(a: Action, b: Action) -> Action:
    """The single action "a, then b" (b's guard and updates read the state after a)."""
    sigma = dict(a.updates)
    memo: dict[int, Expr] = {}
    # one flat conjunction, each conjunct once: nesting "and"s grew one level per merge,
    # and a chain of a few hundred private statements overflowed Python's stack
    guard = op("and", *dict.fromkeys(_conjuncts(a.guard) + _conjuncts(subst(b.guard, sigma, memo))))
    upd = dict(a.updates)
    for n, e in b.updates:
        upd[n] = subst(e, sigma, memo)
    # the whole text (reports abbreviate it for display; traces and replay need all of it)
    info = StepInfo(f"{a.info.text} ; {b.info.text}", b.info.loc,
                    b.info.label or a.info.label, b.info.stack, a.info.detail + b.info.detail)
    return Action(-1, a.task, guard, tuple(upd.items()), info,
                  (a.parts or (a,)) + (b.parts or (b,)))


def reduce_model(model: Model, check: Callable[[], None] | None = None) -> Model:
    """The reduced model.  ``check`` is called now and then so that a run-wide deadline
    can stop a long reduction (it raises); the result never depends on it."""
    if not model.pcs:
        return model
    an = _Analysis(model)
    acts = _Merger(an, model.actions, check or (lambda: None)).run()
    acts = _reachable(model, an, acts)
    return replace(model, actions=tuple(replace(a, index=i) for i, a in enumerate(acts)))


class _Merger:
    """The merge loop: repeatedly merge the first action (in model order, merged actions
    last) that may be merged into its successors, until none may.

    Why incremental: whether an action may be merged depends only on its own program
    points and on the actions leaving its source and its destination.  A merge of ``a``
    changes only the actions leaving ``a``'s source, so only the actions that start or
    end there are judged again; the first mergeable action is kept in a heap keyed by
    model order.  The result is the one of rescanning every action after each merge (which
    was quadratic: a 10,000-statement private procedure took many minutes)."""

    def __init__(self, an: _Analysis, actions: tuple[Action, ...], check: Callable[[], None]):
        self.an, self.check = an, check
        self.seq: dict[int, int] = {}
        self.alive: dict[int, Action] = {}
        self.src: dict[int, int | None] = {}
        self.dst: dict[int, int | None] = {}
        self.by_src: dict[tuple[str, int | None], list[Action]] = {}
        self.by_dst: dict[tuple[str, int | None], list[Action]] = {}
        self.priv: dict[int, bool] = {}
        self.heap: list[tuple[int, int]] = []
        self.next_seq = 0
        for a in actions:
            self._add(a)
        for a in actions:
            self._judge(a)

    def _add(self, a: Action) -> None:
        k = id(a)
        self.seq[k], self.next_seq = self.next_seq, self.next_seq + 1
        self.alive[k] = a
        self.src[k], self.dst[k] = self.an.src(a), self.an.dst(a)
        self.by_src.setdefault((a.task, self.src[k]), []).append(a)
        self.by_dst.setdefault((a.task, self.dst[k]), []).append(a)

    def _remove(self, a: Action) -> None:
        k = id(a)
        del self.alive[k]
        self.by_src[(a.task, self.src[k])].remove(a)
        self.by_dst[(a.task, self.dst[k])].remove(a)

    def _private(self, a: Action) -> bool:
        k = id(a)
        if k not in self.priv:
            self.priv[k] = self.an.private(a)
        return self.priv[k]

    def _mergeable(self, a: Action) -> bool:
        k = id(a)
        s, d = self.src[k], self.dst[k]
        if s is None or d is None or d == s or not self.an.mergeable(a, s, d):
            return False
        succ = self.by_src.get((a.task, d), [])
        if not succ or any(self._private(b) for b in succ):
            return False
        # when a is enabled it must be the task's only move (else "a, then stuck at d"
        # would disappear while a sibling keeps the task busy)
        return all(x is a or _exclusive(a.guard, x.guard)
                   for x in self.by_src.get((a.task, s), []))

    def _judge(self, a: Action) -> None:
        if id(a) in self.alive and self._mergeable(a):
            heapq.heappush(self.heap, (self.seq[id(a)], id(a)))

    def _first(self) -> Action | None:
        """The first action in model order that may be merged now (stale heap entries,
        of actions since removed or no longer mergeable, are dropped on the way)."""
        while self.heap:
            seq, k = self.heap[0]
            a = self.alive.get(k)
            if a is not None and self.seq[k] == seq and self._mergeable(a):
                return a
            heapq.heappop(self.heap)
        return None

    def run(self) -> list[Action]:
        while len(self.alive) < MAX_ACTIONS:
            self.check()
            a = self._first()
            if a is None:
                break
            k = id(a)
            s, d = self.src[k], self.dst[k]
            merged = [compose(a, b) for b in self.by_src[(a.task, d)]]
            merged = [m for m in merged if not (m.guard.op == "const" and m.guard.value is False)]
            self._remove(a)
            for m in merged:
                self._add(m)
            # only actions leaving s (siblings) or entering s (whose successors these are)
            # can change their answer, and the new ones must be judged
            for x in (*self.by_src.get((a.task, s), []), *self.by_dst.get((a.task, s), [])):
                self._judge(x)
        order = sorted(self.alive.values(), key=lambda x: self.seq[id(x)])
        return order


def _reachable(model: Model, an: _Analysis, acts: list[Action]) -> list[Action]:
    """Drop actions whose program point no run can reach any more.  Linear in the
    actions: each program point's successors are looked up, not searched for (a
    10,000-statement procedure took minutes with the search)."""
    idx = model.var_index()
    src = {id(a): an.src(a) for a in acts}
    keep: list[Action] = []
    for task, pc, _ in model.pcs:
        mine = [a for a in acts if a.task == task]
        out_of: dict[int | None, list[int]] = {}
        for a in mine:
            d = an.dst(a)
            if d is not None:
                out_of.setdefault(src[id(a)], []).append(d)
        start = set(model.init[idx[pc]])
        seen, todo = set(start), list(start)
        while todo:
            for d in out_of.get(todo.pop(), ()):
                if d not in seen:
                    seen.add(d)
                    todo.append(d)
        keep += [a for a in mine if src[id(a)] is None or src[id(a)] in seen]
    order = {id(a): i for i, a in enumerate(acts)}
    return sorted(keep, key=lambda a: order[id(a)])
