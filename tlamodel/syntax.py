"""Parse the C-like code of design files with lark into tlamodel.syntax_tree trees.

Why lark: a real LALR grammar gives exact positions and "expected one of" messages for
free, and nothing in a design file is ever evaluated by Python.  Code sits inside YAML
scalars, so ``CodeRef`` maps positions inside the scalar back to the YAML file.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from flagcheck.tlamodel import syntax_tree as A
from flagcheck.tlamodel.errors import DesignError, checked_int
from flagcheck.tlamodel.ir import SourceLoc


@dataclass(frozen=True)
class CodeRef:
    """Where a code string sits in its YAML file.

    ``block`` scalars (``|``) start on the line after the indicator; every line is indented
    by ``indent`` columns.  Inline scalars start at ``line``:``col``.
    """
    file: str
    line: int
    col: int
    block: bool = False
    indent: int = 0

    def loc(self, line: int, column: int) -> SourceLoc:
        if self.block:
            return SourceLoc(self.file, self.line + line - 1, self.indent + column)
        if line == 1:
            return SourceLoc(self.file, self.line, self.col + column - 1)
        return SourceLoc(self.file, self.line + line - 1, column)


@lru_cache(maxsize=1)
def _parser() -> Lark:
    text = resources.files("flagcheck.tlamodel").joinpath("grammar.lark").read_text()
    return Lark(text, parser="lalr", start=["start", "expr_start"], propagate_positions=True,
                maybe_placeholders=True)


_TERMINALS = {
    "SEMICOLON": "';'", "RPAR": "')'", "LPAR": "'('", "LBRACE": "'{'", "RBRACE": "'}'",
    "COLON": "':'", "COMMA": "','", "DOT": "'.'", "NAME": "a name", "INT": "a number",
    "ASSIGNOP": "'=', '+=' or '-='", "CMPOP": "a comparison", "ADDOP": "'+', '-' or '&'",
    "QMARK": "'?'", "$END": "end of text", "BANG": "'!'", "MINUS": "'-'",
    "LSQB": "'['", "RSQB": "']'",
}


def _friendly(expected: set[str]) -> str:
    names = sorted({_TERMINALS.get(t, repr(t.strip('"').lower()) if t.isupper() is False
                    else _TERMINALS.get(t, t.lower())) for t in expected})
    if len(names) > 8:
        names = names[:8] + ["..."]
    return ", ".join(names)


def _syntax_error(e: UnexpectedInput, ref: CodeRef, what: str) -> DesignError:
    loc = ref.loc(getattr(e, "line", 1) or 1, getattr(e, "column", 1) or 1)
    if isinstance(e, UnexpectedToken):
        tok = e.token
        got = "end of text" if tok.type == "$END" else repr(str(tok))
        exp = _friendly(set(e.expected))
        return DesignError(f"syntax error in {what}: unexpected {got}", loc,
                           hint=f"expected {exp}" if exp else "")
    if isinstance(e, UnexpectedCharacters):
        return DesignError(f"syntax error in {what}: unexpected character {e.char!r}", loc,
                           hint="statements end with ';', blocks use { }")
    if isinstance(e, UnexpectedEOF):
        return DesignError(f"syntax error in {what}: unexpected end of text", loc,
                           hint=f"expected {_friendly(set(e.expected))}")
    return DesignError(f"syntax error in {what}", loc)


def parse_code(text: str, ref: CodeRef, what: str = "code") -> tuple[A.Stmt, ...]:
    """Parse a statement list (a procedure body or a task's run code)."""
    tree = _parse(text, ref, what, "start")
    return tuple(_Builder(text, ref).stmt(c) for c in tree.children)


def parse_expr(text: str, ref: CodeRef, what: str = "expression") -> A.AExpr:
    return _Builder(text, ref).expr(_parse(text, ref, what, "expr_start").children[0])


def _parse(text: str, ref: CodeRef, what: str, start: str) -> Tree:
    """The parse tree from rule ``start``; every failure is a DesignError pointing into the file."""
    try:
        return _parser().parse(text, start=start)
    except UnexpectedInput as e:
        raise _syntax_error(e, ref, what) from None
    except RecursionError:
        raise DesignError(f"{what} is nested too deeply", ref.loc(1, 1)) from None


_WS = re.compile(r"\s+")
_COMMENT = re.compile(r"(#|//)[^\n]*")


class _Builder:
    """lark tree -> tlamodel.syntax_tree, with file positions and statement texts."""

    def __init__(self, text: str, ref: CodeRef) -> None:
        self.text = text
        self.ref = ref

    def loc(self, node: Tree | Token) -> SourceLoc:
        if isinstance(node, Token):
            return self.ref.loc(node.line or 1, node.column or 1)
        return self.ref.loc(node.meta.line, node.meta.column)

    def src(self, node: Tree, header: bool = False) -> str:
        s = _COMMENT.sub("", self.text[node.meta.start_pos:node.meta.end_pos])
        if header:
            brace = s.find("{")
            if brace > 0:
                s = s[:brace]
        # whole: traces carry the statement verbatim; reports abbreviate it for display
        return _WS.sub(" ", s).strip()

    # -- statements
    def block(self, t: Tree) -> A.Block:
        return A.Block(tuple(self.stmt(c) for c in t.children), self.loc(t), self.src(t, True))

    def stmt(self, t: Tree) -> A.Stmt:
        k, ch, loc = t.data, t.children, self.loc(t)
        if k == "labeled":
            inner = self.stmt(ch[1])
            return A.Labeled(str(ch[0]), inner, loc, f"{ch[0]}: {getattr(inner, 'text', '')}")
        if k == "assign":
            target = self._lvalue(ch[0])
            return A.Assign(target, str(ch[1]), self.expr(ch[2]), loc, self.src(t))
        if k == "callstmt":
            args = tuple(self.expr(a) for a in ch[1].children) if ch[1] is not None else ()
            return A.CallStmt(str(ch[0]), args, loc, self.src(t))
        if k == "ifstmt":
            other = None
            if ch[2] is not None:
                other = self.block(ch[2]) if ch[2].data == "block" else self.stmt(ch[2])
            return A.If(self.expr(ch[0]), self.block(ch[1]), other, loc, self.src(t, True))
        if k == "whilestmt":
            return A.While(self.expr(ch[0]), self.block(ch[1]), loc, self.src(t, True))
        if k == "atomicstmt":
            return A.Atomic(self.block(ch[0]), loc, "atomic")
        if k == "awaitstmt":
            return A.Await(self.expr(ch[0]), loc, self.src(t))
        if k == "eitherstmt":
            return A.Either(tuple(self.block(b) for b in ch), loc, "either")
        if k == "choosestmt":
            cond = self.expr(ch[2]) if ch[2] is not None else None
            other = self.block(ch[4]) if ch[4] is not None else None
            return A.Choose(str(ch[0]), str(ch[1]), cond, self.block(ch[3]), other, loc,
                            self.src(t, True))
        if k == "assertstmt":
            return A.Assert(self.expr(ch[0]), loc, self.src(t))
        if k in ("returnstmt", "breakstmt", "continuestmt", "skipstmt"):
            return A.Jump(k[:-4], None, loc, self.src(t))
        if k == "returnvalue":
            return A.Jump("return", None, loc, self.src(t), self.expr(ch[0]))
        if k == "localstmt":
            init = self.expr(ch[2]) if ch[2] is not None else None
            return A.Local(str(ch[0]), _WS.sub("", self.src(ch[1])), init, loc, self.src(t))
        if k == "gotostmt":
            return A.Jump("goto", str(ch[0]), loc, self.src(t))
        if k == "repeatstmt":
            return A.Repeat(None, self.expr(ch[0]), None, self.block(ch[1]), loc,
                            self.src(t, True))
        if k == "repeatrange":
            return A.Repeat(str(ch[0]), self.expr(ch[1]), self.expr(ch[2]), self.block(ch[3]),
                            loc, self.src(t, True))
        if k == "block":
            return self.block(t)
        raise AssertionError(k)

    def _lvalue(self, t: Tree) -> A.AExpr:
        head, *names = t.children
        node: A.AExpr
        if head.data == "lindex":
            node = A.Index(str(head.children[0]), self.expr(head.children[1]), self.loc(head))
        else:
            node = A.Name(str(head.children[0]), self.loc(head.children[0]))
        for tok in names:
            node = A.Field(node, str(tok), self.loc(tok))
        return node

    # -- expressions
    def expr(self, t: Tree | Token) -> A.AExpr:
        if isinstance(t, Token):  # pragma: no cover - grammar always wraps tokens
            raise AssertionError(t)
        k, ch, loc = t.data, t.children, self.loc(t)
        if k == "name":
            return A.Name(str(ch[0]), loc)
        if k == "index":
            return A.Index(str(ch[0]), self.expr(ch[1]), loc)
        if k == "int_":
            return A.IntLit(checked_int(str(ch[0]), loc, "integer literal"), loc)
        if k in ("true_", "false_"):
            return A.BoolLit(k == "true_", loc)
        if k == "setlit":
            elems = tuple(self.expr(a) for a in ch[0].children) if ch[0] is not None else ()
            return A.SetLit(elems, loc)
        if k == "call":
            args = tuple(self.expr(a) for a in ch[1].children) if ch[1] is not None else ()
            return A.Call(str(ch[0]), args, loc)
        if k == "field":
            return A.Field(self.expr(ch[0]), str(ch[1]), self.loc(ch[1]))
        if k == "not_":
            return A.Unary("!", self.expr(ch[0]), loc)
        if k == "negate":
            return A.Unary("-", self.expr(ch[0]), loc)
        if k in ("and_", "or_", "implies"):
            op = {"and_": "&&", "or_": "||", "implies": "=>"}[k]
            return A.Binary(op, self.expr(ch[0]), self.expr(ch[1]), loc)
        if k in ("compare", "binop"):
            return A.Binary(str(ch[1]), self.expr(ch[0]), self.expr(ch[2]), loc)
        if k == "member":
            return A.Binary("in", self.expr(ch[0]), self.expr(ch[1]), loc)
        if k == "ternary":
            return A.Ternary(self.expr(ch[0]), self.expr(ch[1]), self.expr(ch[2]), loc)
        if k == "quantifier":
            return A.Quant(str(ch[0]), str(ch[1]), str(ch[2]), self.expr(ch[3]), loc)
        raise AssertionError(k)
