"""Incremental bounded model checking: shortest counterexamples, and proofs when runs end.

Why incremental with one solver: the unrolling ``init(0) & trans(0) & ... & trans(k-1)``
is shared by every property and every depth, so it is asserted once and grows by one
step per depth; each (property, depth) query is posed under an assumption literal
``chk_p_k -> violation_p@k``.  Assumptions (rather than push/pop) let Z3 keep what it
learnt about the unrolling from one query to the next.  Depths are tried in increasing
order, so the first satisfiable query for a property is a shortest counterexample.
"""
from __future__ import annotations

import time
import z3

from flagcheck.checker.engines import invgen, lasso, ranking
from flagcheck.checker.engines.encode import Encoder
from flagcheck.checker.engines.runloop import BoundedSearch
from flagcheck.checker.engines.solver import SolverContext
from flagcheck.pyspec.outcome import Outcome
from flagcheck.pyspec.progress import ProgressHook
from flagcheck.pyspec.trace import Trace
from flagcheck.tlamodel.ir import Liveness, Model, Property

ENGINE = "bmc"


def check(model: Model, properties: list[str] | None = None, depth: int = 40,
          timeout: float | None = None, seed: int = 0, lemmas: bool = True,
          progress: ProgressHook | None = None) -> dict[str, Outcome]:
    """Check ``properties`` (default: all of the model's) on runs of up to ``depth`` steps.

    Returns one ``Outcome`` per property, in the order asked:
    ``violated`` with a shortest trace; ``holds`` with ``exhaustive=True`` when no run is
    longer than the depth reached (a proof); ``holds`` with ``exhaustive=False`` when no
    violation exists within ``depth`` steps; ``unknown`` when the solver gave up or the
    total wall-clock ``timeout`` (seconds) ran out, with ``depth`` = the last depth fully
    checked for that property (-1 if none).  ``progress`` (pyspec.progress) is told each
    depth as it starts, with the wall time the previous one took.
    """
    if depth < 0:
        raise ValueError("bmc: depth must be >= 0")
    names = [p.name for p in model.properties] if properties is None else list(properties)
    props = [model.property(n) for n in names]  # KeyError on an unknown name, up front
    live = [p.name for p in props if isinstance(p, Liveness)]
    if not live:
        run = _Run(model, timeout, seed, progress, lemmas)
        run.search(run.open_properties(props), depth)
        return {n: run.results[n] for n in names}
    # Liveness properties: fair lassos (checker.engines.lasso), after the safety properties, within
    # the same wall-clock budget
    t0 = time.monotonic()
    safety = [p for p in props if not isinstance(p, Liveness)]
    out: dict[str, Outcome] = {}
    if safety:
        run = _Run(model, timeout, seed, progress, lemmas)
        run.search(run.open_properties(safety), depth)
        out.update(run.results)
    left = None if timeout is None else max(0.0, timeout - (time.monotonic() - t0))
    out.update(lasso.check(model, live, depth=depth, timeout=left, seed=seed,
                           progress=progress))
    return {n: out[n] for n in names}


#: lemmas are mined when the search reaches this depth, on models with at least this many
#: actions (a deterministic rule: the small models of the tests are done before, and mining
#: would cost more than it saves), within at most this many seconds (a quarter of what is
#: left when there is a --timeout)
LEMMA_DEPTH, LEMMA_ACTIONS, LEMMA_SECONDS = 8, 40, 60.0


class _Run(BoundedSearch[Property]):
    """One BMC run of safety properties: the shared skeleton (runloop.BoundedSearch) with
    "some open property is violated at k" as the query."""

    def __init__(self, model: Model, timeout: float | None, seed: int,
                 progress: ProgressHook | None = None, lemmas: bool = True) -> None:
        super().__init__(ENGINE, model, timeout, progress)
        self.solver = SolverContext(seed=seed, timeout=timeout, logic="QF_BV")
        self.enc = Encoder(model, self.solver.ctx)
        self.seed = seed
        #: mine lemmas at LEMMA_DEPTH (if the model is big enough); None until then
        self.want_lemmas = lemmas and len(model.actions) >= LEMMA_ACTIONS
        #: the lemmas over state copy 0 (``Encoder.shift`` moves them), once mined
        self.lemmas: z3.BoolRef | None = None

    # Lemmas: an inductive invariant (checker.engines.invgen, proved by Z3) asserted in
    # every state copy.  It holds in every reachable state, so it removes no run and
    # changes no verdict and no shortest counterexample; it gives the solver, up front,
    # facts about reachable states that it would otherwise re-learn at every depth.
    # Measured on notify-signal-5.11 x io-uring-pthread-join to depth 40: the violation
    # queries took 101 s without, 8 s with (mining: 1.5-2.5 s).  The open properties go
    # to the miner, which also blocks the unreachable states violating them (invgen's
    # _BadStates): then no state the lemmas admit violates them at any depth except a
    # reachable one, and each depth's query is refuted within that state.
    def strengthen(self, k: int, open_: dict[str, Property]) -> None:
        if not self.want_lemmas or k != LEMMA_DEPTH:
            return
        self.want_lemmas = False
        left = self.solver.remaining()
        budget = LEMMA_SECONDS if left is None else min(LEMMA_SECONDS, left / 4)
        lemmas = invgen.mine(self.model, timeout=budget, seed=self.seed,
                             bad=tuple(open_.values()), enc=self.enc)
        if lemmas is not None:
            self.lemmas = lemmas.formula(self.enc, 0)
            for i in range(k + 1):
                self.solver.add(self.enc.shift(self.lemmas, i))
            if self.runs.longest and not self.runs.covers(self.depth + 1):
                # every run ends before the search does: a ranking function may prove
                # where (checker.engines.ranking), which SAT finds hard to
                found = ranking.find(self.model, self.enc, self.lemmas)
                self.run_bound = None if found is None else found.bound

    def extend(self, i: int) -> None:
        if self.lemmas is not None:
            self.solver.add(self.enc.shift(self.lemmas, i))

    def pose(self, k: int, rnd: int,
             open_: dict[str, Property]) -> tuple[z3.BoolRef, dict[str, z3.BoolRef]]:
        lit = z3.Bool(f"chk_{k}_{rnd}", self.solver.ctx)
        viol = {n: self.enc.prop_violation(p, k) for n, p in open_.items()}
        self.solver.add(z3.Implies(lit, z3.Or(list(viol.values()))))
        return lit, viol

    def refute(self, k: int, open_: dict[str, Property],
               viol: dict[str, z3.BoolRef]) -> None:
        m = self.solver.model()
        for n, v in viol.items():
            if z3.is_true(m.eval(v, model_completion=True)):
                self.outcome(open_.pop(n), "violated", k, trace=self._trace(k))

    def _trace(self, k: int) -> Trace:
        """Read the run of length ``k`` out of the last model."""
        states, actions = self.enc.read_run(self.solver.model(), k, ENGINE)
        return Trace(states=states, actions=actions)
