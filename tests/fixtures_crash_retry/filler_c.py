"""Filler for tests/test_crash_retry.py: scopes the workers finish before and after the crash."""
import time


def test_c1() -> None:
    time.sleep(0.1)


def test_c2() -> None:
    time.sleep(0.1)


def test_c3() -> None:
    time.sleep(0.1)
