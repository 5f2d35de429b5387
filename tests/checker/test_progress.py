"""The progress hook (pyspec.progress): every engine reports its own figures through it.

Why these checks: a long run must say how far it is (BMC depth, explicit states, k,
Spacer's level), and the figures must be the engine's real ones -- so each test compares
what the hook saw with the outcome the engine returned.  Reporting must also not change
any answer, so the outcome with a hook is compared with the outcome without one.
"""
from __future__ import annotations

import io
import time
from typing import Callable

import pytest
from rich.console import Console

from flagcheck.checker.engines import bmc, kinduction, pdr, portfolio
from flagcheck.checker.engines.registry import Settings, runner
from flagcheck.checker.report.terminal import LiveStatus, progress_seconds
from flagcheck.pyspec import explicit
from flagcheck.pyspec.progress import Progress, Reporter
from tests.checker import models as M


def _recorder() -> tuple[list[Progress], Callable[[Progress], None]]:
    seen: list[Progress] = []
    return seen, seen.append


def _same(a: dict, b: dict) -> None:
    """The same verdicts (status, depth, trace, reason) whether a hook listened or not."""
    for name in a:
        x, y = a[name], b[name]
        assert (x.status, x.depth, x.trace, x.reason, x.exhaustive) == \
            (y.status, y.depth, y.trace, y.reason, y.exhaustive), name


def test_explicit_reports_states_rate_queue_and_layer() -> None:
    m = M.long_counter(5000)          # one state per BFS layer: depth == states - 1
    seen, hook = _recorder()
    out = explicit.check(m, progress=hook)
    assert out["bounded"].status == "holds" and out["bounded"].states == 5001
    assert seen, "5000 states and no report"
    assert all(p.engine == "explicit" for p in seen)
    states = [p.states for p in seen]
    assert states == sorted(states) and 0 < states[-1] <= 5001
    for p in seen:
        assert p.depth is not None and p.states is not None
        assert p.depth <= p.states - 1          # a layer holds at least one new state
        assert p.queue is not None and p.queue >= 0 and p.rate is not None and p.rate > 0
    _same(out, explicit.check(m))


def test_explicit_liveness_reports_states_and_phase() -> None:
    from tests.pyspec.fixtures_liveness import liveness_models as L
    m = L.spec_model("notify-signal-5.11", "io-uring-pthread-join", ("task_work_runs",))
    seen, hook = _recorder()
    out = explicit.check(m, ["task_work_runs"], progress=hook)
    assert seen and all(p.engine == "explicit" for p in seen)
    assert {p.phase for p in seen} <= {"state graph", "lasso search [task_work_runs]"}
    states = [p.states for p in seen]
    assert states == sorted(states) and states[-1] <= out["task_work_runs"].states
    _same(out, explicit.check(m, ["task_work_runs"]))


@pytest.mark.solver
def test_bmc_reports_every_depth_in_order_with_its_time() -> None:
    m = M.counter_race(3)
    seen, hook = _recorder()
    out = bmc.check(m, depth=8, progress=hook)
    depths = [p.depth for p in seen]
    assert depths == list(range(len(depths))) and depths[-1] >= out["count_ok"].depth
    assert all(p.engine == "bmc" for p in seen)
    assert seen[0].seconds_per_depth is None                 # nothing finished yet
    assert all(p.seconds_per_depth is not None and p.seconds_per_depth >= 0 for p in seen[1:])
    assert "bmc depth 1 (" in seen[1].text() and "s/depth)" in seen[1].text()
    _same(out, bmc.check(m, depth=8))


@pytest.mark.solver
def test_bmc_liveness_lassos_report_their_depth() -> None:
    from tests.pyspec.fixtures_liveness import liveness_models as L
    m = L.starvation(intermittent=False)
    names = [p.name for p in m.properties]
    seen, hook = _recorder()
    bmc.check(m, names, depth=6, progress=hook)
    lasso = [p for p in seen if p.phase == "fair lassos"]
    assert lasso and [p.depth for p in lasso] == list(range(len(lasso)))


@pytest.mark.solver
def test_kinduction_reports_mining_then_each_k() -> None:
    m = M.counter_race(2)
    seen, hook = _recorder()
    out = kinduction.check(m, ["no_deadlock", "count_ok"], max_k=10, progress=hook)
    assert seen[0].phase == "mining invariant"
    ks = [p.depth for p in seen[1:]]
    assert ks == list(range(len(ks))) and all(p.engine == "kind" for p in seen)
    # the last k reported is the one the run stopped at
    assert ks[-1] == max(o.depth for o in out.values())
    assert seen[-1].text() == f"kind k={ks[-1]}"
    _same(out, kinduction.check(m, ["no_deadlock", "count_ok"], max_k=10))


@pytest.mark.solver
def test_pdr_reports_spacer_level_and_lemmas() -> None:
    from tests.pyspec.fixtures_liveness import liveness_models as L
    # coupled-5.9 x oleg-lost-signal: proved in under a second, over several levels; with
    # Spacer's new_lemma callback on, its invariant for "assertions" came out different
    m = L.spec_model("coupled-5.9", "oleg-lost-signal", ())
    names = ["no_lost_signal", "assertions"]
    seen, hook = _recorder()
    out = pdr.check(m, names, progress=hook)
    assert all(out[n].status == "holds" and out[n].exhaustive for n in names)
    assert seen and all(p.engine == "pdr" and p.prop in names for p in seen)
    for name in names:
        mine = [p for p in seen if p.prop == name]
        levels = [p.level for p in mine]
        assert levels == sorted(levels) and levels[0] == 0, levels
        lemmas = [p.lemmas for p in mine]
        assert lemmas == sorted(lemmas), lemmas
    last = [p for p in seen if p.prop == "assertions"][-1]
    # Spacer's callback fired: it went past level 0 and had learnt lemmas on the way
    assert last.level is not None and last.level >= 1 and last.lemmas and last.lemmas > 0
    assert last.text() == f"pdr level {last.level} {last.lemmas} lemmas [assertions]"
    # the proofs, and the invariants printed with them, are the same without the callback
    _same(out, pdr.check(m, names))


@pytest.mark.solver
def test_portfolio_brings_engine_progress_back_to_the_parent() -> None:
    seen, hook = _recorder()
    bmc8 = runner("bmc", Settings(depth=8, timeout=None, max_states=None, seed=0))
    out = portfolio.race(M.counter_race(3), ["count_ok"], {"bmc": bmc8}, None, progress=hook)
    assert out["count_ok"].status == "violated"
    assert seen and all(p.engine == "bmc" for p in seen)
    # the engine's own reports, then the parent's note that it has answered
    assert seen[-1].phase == "finished" and seen[-1].text() == "bmc finished"
    depths = [p.depth for p in seen[:-1]]
    assert depths == list(range(len(depths))) and depths[-1] == out["count_ok"].depth


def test_reporter_throttles_repeats_but_not_new_figures() -> None:
    seen, hook = _recorder()
    r = Reporter("explicit", hook, every=60.0)
    for n in range(1000):
        r.report(depth=3, states=n)
    r.report(depth=4, states=1000)
    assert [(p.depth, p.states) for p in seen] == [(3, 0), (4, 1000)]
    Reporter("bmc", None).report(depth=1)       # nobody listening: nothing happens


def test_progress_text() -> None:
    assert Progress("bmc", 41.0, depth=23, seconds_per_depth=1.94).text() == \
        "bmc depth 23 (1.9 s/depth)"
    assert Progress("explicit", 3.0, depth=17, states=1_234_567, rate=310_000.0,
                    queue=40_000).text() == "explicit depth 17 1.23M states (310.0k/s) queue 40.0k"
    assert Progress("pdr", 9.0, level=14, lemmas=300, prop="no_deadlock",
                    phase="with mined invariant").text() == \
        "pdr level 14 300 lemmas [no_deadlock] with mined invariant"
    assert Progress("kind", 1.0, phase="mining invariant").text() == "kind mining invariant"


def test_plain_progress_lines_without_a_terminal() -> None:
    buf = io.StringIO()
    with LiveStatus(Console(file=buf, force_terminal=False), every=0.05) as status:
        status.update("d: scenario s · engine bmc · depth 40", label="d × s")
        time.sleep(0.2)
        status.progress(Progress("bmc", 1.0, depth=7, seconds_per_depth=0.5))
        time.sleep(0.3)
    lines = buf.getvalue().splitlines()
    assert len(lines) >= 3 and all(ln.startswith("progress: ") for ln in lines), lines
    assert lines[0].startswith("progress: d: scenario s · engine bmc · depth 40 · ")
    assert lines[-1].startswith("progress: d × s · bmc depth 7 (0.5 s/depth) · ")
    buf = io.StringIO()
    with LiveStatus(Console(file=buf, force_terminal=False), enabled=False, every=0.05) as st:
        st.progress(Progress("bmc", 1.0, depth=7))
        time.sleep(0.2)
    assert buf.getvalue() == ""                 # --no-progress


def test_live_line_shows_the_engine_figures() -> None:
    status = LiveStatus(Console(file=io.StringIO(), force_terminal=True))
    status.update("d: scenario s · engine auto · ...", label="d × s")
    assert status.line() == "d: scenario s · engine auto · ..."
    status.progress(Progress("bmc", 1.0, depth=5))
    status.progress(Progress("pdr→bmc", 1.0, depth=2))      # PDR's replay, in PDR's slot
    status.progress(Progress("pdr", 2.0, level=3, lemmas=9, prop="p"))
    assert status.line() == "d × s · bmc depth 5 · pdr level 3 9 lemmas [p]"
    status.update("d: scenario t", label="d × t")           # the next scenario: start afresh
    assert status.line() == "d: scenario t"


def test_interval_from_the_environment(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("FLAGCHECK_PROGRESS_SECONDS", "0.2")
    assert progress_seconds() == 0.2
    for bad in ("", "x", "0", "-1"):
        monkeypatch.setenv("FLAGCHECK_PROGRESS_SECONDS", bad)
        assert progress_seconds() == 10.0
