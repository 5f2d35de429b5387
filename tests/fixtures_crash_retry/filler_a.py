"""Filler for tests/test_crash_retry.py: scopes the workers finish before and after the crash."""
import time


def test_a1() -> None:
    time.sleep(0.1)


def test_a2() -> None:
    time.sleep(0.1)


def test_a3() -> None:
    time.sleep(0.1)
