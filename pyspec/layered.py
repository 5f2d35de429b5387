"""The explicit engine's fast path: breadth-first search one whole layer at a time.

Why: expanding a layer column-wise (pyspec.packed) costs a few numpy calls per action, not
Python calls per state, and a layer of packed 64-bit states deduplicates with one sort.
The store keeps every state's packed words, parent and action, and the visited set is a
sorted array of fingerprints (``Store``): 28 bytes a state for a one-word model.

The result is the tuple search's (pyspec.explicit._Search) to the state: every successor
gets a key ``(position of its parent in the layer, rank of the action)``, where the rank is
the order in which ``CompiledModel.candidates`` lists the action; a state's parent is the
one with the smallest key and a layer is ordered by it.  That is exactly the order the
tuple search discovers states in, so the same shortest counterexample, the same ``states``
counts at each violation and the same cut under ``max_states`` come out (the tests compare
both searches on random models).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from flagcheck.pyspec.packed import (Columns, Layout, Unpackable, VFn, as_column, as_mask,
                                     compile_columns)
from flagcheck.pyspec.por import Por, choose as choose_ample
from flagcheck.pyspec.successors import compiled, initial_states
from flagcheck.pyspec.trace import Trace
from flagcheck.tlamodel.ir import Model, pc_value


@dataclass(frozen=True)
class VAction:
    """One action compiled column-wise."""
    index: int
    rank: int
    #: (position of the task's pc, k) when the guard conjoins pc == k at the top level
    pc: tuple[int, int] | None
    guard: VFn
    #: (variable position, rhs) per update
    updates: tuple[tuple[int, VFn], ...]
    #: per word, the packed bits the updates leave alone
    keep: tuple[int, ...]


@dataclass(frozen=True)
class VModel:
    layout: Layout
    actions: tuple[VAction, ...]
    terminal: VFn
    index: dict[str, int]
    #: one more than the largest rank (a successor's key is parent position * span + rank)
    span: int
    #: under symmetry reduction (pyspec.orbits): packed states -> their orbits' canonical
    #: states, applied to every successor before it is looked up; None: no reduction
    canon: Callable[[np.ndarray], np.ndarray] | None = None
    #: under partial-order reduction: the ample-set tables (pyspec.por); None: every
    #: enabled action of every state is fired
    por: Por | None = None


def vmodel(model: Model) -> VModel:
    """Compile ``model`` column-wise; raises Unpackable when its states do not pack."""
    layout = Layout.of(model)
    index = model.var_index()
    cm = compiled(model)               # validates the model; its dispatch gives the ranks
    width = len(model.actions) + 1
    rank: dict[int, int] = {}
    for t, (_pos, table) in enumerate(cm.dispatch):
        for acts in table.values():
            for j, a in enumerate(acts):
                rank[a.index] = t * width + j
    for j, a in enumerate(cm.residual):
        rank[a.index] = len(cm.dispatch) * width + j
    pc_of = {task: pcvar for task, pcvar, _ in model.pcs if pcvar in index}
    acts: list[VAction] = []
    for act in sorted(model.actions, key=lambda a: rank[a.index]):
        pcvar = pc_of.get(act.task)
        k = pc_value(act.guard, pcvar, nested=False) if pcvar is not None else None
        ups = tuple((index[name], compile_columns(rhs, index)) for name, rhs in act.updates)
        keep = [-1] * layout.words
        for pos, _ in ups:
            f = layout.fields[pos]
            keep[f.word] &= ~(f.mask << f.shift)
        acts.append(VAction(act.index, rank[act.index],
                            None if k is None else (index[pcvar], k),  # type: ignore[index]
                            compile_columns(act.guard, index), ups, tuple(keep)))
    span = max(rank.values(), default=0) + 1
    return VModel(layout, tuple(acts), compile_columns(model.terminal, index), index, span)


_MIX = np.uint64(0x9E3779B97F4A7C15)


def fingerprint(states: np.ndarray) -> np.ndarray:
    """One int64 per packed state: the state itself for one word (exact), a mix of the
    words otherwise (then equal fingerprints are checked word by word: a collision of two
    different states raises Unpackable, and the tuple search answers instead)."""
    if states.shape[1] == 1:
        return states[:, 0]
    u = states.view(np.uint64)
    h = u[:, 0].copy()
    with np.errstate(over="ignore"):
        for j in range(1, states.shape[1]):
            h = (h * _MIX) ^ (h >> np.uint64(29)) ^ u[:, j]
    return h.view(np.int64)


class Store:
    """Every state found, in discovery order (growable arrays: the packed words, the
    position of the parent, -1 for an initial state, and the action), and the visited
    set: the sorted fingerprints with, aligned, where each state is in the store."""

    def __init__(self, words: int) -> None:
        self.n = 0
        self.states = np.zeros((1024, words), dtype=np.int64)
        self.parent = np.zeros(1024, dtype=np.int32)
        self.action = np.zeros(1024, dtype=np.int32)
        self.keys = np.zeros(0, dtype=np.int64)
        self.where = np.zeros(0, dtype=np.int32)

    def add(self, states: np.ndarray, parent: np.ndarray, action: np.ndarray,
            keys: np.ndarray) -> None:
        """Append states not seen before (``keys``: their fingerprints)."""
        m = len(states)
        if self.n + m > len(self.parent):
            cap = max(2 * len(self.parent), self.n + m)
            self.states = _grow(self.states, cap)
            self.parent = _grow(self.parent, cap)
            self.action = _grow(self.action, cap)
        lo, hi = self.n, self.n + m
        self.states[lo:hi] = states
        self.parent[lo:hi] = parent
        self.action[lo:hi] = action
        order = np.argsort(keys, kind="stable")
        k = keys[order]
        at = np.searchsorted(self.keys, k)
        self.keys = np.insert(self.keys, at, k)
        self.where = np.insert(self.where, at, (lo + order).astype(np.int32))
        self.n = hi

    def seen(self, keys: np.ndarray, states: np.ndarray) -> np.ndarray:
        """For each (fingerprint, state): is it already stored?"""
        return _member(self.keys, keys, states, lambda at: self.states[self.where[at]])

    def trace(self, layout: Layout, pos: int) -> Trace:
        states, acts = [], []
        while True:
            states.append(layout.unpack(self.states[pos]))
            up = int(self.parent[pos])
            if up < 0:
                break
            acts.append(int(self.action[pos]))
            pos = up
        states.reverse()
        acts.reverse()
        return Trace(tuple(states), tuple(acts))

    def nbytes(self) -> int:
        """Bytes per stored state, as allocated for the states found."""
        per = (self.states.itemsize * self.states.shape[1] + self.parent.itemsize
               + self.action.itemsize + self.keys.itemsize + self.where.itemsize)
        return per * self.n


def _grow(a: np.ndarray, cap: int) -> np.ndarray:
    out = np.zeros((cap,) + a.shape[1:], dtype=a.dtype)
    out[:len(a)] = a
    return out


@dataclass
class Expansion:
    """What expanding one layer found: new states in discovery order."""
    new: np.ndarray            # packed states
    keys: np.ndarray           # their fingerprints
    parent: np.ndarray         # their parents' positions in the expanded layer
    action: np.ndarray
    deadlocked: np.ndarray     # positions (ascending) of the layer's deadlocked states
    reduced: int = 0           # states expanded by an ample set alone (pyspec.por)


def initial_layer(model: Model, layout: Layout) -> np.ndarray:
    """The distinct initial states, packed, in the tuple search's order."""
    seen: dict[tuple[int, ...], None] = {}
    for s in initial_states(model):
        seen.setdefault(layout.pack(s), None)
    return np.array(list(seen), dtype=np.int64).reshape(len(seen), layout.words)


#: layer states decoded at once: the decoded columns (8 bytes per variable per state)
#: are the search's largest transient, so big layers are expanded in chunks
CHUNK = 1 << 15


def expand(vm: VModel, layer: np.ndarray, store: Store, want_deadlock: bool,
           deadline: float | None) -> Expansion | None:
    """Successors of ``layer`` not in ``store``, in discovery order; None when
    ``deadline`` (a monotonic time) passes first.

    Chunk by chunk: each chunk's successors are deduplicated at once against the store
    and the states earlier chunks of this layer found (``found``), so only new states
    outlive a chunk.  Chunks come in layer order, so their keys increase from chunk to
    chunk and the discovery order is kept."""
    words = vm.layout.words
    found = _Sorted(words)
    new: list[np.ndarray] = []
    keys: list[np.ndarray] = []
    parent: list[np.ndarray] = []
    action: list[np.ndarray] = []
    stuck: list[np.ndarray] = []
    reduced = 0
    for lo in range(0, len(layer), CHUNK):
        succ: list[np.ndarray] = []
        par: list[np.ndarray] = []
        key: list[np.ndarray] = []
        act: list[np.ndarray] = []
        if vm.por is not None:
            got = _chunk_por(vm, layer[lo:lo + CHUNK], lo, want_deadlock, deadline, store,
                             succ, par, key, act, stuck)
            if got is None:
                return None
            reduced += got
        elif not _chunk(vm, layer[lo:lo + CHUNK], lo, want_deadlock, deadline,
                        succ, par, key, act, stuck):
            return None
        if not succ:
            continue
        order = np.argsort(np.concatenate(key), kind="stable")
        s = np.concatenate(succ)[order]
        if vm.canon is not None:
            s = vm.canon(s)
        h = fingerprint(s)
        by_h = np.argsort(h, kind="stable")          # equal fingerprints: earliest key first
        hs = h[by_h]
        start = np.empty(len(hs), dtype=np.bool_)
        start[0] = True
        np.not_equal(hs[1:], hs[:-1], out=start[1:])
        if words > 1:
            ss = s[by_h]
            dup = ~start[1:]
            if dup.any() and not (ss[1:][dup] == ss[:-1][dup]).all():
                raise Unpackable("two states share a fingerprint")
        first = by_h[start]
        first = first[~store.seen(h[first], s[first])]
        first = first[~found.seen(h[first], s[first])]
        first.sort()
        chosen = order[first]
        found.add(h[first], s[first])
        new.append(s[first])
        keys.append(h[first])
        parent.append(np.concatenate(par)[chosen])
        action.append(np.concatenate(act)[chosen])
    deadlocked = np.concatenate(stuck) if stuck else np.zeros(0, dtype=np.int64)
    if not new:
        return Expansion(np.zeros((0, words), dtype=np.int64), np.zeros(0, dtype=np.int64),
                         np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32), deadlocked,
                         reduced)
    return Expansion(np.concatenate(new), np.concatenate(keys), np.concatenate(parent),
                     np.concatenate(action), deadlocked, reduced)


def _member(sorted_keys: np.ndarray, keys: np.ndarray, states: np.ndarray,
            stored: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """For each (fingerprint, state): is the fingerprint among ``sorted_keys``?  A state of
    more than one word is compared with ``stored(positions)``, the states kept at those
    positions, so that two states sharing a fingerprint are noticed, never merged."""
    if not len(sorted_keys):
        return np.zeros(len(keys), dtype=np.bool_)
    at = np.searchsorted(sorted_keys, keys)
    at[at == len(sorted_keys)] = 0
    hit = sorted_keys[at] == keys
    if states.shape[1] > 1 and hit.any():
        if not (stored(at[hit]) == states[hit]).all():
            raise Unpackable("two states share a fingerprint")
    return hit


class _Sorted:
    """Fingerprints kept sorted with their states aligned (one layer's new states)."""

    def __init__(self, words: int) -> None:
        self.keys = np.zeros(0, dtype=np.int64)
        self.states = np.zeros((0, words), dtype=np.int64)

    def seen(self, keys: np.ndarray, states: np.ndarray) -> np.ndarray:
        return _member(self.keys, keys, states, lambda at: self.states[at])

    def add(self, keys: np.ndarray, states: np.ndarray) -> None:
        order = np.argsort(keys, kind="stable")
        k = keys[order]
        at = np.searchsorted(self.keys, k)
        self.keys = np.insert(self.keys, at, k)
        self.states = np.insert(self.states, at, states[order], axis=0)


def _chunk(vm: VModel, layer: np.ndarray, offset: int, want_deadlock: bool,
           deadline: float | None, succ: list, par: list, key: list, act: list,
           stuck: list) -> bool:
    """Append the successors of one chunk of a layer (``offset``: the chunk's position in
    the layer) and its deadlocked positions; False when ``deadline`` passes."""
    n = len(layer)
    cols = Columns(vm.layout, layer)
    enabled = np.zeros(n, dtype=np.bool_) if want_deadlock else None
    by_pc: dict[tuple[int, int], np.ndarray] = {}
    for a in vm.actions:
        if deadline is not None and time.monotonic() > deadline:
            return False
        where = _enabled_rows(cols, a, by_pc)
        if where is None:
            continue
        if enabled is not None:
            enabled[where] = True
        _emit(vm, a, where, _successors(vm, a, cols.rows(where)), offset, succ, par, key, act)
    if enabled is not None:
        _stuck(vm, cols, enabled, offset, stuck)
    return True


def _enabled_rows(cols: Columns, a: VAction,
                  by_pc: dict[tuple[int, int], np.ndarray]) -> np.ndarray | None:
    """Positions (in ``cols``) of the states where ``a`` is enabled, None if there are
    none; ``by_pc`` caches the rows at each program point."""
    if a.pc is None:
        rows = None
        sub = cols
    else:
        rows = by_pc.get(a.pc)
        if rows is None:
            pos, k = a.pc
            rows = np.flatnonzero(cols.col(pos) == k)
            by_pc[a.pc] = rows
        if not len(rows):
            return None
        sub = cols.rows(rows)
    hit = np.flatnonzero(as_mask(a.guard(sub), len(sub)))
    if not len(hit):
        return None
    return hit if rows is None else rows[hit]


def _successors(vm: VModel, a: VAction, fire: Columns) -> np.ndarray:
    """The packed successors of the states ``fire`` (where ``a`` is enabled) by ``a``."""
    fields = vm.layout.fields
    out = fire.packed & np.array(a.keep, dtype=np.int64)
    for pos, rhs in a.updates:
        v = as_column(rhs(fire), len(fire))
        f = fields[pos]
        if v.min() < f.lo or v.max() > f.hi:     # would spill into the next field
            raise Unpackable(f"a value outside {f.lo}..{f.hi} was reached")
        out[:, f.word] |= (v - f.lo) << f.shift
    return out


def _emit(vm: VModel, a: VAction, where: np.ndarray, out: np.ndarray, offset: int,
          succ: list, par: list, key: list, act: list) -> None:
    where = where + offset
    succ.append(out)
    par.append(where)
    act.append(np.full(len(where), a.index, dtype=np.int32))
    key.append(where * vm.span + a.rank)


def _stuck(vm: VModel, cols: Columns, enabled: np.ndarray, offset: int, stuck: list) -> None:
    """Append the positions of the chunk's states with nothing enabled and not terminal."""
    idle = np.flatnonzero(~enabled)
    if len(idle):
        done = as_mask(vm.terminal(cols.rows(idle)), len(idle))
        stuck.append(idle[~done] + offset)


def _chunk_por(vm: VModel, layer: np.ndarray, offset: int, want_deadlock: bool,
               deadline: float | None, store: Store, succ: list, par: list, key: list,
               act: list, stuck: list) -> int | None:
    """``_chunk`` under partial-order reduction (pyspec.por): a state's successors are
    those of its ample set, or all of them where it has none or where one of them is
    already stored (the cycle proviso: the store holds exactly the layers up to the one
    being expanded; under symmetry reduction, the store holds canonical states and a
    successor is looked up by its canonical form).  Deadlocks are judged on every action.
    Returns how many states were expanded by an ample set alone, None when ``deadline``
    passes."""
    assert vm.por is not None
    n = len(layer)
    cols = Columns(vm.layout, layer)
    owner = vm.por.owner
    enabled = np.zeros(n, dtype=np.bool_)
    by_task = np.zeros((len(vm.por.tasks), n), dtype=np.bool_)
    by_pc: dict[tuple[int, int], np.ndarray] = {}
    fired: list[tuple[VAction, np.ndarray]] = []
    for a in vm.actions:
        if deadline is not None and time.monotonic() > deadline:
            return None
        where = _enabled_rows(cols, a, by_pc)
        if where is None:
            continue
        enabled[where] = True
        if owner[a.index] >= 0:
            by_task[owner[a.index], where] = True
        fired.append((a, where))
    chosen = choose_ample(vm.por, [cols.col(t.pc) for t in vm.por.tasks], by_task)
    full = chosen < 0
    ample: list[tuple[VAction, np.ndarray, np.ndarray]] = []
    for a, where in fired:
        rows = where[chosen[where] == owner[a.index]] if owner[a.index] >= 0 else where[:0]
        if len(rows):
            out = _successors(vm, a, cols.rows(rows))
            ample.append((a, rows, out))
            seen = out if vm.canon is None else vm.canon(out)
            full[rows[store.seen(fingerprint(seen), seen)]] = True
    for a, rows, out in ample:
        _emit(vm, a, rows, out, offset, succ, par, key, act)
    for a, where in fired:
        o = owner[a.index]
        rest = where[full[where] & ((chosen[where] != o) | (o < 0))]
        if len(rest):
            _emit(vm, a, rest, _successors(vm, a, cols.rows(rest)), offset,
                  succ, par, key, act)
    if want_deadlock:
        _stuck(vm, cols, enabled, offset, stuck)
    return int((~full).sum())


def first_false(vm: VModel, fn: VFn, layer: np.ndarray) -> int:
    """Position of the first state of ``layer`` where ``fn`` is false, -1 if none."""
    if not len(layer):
        return -1
    bad = np.flatnonzero(~as_mask(fn(Columns(vm.layout, layer)), len(layer)))
    return int(bad[0]) if len(bad) else -1


__all__ = ["Unpackable", "VModel", "vmodel", "Store", "Expansion", "initial_layer",
           "expand", "first_false", "fingerprint"]
