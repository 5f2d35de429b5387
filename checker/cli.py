"""The ``flagcheck`` command line.

Exit codes (the contract CI gates rely on): 0 nothing violated and nothing unknown,
1 a property violated, 2 bad input or usage, 3 unknown (timeout/limit) and none violated.
"""
from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Any, Callable

import click
from rich.console import Console

from checker.report import print_report
from checker.run import ENGINES, Options, verify
from checker.verdict import EXIT_UNKNOWN, EXIT_USAGE, exit_code
from tlamodel.errors import DesignError
from tlamodel.load import load_design


def _guarded(fn: Callable[..., int], debug: bool, *args: Any, **kw: Any) -> None:
    """Design errors exit 2 with file:line:col; nothing leaks a traceback unless --debug."""
    try:
        code = fn(*args, **kw)
    except DesignError as e:
        click.echo(e.render(), err=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        click.echo("flagcheck: interrupted; no verdict", err=True)
        sys.exit(EXIT_UNKNOWN)
    except Exception as e:  # noqa: BLE001 - the last line of defence
        if debug:
            traceback.print_exc()
        click.echo(f"flagcheck: internal error ({type(e).__name__}: {e}); no verdict. "
                   "Re-run with --debug and report it.", err=True)
        sys.exit(EXIT_UNKNOWN)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="flagcheck")
def main() -> None:
    """flagcheck: a model checker for Linux kernel flag semantics."""


@main.command("verify")
@click.argument("design", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--scenario", "-s", "scenarios", multiple=True, metavar="FILE_OR_NAME",
              help="Check only this scenario (repeatable). Default: all the design lists.")
@click.option("--property", "-p", "props", multiple=True, metavar="NAME",
              help="Check only this property (repeatable).")
@click.option("--engine", type=click.Choice(ENGINES), default="auto", show_default=True,
              help="auto: race the engines in parallel, first definitive answer wins; "
                   "bmc: Z3 bounded model checking; explicit: exhaustive state search.")
@click.option("--depth", type=click.IntRange(0, 10_000), default=None,
              help="BMC bound in steps (default: the design's 'bound:', else 40).")
@click.option("--timeout", type=click.FloatRange(min=0), default=None,
              help="Seconds per scenario; a search cut short says unknown, never holds.")
@click.option("--max-states", type=click.IntRange(1), default=None,
              help="State limit for the explicit engine.")
@click.option("--seed", type=int, default=0, show_default=True, help="Z3 random seed.")
@click.option("--allow-path", "allow", multiple=True, type=click.Path(file_okay=False, path_type=Path),
              help="Allow extends/scenario files under DIR (repeatable).")
@click.option("--quiet", "-q", is_flag=True, help="Only the verdict table.")
@click.option("--debug", is_flag=True, help="Show Python tracebacks of internal errors.")
def verify_cmd(design: Path, scenarios: tuple[str, ...], props: tuple[str, ...], engine: str,
               depth: int | None, timeout: float | None, max_states: int | None, seed: int,
               allow: tuple[Path, ...], quiet: bool, debug: bool) -> None:
    """Check DESIGN against its scenarios and print verdicts and counterexamples."""

    def run() -> int:
        d = load_design(design, allow_paths=allow)
        opts = Options(engine=engine, depth=depth, timeout=timeout, max_states=max_states, seed=seed)
        verdicts = verify(d, scenarios, props, opts)
        console = Console(soft_wrap=False, width=max(Console().width, 140))
        bound = {"bmc": f"depth {depth if depth is not None else d.bound}",
                 "explicit": "exhaustive"}.get(engine, f"bmc depth {depth if depth is not None else d.bound} + explicit")
        header = f"flagcheck verify {design}: design {d.name} ({engine}, {bound})"
        if quiet:
            from checker.report import verdict_table
            console.print(verdict_table(verdicts))
        else:
            print_report(console, verdicts, header)
        return exit_code(verdicts)

    _guarded(run, debug)


def _engine_options(f: Callable[..., Any]) -> Callable[..., Any]:
    for opt in reversed([
        click.option("--engine", type=click.Choice(ENGINES), default="auto", show_default=True),
        click.option("--depth", type=click.IntRange(0, 10_000), default=None,
                     help="BMC bound (default: each design's 'bound:')."),
        click.option("--timeout", type=click.FloatRange(min=0), default=None,
                     help="Seconds per scenario."),
        click.option("--max-states", type=click.IntRange(1), default=None),
        click.option("--debug", is_flag=True, help="Show tracebacks of internal errors."),
    ]):
        f = opt(f)
    return f


@main.command("test")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@_engine_options
def test_cmd(paths: tuple[Path, ...], engine: str, depth: int | None, timeout: float | None,
             max_states: int | None, debug: bool) -> None:
    """Check every design under PATHS against its expect: verdicts (default: specs/).

    Exits 0 only when every verdict equals its expectation, so known-bad designs can be
    kept and still gate CI; 1 on a mismatch or a missing expectation; 3 when a search was
    cut short.
    """
    from rich.table import Table
    from rich.text import Text

    from checker.regress import expected_word, run_tests, tests_exit_code

    def run() -> int:
        opts = Options(engine=engine, depth=depth, timeout=timeout, max_states=max_states)
        checks = run_tests(paths or (Path("specs"),), opts)
        t = Table(box=None, header_style="bold")
        for col in ("design", "scenario", "property", "expected", "got", "result"):
            t.add_column(col)
        style = {"ok": "green", "MISMATCH": "bold red", "NO EXPECTATION": "bold red",
                 "UNKNOWN": "bold yellow", "skipped": "dim"}
        for c in checks:
            v = c.verdict
            got = v.word() if v.outcome else "not checked"
            t.add_row(v.design, v.scenario, v.property, expected_word(v), got,
                      Text(c.result, style=style[c.result]))
        console = Console(width=max(Console().width, 140))
        console.print(t)
        bad = sum(c.failed for c in checks)
        ok = sum(c.result == "ok" for c in checks)
        console.print(f"{ok} verdicts as expected, {bad} not, "
                      f"{sum(c.result == 'UNKNOWN' for c in checks)} unknown")
        return tests_exit_code(checks)

    _guarded(run, debug)


@main.command("compare")
@click.argument("designs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text",
              show_default=True)
@_engine_options
def compare_cmd(designs: tuple[Path, ...], fmt: str, engine: str, depth: int | None,
                timeout: float | None, max_states: int | None, debug: bool) -> None:
    """Verdicts of several DESIGNS side by side: designs as rows, scenario × property as
    columns.  Exits 1 if any cell is violated."""
    from rich.table import Table
    from rich.text import Text

    from checker.regress import compare, markdown

    def run() -> int:
        opts = Options(engine=engine, depth=depth, timeout=timeout, max_states=max_states)
        c = compare(designs, opts)
        if fmt == "markdown":
            click.echo(markdown(c), nl=False)
        else:
            t = Table(header_style="bold", show_lines=True)
            t.add_column("design")
            for s, p in c.columns:
                t.add_column(f"{s}\n{p}", overflow="fold")
            for d in c.designs:
                row = [c.get(d, col) for col in c.columns]
                t.add_row(d, *(Text(x, style="bold red" if x.startswith("violated") else
                                    "green" if x == "proved" else "") for x in row))
            Console(width=max(Console().width, 200)).print(t)
        if any(v.status == "unknown" for v in c.cells.values()) and not c.any_violated:
            return EXIT_UNKNOWN
        return 1 if c.any_violated else 0

    _guarded(run, debug)


if __name__ == "__main__":  # pragma: no cover
    main()
