"""Parsing: every statement form, operator precedence, and file positions of code in YAML."""
from __future__ import annotations

import pytest

from flagcheck.tlamodel import syntax_tree as A
from flagcheck.tlamodel.errors import DesignError
from tests.tlamodel.tlm_util import FIX, assert_at, design


def sx(e: A.AExpr) -> str:
    """An expression tree as a fully parenthesised s-expression."""
    if isinstance(e, A.Name):
        return e.id
    if isinstance(e, A.IntLit):
        return str(e.value)
    if isinstance(e, A.BoolLit):
        return "true" if e.value else "false"
    if isinstance(e, A.SetLit):
        return "{" + " ".join(sx(x) for x in e.elems) + "}"
    if isinstance(e, A.Call):
        return f"{e.func}(" + " ".join(sx(x) for x in e.args) + ")"
    if isinstance(e, A.Field):
        return f"{sx(e.obj)}.{e.field}"
    if isinstance(e, A.Unary):
        return f"({e.op} {sx(e.arg)})"
    if isinstance(e, A.Binary):
        return f"({e.op} {sx(e.left)} {sx(e.right)})"
    if isinstance(e, A.Ternary):
        return f"(? {sx(e.cond)} {sx(e.then)} {sx(e.other)})"
    if isinstance(e, A.Quant):
        return f"({e.kind} {e.var} {e.domain} {sx(e.body)})"
    raise AssertionError(e)


@pytest.fixture(scope="module")
def procs():
    return design("syntax/statements.yaml").merged.procedures


@pytest.fixture(scope="module")
def defines():
    return design("syntax/expressions.yaml").merged.defines


def test_assignments_and_compound_operators(procs):
    body = procs["assigns"].body
    assert [type(s) for s in body] == [A.Assign] * 4
    assert [s.op for s in body] == ["=", "+=", "-=", "="]
    assert [sx(s.target) for s in body] == ["x", "x", "x", "current.cnt"]
    assert [sx(s.value) for s in body] == ["1", "2", "1", "x"]
    assert body[1].text == "x += 2;"


def test_if_else_if_else_chain(procs):
    first, second = procs["ifs"].body
    assert isinstance(first, A.If) and sx(first.cond) == "flag"
    elif_ = first.other
    assert isinstance(elif_, A.If) and sx(elif_.cond) == "(== x 2)"
    assert isinstance(elif_.other, A.Block)
    assert sx(elif_.other.stmts[0].value) == "3"
    assert isinstance(second, A.If) and second.other is None
    assert second.then.stmts[0] == A.Jump("skip", None, second.then.stmts[0].loc, "skip;")


def test_while_with_break_and_continue(procs):
    (loop,) = procs["loops"].body
    assert isinstance(loop, A.While) and sx(loop.cond) == "(< x 3)"
    inc, if_, cont = loop.body.stmts
    assert isinstance(inc, A.Assign) and inc.op == "+="
    assert isinstance(if_.then.stmts[0], A.Jump) and if_.then.stmts[0].kind == "break"
    assert isinstance(cont, A.Jump) and cont.kind == "continue"
    assert loop.text == "while (x < 3)"          # trace text of a compound statement: its head


def test_atomic_and_await(procs):
    atomic, await_ = procs["atomics"].body
    assert isinstance(atomic, A.Atomic)
    inner = atomic.body.stmts
    assert isinstance(inner[0], A.Await) and sx(inner[0].cond) == "flag"
    assert isinstance(inner[1], A.Assign)
    assert isinstance(await_, A.Await) and sx(await_.cond) == "(! flag)"


def test_either_or_with_three_branches(procs):
    (either,) = procs["eithers"].body
    assert isinstance(either, A.Either)
    assert [len(b.stmts) for b in either.branches] == [1, 1, 1]
    assert isinstance(either.branches[2].stmts[0], A.Jump)


def test_choose_where_else_and_plain_choose(procs):
    c1, c2 = procs["chooses"].body
    assert isinstance(c1, A.Choose)
    assert (c1.var, c1.domain, sx(c1.cond)) == ("c", "color", "(!= c RED)")
    assert c1.other is not None and sx(c1.other.stmts[0].value) == "0"
    assert (c2.var, c2.domain, c2.cond, c2.other) == ("t", "task", None, None)
    assert sx(c2.body.stmts[0].target) == "t.cnt"


def test_assert_labels_goto_return(procs):
    (assert_,) = procs["checks"].body
    assert isinstance(assert_, A.Assert) and sx(assert_.cond) == "(< x 3)"
    labeled, goto, ret = procs["jumps"].body
    assert isinstance(labeled, A.Labeled) and labeled.label == "top"
    assert isinstance(labeled.stmt, A.Assign) and labeled.text == "top: x = 0;"
    assert (goto.kind, goto.target) == ("goto", "top")
    assert (ret.kind, ret.target) == ("return", None)


def test_calls_with_and_without_arguments_and_bare_blocks(procs):
    c1, c2, c3 = procs["calls"].body
    assert isinstance(c1, A.CallStmt) and (c1.func, c1.args) == ("assigns", ())
    assert (c2.func, c2.args) == ("ifs", ())
    assert c3.func == "jumps_with" and [sx(a) for a in c3.args] == ["x", "(&& flag (! flag))"]
    assert procs["jumps_with"].params == ("a", "b")
    (block,) = procs["jumps_with"].body
    assert isinstance(block, A.Block) and isinstance(block.stmts[0], A.Assign)


def test_names_that_start_with_keywords_are_names(procs):
    order, iffy, skip = procs["keywordish"].body
    assert (sx(order.target), sx(order.value)) == ("order", "index")
    assert (sx(iffy.target), sx(iffy.value)) == ("iffy", "(! iffy)")
    assert isinstance(skip, A.Jump) and skip.kind == "skip"


@pytest.mark.parametrize("name, tree", [
    ("or_and", "(|| a (&& b c))"),
    ("and_or", "(|| (&& a b) c)"),
    ("implies_right", "(=> a (=> b c))"),
    ("implies_or", "(=> (|| a b) c)"),
    ("not_eq", "(== (! a) b)"),
    ("not_paren", "(! (in a s))"),
    ("cmp_sum", "(< (+ a 1) (- b 1))"),
    ("sum_left", "(+ (- a b) c)"),
    ("in_sum", "(in a (& s u))"),
    ("in_and", "(&& (in a s) b)"),
    ("ternary_right", "(? a b (? c d e))"),
    ("ternary_or", "(? (|| a b) c d)"),
    ("quants", "(forall t task (exists u task (|| (== t u) t.done)))"),
    ("sets", "(+ (- {RED GREEN} {}) {BLUE})"),
    ("chain", "t.group.gsum"),
    ("neg", "(+ (- a) 1)"),
    ("calls", "(!= f(a g() a.b) 0)"),
    ("le_ge", "(&& (&& (<= a b) (>= a b)) (!= a b))"),
])
def test_expression_precedence(defines, name, tree):
    assert sx(defines[name].body) == tree


def test_positions_of_nodes_in_block_plain_and_quoted_scalars():
    d = design("syntax/positions.yaml")
    plain = d.merged.defines["plain"].body          # plain(): x == 2         (line 9)
    assert (plain.loc.line, plain.loc.col) == (9, 12)
    assert (plain.right.loc.line, plain.right.loc.col) == (9, 17)
    quoted = d.merged.defines["quoted"].body        # quoted(): "flag && x == 1"  (line 10)
    assert (quoted.left.loc.line, quoted.left.loc.col) == (10, 14)
    assert (quoted.right.loc.line, quoted.right.loc.col) == (10, 22)
    first, if_ = d.merged.procedures["block"].body  # block(): |  (body from line 13)
    assert (first.loc.line, first.loc.col) == (13, 5)
    assert (if_.loc.line, if_.loc.col) == (14, 7)   # more indented than the first line
    inner = if_.then.stmts[0]
    assert (inner.loc.line, inner.loc.col) == (15, 9)
    assert (inner.value.loc.line, inner.value.loc.col) == (15, 13)


def test_syntax_error_in_block_scalar_points_at_file_line_and_column():
    with pytest.raises(DesignError) as info:
        design("syntax/bad_block.yaml")
    err = info.value
    # line 14 of the file is "      x = 2 +;": the ';' after '+' is column 14
    assert_at(err, "bad_block.yaml", 14, 14, "syntax error in procedure broken: unexpected ';'")
    assert err.render().splitlines()[0] == (
        f"{FIX / 'syntax/bad_block.yaml'}:14:14: error: "
        "syntax error in procedure broken: unexpected ';'")
    assert "hint: expected" in err.render()


def test_unexpected_character_in_quoted_scalar():
    with pytest.raises(DesignError) as info:
        design("syntax/bad_char.yaml")
    # tilde(): "x == 1 && ~x"  -- the '~' is column 23 of line 7
    assert_at(info.value, "bad_char.yaml", 7, 23, "unexpected character '~'")
