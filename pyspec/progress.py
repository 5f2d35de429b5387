"""The one progress hook every engine reports through.

Why a hook and not prints: an engine does not know whether it runs under a terminal, in a
CI log, in a test, or in a child process of the portfolio race; it only knows its own
figures (BMC depth, explicit states, k, PDR level).  So each ``check`` takes an optional
``progress`` callable and hands it a ``Progress`` snapshot now and then; what becomes of
it -- a live status line, a plain line on stderr every few seconds, a message to the
parent process -- is decided by whoever passed the hook (checker.report, checker.engines.portfolio).

It lives in pyspec, not checker, because the explicit engine (pyspec.explicit) reports
through it and pyspec must not import checker or z3; the Z3 engines import it from here.

Engines call the hook when a figure changes (a new depth, level, k) and otherwise at most
every ``EVERY`` seconds, looking at the clock only every few hundred states or once per
solver query, so progress costs nothing measurable.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

#: seconds between two reports of the same figure (a new depth/level is reported at once)
EVERY = 0.25


@dataclass(frozen=True)
class Progress:
    """One engine's figures at one moment.  ``None``: the engine has no such figure.

    Picklable (plain values only): the portfolio sends it from engine processes to the
    parent through a multiprocessing queue."""
    engine: str                       # "explicit", "bmc", "kind", "pdr", "lasso"
    seconds: float                    # since this engine started
    depth: int | None = None          # BMC: depth being checked; explicit: BFS layer; kind: k
    seconds_per_depth: float | None = None   # BMC: wall time of the last finished depth
    states: int | None = None         # explicit: distinct states found
    rate: float | None = None         # explicit: states per second (whole run)
    queue: int | None = None          # explicit: states waiting to be expanded
    level: int | None = None          # PDR: Spacer's current frame (level)
    lemmas: int | None = None         # PDR: lemmas Spacer has learnt in this query
    prop: str | None = None           # the property being worked on, when one at a time
    phase: str | None = None          # e.g. "base case", "step case", "mining invariant"

    def text(self) -> str:
        """The figures in a few words: ``bmc depth 23 (1.9 s/depth)``."""
        parts: list[str] = [self.engine]
        if self.level is not None:
            parts.append(f"level {self.level}")
        elif self.depth is not None:
            parts.append(f"k={self.depth}" if self.engine == "kind" else f"depth {self.depth}")
        if self.seconds_per_depth is not None:
            parts.append(f"({self.seconds_per_depth:.1f} s/depth)")
        if self.lemmas is not None:
            parts.append(f"{self.lemmas} lemmas")
        if self.states is not None:
            parts.append(f"{_count(self.states)} states")
            if self.rate is not None:
                parts.append(f"({_count(int(self.rate))}/s)")
            if self.queue is not None:
                parts.append(f"queue {_count(self.queue)}")
        if self.prop is not None:
            parts.append(f"[{self.prop}]")
        if self.phase is not None:
            parts.append(self.phase)
        return " ".join(parts)


def _count(n: int) -> str:
    """1234 -> 1234, 41234 -> 41.2k, 1234567 -> 1.23M: a status line stays short."""
    if n < 10_000:
        return str(n)
    if n < 1_000_000:
        return f"{n / 1000:.1f}k"
    return f"{n / 1_000_000:.2f}M"


#: what engines accept; None means nobody is listening
ProgressHook = Callable[[Progress], None]


def no_progress(_: Progress) -> None:
    """The hook that ignores everything (the default of every engine)."""


@dataclass
class Reporter:
    """An engine's side of the hook: keeps the engine's clock and throttles.

    ``report`` forwards at once when the headline figure (depth/level/k, property or
    phase) changed, else at most every ``every`` seconds; the engine calls it freely."""
    engine: str
    hook: ProgressHook | None
    every: float = EVERY
    start: float = field(default_factory=time.monotonic)
    _last: float = field(default=float("-inf"), init=False)
    _key: tuple[object, ...] = field(default=(), init=False)

    @property
    def active(self) -> bool:
        return self.hook is not None

    def report(self, **figures: object) -> None:
        if self.hook is None:
            return
        now = time.monotonic()
        key = (figures.get("depth"), figures.get("level"), figures.get("prop"),
               figures.get("phase"))
        if key == self._key and now - self._last < self.every:
            return
        self._key, self._last = key, now
        self.hook(Progress(self.engine, now - self.start, **figures))  # type: ignore[arg-type]
