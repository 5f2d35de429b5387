"""Limits never turn into a verdict: a cut-short search says unknown and exits 3."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

BIG = Path(__file__).resolve().parent / "fixtures_limits" / "big.yaml"


def _run(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "flagcheck.checker.cli", "verify", str(BIG), *args],
                       capture_output=True, text=True, timeout=120)
    return p, time.monotonic() - t0


@pytest.mark.slow
def test_million_state_scenario_with_a_two_second_timeout_is_unknown_within_5s() -> None:
    # 'small' is violated only ~600 steps deep: no engine can settle it in 2 s.  Read from
    # the JSON report, which a busy machine cannot wrap or reflow like the terminal table.
    p, seconds = _run("--timeout", "2", "--property", "small", "--format", "json")
    assert p.returncode == 3, p.stdout + p.stderr
    (v,) = json.loads(p.stdout)["verdicts"]
    assert v["status"] == "unknown" and "timeout" in v["reason"], v
    assert not v["exhaustive"] and v["counterexample"] is None
    assert seconds < 5.0, seconds          # the bound, measured end to end


def test_state_limit_is_unknown_with_the_states_reached() -> None:
    p, _ = _run("--engine", "explicit", "--max-states", "1000", "--property", "small")
    assert p.returncode == 3
    assert "unknown (state limit 1000" in p.stdout
    assert "holds" not in p.stdout and "proved" not in p.stdout


@pytest.mark.slow
@pytest.mark.solver
def test_bmc_timeout_is_unknown_never_holds() -> None:
    p, _ = _run("--engine", "bmc", "--timeout", "1", "--depth", "400", "--property", "small")
    assert p.returncode == 3, p.stdout
    assert "unknown" in p.stdout and "holds" not in p.stdout


@pytest.mark.slow
def test_memory_limit_is_unknown_never_holds() -> None:
    p, _ = _run("--engine", "explicit", "--max-memory", "300", "--property", "small")
    assert p.returncode == 3, p.stdout + p.stderr
    assert "unknown (memory limit 300 MB" in p.stdout
    assert "holds" not in p.stdout and "proved" not in p.stdout
