"""Check every mutant of a design against its scenarios and judge it.

A mutant is **killed** when some scenario gives a property a different verdict than the
unmutated design does (violated where it held, held where it was violated, or another
depth where the design's ``expect:`` pins one with ``violated@N``): ``flagcheck test``
would then fail on a proposal that made this change, which is what the scenarios are for.

Otherwise it is, in this order:

* ``unknown``     — a search was cut short (``--max-states``/``--timeout``); counted as
  not killed, so a limit never raises the score;
* ``equivalent``  — the reduced model (actions, guards, updates) is identical to the
  design's on every scenario: no scenario *can* tell them apart (typically two commuting
  writes inside one ``atomic``);
* ``equivalent-suspect`` — it survived and the number of reachable states is unchanged on
  every scenario: probably equivalent, worth a look;
* ``survived``    — it survived with a different state space: a bug of this shape would
  pass the gate; this is what a new scenario should target.

``invalid`` mutants are those the front end refuses (e.g. a loop left without a step).

Score = killed / (killed + survived + unknown); invalid and (suspected) equivalent
mutants are not counted.  Engines are the ones ``flagcheck verify`` runs
(``checker.verify.run_engine``; the explicit search by default, the shipped scenarios
being small), every counterexample is replayed (``checker.verify.replayed``), and
``-j N`` spreads mutants over N local processes.
"""
from __future__ import annotations

import inspect
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from flagcheck.checker.mutate.results import DesignMutation, Expected, Kill, Result
from flagcheck.checker.mutate.targets import Mutant, make_mutants, reached_by
from flagcheck.checker.engines.processes import worker_context
from flagcheck.checker.verify import Options, replayed, run_engine, select_scenarios
from flagcheck.pyspec import explicit, liveness
from flagcheck.pyspec.outcome import Outcome
from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.ir import Liveness, Model
from flagcheck.tlamodel.load import Design, load_design
from flagcheck.tlamodel.records import SpecFile
from flagcheck.tlamodel.reduce import reduce_model

#: the default engine: every shipped scenario is small enough for the explicit search.  No
#: reduction (tlamodel.reduce) by default: it changes no verdict, and on the hundreds of
#: small models a run builds, merging steps costs more than the smaller search saves
#: (measured: about twice the run time); depths are then steps of the model as written
DEFAULT_OPTIONS = Options(engine="explicit", max_states=500_000, timeout=120.0, reduce=False)


def _key(model: Model) -> tuple[Any, ...]:
    """What makes two models the same transition system (statement texts aside)."""
    return (model.vars, model.init, model.terminal, model.properties,
            tuple((a.task, a.guard, a.updates) for a in model.actions))


@dataclass
class Checker:
    """Checks mutants of one design; one per worker process (built by ``_init``)."""
    design: Design
    scenarios: list[SpecFile]
    opts: Options
    baseline: dict[str, Expected] = field(default_factory=dict)
    keys: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    #: per scenario, the design's definitions its code reaches (others need no model)
    reach: dict[str, set[str]] = field(default_factory=dict)
    #: label survivors that make a task run for ever (``--explain``): a liveness check
    explain: bool = False
    _reduced: dict[str, int | None] = field(default_factory=dict)
    _finishes: dict[str, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.reach = {s.name: reached_by(self.design, s) for s in self.scenarios}

    def model(self, design: Design, scen: SpecFile) -> Model:
        m = design.model(scen)
        return reduce_model(m) if self.opts.reduce else m

    def run(self, model: Model, names: list[str] | None = None) -> dict[str, Outcome]:
        """Check ``names`` (default: every property of the model), counterexamples replayed."""
        if names is None:
            names = [p.name for p in model.properties]
        if not names:
            return {}
        depth = self.opts.depth if self.opts.depth is not None else self.design.bound
        if self.opts.engine == "explicit" and _TUPLE_SEARCH:
            # Mutants are checked on small scenarios by the hundred: there the explicit
            # engine's tuple search, which needs no per-model compilation, is about twice
            # as fast as its layered one (same answers: pyspec's differential tests)
            out = explicit.check(model, names, max_states=self.opts.max_states,
                                 timeout=self.opts.timeout, layered=False)
        else:
            out = run_engine(model, names, self.opts, depth)
        return {n: replayed(model, o)[0] for n, o in out.items()}

    def measure(self) -> list[Expected]:
        """The unmutated design on every scenario (in the order mutants will be checked:
        cheapest first, so a kill is usually found early)."""
        rows = []
        for scen in self.scenarios:
            t0 = time.monotonic()
            model = self.model(self.design, scen)
            self.keys[scen.name] = _key(model)
            out = self.run(model)
            for o in out.values():
                if o.status == "unknown":
                    raise DesignError(f"design {self.design.name}: {o.property} is unknown on "
                                      f"scenario {scen.name} without any mutation ({o.reason}); "
                                      "mutants cannot be judged against it",
                                      hint="raise --max-states/--timeout or pick another engine")
            pinned = tuple(e.prop for e in self.design.expected(scen).values()
                           if e.verdict == "violated" and e.depth is not None)
            rows.append(Expected(scen.name, tuple((n, o.status, o.depth if o.status == "violated"
                                                   else None) for n, o in out.items()),
                                 _states(out), time.monotonic() - t0, pinned))
        rows.sort(key=lambda e: e.seconds)
        self.baseline = {e.scenario: e for e in rows}
        return rows

    def check(self, mutant: Mutant) -> Result:
        t0 = time.monotonic()
        try:
            res = self._check(mutant)
        except DesignError as e:
            res = Result(mutant, "invalid", reason=(f"{e.loc}: " if e.loc else "") + e.message)
        return replace(res, seconds=time.monotonic() - t0)

    def _check(self, mutant: Mutant) -> Result:
        design = mutant.apply(self.design)
        by_name = {s.name: s for s in self.scenarios}
        # a scenario that does not reach the edited definition has the design's model
        reached = [name for name in self.baseline if mutant.name in self.reach[name]]
        models: dict[str, Model] = {}
        differs: dict[str, bool] = {}
        unknown = ""
        # Two passes: the invariants and deadlock freedom of every changed scenario first
        # (one state search each), then the liveness properties (a product search each),
        # only for a mutant that no safety verdict told apart: most kills are safety ones,
        # so most mutants never pay for a liveness search.  The verdicts are the same as
        # one search of everything; only the order in which a kill is found changes.
        # The first pass builds each scenario's model only when it gets to it: building
        # was a third of the run, and a kill on the cheapest scenario needs no other model.
        outs: dict[str, dict[str, Outcome]] = {}
        for phase in (_safety_names, _liveness_names):
            for name in reached:
                if name not in models:
                    models[name] = self.model(design, by_name[name])
                    differs[name] = _key(models[name]) != self.keys[name]
                if not differs[name]:
                    continue
                names = phase(models[name])
                if not names:
                    continue
                out = self.run(models[name], names)
                outs.setdefault(name, {}).update(out)
                kill, why = _judge(self.baseline[name], out)
                if kill is not None:
                    return Result(mutant, "killed", kill, _counts(outs))
                unknown = unknown or why
        changed = [n for n in reached if differs[n]]
        if not changed:
            return Result(mutant, "equivalent", reason="the model is identical on every scenario")
        states = list(_counts(outs))
        if unknown:
            return Result(mutant, "unknown", states=tuple(states), reason=unknown)
        same = len(states) == len(changed) and all(self.baseline[n].states == k for n, k in states)
        if not same and not self.opts.reduce and mutant.operator in _RESHAPING:
            # a split or swap of task-private steps adds states that tlamodel.reduce merges
            # again: compare the reduced state spaces before calling the mutant a survivor
            same = all(_equal_known(self.reduced_count(by_name[n], models[n]),
                                    self.reduced_count(by_name[n])) for n in changed)
        why = "same number of reachable states on every scenario" if same else ""
        if not same and self.explain:
            why = self.livelock(by_name, models, changed)
        return Result(mutant, "equivalent-suspect" if same else "survived", states=tuple(states),
                      reason=why)

    def livelock(self, by_name: dict[str, SpecFile], models: dict[str, Model],
                 changed: list[str]) -> str:
        """A note for a survivor after which some task never finishes on a scenario where
        every task of the design does: a livelock (a flag never cleared, a wait that
        spins), which no_deadlock cannot see and only a liveness property could kill."""
        for n in changed:
            if not self.finishes(by_name[n]):
                continue
            if not _finishes(models[n], self.opts):
                return (f"livelock on {n}: some task never finishes (the design's always do); "
                        "only a liveness property could kill it")
        return ""

    def finishes(self, scen: SpecFile) -> bool:
        """Whether every task of the design finishes on every fair run of ``scen`` (cached)."""
        if scen.name not in self._finishes:
            self._finishes[scen.name] = _finishes(self.model(self.design, scen), self.opts)
        return self._finishes[scen.name]

    def reduced_count(self, scen: SpecFile, model: Model | None = None) -> int | None:
        """States of the reduced model (the design's own when ``model`` is None, cached)."""
        if model is None and scen.name in self._reduced:
            return self._reduced[scen.name]
        m = reduce_model(model if model is not None else self.design.model(scen))
        try:
            kw = {"layered": False} if _TUPLE_SEARCH else {}
            n: int | None = explicit.reachable_count(m, self.opts.max_states, self.opts.timeout,
                                                     **kw)
        except RuntimeError:       # a limit: no count, so no claim of equivalence
            n = None
        if model is None:
            self._reduced[scen.name] = n
        return n


#: whether pyspec's explicit engine offers the choice of its tuple search
_TUPLE_SEARCH = "layered" in inspect.signature(explicit.check).parameters


#: operators that only move step boundaries (the others change values, which no merging
#: of steps undoes): only their survivors get the reduced state count compared
_RESHAPING = frozenset({"split-atomic", "swap"})
FINISHES = "__every_task_finishes"


def _finishes(model: Model, opts: Options) -> bool:
    """``eventually terminal`` under weak fairness (pyspec.liveness): every task finishes.
    False also when the search is cut short (no claim without a complete answer)."""
    prop = Liveness(FINISHES, "eventually", ((model.terminal, None),),
                    "every task finishes (flagcheck mutate --explain)")
    out = liveness.check(replace(model, properties=(prop,)), [FINISHES],
                         max_states=opts.max_states, timeout=opts.timeout)
    return out[FINISHES].status == "holds"


def _liveness_names(model: Model) -> list[str]:
    """The model's liveness properties (``leads_to``, ``eventually``, ...)."""
    return [p.name for p in model.properties if isinstance(p, Liveness)]


def _safety_names(model: Model) -> list[str]:
    """The model's other properties: invariants, deadlock freedom, assertions, events."""
    return [p.name for p in model.properties if not isinstance(p, Liveness)]


def _equal_known(a: int | None, b: int | None) -> bool:
    return a is not None and a == b


def _counts(outs: dict[str, dict[str, Outcome]]) -> tuple[tuple[str, int], ...]:
    """Reachable states per scenario searched (``Result.states``)."""
    return tuple((name, n) for name, out in outs.items() if (n := _states(out)) is not None)


def _states(out: dict[str, Outcome]) -> int | None:
    counts = [o.states for o in out.values() if o.states is not None]
    return max(counts) if counts else None


def _judge(base: Expected, out: dict[str, Outcome]) -> tuple[Kill | None, str]:
    """The first property whose verdict differs from the baseline's, else why unknown."""
    pinned = set(base.pinned)
    unknown = ""
    for prop, status, depth in base.verdicts:
        o = out.get(prop)
        if o is None:
            continue
        if o.status == "unknown":
            unknown = unknown or f"{prop} on {base.scenario}: {o.reason}"
            continue
        if o.status != status:
            return Kill(base.scenario, prop, o.status, o.depth if o.status == "violated" else None,
                        status), ""
        if status == "violated" and prop in pinned and o.depth != depth:
            return Kill(base.scenario, prop, "violated", o.depth, status), ""
    return None, unknown


# ------------------------------------------------------------------ the pool
_WORKER: Checker | None = None


def _init(path: str, allow: tuple[Path, ...], refs: tuple[str, ...], opts: Options,
          baseline: list[Expected], explain: bool) -> None:
    """Worker set-up: load the design once, rebuild the baseline models (their keys are
    large, so they are recomputed rather than pickled), keep the baseline verdicts."""
    global _WORKER
    design = load_design(path, allow)
    chk = Checker(design, select_scenarios(design, refs), opts, explain=explain)
    chk.baseline = {e.scenario: e for e in baseline}
    by_name = {s.name: s for s in chk.scenarios}
    for name in chk.baseline:
        chk.keys[name] = _key(chk.model(design, by_name[name]))
    _WORKER = chk


def _work(mutant: Mutant) -> Result:
    assert _WORKER is not None
    return _WORKER.check(mutant)


Progress = Callable[[Result, int, int], None]


def mutate_design(path: str | Path, refs: tuple[str, ...] = (), ops: tuple[str, ...] = (),
                  jobs: int = 1, opts: Options = DEFAULT_OPTIONS,
                  allow: tuple[Path, ...] = (), progress: Progress | None = None,
                  only: tuple[int, ...] = (), explain: bool = False) -> DesignMutation:
    """Generate, check and judge every mutant of the design at ``path`` (``only``: just
    the mutants with these ids; ``explain``: label livelocking survivors)."""
    t0 = time.monotonic()
    design = load_design(path, allow)
    scenarios = select_scenarios(design, refs)
    chk = Checker(design, scenarios, opts, explain=explain)
    baseline = chk.measure()
    mutants = make_mutants(design, scenarios, ops)
    if only:
        mutants = [m for m in mutants if m.id in only]
    results: list[Result] = []
    jobs = max(1, min(jobs, len(mutants) or 1))
    if jobs == 1:
        for m in mutants:
            results.append(chk.check(m))
            if progress:
                progress(results[-1], len(results), len(mutants))
    else:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=worker_context(),
                                 initializer=_init,
                                 initargs=(str(path), allow, refs, opts, baseline, explain)) as pool:
            futures = [pool.submit(_work, m) for m in mutants]
            for f in as_completed(futures):
                results.append(f.result())
                if progress:
                    progress(results[-1], len(results), len(mutants))
    results.sort(key=lambda r: r.mutant.id)
    return DesignMutation(design.name, str(path), tuple(s.name for s in scenarios),
                          tuple(baseline), tuple(results), time.monotonic() - t0, jobs,
                          opts.engine)


def default_jobs() -> int:
    """-j default: every core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def floor_failures(runs: list[DesignMutation], floor: float) -> list[str]:
    """One message per design whose score is below ``floor`` percent, naming the
    survivors a new scenario should kill (``test --mutation-floor``, ``mutate --floor``)."""
    out = []
    for d in runs:
        if d.score < floor:
            names = "; ".join(f"{r.mutant.where} {r.mutant.description}" for r in d.survivors[:3])
            more = f" (and {len(d.survivors) - 3} more)" if len(d.survivors) > 3 else ""
            out.append(f"design {d.design}: mutation score {d.score:.1f}% is below the floor "
                       f"{floor:g}% ({d.count('killed')} of {d.scored} mutants killed); "
                       f"survivors: {names}{more}")
    return out
