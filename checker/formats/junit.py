"""``--format junit``: JUnit XML for CI test-report views.

One ``<testcase>`` per design × scenario × property, ``classname`` = ``design.scenario``,
``name`` = the property.  ``violated`` -> ``<failure>`` whose body is the trace as text;
``not checked`` -> ``<skipped>``; ``unknown`` -> ``<error>`` (the search was cut short,
which is neither a pass nor a failure of the design); ``holds``/``proved`` pass.
Vacuity warnings go to ``<system-err>`` of the suite.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from checker import tracefmt
from checker.formats import Report


def render(report: Report) -> str:
    vs = report.verdicts
    counts = {"tests": len(vs),
              "failures": sum(v.status == "violated" for v in vs),
              "errors": sum(v.status == "unknown" for v in vs),
              "skipped": sum(v.status == "skipped" for v in vs)}
    seconds = sum(v.outcome.seconds for v in vs if v.outcome is not None)
    root = ET.Element("testsuites", name="flagcheck", time=f"{seconds:.3f}",
                      **{k: str(n) for k, n in counts.items()})
    suite = ET.SubElement(root, "testsuite", name=report.design, time=f"{seconds:.3f}",
                          file=report.design_file, **{k: str(n) for k, n in counts.items()})
    for v in vs:
        o = v.outcome
        case = ET.SubElement(suite, "testcase", classname=f"{v.design}.{v.scenario}",
                             name=v.property, time=f"{o.seconds:.3f}" if o else "0")
        exp = ""
        if v.expected is not None:
            met = v.expectation_met()
            exp = f"; expected {v.expected.verdict}" + \
                (" (met)" if met else " (MISMATCH)" if met is False else "")
        if v.status == "violated" and o is not None and o.trace is not None and v.model is not None:
            fail = ET.SubElement(case, "failure", type="violated", message=v.word() + exp)
            lines = [tracefmt.summary(v.model, v, report.design_file), ""]
            lines += tracefmt.plain_lines(v.model, o.trace)
            lines += tracefmt.ending_lines(v.model, o.trace, v.property)
            fail.text = "\n".join(lines) + "\n"
        elif v.status == "violated":
            ET.SubElement(case, "failure", type="violated", message=v.word() + exp)
        elif v.status == "skipped":
            ET.SubElement(case, "skipped", message=f"not checked: {v.skipped}")
        elif v.status == "unknown":
            err = ET.SubElement(case, "error", type="unknown", message=v.word())
            err.text = (o.reason if o else "") + "\n"
        else:
            out = ET.SubElement(case, "system-out")
            out.text = v.word() + exp + "\n"
    if report.findings:
        err = ET.SubElement(suite, "system-err")
        err.text = "\n".join("warning: " + f.message for f in report.findings) + "\n"
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
