"""Locals, results and calls in expressions, for the statement compiler (tlamodel.cfg).

A mixin of TaskCompiler: ``local`` declarations, ``return expr;`` and the procedure calls
hoisted out of an expression, both as steps (``declare``, ``return_stmt``, ``run_calls``)
and inside an atomic block (``sym_value``, ``sym_calls``).  The representation -- one slot
variable per declaration, reset when dead -- is explained in tlamodel.cfg_locals.
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from flagcheck.tlamodel import syntax_tree as A
from flagcheck.tlamodel.cfg_locals import Slots, ends_in_return, names_in
from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.ir import EnumType, Expr, IntType, SourceLoc, Type, const
from flagcheck.tlamodel.lower import Lowerer, Slot, same_kind, type_name
from flagcheck.tlamodel.records import ProcSpec
from flagcheck.tlamodel.scope import default_value, parse_type

if TYPE_CHECKING:
    from flagcheck.tlamodel.cfg import Frame, Path

#: the name ``return expr;`` assigns through (``__`` names are reserved for flagcheck)
RESULT = "__result"


class DeclMixin:
    """``local``, ``return expr;`` and calls in expressions (see the module docstring)."""
    low: Lowerer
    task: str
    slots: Slots
    births: dict[int, list[tuple[str, Expr]]]
    alias: dict[int, Any]
    frames: dict[int, "Frame"]

    # provided by TaskCompiler
    def new_pc(self) -> int: raise NotImplementedError  # noqa: E704
    def inline(self, s: A.CallStmt, frame: "Frame", ret: Any,  # noqa: E704
               ret_var: str | None = None) -> tuple["Frame", tuple[A.Stmt, ...]]: raise NotImplementedError
    def seq(self, stmts: tuple[A.Stmt, ...], p: int, q: int, frame: "Frame") -> None: raise NotImplementedError  # noqa: E704
    def stmt(self, s: A.Stmt, p: int, q: int, frame: "Frame", label: str | None) -> Any: raise NotImplementedError  # noqa: E704
    def sym_seq(self, stmts: tuple[A.Stmt, ...], paths: list["Path"], frame: "Frame", atomic: bool) -> list["Path"]: raise NotImplementedError  # noqa: E704
    def sym_assign(self, s: A.Assign, path: "Path", frame: "Frame") -> None: raise NotImplementedError  # noqa: E704
    def jump_target(self, s: A.Jump, frame: "Frame") -> Any: raise NotImplementedError  # noqa: E704

    # ------------------------------------------------------------ types
    def result_type(self, proc: ProcSpec) -> Type | None:
        """The type a procedure declared ``-> TYPE`` returns; its body must end in return."""
        if proc.ret_type is None:
            return None
        ty = self._value_type(proc.ret_type, proc.loc, f"{proc.name}()'s result")
        if not ends_in_return(proc.body):
            raise DesignError(f"procedure {proc.name}() -> {proc.ret_type} can reach its end "
                              "without 'return expr;'", proc.loc,
                              hint="end every path with return <value>;")
        return ty

    def _value_type(self, text: str, loc: SourceLoc, what: str) -> Type:
        sc = self.low.scope
        ty = parse_type(text, sc.enums, loc)
        if isinstance(ty, EnumType) and ty.name == "lock":
            raise DesignError(f"{what} cannot be a lock", loc,
                              hint="locks are state variables, taken with spin_lock()")
        return ty

    def _checked(self, x: Expr, ty: Type, loc: SourceLoc, what: str) -> Expr:
        """``x`` as a value of type ``ty``; a constant must lie in ``ty``'s range."""
        if not same_kind(ty, x.type):
            raise DesignError(f"type mismatch: {what} is {type_name(ty)}, the value is "
                              f"{type_name(x.type)}", loc)
        if x.op == "const" and isinstance(ty, IntType):
            if not ty.lo <= int(x.value) <= ty.hi:  # type: ignore[arg-type]
                raise DesignError(f"{what}: value {x.value} is outside {ty.lo}..{ty.hi}", loc)
            return const(x.value, ty)  # type: ignore[arg-type]
        return x

    # ------------------------------------------------------------ local declarations
    def local_frame(self, s: A.Local, frame: "Frame") -> "Frame":
        """The frame in which the rest of the block sees ``s``'s local."""
        sc = self.low.scope
        if s.name.startswith("__") or s.name == "current":
            raise DesignError(f"'{s.name}' is reserved and cannot name a local", s.loc)
        if frame.env.lookup(s.name) is not None:
            raise DesignError(f"local '{s.name}' is already declared here (a parameter, a "
                              "bound name or another local)", s.loc, hint="pick another name")
        if s.name in sc.fields["global"] or s.name in sc.consts:
            what = "global variable" if s.name in sc.fields["global"] else "value"
            raise DesignError(f"local '{s.name}' has the name of a {what}", s.loc,
                              hint="pick another name: the local would hide it")
        if s.name in names_in(s.init, set()):
            raise DesignError(f"local '{s.name}' is read in its own initial value", s.loc)
        ty = self._value_type(s.type_text, s.loc, f"local '{s.name}'")
        where = frame.stack[-1] if frame.stack else "run"
        var = self.slots.slot(s.loc, f"{where}.{s.name}", ty)
        return replace(frame, env=frame.env.bind([(s.name, Slot(var, ty))]))

    def declare(self, s: A.Local, p: int, q: int, frame: "Frame", label: str | None) -> "Frame":
        """``local x: T = e;`` as a step (``e`` reads the state) or as the birth of the
        slot's value on the way through p (no init, or a constant)."""
        inner = self.local_frame(s, frame)
        slot = inner.env.lookup(s.name)
        assert isinstance(slot, Slot)
        x = None if s.init is None else self._checked(
            self.low.expr(s.init, frame.env, None, slot.type), slot.type, s.loc,
            f"local '{s.name}'")
        if x is None or x.op == "const":
            value = const(default_value(slot.type), slot.type) if x is None else x
            self.births.setdefault(p, []).append((slot.var, value))
            self.alias[p] = q
        else:
            self.stmt(A.Assign(A.Name(s.name, s.loc), "=", s.init, s.loc, s.text),  # type: ignore[arg-type]
                      p, q, inner, label)
        return inner

    # ------------------------------------------------------------ return
    def check_return(self, s: A.Jump, frame: "Frame") -> None:
        where = f"{frame.stack[-1]}()" if frame.stack else "a task's code"
        if s.value is None and frame.returns is not None:
            raise DesignError(f"{where} returns a {type_name(frame.returns)}: write "
                              "'return <value>;'", s.loc)
        if s.value is not None and frame.returns is None:
            raise DesignError(f"'return <value>;' in {where}, which returns nothing", s.loc,
                              hint="declare the result type: name(params) -> bool"
                              if frame.stack else "a task's code has no caller to return to")

    def return_stmt(self, s: A.Jump, p: int, frame: "Frame", label: str | None) -> None:
        self.check_return(s, frame)
        dst = self.jump_target(s, frame)
        if s.value is None or frame.ret_var is None:     # nothing to give back, or dropped
            self.alias[p] = dst
            return
        assert frame.returns is not None
        x = self._checked(self.low.expr(s.value, frame.env, None, frame.returns),
                          frame.returns, s.loc, f"the result of {frame.stack[-1]}()")
        if x.op == "const":
            self.births.setdefault(p, []).append((frame.ret_var, x))
            self.alias[p] = dst
            return
        self.stmt(A.Assign(A.Name(RESULT, s.loc), "=", s.value, s.loc, s.text), p, dst,
                  self._result_frame(frame), label)

    def _result_frame(self, frame: "Frame") -> "Frame":
        assert frame.ret_var is not None and frame.returns is not None
        return replace(frame, env=frame.env.bind([(RESULT, Slot(frame.ret_var, frame.returns))]))

    # ------------------------------------------------------------ inside atomic
    def sym_value(self, s: A.Local | A.Jump, path: "Path", frame: "Frame") -> None:
        """A declaration or ``return expr;`` inside an atomic block: write the slot."""
        if isinstance(s, A.Local):
            slot = frame.env.lookup(s.name)
            assert isinstance(slot, Slot)
            if s.init is None:
                path.sigma[slot.var] = const(default_value(slot.type), slot.type)
            else:
                self.sym_assign(A.Assign(A.Name(s.name, s.loc), "=", s.init, s.loc, s.text),  # type: ignore[arg-type]
                                path, frame)
            return
        self.check_return(s, frame)
        if frame.ret_var is not None:
            self.sym_assign(A.Assign(A.Name(RESULT, s.loc), "=", s.value, s.loc, s.text),  # type: ignore[arg-type]
                            path, self._result_frame(frame))
        path.exit = frame.ret

    # ------------------------------------------------------------ calls in expressions
    def _callee(self, call: A.CallStmt, frame: "Frame", ret: Any) -> tuple["Frame", tuple[A.Stmt, ...]]:
        callee, body = self.inline(call, frame, ret)
        if callee.returns is None:
            raise DesignError(f"procedure {call.func}() returns no value, so it cannot be used "
                              "in an expression", call.loc, hint=f"declare it as {call.func}"
                              "(...) -> TYPE and end it with return <value>;")
        field = f"{call.func}()@{call.loc.line}:{call.loc.col}"
        callee.ret_var = self.slots.slot(call.loc, field, callee.returns)
        return callee, body

    def run_calls(self, calls: list[tuple[str, A.CallStmt]], p: int,
                  frame: "Frame") -> tuple[int, "Frame"]:
        """Run the hoisted calls as steps from p; the point after them, and the frame in
        which the statement reads their results."""
        for binder, call in calls:
            nxt = self.new_pc()
            callee, body = self._callee(call, frame, nxt)
            self.seq(body, p, nxt, callee)
            frame = replace(frame, env=frame.env.bind(
                [(binder, Slot(callee.ret_var, callee.returns))]))  # type: ignore[arg-type]
            p = nxt
        return p, frame

    def sym_calls(self, calls: list[tuple[str, A.CallStmt]], path: "Path",
                  frame: "Frame") -> tuple[list["Path"], "Frame"]:
        """The hoisted calls inside an atomic block, on every path."""
        paths = [path]
        for binder, call in calls:
            token = ("ret", len(self.frames))
            callee, body = self._callee(call, frame, token)
            done = [pp for pp in paths if pp.exit is not None]
            paths = done + self.sym_seq(body, [pp for pp in paths if pp.exit is None],
                                        callee, True)
            for pp in paths:
                if pp.exit == token:
                    pp.exit = None
            frame = replace(frame, env=frame.env.bind(
                [(binder, Slot(callee.ret_var, callee.returns))]))  # type: ignore[arg-type]
        return paths, frame

