"""The Promela export (tlamodel.emit_promela): shape of the text, and SPIN's verdicts on
hand-made models that exercise what the shipped specs do not (negative ranges, wide sets,
enum order, several initial values, read/write cycles in one step, models without program
counters, never-ending runs, deadlocks).

The agreement of SPIN with flagcheck on every shipped design × scenario and on random
models is tests/checker/test_spin_agreement.py; the SPIN cases here reuse its pipeline and
are skipped the same way when spin or a C compiler is missing.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.checker import models as CM
from tests.checker.test_spin_agreement import CC, SPIN, assert_agree, check_model
from flagcheck.tlamodel.emit_promela import PromelaWriter, final_actions, order_updates, to_promela
from flagcheck.tlamodel.ir import (BOOL, Action, DeadlockFree, EnumType, IntType, Invariant, Model, SetType,
                         StepInfo, VarDecl, const, mk, var)
from flagcheck.tlamodel.load import load_design
from tests.shipped import cached_design
from flagcheck.tlamodel.reduce import reduce_model

ROOT = Path(__file__).resolve().parents[2]
needs_spin = pytest.mark.skipif(SPIN is None or CC is None,
                                reason="needs `spin` and a C compiler (apt-get install spin gcc)")


def spec_model(design: str, scen: str) -> Model:
    d = cached_design(ROOT / "specs" / f"{design}.yaml")
    return reduce_model(d.model(d.scenario(scen)))


def edge_model() -> Model:
    """Negative ranges, enum order, an enum value that is not an identifier, a 10-element
    set, several initial values, names that are keywords somewhere and a swap."""
    neg = IntType(-3, 3)
    col = EnumType("colour", ("RED", "GREEN", "dark blue"))
    big = EnumType("sig", tuple(f"S{i}" for i in range(10)))
    sset = SetType(big)
    pc = IntType(0, 2)
    vs = (VarDecl("n", neg), VarDecl("m", neg), VarDecl("c", col), VarDecl("s", sset),
          VarDecl("SUBSET", BOOL), VarDecl("T.pc", pc, owner="T", field="pc", internal=True))
    n, mm, c, s, kw, tpc = (var(v.name, v.type) for v in vs)
    at = lambda k: mk("eq", tpc, const(k, pc))  # noqa: E731
    acts = (
        Action(0, "T", mk("and", at(0), mk("lt", c, const(2, col))),
               (("n", mm), ("m", n), ("T.pc", const(1, pc)),
                ("c", mk("ite", mk("le", n, const(-1, neg)), const(2, col), c, ty=col))),
               StepInfo("swap n and m")),
        Action(1, "T", mk("and", at(1), mk("not", mk("member", const(9, big), s))),
               (("s", mk("union", s, mk("singleton", const(9, big)))), ("SUBSET", mk("not", kw)),
                ("n", mk("ite", mk("lt", n, const(3, neg)), mk("add", n, const(1, neg)), n, ty=neg)),
                ("T.pc", const(2, pc))),
               StepInfo("raise S9", stack=("raise",))),
        Action(2, "T", at(2), (("s", mk("diff", s, const(0b1000000001, sset))),
                               ("T.pc", const(0, pc))), StepInfo("clear")),
    )
    inv = Invariant("IF", mk("or", mk("ne", n, const(3, neg)), mk("eq", c, const(0, col))))
    return Model("edge", vs, ((-3, 0, 2), (1,), (0, 2), (0, 1 << 9), (False,), (0,)), acts,
                 (inv, DeadlockFree("no_deadlock")), tasks=("T",),
                 terminal=mk("eq", tpc, const(2, pc)),
                 pcs=(("T", "T.pc", ()),))


def reserved_names_model() -> Model:
    """Variables called like Promela/C keywords, cpp's predefined macros and pan's macros."""
    i4 = IntType(0, 3)
    names = ("int", "linux", "BFS", "now", "__error", "x.y", "x_y")
    vs = tuple(VarDecl(nm, i4) for nm in names)
    acts = (Action(0, "t", mk("lt", var("int", i4), const(3, i4)),
                   tuple((nm, mk("ite", mk("lt", var(nm, i4), const(3, i4)),
                                 mk("add", var(nm, i4), const(1, i4)), var(nm, i4), ty=i4))
                         for nm in names), StepInfo("all += 1")),)
    inv = Invariant("linux_ok", mk("ne", var("linux", i4), const(3, i4)))
    return Model("reserved", vs, ((0,),) * len(vs), acts, (inv, DeadlockFree("dl")),
                 tasks=("t",), terminal=mk("eq", var("now", i4), const(3, i4)))


# ---------------------------------------------------------------- the text
def test_one_process_per_task_and_one_d_step_per_action() -> None:
    m = spec_model("rfc-v2-tif-taskwork", "oleg-lost-signal")
    text = to_promela(m)
    for t in m.tasks:
        assert f"active proctype task_{t}()" in text
    assert text.count(":: d_step {") == len(m.actions)
    for a in m.actions:
        assert re.search(rf"/\* a{a.index}\b", text), a.index
    # StepInfo text, kernel function stack and source location in the comments
    assert "/* a4: pause › schedule" in text
    assert "*   current.state = INTERRUPTIBLE;" in text
    assert "linux-base.yaml:" in text
    # invariants: a macro and a never claim each; no deadlock property in this scenario
    for name in ("no_lost_signal", "assertions"):
        assert f"#define INV_{name} " in text and f"never {name} {{" in text
    assert "terminal_watch" not in text
    # enums are #defined in declaration order; the error messages stay in comments
    assert "#define RUNNING 0\n#define INTERRUPTIBLE 1" in text
    assert re.search(r"#define error_1 1 +/\* assertion failed", text)
    # tasks that reach "finished" leave their loop
    assert text.count("}; break") == len(final_actions(m)) > 0


def test_deadlock_property_adds_the_terminal_watch() -> None:
    m = spec_model("coupled-5.9", "oleg-on-cpu")
    text = to_promela(m)
    assert "active proctype terminal_watch()" in text
    assert "end_terminal:  !TERMINAL_STATE" in text
    assert "-DNOCLAIM" in text          # the header says how to check it


def test_simultaneous_assignment_order() -> None:
    i4 = IntType(0, 3)
    x, y, z = (var(n, i4) for n in "xyz")
    # x := y, y := x is a cycle: one of them goes through a temporary
    direct, via = order_updates((("x", y), ("y", x)))
    assert len(via) == 1 and len(direct) == 1
    # z := x, x := y: z must be assigned before x, no temporary
    direct, via = order_updates((("x", y), ("z", x)))
    assert via == [] and direct == [1, 0]
    # x := x + 1 reads only itself
    assert order_updates((("x", mk("add", x, const(1, i4))),)) == ([0], [])
    text = to_promela(edge_model())
    assert re.search(r"tmp_\w+ = 0", text), "the scratch variable is reset inside the step"


def test_types_and_names() -> None:
    text = to_promela(edge_model())
    assert re.search(r"short n = \(-3\);", text)             # negative range: short, no offset
    assert re.search(r"short s = 0;", text)                  # 10-element set
    assert "#define colour_2 2" in text                      # "dark blue"
    assert "if :: n = (-3) :: n = 0 :: n = 2 fi;" in text    # several initial values
    assert "init\n{" in text and "run task_T()" in text
    text = to_promela(reserved_names_model())
    decls = re.findall(r"^byte (\w+) = ", text, re.M)
    assert "int" not in decls and "linux" not in decls and "BFS" not in decls and "now" not in decls
    assert len(set(decls)) == 7 and "error" in decls and "x_y" in decls


def test_writer_exposes_the_names_it_chose() -> None:
    w = PromelaWriter(edge_model())
    w.render()
    assert w.var["T.pc"] == "T_pc" and w.procs == {"T": "task_T"}
    assert set(w.claims) == {"IF"} and w.watch_name == "terminal_watch"


def two_invariants() -> Model:
    """The second never claim is the violated one: pan -N and the trail replay must pick it."""
    i4 = IntType(0, 3)
    x = var("x", i4)
    acts = (Action(0, "t", mk("lt", x, const(3, i4)), (("x", mk("add", x, const(1, i4))),),
                   StepInfo("x++")),)
    invs = (Invariant("a_holds", mk("le", x, const(3, i4))),
            Invariant("b_fails", mk("lt", x, const(2, i4))))
    return Model("two", (VarDecl("x", i4),), ((0,),), acts, invs + (DeadlockFree("dl"),),
                 tasks=("t",), terminal=mk("eq", x, const(3, i4)))


# ---------------------------------------------------------------- SPIN on hand-made models
HAND_MADE = {
    "two_invariants": two_invariants,
    "edge": edge_model,
    "reserved": reserved_names_model,
    "counter_race": lambda: CM.counter_race(2),
    "counter_race_atomic": lambda: CM.counter_race(2, atomic=True),
    "mutual_wait": CM.mutual_wait,
    "spinner": CM.spinner,
    "signals": CM.signals,
    "choice_init": CM.choice_init,
    "pigeons_4": lambda: CM.pigeons(4),
    # the unreduced model: Oleg's lost signal at its full depth, one step per statement
    "rfc_v2_oleg_unreduced": lambda: load_design(ROOT / "specs" / "rfc-v2-tif-taskwork.yaml")
    .model(load_design(ROOT / "specs" / "rfc-v2-tif-taskwork.yaml").scenario("oleg-lost-signal")),
}


@pytest.mark.slow
@pytest.mark.spin
@needs_spin
@pytest.mark.parametrize("name", sorted(HAND_MADE))
def test_spin_agrees_on_hand_made_models(name: str, tmp_path: Path) -> None:
    assert_agree(check_model(HAND_MADE[name](), tmp_path))
