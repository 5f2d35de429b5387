"""tests/crashlog.py: a worker killed by a signal is reported at the end of the run with
its crashing thread's stack and the tests it started last."""
from __future__ import annotations

from tests.nested import run_pytest

FIXTURE = "tests/fixtures_crashlog/crash_after_two.py"


def test_a_dead_worker_is_reported_with_its_stack_and_last_tests() -> None:
    r = run_pytest("-n", "1", "--max-worker-restart", "0", FIXTURE)
    assert r.returncode != 0
    lines = r.stderr[r.stderr.index("crashlog: worker gw0 died"):].splitlines()
    assert lines[0].endswith("died: Fatal Python error: Segmentation fault")
    assert lines[1] == "  the last of the 3 tests it started:"
    assert [x.strip().rsplit("::", 1)[1] for x in lines[2:5]] == \
        ["test_first", "test_second", "test_dies"]
    assert lines[5].startswith("  Current thread")
    # innermost first, the harness's frames left out: the test's own line comes first
    assert lines[6] == f'    File "{FIXTURE}", line 18 in test_dies'
