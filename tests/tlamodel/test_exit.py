"""A task whose code ends exits: the library's do_exit() runs the task_work still queued on
it (exit_task_work()), and task_work_add() on an exited task fails.

Why: ``task_work_runs`` used to count a task that *finished* with work queued as a
violation, a false alarm on every design (the kernel's do_exit() runs that work); work
stranded on a task that is still alive and blocked must stay a violation.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from flagcheck.pyspec import explicit
from flagcheck.pyspec.explicit import reachable_states
from flagcheck.pyspec.replay import check_violation
from flagcheck.pyspec.successors import enabled
from flagcheck.tlamodel.cfg import EXIT_PROCEDURE
from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.ir import Model
from flagcheck.tlamodel.load import load_design
from tests.shipped import cached_design
from flagcheck.tlamodel.reduce import reduce_model

SPECS = Path(__file__).resolve().parents[2] / "specs"
#: the TWA_SIGNAL designs: those checked on Oleg's scenarios and the io_uring control
#: (the post-5.11 designs on lib/linux-5.11.yaml have scenarios of their own)
DESIGNS = sorted(p.stem for p in SPECS.glob("*.yaml")
                 if "scenarios/io-uring-killable-join.yaml" in p.read_text())


def _model(design: str, scenario: str, props: tuple[str, ...] = ("task_work_runs",)) -> Model:
    d = cached_design(SPECS / f"{design}.yaml")
    return reduce_model(d.model(d.scenario(scenario), props))


def _tmp_design(tmp_path: Path, run: str, extra: str = "") -> Model:
    (tmp_path / "scen.yaml").write_text(
        "flagcheck: 1\nscenario: scen\nsummary: exit test\n"
        "tasks:\n  T: {group: G_T}\n  A: {group: G_A}\n"
        "state:\n  global:\n    go: {type: bool, doc: never set}\n"
        f"run:\n{run}")
    (tmp_path / "d.yaml").write_text(
        "flagcheck: 1\ndesign: d\nextends: lib/linux-base.yaml\nscenarios: [scen.yaml]\n"
        f"check: [task_work_runs, no_deadlock]\n{extra}")
    d = load_design(tmp_path / "d.yaml")
    return d.model(d.scenarios[0])


@pytest.mark.parametrize("design", DESIGNS)
@pytest.mark.parametrize("scenario", ["oleg-lost-signal",
                                      pytest.param("oleg-on-cpu", marks=pytest.mark.slow),
                                      pytest.param("group-shared-signal", marks=pytest.mark.slow)])
def test_work_queued_on_a_task_that_exits_is_run(design: str, scenario: str) -> None:
    # these were violated on every design: T finished, A's work arrived after (or before) it
    o = explicit.check(_model(design, scenario), ["task_work_runs"])["task_work_runs"]
    assert (o.status, o.exhaustive) == ("holds", True), o


@pytest.mark.parametrize("design", DESIGNS)
def test_work_stranded_on_a_blocked_task_stays_a_violation(design: str) -> None:
    # the control: T1 sleeps TASK_KILLABLE with the poll completion queued, for good
    m = _model(design, "io-uring-killable-join")
    o = explicit.check(m, ["task_work_runs"])["task_work_runs"]
    assert o.status == "violated", o
    t = o.trace
    assert t is not None and t.loop_start == t.length
    assert enabled(m, t.states[-1]) == []
    check_violation(m, t, "task_work_runs")
    idx = m.var_index()
    assert t.states[-1][idx["T1.task_works"]] == 1
    assert t.states[-1][idx["T1.task_works_exited"]] is False


def test_the_exit_step_reads_do_exit_exit_task_work(tmp_path: Path) -> None:
    m = _tmp_design(tmp_path, "  T: skip;\n  A: task_work_add(T, TWA_RESUME);\n")
    stacks = {a.info.stack for a in m.actions if a.task == "T"}
    assert (EXIT_PROCEDURE, "exit_task_work") in stacks
    # every task runs it, also one whose code is a single call
    assert any(a.info.stack[:2] == ("do_exit", "exit_task_work") for a in m.actions
               if a.task == "A")


def test_an_add_after_the_exit_fails_and_an_add_before_it_is_run(tmp_path: Path) -> None:
    m = _tmp_design(tmp_path, "  T: skip;\n  A: task_work_add(T, TWA_RESUME);\n")
    out = explicit.check(m, ["task_work_runs", "no_deadlock"])
    assert out["task_work_runs"].status == "holds" and out["task_work_runs"].exhaustive
    assert out["no_deadlock"].status == "holds"
    idx = m.var_index()
    states = reachable_states(m, 10_000)
    # both orders are explored: the work was queued on the live T in some run ...
    assert any(s[idx["T.task_works"]] == 1 for s in states)
    # ... and every run ends with T's list the work_exited marker and nothing queued on it
    finals = [s for s in states if not enabled(m, s)]
    assert finals and all(s[idx["T.task_works"]] == 0 and s[idx["T.task_works_exited"]]
                          for s in finals)


def test_a_live_blocked_task_with_work_is_still_reported(tmp_path: Path) -> None:
    # T waits for a flag nobody sets: it never exits, so A's work is never run
    m = _tmp_design(tmp_path, "  T: await (go);\n  A: task_work_add(T, TWA_RESUME);\n")
    o = explicit.check(m, ["task_work_runs"])["task_work_runs"]
    assert o.status == "violated", o
    check_violation(m, o.trace, "task_work_runs")
    idx = m.var_index()
    assert o.trace.states[-1][idx["T.task_works"]] == 1


def test_do_exit_with_parameters_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DesignError) as info:
        _tmp_design(tmp_path, "  T: skip;\n  A: skip;\n",
                    "procedures:\n  do_exit(code): |\n    exit_task_work();\n")
    assert "do_exit() takes no arguments" in str(info.value)
