"""``flagcheck gate``: does a proposal make anything worse than the base design?

Both designs are checked on the same scenarios — the union of the scenarios either design
lists, each run on both — and every scenario × property that both check is classified:

=============  ===============================================================================
worse          the base satisfies it (holds or proved) and the proposal violates it: the gate fails
better         the base violates it and the proposal satisfies it
unchanged      both satisfy it, or both violate it
unknown        needed and undecided: the proposal is unknown where the base is not violated, or
               the base is unknown where the proposal is violated (is the violation new?)
undecided      one side is unknown but it cannot change the result (base violated, or the
               proposal satisfies it)
not compared   only one design checks it, or a scenario skips it
=============  ===============================================================================

Exit code: 1 if anything is worse, else 3 if anything is unknown, else 0.  A violation the
base already has does not fail the gate: that is what makes it usable on a known-bad base.

Only the logic lives here; checker/report/gate.py renders the comparisons.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from flagcheck.checker.verify import Options, verify
from flagcheck.checker.verdict import EXIT_OK, EXIT_UNKNOWN, EXIT_VIOLATED, Verdict, fold_exit
from flagcheck.tlamodel.ir import Model
from flagcheck.tlamodel.load import Design, load_design

SATISFIED = ("holds", "proved")
CHANGES = ("worse", "unknown", "better", "undecided", "unchanged", "not compared")
#: a row's exit code: only a new violation fails, only a needed unknown is unknown
_CHANGE_EXIT = {"worse": EXIT_VIOLATED, "unknown": EXIT_UNKNOWN}


@dataclass(frozen=True)
class Row:
    scenario: str
    property: str
    base: Verdict | None
    proposal: Verdict | None
    change: str
    note: str = ""


@dataclass
class GateComparison:
    """One proposal against the base: a classified row per scenario × property."""
    base: str
    base_file: str
    proposal: str
    proposal_file: str
    rows: list[Row] = field(default_factory=list)

    def having(self, change: str) -> list[Row]:
        return [r for r in self.rows if r.change == change]

    @property
    def exit_code(self) -> int:
        return fold_exit(_CHANGE_EXIT.get(r.change, EXIT_OK) for r in self.rows)


def classify(b: Verdict | None, p: Verdict | None) -> tuple[str, str]:
    if b is None or p is None:
        return "not compared", "only the " + ("proposal" if b is None else "base") + " checks it"
    if b.status == "skipped" or p.status == "skipped":
        if b.status == p.status:
            return "not compared", "the scenario skips it"
        which = "base" if b.status == "skipped" else "proposal"
        return "not compared", f"the scenario skips it for the {which}"
    bs, ps = b.status, p.status
    if bs in SATISFIED and ps == "violated":
        return "worse", "new violation"
    if bs == "violated" and ps in SATISFIED:
        return "better", "fixed"
    if bs == "violated" and ps == "violated":
        bd, pd = b.outcome.depth, p.outcome.depth   # type: ignore[union-attr]
        return "unchanged", "still violated" + (f" (depth {bd} → {pd})" if bd != pd else "")
    if bs in SATISFIED and ps in SATISFIED:
        weaker = bs == "proved" and ps == "holds"
        return "unchanged", "holds on the proposal only up to its bound" if weaker else ""
    if ps == "unknown" and bs != "violated":
        return "unknown", "the proposal's verdict is unknown, so it may be a new violation"
    if bs == "unknown" and ps == "violated":
        return "unknown", "the base's verdict is unknown, so this violation may not be new"
    return "undecided", "one side is unknown, which cannot make the proposal worse"


def scenario_refs(base: Design, proposal: Design) -> tuple[list[str], list[str], list[str]]:
    """Names of the union of both scenario lists, and how each design refers to them."""
    names: list[str] = []
    files: dict[str, str] = {}
    for d in (base, proposal):
        for s in d.scenarios:
            if s.name not in files:
                names.append(s.name)
                files[s.name] = str(Path(s.path).resolve())

    def refs(d: Design) -> list[str]:
        own = {s.name for s in d.scenarios}
        return [n if n in own else files[n] for n in names]

    return names, refs(base), refs(proposal)


def compare_to_base(base: Design, base_verdicts: list[Verdict], proposal: Design,
                    proposal_verdicts: list[Verdict]) -> GateComparison:
    """Classify every scenario × property either design checked, in first-seen order."""
    bmap = {(v.scenario, v.property): v for v in base_verdicts}
    pmap = {(v.scenario, v.property): v for v in proposal_verdicts}
    keys: list[tuple[str, str]] = []
    for k in list(bmap) + list(pmap):
        if k not in keys:
            keys.append(k)
    c = GateComparison(base.name, base.spec.path, proposal.name, proposal.spec.path)
    for k in keys:
        change, note = classify(bmap.get(k), pmap.get(k))
        c.rows.append(Row(k[0], k[1], bmap.get(k), pmap.get(k), change, note))
    return c


def run_gate(base_path: Path, proposal_paths: list[Path], opts: Options,
             allow: tuple[Path, ...] = (),
             on_model: Callable[[Model], None] | None = None,
             params: dict[str, int] | None = None) -> list[GateComparison]:
    """Check the base and each proposal on the union of their scenarios; every file is
    loaded before any search, so a bad proposal fails at once.  ``params``: --param."""
    base = load_design(base_path, allow_paths=allow, params=params)
    proposals = [load_design(p, allow_paths=allow, params=params) for p in proposal_paths]
    refs = [scenario_refs(base, prop) for prop in proposals]
    if params:      # every listed scenario is read by now: refuse a --param none declares
        base.check_params(proposals)
    out = []
    for prop, (_, brefs, prefs) in zip(proposals, refs):
        bv = verify(base, tuple(brefs), (), opts, on_model)
        pv = verify(prop, tuple(prefs), (), opts, on_model)
        out.append(compare_to_base(base, bv, prop, pv))
    return out


def gate_exit_code(comparisons: list[GateComparison]) -> int:
    """The gate's exit code over every proposal: the worst of theirs."""
    return fold_exit(c.exit_code for c in comparisons)
