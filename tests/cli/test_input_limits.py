"""Inputs that are not design files at all, or too big to be one: each ends quickly in
exit 2 with a clear message, never a hang (a FIFO blocks its reader until a writer comes),
never running out of memory (/dev/zero never ends) and never an internal error.

Run in a real process with a timeout: the timeout is a hang guard, not a speed test."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[1] / "bad_inputs"
HANG_GUARD = 60  # seconds; a hang would otherwise stall the run for ever


def flagcheck(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``flagcheck ARGS`` in a fresh interpreter, output captured, bounded in time."""
    return subprocess.run([sys.executable, "-m", "flagcheck.checker.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=HANG_GUARD,
                          env={**os.environ, **(env or {})})


def assert_clean_exit_2(p: subprocess.CompletedProcess, message: str) -> None:
    out = p.stdout + p.stderr
    assert p.returncode == 2, out
    assert "Traceback" not in out and "internal error" not in out, out
    assert message in out, out


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder with the corpus's support library and scenario."""
    shutil.copytree(CORPUS / "_support", tmp_path / "_support")
    return tmp_path


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_fifo_as_the_design_is_refused(workdir: Path) -> None:
    os.mkfifo(workdir / "design.yaml")
    p = flagcheck("verify", "design.yaml", "--engine", "explicit", cwd=workdir)
    assert_clean_exit_2(p, "design.yaml is a named pipe (FIFO); expected a regular YAML file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_fifo_as_extends_or_scenario_target_is_refused(workdir: Path) -> None:
    os.mkfifo(workdir / "pipe.yaml")
    (workdir / "ext.yaml").write_text("flagcheck: 1\ndesign: bad\nextends: pipe.yaml\n")
    p = flagcheck("verify", "ext.yaml", "--engine", "explicit", cwd=workdir)
    assert_clean_exit_2(p, "ext.yaml:3:10: error: extends path 'pipe.yaml' is a named pipe (FIFO)")
    (workdir / "scen.yaml").write_text("flagcheck: 1\ndesign: bad\nextends: _support/lib.yaml\n"
                                       "scenarios: [pipe.yaml]\n")
    p = flagcheck("verify", "scen.yaml", "--engine", "explicit", cwd=workdir)
    assert_clean_exit_2(p, "scen.yaml:4:13: error: scenario path 'pipe.yaml' is a named pipe")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_a_device_as_the_design_is_refused(workdir: Path) -> None:
    p = flagcheck("verify", "/dev/zero", "--engine", "explicit", cwd=workdir)
    assert_clean_exit_2(p, "/dev/zero is a device; expected a regular YAML file")


def test_a_directory_as_the_design_is_refused(workdir: Path) -> None:
    p = flagcheck("verify", "_support", "--engine", "explicit", cwd=workdir)
    assert_clean_exit_2(p, "is a directory")


def test_a_file_over_the_size_limit_is_refused_and_the_limit_can_be_raised(workdir: Path) -> None:
    big = workdir / "big.yaml"
    big.write_text((CORPUS / "_support" / "scenario.yaml").read_text() + "#" * 1_200_000 + "\n")
    p = flagcheck("verify", "big.yaml", "--engine", "explicit", cwd=workdir,
                  env={"FLAGCHECK_MAX_FILE_MB": "1"})
    assert_clean_exit_2(p, "files are limited to 1 MB (set FLAGCHECK_MAX_FILE_MB to change it)")
    p = flagcheck("verify", "big.yaml", "--engine", "explicit", cwd=workdir,
                  env={"FLAGCHECK_MAX_FILE_MB": "2"})
    assert "limited to" not in p.stdout + p.stderr


def test_a_bad_size_limit_setting_is_a_usage_error(workdir: Path) -> None:
    p = flagcheck("verify", "_support/lib.yaml", cwd=workdir, env={"FLAGCHECK_MAX_FILE_MB": "lots"})
    assert_clean_exit_2(p, "FLAGCHECK_MAX_FILE_MB='lots' is not a number of megabytes")


def test_an_alias_bomb_below_the_top_level_ends_quickly(workdir: Path) -> None:
    """The corpus has the file; here it runs in a real process under the hang guard."""
    shutil.copy(CORPUS / "yaml-alias-bomb-in-doc.yaml", workdir / "bomb.yaml")
    p = flagcheck("verify", "bomb.yaml", "--engine", "explicit", cwd=workdir)
    assert_clean_exit_2(p, "bomb.yaml:15:")
    assert "YAML aliases expand to more than" in p.stderr


@pytest.mark.parametrize("name", ["range-bound-huge.yaml", "int-literal-huge.yaml",
                                  "bound-huge.yaml", "expect-superscript-depth.yaml"])
def test_numbers_python_cannot_convert_are_located_errors(workdir: Path, name: str) -> None:
    """Over 4300 digits Python's int() refuses the string; a superscript passes isdigit()
    but not int(): each is the user's error, located, never an internal one."""
    shutil.copy(CORPUS / name, workdir / name)
    p = flagcheck("verify", name, "--engine", "explicit", cwd=workdir)
    assert_clean_exit_2(p, f"{name}:")


@pytest.mark.parametrize("name, message", [
    ("export-32-signals.yaml", "variable G.shared (set(signal)) does not fit a Promela int: "
                               "a set of signal is a bitmask of one bit per value, and there "
                               "are 32 signal values"),
    ("export-range-over-int.yaml", "variable y (2147483640..2147483648) does not fit a Promela "
                                   "int: its range 2147483640..2147483648 is outside"),
])
def test_promela_export_of_a_variable_too_wide_for_int_names_it(workdir: Path, name: str,
                                                                 message: str) -> None:
    """flagcheck's engines take any width, so these designs verify; only the export to
    Promela cannot encode them, which is the user's to fix, not an internal error."""
    p = flagcheck("export", f"_support/{name}", "--to", "promela", cwd=workdir)
    assert_clean_exit_2(p, message)
    assert "--to tla" in p.stderr
