"""Concrete long runs: which "is there a run of k+1 steps?" questions need no solver.

Why: after each depth, BMC asks Z3 whether a run one step longer exists; "no" proves that
every run has been searched (the ``exhaustive`` verdict), "yes" just lets the search go on.
On the 3-task io_uring scenarios the "yes" answers were most of BMC's time (a long run of a
terminating scenario is a needle Z3 must find again at every depth: 14 of 24 s at depth 40
once the violation queries were cheap).  A run is easy to exhibit concretely, so the "yes"
answers come from here: the concrete semantics (pyspec.successors) walks a longest run, and
Z3 is only asked where no known run is long enough.  Only Z3's "no" is ever a proof; a run
from here only says that asking would have been answered "yes", which changes no verdict.

How: a depth-first search for a longest run from the initial states, memoising per state
the length of its longest continuation (a state graph without cycles gives the exact
longest run, in time linear in the states and edges visited), stopping at the first cycle
(a run as long as wanted) or after ``budget`` new states (the longest run seen so far).
A run found by Z3 is adopted and extended concretely, one enabled step at a time.
"""
from __future__ import annotations

import time
from typing import Iterator

from flagcheck.pyspec import successors
from flagcheck.pyspec.trace import State
from flagcheck.tlamodel.ir import Model

#: new states the depth-first search may visit (about 20-50 microseconds each)
BUDGET = 20_000


class LongRun:
    """The longest run of the model known so far, as a list of concrete states."""

    def __init__(self, model: Model, length: int, budget: int = BUDGET,
                 deadline: float | None = None) -> None:
        self.model = model
        #: time.monotonic() after which the search stops as if its budget had run out
        self.deadline = deadline
        #: a run (states 0..n), every step an enabled action of the model
        self.states: list[State] = []
        #: True when ``states`` is a longest run: no run has more steps
        self.longest = False
        self._search(length, budget)

    def covers(self, steps: int) -> bool:
        """A run of ``steps`` steps is known to exist."""
        return len(self.states) - 1 >= steps

    def adopt(self, states: list[State] | tuple[State, ...], steps: int) -> None:
        """Take a run found elsewhere (a Z3 model) if it is longer, and extend it concretely
        towards ``steps`` steps by the first enabled action of each state."""
        if len(states) > len(self.states):
            self.states = list(states)
        while not self.covers(steps):
            nxt = successors.enabled(self.model, self.states[-1])
            if not nxt:
                return
            self.states.append(successors.fire(self.model, nxt[0], self.states[-1]))

    # ------------------------------------------------------------ the search
    def _search(self, length: int, budget: int) -> None:
        memo: dict[State, tuple[int, State | None]] = {}
        starts: list[State] = []
        for start in successors.initial_states(self.model):
            if len(starts) >= budget:
                return
            starts.append(start)
            found = self._from(start, length, memo, budget - len(memo))
            if found is not None:          # a cycle, or the budget ran out
                if len(found) > len(self.states):
                    self.states = found
                return
        if not starts:
            return
        best = max(starts, key=lambda s: memo[s][0])
        self.states = self._unroll(best, memo, length)
        self.longest = memo[best][0] == len(self.states) - 1

    def _from(self, start: State, length: int, memo: dict[State, tuple[int, State | None]],
              budget: int) -> list[State] | None:
        """Fill ``memo`` with the states reachable from ``start``; return a run of
        ``length`` steps on a cycle, the longest path seen when ``budget`` runs out, or
        None when the search from ``start`` completed."""
        if start in memo:
            return None
        path: list[State] = [start]
        stack: list[Iterator[int]] = [iter(successors.enabled(self.model, start))]
        on_path = {start}
        seen = 0
        parent: dict[State, tuple[State, int] | None] = {start: None}
        deepest, depth = start, 0
        while stack:
            s = path[-1]
            a = next(stack[-1], None)
            if a is None:
                memo[s] = self._best_continuation(s, memo)
                stack.pop()
                path.pop()
                on_path.discard(s)
                continue
            t = successors.fire(self.model, a, s)
            if t in on_path:                       # a cycle: a run as long as wanted
                loop = path[path.index(t):]
                run = list(path)
                while len(run) - 1 < length:
                    run += loop
                return run[:length + 1]
            if t in memo:
                continue
            seen += 1
            if seen > budget or (seen % 256 == 0 and self._late()):
                return successors.path_back(parent, deepest)[0]
            parent[t] = (s, a)
            path.append(t)
            on_path.add(t)
            stack.append(iter(successors.enabled(self.model, t)))
            if len(path) - 1 > depth:
                deepest, depth = t, len(path) - 1
        return None

    def _late(self) -> bool:
        return self.deadline is not None and time.monotonic() > self.deadline

    def _best_continuation(self, s: State,
                           memo: dict[State, tuple[int, State | None]]) -> tuple[int, State | None]:
        best: tuple[int, State | None] = (0, None)
        for a in successors.enabled(self.model, s):
            t = successors.fire(self.model, a, s)
            if memo[t][0] + 1 > best[0]:
                best = (memo[t][0] + 1, t)
        return best

    @staticmethod
    def _unroll(start: State, memo: dict[State, tuple[int, State | None]],
                length: int) -> list[State]:
        run = [start]
        while len(run) - 1 < length:
            nxt = memo[run[-1]][1]
            if nxt is None:
                break
            run.append(nxt)
        return run
