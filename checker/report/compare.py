"""``flagcheck compare``'s renderings of a :class:`~flagcheck.checker.regress.DesignTable`.

The terminal table (rich), the README's Markdown table and the ``flagcheck-compare``
JSON document all show the same cells; keeping them together keeps them in step.
"""
from __future__ import annotations

import io

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from flagcheck.checker.regress import DesignTable, verdict_cell

#: the width of the text table written to a file (--output), whatever the terminal's
FILE_WIDTH = 100

_STYLE = {"violated": "bold red", "unknown": "bold yellow", "holds": "yellow",
          "proved": "green", "skipped": "dim"}


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell (a ``|`` would end the cell)."""
    return text.replace("|", "\\|").replace("\n", " ")


def render_compare_markdown(t: DesignTable) -> str:
    """The README's table: one row per design (name and summary), one column per scenario,
    each cell the scenario's verdict folded over its properties; violations in bold."""
    head = "| design | " + " | ".join(_md(t.scenario_label(s)) for s in t.scenarios) + " |"
    sep = "|---" * (len(t.scenarios) + 1) + "|"
    rows = []
    for d in t.designs:
        summary = t.summaries.get(d, "")
        label = f"`{d}`" + (f" — {_md(summary)}" if summary else "")
        cells = []
        for s in t.scenarios:
            sc = t.scenario_cell(d, s)
            cells.append(f"**{sc.text}**" if sc.status == "violated" else sc.text)
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join([head, sep, *rows]) + "\n"


def render_compare_json(t: DesignTable) -> str:
    """``compare --format json``: ``flagcheck-compare`` version 1 (docs/trace-format.md).

    ``cells`` keeps one entry per scenario × property (what a script gating on one
    property needs); ``scenario_cells`` adds the folded per-scenario cell the markdown
    table shows, so both views come from one run."""
    from flagcheck.checker.report.json import dumps
    cells = []
    for d in t.designs:
        for s, p in t.columns:
            v = t.cells.get((d, s, p))
            if v is None:
                continue
            o = v.outcome
            cells.append({"design": d, "scenario": s, "property": p, "status": v.status,
                          "word": v.word(), "cell": verdict_cell(v),
                          "depth": o.depth if o else None, "engine": o.label if o else None})
    scenario_cells = []
    for d in t.designs:
        for s in t.scenarios:
            sc = t.scenario_cell(d, s)
            if sc.status:
                scenario_cells.append({"design": d, "scenario": s, "status": sc.status,
                                       "cell": sc.text})
    return dumps({"format": "flagcheck-compare", "version": 1, "designs": list(t.designs),
                  "summaries": {d: t.summaries.get(d, "") for d in t.designs},
                  "scenarios": [{"name": s, "control": s in t.controls} for s in t.scenarios],
                  "columns": [{"scenario": s, "property": p} for s, p in t.columns],
                  "cells": cells, "scenario_cells": scenario_cells,
                  "any_violated": t.any_violated})


def render_compare_text(t: DesignTable) -> str:
    """The terminal table as plain text at :data:`FILE_WIDTH` columns, for a file."""
    buf = io.StringIO()
    print_compare(t, Console(file=buf, width=FILE_WIDTH, color_system=None, soft_wrap=False))
    return buf.getvalue()


def print_compare(t: DesignTable, console: Console) -> None:
    """``compare``'s terminal table, readable at the console's width.

    Scenarios are rows and designs columns when that fits (full design names, never cut);
    on a narrower console each design gets its own block of scenario lines instead, so
    no name is shortened with "…" and no heading is folded letter by letter.
    """
    grid = Table(header_style="bold", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    grid.add_column("scenario", no_wrap=True)
    for d in t.designs:
        grid.add_column(d, no_wrap=True)
    for s in t.scenarios:
        row = [t.scenario_cell(d, s) for d in t.designs]
        grid.add_row(t.scenario_label(s), *(Text(x.text, style=_STYLE.get(x.status, ""))
                                            for x in row))
    # measured unconstrained: console.measure() clamps to the width it is asked about
    if Measurement.get(console, console.options.update_width(10_000), grid).maximum \
            <= console.width:
        console.print(grid)
        console.print()
        for d in t.designs:
            if t.summaries.get(d):
                console.print(Text.assemble((d, "bold"), f" — {t.summaries[d]}"))
        return
    width = max((len(t.scenario_label(s)) for s in t.scenarios), default=0)
    for i, d in enumerate(t.designs):
        if i:
            console.print()
        summary = t.summaries.get(d, "")
        console.print(Text.assemble((d, "bold"), f" — {summary}" if summary else ""))
        for s in t.scenarios:
            sc = t.scenario_cell(d, s)
            console.print(Text.assemble("  ", t.scenario_label(s).ljust(width), "  ",
                                        (sc.text or "not listed", _STYLE.get(sc.status, "dim"))))
