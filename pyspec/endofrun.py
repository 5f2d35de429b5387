"""What the last state of a replayed counterexample says about its tasks.

Why a module of its own: the replay (pyspec.replay) establishes these facts while it
re-executes the trace, and every report shows them ("At the end: T in schedule (cannot
step)").  Keeping the record apart from the replay lets the reports import it without
loading the semantics (compiled successor functions, the evaluator): a renderer reads
what the replay found and never runs the model again.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from flagcheck.tlamodel.ir import StepInfo


@dataclass(frozen=True)
class EndOfRun:
    """The end of a counterexample, as its replay found it.

    ``enabled``: the actions that can fire in the last state (indices into
    ``Model.actions``, model order); ``enabled_tasks``: their tasks.  ``finished``: the
    tasks whose program counter is at their "finished" statement.  ``blocked``: every
    other task (it cannot step), mapped to the statement it is really waiting at when the
    reduction hid that statement behind a private one at its program counter (a part of a
    merged step), or to None when the statement at its program counter is the one.
    ``violated_instance``: for a liveness property, the obligation the lasso violates
    (an index into ``Liveness.instances``); None for the other kinds."""
    enabled: tuple[int, ...]
    enabled_tasks: frozenset[str]
    finished: frozenset[str]
    blocked: Mapping[str, StepInfo | None] = field(default_factory=dict)
    violated_instance: int | None = None
