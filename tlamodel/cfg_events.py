"""Event properties for the statement compiler: ``on: "LABEL: cond"``.

Why: some contracts are about a moment, not a state -- "when copy_process() fails, the caller
has a real signal pending" -- and writing them as invariants needs a ghost variable recorded
at that moment.  An event property names the statement (by its label) and the condition
that must hold each time it executes, in the state just before it runs.

Lowered to a ghost flag: every action that executes a statement labelled LABEL sets the
per-property flag ``__event_P`` when the condition is false (in the state before it), and
the property is the invariant "the flag is clear" (tlamodel.load), so the shortest
counterexample ends at that step.  The run goes on (unlike a failed assert), so an event
violation hides no other property's violation.  Every event property of the design is
compiled into every model, checked or not, so the model -- and the reduction, and with it
every depth -- does not depend on which properties a run checks.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.fold import op
from flagcheck.tlamodel.lower import Lowerer
from flagcheck.tlamodel.records import PropSpec

if TYPE_CHECKING:
    from flagcheck.tlamodel.cfg import Frame, Path


def event_flag(prop: str) -> str:
    """The ghost variable event property ``prop`` sets when violated (``__`` names are
    flagcheck's own)."""
    return f"__event_{prop}"


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
            flag = event_flag(p.name)
            path.sigma[flag] = op("or", self.reader(path)(flag), op("not", c))
