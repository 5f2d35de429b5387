"""Partial-order reduction for the explicit engine: which task's steps may be explored alone.

Why: most of a big scenario's states are interleavings of steps that do not interfere (a
sender's bookkeeping against an adder's); exploring, in a state, only the enabled steps of
one task whose steps commute with everything the other tasks can still do reaches the same
verdicts through far fewer states.  This module is the static half (an analysis of the IR,
once per model) and the per-state choice, column-wise for the layered search
(pyspec.layered) and per tuple for the tuple search (pyspec.explicit).

The ample set of a state ``s`` is ``en_i(s)``, the enabled actions of one task ``i`` at its
program counter ``k``, when

* **C0** it is not empty (so a state with enabled actions is never taken for a deadlock);
* **C1** every action of ``i`` at ``k`` (enabled or not) is independent of every action any
  other task ``j`` can still take from its own pc (the actions at the pcs reachable from it
  in ``j``'s control graph, plus every action not tied to a pc): the one writes nothing the
  other reads or writes.  While ``i`` stands still, the others then neither enable, disable
  nor change the effect of ``i``'s steps, so ``i``'s first step is one of ``en_i(s)``, and it
  commutes with everything before it.  One exception, the same one tlamodel.reduce makes:
  the run-time error variable, which every guard tests (``__error == none``) and which
  stops every task at once when set, is not counted as read by a guard; a step that sets it
  ends the run in a terminal state, before which an ample step can always be put (it does
  not write the error variable: that would clash with every other guard);
* **C2** no action of ``i`` at ``k`` writes a variable a checked invariant reads (invisible
  steps), so a run through the reduced graph passes the same property values;
* **C3** (the cycle proviso, checked by the searches) a state is expanded fully when one of
  its ample successors is already stored at the depth being expanded or shallower: every
  cycle of the reduced graph has an edge that does not go one layer deeper, so every cycle
  has a fully expanded state and no step is postponed forever.

C0-C3 preserve every reachable invariant violation (up to the invisible variables) and C0-C1
every reachable state without enabled actions, hence deadlocks.  Liveness properties are
not reduced (the searches hand them to pyspec.liveness unreduced).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from flagcheck.tlamodel.ir import Action, Expr, IntType, Invariant, Model, free_vars, pc_value


@dataclass(frozen=True)
class Footprint:
    """What one action reads (``guard_reads``: its guard, without the error test the whole
    model shares) and writes."""
    reads: frozenset[str]
    guard_reads: frozenset[str]
    writes: frozenset[str]

    def clashes(self, other: "Footprint") -> bool:
        """Not independent: this one (an ample candidate) and ``other`` (another task's
        step) touch a variable one of them writes."""
        return bool(self.writes & (other.reads | other.guard_reads | other.writes)
                    or other.writes & (self.reads | self.guard_reads))


@dataclass(frozen=True)
class TaskPoints:
    """One task that can be ample: where its pc is and which pc values allow it."""
    task: str
    pc: int                     # position of the pc variable in Model.vars
    lo: int                     # the pc's lowest value (table rows start there)
    #: per pc value: its actions are all invisible and clash with no always-possible step
    ok: np.ndarray
    #: per other eligible task j (aligned with ``Por.tasks``): [own pc, j's pc] -> clash
    clash: tuple[np.ndarray, ...]


@dataclass(frozen=True)
class Por:
    """The analysis of one model for the checked properties."""
    tasks: tuple[TaskPoints, ...] = ()
    #: per action index: its position in ``tasks``, -1 if its task is never ample
    owner: tuple[int, ...] = ()
    #: (eligible program points, all program points), for the notes
    points: tuple[int, int] = (0, 0)

    def __bool__(self) -> bool:
        return any(t.ok.any() for t in self.tasks)

    def describe(self) -> str:
        ok, total = self.points
        return f"ample sets possible at {ok} of {total} program points"


# ---------------------------------------------------------------- the analysis
def union(feet: Iterable[Footprint]) -> Footprint:
    """One footprint for a set of actions: a step clashes with one of them exactly when it
    clashes with their union (each test is an intersection with a union of sets)."""
    r: set[str] = set()
    g: set[str] = set()
    w: set[str] = set()
    for f in feet:
        r |= f.reads
        g |= f.guard_reads
        w |= f.writes
    return Footprint(frozenset(r), frozenset(g), frozenset(w))


@dataclass(frozen=True)
class _Tasks:
    """The control structure the analysis reads off the IR: each task's pc variable (an
    int), its actions by pc value, and the actions tied to no pc value."""
    pcs: dict[str, str]
    at: dict[str, dict[int, list[int]]]
    loose: tuple[int, ...]
    #: tasks that may be ample: no loose action, and no other task writes their pc
    eligible: tuple[str, ...]


def _tasks(model: Model, foot: Sequence[Footprint]) -> _Tasks:
    index = model.var_index()
    pcs = {task: pc for task, pc, _ in model.pcs if pc in index
           and isinstance(model.vars[index[pc]].type, IntType)}
    at: dict[str, dict[int, list[int]]] = {t: {} for t in pcs}
    loose: list[int] = []
    for a in model.actions:
        k = pc_value(a.guard, pcs[a.task]) if a.task in pcs else None
        if k is None:
            loose.append(a.index)
        else:
            at[a.task].setdefault(k, []).append(a.index)
    moved = {t for t, pc in pcs.items()
             for a in model.actions if a.task != t and pc in foot[a.index].writes}
    loose_tasks = {model.actions[i].task for i in loose}
    eligible = tuple(t for t in pcs if t not in moved and t not in loose_tasks)
    return _Tasks(pcs, at, tuple(loose), eligible)


def analyse(model: Model, names: Sequence[str]) -> Por:
    """The static tables for ``model``, whose checked safety properties are ``names``."""
    error = _absorbing_error(model)
    foot = [footprint(a, error) for a in model.actions]
    observed: set[str] = set()
    for n in names:
        prop = model.property(n)
        if isinstance(prop, Invariant):
            observed |= free_vars(prop.expr)
    index = model.var_index()
    tk = _tasks(model, foot)
    eligible = set(tk.eligible)
    # per task and pc value: the union footprint of what the task can still do from there
    future: dict[str, dict[int, Footprint]] = {}
    for t, pc in tk.pcs.items():
        reach = _futures(model, t, pc, tk.at[t], index, t not in eligible)
        future[t] = {k: union(foot[i] for i in acts) for k, acts in reach.items()}
    owner = [-1] * len(model.actions)
    out: list[TaskPoints] = []
    ok_points = 0
    for n, t in enumerate(tk.eligible):
        ty = _int_type(model, index, tk.pcs[t])
        # what runs whatever the pcs: loose actions and every step of never-ample tasks
        always = union([foot[i] for i in tk.loose if model.actions[i].task != t]
                       + [f for u in tk.pcs if u != t and u not in eligible
                          for f in future[u].values()])
        ok = np.zeros(ty.hi - ty.lo + 1, dtype=np.bool_)
        here: dict[int, Footprint] = {}
        for k, acts in tk.at[t].items():
            for i in acts:
                owner[i] = n
            if ty.lo <= k <= ty.hi:         # (a pc value outside the type: never enabled)
                here[k] = union(foot[i] for i in acts)
                ok[k - ty.lo] = not (here[k].writes & observed) and not here[k].clashes(always)
        clash = tuple(_clash_table(ty, here, _int_type(model, index, tk.pcs[u]), future[u])
                      for u in tk.eligible if u != t)
        ok_points += int(ok.sum())
        out.append(TaskPoints(t, index[tk.pcs[t]], ty.lo, ok, clash))
    total = sum(len(v) for v in tk.at.values())
    return Por(tuple(out), tuple(owner), (ok_points, total))


def _int_type(model: Model, index: dict[str, int], name: str) -> IntType:
    ty = model.vars[index[name]].type
    assert isinstance(ty, IntType)
    return ty


def _clash_table(ty: IntType, here: dict[int, Footprint], uty: IntType,
                 future: dict[int, Footprint]) -> np.ndarray:
    """[own pc, other task's pc] -> the own steps there clash with the other's future."""
    table = np.zeros((ty.hi - ty.lo + 1, uty.hi - uty.lo + 1), dtype=np.bool_)
    for k, mine in here.items():
        for l, fut in future.items():
            table[k - ty.lo, l - uty.lo] = mine.clashes(fut)
    return table


def _absorbing_error(model: Model) -> tuple[str, Expr] | None:
    """``(error variable, its "no error" value)`` when setting it stops the run: every
    action's guard conjoins ``error == none`` and the terminal predicate holds when it is
    set.  Then a guard's test of it need not count as a read (see the module docstring)."""
    err = model.error_var
    if err is None or not model.actions:
        return None
    tests = {_error_test(a.guard, err) for a in model.actions}
    if len(tests) != 1 or None in tests:
        return None
    none_value = tests.pop()
    assert none_value is not None
    term = model.terminal
    stops = any(_is_not_none(d, err, none_value)
                for d in (term.args if term.op == "or" else (term,)))
    return (err, none_value) if stops else None


def _error_test(guard: Expr, err: str) -> Expr | None:
    for g in guard.args if guard.op == "and" else (guard,):
        if g.op == "eq" and g.args[0].op == "var" and g.args[0].name == err \
                and g.args[1].op == "const":
            return g.args[1]
    return None


def _is_not_none(e: Expr, err: str, none_value: Expr) -> bool:
    if e.op == "not":
        inner = e.args[0]
        return inner.op == "eq" and inner.args[0].op == "var" and \
            inner.args[0].name == err and inner.args[1] == none_value
    return e.op == "ne" and e.args[0].op == "var" and e.args[0].name == err and \
        e.args[1] == none_value


def footprint(a: Action, error: tuple[str, Expr] | None = None) -> Footprint:
    """What ``a`` reads and writes; with ``error`` (see ``_absorbing_error``) the guard's
    shared "no error yet" test is not counted as a read.  Also the independence relation
    of BMC's reduced proof (checker.engines.encode.Encoder.peephole), without ``error``."""
    reads: set[str] = set()
    for _, e in a.updates:
        reads |= free_vars(e)
    guard: set[str] = set()
    for g in a.guard.args if a.guard.op == "and" else (a.guard,):
        if error is not None and g.op == "eq" and g.args[0].op == "var" and \
                g.args[0].name == error[0] and g.args[1] == error[1]:
            continue                 # the shared "no error yet" test
        guard |= free_vars(g)
    return Footprint(frozenset(reads), frozenset(guard), frozenset(n for n, _ in a.updates))


def _futures(model: Model, task: str, pc: str, at: dict[int, list[int]],
             index: dict[str, int], moved: bool) -> dict[int, set[int]]:
    """Per pc value of ``task``: the actions it can still take from there (those at every
    pc value reachable in its control graph).  All of them when another task writes the pc."""
    ty = model.vars[index[pc]].type
    assert isinstance(ty, IntType)
    values = range(ty.lo, ty.hi + 1)
    mine = [a for a in model.actions if a.task == task]
    if moved:
        every = {a.index for a in mine}
        return {k: every for k in values}
    succ: dict[int, set[int]] = {k: set() for k in values}
    for k, acts in at.items():
        for i in acts:
            target = dict(model.actions[i].updates).get(pc)
            if target is None:
                succ.setdefault(k, set()).add(k)
            elif target.op == "const":
                succ.setdefault(k, set()).add(int(target.value))  # type: ignore[arg-type]
            else:
                succ.setdefault(k, set()).update(values)
    out: dict[int, set[int]] = {}
    for k in values:
        seen, todo = {k}, [k]
        while todo:
            for n in succ.get(todo.pop(), ()):
                if n not in seen:
                    seen.add(n)
                    todo.append(n)
        out[k] = {i for p in seen for i in at.get(p, ())}
    return out


# ---------------------------------------------------------------- the choice per state
def choose(por: Por, pc_cols: Sequence[np.ndarray], enabled: np.ndarray) -> np.ndarray:
    """Per state (row), the position in ``por.tasks`` of the task whose enabled actions
    are its ample set, -1 for a full expansion.  ``pc_cols[n]``: the pc column of task n;
    ``enabled[n]``: whether task n has an enabled action (C0).  The first eligible task in
    model order is taken."""
    rows = len(enabled[0]) if len(enabled) else 0
    chosen = np.full(rows, -1, dtype=np.int64)
    for n, tp in enumerate(por.tasks):
        k = pc_cols[n] - tp.lo
        good = enabled[n] & tp.ok[k] & (chosen < 0)
        m = 0
        for u, other in enumerate(por.tasks):
            if u == n:
                continue
            good &= ~tp.clash[m][k, pc_cols[u] - other.lo]
            m += 1
        chosen[good] = n
    return chosen


def choose_one(por: Por, state: Sequence[int], enabled_by_task: Sequence[bool]) -> int:
    """``choose`` for one tuple state (the tuple search)."""
    for n, tp in enumerate(por.tasks):
        k = int(state[tp.pc]) - tp.lo
        if not (enabled_by_task[n] and tp.ok[k]):
            continue
        m = 0
        for u, other in enumerate(por.tasks):
            if u == n:
                continue
            if tp.clash[m][k, int(state[other.pc]) - other.lo]:
                break
            m += 1
        else:
            return n
    return -1
