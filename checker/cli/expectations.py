"""``flagcheck test``: the CI gate that passes exactly when every verdict equals its ``expect:``.

``verify`` answers "is this design clean?" and so exits 1 on a known-bad design's expected
violation; ``test`` answers "did anything change?", which is what a repository that keeps
known-bad designs next to good ones must gate on.  The reports it writes are judged the
same way (``Report.judged``): in SARIF an expected violation is a suppressed result, in
JUnit a passing testcase with the trace in ``<system-out>``; only a mismatch fails.

``--update`` writes the settled verdicts back into the ``expect:`` blocks
(checker/expect_update.py), like the update mode of snapshot tests.

``--mutation-floor P`` also runs ``flagcheck mutate`` on every design and fails (exit 1)
when a design's mutation score is below P percent, so a proposal cannot quietly weaken
the scenarios (a dropped scenario lets mutants survive; docs/mutation.md).

Registered in checker/cli/main.py.
"""
from __future__ import annotations

import dataclasses
import io
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from flagcheck.checker.cli.common import (allow_path_option, debug_option, engine_options, guarded,
                                          output_option, param_option, wide_console,
                                          write_output)
from flagcheck.checker.cli.pool import pool_options
from flagcheck.checker.sweep import Pool
from flagcheck.checker.report import Report, render, render_many, report_of, tool_version
from flagcheck.checker.report.terminal import LiveStatus
from flagcheck.checker.regress import Check, DesignRun, labelled, run_designs, tests_exit_code
from flagcheck.checker.verify import Options
from flagcheck.checker.verdict import EXIT_OK, EXIT_UNKNOWN, EXIT_VIOLATED, expected_word, fold_exit
from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.params import label

TEST_FORMATS = ("text", "json", "markdown", "sarif", "junit")
_STYLE = {"ok": "green", "MISMATCH": "bold red", "NO EXPECTATION": "bold red",
          "UNKNOWN": "bold yellow", "skipped": "dim"}


def checks_table(checks: list[Check], only_failing: bool = False) -> Table:
    """design × scenario × property: expected, got, and whether they agree."""
    t = Table(box=None, header_style="bold")
    for col in ("design", "scenario", "property", "expected", "got", "result"):
        t.add_column(col)
    for c in checks:
        if only_failing and c.result in ("ok", "skipped"):
            continue
        v = c.verdict
        got = v.word() if v.outcome else "not checked"
        t.add_row(v.design, v.scenario, v.property, expected_word(v), got,
                  Text(c.result, style=_STYLE[c.result]))
    return t


def summary_line(checks: list[Check]) -> str:
    bad = sum(c.failed for c in checks)
    ok = sum(c.result == "ok" for c in checks)
    unknown = sum(c.result == "UNKNOWN" for c in checks)
    return f"{ok} verdicts as expected, {bad} not, {unknown} unknown"


def reports_of(runs: list[DesignRun]) -> list[Report]:
    """A judged Report per design, as the shared renderers expect."""
    out = []
    for r in runs:
        rep = report_of(r.design, r.verdicts, f"flagcheck test {r.path}: design {r.design.name}",
                        None, tests_exit_code(r.checks))
        out.append(dataclasses.replace(rep, judged=True))
    return out


def _check_doc(c: Check) -> dict[str, Any]:
    v = c.verdict
    return {"design": v.design, "scenario": v.scenario, "property": v.property,
            "expected": expected_word(v) if v.expected is not None else None,
            "status": v.status, "got": v.word(), "result": c.result, "failed": c.failed}


def render_test(fmt: str, runs: list[DesignRun], code: int) -> str:
    """The run in ``fmt``.  SARIF and JUnit are the shared renderers on judged reports;
    JSON is ``flagcheck-test`` version 1 (the judged checks plus each design's
    ``flagcheck-report``); Markdown is the checks table, then each design's report."""
    checks = [c for r in runs for c in r.checks]
    reports = reports_of(runs)
    if fmt in ("sarif", "junit"):
        return render_many(fmt, reports, code)
    if fmt == "json":
        from flagcheck.checker.report import json as jsonfmt
        return jsonfmt.dumps({"format": "flagcheck-test", "version": 1,
                              "tool": {"name": "flagcheck", "version": tool_version()},
                              "exit_code": code, "summary": summary_line(checks),
                              "checks": [_check_doc(c) for c in checks],
                              "reports": [jsonfmt.document(r) for r in reports]})
    if fmt == "markdown":
        rows = ["| design | scenario | property | expected | got | result |",
                "|---|---|---|---|---|---|"]
        for c in checks:
            v = c.verdict
            res = c.result if c.result in ("ok", "skipped") else f"**{c.result}**"
            rows.append(f"| {v.design} | {v.scenario} | {v.property} | {expected_word(v)} | "
                        f"{v.word()} | {res} |")
        head = f"## flagcheck test: {summary_line(checks)}\n\n"
        return head + "\n".join(rows) + "\n\n" + "\n".join(render("markdown", r) for r in reports)
    buf = io.StringIO()
    console = Console(file=buf, width=140, no_color=True, color_system=None)
    console.print(checks_table(checks))
    console.print(summary_line(checks))
    return buf.getvalue()


@click.command("test")
@click.argument("paths", nargs=-1, metavar="[DESIGN_OR_FOLDER]...", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(TEST_FORMATS), default="text", show_default=True,
              help="sarif: expected violations are suppressed results, only regressions "
                   "are open; junit: an expected violation is a passing testcase; json: "
                   "flagcheck-test version 1; markdown: a PR comment.")
@output_option("Write the report in --format to FILE; the terminal then gets the text table.")
@click.option("--update", is_flag=True,
              help="Write the verdicts this run settled into the designs' expect: blocks "
                   "(comments and layout kept); unknown verdicts are never written.")
@engine_options(limits=True)
@allow_path_option
@click.option("--quiet", "-q", is_flag=True,
              help="Only the verdicts that differ from their expectation, and the summary.")
@click.option("--mutation-floor", "floor", type=click.FloatRange(0, 100), default=None,
              metavar="PERCENT",
              help="Also run flagcheck mutate on every design; fail (exit 1) when a design's "
                   "mutation score is below PERCENT.")
@click.option("--mutation-jobs", type=click.IntRange(1, 256), default=None, metavar="N",
              help="Worker processes for --mutation-floor (default: every core).")
@pool_options
@param_option(sweep=True)
@debug_option
def test_cmd(paths: tuple[Path, ...], fmt: str, output: Path | None, update: bool, opts: Options,
             allow: tuple[Path, ...], quiet: bool, floor: float | None,
             mutation_jobs: int | None, pool: Pool, param_runs: list[dict[str, int]],
             debug: bool) -> None:
    """Check every design (files, or folders searched for designs; default specs/)
    against its expect: verdicts.

    Exits 0 only when every verdict equals its expectation, so known-bad designs can be
    kept and still gate CI; 1 on a mismatch or a missing expectation; 2 on bad input; 3
    when a search was cut short and nothing failed.  With --update: 0 once the
    expectations are written, 3 if some verdict stayed unknown (its entry is untouched).
    --param N=1..6 runs once per value, each row labelled "design [N=3]"; the exit code
    is over all of them.
    """
    engine = opts.engine

    def run() -> int:
        if update and (fmt != "text" or output is not None):
            raise DesignError("--update writes expect: blocks; run without --format/-o")
        if len(param_runs) > 1 and (update or floor is not None):
            raise DesignError("a --param range runs the designs once per value; --update and "
                              "--mutation-floor take one value", hint="e.g. --param N=3")
        status = LiveStatus(Console(stderr=True), enabled=not quiet)
        where = {"design": ""}

        def on_design(f: Path, i: int, n: int) -> None:
            where["design"] = f"{f} ({i}/{n})"
            status.update(f"test: {where['design']} · engine {engine}")

        def on_model(model: Any) -> None:
            scen = model.meta.get("scenario", model.name)
            status.update(f"test: {where['design']}: scenario {scen} · engine {engine}")

        with status:
            runs = _sweep(paths or (Path("specs"),), opts, allow, on_design, on_model, pool,
                          param_runs)
        checks = [c for r in runs for c in r.checks]
        code = tests_exit_code(checks)
        if update:
            return _update(runs)
        if floor is not None:
            code = fold_exit([code, _mutation_floor(runs, floor, mutation_jobs, allow, quiet)])
        if fmt != "text" or output is not None:
            write_output(render_test(fmt, runs, code), output)
            if output is None:
                return code
        console = wide_console()
        if not quiet or any(c.result not in ("ok", "skipped") for c in checks):
            console.print(checks_table(checks, only_failing=quiet))
        console.print(summary_line(checks))
        if output is not None:
            console.print(f"wrote {output} ({fmt})")
        return code

    guarded(run, debug)


def _sweep(paths: tuple[Path, ...], opts: Options, allow: tuple[Path, ...], on_design: Any,
           on_model: Any, pool: Pool, param_runs: list[dict[str, int]]) -> list[DesignRun]:
    """The designs checked once per --param assignment; with several, each run's
    verdicts carry its label ("design [N=3]") so the rows of one table tell them apart."""
    if len(param_runs) == 1:
        return run_designs(paths, opts, allow, on_design, on_model, pool=pool,
                           params=param_runs[0])
    out: list[DesignRun] = []
    for p in param_runs:
        for r in run_designs(paths, opts, allow, on_design, on_model, pool=pool, params=p):
            out.append(DesignRun(r.path, r.design, labelled(r.verdicts, label(p))))
    return out


def _mutation_floor(runs: list[DesignRun], floor: float, jobs: int | None,
                    allow: tuple[Path, ...], quiet: bool) -> int:
    """Mutate every design of the run; exit 1 with one message per design below ``floor``."""
    from flagcheck.checker.mutate.run import default_jobs, floor_failures, mutate_design
    scored = []
    status = LiveStatus(Console(stderr=True), enabled=not quiet)
    with status:
        for r in runs:
            status.update(f"test: mutation score of {r.path}")
            scored.append(mutate_design(r.path, jobs=jobs or default_jobs(), allow=allow))
    for d in scored:
        click.echo(f"{d.design}: mutation score {d.score:.1f}% ({d.count('killed')} of "
                   f"{d.scored} killed, {len(d.survivors)} survivors; floor {floor:g}%)", err=True)
    failures = floor_failures(scored, floor)
    for msg in failures:
        click.echo(f"flagcheck test: {msg}", err=True)
    return EXIT_VIOLATED if failures else EXIT_OK


def _update(runs: list[DesignRun]) -> int:
    from flagcheck.checker.expect_update import update_file
    unsettled = 0
    changed = 0
    files = 0
    for r in runs:
        u = update_file(r.path, r.verdicts)
        files += u.written
        for ch in sorted(u.changes, key=lambda c: c.line):
            changed += 1
            old = ch.old if ch.old is not None else "(none)"
            click.echo(f"{r.path}:{ch.line}: {ch.scenario} / {ch.property}: {old} -> {ch.new}")
        for v in u.unsettled:
            unsettled += 1
            click.echo(f"{r.path}: {v.scenario} / {v.property}: {v.word()}; expectation left "
                       "as it was (an unknown verdict is never recorded)", err=True)
    click.echo(f"updated {changed} expectation(s) in {files} of {len(runs)} design file(s); "
               f"{unsettled} unknown left untouched")
    return EXIT_UNKNOWN if unsettled else EXIT_OK
