"""``flagcheck export``: write a design × scenario model as Promela (SPIN) or TLA+.

The exported model is the one the engines check: the design's model of the scenario,
reduced by tlamodel.reduce unless --no-reduce is given.  See tlamodel/emit_promela.py and
tlamodel/emit_tla.py for the encodings and how to run SPIN/TLC on them.

Registered in checker/cli/main.py.
"""
from __future__ import annotations

from pathlib import Path

import click

from flagcheck.checker.cli.common import (allow_path_option, debug_option, guarded, param_option,
                                          write_output)
from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.load import load_design
from flagcheck.tlamodel.reduce import reduce_model

FORMATS = ("promela", "tla")


def export_text(design: Path, fmt: str, scenario: str | None, reduce: bool = True,
                allow: tuple[Path, ...] = (), filename: str | None = None,
                params: dict[str, int] | None = None) -> str:
    """The exported text; raises DesignError for bad input."""
    from flagcheck.tlamodel.emit_promela import to_promela
    from flagcheck.tlamodel.emit_tla import module_name, to_tla

    if fmt not in FORMATS:
        raise DesignError(f"unknown export format '{fmt}'", hint="use promela or tla")
    d = load_design(design, allow_paths=allow, params=params)
    if scenario is None:
        if len(d.scenarios) != 1:
            known = ", ".join(s.name for s in d.scenarios) or "none"
            raise DesignError(f"design {d.name} lists {len(d.scenarios)} scenarios; choose one "
                              "with --scenario", d.spec.loc, hint=f"known: {known}")
        scen = d.scenarios[0]
    else:
        scen = d.scenario(scenario)
    d.check_params()
    model = d.model(scen)
    if reduce:
        model = reduce_model(model)
        title = ("reduced model: task-private steps merged into the next visible step "
                 "(tlamodel.reduce), as flagcheck's engines check it")
    else:
        title = "unreduced model (--no-reduce): one step per statement"
    if fmt == "promela":
        return to_promela(model, title=title)
    text = to_tla(model, title=title)
    if filename is not None and Path(filename).stem != module_name(model):
        click.echo(f"flagcheck export: note: the module is {module_name(model)}; SANY and TLC "
                   f"want it in {module_name(model)}.tla", err=True)
    return text


@click.command("export")
@click.argument("design", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--to", "fmt", type=click.Choice(FORMATS), required=True,
              help="promela: a SPIN model (never claims + end states); tla: a TLA+ module.")
@click.option("--scenario", "-s", metavar="FILE_OR_NAME", default=None,
              help="The scenario to export (may be omitted when the design lists one).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to FILE instead of standard output.")
@click.option("--no-reduce", is_flag=True,
              help="Export the model before tlamodel.reduce merges task-private steps.")
@allow_path_option
@param_option()
@debug_option
def export_cmd(design: Path, fmt: str, scenario: str | None, output: Path | None,
               no_reduce: bool, allow: tuple[Path, ...], params: dict[str, int],
               debug: bool) -> None:
    """Export DESIGN's model of one scenario for SPIN (--to promela) or TLA+ tools (--to tla)."""

    def run() -> int:
        text = export_text(design, fmt, scenario, reduce=not no_reduce, allow=allow,
                           filename=str(output) if output else None, params=params)
        write_output(text, output)
        if output is not None:
            click.echo(f"wrote {output}", err=True)
        return 0

    guarded(run, debug, product="export")
