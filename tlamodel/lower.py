"""Expressions: resolve names, check types, and lower to IR over the flat variables.

Parameters of defines and procedures are passed *by name*, like a C macro: an argument
is re-evaluated wherever the parameter is used, in the state of that moment.  This is
exactly what ``wait_event_interruptible(wq, cond)`` means in the kernel, and for the
constant arguments that most calls use it is the same as by value.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Union

from flagcheck.tlamodel import deadline, syntax_tree as A
from flagcheck.tlamodel.errors import DesignError, did_you_mean
from flagcheck.tlamodel.fold import op
from flagcheck.tlamodel.ir import (BOOL, EnumType, Expr, IntType, SetType, SourceLoc, Type, const,
                         var)
from flagcheck.tlamodel.scope import Scope

Reader = Callable[[str], Expr]
#: the most expression nodes one expression may expand to (defines are macros: a chain
#: of defines that each use the previous one twice doubles at every link)
MAX_EXPR_NODES = 200_000
#: expressions over locks (tlamodel.cfg_lock) and their parameters
LOCK_QUERIES = {"spin_is_locked": ("l",), "lock_held_by": ("l", "t"), "lockdep_is_held": ("l",)}


@dataclass(frozen=True)
class Thunk:
    """An unevaluated argument with the environment it was written in."""
    expr: A.AExpr
    env: "Env"


@dataclass(frozen=True)
class Slot:
    """A local variable (``local x: T``) or a procedure call's result, bound to the
    per-task IR variable that holds it (tlamodel.cfg_locals allocates it)."""
    var: str
    type: Type


Binding = Union[Expr, Thunk, Slot]


@dataclass(frozen=True)
class Env:
    binds: tuple[tuple[str, Binding], ...] = ()
    stack: tuple[str, ...] = ()     # define/procedure names being expanded (recursion check)

    def lookup(self, name: str) -> Binding | None:
        for k, v in reversed(self.binds):
            if k == name:
                return v
        return None

    def bind(self, pairs: list[tuple[str, Binding]], frame: str | None = None) -> "Env":
        return Env(self.binds + tuple(pairs), self.stack + ((frame,) if frame else ()))


def type_name(t: Type) -> str:
    if isinstance(t, IntType):
        return "int"
    return str(t)


def same_kind(a: Type, b: Type) -> bool:
    if isinstance(a, IntType) and isinstance(b, IntType):
        return True
    return a == b


class Lowerer:
    """Turns tlamodel.syntax_tree expressions into IR for one scope."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self._nodes = 0         # nodes expanded so far in the outermost expression
        self._open = 0          # expr() calls in progress (a by-name argument nests one)

    # -- entry points
    def expr(self, e: A.AExpr, env: Env, read: Reader | None = None,
             expected: Type | None = None) -> Expr:
        if self._open == 0:
            self._nodes = 0
        self._open += 1
        try:
            return self._lower(e, env, read or self.plain_read, expected)
        finally:
            self._open -= 1

    def _count(self, e: A.AExpr, env: Env) -> None:
        """Refuse an expression that expands past MAX_EXPR_NODES, naming the defines
        being expanded; check the run's deadline now and then on the way."""
        self._nodes += 1
        if self._nodes & 0x3FF == 0:
            deadline.check()
        if self._nodes > MAX_EXPR_NODES:
            chain = " → ".join(env.stack) or "(no define)"
            raise DesignError(f"this expression expands to more than {MAX_EXPR_NODES:,} "
                              f"nodes (defines being expanded: {chain})", e.loc,
                              hint="defines are expanded like C macros, so a define that "
                                   "uses another twice doubles its size; introduce a state "
                                   "variable or a local for the shared part")

    def cond(self, e: A.AExpr, env: Env, read: Reader | None = None) -> Expr:
        out = self.expr(e, env, read, BOOL)
        self.want(out, BOOL, e.loc, "a condition")
        return out

    def plain_read(self, name: str) -> Expr:
        return var(name, self.scope.var_types[name])

    def want(self, x: Expr, ty: Type, loc: SourceLoc, what: str) -> None:
        if not same_kind(x.type, ty):
            raise DesignError(f"type mismatch: {what} must be {type_name(ty)}, "
                              f"found {type_name(x.type)}", loc)

    # -- names and fields
    def _name(self, e: A.Name, env: Env, read: Reader, expected: Type | None) -> Expr:
        b = env.lookup(e.id)
        if isinstance(b, Thunk):
            return self._lower(b.expr, b.env, read, expected)
        if isinstance(b, Slot):
            return read(b.var)
        if b is not None:
            return b
        sc = self.scope
        if e.id in sc.fields["global"]:
            return read(e.id)
        if e.id in sc.consts:
            return sc.consts[e.id]
        if e.id == "current":
            raise DesignError("'current' is only meaningful in code that a task runs", e.loc,
                              hint="properties and scenario-independent defines take the task "
                                   "as a parameter")
        if e.id in sc.fields["task"]:
            raise DesignError(f"'{e.id}' is a per-task variable; say whose", e.loc,
                              hint=f"write current.{e.id} or t.{e.id}")
        if e.id in sc.fields["group"]:
            raise DesignError(f"'{e.id}' is a per-group variable; say whose", e.loc,
                              hint=f"write current.group.{e.id}")
        if e.id in sc.defines or e.id in sc.procedures:
            raise DesignError(f"'{e.id}' is a definition; call it with arguments", e.loc,
                              hint=f"write {e.id}(...)")
        known = [k for k, _ in env.binds] + list(sc.fields["global"]) + list(sc.consts)
        raise DesignError(f"unknown name '{e.id}'", e.loc, hint=did_you_mean(e.id, known))

    def _field(self, e: A.Field, env: Env, read: Reader) -> Expr:
        obj = self._lower(e.obj, env, read, None)
        sc = self.scope
        if obj.type == sc.enums["task"]:
            if e.field == "group":
                return self._per_owner(obj, sc.tasks, lambda t: sc.consts[sc.task_group[t]])
            if e.field not in sc.fields["task"]:
                raise DesignError(f"tasks have no field '{e.field}'", e.loc,
                                  hint=did_you_mean(e.field, list(sc.fields["task"]) + ["group"]))
            return self._per_owner(obj, sc.tasks, lambda t: read(f"{t}.{e.field}"))
        if obj.type == sc.enums["group"]:
            if e.field not in sc.fields["group"]:
                raise DesignError(f"groups have no field '{e.field}'", e.loc,
                                  hint=did_you_mean(e.field, sc.fields["group"]))
            return self._per_owner(obj, sc.groups, lambda g: read(f"{g}.{e.field}"))
        raise DesignError(f"'.{e.field}' needs a task or a group, found {type_name(obj.type)}", e.loc)

    @staticmethod
    def _per_owner(obj: Expr, owners: tuple[str, ...], get: Callable[[str], Expr]) -> Expr:
        """``obj.f`` for a task/group expression: a direct variable when ``obj`` is known,
        else a case split over the finite owners."""
        if obj.op == "const":
            return get(owners[int(obj.value)])  # type: ignore[arg-type]
        if not owners:
            raise DesignError("the scenario has no tasks or groups to choose from")
        out = get(owners[-1])
        for i in range(len(owners) - 2, -1, -1):
            out = op("ite", op("eq", obj, const(i, obj.type)), get(owners[i]), out)
        return out

    # -- calls to defines
    def _call(self, e: A.Call, env: Env, read: Reader, expected: Type | None) -> Expr:
        sc = self.scope
        d = sc.defines.get(e.func)
        if d is None and e.func in LOCK_QUERIES:
            return self._lock_query(e, env, read)
        if d is None:
            if e.func in sc.procedures:
                raise DesignError(f"procedure {e.func}() has effects and cannot be used in an "
                                  "expression", e.loc, hint="only define: entries can be called "
                                  "inside expressions")
            raise DesignError(f"unknown function '{e.func}'", e.loc,
                              hint=did_you_mean(e.func, sc.defines))
        if len(e.args) != len(d.params):
            raise DesignError(f"{e.func}() takes {len(d.params)} argument(s), got {len(e.args)}",
                              e.loc, hint=f"{e.func}({', '.join(d.params)})")
        if e.func in env.stack:
            raise DesignError(f"define {e.func} calls itself (recursion is not allowed)", e.loc)
        if len(env.stack) > 64:
            raise DesignError("definitions nest more than 64 deep", e.loc)
        binds: list[tuple[str, Binding]] = [(p, Thunk(a, env)) for p, a in zip(d.params, e.args)]
        inner = Env(tuple((k, v) for k, v in env.binds if k == "current") + tuple(binds),
                    env.stack + (e.func,))
        return self._lower(d.body, inner, read, expected)

    def _lock_query(self, e: A.Call, env: Env, read: Reader) -> Expr:
        """spin_is_locked(l), lock_held_by(l, t), lockdep_is_held(l): read a lock (its value
        is unlocked or the holding task, tlamodel.cfg_lock)."""
        want = LOCK_QUERIES[e.func]
        if len(e.args) != len(want):
            raise DesignError(f"{e.func}() takes {len(want)} argument(s), got {len(e.args)}",
                              e.loc, hint=f"{e.func}({', '.join(want)})")
        lk = self._lower(e.args[0], env, read, None)
        if lk.type != self.scope.enums["lock"]:
            raise DesignError(f"{e.func}() takes a lock, found {type_name(lk.type)}",
                              e.args[0].loc, hint="declare it with type: lock")
        if e.func == "spin_is_locked":
            return op("ne", lk, const(0, lk.type))
        who = (self._lower(e.args[1], env, read, None) if e.func == "lock_held_by" else
               self._name(A.Name("current", e.loc), env, read, None))
        task = self.scope.enums["task"]
        if who.type != task:
            raise DesignError(f"{e.func}(): the holder must be a task, found "
                              f"{type_name(who.type)}", e.args[-1].loc)
        if who.op == "const":
            return op("eq", lk, const(int(who.value) + 1, lk.type))  # type: ignore[arg-type]
        return op("or", *(op("and", op("eq", who, const(i, task)),
                              op("eq", lk, const(i + 1, lk.type)))
                          for i in range(len(task.values))))

    # -- the dispatcher
    def _lower(self, e: A.AExpr, env: Env, read: Reader, expected: Type | None) -> Expr:
        self._count(e, env)
        if isinstance(e, A.Name):
            return self._name(e, env, read, expected)
        if isinstance(e, A.IntLit):
            return const(e.value, IntType(e.value, e.value))
        if isinstance(e, A.BoolLit):
            return const(e.value, BOOL)
        if isinstance(e, A.Field):
            return self._field(e, env, read)
        if isinstance(e, A.Call):
            return self._call(e, env, read, expected)
        if isinstance(e, A.SetLit):
            return self._setlit(e, env, read, expected)
        if isinstance(e, A.Unary):
            x = self._lower(e.arg, env, read, None)
            if e.op == "!":
                self.want(x, BOOL, e.arg.loc, "the operand of '!'")
                return op("not", x)
            self._want_int(x, e.arg.loc, "the operand of unary '-'")
            return self._arith("sub", const(0, IntType(0, 0)), x)
        if isinstance(e, A.Ternary):
            c = self.cond(e.cond, env, read)
            a = self._lower(e.then, env, read, expected)
            b = self._lower(e.other, env, read, a.type)
            if not same_kind(a.type, b.type):
                raise DesignError(f"the two branches of '?:' differ: {type_name(a.type)} and "
                                  f"{type_name(b.type)}", e.loc)
            ty = a.type
            if isinstance(a.type, IntType) and isinstance(b.type, IntType):
                ty = IntType(min(a.type.lo, b.type.lo), max(a.type.hi, b.type.hi))
            return op("ite", c, a, b, ty=ty)
        if isinstance(e, A.Quant):
            return self._quant(e, env, read)
        if isinstance(e, A.Binary):
            return self._binary(e, env, read)
        raise AssertionError(e)

    def _want_int(self, x: Expr, loc: SourceLoc, what: str) -> None:
        if not isinstance(x.type, IntType):
            raise DesignError(f"type mismatch: {what} must be int, found {type_name(x.type)}", loc)

    def _arith(self, name: str, a: Expr, b: Expr) -> Expr:
        ta, tb = a.type, b.type
        assert isinstance(ta, IntType) and isinstance(tb, IntType)
        ty = (IntType(ta.lo + tb.lo, ta.hi + tb.hi) if name == "add"
              else IntType(ta.lo - tb.hi, ta.hi - tb.lo))
        return op(name, a, b, ty=ty)

    def _setlit(self, e: A.SetLit, env: Env, read: Reader, expected: Type | None) -> Expr:
        elem_ty = expected.elem if isinstance(expected, SetType) else None
        parts: list[Expr] = []
        for x in e.elems:
            v = self._lower(x, env, read, elem_ty)
            if not isinstance(v.type, EnumType):
                raise DesignError(f"set elements must be enum values (signals, tasks, ...), "
                                  f"found {type_name(v.type)}", x.loc)
            if elem_ty is not None and v.type != elem_ty:
                raise DesignError(f"type mismatch: a set({elem_ty}) cannot hold a {v.type}", x.loc)
            elem_ty = v.type
            parts.append(op("singleton", v))
        if elem_ty is None:
            raise DesignError("cannot tell the type of the empty set '{}' here", e.loc,
                              hint="compare it with a set variable, e.g. t.pending == {}")
        out = const(0, SetType(elem_ty))
        for p in parts:
            out = op("union", out, p)
        return out

    def _quant(self, e: A.Quant, env: Env, read: Reader) -> Expr:
        sc = self.scope
        if e.domain == "bool":
            values = [const(False, BOOL), const(True, BOOL)]
        elif e.domain in sc.enums:
            ty = sc.enums[e.domain]
            values = [const(i, ty) for i in range(len(ty.values))]
        else:
            raise DesignError(f"cannot quantify over '{e.domain}'", e.loc,
                              hint=did_you_mean(e.domain, sc.enums) or
                              "quantify over task, group, signal, bool or an enum")
        parts = [self.cond(e.body, env.bind([(e.var, v)]), read) for v in values]
        return op("and", *parts) if e.kind == "forall" else op("or", *parts)

    def _binary(self, e: A.Binary, env: Env, read: Reader) -> Expr:
        if e.op in ("&&", "||", "=>"):
            a = self.cond(e.left, env, read)
            b = self.cond(e.right, env, read)
            if e.op == "&&":
                return op("and", a, b)
            if e.op == "||":
                return op("or", a, b)
            return op("or", op("not", a), b)
        if e.op == "in":
            s = self._lower(e.right, env, read, None)
            if not isinstance(s.type, SetType):
                raise DesignError(f"right of 'in' must be a set, found {type_name(s.type)}",
                                  e.right.loc)
            x = self._lower(e.left, env, read, s.type.elem)
            if x.type != s.type.elem:
                raise DesignError(f"type mismatch: '{type_name(x.type)}' tested for membership "
                                  f"in a set({s.type.elem})", e.left.loc)
            return op("member", x, s)
        left_first = not (isinstance(e.left, A.SetLit) and not e.left.elems)
        if left_first:
            a = self._lower(e.left, env, read, None)
            b = self._lower(e.right, env, read, a.type)
        else:
            b = self._lower(e.right, env, read, None)
            a = self._lower(e.left, env, read, b.type)
        if not same_kind(a.type, b.type):
            raise DesignError(f"type mismatch: '{e.op}' between {type_name(a.type)} and "
                              f"{type_name(b.type)}", e.loc)
        if e.op in ("==", "!="):
            return op("eq" if e.op == "==" else "ne", a, b)
        if e.op in ("<", "<=", ">", ">="):
            if not isinstance(a.type, (IntType, EnumType)):
                raise DesignError(f"'{e.op}' compares ints or enum values, not "
                                  f"{type_name(a.type)}", e.loc)
            if e.op in (">", ">="):
                a, b = b, a
            return op("lt" if e.op in ("<", ">") else "le", a, b)
        if isinstance(a.type, IntType) and e.op in ("+", "-"):
            return self._arith("add" if e.op == "+" else "sub", a, b)
        if isinstance(a.type, SetType):
            return op({"+": "union", "-": "diff", "&": "inter"}[e.op], a, b)
        raise DesignError(f"'{e.op}' is not defined on {type_name(a.type)}", e.loc,
                          hint="+ and - work on ints and sets; & on sets")
