"""``flagcheck replay``: re-execute a saved counterexample on a design."""
from __future__ import annotations

import json
from pathlib import Path

import click

from flagcheck.checker.cli.common import allow_path_option, debug_option, guarded, param_option
from flagcheck.checker.report import itf
from flagcheck.checker.verdict import EXIT_OK, EXIT_VIOLATED
from flagcheck.checker.verify import replay_saved
from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.load import load_design


@click.command("replay")
@click.argument("trace_file", metavar="TRACE.json", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("design", metavar="DESIGN.yaml", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--scenario", "-s", "scenario", default=None, metavar="FILE_OR_NAME",
              help="Replay on this scenario (default: the one the trace records).")
@click.option("--property", "-p", "prop", default=None, metavar="NAME",
              help="Only the counterexample of this property.")
@allow_path_option
@param_option()
@debug_option
def replay_cmd(trace_file: Path, design: Path, scenario: str | None, prop: str | None,
               allow: tuple[Path, ...], params: dict[str, int], debug: bool) -> None:
    """Re-execute a saved counterexample (verify --format json, or an ITF trace) on DESIGN.

    Each step's action is found by its index and must still be the same statement; the run
    is replayed from the initial state by the reference semantics and must end violating
    the property.  Exit 0: every selected counterexample reproduces; 1: one does not (the
    reason is printed); 2: bad input.
    """

    def run() -> int:
        try:
            doc = json.loads(trace_file.read_text(encoding="utf-8"))
        except OSError as e:
            raise DesignError(f"cannot read {trace_file}: {e.strerror or e}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise DesignError(f"{trace_file}: not JSON ({e})") from None
        d = load_design(design, allow_paths=allow, params=params)
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
        if params:      # read the scenarios first: a scenario file may declare a --param
            for t in saved:
                if scenario or t.scenario:
                    d.scenario(scenario or t.scenario)
            d.check_params()
        code = EXIT_OK
        for t in saved:
            try:
                r = replay_saved(d, t, scenario, prop)
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

    guarded(run, debug)
