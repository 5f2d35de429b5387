"""Run by tests/test_crashlog.py in a nested pytest -n 1: two tests pass, the third kills
its worker with SIGSEGV (core dumps off first: nothing may land in the work tree)."""
import os
import resource
import signal


def test_first() -> None:
    pass


def test_second() -> None:
    pass


def test_dies() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.kill(os.getpid(), signal.SIGSEGV)
