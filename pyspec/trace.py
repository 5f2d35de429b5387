"""The concrete world's trace: what every engine produces and what replay checks.

A trace is a run from an initial state: ``states[0]`` satisfies ``Model.init``, and
``states[i+1]`` is the result of firing action ``actions[i]`` in ``states[i]``.
States are tuples of values in ``Model.vars`` order, so they hash and compare cheaply.
"""
from __future__ import annotations

from dataclasses import dataclass

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

