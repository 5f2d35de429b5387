"""What names mean in one design × scenario: types, constants and state variables.

The scenario fixes the finite domains (its tasks, thread groups and signals); the design
fixes the per-task/per-group/global variables.  This module flattens them into the
scalar variables of the IR (``T.TIF_SIGPENDING``, ``G1.shared_pending``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from flagcheck.tlamodel.errors import DesignError, checked_int, did_you_mean
from flagcheck.tlamodel.ir import (BOOL, BoolType, EnumType, Expr, IntType, SetType, SourceLoc, Type,
                         VarDecl, const)
from flagcheck.tlamodel.records import DefineSpec, ProcSpec, PropSpec, VarSpec

BUILTIN_ENUMS = ("task", "group", "signal", "lock")
#: the value of a lock nobody holds; the other values of type ``lock`` are the tasks (the holder)
UNLOCKED = "unlocked"


def is_lock(ty: Type) -> bool:
    """Whether ``ty`` is the ``lock`` type (tlamodel.cfg_lock: spin_lock()/spin_unlock())."""
    return isinstance(ty, EnumType) and ty.name == "lock"
_RANGE = re.compile(r"^\s*(-?[0-9]+)\s*\.\.\s*(-?[0-9]+)\s*$")
_SET = re.compile(r"^\s*set\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$")
MAX_INT_SPAN = 1 << 16
#: names the flattening itself uses: T.pc (program counter), t.group, the error variable
RESERVED = {"task": {"pc", "group"}, "group": {"pc"}, "global": {"current"}}


@dataclass
class Scope:
    enums: dict[str, EnumType]
    consts: dict[str, Expr]                       # enum value name -> const
    fields: dict[str, dict[str, tuple[Type, VarSpec]]]   # scope -> field -> (type, spec)
    task_group: dict[str, str]
    defines: dict[str, DefineSpec]
    procedures: dict[str, ProcSpec]
    properties: dict[str, PropSpec]
    var_types: dict[str, Type] = field(default_factory=dict)   # flat IR var -> type
    #: the typed task_work queue (tlamodel.cfg_taskwork.TaskWorkQueue), None if untyped
    task_work_queue: object = None

    @property
    def tasks(self) -> tuple[str, ...]:
        return self.enums["task"].values

    @property
    def groups(self) -> tuple[str, ...]:
        return self.enums["group"].values


def parse_type(text: str, enums: dict[str, EnumType], loc: SourceLoc) -> Type:
    t = text.strip()
    if t == "bool":
        return BOOL
    if t == "lock" and "lock" in enums:
        return enums["lock"]
    m = _RANGE.match(t)
    if m:
        lo = checked_int(m.group(1), loc, "range bound")
        hi = checked_int(m.group(2), loc, "range bound")
        if lo > hi:
            raise DesignError(f"empty range {t}", loc, hint="write lo..hi with lo <= hi")
        if hi - lo > MAX_INT_SPAN:
            raise DesignError(f"range {t} is too large for a finite model", loc,
                              hint=f"ranges may span at most {MAX_INT_SPAN} values")
        return IntType(lo, hi)
    m = _SET.match(t)
    if m:
        elem = enums.get(m.group(1))
        if elem is None:
            raise DesignError(f"unknown set element type '{m.group(1)}'", loc,
                              hint=did_you_mean(m.group(1), enums) or
                              "sets range over task, group, signal or an enum")
        return SetType(elem)
    if t in enums:
        return enums[t]
    raise DesignError(f"unknown type '{t}'", loc,
                      hint=did_you_mean(t, list(enums) + ["bool"]) or
                      "types are bool, lo..hi, set(E), task, group, signal or an enum name")


def build_scope(enum_specs: dict[str, tuple[tuple[str, ...], SourceLoc]],
                tasks: dict[str, str], signals: list[tuple[str, SourceLoc]],
                state: dict[str, VarSpec], defines: dict[str, DefineSpec],
                procedures: dict[str, ProcSpec], properties: dict[str, PropSpec],
                scen_loc: SourceLoc | None) -> Scope:
    """Make the finite domains and check that no two things share a name."""
    groups: list[str] = []
    for g in tasks.values():
        if g not in groups:
            groups.append(g)
    sig_names = [s for s, _ in signals]
    enums: dict[str, EnumType] = {
        "task": EnumType("task", tuple(tasks)),
        "group": EnumType("group", tuple(groups)),
        "signal": EnumType("signal", tuple(sig_names)),
        # a lock holds the task that holds it; its values get no names (they would be the
        # tasks' names), code reads a lock with spin_is_locked() and lock_held_by()
        "lock": EnumType("lock", (UNLOCKED,) + tuple(tasks)),
    }
    consts: dict[str, Expr] = {}
    owners: dict[str, str] = {}

    def add_const(name: str, ty: EnumType, idx: int, loc: SourceLoc | None) -> None:
        if name in consts:
            raise DesignError(f"'{name}' is both a {owners[name]} and a {ty.name} value", loc,
                              hint="enum values, task, group and signal names share one namespace")
        consts[name] = const(idx, ty)
        owners[name] = ty.name

    for ename in ("task", "group"):
        for i, v in enumerate(enums[ename].values):
            add_const(v, enums[ename], i, scen_loc)
    for i, (s, sloc) in enumerate(signals):
        add_const(s, enums["signal"], i, sloc)
    for name, (vals, loc) in enum_specs.items():
        if name in BUILTIN_ENUMS or name == "bool":
            raise DesignError(f"enum name '{name}' is reserved", loc)
        enums[name] = EnumType(name, vals)
        for i, v in enumerate(vals):
            add_const(v, enums[name], i, loc)
    fields: dict[str, dict[str, tuple[Type, VarSpec]]] = {"global": {}, "task": {}, "group": {}}
    for vs in state.values():
        reserved = RESERVED.get(vs.scope, set())
        if vs.name in reserved or vs.name.startswith("__"):
            raise DesignError(f"'{vs.name}' is reserved and cannot name a {vs.scope} variable",
                              vs.loc, hint="flagcheck uses it internally (program counters, the "
                              "thread group, run-time errors); pick another name")
        ty = parse_type(vs.type_text, enums, vs.loc)
        if vs.name in consts:
            raise DesignError(f"variable '{vs.name}' has the same name as a {owners[vs.name]} "
                              "value", vs.loc)
        fields[vs.scope][vs.name] = (ty, vs)
    return Scope(enums, consts, fields, dict(tasks), defines, procedures, properties)


def flat_vars(scope: Scope) -> list[VarDecl]:
    """One scalar variable per global, per task × task field, per group × group field."""
    out: list[VarDecl] = []
    for name, (ty, _) in scope.fields["global"].items():
        out.append(VarDecl(name, ty))
    for t in scope.tasks:
        for name, (ty, _) in scope.fields["task"].items():
            out.append(VarDecl(f"{t}.{name}", ty, owner=t, field=name))
    for g in scope.groups:
        for name, (ty, _) in scope.fields["group"].items():
            out.append(VarDecl(f"{g}.{name}", ty, owner=g, field=name))
    seen: dict[str, VarDecl] = {}
    for v in out:
        if v.name in seen:
            first, second = seen[v.name], v
            raise DesignError(
                f"two declarations flatten to the same variable '{v.name}': "
                f"{_declared(scope, first)} and {_declared(scope, second)}",
                _spec_of(scope, second).loc, hint="rename one of them")
        seen[v.name] = v
        scope.var_types[v.name] = v.type
    return out


def _spec_of(scope: Scope, v: VarDecl) -> VarSpec:
    """The declaration a flattened variable comes from."""
    if v.owner is None:
        return scope.fields["global"][v.name][1]
    kind = "task" if v.owner in scope.tasks else "group"
    return scope.fields[kind][v.field][1]  # type: ignore[index]


def _declared(scope: Scope, v: VarDecl) -> str:
    """Where a flattened variable is declared, in words (``task field 'n' (at f:3:5)``)."""
    spec = _spec_of(scope, v)
    what = "global" if v.owner is None else f"{spec.scope} field"
    return f"{what} '{spec.name}' (declared at {spec.loc})"


def default_value(ty: Type) -> int | bool:
    if isinstance(ty, BoolType):
        return False
    if isinstance(ty, IntType):
        return ty.lo if ty.lo >= 0 or ty.hi < 0 else 0
    return 0
