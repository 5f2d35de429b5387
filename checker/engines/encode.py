"""Z3 semantics of the IR (tlamodel.ir): states, expressions and one step, per time index.

Why step-indexed copies: bounded model checking asks "is there a run of length k that
ends in a bad state?", which is one formula over k+1 copies of the state variables
``x@0 .. x@k`` linked by k copies of the transition relation.  This module builds those
formulas and nothing else; which ones to assert, and when, is the engine's business.

Sorts: bool -> Bool; int and enum -> a signed BitVec of one model-wide width W (enum =
index into ``EnumType.values``); set -> BitVec(n) with bit i meaning "value i is a member"
(n >= 1; Z3 has no 0-bit vectors, so a set over an empty enum is a 1-bit vector pinned
to 0).

Why bit-vectors and not Int: every IR type is finite, and with bit-vectors the whole
problem is propositional, so Z3's incremental SAT back end (``SolverFor("QF_BV")``) can
take it; measured on the shipped specs this is ~50x faster than linear integer
arithmetic at depth 40.  W is chosen so that no value any sub-expression can take
(computed by interval analysis from the declared variable ranges) overflows, so the
modular arithmetic of bit-vectors agrees with the IR's unbounded integers.
"""
from __future__ import annotations

from typing import Callable

import z3

from flagcheck.pyspec.por import footprint
from flagcheck.tlamodel.ir import (
    Action, BoolType, DeadlockFree, EnumType, Expr, IntType, Invariant, Model, Property,
    SetType, Type, Value,
)


def substitute(term: z3.ExprRef, pairs: list[tuple[z3.ExprRef, z3.ExprRef]]) -> z3.ExprRef:
    """``z3.substitute`` straight through the C API.  Why: z3py checks every pair's sorts
    by making two Python sort objects per pair, and BMC moves each step, lemma and
    property to every depth (201 substitutions of up to 900 pairs to depth 40: 2.8 of
    its 25 profiled seconds).  Every pair here is a state or action constant of one copy
    and its twin of another, of the same sort by construction."""
    n = len(pairs)
    src, dst = (z3.Ast * n)(), (z3.Ast * n)()
    for j, (a, b) in enumerate(pairs):
        src[j], dst[j] = a.as_ast(), b.as_ast()
    ctx = term.ctx
    return z3.z3._to_expr_ref(z3.Z3_substitute(ctx.ref(), term.as_ast(), n, src, dst), ctx)


def _width(ty: SetType) -> int:
    return max(1, len(ty.elem.values))


def _signed_bits(v: int) -> int:
    return (v.bit_length() if v >= 0 else (-v - 1).bit_length()) + 1


def interval(e: Expr, ranges: dict[str, tuple[int, int]],
             memo: dict[int, tuple[int, int] | None]) -> tuple[int, int] | None:
    """Bounds of an int/enum-valued expression (None for bool and set values)."""
    key = id(e)
    if key in memo:
        return memo[key]
    out: tuple[int, int] | None = None
    for a in e.args:
        interval(a, ranges, memo)
    if e.op == "const" and isinstance(e.type, (IntType, EnumType)):
        out = (int(e.value), int(e.value))  # type: ignore[arg-type]
    elif e.op == "var" and e.name in ranges:
        out = ranges[e.name]
    elif e.op in ("add", "sub"):
        a, b = memo[id(e.args[0])], memo[id(e.args[1])]
        if a is not None and b is not None:
            out = (a[0] + b[0], a[1] + b[1]) if e.op == "add" else (a[0] - b[1], a[1] - b[0])
    elif e.op == "ite":
        a, b = memo[id(e.args[1])], memo[id(e.args[2])]
        if a is not None and b is not None:
            out = (min(a[0], b[0]), max(a[1], b[1]))
    memo[key] = out
    return out


def model_width(model: Model) -> int:
    """A bit-vector width in which no int/enum value of the model overflows."""
    ranges: dict[str, tuple[int, int]] = {}
    for v in model.vars:
        if isinstance(v.type, IntType):
            ranges[v.name] = (v.type.lo, v.type.hi)
        elif isinstance(v.type, EnumType):
            ranges[v.name] = (0, max(len(v.type.values) - 1, 0))
    memo: dict[int, tuple[int, int] | None] = {}
    exprs: list[Expr] = [model.terminal]
    for a in model.actions:
        exprs.append(a.guard)
        exprs.extend(u for _, u in a.updates)
    exprs.extend(p.expr for p in model.properties if isinstance(p, Invariant))
    for p in model.properties:   # liveness obligations are encoded too (checker/engines/lasso.py)
        for a, b in getattr(p, "instances", ()):
            exprs.extend(x for x in (a, b) if x is not None)
    bits = 2
    for e in exprs:
        interval(e, ranges, memo)
    for iv in list(memo.values()) + list(ranges.values()):
        if iv is not None:
            bits = max(bits, _signed_bits(iv[0]), _signed_bits(iv[1]))
    # allowed initial values must be representable too
    for v, allowed in zip(model.vars, model.init):
        if isinstance(v.type, (IntType, EnumType)):
            bits = max([bits] + [_signed_bits(int(a)) for a in allowed])
    return bits


class Encoder:
    """Translate one ``Model`` into Z3 terms over step-indexed state copies.

    All translations are memoised: expressions per (expression, step) and state copies
    per step, so asking for ``trans(i)`` twice, or for a guard shared by ``enabled(i)``
    and ``trans(i)``, builds the terms once.  The memo is keyed by object identity and
    keeps the expression alive, so hashing a deep frozen dataclass is never needed.
    """

    def __init__(self, model: Model, ctx: z3.Context | None = None,
                 width: int | None = None) -> None:
        self.model = model
        self.ctx = ctx if ctx is not None else z3.main_ctx()
        self._types: dict[str, Type] = {v.name: v.type for v in model.vars}
        self._states: dict[int, dict[str, z3.ExprRef]] = {}
        self._memo: dict[tuple[int, int], tuple[Expr, z3.ExprRef]] = {}
        self._act_lits: dict[int, tuple[z3.BoolRef, ...]] = {}
        self._act_idx: dict[int, z3.BitVecRef] = {}
        #: width of int/enum bit-vectors (see module docstring)
        self.width = max(width or 0, model_width(model))
        self._act_width = max(1, (len(model.actions) - 1).bit_length()) + 1
        self._step0: z3.BoolRef | None = None
        self._peep0: z3.BoolRef | None = None
        self._enabled0: z3.BoolRef | None = None
        self._atoms: dict[tuple[str, Value, int], z3.BoolRef] = {}
        self._read: dict[int, list[tuple[str, z3.ExprRef, z3.FuncDeclRef, bool]]] = {}
        #: per property (by identity; the property is kept alive): its violation in copy 0
        self._viol0: dict[int, tuple[Property, z3.BoolRef]] = {}

    # ------------------------------------------------------------ state copies
    def sort(self, ty: Type) -> z3.SortRef:
        if isinstance(ty, BoolType):
            return z3.BoolSort(self.ctx)
        if isinstance(ty, (IntType, EnumType)):
            return z3.BitVecSort(self.width, self.ctx)
        return z3.BitVecSort(_width(ty), self.ctx)

    def vars_at(self, i: int) -> dict[str, z3.ExprRef]:
        """The state copy at step ``i``: variable name -> Z3 constant, in ``Model.vars`` order."""
        st = self._states.get(i)
        if st is None:
            st = {v.name: z3.Const(f"{v.name}@{i}", self.sort(v.type)) for v in self.model.vars}
            self._states[i] = st
        return st

    def domain(self, i: int) -> z3.BoolRef:
        """Range constraints of state ``i`` (Int sorts are unbounded, the IR types are not)."""
        cs: list[z3.BoolRef] = []
        for name, x in self.vars_at(i).items():
            ty = self._types[name]
            if isinstance(ty, IntType):
                cs += [x >= ty.lo, x <= ty.hi]
            elif isinstance(ty, EnumType):
                # <= n-1, not < n: n itself may not fit the signed width (n = 2^(W-1))
                cs += [x >= 0, x <= len(ty.values) - 1]
            elif isinstance(ty, SetType) and not ty.elem.values:
                cs.append(x == 0)
        return self._and(cs)

    # ------------------------------------------------------------ expressions
    def expr(self, e: Expr, i: int) -> z3.ExprRef:
        """The Z3 term of ``e`` evaluated in state ``i``."""
        key = (id(e), i)
        hit = self._memo.get(key)
        if hit is not None:
            return hit[1]
        t = self._translate(e, i)
        self._memo[key] = (e, t)
        return t

    def value(self, v: object, ty: Type) -> z3.ExprRef:
        """A constant of IR type ``ty`` (enum and set values are ints, as in the IR)."""
        if isinstance(ty, BoolType):
            return z3.BoolVal(bool(v), self.ctx)
        if isinstance(ty, (IntType, EnumType)):
            return z3.BitVecVal(int(v), self.width, self.ctx)  # type: ignore[call-overload]
        return z3.BitVecVal(int(v), _width(ty), self.ctx)  # type: ignore[call-overload]

    def atom(self, name: str, v: Value, i: int) -> z3.BoolRef:
        """``name == v`` in state copy ``i``, built once (invariant mining asks for the
        same few hundred atoms in every clause it adds and every probe it poses)."""
        key = (name, v, i)
        t = self._atoms.get(key)
        if t is None:
            t = self._atoms[key] = self.vars_at(i)[name] == self.value(v, self._types[name])
        return t

    def read_run(self, m: z3.ModelRef, k: int, engine: str) -> tuple[tuple, tuple[int, ...]]:
        """States 0..k and the action fired at each step 0..k-1, read out of a Z3 model
        (shared by BMC, k-induction and the lasso search)."""
        states = tuple(self.read_state(m, i) for i in range(k + 1))
        return states, tuple(self.model.actions[self._fired(m, i, engine)].index
                             for i in range(k))

    def _fired(self, m: z3.ModelRef, i: int, engine: str) -> int:
        """The position of the action fired at step ``i``: ``a_i``, read through the C
        API, and checked against its indicator literal (``trans`` ties each ``act_i_k``
        to ``a_i == k``).  Why not evaluate every indicator: 170 actions × each step of
        a 22-step trace was 0.4 s of m.eval calls."""
        ctx, mod = self.ctx.ref(), m.model
        a = z3.Z3_model_get_const_interp(ctx, mod, self.action_index(i).decl().ast)
        lits = self.action_literals(i)
        if a and z3.Z3_is_numeral_ast(ctx, a):
            k = int(z3.Z3_get_numeral_string(ctx, a))
            if k < len(lits) and z3.is_true(m.eval(lits[k], model_completion=True)):
                return k
        fired = [j for j, lit in enumerate(lits) if z3.is_true(m.eval(lit, model_completion=True))]
        assert len(fired) == 1, f"{engine}: {len(fired)} actions fire at step {i}"
        return fired[0]

    def read_state(self, m: z3.ModelRef, i: int) -> tuple[bool | int, ...]:
        """State ``i`` of a Z3 model, in ``Model.vars`` order (pyspec's State layout).

        Read through Z3's C API (the constant's interpretation, then its numeral) rather
        than ``m.eval`` per variable, which builds and frees several Python objects per
        value: invariant mining reads two states per round, hundreds of rounds, and this
        was a quarter of its Python time.  A constant the model leaves out gets what
        ``model_completion`` would give it (false, 0)."""
        ctx, mod = self.ctx.ref(), m.model
        out: list[bool | int] = []
        for name, x, decl, boolean in self._readers(i):
            a = z3.Z3_model_get_const_interp(ctx, mod, decl.ast)
            if not a:                           # a NULL pointer: not in the model
                out.append(False if boolean else 0)
            elif boolean:
                out.append(z3.Z3_get_bool_value(ctx, a) == z3.Z3_L_TRUE)
            elif z3.Z3_is_numeral_ast(ctx, a):
                out.append(self._signed(name, int(z3.Z3_get_numeral_string(ctx, a))))
            else:
                out.append(self.decode(name, m.eval(x, model_completion=True)))
        return tuple(out)

    def _readers(self, i: int) -> list[tuple[str, z3.ExprRef, z3.FuncDeclRef, bool]]:
        """Per variable of copy ``i``: its name, constant, declaration and whether it is
        a Boolean (kept: read_state's loop then calls no Python-level z3 wrapper)."""
        r = self._read.get(i)
        if r is None:
            r = self._read[i] = [(n, x, x.decl(), z3.is_bool(x))
                                 for n, x in self.vars_at(i).items()]
        return r

    def decode(self, name: str, v: z3.ExprRef) -> bool | int:
        """A value of variable ``name`` from a Z3 model, as the IR's Python value."""
        if z3.is_bool(v):
            return z3.is_true(v)
        return self._signed(name, v.as_long())  # type: ignore[attr-defined]

    def _signed(self, name: str, n: int) -> int:
        """An int/enum bit-vector's unsigned value as the signed one it stands for."""
        if isinstance(self._types[name], (IntType, EnumType)) and n >= 1 << (self.width - 1):
            n -= 1 << self.width   # two's complement
        return int(n)

    def _and(self, xs: list[z3.BoolRef]) -> z3.BoolRef:
        if not xs:
            return z3.BoolVal(True, self.ctx)
        return xs[0] if len(xs) == 1 else z3.And(xs)

    def _or(self, xs: list[z3.BoolRef]) -> z3.BoolRef:
        if not xs:
            return z3.BoolVal(False, self.ctx)
        return xs[0] if len(xs) == 1 else z3.Or(xs)

    def _translate(self, e: Expr, i: int) -> z3.ExprRef:
        op = e.op
        if op == "const":
            return self.value(e.value, e.type)
        if op == "var":
            assert e.name is not None
            return self.vars_at(i)[e.name]
        a = [self.expr(x, i) for x in e.args]
        simple: dict[str, Callable[[], z3.ExprRef]] = {
            "not": lambda: z3.Not(a[0]),
            "and": lambda: self._and(a),
            "or": lambda: self._or(a),
            "eq": lambda: a[0] == a[1],
            "ne": lambda: a[0] != a[1],
            "lt": lambda: a[0] < a[1],
            "le": lambda: a[0] <= a[1],
            "add": lambda: a[0] + a[1],
            "sub": lambda: a[0] - a[1],
            "ite": lambda: z3.If(a[0], a[1], a[2]),
            "union": lambda: a[0] | a[1],
            "inter": lambda: a[0] & a[1],
            "diff": lambda: a[0] & ~a[1],
        }
        if op in simple:
            return simple[op]()
        if op == "singleton":
            return self._singleton(a[0], e.type)
        if op == "member":
            return self._member(a[0], a[1], e.args[1].type)
        raise ValueError(f"encode: unknown operator {op!r}")

    def _singleton(self, idx: z3.ExprRef, ty: Type) -> z3.ExprRef:
        """{e}: the bit vector with only bit e set, as an If-chain over the enum's values
        (an out-of-range index, excluded by the domain constraints, gives the empty set)."""
        assert isinstance(ty, SetType)
        n = _width(ty)
        out: z3.ExprRef = z3.BitVecVal(0, n, self.ctx)
        for k in reversed(range(len(ty.elem.values))):
            out = z3.If(idx == k, z3.BitVecVal(1 << k, n, self.ctx), out)
        return out

    def _member(self, idx: z3.ExprRef, s: z3.ExprRef, ty: Type) -> z3.BoolRef:
        """e in s: bit e of s is 1, as an If-chain over the enum's values."""
        assert isinstance(ty, SetType)
        out: z3.BoolRef = z3.BoolVal(False, self.ctx)
        one = z3.BitVecVal(1, 1, self.ctx)
        for k in reversed(range(len(ty.elem.values))):
            out = z3.If(idx == k, z3.Extract(k, k, s) == one, out)
        return out

    # ------------------------------------------------------------ system
    def init(self, i: int = 0) -> z3.BoolRef:
        """State ``i`` is an initial state: each variable takes one of its allowed values."""
        cs = [self.domain(i)]
        for v, allowed in zip(self.model.vars, self.model.init):
            x = self.vars_at(i)[v.name]
            cs.append(self._or([x == self.value(a, v.type) for a in allowed]))
        return self._and(cs)

    def action_literals(self, i: int) -> tuple[z3.BoolRef, ...]:
        """``act_{i}_{k}``: true iff action k (position in ``Model.actions``) fires at step i."""
        lits = self._act_lits.get(i)
        if lits is None:
            lits = tuple(z3.Bool(f"act_{i}_{k}", self.ctx)
                         for k in range(len(self.model.actions)))
            self._act_lits[i] = lits
        return lits

    def action_index(self, i: int) -> z3.BitVecRef:
        """``a_i``: the position of the action fired at step i (a bit-vector, for exactly-one)."""
        a = self._act_idx.get(i)
        if a is None:
            a = z3.BitVec(f"a_{i}", self._act_width, self.ctx)
            self._act_idx[i] = a
        return a

    def trans(self, i: int) -> z3.BoolRef:
        """One step from state ``i`` to state ``i+1``: exactly one enabled action fires.

        Exactly-one is encoded by tying each indicator to ``a_i == k`` for one Int ``a_i``
        (linear size, where pairwise exclusion is quadratic).  Each indicator implies its
        guard and its updates, all evaluated in state i (simultaneous assignment).  The
        frame is written per variable ("x changes only if an action that writes x
        fired"), which under exactly-one equals "every other action leaves x alone" but
        costs O(vars + updates) per step instead of O(vars * actions).

        ``trans(0)`` is built from the IR; every later step is Z3's substitution of it (state
        copies 0, 1 -> i, i+1 and the step's action literals), 5-10x cheaper than
        translating the IR again: that was a third of BMC's time to depth 40 on the
        io_uring scenarios.
        """
        acts = self.model.actions
        if not acts:
            return z3.BoolVal(False, self.ctx)
        if self._step0 is None:
            self._step0 = self._build_trans(0)
        if i == 0:
            return self._step0
        pairs = [*zip(self.vars_at(0).values(), self.vars_at(i).values()),
                 *zip(self.vars_at(1).values(), self.vars_at(i + 1).values()),
                 *zip(self.action_literals(0), self.action_literals(i)),
                 (self.action_index(0), self.action_index(i))]
        return substitute(self._step0, pairs)  # simultaneous: 0 -> i and 1 -> i+1

    def shift(self, term: z3.ExprRef, i: int) -> z3.ExprRef:
        """``term``, written over state copy 0 only, moved to state copy ``i`` (for the
        same reason as ``trans``: a lemma of 700 clauses is built once, not per step)."""
        if i == 0:
            return term
        return substitute(term, list(zip(self.vars_at(0).values(), self.vars_at(i).values())))

    def peephole(self, i: int) -> z3.BoolRef:
        """Steps ``i`` and ``i+1`` are in canonical order: when a task fires at step ``i``
        and a task earlier in name order at step ``i+1``, the two actions are dependent
        -- one writes a variable the other reads or writes.

        Why it is sound to ask only for runs that satisfy it at every position: two
        independent actions of different tasks commute (neither changes the other's
        guard or the values its updates read, and they write different variables), so
        swapping them in a run gives a run of the same length to the same last state.
        Every run can be reordered so, into the lexicographically least run of its
        class (by task name, per position): that one has no such adjacent pair, or
        swapping it would give a smaller one.  So "no run of length n satisfies the
        peephole constraints" proves "no run of length n", and a state reached at step
        n by some run is reached at step n by a canonical one (monotonic partial-order
        reduction: Wang et al., TACAS 2008; Kahlon et al., CAV 2009).  Built once for
        step 0 and moved by substitution, like ``trans``."""
        if self._peep0 is None:
            self._peep0 = self._build_peephole()
        if i == 0:
            return self._peep0
        pairs = [*zip(self.action_literals(0), self.action_literals(i)),
                 *zip(self.action_literals(1), self.action_literals(i + 1))]
        return substitute(self._peep0, pairs)

    def _build_peephole(self) -> z3.BoolRef:
        acts = self.model.actions
        feet = [footprint(a) for a in acts]     # the error test counts as a read here
        now, nxt = self.action_literals(0), self.action_literals(1)
        tasks = sorted({a.task for a in acts})
        by_task = [[k for k, a in enumerate(acts) if a.task == t] for t in tasks]
        owners: dict[str, set[str]] = {}
        for a, f in zip(acts, feet):
            for v in f.reads | f.guard_reads | f.writes:
                owners.setdefault(v, set()).add(a.task)
        dep: list[z3.BoolRef] = []
        for v in sorted(x for x, ts in owners.items() if len(ts) > 1):
            wr = [k for k, f in enumerate(feet) if v in f.writes]
            rw = [k for k, f in enumerate(feet) if v in f.reads | f.guard_reads | f.writes]
            dep.append(z3.And(self._or([now[k] for k in wr]), self._or([nxt[k] for k in rw])))
            dep.append(z3.And(self._or([now[k] for k in rw]), self._or([nxt[k] for k in wr])))
        later_first = [z3.And(self._or([now[k] for k in by_task[x]]),
                              self._or([nxt[k] for k in by_task[y]]))
                       for x in range(len(tasks)) for y in range(x)]
        return z3.Implies(self._or(later_first), self._or(dep))

    def _build_trans(self, i: int) -> z3.BoolRef:
        acts = self.model.actions
        lits = self.action_literals(i)
        a_i = self.action_index(i)
        pre, post = self.vars_at(i), self.vars_at(i + 1)
        cs: list[z3.BoolRef] = [z3.ULT(a_i, len(acts)), self.domain(i + 1)]
        writers: dict[str, list[z3.BoolRef]] = {name: [] for name in post}
        for k, (act, lit) in enumerate(zip(acts, lits)):
            cs.append(lit == (a_i == k))
            cs.append(z3.Implies(lit, self._and(self._effect(act, i, post))))
            for name in dict(act.updates):
                writers[name].append(lit)
        for name, ws in writers.items():
            cs.append(z3.Or(self._or(ws), post[name] == pre[name]))
        return self._and(cs)

    def _effect(self, act: Action, i: int, post: dict[str, z3.ExprRef]) -> list[z3.BoolRef]:
        # dict(): if a variable were listed twice the last write wins, like a dict update
        upd = dict(act.updates)
        return [self.expr(act.guard, i)] + [post[n] == self.expr(e, i) for n, e in upd.items()]

    def enabled(self, i: int) -> z3.BoolRef:
        """Some action's guard holds in state ``i``."""
        if self._enabled0 is None:
            self._enabled0 = self._or([self.expr(a.guard, 0) for a in self.model.actions])
        return self.shift(self._enabled0, i)

    def prop_violation(self, prop: Property, i: int) -> z3.BoolRef:
        """State ``i`` violates ``prop``: a false invariant, or a non-terminal dead end.

        Built over copy 0 once per property and shifted, like ``trans``: translating the
        169 guards of a deadlock test again at every depth took about 3 of BMC's 21 CPU
        seconds to depth 40 on coupled-5.9 × io-uring-pthread-join."""
        key = id(prop)
        hit = self._viol0.get(key)
        if hit is None:
            hit = self._viol0[key] = (prop, self._build_violation(prop))
        return self.shift(hit[1], i)

    def _build_violation(self, prop: Property) -> z3.BoolRef:
        if isinstance(prop, Invariant):
            return z3.Not(self.expr(prop.expr, 0))
        if isinstance(prop, DeadlockFree):
            return z3.And(z3.Not(self.enabled(0)), z3.Not(self.expr(self.model.terminal, 0)))
        raise TypeError(f"encode: unsupported property {prop!r}")
