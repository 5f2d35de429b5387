"""``--format text``: the terminal report (checker.report) without colours, for a file."""
from __future__ import annotations

import io

from rich.console import Console

from flagcheck.checker.report import Report
from flagcheck.checker.report.terminal import print_coverage, print_report

WIDTH = 140


def render(report: Report) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=WIDTH, no_color=True, force_terminal=False,
                      color_system=None, soft_wrap=False)
    print_report(console, report.verdicts, report.header or f"flagcheck verify: design {report.design}")
    print_coverage(console, report.coverage)
    return buf.getvalue()
