"""The run's time budget stops a phase whatever it runs, and never inside a finalizer."""
from __future__ import annotations

import time

import pytest

from flagcheck.tlamodel.deadline import Deadline, OutOfTime


class _Finalizer:
    """An object whose __del__ runs a busy loop past the deadline and records that it ran
    to its end: the timer must not raise in a finalizer (Python would drop the exception,
    and a finalizer cut short can leave freed memory in use: z3's Context.__del__)."""
    finished: list[bool] = []

    def __del__(self) -> None:
        end = time.monotonic() + 0.5
        while time.monotonic() < end:
            pass
        _Finalizer.finished.append(True)


def test_a_finalizer_is_never_interrupted_and_a_later_ring_stops_the_phase() -> None:
    d = Deadline(0.05)
    with pytest.raises(OutOfTime) as caught:
        with d.phase_of("reading x.yaml"):
            _Finalizer()        # collected at once: the first ring lands in its __del__
            end = time.monotonic() + 5.0
            while time.monotonic() < end:   # no check() here: only the timer can stop it
                pass
    assert caught.value.phase == "reading x.yaml"
    assert _Finalizer.finished == [True]
    assert time.monotonic() < end - 3.5     # stopped by a ring soon after the finalizer


def test_a_phase_that_ends_in_time_leaves_no_timer_behind() -> None:
    d = Deadline(0.2)
    with d.phase_of("parsing"):
        pass
    time.sleep(0.4)             # a timer left set would raise here


def test_the_reason_names_the_phase_and_the_budget() -> None:
    e = OutOfTime("building the model of scenario s", 5.0)
    assert e.reason == "timeout in building the model of scenario s (5 s)"


def test_a_phase_cut_short_leaves_no_timer_behind() -> None:
    for _ in range(20):         # the first ring may come before, in or after the body's start
        d = Deadline(0.0005)
        with pytest.raises(OutOfTime):
            with d.phase_of("parsing"):
                while True:
                    pass
    time.sleep(0.6)             # a timer left set (it repeats) would raise here
