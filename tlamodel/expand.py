"""Write parameters, task-array indices and ``repeat`` out of the code of one file.

Why at read time: a parameter is a constant of the file that declares it, so once its
value is known (the file's ``params:`` default or ``--param``) the code can be rewritten
into the language every later stage already knows: ``N`` becomes a number, ``A[k]`` the
task name ``A[k]`` (k evaluated), ``repeat`` a block written out k times.  Scoping,
lowering, the reduction, every engine and both exporters then see an ordinary model, and
a parameterised file with N = k is the same model as a hand-written k-copy.

What is a constant here: numbers, parameters, the index of a task array's element (``i``
in its own code) and of an indexed ``repeat``, combined with ``+`` and ``-``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Mapping

from flagcheck.tlamodel import syntax_tree as A
from flagcheck.tlamodel.errors import MAX_INT_LITERAL, DesignError, did_you_mean
from flagcheck.tlamodel.ir import SourceLoc
from flagcheck.tlamodel.syntax import CodeRef, parse_expr

#: a repeat may write its block out at most this many times (a typo such as 1000000
#: should be refused, not inlined until the statement limit trips much later)
MAX_REPEAT = 10_000
_INT = re.compile(r"-?\s*[0-9]+")


def element(array: str, k: int) -> str:
    """The task name of element ``k`` of task array ``array``: ``A[2]``."""
    return f"{array}[{k}]"


@dataclass(frozen=True)
class Expander:
    """The constants visible to one piece of code: the file's parameters, and the indices
    bound around it (an array element's ``i``, a ``repeat``'s variable).  ``arrays`` are the
    file's task arrays with their index ranges, to refuse ``A[k]`` outside them."""
    params: Mapping[str, int]
    bound: tuple[tuple[str, int], ...] = ()
    arrays: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    def with_index(self, name: str, value: int) -> "Expander":
        return replace(self, bound=self.bound + ((name, value),))

    def lookup(self, name: str) -> int | None:
        for n, v in reversed(self.bound):
            if n == name:
                return v
        return self.params.get(name)

    # ------------------------------------------------------------ constants
    def const(self, e: A.AExpr, what: str) -> int:
        """``e`` evaluated now: numbers, parameters and indices with ``+``/``-``."""
        if isinstance(e, A.IntLit):
            return e.value
        if isinstance(e, A.Name):
            v = self.lookup(e.id)
            if v is None:
                known = [*self.params, *(n for n, _ in self.bound)]
                raise DesignError(f"unknown parameter '{e.id}' in {what}", e.loc,
                                  hint=did_you_mean(e.id, known) or
                                  f"declare it in this file (params: {{{e.id}: 2}}); {what} is "
                                  "a constant: numbers and parameters with + and -")
            return v
        if isinstance(e, A.Unary) and e.op == "-":
            return self._fits(-self.const(e.arg, what), e.loc, what)
        if isinstance(e, A.Binary) and e.op in ("+", "-"):
            a, b = self.const(e.left, what), self.const(e.right, what)
            return self._fits(a + b if e.op == "+" else a - b, e.loc, what)
        raise DesignError(f"{what} must be a constant: numbers and parameters with + and -",
                          e.loc, hint="e.g. N, N - 1, 2 + K")

    @staticmethod
    def _fits(v: int, loc: SourceLoc, what: str) -> int:
        if abs(v) > MAX_INT_LITERAL:
            raise DesignError(f"{what} is {v}, outside ±{MAX_INT_LITERAL}", loc)
        return v

    def element_name(self, e: A.Index) -> str:
        k = self.const(e.index, f"the index of {e.array}[...]")
        rng = self.arrays.get(e.array)
        if rng is not None and not rng[0] <= k <= rng[1]:
            raise DesignError(f"{element(e.array, k)} is not a task of the array "
                              f"{e.array}[{rng[0]}..{rng[1]}]", e.loc)
        return element(e.array, k)

    # ------------------------------------------------------------ expressions
    def expr(self, e: A.AExpr) -> A.AExpr:
        if isinstance(e, A.Name):
            v = self.lookup(e.id)
            return e if v is None else A.IntLit(v, e.loc)
        if isinstance(e, A.Index):
            return A.Name(self.element_name(e), e.loc)
        if isinstance(e, (A.IntLit, A.BoolLit)):
            return e
        if isinstance(e, A.SetLit):
            return replace(e, elems=tuple(self.expr(x) for x in e.elems))
        if isinstance(e, A.Call):
            return replace(e, args=tuple(self.expr(x) for x in e.args))
        if isinstance(e, A.Field):
            return replace(e, obj=self.expr(e.obj))
        if isinstance(e, A.Unary):
            return replace(e, arg=self.expr(e.arg))
        if isinstance(e, A.Binary):
            return replace(e, left=self.expr(e.left), right=self.expr(e.right))
        if isinstance(e, A.Ternary):
            return replace(e, cond=self.expr(e.cond), then=self.expr(e.then),
                           other=self.expr(e.other))
        if isinstance(e, A.Quant):
            self.binder(e.var, e.loc, "a quantifier variable")
            return replace(e, body=self.expr(e.body))
        raise AssertionError(type(e).__name__)

    def opt(self, e: A.AExpr | None) -> A.AExpr | None:
        return None if e is None else self.expr(e)

    def binder(self, name: str, loc: SourceLoc, what: str) -> None:
        """A name the code binds may not hide a constant: ``N`` would silently mean two
        things in one file (the parameter here, the local there)."""
        if self.lookup(name) is not None:
            kind = "a parameter" if name in self.params else "an index"
            raise DesignError(f"{what} cannot be named '{name}': '{name}' is {kind} here", loc,
                              hint="rename one of them")

    # ------------------------------------------------------------ statements
    def stmts(self, body: tuple[A.Stmt, ...]) -> tuple[A.Stmt, ...]:
        return tuple(self.stmt(s) for s in body)

    def block(self, b: A.Block) -> A.Block:
        return replace(b, stmts=self.stmts(b.stmts))

    def stmt(self, s: A.Stmt) -> A.Stmt:
        if isinstance(s, A.Repeat):
            return self.repeat(s)
        if isinstance(s, A.Assign):
            return replace(s, target=self.expr(s.target), value=self.expr(s.value))
        if isinstance(s, A.CallStmt):
            return replace(s, args=tuple(self.expr(x) for x in s.args))
        if isinstance(s, A.If):
            return replace(s, cond=self.expr(s.cond), then=self.block(s.then),
                           other=None if s.other is None else self.stmt(s.other))
        if isinstance(s, A.While):
            return replace(s, cond=self.expr(s.cond), body=self.block(s.body))
        if isinstance(s, A.Atomic):
            return replace(s, body=self.block(s.body))
        if isinstance(s, (A.Await, A.Assert)):
            return replace(s, cond=self.expr(s.cond))
        if isinstance(s, A.Either):
            return replace(s, branches=tuple(self.block(b) for b in s.branches))
        if isinstance(s, A.Choose):
            self.binder(s.var, s.loc, "a choose variable")
            return replace(s, cond=self.opt(s.cond), body=self.block(s.body),
                           other=None if s.other is None else self.block(s.other))
        if isinstance(s, A.Jump):
            return replace(s, value=self.opt(s.value))
        if isinstance(s, A.Local):
            self.binder(s.name, s.loc, "a local")
            return replace(s, type_text=self.type_text(s.type_text, s.loc),
                           init=self.opt(s.init))
        if isinstance(s, A.Labeled):
            return replace(s, stmt=self.stmt(s.stmt))
        if isinstance(s, A.Block):
            return self.block(s)
        raise AssertionError(type(s).__name__)

    def repeat(self, s: A.Repeat) -> A.Block:
        """The block written out once per iteration, as one Block (no step of its own)."""
        if s.var is None:
            n = self.const(s.first, "the repeat count")
            if n < 0:
                raise DesignError(f"the repeat count is {n}; it must be 0 or more", s.first.loc)
            runs = [self] * n
        else:
            self.binder(s.var, s.loc, "a repeat variable")
            lo = self.const(s.first, "the repeat range")
            hi = self.const(s.last, "the repeat range") if s.last is not None else lo
            if hi < lo - 1:
                raise DesignError(f"bad repeat range {lo}..{hi}", s.first.loc,
                                  hint="write lo..hi with lo <= hi (lo = hi + 1: no iteration)")
            runs = [self.with_index(s.var, k) for k in range(lo, hi + 1)]
        if len(runs) > MAX_REPEAT:
            raise DesignError(f"repeat writes its block out {len(runs)} times; at most "
                              f"{MAX_REPEAT}", s.loc)
        out: list[A.Stmt] = []
        for x in runs:
            out.extend(x.block(s.body).stmts)
        return A.Block(tuple(out), s.loc, s.text)

    # ------------------------------------------------------------ types
    def type_text(self, text: str, loc: SourceLoc) -> str:
        """``lo..hi`` with parameters in a bound written as numbers (``0..N`` -> ``0..3``);
        any other type text is returned as it is."""
        lo, dots, hi = text.partition("..")
        if not dots or (_INT.fullmatch(lo.strip()) and _INT.fullmatch(hi.strip())):
            return text
        ref = CodeRef(loc.file, loc.line, loc.col)
        a = self.const(parse_expr(lo, ref, "a range bound"), "a range bound")
        ref_hi = CodeRef(loc.file, loc.line, loc.col + len(lo) + 2)
        b = self.const(parse_expr(hi, ref_hi, "a range bound"), "a range bound")
        return f"{a}..{b}"
