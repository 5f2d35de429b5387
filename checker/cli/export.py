"""``flagcheck export``: write a design × scenario model as Promela (SPIN) or TLA+.

The exported model is the one the engines check: the design's model of the scenario,
reduced by tlamodel.reduce unless --no-reduce is given.  See tlamodel/emit_promela.py and
tlamodel/emit_tla.py for the encodings and how to run SPIN/TLC on them.

Register it in checker/cli/main.py with ``main.add_command(export_cmd)``.
"""
from __future__ import annotations

import sys
import traceback
from pathlib import Path

import click

from flagcheck.checker.verdict import EXIT_UNKNOWN, EXIT_USAGE
from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.load import load_design
from flagcheck.tlamodel.reduce import reduce_model

FORMATS = ("promela", "tla")


def export_text(design: Path, fmt: str, scenario: str | None, reduce: bool = True,
                allow: tuple[Path, ...] = (), filename: str | None = None) -> str:
    """The exported text; raises DesignError for bad input."""
    from flagcheck.tlamodel.emit_promela import to_promela
    from flagcheck.tlamodel.emit_tla import module_name, to_tla

    if fmt not in FORMATS:
        raise DesignError(f"unknown export format '{fmt}'", hint="use promela or tla")
    d = load_design(design, allow_paths=allow)
    if scenario is None:
        if len(d.scenarios) != 1:
            known = ", ".join(s.name for s in d.scenarios) or "none"
            raise DesignError(f"design {d.name} lists {len(d.scenarios)} scenarios; choose one "
                              "with --scenario", d.spec.loc, hint=f"known: {known}")
        scen = d.scenarios[0]
    else:
        scen = d.scenario(scenario)
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
@click.option("--allow-path", "allow", multiple=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Allow extends/scenario files under DIR (repeatable).")
@click.option("--debug", is_flag=True, help="Show Python tracebacks of internal errors.")
def export_cmd(design: Path, fmt: str, scenario: str | None, output: Path | None,
               no_reduce: bool, allow: tuple[Path, ...], debug: bool) -> None:
    """Export DESIGN's model of one scenario for SPIN (--to promela) or TLA+ tools (--to tla)."""
    try:
        text = export_text(design, fmt, scenario, reduce=not no_reduce, allow=allow,
                           filename=str(output) if output else None)
    except DesignError as e:
        click.echo(e.render(), err=True)
        sys.exit(EXIT_USAGE)
    except Exception as e:  # noqa: BLE001 - the last line of defence, as in checker/cli/main.py
        if debug:
            traceback.print_exc()
        click.echo(f"flagcheck: internal error ({type(e).__name__}: {e}); no export. "
                   "Re-run with --debug and report it.", err=True)
        sys.exit(EXIT_UNKNOWN)
    if output is None:
        click.echo(text, nl=False)
    else:
        try:
            output.write_text(text)
        except OSError as e:
            click.echo(f"flagcheck export: cannot write {output}: {e.strerror or e}", err=True)
            sys.exit(EXIT_USAGE)
        click.echo(f"wrote {output}", err=True)
    sys.exit(0)
