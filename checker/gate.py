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
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from flagcheck.checker.verify import Options, verify
from flagcheck.checker.verdict import EXIT_OK, EXIT_UNKNOWN, EXIT_VIOLATED, Verdict
from flagcheck.tlamodel.ir import Model
from flagcheck.tlamodel.load import Design, load_design

SATISFIED = ("holds", "proved")
CHANGES = ("worse", "unknown", "better", "undecided", "unchanged", "not compared")


@dataclass(frozen=True)
class Row:
    scenario: str
    property: str
    base: Verdict | None
    proposal: Verdict | None
    change: str
    note: str = ""


@dataclass
class Comparison:
    base: str
    base_file: str
    proposal: str
    proposal_file: str
    rows: list[Row] = field(default_factory=list)

    def having(self, change: str) -> list[Row]:
        return [r for r in self.rows if r.change == change]

    @property
    def exit_code(self) -> int:
        if self.having("worse"):
            return EXIT_VIOLATED
        if self.having("unknown"):
            return EXIT_UNKNOWN
        return EXIT_OK


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


def compare(base: Design, base_verdicts: list[Verdict], proposal: Design,
            proposal_verdicts: list[Verdict]) -> Comparison:
    bmap = {(v.scenario, v.property): v for v in base_verdicts}
    pmap = {(v.scenario, v.property): v for v in proposal_verdicts}
    keys: list[tuple[str, str]] = []
    for k in list(bmap) + list(pmap):
        if k not in keys:
            keys.append(k)
    c = Comparison(base.name, base.spec.path, proposal.name, proposal.spec.path)
    for k in keys:
        change, note = classify(bmap.get(k), pmap.get(k))
        c.rows.append(Row(k[0], k[1], bmap.get(k), pmap.get(k), change, note))
    return c


def run_gate(base_path: Path, proposal_paths: list[Path], opts: Options,
             allow: tuple[Path, ...] = (),
             on_model: Callable[[Model], None] | None = None) -> list[Comparison]:
    base = load_design(base_path, allow_paths=allow)
    proposals = [load_design(p, allow_paths=allow) for p in proposal_paths]
    out = []
    for prop in proposals:
        _, brefs, prefs = scenario_refs(base, prop)
        bv = verify(base, tuple(brefs), (), opts, on_model)
        pv = verify(prop, tuple(prefs), (), opts, on_model)
        out.append(compare(base, bv, prop, pv))
    return out


def exit_code(comparisons: list[Comparison]) -> int:
    codes = [c.exit_code for c in comparisons]
    if EXIT_VIOLATED in codes:
        return EXIT_VIOLATED
    if EXIT_UNKNOWN in codes:
        return EXIT_UNKNOWN
    return EXIT_OK


# ------------------------------------------------------------------ renderings
def _word(v: Verdict | None) -> str:
    return "—" if v is None else v.word()


def _short(v: Verdict | None) -> str:
    from flagcheck.checker.regress import cell
    return "—" if v is None else "not checked" if v.outcome is None else cell(v)


def headline(c: Comparison) -> str:
    worse, better, unknown = c.having("worse"), c.having("better"), c.having("unknown")
    if worse:
        verdict = f"FAIL: {len(worse)} new violation(s)"
    elif unknown:
        verdict = f"UNKNOWN: {len(unknown)} needed verdict(s) undecided"
    else:
        verdict = "PASS: nothing got worse"
    return (f"{verdict}; {len(better)} better, {len(c.having('unchanged'))} unchanged "
            f"(base {c.base} → proposal {c.proposal})")


def markdown(comparisons: list[Comparison]) -> str:
    from flagcheck.checker.report.markdown import cell, counterexample, table
    out = []
    for c in comparisons:
        out += [f"### flagcheck gate: `{c.base}` → `{c.proposal}`", "",
                f"**{cell(headline(c))}**", ""]
        for change, title in (("worse", "Worse (new violations)"), ("unknown", "Unknown"),
                              ("better", "Better"), ("unchanged", "Unchanged"),
                              ("undecided", "Undecided"), ("not compared", "Not compared")):
            rows = c.having(change)
            if not rows:
                continue
            body = table(["scenario", "property", "base", "proposal", "note"],
                         [[cell(r.scenario), f"<code>{cell(r.property)}</code>",
                           cell(_word(r.base)), cell(_word(r.proposal)), cell(r.note)]
                          for r in rows])
            if change in ("worse", "unknown", "better"):
                out += [f"#### {title}", "", *body, ""]
            else:
                out += [f"<details><summary>{title}: {len(rows)}</summary>", "", *body, "",
                        "</details>", ""]
        for r in c.having("worse"):
            if r.proposal is not None and r.proposal.model is not None:
                out += counterexample(r.proposal)
    return "\n".join(out)


def document(comparisons: list[Comparison]) -> dict[str, Any]:
    from flagcheck.checker.report.json import verdict_doc

    def vdoc(v: Verdict | None, file: str) -> dict[str, Any] | None:
        return None if v is None else verdict_doc(v, file)

    return {
        "format": "flagcheck-gate",
        "version": 1,
        "exit_code": exit_code(comparisons),
        "comparisons": [{
            "base": {"name": c.base, "file": c.base_file},
            "proposal": {"name": c.proposal, "file": c.proposal_file},
            "exit_code": c.exit_code,
            "summary": {ch: len(c.having(ch)) for ch in CHANGES},
            "rows": [{"scenario": r.scenario, "property": r.property, "change": r.change,
                      "note": r.note or None, "base": vdoc(r.base, c.base_file),
                      "proposal": vdoc(r.proposal, c.proposal_file)} for r in c.rows],
        } for c in comparisons],
    }


def print_text(console: Any, comparisons: list[Comparison], quiet: bool = False) -> None:
    from rich.table import Table
    from rich.text import Text

    from flagcheck.checker.report.terminal import print_counterexample
    style = {"worse": "bold red", "better": "bold green", "unknown": "bold yellow",
             "unchanged": "", "undecided": "yellow", "not compared": "dim"}
    for c in comparisons:
        console.print(Text(f"flagcheck gate: base {c.base} ({c.base_file}) → proposal "
                           f"{c.proposal} ({c.proposal_file})", style="bold"))
        t = Table(box=None, header_style="bold", pad_edge=False)
        for col in ("scenario", "property", "base", "proposal", "change", "note"):
            t.add_column(col)
        order = {ch: i for i, ch in enumerate(CHANGES)}
        for r in sorted(c.rows, key=lambda r: order[r.change]):
            t.add_row(r.scenario, r.property, _short(r.base), _short(r.proposal),
                      Text(r.change, style=style[r.change]), r.note)
        console.print(t)
        for change, title in (("worse", "Worse (the base satisfies, the proposal violates)"),
                              ("better", "Better (the base violates, the proposal satisfies)"),
                              ("unknown", "Unknown (needed to decide)")):
            rows = c.having(change)
            console.print(Text(f"{title}: " + ("none" if not rows else ""), style="bold"))
            for r in rows:
                console.print(Text(f"  {r.scenario} / {r.property}: {_word(r.base)} → "
                                   f"{_word(r.proposal)}", style=style[change]))
        console.print(Text(f"Unchanged: {len(c.having('unchanged'))}", style="bold"))
        if not quiet:
            for r in c.having("worse"):
                if r.proposal is not None and r.proposal.model is not None:
                    print_counterexample(console, r.proposal)
        console.print(Text(headline(c), style=style["worse"] if c.having("worse") else
                           style["unknown"] if c.having("unknown") else style["better"]))
