"""``--format sarif``: SARIF 2.1.0 for code-scanning UIs (GitHub, VS Code SARIF viewer).

* one ``result`` per violated property (``ruleId`` = the property name, level ``error``),
  its message the verdict and a short summary of the trace;
* its location: the design file, at the first step of the trace whose statement is written
  in the design file itself (an overridden procedure) rather than in the library it
  extends; else the design's first own definition or procedure; else line 1.  The other
  design-file steps are ``relatedLocations``;
* ``codeFlows``: one ``threadFlow`` per task, whose ``threadFlowLocations`` are that task's
  steps; ``executionOrder`` is the step number, so the interleaving can be rebuilt, and
  ``state`` holds the flags the step changed;
* vacuity warnings (``--strict`` findings) are results of rule ``flagcheck.vacuity`` at
  level ``warning``, located at the statement that was never reached.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from checker import tracefmt
from checker.formats import Report, tool_version
from checker.formats.json import dumps
from checker.verdict import Verdict
from tlamodel.ir import SourceLoc

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
VACUITY_RULE = "flagcheck.vacuity"


def uri(path: str) -> str:
    p = Path(path)
    return p.resolve().as_uri() if p.is_absolute() else p.as_posix()


def physical(file: str, line: int = 1, col: int | None = None) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": max(1, line)}
    if col is not None and col >= 1:
        region["startColumn"] = col
    return {"physicalLocation": {"artifactLocation": {"uri": uri(file)}, "region": region}}


def loc_of(loc: SourceLoc, message: str | None = None) -> dict[str, Any]:
    out = physical(loc.file, loc.line, loc.col)
    if message:
        out["message"] = {"text": message}
    return out


def primary_location(report: Report, v: Verdict) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The design-file location a code-scanning UI should point at, and the others."""
    assert v.model is not None and v.outcome is not None and v.outcome.trace is not None
    own = [s for s in tracefmt.steps(v.model, v.outcome.trace)
           if s.loc is not None and tracefmt.same_file(s.loc.file, report.design_file)]
    seen: set[tuple[int, int]] = set()
    places = []
    for s in own:
        assert s.loc is not None
        if (s.loc.line, s.loc.col) in seen:
            continue
        seen.add((s.loc.line, s.loc.col))
        fn = s.stack[-1] if s.stack else "task code"
        places.append(loc_of(SourceLoc(report.design_file, s.loc.line, s.loc.col),
                             f"step {s.number}: {s.task} in {fn}: {s.text}"))
    if places:
        return places[0], places[1:]
    if report.own_definitions:
        name, loc = min(report.own_definitions.items(), key=lambda kv: (kv[1].line, kv[1].col))
        return loc_of(SourceLoc(report.design_file, loc.line, loc.col),
                      f"{name}, defined by this design"), []
    return physical(report.design_file, 1), []


def code_flow(v: Verdict) -> dict[str, Any]:
    assert v.model is not None and v.outcome is not None and v.outcome.trace is not None
    rows = tracefmt.steps(v.model, v.outcome.trace)
    flows = []
    for task in v.model.tasks:
        locs = []
        for s in rows:
            if s.task != task:
                continue
            if s.loc is not None:
                where = loc_of(s.loc, f"{s.task}: {s.function}: {s.text}")
            else:
                where = {"message": {"text": f"{s.task}: {s.function}: {s.text}"}}
            tfl: dict[str, Any] = {"location": where, "executionOrder": s.number,
                                   "nestingLevel": max(0, len(s.stack) - 1)}
            if s.changes:
                tfl["state"] = {c.var: {"text": f"{c.old} → {c.new}"} for c in s.changes}
            locs.append(tfl)
        if locs:
            flows.append({"id": task, "message": {"text": f"task {task}"}, "locations": locs})
    return {"message": {"text": f"{v.property} violated on {v.scenario}: "
                                f"{v.outcome.trace.length} steps"},
            "threadFlows": flows}


def rules(report: Report) -> list[dict[str, Any]]:
    out = []
    for v in report.verdicts:
        if v.status != "violated" or any(r["id"] == v.property for r in out):
            continue
        doc = ""
        if v.model is not None:
            try:
                doc = v.model.property(v.property).doc
            except KeyError:
                pass
        rule: dict[str, Any] = {"id": v.property, "name": v.property,
                                "shortDescription": {"text": f"property {v.property}"},
                                "defaultConfiguration": {"level": "error"}}
        if doc:
            rule["fullDescription"] = {"text": doc}
        out.append(rule)
    if report.findings:
        out.append({"id": VACUITY_RULE, "name": "vacuity",
                    "shortDescription": {"text": "a property may hold vacuously"},
                    "fullDescription": {"text": "A statement of a task's code never runs in "
                                        "any reachable state, or an invariant reads only "
                                        "variables that never change."},
                    "defaultConfiguration": {"level": "warning"}})
    return out


def document(report: Report) -> dict[str, Any]:
    rule_list = rules(report)
    index = {r["id"]: i for i, r in enumerate(rule_list)}
    results = []
    for v in report.verdicts:
        if v.status != "violated" or v.model is None:
            continue
        primary, related = primary_location(report, v)
        result: dict[str, Any] = {
            "ruleId": v.property, "ruleIndex": index[v.property], "level": "error",
            "kind": "fail",
            "message": {"text": tracefmt.summary(v.model, v, report.design_file)},
            "locations": [primary],
            "codeFlows": [code_flow(v)],
            "partialFingerprints": {"flagcheck/v1": f"{v.design}/{v.scenario}/{v.property}"},
            "properties": {"design": v.design, "scenario": v.scenario,
                           "depth": v.outcome.depth if v.outcome else None},
        }
        if related:
            result["relatedLocations"] = [dict(r, id=i) for i, r in enumerate(related)]
        results.append(result)
    for f in report.findings:
        where = loc_of(f.loc) if f.loc is not None else physical(report.design_file, 1)
        results.append({"ruleId": VACUITY_RULE, "ruleIndex": index[VACUITY_RULE],
                        "level": "warning", "message": {"text": f.message},
                        "locations": [where],
                        "properties": {"scenario": f.scenario, "kind": f.kind}})
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "flagcheck", "version": tool_version(),
                            "rules": rule_list}},
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    if report.exit_code is not None:
        run["invocations"] = [{"executionSuccessful": True, "exitCode": report.exit_code}]
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def render(report: Report) -> str:
    return dumps(document(report))
