"""One step of the transition system: which actions are enabled and what firing one does.

Why a compiled form: guards and updates are compiled once per model (``compiled``) and
actions are bucketed by the value of their task's program counter, so a state only tests
the guards of the statements its tasks are actually at.  The public functions below are
thin wrappers, so the explicit engine, replay and the tests share one implementation.
"""
from __future__ import annotations

import itertools
import weakref
from dataclasses import dataclass
from typing import Callable, Iterator, Mapping, TypeVar

from flagcheck.pyspec.evaluate import Fn, compile_expr
from flagcheck.pyspec.trace import State
from flagcheck.tlamodel.ir import Action, Model, Value, pc_value

Step = Callable[[State], State]
#: a node of a search tree (a state, or a liveness product node)
N = TypeVar("N")


@dataclass(frozen=True, eq=False)
class CompiledAction:
    index: int
    guard: Fn
    fire: Step


@dataclass(frozen=True, eq=False)
class CompiledModel:
    """Closures for one model.  Holds no reference to the Model (see ``compiled``)."""
    nvars: int
    index: dict[str, int]
    actions: tuple[CompiledAction, ...]
    terminal: Fn
    #: per task with a known pc: (position of the pc, pc value -> actions guarded by it)
    dispatch: tuple[tuple[int, dict[Value, tuple[CompiledAction, ...]]], ...]
    #: actions whose guard does not pin their task's pc; tested in every state
    residual: tuple[CompiledAction, ...]

    def candidates(self, state: State) -> list[CompiledAction]:
        """Actions whose guard may be true in ``state`` (a superset of the enabled ones)."""
        out: list[CompiledAction] = []
        for pos, table in self.dispatch:
            acts = table.get(state[pos])
            if acts:
                out.extend(acts)
        out.extend(self.residual)
        return out


# ---------------------------------------------------------------- public API
def enabled(model: Model, state: State) -> list[int]:
    """Indices (ascending) of the actions whose guard holds in ``state``."""
    return sorted(a.index for a in compiled(model).candidates(state) if a.guard(state))


def fire(model: Model, action: Action | int, state: State) -> State:
    """Post-state of ``action`` from ``state``; does not check the guard."""
    i = action if isinstance(action, int) else action.index
    return compiled(model).actions[i].fire(state)


def initial_states(model: Model) -> Iterator[State]:
    """All initial states: the cartesian product of the per-variable ``Model.init`` choices."""
    return itertools.product(*model.init)


def is_deadlock(model: Model, state: State) -> bool:
    """No action enabled and the run is not finished (``Model.terminal`` false)."""
    cm = compiled(model)
    if any(a.guard(state) for a in cm.candidates(state)):
        return False
    return not cm.terminal(state)


def path_back(parents: Mapping[N, "tuple[N, int] | None"], node: N) -> tuple[list[N], list[int]]:
    """The nodes and actions of the search-tree path from a root to ``node``.

    ``parents`` maps each reached node to ``(predecessor, action)``, or None for a root;
    the explicit engine walks it over states, the liveness search over product nodes."""
    nodes = [node]
    acts: list[int] = []
    link = parents[node]
    while link is not None:
        prev, act = link
        nodes.append(prev)
        acts.append(act)
        link = parents[prev]
    nodes.reverse()
    acts.reverse()
    return nodes, acts


# ---------------------------------------------------------------- compilation
_CACHE: dict[int, tuple[object, CompiledModel]] = {}


def compiled(model: Model) -> CompiledModel:
    """The compiled form of ``model``, cached by identity.

    Hashing a Model re-hashes every expression in it, so the cache is keyed by ``id`` and
    a weak reference drops the entry when the model dies (the id may then be reused)."""
    key = id(model)
    hit = _CACHE.get(key)
    if hit is not None:
        ref, cm = hit
        if (ref() if isinstance(ref, weakref.ref) else ref) is model:
            return cm
    cm = compile_model(model)
    try:
        holder: object = weakref.ref(model, lambda _r, k=key: _CACHE.pop(k, None))
    except TypeError:          # not weak-referenceable: keep it alive so the id stays unique
        holder = model
    _CACHE[key] = (holder, cm)
    return cm


def compile_model(model: Model) -> CompiledModel:
    """Validate the model's shape and compile every guard, update and the terminal predicate."""
    index = model.var_index()
    if len(index) != len(model.vars):
        raise ValueError(f"model {model.name}: duplicate variable names")
    if len(model.init) != len(model.vars):
        raise ValueError(f"model {model.name}: {len(model.init)} init entries for "
                         f"{len(model.vars)} variables")
    actions: list[CompiledAction] = []
    for pos, act in enumerate(model.actions):
        if act.index != pos:
            raise ValueError(f"model {model.name}: action at position {pos} has index {act.index}")
        actions.append(CompiledAction(pos, compile_expr(act.guard, index),
                                      _compile_updates(model, act, index)))
    dispatch, residual = _bucket_by_pc(model, actions, index)
    return CompiledModel(len(model.vars), index, tuple(actions),
                         compile_expr(model.terminal, index), dispatch, residual)


def _compile_updates(model: Model, act: Action, index: dict[str, int]) -> Step:
    """Simultaneous assignment: all right-hand sides read the (immutable) pre-state tuple."""
    pairs: list[tuple[int, Fn]] = []
    seen: set[str] = set()
    for name, rhs in act.updates:
        if name not in index:
            raise ValueError(f"model {model.name}: action {act.index} ({act.info.text}) "
                             f"assigns unknown variable {name!r}")
        if name in seen:
            raise ValueError(f"model {model.name}: action {act.index} ({act.info.text}) "
                             f"assigns {name!r} twice")
        seen.add(name)
        pairs.append((index[name], compile_expr(rhs, index)))
    if not pairs:
        return lambda s: s
    if len(pairs) == 1:
        (p, f), = pairs
        return lambda s: s[:p] + (f(s),) + s[p + 1:]
    tpairs = tuple(sorted(pairs, key=lambda pf: pf[0]))

    def step(s: State) -> State:
        t = list(s)
        for p, f in tpairs:
            t[p] = f(s)
        return tuple(t)
    return step


def _bucket_by_pc(model: Model, actions: list[CompiledAction], index: dict[str, int]):
    pc_of = {task: pcvar for task, pcvar, _ in model.pcs if pcvar in index}
    tables: dict[str, dict[Value, list[CompiledAction]]] = {}
    residual: list[CompiledAction] = []
    for act, ca in zip(model.actions, actions):
        pcvar = pc_of.get(act.task)
        k = pc_value(act.guard, pcvar, nested=False) if pcvar is not None else None
        if k is None:
            residual.append(ca)
        else:
            tables.setdefault(pcvar, {}).setdefault(k, []).append(ca)  # type: ignore[arg-type]
    dispatch = tuple((index[pcvar], {k: tuple(v) for k, v in table.items()})
                     for pcvar, table in tables.items())
    return dispatch, tuple(residual)
