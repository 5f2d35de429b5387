"""Partial-order reduction (pyspec.por) against the unreduced search.

Verdicts are sacred, so the reduction is tested differentially: on 300 random models whose
tasks mix private steps (their own variable: independent of everything) with steps on
shared variables, sometimes with an absorbing run-time error variable (the exception the
analysis makes for the guards' "no error yet" test) and invariants that sometimes read a
task's own variable (visible steps), and on every shipped design × scenario pair, the
search with and without the reduction gives the same verdict for every safety property and
the same (shortest) counterexample depth; the reduced search's own counterexamples, before
the unreduced search replaces them, are real runs (they replay); the layered and the tuple
search choose the same ample sets (the same state counts).  Both reductions together
(partial-order and symmetry) are tested the same way on random models with
interchangeable tasks."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from tests.budget import examples
from tests.shipped import cached_design, shipped_pairs
from tests.strategies import F, GUARDS, I4, UPDATES, VARS, X, Y, symmetric_sample

from flagcheck.checker.cli.main import main
from flagcheck.pyspec import explicit, por
from flagcheck.pyspec.replay import check_violation
from flagcheck.tlamodel.ir import (Action, Expr, DeadlockFree, EnumType, IntType, Invariant,
                                   Liveness, Model, PcInfo, StepInfo, VarDecl, const, mk,
                                   pc_value, var)
from flagcheck.tlamodel.load import load_design
from flagcheck.tlamodel.reduce import reduce_model

ROOT = Path(__file__).resolve().parents[2]
ERR = EnumType("error", ("none", "bad"))
NO_ERROR = mk("eq", var("__error", ERR), const(0, ERR))
PC = IntType(0, 4)
OWN = IntType(0, 3)
#: what a private step may wait for on shared state
WAITS = (F, mk("not", F), mk("eq", X, const(1, I4)), mk("ne", Y, const(0, I4)))
PC_INFO = tuple(PcInfo(f"pc {k}") for k in range(4)) + (PcInfo("finished"),)


def _rename(e: Expr, t: str) -> Expr:
    """A step of T0 as task ``t``'s: T0's own variables become ``t``'s."""
    if e.op == "var" and (e.name or "").startswith("T0."):
        return var(t + e.name[2:], e.type)  # type: ignore[index]
    return e if not e.args else Expr(e.op, tuple(_rename(x, t) for x in e.args), e.type)


def _program(draw: st.DrawFn, t: str, err: bool) -> list[Action]:
    """Task ``t``'s steps (their ``index`` still to be set)."""
    pc, own = var(f"{t}.pc", PC), var(f"{t}.v", OWN)
    steps = [(k, k + 1) for k in range(4)]
    for _ in range(draw(st.integers(0, 2))):       # a branch, or a loop back
        src = draw(st.integers(0, 3))
        steps.append((src, draw(st.integers(0, 4) if draw(st.booleans()) else
                                st.integers(0, src))))
    out = []
    for src, dst in steps:
        ups: list = [(f"{t}.pc", const(dst, PC))]
        guard = mk("eq", pc, const(src, PC))
        if draw(st.integers(0, 2)) > 0:  # private: only the task's own variable
            ups.append((f"{t}.v", const(draw(st.integers(0, 3)), OWN)))
            wait = draw(st.integers(0, 3))      # on its own v, on shared state, or not
            if wait == 0:
                guard = mk("and", guard, mk("ne", own, const(draw(st.integers(0, 3)), OWN)))
            elif wait == 1:
                guard = mk("and", guard, draw(st.sampled_from(WAITS)))
        else:
            name, strat = draw(st.sampled_from(UPDATES))
            ups.append((name, draw(strat)))
            if draw(st.integers(0, 2)) == 0:
                guard = mk("and", guard, draw(GUARDS))
        if err:
            if draw(st.integers(0, 4)) == 0:
                cond = mk("eq", X, const(draw(st.integers(0, 3)), I4))
                ups.append(("__error", mk("ite", cond, const(1, ERR), var("__error", ERR),
                                          ty=ERR)))
            guard = mk("and", NO_ERROR, guard)
        out.append(Action(0, t, guard, tuple(ups), StepInfo("step")))
    return out


@st.composite
def por_models(draw: st.DrawFn, symmetric: bool = False) -> Model:
    """2-3 tasks, each a program over pc 0..4 (0 -> 1 -> 2 -> 3 -> 4 = done, and a few more
    steps, loops allowed) whose steps either write only the task's own ``v`` (0..3; their
    guard sometimes waits on shared state) or also one of the shared x, y, f, c, s of
    tests.strategies (guards reading them, so steps of different tasks enable and disable
    each other); with an error variable half the time (every guard tests it, some steps
    set it); the invariant ``x != k``, sometimes or-ed with a condition on one task's own
    ``v``, or half the time a combination of two tasks' own values (their private steps
    are then visible, and a violation needs one interleaving of them); sometimes the
    assertion invariant.  ``symmetric``: every task runs T0's program (interchangeable
    tasks, unless the invariant names some of them)."""
    n = draw(st.integers(2, 3))
    names = [f"T{i}" for i in range(n)]
    err = draw(st.booleans())
    steps: list[Action] = []
    template = _program(draw, "T0", err) if symmetric else []
    for t in names:
        steps += ([Action(0, t, _rename(a.guard, t),
                          tuple((t + k[2:] if k.startswith("T0.") else k, _rename(e, t))
                                for k, e in a.updates), a.info)
                   for a in template] if symmetric else _program(draw, t, err))
    actions = [Action(i, a.task, a.guard, a.updates, a.info) for i, a in enumerate(steps)]
    own_decls = tuple(VarDecl(f"{t}.v", OWN, owner=t, field="v") for t in names)
    pc_decls = tuple(VarDecl(f"{t}.pc", PC, owner=t, field="pc", internal=True) for t in names)
    err_decls = (VarDecl("__error", ERR, internal=True),) if err else ()
    init_x = tuple(draw(st.sets(st.integers(0, 3), min_size=1, max_size=2)))
    init = ((init_x, (0,), (False,), (0,), (0,)) + ((0,),) * n + ((0,),) * n
            + (((0,),) if err else ()))
    target = draw(st.sampled_from([v for v in range(4) if v not in init_x]))
    inv = mk("ne", X, const(target, I4))
    shape = draw(st.integers(0, 3))
    if shape == 1:       # x, and one task's own v
        who = draw(st.sampled_from(names))
        inv = mk("or", inv, mk("ne", var(f"{who}.v", OWN), const(draw(st.integers(1, 3)), OWN)))
    elif shape >= 2:     # a combination of two tasks' own values: one interleaving of theirs
        value = const(draw(st.integers(1, 3)), OWN)     # (all tasks: a symmetric one)
        inv = mk("or", *(mk("ne", var(f"{who}.v", OWN), value if symmetric else
                            const(draw(st.integers(1, 3)), OWN))
                         for who in (names if symmetric and shape == 3 else names[:2])))
    props: tuple = (Invariant("inv", inv), DeadlockFree("deadlock"))
    if err and draw(st.booleans()):
        props += (Invariant("assertions", NO_ERROR),)
    done = mk("and", *(mk("eq", var(f"{t}.pc", PC), const(4, PC)) for t in names))
    terminal = mk("or", done, mk("not", NO_ERROR)) if err else done
    return Model("por", VARS + own_decls + pc_decls + err_decls, init, tuple(actions), props,
                 tasks=tuple(names), terminal=terminal,
                 pcs=tuple((t, f"{t}.pc", PC_INFO) for t in names),
                 error_var="__error" if err else None)


_SAMPLE: dict[tuple[int, bool], list[Model]] = {}


def por_sample(n: int, symmetric: bool = False) -> list[Model]:
    """``n`` models of ``por_models(symmetric)``, the same ones on every run."""
    if (n, symmetric) not in _SAMPLE:
        out: list[Model] = []

        @settings(max_examples=n, derandomize=True, database=None, deadline=None,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        @given(por_models(symmetric))
        def collect(m: Model) -> None:
            if len(out) < n:
                out.append(m)
        collect()
        _SAMPLE[n, symmetric] = out
    return _SAMPLE[n, symmetric]


def agree(m: Model, props: list[str] | None = None, symmetry: bool = False) -> dict:
    """Both searches' outcomes: equal verdicts, equal depths of violations (the unreduced
    search's shortest), every reduced proof with no more states.  Returns the reduced ones
    (``symmetry``: reduced by symmetry too)."""
    red = explicit.check(m, props, por=True, symmetry=symmetry)
    ref = explicit.check(m, props, symmetry=False)
    for name, o in red.items():
        r = ref[name]
        assert o.status == r.status, name
        assert o.exhaustive == r.exhaustive, name
        if o.status == "violated":
            assert o.depth == r.depth and o.trace is not None and o.trace.length == o.depth
            check_violation(m, o.trace, name)
        else:
            assert (o.states or 0) <= (r.states or 0), name
            assert "partial-order reduction" in o.reason
    return red


def test_reduced_search_agrees_on_random_models():
    """300 random models; many proofs really are reduced, and many violations are reached
    by the reduced search through fewer states (else the test would prove little)."""
    models = por_sample(examples(300))
    reduced = sooner = 0
    for m in models:
        ref = explicit.check(m, symmetry=False)
        out = agree(m)
        raw = explicit._Layered(m, dict.fromkeys(out), None, None, por=True).run()
        reduced += any(o.status == "holds" and o.states < ref[n].states for n, o in out.items())
        sooner += any(o.status == "violated" and o.states < ref[n].states
                      for n, o in raw.items())
    assert reduced >= len(models) // 4, reduced
    assert sooner >= len(models) // 10, sooner


def test_with_symmetry_too_on_random_symmetric_models():
    """Both reductions at once (what ``verify --por`` does unless --no-symmetry): on 300
    random models whose tasks run one program, the same verdicts and shortest depths as
    the plain search, and fewer states than with symmetry alone on many of them; on the
    symmetry tests' own random models (tests.strategies.symmetric_models), which the
    partial-order reduction rarely reduces, the same verdicts too."""
    fewer = 0
    for m in por_sample(examples(300), symmetric=True):
        out = agree(m, symmetry=True)
        sym = explicit.check(m, symmetry=True)
        fewer += any(o.status == "holds" and o.orbits and o.states < sym[n].states
                     for n, o in out.items())
    assert fewer >= examples(300) // 10, fewer
    for m in symmetric_sample(examples(100)):
        agree(m, symmetry=True)


def test_the_reduced_search_own_counterexamples_are_runs_and_tuple_equals_layered():
    """Before the unreduced search replaces it, the reduced search's counterexample replays
    (it may be longer than the shortest); the tuple search picks the same ample sets as the
    layered one (equal state counts wherever both finish without a violation)."""
    longer = 0
    for m in por_sample(examples(300))[:150]:
        names = [p.name for p in m.properties]
        lay = explicit._Layered(m, dict.fromkeys(names), None, None, por=True).run()
        tup = explicit._Search(m, dict.fromkeys(names), None, None, por=True).run()
        ref = explicit.check(m, symmetry=False)
        for n, o in lay.items():
            assert o.status == tup[n].status == ref[n].status, n
            if o.status == "violated":
                check_violation(m, o.trace, n)
                assert o.depth >= ref[n].depth
                longer += o.depth > ref[n].depth
            else:
                assert o.states == tup[n].states
    assert longer >= 1      # the reason the unreduced search runs again on a violation


def test_a_violation_whose_shortest_search_is_cut_says_not_necessarily_shortest():
    """When the unreduced search stops on the state limit before the violation the reduced
    search found, the reduced counterexample is kept (replayed), and says so."""
    for m in por_sample(examples(300)):
        for p in m.properties:
            lay = explicit._Layered(m, {p.name: None}, None, None, por=True).run()[p.name]
            ref = explicit.check(m, [p.name], symmetry=False)[p.name]
            if lay.status == "violated" and lay.states < ref.states:
                out = explicit.check(m, [p.name], por=True, max_states=lay.states)[p.name]
                assert out.status == "violated" and "not necessarily the shortest" in out.reason
                check_violation(m, out.trace, p.name)
                return
    pytest.fail("no random model where the reduced search finds a violation sooner")


def test_an_unknown_under_reduction_claims_no_depth():
    """A reduced layer covers no layer of the unreduced search: once an ample set was used,
    a search cut short by a limit reports depth -1 (not even the initial states
    certified); before that, it is the unreduced search and says its depth."""
    for m in por_sample(examples(300)):
        full = explicit.check(m, ["deadlock"], por=True)["deadlock"]
        if full.status != "holds" or full.states < 4:
            continue
        cut = explicit._Layered(m, {"deadlock": None}, full.states - 1, None, por=True)
        out = cut.run()["deadlock"]
        if cut.reduced:
            assert out.status == "unknown" and out.depth == -1
            assert "partial-order reduction" in out.reason and "state limit" in out.reason
            return
    pytest.fail("no random model cut after an ample set was used")


def test_a_step_on_an_invariants_variable_is_never_ample():
    """C2: a task whose step writes what the invariant reads is not ample there."""
    for m in por_sample(examples(300)):
        inv = m.property("inv")
        reads = {v for v in ("T0.v", "T1.v", "T2.v") if v in str(inv.expr)}
        if not reads:
            continue
        a = por.analyse(m, ["inv"])
        for tp in a.tasks:
            for act in m.actions:
                if act.task == tp.task and reads & {n for n, _ in act.updates}:
                    k = pc_value(act.guard, f"{tp.task}.pc")
                    assert k is not None and not tp.ok[k - tp.lo]
        return
    pytest.fail("no random invariant reads a task's own variable")


def _two_tasks(steps: list[tuple[str, int, int, object, list]], inv: object) -> Model:
    """A hand-made model: tasks T0, T1 over pc 0..4 (done at 4) and the shared x, y, f and
    their own ``v``; ``steps``: (task, from pc, to pc, extra guard or None, updates)."""
    names = ["T0", "T1"]
    actions = []
    for t, src, dst, cond, ups in steps:
        g = mk("eq", var(f"{t}.pc", PC), const(src, PC))
        actions.append(Action(len(actions), t, g if cond is None else mk("and", g, cond),
                              ((f"{t}.pc", const(dst, PC)), *ups), StepInfo("step")))
    decls = VARS + tuple(VarDecl(f"{t}.v", OWN, owner=t, field="v") for t in names) + tuple(
        VarDecl(f"{t}.pc", PC, owner=t, field="pc", internal=True) for t in names)
    done = mk("and", *(mk("eq", var(f"{t}.pc", PC), const(4, PC)) for t in names))
    return Model("hand", decls, ((0,),) * len(decls), tuple(actions),
                 (Invariant("inv", inv), DeadlockFree("deadlock")), tasks=tuple(names),
                 terminal=done, pcs=tuple((t, f"{t}.pc", PC_INFO) for t in names))


def _both_searches_find(m: Model, name: str, reduced: bool = True) -> None:
    """The reduced layered and tuple searches (without the unreduced rerun) find the
    violation (and, with ``reduced``, an ample set was used on the way)."""
    for search in (explicit._Layered, explicit._Search):
        s = search(m, {name: None}, None, None, por=True)
        assert s.run()[name].status == "violated", search.__name__
        assert s.reduced >= 1 or not reduced, search.__name__


def test_the_cycle_proviso_is_what_finds_a_step_a_private_loop_would_ignore():
    """T0 loops on private steps for ever; T1's one step breaks the invariant.  Always
    picking T0's ample set would never run T1 (the ignoring problem): the proviso expands
    the state that closes T0's loop fully."""
    v0 = "T0.v"
    m = _two_tasks([("T0", 0, 1, None, [(v0, const(1, OWN))]),
                    ("T0", 1, 0, None, [(v0, const(0, OWN))]),
                    ("T1", 0, 4, None, [("x", const(1, I4))])], mk("ne", X, const(1, I4)))
    _both_searches_find(m, "inv")


def test_a_step_that_disables_another_task_is_not_ample():
    """T0's step sets y, which T1's guard reads: exploring T0 first alone would lose the
    run where T1 goes first (C1)."""
    m = _two_tasks([("T0", 0, 4, None, [("y", const(1, I4))]),
                    ("T1", 0, 4, mk("eq", Y, const(0, I4)), [("x", const(1, I4))])],
                   mk("ne", X, const(1, I4)))
    assert por.analyse(m, ["inv"]).tasks[0].clash[0][0, 0]
    _both_searches_find(m, "inv", reduced=False)


def test_private_steps_the_invariant_reads_are_visible():
    """The invariant is a combination of both tasks' own values, reached by one
    interleaving only (T0 at 1 while T1 at 1): their steps are visible, never ample (C2)."""
    t0, t1 = var("T0.v", OWN), var("T1.v", OWN)
    m = _two_tasks([("T0", 0, 1, None, [("T0.v", const(1, OWN))]),
                    ("T0", 1, 4, None, [("T0.v", const(2, OWN))]),
                    ("T1", 0, 1, None, [("T1.v", const(1, OWN))]),
                    ("T1", 1, 4, None, [("T1.v", const(2, OWN))])],
                   mk("or", mk("ne", t0, const(1, OWN)), mk("ne", t1, const(1, OWN))))
    assert not any(tp.ok.any() for tp in por.analyse(m, ["inv"]).tasks)
    assert explicit.check(m, ["inv"], por=True)["inv"].status == "violated"
    # without the invariant's variables, the same steps are ample (the deadlock check)
    assert all(tp.ok[:2].all() for tp in por.analyse(m, ["deadlock"]).tasks)


def _safety(m: Model) -> list[str]:
    return [p.name for p in m.properties if not isinstance(p, Liveness)]


@pytest.mark.slow
@pytest.mark.parametrize("path,scenario", shipped_pairs())
def test_shipped_pair_same_verdicts_with_and_without_reduction(path: Path, scenario: str):
    d = cached_design(path)
    m = reduce_model(d.model(d.scenario(scenario)))
    agree(m, _safety(m))
    agree(m, _safety(m), symmetry=True)


def test_some_shipped_scenarios_are_reduced():
    """The reduction is not vacuous on the shipped designs (measured: io-uring-killable-join
    of notify-signal-5.11 proves no_lost_signal in 465 states against 714)."""
    d = load_design(ROOT / "specs" / "notify-signal-5.11.yaml")
    m = reduce_model(d.model(d.scenario("io-uring-killable-join")))
    out = agree(m, _safety(m))
    ref = explicit.check(m, ["no_lost_signal"], symmetry=False)["no_lost_signal"]
    assert out["no_lost_signal"].states < ref.states


def test_verify_por_switch_gives_the_same_table():
    """``verify --por`` and ``--no-por`` print the same verdicts (the state counts of the
    proofs aside) and exit codes."""
    args = ["verify", str(ROOT / "specs" / "notify-signal-5.11.yaml"), "-s",
            "io-uring-killable-join", "--engine", "explicit", "-q", "-p", "no_deadlock",
            "-p", "no_lost_signal", "--no-progress"]
    runner = CliRunner(env={"NO_COLOR": "1", "TERM": "dumb", "FORCE_COLOR": None,
                            "COLUMNS": "140"})
    on = runner.invoke(main, args + ["--por"], catch_exceptions=False)
    off = runner.invoke(main, args + ["--no-por"], catch_exceptions=False)
    assert on.exit_code == off.exit_code == 1
    for out in (on.output, off.output):
        assert "violated (depth 20)" in out and "proved (explicit" in out
    assert "465 states" in on.output and "714 states" in off.output
