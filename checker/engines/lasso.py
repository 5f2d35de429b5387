"""Bounded model checking of liveness: shortest fair lassos, by increasing length.

Semantics and lasso representation are pyspec.liveness's (the reference engine); this
module must agree with it exactly.  A counterexample of depth k is either

* a *loop lasso*: a run ``s_0 .. s_k`` with ``s_k == s_l`` for some ``l < k``, the loop
  ``s_l .. s_{k-1}`` fair (every task steps in it or is disabled in one of its states), and
  some obligation's pending bit true at every loop position (``Trace.loop_start = l``); or
* a *stutter lasso*: a run ``s_0 .. s_k`` whose last state is dead (no action enabled) with
  some obligation pending there (``Trace.loop_start = k``).

Encoding, on top of ``checker.engines.encode.Encoder`` (one incremental QF_BV solver, the unrolling
``init(0) & trans(0) & ... & trans(k-1)`` asserted once and grown by one step per depth):

* ``pend[p,m]@i``: the pending bit of obligation m of property p at position i, defined by
  ``pend@0 = (I and C@0) or S@0`` and ``pend@i = (pend@(i-1) and C@i) or S@i`` (the
  ``monitor_exprs`` of pyspec.liveness, translated with ``Encoder.expr``).
* Loop-position selectors ``sel@l`` ("the loop starts at l") and ``in@l`` ("the loop has
  started at or before l"): ``in@l = in@(l-1) or sel@l`` and ``sel@l -> not in@(l-1)`` (at most
  one start).  A copy ``loop.x`` of the state variables holds the loop's first state:
  ``sel@l -> s_l == loop``.  These are depth-independent, so they are asserted once.
* ``inst[p,m]``: "the loop violates obligation m of p": ``inst[p,m] and in@i -> (C or S)@i``,
  and ``pend[p,m]@k`` in the query.  This is the exact condition (pyspec.liveness's
  ``violated_instance``): the bit is true throughout the second pass through the loop iff it
  is true when the second pass starts -- at position k, whose state is ``s_l`` -- and no loop
  state can turn it off (``b and C or S`` with ``b`` true is ``C or S``).  Requiring the bit
  throughout the *first* pass would be stronger and miss, e.g., the 2-step lasso 0, [1, 0]
  of leads_to(x == 1, x == 2) for a task flipping x, which is only pending from position 1.
* ``fair[t]@k``: "task t is witnessed in the loop positions before k":
  ``fair[t]@(j+1) = fair[t]@j or (in@j and (t fires at step j or t is disabled in s_j))``.
* The query for depth k, under one assumption literal, is the disjunction of
  ``not enabled(s_k) and OR_{p,m open} pend[p,m]@k`` (a stutter lasso: the behaviour then
  stays in s_k, where the bit stays true: ``b and C or S`` with b true is ``C or S``, and a
  true bit implies C or S in its own state for every monitor) and ``in@(k-1) and
  s_k == loop and AND_t fair[t]@k and OR_{p,m open} (inst[p,m] and pend[p,m]@k)`` (a loop
  lasso).

Because selectors are chosen by the solver, one query per depth covers every loop start;
depths are tried in increasing order, so the first satisfiable one gives a shortest lasso
(shortest in steps, stutter lassos included).  Which properties a lasso violates is decided
by pyspec.liveness's exact evaluation of the extracted trace, not by the solver's literals.

Bounded verdicts.  ``holds`` with ``exhaustive=False`` at depth K means: no fair violating
lasso with at most K steps (no loop lasso ``s_0..s_k``, no stutter lasso at a dead state
``s_k``, for every k <= K).  Why not more: a fair loop may have to pass through many states
of its SCC to give every task its step, so even a depth beyond the recurrence diameter does
not bound lasso length; the only completeness argument used is the one BMC uses for
safety: if no run of K+1 steps exists, every behaviour is a run of at most K steps that
ends in a dead state and stutters there, i.e. a stutter lasso with <= K steps, and all of
those were checked -- then ``holds`` is ``exhaustive=True``.
"""
from __future__ import annotations

import z3

from flagcheck.checker.engines.encode import Encoder, model_width
from flagcheck.checker.engines.runloop import BoundedSearch
from flagcheck.checker.engines.solver import SolverContext
from flagcheck.pyspec.liveness import fair_tasks, monitor_exprs, unfair_tasks, violated_instance
from flagcheck.pyspec.outcome import Outcome
from flagcheck.pyspec.progress import ProgressHook
from flagcheck.pyspec.trace import Trace
from flagcheck.tlamodel.ir import Liveness, Model

ENGINE = "bmc"


def check(model: Model, properties: list[str] | None = None, depth: int = 40,
          timeout: float | None = None, seed: int = 0,
          progress: ProgressHook | None = None) -> dict[str, Outcome]:
    """Check the ``Liveness`` properties ``properties`` (default: all of the model's) for
    fair violating lassos of up to ``depth`` steps (see the module doc for the verdicts).
    ``progress`` (pyspec.progress) is told each depth as it starts."""
    if depth < 0:
        raise ValueError("bmc: depth must be >= 0")
    names = ([p.name for p in model.properties if isinstance(p, Liveness)]
             if properties is None else list(properties))
    props: list[Liveness] = []
    for n in dict.fromkeys(names):
        p = model.property(n)  # KeyError on an unknown name, up front
        if not isinstance(p, Liveness):
            raise TypeError(f"property {n}: not a liveness property ({type(p).__name__})")
        props.append(p)
    run = LassoRun(model, props, timeout, seed, progress)
    run.search(run.open_properties(props), depth, phase="fair lassos")
    return {n: run.results[n] for n in names}


def liveness_width(model: Model) -> int:
    """The bit-vector width for the lasso search: ``encode.model_width`` already sizes the
    liveness obligations too."""
    return model_width(model)


class LassoRun(BoundedSearch[Liveness]):
    """One liveness BMC run: the shared skeleton (runloop.BoundedSearch) with "some open
    property has a fair violating lasso of k steps" as the query, and the lasso machinery."""

    def __init__(self, model: Model, props: list[Liveness], timeout: float | None,
                 seed: int, progress: ProgressHook | None = None) -> None:
        super().__init__(ENGINE, model, timeout, progress)
        self.props = props
        self.solver = SolverContext(seed=seed, timeout=timeout, logic="QF_BV")
        self.ctx = self.solver.ctx
        self.enc = Encoder(model, self.ctx, width=liveness_width(model))
        self.tasks = fair_tasks(model)
        #: per property: per obligation (I, C, S)
        self.monitors = {p.name: monitor_exprs(p) for p in props}
        self.inst = {p.name: [z3.Bool(f"inst_{pi}_{m}", self.ctx)
                              for m in range(len(p.instances))]
                     for pi, p in enumerate(props)}
        self._pend: dict[tuple[str, int, int], z3.BoolRef] = {}
        self._sel: list[z3.BoolRef] = []
        self._in: list[z3.BoolRef] = []
        self._fair: list[list[z3.BoolRef]] = []     # per position k: per task fair[t]@k
        self.loop = {v.name: z3.Const(f"loop.{v.name}", self.enc.sort(v.type))
                     for v in model.vars}

    # ------------------------------------------------------------ unrolling
    def _position(self, i: int) -> None:
        """Assert the definitions tied to state ``i`` (trans(i-1) must already be asserted)."""
        B = lambda name: z3.Bool(name, self.ctx)  # noqa: E731
        add = self.solver.add
        st = self.enc.vars_at(i)
        for p in self.props:
            for m, (init, c, s) in enumerate(self.monitors[p.name]):
                b = B(f"pend_{p.name}_{m}@{i}")
                cv, sv = self.enc.expr(c, i), self.enc.expr(s, i)
                prev = (z3.BoolVal(init, self.ctx) if i == 0
                        else self._pend[(p.name, m, i - 1)])
                add(b == z3.Or(z3.And(prev, cv), sv))
                self._pend[(p.name, m, i)] = b
        sel, inn = B(f"sel@{i}"), B(f"in@{i}")
        prev_in = self._in[i - 1] if i > 0 else z3.BoolVal(False, self.ctx)
        add(inn == z3.Or(prev_in, sel), z3.Implies(sel, z3.Not(prev_in)))
        add(z3.Implies(sel, z3.And([st[n] == x for n, x in self.loop.items()])
                       if self.loop else z3.BoolVal(True, self.ctx)))
        for p in self.props:
            for m, ((_, c, s), lit) in enumerate(zip(self.monitors[p.name], self.inst[p.name])):
                add(z3.Implies(z3.And(lit, inn), z3.Or(self.enc.expr(c, i), self.enc.expr(s, i))))
        self._sel.append(sel)
        self._in.append(inn)
        # fair[t]@i from fair[t]@(i-1): the step i-1 and state i-1
        if i == 0:
            self._fair.append([z3.BoolVal(False, self.ctx)] * len(self.tasks))
        else:
            j = i - 1
            lits = self.enc.action_literals(j)
            row = []
            for t, (task, acts) in enumerate(self.tasks):
                f = B(f"fair_{t}@{i}")
                steps = z3.Or([lits[a] for a in acts])
                disabled = z3.Not(z3.Or([self.enc.expr(self.model.actions[a].guard, j)
                                         for a in acts]))
                add(f == z3.Or(self._fair[j][t], z3.And(self._in[j], z3.Or(steps, disabled))))
                row.append(f)
            self._fair.append(row)

    def _cases(self, k: int, open_: list[Liveness]) -> tuple[z3.BoolRef, z3.BoolRef]:
        """Some open property has a fair violating lasso of exactly ``k`` steps: a stutter
        lasso (first) or a loop lasso (second)."""
        pend_k = [self._pend[(p.name, m, k)] for p in open_ for m in range(len(p.instances))]
        dead = z3.And(z3.Not(self.enc.enabled(k)), z3.Or(pend_k))
        if k == 0:
            return dead, z3.BoolVal(False, self.ctx)
        st = self.enc.vars_at(k)
        closes = (z3.And([st[n] == x for n, x in self.loop.items()]) if self.loop
                  else z3.BoolVal(True, self.ctx))
        insts = [z3.And(lit, self._pend[(p.name, m, k)])
                 for p in open_ for m, lit in enumerate(self.inst[p.name])]
        return dead, z3.And([self._in[k - 1], closes, *self._fair[k], z3.Or(insts)])

    # ------------------------------------------------------------ search
    # One query per depth for all open properties and both lasso shapes (measured faster
    # than a query per shape, on the shipped specs and on random models).  The proof after
    # each depth: every behaviour is a run that ends in a dead state within k steps (stutter
    # lassos, all checked at depths 0..k) when no run of k+1 steps exists.
    def start(self) -> None:
        self._position(0)

    def extend(self, i: int) -> None:
        self._position(i)

    def pose(self, k: int, rnd: int,
             open_: dict[str, Liveness]) -> tuple[z3.BoolRef, z3.BoolRef]:
        dead, loop = self._cases(k, list(open_.values()))
        lit = z3.Bool(f"lasso_{k}_{rnd}", self.ctx)
        self.solver.add(z3.Implies(lit, z3.Or(loop, dead)))
        return lit, loop

    def refute(self, k: int, open_: dict[str, Liveness], loop: z3.BoolRef) -> None:
        """Which properties the lasso violates is pyspec.liveness's exact evaluation of the
        extracted trace, not the solver's literals."""
        trace = self._trace(k, loop)
        hit = [n for n, p in open_.items()
               if violated_instance(self.model, p, trace) is not None]
        if not hit or unfair_tasks(self.model, trace):
            raise AssertionError(f"lasso: the depth-{k} lasso does not violate any "
                                 f"open property fairly (encoding bug): {trace}")
        for n in hit:
            self.outcome(open_.pop(n), "violated", k, trace=trace)

    # ------------------------------------------------------------ traces
    def _trace(self, k: int, loop: z3.BoolRef) -> Trace:
        """The lasso of the last model: a loop lasso if it satisfies ``loop`` (the loop case
        of the query), else the stutter lasso ending in the dead state k."""
        m = self.solver.model()
        states, actions = self.enc.read_run(m, k, "lasso")
        loop_start = k
        if z3.is_true(m.eval(loop, model_completion=True)):
            sel = [l for l in range(k) if z3.is_true(m.eval(self._sel[l], model_completion=True))]
            assert len(sel) == 1, f"lasso: {len(sel)} loop starts selected at depth {k}"
            loop_start = sel[0]
        return Trace(states, actions, loop_start=loop_start)

