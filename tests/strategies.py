"""Random IR expressions and models for the property-based tests: one strategy, shared.

Every differential test draws its random models from :func:`models` (BMC, k-induction,
PDR and the mined invariants against the explicit engine, the lasso BMC against the
explicit liveness search, the reduction, the explicit BFS against a brute-force oracle,
the SPIN and TLA+ exports), and the expression tests draw from :func:`exprs`.  What a test
needs of a different shape is a parameter, not a copy:

* ``models()``: 1-3 tasks, each a little program over a program counter (0..2, all start
  at 0, done at 2), its steps guarded and updating any of the shared variables x, y (0..3),
  f (bool), c (an enum) and s (a set of it) with expressions using every operator; an
  invariant ``x != k`` for a value x does not start at (so most violations need a few
  steps), sometimes or-ed with a random condition, and a deadlock property (terminal: every
  task done).
* ``models(pcs=False)``: no program counters: every step is its own task and can fire
  again whenever its guard holds, and the terminal predicate is random, so runs loop and
  end anywhere (the shape the BFS-against-oracle test needs for its depths and state
  counts).
* ``models(liveness=True)``: also the liveness properties ``LIVE`` (leads_to, eventually,
  always_eventually over random conditions and ``x == k`` atoms, and a two-obligation
  leads_to, the shape of a ``for_each``); the safety properties stay, so the engines
  dispatch mixed property lists.

:func:`sample` draws a fixed list of models for the tests that parametrize over them (the
SPIN pool, the TLA+ export): the same ones on every run.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from flagcheck.tlamodel.ir import (BOOL, Action, DeadlockFree, EnumType, Expr, IntType,
                                   Invariant, Liveness, Model, PcInfo, SetType, StepInfo, VarDecl,
                                   const, mk, var)

KINDS = ("bool", "int", "enum", "set")


@dataclass(frozen=True)
class Vocab:
    """What random expressions are made of: the variables of each kind and the types of
    the constants (ints over ``int_t``'s range, enums over ``enum_t``, sets over its
    powerset)."""
    int_t: IntType
    enum_t: EnumType
    bools: tuple[Expr, ...]
    ints: tuple[Expr, ...]
    enums: tuple[Expr, ...]
    sets: tuple[Expr, ...]

    @property
    def set_t(self) -> SetType:
        return SetType(self.enum_t)


@lru_cache(maxsize=None)
def exprs(vocab: Vocab, kind: str, depth: int) -> st.SearchStrategy[Expr]:
    """Well-typed expressions of ``kind`` (bool/int/enum/set) up to ``depth`` operators
    deep, over every IR operator: not/and/or (with 0-3 operands), eq/ne on every kind,
    lt/le on ints and enums, member, add/sub, ite, union/inter/diff, singleton.  Cached:
    building the strategy tree costs far more than drawing from it."""
    n_enum = len(vocab.enum_t.values)
    leaf = {
        "bool": st.sampled_from(vocab.bools + (const(True, BOOL), const(False, BOOL))),
        "int": st.one_of(st.sampled_from(vocab.ints),
                         st.integers(vocab.int_t.lo, vocab.int_t.hi).map(
                             lambda v: const(v, vocab.int_t))),
        "enum": st.one_of(st.sampled_from(vocab.enums),
                          st.integers(0, n_enum - 1).map(lambda v: const(v, vocab.enum_t))),
        "set": st.one_of(st.sampled_from(vocab.sets),
                         st.integers(0, (1 << n_enum) - 1).map(lambda v: const(v, vocab.set_t))),
    }[kind]
    if depth == 0:
        return leaf

    def sub(k: str) -> st.SearchStrategy[Expr]:
        return exprs(vocab, k, depth - 1)

    def two(op: str, k: str) -> st.SearchStrategy[Expr]:
        return st.tuples(sub(k), sub(k)).map(lambda a: mk(op, *a))

    ite = st.tuples(sub("bool"), sub(kind), sub(kind)).map(
        lambda a: mk("ite", *a, ty=a[1].type))
    options = {
        "bool": [sub("bool").map(lambda a: mk("not", a)),
                 st.lists(sub("bool"), max_size=3).map(lambda xs: Expr("and", tuple(xs), BOOL)),
                 st.lists(sub("bool"), max_size=3).map(lambda xs: Expr("or", tuple(xs), BOOL)),
                 *[two(op, k) for op in ("eq", "ne") for k in KINDS],
                 *[two(op, k) for op in ("lt", "le") for k in ("int", "enum")],
                 st.tuples(sub("enum"), sub("set")).map(lambda a: mk("member", *a))],
        "int": [two("add", "int"), two("sub", "int")],
        "enum": [],
        "set": [*[two(op, "set") for op in ("union", "inter", "diff")],
                sub("enum").map(lambda a: mk("singleton", a))],
    }[kind]
    return st.one_of(leaf, ite, *options)


def values(vocab: Vocab, kind: str) -> st.SearchStrategy[object]:
    """A value of ``kind`` in the vocabulary's types (for states to evaluate in)."""
    n_enum = len(vocab.enum_t.values)
    return {"bool": st.booleans(), "int": st.integers(vocab.int_t.lo, vocab.int_t.hi),
            "enum": st.integers(0, n_enum - 1), "set": st.integers(0, (1 << n_enum) - 1)}[kind]


# ------------------------------------------------------------------ the random models
I4 = IntType(0, 3)
COL = EnumType("colour", ("RED", "GREEN", "BLUE"))
SET = SetType(COL)
VARS = (VarDecl("x", I4), VarDecl("y", I4), VarDecl("f", BOOL), VarDecl("c", COL),
        VarDecl("s", SET))
X, Y, F, C, S = (var(v.name, v.type) for v in VARS)
VOCAB = Vocab(I4, COL, bools=(F,), ints=(X, Y), enums=(C,), sets=(S,))


def in_range(e: Expr) -> Expr:
    """Keep an int update inside 0..3, as the front end's range checks do."""
    ok = mk("and", mk("le", const(0, I4), e), mk("le", e, const(3, I4)))
    return mk("ite", ok, e, const(0, I4), ty=I4)


# built once: constructing these recursive strategies is far costlier than drawing from them
UPDATES = (("x", exprs(VOCAB, "int", 2).map(in_range)),
           ("y", exprs(VOCAB, "int", 1).map(in_range)),
           ("f", exprs(VOCAB, "bool", 2)), ("c", exprs(VOCAB, "enum", 1)),
           ("s", exprs(VOCAB, "set", 2)))
GUARDS = exprs(VOCAB, "bool", 2)
#: conditions of the liveness properties: random ones and ``x == k`` atoms
CONDS = st.one_of(exprs(VOCAB, "bool", 1), st.integers(0, 3).map(lambda v: mk("eq", X, const(v, I4))))
#: what each pc value means, as the loader says it (2: the task is done)
PC_INFO = (PcInfo("pc 0"), PcInfo("pc 1"), PcInfo("finished"))
#: the liveness properties of ``models(liveness=True)``
LIVE = ("lt", "ev", "ae", "lt2", "x12")


@st.composite
def models(draw: st.DrawFn, pcs: bool = True, liveness: bool = False) -> Model:
    """A random model over ``VARS`` (see the module docstring for the shapes)."""
    n_tasks = draw(st.integers(1, 3)) if pcs else 0
    pc_decls = [VarDecl(f"T{t}.pc", IntType(0, 2), owner=f"T{t}", field="pc", internal=True)
                for t in range(n_tasks)]
    actions: list[Action] = []

    def step(task: str, upd: list[tuple[str, Expr]], guard: Expr) -> None:
        for name, strat in UPDATES:
            if draw(st.booleans()):
                upd.append((name, draw(strat)))
        actions.append(Action(len(actions), task, guard, tuple(upd), StepInfo("step")))

    def condition() -> Expr:
        return draw(GUARDS) if draw(st.booleans()) else const(True, BOOL)

    if pcs:
        for t, p in enumerate(pc_decls):
            pc = var(p.name, p.type)
            for k in range(draw(st.integers(1, 3))):
                src, dst = (0 if k == 0 else draw(st.integers(0, 2))), draw(st.integers(0, 2))
                step(f"T{t}", [(p.name, const(dst, p.type))],
                     mk("and", mk("eq", pc, const(src, p.type)), condition()))
        terminal = mk("and", *(mk("eq", var(p.name, p.type), const(2, p.type))
                               for p in pc_decls))
    else:
        for k in range(draw(st.integers(1, 4))):
            step(f"T{k}", [], condition())
        terminal = draw(GUARDS)
    init_x = tuple(draw(st.sets(st.integers(0, 3), min_size=1, max_size=2)))
    init = ((init_x, (0,), tuple(draw(st.sets(st.booleans(), min_size=1))),
             (draw(st.integers(0, 2)),), (draw(st.integers(0, 7)),))
            + ((0,),) * n_tasks)
    # violated only once x reaches a drawn value, so most violations need a few steps
    target = draw(st.sampled_from([v for v in range(4) if v not in init_x]))
    inv = mk("ne", X, const(target, I4))
    if draw(st.booleans()):
        inv = mk("or", inv, draw(GUARDS))
    props: tuple = (Invariant("inv", inv), DeadlockFree("deadlock"))
    if liveness:
        props += (
            Liveness("lt", "leads_to", ((draw(CONDS), draw(CONDS)),)),
            Liveness("ev", "eventually", ((draw(CONDS), None),)),
            Liveness("ae", "always_eventually", ((draw(CONDS), None),)),
            Liveness("lt2", "leads_to", ((draw(CONDS), draw(CONDS)), (draw(CONDS), draw(CONDS))),
                     labels=("one", "two")),
            Liveness("x12", "leads_to", ((mk("eq", X, const(1, I4)), mk("eq", X, const(2, I4))),)),
        )
    tasks = tuple(p.owner or "" for p in pc_decls) if pcs else tuple(a.task for a in actions)
    return Model("random", VARS + tuple(pc_decls), init, tuple(actions), props,
                 terminal=terminal, tasks=tasks,
                 pcs=tuple((p.owner or "", p.name, PC_INFO) for p in pc_decls))


_SAMPLES: dict[tuple[int, bool, bool], list[Model]] = {}


def sample(n: int, pcs: bool = True, liveness: bool = False) -> list[Model]:
    """``n`` models drawn from ``models(pcs, liveness)``, the same ones on every run (the
    first ``n`` a derandomized generation phase yields), drawn once per process."""
    key = (n, pcs, liveness)
    if key not in _SAMPLES:
        out: list[Model] = []

        @settings(max_examples=n, derandomize=True, database=None, deadline=None,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        @given(models(pcs=pcs, liveness=liveness))
        def collect(m: Model) -> None:
            if len(out) < n:
                out.append(m)
        collect()
        _SAMPLES[key] = out
    return _SAMPLES[key]


# ------------------------------------------------------------------ symmetric tasks
#: a task's own counter in ``symmetric_models``
I3 = IntType(0, 2)
#: which task last claimed the shared state: values naming tasks, as the front end's run-time
#: error messages do, so a permutation of tasks must rename them too
WHO = EnumType("who", ("none", "A0", "A1", "A2", "B"))
SELF_V = var("SELF.v", I3)
SELF_VOCAB = Vocab(I4, COL, bools=(F,), ints=(X, SELF_V), enums=(C,), sets=(S,))
SELF_UPDATES = (("x", exprs(SELF_VOCAB, "int", 2).map(in_range)),
                ("SELF.v", exprs(SELF_VOCAB, "int", 1).map(
                    lambda e: mk("ite", mk("and", mk("le", const(0, I3), e),
                                           mk("le", e, const(2, I3))), e, const(0, I3), ty=I3))),
                ("f", exprs(SELF_VOCAB, "bool", 2)), ("c", exprs(SELF_VOCAB, "enum", 1)),
                ("s", exprs(SELF_VOCAB, "set", 1)))
SELF_GUARDS = exprs(SELF_VOCAB, "bool", 2)


def instantiate(e: Expr, task: str) -> Expr:
    """A template expression of ``symmetric_models`` for ``task``: ``SELF.v`` becomes the
    task's own variable and the ``WHO`` value ``SELF`` (index 5, one past the end) its name."""
    if e.op == "var":
        return var(f"{task}.v", e.type) if e.name == "SELF.v" else e
    if e.op == "const":
        return const(WHO.values.index(task), WHO) if e.type == WHO and e.value == 5 else e
    return Expr(e.op, tuple(instantiate(a, task) for a in e.args), e.type)


@st.composite
def symmetric_models(draw: st.DrawFn) -> Model:
    """2-3 tasks A0.. running one random template program over their own ``v`` (0..2) and
    the shared x, f, c, s of ``models()``, sometimes claiming ``who`` with their own name; a
    different task B sometimes too.  The invariant is symmetric (``x != k``, sometimes with
    a condition over every task's ``v``), or, one time in four, names A0 alone (which must
    break the symmetry, not the verdict); a deadlock property as ever."""
    k = draw(st.integers(2, 3))
    names = [f"A{i}" for i in range(k)] + (["B"] if draw(st.booleans()) else [])
    template: list[tuple[int, int, Expr, list[tuple[str, Expr]]]] = []
    for n in range(draw(st.integers(1, 3))):
        src, dst = (0 if n == 0 else draw(st.integers(0, 2))), draw(st.integers(0, 2))
        guard = draw(SELF_GUARDS) if draw(st.booleans()) else const(True, BOOL)
        if draw(st.integers(0, 3)) == 0:
            who = const(draw(st.sampled_from((0, 5))), WHO)
            guard = mk("and", guard, mk("eq", var("who", WHO), who))
        upd = [(name, draw(strat)) for name, strat in SELF_UPDATES if draw(st.booleans())]
        if draw(st.integers(0, 2)) == 0:
            upd.append(("who", const(draw(st.sampled_from((0, 5))), WHO)))
        template.append((src, dst, guard, upd))
    actions: list[Action] = []
    pcs = [VarDecl(f"{t}.pc", IntType(0, 2), owner=t, field="pc", internal=True) for t in names]
    for t, pc in zip(names, pcs):
        steps = template if t != "B" else [
            (0, draw(st.integers(0, 2)), draw(GUARDS), [("x", draw(UPDATES[0][1]))])]
        for src, dst, guard, upd in steps:
            at = mk("eq", var(pc.name, pc.type), const(src, pc.type))
            g = mk("and", at, instantiate(guard, t))
            ups = ((pc.name, const(dst, pc.type)),) + tuple(
                (n.replace("SELF", t), instantiate(e, t)) for n, e in upd)
            actions.append(Action(len(actions), t, g, ups, StepInfo("step")))
    own = [VarDecl(f"{t}.v", I3, owner=t, field="v") for t in names]
    init_v = tuple(draw(st.sets(st.integers(0, 2), min_size=1, max_size=2)))
    init_x = tuple(draw(st.sets(st.integers(0, 3), min_size=1, max_size=2)))
    init = ((init_x, (0,), (False,), (draw(st.integers(0, 2)),), (draw(st.integers(0, 7)),),
             (0,)) + (init_v,) * len(names) + ((0,),) * len(names))
    target = draw(st.sampled_from([v for v in range(4) if v not in init_x]))
    inv = mk("ne", X, const(target, I4))
    shape = draw(st.integers(0, 3))
    bad = draw(st.integers(0, 2))
    if shape == 1:     # symmetric: no task's v reached ``bad`` ... or x != k
        inv = mk("or", inv, mk("and", *(mk("ne", var(f"{t}.v", I3), const(bad, I3))
                                         for t in names if t != "B")))
    elif shape == 2:   # names A0 alone
        inv = mk("or", inv, mk("ne", var("A0.v", I3), const(bad, I3)))
    terminal = mk("and", *(mk("eq", var(p.name, p.type), const(2, p.type)) for p in pcs))
    return Model("symmetric", VARS + (VarDecl("who", WHO),) + tuple(own) + tuple(pcs), init,
                 tuple(actions), (Invariant("inv", inv), DeadlockFree("deadlock")),
                 terminal=terminal, tasks=tuple(names),
                 pcs=tuple((t, p.name, PC_INFO) for t, p in zip(names, pcs)))


def symmetric_sample(n: int) -> list[Model]:
    """``n`` models of ``symmetric_models``, the same ones on every run."""
    key = (n, "symmetric", False)
    if key not in _SAMPLES:
        out: list[Model] = []

        @settings(max_examples=n, derandomize=True, database=None, deadline=None,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        @given(symmetric_models())
        def collect(m: Model) -> None:
            if len(out) < n:
                out.append(m)
        collect()
        _SAMPLES[key] = out  # type: ignore[index]
    return _SAMPLES[key]  # type: ignore[index]
