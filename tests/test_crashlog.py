"""tests/crashlog.py: a worker killed by a signal is reported at the end of the run with
its crashing thread's stack and the tests it started last."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = "tests/fixtures_crashlog/crash_after_two.py"


def test_a_dead_worker_is_reported_with_its_stack_and_last_tests() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "1",
         "-p", "tests.crashlog", "--max-worker-restart", "0", "--rootdir", str(ROOT),
         "-c", "/dev/null", FIXTURE],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode != 0
    lines = r.stderr[r.stderr.index("crashlog: worker gw0 died"):].splitlines()
    assert lines[0].endswith("died: Fatal Python error: Segmentation fault")
    assert lines[1] == "  the last of the 3 tests it started:"
    assert [x.strip().rsplit("::", 1)[1] for x in lines[2:5]] == \
        ["test_first", "test_second", "test_dies"]
    assert lines[5].startswith("  Current thread")
    # innermost first, the harness's frames left out: the test's own line comes first
    assert lines[6] == f'    File "{FIXTURE}", line 18 in test_dies'
