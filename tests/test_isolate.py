"""tests.isolate: a check run in a forked child fails, or crashes, loudly in the parent."""
from __future__ import annotations

import faulthandler
import os
import resource
import signal

import pytest

from tests.isolate import in_child


def _passes(x: int) -> None:
    assert x == 1


def _fails(x: int) -> None:
    assert x == 2, "x is not two"


def _crashes() -> None:
    faulthandler.disable()          # pytest's handler would print a "Fatal Python error"
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))   # no core file in the work tree
    os.kill(os.getpid(), signal.SIGSEGV)


def test_a_passing_check_passes() -> None:
    in_child(_passes, 1)


def test_a_failing_check_fails_with_the_childs_message() -> None:
    with pytest.raises(AssertionError, match="x is not two"):
        in_child(_fails, 1)


def test_a_crash_in_the_child_fails_the_check() -> None:
    with pytest.raises(AssertionError, match=r"crashed the child process \(exit code -11"):
        in_child(_crashes)
