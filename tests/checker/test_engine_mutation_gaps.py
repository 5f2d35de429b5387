"""Z3 engine behaviour that the fast test tier left unchecked: each test kills mutants that
survived it (benchmarks/mutation.md lists them by file:line).

Why hand-made models: each isolates one corner a reader can check on paper -- a value at
a power of two (bit-vector width), negative ints (two's complement decoding), a set over a
one-value enum (one bit), and the engines' bookkeeping around them.
"""
from __future__ import annotations

import multiprocessing
import time
from dataclasses import dataclass

import pytest
import z3

from flagcheck.checker.engines import bmc, kinduction, pdr, portfolio
from flagcheck.checker.engines.encode import Encoder, interval, model_width
from flagcheck.checker.engines.pdr_render import Renderer
from flagcheck.pyspec import explicit
from flagcheck.pyspec.replay import check_violation
from flagcheck.pyspec.outcome import Outcome
from flagcheck.tlamodel.ir import (BOOL, Action, EnumType, Expr, IntType, Invariant, Liveness,
                                   Model, SetType, StepInfo, VarDecl, const, mk, var)


def _act(index: int, guard: Expr, updates: list[tuple[str, Expr]], text: str) -> Action:
    return Action(index, "T", guard, tuple(updates), StepInfo(text))


# ---------------------------------------------------------------- encode: widths
def test_interval_of_add_and_sub_uses_both_operands() -> None:
    x, y = var("x", IntType(0, 127)), var("y", IntType(0, 1))
    ranges = {"x": (0, 127), "y": (0, 1)}
    assert interval(mk("add", x, y), ranges, {}) == (0, 128)
    assert interval(mk("add", y, x), ranges, {}) == (0, 128)
    assert interval(mk("sub", x, y), ranges, {}) == (-1, 127)
    assert interval(mk("sub", y, x), ranges, {}) == (-127, 1)


def _sum_model() -> Model:
    """x = 127, y = 1, no action: ``x + y`` is 128, one past the 8-bit signed range."""
    X, Y = IntType(0, 127), IntType(0, 1)
    positive = mk("lt", const(0, X), mk("add", var("x", X), var("y", Y)))
    return Model(name="sum", vars=(VarDecl("x", X), VarDecl("y", Y)), init=((127,), (1,)),
                 actions=(), properties=(Invariant("sum_positive", positive),), tasks=("T",))


def test_width_leaves_room_for_a_sum_past_a_power_of_two() -> None:
    # 8 bits hold x and y but not x + y: an encoding that wraps calls 128 negative
    m = _sum_model()
    assert model_width(m) == 9
    o = bmc.check(m, ["sum_positive"], depth=2)["sum_positive"]
    assert o.status == "holds" and o.exhaustive, o


def test_a_set_over_a_one_value_enum_is_one_bit() -> None:
    # module doc: set -> BitVec(n), n >= 1; a wider vector would have bits no value uses
    one, two, none = (EnumType("e1", ("A",)), EnumType("e2", ("A", "B")),
                      EnumType("e0", ()))
    enc = Encoder(_sum_model())
    assert enc.sort(SetType(one)).size() == 1
    assert enc.sort(SetType(two)).size() == 2
    assert enc.sort(SetType(none)).size() == 1


# ---------------------------------------------------------------- encode: negative values
def _down_model() -> Model:
    """x starts at 0 and steps down to -2; "x != -2" breaks after exactly two steps."""
    X = IntType(-2, 1)
    x = var("x", X)
    dec = _act(0, mk("lt", const(-2, X), x), [("x", mk("sub", x, const(1, X)))], "x--")
    return Model(name="down", vars=(VarDecl("x", X),), init=((0,),), actions=(dec,),
                 properties=(Invariant("x_not_minus_2", mk("ne", x, const(-2, X))),),
                 tasks=("T",), terminal=mk("eq", x, const(-2, X)))


def test_traces_with_negative_values_decode_as_negative_ints() -> None:
    m = _down_model()
    o = bmc.check(m, ["x_not_minus_2"], depth=4)["x_not_minus_2"]
    assert o.status == "violated" and o.depth == 2, o
    assert o.trace is not None and o.trace.states == ((0,), (-1,), (-2,))
    check_violation(m, o.trace, "x_not_minus_2")
    assert explicit.check(m, ["x_not_minus_2"])["x_not_minus_2"].trace == o.trace


# ---------------------------------------------------------------- bmc: liveness next to safety
def _toggle() -> Model:
    """T flips b forever and never sets a: "a_eventually" is violated by the 2-step lasso
    b: F -> T -> F (loop back to state 0); "b_bool" (b or not b) holds on every run."""
    b, a = var("b", BOOL), var("a", BOOL)
    flip = _act(0, const(True, BOOL), [("b", mk("not", b))], "b = !b")
    return Model(name="toggle", vars=(VarDecl("b", BOOL), VarDecl("a", BOOL)),
                 init=((False,), (False,)), actions=(flip,),
                 properties=(Liveness("a_eventually", "eventually", ((a, None),)),
                             Invariant("b_bool", mk("or", b, mk("not", b)))),
                 tasks=("T",))


def test_bmc_sends_liveness_to_the_lasso_search_and_safety_to_its_own() -> None:
    # without a timeout (None): the lasso search gets no budget either, not a crash
    m = _toggle()
    out = bmc.check(m, depth=3)
    live = out["a_eventually"]
    assert live.status == "violated" and live.trace is not None, live
    assert (live.trace.length, live.trace.loop_start) == (2, 0)
    check_violation(m, live.trace, "a_eventually")
    safe = out["b_bool"]
    assert safe.status == "holds" and safe.depth == 3 and not safe.exhaustive, safe


# ---------------------------------------------------------------- k-induction
def _two_bit_counter() -> Model:
    """Two bools counted up as a binary number, 00 -> 10 -> 01 -> 11 (b0 is the low bit),
    then stop: all four values of the state vector are used by the one run.  "not_full"
    (not both set) breaks at depth 3, exactly when the state space is exhausted."""
    b0, b1 = var("b0", BOOL), var("b1", BOOL)
    full = mk("and", b0, b1)
    carry = mk("ite", b0, mk("not", b1), b1)
    inc = _act(0, mk("not", full), [("b0", mk("not", b0)), ("b1", carry)], "count")
    return Model(name="two_bit_counter", vars=(VarDecl("b0", BOOL), VarDecl("b1", BOOL)),
                 init=((False,), (False,)), actions=(inc,),
                 properties=(Invariant("not_full", mk("not", full)),), tasks=("T",),
                 terminal=full)


def test_kinduction_simple_paths_compare_only_the_states_of_the_path() -> None:
    # with 4 possible states, a distinctness check that also takes in a state past the end
    # of the path (unconstrained, so it has to differ from all the others) makes the step
    # case unsatisfiable at k=2 and "proves" a property that breaks at depth 3
    m = _two_bit_counter()
    for aux in (True, False):
        o = kinduction.check(m, ["not_full"], max_k=5, aux=aux)["not_full"]
        assert o.status == "violated" and o.depth == 3, (aux, o)
        check_violation(m, o.trace, "not_full")


def test_kinduction_with_max_k_0() -> None:
    # k = 0 is the common case (a property inductive on its own): max_k=0 must be allowed
    m = _sum_model()
    o = kinduction.check(m, ["sum_positive"], max_k=0)["sum_positive"]
    assert o.status == "holds" and o.exhaustive and o.depth == 0, o


def _guarded_by_a_constant() -> Model:
    """y is only ever 0 (its one write is "y = 0"); the only action needs y == 1, sets x and
    clears y.  "x_zero" holds, and is inductive at k=0 only if the step case knows y's
    value set {0} in its first state (after the step, y is 0 whatever it was before).  A
    second task flips z forever, so the runs do not end at k=0."""
    ty = IntType(0, 1)
    x, y, z = var("x", ty), var("y", ty), var("z", BOOL)
    flip = Action(1, "U", const(True, BOOL), (("z", mk("not", z)),), StepInfo("z = !z"))
    set_x = _act(0, mk("eq", y, const(1, ty)), [("x", const(1, ty)), ("y", const(0, ty))],
                 "x = 1; y = 0")
    return Model(name="guarded",
                 vars=(VarDecl("x", ty), VarDecl("y", ty), VarDecl("z", BOOL)),
                 init=((0,), (0,), (False,)), actions=(set_x, flip),
                 properties=(Invariant("x_zero", mk("eq", x, const(0, ty))),),
                 tasks=("T", "U"))


def test_kinduction_assumes_the_value_sets_from_the_first_position_on() -> None:
    # without the mined invariant (aux=False) only the value sets exclude y == 1 in the
    # step case's first state; assumed there, the proof closes at k = 0
    o = kinduction.check(_guarded_by_a_constant(), ["x_zero"], max_k=4, aux=False)["x_zero"]
    assert o.status == "holds" and o.exhaustive and o.depth == 0, o


# ---------------------------------------------------------------- pdr: invariant text
def test_pdr_renders_set_atoms_whichever_side_the_constant_is_on() -> None:
    # Spacer's lemmas come in either orientation; both must read in the design's terms
    sig = EnumType("sig", ("A", "B", "C"))
    ty = SetType(sig)
    m = Model(name="sets", vars=(VarDecl("s", ty),), init=((0,),), actions=(),
              properties=(Invariant("t", const(True, BOOL)),), tasks=("T",))
    enc = pdr._IntEncoder(m, z3.Context())
    s = enc.vars_at(0)["s"]
    r = Renderer(m, enc)
    both = enc.value(0b101, ty)
    assert r.text(s == both) == "(s == {A, C})"
    assert r.text(both == s) == "(s == {A, C})"
    assert r.text(both != s) == "!(s == {A, C})"
    one = z3.BitVecVal(1, 1, enc.ctx)
    assert r.text(z3.Extract(1, 1, s) == one) == "(B in s)"
    assert r.text(one == z3.Extract(2, 2, s)) == "(C in s)"
    assert r.text(z3.Extract(0, 0, s) == z3.BitVecVal(0, 1, enc.ctx)) == "!(A in s)"


def test_pdr_renders_comparisons_of_several_variables() -> None:
    # a lemma over two variables cannot be shown by meaning (one variable's values): it is
    # shown as C-like infix text
    ty = IntType(0, 3)
    m = Model(name="ints", vars=(VarDecl("x", ty), VarDecl("y", ty)), init=((0,), (0,)),
              actions=(), properties=(Invariant("t", const(True, BOOL)),), tasks=("T",))
    enc = pdr._IntEncoder(m, z3.Context())
    x, y = enc.vars_at(0)["x"], enc.vars_at(0)["y"]
    r = Renderer(m, enc)
    assert r.text(x + y <= 2) == "((x + y) <= 2)"
    assert r.text(x < y) == "(x < y)"


def test_pdr_refuses_a_proof_whose_certificate_fails_the_recheck(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # the safety net's own path: Spacer says safe, the re-check says no -> unknown, naming
    # the property
    monkeypatch.setattr(pdr._Query, "recheck", lambda self, inv0: False)
    o = pdr.check(_guarded_by_a_constant(), ["x_zero"], aux=False)["x_zero"]
    assert o.status == "unknown" and o.depth == -1, o
    assert o.reason == "internal error: Spacer's invariant is not inductive for x_zero"


# ---------------------------------------------------------------- portfolio
@dataclass(frozen=True)
class _Answer:
    """A stand-in engine that answers ``status`` after ``delay`` seconds (picklable: the race
    sends it to a spawned process)."""
    status: str
    delay: float

    def __call__(self, model: Model, props: list[str]) -> dict[str, Outcome]:
        time.sleep(self.delay)
        return {p: Outcome(p, self.status, 0, exhaustive=True)  # type: ignore[arg-type]
                for p in props}


def test_the_race_stops_the_engines_it_no_longer_waits_for() -> None:
    # once every property has a definitive answer the losers are terminated, not left to
    # burn a core (the CLI goes on to the next scenario in the same process)
    before = set(multiprocessing.active_children())
    out = portfolio.race(_sum_model(), ["sum_positive"],
                         {"fast": _Answer("violated", 0.0), "slow": _Answer("holds", 120.0)},
                         None)
    assert out["sum_positive"].status == "violated"
    assert set(multiprocessing.active_children()) <= before
