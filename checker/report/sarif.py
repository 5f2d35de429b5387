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
  level ``warning``, located at the statement that was never reached;
* every ``artifactLocation`` (results, related locations, codeFlows, suppressions) is
  relative to ``%SRCROOT%`` (the working directory, recorded in ``originalUriBaseIds``), so
  code scanning maps it onto the checkout wherever the runner put it; only a file outside
  that folder keeps an absolute ``file://`` URI.

Judged reports (``flagcheck test``, ``Report.judged``) compare each verdict with the
design's ``expect:`` block, so code scanning shows only regressions:

* a violation the design expects carries a ``suppressions`` entry (kind ``inSource``, its
  justification the ``expect:`` line, its location that line): viewers hide it, and a
  workflow can drop it before uploading;
* every other result has ``suppressions: []`` (SARIF wants all or none of a run's results
  to say);
* an expectation the verdict does not meet without a counterexample to show (expected
  violated, found none; or no expectation at all) is a result of rule
  ``flagcheck.expectation`` at the ``expect:`` line (or the design's first line).

Several designs (``flagcheck test specs/``) make one run: GitHub takes one run per tool
and category in an upload.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flagcheck.checker.report import facts
from flagcheck.checker.report import Report, tool_version
from flagcheck.checker.report.json import dumps
from flagcheck.checker.verdict import Verdict, expected_word
from flagcheck.tlamodel.errors import _source_line
from flagcheck.tlamodel.ir import SourceLoc

#: a result's message must say when the design expects nothing of a verdict
NO_EXPECTATION = "nothing (no expect: entry)"

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
VACUITY_RULE = "flagcheck.vacuity"
EXPECTATION_RULE = "flagcheck.expectation"
SRCROOT = "%SRCROOT%"


def artifact(path: str) -> dict[str, Any]:
    """An artifactLocation relative to %SRCROOT% (the working directory).

    Relative design paths are relative to the working directory already; absolute ones
    (library files found through ``extends:``) are made relative when they lie under it,
    so one file never appears under two URIs in one log."""
    root = Path(os.getcwd())
    for p in (Path(os.path.abspath(path)), Path(path).resolve()):
        try:
            rel = p.relative_to(root)
        except ValueError:
            continue
        return {"uri": quote(rel.as_posix()), "uriBaseId": SRCROOT}
    return {"uri": Path(path).resolve().as_uri()}


def uri(path: str) -> str:
    return str(artifact(path)["uri"])


def physical(file: str, line: int = 1, col: int | None = None) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": max(1, line)}
    if col is not None and col >= 1:
        region["startColumn"] = col
    return {"physicalLocation": {"artifactLocation": artifact(file), "region": region}}


def loc_of(loc: SourceLoc, message: str | None = None) -> dict[str, Any]:
    out = physical(loc.file, loc.line, loc.col)
    if message:
        out["message"] = {"text": message}
    return out


def primary_location(report: Report, v: Verdict) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The design-file location a code-scanning UI should point at, and the others."""
    assert v.model is not None and v.outcome is not None and v.outcome.trace is not None
    own = [s for s in facts.steps(v.model, v.outcome.trace)
           if s.loc is not None and facts.same_file(s.loc.file, report.design_file)]
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
    rows = facts.steps(v.model, v.outcome.trace)
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


def _property_rule(v: Verdict) -> dict[str, Any]:
    doc = ""
    if v.model is not None:
        try:
            doc = v.model.property(v.property).doc
        except KeyError:
            pass
    return _rule(v.property, v.property, f"property {v.property}", doc, "error")


def _rule(rule_id: str, name: str, short: str, full: str, level: str) -> dict[str, Any]:
    """A reportingDescriptor; ``full`` is left out when empty (SARIF wants it non-empty)."""
    rule: dict[str, Any] = {"id": rule_id, "name": name, "shortDescription": {"text": short}}
    if full:
        rule["fullDescription"] = {"text": full}
    rule["defaultConfiguration"] = {"level": level}
    return rule


def _expectation_failed(report: Report, v: Verdict) -> bool:
    """A judged verdict that fails ``flagcheck test`` and has no counterexample to show."""
    if not report.judged or v.status in ("violated", "skipped", "unknown"):
        return False
    return v.expected is None or v.expectation_met() is False


def rules(*reports: Report) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for report in reports:
        for v in report.verdicts:
            if v.status == "violated" and not any(r["id"] == v.property for r in out):
                out.append(_property_rule(v))
    if any(_expectation_failed(r, v) for r in reports for v in r.verdicts):
        out.append(_rule(EXPECTATION_RULE, "expectation",
                         "a verdict differs from the design's expect:",
                         "The design's expect: block states the verdict this scenario and "
                         "property should get; the check found another (or the block does "
                         "not list it).", "error"))
    if any(r.findings for r in reports):
        out.append(_rule(VACUITY_RULE, "vacuity", "a property may hold vacuously",
                         "A statement of a task's code never runs in any reachable state, "
                         "or an invariant reads only variables that never change.", "warning"))
    return out


def suppression(v: Verdict) -> dict[str, Any]:
    """The suppression of a violation the design's ``expect:`` block asks for."""
    e = v.expected
    assert e is not None
    line = (_source_line(e.loc) or "").strip()
    want = expected_word(v, NO_EXPECTATION)
    return {"kind": "inSource", "status": "accepted",
            "justification": line or f"expect: {v.scenario}: {{{v.property}: {want}}}",
            "location": physical(e.loc.file, e.loc.line, e.loc.col)}


def _violation(report: Report, v: Verdict, index: dict[str, int]) -> dict[str, Any]:
    assert v.model is not None
    primary, related = primary_location(report, v)
    text = facts.summary(v.model, v, report.design_file)
    result: dict[str, Any] = {
        "ruleId": v.property, "ruleIndex": index[v.property], "level": "error",
        "kind": "fail",
        "message": {"text": text},
        "locations": [primary],
        "codeFlows": [code_flow(v)],
        "partialFingerprints": {"flagcheck/v1": f"{v.design}/{v.scenario}/{v.property}"},
        "properties": {"design": v.design, "scenario": v.scenario,
                       "depth": v.outcome.depth if v.outcome else None},
    }
    if related:
        result["relatedLocations"] = [dict(r, id=i) for i, r in enumerate(related)]
    if report.judged:
        met = v.expectation_met()
        want = expected_word(v, NO_EXPECTATION)
        result["properties"]["expected"] = want
        if met:
            result["suppressions"] = [suppression(v)]
            result["message"]["text"] = text + " Expected by the design's expect: block."
        else:
            result["suppressions"] = []
            result["message"]["text"] = text + f" The design expects {want}."
    return result


def _expectation_result(report: Report, v: Verdict, index: dict[str, int]) -> dict[str, Any]:
    e = v.expected
    where = physical(e.loc.file, e.loc.line, e.loc.col) if e is not None else \
        physical(report.design_file, 1)
    want = expected_word(v, NO_EXPECTATION)
    return {"ruleId": EXPECTATION_RULE, "ruleIndex": index[EXPECTATION_RULE], "level": "error",
            "kind": "fail",
            "message": {"text": f"{v.property} on {v.scenario}: expected {want}, "
                                f"got {v.word()}"},
            "locations": [where],
            "partialFingerprints": {"flagcheck/v1": f"{v.design}/{v.scenario}/{v.property}/expect"},
            "properties": {"design": v.design, "scenario": v.scenario,
                           "expected": want, "got": v.word()},
            "suppressions": []}


def results(report: Report, index: dict[str, int]) -> list[dict[str, Any]]:
    out = []
    for v in report.verdicts:
        if v.status == "violated" and v.model is not None:
            out.append(_violation(report, v, index))
        elif _expectation_failed(report, v):
            out.append(_expectation_result(report, v, index))
    for f in report.findings:
        where = loc_of(f.loc) if f.loc is not None else physical(report.design_file, 1)
        res: dict[str, Any] = {"ruleId": VACUITY_RULE, "ruleIndex": index[VACUITY_RULE],
                               "level": "warning", "message": {"text": f.message},
                               "locations": [where],
                               "properties": {"scenario": f.scenario, "kind": f.kind}}
        if report.judged:
            res["suppressions"] = []
        out.append(res)
    return out


def document_many(reports: list[Report], exit_code: int | None = None) -> dict[str, Any]:
    """One SARIF log with one run for all ``reports`` (one per design)."""
    rule_list = rules(*reports)
    index = {r["id"]: i for i, r in enumerate(rule_list)}
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "flagcheck", "version": tool_version(),
                            "rules": rule_list}},
        "originalUriBaseIds": {SRCROOT: {"uri": Path(os.getcwd()).as_uri().rstrip("/") + "/"}},
        "results": [r for rep in reports for r in results(rep, index)],
        "columnKind": "unicodeCodePoints",
    }
    if exit_code is None and len(reports) == 1:
        exit_code = reports[0].exit_code
    if exit_code is not None:
        run["invocations"] = [{"executionSuccessful": True, "exitCode": exit_code}]
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def document(report: Report) -> dict[str, Any]:
    return document_many([report])


def render(report: Report) -> str:
    return dumps(document(report))
