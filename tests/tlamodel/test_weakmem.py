"""``memory: tso`` (tlamodel.weakmem): x86-TSO store buffers as an IR-to-IR transformation,
judged by the kernel's own litmus tests (fixtures/weakmem/, hand-translated from
torvalds/linux tools/memory-model/litmus-tests/, each scenario citing its file and commit).

What must hold: under sc every test's exists clause is unreachable; under tso exactly SB's,
SB+rfi's and R's (the store-buffering outcomes x86 allows; SB+rfi through store
forwarding) are reachable, and SB+mbs, MP, MP+wmb+rmb, MP+release+acquire, MP+polocks, LB,
R+mbs, S, S+wmb+acquire, WRC, WRC+release+rmb, ISA2, ISA2+release+acquire, IRIW,
IRIW+mbs, LB+mb+ctrl, MP+porevlocks, 2+2W (with and without smp_wmb()), LB+acquire+release,
ISA2+polocks, Z6.0+release+acquire+mb and the coherence tests CoRR, CoRW, CoWR, CoWW are not (TSO keeps store-store,
load-load and load-store order, is multicopy atomic, and smp_mb() and locks drain the
buffer); explicit, BMC, k-induction and PDR agree, the counterexample replays in pyspec,
the reduced and the unreduced model agree, the trace says which store was buffered and
when it was flushed, and bad settings are refused with their position.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tests.budget import examples
from tests.strategies import models

from flagcheck.checker.verify import Options, verify
from flagcheck.pyspec import explicit
from flagcheck.pyspec.replay import check_violation
from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.ir import Model
from flagcheck.tlamodel.load import load_design
from tests.shipped import cached_design
from flagcheck.tlamodel.reduce import reduce_model
from flagcheck.tlamodel.weakmem import to_tso
from flagcheck.tlamodel.weakmem_lkmm import to_lkmm

FIX = Path(__file__).resolve().parent / "fixtures" / "weakmem"
#: scenario -> (LKMM's Result line, reachable under sc, reachable under tso); under lkmm a
#: test is reachable iff its Result is Sometimes
LITMUS = {"SB": ("Sometimes", False, True),
          "SB-mbs": ("Never", False, False),
          "MP": ("Sometimes", False, False),
          "MP-wmb-rmb": ("Never", False, False),
          "LB": ("Sometimes", False, False),
          "R": ("Sometimes", False, True),
          "R-mbs": ("Never", False, False),
          "S": ("Sometimes", False, False),
          "S-wmb-acquire": ("Never", False, False),
          "WRC": ("Sometimes", False, False),
          "ISA2": ("Sometimes", False, False),
          "CoRR": ("Never", False, False),
          "IRIW": ("Sometimes", False, False),
          "MP-polocks": ("Never", False, False),
          "SB-rfi": ("Sometimes", False, True),
          "MP-release-acquire": ("Never", False, False),
          "CoRW": ("Never", False, False),
          "CoWR": ("Never", False, False),
          "CoWW": ("Never", False, False),
          "LB-mb-ctrl": ("Never", False, False),
          "IRIW-mbs": ("Never", False, False),
          "WRC-release-rmb": ("Never", False, False),
          "ISA2-release-acquire": ("Never", False, False),
          "MP-porevlocks": ("Never", False, False),
          # no kernel file: Result derived from linux-kernel.cat (the fixtures' docs)
          "2+2W": ("Sometimes", False, False),
          "2+2W-wmbs": ("Never", False, False),
          "LB-acquire-release": ("Never", False, False),
          "ISA2-polocks": ("Never", False, False),
          "Z6.0-release-acquire-mb": ("Sometimes", False, False)}
#: tests whose kernel Result memory: lkmm does not reproduce, with the reason (each must
#: still differ: a change that makes it agree moves it back to the checked tests)
LKMM_MISSES = {"Z6.0-release-acquire-mb": "stores reach one memory in real-time order, so a "
               "coherence link after a release-acquire chain orders it (multicopy atomic)"}
#: depth of the shortest counterexample in the reduced model
DEPTH = {"SB": 4, "R": 11, "SB-rfi": 6}
LKMM_DEPTH = {"SB": 4, "SB-rfi": 4, "MP": 5, "LB": 6, "R": 11, "S": 11, "WRC": 7, "ISA2": 8,
              "IRIW": 8, "2+2W": 12}


def _reachable(scenario: str, memory: str) -> bool:
    result, sc, tso = LITMUS[scenario]
    lkmm = (result == "Sometimes") != (scenario in LKMM_MISSES)
    return {"sc": sc, "tso": tso, "lkmm": lkmm}[memory]


def _depth(scenario: str, memory: str) -> int:
    return (LKMM_DEPTH if memory == "lkmm" else DEPTH)[scenario]


def _model(design: str, scenario: str, reduce: bool = True) -> Model:
    d = cached_design(FIX / f"{design}.yaml")
    m = d.model(d.scenario(scenario))
    return reduce_model(m) if reduce else m


@pytest.mark.parametrize("reduce", [True, False], ids=["reduced", "no-reduce"])
@pytest.mark.parametrize("memory", ["sc", "tso", "lkmm"])
@pytest.mark.parametrize("scenario", sorted(LITMUS))
def test_explicit_reproduces_the_table(scenario: str, memory: str, reduce: bool) -> None:
    m = _model(f"litmus-{memory}", scenario, reduce)
    o = explicit.check(m)["never_exists"]
    reachable = _reachable(scenario, memory)
    assert o.status == ("violated" if reachable else "holds")
    if reachable:
        assert o.trace is not None
        check_violation(m, o.trace, "never_exists")
        if reduce:
            assert o.depth == _depth(scenario, memory)


def test_every_lkmm_miss_is_an_outcome_the_kernel_allows() -> None:
    # the approximation may miss a reordering (under-approximate), never invent one
    for scenario in LKMM_MISSES:
        assert LITMUS[scenario][0] == "Sometimes" and not _reachable(scenario, "lkmm")


def test_the_lkmm_results_are_not_weaker_than_tso() -> None:
    # sanity of the table: TSO allows nothing the LKMM forbids ("Never" ⇒ unreachable)
    for scenario, (result, _, tso) in LITMUS.items():
        assert not (result == "Never" and tso), scenario


def _engine_agrees(engine: str, scenarios: tuple[str, ...], memory: str = "tso") -> None:
    d = cached_design(FIX / f"litmus-{memory}.yaml")
    verdicts = verify(d, scenarios, ("never_exists",), Options(engine=engine, timeout=120))
    got = {v.scenario: v.status for v in verdicts}
    want = {s: ("violated" if _reachable(s, memory) else "proved") for s in scenarios}
    if engine == "bmc":
        # BMC's proof ("no run is longer") has a conflict budget (checker/engines/runloop.py):
        # past it, an unreachable outcome is "holds up to depth K", never a violation
        got = {s: ("proved" if v == "holds" and want[s] == "proved" else v)
               for s, v in got.items()}
    assert got == want
    for v in verdicts:
        if v.status == "violated":
            assert v.outcome.depth == _depth(v.scenario, memory)
            assert v.outcome.trace is not None
            check_violation(_model(f"litmus-{memory}", v.scenario), v.outcome.trace,
                            "never_exists")


@pytest.mark.solver
@pytest.mark.parametrize("engine", ["bmc", "kind", "pdr"])
def test_the_engines_agree_on_sb_and_mp(engine: str) -> None:
    _engine_agrees(engine, ("SB", "SB-mbs", "MP"))
    _engine_agrees(engine, ("MP", "MP-wmb-rmb", "LB", "LB-mb-ctrl"), "lkmm")


#: PDR's proofs are the matrix's cost (about 60 s for all tests): by default it runs on one
#: test of each family with and without its barriers; FLAGCHECK_BMC=full runs all
PDR_QUICK = ("SB", "SB-mbs", "MP", "MP-wmb-rmb", "LB", "LB-mb-ctrl", "R", "R-mbs", "S",
             "S-wmb-acquire", "WRC", "WRC-release-rmb", "ISA2", "ISA2-release-acquire",
             "2+2W", "2+2W-wmbs")


@pytest.mark.slow
@pytest.mark.solver
@pytest.mark.parametrize("memory", ["tso", "lkmm"])
@pytest.mark.parametrize("engine", ["bmc", "kind", "pdr"])
def test_every_engine_agrees_on_every_litmus_test_and_replays(engine: str, memory: str) -> None:
    full = engine != "pdr" or os.environ.get("FLAGCHECK_BMC", "quick") == "full"
    _engine_agrees(engine, tuple(LITMUS) if full else PDR_QUICK, memory)


def test_a_task_reads_its_own_buffered_store() -> None:
    # SB+rfi: each task reads its own store from its buffer (r1 = r3 = 1) and the other's
    # location from memory (r2 = r4 = 0)
    m = _model("litmus-tso", "SB-rfi")
    o = explicit.check(m)["never_exists"]
    assert o.trace is not None
    last = dict(zip((v.name for v in m.vars), o.trace.states[-1]))
    assert (last["P0.r0"], last["P0.r1"], last["P1.r0"], last["P1.r1"]) == (1, 0, 1, 0)
    assert last["x"] == 0 or last["y"] == 0    # not both stores have reached memory


def test_sc_models_are_untouched() -> None:
    sc = _model("litmus-sc", "SB", reduce=False)
    assert not any(".sb[" in v.name for v in sc.vars)
    assert "memory" not in sc.meta


def test_the_trace_shows_buffered_stores_and_flushes() -> None:
    m = _model("litmus-tso", "SB", reduce=False)
    texts = [a.info.text for a in m.actions]
    assert "x = 1;  // store x=1 buffered" in texts
    assert "y = 1;  // store y=1 buffered" in texts
    flushes = [a for a in m.actions if a.info.text.startswith("flush ")]
    # one flush per value the task stores (both store the constant 1)
    assert sorted((a.task, a.info.text) for a in flushes) == [("P0", "flush x=1"),
                                                              ("P1", "flush y=1")]
    assert m.meta["memory"] == "tso (store buffer 2)"


def test_buffers_are_visible_to_the_reduction() -> None:
    m = _model("litmus-tso", "SB-mbs")
    assert {"P0.sb[0]", "P0.sb[1]", "P0.sb[0].x"} <= m.observable
    # the barrier waits for the empty buffer: it is not merged into the store before it
    fences = [a for a in m.actions if "atomic" in a.info.text]
    assert fences and all("P0.sb[0]" in str(a.guard) or "P1.sb[0]" in str(a.guard)
                          for a in fences)


def test_a_full_buffer_blocks_the_store_until_a_flush() -> None:
    # MP's two stores through a one-entry buffer: the second waits for the first's flush,
    # and SB's one store per task still gets its relaxed outcome
    m = _model("litmus-tso", "MP", reduce=False)
    sc = load_design(FIX / "litmus-sc.yaml")
    one = to_tso(sc.model(sc.scenario("MP")), ["x", "y"], 1)
    assert explicit.check(one)["never_exists"].status == "holds"
    store_y = [a for a in one.actions if a.info.text.startswith("y = 1;")]
    assert len(store_y) == 1 and "(P0.sb[0] == empty)" in str(store_y[0].guard)
    sb = to_tso(sc.model(sc.scenario("SB")), ["x", "y"], 1)
    assert explicit.check(sb)["never_exists"].status == "violated"
    assert len([v for v in one.vars if v.name.startswith("P0.sb[")]) == 3   # sb[0], .x, .y
    assert len([v for v in m.vars if v.name.startswith("P0.sb[")]) == 6


def _design(tmp_path: Path, extra: str, shared: str = "shared: true") -> Path:
    (tmp_path / "s.yaml").write_text(
        "flagcheck: 1\nscenario: s\ntasks:\n  P:\nrun:\n  P: |\n    x = 1;\n")
    (tmp_path / "d.yaml").write_text(
        "flagcheck: 1\ndesign: d\nstate:\n  global:\n"
        f"    x: {{type: 0..1, {shared}}}\nscenarios: [s.yaml]\n{extra}")
    return tmp_path / "d.yaml"


@pytest.mark.parametrize("extra,shared,message,where", [
    ("memory: pso\n", "shared: true", "unknown memory model 'pso'", "d.yaml:7:9"),
    ("memory: lkmm\n", "shared: false", "memory: lkmm but no state variable is marked",
     "d.yaml:7:9"),
    ("memory: tso\nstore_buffer: 0\n", "shared: true", "'store_buffer' must be", "d.yaml:8:15"),
    ("memory: tso\n", "shared: 3", "'shared' must be true or false", "d.yaml:5:29"),
    ("memory: tso\n", "shared: false", "no state variable is marked 'shared: true'",
     "d.yaml:7:9"),
])
def test_bad_settings_are_refused_with_their_position(tmp_path: Path, extra: str, shared: str,
                                                      message: str, where: str) -> None:
    path = _design(tmp_path, extra, shared)
    with pytest.raises(DesignError) as e:
        d = cached_design(path)
        d.model(d.scenarios[0])
    assert message in e.value.message
    assert str(e.value.loc).endswith(where)


def test_a_variant_inherits_its_base_designs_memory(tmp_path: Path) -> None:
    # litmus-tso extends litmus-sc; a design extending litmus-tso stays under tso
    (tmp_path / "v.yaml").write_text(
        f"flagcheck: 1\ndesign: v\nextends: {FIX / 'litmus-tso.yaml'}\n")
    d = load_design(tmp_path / "v.yaml", allow_paths=(FIX,))
    m = d.model(d.scenario("SB"))
    assert m.meta.get("memory") == "tso (store buffer 2)"


@pytest.mark.slow
@pytest.mark.spin
@pytest.mark.skipif(shutil.which("spin") is None or shutil.which("gcc") is None,
                    reason="needs spin and gcc")
@pytest.mark.parametrize("memory,scenario", [("tso", "SB"), ("tso", "SB-mbs"), ("tso", "MP"),
                                             ("tso", "R"), ("lkmm", "MP"), ("lkmm", "LB"),
                                             ("lkmm", "MP-wmb-rmb")])
def test_spin_agrees_on_the_export(memory: str, scenario: str, tmp_path: Path) -> None:
    from tests.checker.test_spin_agreement import assert_agree, check_model
    assert_agree(check_model(_model(f"litmus-{memory}", scenario), tmp_path))


@settings(max_examples=examples(60), deadline=None, suppress_health_check=list(HealthCheck))
@given(models())
def test_random_models_reduce_soundly_and_keep_every_sc_violation(m: Model) -> None:
    """On random multi-task models with x and y buffered: the reduced TSO model has the
    unreduced one's verdicts (the buffers are visible, so no store, load or flush is merged
    across), every counterexample replays, and TSO keeps every SC violation (an SC run is
    a TSO run that flushes each store at once)."""
    _differential(m, to_tso(m, ["x", "y"], 2))


@settings(max_examples=examples(60), deadline=None, suppress_health_check=list(HealthCheck))
@given(models())
def test_random_models_under_lkmm_reduce_soundly_and_keep_every_sc_violation(m: Model) -> None:
    """The same for lkmm's per-location buffers and load window (an SC run is an lkmm run
    that flushes each store at once and reorders nothing)."""
    _differential(m, to_lkmm(m, ["x", "y"], 2))


def _differential(m: Model, tso: Model) -> None:
    full, red = explicit.check(tso), explicit.check(reduce_model(tso))
    sc = explicit.check(m)
    for name, o in full.items():
        assert red[name].status == o.status, (name, o, red[name])
        for model, out in ((tso, o), (reduce_model(tso), red[name])):
            if out.status == "violated":
                assert out.trace is not None
                check_violation(model, out.trace, name)
        if sc[name].status == "violated":
            assert o.status == "violated", name


def test_lock_operations_and_atomic_blocks_are_full_barriers(tmp_path: Path) -> None:
    # MP with the flag handed over under a spinlock: acquire and release wait for an empty
    # buffer, so the reader that sees the flag also sees the data
    (tmp_path / "s.yaml").write_text(
        "flagcheck: 1\nscenario: s\ntasks:\n  P0:\n  P1:\nrun:\n"
        "  P0: |\n    x = 1;\n    spin_lock(l);\n    y = 1;\n    spin_unlock(l);\n"
        "  P1: |\n    spin_lock(l);\n    current.r0 = y;\n    spin_unlock(l);\n"
        "    current.r1 = x;\n")
    (tmp_path / "d.yaml").write_text(
        "flagcheck: 1\ndesign: d\nmemory: tso\nstate:\n  global:\n"
        "    x: {type: 0..1, shared: true}\n    y: {type: 0..1, shared: true}\n"
        "    l: lock\n  task:\n    r0: {type: -1..1, init: -1}\n    r1: {type: -1..1, init: -1}\n"
        "properties:\n  mp:\n    always: \"!(P1.r0 == 1 && P1.r1 == 0)\"\n"
        "scenarios: [s.yaml]\n")
    d = load_design(tmp_path / "d.yaml")
    m = d.model(d.scenarios[0])
    locks = [a for a in m.actions if a.info.text.startswith("spin_")]
    assert len(locks) == 4
    assert all("(P0.sb[0] == empty)" in str(a.guard) for a in locks if a.task == "P0")
    assert explicit.check(reduce_model(m))["mp"].status == "holds"


@pytest.mark.parametrize("engine", ["explicit", pytest.param("bmc", marks=pytest.mark.solver)])
def test_a_lasso_that_never_flushes_is_no_tso_counterexample(tmp_path: Path,
                                                              engine: str) -> None:
    # T spins with flag = true in its buffer: weak fairness of tasks allows the lasso in
    # which the flush never happens, x86-TSO does not; the verdict is unknown, not violated
    (tmp_path / "s.yaml").write_text(
        "flagcheck: 1\nscenario: s\ntasks:\n  T:\n  P:\nrun:\n"
        "  T: |\n    flag = true;\n    while (!ack) { skip; }\n"
        "  P: |\n    await (flag);\n    ack = true;\n")
    (tmp_path / "d.yaml").write_text(
        "flagcheck: 1\ndesign: d\nmemory: tso\nstate:\n  global:\n"
        "    flag: {type: bool, shared: true}\n    ack: {type: bool, shared: true}\n"
        "properties:\n  acked:\n    eventually: ack\nscenarios: [s.yaml]\nbound: 10\n")
    d = load_design(tmp_path / "d.yaml")
    (v,) = verify(d, (), ("acked",), Options(engine=engine, timeout=60))
    assert v.status == "unknown"
    assert "never flushes the store buffer of T" in v.outcome.reason
