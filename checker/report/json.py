"""``--format json``: the versioned ``flagcheck-report`` document (docs/trace-format.md).

Deterministic: keys sorted, verdicts in run order, variables in model order; only
``seconds`` (a measurement) differs between two runs of the same input.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from flagcheck.checker.coverage import Coverage, Finding
from flagcheck.checker.report import Report, itf, tool_version
from flagcheck.checker.verdict import Verdict

FORMAT = "flagcheck-report"
VERSION = 1


def verdict_doc(v: Verdict, design_file: str) -> dict[str, Any]:
    o = v.outcome
    model = v.model
    doc: dict[str, Any] = {
        "design": v.design,
        "scenario": v.scenario,
        "scenario_file": model.meta.get("scenario_file") if model is not None else None,
        "property": v.property,
        "status": v.status,
        "word": v.word(),
        "engine": o.label if o else None,
        "via": (o.via or None) if o else None,
        "depth": o.depth if o else None,
        "seconds": round(o.seconds, 3) if o else None,
        "states": o.states if o else None,
        "exhaustive": o.exhaustive if o else None,
        "reason": (o.reason or None) if o else (v.skipped or None),
        "certificate": asdict(o.certificate) if o and o.certificate else None,
        "expected": None if v.expected is None else
        {"verdict": v.expected.verdict, "depth": v.expected.depth},
        "expectation_met": v.expectation_met(),
        "doc": None,
        "counterexample": None,
    }
    if model is not None:
        try:
            doc["doc"] = model.property(v.property).doc or None
        except KeyError:
            pass
    if v.status == "violated" and model is not None and o is not None and o.trace is not None:
        doc["counterexample"] = itf.encode_trace(model, v, design_file)
    return doc


def coverage_doc(c: Coverage) -> dict[str, Any]:
    d: dict[str, Any] = {"scenario": c.scenario, "computed": c.computed,
                         "reason": c.reason or None}
    if not c.computed:
        return d
    model = c.model
    never = []
    for i in c.never_fired:
        if model is None:
            break
        a = model.actions[i]
        never.append({"action": i, "task": a.task, "text": a.info.text,
                      "stack": list(a.info.stack), "detail": list(a.info.detail),
                      "loc": str(a.info.loc) if a.info.loc else None})
    d.update({
        "complete": c.complete,
        "states": c.states,
        "actions": {"total": c.actions_total, "fired": len(c.actions_fired),
                    "never_fired": never},
        "task_code": [{"task": u.task, "text": u.text, "loc": str(u.loc) if u.loc else None,
                       "reached": hit} for u, hit in c.code],
        "labels": [{"label": name, "reached": hit} for name, hit in c.labels],
        "changed_vars": sorted(c.changed_vars),
    })
    return d


def finding_doc(f: Finding) -> dict[str, Any]:
    return {"kind": f.kind, "scenario": f.scenario, "message": f.message,
            "properties": list(f.properties), "task": f.task,
            "loc": str(f.loc) if f.loc else None}


def document(report: Report) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "tool": {"name": "flagcheck", "version": tool_version()},
        "design": {"name": report.design, "file": report.design_file},
        "exit_code": report.exit_code,
        "verdicts": [verdict_doc(v, report.design_file) for v in report.verdicts],
        "coverage": [coverage_doc(c) for c in report.coverage],
        "warnings": [finding_doc(f) for f in report.findings],
    }


def dumps(doc: Any) -> str:
    return json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def render(report: Report) -> str:
    return dumps(document(report))
