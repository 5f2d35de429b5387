"""The one place the engines talk to a Z3 solver.

Why a wrapper: every engine needs the same three things from Z3 that are easy to get
subtly wrong by hand -- a wall-clock deadline shared by many ``check`` calls (Z3's own
``timeout`` is per call, and ``timeout=0`` means *no* limit), a fixed random seed so runs
are reproducible, and a plain-string result so callers never compare against
``z3.CheckSatResult`` objects.  Each ``SolverContext`` also owns a private ``z3.Context``:
terms left over from earlier runs in the global context change Z3's internal term ids and
therefore its heuristics, so a private context keeps two runs of the same query identical.
(One engine run may share its context between its own solvers -- BMC and the invariant
mining it starts -- and stays as reproducible: the same run builds the same terms.)
"""
from __future__ import annotations

import time
from typing import Iterable, Literal

import z3

from flagcheck.checker.engines import z3_threads

Result = Literal["sat", "unsat", "unknown"]

#: Z3 treats ``timeout=0`` as "no limit"; this is its documented "infinite" value.
_NO_LIMIT_MS = 4294967295


class SolverContext:
    """A narrow, deterministic front for one ``z3.Solver``.

    The deadline is absolute (``time.monotonic``) so a total budget is honoured across
    any number of ``check`` calls; a per-call limit can be set on top of it.  When the
    deadline has already passed, ``check`` answers "unknown" without calling Z3, because
    handing Z3 a zero timeout would disable the limit instead.
    """

    def __init__(self, seed: int = 0, timeout: float | None = None,
                 logic: str | None = None, ctx: z3.Context | None = None) -> None:
        # ``ctx``: a context to share with another solver of the same engine run (its
        # terms are then built once); None: a private one
        self.ctx = ctx if ctx is not None else z3.Context()
        # logic="QF_BV" (used by the engines: their encoding is pure bit-vectors/Booleans)
        # lets Z3 use its incremental SAT back end instead of the general SMT core
        self._solver = (z3.SolverFor(logic, ctx=self.ctx) if logic
                        else z3.Solver(ctx=self.ctx))
        self._per_check_ms: int | None = None
        self._deadline: float | None = None
        self._reason = ""
        self._capped = False
        self.set_seed(seed)
        if timeout is not None:
            self.set_deadline(timeout)

    # ------------------------------------------------------------ configuration
    def set_seed(self, seed: int) -> None:
        """Fix every random choice Z3 makes, so the same query gives the same model."""
        self._solver.set("random_seed", seed)  # the solver's (= smt.) seed, Z3 4.x and 5.x

    def set_timeout(self, ms: int | None) -> None:
        """Limit each later ``check`` to ``ms`` milliseconds (None: no per-call limit)."""
        self._per_check_ms = ms

    def set_deadline(self, seconds: float | None) -> None:
        """Give all later ``check`` calls together at most ``seconds`` of wall time."""
        self._deadline = None if seconds is None else time.monotonic() + seconds

    def remaining(self) -> float | None:
        """Seconds left before the deadline (None: no deadline; may be negative)."""
        return None if self._deadline is None else self._deadline - time.monotonic()

    def expired(self) -> bool:
        left = self.remaining()
        return left is not None and left <= 0

    # ------------------------------------------------------------ assertions
    def add(self, *constraints: z3.BoolRef) -> None:
        self._solver.add(*constraints)

    def push(self) -> None:
        self._solver.push()

    def pop(self) -> None:
        self._solver.pop()

    # ------------------------------------------------------------ queries
    def conflicts(self) -> int:
        """Conflicts of the SAT search so far, over every ``check`` (0 when Z3 does not
        say): a measure of work that, unlike seconds, is the same on every machine."""
        st = self._solver.statistics()
        stats = {k: st.get_key_value(k) for k in st.keys()}
        return int(stats.get("sat conflicts", stats.get("conflicts", 0)))

    def check(self, assumptions: Iterable[z3.BoolRef] = (),
              conflicts: int | None = None) -> Result:
        """Check satisfiability under ``assumptions``; "unknown" also on timeout
        (``expired()`` tells the deadline's apart) and after ``conflicts`` conflicts."""
        z3_threads.drain()      # what other threads released meanwhile (never during a call)
        limits = []
        if self._per_check_ms is not None:
            limits.append(self._per_check_ms)
        left = self.remaining()
        if left is not None:
            if left <= 0:
                self._reason = "timeout"
                return "unknown"
            limits.append(int(left * 1000))
        # at least 1 ms: 0 would mean "no limit" to Z3
        ms = max(1, min(limits)) if limits else _NO_LIMIT_MS
        self._solver.set("timeout", ms)
        if conflicts is not None or self._capped:
            self._solver.set("max_conflicts", _NO_LIMIT_MS if conflicts is None else conflicts)
            self._capped = conflicts is not None
        r = self._check(list(assumptions))
        if r == z3.sat:
            self._reason = ""
            return "sat"
        if r == z3.unsat:
            self._reason = ""
            return "unsat"
        self._reason = self._solver.reason_unknown() or "unknown"
        # Z3 says "timeout" or (some versions) "canceled" when its limit fires
        if self.expired() or self._reason in ("timeout", "canceled"):
            self._reason = "timeout"
        return "unknown"

    def _check(self, lits: list[z3.BoolRef]) -> z3.CheckSatResult:
        """``Solver.check`` without its per-assumption sort cast: each cast makes and frees
        two Python sort objects, and invariant mining (checker.engines.invgen) passes
        about 800 assumptions per call (its time on rfc-v2 × io-uring-pthread-join: 3.6
        CPU s with the cast, 3.1 without).  A BoolRef is a Boolean by construction;
        anything else takes z3's own path."""
        if not all(isinstance(a, z3.BoolRef) for a in lits):
            return self._solver.check(*lits)
        arr = (z3.Ast * len(lits))(*[a.as_ast() for a in lits])
        return z3.CheckSatResult(z3.Z3_solver_check_assumptions(
            self.ctx.ref(), self._solver.solver, len(lits), arr))

    def reason_unknown(self) -> str:
        """Why the last ``check`` said "unknown" ("timeout" when a limit ran out)."""
        return self._reason

    def model(self) -> z3.ModelRef:
        """The model of the last "sat" ``check``."""
        return self._solver.model()
