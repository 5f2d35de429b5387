"""One time budget for a whole run: reading, parsing, lowering, reduction and search.

Why here, at the bottom of the layers: the phases that must stop in time live in the
front end (a 10,000-statement procedure, a chain of defines that doubles at every step),
and the front end may not import the application layer.  The application layer opens a
``Deadline`` and names the phase it is in; code deep in the front end calls ``check()``
now and then without being handed anything.

Two ways a phase is stopped, both raising ``OutOfTime(phase)``:

* cooperatively: ``check()`` in the loops that can run long (statements of a procedure,
  nodes of an expression, steps of the reduction);
* by an interval timer (SIGALRM), for code that has no loop of ours to check in (the
  YAML reader, the parser).  Python runs the handler between bytecodes, so it stops a
  pure-Python loop; it is armed only in the main thread, and never while an engine
  searches (the engines have their own time limits and child processes to clean up).
"""
from __future__ import annotations

import contextlib
import gc
import math
import signal
import threading
import time
from contextvars import ContextVar
from types import FrameType
from typing import Iterator


class OutOfTime(BaseException):
    """The run's time budget ran out in ``phase`` (a few words: "reading x.yaml").

    A BaseException, like KeyboardInterrupt, because the timer may raise it anywhere:
    a front-end ``except Exception`` that turns a library's failure into a design error
    must not turn running out of time into one."""

    def __init__(self, phase: str, seconds: float) -> None:
        super().__init__(f"timeout in {phase}")
        self.phase = phase
        self.seconds = seconds

    @property
    def reason(self) -> str:
        """The words of the unknown verdict (never 'holds': nothing was decided)."""
        return f"timeout in {self.phase} ({fmt_seconds(self.seconds)} s)"


class Deadline:
    """A point in time by which the current job must be done (None: no limit)."""

    def __init__(self, seconds: float | None, started: float | None = None) -> None:
        self.started = time.monotonic() if started is None else started
        self.seconds = seconds
        self.at = None if seconds is None else self.started + seconds
        self.phase = "the run"

    def left(self) -> float | None:
        """Seconds left (never below 0), or None without a limit."""
        return None if self.at is None else max(0.0, self.at - time.monotonic())

    def expired(self) -> bool:
        return self.at is not None and time.monotonic() >= self.at

    def check(self) -> None:
        if self.expired():
            raise OutOfTime(self.phase, self.seconds or 0.0)

    @contextlib.contextmanager
    def phase_of(self, name: str, *, alarm: bool = True) -> Iterator["Deadline"]:
        """Run the body as phase ``name``: ``check()`` anywhere below sees this deadline,
        and (with ``alarm``) a timer stops the body at the deadline even where nothing
        checks."""
        before, self.phase = self.phase, name
        token = _CURRENT.set(self)
        try:
            self.check()
            with _alarm(self) if alarm else contextlib.nullcontext():
                yield self
        finally:
            _CURRENT.reset(token)
            self.phase = before


class Budget:
    """``--timeout`` for a run of several scenarios: each scenario's work is due
    ``seconds`` after it starts, and the first scenario starts with the run (reading
    the files counts against it).  So a one-scenario run ends within about ``seconds``
    whatever phase is slow, and a run of n scenarios within n × ``seconds``."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self._first: Deadline | None = Deadline(seconds)
        self.last: Deadline | None = None

    def reading(self) -> Deadline:
        """The deadline of reading the files: the first scenario's."""
        if self._first is None:
            self._first = Deadline(self.seconds)
        return self._first

    def next_scenario(self) -> Deadline:
        first, self._first = self._first, None
        self.last = first if first is not None else Deadline(self.seconds)
        return self.last

    def left(self) -> float | None:
        """What is left of the latest scenario's time (for work after the verdicts, such
        as coverage), or None without a limit."""
        return (self.last or self.reading()).left()


_CURRENT: ContextVar[Deadline | None] = ContextVar("flagcheck_deadline", default=None)


def check() -> None:
    """Raise OutOfTime when the current phase's deadline has passed (cheap: call it in
    any loop that may run long)."""
    d = _CURRENT.get()
    if d is not None and d.at is not None and time.monotonic() >= d.at:
        raise OutOfTime(d.phase, d.seconds or 0.0)


def current() -> Deadline | None:
    return _CURRENT.get()


_ARMED: list[Deadline] = []      # the deadline whose timer is set (at most one)
RETRY = 0.25                     # seconds between rings once the deadline has passed (far
                                 # longer than an OutOfTime takes to reach the disarm)


@contextlib.contextmanager
def _alarm(deadline: Deadline) -> Iterator[None]:
    usable = (deadline.at is not None and hasattr(signal, "setitimer") and not _ARMED
              and threading.current_thread() is threading.main_thread())
    if not usable:      # an outer phase's timer (same deadline or earlier) stays set
        yield
        return

    def ring(signum: int, frame: FrameType | None) -> None:
        if not (_ARMED and _ARMED[0] is deadline):   # a late ring after the disarm
            return
        if _COLLECTING[0] or _in_finalizer(frame):
            return          # the next ring (RETRY seconds on) stops the phase instead
        raise OutOfTime(deadline.phase, deadline.seconds or 0.0)   # the phase now

    old = signal.signal(signal.SIGALRM, ring)
    _ARMED.append(deadline)
    try:
        # It rings again every RETRY seconds: a ring that lands in a garbage-collector run
        # or a __del__ does not raise (Python would drop the exception, and a finalizer cut
        # short can corrupt memory), and a phase with no check() of ours (a YAML alias
        # bomb) must still stop.  Armed inside the try: a first ring before the body
        # starts still disarms it.
        signal.setitimer(signal.ITIMER_REAL, max(deadline.left() or 0.0, 1e-3), RETRY)
        yield
    finally:
        try:
            _disarm(old)
        finally:            # a ring inside the first disarm raised before it was done
            _disarm(old)


def _in_finalizer(frame: FrameType | None) -> bool:
    """Whether the interrupted code runs inside a ``__del__``.  An exception raised there is
    printed and dropped, and it can leave the object half torn down: z3's Context.__del__
    interrupted between freeing the context and forgetting its pointer makes a later
    finalizer use freed memory (a segmentation fault, seen in the test suite)."""
    while frame is not None:
        if frame.f_code.co_name == "__del__":
            return True
        frame = frame.f_back
    return False


def _gc_phase(phase: str, info: dict) -> None:
    _COLLECTING[0] = phase == "start"


#: the garbage collector is running (its callbacks and the finalizers it calls are no place
#: for an exception either)
_COLLECTING = [False]
gc.callbacks.append(_gc_phase)


def _disarm(handler: object) -> None:
    """Stop the timer first, so no ring can interrupt the rest."""
    signal.setitimer(signal.ITIMER_REAL, 0)
    _ARMED.clear()
    signal.signal(signal.SIGALRM, handler)   # type: ignore[arg-type]


def fmt_seconds(s: float) -> str:
    """Seconds as a person writes them: 5 s, 2.5 s, 0.25 s."""
    if s >= 10 or math.isclose(s, round(s)):
        return f"{s:.0f}"
    return f"{s:.2g}" if s < 1 else f"{s:.1f}"
