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
    # --no-symmetry: the three counters are interchangeable, and one state per orbit (of
    # up to six) fits in 300 MB; the unreduced ~10^6 states do not
    p, _ = _run("--engine", "explicit", "--no-symmetry", "--max-memory", "300",
                "--property", "small")
    assert p.returncode == 3, p.stdout + p.stderr
    assert "unknown (memory limit 300 MB" in p.stdout
    assert "holds" not in p.stdout and "proved" not in p.stdout



NOTIFY = Path(__file__).resolve().parents[2] / "specs" / "notify-signal-5.11.yaml"


def _memory_unknown(engine: str, mb: int, scenario: str) -> list[dict]:
    """The run ends by itself (no signal, no internal error, no traceback) and every
    checked property is unknown for want of memory (returned: their verdicts)."""
    p = subprocess.run([sys.executable, "-m", "flagcheck.checker.cli", "verify", str(NOTIFY),
                        "--engine", engine, "--max-memory", str(mb), "-s", scenario,
                        "--format", "json"],
                       capture_output=True, text=True, timeout=300)   # a hang guard only
    out = p.stdout + p.stderr
    assert p.returncode == 3, out                     # not < 0, not 139: no signal
    assert "internal error" not in out and "Traceback" not in out, out
    checked = [v for v in json.loads(p.stdout)["verdicts"] if v["status"] != "skipped"]
    assert checked, out
    for v in checked:
        assert v["status"] == "unknown" and f"memory limit {mb} MB" in v["reason"], v
    return checked


@pytest.mark.slow
@pytest.mark.solver
@pytest.mark.parametrize("engine", ["bmc", "kind"])
def test_a_memory_limit_too_small_for_z3_is_unknown_not_a_crash(engine: str) -> None:
    # 64 MB is below what loading Z3 needs; libz3 segfaults when it cannot allocate a context
    _memory_unknown(engine, 64, "oleg-lost-signal")


@pytest.mark.slow
@pytest.mark.solver
def test_z3_running_out_of_memory_is_unknown() -> None:
    # 150 MB is below what an engine process already maps: Z3 could not make a context,
    # and the engine says so before libz3 tries (and crashes: registry._z3_headroom)
    for v in _memory_unknown("bmc", 150, "io-uring-pthread-join"):
        assert "engine crashed" not in v["reason"], v
