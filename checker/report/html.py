"""``--format html``: one self-contained page (inline CSS, inline SVG, no script, no fetch).

Each counterexample is drawn as a swimlane: one lane per task (``<g class="lane"
data-task="T">``), one row per step, the statement in the lane of the task that stepped,
the flags that changed in a highlighted last column, and the violated property stated
under the last row.
"""
from __future__ import annotations

import textwrap
from html import escape

from flagcheck.checker.report import facts
from flagcheck.checker.report import Report
from flagcheck.checker.report.markdown import expected
from flagcheck.checker.verdict import Verdict

CSS = """
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1f2328; }
h1 { font-size: 20px; } h2 { font-size: 17px; margin-top: 32px; }
table.verdicts { border-collapse: collapse; }
table.verdicts th, table.verdicts td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; }
.violated { color: #cf222e; font-weight: bold; } .proved { color: #1a7f37; font-weight: bold; }
.holds { color: #1a7f37; } .unknown { color: #9a6700; font-weight: bold; } .skipped { color: #6e7781; }
.doc { font-style: italic; color: #57606a; }
.warning { background: #fff8c5; border-left: 4px solid #d4a72c; padding: 6px 10px; margin: 6px 0; }
.end { margin: 8px 0; }
svg.swimlane { display: block; margin: 12px 0; background: #ffffff; }
svg .lane-bg { fill: #f6f8fa; stroke: #d0d7de; }
svg .lane-head { font: bold 13px sans-serif; fill: #1f2328; }
svg .lifeline { stroke: #8c959f; stroke-dasharray: 4 4; }
svg .row-line { stroke: #eaeef2; }
svg .num { font: 11px monospace; fill: #57606a; }
svg .box { fill: #ddf4ff; stroke: #54aeff; rx: 4; }
svg .fn { font: 10px sans-serif; fill: #0969da; }
svg .stmt { font: 11px monospace; fill: #1f2328; }
svg .label { font: bold 11px monospace; fill: #8250df; }
svg .detail { font: 10px monospace; fill: #6e7781; }
svg .flag-bg { fill: #fff8c5; stroke: #d4a72c; }
svg .flag { font: bold 11px monospace; fill: #953800; }
svg .verdict-bg { fill: #ffebe9; stroke: #cf222e; }
svg .verdict-text { font: bold 13px sans-serif; fill: #cf222e; }
svg .end-text { font: 11px monospace; fill: #1f2328; }
"""

NUM_W, LANE_W, CHANGE_W = 44, 330, 330
HEAD_H, LINE_H, PAD = 34, 14, 8
WRAP, CHANGE_WRAP, MAX_STMT_LINES = 46, 46, 4


def _wrap(text: str, width: int, max_lines: int | None = None) -> list[str]:
    lines = textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: width - 1] + "…"
    return lines


def _text(x: float, y: float, lines: list[str], cls: str) -> str:
    spans = "".join(f'<tspan x="{x:.0f}" dy="{0 if i == 0 else LINE_H}">{escape(s)}</tspan>'
                    for i, s in enumerate(lines))
    return f'<text class="{cls}" x="{x:.0f}" y="{y:.0f}">{spans}</text>'


def full_text(s: facts.Step) -> str:
    """Every statement of a step, whole, with its labels and branch decisions (the hover
    text of its box: the drawing itself cuts long statements)."""
    lines = [f"{s.number}. {s.task}:"]
    for p in s.parts:
        lines.append(f"{p.function}: {p.head()}")
        lines += [f"  {d}" for d in p.notes()]
    return "\n".join(lines)


def swimlane(v: Verdict) -> str:
    model = v.model
    assert model is not None and v.outcome is not None and v.outcome.trace is not None
    trace = v.outcome.trace
    tasks = list(model.tasks)
    rows = facts.steps(model, trace)
    lane_x = {t: NUM_W + i * LANE_W for i, t in enumerate(tasks)}
    change_x = NUM_W + len(tasks) * LANE_W
    width = change_x + CHANGE_W

    # layout: the height of each row is that of its tallest cell
    cells = []
    y = HEAD_H
    for s in rows:
        # (class, lines) in drawing order; a merged step lists each statement with its own
        # kernel function and label.  Long statements are cut here; the box's <title> (shown
        # on hover) has every statement whole.
        segs: list[tuple[str, list[str]]] = []
        for k, p in enumerate(s.parts):
            if len(s.parts) > 1:
                segs.append(("fn", _wrap(f"{k + 1}/{len(s.parts)} {p.function}", WRAP + 8, 1)))
            elif k == 0:
                segs.append(("fn", _wrap(s.function, WRAP + 8, 1)))
            segs.append(("stmt", _wrap(p.head(), WRAP, MAX_STMT_LINES)))
            notes = [d for ds in p.notes() for d in _wrap(ds, WRAP, 1)][:3]
            if notes:
                segs.append(("detail", notes))
        changes = [ln for c in s.changes for ln in _wrap(facts.change_text(c), CHANGE_WRAP, 2)]
        n = max(sum(len(ls) for _, ls in segs), len(changes), 1)
        h = n * LINE_H + 2 * PAD
        cells.append((s, segs, changes, y, h))
        y += h
    end_lines = [f"{v.property} is violated after step {trace.length}.", *facts.ending_lines(v)]
    wrapped_end = [w for ln in end_lines for w in _wrap(ln, (width - 24) // 7)]
    end_h = len(wrapped_end) * (LINE_H + 2) + 2 * PAD + 4
    height = y + 12 + end_h

    out = [f'<svg class="swimlane" xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="{escape(v.property)} violated on {escape(v.scenario)}">',
           f"<title>{escape(facts.verdict_sentence(v))}</title>"]
    # row separators and step numbers
    out.append('<g class="rows">')
    for s, _, _, ry, h in cells:
        out.append(f'<line class="row-line" x1="0" x2="{width}" y1="{ry + h}" y2="{ry + h}"/>')
        out.append(f'<text class="num" x="{NUM_W - 8}" y="{ry + PAD + 11}" '
                   f'text-anchor="end">{s.number}</text>')
    out.append("</g>")
    for t in tasks:
        x = lane_x[t]
        out.append(f'<g class="lane" data-task="{escape(t)}">')
        out.append(f'<rect class="lane-bg" x="{x + 2}" y="2" width="{LANE_W - 4}" '
                   f'height="{y - 2}"/>')
        out.append(f'<text class="lane-head" x="{x + LANE_W / 2:.0f}" y="22" '
                   f'text-anchor="middle">{escape(t)}</text>')
        out.append(f'<line class="lifeline" x1="{x + LANE_W / 2:.0f}" x2="{x + LANE_W / 2:.0f}" '
                   f'y1="{HEAD_H}" y2="{y}"/>')
        for s, segs, _, ry, h in cells:
            if s.task != t:
                continue
            out.append(f'<g class="step" data-step="{s.number}" data-task="{escape(t)}">'
                       f"<title>{escape(full_text(s))}</title>")
            out.append(f'<rect class="box" x="{x + 6}" y="{ry + 3}" width="{LANE_W - 12}" '
                       f'height="{h - 6}" rx="4"/>')
            ly = ry + PAD + 9
            for cls, lines in segs:
                out.append(_text(x + 12, ly, lines, cls))
                ly += LINE_H * len(lines)
            out.append("</g>")
        out.append("</g>")
    out.append('<g class="changes">')
    out.append(f'<text class="lane-head" x="{change_x + 10}" y="22">changed</text>')
    for s, _, changes, ry, h in cells:
        if not changes:
            continue
        out.append(f'<g class="change" data-step="{s.number}">')
        out.append(f'<rect class="flag-bg" x="{change_x + 4}" y="{ry + 3}" '
                   f'width="{CHANGE_W - 8}" height="{h - 6}" rx="3"/>')
        out.append(_text(change_x + 10, ry + PAD + 9, changes, "flag"))
        out.append("</g>")
    out.append("</g>")
    ey = y + 12
    out.append(f'<g class="verdict" data-property="{escape(v.property)}">')
    out.append(f'<rect class="verdict-bg" x="2" y="{ey}" width="{width - 4}" height="{end_h - 4}" rx="4"/>')
    ty = ey + PAD + 12
    for i, ln in enumerate(wrapped_end):
        cls = "verdict-text" if i == 0 else "end-text"
        out.append(f'<text class="{cls}" x="12" y="{ty}">{escape(ln)}</text>')
        ty += LINE_H + 2
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def verdict_table(vs: list[Verdict]) -> str:
    rows = []
    for v in vs:
        o = v.outcome
        rows.append("<tr>" + "".join([
            f"<td>{escape(v.scenario)}</td>", f"<td><code>{escape(v.property)}</code></td>",
            f'<td class="{v.status}">{escape(v.word())}</td>',
            f"<td>{escape(o.label) if o else ''}</td>",
            f"<td>{f'{o.seconds:.2f}' if o else ''}</td>",
            f"<td>{escape(expected(v))}</td>"]) + "</tr>")
    head = "".join(f"<th>{h}</th>" for h in ("scenario", "property", "verdict", "engine",
                                             "seconds", "expected"))
    return (f'<table class="verdicts"><thead><tr>{head}</tr></thead><tbody>'
            + "\n".join(rows) + "</tbody></table>")


def render(report: Report) -> str:
    title = f"flagcheck: design {report.design}"
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f"<title>{escape(title)}</title>", f"<style>{CSS}</style>", "</head>", "<body>",
           f"<h1>{escape(title)}</h1>",
           f"<p>Design file <code>{escape(report.design_file)}</code>.</p>",
           verdict_table(report.verdicts)]
    for f in report.findings:
        out.append(f'<p class="warning">warning: {escape(f.message)}</p>')
    for v in report.verdicts:
        if v.status != "violated":
            continue
        assert v.model is not None and v.outcome is not None and v.outcome.trace is not None
        out.append(f'<section class="counterexample" id="cex-{escape(v.scenario)}-'
                   f'{escape(v.property)}">')
        out.append(f"<h2>{escape(v.property)} violated on {escape(v.scenario)}: "
                   f"{v.outcome.trace.length} steps, replayed</h2>")
        try:
            doc = v.model.property(v.property).doc
        except KeyError:
            doc = ""
        if doc:
            out.append(f'<p class="doc">{escape(v.property)}: {escape(doc)}</p>')
        out.append(swimlane(v))
        out.append("</section>")
    skipped = [v for v in report.verdicts if v.status == "skipped"]
    if skipped:
        out.append("<h2>Not checked</h2><ul>")
        out += [f"<li><code>{escape(v.property)}</code> on {escape(v.scenario)}: "
                f"{escape(v.skipped)}</li>" for v in skipped]
        out.append("</ul>")
    if report.coverage:
        out.append("<h2>Coverage</h2><ul>")
        for c in report.coverage:
            missed = c.unreached()
            out.append(f"<li>{escape(c.summary())}" + (
                '<ul class="unreached">' + "".join(f"<li>{escape(m)}</li>" for m in missed)
                + "</ul>" if missed else "") + "</li>")
        out.append("</ul>")
    out += ["</body>", "</html>", ""]
    return "\n".join(out)
