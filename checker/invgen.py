"""Auxiliary invariants for k-induction: two-literal clauses mined from runs, kept by Houdini.

Why: the step case of k-induction starts in *any* state that satisfies the property, and
most such states are unreachable -- T asleep in pause() while A's pc is still before
task_work_add but T.task_works = 2, say.  Chains of those states are as long as the
design's runs, so plain k-induction needs k close to the longest run, and on the 3-task
io_uring scenarios it does not get there in minutes.  Kind 2 and nuXmv answer this with
invariant generation next to k-induction; this is ours, in the form that fits task code:
clauses over two atoms ``x == v`` -- "T.pc == futex_wait -> T1.task_works != 2",
"A.pc == done -> !T.TIF_NOTIFY_SIGNAL || T.task_works == 1" -- which relate a task's
position to everybody's flags, exactly what the unreachable chains violate.

How (a Houdini fixpoint, as in Flanagan and Leino's Houdini and the "mined 2-clause"
induction of hardware checkers):
1. candidates: every clause ``!(x == a) || !(y == b)`` (and every unit ``x != a``) that no
   sampled reachable state falsifies; the sample is a bounded breadth-first search plus
   seeded random walks of the concrete semantics (pyspec), and every initial state;
2. Z3 repeatedly looks for a step ``C(s) & trans(s, s') & !C(s')`` out of the conjunction
   C of the candidates still alive; each answer drops every candidate its post-state
   falsifies;
3. at UNSAT the survivors hold initially (step 1 checked every initial state) and are
   closed under ``trans`` (Z3's last answer), so they hold in every reachable state.
Soundness rests on Z3's last answer only; the sample just decides which clauses are
tried (a false candidate costs a round, a missing one some strength).  A run cut short
by the deadline returns nothing: a half-filtered candidate set is not an invariant.
"""
from __future__ import annotations

import itertools
import random
import time
from dataclasses import dataclass

import z3

from checker.encode import Encoder
from checker.solver import SolverContext
from pyspec import successors
from pyspec.trace import State
from tlamodel.ir import Model, Value, domain

#: variables with more values than this are left out (their atoms say little)
MAX_VALUES = 32
#: the concrete sample (see ``_sample``): breadth-first states, then random walks
SAMPLE_STATES, SAMPLE_WALKS, SAMPLE_WALK_LENGTH = 20_000, 200, 400

Atom = tuple[str, Value]            # x == v
Clause = tuple[Atom, ...]           # !(x == a) || !(y == b): one or two atoms, never all true


@dataclass(frozen=True)
class Lemmas:
    """An inductive invariant: the conjunction of ``clauses``; ``rounds`` Z3 answers and
    ``candidates`` mined clauses led to it in ``seconds``."""
    clauses: tuple[Clause, ...]
    candidates: int
    rounds: int
    seconds: float

    def formula(self, enc: Encoder, i: int) -> z3.BoolRef:
        """The invariant in state copy ``i`` of ``enc``."""
        st, types = enc.vars_at(i), {v.name: v.type for v in enc.model.vars}
        cs = [z3.Not(z3.And([st[x] == enc.value(v, types[x]) for x, v in c]))
              for c in self.clauses]
        return _and(enc.ctx, cs)


def mine(model: Model, timeout: float | None = None, seed: int = 0) -> Lemmas | None:
    """The largest inductive subset of the mined clauses (module docstring), or None when
    ``timeout`` seconds ran out first (nothing partial is ever returned)."""
    t0 = time.monotonic()
    atoms = [(v.name, a) for v in model.vars if len(domain(v.type)) <= MAX_VALUES
             for a in domain(v.type)]
    seen = _Sample(model, atoms, seed)
    cands = seen.candidates()
    alive = _houdini(model, cands, t0, timeout, seed)
    if alive is None:
        return None
    return Lemmas(tuple(cands[j] for j in sorted(alive[0])), len(cands), alive[1],
                  time.monotonic() - t0)


class _Sample:
    """Which atoms hold together in some sampled state, as one bitset of states per atom."""

    def __init__(self, model: Model, atoms: list[Atom], seed: int) -> None:
        self.model, self.atoms = model, atoms
        cm = successors.compiled(model)
        self.pos = {x: cm.index[x] for x, _ in atoms}
        self.bits: dict[Atom, int] = {a: 0 for a in atoms}
        states = self._states(cm, seed)
        for n, st in enumerate(states):
            for x, p in self.pos.items():
                a = (x, st[p])
                if a in self.bits:
                    self.bits[a] |= 1 << n
        self._init_allowed = {v.name: set(a) for v, a in zip(model.vars, model.init)}

    def _states(self, cm: successors.CompiledModel, seed: int) -> list[State]:
        """A bounded BFS from the initial states, then seeded random walks (deep states)."""
        seen: dict[State, None] = {}
        frontier = list(itertools.islice(successors.initial_states(self.model), SAMPLE_STATES))
        seen.update(dict.fromkeys(frontier))
        while frontier and len(seen) < SAMPLE_STATES:
            nxt = []
            for st in frontier:
                for a in cm.candidates(st):
                    if a.guard(st):
                        t = a.fire(st)
                        if t not in seen:
                            seen[t] = None
                            nxt.append(t)
            frontier = nxt
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


def _houdini(model: Model, cands: list[Clause], t0: float, timeout: float | None,
             seed: int) -> tuple[set[int], int] | None:
    """Drop candidates until the survivors are inductive; (survivors, rounds) or None."""
    left = None if timeout is None else timeout - (time.monotonic() - t0)
    solver = SolverContext(seed=seed, timeout=left, logic="QF_BV")
    enc = Encoder(model, solver.ctx)
    types = {v.name: v.type for v in model.vars}
    solver.add(enc.domain(0), enc.trans(0))
    hold: list[z3.BoolRef] = []        # candidate j holds in state 0 (under literal j)
    fails1: list[z3.BoolRef] = []      # candidate j is false in state 1
    for j, c in enumerate(cands):
        lit = z3.Bool(f"cand_{j}", solver.ctx)
        hit0 = [enc.vars_at(0)[x] == enc.value(v, types[x]) for x, v in c]
        solver.add(z3.Implies(lit, z3.Not(_and(solver.ctx, hit0))))
        hold.append(lit)
        fails1.append(_and(solver.ctx, [enc.vars_at(1)[x] == enc.value(v, types[x])
                                        for x, v in c]))
    alive = set(range(len(cands)))
    rounds = 0
    while True:
        probe = z3.Bool(f"probe_{rounds}", solver.ctx)
        order = sorted(alive)
        solver.add(z3.Implies(probe, _or(solver.ctx, [fails1[j] for j in order])))
        r = solver.check([hold[j] for j in order] + [probe])
        if r == "unsat":
            return alive, rounds
        if r != "sat":
            return None
        rounds += 1
        m = solver.model()
        post = {x: enc.decode(x, m.eval(z, model_completion=True))
                for x, z in enc.vars_at(1).items()}
        alive -= {j for j in order if all(post[x] == v for x, v in cands[j])}
        solver.add(z3.Not(probe))      # retire this round's "some candidate fails"


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
