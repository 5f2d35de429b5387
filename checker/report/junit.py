"""``--format junit``: JUnit XML for CI test-report views.

One ``<testcase>`` per design × scenario × property, ``classname`` = ``design.scenario``,
``name`` = the property.  ``violated`` -> ``<failure>`` whose body is the trace as text;
``not checked`` -> ``<skipped>``; ``unknown`` -> ``<error>`` (the search was cut short,
which is neither a pass nor a failure of the design); ``holds``/``proved`` pass.
Vacuity warnings go to ``<system-err>`` of the suite.

Judged reports (``flagcheck test``) test the expectation instead: a verdict equal to the
design's ``expect:`` entry passes — an expected violation too, its trace in
``<system-out>`` — and a mismatch or a missing entry is the ``<failure>``.  Several designs
are one ``<testsuites>`` with a ``<testsuite>`` per design.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from flagcheck.checker.report import facts
from flagcheck.checker.report import Report
from flagcheck.checker.verdict import Verdict


def _trace_text(report: Report, v: Verdict) -> str:
    o = v.outcome
    assert o is not None and o.trace is not None and v.model is not None
    lines = [facts.summary(v.model, v, report.design_file), ""]
    lines += facts.plain_lines(v.model, o.trace)
    lines += facts.ending_lines(v)
    return "\n".join(lines) + "\n"


def _has_trace(v: Verdict) -> bool:
    o = v.outcome
    return v.status == "violated" and o is not None and o.trace is not None and v.model is not None


def _expected(v: Verdict) -> str:
    e = v.expected
    return "nothing" if e is None else e.verdict + (f"@{e.depth}" if e.depth is not None else "")


def _judged_case(report: Report, v: Verdict, case: ET.Element) -> str:
    """Fill a testcase of a judged report; its outcome: pass / failure / error / skipped."""
    o = v.outcome
    if v.status == "skipped":
        ET.SubElement(case, "skipped", message=f"not checked: {v.skipped}")
        return "skipped"
    if v.status == "unknown":
        err = ET.SubElement(case, "error", type="unknown", message=v.word())
        err.text = (o.reason if o else "") + "\n"
        return "error"
    met = v.expectation_met()
    body = _trace_text(report, v) if _has_trace(v) else v.word() + "\n"
    if met:
        out = ET.SubElement(case, "system-out")
        out.text = f"{v.word()}; expected {_expected(v)} (met)\n" + \
            ("\n" + body if _has_trace(v) else "")
        return "pass"
    kind = "no-expectation" if v.expected is None else "mismatch"
    fail = ET.SubElement(case, "failure", type=kind,
                         message=f"expected {_expected(v)}, got {v.word()}")
    fail.text = body
    return "failure"


def _suite(root: ET.Element, report: Report) -> None:
    vs = report.verdicts
    seconds = sum(v.outcome.seconds for v in vs if v.outcome is not None)
    suite = ET.SubElement(root, "testsuite", name=report.design, time=f"{seconds:.3f}",
                          file=report.design_file)
    tally = {"pass": 0, "failure": 0, "error": 0, "skipped": 0}
    for v in vs:
        o = v.outcome
        case = ET.SubElement(suite, "testcase", classname=f"{v.design}.{v.scenario}",
                             name=v.property, time=f"{o.seconds:.3f}" if o else "0")
        if report.judged:
            tally[_judged_case(report, v, case)] += 1
            continue
        tally[{"violated": "failure", "unknown": "error", "skipped": "skipped"}
              .get(v.status, "pass")] += 1
        exp = ""
        if v.expected is not None:
            met = v.expectation_met()
            exp = f"; expected {v.expected.verdict}" + \
                (" (met)" if met else " (MISMATCH)" if met is False else "")
        if _has_trace(v):
            fail = ET.SubElement(case, "failure", type="violated", message=v.word() + exp)
            fail.text = _trace_text(report, v)
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
    for k, n in (("tests", len(vs)), ("failures", tally["failure"]), ("errors", tally["error"]),
                 ("skipped", tally["skipped"])):
        suite.set(k, str(n))


def render_many(reports: list[Report]) -> str:
    """One ``<testsuites>`` holding a ``<testsuite>`` per design."""
    root = ET.Element("testsuites", name="flagcheck")
    for r in reports:
        _suite(root, r)
    suites = root.findall("testsuite")
    for k in ("tests", "failures", "errors", "skipped"):
        root.set(k, str(sum(int(s.get(k, "0")) for s in suites)))
    root.set("time", f"{sum(float(s.get('time', '0')) for s in suites):.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render(report: Report) -> str:
    return render_many([report])
