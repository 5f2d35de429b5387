"""The run's time budget stops a phase even where Python drops the timer's exception."""
from __future__ import annotations

import time

import pytest

from flagcheck.tlamodel.deadline import Deadline, OutOfTime


class _Dropper:
    """An object whose __del__ runs a busy loop: an OutOfTime raised by the timer while
    it runs is printed and dropped by Python ("Exception ignored in ..."), as in a
    garbage-collector callback."""

    def __del__(self) -> None:
        end = time.monotonic() + 0.5
        while time.monotonic() < end:
            pass


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_the_timer_rings_again_when_its_first_exception_is_dropped() -> None:
    d = Deadline(0.05)
    with pytest.raises(OutOfTime) as caught:
        with d.phase_of("reading x.yaml"):
            _Dropper()          # collected at once: the first ring lands in its __del__
            end = time.monotonic() + 5.0
            while time.monotonic() < end:   # no check() here: only the timer can stop it
                pass
    assert caught.value.phase == "reading x.yaml"


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
