"""Assignments and choices of the statement compiler (tlamodel.cfg): which variables a
target denotes, the symbolic update with its range check, and ``choose``.  A mixin, apart so
that cfg.py stays one page of control flow."""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from flagcheck.tlamodel import syntax_tree as A
from flagcheck.tlamodel.errors import DesignError, did_you_mean
from flagcheck.tlamodel.fold import op
from flagcheck.tlamodel.ir import TRUE, Expr, IntType, const
from flagcheck.tlamodel.scope import is_lock
from flagcheck.tlamodel.lower import Env, Lowerer, Slot, Thunk, same_kind, type_name

if TYPE_CHECKING:
    from flagcheck.tlamodel.cfg import Frame, Path


class AssignMixin:
    """``lvalue``, ``sym_assign`` and ``choose`` of TaskCompiler."""
    low: Lowerer

    def choose_stmt(self, s: A.Choose, p: int, q: int, frame: Frame, label: str | None) -> None:
        values, conds = self.choose_options(s, frame.env, None)
        for v, c in zip(values, conds):
            entry = self.new_pc()
            self.emit(p, entry, c, {}, [], self.info(s, frame, label, (f"{s.var} = {v[0]}",)))
            self.seq(s.body.stmts, entry, q, replace(frame, env=frame.env.bind([(s.var, v[1])])))
        if s.other is not None:
            entry = self.new_pc()
            self.emit(p, entry, op("not", op("or", *conds)), {}, [],
                      self.info(s, frame, label, ("no candidate",)))
            self.seq(s.other.stmts, entry, q, frame)

    def choose_options(self, s: A.Choose, env: Env, read: object) -> tuple[list[tuple[str, Expr]], list[Expr]]:
        sc = self.low.scope
        if s.domain not in sc.enums:
            raise DesignError(f"cannot choose from '{s.domain}'", s.loc,
                              hint=did_you_mean(s.domain, sc.enums) or "choose from task, group, "
                              "signal or an enum")
        ty = sc.enums[s.domain]
        values = [(n, const(i, ty)) for i, n in enumerate(ty.values)]
        conds = [TRUE if s.cond is None else
                 self.low.cond(s.cond, env.bind([(s.var, v)]), read)  # type: ignore[arg-type]
                 for _, v in values]
        return values, conds

    def reader(self, path):  # noqa: ANN001, ANN201 - provided by TaskCompiler
        raise NotImplementedError

    def lvalue(self, target: A.AExpr, env: Env, read) -> list[tuple[str, Expr]]:  # noqa: ANN001
        """The variables an assignment target may denote, each with the condition under
        which it is the one written (a case split when the owner is not known statically)."""
        sc = self.low.scope
        if isinstance(target, A.Name):
            b = env.lookup(target.id)
            if isinstance(b, Thunk):
                return self.lvalue(b.expr, b.env, read)
            if isinstance(b, Slot):
                return [(b.var, TRUE)]
            if b is None and target.id in sc.fields["global"]:
                return [(target.id, TRUE)]
            if b is None and target.id in sc.fields["task"]:
                raise DesignError(f"'{target.id}' is a per-task variable; say whose", target.loc,
                                  hint=f"write current.{target.id} = ...")
            raise DesignError(f"cannot assign to '{target.id}'", target.loc,
                              hint=did_you_mean(target.id, sc.fields["global"]) or
                              "only state variables can be assigned")
        if isinstance(target, A.Field):
            obj = self.low.expr(target.obj, env, read)
            if obj.type == sc.enums["task"]:
                owners, kind = sc.tasks, "task"
            elif obj.type == sc.enums["group"]:
                owners, kind = sc.groups, "group"
            else:
                raise DesignError(f"'.{target.field}' needs a task or a group", target.loc)
            if target.field not in sc.fields[kind]:
                raise DesignError(f"{kind}s have no field '{target.field}'", target.loc,
                                  hint=did_you_mean(target.field, sc.fields[kind]))
            if obj.op == "const":
                return [(f"{owners[int(obj.value)]}.{target.field}", TRUE)]  # type: ignore[arg-type]
            return [(f"{o}.{target.field}", op("eq", obj, const(i, obj.type)))
                    for i, o in enumerate(owners)]
        raise DesignError("the left side of an assignment must be a variable", target.loc)

    def sym_assign(self, s: A.Assign, path: Path, frame: Frame) -> None:
        read = self.reader(path)
        targets = self.lvalue(s.target, frame.env, read)
        types = self.low.scope.var_types
        ty = types[targets[0][0]]
        if is_lock(ty):
            raise DesignError(f"a lock changes only by spin_lock() and spin_unlock(), not by "
                              f"'{s.op}'", s.loc, hint=f"spin_lock({targets[0][0].split('.')[-1]})")
        rhs = self.low.expr(s.value, frame.env, read, ty)
        if s.op != "=":
            if not isinstance(ty, IntType) or not isinstance(rhs.type, IntType):
                raise DesignError(f"'{s.op}' needs an int on both sides, found "
                                  f"{type_name(ty)} and {type_name(rhs.type)}", s.loc,
                                  hint="for sets write x = x + {A}")
        elif not same_kind(ty, rhs.type):
            raise DesignError(f"type mismatch: cannot assign {type_name(rhs.type)} to "
                              f"{type_name(ty)} variable", s.loc)
        updates: dict[str, Expr] = {}
        typed = getattr(self.low.scope, "task_work_queue", None) is not None and \
            targets[0][0].endswith(".task_works")
        if typed and not (s.op in ("+=", "-=") and rhs.op == "const" and rhs.value == 1):
            raise DesignError("with typed task_work (tlamodel.cfg_taskwork), task_works "
                              "changes only by += 1 and -= 1", s.loc)
        for name, when in targets:
            old = read(name)
            val = rhs if s.op == "=" else self.low._arith("add" if s.op == "+=" else "sub", old, rhs)
            if isinstance(ty, IntType) and isinstance(val.type, IntType) and not (
                    ty.lo <= val.type.lo and val.type.hi <= ty.hi):
                bad = op("or", op("lt", val, const(ty.lo, IntType(ty.lo, ty.lo))),
                         op("lt", const(ty.hi, IntType(ty.hi, ty.hi)), val))
                bad = op("and", when, bad)
                if not (bad.op == "const" and not bad.value):
                    path.errors.append((bad, f"value out of range {ty.lo}..{ty.hi} for {name}: "
                                             f"{s.text} ({s.loc})"))
                val = op("ite", bad, old, val, ty=ty)
            if val.type != ty and isinstance(ty, IntType):
                val = replace(val, type=ty) if val.op != "const" else const(val.value, ty)  # type: ignore[arg-type]
            updates[name] = op("ite", when, val, old, ty=ty)
            if typed and s.op == "-=":   # taking a work pops the typed queue's head
                updates.update(self.pop_updates(  # type: ignore[attr-defined]
                    name, op("and", when, op("lt", const(0, ty), old)), read))
        path.sigma.update(updates)
