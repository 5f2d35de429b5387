"""Run one check in a forked child process, so what it leaves in memory dies with it.

Why: py-tree-sitter 0.26 (the TLA+ parser of tests/tlamodel/test_emit_tla.py) can leave
freed memory behind that a later garbage collection of the same process trips over (its
bug tracker reports the same "Garbage-collecting" segfault, and a use-after-free new in
0.26).  In an xdist worker that crashed an unrelated test
minutes later ("Fatal Python error: Segmentation fault ... Garbage-collecting") and took
the worker down.  A forked child ends with ``os._exit``, without a final collection, and
its crash, if any, is reported against the check that caused it.
"""
from __future__ import annotations

import multiprocessing
import traceback
from typing import Any, Callable


def in_child(fn: Callable[..., Any], *args: Any) -> None:
    """``fn(*args)`` in a forked child; its failure (the traceback's text) or its crash
    (the signal) is raised here as an ``AssertionError``."""
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_run, args=(send, fn, args))
    proc.start()
    send.close()
    try:
        message = recv.recv()
    except EOFError:                      # the child died before it could answer
        message = None
    proc.join()
    if message is None:
        raise AssertionError(f"{fn.__name__} crashed the child process "
                             f"(exit code {proc.exitcode}; a negative one is the signal)")
    if message:
        raise AssertionError(f"{fn.__name__} failed in the child process:\n{message}")


def _run(send: Any, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        fn(*args)
    except BaseException:  # noqa: BLE001 -- every failure goes back to the parent
        send.send(traceback.format_exc())
    else:
        send.send("")
    send.close()
