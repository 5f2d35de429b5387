"""What every ``flagcheck`` command shares: the error guard, where a report is written,
the terminal, and the option sets declared once.

A module of its own (not main.py) because the command modules import it at load time
while main.py imports the command modules to register them.
"""
from __future__ import annotations

import functools
import sys
import traceback
from pathlib import Path
from typing import Any, Callable, TypeVar

import click
from rich.console import Console

from flagcheck.checker.verify import ENGINES, Options
from flagcheck.checker.verdict import EXIT_UNKNOWN, EXIT_USAGE
from flagcheck.tlamodel.deadline import Budget, OutOfTime
from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.load import Design, load_design
from flagcheck.tlamodel.params import Setting, combinations, parse_setting

F = TypeVar("F", bound=Callable[..., Any])

#: --no-reduce: depths are then steps of the source model (each statement one step)
NO_REDUCE_HELP = ("Check the model as written, without merging task-private steps "
                  "(slower; counterexamples show one step per statement).")


def guarded(run: Callable[[], int], debug: bool, product: str = "verdict") -> None:
    """Run a command's body and exit with its code.  Design errors exit 2 with
    file:line:col; nothing leaks a traceback unless --debug, and an internal error or
    an interrupt says there is no ``product`` rather than pretend one (exit 3)."""
    try:
        code = run()
    except DesignError as e:
        click.echo(e.render(), err=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        click.echo(f"flagcheck: interrupted; no {product}", err=True)
        sys.exit(EXIT_UNKNOWN)
    except OutOfTime as e:      # a phase before any verdict (reading the files) ran out
        click.echo(f"flagcheck: unknown ({e.reason}); no {product}", err=True)
        sys.exit(EXIT_UNKNOWN)
    except Exception as e:  # noqa: BLE001 - the last line of defence
        if debug:
            traceback.print_exc()
        click.echo(f"flagcheck: internal error ({type(e).__name__}: {e}); no {product}. "
                   "Re-run with --debug and report it.", err=True)
        sys.exit(EXIT_UNKNOWN)
    sys.exit(code)


def read_design(path: Path, allow: tuple[Path, ...], budget: Budget | None = None,
                params: dict[str, int] | None = None) -> Design:
    """``load_design`` on the run's time: reading, parsing and checking the file (and
    what it extends) are the phase "reading FILE" of ``budget``'s first scenario."""
    if budget is None:
        return load_design(path, allow_paths=allow, params=params)
    with budget.reading().phase_of(f"reading {path}"):
        return load_design(path, allow_paths=allow, params=params)


def check_params(designs: list[Design]) -> None:
    """Refuse a --param that no file of the run declares; call it once the scenarios the
    run checks have been read (a scenario file named on the command line may declare it)."""
    if designs:
        designs[0].check_params(designs[1:])


PARAM_HELP = ("Set parameter NAME of the files that declare it under params: (repeatable); "
              "docs/language.md, 'Parameters, task arrays and repeat'.")


def _settings(ctx: click.Context, param: click.Parameter, values: tuple[str, ...],
              sweep: bool) -> list[Setting]:
    """The --param values parsed; a bad one is a usage error (exit 2), as click's own."""
    from flagcheck.tlamodel.errors import DesignError
    try:
        out = [parse_setting(v) for v in values]
        combinations(out)
    except DesignError as e:
        raise click.BadParameter(e.message + (f" ({e.hint})" if e.hint else ""), ctx, param)
    for s in out:
        if s.is_range and not sweep:
            raise click.BadParameter(f"{s.name}={s.values[0]}..{s.values[-1]}: a range is "
                                     "for flagcheck test and compare (one run per value); "
                                     "give one value here", ctx, param)
    return out


def param_option(*, sweep: bool = False) -> Callable[[F], F]:
    """--param NAME=VALUE (repeatable).  The command receives ``params: dict[str, int]``;
    with ``sweep`` (test, compare) a value may be a range LO..HI and the command receives
    ``param_runs: list[dict[str, int]]``, one assignment per run of the sweep."""
    def decorate(f: F) -> F:
        @functools.wraps(f)
        def command(*args: Any, param_settings: list[Setting], **kw: Any) -> Any:
            runs = combinations(param_settings)
            if sweep:
                return f(*args, param_runs=runs, **kw)
            return f(*args, params=runs[0], **kw)

        help_text = PARAM_HELP + (" NAME=LO..HI runs once per value and labels each row "
                                  "with it." if sweep else "")
        return click.option("--param", "param_settings", multiple=True, metavar="NAME=VALUE",
                            callback=lambda c, p, v: _settings(c, p, v, sweep),
                            help=help_text)(command)  # type: ignore[return-value]
    return decorate


def write_output(text: str, output: Path | None) -> None:
    """The formatted report to FILE (its folder created), or to stdout; a file that
    cannot be written is bad input (exit 2), not an internal error."""
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as e:
        raise DesignError(f"cannot write {output}: {e.strerror or e}") from None


def wide_console() -> Console:
    """The terminal for reports: at least 140 columns, so verdict tables never fold."""
    return Console(soft_wrap=False, width=max(Console().width, 140))


def _stack(f: F, options: list[Callable[[F], F]]) -> F:
    """Apply click options so that --help lists them in the order given."""
    for opt in reversed(options):
        f = opt(f)
    return f


def engine_options(*, limits: bool = False) -> Callable[[F], F]:
    """The options that choose and bound the search, folded into one ``opts: Options``
    argument of the command.  ``limits`` adds --max-memory and --seed (verify, test);
    compare and gate run with their defaults."""
    def decorate(f: F) -> F:
        @functools.wraps(f)
        def command(*args: Any, engine: str, depth: int | None, timeout: float | None,
                    max_states: int | None, no_reduce: bool, max_memory: int | None = None,
                    seed: int = 0, no_symmetry: bool = False, **kw: Any) -> Any:
            opts = Options(engine=engine, depth=depth, timeout=timeout, max_states=max_states,
                           seed=seed, max_memory=max_memory, reduce=not no_reduce,
                           symmetry=not no_symmetry)
            return f(*args, opts=opts, **kw)

        options: list[Callable[[F], F]] = [
            click.option("--engine", type=click.Choice(ENGINES), default="auto", show_default=True,
                         help="auto: race the engines in parallel, first definitive answer wins; "
                              "bmc: Z3 bounded model checking; explicit: exhaustive state search; "
                              "kind: k-induction (proofs at every depth, up to k = --depth); "
                              "pdr: Z3 Spacer (proofs with the inductive invariant printed)."),
            click.option("--depth", type=click.IntRange(0, 10_000), default=None,
                         help="BMC bound in steps (default: each design's 'bound:', else 40)."),
            click.option("--timeout", type=click.FloatRange(min=0), default=None,
                         help="Seconds per scenario, reading and model building included "
                              "(the first scenario's time starts with the run); a phase cut "
                              "short says unknown, never holds."),
        ]
        if limits:
            options.append(click.option(
                "--max-memory", type=click.IntRange(64), default=None, metavar="MB",
                help="Address-space limit of each engine process; running out gives unknown,"
                     " never holds."))
        options.append(click.option("--max-states", type=click.IntRange(1), default=None,
                                    help="State limit for the explicit engine."))
        if limits:
            options.append(click.option("--seed", type=int, default=0, show_default=True,
                                        help="Z3 random seed."))
        options.append(click.option("--no-reduce", is_flag=True, help=NO_REDUCE_HELP))
        options.append(click.option("--no-symmetry", is_flag=True, help=(
            "Explicit engine: store every state, not one per orbit of interchangeable tasks.")))
        return _stack(command, options)  # type: ignore[arg-type]
    return decorate


def allow_path_option(f: F) -> F:
    """--allow-path DIR (repeatable), passed as ``allow``."""
    return click.option("--allow-path", "allow", multiple=True,
                        type=click.Path(file_okay=False, path_type=Path),
                        help="Allow extends/scenario files under DIR (repeatable).")(f)


def debug_option(f: F) -> F:
    """--debug: tracebacks of internal errors (see :func:`guarded`)."""
    return click.option("--debug", is_flag=True,
                        help="Show Python tracebacks of internal errors.")(f)


def output_option(help: str) -> Callable[[F], F]:  # noqa: A002 - click's own word
    """-o/--output FILE; each command says what goes to the file and what to the terminal."""
    return click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
                        default=None, metavar="FILE", help=help)
