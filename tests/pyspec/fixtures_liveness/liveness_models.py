"""Hand-made IR models for the liveness engines, each with verdicts worked out on paper.

Semantics (pyspec.liveness): infinite behaviours, a dead state stutters forever, weak
fairness per task (on the loop every task steps or is disabled somewhere), lasso traces with
``loop_start`` (``loop_start == n``: stutter forever in the dead last state).

``EXPECT[model][property] = None`` (holds) or ``(depth, loop_start)`` of the *shortest*
violating lasso (what BMC must report; the explicit engine's lasso may be longer, never
shorter).
"""
from __future__ import annotations

from pathlib import Path

from flagcheck.pyspec.trace import Trace
from flagcheck.tlamodel.ir import (BOOL, FALSE, TRUE, Action, Expr, IntType, Liveness, Model, StepInfo,
                         VarDecl, conj, const, mk, var)

X4 = IntType(0, 4)
PC = IntType(0, 2)


def _act(i: int, task: str, guard: Expr, updates: list[tuple[str, Expr]], text: str) -> Action:
    return Action(i, task, guard, tuple(updates), StepInfo(text))


def _eq(name: str, ty, v) -> Expr:  # noqa: ANN001
    return mk("eq", var(name, ty), const(v, ty))


def _b(name: str) -> Expr:
    return var(name, BOOL)


def _model(name: str, vars_, init, actions, props, terminal: Expr = FALSE) -> Model:  # noqa: ANN001
    tasks = tuple(dict.fromkeys(a.task for a in actions))
    return Model(name, tuple(vars_), tuple(init), tuple(actions), tuple(props),
                 tasks=tasks, terminal=terminal)


def spinner() -> Model:
    """One task S flips x between 0 and 1 forever (x: 0..4, starts at 0).  S is the only
    task and always enabled, so every fair behaviour is 0,1,0,1,...

    * reaches_one  eventually(x == 1): holds.
    * one_again    always_eventually(x == 1): holds.
    * never_two    eventually(x == 2): violated; shortest lasso 0 -> 1 -> 0, loop_start 0,
      depth 2 (a 1-step loop would need x unchanged by the flip).
    * back_to_zero leads_to(x == 1, x == 0): holds.
    * one_to_two   leads_to(x == 1, x == 2): violated; shortest lasso [0 -> 1 -> 0],
      loop_start 0, depth 2, although the obligation is pending only from position 1 on
      (false at the loop's first state in the first pass, true from then on forever).  An
      engine that wants the bit true throughout the first pass finds only
      0 -> [1 -> 0 -> 1], loop_start 1, depth 3 (the product-graph lasso of pyspec.liveness).
    """
    x = var("x", X4)
    flip = _act(0, "S", TRUE, [("x", mk("sub", const(1, X4), x))], "x = 1 - x")
    return _model("spinner", [VarDecl("x", X4)], [(0,)], [flip], [
        Liveness("reaches_one", "eventually", ((_eq("x", X4, 1), None),)),
        Liveness("one_again", "always_eventually", ((_eq("x", X4, 1), None),)),
        Liveness("never_two", "eventually", ((_eq("x", X4, 2), None),)),
        Liveness("back_to_zero", "leads_to", ((_eq("x", X4, 1), _eq("x", X4, 0)),)),
        Liveness("one_to_two", "leads_to", ((_eq("x", X4, 1), _eq("x", X4, 2)),)),
    ])


def starvation(intermittent: bool) -> Model:
    """Task A flips x forever; task B, at pc 0, may set done (pc -> 1) -- always
    (``intermittent=False``) or only while x == 1 (``intermittent=True``).

    * finishes eventually(done):
      - B always enabled at pc 0: holds.  The loop "A flips forever" is unfair: B is enabled
        in every state of it and never steps (``UNFAIR_STARVATION`` is such a lasso).
      - B enabled only when x == 1: violated under *weak* fairness: the loop x = 0, 1, 0 has
        B disabled at x == 0, so it is fair without B stepping (strong fairness would forbid
        it).  Shortest lasso: (x0) -> (x1) -> (x0), loop_start 0, depth 2.
    * a_moves always_eventually(x == 0): holds in both (A always enabled, must keep flipping;
      B setting done does not touch x).
    Vars: x (0..4), done (bool), B.pc (0..2).
    """
    x = var("x", X4)
    guard = _eq("B.pc", PC, 0)
    if intermittent:
        guard = conj(guard, _eq("x", X4, 1))
    acts = [_act(0, "A", TRUE, [("x", mk("sub", const(1, X4), x))], "x = 1 - x"),
            _act(1, "B", guard, [("done", TRUE), ("B.pc", const(1, PC))], "done = true")]
    return _model(f"starvation_{'intermittent' if intermittent else 'steady'}",
                  [VarDecl("x", X4), VarDecl("done", BOOL), VarDecl("B.pc", PC, owner="B",
                                                                     field="pc", internal=True)],
                  [(0,), (False,), (0,)], acts, [
                      Liveness("finishes", "eventually", ((_b("done"), None),)),
                      Liveness("a_moves", "always_eventually", ((_eq("x", X4, 0), None),)),
                  ])


#: starvation(False): A flips forever, B (always enabled) never steps: not fair
UNFAIR_STARVATION = ((((0, False, 0), (1, False, 0), (0, False, 0))), (0, 0), 0)


def handshake(acker: bool) -> Model:
    """Requesters R1, R2 each set req_i (pc 0 -> 1) and then wait for ack_i (pc 1 -> 2).
    With ``acker``, task K acks R1 (K.pc 0 -> 1 when req1) and nothing ever acks R2;
    without, nobody acks at all.

    * answered leads_to(req_i, ack_i), for_each over R1, R2 (labels):
      - no acker: violated.  Both requesters block at pc 1; the run deadlocks with req pending.
        Shortest: R1 raises (req1, no ack1) and then R2 raises -> dead: depth 2, stutter
        (loop_start 2).  A depth-1 stutter is impossible: after one step the other requester
        can still step.
      - acker: violated by R2's obligation only (K acks R1, R1 finishes; R2 stays blocked).
        Shortest: every task has to be stuck, so R1 raise, R2 raise, K ack, R1 done: depth 4,
        stutter (loop_start 4).
    * acked1 leads_to(req1, ack1): no acker: violated, depth 2 stutter (as above); acker:
      holds (K is enabled from req1 until it steps, so weak fairness makes it ack).
    * someone_acks eventually(ack1 || ack2): no acker: violated at the first dead state,
      depth 2 stutter; acker: holds.
    Vars: req1, ack1, req2, ack2 (bool), R1.pc, R2.pc, K.pc (0..2).
    """
    vs = [VarDecl(n, BOOL) for n in ("req1", "ack1", "req2", "ack2")]
    init: list[tuple] = [(False,)] * 4
    acts: list[Action] = []
    for i in (1, 2):
        pc = f"R{i}.pc"
        vs.append(VarDecl(pc, PC, owner=f"R{i}", field="pc", internal=True))
        init.append((0,))
        acts.append(_act(len(acts), f"R{i}", _eq(pc, PC, 0),
                         [(f"req{i}", TRUE), (pc, const(1, PC))], f"req{i} = true"))
        acts.append(_act(len(acts), f"R{i}", conj(_eq(pc, PC, 1), _b(f"ack{i}")),
                         [(pc, const(2, PC))], f"wait for ack{i}"))
    if acker:
        vs.append(VarDecl("K.pc", PC, owner="K", field="pc", internal=True))
        init.append((0,))
        acts.append(_act(len(acts), "K", conj(_eq("K.pc", PC, 0), _b("req1")),
                         [("ack1", TRUE), ("K.pc", const(1, PC))], "ack1 = true"))
    return _model(f"handshake_{'acker' if acker else 'none'}", vs, init, acts, [
        Liveness("answered", "leads_to", ((_b("req1"), _b("ack1")), (_b("req2"), _b("ack2"))),
                 labels=("R1", "R2")),
        Liveness("acked1", "leads_to", ((_b("req1"), _b("ack1")),)),
        Liveness("someone_acks", "eventually", ((mk("or", _b("ack1"), _b("ack2")), None),)),
    ])


def late_one_shot() -> Model:
    """Task A sets y = 1 once (pc 0 -> 1); task B flips x forever.

    * y_zero_often always_eventually(y == 0): violated (A must step by fairness, then y == 1
      forever): A, then B flips twice back: (y0 x0) -> (y1 x0) -> (y1 x1) -> (y1 x0), loop_start
      1, depth 3.  No depth-2 lasso: the loop needs y == 1 and a B step, and B needs two flips
      to come back.
    * x_zero_often always_eventually(x == 0): holds.
    Vars: x (0..4), y (0..4), A.pc (0..2).
    """
    x = var("x", X4)
    acts = [_act(0, "A", _eq("A.pc", PC, 0), [("y", const(1, X4)), ("A.pc", const(1, PC))],
                 "y = 1"),
            _act(1, "B", TRUE, [("x", mk("sub", const(1, X4), x))], "x = 1 - x")]
    return _model("late_one_shot", [VarDecl("x", X4), VarDecl("y", X4),
                                    VarDecl("A.pc", PC, owner="A", field="pc", internal=True)],
                  [(0,), (0,), (0,)], acts, [
                      Liveness("y_zero_often", "always_eventually", ((_eq("y", X4, 0), None),)),
                      Liveness("x_zero_often", "always_eventually", ((_eq("x", X4, 0), None),)),
                  ])


def idle() -> Model:
    """No actions, x starts at 0: the initial state is dead and stutters forever.

    * x_one eventually(x == 1): violated, depth 0, loop_start 0 (stutter).
    * x_zero_often always_eventually(x == 0): holds.
    * x_one_often always_eventually(x == 1): violated, depth 0 stutter.
    """
    return _model("idle", [VarDecl("x", X4)], [(0,)], [], [
        Liveness("x_one", "eventually", ((_eq("x", X4, 1), None),)),
        Liveness("x_zero_often", "always_eventually", ((_eq("x", X4, 0), None),)),
        Liveness("x_one_often", "always_eventually", ((_eq("x", X4, 1), None),)),
    ], terminal=TRUE)


def skip_forever() -> Model:
    """One task whose only action changes nothing: a self-loop, a real step every time.

    * flag_set eventually(f): violated, loop s0 -> s0: depth 1, loop_start 0 (not a stutter:
      the task is enabled and steps).
    """
    return _model("skip_forever", [VarDecl("f", BOOL)], [(False,)],
                  [_act(0, "T", TRUE, [], "skip")],
                  [Liveness("flag_set", "eventually", ((_b("f"), None),))])


def three_rings() -> Model:
    """A fair loop longer than the number of reachable states (5): x in 0..4, 4 = escaped.

    Task A: x == 0 -> x = 1 | 2 | 3 (three actions).  Task B_i (i = 1..3): x == i -> x = 0, and
    in any other non-escaped state x -> 4 (so B_i is enabled everywhere except at 4, and its
    only step that stays away from 4 is i -> 0).  x == 4 is dead.

    * escapes eventually(x == 4): violated.  A fair behaviour avoiding 4 must, in its loop,
      step every B_i, hence pass 1 -> 0, 2 -> 0 and 3 -> 0: loop 0,1,0,2,0,3,0 of 6 steps,
      loop_start 0, depth 6 > 5 reachable states.  (The stutter at 4 is not a violation:
      x == 4 there.)  BMC to depth 5 must say "holds up to depth 5".
    """
    x = var("x", X4)
    acts = [_act(i - 1, "A", _eq("x", X4, 0), [("x", const(i, X4))], f"x = {i}")
            for i in (1, 2, 3)]
    for i in (1, 2, 3):
        acts.append(_act(len(acts), f"B{i}", _eq("x", X4, i), [("x", const(0, X4))],
                         f"x = 0 (from {i})"))
        acts.append(_act(len(acts), f"B{i}",
                         conj(mk("ne", x, const(i, X4)), mk("ne", x, const(4, X4))),
                         [("x", const(4, X4))], "x = 4"))
    return _model("three_rings", [VarDecl("x", X4)], [(0,)], acts,
                  [Liveness("escapes", "eventually", ((_eq("x", X4, 4), None),))])


ALL = {
    "spinner": spinner,
    "starvation_steady": lambda: starvation(False),
    "starvation_intermittent": lambda: starvation(True),
    "handshake_none": lambda: handshake(False),
    "handshake_acker": lambda: handshake(True),
    "late_one_shot": late_one_shot,
    "idle": idle,
    "skip_forever": skip_forever,
    "three_rings": three_rings,
}

#: model -> property -> None (holds) or (shortest depth, loop_start of a shortest lasso, or
#: None where several loop starts give the same depth)
EXPECT: dict[str, dict[str, tuple[int, int | None] | None]] = {
    "spinner": {"reaches_one": None, "one_again": None, "never_two": (2, 0),
                "back_to_zero": None, "one_to_two": (2, 0)},
    "starvation_steady": {"finishes": None, "a_moves": None},
    "starvation_intermittent": {"finishes": (2, 0), "a_moves": None},
    "handshake_none": {"answered": (2, 2), "acked1": (2, 2), "someone_acks": (2, 2)},
    "handshake_acker": {"answered": (4, 4), "acked1": None, "someone_acks": None},
    "late_one_shot": {"y_zero_often": (3, 1), "x_zero_often": None},
    "idle": {"x_one": (0, 0), "x_zero_often": None, "x_one_often": (0, 0)},
    "skip_forever": {"flag_set": (1, 0)},
    "three_rings": {"escapes": (6, 0)},
}

#: where the explicit engine's lasso (BFS-shortest prefix to the first fair SCC found, then
#: a greedy loop) is longer than the shortest one: one_to_two is pending only from the first
#: x == 1 on, so the product-graph lasso is 0 -> [1 -> 0 -> 1]
EXPLICIT: dict[tuple[str, str], tuple[int, int]] = {("spinner", "one_to_two"): (3, 1)}


def unfair_trace() -> Trace:
    """``UNFAIR_STARVATION`` as a Trace (A flips twice, B never steps although enabled)."""
    states, actions, loop_start = UNFAIR_STARVATION
    return Trace(states, actions, loop_start)


# ---------------------------------------------------------------- shipped specs
SPECS_DIR = Path(__file__).resolve().parents[3] / "specs"


def spec_model(design: str, scenario: str, extra: tuple[str, ...]) -> Model:
    """The reduced model of ``specs/<design>.yaml`` x ``scenario`` with the library
    properties ``extra`` added to the design's ``check:`` list (in memory: the design file
    is not touched), built through the front end's own path (tlamodel.load.build_model)."""
    import dataclasses

    from flagcheck.tlamodel.load import Design, load_design
    from flagcheck.tlamodel.reduce import reduce_model

    d = load_design(SPECS_DIR / f"{design}.yaml")
    check = list(d.spec.check or [(n, None) for n in d.merged.properties])
    check += [(n, None) for n in extra if n not in [c for c, _ in check]]
    d2 = Design(dataclasses.replace(d.spec, check=check), d.merged, d.scenarios, d.resolver)
    return reduce_model(d2.model(d2.scenario(scenario)))
