"""flagcheck mutate with liveness properties in a design's check: list: a livelocking
mutant (a task that loops for ever without blocking, which no_deadlock cannot see) is
killed by the liveness property, and the liveness search only runs for a mutant that no
safety verdict told apart (checker/mutate/run.py, docs/mutation.md)."""
from __future__ import annotations

from pathlib import Path

import pytest

from flagcheck.checker.mutate.run import Checker, DesignMutation, mutate_design
from flagcheck.tlamodel.ir import Liveness, Model

FIX = Path(__file__).parent / "fixtures_mutate"


def by_description(d: DesignMutation, text: str):  # noqa: ANN201
    (r,) = [r for r in d.results if text in r.mutant.description]
    return r


@pytest.fixture()
def searched(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """Every search a Checker runs, as (scenario, whether it checked a liveness property)."""
    calls: list[tuple[str, bool]] = []
    real = Checker.run

    def spy(self: Checker, model: Model, names: list[str] | None = None):  # noqa: ANN202
        props = names if names is not None else [p.name for p in model.properties]
        calls.append((model.meta["scenario"],
                      any(isinstance(model.property(n), Liveness) for n in props)))
        return real(self, model, names)

    monkeypatch.setattr(Checker, "run", spy)
    return calls


def test_a_livelock_is_killed_by_the_liveness_property() -> None:
    d = mutate_design(FIX / "livelock-live.yaml", jobs=1)
    drop = by_description(d, "drop the flag write 'current.TIF_WORK = false;'")
    assert drop.status == "killed" and drop.kill is not None
    assert (drop.kill.scenario, drop.kill.property, drop.kill.now) == (
        "one-worker", "work_handled", "violated")
    # the same mutant without the liveness property survives (tests/checker/test_mutate.py)
    plain = mutate_design(FIX / "livelock.yaml", jobs=1)
    assert by_description(plain, "drop the flag write").status == "survived"


def test_liveness_is_searched_only_when_no_safety_verdict_kills(
        searched: list[tuple[str, bool]]) -> None:
    d = mutate_design(FIX / "livelock-live.yaml", jobs=1)
    baseline, per_mutant = searched[0], searched[1:]
    assert baseline == ("one-worker", True)       # the design: every property at once
    kinds = {r.mutant.id: r.kill.property for r in d.results if r.kill is not None}
    assert sorted(kinds.values()) == ["assertions", "assertions", "work_handled"]
    # two safety kills: one search each, no liveness; the liveness kill: safety, then liveness
    assert [live for _, live in per_mutant] == [False, False, False, True]
