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

from dataclasses import replace

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
    guard = op("and", a.guard, subst(b.guard, sigma, memo))
    upd = dict(a.updates)
    for n, e in b.updates:
        upd[n] = subst(e, sigma, memo)
    # the whole text (reports abbreviate it for display; traces and replay need all of it)
    info = StepInfo(f"{a.info.text} ; {b.info.text}", b.info.loc,
                    b.info.label or a.info.label, b.info.stack, a.info.detail + b.info.detail)
    return Action(-1, a.task, guard, tuple(upd.items()), info,
                  (a.parts or (a,)) + (b.parts or (b,)))


def reduce_model(model: Model) -> Model:
    if not model.pcs:
        return model
    an = _Analysis(model)
    acts = list(model.actions)
    changed = True
    while changed and len(acts) < MAX_ACTIONS:
        changed = False
        by_src: dict[tuple[str, int | None], list[Action]] = {}
        for a in acts:
            by_src.setdefault((a.task, an.src(a)), []).append(a)
        for a in acts:
            s, d = an.src(a), an.dst(a)
            if s is None or d is None or d == s or not an.mergeable(a, s, d):
                continue
            succ = by_src.get((a.task, d), [])
            if not succ or any(an.private(b) for b in succ):
                continue
            # when a is enabled it must be the task's only move (else "a, then stuck at d"
            # would disappear while a sibling keeps the task busy)
            if any(x is not a and not _exclusive(a.guard, x.guard)
                   for x in by_src.get((a.task, s), [])):
                continue
            merged = [compose(a, b) for b in succ]
            merged = [m for m in merged if not (m.guard.op == "const" and m.guard.value is False)]
            acts = [x for x in acts if x is not a] + merged
            changed = True
            break
    acts = _reachable(model, an, acts)
    return replace(model, actions=tuple(replace(a, index=i) for i, a in enumerate(acts)))


def _reachable(model: Model, an: _Analysis, acts: list[Action]) -> list[Action]:
    """Drop actions whose program point no run can reach any more."""
    idx = model.var_index()
    keep: list[Action] = []
    for task, pc, _ in model.pcs:
        mine = [a for a in acts if a.task == task]
        start = set(model.init[idx[pc]])
        seen, todo = set(start), list(start)
        while todo:
            p = todo.pop()
            for a in mine:
                if an.src(a) == p:
                    d = an.dst(a)
                    if d is not None and d not in seen:
                        seen.add(d)
                        todo.append(d)
        keep += [a for a in mine if an.src(a) is None or an.src(a) in seen]
    order = {id(a): i for i, a in enumerate(acts)}
    return sorted(keep, key=lambda a: order[id(a)])
