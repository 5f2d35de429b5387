"""Proofs at every depth on the case the project exists for: Oleg's scenario under every
design, by k-induction and by PDR, through ``verify`` and its verdict words.

Why here and not in tests/checker: the claim is about the shipped designs
-- notify-signal-5.11 (the merged fix), coupled-5.9 (what it replaced) and RFC v3 are
*proved* safe on oleg-lost-signal by both proof engines, and RFC v2 keeps its 18-step
counterexample from both (replayed by ``verify``, as every counterexample is).  Each run
is a few seconds; the full designs × scenarios figures are benchmarks/run.py's job.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from flagcheck.checker.verify import Options, verify
from tests.shipped import cached_design

pytestmark = [pytest.mark.solver, pytest.mark.slow]

SPECS = Path(__file__).resolve().parents[2] / "specs"
FIXED = ("coupled-5.9", "rfc-v3-signal-pending-split", "notify-signal-5.11")
BUDGET = 300.0   # seconds: a generous ceiling against a hung solver, not a speed target


#: the safety properties every shipped design checks; k-induction and PDR answer "unknown"
#: on the liveness ones (task_work_runs, signals_delivered), which they do not check
SAFETY = ("no_lost_signal", "no_deadlock", "assertions")


def _verdicts(design: str, engine: str, scenario: str = "oleg-lost-signal") -> dict:
    d = cached_design(SPECS / f"{design}.yaml")
    vs = verify(d, (scenario,), SAFETY, Options(engine=engine, timeout=BUDGET))
    return {v.property: v for v in vs}


@pytest.mark.parametrize("design", FIXED)
def test_kind_proves_no_lost_signal(design: str) -> None:
    v = _verdicts(design, "kind")["no_lost_signal"]
    assert v.status == "proved", v.word()
    assert v.word() == f"proved (k-induction, k={v.outcome.depth})"
    # with the mined invariant the step case closes at once; without it k was 16-30
    assert v.outcome.depth <= 3, v.outcome.reason
    assert "strengthened by" in v.outcome.reason


@pytest.mark.parametrize("design", FIXED)
def test_pdr_proves_no_lost_signal_with_a_rechecked_invariant(design: str) -> None:
    v = _verdicts(design, "pdr")["no_lost_signal"]
    assert v.status == "proved" and v.word() == "proved (PDR)", v.word()
    assert "re-checked)" in v.outcome.reason and "not re-checked" not in v.outcome.reason
    assert "T.pending" in v.outcome.reason or "T.TIF_SIGPENDING" in v.outcome.reason


@pytest.mark.parametrize("engine", ["kind", "pdr"])
def test_rfc_v2_keeps_its_counterexample(engine: str) -> None:
    v = _verdicts("rfc-v2-tif-taskwork", engine)["no_lost_signal"]
    assert v.status == "violated" and v.outcome.depth == 18, v.word()
    assert v.outcome.trace is not None and v.outcome.trace.length == 18


def test_kind_proves_the_three_task_io_uring_scenario() -> None:
    """Jens's T1/T2/T3 scenario under the merged design: plain k-induction reached k=25
    in 90 s without converging; with the mined invariant every property is proved."""
    vs = _verdicts("notify-signal-5.11", "kind", "io-uring-pthread-join")
    assert {p: v.status for p, v in vs.items()} == {
        "no_lost_signal": "proved", "no_deadlock": "proved", "assertions": "proved"}
    assert all(v.word().startswith("proved (k-induction, k=") for v in vs.values())
