"""The intermediate representation every engine reads: a flat, finite transition system.

Why flat: the front end (tlamodel.compile) expands per-task and per-group state into scalar
variables (``T.TIF_SIGPENDING``), substitutes procedure arguments, unrolls quantifiers over
the finite task/signal domains and compiles each task's code into guarded actions over an
explicit program counter.  What is left is small enough that the explicit interpreter
(pyspec) and the Z3 encoding (checker) can both implement it in a page, and any
disagreement between them is a bug in one page, not in two front ends.

Values
    bool  -> Python ``bool``
    int   -> Python ``int`` within ``IntType.lo..hi``
    enum  -> Python ``int``, the index into ``EnumType.values``
    set   -> Python ``int``, a bitmask over the element enum (bit i = value i is a member)

Expressions are ``Expr(op, args, type, value, name)`` with a fixed set of operators
(``OPS``).  Arithmetic is on unbounded integers; range checks of assignments are explicit
in the IR (the front end turns an out-of-range write into an assertion failure), so the
engines never clamp or wrap.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Union

Value = Union[bool, int]


# ---------------------------------------------------------------- types
@dataclass(frozen=True)
class BoolType:
    def __str__(self) -> str:
        return "bool"


@dataclass(frozen=True)
class IntType:
    lo: int
    hi: int

    def __str__(self) -> str:
        return f"{self.lo}..{self.hi}"


@dataclass(frozen=True)
class EnumType:
    name: str
    values: tuple[str, ...]

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class SetType:
    elem: EnumType

    def __str__(self) -> str:
        return f"set({self.elem.name})"


Type = Union[BoolType, IntType, EnumType, SetType]
BOOL = BoolType()


def domain(ty: Type) -> tuple[Value, ...]:
    """All values of a finite type, in canonical order."""
    if isinstance(ty, BoolType):
        return (False, True)
    if isinstance(ty, IntType):
        return tuple(range(ty.lo, ty.hi + 1))
    if isinstance(ty, EnumType):
        return tuple(range(len(ty.values)))
    return tuple(range(1 << len(ty.elem.values)))


def show_value(ty: Type, v: Value) -> str:
    """Render a value the way a design author wrote it (enum names, ``{SIGUSR1}``)."""
    if isinstance(ty, BoolType):
        return "true" if v else "false"
    if isinstance(ty, IntType):
        return str(v)
    if isinstance(ty, EnumType):
        return ty.values[int(v)] if 0 <= int(v) < len(ty.values) else f"<{v}?>"
    members = [n for i, n in enumerate(ty.elem.values) if int(v) >> i & 1]
    return "{" + ", ".join(members) + "}"


# ---------------------------------------------------------------- expressions
#: operator -> (min arity, max arity or None); ``const`` and ``var`` carry value/name.
OPS: dict[str, tuple[int, int | None]] = {
    "const": (0, 0),
    "var": (0, 0),
    "not": (1, 1),
    "and": (0, None),   # n-ary; empty = true
    "or": (0, None),    # n-ary; empty = false
    "eq": (2, 2),       # any type, both sides the same type
    "ne": (2, 2),
    "lt": (2, 2),       # int / enum (by index)
    "le": (2, 2),
    "add": (2, 2),      # int, unbounded
    "sub": (2, 2),
    "ite": (3, 3),      # cond, then, else
    "union": (2, 2),    # set, set -> set
    "inter": (2, 2),
    "diff": (2, 2),     # a minus b
    "singleton": (1, 1),  # enum -> set with that one element
    "member": (2, 2),   # enum, set -> bool
}


def _all(*xs: Value) -> bool:
    return all(xs)


def _any(*xs: Value) -> bool:
    return any(xs)


#: the meaning of every non-leaf operator on plain values (see "Values" above).  One table
#: so that constant folding (tlamodel.fold) and the explicit interpreter (pyspec.evaluate,
#: whose specialised closures must agree with it) cannot drift apart.
MEANING: dict[str, Callable[..., Value]] = {
    "not": lambda a: not a,
    "and": _all,
    "or": _any,
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "ite": lambda c, t, e: t if c else e,
    "union": lambda a, b: a | b,
    "inter": lambda a, b: a & b,
    "diff": lambda a, b: a & ~b,
    "singleton": lambda e: 1 << e,
    "member": lambda e, s: ((s >> e) & 1) == 1,
}


@dataclass(frozen=True)
class Expr:
    op: str
    args: tuple["Expr", ...]
    type: Type
    value: Value | None = None   # for const
    name: str | None = None      # for var

    def __post_init__(self) -> None:
        lo, hi = OPS[self.op]
        n = len(self.args)
        if n < lo or (hi is not None and n > hi):
            raise ValueError(f"IR: {self.op} takes {lo}..{hi} args, got {n}")

    def __str__(self) -> str:
        return show_expr(self)

    def __hash__(self) -> int:
        # engines memoise on Expr; a cached hash keeps that O(1) instead of O(tree)
        try:
            return self.__dict__["_hash"]  # type: ignore[no-any-return]
        except KeyError:
            h = hash((self.op, self.args, self.type, self.value, self.name))
            object.__setattr__(self, "_hash", h)
            return h


def const(v: Value, ty: Type) -> Expr:
    return Expr("const", (), ty, value=v)


def var(name: str, ty: Type) -> Expr:
    return Expr("var", (), ty, name=name)


TRUE = const(True, BOOL)
FALSE = const(False, BOOL)


def mk(op: str, *args: Expr, ty: Type | None = None) -> Expr:
    """Build an operator node, inferring the result type where it is determined."""
    if ty is None:
        if op in ("not", "and", "or", "eq", "ne", "lt", "le", "member"):
            ty = BOOL
        elif op in ("add", "sub"):
            ty = IntType(-(1 << 30), 1 << 30)
        elif op == "ite":
            ty = args[1].type
        elif op in ("union", "inter", "diff"):
            ty = args[0].type
        elif op == "singleton":
            assert isinstance(args[0].type, EnumType)
            ty = SetType(args[0].type)
        else:
            raise ValueError(op)
    return Expr(op, tuple(args), ty)


def conj(*xs: Expr) -> Expr:
    flat = [x for x in xs if not (x.op == "const" and x.value is True)]
    if any(x.op == "const" and x.value is False for x in flat):
        return FALSE
    if not flat:
        return TRUE
    return flat[0] if len(flat) == 1 else mk("and", *flat)


def disj(*xs: Expr) -> Expr:
    flat = [x for x in xs if not (x.op == "const" and x.value is False)]
    if any(x.op == "const" and x.value is True for x in flat):
        return TRUE
    if not flat:
        return FALSE
    return flat[0] if len(flat) == 1 else mk("or", *flat)


def neg(x: Expr) -> Expr:
    if x.op == "const":
        return const(not x.value, BOOL)
    if x.op == "not":
        return x.args[0]
    return mk("not", x)


def free_vars(e: Expr) -> frozenset[str]:
    if e.op == "var":
        assert e.name is not None
        return frozenset((e.name,))
    out: frozenset[str] = frozenset()
    for a in e.args:
        out |= free_vars(a)
    return out


def pc_value(guard: Expr, pc: str, nested: bool = True) -> int | None:
    """``k`` when ``guard`` is, or conjoins, ``pc == k`` (or ``k == pc``); None otherwise.

    The front end puts a task's ``pc == k`` at the top of each of its guards; the emitters,
    the reduction, the explicit engine's dispatch and the trace facts all read the program
    point off it.  ``nested=False`` looks at the top-level conjuncts only (the explicit
    engine's dispatch does, and its successor order -- hence which shortest counterexample
    it finds -- depends on which actions are dispatched by pc)."""
    for g in guard.args if guard.op == "and" else (guard,):
        if g.op == "eq":
            a, b = g.args
            if a.op == "var" and a.name == pc and b.op == "const":
                return int(b.value)  # type: ignore[arg-type]
            if b.op == "var" and b.name == pc and a.op == "const":
                return int(a.value)  # type: ignore[arg-type]
        elif nested and g.op == "and":
            k = pc_value(g, pc)
            if k is not None:
                return k
    return None


_INFIX = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "add": "+", "sub": "-",
          "union": "+", "diff": "-", "inter": "&"}


def show_expr(e: Expr) -> str:
    """C-like rendering in the design's own names (used for invariants and reports)."""
    if e.op == "const":
        assert e.value is not None
        return show_value(e.type, e.value)
    if e.op == "var":
        return str(e.name)
    a = [show_expr(x) for x in e.args]
    if e.op == "not":
        return f"!({a[0]})" if e.args[0].op not in ("var", "const", "member") else f"!{a[0]}"
    if e.op in ("and", "or"):
        if not a:
            return "true" if e.op == "and" else "false"
        sep = " && " if e.op == "and" else " || "
        return "(" + sep.join(a) + ")"
    if e.op in _INFIX:
        return f"({a[0]} {_INFIX[e.op]} {a[1]})"
    if e.op == "ite":
        return f"({a[0]} ? {a[1]} : {a[2]})"
    if e.op == "singleton":
        return "{" + a[0] + "}"
    if e.op == "member":
        return f"({a[0]} in {a[1]})"
    raise ValueError(e.op)


# ---------------------------------------------------------------- model
@dataclass(frozen=True)
class SourceLoc:
    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class VarDecl:
    """One scalar state variable.

    ``owner`` is the task or group the variable belongs to (None for globals and
    internals); ``field`` its name there, so reports can draw one column per task.
    ``internal`` marks the program counters and the error variable.
    """
    name: str
    type: Type
    owner: str | None = None
    field: str | None = None
    internal: bool = False


@dataclass(frozen=True)
class StepInfo:
    """What a trace shows for one action: the statement, where it came from, and the
    chain of inlined procedures (the kernel functions) it sits in."""
    text: str
    loc: SourceLoc | None = None
    label: str | None = None
    stack: tuple[str, ...] = ()
    #: branch decisions taken inside the step ("if (wants_signal(t, sig)) -> false")
    detail: tuple[str, ...] = ()


@dataclass(frozen=True)
class Action:
    """A guarded simultaneous assignment.  ``updates`` are evaluated in the pre-state;
    variables not listed keep their value.  The program counter of ``task`` is an ordinary
    variable mentioned in ``guard`` and ``updates``."""
    index: int
    task: str
    guard: Expr
    updates: tuple[tuple[str, Expr], ...]
    info: StepInfo
    #: for a step merged by tlamodel.reduce: the original actions it runs, in order (each
    #: with its own guard, updates and statement), so a trace can show every statement with
    #: its own label and say which one a blocked task is really waiting at; () otherwise
    parts: tuple["Action", ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class Invariant:
    name: str
    expr: Expr
    doc: str = ""
    loc: SourceLoc | None = None


@dataclass(frozen=True)
class DeadlockFree:
    """Violated in a state where no action is enabled and ``Model.terminal`` is false."""
    name: str
    doc: str = ""
    loc: SourceLoc | None = None


@dataclass(frozen=True)
class Liveness:
    """A liveness property under weak fairness of tasks (a task that stays enabled
    eventually steps; a run that ends, or deadlocks, stutters in its last state forever).

    ``kind``:
      - ``leads_to``: every ``(p, q)`` in ``instances``: whenever p holds, q holds then or later;
      - ``eventually``: every ``(p, _)``: p holds at some point of every run;
      - ``always_eventually``: every ``(p, _)``: p holds infinitely often.
    ``instances`` are the obligations of a ``for_each`` property (one per task), all of which
    must hold; a counterexample is a fair lasso (``Trace.loop_start``) violating one of them.
    """
    name: str
    kind: str
    instances: tuple[tuple[Expr, Expr | None], ...]
    doc: str = ""
    loc: SourceLoc | None = None
    labels: tuple[str, ...] = ()     # which task each instance is about ("" if none)


Property = Union[Invariant, DeadlockFree, Liveness]


@dataclass(frozen=True)
class PcInfo:
    """Where a task's program counter value points, for traces ("asleep in schedule()")."""
    text: str
    stack: tuple[str, ...] = ()
    loc: SourceLoc | None = None


@dataclass(frozen=True)
class Model:
    name: str
    vars: tuple[VarDecl, ...]
    #: allowed initial values per variable, in ``vars`` order (usually one each)
    init: tuple[tuple[Value, ...], ...]
    actions: tuple[Action, ...]
    properties: tuple[Property, ...]
    tasks: tuple[str, ...] = ()
    #: true in states where every task has finished (or a run-time error stopped the run)
    terminal: Expr = TRUE
    #: per task: name of its pc variable and what each pc value means
    pcs: tuple[tuple[str, str, tuple[PcInfo, ...]], ...] = ()
    #: name of the run-time error variable (assertion/range failures), if any
    error_var: str | None = None
    meta: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    #: variables that *some* property of the design could read (library, design and scenario
    #: properties, checked or not): tlamodel.reduce keeps them visible, so the reduced model,
    #: and with it a counterexample's depth, does not depend on which properties a run checks
    observable: frozenset[str] = frozenset()

    def var_index(self) -> dict[str, int]:
        return {v.name: i for i, v in enumerate(self.vars)}

    def property(self, name: str) -> Property:
        for p in self.properties:
            if p.name == name:
                return p
        raise KeyError(name)
