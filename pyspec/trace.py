"""The concrete world's trace: what every engine produces and what replay checks.

A trace is a run from an initial state: ``states[0]`` satisfies ``Model.init``, and
``states[i+1]`` is the result of firing action ``actions[i]`` in ``states[i]``.
States are tuples of values in ``Model.vars`` order, so they hash and compare cheaply.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from flagcheck.tlamodel.ir import Value

State = tuple[Value, ...]


@dataclass(frozen=True)
class Trace:
    states: tuple[State, ...]
    actions: tuple[int, ...]
    #: for lasso counterexamples (liveness): index of the state the loop returns to
    loop_start: int | None = None

    def __post_init__(self) -> None:
        if len(self.states) != len(self.actions) + 1:
            raise ValueError("a trace has one more state than actions")

    @property
    def length(self) -> int:
        """Number of steps (the counterexample depth)."""
        return len(self.actions)


Status = Literal["violated", "holds", "unknown"]


@dataclass(frozen=True)
class Outcome:
    """One engine's answer for one property.

    ``holds`` with ``exhaustive=True`` means every reachable state was checked (a proof);
    ``holds`` with ``exhaustive=False`` means no violation within ``depth`` steps.
    ``unknown`` carries the reason (timeout, state limit, solver unknown) and how far the
    search got; it must never be reported as ``holds``.
    """
    property: str
    status: Status
    depth: int
    exhaustive: bool = False
    trace: Trace | None = None
    states: int | None = None
    seconds: float = 0.0
    engine: str = ""
    reason: str = ""
