"""Interchangeable tasks, found on the IR: the symmetry the explicit engine reduces by.

Why on the IR and not in the front end: whatever syntax produced the tasks (a scenario that
lists ``A1``, ``A2``... one by one, or a task array), the engines see one flat model, and a
reduction is sound exactly when a permutation of tasks maps *that model* onto itself.  So
the front end's word is never trusted: candidate groups come from tasks whose code is the
same up to renaming, and every candidate permutation is checked against the whole model
before the search relies on it.

A permutation of the tasks of a group acts on

* variables: a task's own variables (``VarDecl.owner``), and the variables of its
  *companions* -- owners that only this task's code mentions (a task's own thread group,
  ``G_A1``) -- go to the same fields of the image task and its companions;
* enum values: a value whose name mentions a task or companion (``__error``'s "value out of
  range for A1.task_works") goes to the value naming the image (it must exist).

It is an automorphism of the model when the initial states, the actions (task, guard and
updates, as a multiset), the terminal predicate and every invariant being checked come out
the same, commutative operands compared in any order.  Transpositions ``(t1 tj)`` generate
the whole symmetric group of a group, and automorphisms compose, so checking those suffices;
a property that is not invariant splits the group, and the split is reported
(``Symmetry.notes``).  Two limits keep the packed canonical form (pyspec.orbits) simple and
exact, and a group that needs more is refused, never approximated: a renamed enum may not
be compared with ``<``/``<=`` or be the element type of a set, and a task's own variables
may not hold renamed enum values.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

from flagcheck.tlamodel.ir import (Action, EnumType, Expr, Invariant, Model, SetType, Type,
                                   free_vars)

#: operators whose operands may come in any order after a renaming
_COMMUTATIVE = frozenset({"and", "or", "eq", "ne", "add", "union", "inter"})


@dataclass(frozen=True)
class Group:
    """Interchangeable tasks.  Slot ``j`` is ``tasks[j]`` with its companions
    ``owners[j][1:]``; ``slots[j]`` are the positions (in ``Model.vars``) of its variables,
    aligned: ``slots[i][q]`` and ``slots[j][q]`` are the same field of two tasks."""
    tasks: tuple[str, ...]
    owners: tuple[tuple[str, ...], ...]
    slots: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class ValueMap:
    """A variable outside every group's slots whose enum values name a slot's owners (the
    run-time error message of one task): a permutation of the group renames its value."""
    var: int
    group: int
    #: per value: the slot it names, -1 if none
    slot_of: tuple[int, ...]
    #: [value][slot]: the same value naming that slot instead
    table: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class Symmetry:
    """The groups the search may reduce by, and what the detection found on the way."""
    groups: tuple[Group, ...] = ()
    values: tuple[ValueMap, ...] = ()
    #: in words: groups split by a property, candidates the model is not symmetric under
    notes: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.groups)

    def describe(self) -> str:
        """One line for reports: the groups reduced by, then the notes."""
        parts = ["interchangeable tasks " + "; ".join("{" + ", ".join(g.tasks) + "}"
                                                      for g in self.groups)
                 if self.groups else "no interchangeable tasks"]
        return "; ".join(parts + list(self.notes))


# ---------------------------------------------------------------- renaming
@dataclass(frozen=True)
class _Perm:
    """A candidate automorphism: owner renaming and what it induces on names."""
    owners: dict[str, str]
    vars: dict[str, str]
    values: dict[EnumType, dict[int, int]]


def _token_sub(owners: dict[str, str]) -> "re.Pattern[str] | None":
    moved = [o for o, p in owners.items() if o != p]
    if not moved:
        return None
    alt = "|".join(re.escape(o) for o in sorted(moved, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9_])({alt})(?![A-Za-z0-9_])")


def rename_text(text: str, owners: dict[str, str]) -> str:
    """``text`` with every owner name (as a whole word) replaced by its image."""
    pat = _token_sub(owners)
    return text if pat is None else pat.sub(lambda m: owners[m.group(1)], text)


class _Model:
    """What the detection reads off a model, computed once."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.index = model.var_index()
        self.fields: dict[str, dict[str, int]] = {}
        for i, v in enumerate(model.vars):
            if v.owner is not None:
                fld = v.field or v.name.split(".", 1)[-1]
                self.fields.setdefault(v.owner, {})[fld] = i
        self.companion_of = _companions(model)
        self.enums = sorted({t for t in _types(model) if isinstance(t, EnumType)},
                            key=lambda t: (t.name, t.values))
        self.rigid = _rigid_enums(model)
        self._base: tuple | None = None

    @property
    def base(self) -> tuple:
        """The model's own shape, computed when a first candidate needs checking."""
        if self._base is None:
            self._base = _shape(self.model, {}, {})
        return self._base

    def companions(self, task: str) -> tuple[str, ...]:
        """The companions of ``task`` (see ``_companions``), in a stable order."""
        return tuple(sorted(o for o, t in self.companion_of.items() if t == task))

    def perm(self, owners: dict[str, str]) -> _Perm | None:
        """The renaming ``owners`` induces, None when it is not one (a field or an enum
        value without an image, a renamed enum that is ordered or in a set)."""
        ren: dict[str, str] = {}
        for o, p in owners.items():
            if o == p:
                continue
            src, dst = self.fields.get(o, {}), self.fields.get(p, {})
            if set(src) != set(dst):
                return None
            for f, i in src.items():
                a, b = self.model.vars[i], self.model.vars[dst[f]]
                if a.type != b.type:
                    return None
                ren[a.name] = b.name
        values: dict[EnumType, dict[int, int]] = {}
        for e in self.enums:
            pos = {n: i for i, n in enumerate(e.values)}
            m = {}
            for i, n in enumerate(e.values):
                j = pos.get(rename_text(n, owners))
                if j is None:
                    return None
                m[i] = j
            if any(i != j for i, j in m.items()):
                if e in self.rigid:
                    return None
                values[e] = m
        return _Perm(owners, ren, values)

    def invariant(self, perm: _Perm, exprs: Sequence[Expr] = (), whole: bool = True) -> bool:
        """Is the model (``whole``) and every expression of ``exprs`` the same renamed?"""
        if whole and _shape(self.model, perm.vars, perm.values, perm.owners) != self.base:
            return False
        return all(_norm(e, perm.vars, perm.values, {}) == _norm(e, {}, {}, {}) for e in exprs)


def _companions(model: Model) -> dict[str, str]:
    """Owner -> the task it goes with: the one task present wherever the owner is named.

    Places are the actions (their task and the owners they touch) and the top-level
    conjuncts of the invariants and of the terminal predicate (a ``for_each`` property has
    one per task, naming the task and its thread group).  A task's own thread group is
    named with it and with no other task; a group shared by several tasks, or named alone,
    goes with none (it stays put under a permutation, which the check then confirms or
    refutes)."""
    tasks = set(model.tasks)
    owner_of = {v.name: v.owner for v in model.vars}
    places: list[set[str]] = []
    for a in model.actions:
        places.append({a.task} | {owner_of[n] for n in _action_vars(a) if owner_of.get(n)})
    exprs = [p.expr for p in model.properties if isinstance(p, Invariant)] + [model.terminal]
    for e in exprs:
        for c in (e.args if e.op == "and" else (e,)):
            places.append({owner_of[n] for n in free_vars(c) if owner_of.get(n)})
    common: dict[str, set[str]] = {}
    for place in places:
        for o in place - tasks:
            common[o] = common[o] & place if o in common else place & tasks
    return {o: next(iter(ts)) for o, ts in common.items() if len(ts) == 1}


def _action_vars(a: Action) -> set[str]:
    out = set(free_vars(a.guard))
    for name, rhs in a.updates:
        out.add(name)
        out |= free_vars(rhs)
    return out


def _types(model: Model) -> Iterable[Type]:
    for v in model.vars:
        yield v.type
        if isinstance(v.type, SetType):
            yield v.type.elem


def _rigid_enums(model: Model) -> frozenset[EnumType]:
    """Enums whose values may not be renamed: ordered by ``<``, or elements of a set
    (their bits would have to be permuted, which the canonical form does not do)."""
    out: set[EnumType] = {v.type.elem for v in model.vars if isinstance(v.type, SetType)}
    seen: set[int] = set()

    def walk(e: Expr) -> None:
        if id(e) in seen:
            return
        seen.add(id(e))
        if isinstance(e.type, SetType):
            out.add(e.type.elem)
        if e.op in ("lt", "le"):
            out.update(a.type for a in e.args if isinstance(a.type, EnumType))
        for a in e.args:
            walk(a)
    for a in model.actions:
        walk(a.guard)
        for _, rhs in a.updates:
            walk(rhs)
    walk(model.terminal)
    for p in model.properties:
        if isinstance(p, Invariant):
            walk(p.expr)
    return frozenset(out)


def _norm(e: Expr, ren: dict[str, str], values: dict[EnumType, dict[int, int]],
          memo: dict[int, str], tokens: dict[str, str] | None = None) -> str:
    """A text of ``e`` renamed, equal for expressions equal up to commutativity.  With
    ``tokens`` (the code signature), enum constants are their names with those owner names
    replaced, rather than their renamed values."""
    hit = memo.get(id(e))
    if hit is not None:
        return hit
    if e.op == "var":
        out = "$" + repr(ren.get(e.name, e.name))  # type: ignore[arg-type]
    elif e.op == "const":
        v = e.value
        if isinstance(e.type, EnumType) and tokens is not None:
            v = rename_text(e.type.values[int(v)], tokens)  # type: ignore[arg-type]
        elif isinstance(e.type, EnumType) and e.type in values:
            v = values[e.type][int(v)]  # type: ignore[arg-type]
        out = f"{v!r}:{e.type}"
    else:
        args = [_norm(a, ren, values, memo, tokens) for a in _flat(e)]
        if e.op in _COMMUTATIVE:
            args.sort()
        out = f"{e.op}({','.join(args)})"
    memo[id(e)] = out
    return out


def _flat(e: Expr) -> list[Expr]:
    """The operands of ``e``, nested ands (ors) of an and (or) spread out."""
    if e.op not in ("and", "or"):
        return list(e.args)
    out: list[Expr] = []
    for a in e.args:
        out.extend(_flat(a) if a.op == e.op else (a,))
    return out


def _shape(model: Model, ren: dict[str, str], values: dict[EnumType, dict[int, int]],
           owners: dict[str, str] | None = None) -> tuple:
    """The model as renamed by (``ren``, ``values``, task names ``owners``): initial
    choices per variable, the multiset of actions, the terminal predicate."""
    memo: dict[int, str] = {}
    owners = owners or {}
    init = []
    for v, choices in zip(model.vars, model.init):
        m = values.get(v.type) if isinstance(v.type, EnumType) else None
        vals = frozenset(m[int(c)] if m else c for c in choices)
        init.append((ren.get(v.name, v.name), vals))
    acts = Counter(
        (owners.get(a.task, a.task), _norm(a.guard, ren, values, memo),
         tuple(sorted((ren.get(n, n), _norm(r, ren, values, memo)) for n, r in a.updates)))
        for a in model.actions)
    return (frozenset(init), frozenset(acts.items()), _norm(model.terminal, ren, values, memo))


# ---------------------------------------------------------------- detection
def detect(model: Model, properties: Sequence[str]) -> Symmetry:
    """The groups of interchangeable tasks of ``model`` under which every property of
    ``properties`` (invariants and deadlock freedom; nothing else may be asked) is
    invariant."""
    m = _Model(model)
    exprs = {n: model.property(n).expr for n in properties           # type: ignore[union-attr]
             if isinstance(model.property(n), Invariant)}
    groups: list[Group] = []
    notes: list[str] = []
    for cand in _candidates(m):
        for cls in _classes(m, cand, ()):
            if len(cls.tasks) < 2:
                continue
            kept = [cls]
            for name, e in exprs.items():
                split: list[list[Group]] = []
                for g in kept:
                    parts = _classes(m, g, (e,), whole=False)
                    if len(parts) > 1:
                        notes.append(f"property {name} breaks the symmetry of "
                                     f"{{{', '.join(g.tasks)}}} into "
                                     + " | ".join("{" + ", ".join(p.tasks) + "}" for p in parts))
                    split.append([p for p in parts if len(p.tasks) > 1])
                kept = [g for s in split for g in s]
            groups.extend(kept)
    kept, values = _value_maps(m, groups, notes)
    return Symmetry(kept, values, tuple(notes))


def _candidates(m: _Model) -> list[Group]:
    """Tasks whose code is the same up to renaming the task and its companions, as groups
    with aligned slots (still to be verified)."""
    by_code: dict[tuple, list[str]] = {}
    for t in m.model.tasks:
        if not m.fields.get(t):
            continue          # a task with no variables of its own: nothing to permute
        code = tuple(sorted(_task_code(m, t)))
        by_code.setdefault(code, []).append(t)
    out = []
    for tasks in by_code.values():
        if len(tasks) < 2:
            continue
        owners = [(t,) + m.companions(t) for t in tasks]
        if len({len(o) for o in owners}) != 1:
            continue
        slots = _align(m, owners)
        if slots is not None:
            out.append(Group(tuple(tasks), tuple(owners), slots))
    return out


def _task_code(m: _Model, task: str) -> list[str]:
    """The actions of ``task`` as text, its own names and those of the other tasks (and
    their companions) replaced by placeholders: tasks that may be interchangeable write the
    same text (the code of W2 that wakes W3 and of W3 that wakes W2)."""
    own = (task,) + m.companions(task)
    owners = {o: "$other" for o in m.model.tasks}
    owners.update({o: "$other" for o in m.companion_of})
    owners.update({o: f"$self{i}" for i, o in enumerate(own)})
    ren = {}
    for o, p in owners.items():
        for f, i in m.fields.get(o, {}).items():
            ren[m.model.vars[i].name] = f"{p}.{f}"
    memo: dict[int, str] = {}
    return [_norm(a.guard, ren, {}, memo, owners) + " -> " + ";".join(sorted(
        f"{ren.get(n, n)}:={_norm(r, ren, {}, memo, owners)}" for n, r in a.updates))
        for a in m.model.actions if a.task == task]


def _align(m: _Model, owners: list[tuple[str, ...]]) -> tuple[tuple[int, ...], ...] | None:
    """Per slot, the variable positions of its owners' fields in one order."""
    first = owners[0]
    layout = [(k, f) for k, o in enumerate(first) for f in sorted(m.fields.get(o, {}))]
    slots = []
    for own in owners:
        try:
            slots.append(tuple(m.fields[own[k]][f] for k, f in layout))
        except KeyError:
            return None
    return tuple(slots)


def _classes(m: _Model, g: Group, exprs: Sequence[Expr], whole: bool = True) -> list[Group]:
    """``g`` split into the classes of tasks whose transposition is an automorphism (of the
    whole model when ``whole``, else of ``exprs`` only): an equivalence, since the
    transpositions of a class generate its symmetric group."""
    classes: list[list[int]] = []
    for j in range(len(g.tasks)):
        for cls in classes:
            perm = m.perm(_swap(g.owners[cls[0]], g.owners[j]))
            if perm is not None and m.invariant(perm, exprs, whole):
                cls.append(j)
                break
        else:
            classes.append([j])
    return [Group(tuple(g.tasks[j] for j in c), tuple(g.owners[j] for j in c),
                  tuple(g.slots[j] for j in c)) for c in classes]


def _swap(a: tuple[str, ...], b: tuple[str, ...]) -> dict[str, str]:
    out = dict(zip(a, b))
    out.update(zip(b, a))
    return out


def _value_maps(m: _Model, groups: list[Group],
                notes: list[str]) -> tuple[tuple[Group, ...], tuple[ValueMap, ...]]:
    """The groups the canonical form can hold, with their renamed-value variables.  A group
    is dropped (and ``notes`` says so) when a value names two of its slots, or when a
    variable inside some group's slots holds values naming its tasks."""
    in_slots = {i for g in groups for s in g.slots for i in s}
    kept: list[Group] = []
    out: list[ValueMap] = []
    for g in groups:
        maps: list[ValueMap] = []
        for i, v in enumerate(m.model.vars):
            vm = _value_map(v.type, g) if isinstance(v.type, EnumType) else None
            if vm is None:
                continue
            if vm == () or i in in_slots:
                maps = None  # type: ignore[assignment]
                notes.append(f"{{{', '.join(g.tasks)}}} not reduced: values of {v.name} "
                             "name these tasks in a way the canonical form cannot permute")
                break
            maps.append(ValueMap(i, len(kept), *vm))
        if maps is not None:
            kept.append(g)
            out.extend(maps)
    return tuple(kept), tuple(out)


_Table = tuple[tuple[int, ...], tuple[tuple[int, ...], ...]]


def _value_map(e: EnumType, g: Group) -> "_Table | tuple[()] | None":
    """(slot named per value, value per value and slot) when some value of ``e`` names a
    slot of ``g``; None when none does; ``()`` when one names two slots or its image is
    missing."""
    pos = {n: i for i, n in enumerate(e.values)}
    slot_of: list[int] = []
    table: list[tuple[int, ...]] = []
    for i, n in enumerate(e.values):
        named = [j for j, own in enumerate(g.owners)
                 if rename_text(n, {o: "\0" for o in own}) != n]
        if not named:
            slot_of.append(-1)
            table.append((i,) * len(g.tasks))
            continue
        if len(named) > 1:
            return ()
        j = named[0]
        row = tuple(pos.get(rename_text(n, dict(zip(g.owners[j], g.owners[k]))), -1)
                    for k in range(len(g.tasks)))
        if min(row) < 0:
            return ()
        slot_of.append(j)
        table.append(row)
    return None if all(s < 0 for s in slot_of) else (tuple(slot_of), tuple(table))
