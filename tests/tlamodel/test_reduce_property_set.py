"""The reduced model, and so a counterexample's depth, does not depend on which properties
a run checks; ``--no-reduce`` checks the model as written.

Why: the reduction used to keep visible only the variables of the *checked* properties, so
``verify -p no_deadlock`` and a run of the design's ``check:`` list reported different
depths for the same deadlock (15 vs 18 on coupled-5.9 × io-uring-killable-join), and an
``expect: violated@N`` line broke whenever a property was added to ``check:``.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from flagcheck.checker.cli.main import main
from flagcheck.checker.verify import Options, verify
from flagcheck.pyspec import explicit
from tests.shipped import cached_design
from flagcheck.tlamodel.reduce import reduce_model

pytestmark = pytest.mark.slow

SPECS = Path(__file__).resolve().parents[2] / "specs"
ALL = ("no_lost_signal", "no_deadlock", "task_work_runs", "signals_delivered", "assertions")

#: design × scenario × property whose depth used to change with the checked set
#: (alone / the design's check: list / every property, measured before the fix)
DIFFERED = [
    ("coupled-5.9", "io-uring-killable-join", "no_deadlock"),        # 15 / 18 / 20
    ("notify-signal-5.11", "io-uring-killable-join", "no_deadlock"),  # 14 / 17 / 19
    ("rfc-v2-tif-taskwork", "io-uring-killable-join", "no_deadlock"),  # 13 / 16 / 18
    ("twa-resume-counter", "io-uring-pthread-join", "no_deadlock"),   # 16 / 19 / 21
    ("twa-resume-counter", "io-uring-pthread-join", "task_work_runs"),  # 18 / - / 21
    ("rfc-v2-tif-taskwork", "oleg-lost-signal", "no_lost_signal"),    # 18 / 18 / 18
]


def _depth(design: str, scenario: str, props: tuple[str, ...], prop: str) -> int:
    d = cached_design(SPECS / f"{design}.yaml")
    verdicts = verify(d, (scenario,), props, Options(engine="explicit"))
    (v,) = [v for v in verdicts if v.property == prop]
    assert v.outcome is not None and v.outcome.status == "violated", v
    return v.outcome.depth


@pytest.mark.parametrize("design, scenario, prop", DIFFERED,
                         ids=[f"{d}:{s}:{p}" for d, s, p in DIFFERED])
def test_depth_is_the_same_alone_and_with_every_property(design: str, scenario: str,
                                                         prop: str) -> None:
    alone = _depth(design, scenario, (prop,), prop)
    assert _depth(design, scenario, ALL, prop) == alone
    if prop != "task_work_runs":   # the design's own check: list (no -p at all)
        assert _depth(design, scenario, (), prop) == alone


@pytest.mark.parametrize("design", sorted(p.stem for p in SPECS.glob("*.yaml")))
def test_reduced_model_is_the_same_for_every_selection(design: str) -> None:
    d = cached_design(SPECS / f"{design}.yaml")
    for scen in d.scenarios:
        models = [reduce_model(d.model(scen, sel))
                  for sel in ((), ("no_deadlock",), ("signals_delivered",), ALL)]
        shapes = {tuple((a.task, a.guard, a.updates) for a in m.actions) for m in models}
        assert len(shapes) == 1, scen.name


def test_no_reduce_reports_steps_of_the_model_as_written() -> None:
    design, scenario, prop = "rfc-v2-tif-taskwork", "oleg-lost-signal", "no_lost_signal"
    d = cached_design(SPECS / f"{design}.yaml")
    raw = explicit.check(d.model(d.scenario(scenario)), [prop])[prop]
    reduced = _depth(design, scenario, (prop,), prop)
    assert raw.status == "violated" and raw.depth > reduced      # 24 vs 18

    def cli_depth(*extra: str) -> int:
        r = CliRunner().invoke(main, ["verify", str(SPECS / f"{design}.yaml"), "-s", scenario,
                                      "-p", prop, "--engine", "explicit", "-q", *extra])
        assert r.exit_code == 1, r.output
        m = re.search(r"violated \(depth (\d+)\)", r.output)
        assert m, r.output
        return int(m.group(1))

    assert cli_depth("--no-reduce") == raw.depth
    assert cli_depth() == reduced


@pytest.mark.parametrize("command", ["verify", "compare", "gate", "test"])
def test_every_checking_command_offers_no_reduce(command: str) -> None:
    r = CliRunner().invoke(main, [command, "--help"])
    assert r.exit_code == 0 and "--no-reduce" in r.output, r.output
