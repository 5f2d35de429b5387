"""Run engines on a design's scenarios and turn their outcomes into checked verdicts.

This is where "no counterexample without replay" is enforced: every trace, from either
engine, is re-executed by pyspec's concrete semantics before it becomes a ``violated``
verdict; a trace that does not replay becomes ``unknown`` with the reason, never a bug
report shown as if it were real.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from flagcheck.checker.engines import portfolio
from flagcheck.checker.engines.registry import (AUTO_RACE, ENGINES, REGISTRY, Settings,
                                                out_of_memory, runner, runners)
from flagcheck.checker.report.itf import BadTrace, Mismatch, ReplayResult, Saved, decode_trace
from flagcheck.checker.verdict import Verdict
from flagcheck.pyspec import explicit
from flagcheck.pyspec.endofrun import EndOfRun
from flagcheck.pyspec.outcome import Outcome
from flagcheck.pyspec.progress import Progress, ProgressHook
from flagcheck.pyspec.replay import ReplayError, check_violation
from flagcheck.tlamodel.errors import DesignError, did_you_mean
from flagcheck.tlamodel.ir import Model
from flagcheck.tlamodel.deadline import Budget, Deadline, OutOfTime, fmt_seconds
from flagcheck.tlamodel.load import ASSERTIONS, BUILTIN_PROPERTIES, Design
from flagcheck.tlamodel.reduce import reduce_model
from flagcheck.tlamodel.records import Expectation
from flagcheck.tlamodel.spec import SpecFile
from flagcheck.tlamodel.weakmem import unfair_flushes

QUICK_STATES, QUICK_SECONDS = 200_000, 2.0
#: the least time left after auto's quick pass for which the race is started at all
RACE_MIN_SECONDS = 1.0


@dataclass(frozen=True)
class Options:
    engine: str = "auto"
    depth: int | None = None          # None: the design's bound
    timeout: float | None = None      # seconds per scenario
    max_states: int | None = None
    seed: int = 0
    reduce: bool = True               # merge task-private steps (tlamodel.reduce)
    max_memory: int | None = None     # MB of address space of each engine process
    symmetry: bool = True             # explicit search: one state per orbit (pyspec.symmetry)
    #: explicit search of the safety properties with partial-order reduction (pyspec.por);
    #: off by default: it is slower where it reduces little (docs/scale.md)
    por: bool = False


def select_scenarios(design: Design, refs: tuple[str, ...]) -> list[SpecFile]:
    if not refs:
        if not design.scenarios:
            raise DesignError(f"design {design.name} lists no scenarios", design.spec.loc,
                              hint="add 'scenarios: [scenarios/x.yaml]' or pass --scenario FILE")
        return list(design.scenarios)
    return [design.scenario(r) for r in refs]


def _settings(opts: Options, depth: int) -> Settings:
    return Settings(depth=depth, timeout=opts.timeout, max_states=opts.max_states,
                    seed=opts.seed, max_memory=opts.max_memory, symmetry=opts.symmetry)


def run_engine(model: Model, props: list[str], opts: Options, depth: int,
               progress: ProgressHook | None = None) -> dict[str, Outcome]:
    """Outcomes of ``opts.engine`` (auto: quick explicit pass, then the race); engines
    report their figures to ``progress`` (pyspec.progress) as they go."""
    try:
        return _run_engine(model, props, opts, depth, progress)
    except MemoryError:
        return {n: Outcome(n, "unknown", -1, engine=opts.engine,
                           reason=f"memory limit {opts.max_memory} MB reached") for n in props}


def _run_engine(model: Model, props: list[str], opts: Options, depth: int,
                progress: ProgressHook | None) -> dict[str, Outcome]:
    if opts.max_memory is not None:
        return _run_capped(model, props, opts, depth, progress)
    if opts.engine != "auto":
        run = (PorExplicit(_settings(opts, depth)) if opts.por and opts.engine == "explicit"
               else runner(opts.engine, _settings(opts, depth)))
        return run(model, props, progress=progress)
    # A short explicit search in this process first: most scenarios are small enough for it
    # to finish, and then no engine process needs to be started at all.  The user's timeout
    # is one budget for both phases.
    t0 = time.monotonic()
    quick_budget = QUICK_SECONDS if opts.timeout is None else min(QUICK_SECONDS, opts.timeout / 2)
    quick = explicit.check(model, props, max_states=opts.max_states or QUICK_STATES,
                           timeout=quick_budget, progress=progress, symmetry=opts.symmetry,
                           por=opts.por)
    if all(portfolio.definitive(o) for o in quick.values()):
        return {n: replace(o, engine="auto", via=o.answered_by) for n, o in quick.items()}
    left = None if opts.timeout is None else opts.timeout - (time.monotonic() - t0)
    if left is not None and left < RACE_MIN_SECONDS:
        # engine processes need about a second to start: too little time is left to win
        # anything; the unknowns are the timeout's
        return {n: replace(o, engine="auto", via=o.answered_by) if portfolio.definitive(o) else
                replace(o, engine="auto", via=o.answered_by,
                        reason=f"timeout {opts.timeout}s; the quick explicit pass stopped "
                               f"({o.reason}), too late to start the other engines")
                for n, o in quick.items()}
    if progress is not None:    # the quick pass's figures are over while processes start
        progress(Progress("explicit", time.monotonic() - t0,
                          phase="quick pass stopped; starting the race"))
    engines = _runners(replace(opts, timeout=left), depth, AUTO_RACE)
    out = portfolio.race(model, props, engines, left, progress)
    # the quick pass may know more than the race (it may even have decided a property)
    best = {n: _after_race(quick[n], o) for n, o in out.items()}
    return {n: replace(o, engine="auto", via=o.answered_by) for n, o in best.items()}


@dataclass(frozen=True)
class PorExplicit:
    """The explicit engine with partial-order reduction (``--por``): a runner like the
    registry's (it pickles, and running out of memory is an unknown), kept here because
    the registry's settings carry no such switch."""
    settings: Settings

    def __call__(self, model: Model, properties: list[str],
                 progress: ProgressHook | None = None) -> dict[str, Outcome]:
        s = self.settings
        try:
            return explicit.check(model, properties, max_states=s.max_states,
                                  timeout=s.timeout, progress=progress, symmetry=s.symmetry,
                                  por=True)
        except Exception as e:
            if not out_of_memory(e):
                raise
            why = (f"memory limit {s.max_memory} MB reached" if s.max_memory is not None
                   else "out of memory")
            return {p: Outcome(p, "unknown", -1, engine=explicit.ENGINE, reason=why)
                    for p in properties}


def _runners(opts: Options, depth: int, names: tuple[str, ...]) -> dict:
    """The registry's runners of ``names``, the explicit one with ``--por`` if asked."""
    engines = runners(_settings(opts, depth), names)
    if opts.por and "explicit" in engines:
        engines["explicit"] = PorExplicit(_settings(opts, depth))
    return engines


def _after_race(quick: Outcome, raced: Outcome) -> Outcome:
    """The better of auto's two answers.  When the quick pass went deeper but the race
    ran out of time, the time is why the answer is unknown: say so first (the quick
    pass's own stop, its internal state cap, is no limit the user set)."""
    if not portfolio.better(quick, raced):
        return raced
    if not portfolio.definitive(quick) and raced.reason.startswith("timeout"):
        return replace(quick, reason=f"{raced.reason}; the quick explicit pass before it "
                                     f"stopped: {quick.reason}")
    return quick


def _run_capped(model: Model, props: list[str], opts: Options, depth: int,
                progress: ProgressHook | None) -> dict[str, Outcome]:
    """Run under ``--max-memory``: every search in a process of its own that caps its own
    address space, none in this one.

    Why not cap this process: libz3 crashes (SIGSEGV) instead of failing cleanly when it
    cannot allocate a new context, and Python's own allocator can fail where no
    MemoryError can be raised.  In an engine process either ends only that process; the
    race reports it, and the properties are unknown.  ``auto`` skips its in-process quick
    pass here, for the same reason: no search may run uncapped."""
    names = AUTO_RACE if opts.engine == "auto" else (opts.engine,)
    engines = _runners(opts, depth, names)
    out = portfolio.race(model, props, engines, opts.timeout, progress, limit_mb=opts.max_memory)
    if opts.engine == "auto":
        return {n: replace(o, engine="auto", via=o.answered_by) for n, o in out.items()}
    # an outcome the race made up for a crashed engine is still that engine's answer
    return {n: o if o.engine in REGISTRY else replace(o, engine=opts.engine)
            for n, o in out.items()}


def replayed(model: Model, out: Outcome) -> tuple[Outcome, EndOfRun | None]:
    """The outcome itself if its counterexample replays, with the end of the run as the
    replay found it (the reports show it and never run the model themselves); otherwise an
    honest unknown (and no end).  Outcomes that are not violations pass through."""
    if out.status != "violated":
        return out, None
    if out.trace is None:
        return replace(out, status="unknown",
                       reason="internal error: violation without a trace"), None
    try:
        end = check_violation(model, out.trace, out.property)
    except ReplayError as e:
        return replace(out, status="unknown", trace=None,
                       reason=f"internal error: the {out.label} counterexample did not replay: {e}"), None
    if out.trace.loop_start is not None and "memory" in model.meta:
        # a lasso that never drains a store buffer is fair to tasks but no TSO run
        stuck = unfair_flushes(model, out.trace.actions, out.trace.states, out.trace.loop_start)
        if stuck:
            return replace(out, status="unknown", trace=None,
                           reason=f"the only lasso found never flushes the store buffer of "
                                  f"{', '.join(stuck)}, which x86-TSO does eventually; "
                                  "liveness under memory: tso is not decided"), None
    return out, end


def replay_saved(design: Design, saved: Saved, scenario_ref: str | None,
                 property_name: str | None) -> ReplayResult:
    """Re-execute ``saved`` (a counterexample read back from a report or an ITF file) on
    ``design`` with pyspec (``flagcheck replay``): the same gate as ``replayed``, kept here
    so that the report formats only encode and decode traces and never run the model.

    Raises BadTrace for malformed input and tlamodel's DesignError for an unknown scenario;
    everything else that stops the trace from being a counterexample of this design is a
    ReplayResult that does not reproduce, with the reason."""
    scen_ref = scenario_ref or saved.scenario
    prop = property_name or saved.property
    if not scen_ref:
        raise BadTrace("the trace does not say which scenario it is for; pass --scenario")
    if not prop:
        raise BadTrace("the trace does not say which property it violates; pass --property")
    meta = saved.trace.get("#meta") if isinstance(saved.trace.get("#meta"), dict) else {}
    recorded = meta.get("scenario_file")
    if (scenario_ref is None and isinstance(recorded, str) and Path(recorded).is_file()
            and scen_ref not in [s.name for s in design.scenarios]):
        scen_ref = recorded     # a scenario file the design does not list
    spec = design.scenario(scen_ref)
    model = design.model(spec)
    if meta.get("reduced", True):
        model = reduce_model(model)

    def no(reason: str) -> ReplayResult:
        return ReplayResult(saved, spec.name, prop, False, reason)

    if prop not in {p.name for p in model.properties}:
        return no(f"design {design.name} does not check {prop} on {spec.name}")
    try:
        trace = decode_trace(model, saved.trace)
    except Mismatch as e:
        return no(str(e))
    try:
        check_violation(model, trace, prop)
    except ReplayError as e:
        return no(str(e))
    return ReplayResult(saved, spec.name, prop, True, "", trace.length)


def verify(design: Design, scenario_refs: tuple[str, ...], prop_filter: tuple[str, ...],
           opts: Options, on_model: Callable[[Model], None] | None = None,
           progress: ProgressHook | None = None, budget: Budget | None = None) -> list[Verdict]:
    """Verdicts of ``design`` on its scenarios.  ``budget`` is the run's ``--timeout``
    (one is made from ``opts.timeout`` when not given): each scenario's model building,
    reduction and search share it, and a phase it cuts short gives unknown verdicts
    that name the phase."""
    if opts.engine not in ENGINES:
        raise DesignError(f"unknown engine '{opts.engine}'", hint="use " + " or ".join(ENGINES))
    known = set(design.merged.properties) | set(BUILTIN_PROPERTIES)
    for p in prop_filter:
        if p not in known:
            raise DesignError(f"unknown property '{p}'", hint=did_you_mean(p, known))
    budget = budget or Budget(opts.timeout)
    depth = opts.depth if opts.depth is not None else design.bound
    verdicts: list[Verdict] = []
    for scen in select_scenarios(design, scenario_refs):
        deadline = budget.next_scenario()
        skipped = design.skipped(scen)
        expect = design.expected(scen)
        try:
            model = _model(design, scen, prop_filter, opts, deadline)
        except OutOfTime as e:
            verdicts += _timed_out(design, scen, prop_filter, skipped, expect, opts, e)
            continue
        if on_model:
            on_model(model)
        names = [p.name for p in model.properties if not prop_filter or p.name in prop_filter]
        try:
            if deadline.expired():
                # no engine is started with no time left: it could only report the timeout
                outcomes = {n: Outcome(n, "unknown", -1, engine=opts.engine,
                                       reason=f"timeout {opts.timeout}s; none left for it")
                            for n in names}
            else:
                left = replace(opts, timeout=deadline.left())
                outcomes = run_engine(model, names, left, depth, progress) if names else {}
        except KeyboardInterrupt:
            # Ctrl-C: keep what is established, say unknown for the rest, stop here
            for name in names:
                verdicts.append(Verdict(design.name, scen.name, name,
                                        Outcome(name, "unknown", -1, engine=opts.engine,
                                                reason="interrupted"), model=model, spec=scen))
            break
        for name in names:
            out, end = replayed(model, _budget_words(outcomes[name], opts.timeout))
            verdicts.append(Verdict(design.name, scen.name, name, out, expected=expect.get(name),
                                    model=model, spec=scen, end=end))
        verdicts += _skipped(design, scen, prop_filter, skipped, expect, model)
    return verdicts


_ENGINE_TIMEOUT = re.compile(r"^timeout [0-9.e+-]+ ?s")


def _budget_words(out: Outcome, seconds: float | None) -> Outcome:
    """An engine's "timeout 2.137s" says what was left of the budget when the search
    began; the user set --timeout, so say that, and name the phase like the others."""
    if out.status != "unknown" or seconds is None or not _ENGINE_TIMEOUT.match(out.reason):
        return out
    rest = _ENGINE_TIMEOUT.sub("", out.reason).lstrip(":; ")
    words = f"timeout in the search ({fmt_seconds(seconds)} s)"
    return replace(out, reason=f"{words}; {rest}" if rest else words)


def _model(design: Design, scen: SpecFile, prop_filter: tuple[str, ...], opts: Options,
           deadline: Deadline) -> Model:
    """The scenario's model, reduced unless --no-reduce, within ``deadline``."""
    with deadline.phase_of(f"building the model of scenario {scen.name}"):
        model = design.model(scen, prop_filter)
    if opts.reduce:
        with deadline.phase_of(f"the reduction of scenario {scen.name}"):
            model = reduce_model(model, deadline.check)
    return model


def _skipped(design: Design, scen: SpecFile, prop_filter: tuple[str, ...],
             skipped: dict[str, str], expect: dict[str, Expectation],
             model: Model | None) -> list[Verdict]:
    wanted = prop_filter or tuple(design.checked_properties())
    return [Verdict(design.name, scen.name, name, None, skipped=why, expected=expect.get(name),
                    model=model, spec=scen)
            for name, why in skipped.items()
            if name in wanted]      # only what this design (or --property) would have checked


def _timed_out(design: Design, scen: SpecFile, prop_filter: tuple[str, ...],
               skipped: dict[str, str], expect: dict[str, Expectation], opts: Options,
               e: OutOfTime) -> list[Verdict]:
    """Unknown for every property the scenario would have been checked for: its model
    was not even built in time, so no engine ran (never 'holds')."""
    names = list(prop_filter or (*design.checked_properties(), ASSERTIONS))
    out = [Verdict(design.name, scen.name, n,
                   Outcome(n, "unknown", -1, engine=opts.engine, reason=e.reason),
                   expected=expect.get(n), spec=scen)
           for n in dict.fromkeys(names) if n not in skipped]
    return out + _skipped(design, scen, prop_filter, skipped, expect, None)
