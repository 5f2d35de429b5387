"""``flagcheck verify``: check designs against their scenarios and print verdicts and
counterexamples (or write them in any report format)."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import click
from rich.console import Console

from flagcheck.checker import coverage
from flagcheck.checker.cli.common import (allow_path_option, check_params, debug_option,
                                          engine_options, guarded, output_option, param_option,
                                          read_design, wide_console, write_output)
from flagcheck.checker.report import FORMATS, render_many, report_of
from flagcheck.checker.report.terminal import (LiveStatus, print_coverage, print_findings, print_report,
                                               print_skipped, progress_seconds, verdict_table)
from flagcheck.checker.verify import AUTO_RACE, Options, select_scenarios, verify
from flagcheck.checker.verdict import EXIT_VIOLATED, exit_code, fold_exit
from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.deadline import Budget


def search_bound(engine: str, depth: int) -> str:
    """What ``engine`` searches, in words: only BMC (and k-induction's k) have a bound."""
    if engine == "auto":
        race = ", ".join(f"bmc depth {depth}" if e == "bmc" else e for e in AUTO_RACE)
        return f"explicit first, then a race of {race}"
    return {"bmc": f"depth {depth}", "explicit": "exhaustive", "kind": f"k ≤ {depth}",
            "pdr": "unbounded"}.get(engine, engine)


def _status(design_name: str, engine: str, bound: str, total: int,
            show: bool) -> tuple[LiveStatus, Callable[[Any], None]]:
    """The progress display on stderr (a live line on a terminal, a plain line every
    few seconds otherwise; none when ``show`` is off) and the verify() hook that moves
    it to the next scenario.  Its ``progress`` method is the engines' hook."""
    status = LiveStatus(Console(stderr=True), enabled=show, every=progress_seconds())
    count = [0]

    def on_model(model: Any) -> None:
        count[0] += 1
        scen = model.meta.get("scenario", model.name)
        n = f" ({count[0]}/{total})" if total > 1 else ""
        status.update(f"{design_name}: scenario {scen}{n} · engine {engine} · {bound}",
                      label=f"{design_name} × {scen}{n}")
    status.update(f"{design_name}: loading · engine {engine} · {bound}")
    return status, on_model


@click.command("verify")
@click.argument("designs", nargs=-1, required=True, metavar="DESIGN...",
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--scenario", "-s", "scenarios", multiple=True, metavar="FILE_OR_NAME",
              help="Check only this scenario (repeatable). Default: all the design lists.")
@click.option("--property", "-p", "props", multiple=True, metavar="NAME",
              help="Check only this property (repeatable).")
@engine_options(limits=True)
@allow_path_option
@param_option()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Report format (docs/trace-format.md describes json).")
@output_option("Write the report in --format to FILE; the terminal then gets the text report.")
@click.option("--strict", is_flag=True,
              help="Fail (exit 1) on vacuity warnings: task code never reached, or an "
                   "invariant whose variables never change.")
@click.option("--por/--no-por", "por", default=False, show_default=True,
              help="Explicit engine: search the safety properties with partial-order "
                   "reduction (one task's independent, invisible steps at a time; with "
                   "symmetry reduction unless --no-symmetry). Same verdicts; a violation "
                   "is searched again without it for the shortest counterexample. "
                   "Liveness is never reduced. docs/scale.md.")
@click.option("--quiet", "-q", is_flag=True, help="Only the verdict table (and warnings) on "
                                                   "stdout; progress stays on stderr.")
@click.option("--no-progress", "no_progress", is_flag=True,
              help="No progress on stderr (by default: a live line on a terminal, else a "
                   "'progress:' line every 10 s, or FLAGCHECK_PROGRESS_SECONDS).")
@debug_option
def verify_cmd(designs: tuple[Path, ...], scenarios: tuple[str, ...], props: tuple[str, ...],
               opts: Options, allow: tuple[Path, ...], params: dict[str, int], fmt: str,
               output: Path | None, strict: bool, por: bool, quiet: bool, no_progress: bool,
               debug: bool) -> None:
    """Check each DESIGN against its scenarios and print verdicts and counterexamples.

    Exit codes: 0 nothing violated and nothing unknown, 1 a property violated (or, with
    --strict, a vacuity warning), 2 bad input or usage, 3 unknown and nothing violated;
    with several designs, the worst over all of them (1 before 3 before 0).  This ignores
    the designs' expect: blocks: `flagcheck test` is the gate that honours them.
    """
    engine = opts.engine
    opts = replace(opts, por=por)
    budget = Budget(opts.timeout)

    def one(design: Path, d: Any) -> tuple[Any, list[Any], list[Any], int]:
        bound = search_bound(engine, opts.depth if opts.depth is not None else d.bound)
        total = len(select_scenarios(d, scenarios))
        status, on_model = _status(d.name, engine, bound, total, not no_progress)
        with status:
            verdicts = verify(d, scenarios, props, opts, on_model=on_model,
                              progress=None if no_progress else status.progress, budget=budget)
            status.update(f"{d.name}: coverage of {total} scenario(s)")
            cov = coverage.of_run(d, verdicts, engine, opts.max_states, budget.left())
        code = exit_code(verdicts)
        if strict and coverage.findings(cov):
            code = EXIT_VIOLATED
        header = f"flagcheck verify {design}: design {d.name} ({engine}, {bound})"
        return report_of(d, verdicts, header, cov, code), verdicts, cov, code

    def run() -> int:
        if fmt == "html" and len(designs) > 1:
            raise DesignError("--format html renders one design; run verify once per design")
        # every file is read before any search, so a typo in the last one fails at once;
        # reading is part of the first scenario's --timeout (tlamodel.deadline.Budget)
        loaded = [(p, read_design(p, allow, budget, params)) for p in designs]
        if params:      # the scenarios read first: a scenario FILE may declare a --param
            for _, d in loaded:
                select_scenarios(d, scenarios)
            check_params([d for _, d in loaded])
        runs = [one(p, d) for p, d in loaded]
        code = fold_exit(c for *_, c in runs)
        if fmt != "text" or output is not None:
            write_output(render_many(fmt, [r for r, *_ in runs], code), output)
            if output is None:
                return code
        console = wide_console()
        for report, verdicts, cov, _ in runs:
            if quiet:
                if len(runs) > 1:
                    console.print(f"design {report.design} ({report.design_file})", style="bold")
                console.print(verdict_table(verdicts))
                print_skipped(console, verdicts)
                print_findings(console, cov, strict)
            else:
                print_report(console, verdicts, report.header)
                print_coverage(console, cov, strict)
        if output is not None:
            console.print(f"wrote {output} ({fmt})")
        return code

    guarded(run, debug)
