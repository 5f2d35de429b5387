"""The engine contract: what ``check(model, properties, ...)`` returns, per property.

Every engine -- the explicit search here in pyspec, the Z3 engines in checker.engines --
answers with one ``Outcome`` per property asked.  This module is the lowest layer they all
import, so the result type, its statuses and what a proof rests on (``Certificate``) live
here, next to the ``Engine`` protocol that states the contract.

Everything a reader needs is a field: the report formats, the verdict words and the
benchmark script read ``certificate`` and ``via`` and never take ``reason`` apart again.
``reason`` is prose for people (why ``unknown``; what a proof rests on, in words).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from flagcheck.pyspec.progress import ProgressHook
    from flagcheck.pyspec.trace import Trace
    from flagcheck.tlamodel.ir import Model

Status = Literal["violated", "holds", "unknown"]

#: longest invariant text put into a proof's ``reason`` (the certificate keeps all of it)
MAX_TEXT = 2000


@dataclass(frozen=True)
class Certificate:
    """What a proof by k-induction or PDR rests on, as data.

    Why a record rather than text: the terminal shows PDR's invariant, the JSON report
    carries the figures and the benchmark script tabulates them; each used to pattern-match
    the reason string, which broke silently whenever its wording changed.
    """
    method: Literal["k-induction", "pdr"]
    #: k-induction: the k at which the proof closed
    k: int | None = None
    #: k-induction closed on the init side ("no simple path from init longer than k")
    init_side: bool = False
    #: PDR: the inductive invariant in the design's names (type-range lemmas left out)
    invariant: str | None = None
    lemmas: int = 0            # PDR: top-level conjuncts of the invariant
    nodes: int = 0             # PDR: distinct Z3 term nodes of the invariant
    type_ranges: int = 0       # PDR: lemmas that only restate variable types
    rechecked: bool = False    # PDR: initiation, consecution, safety re-proved by a plain solver
    #: clauses of the mined invariant (checker.engines.invgen) the proof also used: the
    #: strengthening of k-induction's step case, or conjoined with PDR's invariant
    mined: int = 0

    def describe(self) -> str:
        """The proof in words, as ``Outcome.reason`` carries it (and JSON reports show)."""
        if self.method == "k-induction":
            text = f"k-induction, k={self.k}"
            if self.init_side:
                text += f" (no simple path from init longer than {self.k} steps)"
            if self.mined:
                text += (f"; step case strengthened by {self.mined} invariant "
                         f"clauses (checker.engines.invgen)")
            return text
        note = (f"{self.type_ranges} of them type ranges, " if self.type_ranges else "") + (
            "re-checked" if self.rechecked else "not re-checked: timeout")
        inv = self.invariant or ""
        shown = inv if len(inv) <= MAX_TEXT else inv[:MAX_TEXT] + " ..."
        mined = (f"; together with {self.mined} mined clauses (checker.engines.invgen)"
                 if self.mined else "")
        return (f"PDR; invariant ({self.lemmas} lemmas, {self.nodes} nodes, {note}): "
                f"{shown}{mined}")


@dataclass(frozen=True)
class Outcome:
    """One engine's answer for one property.

    ``holds`` with ``exhaustive=True`` means every reachable state was checked (a proof);
    ``holds`` with ``exhaustive=False`` means no violation within ``depth`` steps.
    ``unknown`` carries the reason (timeout, state limit, solver unknown) and how far the
    search got; it must never be reported as ``holds``.

    ``engine`` is the engine asked; when that is a strategy that hands the work on
    (``--engine auto``), ``via`` names the engine whose answer this is.  ``certificate``
    is what a k-induction or PDR proof rests on.
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
    certificate: Certificate | None = None
    via: str = ""
    #: ``states`` counts orbits: the explicit search stored one state per orbit of
    #: interchangeable tasks (pyspec.symmetry), not every state
    orbits: bool = False
    #: what the symmetry detection found, in words (the groups, and what broke one);
    #: "" when the engine did not look
    symmetry: str = ""

    @property
    def answered_by(self) -> str:
        """The engine whose search this answer is (``via`` under a strategy)."""
        return self.via or self.engine

    @property
    def label(self) -> str:
        """The engine as reports show it: ``explicit``, or ``auto→explicit`` under auto."""
        return f"{self.engine}→{self.via}" if self.via else self.engine


class Engine(Protocol):
    """The contract every engine runner keeps (checker.engines.registry holds them).

    Called with a model and the names of properties in it, an engine returns one
    ``Outcome`` per name asked, keyed by name: ``violated`` only with a trace (which the
    caller replays before believing it), ``holds`` + ``exhaustive`` only with a proof,
    ``unknown`` with a reason whenever a limit or the solver stopped it.  Runners are
    picklable (the ``auto`` race sends them to child processes) and report their figures
    to ``progress`` (pyspec.progress) as they go.
    """

    def __call__(self, model: Model, properties: list[str],
                 progress: ProgressHook | None = None) -> dict[str, Outcome]: ...
