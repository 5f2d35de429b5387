"""The portfolio race (``--engine auto``): per property, the most informative answer wins.

The engines here are stand-ins with a fixed answer and a delay, so each test decides who is
fast and who is right; the race itself (processes, queue, deadline) is the real one.
"""
from __future__ import annotations

import os
import time

import pytest
from dataclasses import dataclass

from flagcheck.checker.engines import portfolio
from flagcheck.checker.engines.portfolio import better
from flagcheck.pyspec.outcome import Outcome
from tests.checker import models as M

pytestmark = pytest.mark.solver

MODEL = M.counter_race(2)
PROPS = ["count_ok"]


@dataclass(frozen=True)
class Fixed:
    """An engine that answers ``status`` at ``depth`` after ``delay`` seconds (picklable:
    the race sends it to a spawned process)."""
    status: str
    depth: int
    delay: float = 0.0
    exhaustive: bool = False
    fail: bool = False

    def __call__(self, model, props):  # noqa: ANN001, ANN204
        time.sleep(self.delay)
        if self.fail:
            raise RuntimeError("solver crashed")
        return {p: Outcome(p, self.status, self.depth, exhaustive=self.exhaustive,  # type: ignore[arg-type]
                           engine=f"{self.status}@{self.depth}") for p in props}


def _o(status: str, depth: int, exhaustive: bool = False) -> Outcome:
    return Outcome("p", status, depth, exhaustive=exhaustive)  # type: ignore[arg-type]


def test_better_ranks_answers_by_information() -> None:
    violated, proof = _o("violated", 4), _o("holds", 9, exhaustive=True)
    bounded10, bounded20, unknown30 = _o("holds", 10), _o("holds", 20), _o("unknown", 30)
    assert better(violated, bounded20) and not better(bounded20, violated)
    assert better(proof, unknown30) and not better(unknown30, proof)
    assert better(bounded10, unknown30) and not better(unknown30, bounded10)
    assert better(bounded20, bounded10) and not better(bounded10, bounded20)
    # two definitive answers: the first one stays (the race stops at it)
    assert not better(proof, violated) and not better(violated, proof)


def test_a_violation_found_by_the_slower_engine_wins_over_a_bounded_holds() -> None:
    out = portfolio.race(MODEL, PROPS, {"fast": Fixed("holds", 40),
                                        "slow": Fixed("violated", 4, delay=1.0)}, None)
    assert out["count_ok"].status == "violated" and out["count_ok"].engine == "violated@4"


def test_a_proof_from_the_slower_engine_wins_over_unknown() -> None:
    out = portfolio.race(MODEL, PROPS, {"fast": Fixed("unknown", 7),
                                        "slow": Fixed("holds", 4, delay=1.0, exhaustive=True)}, None)
    assert out["count_ok"].status == "holds" and out["count_ok"].exhaustive


def test_without_a_definitive_answer_the_deeper_bounded_holds_is_kept() -> None:
    out = portfolio.race(MODEL, PROPS, {"a": Fixed("holds", 10), "b": Fixed("holds", 25, delay=0.5),
                                        "c": Fixed("unknown", 60)}, None)
    assert out["count_ok"].status == "holds" and out["count_ok"].depth == 25
    assert not out["count_ok"].exhaustive


def test_a_crashed_engine_does_not_hide_the_others_answer() -> None:
    out = portfolio.race(MODEL, PROPS, {"bad": Fixed("holds", 0, fail=True),
                                        "good": Fixed("violated", 4, delay=0.5)}, None)
    assert out["count_ok"].status == "violated"


def test_when_every_engine_fails_the_answer_is_unknown_with_the_reasons() -> None:
    out = portfolio.race(MODEL, PROPS, {"bad": Fixed("holds", 0, fail=True)}, None)
    o = out["count_ok"]
    assert o.status == "unknown" and "solver crashed" in o.reason


def test_an_engine_past_the_deadline_is_not_waited_for() -> None:
    t0 = time.monotonic()
    out = portfolio.race(MODEL, PROPS, {"quick": Fixed("holds", 12),
                                        "stuck": Fixed("violated", 4, delay=60)}, timeout=1.0)
    assert time.monotonic() - t0 < 30
    # the bounded answer that did arrive is kept; the late violation never counts
    assert out["count_ok"].status == "holds" and out["count_ok"].depth == 12


@dataclass(frozen=True)
class WhoIsMyParent:
    """An engine that answers with the process id of its parent process."""

    def __call__(self, model, props):  # noqa: ANN001, ANN204
        return {p: Outcome(p, "holds", 1, engine="parent", reason=str(os.getppid()))
                for p in props}


def test_engine_processes_are_not_forked_from_the_caller() -> None:
    # checker.engines.processes: a fork would copy locks other threads hold; several vforks at
    # once from a threaded caller are what the race did before.  The fork server is
    # the engines' parent, so the caller is not.
    out = portfolio.race(MODEL, PROPS, {"a": WhoIsMyParent(), "b": WhoIsMyParent()}, 30)
    parent = int(out["count_ok"].reason)
    assert parent != os.getpid()
