"""Concrete evaluation of IR expressions: the reference semantics of ``tlamodel.ir``.

Why compile: the explicit engine evaluates the same few guards millions of times, so each
``Expr`` is turned once into a tree of Python closures (constants folded, the common
``var == const`` shapes specialised) instead of re-walking the dataclass tree per state.
No ``eval``/``exec``: the closures are built from ordinary lambdas, so what runs is exactly
the code below.  What each operator means is ``tlamodel.ir.MEANING`` (constants fold through
it, as in tlamodel.fold); the specialised closures below must agree with it.

Value encoding (see ir.py): bools are ``bool``, ints unbounded ``int``, enums their index,
sets an ``int`` bitmask over the element enum.
"""
from __future__ import annotations

from functools import lru_cache
from operator import itemgetter
from typing import Callable, Mapping, Union

from flagcheck.pyspec.trace import State
from flagcheck.tlamodel.ir import MEANING, Expr, Value

#: a compiled expression: state tuple -> value
Fn = Callable[[State], Value]
#: hashable form of ``Model.var_index()`` (the cache key next to the Expr)
Layout = tuple[tuple[str, int], ...]


def evaluate(expr: Expr, state: State, index: Mapping[str, int]) -> Value:
    """Value of ``expr`` in ``state`` (values in ``Model.vars`` order, ``index`` = var_index)."""
    return compile_expr(expr, index)(state)


def compile_expr(expr: Expr, index: Mapping[str, int]) -> Fn:
    """Compile ``expr`` into a closure over states laid out by ``index`` (memoised)."""
    return _compile_cached(expr, tuple(index.items()))


@lru_cache(maxsize=16384)
def _compile_cached(expr: Expr, layout: Layout) -> Fn:
    return _as_fn(_Compiler(dict(layout)).comp(expr))


# ---------------------------------------------------------------- compiler
class _Const:
    """A folded constant (kept apart from closures so parents can fold further)."""
    __slots__ = ("v",)

    def __init__(self, v: Value) -> None:
        self.v = v


class _Var:
    """A variable read, kept apart so ``x == c`` etc. compile to ``s[i] == c``."""
    __slots__ = ("pos",)

    def __init__(self, pos: int) -> None:
        self.pos = pos


Node = Union[_Const, _Var, Fn]


def _as_fn(n: Node) -> Fn:
    if isinstance(n, _Const):
        v = n.v
        return lambda s: v
    if isinstance(n, _Var):
        return itemgetter(n.pos)
    return n


class _Compiler:
    """One compilation against one variable layout; shares compiled sub-trees by identity."""

    def __init__(self, index: Mapping[str, int]) -> None:
        self.index = index
        self.memo: dict[int, Node] = {}
        self.keep: list[Expr] = []   # keep nodes alive so their ids stay unique

    def comp(self, e: Expr) -> Node:
        hit = self.memo.get(id(e))
        if hit is not None:
            return hit
        node = self._build(e)
        self.memo[id(e)] = node
        self.keep.append(e)
        return node

    def _build(self, e: Expr) -> Node:
        op = e.op
        if op == "const":
            return _Const(e.value)  # type: ignore[arg-type]
        if op == "var":
            try:
                return _Var(self.index[e.name])  # type: ignore[index]
            except KeyError:
                raise KeyError(f"IR: expression mentions unknown variable {e.name!r}") from None
        if op not in MEANING:
            raise ValueError(f"IR: unknown operator {op!r}")
        args = [self.comp(a) for a in e.args]
        if op in ("and", "or"):
            return _bool_nary(op, args)
        if op == "ite" and isinstance(args[0], _Const):
            return args[1] if args[0].v else args[2]
        if all(isinstance(a, _Const) for a in args):
            return _Const(MEANING[op](*(a.v for a in args)))  # type: ignore[union-attr]
        return _BUILDERS[op](*args)


def _bool_nary(op: str, args: list[Node]) -> Node:
    """``and``/``or``: drop neutral constants, short-circuit on absorbing ones."""
    neutral = op == "and"          # True for and, False for or
    fns: list[Fn] = []
    for a in args:
        if isinstance(a, _Const):
            if bool(a.v) != neutral:
                return _Const(not neutral)
            continue
        fns.append(_as_fn(a))
    if not fns:
        return _Const(neutral)
    if len(fns) == 1:
        return fns[0]
    if op == "and":
        if len(fns) == 2:
            a, b = fns
            return lambda s: a(s) and b(s)
        if len(fns) == 3:
            a, b, c = fns
            return lambda s: a(s) and b(s) and c(s)
        tfns = tuple(fns)

        def all_of(s: State) -> bool:
            for f in tfns:
                if not f(s):
                    return False
            return True
        return all_of
    if len(fns) == 2:
        a, b = fns
        return lambda s: a(s) or b(s)
    tfns = tuple(fns)

    def any_of(s: State) -> bool:
        for f in tfns:
            if f(s):
                return True
        return False
    return any_of


def _b_not(a: Node) -> Fn:
    if isinstance(a, _Var):
        i = a.pos
        return lambda s: not s[i]
    f = _as_fn(a)
    return lambda s: not f(s)


def _cmp(var_const: Callable[[int, Value], Fn], var_var: Callable[[int, int], Fn],
         generic: Callable[[Fn, Fn], Fn]) -> Callable[[Node, Node], Fn]:
    """Builder for a binary operator with fast paths for ``x op c``, ``c op x``, ``x op y``."""
    def build(a: Node, b: Node) -> Fn:
        if isinstance(a, _Var) and isinstance(b, _Const):
            return var_const(a.pos, b.v)
        if isinstance(a, _Var) and isinstance(b, _Var):
            return var_var(a.pos, b.pos)
        return generic(_as_fn(a), _as_fn(b))
    return build


def _sym(var_const: Callable[[int, Value], Fn], var_var: Callable[[int, int], Fn],
         generic: Callable[[Fn, Fn], Fn]) -> Callable[[Node, Node], Fn]:
    """As ``_cmp`` for a symmetric operator: ``c op x`` takes the ``x op c`` path."""
    inner = _cmp(var_const, var_var, generic)

    def build(a: Node, b: Node) -> Fn:
        if isinstance(a, _Const) and isinstance(b, _Var):
            return inner(b, a)
        return inner(a, b)
    return build


def _b_ite(c: Node, t: Node, e: Node) -> Fn:
    fc, ft, fe = _as_fn(c), _as_fn(t), _as_fn(e)
    return lambda s: ft(s) if fc(s) else fe(s)


def _b_singleton(a: Node) -> Fn:
    f = _as_fn(a)
    return lambda s: 1 << f(s)


def _b_member(e: Node, st: Node) -> Fn:
    if isinstance(e, _Const) and isinstance(st, _Var):
        i, bit = st.pos, 1 << int(e.v)  # type: ignore[arg-type]
        return lambda s: (s[i] & bit) != 0
    fe, fs = _as_fn(e), _as_fn(st)
    return lambda s: ((fs(s) >> fe(s)) & 1) == 1


def _b_diff(a: Node, b: Node) -> Fn:
    fa, fb = _as_fn(a), _as_fn(b)
    return lambda s: fa(s) & ~fb(s)


_BUILDERS: dict[str, Callable[..., Fn]] = {
    "not": _b_not,
    "eq": _sym(lambda i, c: lambda s: s[i] == c,
               lambda i, j: lambda s: s[i] == s[j],
               lambda f, g: lambda s: f(s) == g(s)),
    "ne": _sym(lambda i, c: lambda s: s[i] != c,
               lambda i, j: lambda s: s[i] != s[j],
               lambda f, g: lambda s: f(s) != g(s)),
    "lt": _cmp(lambda i, c: lambda s: s[i] < c,
               lambda i, j: lambda s: s[i] < s[j],
               lambda f, g: lambda s: f(s) < g(s)),
    "le": _cmp(lambda i, c: lambda s: s[i] <= c,
               lambda i, j: lambda s: s[i] <= s[j],
               lambda f, g: lambda s: f(s) <= g(s)),
    "add": _sym(lambda i, c: lambda s: s[i] + c,
                lambda i, j: lambda s: s[i] + s[j],
                lambda f, g: lambda s: f(s) + g(s)),
    "sub": _cmp(lambda i, c: lambda s: s[i] - c,
                lambda i, j: lambda s: s[i] - s[j],
                lambda f, g: lambda s: f(s) - g(s)),
    "ite": _b_ite,
    "union": _sym(lambda i, c: lambda s: s[i] | c,
                  lambda i, j: lambda s: s[i] | s[j],
                  lambda f, g: lambda s: f(s) | g(s)),
    "inter": _sym(lambda i, c: lambda s: s[i] & c,
                  lambda i, j: lambda s: s[i] & s[j],
                  lambda f, g: lambda s: f(s) & g(s)),
    "diff": _b_diff,
    "singleton": _b_singleton,
    "member": _b_member,
}
