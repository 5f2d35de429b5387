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

from flagcheck.checker.engines import lasso
from flagcheck.checker.engines.encode import Encoder
from flagcheck.checker.engines.solver import SolverContext
from flagcheck.pyspec.outcome import Outcome
from flagcheck.pyspec.progress import ProgressHook, Reporter
from flagcheck.pyspec.trace import State, Trace
from flagcheck.tlamodel.ir import Liveness, Model, Property, Value

ENGINE = "bmc"


def check(model: Model, properties: list[str] | None = None, depth: int = 40,
          timeout: float | None = None, seed: int = 0,
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
        run = _Run(model, timeout, seed, progress)
        run.search(props, depth)
        return {n: run.results[n] for n in names}
    # Liveness properties: fair lassos (checker.engines.lasso), after the safety properties, within
    # the same wall-clock budget
    t0 = time.monotonic()
    safety = [p for p in props if not isinstance(p, Liveness)]
    out: dict[str, Outcome] = {}
    if safety:
        run = _Run(model, timeout, seed, progress)
        run.search(safety, depth)
        out.update(run.results)
    left = None if timeout is None else max(0.0, timeout - (time.monotonic() - t0))
    out.update(lasso.check(model, live, depth=depth, timeout=left, seed=seed,
                           progress=progress))
    return {n: out[n] for n in names}


class _Run:
    """The state of one BMC run: solver, encoder, clock, and per-property bookkeeping."""

    def __init__(self, model: Model, timeout: float | None, seed: int,
                 progress: ProgressHook | None = None) -> None:
        self.t0 = time.monotonic()
        self.reporter = Reporter(ENGINE, progress, start=self.t0)
        self.model = model
        self.timeout = timeout
        self.solver = SolverContext(seed=seed, timeout=timeout, logic="QF_BV")
        self.enc = Encoder(model, self.solver.ctx)
        self.results: dict[str, Outcome] = {}
        #: last depth at which each open property was shown violation-free
        self.checked: dict[str, int] = {}

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def search(self, props: list[Property], depth: int) -> None:
        open_: dict[str, Property] = {}
        for p in props:  # a name asked twice is checked once
            open_.setdefault(p.name, p)
            self.checked[p.name] = -1
        self.solver.add(self.enc.init(0))
        started = self.t0
        for k in range(depth + 1):
            now = time.monotonic()
            self.reporter.report(depth=k, seconds_per_depth=now - started if k else None)
            started = now
            # One query per depth for all open properties ("is any of them violated at k?"):
            # the unsatisfiable answers are the expensive ones, and one covers them all.  A
            # satisfying run may violate several at once; each gets that run (shortest, as
            # every smaller depth was unsatisfiable for it) and the rest are asked again.
            rnd = 0
            while open_:
                if self.solver.expired():
                    self._give_up(open_, k)
                    return
                lit = z3.Bool(f"chk_{k}_{rnd}", self.solver.ctx)
                rnd += 1
                viol = {n: self.enc.prop_violation(p, k) for n, p in open_.items()}
                self.solver.add(z3.Implies(lit, z3.Or(list(viol.values()))))
                r = self.solver.check([lit])
                if r == "unsat":
                    for n in open_:
                        self.checked[n] = k
                    break
                if r == "sat":
                    m = self.solver.model()
                    for n, v in viol.items():
                        if z3.is_true(m.eval(v, model_completion=True)):
                            self._violated(open_.pop(n), k)
                    continue
                if self.solver.reason_unknown() == "timeout":
                    self._give_up(open_, k)
                    return
                # the solver gave up on this query: no verdict for the properties in it
                for n in list(open_):
                    self._unknown(open_.pop(n), k, self.solver.reason_unknown())
            if not open_:
                return
            self.solver.add(self.enc.trans(k))
            # Soundness of the proof: every reachable state is the last state of some run of
            # length j; if no run of length k+1 exists, no run is longer than k (each longer
            # run has a prefix of length k+1), so j <= k, and every state at every position
            # 0..k of every run has just been checked above (depth j with trans(0..j-1)).
            r = self.solver.check()
            if r == "unsat":
                for p in open_.values():
                    self._holds(p, k, exhaustive=True)
                return
            if r == "unknown" and self.solver.reason_unknown() == "timeout":
                # all of depth k was checked; only the proof attempt ran out of time
                self._give_up(open_, k + 1)
                return
            # "unknown" for another reason: no proof, but the bounded search stays sound
        for p in open_.values():
            self._holds(p, depth, exhaustive=False)

    # ------------------------------------------------------------ outcomes
    def _outcome(self, p: Property, status: str, depth: int, **kw: object) -> None:
        self.results[p.name] = Outcome(property=p.name, status=status,  # type: ignore[arg-type]
                                       depth=depth, seconds=self.elapsed(), engine=ENGINE,
                                       states=None, **kw)  # type: ignore[arg-type]

    def _violated(self, p: Property, k: int) -> None:
        self._outcome(p, "violated", k, trace=self._trace(k))

    def _holds(self, p: Property, depth: int, exhaustive: bool) -> None:
        self._outcome(p, "holds", depth, exhaustive=exhaustive)

    def _unknown(self, p: Property, k: int, reason: str) -> None:
        self._outcome(p, "unknown", self.checked[p.name], reason=f"{reason} at depth {k}")

    def _give_up(self, open_: dict[str, Property], k: int) -> None:
        """The wall-clock budget ran out while working on depth ``k``."""
        reason = f"timeout {self.timeout}s at depth {k}"
        for p in open_.values():
            self._outcome(p, "unknown", self.checked[p.name], reason=reason)

    # ------------------------------------------------------------ traces
    def _trace(self, k: int) -> Trace:
        """Read the run of length ``k`` out of the last model."""
        states, actions = self.enc.read_run(self.solver.model(), k, ENGINE)
        return Trace(states=states, actions=actions)
