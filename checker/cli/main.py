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

from flagcheck.checker import coverage
from flagcheck.checker.report import FORMATS, render, render_many, report_of
from flagcheck.checker.report.terminal import LiveStatus, print_coverage, print_findings, print_report, progress_seconds
from flagcheck.checker.verify import AUTO_RACE, ENGINES, Options, select_scenarios, verify
from flagcheck.checker.verdict import EXIT_OK, EXIT_UNKNOWN, EXIT_USAGE, EXIT_VIOLATED, exit_code
from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.load import load_design


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


def _write(text: str, output: Path | None) -> None:
    """The formatted report to FILE, or to stdout."""
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as e:
        raise DesignError(f"cannot write {output}: {e.strerror or e}") from None


def _terminal() -> Console:
    return Console(soft_wrap=False, width=max(Console().width, 140))


def _bound(engine: str, depth: int) -> str:
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


#: --no-reduce: depths are then steps of the source model (each statement one step)
NO_REDUCE_HELP = ("Check the model as written, without merging task-private steps "
                  "(slower; counterexamples show one step per statement).")


@main.command("verify")
@click.argument("designs", nargs=-1, required=True, metavar="DESIGN...",
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--scenario", "-s", "scenarios", multiple=True, metavar="FILE_OR_NAME",
              help="Check only this scenario (repeatable). Default: all the design lists.")
@click.option("--property", "-p", "props", multiple=True, metavar="NAME",
              help="Check only this property (repeatable).")
@click.option("--engine", type=click.Choice(ENGINES), default="auto", show_default=True,
              help="auto: race the engines in parallel, first definitive answer wins; "
                   "bmc: Z3 bounded model checking; explicit: exhaustive state search; "
                   "kind: k-induction (proofs at every depth, up to k = --depth); "
                   "pdr: Z3 Spacer (proofs with the inductive invariant printed).")
@click.option("--depth", type=click.IntRange(0, 10_000), default=None,
              help="BMC bound in steps (default: the design's 'bound:', else 40).")
@click.option("--timeout", type=click.FloatRange(min=0), default=None,
              help="Seconds per scenario; a search cut short says unknown, never holds.")
@click.option("--max-memory", type=click.IntRange(64), default=None, metavar="MB",
              help="Address-space limit; running out gives unknown, never holds.")
@click.option("--max-states", type=click.IntRange(1), default=None,
              help="State limit for the explicit engine.")
@click.option("--seed", type=int, default=0, show_default=True, help="Z3 random seed.")
@click.option("--no-reduce", is_flag=True, help=NO_REDUCE_HELP)
@click.option("--allow-path", "allow", multiple=True, type=click.Path(file_okay=False, path_type=Path),
              help="Allow extends/scenario files under DIR (repeatable).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Report format (docs/trace-format.md describes json).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FILE", help="Write the report in --format to FILE; the terminal then "
                                   "gets the text report.")
@click.option("--strict", is_flag=True,
              help="Fail (exit 1) on vacuity warnings: task code never reached, or an "
                   "invariant whose variables never change.")
@click.option("--quiet", "-q", is_flag=True, help="Only the verdict table (and warnings) on "
                                                   "stdout; progress stays on stderr.")
@click.option("--no-progress", "no_progress", is_flag=True,
              help="No progress on stderr (by default: a live line on a terminal, else a "
                   "'progress:' line every 10 s, or FLAGCHECK_PROGRESS_SECONDS).")
@click.option("--debug", is_flag=True, help="Show Python tracebacks of internal errors.")
def verify_cmd(designs: tuple[Path, ...], scenarios: tuple[str, ...], props: tuple[str, ...], engine: str,
               depth: int | None, timeout: float | None, max_memory: int | None,
               max_states: int | None, seed: int, no_reduce: bool,
               allow: tuple[Path, ...], fmt: str, output: Path | None, strict: bool,
               quiet: bool, no_progress: bool, debug: bool) -> None:
    """Check each DESIGN against its scenarios and print verdicts and counterexamples.

    Exit codes: 0 nothing violated and nothing unknown, 1 a property violated (or, with
    --strict, a vacuity warning), 2 bad input or usage, 3 unknown and nothing violated;
    with several designs, the worst over all of them (1 before 3 before 0).  This ignores
    the designs' expect: blocks: `flagcheck test` is the gate that honours them.
    """

    def one(design: Path, d: Any) -> tuple[Any, list[Any], list[Any], int]:
        opts = Options(engine=engine, depth=depth, timeout=timeout, max_states=max_states, seed=seed,
                       max_memory=max_memory, reduce=not no_reduce)
        bound = _bound(engine, depth if depth is not None else d.bound)
        total = len(select_scenarios(d, scenarios))
        status, on_model = _status(d.name, engine, bound, total, not no_progress)
        with status:
            verdicts = verify(d, scenarios, props, opts, on_model=on_model,
                              progress=None if no_progress else status.progress)
            status.update(f"{d.name}: coverage of {total} scenario(s)")
            cov = coverage.of_run(d, verdicts, engine, max_states, timeout)
        code = exit_code(verdicts)
        if strict and coverage.findings(cov):
            code = EXIT_VIOLATED
        header = f"flagcheck verify {design}: design {d.name} ({engine}, {bound})"
        return report_of(d, verdicts, header, cov, code), verdicts, cov, code

    def run() -> int:
        if fmt == "html" and len(designs) > 1:
            raise DesignError("--format html renders one design; run verify once per design")
        # every file is read before any search, so a typo in the last one fails at once
        loaded = [(p, load_design(p, allow_paths=allow)) for p in designs]
        runs = [one(p, d) for p, d in loaded]
        codes = [c for *_, c in runs]
        code = EXIT_VIOLATED if EXIT_VIOLATED in codes else \
            EXIT_UNKNOWN if EXIT_UNKNOWN in codes else EXIT_OK
        if fmt != "text" or output is not None:
            _write(render_many(fmt, [r for r, *_ in runs], code), output)
            if output is None:
                return code
        console = _terminal()
        for report, verdicts, cov, _ in runs:
            if quiet:
                from flagcheck.checker.report.terminal import print_skipped, verdict_table
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

    _guarded(run, debug)


def _engine_options(f: Callable[..., Any]) -> Callable[..., Any]:
    for opt in reversed([
        click.option("--engine", type=click.Choice(ENGINES), default="auto", show_default=True),
        click.option("--depth", type=click.IntRange(0, 10_000), default=None,
                     help="BMC bound (default: each design's 'bound:')."),
        click.option("--timeout", type=click.FloatRange(min=0), default=None,
                     help="Seconds per scenario."),
        click.option("--max-states", type=click.IntRange(1), default=None),
        click.option("--no-reduce", is_flag=True, help=NO_REDUCE_HELP),
        click.option("--debug", is_flag=True, help="Show tracebacks of internal errors."),
    ]):
        f = opt(f)
    return f


@main.command("compare")
@click.argument("designs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True,
              help="markdown: the README's table (a row per design, a column per scenario); "
                   "json: every scenario × property cell as well (docs/trace-format.md).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FILE", help="Write the comparison in --format to FILE (text at 100 "
                                   "columns); the terminal then gets the text table.")
@_engine_options
def compare_cmd(designs: tuple[Path, ...], fmt: str, output: Path | None, engine: str,
                depth: int | None, timeout: float | None, max_states: int | None,
                no_reduce: bool, debug: bool) -> None:
    """Verdicts of several DESIGNS side by side, one cell per design × scenario: "proved"
    when every property the scenario checks holds in every reachable state, the violated
    properties with their counterexample length ("deadlock@16"), "holds@K" when only
    searched to depth K, "unknown" when a search was cut short.

    Exits 1 if any cell is violated, 3 if none is but one is unknown."""
    import io

    from flagcheck.checker.regress import compare, markdown, print_text

    def run() -> int:
        opts = Options(engine=engine, depth=depth, timeout=timeout, max_states=max_states,
                       reduce=not no_reduce)
        c = compare(designs, opts)
        if fmt != "text" or output is not None:
            if fmt == "markdown":
                text = markdown(c)
            elif fmt == "json":
                text = _compare_json(c)
            else:
                buf = io.StringIO()
                print_text(c, Console(file=buf, width=100, color_system=None, soft_wrap=False))
                text = buf.getvalue()
            _write(text, output)
        if output is not None or fmt == "text":
            print_text(c, Console(soft_wrap=False))
        if output is not None:
            click.echo(f"wrote {output} ({fmt})")
        if any(v.status == "unknown" for v in c.cells.values()) and not c.any_violated:
            return EXIT_UNKNOWN
        return 1 if c.any_violated else 0

    _guarded(run, debug)


def _compare_json(c: Any) -> str:
    """``compare --format json``: ``flagcheck-compare`` version 1 (docs/trace-format.md).

    ``cells`` keeps one entry per scenario × property (what a script gating on one
    property needs); ``scenario_cells`` adds the folded per-scenario cell the markdown
    table shows, so both views come from one run."""
    from flagcheck.checker.report.json import dumps
    from flagcheck.checker.regress import cell
    cells = []
    for d in c.designs:
        for s, p in c.columns:
            v = c.cells.get((d, s, p))
            if v is None:
                continue
            o = v.outcome
            cells.append({"design": d, "scenario": s, "property": p, "status": v.status,
                          "word": v.word(), "cell": cell(v),
                          "depth": o.depth if o else None, "engine": o.engine if o else None})
    scenario_cells = []
    for d in c.designs:
        for s in c.scenarios:
            sc = c.scenario_cell(d, s)
            if sc.status:
                scenario_cells.append({"design": d, "scenario": s, "status": sc.status,
                                       "cell": sc.text})
    return dumps({"format": "flagcheck-compare", "version": 1, "designs": list(c.designs),
                  "summaries": {d: c.summaries.get(d, "") for d in c.designs},
                  "scenarios": [{"name": s, "control": s in c.controls} for s in c.scenarios],
                  "columns": [{"scenario": s, "property": p} for s, p in c.columns],
                  "cells": cells, "scenario_cells": scenario_cells,
                  "any_violated": c.any_violated})


@main.command("replay")
@click.argument("trace_file", metavar="TRACE.json", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("design", metavar="DESIGN.yaml", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--scenario", "-s", "scenario", default=None, metavar="FILE_OR_NAME",
              help="Replay on this scenario (default: the one the trace records).")
@click.option("--property", "-p", "prop", default=None, metavar="NAME",
              help="Only the counterexample of this property.")
@click.option("--allow-path", "allow", multiple=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--debug", is_flag=True, help="Show Python tracebacks of internal errors.")
def replay_cmd(trace_file: Path, design: Path, scenario: str | None, prop: str | None,
               allow: tuple[Path, ...], debug: bool) -> None:
    """Re-execute a saved counterexample (verify --format json, or an ITF trace) on DESIGN.

    Each step's action is found by its index and must still be the same statement; the run
    is replayed from the initial state by the reference semantics and must end violating
    the property.  Exit 0: every selected counterexample reproduces; 1: one does not (the
    reason is printed); 2: bad input.
    """
    import json

    from flagcheck.checker.report import itf

    def run() -> int:
        try:
            doc = json.loads(trace_file.read_text(encoding="utf-8"))
        except OSError as e:
            raise DesignError(f"cannot read {trace_file}: {e.strerror or e}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise DesignError(f"{trace_file}: not JSON ({e})") from None
        d = load_design(design, allow_paths=allow)
        try:
            saved = itf.saved_traces(doc)
        except itf.BadTrace as e:
            raise DesignError(f"{trace_file}: {e}") from None
        if prop is not None:
            saved = [t for t in saved if t.property in (None, prop)]
        if scenario is not None:
            want = d.scenario(scenario).name
            matching = [t for t in saved if t.scenario in (None, want)]
            saved = matching if matching or len(saved) != 1 else saved
        if not saved:
            what = " and ".join(x for x in (f"scenario {scenario}" if scenario else "",
                                            f"property {prop}" if prop else "") if x)
            raise DesignError(f"{trace_file} holds no counterexample" + (f" for {what}" if what else ""))
        code = EXIT_OK
        for t in saved:
            try:
                r = itf.replay_saved(d, t, scenario, prop)
            except itf.BadTrace as e:
                raise DesignError(f"{trace_file}: {e}") from None
            what = f"{r.property} on {r.scenario}"
            origin = f" (recorded on design {t.design})" if t.design and t.design != d.name else ""
            if r.reproduces:
                click.echo(f"reproduces: {what}: {r.steps} steps replayed on design {d.name}{origin}; "
                           f"{r.property} is violated in the last state")
            else:
                click.echo(f"does not reproduce: {what} on design {d.name}{origin}: {r.reason}")
                code = EXIT_VIOLATED
        return code

    _guarded(run, debug)


@main.command("gate")
@click.option("--base", "base", required=True, type=click.Path(dir_okay=False, path_type=Path),
              metavar="BASE.yaml", help="The design the proposal is compared against.")
@click.argument("proposals", nargs=-1, required=True, metavar="PROPOSAL.yaml...",
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FILE", help="Write the result in --format to FILE.")
@click.option("--allow-path", "allow", multiple=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--quiet", "-q", is_flag=True, help="No counterexamples, only the tables.")
@_engine_options
def gate_cmd(base: Path, proposals: tuple[Path, ...], fmt: str, output: Path | None,
             allow: tuple[Path, ...], quiet: bool, engine: str, depth: int | None,
             timeout: float | None, max_states: int | None, no_reduce: bool,
             debug: bool) -> None:
    """Fail only on what PROPOSAL makes worse than BASE.

    Both designs are checked on the union of the scenarios either lists.  Exit 1 if a
    property the base satisfies is violated by a proposal (a new violation); 3 if a verdict
    needed to decide is unknown; else 0 — violations the base already has do not fail.
    """
    from flagcheck.checker import gate

    def run() -> int:
        opts = Options(engine=engine, depth=depth, timeout=timeout, max_states=max_states,
                       reduce=not no_reduce)
        status = LiveStatus(Console(stderr=True), enabled=not quiet)
        count = [0]

        def on_model(model: Any) -> None:
            count[0] += 1
            status.update(f"gate: {model.meta.get('design', '')} × {model.meta.get('scenario', '')} "
                          f"(#{count[0]}) · engine {engine}")
        with status:
            comparisons = gate.run_gate(base, list(proposals), opts, allow, on_model)
        code = gate.exit_code(comparisons)
        if fmt == "text" and output is None:
            gate.print_text(_terminal(), comparisons, quiet)
            return code
        if fmt == "json":
            from flagcheck.checker.report.json import dumps
            text = dumps(gate.document(comparisons))
        elif fmt == "markdown":
            text = gate.markdown(comparisons)
        else:
            import io
            buf = io.StringIO()
            gate.print_text(Console(file=buf, width=140, no_color=True, color_system=None),
                            comparisons, quiet)
            text = buf.getvalue()
        _write(text, output)
        if output is not None:
            gate.print_text(_terminal(), comparisons, quiet)
            click.echo(f"wrote {output} ({fmt})")
        return code

    _guarded(run, debug)


from flagcheck.checker.cli.export import export_cmd  # noqa: E402 - registered after the group exists
from flagcheck.checker.cli.expectations import test_cmd  # noqa: E402

main.add_command(export_cmd)
main.add_command(test_cmd)


if __name__ == "__main__":  # pragma: no cover
    main()
