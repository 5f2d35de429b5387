"""``flagcheck gate``: fail only on what a proposal makes worse than the base design."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console

from flagcheck.checker import gate
from flagcheck.checker.cli.common import (allow_path_option, debug_option, engine_options, guarded,
                                          output_option, param_option, wide_console, write_output)
from flagcheck.checker.report.gate import gate_document, print_gate, render_gate_markdown, render_gate_text
from flagcheck.checker.report.terminal import LiveStatus
from flagcheck.checker.verify import Options


@click.command("gate")
@click.option("--base", "base", required=True, type=click.Path(dir_okay=False, path_type=Path),
              metavar="BASE.yaml", help="The design the proposal is compared against.")
@click.argument("proposals", nargs=-1, required=True, metavar="PROPOSAL.yaml...",
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True)
@output_option("Write the result in --format to FILE.")
@allow_path_option
@click.option("--quiet", "-q", is_flag=True, help="No counterexamples, only the tables.")
@engine_options()
@param_option()
@debug_option
def gate_cmd(base: Path, proposals: tuple[Path, ...], fmt: str, output: Path | None,
             allow: tuple[Path, ...], quiet: bool, opts: Options, params: dict[str, int],
             debug: bool) -> None:
    """Fail only on what PROPOSAL makes worse than BASE.

    Both designs are checked on the union of the scenarios either lists.  Exit 1 if a
    property the base satisfies is violated by a proposal (a new violation); 3 if a verdict
    needed to decide is unknown; else 0 — violations the base already has do not fail.
    """

    def run() -> int:
        status = LiveStatus(Console(stderr=True), enabled=not quiet)
        count = [0]

        def on_model(model: Any) -> None:
            count[0] += 1
            status.update(f"gate: {model.meta.get('design', '')} × {model.meta.get('scenario', '')} "
                          f"(#{count[0]}) · engine {opts.engine}")
        with status:
            comparisons = gate.run_gate(base, list(proposals), opts, allow, on_model, params)
        code = gate.gate_exit_code(comparisons)
        if fmt == "text" and output is None:
            print_gate(wide_console(), comparisons, quiet)
            return code
        if fmt == "json":
            from flagcheck.checker.report.json import dumps
            text = dumps(gate_document(comparisons))
        elif fmt == "markdown":
            text = render_gate_markdown(comparisons)
        else:
            text = render_gate_text(comparisons, quiet)
        write_output(text, output)
        if output is not None:
            print_gate(wide_console(), comparisons, quiet)
            click.echo(f"wrote {output} ({fmt})")
        return code

    guarded(run, debug)
