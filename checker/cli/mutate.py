"""``flagcheck mutate``: seed flag-protocol bugs into a design and see whether its
scenarios catch them (checker/mutate/, docs/mutation.md).

Exit codes: 0 the run finished (whatever the score), 1 a design scored below ``--floor``,
2 bad input or usage (file:line:col, no traceback), 3 internal error or interrupt.
Registered in checker/cli/main.py.
"""
from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from flagcheck.checker.cli.common import (allow_path_option, debug_option, guarded, output_option,
                                          write_output)
from flagcheck.checker.mutate.operators import OPERATORS
from flagcheck.checker.mutate.results import DesignMutation, Result
from flagcheck.checker.mutate.run import (DEFAULT_OPTIONS, default_jobs, floor_failures,
                                          mutate_design)
from flagcheck.checker.mutate.targets import check_operators
from flagcheck.checker.report.mutation import render_mutation
from flagcheck.checker.report.terminal import LiveStatus
from flagcheck.checker.verdict import EXIT_OK, EXIT_VIOLATED
from flagcheck.checker.verify import ENGINES, Options

FORMATS = ("text", "json", "markdown")


def split_operators(values: tuple[str, ...]) -> tuple[str, ...]:
    """--operators swap,drop-flag --operators invert-guard -> the names, checked."""
    names = tuple(n.strip() for v in values for n in v.split(",") if n.strip())
    check_operators(names)
    return names


@click.command("mutate")
@click.argument("designs", nargs=-1, required=True, metavar="DESIGN...",
                type=click.Path(path_type=Path))
@click.option("--scenario", "-s", "scenarios", multiple=True, metavar="FILE_OR_NAME",
              help="Judge mutants on these scenarios only (default: the design's own).")
@click.option("--operators", "operators", multiple=True, metavar="OP[,OP...]",
              help="Mutation operators to apply (default: all): " + ", ".join(OPERATORS) + ".")
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=None,
              help="Local worker processes (default: every core).")
@click.option("--mutant", "only", multiple=True, type=click.IntRange(1), metavar="ID",
              help="Check only the mutant with this id (repeatable).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@output_option("Write the report in --format to FILE; the terminal then gets the scores.")
@click.option("--engine", type=click.Choice(ENGINES), default=DEFAULT_OPTIONS.engine,
              show_default=True, help="Engine that checks each mutant (as in verify).")
@click.option("--max-states", type=click.IntRange(1), default=DEFAULT_OPTIONS.max_states,
              show_default=True, help="State limit per scenario; a mutant cut short is unknown.")
@click.option("--timeout", type=click.FloatRange(min=0), default=DEFAULT_OPTIONS.timeout,
              show_default=True, help="Seconds per scenario and mutant.")
@click.option("--reduce", is_flag=True,
              help="Merge task-private steps as verify does (depths as verify shows them; "
                   "slower here, verdicts the same).")
@click.option("--explain", is_flag=True,
              help="For each survivor, also check whether a task now never finishes where the "
                   "design's always do (a livelock only a liveness property could kill).")
@click.option("--floor", type=click.FloatRange(0, 100), default=None, metavar="PERCENT",
              help="Exit 1 when a design's mutation score is below PERCENT.")
@click.option("--quiet", "-q", is_flag=True, help="Scores and survivors only.")
@allow_path_option
@debug_option
def mutate_cmd(designs: tuple[Path, ...], scenarios: tuple[str, ...], operators: tuple[str, ...],
               jobs: int | None, only: tuple[int, ...], fmt: str, output: Path | None,
               engine: str, max_states: int, timeout: float, reduce: bool, explain: bool,
               floor: float | None,
               quiet: bool, allow: tuple[Path, ...], debug: bool) -> None:
    """Mutation testing: seed flag-protocol bugs (dropped wake-ups and flag writes,
    swapped statements, split atomic blocks, flag-family mix-ups, inverted guards,
    dropped locks) into the design's code and the library code its scenarios reach,
    check each mutant on the scenarios and report which survive, with file:line, and a
    score per design."""
    opts = Options(engine=engine, max_states=max_states, timeout=timeout, reduce=reduce)

    def run() -> int:
        ops = split_operators(operators)
        n_jobs = jobs or default_jobs()
        status = LiveStatus(Console(stderr=True), enabled=not quiet, every=30.0)
        runs: list[DesignMutation] = []
        with status:
            for i, path in enumerate(designs, 1):
                def tick(r: Result, k: int, n: int, path: Path = path, i: int = i) -> None:
                    status.update(f"mutate: {path} ({i}/{len(designs)}): mutant {k}/{n}")
                status.update(f"mutate: {path} ({i}/{len(designs)}): checking the design")
                runs.append(mutate_design(path, scenarios, ops, n_jobs, opts, allow, tick, only,
                                          explain))
        write_output(render_mutation(fmt, runs, quiet), output)
        if output is not None:
            for d in runs:
                click.echo(f"{d.design}: mutation score {d.score:.1f}% · {len(d.survivors)} "
                           f"survivors · {d.seconds:.1f} s")
            click.echo(f"wrote {output} ({fmt})")
        failures = floor_failures(runs, floor) if floor is not None else []
        for msg in failures:
            click.echo(f"flagcheck mutate: {msg}", err=True)
        return EXIT_VIOLATED if failures else EXIT_OK

    guarded(run, debug, product="mutation report")
