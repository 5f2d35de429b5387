"""One packed state per orbit: the canonical form the layered search stores under symmetry,
and the way back from a path of canonical states to a concrete counterexample.

Why sorting: the tasks of a group (pyspec.symmetry) are interchangeable, so a state and the
state with two tasks' variables swapped have the same future up to the swap.  Sorting the
group's per-task slices of the packed state picks one member of every orbit -- the same
member from every state of the orbit -- and it is a few numpy calls per layer: the slices
are read out as an ``(n, tasks, fields)`` array, ordered by one integer key per task, and
written back.  Variables outside the slots whose values name a task (the run-time error
message of one task) follow the permutation through a lookup table, and they break ties
between otherwise equal tasks, so that the form is canonical, not merely orbit-preserving.

A counterexample found among canonical states is a path of orbits.  ``concretise`` walks it
again in the concrete model: from the concrete state, the first enabled action whose
successor has the next canonical form.  One exists (the orbit step came from some member of
the orbit, and automorphisms map steps to steps), so the path has the same length, and it
is an ordinary trace that pyspec.replay checks like any other.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flagcheck.pyspec.packed import Layout
from flagcheck.pyspec.successors import compiled
from flagcheck.pyspec.symmetry import Group, Symmetry, ValueMap
from flagcheck.pyspec.trace import Trace
from flagcheck.tlamodel.ir import Model

#: bits of a sort key: one int64 without its sign bit
_KEY_BITS = 62


@dataclass(frozen=True)
class _Slots:
    """One group's stored fields as arrays: ``word``/``shift`` per (slot, run), ``mask``
    and key offset per run (constant fields left out: they are equal in every slot)."""
    word: np.ndarray         # (k, p): p runs of adjacent fields per slot (see ``_runs``)
    shift: np.ndarray        # (k, p)
    mask: np.ndarray         # (p,)
    offset: np.ndarray       # (p,) bit offset of each run in the sort key, first run highest
    values: tuple[ValueMap, ...]
    bits: int                # key bits of the fields, before the tie-breaking bits


class Canon:
    """The canonical form of packed states under ``sym`` (callable on an ``(n, words)``
    array; returns a new array)."""

    def __init__(self, sym: Symmetry, layout: Layout) -> None:
        self.layout = layout
        self.groups = tuple(self._slots(g, gi, sym, layout) for gi, g in enumerate(sym.groups))
        clear = [-1] * layout.words
        for s in self.groups:
            for w, sh, m in zip(s.word.ravel(), s.shift.ravel(), np.tile(s.mask, len(s.word))):
                clear[int(w)] &= ~(int(m) << int(sh))
        self.clear = np.array(clear, dtype=np.int64)

    @staticmethod
    def _slots(g: Group, gi: int, sym: Symmetry, layout: Layout) -> _Slots:
        runs = _runs(g, layout)
        word = np.array([[w for w, _, _ in slot] for slot in runs], dtype=np.int64)
        shift = np.array([[sh for _, sh, _ in slot] for slot in runs], dtype=np.int64)
        widths = [width for _, _, width in runs[0]]
        mask = np.array([(1 << w) - 1 for w in widths], dtype=np.int64)
        offset, at = [], sum(widths)
        for w in widths:
            at -= w
            offset.append(at)
        values = tuple(v for v in sym.values if v.group == gi)
        k = len(g.slots)
        return _Slots(word.reshape(k, len(widths)), shift.reshape(k, len(widths)), mask,
                      np.array(offset, dtype=np.int64), values, sum(widths))

    def __call__(self, states: np.ndarray) -> np.ndarray:
        out = states & self.clear
        for s in self.groups:
            self._group(s, states, out)
        return out

    def _group(self, s: _Slots, states: np.ndarray, out: np.ndarray) -> None:
        named = [self._named(v, states) for v in s.values]
        if s.bits + len(named) <= _KEY_BITS:
            newslot = _sort_keys(s, states, out, named)
        else:
            newslot = _sort_wide(s, states, out, named)
        for v, slot, new in zip(s.values, named, newslot):
            self._rename(v, states, out, slot, new)

    def _named(self, v: ValueMap, states: np.ndarray) -> np.ndarray:
        """Per state, the slot the value of ``v`` names (-1: none)."""
        col = self._col(v.var, states)
        return np.asarray(v.slot_of, dtype=np.int64)[col]

    def _col(self, var: int, states: np.ndarray) -> np.ndarray:
        f = self.layout.fields[var]
        if f.word < 0:
            return np.full(len(states), f.lo - f.lo, dtype=np.int64)
        return (states[:, f.word] >> f.shift) & f.mask

    def _rename(self, v: ValueMap, states: np.ndarray, out: np.ndarray, slot: np.ndarray,
                new_slot: np.ndarray) -> None:
        """``v``'s value names slot ``slot`` (per state, -1: none), which moved to
        ``new_slot``: the value naming that slot instead."""
        f = self.layout.fields[v.var]
        if f.word < 0:
            return
        col = self._col(v.var, states) + f.lo
        rows = np.flatnonzero(slot >= 0)
        if not len(rows):
            return
        table = np.asarray(v.table, dtype=np.int64)
        new = col.copy()
        new[rows] = table[col[rows], new_slot[rows]]
        out[:, f.word] &= ~(f.mask << f.shift)
        out[:, f.word] |= (new - f.lo) << f.shift


def _runs(g: Group, layout: Layout) -> list[list[tuple[int, int, int]]]:
    """Per slot, its stored fields as runs of adjacent bits, ``(word, shift, width)``.

    Why runs: a task's variables are declared together, so most of its fields sit side by
    side in one word, in the same order for every task; reading and writing a run is one
    numpy call where field by field it would be one per field.  A run is only as long as
    it is in every slot, and the runs are taken in one order for all slots, so the sort
    keys stay comparable (any fixed order of the bits gives a canonical form)."""
    f = layout.fields
    stored = [q for q in range(len(g.slots[0])) if f[g.slots[0][q]].word >= 0]
    stored.sort(key=lambda q: (f[g.slots[0][q]].word, f[g.slots[0][q]].shift))
    runs: list[list[tuple[int, int, int]]] = [[] for _ in g.slots]
    for i, q in enumerate(stored):
        here = [f[s[q]] for s in g.slots]
        width = int(here[0].mask).bit_length()
        joins = i > 0 and all(
            r[-1][0] == h.word and r[-1][1] + r[-1][2] == h.shift
            for r, h in zip(runs, here))
        for r, h in zip(runs, here):
            if joins:
                r[-1] = (r[-1][0], r[-1][1], r[-1][2] + width)
            else:
                r.append((h.word, h.shift, width))
    return runs


def _sort_keys(s: _Slots, states: np.ndarray, out: np.ndarray,
               named: list[np.ndarray]) -> list[np.ndarray]:
    """Sort a group whose slots fit one integer key each: the key holds the slot's runs
    (first run highest) and, lowest, one bit per renamed value naming the slot, so the
    sorted keys are the new slots themselves, and where a tie bit ends up is where the
    named slot went.  Writes the slots into ``out``; returns, per renamed value, the new
    slot of the slot it names."""
    k, p = s.word.shape
    t = len(named)
    key = np.zeros((len(states), k), dtype=np.int64)
    for j in range(k):
        col = key[:, j]
        for q in range(p):
            col |= ((states[:, s.word[j, q]] >> s.shift[j, q]) & s.mask[q]) << (s.offset[q] + t)
    hit = [np.flatnonzero(slot >= 0) for slot in named]     # few: a value names a task
    for b, (slot, rows) in enumerate(zip(named, hit)):
        key[rows, slot[rows]] |= 1 << (t - 1 - b)
    key.sort(axis=1)
    for j in range(k):
        for q in range(p):
            out[:, s.word[j, q]] |= ((key[:, j] >> (s.offset[q] + t)) & s.mask[q]) << s.shift[j, q]
    new = []
    for b, rows in enumerate(hit):
        at = np.zeros(len(states), dtype=np.int64)
        at[rows] = ((key[rows] >> (t - 1 - b)) & 1).argmax(axis=1)
        new.append(at)
    return new


def _sort_wide(s: _Slots, states: np.ndarray, out: np.ndarray,
               named: list[np.ndarray]) -> list[np.ndarray]:
    """``_sort_keys`` for slots wider than one key: stable sorts from the least
    significant column (the tie bits, then the runs from the last) up."""
    k, p = s.word.shape
    n = len(states)
    raw = np.empty((n, k, p), dtype=np.int64)
    for j in range(k):
        for q in range(p):
            raw[:, j, q] = (states[:, s.word[j, q]] >> s.shift[j, q]) & s.mask[q]
    ties = [(slot[:, None] == np.arange(k)[None, :]).astype(np.int64) for slot in named]
    order = np.tile(np.arange(k), (n, 1))
    for c in reversed([raw[:, :, q] for q in range(p)] + ties):
        step = np.argsort(np.take_along_axis(c, order, axis=1), axis=1, kind="stable")
        order = np.take_along_axis(order, step, axis=1)
    new = np.take_along_axis(raw, order[:, :, None], axis=1)
    for j in range(k):
        for q in range(p):
            out[:, s.word[j, q]] |= new[:, j, q] << s.shift[j, q]
    where = np.argsort(order, axis=1)        # old slot -> its new slot
    rows = np.arange(n)
    return [where[rows, np.maximum(slot, 0)] for slot in named]


def concretise(model: Model, canon: Canon, trace: Trace) -> Trace:
    """The concrete run behind ``trace``, a path of canonical states: the same length,
    each step an enabled action of the model (see the module docstring)."""
    layout = canon.layout
    cm = compiled(model)
    s = trace.states[0]
    if not all(v in choices for v, choices in zip(s, model.init)):
        raise RuntimeError("symmetry: a canonical initial state is not initial")
    states, acts = [s], []
    for nxt in trace.states[1:]:
        want = np.array(layout.pack(nxt), dtype=np.int64)
        steps = [(a.index, a.fire(s)) for a in cm.candidates(s) if a.guard(s)]
        packed = np.array([layout.pack(t) for _, t in steps], dtype=np.int64)
        hit = np.flatnonzero((canon(packed.reshape(len(steps), layout.words)) == want).all(axis=1))
        if not len(hit):
            raise RuntimeError("symmetry: no concrete step reaches the next orbit")
        a, s = steps[int(hit[0])]
        states.append(s)
        acts.append(a)
    return Trace(tuple(states), tuple(acts))
