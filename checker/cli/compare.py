"""``flagcheck compare``: the verdicts of several designs side by side."""
from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from flagcheck.checker import regress
from flagcheck.checker.cli.common import (debug_option, engine_options, guarded, output_option,
                                          param_option, write_output)
from flagcheck.checker.cli.pool import pool_options
from flagcheck.checker.sweep import Pool
from flagcheck.checker.report.compare import (print_compare, render_compare_json,
                                              render_compare_markdown, render_compare_text)
from flagcheck.checker.verify import Options
from flagcheck.checker.verdict import exit_code
from flagcheck.tlamodel.params import label


@click.command("compare")
@click.argument("designs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True,
              help="markdown: the README's table (a row per design, a column per scenario); "
                   "json: every scenario × property cell as well (docs/trace-format.md).")
@output_option("Write the comparison in --format to FILE (text at 100 columns); the terminal "
               "then gets the text table.")
@engine_options()
@pool_options
@param_option(sweep=True)
@debug_option
def compare_cmd(designs: tuple[Path, ...], fmt: str, output: Path | None, opts: Options,
                pool: Pool, param_runs: list[dict[str, int]], debug: bool) -> None:
    """Verdicts of several DESIGNS side by side, one cell per design × scenario: "proved"
    when every property the scenario checks holds in every reachable state, the violated
    properties with their counterexample length ("deadlock@16"), "holds@K" when only
    searched to depth K, "unknown" when a search was cut short.

    Exits 1 if any cell is violated, 3 if none is but one is unknown.  -j N or --cluster
    runs the design × scenario jobs in parallel with the same table and exit code.
    --param N=1..6 runs once per value: a row per design and value ("design [N=3]"), and
    the exit code over all of them."""

    def run() -> int:
        # looked up on the module at run time, so a test can hand in a table it made
        tables = [(label(p), regress.compare_designs(designs, opts, pool=pool, params=p))
                  for p in param_runs]
        table = tables[0][1] if len(tables) == 1 else regress.merged_tables(tables)
        if fmt != "text" or output is not None:
            render = {"markdown": render_compare_markdown, "json": render_compare_json,
                      "text": render_compare_text}[fmt]
            write_output(render(table), output)
        if output is not None or fmt == "text":
            print_compare(table, Console(soft_wrap=False))
        if output is not None:
            click.echo(f"wrote {output} ({fmt})")
        return exit_code(list(table.cells.values()))

    guarded(run, debug)
