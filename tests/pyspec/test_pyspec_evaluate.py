"""Expression semantics: hand-computed values, plus a random cross-check of the compiled
closures (with their folding and fast paths) against a naive tree walker."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.budget import examples

from flagcheck.pyspec.evaluate import compile_expr, evaluate
from tests.pyspec.pyspec_models import naive
from flagcheck.tlamodel.ir import BOOL, EnumType, Expr, IntType, SetType, const, mk, var

SIG = EnumType("sig", ("SIGINT", "SIGUSR1", "SIGKILL"))
SIGSET = SetType(SIG)
INT = IntType(0, 3)
VARS = {"b1": BOOL, "b2": BOOL, "i1": INT, "i2": INT, "e1": SIG, "s1": SIGSET, "s2": SIGSET}
INDEX = {name: k for k, name in enumerate(VARS)}


def st_of(**vals) -> tuple:
    base = {"b1": False, "b2": False, "i1": 0, "i2": 0, "e1": 0, "s1": 0, "s2": 0}
    base.update(vals)
    return tuple(base[n] for n in VARS)


def x(name: str) -> Expr:
    return var(name, VARS[name])


def ev(e: Expr, **vals):
    return evaluate(e, st_of(**vals), INDEX)


KILL, USR1, INT_ = const(2, SIG), const(1, SIG), const(0, SIG)


def test_set_operations_are_bitmasks():
    pending = 0b101          # {SIGINT, SIGKILL}
    assert ev(mk("union", x("s1"), mk("singleton", USR1)), s1=pending) == 0b111
    assert ev(mk("diff", x("s1"), mk("singleton", INT_)), s1=pending) == 0b100
    assert ev(mk("inter", x("s1"), x("s2")), s1=pending, s2=0b110) == 0b100
    assert ev(mk("member", KILL, x("s1")), s1=pending) is True
    assert ev(mk("member", USR1, x("s1")), s1=pending) is False
    # member with a variable element takes the generic path
    assert ev(mk("member", x("e1"), x("s1")), e1=2, s1=pending) is True
    assert ev(mk("member", x("e1"), x("s1")), e1=1, s1=pending) is False
    assert ev(mk("singleton", x("e1")), e1=2) == 4
    # set equality is mask equality
    assert ev(mk("eq", x("s1"), mk("union", mk("singleton", INT_), mk("singleton", KILL))),
              s1=pending) is True


def test_enum_comparison_by_index():
    assert ev(mk("lt", x("e1"), KILL), e1=1) is True
    assert ev(mk("lt", x("e1"), KILL), e1=2) is False
    assert ev(mk("le", KILL, x("e1")), e1=1) is False
    assert ev(mk("le", KILL, x("e1")), e1=2) is True
    assert ev(mk("eq", x("e1"), USR1), e1=1) is True
    assert ev(mk("ne", USR1, x("e1")), e1=1) is False


def test_ite_and_arithmetic():
    e = mk("ite", x("b1"), x("i1"), mk("add", x("i1"), const(10, INT)))
    assert ev(e, b1=True, i1=3) == 3
    assert ev(e, b1=False, i1=3) == 13
    # unbounded: no wrapping or clamping to the declared range
    assert ev(mk("add", const(1 << 40, INT), x("i1")), i1=3) == (1 << 40) + 3
    assert ev(mk("sub", x("i1"), const(5, INT)), i1=3) == -2
    assert ev(mk("sub", const(5, INT), x("i1")), i1=3) == 2
    assert ev(mk("sub", x("i1"), x("i2")), i1=1, i2=3) == -2


def test_boolean_connectives():
    assert ev(mk("and")) is True
    assert ev(mk("or")) is False
    a3 = mk("and", x("b1"), x("b2"), mk("eq", x("i1"), const(2, INT)))
    assert ev(a3, b1=True, b2=True, i1=2) is True
    assert ev(a3, b1=True, b2=True, i1=1) is False
    o4 = mk("or", x("b1"), x("b2"), mk("eq", x("i1"), const(2, INT)), mk("eq", x("i2"), const(3, INT)))
    assert ev(o4, i2=3) is True
    assert ev(o4) is False
    assert ev(mk("not", x("b1")), b1=False) is True
    # constants fold: an absorbing constant decides regardless of the variables
    assert ev(mk("and", x("b1"), const(False, BOOL))) is False
    assert ev(mk("or", x("b1"), const(True, BOOL))) is True
    assert ev(mk("and", x("b1"), const(True, BOOL)), b1=True) is True


def test_eq_on_bools_and_vars():
    assert ev(mk("eq", x("b1"), x("b2")), b1=True, b2=True) is True
    assert ev(mk("ne", x("b1"), x("b2")), b1=True, b2=False) is True
    assert ev(mk("eq", const(3, INT), x("i1")), i1=3) is True


def test_compiled_once_and_unknown_variable():
    e = mk("and", x("b1"), mk("lt", x("i1"), x("i2")))
    assert compile_expr(e, INDEX) is compile_expr(e, INDEX)
    with pytest.raises(KeyError, match="nope"):
        evaluate(var("nope", BOOL), st_of(), INDEX)


# ---------------------------------------------------------------- random cross-check
KINDS = ("bool", "int", "enum", "set")
TYPE_OF = {"bool": BOOL, "int": INT, "enum": SIG, "set": SIGSET}
CONSTS = {"bool": st.booleans(), "int": st.integers(-2, 5), "enum": st.integers(0, 2),
          "set": st.integers(0, 7)}


def gen(draw, kind: str, depth: int) -> Expr:
    ty = TYPE_OF[kind]
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        names = [n for n, t in VARS.items() if t == ty]
        if draw(st.booleans()):
            return var(draw(st.sampled_from(names)), ty)
        return const(draw(CONSTS[kind]), ty)
    d = depth - 1
    if kind == "bool":
        op = draw(st.sampled_from(["not", "and", "or", "eq", "ne", "lt", "le", "member", "ite"]))
        if op == "not":
            return mk("not", gen(draw, "bool", d))
        if op in ("and", "or"):
            n = draw(st.integers(0, 4))
            return mk(op, *(gen(draw, "bool", d) for _ in range(n)))
        if op in ("eq", "ne"):
            k = draw(st.sampled_from(KINDS))
            return mk(op, gen(draw, k, d), gen(draw, k, d))
        if op in ("lt", "le"):
            k = draw(st.sampled_from(["int", "enum"]))
            return mk(op, gen(draw, k, d), gen(draw, k, d))
        if op == "member":
            return mk("member", gen(draw, "enum", d), gen(draw, "set", d))
    elif kind == "int":
        op = draw(st.sampled_from(["add", "sub", "ite"]))
        if op != "ite":
            return mk(op, gen(draw, "int", d), gen(draw, "int", d), ty=INT)
    elif kind == "enum":
        op = "ite"
    else:
        op = draw(st.sampled_from(["union", "inter", "diff", "singleton", "ite"]))
        if op == "singleton":
            return mk("singleton", gen(draw, "enum", d))
        if op != "ite":
            return mk(op, gen(draw, "set", d), gen(draw, "set", d))
    return mk("ite", gen(draw, "bool", d), gen(draw, kind, d), gen(draw, kind, d), ty=ty)


@st.composite
def expr_and_state(draw):
    kind = draw(st.sampled_from(KINDS))
    e = gen(draw, kind, 4)
    env = {"b1": draw(st.booleans()), "b2": draw(st.booleans()),
           "i1": draw(st.integers(0, 3)), "i2": draw(st.integers(0, 3)),
           "e1": draw(st.integers(0, 2)), "s1": draw(st.integers(0, 7)),
           "s2": draw(st.integers(0, 7))}
    return kind, e, env


@settings(max_examples=examples(600), deadline=None)
@given(expr_and_state())
def test_compiled_matches_naive_walker(case):
    kind, e, env = case
    state = tuple(env[n] for n in VARS)
    got = evaluate(e, state, INDEX)
    want = naive(e, env)
    assert got == want, str(e)
    if kind == "bool":
        assert isinstance(got, bool), str(e)
