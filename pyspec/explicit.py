"""Explicit-state breadth-first model checking: the reference engine.

Why BFS with parent pointers: every state is discovered at its minimal distance from an
initial state, so the first violation seen of each property yields a shortest
counterexample, and the other engines' depths can be compared against it.

Depth bookkeeping.  Invariants are checked when a state is discovered, deadlock when it
is expanded.  While layer ``d`` is being expanded, every state at depth ``<= d`` has been
checked against the invariants, but only states at depth ``< d`` for deadlock.  An
``unknown`` outcome therefore reports ``depth = d`` for an invariant and ``d - 1`` for a
deadlock property: the deepest layer the property was fully checked on (``-1`` = not even
all initial states).
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace

import numpy as np

from flagcheck.pyspec import liveness
from flagcheck.pyspec.evaluate import Fn, compile_expr
from flagcheck.pyspec.outcome import Outcome
from flagcheck.pyspec import layered, orbits, por, replay, symmetry
from flagcheck.pyspec.packed import Unpackable, compile_columns
from flagcheck.pyspec.progress import ProgressHook, Reporter
from flagcheck.pyspec.successors import compiled, initial_states, path_back
from flagcheck.pyspec.trace import State, Trace
from flagcheck.tlamodel.ir import DeadlockFree, Invariant, Liveness, Model

ENGINE = "explicit"
#: how many expanded states between two looks at the clock
_CLOCK_EVERY = 512


def _address_space_limit() -> int | None:
    """The soft RLIMIT_AS in bytes (``verify --max-memory``), None when unlimited."""
    try:
        import resource
    except ImportError:           # not on this platform
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return None if soft == resource.RLIM_INFINITY else soft


def _address_space_used() -> int:
    """This process's virtual size in bytes (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * _PAGE
    except OSError:
        return 0


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

Parents = dict[State, "tuple[State, int] | None"]


def check(model: Model, properties: list[str] | None = None,
          max_states: int | None = None, timeout: float | None = None,
          progress: ProgressHook | None = None, layered: bool = True,
          symmetry: bool = False, por: bool = False) -> dict[str, Outcome]:
    """Check ``properties`` (default: all of the model's) by exhaustive BFS.

    Stops when every requested property is violated, the state space is exhausted, or
    ``max_states`` distinct states / ``timeout`` seconds are reached (then the properties
    not yet violated are ``unknown``).  ``progress`` (pyspec.progress) gets the states
    found, states per second, the queue and the BFS layer while the search runs.
    ``layered=False`` forces the tuple search (the layered one gives the same answers; the
    differential tests compare them).  ``symmetry`` lets the layered search store one state
    per orbit of interchangeable tasks (pyspec.symmetry; same verdicts and depths, the
    counterexamples concrete, ``states`` counting orbits); liveness is always searched
    unreduced.  Off here, so that this function counts states; the engine registry and
    ``verify`` turn it on unless ``--no-symmetry``.  ``por`` searches the safety
    properties with partial-order reduction (pyspec.por, combined with ``symmetry`` when
    both are on; see ``_reduced``): the same verdicts, a violation's counterexample from
    the search without it (the shortest) whenever that search finishes in the time left."""
    names = [p.name for p in model.properties] if properties is None else list(properties)
    known = {p.name for p in model.properties}
    for n in names:
        if n not in known:
            raise KeyError(f"model {model.name} has no property {n!r} "
                           f"(known: {', '.join(sorted(known)) or 'none'})")
    if not names:
        return {}
    live = [n for n in names if isinstance(model.property(n), Liveness)]
    if not live:
        return _safety(model, names, max_states, timeout, progress, layered, symmetry, por)
    # Liveness properties go to the product/SCC engine (pyspec.liveness); both searches
    # share one wall-clock budget, the state limit applies to each.
    t0 = time.monotonic()
    safety = [n for n in names if n not in live]
    out = (_safety(model, safety, max_states, timeout, progress, layered, symmetry, por)
           if safety else {})
    left = None if timeout is None else timeout - (time.monotonic() - t0)
    if left is not None and left <= 0:
        out.update({n: Outcome(n, "unknown", -1, seconds=time.monotonic() - t0, engine=ENGINE,
                               reason=f"timeout {float(timeout)}s") for n in live})  # type: ignore[arg-type]
    else:
        out.update(liveness.check(model, live, max_states=max_states, timeout=left,
                                  progress=progress))
    return {n: out[n] for n in names}


def _safety(model: Model, names: list[str], max_states: int | None, timeout: float | None,
            progress: ProgressHook | None, layered: bool,
            symmetry: bool = False, por: bool = False) -> dict[str, Outcome]:
    """The layered search where the model packs into 64 bits, else the tuple search (which
    does not reduce by symmetry)."""
    if por:
        return _reduced(model, names, max_states, timeout, progress, layered, symmetry)
    t0 = time.monotonic()
    if layered:
        try:
            return _Layered(model, dict.fromkeys(names), max_states, timeout, progress,
                            symmetry=symmetry).run()
        except Unpackable:
            pass
    left = None if timeout is None else max(0.0, timeout - (time.monotonic() - t0))
    return _Search(model, dict.fromkeys(names), max_states, left, progress).run()


def _reduced(model: Model, names: list[str], max_states: int | None, timeout: float | None,
             progress: ProgressHook | None, layered: bool, symmetry: bool) -> dict[str, Outcome]:
    """The safety search under partial-order reduction, then, for the properties it found
    violated, the unreduced search (``symmetry`` as asked) for the shortest counterexample.

    Why the second search: BFS over the reduced graph finds a shortest path *of that
    graph*, which can be longer than the shortest run; verdicts are the reduced search's
    (the same), depths are the unreduced search's.  When that search stops on a limit
    first, the reduced search's counterexample (a real run: the reduced graph is a subgraph)
    is reported with its depth said to be not necessarily the shortest.

    With ``symmetry`` the layered search does both: a canonical state's ample set is
    computed on that state, its successors canonicalised (docs/scale.md argues why that
    is sound); the tuple search reduces by neither symmetry nor... only by this."""
    t0 = time.monotonic()
    wanted = dict.fromkeys(names)
    out: dict[str, Outcome] | None = None
    if layered:
        try:
            out = _Layered(model, wanted, max_states, timeout, progress, por=True,
                           symmetry=symmetry).run()
        except Unpackable:
            out = None
    if out is None:
        left = None if timeout is None else max(0.0, timeout - (time.monotonic() - t0))
        out = _Search(model, wanted, max_states, left, progress, por=True).run()
    bad = [n for n, o in out.items() if o.status == "violated"]
    if not bad:
        return out
    left = None if timeout is None else max(0.0, timeout - (time.monotonic() - t0))
    ref = _safety(model, bad, max_states, left, progress, layered, symmetry)
    for n in bad:
        r = ref[n]
        if r.status == "violated":
            out[n] = replace(r, seconds=time.monotonic() - t0,
                             reason="found under partial-order reduction; the shortest "
                                    "counterexample is the unreduced search's")
        elif r.status == "holds":
            raise RuntimeError(f"partial-order reduction found {n} violated, the unreduced "
                               "search proved it: a bug in one of them")
        else:
            out[n] = replace(out[n], reason="partial-order reduction: this counterexample "
                             "is not necessarily the shortest (the unreduced search for the "
                             f"shortest stopped: {r.reason})")
    return out


def reachable_count(model: Model, max_states: int | None = None,
                    timeout: float | None = None, layered: bool = True) -> int:
    """Number of distinct reachable states (raises RuntimeError if a limit cuts it short)."""
    search: _Search | None = None
    if layered:
        try:
            search = _Layered(model, {}, max_states, timeout)
            search.run()
        except Unpackable:
            search = None
    if search is None:
        search = _Search(model, {}, max_states, timeout)
        search.run()
    if search.stopped:
        raise RuntimeError(f"model {model.name}: {search.stopped} after "
                           f"{search.count()} states")
    return search.count()


def reachable_states(model: Model, max_states: int) -> list[State]:
    """The first ``max_states`` states of the breadth-first search (all of them if there
    are fewer), shallowest first -- for checker.engines.invgen's sample."""
    search = _Search(model, {}, max_states, None)
    search.run()
    return list(search.parents)


def trace_to(parents: Parents, state: State) -> Trace:
    """Follow parent pointers back to an initial state."""
    states, acts = path_back(parents, state)
    return Trace(tuple(states), tuple(acts))


@dataclass
class _Search:
    """One BFS run; mutable bookkeeping lives here rather than in a huge function."""
    model: Model
    wanted: dict[str, None]
    max_states: int | None
    timeout: float | None
    progress: ProgressHook | None = None
    #: partial-order reduction of the safety search (pyspec.por)
    por: bool = False

    def __post_init__(self) -> None:
        self.start = time.monotonic()
        self.reporter = Reporter(ENGINE, self.progress, start=self.start)
        self.cm = compiled(self.model)
        index = self.cm.index
        self.parents: Parents = {}
        self.results: dict[str, Outcome] = {}
        self.invariants: list[tuple[str, Fn]] = []
        self.deadlock: list[str] = []
        for name in self.wanted:
            prop = self.model.property(name)
            if isinstance(prop, Invariant):
                self.invariants.append((name, compile_expr(prop.expr, index)))
            elif isinstance(prop, DeadlockFree):
                self.deadlock.append(name)
            else:
                raise TypeError(f"property {name}: unsupported kind {type(prop).__name__}")
        self.stopped = ""          # reason the search was cut short, "" if it was not
        self.layer_depth = -1      # the layer being expanded (-1: discovering initial states)
        self.diameter = 0
        self.ample = por.analyse(self.model, list(self.wanted)) if self.por else None
        self.reduced = 0           # states expanded by an ample set alone
        if self.ample is not None:
            self.reporter.report(phase=f"partial-order reduction: {self.ample.describe()}",
                                 states=0)

    # ------------------------------------------------------------ main loop
    def run(self) -> dict[str, Outcome]:
        if self._discover_initial():
            self._bfs()
        return self._finish()

    def count(self) -> int:
        """Distinct states found so far."""
        return len(self.parents)

    def _done(self) -> bool:
        """Everything requested is violated (a count-only search never is)."""
        return bool(self.wanted) and not self.invariants and not self.deadlock

    def _limit_hit(self) -> bool:
        if self.max_states is not None and len(self.parents) >= self.max_states:
            self.stopped = f"state limit {self.max_states} reached"
            return True
        return False

    def _clock_hit(self) -> bool:
        if self.timeout is not None and time.monotonic() - self.start > self.timeout:
            self.stopped = f"timeout {float(self.timeout)}s"
            return True
        limit = _address_space_limit()
        if limit is not None and _address_space_used() > 0.9 * limit:
            # stop before the limit itself: a MemoryError raised deep in the search can
            # hit CPython while it builds the traceback, and that is a fatal crash
            self.stopped = f"memory limit {limit >> 20} MB reached"
            return True
        return False

    def _discover_initial(self) -> bool:
        """Store and invariant-check the initial states; False if the search must stop."""
        parents = self.parents
        for n, s in enumerate(initial_states(self.model)):
            if s in parents:
                continue
            if self._limit_hit() or (n % _CLOCK_EVERY == 0 and n and self._clock_hit()):
                return False
            parents[s] = None
            self._check_invariants(s)
            if self._done():
                return False
        return True

    def _bfs(self) -> None:
        if self.ample:
            self._bfs_por()
            return
        parents = self.parents
        candidates = self.cm.candidates
        terminal = self.cm.terminal
        layer: list[State] = list(parents)
        depth = 0
        expanded = 0
        layer_base = 0             # states expanded before the current layer
        max_states = self.max_states if self.max_states is not None else -1
        report = self.reporter.active
        while layer:
            self.layer_depth = depth
            nxt: list[State] = []
            for s in layer:
                expanded += 1
                if expanded % _CLOCK_EVERY == 0:
                    if self._clock_hit():
                        return
                    if report:   # queue: the rest of this layer and the next one so far
                        self._report(depth, len(layer) - expanded + layer_base + len(nxt))
                any_enabled = False
                for a in candidates(s):
                    if not a.guard(s):
                        continue
                    any_enabled = True
                    t = a.fire(s)
                    if t in parents:
                        continue
                    if len(parents) == max_states:
                        self._limit_hit()
                        return
                    parents[t] = (s, a.index)
                    nxt.append(t)
                    if self.invariants:
                        self._check_invariants(t)
                        if self._done():
                            return
                if not any_enabled and self.deadlock and not terminal(s):
                    self._violate(self.deadlock, s)
                    self.deadlock = []
                    if self._done():
                        return
            if nxt:
                depth += 1
                self.diameter = depth
            layer_base += len(layer)
            layer = nxt

    def _bfs_por(self) -> None:
        """``_bfs`` under partial-order reduction (pyspec.por), one state at a time: the
        same ample sets and cycle proviso as the layered search's (a state is expanded
        fully when an ample successor is stored at the current depth or shallower)."""
        assert self.ample is not None
        parents = self.parents
        candidates = self.cm.candidates
        terminal = self.cm.terminal
        owner = self.ample.owner
        tasks = len(self.ample.tasks)
        layer: list[State] = list(parents)
        depth = 0
        max_states = self.max_states if self.max_states is not None else -1
        expanded = 0
        while layer:
            self.layer_depth = depth
            nxt: list[State] = []
            deeper: set[State] = set()          # the states found at depth + 1 so far
            for s in layer:
                expanded += 1
                if expanded % _CLOCK_EVERY == 0 and self._clock_hit():
                    return
                on = [a for a in candidates(s) if a.guard(s)]
                if not on:
                    if self.deadlock and not terminal(s):
                        self._violate(self.deadlock, s)
                        self.deadlock = []
                        if self._done():
                            return
                    continue
                fire = self._ample_of(s, on, owner, tasks, deeper)
                for a, t in fire:
                    if t in parents:
                        continue
                    if len(parents) == max_states:
                        self._limit_hit()
                        return
                    parents[t] = (s, a.index)
                    nxt.append(t)
                    deeper.add(t)
                    if self.invariants:
                        self._check_invariants(t)
                        if self._done():
                            return
            if nxt:
                depth += 1
                self.diameter = depth
            layer = nxt

    def _ample_of(self, s: State, on: list, owner: tuple[int, ...], tasks: int,
                  deeper: set[State]) -> list:
        """``(action, successor)`` for the ample set of ``s``, or for every enabled action
        when it has none or the cycle proviso refuses it."""
        assert self.ample is not None
        by_task = [False] * tasks
        for a in on:
            if owner[a.index] >= 0:
                by_task[owner[a.index]] = True
        n = por.choose_one(self.ample, s, by_task)
        if n >= 0:
            fire = [(a, a.fire(s)) for a in on if owner[a.index] == n]
            if not any(t in self.parents and t not in deeper for _, t in fire):
                self.reduced += 1
                return fire
        return [(a, a.fire(s)) for a in on]

    def _report(self, depth: int, queue: int) -> None:
        seconds = time.monotonic() - self.start
        n = self.count()
        self.reporter.report(depth=depth, states=n, queue=queue,
                             rate=n / seconds if seconds > 0 else None)

    # ------------------------------------------------------------ properties
    def _check_invariants(self, s: State) -> None:
        broken = [name for name, f in self.invariants if not f(s)]
        if broken:
            self._violate(broken, s)
            self.invariants = [(n, f) for n, f in self.invariants if n not in broken]

    def _violate(self, names: list[str], s: State) -> None:
        self._record(names, trace_to(self.parents, s), len(self.parents))

    def _record(self, names: list[str], trace: Trace, states: int) -> None:
        for name in names:
            self.results[name] = Outcome(
                property=name, status="violated", depth=trace.length, trace=trace,
                states=states, seconds=time.monotonic() - self.start, engine=ENGINE)

    def _finish(self) -> dict[str, Outcome]:
        seconds = time.monotonic() - self.start
        nstates = self.count()
        for name in self.wanted:
            if name in self.results:
                continue
            if self.stopped:
                is_inv = isinstance(self.model.property(name), Invariant)
                depth = self.layer_depth if is_inv else max(-1, self.layer_depth - 1)
                self.results[name] = Outcome(
                    property=name, status="unknown", depth=depth, exhaustive=False,
                    states=nstates, seconds=seconds, engine=ENGINE, reason=self.stopped)
            else:
                self.results[name] = Outcome(
                    property=name, status="holds", depth=self.diameter, exhaustive=True,
                    states=nstates, seconds=seconds, engine=ENGINE)
        return {name: self._por_words(self.results[name]) for name in self.wanted}

    def _por_words(self, o: Outcome) -> Outcome:
        """Under partial-order reduction, say so in the outcome.  A proof's ``states`` and
        ``depth`` are the reduced graph's; an unknown's depth is -1 once a state was
        expanded by an ample set alone, as a reduced layer then covers no layer of the
        unreduced search (a violation is rerun unreduced: _reduced)."""
        if self.ample is None or o.status == "violated":
            return o
        said = (f"partial-order reduction: {self.ample.describe()}, {self.reduced} states "
                "expanded by an ample set alone")
        if o.status == "holds":
            return replace(o, reason=said)
        return replace(o, depth=-1 if self.reduced else o.depth, reason=f"{o.reason}; {said}")


@dataclass
class _Layered(_Search):
    """The same search a layer at a time over packed states (pyspec.layered): the same
    answers, traces and state counts as ``_Search``, many times faster.  Raises
    ``Unpackable`` (before or during the search) for a model it cannot hold.

    With ``symmetry`` it stores canonical states, one per orbit (pyspec.orbits): the same
    verdicts and depths, ``states`` counting orbits, every counterexample made concrete
    again and replayed before it is reported."""
    symmetry: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        self.vm = layered.vmodel(self.model)
        if self.ample:
            self.vm = replace(self.vm, por=self.ample)
        self.sym = (symmetry.detect(self.model, list(self.wanted)) if self.symmetry
                    else symmetry.Symmetry())
        self.canon = orbits.Canon(self.sym, self.vm.layout) if self.sym else None
        if self.canon is not None:
            self.vm = replace(self.vm, canon=self.canon)
        if self.symmetry and (self.sym or self.sym.notes):   # progress shows what was found
            self.reporter.report(phase=f"symmetry: {self.sym.describe()}", states=0)
        self.vinv = [(name, compile_columns(self.model.property(name).expr, self.vm.index))  # type: ignore[union-attr]
                     for name, _ in self.invariants]
        self.store = layered.Store(self.vm.layout.words)

    def count(self) -> int:
        return self.store.n

    def run(self) -> dict[str, Outcome]:
        init = layered.initial_layer(self.model, self.vm.layout)
        if self.canon is not None:
            init = _first_of_each(self.canon(init))
        if self.max_states is not None and len(init) > self.max_states:
            init = init[:self.max_states]
            self.stopped = f"state limit {self.max_states} reached"
        self.store.add(init, np.full(len(init), -1), np.zeros(len(init)),
                       layered.fingerprint(init))
        self._check_layer(init, 0)
        if not (self.stopped or self._done()):
            self._bfs_layers(init)
        return self._finish()

    def _bfs_layers(self, layer: "np.ndarray") -> None:
        depth = 0
        base = 0                 # store position of the layer's first state
        deadline = None if self.timeout is None else self.start + self.timeout
        store = self.store
        while len(layer):
            self.layer_depth = depth
            if self._clock_hit():
                return
            exp = layered.expand(self.vm, layer, store, bool(self.deadlock), deadline)
            if exp is None:
                self.stopped = f"timeout {float(self.timeout)}s"  # type: ignore[arg-type]
                return
            new, parent = exp.new, exp.parent
            self.reduced += exp.reduced
            cut = len(layer)         # the layer's states the tuple search fully expands
            if self.max_states is not None and store.n + len(new) > self.max_states:
                allowed = self.max_states - store.n
                cut = int(parent[allowed])
                new, parent = new[:allowed], parent[:allowed]
                self.stopped = f"state limit {self.max_states} reached"
            if self.deadlock and len(exp.deadlocked) and exp.deadlocked[0] < cut:
                p = int(exp.deadlocked[0])
                seen = store.n + int(np.searchsorted(parent, p, side="right"))
                self._record(self.deadlock, store.trace(self.vm.layout, base + p), seen)
                self.deadlock = []
            nbase = store.n
            store.add(new, base + parent, exp.action[:len(new)], exp.keys[:len(new)])
            self._check_layer(new, nbase)
            if self.stopped or self._done():
                return
            if len(new):
                depth += 1
                self.diameter = depth
            layer, base = new, nbase
            if self.reporter.active:
                self._report(depth, len(layer))

    def _check_layer(self, states: "np.ndarray", base: int) -> None:
        """Invariants on a newly stored layer (from store position ``base``), in order."""
        for name, fn in list(self.vinv):
            i = layered.first_false(self.vm, fn, states)
            if i < 0:
                continue
            self._record([name], self.store.trace(self.vm.layout, base + i), base + i + 1)
            self.vinv = [(n, f) for n, f in self.vinv if n != name]
            self.invariants = [(n, f) for n, f in self.invariants if n != name]

    def _record(self, names: list[str], trace: Trace, states: int) -> None:
        """A path of orbits is made concrete and replayed here, before anyone sees it."""
        if self.canon is not None:
            trace = orbits.concretise(self.model, self.canon, trace)
            for name in names:
                replay.check_violation(self.model, trace, name)
        super()._record(names, trace, states)

    def _finish(self) -> dict[str, Outcome]:
        out = super()._finish()
        if not self.symmetry:
            return out
        said = self.sym.describe()
        return {n: replace(o, orbits=bool(self.sym), symmetry=said) for n, o in out.items()}


def _first_of_each(states: "np.ndarray") -> "np.ndarray":
    """``states`` without repeats, each kept where it first occurs."""
    _, first = np.unique(states, axis=0, return_index=True)
    return states[np.sort(first)]
