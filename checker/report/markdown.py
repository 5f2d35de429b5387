"""``--format markdown``: a pull-request comment.

A verdict table, then each counterexample in a ``<details>`` block as a step table with
one column per task (the statement sits in the column of the task that stepped) and the
flags that changed in the last column; then coverage and vacuity warnings.
GitHub-flavoured Markdown: cells escape ``|`` and HTML, line breaks inside a cell are
``<br>``.
"""
from __future__ import annotations

import html

from flagcheck.checker.report import facts
from flagcheck.checker.report import Report
from flagcheck.checker.verdict import Verdict, expected_word

ICON = {"violated": "❌", "proved": "✅", "holds": "☑️", "unknown": "❔", "skipped": "➖"}


def cell(text: str) -> str:
    return html.escape(text, quote=False).replace("|", "\\|").replace("\n", "<br>")


def code(text: str) -> str:
    """Inline code inside a table cell (HTML, so that escaping works everywhere)."""
    return "<code>" + cell(text) + "</code>"


def table(head: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def expected(v: Verdict) -> str:
    if v.expected is None:
        return ""
    met = v.expectation_met()
    mark = " ✓" if met else " ✗ **MISMATCH**" if met is False else ""
    return expected_word(v) + mark


def verdict_table(verdicts: list[Verdict]) -> list[str]:
    rows = []
    for v in verdicts:
        o = v.outcome
        word = cell(v.word())
        if v.status == "violated":
            word = f"**{word}**"
        rows.append([cell(v.scenario), code(v.property), f"{ICON[v.status]} {word}",
                     cell(o.label) if o else "", f"{o.seconds:.2f}" if o else "",
                     cell(expected(v))])
    return table(["scenario", "property", "verdict", "engine", "seconds", "expected"], rows)


def counterexample(v: Verdict) -> list[str]:
    model = v.model
    assert model is not None and v.outcome is not None and v.outcome.trace is not None
    trace = v.outcome.trace
    tasks = list(model.tasks)
    rows = []
    for s in facts.steps(model, trace):
        lines = []
        for k, p in enumerate(s.parts):     # a merged step: each statement with its own label
            n = f"{k + 1}/{len(s.parts)} " if len(s.parts) > 1 else ""
            lines += [f"<sub>{n}{cell(p.function)}</sub>",
                      (f"<b>{cell(p.label)}:</b> " if p.label else "") + code(p.text)
                      + (f" {cell('->')} <b>{cell(p.branch)}</b>" if p.branch else "")]
            lines += [f"<sub>{cell(d)}</sub>" for d in p.notes()]
        mine = "<br>".join(lines)
        changed = "<br>".join(f"<b>{cell(c.var)}</b>: {cell(c.old)} → {cell(c.new)}"
                              for c in s.changes)
        rows.append([str(s.number)] + [mine if t == s.task else "" for t in tasks] + [changed])
    end = facts.ending(v)
    out = ["<details>",
           f"<summary><b>{cell(v.property)}</b> violated on <code>{cell(v.scenario)}</code>: "
           f"{trace.length} steps (replayed)</summary>", ""]
    try:
        doc = model.property(v.property).doc
    except KeyError:
        doc = ""
    if doc:
        out += [f"> {cell(doc)}", ""]
    out += table(["#", *map(cell, tasks), "changed"], rows)
    out += [""]
    if end.error:
        out += [f"**Run-time error:** {cell(end.error)}", ""]
    out += ["**At the end:**", ""]
    out += [f"- {cell(e.task)}: {cell(facts.where(e))}" for e in end.tasks]
    if end.values:
        out += ["", "**Values the property reads:**", ""]
        out += [f"- {cell(owner)}: {cell(', '.join(vals))}" for owner, vals in end.values.items()]
    out += ["", "</details>", ""]
    return out


def render(report: Report) -> str:
    vs = report.verdicts
    n_bad = sum(v.status == "violated" for v in vs)
    head = f"### flagcheck: design `{report.design}`"
    counts = ", ".join(f"{sum(v.status == s for v in vs)} {s}"
                       for s in ("violated", "proved", "holds", "unknown", "skipped")
                       if any(v.status == s for v in vs))
    out = [head, "", f"{len(vs)} verdicts: {counts}." if vs else "No verdicts.", ""]
    out += verdict_table(vs)
    out += [""]
    for v in vs:
        if v.status == "violated":
            out += counterexample(v)
    skipped = [v for v in vs if v.status == "skipped"]
    if skipped:
        out += ["<details><summary>not checked</summary>", ""]
        out += [f"- `{v.property}` on {cell(v.scenario)}: {cell(v.skipped)}" for v in skipped]
        out += ["", "</details>", ""]
    if report.coverage:
        out += ["<details><summary>coverage</summary>", ""]
        for c in report.coverage:
            out.append(f"- {cell(c.summary())}")
            out += [f"  - {cell(m)}" for m in c.unreached()]
        out += ["", "</details>", ""]
    for f in report.findings:
        out += [f"> ⚠️ **warning:** {cell(f.message)}", ""]
    if n_bad == 0 and not report.findings:
        out += ["No property is violated.", ""]
    return "\n".join(out)
