"""The skeleton the Z3 engines share: a run over increasing depths.

BMC (checker.engines.bmc), its liveness half (checker.engines.lasso) and k-induction
(checker.engines.kinduction) all walk k = 0, 1, 2, ... with one wall clock for the whole
call, keep per property the last depth shown violation-free, and answer every property
still open in the same words when the clock runs out.  ``DepthRun`` holds that
bookkeeping once, so the engines' verdict rules (never ``holds`` on a timeout; ``depth`` of
an ``unknown`` = the last depth fully checked) are written, and reviewed, in one place.

``BoundedSearch`` is the incremental one-solver search BMC and the lasso search share:
one query per depth covering every open property, asked again after each satisfying run
until unsatisfiable, then the "no longer run exists" proof attempt.  The engines supply
the query and what a satisfying run means.
"""
from __future__ import annotations

import time
from typing import Any, Generic, Iterator, Protocol, TypeVar

import z3

from flagcheck.checker.engines.encode import Encoder
from flagcheck.checker.engines.solver import Result, SolverContext
from flagcheck.checker.engines.witness import LongRun
from flagcheck.pyspec.outcome import Outcome
from flagcheck.pyspec.progress import ProgressHook, Reporter
from flagcheck.tlamodel.ir import Model


#: the proof attempt "no run of k+1 steps exists" may take as many SAT conflicts as the
#: search so far, and at least this many.  Why a budget: that no run is longer is a
#: counting argument SAT is bad at; on the 3-task io_uring scenarios that end (the
#: killable joins) the proof alone took 94,000 conflicts and 26 s where the whole bounded
#: search took 5 s.  Past the budget the verdict is "holds up to depth K", never a proof.
#: Why conflicts and not seconds: the same on every machine and under any load, so a
#: verdict never turns from "proved" into "holds up to depth K" because CI was busy.
#: The price: a proof that needs more conflicts than the budget is not made (Z6.0 under
#: TSO, a 3-task litmus test, needs 31,000: BMC says "holds up to depth 40" where it used
#: to say "proved"); the proofs are k-induction's and PDR's job.
PROOF_MIN_CONFLICTS = 10_000


class _Named(Protocol):
    @property
    def name(self) -> str: ...


P = TypeVar("P", bound=_Named)


class DepthRun(Generic[P]):
    """One engine run: its clock, progress reporter, results and checked depths."""

    #: how a reason names depth k: "at depth 3" (BMC, lassos), "at k=3" (k-induction)
    AT = "depth {}"

    def __init__(self, engine: str, model: Model, timeout: float | None,
                 progress: ProgressHook | None = None) -> None:
        self.t0 = time.monotonic()
        self.engine = engine
        self.reporter = Reporter(engine, progress, start=self.t0)
        self.model = model
        self.timeout = timeout
        self.results: dict[str, Outcome] = {}
        #: last depth at which each open property was shown violation-free (-1: none)
        self.checked: dict[str, int] = {}

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def at(self, k: int) -> str:
        return self.AT.format(k)

    def open_properties(self, props: list[P]) -> dict[str, P]:
        """The properties to search for, by name: a name asked twice is checked once."""
        open_: dict[str, P] = {}
        for p in props:
            open_.setdefault(p.name, p)
            self.checked[p.name] = -1
        return open_

    def depths(self, last: int, timed: bool = True, **figures: Any) -> Iterator[int]:
        """0..``last``, each reported to progress as it starts (``timed``: with the wall
        time the previous depth took)."""
        started = self.t0
        for k in range(last + 1):
            if timed:
                now = time.monotonic()
                self.reporter.report(depth=k, seconds_per_depth=now - started if k else None,
                                     **figures)
                started = now
            else:
                self.reporter.report(depth=k, **figures)
            yield k

    # ------------------------------------------------------------ outcomes
    def outcome(self, p: P, status: str, depth: int, **kw: Any) -> None:
        self.results[p.name] = Outcome(property=p.name, status=status,  # type: ignore[arg-type]
                                       depth=depth, seconds=self.elapsed(), engine=self.engine,
                                       **kw)

    def unknown(self, p: P, k: int, why: str) -> None:
        """No verdict for ``p``: the solver gave up (``why``) while working on ``k``."""
        self.outcome(p, "unknown", self.checked[p.name], reason=f"{why} at {self.at(k)}")

    def give_up(self, open_: dict[str, P], k: int) -> None:
        """The wall-clock budget ran out while working on ``k``: every open property is
        ``unknown`` at the last depth checked for it."""
        for p in open_.values():
            self.unknown(p, k, f"timeout {self.timeout}s")


class BoundedSearch(DepthRun[P]):
    """Incremental BMC over one solver whose unrolling grows by one step per depth.

    Subclasses create ``solver`` and ``enc`` (with ``init(0)`` not yet asserted) and
    supply ``pose`` (the query for depth k), ``refute`` (what a satisfying run violates)
    and, if they need it, ``start``/``extend`` (definitions tied to each new position).
    """
    solver: SolverContext
    enc: Encoder

    def start(self) -> None:
        """Assert what position 0 needs, after ``init(0)``."""

    def extend(self, i: int) -> None:
        """Assert what position ``i`` needs, after ``trans(i-1)``."""

    def strengthen(self, k: int, open_: dict[str, P]) -> None:
        """Before the queries at depth ``k`` (positions 0..k exist) of the properties
        still ``open_``: add what helps."""

    def pose(self, k: int, rnd: int, open_: dict[str, P]) -> tuple[z3.BoolRef, Any]:
        """Assert the query "some open property is violated at depth k" behind a fresh
        assumption literal; return the literal and what ``refute`` needs to read a model."""
        raise NotImplementedError

    def refute(self, k: int, open_: dict[str, P], posed: Any) -> None:
        """The query at ``k`` is satisfiable: decide (and pop) the properties its run
        violates, each with that run -- a shortest one, every smaller depth having been
        unsatisfiable for it."""
        raise NotImplementedError

    def search(self, open_: dict[str, P], depth: int, **figures: Any) -> None:
        #: the depth the search goes to
        self.depth = depth
        #: runs known to exist (checker.engines.witness): the "is there a longer run?"
        #: questions they answer "yes" to are not asked
        left = self.solver.remaining()
        self.runs = LongRun(self.model, depth + 1, deadline=None if left is None else
                            time.monotonic() + left / 10)
        #: whether to keep asking Z3 for the proof that no longer run exists
        self.proving = True
        #: no run has more steps than this, once a ranking function proves it (set by a
        #: subclass's ``strengthen``; checker.engines.ranking)
        self.run_bound: int | None = None
        #: the assumption under which the proof asks for canonical runs only, and how
        #: many adjacent step pairs it covers so far
        self.reduced, self.reduced_pairs = z3.Bool("peephole", self.solver.ctx), 0
        self.solver.add(self.enc.init(0))
        self.start()
        for k in self.depths(depth, **figures):
            # One query per depth for all open properties: the unsatisfiable answers are
            # the expensive ones, and one covers them all.  A satisfying run may violate
            # several at once; each gets that run and the rest are asked again.
            self.strengthen(k, open_)
            rnd = 0
            while open_:
                if self.solver.expired():
                    self.give_up(open_, k)
                    return
                lit, posed = self.pose(k, rnd, open_)
                rnd += 1
                r = self.solver.check([lit])
                if r == "unsat":
                    break
                if r == "sat":
                    self.refute(k, open_, posed)
                    continue
                if self.solver.reason_unknown() == "timeout":
                    self.give_up(open_, k)
                    return
                # the solver gave up on this query: no verdict for the properties in it
                for n in list(open_):
                    self.unknown(open_.pop(n), k, self.solver.reason_unknown())
            if not open_:
                return
            for n in open_:
                self.checked[n] = k
            self.solver.add(self.enc.trans(k))
            if self.run_bound is not None and k >= self.run_bound:
                # the same argument as below, with the ranking's proof that no run of
                # k+1 steps exists in place of _prove_no_run's
                for p in open_.values():
                    self.outcome(p, "holds", k, exhaustive=True)
                return
            # with a ranking, its bound is where the proof comes; SAT's attempt before
            # it would only try the same counting argument the ranking avoids
            if self.runs.covers(k + 1) or not self.proving or self.run_bound is not None:
                self.extend(k + 1)
                continue
            # Soundness of the proof: every reachable state is the last state of some run of
            # length j; if no run of length k+1 exists, no run is longer than k (each longer
            # run has a prefix of length k+1), so j <= k, and every state at every position
            # 0..k of every run has just been checked above (depth j with trans(0..j-1)).
            r = self._prove_no_run(k + 1)
            if r == "unsat":
                for p in open_.values():
                    self.outcome(p, "holds", k, exhaustive=True)
                return
            if r == "sat":
                states, _ = self.enc.read_run(self.solver.model(), k + 1, self.engine)
                self.runs.adopt(states, depth + 1)
            elif self.solver.expired():
                # all of depth k was checked; only the proof attempt ran out of time
                self.give_up(open_, k + 1)
                return
            else:
                # the proof attempt ran out of its share, or Z3 gave up on it: no proof, but
                # the bounded search stays sound and goes on without further attempts
                self.proving = False
            self.extend(k + 1)
        for p in open_.values():
            self.outcome(p, "holds", depth, exhaustive=False)

    def _prove_no_run(self, n: int) -> Result:
        """Ask whether a run of ``n`` steps exists (trans(0..n-1) asserted), within the
        proof budget: "unsat" is the proof, "unknown" past the budget.  Asked of
        canonical runs only (``Encoder.peephole``; every run has a canonical one of the
        same length), which cut the proof's conflicts about 3x on coupled-5.9 ×
        io-uring-killable-join (112,000 -> 47,000)."""
        for j in range(self.reduced_pairs, n - 1):
            self.solver.add(z3.Implies(self.reduced, self.enc.peephole(j)))
        self.reduced_pairs = max(self.reduced_pairs, n - 1)
        budget = max(PROOF_MIN_CONFLICTS, self.solver.conflicts())
        return self.solver.check([self.reduced], conflicts=budget)
