"""Tiny hand-built IR models whose state spaces and counterexamples are derived by hand
(and ``naive``, the independent expression oracle)."""
from __future__ import annotations

from flagcheck.tlamodel.ir import (BOOL, FALSE, TRUE, Action, DeadlockFree, Expr, IntType,
                         Invariant, Model, PcInfo, StepInfo, VarDecl, conj, const, disj, mk,
                         var)


def v(name: str, ty) -> Expr:
    return var(name, ty)


def eqc(name: str, ty, value) -> Expr:
    return mk("eq", var(name, ty), const(value, ty))


def _act(index: int, task: str, guard: Expr, updates: list[tuple[str, Expr]], text: str) -> Action:
    return Action(index, task, guard, tuple(updates), StepInfo(text))


def lost_update() -> Model:
    """Two tasks each do ``tmp = x; x = tmp + 1`` non-atomically.

    Vars (x, pc_A, tmp_A, pc_B, tmp_B), all start at 0.  Hand count of reachable states
    by depth: 1, 2, 3, 4, 3 = 13; diameter 4.  "no_lost_update" (both done => x == 2) is
    violated only after read A, read B, write, write: shortest trace 4 steps, x == 1.
    Actions: 0 A read, 1 A write, 2 B read, 3 B write."""
    X, PC, TMP = IntType(0, 2), IntType(0, 2), IntType(0, 2)
    vars_ = (VarDecl("x", X),
             VarDecl("pc_A", PC, owner="A", field="pc", internal=True),
             VarDecl("tmp_A", TMP, owner="A", field="tmp"),
             VarDecl("pc_B", PC, owner="B", field="pc", internal=True),
             VarDecl("tmp_B", TMP, owner="B", field="tmp"))
    actions = []
    for t in ("A", "B"):
        pc, tmp = f"pc_{t}", f"tmp_{t}"
        actions.append(_act(len(actions), t, eqc(pc, PC, 0),
                            [(tmp, v("x", X)), (pc, const(1, PC))], "tmp = x"))
        actions.append(_act(len(actions), t, eqc(pc, PC, 1),
                            [("x", mk("add", v(tmp, TMP), const(1, X))), (pc, const(2, PC))],
                            "x = tmp + 1"))
    both_done = conj(eqc("pc_A", PC, 2), eqc("pc_B", PC, 2))
    pcinfo = (PcInfo("tmp = x"), PcInfo("x = tmp + 1"), PcInfo("done"))
    return Model(
        name="lost_update", vars=vars_, init=((0,),) * 5, actions=tuple(actions),
        properties=(Invariant("no_lost_update", disj(mk("not", both_done), eqc("x", X, 2))),
                    DeadlockFree("deadlock_free")),
        tasks=("A", "B"), terminal=both_done,
        pcs=(("A", "pc_A", pcinfo), ("B", "pc_B", pcinfo)))


def atomic_counter(terminal_when_done: bool = True) -> Model:
    """Each of two tasks does ``x += 1`` in one step.  Vars (x, pc_A, pc_B).

    Reachable: (0,0,0) (1,1,0) (1,0,1) (2,1,1): 4 states, diameter 2; the invariant holds.
    With ``terminal_when_done=False`` the terminal predicate is FALSE, so the final state
    (2,1,1) is a deadlock at depth 2."""
    X, PC = IntType(0, 2), IntType(0, 1)
    vars_ = (VarDecl("x", X), VarDecl("pc_A", PC, internal=True),
             VarDecl("pc_B", PC, internal=True))
    actions = tuple(
        _act(i, t, eqc(f"pc_{t}", PC, 0),
             [("x", mk("add", v("x", X), const(1, X))), (f"pc_{t}", const(1, PC))], "x += 1")
        for i, t in enumerate(("A", "B")))
    both_done = conj(eqc("pc_A", PC, 1), eqc("pc_B", PC, 1))
    return Model(
        name="atomic_counter", vars=vars_, init=((0,),) * 3, actions=actions,
        properties=(Invariant("counted", disj(mk("not", both_done), eqc("x", X, 2))),
                    DeadlockFree("deadlock_free")),
        tasks=("A", "B"), terminal=both_done if terminal_when_done else FALSE)


def mutual_wait(flag_init: tuple[bool, ...] = (False,)) -> Model:
    """A: prepare; await flag_B; flag_A = true.  B: prepare; await flag_A; flag_B = true.

    Vars (flag_A, flag_B, pc_A, pc_B).  From the default init the reachable states are the
    4 pc combinations in {0,1}^2 (flags never set); (pc_A, pc_B) = (1, 1) is a deadlock at
    depth 2.  Actions: 0 A prepare, 1 A await, 2 A set, 3 B prepare, 4 B await, 5 B set."""
    PC = IntType(0, 3)
    vars_ = (VarDecl("flag_A", BOOL), VarDecl("flag_B", BOOL),
             VarDecl("pc_A", PC, internal=True), VarDecl("pc_B", PC, internal=True))
    actions: list[Action] = []
    for t, other in (("A", "B"), ("B", "A")):
        pc = f"pc_{t}"
        actions.append(_act(len(actions), t, eqc(pc, PC, 0), [(pc, const(1, PC))], "prepare"))
        actions.append(_act(len(actions), t, conj(eqc(pc, PC, 1), v(f"flag_{other}", BOOL)),
                            [(pc, const(2, PC))], f"await flag_{other}"))
        actions.append(_act(len(actions), t, eqc(pc, PC, 2),
                            [(f"flag_{t}", TRUE), (pc, const(3, PC))], f"flag_{t} = true"))
    pcs = tuple((t, f"pc_{t}", (PcInfo("prepare"), PcInfo("await"), PcInfo("set"),
                                PcInfo("done"))) for t in ("A", "B"))
    return Model(
        name="mutual_wait", vars=vars_, init=(flag_init, flag_init, (0,), (0,)),
        actions=tuple(actions),
        properties=(DeadlockFree("no_deadlock"),
                    Invariant("flags_off", conj(mk("not", v("flag_A", BOOL)),
                                                mk("not", v("flag_B", BOOL))))),
        tasks=("A", "B"), terminal=conj(eqc("pc_A", PC, 3), eqc("pc_B", PC, 3)), pcs=pcs)


def toggle() -> Model:
    """One boolean flipped forever: the smallest model with a cycle (for lasso traces)."""
    return Model(name="toggle", vars=(VarDecl("b", BOOL),), init=((False,),),
                 actions=(_act(0, "T", TRUE, [("b", mk("not", v("b", BOOL)))], "b = !b"),),
                 properties=(), tasks=("T",))


def counter_race(n_tasks: int, rounds: int) -> Model:
    """``n_tasks`` tasks each do ``rounds`` non-atomic increments of x (benchmark model).

    "bounded" (x <= n_tasks * rounds) holds; "all_counted" (all done => x == total) does not
    for n_tasks >= 2."""
    total = n_tasks * rounds
    X, TMP, PC = IntType(0, total), IntType(0, total), IntType(0, 2 * rounds)
    names = [f"T{k}" for k in range(n_tasks)]
    vars_ = [VarDecl("x", X)]
    for t in names:
        vars_ += [VarDecl(f"pc_{t}", PC, internal=True), VarDecl(f"tmp_{t}", TMP)]
    actions: list[Action] = []
    for t in names:
        pc, tmp = f"pc_{t}", f"tmp_{t}"
        for r in range(rounds):
            actions.append(_act(len(actions), t, eqc(pc, PC, 2 * r),
                                [(tmp, v("x", X)), (pc, const(2 * r + 1, PC))], "tmp = x"))
            actions.append(_act(len(actions), t, eqc(pc, PC, 2 * r + 1),
                                [("x", mk("add", v(tmp, TMP), const(1, X))),
                                 (pc, const(2 * r + 2, PC))], "x = tmp + 1"))
    all_done = conj(*(eqc(f"pc_{t}", PC, 2 * rounds) for t in names))
    pcs = tuple((t, f"pc_{t}", tuple(PcInfo(str(k)) for k in range(2 * rounds + 1)))
                for t in names)
    return Model(
        name=f"counter_race_{n_tasks}x{rounds}", vars=tuple(vars_),
        init=((0,),) * len(vars_), actions=tuple(actions),
        properties=(Invariant("bounded", mk("le", v("x", X), const(total, X))),
                    Invariant("all_counted", disj(mk("not", all_done),
                                                  eqc("x", X, total))),
                    DeadlockFree("deadlock_free")),
        tasks=tuple(names), terminal=all_done, pcs=pcs)


def naive(e: Expr, env: dict):
    """Independent oracle: a direct transcription of the ir.py documentation, walking the
    tree per call with variables looked up by name."""
    if e.op == "const":
        return e.value
    if e.op == "var":
        return env[e.name]
    a = [naive(y, env) for y in e.args]
    table = {
        "not": lambda: not a[0], "and": lambda: all(a), "or": lambda: any(a),
        "eq": lambda: a[0] == a[1], "ne": lambda: a[0] != a[1],
        "lt": lambda: a[0] < a[1], "le": lambda: a[0] <= a[1],
        "add": lambda: a[0] + a[1], "sub": lambda: a[0] - a[1],
        "ite": lambda: a[1] if a[0] else a[2],
        "union": lambda: a[0] | a[1], "inter": lambda: a[0] & a[1],
        "diff": lambda: a[0] & ~a[1], "singleton": lambda: 1 << a[0],
        "member": lambda: (a[1] >> a[0]) & 1 == 1,
    }
    return table[e.op]()
