"""``flagcheck gate``'s renderings of :class:`~flagcheck.checker.gate.GateComparison`.

The terminal report (rich), the pull-request comment (Markdown) and the
``flagcheck-gate`` JSON document; the headline sentence is shared by the first two.
"""
from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from flagcheck.checker.gate import CHANGES, GateComparison, gate_exit_code
from flagcheck.checker.regress import verdict_cell
from flagcheck.checker.verdict import Verdict

#: the width of the text report written to a file (--output)
FILE_WIDTH = 140

_STYLE = {"worse": "bold red", "better": "bold green", "unknown": "bold yellow",
          "unchanged": "", "undecided": "yellow", "not compared": "dim"}


def _word(v: Verdict | None) -> str:
    return "—" if v is None else v.word()


def _short(v: Verdict | None) -> str:
    return "—" if v is None else "not checked" if v.outcome is None else verdict_cell(v)


def gate_headline(c: GateComparison) -> str:
    """PASS / FAIL / UNKNOWN and the counts, in one sentence."""
    worse, better, unknown = c.having("worse"), c.having("better"), c.having("unknown")
    if worse:
        verdict = f"FAIL: {len(worse)} new violation(s)"
    elif unknown:
        verdict = f"UNKNOWN: {len(unknown)} needed verdict(s) undecided"
    else:
        verdict = "PASS: nothing got worse"
    return (f"{verdict}; {len(better)} better, {len(c.having('unchanged'))} unchanged "
            f"(base {c.base} → proposal {c.proposal})")


def render_gate_markdown(comparisons: list[GateComparison]) -> str:
    """A pull-request comment: what got worse, unknown or better in full, the rest folded
    into ``<details>``, then each new violation's counterexample."""
    from flagcheck.checker.report.markdown import cell, counterexample, table
    out = []
    for c in comparisons:
        out += [f"### flagcheck gate: `{c.base}` → `{c.proposal}`", "",
                f"**{cell(gate_headline(c))}**", ""]
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


def gate_document(comparisons: list[GateComparison]) -> dict[str, Any]:
    """``gate --format json``: ``flagcheck-gate`` version 1."""
    from flagcheck.checker.report.json import verdict_doc

    def vdoc(v: Verdict | None, file: str) -> dict[str, Any] | None:
        return None if v is None else verdict_doc(v, file)

    return {
        "format": "flagcheck-gate",
        "version": 1,
        "exit_code": gate_exit_code(comparisons),
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


def render_gate_text(comparisons: list[GateComparison], quiet: bool = False) -> str:
    """The terminal report as plain text at :data:`FILE_WIDTH` columns, for a file."""
    buf = io.StringIO()
    print_gate(Console(file=buf, width=FILE_WIDTH, no_color=True, color_system=None),
               comparisons, quiet)
    return buf.getvalue()


def print_gate(console: Console, comparisons: list[GateComparison], quiet: bool = False) -> None:
    """Every row sorted worst first, the worse/better/unknown lists, the new violations'
    counterexamples (unless ``quiet``) and the headline."""
    from flagcheck.checker.report.terminal import print_counterexample
    for c in comparisons:
        console.print(Text(f"flagcheck gate: base {c.base} ({c.base_file}) → proposal "
                           f"{c.proposal} ({c.proposal_file})", style="bold"))
        t = Table(box=None, header_style="bold", pad_edge=False)
        for col in ("scenario", "property", "base", "proposal", "change", "note"):
            t.add_column(col)
        order = {ch: i for i, ch in enumerate(CHANGES)}
        for r in sorted(c.rows, key=lambda r: order[r.change]):
            t.add_row(r.scenario, r.property, _short(r.base), _short(r.proposal),
                      Text(r.change, style=_STYLE[r.change]), r.note)
        console.print(t)
        for change, title in (("worse", "Worse (the base satisfies, the proposal violates)"),
                              ("better", "Better (the base violates, the proposal satisfies)"),
                              ("unknown", "Unknown (needed to decide)")):
            rows = c.having(change)
            console.print(Text(f"{title}: " + ("none" if not rows else ""), style="bold"))
            for r in rows:
                console.print(Text(f"  {r.scenario} / {r.property}: {_word(r.base)} → "
                                   f"{_word(r.proposal)}", style=_STYLE[change]))
        console.print(Text(f"Unchanged: {len(c.having('unchanged'))}", style="bold"))
        if not quiet:
            for r in c.having("worse"):
                if r.proposal is not None and r.proposal.model is not None:
                    print_counterexample(console, r.proposal)
        console.print(Text(gate_headline(c), style=_STYLE["worse"] if c.having("worse") else
                           _STYLE["unknown"] if c.having("unknown") else _STYLE["better"]))
