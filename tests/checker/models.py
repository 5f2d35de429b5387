"""Small hand-made IR models for the checker tests, built with tlamodel.ir's constructors.

Why hand-made: each model isolates one behaviour (a race, a deadlock, termination, an
endless loop, set/enum/ite semantics) and is small enough that its shortest
counterexample and longest run can be worked out on paper, so the tests compare the
engine against numbers a reader can verify, not against another engine.
"""
from __future__ import annotations

from flagcheck.tlamodel.ir import (
    BOOL, Action, DeadlockFree, EnumType, Expr, IntType, Invariant, Model, SetType,
    StepInfo, TRUE, VarDecl, conj, const, disj, mk, neg, var,
)


def _act(index: int, task: str, guard: Expr, updates: list[tuple[str, Expr]],
         text: str) -> Action:
    return Action(index=index, task=task, guard=guard, updates=tuple(updates),
                  info=StepInfo(text=text))


def counter_race(n_tasks: int = 2, atomic: bool = False) -> Model:
    """Each task does ``counter++``; non-atomically as ``tmp = counter; counter = tmp + 1``.

    Invariant ``count_ok``: once every task is done, counter == n_tasks.  Non-atomic: the
    shortest violation needs every task done, i.e. all 2n steps (two reads before the
    writes); every run has exactly 2n steps.  Atomic: the invariant holds, runs have n steps.
    """
    pc_t = EnumType("pc", ("read", "write", "done"))
    n = n_tasks
    counter = var("counter", IntType(0, n))
    tasks = tuple(f"T{t}" for t in range(n))
    decls = [VarDecl("counter", IntType(0, n))]
    init: list[tuple[int, ...]] = [(0,)]
    actions: list[Action] = []
    for t in tasks:
        decls += [VarDecl(f"{t}.pc", pc_t, owner=t, field="pc", internal=True),
                  VarDecl(f"{t}.tmp", IntType(0, n), owner=t, field="tmp")]
        init += [(0,), (0,)]
        pc, tmp = var(f"{t}.pc", pc_t), var(f"{t}.tmp", IntType(0, n))
        at = lambda v: mk("eq", pc, const(v, pc_t))  # noqa: E731
        if atomic:
            actions.append(_act(len(actions), t, at(0),
                                [("counter", mk("add", counter, const(1, IntType(0, n)))),
                                 (f"{t}.pc", const(2, pc_t))], "counter++"))
        else:
            actions.append(_act(len(actions), t, at(0),
                                [(f"{t}.tmp", counter), (f"{t}.pc", const(1, pc_t))],
                                "tmp = counter"))
            actions.append(_act(len(actions), t, at(1),
                                [("counter", mk("add", tmp, const(1, IntType(0, n)))),
                                 (f"{t}.pc", const(2, pc_t))], "counter = tmp + 1"))
    all_done = conj(*[mk("eq", var(f"{t}.pc", pc_t), const(2, pc_t)) for t in tasks])
    count_ok = Invariant("count_ok", disj(neg(all_done),
                                          mk("eq", counter, const(n, IntType(0, n)))))
    return Model(name=f"counter_race_{n}{'_atomic' if atomic else ''}", vars=tuple(decls),
                 init=tuple(init), actions=tuple(actions),
                 properties=(count_ok, DeadlockFree("no_deadlock")), tasks=tasks,
                 terminal=all_done)


def mutual_wait() -> Model:
    """A sets its flag only after seeing B's, and B only after seeing A's.

    Both tasks step to ``wait`` and then nothing is enabled while neither is done: a
    deadlock after exactly 2 steps, and no run is longer than 2 steps, so ``flags_off``
    (no flag is ever set) is proved exhaustively at depth 2.
    """
    pc_t = EnumType("pc", ("start", "wait", "done"))
    fa, fb = var("fa", BOOL), var("fb", BOOL)
    pa, pb = var("A.pc", pc_t), var("B.pc", pc_t)
    is_ = lambda p, v: mk("eq", p, const(v, pc_t))  # noqa: E731
    actions = (
        _act(0, "A", is_(pa, 0), [("A.pc", const(1, pc_t))], "prepare"),
        _act(1, "A", conj(is_(pa, 1), fb), [("fa", TRUE), ("A.pc", const(2, pc_t))],
             "wait_for(fb); fa = 1"),
        _act(2, "B", is_(pb, 0), [("B.pc", const(1, pc_t))], "prepare"),
        _act(3, "B", conj(is_(pb, 1), fa), [("fb", TRUE), ("B.pc", const(2, pc_t))],
             "wait_for(fa); fb = 1"),
    )
    return Model(name="mutual_wait",
                 vars=(VarDecl("fa", BOOL), VarDecl("fb", BOOL),
                       VarDecl("A.pc", pc_t, owner="A", field="pc", internal=True),
                       VarDecl("B.pc", pc_t, owner="B", field="pc", internal=True)),
                 init=((False,), (False,), (0,), (0,)), actions=actions,
                 properties=(DeadlockFree("no_deadlock"),
                             Invariant("flags_off", conj(neg(fa), neg(fb)))),
                 tasks=("A", "B"), terminal=conj(is_(pa, 2), is_(pb, 2)))


def handoff() -> Model:
    """B sets ``flag``; A waits for it.  The only run of two steps is B's step, then A's:
    a later task, then an earlier one, made dependent only by A's *guard* reading what B
    writes (BMC's reduced proof must keep that order, checker.engines.encode.peephole)."""
    pc_t = EnumType("pc", ("start", "done"))
    flag = var("flag", BOOL)
    pa, pb = var("A.pc", pc_t), var("B.pc", pc_t)
    is_ = lambda p, v: mk("eq", p, const(v, pc_t))  # noqa: E731
    actions = (
        _act(0, "A", conj(is_(pa, 0), flag), [("A.pc", const(1, pc_t))], "wait_for(flag)"),
        _act(1, "B", is_(pb, 0), [("flag", TRUE), ("B.pc", const(1, pc_t))], "flag = 1"),
    )
    return Model(name="handoff",
                 vars=(VarDecl("flag", BOOL),
                       VarDecl("A.pc", pc_t, owner="A", field="pc", internal=True),
                       VarDecl("B.pc", pc_t, owner="B", field="pc", internal=True)),
                 init=((False,), (0,), (0,)), actions=actions,
                 properties=(DeadlockFree("no_deadlock"),),
                 tasks=("A", "B"), terminal=conj(is_(pa, 1), is_(pb, 1)))


def spinner() -> Model:
    """One task flips ``x`` between 0 and 1 forever: no violation, but runs never end,
    so BMC can only say "holds up to the depth"."""
    x_t = IntType(0, 3)
    x = var("x", x_t)
    flip = _act(0, "S", TRUE, [("x", mk("sub", const(1, x_t), x))], "x = 1 - x")
    return Model(name="spinner", vars=(VarDecl("x", x_t),), init=((0,),), actions=(flip,),
                 properties=(Invariant("x_small", mk("le", x, const(1, x_t))),
                             DeadlockFree("no_deadlock")),
                 tasks=("S",), terminal=const(False, BOOL))


SIG = EnumType("sig", ("SIGUSR1", "SIGUSR2", "SIGTERM"))
SIGSET = SetType(SIG)
USR1, USR2, TERM = 0, 1, 2


def signals() -> Model:
    """Pending/blocked signal sets: union to raise, diff to unblock and to deliver, member
    in the guards, ite for the score (TERM scores 2, the others 1).

    ``not_three`` (score != 3) is first violated after 5 steps: raise USR2, raise TERM,
    unblock TERM, deliver both (in either order); USR2 alone needs 6 (raise+deliver x3).
    ``term_not_delivered`` (last <= SIGUSR2 by enum index) is first violated after 3
    steps: raise TERM, unblock it, deliver it.  A wrong union/diff/member/ite changes
    these numbers (with diff as a & b, say, a score of 3 is unreachable).
    """
    score_t = IntType(0, 7)
    pending, blocked = var("pending", SIGSET), var("blocked", SIGSET)
    last, score = var("last", SIG), var("score", score_t)
    sig = lambda s: const(s, SIG)  # noqa: E731
    one = lambda s: mk("singleton", sig(s))  # noqa: E731
    actions = [
        _act(0, "K", neg(mk("member", sig(USR2), pending)),
             [("pending", mk("union", pending, one(USR2)))], "raise SIGUSR2"),
        _act(1, "K", neg(mk("member", sig(TERM), pending)),
             [("pending", mk("union", pending, one(TERM)))], "raise SIGTERM"),
        _act(2, "K", mk("member", sig(TERM), blocked),
             [("blocked", mk("diff", blocked, one(TERM)))], "unblock SIGTERM"),
    ]
    for s in (USR1, USR2, TERM):
        gain = mk("ite", mk("eq", sig(s), sig(TERM)),
                  mk("add", score, const(2, score_t)), mk("add", score, const(1, score_t)))
        actions.append(_act(len(actions), "K",
                            conj(mk("member", sig(s), mk("diff", pending, blocked)),
                                 mk("lt", score, const(5, score_t))),
                            [("pending", mk("diff", pending, one(s))), ("last", sig(s)),
                             ("score", gain)], f"deliver {SIG.values[s]}"))
    return Model(name="signals",
                 vars=(VarDecl("pending", SIGSET), VarDecl("blocked", SIGSET),
                       VarDecl("last", SIG), VarDecl("score", score_t)),
                 init=((0,), (1 << TERM,), (USR1,), (0,)), actions=tuple(actions),
                 properties=(Invariant("not_three", mk("ne", score, const(3, score_t))),
                             Invariant("term_not_delivered", mk("le", last, sig(USR2)))),
                 tasks=("K",), terminal=const(False, BOOL))


def long_counter(limit: int = 1_000_000) -> Model:
    """Counts to ``limit`` one step at a time: proving anything needs ``limit`` steps, so
    any small time budget runs out first."""
    x_t = IntType(0, limit)
    x = var("x", x_t)
    inc = _act(0, "C", mk("lt", x, const(limit, x_t)),
               [("x", mk("add", x, const(1, x_t)))], "x++")
    return Model(name="long_counter", vars=(VarDecl("x", x_t),), init=((0,),),
                 actions=(inc,),
                 properties=(Invariant("bounded", mk("le", x, const(limit, x_t))),),
                 tasks=("C",), terminal=mk("eq", x, const(limit, x_t)))


def choice_init() -> Model:
    """Several allowed initial values and no actions: the bad initial state is a
    counterexample of length 0, and the model is proved at depth 0 otherwise."""
    x_t = IntType(0, 9)
    x = var("x", x_t)
    return Model(name="choice_init", vars=(VarDecl("x", x_t),), init=((1, 2, 7),),
                 actions=(),
                 properties=(Invariant("not_seven", mk("ne", x, const(7, x_t))),
                             Invariant("positive", mk("lt", const(0, x_t), x))),
                 terminal=TRUE)


ALL = {
    "counter_race_2": lambda: counter_race(2),
    "counter_race_3": lambda: counter_race(3),
    "counter_race_2_atomic": lambda: counter_race(2, atomic=True),
    "mutual_wait": mutual_wait,
    "spinner": spinner,
    "signals": signals,
    "choice_init": choice_init,
}


def pigeons(n: int = 10) -> Model:
    """n pigeons start in n-1 holes (any initial choice): some hole is always shared.

    No actions, so the whole question is one depth-0 query, and it is the pigeonhole
    principle, notoriously hard for CDCL solvers: at n=10 Z3 needs more than a minute,
    which makes it a reliable way to have the time budget run out *inside* a check.
    """
    h_t = IntType(0, n - 2)
    ps = [var(f"p{i}", h_t) for i in range(n)]
    shared = disj(*[mk("eq", ps[i], ps[j]) for i in range(n) for j in range(i + 1, n)])
    return Model(name=f"pigeons_{n}", vars=tuple(VarDecl(f"p{i}", h_t) for i in range(n)),
                 init=tuple(tuple(range(n - 1)) for _ in range(n)), actions=(),
                 properties=(Invariant("hole_shared", shared),), terminal=TRUE)
