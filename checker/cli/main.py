"""The ``flagcheck`` command line: the click group and its commands, one module each.

Exit codes (the contract CI gates rely on): 0 nothing violated and nothing unknown,
1 a property violated, 2 bad input or usage, 3 unknown (timeout/limit) and none violated.
What the commands share (the error guard, option sets, output) is in checker/cli/common.py.
"""
from __future__ import annotations

import click

from flagcheck.checker.cli.compare import compare_cmd
from flagcheck.checker.cli.expectations import test_cmd
from flagcheck.checker.cli.export import export_cmd
from flagcheck.checker.cli.gate import gate_cmd
from flagcheck.checker.cli.mutate import mutate_cmd
from flagcheck.checker.cli.replay import replay_cmd
from flagcheck.checker.cli.verify import verify_cmd


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="flagcheck")
def main() -> None:
    """flagcheck: a model checker for Linux kernel flag semantics."""


# in the order `flagcheck --help` listed them before: click sorts them by name anyway
for _command in (verify_cmd, compare_cmd, replay_cmd, gate_cmd, export_cmd, test_cmd, mutate_cmd):
    main.add_command(_command)


if __name__ == "__main__":  # pragma: no cover
    main()
