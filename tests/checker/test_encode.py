"""The Z3 encoding of expressions and steps, against hand-computed values.

Expressions are evaluated by fixing the state variables of step 0 and asking Z3 for the
only value the term can take, so these tests exercise the same terms BMC asserts.  A
Hypothesis test then compares random expressions with the reference evaluator.
"""
from __future__ import annotations

import pytest
import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.budget import examples
from tests.strategies import KINDS, Vocab, exprs

from flagcheck.checker.engines.encode import Encoder
from tests.checker import models as M
from tests.checker import reference as ref
from flagcheck.tlamodel.ir import (
    BOOL, EnumType, Expr, IntType, Model, SetType, VarDecl, const, mk, var,
)

pytestmark = pytest.mark.solver

SIG, SIGSET = M.SIG, M.SIGSET
I = IntType(-4, 4)

#: a state over every IR type, for evaluating expressions
_VARS = (VarDecl("b", BOOL), VarDecl("i", I), VarDecl("j", I), VarDecl("e", SIG),
         VarDecl("f", SIG), VarDecl("s", SIGSET), VarDecl("t", SIGSET))
_MODEL = Model(name="exprs", vars=_VARS, init=tuple((0,) for _ in _VARS), actions=(),
               properties=())
B, X, Y, E, F, S, T = (var(v.name, v.type) for v in _VARS)


def z3_eval(e: Expr, state: tuple) -> object:
    """Evaluate ``e`` through the encoder with state 0 fixed to ``state``."""
    # expressions outside the model: give them a width no random expression overflows
    enc = Encoder(_MODEL, z3.Context(), width=64)
    s = z3.Solver(ctx=enc.ctx)
    for v, x in zip(_VARS, state):
        s.add(enc.vars_at(0)[v.name] == enc.value(x, v.type))
    r = z3.FreshConst(enc.sort(e.type))
    s.add(r == enc.expr(e, 0))
    assert s.check() == z3.sat
    val = s.model().eval(r, model_completion=True)
    s.add(r != val)
    assert s.check() == z3.unsat  # the value is determined by the state
    if z3.is_bool(val):
        return z3.is_true(val)
    n = val.as_long()
    if not isinstance(e.type, SetType) and n >= 1 << (enc.width - 1):
        n -= 1 << enc.width   # ints and enums are two's-complement bit-vectors
    return n


ST = (True, -3, 2, M.USR2, M.TERM, 0b011, 0b110)  # s = {USR1, USR2}, t = {USR2, TERM}


def sig(k: int) -> Expr:
    return const(k, SIG)


def test_set_operations_by_hand():
    assert z3_eval(mk("union", S, T), ST) == 0b111
    assert z3_eval(mk("inter", S, T), ST) == 0b010
    assert z3_eval(mk("diff", S, T), ST) == 0b001        # a & ~b, not a ^ b or a & b
    assert z3_eval(mk("diff", T, S), ST) == 0b100
    assert z3_eval(mk("singleton", E), ST) == 0b010
    assert z3_eval(mk("singleton", F), ST) == 0b100
    assert z3_eval(mk("singleton", sig(M.USR1)), ST) == 0b001
    assert z3_eval(mk("member", E, S), ST) is True
    assert z3_eval(mk("member", F, S), ST) is False
    assert z3_eval(mk("member", sig(M.USR1), T), ST) is False
    assert z3_eval(mk("member", F, mk("union", S, mk("singleton", F))), ST) is True
    assert z3_eval(mk("eq", mk("diff", S, S), const(0, SIGSET)), ST) is True


def test_enum_int_bool_ite_by_hand():
    assert z3_eval(mk("lt", E, F), ST) is True             # USR2 < TERM by index
    assert z3_eval(mk("le", F, E), ST) is False
    assert z3_eval(mk("eq", E, sig(M.USR2)), ST) is True
    assert z3_eval(mk("add", X, Y), ST) == -1
    assert z3_eval(mk("sub", X, Y), ST) == -5              # unbounded: below I.lo is fine
    assert z3_eval(mk("ite", B, X, Y), ST) == -3
    assert z3_eval(mk("ite", mk("not", B), S, T), ST) == 0b110
    assert z3_eval(mk("ite", mk("lt", X, Y), F, E), ST) == M.TERM
    assert z3_eval(mk("eq", B, const(True, BOOL)), ST) is True
    assert z3_eval(mk("ne", S, T), ST) is True


def test_empty_and_or():
    assert z3_eval(Expr("and", (), BOOL), ST) is True
    assert z3_eval(Expr("or", (), BOOL), ST) is False
    assert z3_eval(mk("and", B, mk("lt", X, Y), mk("member", E, S)), ST) is True
    assert z3_eval(mk("or", mk("not", B), mk("lt", Y, X)), ST) is False


def test_set_over_empty_enum_is_one_pinned_bit():
    empty = SetType(EnumType("none", ()))
    m = Model(name="e", vars=(VarDecl("z", empty),), init=((0,),), actions=(), properties=())
    enc = Encoder(m, z3.Context())
    s = z3.Solver(ctx=enc.ctx)
    s.add(enc.init(0), enc.vars_at(0)["z"] != 0)
    assert s.check() == z3.unsat


def test_domain_constraints_per_copy():
    # expressions outside the model: give them a width no random expression overflows
    enc = Encoder(_MODEL, z3.Context(), width=64)
    for i in (0, 3):
        s = z3.Solver(ctx=enc.ctx)
        s.add(enc.domain(i))
        for bad in (enc.vars_at(i)["i"] == 5, enc.vars_at(i)["i"] == -5,
                    enc.vars_at(i)["e"] == 3, enc.vars_at(i)["e"] == -1):
            assert s.check(bad) == z3.unsat
        assert s.check(enc.vars_at(i)["i"] == 4, enc.vars_at(i)["e"] == 2) == z3.sat


def test_memoised_per_expression_and_step():
    # expressions outside the model: give them a width no random expression overflows
    enc = Encoder(_MODEL, z3.Context(), width=64)
    e = mk("union", S, T)
    assert enc.expr(e, 2) is enc.expr(e, 2)
    assert enc.vars_at(1) is enc.vars_at(1)
    assert not enc.expr(e, 1).eq(enc.expr(e, 2))


def test_trans_fires_exactly_one_enabled_action():
    m = M.signals()
    enc = Encoder(m, z3.Context())
    s = z3.Solver(ctx=enc.ctx)
    s.add(enc.init(0), enc.trans(0))
    lits = enc.action_literals(0)
    succ = set()
    while s.check() == z3.sat:
        mod = s.model()
        fired = [k for k, lit in enumerate(lits) if z3.is_true(mod.eval(lit, True))]
        assert len(fired) == 1
        post = tuple(mod.eval(x, True).as_long() for x in enc.vars_at(1).values())
        succ.add(post)
        s.add(z3.Or([x != mod.eval(x, True) for x in enc.vars_at(1).values()]))
    init = ref.initial_states(m)[0]
    assert succ == set(ref.successors(m, init))
    assert len(succ) == 3  # raise USR2, raise TERM, unblock TERM


def test_no_actions_means_no_step():
    enc = Encoder(M.choice_init(), z3.Context())
    s = z3.Solver(ctx=enc.ctx)
    s.add(enc.init(0), enc.trans(0))
    assert s.check() == z3.unsat


# ------------------------------------------------------------------ random expressions
#: random expressions over every IR type (tests/strategies.py's ``exprs``)
_VOCAB = Vocab(I, SIG, bools=(B,), ints=(X, Y), enums=(E, F), sets=(S, T))

_STATES = st.tuples(st.booleans(), st.integers(-4, 4), st.integers(-4, 4),
                    st.integers(0, 2), st.integers(0, 2), st.integers(0, 7), st.integers(0, 7))


@settings(max_examples=examples(150), deadline=None)
@given(st.sampled_from(KINDS).flatmap(lambda k: exprs(_VOCAB, k, 3)),
       _STATES)
def test_random_expressions_match_reference(e, state):
    want = ref.evaluate(e, ref.env_of(_MODEL, state))
    got = z3_eval(e, state)
    assert got == want and isinstance(got, bool) == isinstance(want, bool)
