"""How ``flagcheck mutate`` shows its results: text, Markdown and JSON.

Every format says the same three things, in this order: the score per design (so a gate
or a benchmark reads one number), the survivors with file:line and a one-line description
(what a new scenario should target), and every mutant's status (killed ones with the
property and counterexample depth that killed them).

JSON is ``flagcheck-mutate`` version 1 (docs/mutation.md): deterministic apart from the
``seconds`` fields.
"""
from __future__ import annotations

import json
from typing import Any

from flagcheck.checker.mutate.results import STATUSES, DesignMutation, Result
from flagcheck.checker.report import tool_version

FORMAT = "flagcheck-mutate"
VERSION = 1


def score_line(d: DesignMutation) -> str:
    """``notify-signal-5.11: mutation score 42.0% (50 of 119 killed)``."""
    return (f"{d.design}: mutation score {d.score:.1f}% ({d.count('killed')} of {d.scored} "
            "killed; equivalent and invalid mutants not counted)")


def counts_line(d: DesignMutation) -> str:
    return " · ".join(f"{s} {d.count(s)}" for s in STATUSES)


def how(r: Result) -> str:
    """The status in words: what killed it, or why it is not counted."""
    if r.kill is not None:
        return r.kill.describe()
    return r.reason


def render_text(runs: list[DesignMutation], quiet: bool = False) -> str:
    out: list[str] = []
    for d in runs:
        out.append(f"mutate {d.path}: {len(d.results)} mutants, {len(d.scenarios)} scenarios, "
                   f"engine {d.engine}, -j {d.jobs}, {d.seconds:.1f} s")
        out.append("  " + counts_line(d))
        out.append("  " + score_line(d))
        if not quiet:
            out.append("")
            rows = [("id", "status", "where", "operator", "mutant", "how")]
            rows += [(str(r.mutant.id), r.status, r.mutant.where, r.mutant.operator,
                      r.mutant.description, how(r)) for r in d.results]
            widths = [max(len(row[i]) for row in rows) for i in range(5)]
            for row in rows:
                out.append("  " + "  ".join(c.ljust(w) for c, w in zip(row[:5], widths))
                           + "  " + row[5])
        surv = d.survivors
        out.append("")
        if surv:
            out.append(f"  survivors ({len(surv)}): a bug of each shape passes every scenario")
            for r in surv:
                extra = f"  [{r.status}: {r.reason}]" if r.reason else ""
                out.append(f"    {r.mutant.where}: {r.mutant.description}{extra}")
        else:
            out.append("  no survivors")
        out.append("")
    return "\n".join(out)


def render_markdown(runs: list[DesignMutation]) -> str:
    out = ["## flagcheck mutate", "",
           "| design | mutants | killed | survived | equivalent-suspect | equivalent | "
           "unknown | invalid | score | seconds |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for d in runs:
        out.append(f"| `{d.design}` | {len(d.results)} | " + " | ".join(
            str(d.count(s)) for s in STATUSES) + f" | {d.score:.1f}% | {d.seconds:.1f} |")
    for d in runs:
        out += ["", f"### {d.design}: survivors", ""]
        if not d.survivors:
            out.append("none")
        else:
            out += ["| id | where | operator | mutant |", "|---|---|---|---|"]
            out += [f"| {r.mutant.id} | `{r.mutant.where}` | {r.mutant.operator} | "
                    f"{_md(r.mutant.description)} |" for r in d.survivors]
        out += ["", "<details><summary>every mutant</summary>", "",
                "| id | status | where | operator | mutant | how |", "|---|---|---|---|---|---|"]
        out += [f"| {r.mutant.id} | {r.status} | `{r.mutant.where}` | {r.mutant.operator} | "
                f"{_md(r.mutant.description)} | {_md(how(r))} |" for r in d.results]
        out += ["", "</details>"]
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def result_doc(r: Result) -> dict[str, Any]:
    m = r.mutant
    return {
        "id": m.id, "operator": m.operator, "status": r.status,
        "file": m.loc.file, "line": m.loc.line, "col": m.loc.col,
        "definition": {"kind": m.kind, "name": m.name},
        "description": m.description,
        "kill": None if r.kill is None else {
            "scenario": r.kill.scenario, "property": r.kill.property, "now": r.kill.now,
            "depth": r.kill.depth, "was": r.kill.was},
        "reason": r.reason or None,
        "states": dict(r.states),
        "seconds": round(r.seconds, 3),
    }


def design_doc(d: DesignMutation) -> dict[str, Any]:
    return {
        "design": d.design, "path": d.path, "scenarios": list(d.scenarios),
        "engine": d.engine, "jobs": d.jobs, "seconds": round(d.seconds, 3),
        "score": round(d.score, 2), "scored": d.scored,
        "counts": {s: d.count(s) for s in STATUSES},
        "baseline": [{"scenario": e.scenario, "states": e.states,
                      "verdicts": {p: {"status": s, "depth": k} for p, s, k in e.verdicts}}
                     for e in d.baseline],
        "mutants": [result_doc(r) for r in d.results],
    }


def render_json(runs: list[DesignMutation]) -> str:
    doc = {"format": FORMAT, "version": VERSION,
           "tool": {"name": "flagcheck", "version": tool_version()},
           "designs": [design_doc(d) for d in runs]}
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def render_mutation(fmt: str, runs: list[DesignMutation], quiet: bool = False) -> str:
    if fmt == "json":
        return render_json(runs)
    if fmt == "markdown":
        return render_markdown(runs)
    return render_text(runs, quiet)
