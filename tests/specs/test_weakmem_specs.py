"""The sleep/wake-up pairing and TIF_NOTIFY_SIGNAL under ``memory: tso`` and ``lkmm``
(specs/weakmem/).

What must hold: with set_current_state() as smp_store_mb() no run deadlocks; with a plain
store the lost wake-up is a 6-step deadlock in which the sleeper's store of SLEEPING waits in
its store buffer while it loads cond, and the same code under ``memory: sc`` is correct.
For TIF_NOTIFY_SIGNAL, tracehook_notify_signal() with and without smp_mb__after_atomic()
never strands queued work under TSO (clear_bit() is a locked instruction on x86), and a
plain store instead of clear_bit() without a barrier does (9 steps); correct under sc.
Under lkmm clear_bit() is unordered: without smp_mb__after_atomic() the load of task_works
is performed before the clear and the work is stranded (8 steps); with it, proved.
task_work_add(): the push and set_notify_signal()'s test of the flag need one full barrier
between them (cmpxchg()'s or test_and_set_bit()'s); with neither (a relaxed push under lkmm,
a plain store under tso, then test_bit() + set_bit()) the work is stranded.
Every engine gives the expected verdict and every counterexample replays in pyspec.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from flagcheck.checker.cli.main import main
from flagcheck.checker.verify import Options, verify
from flagcheck.pyspec import explicit
from flagcheck.pyspec.replay import check_violation
from flagcheck.tlamodel.load import load_design
from tests.shipped import cached_design
from flagcheck.tlamodel.reduce import reduce_model

WM = Path(__file__).resolve().parents[2] / "specs" / "weakmem"
#: design -> (property, verdict, depth of the shortest counterexample)
WANT = {"sleep-wakeup-tso": ("no_deadlock", "proved", None),
        "sleep-wakeup-tso-no-mb": ("no_deadlock", "violated", 6),
        "sleep-wakeup-lkmm": ("no_deadlock", "proved", None),
        "sleep-wakeup-lkmm-no-mb": ("no_deadlock", "violated", 6),
        # TIF_NOTIFY_SIGNAL: clear_bit() is a locked instruction on x86, so only a plain
        # clear without a barrier strands the work under TSO
        "notify-signal-tso": ("no_stranded_work", "proved", None),
        "notify-signal-tso-no-mb": ("no_stranded_work", "proved", None),
        "notify-signal-tso-plain-clear": ("no_stranded_work", "violated", 9),
        # the kernel's model: clear_bit() is unordered, smp_mb__after_atomic() is needed
        "notify-signal-lkmm": ("no_stranded_work", "proved", None),
        "notify-signal-lkmm-no-mb": ("no_stranded_work", "violated", 8),
        # task_work_add(): the push (cmpxchg) and the test of the flag form an SB pair with
        # the target's clear + smp_mb__after_atomic(); one full barrier on the adder's side
        # is needed, either one will do
        "task-work-add-tso-test-bit": ("no_stranded_work", "proved", None),
        "task-work-add-tso-plain-push": ("no_stranded_work", "violated", 9),
        "task-work-add-lkmm-test-bit": ("no_stranded_work", "proved", None),
        "task-work-add-lkmm-relaxed-push": ("no_stranded_work", "proved", None),
        "task-work-add-lkmm-relaxed": ("no_stranded_work", "violated", 8)}
#: the step a counterexample ends with
LAST = {"sleep-wakeup-tso-no-mb": "flush W.state=SLEEPING",
        "sleep-wakeup-lkmm-no-mb": "flush W.state=SLEEPING",
        "notify-signal-tso-plain-clear": "flush T.TIF_NOTIFY_SIGNAL=false",
        "notify-signal-lkmm-no-mb": "current.done = true;",
        "task-work-add-tso-plain-push": "flush T.task_works=1",
        "task-work-add-lkmm-relaxed": "current.done = true;"}
#: a step each counterexample must contain: the reordering that loses the wake-up or work
REORDERED = {"sleep-wakeup-tso-no-mb": "current.state = s;  // store W.state=SLEEPING buffered",
             "sleep-wakeup-lkmm-no-mb": "current.state = s;  // store W.state=SLEEPING buffered",
             "notify-signal-tso-plain-clear": "current.TIF_NOTIFY_SIGNAL = false;  // store "
                                              "T.TIF_NOTIFY_SIGNAL=false buffered",
             "notify-signal-lkmm-no-mb": "// early, before 'atomic { flag = false; }'",
             "task-work-add-tso-plain-push": "t.task_works = 1;  // store T.task_works=1 buffered",
             "task-work-add-lkmm-relaxed": "if (!t.TIF_NOTIFY_SIGNAL)  // early, before "
                                           "'atomic { loc = val; }'"}


@pytest.mark.parametrize("design", sorted(WANT))
def test_explicit_verdict_and_replay(design: str) -> None:
    d = cached_design(WM / f"{design}.yaml")
    m = reduce_model(d.model(d.scenarios[0]))
    prop, status, depth = WANT[design]
    o = explicit.check(m)[prop]
    assert o.status == ("holds" if status == "proved" else status)
    if depth is not None:
        assert o.depth == depth and o.trace is not None
        check_violation(m, o.trace, prop)
        texts = [m.actions[a].info.text for a in o.trace.actions]
        assert texts[-1] == LAST[design], texts
        assert any(REORDERED[design] in x for x in texts), texts


def test_without_the_barrier_sc_is_still_correct(tmp_path: Path) -> None:
    (tmp_path / "sc.yaml").write_text(
        f"flagcheck: 1\ndesign: sc\nextends: {WM / 'sleep-wakeup-tso-no-mb.yaml'}\nmemory: sc\n"
        "expect:\n  sleep-wakeup: {no_deadlock: holds}\n")
    d = load_design(tmp_path / "sc.yaml", allow_paths=(WM,))
    m = d.model(d.scenarios[0])
    assert "memory" not in m.meta
    assert explicit.check(reduce_model(m))["no_deadlock"].status == "holds"


@pytest.mark.solver
@pytest.mark.parametrize("engine", ["bmc", "kind", "pdr"])
@pytest.mark.parametrize("design", sorted(WANT))
def test_every_engine_agrees(design: str, engine: str) -> None:
    d = cached_design(WM / f"{design}.yaml")
    prop, status, depth = WANT[design]
    (v,) = verify(d, (), (prop,), Options(engine=engine, timeout=120))
    # BMC proves too: no run of these scenarios is longer than a few steps, so its
    # search is complete
    assert v.status == status
    if depth is not None:
        assert v.outcome.depth == depth


def test_a_saved_tso_counterexample_replays_from_the_cli(tmp_path: Path) -> None:
    design = str(WM / "sleep-wakeup-tso-no-mb.yaml")
    r = CliRunner().invoke(main, ["verify", design, "--engine", "explicit", "--format", "json"])
    assert r.exit_code == 1, r.output
    (tmp_path / "t.json").write_text(r.output)
    r = CliRunner().invoke(main, ["replay", str(tmp_path / "t.json"), design])
    assert r.exit_code == 0, r.output
    assert "reproduces: no_deadlock on sleep-wakeup: 6 steps replayed" in r.output


def test_bad_memory_setting_exits_2_with_its_position(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text(
        f"flagcheck: 1\ndesign: d\nextends: {WM / 'sleep-wakeup-tso.yaml'}\nmemory: arm\n")
    r = CliRunner().invoke(main, ["verify", str(tmp_path / "d.yaml"), "--allow-path", str(WM)])
    assert r.exit_code == 2
    assert "d.yaml:4:9: error: unknown memory model 'arm'" in r.output


def test_the_plain_clear_is_correct_under_sc(tmp_path: Path) -> None:
    (tmp_path / "sc.yaml").write_text(
        f"flagcheck: 1\ndesign: sc\nextends: {WM / 'notify-signal-tso-plain-clear.yaml'}\n"
        "memory: sc\nexpect:\n  notify-signal-race: {no_stranded_work: holds}\n")
    d = load_design(tmp_path / "sc.yaml", allow_paths=(WM,))
    assert explicit.check(reduce_model(d.model(d.scenarios[0])))["no_stranded_work"].status \
        == "holds"
