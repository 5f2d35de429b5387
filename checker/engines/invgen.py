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
   closed under ``trans``: it holds in every reachable state.
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
from flagcheck.tlamodel.ir import Model, Value, domain

#: variables with more values than this give no candidate atoms (they say little);
#: program counters always do
MAX_VALUES = 32
#: the concrete sample (see ``_Sample``): breadth-first states, then random walks
SAMPLE_STATES, SAMPLE_WALKS, SAMPLE_WALK_LENGTH = 20_000, 200, 400
#: Z3 answers before giving up (each either drops clauses or blocks a state)
MAX_ROUNDS = 5_000
#: seconds of blocking before the loop only drops clauses (see ``mine``)
BLOCK_SECONDS = 60.0

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
         block_seconds: float = BLOCK_SECONDS) -> Lemmas | None:
    """An inductive invariant built as the module docstring says, or None when ``timeout``
    seconds ran out first (nothing partial is ever returned).

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
                    exact=sample.complete)
    done = fix.run()
    if done is None and fix.mismatch:       # see _Fixpoint: start over, clauses assumed
        left = None if timeout is None else timeout - (time.monotonic() - t0)
        fix = _Fixpoint(model, sample, cands, left, seed, True, block_until)
        done = fix.run()
    if done is None:                        # blocking took too long: Houdini alone
        left = None if timeout is None else timeout - (time.monotonic() - t0)
        fix = _Fixpoint(model, sample, cands, left, seed, False, 0.0)
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

    def generalize(self, st: State) -> Clause | None:
        """A small sub-cube of ``st``'s atoms that no sampled state matches (greedy:
        drop each atom that is not needed); None if ``st`` itself was sampled."""
        cube = self.atoms_of(st)
        if self.matches(cube):
            return None
        for a in list(cube):
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
                 exact: bool = False) -> None:
        self.model, self.sample = model, sample
        self.block, self.block_until = block, block_until
        self.exact, self.mismatch = exact and block, False
        # Z3's general SMT core, not the QF_BV SAT back end the BMC engines use: with
        # hundreds of assumption literals per query it is 5-15x faster here (measured on
        # coupled-5.9 × io-uring-pthread-join: 10 s against 137 s for the same fixpoint)
        self.solver = SolverContext(seed=seed, timeout=timeout)
        self.enc = Encoder(model, self.solver.ctx)
        self.solver.add(self.enc.domain(0), self.enc.trans(0))
        self.init_solver = SolverContext(seed=seed, timeout=timeout)
        self.init_enc = Encoder(model, self.init_solver.ctx)
        self.init_solver.add(self.init_enc.init(0))
        self.clauses: list[Clause] = []
        self.known: set[Clause] = set()
        self.hold: list[z3.BoolRef] = []
        self.fails1: list[z3.BoolRef] = []
        self.alive: set[int] = set()
        self.rounds = 0
        for c in cands:
            self._add(c)

    def _add(self, c: Clause) -> None:
        if c in self.known:
            return
        j = len(self.clauses)
        lit = z3.Bool(f"cand_{j}", self.solver.ctx)
        blocked = z3.Not(_cube(self.enc, c, 0))
        self.solver.add(blocked if self.exact else z3.Implies(lit, blocked))
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
                return None
            self.rounds += 1
            order = sorted(self.alive)
            probe = z3.Bool(f"probe_{self.rounds}", self.solver.ctx)
            self.solver.add(z3.Implies(probe, _or(self.solver.ctx,
                                                  [self.fails1[j] for j in order])))
            held = [] if self.exact else [self.hold[j] for j in order]
            r = self.solver.check(held + [probe])
            if r == "sat":
                self._step(self.solver.model(), order)
                if self.mismatch:
                    return None
            self.solver.add(z3.Not(probe))      # retire this round's "some clause fails"
            if r == "sat":
                continue
            if r != "unsat":
                return False                    # timeout, or Z3 gave up
            init = self._initiation(order)
            if init is None:
                return True
            if self.mismatch:
                return None
            if init is False:
                return False
        return False

    def _step(self, m: z3.ModelRef, order: list[int]) -> None:
        pre = self.enc.read_state(m, 0)
        cube = None
        if self.block and pre not in self.sample.states:
            cube = self.sample.generalize(pre)
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
        s, enc = self.init_solver, self.init_enc
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
