"""``flagcheck export`` (checker/cli/export.py), driven through click's test runner.

The command is tested on its own; checker/cli/main.py registers it as ``flagcheck export``."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from flagcheck.checker.cli.export import export_cmd

ROOT = Path(__file__).resolve().parents[2]
DESIGN = str(ROOT / "specs" / "rfc-v2-tif-taskwork.yaml")


def run(*args: str):  # noqa: ANN201
    return CliRunner().invoke(export_cmd, list(args))


def test_promela_to_stdout() -> None:
    r = run("--to", "promela", DESIGN, "--scenario", "oleg-lost-signal")
    assert r.exit_code == 0, r.output
    assert "active proctype task_T()" in r.stdout and "never no_lost_signal" in r.stdout
    assert "reduced model" in r.stdout


def test_tla_to_file(tmp_path: Path) -> None:
    out = tmp_path / "rfc_v2_tif_taskwork__oleg_on_cpu.tla"
    r = run("--to", "tla", DESIGN, "-s", "oleg-on-cpu", "-o", str(out))
    assert r.exit_code == 0, r.output
    text = out.read_text()
    assert text.startswith("---- MODULE rfc_v2_tif_taskwork__oleg_on_cpu ")
    assert "no_deadlock == Terminal \\/ ENABLED Next" in text
    assert "wrote" in r.stderr and "note:" not in r.stderr


def test_tla_file_name_note(tmp_path: Path) -> None:
    r = run("--to", "tla", DESIGN, "-s", "oleg-on-cpu", "-o", str(tmp_path / "x.tla"))
    assert r.exit_code == 0 and "rfc_v2_tif_taskwork__oleg_on_cpu.tla" in r.stderr


def test_no_reduce_exports_the_unreduced_model() -> None:
    from flagcheck.tlamodel.load import load_design
    d = load_design(DESIGN)
    m = d.model(d.scenario("oleg-lost-signal"))
    full = run("--to", "promela", DESIGN, "-s", "oleg-lost-signal", "--no-reduce").stdout
    assert full.count(":: d_step {") == len(m.actions)     # reduction merges (and so adds) actions
    assert "unreduced model" in full


def test_design_errors_exit_2_with_the_rendered_message(tmp_path: Path) -> None:
    r = run("--to", "promela", DESIGN, "--scenario", "no-such-scenario")
    assert r.exit_code == 2
    assert "error: design rfc-v2-tif-taskwork has no scenario 'no-such-scenario'" in r.stderr
    assert "Traceback" not in r.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("flagcheck: 1\ndesign: bad\nextends: nowhere.yaml\n")
    r = run("--to", "tla", str(bad))
    assert r.exit_code == 2 and f"{bad}:" in r.stderr and "error:" in r.stderr


def test_scenario_may_be_omitted_only_when_there_is_one(tmp_path: Path) -> None:
    r = run("--to", "tla", DESIGN)
    assert r.exit_code == 2 and "choose one with --scenario" in r.stderr
    assert "oleg-lost-signal" in r.stderr


def test_usage_errors() -> None:
    assert run("--to", "nusmv", DESIGN).exit_code == 2
    assert run(DESIGN).exit_code == 2            # --to is required
