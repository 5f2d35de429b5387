"""Property-directed reachability (Z3's Spacer): proofs with a readable inductive invariant.

Why Spacer next to k-induction: k-induction needs the property to be k-inductive along
simple paths, and on designs whose unreachable states chain far back that k is large.
PDR instead *learns* the strengthening -- an inductive invariant -- which is also the best
explanation of *why* a design is safe, so it is rendered in the design's own names.
Spacer is poor at counterexamples (no push/pop, z3#7624; sat answers are hard to read,
z3#4547), so on "unsafe" only its depth is used and checker.engines.bmc, re-run to that depth,
supplies the shortest concrete trace (SeaHorn's approach).

The constrained Horn clauses, one system per property P (state x, successor x'):
    Init(x) => Inv(x);   Inv(x) & Trans(x, x') => Inv(x');   Inv(x) & !P(x) => false
unsat ("no derivation of false") means Inv exists, i.e. P holds in every reachable state.

Encoding (measured on specs/*.yaml): ints and enums as Int, sets as bit-vectors.  With
Spacer's arithmetic generalisation the invariants are about half the size of those found
over the bit-vector Encoder, at equal or better speed, and lemmas read "pc <= 2" rather
than bit tests.  Spacer's rule transformations (slicing, inlining) are off: with them the
cover it reports for Inv is not always an invariant of Inv itself, so it could not be
re-checked (and choice_init's was not one).  One rule with the Encoder's whole ``trans``
beats one rule per action (0.7 s vs 3 s on coupled-5.9/oleg-lost-signal, and per-action
rules timed out where the single rule took 20 s).
"""
from __future__ import annotations

import ctypes
import time
from functools import lru_cache
from typing import Any, Callable

import z3

from flagcheck.checker.engines import bmc, invgen
from flagcheck.checker.engines.encode import Encoder
from flagcheck.checker.engines.pdr_render import Renderer, conjuncts, nodes
from flagcheck.pyspec.outcome import Certificate, Outcome
from flagcheck.pyspec.progress import ProgressHook, Reporter
from flagcheck.tlamodel.ir import EnumType, IntType, Model, Property, Type

ENGINE = "pdr"
#: seconds Spacer gets on its own before it is given checker.engines.invgen's invariant
ALONE_SECONDS = 10.0


def check(model: Model, properties: list[str] | None = None, timeout: float | None = None,
          seed: int = 0, aux: bool = True,
          progress: ProgressHook | None = None) -> dict[str, Outcome]:
    """Check ``properties`` (default: all of the model's) with Spacer, one query each.

    ``holds`` (exhaustive) carries the inductive invariant in ``certificate`` (and in
    words in ``reason``: "PDR; invariant (L lemmas, N nodes, re-checked): ...");
    ``violated`` carries BMC's shortest trace; ``unknown`` on timeout (``timeout``
    seconds for the whole call) or when Spacer gives up.  Never ``holds`` without Spacer's proof.

    ``aux``: when Spacer alone has not answered within ``ALONE_SECONDS`` (or its share of
    the budget), mine an invariant (checker.engines.invgen, once per call) and ask Spacer again
    with it as a known fact of every pre-state of ``step`` and of the query.  Spacer then
    only has to find what the mined clauses cannot say; on the 3-task io_uring scenarios
    this turns timeouts into proofs.  Spacer alone goes first because its invariant is
    the readable one ("T.pending == {} || T.TIF_SIGPENDING ..."); with the mined clauses
    it is often just "true".  The certificate re-checked at the end is Spacer's invariant
    *and* the mined one, so the proof does not rest on invgen.

    ``progress`` (pyspec.progress) gets the property being queried, Spacer's level (the
    frame it is working on) and the lemmas it has learnt in this query, through Spacer's
    ``unfold`` callback (``_SpacerWatch``); where that is missing, only the property.
    """
    names = [p.name for p in model.properties] if properties is None else list(properties)
    props = [model.property(n) for n in names]  # KeyError on an unknown name, up front
    t0 = time.monotonic()
    reporter = Reporter(ENGINE, progress, start=t0)
    deadline = None if timeout is None else t0 + timeout
    todo = list(dict.fromkeys(p.name for p in props))
    out: dict[str, Outcome] = {}
    # pass 1: Spacer alone, ALONE_SECONDS each (or an equal share of the budget without
    # aux); pass 2: what is still open, with the mined invariant, sharing what is left
    # equally -- so the easy properties finish first and the hard one (the io_uring
    # no_deadlock) gets the rest of the time instead of a fixed slice
    for n, name in enumerate(todo):
        share = _share(deadline, len(todo) - n)
        first = share
        if aux:
            alone = time.monotonic() + ALONE_SECONDS
            first = alone if share is None else min(alone, share)
        out[name] = _Query(model, model.property(name), t0, first, timeout, seed, None,
                           reporter).run()
    hard = [n for n in todo if out[n].status == "unknown"] if aux else []
    if hard and (deadline is None or time.monotonic() < deadline):
        left = None if deadline is None else deadline - time.monotonic()
        reporter.report(phase="mining invariant")
        lemmas = invgen.mine(model, timeout=None if left is None else left / 2, seed=seed)
        for n, name in enumerate(hard):
            # without an invariant (mining ran out of time) Spacer alone gets the rest
            out[name] = _Query(model, model.property(name), t0,
                               _share(deadline, len(hard) - n), timeout, seed, lemmas,
                               reporter).run()
    return {n: out[n] for n in names}


def _share(deadline: float | None, parts: int) -> float | None:
    """The deadline of the next of ``parts`` equal shares of the time left."""
    if deadline is None:
        return None
    now = time.monotonic()
    return now + (deadline - now) / parts


class _IntEncoder(Encoder):
    """The Encoder with int and enum variables as unbounded Int (sets stay bit-vectors).

    Sound because the IR's arithmetic *is* unbounded and ``Encoder.domain`` (part of
    ``init`` and ``trans``) bounds every state variable by its declared type."""

    def sort(self, ty: Type) -> z3.SortRef:
        if isinstance(ty, (IntType, EnumType)):
            return z3.IntSort(self.ctx)
        return super().sort(ty)

    def value(self, v: object, ty: Type) -> z3.ExprRef:
        if isinstance(ty, (IntType, EnumType)):
            return z3.IntVal(int(v), self.ctx)  # type: ignore[call-overload]
        return super().value(v, ty)


class _Query:
    """One property's Horn system and what its answer means."""

    def __init__(self, model: Model, prop: Property, t0: float, deadline: float | None,
                 timeout: float | None, seed: int, lemmas: invgen.Lemmas | None,
                 reporter: Reporter | None = None) -> None:
        self.model, self.prop, self.t0, self.seed = model, prop, t0, seed
        self.reporter = reporter if reporter is not None else Reporter(ENGINE, None)
        self.deadline, self.timeout = deadline, timeout
        self.ctx = z3.Context()   # private: no term-id interference between queries
        self.enc = _IntEncoder(model, self.ctx)
        self.x0 = list(self.enc.vars_at(0).values())
        self.x1 = list(self.enc.vars_at(1).values())
        self.lemmas = lemmas if lemmas is not None and lemmas.clauses else None
        #: the mined invariant in state 0 (true when there is none)
        self.known = (self.lemmas.formula(self.enc, 0) if self.lemmas is not None
                      else z3.BoolVal(True, self.ctx))
        self.inv = z3.Function("Inv", *[x.sort() for x in self.x0], z3.BoolSort(self.ctx))

    def left_ms(self) -> int | None:
        if self.deadline is None:
            return None
        return int((self.deadline - time.monotonic()) * 1000)

    def outcome(self, status: str, depth: int, **kw: object) -> Outcome:
        return Outcome(property=self.prop.name, status=status,  # type: ignore[arg-type]
                       depth=depth, seconds=time.monotonic() - self.t0, engine=ENGINE,
                       **kw)  # type: ignore[arg-type]

    def run(self) -> Outcome:
        ms = self.left_ms()
        if ms is not None and ms <= 0:
            return self.outcome("unknown", -1, reason=f"timeout {self.timeout}s")
        fp = z3.Fixedpoint(ctx=self.ctx)
        fp.set(engine="spacer")
        fp.set("spacer.random_seed", self.seed)
        for opt in ("xform.slice", "xform.inline_linear", "xform.inline_eager"):
            fp.set(opt, False)
        if ms is not None:
            fp.set("timeout", max(1, ms))
        enc = self.enc
        aux = list(enc.action_literals(0)) + [enc.action_index(0)]
        fp.declare_var(*(self.x0 + self.x1 + aux))
        fp.register_relation(self.inv)
        fp.rule(self.inv(*self.x0), enc.init(0), name="init")
        fp.rule(self.inv(*self.x1), [self.inv(*self.x0), self.known, enc.trans(0)],
                name="step")
        phase = None if self.lemmas is None else "with mined invariant"
        # kept on self: Spacer calls into it for as long as the query runs
        self._watch = (_SpacerWatch(fp, self.reporter, self.prop.name, phase)
                       if self.reporter.active else None)
        try:
            r = fp.query(z3.And(self.inv(*self.x0), self.known,
                                enc.prop_violation(self.prop, 0)))
        except z3.Z3Exception as e:  # Spacer reports its timeout as an exception
            msg = str(e)
            ms = self.left_ms()
            if (ms is not None and ms <= 0) or "cancel" in msg or "timeout" in msg:
                return self.outcome("unknown", -1, reason=f"timeout {self.timeout}s")
            return self.outcome("unknown", -1, reason=f"spacer: {msg}")
        if r == z3.unsat:
            return self.proved(fp)
        if r == z3.sat:
            return self.refuted(fp)
        return self.outcome("unknown", -1, reason=f"spacer: {fp.reason_unknown()}")

    # ------------------------------------------------------------ safe
    def proved(self, fp: z3.Fixedpoint) -> Outcome:
        cover = fp.get_cover_delta(-1, self.inv)   # Inv's interpretation, over Var(0..n-1)
        inv0 = z3.substitute_vars(cover, *self.x0)
        # Spacer's Inv is inductive relative to the mined clauses, and those are inductive
        # within the variables' declared ranges: the certificate is all three together
        ok = self.recheck(inv0 if self.lemmas is None
                          else z3.And(inv0, self.known, self.enc.domain(0)))
        if ok is False:
            # Spacer said safe but its certificate is not one: refuse to claim a proof
            return self.outcome("unknown", -1, reason="internal error: Spacer's invariant "
                                "is not inductive for " + self.prop.name)
        text, typing = Renderer(self.model, self.enc).show(inv0)
        cert = Certificate("pdr", invariant=text, lemmas=len(conjuncts(inv0)),
                           nodes=nodes(inv0), type_ranges=typing, rechecked=ok is True,
                           mined=0 if self.lemmas is None else len(self.lemmas.clauses))
        # depth: the frame at which Spacer's lemmas became inductive (its "k")
        return self.outcome("holds", fp.get_num_levels(self.inv), exhaustive=True,
                            reason=cert.describe(), certificate=cert)

    def recheck(self, inv0: z3.BoolRef) -> bool | None:
        """Re-prove the three Horn clauses for ``inv0`` with a plain solver: the proof then
        rests on this check and not on Spacer's bookkeeping.  None: ran out of time."""
        inv1 = z3.substitute(inv0, *zip(self.x0, self.x1))
        enc, s = self.enc, z3.Solver(ctx=self.ctx)
        s.set("random_seed", self.seed)
        for bad in (z3.And(enc.init(0), z3.Not(inv0)),                 # initiation
                    z3.And(inv0, enc.trans(0), z3.Not(inv1)),          # consecution
                    z3.And(inv0, enc.prop_violation(self.prop, 0))):   # safety
            ms = self.left_ms()
            if ms is not None:
                if ms <= 0:
                    return None
                s.set("timeout", ms)
            r = s.check(bad)
            if r == z3.sat:
                return False
            if r != z3.unsat:
                return None
        return True

    # ------------------------------------------------------------ unsafe
    def refuted(self, fp: z3.Fixedpoint) -> Outcome:
        """Spacer's derivation of false applies "step" once per transition: that count is a
        depth at which a violation exists, so BMC up to it finds a shortest one."""
        depth = fp.get_rule_names_along_trace().count("step")
        left = None if self.deadline is None else self.deadline - time.monotonic()
        if left is not None and left <= 0:
            return self.outcome("unknown", -1, reason=f"timeout {self.timeout}s "
                                f"(Spacer found a violation at depth {depth}; no trace)")
        b = bmc.check(self.model, [self.prop.name], depth=depth, timeout=left, seed=self.seed,
                      progress=self.reporter.hook)
        o = b[self.prop.name]
        if o.status == "violated":
            return self.outcome("violated", o.depth, trace=o.trace,
                                reason=f"PDR counterexample at depth {depth}; "
                                       f"shortest trace by BMC")
        why = (o.reason if o.status == "unknown" else
               f"internal error: BMC found no violation within Spacer's depth {depth}")
        return self.outcome("unknown", -1, reason=why)


# ---------------------------------------------------------------- progress
_LEMMA_EH = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint)
_UNFOLD_EH = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


@lru_cache(maxsize=1)
def _add_callback() -> Callable[..., None] | None:
    """libz3's ``Z3_fixedpoint_add_callback``, which z3's Python API does not wrap; None
    when it cannot be found (then PDR reports only the property and the seconds).

    The library is the one z3 already loaded (found in /proc/self/maps), so the callback
    is registered with the same Z3 the Fixedpoint object lives in."""
    path = None
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                if "/libz3.so" in line:
                    path = line.split()[-1]
                    break
    except OSError:
        return None
    if path is None:
        return None
    try:
        fn = ctypes.CDLL(path).Z3_fixedpoint_add_callback
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, _LEMMA_EH,
                   ctypes.c_void_p, _UNFOLD_EH]
    fn.restype = None
    return fn  # type: ignore[no-any-return]


class _SpacerWatch:
    """Spacer's level and lemma count, reported while ``Fixedpoint.query`` runs.

    Why a callback: the query is one blocking call, and Z3's statistics cannot be read
    from another thread while it runs.  Spacer calls ``unfold`` on the query's own thread
    each time it moves to the next level (frame), between its steps; there the lemma
    count is read from its statistics ("SPACER num lemmas").  Only ``unfold`` is
    registered: Spacer's ``new_lemma`` callback needs ``spacer.p3.share_lemmas``, and
    with it the invariant Spacer finds was measured to differ (coupled-5.9 ×
    oleg-lost-signal, assertions: 9 lemmas instead of 10), while with ``unfold`` alone
    verdicts and invariants are the same as without progress (tests/checker/test_progress.py).
    """

    def __init__(self, fp: z3.Fixedpoint, reporter: Reporter, prop: str,
                 phase: str | None) -> None:
        self.fp, self.reporter, self.prop, self.phase = fp, reporter, prop, phase
        self.level = 0
        self.lemmas = 0
        self._emit()
        add = _add_callback()
        if add is None:
            self._refs: tuple[Any, ...] = ()
            return
        # the ctypes thunk must stay alive as long as Z3 may call it: the caller keeps
        # this object until the query has returned
        self._refs = (_UNFOLD_EH(self._unfold),)
        add(fp.ctx.ref(), fp.fixedpoint, None, _LEMMA_EH(), None, self._refs[0])

    def _emit(self) -> None:
        self.reporter.report(level=self.level, lemmas=self.lemmas, prop=self.prop,
                             phase=self.phase)

    def _unfold(self, _state: object) -> None:
        try:
            self.level += 1
            st = self.fp.statistics()
            self.lemmas = int(st.get_key_value("SPACER num lemmas")) \
                if "SPACER num lemmas" in st.keys() else self.lemmas
            self._emit()
        except Exception:  # noqa: BLE001 - an exception cannot cross back into Z3
            pass
