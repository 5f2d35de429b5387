"""Run by tests/test_crash_retry.py: work the workers finish before and after the crash
(under --dist loadgroup each test is a scope of its own)."""
import time

import pytest


@pytest.mark.parametrize("i", range(12))
def test_filler(i: int) -> None:
    time.sleep(0.1)
