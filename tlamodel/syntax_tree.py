"""Syntax trees of the C-like code in design files (before names are resolved).

Every node carries its SourceLoc so that type errors, unknown names and run-time
failures point at the design author's own text.  Statements also keep their source
text: that is what a counterexample trace prints for the step.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from flagcheck.tlamodel.ir import SourceLoc


# ---------------------------------------------------------------- expressions
@dataclass(frozen=True)
class Name:
    id: str
    loc: SourceLoc


@dataclass(frozen=True)
class IntLit:
    value: int
    loc: SourceLoc


@dataclass(frozen=True)
class BoolLit:
    value: bool
    loc: SourceLoc


@dataclass(frozen=True)
class SetLit:
    elems: tuple["AExpr", ...]
    loc: SourceLoc


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple["AExpr", ...]
    loc: SourceLoc


@dataclass(frozen=True)
class Field:
    obj: "AExpr"
    field: str
    loc: SourceLoc


@dataclass(frozen=True)
class Unary:
    op: str          # "!" or "-"
    arg: "AExpr"
    loc: SourceLoc


@dataclass(frozen=True)
class Binary:
    op: str          # && || => == != < <= > >= + - & in
    left: "AExpr"
    right: "AExpr"
    loc: SourceLoc


@dataclass(frozen=True)
class Ternary:
    cond: "AExpr"
    then: "AExpr"
    other: "AExpr"
    loc: SourceLoc


@dataclass(frozen=True)
class Quant:
    kind: str        # forall / exists
    var: str
    domain: str
    body: "AExpr"
    loc: SourceLoc


@dataclass(frozen=True)
class Index:
    """``A[expr]``: an element of a scenario's task array.  Only the reader sees it:
    tlamodel.params evaluates the index (a constant) and leaves ``Name("A[k]")``."""
    array: str
    index: "AExpr"
    loc: SourceLoc


AExpr = Union[Name, IntLit, BoolLit, SetLit, Call, Field, Unary, Binary, Ternary, Quant, Index]


def operands(e: AExpr) -> tuple[AExpr, ...]:
    """The expressions nested directly in ``e``, in source order (a call's arguments, not
    its name; a quantifier's body, not its domain, which is a name).  The one description
    of the expression tree's shape for walks that only read it (tlamodel.usage,
    tlamodel.cfg_locals)."""
    if isinstance(e, Call):
        return e.args
    if isinstance(e, SetLit):
        return e.elems
    if isinstance(e, Field):
        return (e.obj,)
    if isinstance(e, Unary):
        return (e.arg,)
    if isinstance(e, Binary):
        return (e.left, e.right)
    if isinstance(e, Ternary):
        return (e.cond, e.then, e.other)
    if isinstance(e, Quant):
        return (e.body,)
    if isinstance(e, Index):
        return (e.index,)
    return ()


# ---------------------------------------------------------------- statements
@dataclass(frozen=True)
class Assign:
    target: AExpr    # Name or Field
    op: str          # = += -=
    value: AExpr
    loc: SourceLoc
    text: str


@dataclass(frozen=True)
class CallStmt:
    func: str
    args: tuple[AExpr, ...]
    loc: SourceLoc
    text: str


@dataclass(frozen=True)
class If:
    cond: AExpr
    then: "Block"
    other: "Stmt | None"
    loc: SourceLoc
    text: str


@dataclass(frozen=True)
class While:
    cond: AExpr
    body: "Block"
    loc: SourceLoc
    text: str


@dataclass(frozen=True)
class Atomic:
    body: "Block"
    loc: SourceLoc
    text: str


@dataclass(frozen=True)
class Await:
    cond: AExpr
    loc: SourceLoc
    text: str


@dataclass(frozen=True)
class Either:
    branches: tuple["Block", ...]
    loc: SourceLoc
    text: str


@dataclass(frozen=True)
class Choose:
    var: str
    domain: str
    cond: AExpr | None
    body: "Block"
    other: "Block | None"
    loc: SourceLoc
    text: str


@dataclass(frozen=True)
class Assert:
    cond: AExpr
    loc: SourceLoc
    text: str


@dataclass(frozen=True)
class Jump:
    kind: str        # return / break / continue / goto / skip
    target: str | None
    loc: SourceLoc
    text: str
    #: ``return expr;``: the value a procedure declared ``name(...) -> TYPE`` returns
    value: "AExpr | None" = None


@dataclass(frozen=True)
class Local:
    """``local name: TYPE = init;``: a variable of the enclosing block (tlamodel.cfg_locals
    says how it is kept out of the state when it is dead)."""
    name: str
    type_text: str
    init: AExpr | None
    loc: SourceLoc
    text: str


@dataclass(frozen=True)
class Repeat:
    """``repeat (count) { ... }`` or ``repeat (k: lo..hi) { ... }``: the block written
    out ``count`` times (or once per k, k a constant in it).  Only the reader sees it:
    tlamodel.params unrolls it into a Block, so no later stage knows loops of this kind."""
    var: str | None
    first: "AExpr"       # the count, or lo when ``var`` is given
    last: "AExpr | None"  # hi when ``var`` is given
    body: "Block"
    loc: SourceLoc
    text: str


@dataclass(frozen=True)
class Labeled:
    label: str
    stmt: "Stmt"
    loc: SourceLoc
    text: str


@dataclass(frozen=True)
class Block:
    stmts: tuple["Stmt", ...]
    loc: SourceLoc
    text: str


Stmt = Union[Assign, CallStmt, If, While, Atomic, Await, Either, Choose, Assert, Jump,
             Labeled, Block, Local, Repeat]
