"""--param on the command line: one value on every command that reads designs, a range
on test and compare (one labelled row set per value, the worst exit code), and usage
errors (exit 2, no traceback).  Fixtures: tests/tlamodel/fixtures/params/."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from flagcheck.checker.cli.main import main

FIXTURES = Path(__file__).resolve().parents[1] / "tlamodel" / "fixtures" / "params"
DESIGN = str(FIXTURES / "design.yaml")
SWEEP = str(FIXTURES / "sweep.yaml")
SWEEP_DEPTH = str(FIXTURES / "sweep-depth.yaml")


def run(*args: str) -> Result:
    r = CliRunner().invoke(main, list(args))
    assert "Traceback" not in r.output and "internal error" not in r.output, r.output
    return r


def test_verify_takes_a_value() -> None:
    r = run("verify", DESIGN, "-s", "workers", "--engine", "explicit", "-q", "--param", "N=3",
            "--no-progress")
    assert r.exit_code == 1, r.output          # the collector's assertion fails
    three = run("verify", DESIGN, "-s", "workers-3", "--engine", "explicit", "-q",
                "--no-progress")
    # the same verdicts as the hand-written copy (names of the scenario aside)
    assert verdict_words(r.output) == verdict_words(three.output)
    assert "483 states" in r.output


def verdict_words(table: str) -> list[list[str]]:
    """property and verdict of each row of verify -q's table (no scenario, no seconds)."""
    return [ln.split()[1:-2] for ln in table.splitlines()[1:] if ln.strip()]


def test_a_scenario_file_on_the_command_line_may_declare_the_parameter() -> None:
    r = run("verify", str(FIXTURES / "sweep.yaml"), "-s", str(FIXTURES / "workers.yaml"),
            "--engine", "explicit", "-q", "--param", "N=1", "--no-progress")
    assert r.exit_code == 1 and "29 states" in r.output, r.output


@pytest.mark.parametrize("value, message", [
    ("M=2", "unknown parameter 'M' in --param"),
    ("N=two", "not a whole number"),
    ("N=1.5", "not a whole number"),
    ("N", "NAME=VALUE"),
    ("N=3..1", "empty range"),
    ("N=1..3", "a range is for flagcheck test and compare"),
    ("N=0", "task array W[1..N] is empty"),
])
def test_bad_values_are_usage_errors(value: str, message: str) -> None:
    r = run("verify", DESIGN, "--engine", "explicit", "--param", value, "--no-progress")
    assert r.exit_code == 2, r.output
    assert message in r.output


def test_every_command_that_reads_designs_takes_param() -> None:
    for cmd in ("verify", "test", "compare", "export", "replay", "gate"):
        r = CliRunner().invoke(main, [cmd, "--help"])
        assert r.exit_code == 0 and "--param" in r.output, cmd


def test_export_writes_array_elements_as_identifiers() -> None:
    r = run("export", DESIGN, "--to", "promela", "-s", "workers", "--param", "N=3")
    assert r.exit_code == 0, r.output
    assert "proctype W_3" in r.output or "W_3" in r.output
    assert "[" not in "".join(ln for ln in r.output.splitlines() if not ln.lstrip().startswith(
        ("/*", "*", "//")) and "/*" not in ln)
    r = run("export", DESIGN, "--to", "tla", "-s", "workers", "--param", "M=3")
    assert r.exit_code == 2 and "unknown parameter 'M'" in r.output


def test_test_sweeps_a_range_one_labelled_row_set_per_value() -> None:
    r = run("test", SWEEP, "--engine", "explicit", "--param", "N=1..3")
    assert r.exit_code == 0, r.output
    for n, states in ((1, 29), (2, 123), (3, 483)):
        assert f"params-sweep [N={n}]" in r.output
        assert f"{states} states" in r.output
    assert "9 verdicts as expected, 0 not" in r.output


def test_the_worst_value_decides_the_exit_code() -> None:
    # violated@4 is N = 2's depth: N = 1 and N = 3 mismatch, so the sweep fails
    r = run("test", SWEEP_DEPTH, "--engine", "explicit", "--param", "N=1..3", "-q")
    assert r.exit_code == 1, r.output
    assert "params-sweep-depth [N=1]" in r.output and "params-sweep-depth [N=3]" in r.output
    assert "[N=2]" not in r.output                 # -q: only the mismatches
    assert run("test", SWEEP_DEPTH, "--engine", "explicit", "--param", "N=2").exit_code == 0


def test_test_refuses_update_with_a_range() -> None:
    r = run("test", SWEEP, "--update", "--param", "N=1..2")
    assert r.exit_code == 2 and "--update" in r.output


def test_compare_sweeps_a_range() -> None:
    r = run("compare", SWEEP, "--engine", "explicit", "--param", "N=1..3", "--format", "json")
    assert r.exit_code == 1, r.output               # the assertion fails for every N
    doc = json.loads(r.output)
    text = json.dumps(doc)
    for n in (1, 2, 3):
        assert f"params-sweep [N={n}]" in text
    r = run("compare", SWEEP, "--engine", "explicit", "--param", "N=1..2", "--format",
            "markdown")
    rows = [ln for ln in r.output.splitlines() if ln.startswith("| `params-sweep")]
    assert [ln.split("`")[1] for ln in rows] == ["params-sweep [N=1]", "params-sweep [N=2]"]
    assert ["assertion@3" in rows[0], "assertion@4" in rows[1]] == [True, True]


def test_a_parallel_sweep_gives_the_serial_table() -> None:
    serial = run("test", SWEEP, "--engine", "explicit", "--param", "N=1..2")
    parallel = run("test", SWEEP, "--engine", "explicit", "--param", "N=1..2", "-j", "2")
    strip = [ln.split()[:4] + ln.split()[-1:] for ln in serial.output.splitlines() if ln.strip()]
    assert strip == [ln.split()[:4] + ln.split()[-1:]
                     for ln in parallel.output.splitlines() if ln.strip()]
    assert parallel.exit_code == serial.exit_code == 0
