"""A ranking function: the proof that no run of a terminating scenario is longer than B steps.

Why: BMC may call a property proved at depth k only once no run of k+1 steps exists.  On
the scenarios whose runs all end (the killable joins: every run is over within 30-34
steps), asking Z3 for that is a counting argument SAT is bad at: 24,000-94,000 conflicts,
often more than the proof budget allows, and then the queries at every further depth are
the same counting argument again.  A ranking function replaces it with one-step questions:
a value V(s) that is at most B in an initial state, never negative, and drops by at least 1
on every step bounds every run by B steps.

How: V is linear in the atoms ``x == v`` (one weight per variable value, plus a constant).
The weights come from the state graph the concrete semantics (pyspec.successors) gives: a
linear program asks every reachable edge to drop V by 1 and every state without a step to
keep it non-negative, and minimises its largest initial value (Z3's Optimize, over the
rationals; the constraints are deduplicated by the atoms that differ, a few hundred on the
io_uring scenarios).  A cycle makes the program infeasible: around it V would drop and
come back.  Nothing found on the graph is trusted: Z3 then proves, over *every* state of
the mined inductive invariant (checker.engines.invgen) rather than over the graph, that

    init(s) -> 0 <= V(s) <= B        and        inv(s) & V(s) >= 0 & trans(s, s') & inv(s')
                                                  -> 0 <= V(s') <= V(s) - 1

(with every variable in its declared range),

so by induction on a run s0..sn every state has 0 <= V(si) <= B - i, and n <= B.  When the
graph exceeds its budget or the program has no solution (a cycle, or no V linear in the
atoms), there is no ranking and BMC proceeds as before.  BMC asks only when its concrete
longest run (checker.engines.witness) says the graph has no cycle.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from fractions import Fraction
from math import lcm

import z3

from flagcheck.checker.engines.encode import Encoder
from flagcheck.pyspec import successors
from flagcheck.pyspec.trace import State
from flagcheck.tlamodel.ir import Model, Value

#: reachable states the graph may have (the io_uring scenarios have 700-1,800)
GRAPH_STATES = 20_000
#: milliseconds Z3 may take over the linear program, and over each of certify's questions
LP_MS, PROOF_MS = 10_000, 10_000

Feature = tuple[int, Value]          # (variable index, value): the atom ``x == v``


@dataclass(frozen=True)
class Ranking:
    """V(s) = constant + the weights of the atoms s satisfies; every run has at most
    ``bound`` steps once ``certify`` has said so."""
    weights: tuple[tuple[str, Value, int], ...]
    constant: int
    #: V drops by at least this much on every step (the weights are scaled to integers)
    step: int
    #: at most this much in an initial state
    top: int

    @property
    def bound(self) -> int:
        """The longest run V allows: n steps cost n * step, and V goes from <= top to >= 0."""
        return self.top // self.step

    def at_least(self, enc: Encoder, i: int, lo: int) -> z3.BoolRef:
        """V >= lo in state copy ``i`` of ``enc``: a pseudo-Boolean constraint over the
        atoms, which Z3's SAT core reasons about natively (as a bit-vector sum, the step
        proof took 1.1 s on twa-resume-counter x io-uring-killable-join; as this, 0.4 s)."""
        return _pb_ge([(enc.atom(x, v, i), w) for x, v, w in self.weights], lo - self.constant,
                      enc.ctx)

    def drops(self, enc: Encoder) -> z3.BoolRef:
        """V(copy 1) <= V(copy 0) - step."""
        terms = [(enc.atom(x, v, 0), w) for x, v, w in self.weights] + \
            [(enc.atom(x, v, 1), -w) for x, v, w in self.weights]
        return _pb_ge(terms, self.step, enc.ctx)


def _pb_ge(terms: list[tuple[z3.BoolRef, int]], k: int, ctx: z3.Context) -> z3.BoolRef:
    """sum of the weights of the true atoms >= k (no atoms: a constant)."""
    return z3.PbGe(terms, k) if terms else z3.BoolVal(0 >= k, ctx)


def find(model: Model, enc: Encoder, invariant: z3.BoolRef) -> Ranking | None:
    """A ranking of ``model`` that Z3 proves under ``invariant`` (a formula over state copy
    0 of ``enc`` that holds in every reachable state), or None."""
    graph = _graph(model)
    if graph is None:
        return None
    ranking = _fit(model, *graph)
    if ranking is None or not certify(ranking, enc, invariant):
        return None
    return ranking


def certify(r: Ranking, enc: Encoder, invariant: z3.BoolRef) -> bool:
    """Z3 proves the module docstring's argument: three "unsat" answers."""
    nonneg = r.at_least(enc, 0, 0)
    pre = [enc.domain(0), enc.domain(1), invariant, enc.shift(invariant, 1), enc.trans(0), nonneg]
    queries = [
        [enc.init(0), z3.Not(z3.And(nonneg, z3.Not(r.at_least(enc, 0, r.top + 1))))],
        pre + [z3.Not(r.drops(enc))],
        pre + [z3.Not(r.at_least(enc, 1, 0))],
    ]
    for query in queries:
        s = z3.SolverFor("QF_BV", ctx=enc.ctx)
        s.set("timeout", PROOF_MS)
        s.add(*query)
        if s.check() != z3.unsat:
            return False
    return True


# ------------------------------------------------------------------ the graph
def _graph(model: Model) -> tuple[list[State], set[tuple[State, State]], list[State]] | None:
    """Reachable states, edges and initial states, or None when there are more than
    GRAPH_STATES states."""
    inits = list(dict.fromkeys(successors.initial_states(model)))
    seen = {s: None for s in inits}
    edges: set[tuple[State, State]] = set()
    todo = deque(inits)
    while todo:
        s = todo.popleft()
        for a in successors.enabled(model, s):
            t = successors.fire(model, a, s)
            edges.add((s, t))
            if t not in seen:
                if len(seen) >= GRAPH_STATES:
                    return None
                seen[t] = None
                todo.append(t)
    return list(seen), edges, inits


# ------------------------------------------------------------------ the linear program
def _fit(model: Model, states: list[State], edges: set[tuple[State, State]],
         inits: list[State]) -> Ranking | None:
    """Weights with the least initial bound that the graph allows, scaled to integers."""
    features = _features(states)
    index = {f: j for j, f in enumerate(features)}

    def feats(s: State) -> frozenset[int]:
        return frozenset(index[(k, v)] for k, v in enumerate(s) if (k, v) in index)

    of = {s: feats(s) for s in states}
    ctx = z3.Context()
    opt = z3.Optimize(ctx=ctx)
    opt.set("timeout", LP_MS)
    w = [z3.Real(f"w{j}", ctx) for j in range(len(features))]
    c, top = z3.Real("c", ctx), z3.Real("top", ctx)

    def total(fs: frozenset[int]) -> z3.ArithRef:
        return c + z3.Sum([w[j] for j in sorted(fs)]) if fs else c + 0

    # V >= 0 at the states without a step is enough: every state of the (acyclic) graph
    # reaches one of them, and V drops on the way
    ends = set(states) - {s for s, _ in edges}
    for fs in sorted({of[s] for s in ends}, key=sorted):
        opt.add(total(fs) >= 0)
    for fs in sorted({of[s] for s in inits}, key=sorted):
        opt.add(total(fs) <= top)
    # an edge asks V(s) - V(t) >= 1: only the atoms that differ count, and many edges of
    # different states differ in the same atoms
    drops = {(of[s] - of[t], of[t] - of[s]) for s, t in edges}
    for gone, new in sorted(drops, key=lambda d: (sorted(d[0]), sorted(d[1]))):
        opt.add(z3.Sum([w[j] for j in sorted(gone)] + [-w[j] for j in sorted(new)] +
                       [z3.RealVal(0, ctx)]) >= 1)
    opt.minimize(top)
    if opt.check() != z3.sat:
        return None
    m = opt.model()
    vals = [_fraction(m.eval(x, model_completion=True)) for x in (*w, c, top)]
    scale = lcm(*(f.denominator for f in vals))
    ints = [int(f * scale) for f in vals]
    names = [v.name for v in model.vars]
    weights = tuple((names[k], v, n) for (k, v), n in zip(features, ints) if n)
    return Ranking(weights, ints[-2], scale, ints[-1])


def _features(states: list[State]) -> list[Feature]:
    """The atoms ``x == v`` of the variables whose value changes somewhere in ``states``
    (a constant variable adds the same to every V, which the constant already does)."""
    values: dict[int, set[Value]] = {}
    for s in states:
        for k, v in enumerate(s):
            values.setdefault(k, set()).add(v)
    return [(k, v) for k in sorted(values) if len(values[k]) > 1
            for v in sorted(values[k], key=repr)]


def _fraction(v: z3.ExprRef) -> Fraction:
    return Fraction(v.numerator_as_long(), v.denominator_as_long())  # type: ignore[attr-defined]
