"""What ``flagcheck mutate`` found, as plain records: one ``Result`` per mutant, the
unmutated design's ``Expected`` verdicts per scenario, and a ``DesignMutation`` per design
with its score.

Apart from the runner (checker.mutate.run) so that the report formats
(checker/report/mutation.py) read results without importing the engines: renderers read,
they never run the model.  The statuses and the score are defined in checker.mutate.run's
docstring and docs/mutation.md.
"""
from __future__ import annotations

from dataclasses import dataclass

from flagcheck.checker.mutate.targets import Mutant

STATUSES = ("killed", "survived", "equivalent-suspect", "equivalent", "unknown", "invalid")


@dataclass(frozen=True)
class Kill:
    """The verdict that told the mutant apart: scenario, property, what it is now."""
    scenario: str
    property: str
    now: str                    # "violated" or "holds"
    depth: int | None           # counterexample depth when now == "violated"
    was: str

    def describe(self) -> str:
        if self.now == "violated":
            return (f"{self.property} violated at depth {self.depth} on {self.scenario}"
                    + (" (was violated at another depth)" if self.was == "violated" else ""))
        return f"{self.property} now holds on {self.scenario} (was {self.was})"


@dataclass(frozen=True)
class Result:
    """The judgement of one mutant."""
    mutant: Mutant
    status: str
    kill: Kill | None = None
    #: reachable states per scenario searched (identical models are not searched)
    states: tuple[tuple[str, int], ...] = ()
    reason: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class Expected:
    """One scenario of the unmutated design: its verdicts, states and model."""
    scenario: str
    verdicts: tuple[tuple[str, str, int | None], ...]    # property, status, depth
    states: int | None
    seconds: float
    #: properties whose expect: pins the depth (violated@N): another depth kills
    pinned: tuple[str, ...] = ()


@dataclass(frozen=True)
class DesignMutation:
    """Every mutant of one design, judged, with the unmutated design's baseline."""
    design: str
    path: str
    scenarios: tuple[str, ...]
    baseline: tuple[Expected, ...]
    results: tuple[Result, ...]
    seconds: float
    jobs: int
    engine: str

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def scored(self) -> int:
        return self.count("killed") + self.count("survived") + self.count("unknown")

    @property
    def score(self) -> float:
        """Killed / (killed + survived + unknown), as a percentage (100 when nothing counts)."""
        return 100.0 * self.count("killed") / self.scored if self.scored else 100.0

    @property
    def survivors(self) -> tuple[Result, ...]:
        return tuple(r for r in self.results if r.status in ("survived", "unknown"))
