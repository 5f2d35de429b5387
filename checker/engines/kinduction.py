"""k-induction with simple-path constraints: proofs for state properties, and shortest traces.

Why k-induction next to BMC: BMC only proves a property when *every* run ends within the
bound.  Designs whose tasks can spin (retry loops, signal re-delivery) have unbounded runs,
so BMC can only say "no violation within k steps".  k-induction turns the same unrolling
into a proof once the property is k-inductive relative to simple paths, which on a finite
system always happens eventually (after pysmt's model_checking.py).

Every property is a state predicate ``P``: an invariant's expression, or for
``DeadlockFree`` the predicate "some action is enabled or the state is terminal", whose
negation is exactly ``Encoder.prop_violation``.  For k = 0, 1, 2, ... and each open P:

* base(k):  init(0) & trans(0..k-1) & !P@k -- sat gives a counterexample of length k; the
  depths are tried in increasing order, so it is a shortest one (as in checker.engines.bmc);
* step(k):  dom(0) & trans(0..k) & P@0..P@k & !P@(k+1) & states 0..k+1 pairwise distinct --
  unsat (with base(0..k) unsat) proves P;
* init-side termination: no simple path of k+1 steps starts in an initial state -- then
  every reachable state is within k steps of init and base(0..k) has checked it.

One solver per case, both incremental: the unrollings only grow, and per-property and
per-depth constraints sit behind assumption literals (as in checker.engines.bmc) so the solvers
keep what they learnt across queries.  Three refinements, each argued where it is made:
the step case assumes per-variable value sets that hold in every reachable state
(``value_sets``), the O(k^2) distinctness constraints are added lazily, only for pairs
of states a model actually repeats (``_Unrolling.check_simple``), and a property once
proved becomes a lemma assumed at every position of later step cases (``_Run._learn``).
Measured on coupled-5.9/oleg-lost-signal (one run each, loaded machine): 24 s with all
three; 101 s (and k=25 instead of 20) without value sets, 40 s with eager distinctness,
30 s without lemmas.

A fourth refinement does most of the work since: the step case also assumes, at every
position, the invariant checker.engines.invgen builds (clauses relating a task's pc to everybody's
flags, mined from runs and made inductive with Z3, so an invariant on their own).  It cuts
the unreachable chains the step case otherwise walks: no_lost_signal goes from k=16-30 to
k=0 on every shipped design × scenario (notify-signal-5.11 × oleg-lost-signal: 41 s at
k=30 -> 1 s at k=0), and io-uring-pthread-join's no_deadlock, out of reach before, is
proved at k=6-15.  Over specs/ (5 designs × 7 scenarios): 82 of 82 true properties proved
(78 at k=0), 8 of 8 violations found at their shortest depth, 145 s in all.
``aux=False`` turns it off.
"""
from __future__ import annotations

import time

import z3

from flagcheck.checker.engines import invgen
from flagcheck.checker.engines.encode import Encoder
from flagcheck.checker.engines.runloop import DepthRun
from flagcheck.checker.engines.solver import Result, SolverContext
from flagcheck.pyspec.outcome import Certificate, Outcome
from flagcheck.pyspec.progress import ProgressHook
from flagcheck.pyspec.trace import Trace
from flagcheck.tlamodel.ir import Expr, Model, Property, Value, domain

ENGINE = "kind"


def check(model: Model, properties: list[str] | None = None, max_k: int = 40,
          timeout: float | None = None, seed: int = 0,
          aux: bool = True, progress: ProgressHook | None = None) -> dict[str, Outcome]:
    """Check ``properties`` (default: all of the model's) by k-induction for k = 0..max_k.

    Returns one ``Outcome`` per property, in the order asked: ``violated`` with a shortest
    trace (depth = its length); ``holds`` with ``exhaustive=True`` and ``depth`` = the k at
    which the proof succeeded; ``unknown`` when k-induction did not converge up to
    ``max_k``, the wall-clock ``timeout`` (seconds, for the whole call) ran out or the
    solver gave up, with ``depth`` = the last depth the base case fully checked (-1: none).
    Never ``holds`` without a proof.  ``aux``: strengthen the step case with the mined
    invariant of checker.engines.invgen (off: plain k-induction, for measuring what it buys).
    ``progress`` (pyspec.progress) is told when the invariant is being mined and each k
    as it starts.
    """
    if max_k < 0:
        raise ValueError("kind: max_k must be >= 0")
    names = [p.name for p in model.properties] if properties is None else list(properties)
    props = [model.property(n) for n in names]  # KeyError on an unknown name, up front
    run = _Run(model, timeout, seed, aux, progress)
    run.search(props, max_k)
    return {n: run.results[n] for n in names}


def _aux_budget(timeout: float | None) -> float | None:
    """The share of the budget the auxiliary invariant may take: half.  It is what makes
    the step case close (78 of the 82 proofs on specs/ are at k=0 with it), while the
    base case, for counterexamples, is plain BMC and needs less."""
    return None if timeout is None else timeout / 2


def value_sets(model: Model) -> dict[str, frozenset[Value]]:
    """Per variable, a superset of the values it has in reachable states -- for the
    variables every update of which is a constant, a variable of this kind, or an ``ite``
    of those (flags that are only ever set or cleared; another task's untouched state).

    Why: k-induction cannot see that a variable no action changes keeps its initial
    value (any value is a legal start of the step case), and without that the step case
    needs paths as long as the design's runs.  Soundness, by induction on the length of
    a run: initial values are in the sets; an action either leaves x alone or sets it to
    the value of an update expression evaluated in a reachable state, and such a value is
    in the set of a constant ({c}), of a variable (its set), or of an ite (the union of
    its branches').  The sets only grow, within finite domains, so the fixpoint exists.
    Variables whose set is their whole type carry no information and are left out.
    """
    sets: dict[str, frozenset[Value] | None] = {
        v.name: frozenset(a) for v, a in zip(model.vars, model.init)}

    def values(e: Expr) -> frozenset[Value] | None:   # None: any value of the type
        if e.op == "const":
            return frozenset((e.value,))  # type: ignore[arg-type]
        if e.op == "var":
            return sets[e.name]  # type: ignore[index]
        if e.op == "ite":
            a, b = values(e.args[1]), values(e.args[2])
            return None if a is None or b is None else a | b
        return None

    changed = True
    while changed:
        changed = False
        for act in model.actions:
            for name, e in act.updates:
                old, new = sets[name], values(e)
                new = None if old is None or new is None else old | new
                if new != old:
                    sets[name], changed = new, True
    return {v.name: s for v in model.vars
            if (s := sets[v.name]) is not None and len(s) < len(domain(v.type))}


class _Unrolling:
    """One solver with its own encoder, the number of ``trans`` steps asserted so far and
    the bit-vector image of each state (for the pairwise-distinct constraints)."""

    def __init__(self, model: Model, seed: int, timeout: float | None) -> None:
        self.solver = SolverContext(seed=seed, timeout=timeout, logic="QF_BV")
        self.enc = Encoder(model, self.solver.ctx)
        self.steps = 0
        self._vecs: dict[int, z3.BitVecRef] = {}

    def extend_to(self, n: int) -> None:
        """Assert ``trans(i)`` for every i < n."""
        while self.steps < n:
            self.solver.add(self.enc.trans(self.steps))
            self.steps += 1

    def state_vector(self, i: int) -> z3.BitVecRef:
        """All of state i's variables concatenated into one bit-vector, so "states i and j
        differ" is one disequality.  Bools become one bit each; the map is injective, so
        two states are equal iff their vectors are."""
        v = self._vecs.get(i)
        if v is None:
            one = z3.BitVecVal(1, 1, self.solver.ctx)
            zero = z3.BitVecVal(0, 1, self.solver.ctx)
            parts = [z3.If(x, one, zero) if z3.is_bool(x) else x
                     for x in self.enc.vars_at(i).values()]
            if not parts:  # no variables: a single state
                parts = [zero]
            v = parts[0] if len(parts) == 1 else z3.Concat(*parts)
            self._vecs[i] = v
        return v

    def check_simple(self, assumptions: list[z3.BoolRef], last: int,
                     guard: z3.BoolRef | None = None) -> Result:
        """``check`` restricted to runs whose states 0..last are pairwise distinct.

        The O(last^2) distinctness constraints are added lazily: check without them, and
        if the model repeats a state, assert "these two states differ" and check again.
        Each round adds a constraint the model violated, so the loop ends.  Sound: "unsat"
        means unsat under a subset of the constraints, hence under all of them; "sat" is
        only returned for a model whose states were compared and found all distinct.
        Every added constraint belongs to every later (longer) query too, so it stays.
        """
        while True:
            r = self.solver.check(assumptions)
            if r != "sat":
                return r
            m = self.solver.model()
            first: dict[int, int] = {}
            clash: list[tuple[int, int]] = []
            for j in range(last + 1):
                v = m.eval(self.state_vector(j), model_completion=True).as_long()  # type: ignore
                if v in first:
                    clash.append((first[v], j))
                else:
                    first[v] = j
            if not clash:
                return "sat"
            for i, j in clash:
                c = self.state_vector(i) != self.state_vector(j)
                self.solver.add(c if guard is None else z3.Implies(guard, c))


class _Run(DepthRun[Property]):
    """One k-induction run: the shared skeleton (runloop.DepthRun: clock, results, checked
    depths) with two unrollings, the auxiliary invariant and the lemmas proved so far."""

    AT = "k={}"

    def __init__(self, model: Model, timeout: float | None, seed: int, aux: bool,
                 progress: ProgressHook | None = None) -> None:
        super().__init__(ENGINE, model, timeout, progress)
        self.base = _Unrolling(model, seed, timeout)
        left = None if timeout is None else timeout - (time.monotonic() - self.t0)
        self.step = _Unrolling(model, seed, left)   # same absolute deadline as base
        self.base.solver.add(self.base.enc.init(0))
        # the step case starts anywhere, but in a well-typed state: every reachable state
        # is well-typed, so this only removes paths that cannot be suffixes of real runs
        self.step.solver.add(self.step.enc.domain(0))
        self.values = value_sets(model)
        if aux:
            self.reporter.report(phase="mining invariant")
        #: the auxiliary invariant (checker.engines.invgen), None when not found within its share
        self.aux = (invgen.mine(model, timeout=_aux_budget(timeout), seed=seed)
                    if aux else None)
        #: properties proved so far, assumed in every later step case
        self.lemmas: list[Property] = []
        self._assume_reachable(0)
        # init-side simple-path constraints are guarded: base queries must see *all* runs
        self.simple = z3.Bool("simple_path", self.base.solver.ctx)
        self._slot: dict[str, int] = {}

    # ------------------------------------------------------------ search
    def search(self, props: list[Property], max_k: int) -> None:
        open_ = self.open_properties(props)
        self._slot = {name: j for j, name in enumerate(open_)}
        for k in self.depths(max_k, timed=False):
            for phase in (self._base_case, self._step_case):
                for p in list(open_.values()):
                    verdict = phase(p, k)
                    if verdict == "timeout":
                        self.give_up(open_, k)
                        return
                    if verdict == "decided":
                        del open_[p.name]
            if not open_:
                return
            verdict = self._init_side(k)
            if verdict == "timeout":
                self.give_up(open_, k + 1)
                return
            if verdict == "proved":
                for p in open_.values():
                    self._holds(p, k, init_side=True)
                return
        for p in open_.values():
            self.outcome(p, "unknown", self.checked[p.name],
                         reason=f"k-induction did not converge up to k={max_k}")

    def _base_case(self, p: Property, k: int) -> str:
        """Is there a run of exactly k steps ending in a violation of p?"""
        s, enc = self.base.solver, self.base.enc
        if s.expired():
            return "timeout"
        self.base.extend_to(k)
        lit = z3.Bool(f"chk_{self._slot[p.name]}_{k}", s.ctx)
        s.add(z3.Implies(lit, enc.prop_violation(p, k)))
        r = s.check([lit])
        if r == "sat":
            self.outcome(p, "violated", k, trace=self._trace(k))
            return "decided"
        if r == "unsat":
            self.checked[p.name] = k
            return "open"
        if s.reason_unknown() == "timeout":
            return "timeout"
        # without base(k) neither a shortest trace nor a proof can be claimed later
        self.unknown(p, k, f"{s.reason_unknown()} in the base case")
        return "decided"

    def _step_case(self, p: Property, k: int) -> str:
        """Can k+1 consecutive P-states on a simple path be followed by a !P-state?"""
        s, enc = self.step.solver, self.step.enc
        if s.expired():
            return "timeout"
        if self.step.steps <= k:  # first property at this k: grow the path to k+2 states
            self.step.extend_to(k + 1)
            self._assume_reachable(k + 1)
        j = self._slot[p.name]
        hyp = z3.Bool(f"hyp_{j}_{k}", s.ctx)
        s.add(z3.Implies(hyp, z3.Not(enc.prop_violation(p, k))))
        bad = z3.Bool(f"bad_{j}_{k + 1}", s.ctx)
        s.add(z3.Implies(bad, enc.prop_violation(p, k + 1)))
        r = self.step.check_simple(
            [z3.Bool(f"hyp_{j}_{i}", s.ctx) for i in range(k + 1)] + [bad], k + 1)
        if r == "unsat":
            # Soundness: suppose some reachable state violates P and take a shortest run to
            # one, of n steps.  It is a simple path (a repeated state could be cut out,
            # giving a shorter run to a violation) and P holds in all its states but the
            # last.  base(0..k) were unsat, so n > k, and its last k+2 states satisfy every
            # constraint of step(k): well-typed, linked by trans, distinct, P then !P, and
            # every lemma (they are reachable, and lemmas are proved invariants) --
            # contradicting unsat.  So no reachable state violates P.
            self._holds(p, k)
            self._learn(p)
            return "decided"
        if r == "unknown" and s.reason_unknown() == "timeout":
            return "timeout"
        return "open"  # sat, or unknown for another reason: no proof at this k, still sound

    def _assume_reachable(self, i: int) -> None:
        """Assert at step-case position i what holds in every reachable state: the value
        sets and the lemmas.  Sound for the argument in ``_step_case``, whose path is the
        end of a real run, so all its states are reachable."""
        s, enc = self.step.solver, self.step.enc
        for name, allowed in self.values.items():
            x = enc.vars_at(i)[name]
            ty = enc.model.vars[enc.model.var_index()[name]].type
            s.add(z3.Or([x == enc.value(v, ty) for v in sorted(allowed)]))
        if self.aux is not None:
            s.add(self.aux.formula(enc, i))
        for q in self.lemmas:
            s.add(z3.Not(enc.prop_violation(q, i)))

    def _learn(self, p: Property) -> None:
        """A proved property holds in every reachable state: assume it at every position
        of the step case from now on (it strengthens the hypothesis of later proofs)."""
        self.lemmas.append(p)
        for i in range(self.step.steps + 1):
            self.step.solver.add(z3.Not(self.step.enc.prop_violation(p, i)))

    def _init_side(self, k: int) -> str:
        """Does any simple path of k+1 steps start in an initial state?"""
        s = self.base.solver
        if s.expired():
            return "timeout"
        self.base.extend_to(k + 1)
        r = self.base.check_simple([self.simple], k + 1, guard=self.simple)
        # Soundness: a shortest run to any reachable state is a simple path; if it had more
        # than k steps its first k+1 steps would be a simple path from init, which unsat
        # excludes.  So every reachable state is the end of a run of at most k steps, and
        # base(0..k) has checked each open property there.
        if r == "unsat":
            return "proved"
        if r == "unknown" and s.reason_unknown() == "timeout":
            return "timeout"
        return "open"

    # ------------------------------------------------------------ outcomes
    def _holds(self, p: Property, k: int, init_side: bool = False) -> None:
        """A proof at ``k``: by the step case, or (``init_side``) because no simple path
        from init is longer than k steps; the certificate counts the mined clauses the
        step case assumed."""
        mined = len(self.aux.clauses) if self.aux is not None else 0
        cert = Certificate("k-induction", k=k, init_side=init_side, mined=mined)
        self.outcome(p, "holds", k, exhaustive=True, reason=cert.describe(), certificate=cert)

    # ------------------------------------------------------------ traces
    def _trace(self, k: int) -> Trace:
        """Read the run of length ``k`` out of the base solver's last model."""
        states, actions = self.base.enc.read_run(self.base.solver.model(), k, "kind")
        return Trace(states=states, actions=actions)
