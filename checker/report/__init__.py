"""Machine- and human-readable renderings of a verify run.

Every renderer reads the same ``Report`` and takes its facts about a counterexample from
``checker.report.facts`` (steps, changed flags, how each task ends), so the terminal, JSON,
Markdown, HTML, SARIF and JUnit outputs cannot disagree about what happened.

One module per format, each with ``render(report) -> str``:

=========  ============================================================================
text       the rich terminal report, without colours (for ``-o FILE``)
json       ``flagcheck-report`` version 1, counterexamples as ITF traces (docs/trace-format.md)
markdown   a PR comment: verdict table, each counterexample in a collapsible step table
html       one self-contained page with an inline SVG swimlane per counterexample
sarif      SARIF 2.1.0 for code-scanning UIs: one result per violated property
junit      JUnit XML: one testcase per design × scenario × property
=========  ============================================================================
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from importlib import metadata

from flagcheck.checker.coverage import Coverage, Finding
from flagcheck.checker.verdict import Verdict
from flagcheck.tlamodel.ir import SourceLoc

FORMATS = ("text", "json", "markdown", "html", "sarif", "junit")


def tool_version() -> str:
    try:
        return metadata.version("flagcheck")
    except metadata.PackageNotFoundError:
        return "0+unknown"


@dataclass
class Report:
    """Everything a renderer may show about one verify run of one design."""
    design: str
    design_file: str
    verdicts: list[Verdict]
    header: str = ""
    coverage: list[Coverage] = field(default_factory=list)
    #: definitions and procedures the design file itself writes (name -> where)
    own_definitions: dict[str, SourceLoc] = field(default_factory=dict)
    #: the run's exit code, when known (SARIF records it)
    exit_code: int | None = None
    #: judged against the design's expect: block (``flagcheck test``): an expected
    #: violation passes (JUnit) or is suppressed (SARIF); a mismatch fails
    judged: bool = False

    @property
    def findings(self) -> list[Finding]:
        return [f for c in self.coverage for f in c.findings]


def report_of(design, verdicts: list[Verdict], header: str = "",  # noqa: ANN001
              coverage: list[Coverage] | None = None, exit_code: int | None = None) -> Report:
    """A Report for a loaded tlamodel.load.Design."""
    spec = design.spec
    own: dict[str, SourceLoc] = {}
    for name, d in spec.defines.items():
        own[name] = d.loc
    for name, p in spec.procedures.items():
        own[name] = p.loc
    return Report(design.name, spec.path, verdicts, header, list(coverage or []), own, exit_code)


def render(fmt: str, report: Report) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    module = importlib.import_module(f"flagcheck.checker.report.{fmt}")
    return module.render(report)   # type: ignore[no-any-return]


def render_many(fmt: str, reports: list[Report], exit_code: int | None = None) -> str:
    """One document for several designs (``verify A B``, ``test specs/``).

    A single report renders exactly as ``render`` does.  SARIF merges the designs into one
    run and JUnit into one ``<testsuites>`` (code scanning and test views read one file);
    text and Markdown are the reports one after another; JSON wraps the per-design
    documents in ``flagcheck-reports`` version 1.  HTML pages do not concatenate, so
    several designs there are a usage error (ValueError)."""
    if len(reports) == 1 and fmt != "sarif":
        return render(fmt, reports[0])
    if fmt == "sarif":
        from flagcheck.checker.report import sarif
        from flagcheck.checker.report.json import dumps
        return dumps(sarif.document_many(reports, exit_code))
    if fmt == "junit":
        from flagcheck.checker.report import junit
        return junit.render_many(reports)
    if fmt == "json":
        from flagcheck.checker.report import json as jsonfmt
        return jsonfmt.dumps({"format": "flagcheck-reports", "version": 1,
                              "tool": {"name": "flagcheck", "version": tool_version()},
                              "exit_code": exit_code,
                              "reports": [jsonfmt.document(r) for r in reports]})
    if fmt in ("text", "markdown"):
        return "\n".join(render(fmt, r) for r in reports)
    raise ValueError(f"--format {fmt} renders one design; give one design per run")
