"""Verdicts: one engine outcome judged for one design × scenario × property.

The words are the product's contract (docs/properties.md#verdict-words): only a
replayed counterexample is ``violated``; only an exhausted state space is ``proved``; a
bounded search says how far it looked; a limit says ``unknown`` and why.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from flagcheck.pyspec.endofrun import EndOfRun
from flagcheck.pyspec.outcome import Outcome
from flagcheck.tlamodel.ir import Model
from flagcheck.tlamodel.spec import Expectation, SpecFile


@dataclass(frozen=True)
class Verdict:
    design: str
    scenario: str
    property: str
    outcome: Outcome | None = None      # None: not checked (see skipped)
    skipped: str = ""
    expected: Expectation | None = None
    model: Model | None = field(default=None, compare=False, repr=False)
    #: the scenario checked: passes after the check (coverage) use it rather than look the
    #: name up in the design, which need not list it (verify --scenario FILE)
    spec: SpecFile | None = field(default=None, compare=False, repr=False)
    #: for a violated verdict: the end of its counterexample as the replay found it (who
    #: can step, who is blocked where); the reports read it instead of running the model
    end: EndOfRun | None = field(default=None, compare=False, repr=False)

    @property
    def status(self) -> str:
        """violated / proved / holds / unknown / skipped."""
        o = self.outcome
        if o is None:
            return "skipped"
        if o.status == "holds":
            return "proved" if o.exhaustive else "holds"
        return o.status

    def word(self) -> str:
        o = self.outcome
        if o is None:
            return "not checked"
        if o.status == "violated":
            return f"violated (depth {o.depth})"
        if o.status == "holds" and o.exhaustive:
            base = o.answered_by
            if base == "explicit":
                return f"proved (explicit, {o.states} states{' (orbits)' if o.orbits else ''})"
            if base == "kind":
                return f"proved (k-induction, k={o.depth})"
            if base == "pdr":
                return "proved (PDR)"
            return f"proved ({base}: no run is longer than {o.depth} steps)"
        if o.status == "holds":
            return f"holds up to depth {o.depth}"
        depth = f"; reached depth {o.depth}" if o.depth >= 0 else ""
        states = f", {o.states} states{' (orbits)' if o.orbits else ''}" if o.states else ""
        return f"unknown ({o.reason}{depth}{states})"

    def expectation_met(self) -> bool | None:
        """None when nothing was expected or nothing was decided."""
        e = self.expected
        if e is None or self.status in ("skipped", "unknown"):
            return None
        if e.verdict == "violated":
            if self.status != "violated":
                return False
            return e.depth is None or (self.outcome is not None and self.outcome.depth == e.depth)
        return self.status in ("holds", "proved")


EXIT_OK, EXIT_VIOLATED, EXIT_USAGE, EXIT_UNKNOWN = 0, 1, 2, 3


def fold_exit(codes: Iterable[int]) -> int:
    """The worst of several exit codes: violated before unknown before ok.

    Every command that decides over many things (verdicts, designs, expectations, gate
    comparisons) folds their codes with this one rule, so "1 before 3 before 0" is
    written once."""
    seen = set(codes)
    if EXIT_VIOLATED in seen:
        return EXIT_VIOLATED
    if EXIT_UNKNOWN in seen:
        return EXIT_UNKNOWN
    return EXIT_OK


#: a verdict's own exit code; skipped, holds and proved are all ok
_STATUS_EXIT = {"violated": EXIT_VIOLATED, "unknown": EXIT_UNKNOWN}


def exit_code(verdicts: list[Verdict]) -> int:
    """0 nothing violated and nothing unknown; 1 something violated; 3 unknown, none violated."""
    return fold_exit(_STATUS_EXIT.get(v.status, EXIT_OK) for v in verdicts)


def expected_word(v: Verdict, missing: str = "—") -> str:
    """What the design's ``expect:`` block asks of ``v`` ("violated@16", "holds"), or
    ``missing`` when it lists nothing: every renderer of expectations shares this form."""
    e = v.expected
    if e is None:
        return missing
    return e.verdict + (f"@{e.depth}" if e.depth is not None else "")
