"""Run by tests/test_crash_retry.py: ``test_dies_once`` kills its worker (SIGSEGV) the first
time it runs, when the file CRASH_FLAG does not exist yet, and passes when run again;
``test_dies_always`` (selected with -k) kills it every time."""
import os
import resource
import signal
import time


def _die() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))     # no core file in the work tree
    os.kill(os.getpid(), signal.SIGSEGV)


def test_before() -> None:
    time.sleep(0.2)


def test_dies_once() -> None:
    flag = os.environ["CRASH_FLAG"]
    if not os.path.exists(flag):
        open(flag, "w").close()
        _die()


def test_dies_always() -> None:
    _die()


def test_after() -> None:
    pass
