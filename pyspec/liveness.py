"""Explicit-state liveness checking under weak fairness of tasks: the reference engine.

Semantics (shared with ``checker.engines.lasso`` and ``pyspec.replay``; see ``tlamodel.ir.Liveness``)

* A behaviour is an infinite sequence of states.  A run that reaches a state where no action
  is enabled (a deadlock, or a finished run) continues by stuttering in that state forever.
  Nothing else stutters: in a state where some action is enabled, some action fires.
* Weak fairness per task: on the loop of a lasso every task either takes a step or is
  disabled (none of its actions enabled) in at least one state of the loop.  A stutter loop
  at a dead state is fair (no task is enabled there).  Tasks that own no action are always
  disabled and never constrain anything.
* ``leads_to(p, q)`` is violated iff some fair behaviour has a position where p holds and q
  holds neither there nor at any later position; ``eventually(p)`` iff some fair behaviour
  never has p; ``always_eventually(p)`` iff some fair behaviour has, from some point on, no p.
  A ``Liveness`` with several ``instances`` (``for_each``) is violated iff one of them is.

The monitor.  Each obligation is turned into one "pending" bit that runs along the
behaviour, ``b_0 = (I and C(s_0)) or S(s_0)`` and ``b_{i+1} = (b_i and C(s_{i+1})) or
S(s_{i+1})`` (``monitor_exprs``):

==================  =====  ==========  =========  =========================================
kind                I      C (keep)    S (set)    b_i means
==================  =====  ==========  =========  =========================================
leads_to(p, q)      false  !q          p && !q    some p at or before i, no q since then
eventually(p)       true   !p          false      p has not held at any position <= i
always_eventually   false  false       !p         p is false at position i
==================  =====  ==========  =========  =========================================

An obligation is violated on a behaviour iff the bit is true from some position on.  On a
lasso: iff it is true at every position of the loop once the loop has been entered a second
time (one pass is not always enough: a leads_to whose p first holds late in the loop is
pending only from there on), see ``violated_instance``.  In the product of the state graph
with the bit, a violation is exactly a reachable *fair* cycle through product nodes whose bit
is true, or a reachable dead state whose bit is true (its stutter loop).

Lasso representation (``Trace.loop_start``): ``states[0..n]``, ``actions[0..n-1]``.

* ``loop_start = l < n``: the loop is ``states[l..n-1]`` with the steps ``actions[l..n-1]``,
  and ``states[n] == states[l]`` (the closing state is repeated, so the trace replays as an
  ordinary run); the behaviour is ``states[0..l-1]`` followed by ``states[l..n-1]`` forever.
* ``loop_start = n``: a *stutter* lasso: ``states[n]`` is a dead state (no action enabled)
  and the behaviour stays there forever; the loop has no step.  ``len(actions) = n`` is the
  counterexample depth in both cases.

The engine: BFS of the reachable state graph (edges labelled with actions, and per state the
set of tasks with an enabled action); per obligation, BFS of the product with the pending
bit (parent pointers give shortest prefixes); an iterative Tarjan SCC decomposition of the
pending part; an SCC is a witness iff it is nontrivial (has an edge) and every task either
labels an edge inside it or is disabled in one of its states (weak fairness is a generalised
Buchi condition, so no refinement of the SCCs is needed), or iff it is a dead state.  Among
the witnesses the one discovered first by the product BFS is taken (its prefix is a
shortest path to it); the loop is built greedily inside the SCC by BFS to the nearest
state/edge that covers a task not yet covered, then back to the entry.  Over several
obligations the shortest lasso is reported.
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

from flagcheck.pyspec.evaluate import Fn, compile_expr
from flagcheck.pyspec.outcome import Outcome
from flagcheck.pyspec.progress import ProgressHook, Reporter
from flagcheck.pyspec.successors import compiled, initial_states, path_back
from flagcheck.pyspec.trace import State, Trace
from flagcheck.tlamodel.ir import FALSE, Expr, Liveness, Model, conj, neg

ENGINE = "explicit"
_CLOCK_EVERY = 512


# ---------------------------------------------------------------- shared semantics
def monitor_exprs(prop: Liveness) -> list[tuple[bool, Expr, Expr]]:
    """Per obligation ``(I, C, S)``: the pending bit is ``b0 = (I and C) or S`` in the first
    state and ``b' = (b and C) or S`` in every later one (see the module doc)."""
    out: list[tuple[bool, Expr, Expr]] = []
    for k, (p, q) in enumerate(prop.instances):
        if prop.kind == "leads_to":
            if q is None:
                raise ValueError(f"liveness {prop.name}: leads_to instance {k} has no target")
            out.append((False, neg(q), conj(p, neg(q))))
        elif prop.kind == "eventually":
            out.append((True, neg(p), FALSE))
        elif prop.kind == "always_eventually":
            out.append((False, FALSE, neg(p)))
        else:
            raise ValueError(f"liveness {prop.name}: unknown kind {prop.kind!r}")
    return out


def fair_tasks(model: Model) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """The tasks weak fairness constrains (those owning an action) with their action indices,
    in ``Model.tasks`` order, then any task only the actions name."""
    by_task: dict[str, list[int]] = {t: [] for t in model.tasks}
    for a in model.actions:
        by_task.setdefault(a.task, []).append(a.index)
    return tuple((t, tuple(acts)) for t, acts in by_task.items() if acts)


def instance_label(prop: Liveness, k: int) -> str:
    """``"for T1"`` for a for_each obligation, ``""`` otherwise (for messages)."""
    if k < len(prop.labels) and prop.labels[k]:
        return f" for {prop.labels[k]}"
    return f" (obligation {k})" if len(prop.instances) > 1 else ""


def lasso_positions(trace: Trace) -> list[int]:
    """Indices into ``trace.states`` of the behaviour up to the end of its second pass through
    the loop: prefix, loop, loop (a stutter loop is the last state, twice)."""
    assert trace.loop_start is not None
    n, ls = len(trace.actions), trace.loop_start
    loop = list(range(ls, n)) if ls < n else [n]
    return list(range(ls)) + loop + loop


def violated_instance(model: Model, prop: Liveness, trace: Trace) -> int | None:
    """The first obligation of ``prop`` the lasso ``trace`` violates (None if none does).

    Exact for any lasso (fairness and replay are checked elsewhere): the pending bit is run
    over prefix + loop + loop; the obligation is violated iff the bit is true at every
    position of the second pass.  (If it is, the bit entering a third pass is at least what
    it was entering the second, so it stays true forever, by monotonicity of ``b and C or S``;
    conversely a violation makes the bit true from some position on, and every obligation
    kind reaches that position by the end of the first pass.)"""
    index = compiled(model).index
    pos = lasso_positions(trace)
    second = len(pos) - (len(pos) - trace.loop_start) // 2  # type: ignore[operator]
    for k, (init, c, s) in enumerate(monitor_exprs(prop)):
        cf, sf = compile_expr(c, index), compile_expr(s, index)
        b = init
        ok = True
        for j, i in enumerate(pos):
            st = trace.states[i]
            b = bool((b and cf(st)) or sf(st))
            if j >= second and not b:
                ok = False
                break
        if ok:
            return k
    return None


def unfair_tasks(model: Model, trace: Trace) -> list[str]:
    """Tasks the lasso treats unfairly: enabled in every loop state and never stepping in the
    loop.  For a stutter lasso: the tasks enabled in the last state (there must be none)."""
    assert trace.loop_start is not None
    cm = compiled(model)
    n, ls = len(trace.actions), trace.loop_start
    loop_states = trace.states[ls:n] if ls < n else trace.states[n:]
    stepped = {model.actions[a].task for a in trace.actions[ls:]}
    out = []
    for task, acts in fair_tasks(model):
        if task in stepped:
            continue
        if all(any(cm.actions[a].guard(s) for a in acts) for s in loop_states):
            out.append(task)
    return out


# ---------------------------------------------------------------- the engine
class _Stop(Exception):
    """A limit was hit (the message says which)."""


def check(model: Model, properties: list[str] | None = None,
          max_states: int | None = None, timeout: float | None = None,
          progress: ProgressHook | None = None) -> dict[str, Outcome]:
    """Check the ``Liveness`` properties ``properties`` (default: all of the model's).

    ``violated`` carries a lasso trace (see the module doc) with ``depth = len(actions)``;
    ``holds`` is always exhaustive (``depth`` = BFS diameter, ``states`` = reachable states);
    ``unknown`` when ``max_states`` distinct states or ``timeout`` seconds are reached, with
    ``depth = -1`` (a partial state graph establishes nothing about liveness).
    ``progress`` (pyspec.progress) gets the states found and the phase (state graph,
    then the lasso search of each property)."""
    t0 = time.monotonic()
    names = ([p.name for p in model.properties if isinstance(p, Liveness)]
             if properties is None else list(dict.fromkeys(properties)))
    props: list[Liveness] = []
    for n in names:
        p = model.property(n)
        if not isinstance(p, Liveness):
            raise TypeError(f"property {n}: not a liveness property ({type(p).__name__})")
        props.append(p)
    if not props:
        return {}
    clock = _Clock(t0, timeout, Reporter(ENGINE, progress, start=t0) if progress else None)
    out: dict[str, Outcome] = {}
    try:
        g = _Graph.build(model, max_states, clock)
    except _Stop as e:
        return {n: Outcome(n, "unknown", -1, states=clock.states, seconds=clock.elapsed(),
                           engine=ENGINE, reason=str(e)) for n in names}
    for p in props:
        clock.phase = f"lasso search [{p.name}]"
        try:
            trace = _find_lasso(g, p, clock)
        except _Stop as e:
            out[p.name] = Outcome(p.name, "unknown", -1, states=len(g.states),
                                  seconds=clock.elapsed(), engine=ENGINE, reason=str(e))
            continue
        if trace is None:
            out[p.name] = Outcome(p.name, "holds", g.diameter, exhaustive=True,
                                  states=len(g.states), seconds=clock.elapsed(), engine=ENGINE)
        else:
            out[p.name] = Outcome(p.name, "violated", trace.length, trace=trace,
                                  states=len(g.states), seconds=clock.elapsed(), engine=ENGINE)
    return {n: out[n] for n in names}


@dataclass
class _Clock:
    t0: float
    timeout: float | None
    reporter: Reporter | None = None
    ticks: int = 0
    states: int = 0
    phase: str = "state graph"

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def tick(self) -> None:
        self.ticks += 1
        if self.ticks % _CLOCK_EVERY:
            return
        seconds = self.elapsed()
        if self.timeout is not None and seconds > self.timeout:
            raise _Stop(f"timeout {float(self.timeout)}s")
        if self.reporter is not None:
            self.reporter.report(states=self.states, phase=self.phase,
                                 rate=self.states / seconds if seconds > 0 else None)


@dataclass
class _Graph:
    """The reachable state graph: ids in BFS order, labelled edges, enabled-task masks."""
    model: Model
    states: list[State]
    succ: list[list[tuple[int, int]]]     # per state: (action index, successor id)
    enabled_mask: list[int]               # per state: bit t = fair task t has an enabled action
    initial: list[int]
    task_bit: list[int]                   # per action: its task's bit (0 for no fair task)
    all_tasks: int                        # mask of every fair task
    diameter: int

    @staticmethod
    def build(model: Model, max_states: int | None, clock: _Clock) -> "_Graph":
        cm = compiled(model)
        tasks = fair_tasks(model)
        task_bit = [0] * len(model.actions)
        for t, (_, acts) in enumerate(tasks):
            for a in acts:
                task_bit[a] = 1 << t
        ids: dict[State, int] = {}
        states: list[State] = []
        limit = max_states if max_states is not None else -1

        def add(s: State) -> int:
            i = ids.get(s)
            if i is None:
                if len(states) == limit:
                    raise _Stop(f"state limit {max_states} reached")
                i = len(states)
                ids[s] = i
                states.append(s)
                clock.states = i + 1
            return i

        initial: list[int] = []
        for s in initial_states(model):
            clock.tick()
            if s not in ids:
                initial.append(add(s))
        succ: list[list[tuple[int, int]]] = []
        masks: list[int] = []
        k = 0
        while k < len(states):           # states are appended in BFS order
            clock.tick()
            s = states[k]
            out: list[tuple[int, int]] = []
            mask = 0
            for a in cm.candidates(s):
                if a.guard(s):
                    mask |= task_bit[a.index]
                    out.append((a.index, add(a.fire(s))))
            succ.append(out)
            masks.append(mask)
            k += 1
        return _Graph(model, states, succ, masks, initial, task_bit,
                      (1 << len(tasks)) - 1, _bfs_depth(initial, succ, len(states)))


def _bfs_depth(initial: list[int], succ: list[list[tuple[int, int]]], n: int) -> int:
    dist = [-1] * n
    q = deque(initial)
    for i in initial:
        dist[i] = 0
    far = 0
    while q:
        u = q.popleft()
        for _, v in succ[u]:
            if dist[v] < 0:
                dist[v] = dist[u] + 1
                far = max(far, dist[v])
                q.append(v)
    return far


def _find_lasso(g: _Graph, prop: Liveness, clock: _Clock) -> Trace | None:
    """The shortest of the per-obligation lassos (None: every obligation holds)."""
    index = compiled(g.model).index
    best: Trace | None = None
    for init, c, s in monitor_exprs(prop):
        t = _Product(g, init, compile_expr(c, index), compile_expr(s, index), clock).lasso()
        if t is not None and (best is None or t.length < best.length):
            best = t
    return best


class _Product:
    """The state graph times one pending bit.  Node ``2 * state_id + bit``."""

    def __init__(self, g: _Graph, init: bool, c: Fn, s: Fn, clock: _Clock) -> None:
        self.g, self.clock = g, clock
        self.init = init
        # b' = (b and C(t)) or S(t): the successor bit for b = 0 and for b = 1, per state
        self.next0 = [bool(s(st)) for st in g.states]
        self.next1 = [bool(c(st)) or n0 for st, n0 in zip(g.states, self.next0)]
        self.first = [bool((init and c(st)) or n0) for st, n0 in zip(g.states, self.next0)]

    def succ(self, node: int) -> list[tuple[int, int]]:
        nxt = self.next1 if node & 1 else self.next0
        return [(a, 2 * t + nxt[t]) for a, t in self.g.succ[node >> 1]]

    def pending_succ(self, node: int) -> list[tuple[int, int]]:
        """Edges from a pending node to pending nodes."""
        nxt = self.next1
        return [(a, 2 * t + 1) for a, t in self.g.succ[node >> 1] if nxt[t]]

    # ------------------------------------------------------------ search
    def lasso(self) -> Trace | None:
        g = self.g
        parent: dict[int, tuple[int, int] | None] = {}
        order: list[int] = []
        for i in g.initial:
            node = 2 * i + self.first[i]
            if node not in parent:
                parent[node] = None
                order.append(node)
        k = 0
        while k < len(order):            # BFS of the product
            self.clock.tick()
            u = order[k]
            k += 1
            for a, v in self.succ(u):
                if v not in parent:
                    parent[v] = (u, a)
                    order.append(v)
        rank = {node: r for r, node in enumerate(order)}
        pending = [node for node in order if node & 1]
        if not pending:
            return None
        best: tuple[int, int, list[int] | None] | None = None   # (rank, entry, scc or None=dead)
        for node in pending:
            if not g.succ[node >> 1]:
                best = (rank[node], node, None)
                break                    # pending is in BFS order: the first dead one is best
        for scc in self._sccs(pending):
            if not self._fair(scc):
                continue
            entry = min(scc, key=rank.__getitem__)
            if best is None or rank[entry] < best[0]:
                best = (rank[entry], entry, scc)
        if best is None:
            return None
        _, entry, scc = best
        pre_nodes, pre_acts = path_back(parent, entry)
        if scc is None:
            loop_nodes, loop_acts = [], []
        else:
            loop_nodes, loop_acts = self._loop(entry, set(scc))
        states = tuple(g.states[n >> 1] for n in pre_nodes + loop_nodes)
        return Trace(states, tuple(pre_acts + loop_acts), loop_start=len(pre_acts))

    def _sccs(self, nodes: list[int]) -> list[list[int]]:
        """Nontrivial SCCs of the pending subgraph (iterative Tarjan)."""
        index: dict[int, int] = {}
        low: dict[int, int] = {}
        on_stack: set[int] = set()
        stack: list[int] = []
        out: list[list[int]] = []
        counter = 0
        for root in nodes:
            if root in index:
                continue
            work: list[tuple[int, list[tuple[int, int]], int]] = []
            index[root] = low[root] = counter
            counter += 1
            stack.append(root)
            on_stack.add(root)
            work.append((root, self.pending_succ(root), 0))
            while work:
                self.clock.tick()
                v, edges, i = work[-1]
                if i < len(edges):
                    work[-1] = (v, edges, i + 1)
                    w = edges[i][1]
                    if w not in index:
                        index[w] = low[w] = counter
                        counter += 1
                        stack.append(w)
                        on_stack.add(w)
                        work.append((w, self.pending_succ(w), 0))
                    elif w in on_stack:
                        low[v] = min(low[v], index[w])
                    continue
                work.pop()
                if work:
                    u = work[-1][0]
                    low[u] = min(low[u], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1 or any(t == v for _, t in edges):
                        out.append(comp)
        return out

    def _fair(self, scc: list[int]) -> bool:
        g = self.g
        members = set(scc)
        covered = 0
        for node in scc:
            covered |= g.all_tasks & ~g.enabled_mask[node >> 1]
            for a, w in self.pending_succ(node):
                if w in members:
                    covered |= g.task_bit[a]
            if covered == g.all_tasks:
                return True
        return covered == g.all_tasks

    def _loop(self, entry: int, members: set[int]) -> tuple[list[int], list[int]]:
        """A closed walk from ``entry`` inside the SCC covering every fair task; returned as
        the nodes after ``entry`` (ending with ``entry``) and the actions."""
        g = self.g
        nodes: list[int] = []
        acts: list[int] = []
        covered = g.all_tasks & ~g.enabled_mask[entry >> 1]
        cur = entry
        while covered != g.all_tasks:
            missing = g.all_tasks & ~covered
            path = self._bfs(cur, members,
                             node_goal=lambda n: bool(g.all_tasks & ~g.enabled_mask[n >> 1]
                                                      & missing),
                             edge_goal=lambda a, _w: bool(g.task_bit[a] & missing))
            for a, w in path:
                covered |= g.task_bit[a] | (g.all_tasks & ~g.enabled_mask[w >> 1])
                acts.append(a)
                nodes.append(w)
            cur = nodes[-1] if nodes else cur
        if cur != entry or not nodes:
            path = self._bfs(cur, members, node_goal=None,
                             edge_goal=lambda _a, w: w == entry)
            for a, w in path:
                acts.append(a)
                nodes.append(w)
        return nodes, acts

    def _bfs(self, start: int, members: set[int],
             node_goal: Callable[[int], bool] | None,
             edge_goal: Callable[[int, int], bool]) -> list[tuple[int, int]]:
        """Shortest path (as (action, node) steps) from ``start`` inside ``members`` to a node
        satisfying ``node_goal`` (tested when dequeued, so possibly ``start`` itself) or ending
        with an edge satisfying ``edge_goal``."""
        parent: dict[int, tuple[int, int] | None] = {start: None}
        q = deque([start])

        def back(end: int) -> list[tuple[int, int]]:
            path = []
            while parent[end] is not None:
                u, a = parent[end]  # type: ignore[misc]
                path.append((a, end))
                end = u
            path.reverse()
            return path

        while q:
            self.clock.tick()
            u = q.popleft()
            if node_goal is not None and node_goal(u):
                return back(u)
            for a, w in self.pending_succ(u):
                if w not in members:
                    continue
                if edge_goal(a, w):
                    return back(u) + [(a, w)]
                if w not in parent:
                    parent[w] = (u, a)
                    q.append(w)
        raise AssertionError("liveness: SCC walk found no path (not strongly connected?)")
