"""When an xdist worker dies, say where: its crashing thread's stack and the tests it ran last.

Why: a worker that dies of a signal (an intermittent SIGSEGV in CI, about one run in four
in some sessions) is reported by pytest-xdist only as "worker 'gw1' crashed while running
T".  Its faulthandler dump goes to the worker's stderr, interleaved with the controller's
output, and a CI log that keeps only the last lines shows the bottom of the wrong thread.
T is rarely the culprit: what crashes is usually memory freed wrongly by an earlier test,
touched by a later garbage collection.

So each worker writes its faulthandler dump (every thread) and the node id of each test it
starts to files of its own, and the controller prints, at the very end of the run, for
each worker that went down: the fatal error, the top of the crashing thread's stack and
the tests that worker ran last.  The files live in a temporary directory (nothing in the
work tree), removed when the run ends (a run killed from outside leaves it behind).
"""
from __future__ import annotations

import faulthandler
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

import pytest

_ENV = "FLAGCHECK_CRASHLOG_DIR"
_TOP_FRAMES = 8           # frames of the crashing thread printed (innermost first)
_LAST_TESTS = 4           # tests the worker started last, printed

#: down: the workers that died; dir: the directory, on the controller that made it;
#: files: a worker's dump and order files
_state: dict[str, Any] = {"down": [], "dir": None, "files": []}


@pytest.hookimpl(trylast=True)       # after pytest's own faulthandler plugin chose stderr
def pytest_configure(config: pytest.Config) -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        if _ENV not in os.environ and getattr(config.option, "numprocesses", None):
            # the controller: the workers it starts inherit the directory's name
            os.environ[_ENV] = tempfile.mkdtemp(prefix="flagcheck-crashlog-")
            _state["dir"] = os.environ[_ENV]
        return
    where = os.environ.get(_ENV)
    if not where or not os.path.isdir(where):
        return
    dump: IO[str] = open(os.path.join(where, f"{worker}.dump"), "w")   # noqa: SIM115
    order: IO[str] = open(os.path.join(where, f"{worker}.order"), "w",  # noqa: SIM115
                          buffering=1)
    _state["files"] = [dump, order]
    faulthandler.enable(file=dump, all_threads=True)


def pytest_runtest_logstart(nodeid: str, location: tuple[str, int | None, str]) -> None:
    files = _state["files"]
    if files:
        files[1].write(nodeid + "\n")


def pytest_testnodedown(node: Any, error: Any) -> None:
    """Controller side: a worker ended; ``error`` is set when it did not end cleanly."""
    if error:
        _state["down"].append(node.gateway.id)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Controller side, after the final summary line: the crash report, then clean up."""
    where = _state["dir"]
    if where is None:
        return
    try:
        for worker in _state["down"]:
            sys.stderr.write(report(Path(where), worker))
        sys.stderr.flush()
    finally:
        shutil.rmtree(where, ignore_errors=True)


def report(where: Path, worker: str) -> str:
    """What a dead worker left, in few lines (a CI log may keep only its end): the fatal
    error, the tests it started last (the last is the one it died in), then the top of
    the crashing thread's stack without pytest's own frames."""
    dump = _read(where / f"{worker}.dump").splitlines()
    tests = _read(where / f"{worker}.order").splitlines()
    fatal = next((x for x in dump if x.startswith("Fatal Python error")), None)
    out = [f"crashlog: worker {worker} died: {fatal or 'no faulthandler dump (killed?)'}"]
    out.append(f"  the last of the {len(tests)} tests it started:")
    out += [f"    {t}" for t in tests[-_LAST_TESTS:]]
    current = next((i for i, x in enumerate(dump) if x.startswith("Current thread")), None)
    if current is not None:
        frames = [x for x in dump[current + 1:] if x.strip()]
        frames = frames[:next((i for i, x in enumerate(frames) if not x.startswith(" ")),
                              len(frames))]            # up to the next thread's header
        mine = [_short(x) for x in frames if not any(h in x for h in _HARNESS)]
        out.append(f"  {dump[current].split(' (')[0].strip()}, innermost first:")
        out += [f"    {x}" for x in mine[:_TOP_FRAMES]]
    return "\n".join(out) + "\n"


_HARNESS = ("/pluggy/", "/_pytest/", "/xdist/", "/execnet/")
_ROOT = str(Path(__file__).resolve().parents[1]) + "/"


def _short(frame: str) -> str:
    frame = frame.strip().replace(_ROOT, "")
    return frame.split("site-packages/", 1)[-1] if "site-packages/" in frame else frame


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""
