"""tests/crash_retry.py: a test whose worker dies runs once more on a fresh worker; a test
that kills its worker every time still fails the run, and the run never hangs."""
from __future__ import annotations

import subprocess
from pathlib import Path

from tests.nested import run_pytest

HERE = "tests/fixtures_crash_retry"
FILES = [f"{HERE}/filler.py", f"{HERE}/crashes_once.py"]


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The README's xdist options, over the fixture files."""
    return run_pytest("-n", "2", "--dist", "loadgroup", "--max-worker-restart", "2", *args,
                      *FILES, CRASH_FLAG=str(tmp_path / "crashed"))


def test_a_worker_that_dies_once_costs_a_rerun_not_the_run(tmp_path: Path) -> None:
    r = _run(tmp_path, "-k", "not dies_always")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "15 passed, 1 rerun" in r.stdout
    # the death is still reported, with its stack, at the end
    assert "died: Fatal Python error: Segmentation fault" in r.stderr
    assert "crashes_once.py::test_dies_once" in r.stderr[r.stderr.index("crashlog:"):]


def test_a_worker_that_dies_every_time_fails_the_run(tmp_path: Path) -> None:
    r = _run(tmp_path, "-k", "not dies_once")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "worker 'gw" in r.stdout and "crashed while running" in r.stdout
    assert "FAILED tests/fixtures_crash_retry/crashes_once.py::test_dies_always" in r.stdout
