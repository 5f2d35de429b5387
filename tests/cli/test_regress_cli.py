"""``flagcheck test`` end to end, on the shipped specs (``compare``: test_compare_cli.py)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from flagcheck.checker.cli.main import main

pytestmark = pytest.mark.slow

SPECS = Path(__file__).resolve().parents[2] / "specs"


def _copy_specs(tmp_path: Path) -> Path:
    dst = tmp_path / "specs"
    shutil.copytree(SPECS, dst, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return dst


def test_every_shipped_expectation_holds() -> None:
    r = CliRunner().invoke(main, ["test", str(SPECS)])
    assert r.exit_code == 0, r.output
    assert "0 not" in r.output
    assert "MISMATCH" not in r.output and "NO EXPECTATION" not in r.output


def test_a_wrong_expectation_fails_the_run(tmp_path: Path) -> None:
    specs = _copy_specs(tmp_path)
    design = specs / "notify-signal-5.11.yaml"
    text = design.read_text()
    edited = text.replace("oleg-lost-signal: {no_lost_signal: holds",
                          "oleg-lost-signal: {no_lost_signal: violated", 1)
    assert edited != text
    design.write_text(edited)
    # one mismatch among designs that meet theirs fails the whole run (two designs here:
    # test_every_shipped_expectation_holds runs them all)
    r = CliRunner().invoke(main, ["test", str(design), str(specs / "coupled-5.9.yaml")])
    assert r.exit_code == 1, r.output
    assert "MISMATCH" in r.output
    assert "coupled-5.9" in r.output


def test_a_wrong_counterexample_depth_fails_the_run(tmp_path: Path) -> None:
    specs = _copy_specs(tmp_path)
    design = specs / "rfc-v2-tif-taskwork.yaml"
    text = design.read_text()
    design.write_text(text.replace("oleg-lost-signal: {no_lost_signal: violated",
                                   "oleg-lost-signal: {no_lost_signal: violated@17", 1))
    r = CliRunner().invoke(main, ["test", str(design)])
    assert r.exit_code == 1 and "MISMATCH" in r.output, r.output


def test_a_missing_expectation_fails_the_run(tmp_path: Path) -> None:
    specs = _copy_specs(tmp_path)
    design = specs / "coupled-5.9.yaml"
    lines = [ln for ln in design.read_text().splitlines() if "oleg-on-cpu: {" not in ln]
    design.write_text("\n".join(lines) + "\n")
    r = CliRunner().invoke(main, ["test", str(design)])
    assert r.exit_code == 1 and "NO EXPECTATION" in r.output, r.output
