"""Constant folding on IR nodes.

Why in the front end: a procedure called with constant arguments (``task_work_add(T,
TWA_SIGNAL)``) must not turn ``if (notify == TWA_SIGNAL)`` into a step of the trace; the
branch is decided at compile time, as the C preprocessor and compiler would.
"""
from __future__ import annotations

from flagcheck.tlamodel.ir import BOOL, MEANING, Expr, IntType, Type, conj, const, disj, mk, neg


def is_const(e: Expr) -> bool:
    return e.op == "const"


def op(name: str, *args: Expr, ty: Type | None = None) -> Expr:
    """Build ``name(args)``, folding it when the result is known at compile time."""
    if name == "and":
        return conj(*args)
    if name == "or":
        return disj(*args)
    if name == "not":
        return neg(args[0])
    if name == "ite":
        c, a, b = args
        if is_const(c):
            return a if c.value else b
        if a == b:
            return a
        return mk("ite", c, a, b, ty=ty or a.type)
    if name in ("eq", "ne") and args[0] == args[1]:
        return const(name == "eq", BOOL)
    if all(is_const(a) for a in args) and name in MEANING:
        v = MEANING[name](*(a.value for a in args))
        out_ty = ty or mk(name, *args).type
        if isinstance(out_ty, IntType) and isinstance(v, int) and not isinstance(v, bool):
            out_ty = IntType(v, v)
        return const(v, out_ty)
    return mk(name, *args, ty=ty)
