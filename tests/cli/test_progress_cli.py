"""``flagcheck verify`` in a CI log: a long run prints ``progress:`` lines on stderr.

Why a real process: what matters is what a log captures from a run without a terminal --
stderr and stdout are pipes here, as in CI.  The interval is shortened through
FLAGCHECK_PROGRESS_SECONDS so a few seconds of BMC stand in for minutes.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.solver, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
NOTIFY = str(ROOT / "specs" / "notify-signal-5.11.yaml")
DEPTH = re.compile(r"^progress: notify-signal-5\.11 × io-uring-pthread-join · "
                   r"bmc depth (\d+)(?: \(\d+\.\d s/depth\))? · (\d+) s$")
SAFETY = ("-p", "no_lost_signal", "-p", "no_deadlock", "-p", "assertions")


def _python() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def _verify(*args: str, seconds: str = "0.2") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "PYTHONPATH")}
    env.update(NO_COLOR="1", FLAGCHECK_PROGRESS_SECONDS=seconds)
    return subprocess.run([_python(), "-m", "flagcheck.checker.cli", "verify", NOTIFY,
                           "-s", "io-uring-pthread-join", "--engine", "bmc", "--depth", "40",
                           *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_a_long_bmc_run_without_a_terminal_prints_progress_lines_with_the_depth() -> None:
    # BMC needs far more than 4 s for depth 40 on this scenario: the run ends unknown (3).
    # Safety properties only: with the design's liveness properties too, the fair-lasso
    # search starts when the safety phase's time is up and may print its own first line
    # (depth 0 of "fair lassos") or not, depending on the machine's load.
    p = _verify("--timeout", "4", "-q", *SAFETY)
    assert p.returncode == 3, (p.stdout, p.stderr)
    lines = [ln for ln in p.stderr.splitlines() if ln.startswith("progress: ")]
    assert lines == [ln for ln in p.stderr.splitlines() if ln.strip()], p.stderr
    # before BMC's first report: what is being loaded or checked, and how; then its depth
    while lines and re.match(r"progress: notify-signal-5\.11: (loading|scenario "
                             r"io-uring-pthread-join) · engine bmc · depth 40 · ", lines[0]):
        lines.pop(0)
    # after the search: the coverage pass (checker/cli/verify.py) reports itself when it
    # outlasts one progress interval, which under load it may or may not
    while lines and re.match(r"progress: notify-signal-5\.11: coverage of 1 scenario\(s\) · ",
                             lines[-1]):
        lines.pop()
    matches = [DEPTH.match(ln) for ln in lines]
    assert len(lines) >= 5 and all(matches), p.stderr
    depths = [int(m.group(1)) for m in matches if m]
    assert depths == sorted(depths) and depths[-1] > depths[0], depths
    # the figures are BMC's own: never beyond the depth it was working on when the time
    # ran out (one past the verdict's "reached depth", the last one fully checked)
    reached = int(re.search(r"reached depth (\d+)", p.stdout).group(1))  # type: ignore[union-attr]
    assert depths[-1] <= reached + 1, (depths, p.stdout)
    # -q: stdout is the verdict table alone, the progress is on stderr only
    assert "progress:" not in p.stdout
    assert p.stdout.splitlines()[0].split()[:3] == ["scenario", "property", "verdict"]


def test_no_progress_keeps_stderr_silent() -> None:
    p = _verify("--timeout", "1.5", "--no-progress")
    assert p.returncode == 3, (p.stdout, p.stderr)
    assert "progress:" not in p.stderr + p.stdout
    # the header names what was searched: BMC to depth 40 (not "+ explicit")
    assert "design notify-signal-5.11 (bmc, depth 40)" in p.stdout, p.stdout
