"""Event properties for the statement compiler: ``on: "LABEL: cond"``.

Why: some contracts are about a moment, not a state -- "when copy_process() fails, the caller
has a real signal pending" -- and writing them as invariants needs a ghost variable recorded
at that moment.  An event property names the statement (by its label) and the condition
that must hold each time it executes, in the state just before it runs.

Lowered like ``assert``: every action that executes a statement labelled LABEL gets the
run-time error "event P: ..." when the condition is false, so the run stops there and the
counterexample ends at that step; the property is the invariant "that error never happens"
(tlamodel.load).  A property that is not checked in a run adds nothing to its model.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.fold import op
from flagcheck.tlamodel.lower import Lowerer
from flagcheck.tlamodel.records import PropSpec

if TYPE_CHECKING:
    from flagcheck.tlamodel.cfg import Frame, Path


class EventMixin:
    """``event_checks`` of TaskCompiler (see the module docstring)."""
    low: Lowerer
    errors: Any
    #: the checked event properties, by the label they watch
    events: dict[str, list[PropSpec]]

    def reader(self, path: "Path") -> Any:
        raise NotImplementedError

    def test_events(self, label: str | None, frame: "Frame") -> list[tuple[Any, str]]:
        """The checks for an ``if``/``while`` test labelled ``label`` (made in its state)."""
        from flagcheck.tlamodel.cfg import Path
        from flagcheck.tlamodel.ir import TRUE
        path = Path(TRUE, {}, [], [])
        self.event_checks(label, path, frame)
        return path.errors

    def check_step(self, label: str | None, what: str, loc: Any) -> None:
        """An event watching ``label`` needs the labelled statement to be a step."""
        for p in self.events.get(label or "", ()):
            raise DesignError(f"event property {p.name} watches '{label}', which labels {what}, "
                              "not a step", loc, hint="label an assignment, an atomic block, "
                              "await, assert, or the test of an if or while")

    def event_checks(self, label: str | None, path: "Path", frame: "Frame") -> None:
        """Add to ``path`` the check of every event property watching ``label``."""
        for p in self.events.get(label or "", ()):
            assert p.expr is not None
            c = self.low.cond(p.expr, frame.env, self.reader(path))
            if c.op == "const" and c.value:
                continue
            msg = f"event {p.name}: {label} ran with its condition false ({p.loc})"
            self.errors.owner[msg] = p.name
            path.errors.append((op("not", c), msg))
