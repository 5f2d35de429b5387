"""z3 objects are released on the thread that made their context, never on another.

Why: libz3 is loaded with ctypes.CDLL, so every Z3 call releases the GIL, and a Z3 context
is not thread-safe.  Python's garbage collector runs finalizers on whichever thread
happens to allocate when a collection is due.  A progress printer (checker.report.terminal)
or pytest-xdist's message thread that allocates while the main thread is inside
``Solver.check`` can therefore run ``AstRef.__del__`` -> ``Z3_dec_ref`` on the very context
the solver is working in, and the two corrupt Z3's memory: a segmentation fault later,
usually "Garbage-collecting" (seen in the test suite, reproduced by
tests/checker/test_z3_threads.py's stress child in seconds).

How: every z3 class's ``__del__`` is wrapped once, at import.  A finalizer called on the
thread that created the object's context (or after that thread has ended) runs at once;
one called on any other thread keeps the object alive in a queue, and the owning thread
runs it later: at its next garbage collection (a ``gc`` callback) or its next solver call
(``drain``, from checker.engines.solver).  So no z3 finalizer runs on a thread that does
not own its context; a deferred object lives until its owner's next collection or solver
call, or until the owner has ended (then any thread releases it).
"""
from __future__ import annotations

import collections
import gc
import threading
from typing import Any, Callable

import z3
import z3.z3 as _z3

#: (the original finalizer, the object, the thread that owns its context)
_PENDING: collections.deque[tuple[Callable[[Any], None], Any, threading.Thread]] = \
    collections.deque()
_OWNER = "_flagcheck_owner"


def _owner(obj: Any, context: type = z3.Context, attr: str = _OWNER) -> threading.Thread | None:
    ctx = obj if isinstance(obj, context) else getattr(obj, "ctx", None)
    return getattr(ctx, attr, None)


def _wrap(original: Callable[[Any], None]) -> Callable[[Any], None]:
    # what the finalizer needs is bound here: at interpreter exit module globals are None
    def __del__(self: Any, owner_of: Callable[[Any], threading.Thread | None] = _owner,
                current: Callable[[], threading.Thread] = threading.current_thread,
                pending: collections.deque = _PENDING) -> None:
        # named __del__: tlamodel.deadline recognises finalizers by the name
        owner = owner_of(self)
        if owner is None or owner is current() or not owner.is_alive():
            original(self)
        else:
            pending.append((original, self, owner))      # deque.append is atomic
    __del__.__wrapped__ = original       # type: ignore[attr-defined]
    return __del__


def _record_owner(init: Callable[..., None]) -> Callable[..., None]:
    def __init__(self: Any, *args: Any, **kw: Any) -> None:
        setattr(self, _OWNER, threading.current_thread())
        init(self, *args, **kw)
    __init__.__wrapped__ = init          # type: ignore[attr-defined]
    return __init__


def drain() -> None:
    """Run the finalizers other threads left for this thread (or for ended threads)."""
    me = threading.current_thread()
    keep = []
    for _ in range(len(_PENDING)):
        try:
            item = _PENDING.popleft()
        except IndexError:
            break
        original, obj, owner = item
        if owner is me or not owner.is_alive():
            original(obj)
        else:
            keep.append(item)
    _PENDING.extend(keep)


def pending() -> int:
    """How many released objects wait for their owning thread (for the tests)."""
    return len(_PENDING)


def _after_collection(phase: str, info: dict[str, int]) -> None:
    if phase == "stop" and _PENDING:
        drain()


def install() -> None:
    """Wrap z3's finalizers and Context.__init__ (idempotent)."""
    if getattr(z3.Context.__init__, "__wrapped__", None) is not None:
        return
    z3.Context.__init__ = _record_owner(z3.Context.__init__)      # type: ignore[method-assign]
    for obj in vars(_z3).values():
        if isinstance(obj, type) and "__del__" in vars(obj):
            obj.__del__ = _wrap(vars(obj)["__del__"])             # type: ignore[attr-defined]
    gc.callbacks.append(_after_collection)


install()
