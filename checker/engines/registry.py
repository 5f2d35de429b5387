"""The engines by name: what ``--engine NAME`` runs, and what ``--engine auto`` races.

Every engine is registered here the same way -- the explicit search (which lives in
pyspec, next to the concrete semantics it shares with replay) as well as the Z3 engines of
checker.engines -- as a check function of the run's ``Settings``; a ``Runner`` binds one
to them and keeps the contract of pyspec.outcome.Engine.  checker.verify only looks names
up here: it runs the engines, replays their counterexamples and turns outcomes into
verdicts.

Runners pickle (a name and the settings): the auto race sends them to child processes.
The Z3 engines are imported when a runner runs, not here, so that loading the registry
(every CLI command does) does not load Z3.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, replace
from typing import Callable

from flagcheck.pyspec import explicit
from flagcheck.pyspec.outcome import Engine, Outcome
from flagcheck.pyspec.progress import ProgressHook
from flagcheck.tlamodel.ir import Liveness, Model


@dataclass(frozen=True)
class Settings:
    """The limits of one run; each engine takes the part it understands."""
    depth: int                        # BMC's bound, k-induction's largest k
    timeout: float | None             # seconds for the whole call
    max_states: int | None            # the explicit search's state limit
    seed: int                         # Z3's random seed
    max_memory: int | None = None     # MB of address space of the engine's process
    symmetry: bool = True             # the explicit search stores one state per orbit


#: an engine's check function: the model, the properties, the run's settings, the hook
Check = Callable[[Model, list[str], Settings, "ProgressHook | None"], dict[str, Outcome]]


def _explicit(model: Model, props: list[str], s: Settings,
              progress: ProgressHook | None) -> dict[str, Outcome]:
    return explicit.check(model, props, max_states=s.max_states, timeout=s.timeout,
                          progress=progress, symmetry=s.symmetry)


def _bmc(model: Model, props: list[str], s: Settings,
         progress: ProgressHook | None) -> dict[str, Outcome]:
    from flagcheck.checker.engines import bmc
    return bmc.check(model, props, depth=s.depth, timeout=s.timeout, seed=s.seed,
                     progress=progress)


def _kind(model: Model, props: list[str], s: Settings,
          progress: ProgressHook | None) -> dict[str, Outcome]:
    from flagcheck.checker.engines import kinduction
    return _safety_only("kind", model, props, lambda safety: kinduction.check(
        model, safety, max_k=s.depth, timeout=s.timeout, seed=s.seed, progress=progress))


def _pdr(model: Model, props: list[str], s: Settings,
         progress: ProgressHook | None) -> dict[str, Outcome]:
    from flagcheck.checker.engines import pdr
    return _safety_only("pdr", model, props, lambda safety: pdr.check(
        model, safety, timeout=s.timeout, seed=s.seed, progress=progress))


def _safety_only(engine: str, model: Model, props: list[str],
                 check: Callable[[list[str]], dict[str, Outcome]]) -> dict[str, Outcome]:
    """Run a safety-only engine on the safety properties; the liveness ones get
    ``unsupported`` rather than a verdict the engine cannot give."""
    safety = [p for p in props if not isinstance(model.property(p), Liveness)]
    out = check(safety) if safety else {}
    return {p: out.get(p) or unsupported(p, engine) for p in props}


def unsupported(prop: str, engine: str) -> Outcome:
    """The honest answer of a safety-only engine asked about a liveness property."""
    return Outcome(prop, "unknown", -1, engine=engine,
                   reason=f"{engine} checks invariants and deadlock freedom, not liveness")


#: name -> check function; the order is the order ``runners`` returns them in
REGISTRY: dict[str, Check] = {"explicit": _explicit, "bmc": _bmc, "kind": _kind, "pdr": _pdr}
#: the module each Z3 engine's check function imports when it runs (``Runner.load``)
MODULES: dict[str, str] = {"bmc": "flagcheck.checker.engines.bmc",
                           "kind": "flagcheck.checker.engines.kinduction",
                           "pdr": "flagcheck.checker.engines.pdr"}


@dataclass(frozen=True)
class Runner:
    """Engine ``name`` bound to the run's settings: an ``Engine`` that pickles (a name and
    numbers; the check function is looked up again in the process that runs it)."""
    name: str
    settings: Settings

    def load(self) -> None:
        """Import the engine's modules now, not when it runs.  An engine process under
        --max-memory calls this before it caps its address space: Python compiling a
        module at the cap (a clean checkout has no .pyc for modules only engine
        processes import) can fail with a bogus error instead of a MemoryError -- CI saw
        "ValueError: field 'target' is required for AnnAssign" as BMC's answer."""
        module = MODULES.get(self.name)
        if module is not None:
            importlib.import_module(module)

    def __call__(self, model: Model, properties: list[str],
                 progress: ProgressHook | None = None) -> dict[str, Outcome]:
        why = (f"memory limit {self.settings.max_memory} MB reached"
               if self.settings.max_memory is not None else "out of memory")
        try:
            if self.settings.max_memory is not None and self.name in MODULES:
                _z3_headroom()
            out = REGISTRY[self.name](model, properties, self.settings, progress)
        except Exception as e:
            if not out_of_memory(e):
                raise
            # here, not in each engine: running out of memory is the same answer wherever
            # the search stood, and no engine can finish a property after it
            return {p: Outcome(p, "unknown", -1, engine=self.name, reason=why)
                    for p in properties}
        # an engine that caught Z3's failure itself ("spacer: out of memory", a solver's
        # "max. memory exceeded") says it in Z3's words: say it in the run's
        return {p: replace(o, reason=why) if _z3_memory_words(o) else o for p, o in out.items()}


#: bytes of address space a Z3 engine needs free before it starts: about 16 MB make a
#: context, twice that leaves room for a first solver
Z3_HEADROOM = 32 * 1024 * 1024


def _z3_headroom() -> None:
    """MemoryError unless ``Z3_HEADROOM`` bytes can still be allocated.  Why: under a cap
    at or below what the process already maps, libz3 cannot create its context and
    crashes (SIGSEGV: the binding dereferences the NULL it gets back); asking Python
    first turns that into the clean "memory limit reached" answer, with no core file."""
    bytearray(Z3_HEADROOM)


def _z3_memory_words(o: Outcome) -> bool:
    text = o.reason.lower()
    return o.status == "unknown" and ("out of memory" in text or "memory exceeded" in text)


def out_of_memory(e: BaseException) -> bool:
    """Did a search fail for want of memory?  Python says MemoryError; Z3 raises a
    ``Z3Exception`` whose message (bytes or str, by version) says "out of memory"."""
    if isinstance(e, MemoryError):
        return True
    if type(e).__name__ != "Z3Exception":   # checked by name: z3 is not imported here
        return False
    value = getattr(e, "value", e)
    text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
    return "out of memory" in text.lower()


#: what ``--engine`` accepts: the strategy ``auto`` (checker.verify) and every engine
ENGINES = ("auto", *sorted(REGISTRY))

#: the engines --engine auto races after its quick explicit pass (2 cores: BMC for short
#: counterexamples, the explicit search and PDR for proofs)
AUTO_RACE = ("explicit", "bmc", "pdr")


def runner(name: str, settings: Settings) -> Engine:
    """The runner of engine ``name`` (KeyError for a name not registered)."""
    if name not in REGISTRY:
        raise KeyError(name)
    return Runner(name, settings)


def runners(settings: Settings, names: tuple[str, ...] | None = None) -> dict[str, Engine]:
    """The runners of ``names`` (default: every registered engine), by name."""
    return {n: Runner(n, settings) for n in REGISTRY if names is None or n in names}
