"""Auxiliary invariants for k-induction and PDR: clauses mined from runs, made inductive.

Why: the step case of k-induction starts in *any* state that satisfies the property, and
most such states are unreachable -- T asleep in pause() while A's pc is still before
task_work_add but T.task_works = 2, say.  Chains of those states are as long as the
design's runs, so plain k-induction needs k close to the longest run, and on the 3-task
io_uring scenarios it does not get there in minutes.  Kind 2 and nuXmv answer this with
invariant generation next to k-induction; this is ours, in the form that fits task code:
clauses over atoms ``x == v`` -- "T.pc == futex_wait -> T1.task_works != 2" -- which relate
a task's position to everybody's flags, exactly what the unreachable chains violate.

How:
1. sample reachable states with the concrete semantics (pyspec): a bounded breadth-first
   search plus seeded random walks;
2. candidates: every clause ``!(x == a) || !(y == b)`` (and unit ``x != a``) that no
   sampled state falsifies (Houdini's candidates, mined as hardware checkers mine
   two-literal implications);
3. ask Z3 for a step ``C(s) & trans(s, s') & !C(s')`` out of the conjunction C of the live
   clauses.  If s is a sampled (reachable) state, s' is reachable too: the clauses s'
   falsifies are false, so they are dropped and s' joins the sample (Houdini's step).
   Otherwise s is a state C admits that no run reached: it is blocked by a new clause,
   the smallest sub-cube of s's atoms that matches no sampled state (greedy; IC3's
   "block the predecessor", with the sample in the role of IC3's frames); if this has
   not converged within ``BLOCK_SECONDS``, Houdini alone (drop, never block) starts over;
4. at UNSAT, and once Z3 finds no initial state outside C, C holds initially and is
   closed under ``trans``: it holds in every reachable state;
5. (BMC, with a complete sample) a state of C that violates a property asked for and
   that no run reached is blocked like a step's predecessor, and 3-4 run again
   (``_BadStates``).
Soundness rests on Z3's last two answers only; the sample only decides which clauses are
tried.  Termination: a clause is dropped only when a state matching it joins the sample,
so the same clause is never generated again, and each blocked cube removes a state C
admitted; everything is finite.  A run cut short by the deadline, or by ``MAX_ROUNDS``,
returns nothing: a half-finished C is not an invariant and is never used.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass

import z3

from flagcheck.checker.engines.encode import Encoder
from flagcheck.checker.engines.solver import SolverContext
from flagcheck.pyspec import explicit, successors
from flagcheck.pyspec.trace import State
from flagcheck.tlamodel.ir import Model, Property, Value, domain

#: variables with more values than this give no candidate atoms (they say little);
#: program counters always do
MAX_VALUES = 32
#: the concrete sample (see ``_Sample``): breadth-first states, then random walks
SAMPLE_STATES, SAMPLE_WALKS, SAMPLE_WALK_LENGTH = 20_000, 200, 400
#: Z3 answers before giving up (each either drops clauses or blocks a state)
MAX_ROUNDS = 5_000
#: seconds of blocking before the loop only drops clauses (see ``mine``)
BLOCK_SECONDS = 60.0
#: reachable bad states stepped over before a violated property's bad states are no
#: longer blocked (see ``_BadStates``)
REACHABLE_BAD = 64

Atom = tuple[str, Value]            # x == v
Clause = tuple[Atom, ...]           # !(a1 && a2 && ...): the atoms are never all true


@dataclass(frozen=True)
class Lemmas:
    """An inductive invariant: the conjunction of ``clauses``.  ``mined`` two-literal
    candidates and ``blocked`` blocking clauses were tried, in ``rounds`` Z3 answers."""
    clauses: tuple[Clause, ...]
    mined: int
    blocked: int
    rounds: int
    seconds: float

    def formula(self, enc: Encoder, i: int) -> z3.BoolRef:
        """The invariant in state copy ``i`` of ``enc``."""
        return _and(enc.ctx, [z3.Not(_cube(enc, c, i)) for c in self.clauses])


def mine(model: Model, timeout: float | None = None, seed: int = 0,
         block_seconds: float = BLOCK_SECONDS,
         bad: tuple[Property, ...] = (), enc: Encoder | None = None) -> Lemmas | None:
    """An inductive invariant built as the module docstring says, or None when ``timeout``
    seconds ran out first (nothing partial is ever returned).

    ``bad``: properties whose unreachable violations to block (step 5).  ``enc``: the
    caller's encoder, to build the queries in its context (BMC's: the step, the property
    tests and the atoms it then asserts the lemmas with are built once); None: private.

    Blocking is what makes the invariant strong, and what costs: each blocked state is a
    Z3 answer, and the 3-task io_uring scenarios need hundreds.  If it has not converged
    after ``block_seconds``, it starts over with Houdini alone (drop, never block) on the
    mined candidates, which ends within a few dozen answers in a weaker invariant.
    0: Houdini only."""
    t0 = time.monotonic()
    atoms = [(v.name, a) for v in model.vars
             if len(domain(v.type)) <= MAX_VALUES or v.internal for a in domain(v.type)]
    sample = _Sample(model, atoms, seed)
    cands = sample.candidates()
    left = None if timeout is None else timeout - (time.monotonic() - t0)
    if left is not None:          # leave the Houdini fallback at least a third of the time
        block_seconds = min(block_seconds, 2 * left / 3)
    block_until = time.monotonic() + block_seconds
    fix = _Fixpoint(model, sample, cands, left, seed, block_seconds > 0, block_until,
                    exact=sample.complete, bad=bad, enc=enc)
    done = fix.run()
    if done is None and fix.mismatch:       # see _Fixpoint: start over, clauses assumed
        left = None if timeout is None else timeout - (time.monotonic() - t0)
        fix = _Fixpoint(model, sample, cands, left, seed, True, block_until, enc=enc)
        done = fix.run()
    if done is None:                        # blocking took too long: Houdini alone
        left = None if timeout is None else timeout - (time.monotonic() - t0)
        fix = _Fixpoint(model, sample, cands, left, seed, False, 0.0, enc=enc)
        done = fix.run()
    if not done:
        return None
    return Lemmas(tuple(fix.clauses[j] for j in sorted(fix.alive)), len(cands),
                  len(fix.clauses) - len(cands), fix.rounds, time.monotonic() - t0)


class _Sample:
    """Sampled reachable states, and per atom the bitset of the states it holds in."""

    def __init__(self, model: Model, atoms: list[Atom], seed: int) -> None:
        self.model, self.atoms = model, atoms
        self.cm = successors.compiled(model)
        # every variable is indexed (blocking cubes may need any of them); candidates are
        # only built from ``atoms``
        self.pos = dict(self.cm.index)
        #: the program counters, tried first when a blocked cube is generalized
        self.pcs = frozenset(pc for _, pc, _ in model.pcs)
        self.bits: dict[Atom, int] = {a: 0 for a in atoms}
        self.states: dict[State, int] = {}
        #: the breadth-first search ended below SAMPLE_STATES: every reachable state is
        #: in the sample (as far as pyspec's semantics goes; _Fixpoint does not rely on it)
        self.complete = False
        for st in self._explore(seed):
            self.add(st)
        self._init_allowed = {v.name: set(a) for v, a in zip(model.vars, model.init)}

    def add(self, st: State) -> None:
        if st in self.states:
            return
        n = self.states[st] = len(self.states)
        for x, p in self.pos.items():
            a = (x, st[p])
            self.bits[a] = self.bits.get(a, 0) | 1 << n

    def atoms_of(self, st: State) -> list[Atom]:
        return [(x, st[p]) for x, p in self.pos.items()]

    def matches(self, cube: list[Atom]) -> bool:
        """Some sampled state makes every atom of ``cube`` true."""
        acc = -1
        for a in cube:
            acc &= self.bits.get(a, 0)
            if not acc:
                return False
        return True

    def generalize(self, st: State, pcs_first: bool = False) -> Clause | None:
        """A small sub-cube of ``st``'s atoms that no sampled state matches (greedy:
        drop each atom that is not needed, in variable order or ``pcs_first``); None if
        ``st`` itself was sampled.

        Why program counters first when bad states are blocked: a cube over flags alone
        ("T1.task_works == 2 and T1.TIF_NOTIFY_RESUME == 0") blocks that combination at
        every position of every task, where one with a pc blocks it at one line.
        Measured on coupled-5.9 × io-uring-pthread-join (loaded machine): 324 Z3 rounds
        and 4.9 s of mining in variable order, 70 rounds and 2.1 s this way; BMC to
        depth 40 10.3 -> 6.1 s.
        Tried before bad states were blocked too (``_BadStates``), the weaker invariant
        made BMC's violation queries slower and nothing was gained; with them it is
        the bad states it must exclude, and it does.  k-induction and PDR keep the
        variable order: their proofs were measured with it."""
        cube = self.atoms_of(st)
        if self.matches(cube):
            return None
        for a in sorted(cube, key=lambda a: a[0] not in self.pcs) if pcs_first else list(cube):
            trial = [b for b in cube if b != a]
            if not self.matches(trial):
                cube = trial
        return tuple(cube)

    def _explore(self, seed: int) -> list[State]:
        """The explicit engine's BFS, cut at SAMPLE_STATES; if it was cut, seeded random
        walks from the first initial state (deep states the bounded BFS does not reach)."""
        cm = self.cm
        seen = dict.fromkeys(explicit.reachable_states(self.model, SAMPLE_STATES))
        if len(seen) < SAMPLE_STATES:
            self.complete = True    # the search ended: every reachable state is here
            return list(seen)
        rng = random.Random(seed)
        start = next(iter(seen), None)
        for _ in range(SAMPLE_WALKS if start is not None else 0):
            st = start
            for _ in range(SAMPLE_WALK_LENGTH):
                moves = [a for a in cm.candidates(st) if a.guard(st)]
                if not moves:
                    break
                st = rng.choice(moves).fire(st)
                seen.setdefault(st, None)
        return list(seen)

    def _initially_possible(self, c: Clause) -> bool:
        """Some initial state makes every atom of ``c`` true (init is a product)."""
        return all(v in self._init_allowed[x] for x, v in c)

    def candidates(self) -> list[Clause]:
        out: list[Clause] = []
        for a in self.atoms:
            if not self.bits[a] and not self._initially_possible((a,)):
                out.append((a,))
        live = [a for a in self.atoms if self.bits[a]]
        for i, a in enumerate(live):
            ba = self.bits[a]
            for b in live[i + 1:]:
                if a[0] != b[0] and not (ba & self.bits[b]) \
                        and not self._initially_possible((a, b)):
                    out.append((a, b))
        return out


class _Fixpoint:
    """Step 3-4 of the module docstring: one incremental solver over ``trans(0)``, one
    assumption literal per clause ("clause j holds in state 0").

    ``exact``: the sample is every reachable state (its search ended), so no clause will
    be dropped -- each candidate holds in every sampled state, and each blocked cube
    matches none -- and the clauses are asserted instead of assumed.  Measured: mining on
    the ten 3-task io_uring pairs took 43 s with assumptions, 34 s asserted (Z3 simplifies
    asserted clauses; it cannot simplify with assumptions).  If Z3 shows a sampled state
    stepping out of the clauses anyway (pyspec and the Z3 encoding disagree about a step
    or an initial state), ``run`` stops with ``mismatch`` set, and ``mine`` starts over
    with assumptions, where Houdini drops what that state falsifies."""

    def __init__(self, model: Model, sample: _Sample, cands: list[Clause],
                 timeout: float | None, seed: int, block: bool, block_until: float,
                 exact: bool = False, bad: tuple[Property, ...] = (),
                 enc: Encoder | None = None) -> None:
        self.model, self.sample = model, sample
        self.block, self.block_until = block, block_until
        self.exact, self.mismatch = exact and block, False
        # Z3's general SMT core, not the QF_BV SAT back end the BMC engines use: with
        # hundreds of assumption literals per query it is 5-15x faster here (measured on
        # coupled-5.9 × io-uring-pthread-join: 10 s against 137 s for the same fixpoint)
        ctx = None if enc is None else enc.ctx
        self.solver = SolverContext(seed=seed, timeout=timeout, ctx=ctx)
        self.enc = enc if enc is not None else Encoder(model, self.solver.ctx)
        self.solver.add(self.enc.domain(0), self.enc.trans(0))
        self.init_solver = SolverContext(seed=seed, timeout=timeout, ctx=self.enc.ctx)
        self.init_solver.add(self.enc.init(0))
        self.clauses: list[Clause] = []
        self.known: set[Clause] = set()
        self.hold: list[z3.BoolRef] = []
        self.fails1: list[z3.BoolRef] = []
        self.alive: set[int] = set()
        self.rounds = 0
        #: exact mode's growing "some clause fails" (see ``_some_clause_fails``): the
        #: clauses it has, and its open end
        self._chained: int = 0
        self._tail: z3.BoolRef | None = None
        #: the last clause set found inductive (exact mode, while bad states are blocked)
        self.converged: set[int] | None = None
        self.bad = (_BadStates(self.enc, sample, bad, seed, timeout)
                    if self.exact and block and bad else None)
        for c in cands:
            self._add(c)

    def _add(self, c: Clause) -> None:
        if c in self.known:
            return
        j = len(self.clauses)
        lit = z3.Bool(f"cand_{j}", self.solver.ctx)
        blocked = z3.Not(_cube(self.enc, c, 0))
        self.solver.add(blocked if self.exact else z3.Implies(lit, blocked))
        if self.bad is not None:
            self.bad.exclude(c)
        self.clauses.append(c)
        self.known.add(c)
        self.hold.append(lit)
        self.fails1.append(_cube(self.enc, c, 1))
        self.alive.add(j)

    def run(self) -> bool | None:
        """True when the live clauses are an inductive invariant; False on a limit; None
        when blocking ran past its time, or on a ``mismatch``."""
        while self.rounds < MAX_ROUNDS:
            if self.block and time.monotonic() > self.block_until:
                if self.converged is None:
                    return None
                self.alive = self.converged     # the last inductive set, without what
                return True                     # blocking bad states added since
            self.rounds += 1
            order = sorted(self.alive)
            probe = self._some_clause_fails(order)
            held = [] if self.exact else [self.hold[j] for j in order]
            r = self.solver.check(held + [probe])
            if r == "sat":
                self._step(self.solver.model(), order)
                if self.mismatch:
                    return None
            if not self.exact:
                self.solver.add(z3.Not(probe))  # retire this round's "some clause fails"
            if r == "sat":
                continue
            if r != "unsat":
                return False                    # timeout, or Z3 gave up
            init = self._initiation(order)
            if init is None:
                if self.bad is None:
                    return True
                self.converged = set(self.alive)
                cube = self.bad.next_cube(self)
                if cube is None:
                    return True
                self._add(cube)
                continue
            if self.mismatch:
                return None
            if init is False:
                return False
        return False

    def _some_clause_fails(self, order: list[int]) -> z3.BoolRef:
        """An assumption literal meaning "some clause of ``order`` is false in state 1".

        With clauses that may be dropped it is a fresh literal each round over the live
        ones.  In ``exact`` mode clauses are only ever added, so the disjunction is
        extended instead of rebuilt: ``F0 | e1``, then ``!e1 | F1 | e2``, ... with the
        last ``e`` assumed false, which leaves "some F_i holds".  Why: each rebuilt
        disjunction has every clause in it (850 on the io_uring joins), and Z3 takes it in
        anew each of the ~200 rounds."""
        ctx = self.solver.ctx
        if not self.exact:
            probe = z3.Bool(f"probe_{self.rounds}", ctx)
            self.solver.add(z3.Implies(probe, _or(ctx, [self.fails1[j] for j in order])))
            return probe
        new = [j for j in order if j >= self._chained]
        if new or self._tail is None:
            tail = z3.Bool(f"more_{self.rounds}", ctx)
            head = [] if self._tail is None else [z3.Not(self._tail)]
            self.solver.add(_or(ctx, head + [self.fails1[j] for j in new] + [tail]))
            self._tail, self._chained = tail, len(self.clauses)
        return z3.Not(self._tail)

    def _step(self, m: z3.ModelRef, order: list[int]) -> None:
        pre = self.enc.read_state(m, 0)
        cube = None
        if self.block and pre not in self.sample.states:
            cube = self.sample.generalize(pre, pcs_first=self.bad is not None)
        if cube is not None:
            self._add(cube)                     # block a state no run reached
            return
        # pre is reachable (sampled), so post is: its false clauses go, it joins the sample
        self._reached(self.enc.read_state(m, 1), order)

    def _reached(self, st: State, order: list[int]) -> None:
        """``st`` is reachable: drop the clauses it falsifies and add it to the sample
        (in ``exact`` mode nothing may be dropped: flag the mismatch instead)."""
        if self.exact:
            self.mismatch = True
            return
        idx = self.sample.cm.index
        self.sample.add(st)
        self.alive -= {j for j in order
                       if all(st[idx[x]] == v for x, v in self.clauses[j])}

    def _initiation(self, order: list[int]) -> bool | None:
        """None: no initial state falsifies a live clause.  True: one did and its clauses
        were dropped (run again).  False: a limit."""
        s, enc = self.init_solver, self.enc
        probe = z3.Bool(f"init_{self.rounds}", s.ctx)
        s.add(z3.Implies(probe, _or(s.ctx, [_cube(enc, self.clauses[j], 0) for j in order])))
        r = s.check([probe])
        if r == "unsat":
            return None
        if r != "sat":
            return False
        st = enc.read_state(s.model(), 0)
        s.add(z3.Not(probe))
        self._reached(st, order)
        return True


class _BadStates:
    """Unreachable states that violate a property, for ``_Fixpoint`` to block (exact mode).

    Why: BMC asks at every depth whether the last state violates a property, and an
    invariant that only says what is closed under steps leaves in many unreachable bad
    states (dead ends, on the io_uring joins), which Z3 must rule out again at each depth
    through the unrolling.  Blocking them as well -- PDR's "block the bad cube", with the
    complete sample deciding reachability -- makes the invariant exclude every violation
    no run reaches; the fixpoint then blocks their predecessors in turn until it is
    inductive again.  Measured on notify-signal-5.11 × io-uring-pthread-join to depth 40
    (loaded machine): violation queries 12.1 -> 5.4 s, mining 2.6 -> 5.8 s.  The
    reachable bad states (a deadlock BMC will show) are stepped over, up to
    ``REACHABLE_BAD`` of them; past that their properties are left out."""

    def __init__(self, enc: Encoder, sample: _Sample, props: tuple[Property, ...],
                 seed: int, timeout: float | None) -> None:
        self.sample = sample
        self.solver = SolverContext(seed=seed, timeout=timeout, ctx=enc.ctx)
        self.enc = enc
        self.solver.add(self.enc.domain(0))
        self.viol = {p.name: self.enc.prop_violation(p, 0) for p in props}
        self.query: z3.BoolRef | None = None
        self.reachable = 0

    def exclude(self, c: Clause) -> None:
        """Clause ``c`` is part of the invariant: the bad states asked for satisfy it."""
        self.solver.add(z3.Not(_cube(self.enc, c, 0)))

    def next_cube(self, fix: "_Fixpoint") -> Clause | None:
        """A cube to block: an unsampled bad state of the invariant, generalized; None
        once there is none (or on a limit: the invariant is sound without more)."""
        while self.viol and fix.rounds < MAX_ROUNDS:
            fix.rounds += 1
            if self.query is None:
                self.query = z3.Bool(f"bad_{fix.rounds}", self.solver.ctx)
                self.solver.add(z3.Implies(self.query, _or(self.solver.ctx,
                                                           list(self.viol.values()))))
            if self.solver.check([self.query]) != "sat":
                return None
            m = self.solver.model()
            st = self.enc.read_state(m, 0)
            cube = self.sample.generalize(st, pcs_first=True)
            if cube is not None:
                return cube
            # a reachable violation: ask for bad states other than this one, and past
            # REACHABLE_BAD of them stop blocking the properties it violates
            self.reachable += 1
            if self.reachable <= REACHABLE_BAD:
                self.solver.add(z3.Not(_cube(self.enc, tuple(self.sample.atoms_of(st)), 0)))
                continue
            for name in [n for n, v in self.viol.items()
                         if z3.is_true(m.eval(v, model_completion=True))]:
                del self.viol[name]
            self.solver.add(z3.Not(self.query))
            self.query = None
        return None


def _cube(enc: Encoder, c: Clause, i: int) -> z3.BoolRef:
    """Every atom of ``c`` holds in state copy ``i``."""
    return _and(enc.ctx, [enc.atom(x, v, i) for x, v in c])


def _and(ctx: z3.Context, terms: list[z3.BoolRef]) -> z3.BoolRef:
    if not terms:
        return z3.BoolVal(True, ctx)
    return terms[0] if len(terms) == 1 else _nary(z3.Z3_mk_and, ctx, terms)


def _or(ctx: z3.Context, terms: list[z3.BoolRef]) -> z3.BoolRef:
    if not terms:
        return z3.BoolVal(False, ctx)
    return terms[0] if len(terms) == 1 else _nary(z3.Z3_mk_or, ctx, terms)


def _nary(mk, ctx: z3.Context, terms: list[z3.BoolRef]) -> z3.BoolRef:  # noqa: ANN001
    """``z3.And``/``z3.Or`` without their per-argument coercion (thousands of terms here)."""
    arr = (z3.Ast * len(terms))(*[t.as_ast() for t in terms])
    return z3.BoolRef(mk(ctx.ref(), len(terms), arr), ctx)
