"""The post-5.11 designs (fork, coredump, KVM, freezer; specs/lib/linux-5.11.yaml): explicit,
BMC, k-induction and PDR agree on every design × scenario (SPIN is compared by
tests/checker/test_spin_agreement.py, which covers every file in specs/).

Agreement: the same verdict per property and, for a violation, the same shortest depth;
a proof by k-induction or PDR where explicit proved; BMC "holds up to depth K" is accepted
where explicit proved and some run is longer than the bound (the daemons loop for ever).
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import pytest

from flagcheck.checker.verify import Options, verify
from tests.shipped import cached_design

SPECS = Path(__file__).resolve().parents[2] / "specs"
DESIGNS = ["fork-signal-pending-5.12", "fork-task-sigpending-5.13",
           "coredump-signal-pending-5.12", "coredump-fatal-or-freezing-5.13",
           "kvm-notify-signal-stays-5.18", "kvm-notify-signal-exits-5.19",
           "freezer-trap-spin-6.10", "freezer-trap-task-work-6.11"]


#: the designs of the TWA_SIGNAL question (lib/linux-base.yaml); the scenarios they list
#: are the library's generic ones, which the post-5.11 designs list too
TWA_SIGNAL = ["coupled-5.9", "notify-signal-5.11", "rfc-v2-tif-taskwork",
              "rfc-v3-signal-pending-split", "twa-resume-counter"]
#: the post-5.11 designs by kernel area: a scenario listed by one area's designs only was
#: written for that area
AREAS = {d: d.split("-")[0] for d in DESIGNS}
#: FLAGCHECK_BMC=full (as for tests/specs/test_expectations.py) runs the Z3 engines on every
#: pair; by default on the pairs of the scenarios written for one area of the post-5.11
#: designs.  Why: the generic scenarios these designs also list (the TWA_SIGNAL designs'
#: and the library's task_work ones several areas list, 40 pairs) cost 5-45 s of PDR each.
#: Every pair is still checked against its design's expectations (explicit, above) and
#: with SPIN (tests/checker/test_spin_agreement.py); the TWA_SIGNAL designs' scenarios
#: also by BMC on those designs (tests/specs/test_expectations.py).  The task_work ones
#: that several areas list (twa-signal-interrupts-join, twa-signal-before-user-mode) meet
#: the Z3 engines with FLAGCHECK_BMC=full only.
Z3_MODE = os.environ.get("FLAGCHECK_BMC", "quick")


def _pairs() -> list[tuple[str, str]]:
    return [(d, s.name) for d in DESIGNS for s in cached_design(SPECS / f"{d}.yaml").scenarios]


def _z3_pairs() -> list[tuple[str, str]]:
    if Z3_MODE == "full":
        return _pairs()
    generic = {s.name for d in TWA_SIGNAL for s in cached_design(SPECS / f"{d}.yaml").scenarios}
    areas: dict[str, set[str]] = {}
    for d, s in _pairs():
        areas.setdefault(s, set()).add(AREAS[d])
    return [(d, s) for d, s in _pairs() if s not in generic and len(areas[s]) == 1]


@lru_cache(maxsize=None)
def _run(design: str, scenario: str, engine: str) -> dict[str, tuple[str, int | None]]:
    d = cached_design(SPECS / f"{design}.yaml")
    props: tuple[str, ...] = ()
    if engine == "bmc":
        # BMC's lasso search for the liveness properties at depth 40 costs minutes of CPU
        # per pair (200 s for freezer-trap-spin-6.10 × freeze-during-task-work): it is
        # compared on safety here, and on liveness by tests/checker/test_lasso.py
        props = tuple(p for p in d.checked_properties() if not _liveness(design, p))
    out = {}
    for v in verify(d, (scenario,), props, Options(engine=engine, timeout=900)):
        if v.skipped:                            # the scenario's skip: entry, with its reason
            continue
        out[v.property] = (v.status, v.outcome.depth if v.status == "violated" else None)
    return out


def test_every_design_extends_the_511_library_and_is_a_buggy_fixed_pair() -> None:
    for d in DESIGNS:
        assert (SPECS / f"{d}.yaml").is_file(), d
    fixed = [d for d in DESIGNS if "extends: lib/linux-5.11.yaml" not in
             (SPECS / f"{d}.yaml").read_text()]
    assert len(fixed) == len(DESIGNS) // 2       # each fix extends its buggy design


#: violated under every design by construction, not a bug of one: P is sent SIGUSR1 while it
#: forks and may get it after its last system call, so it stays queued (docs/properties.md)
BY_CONSTRUCTION = {("fork-during-signal", "signals_delivered")}


@lru_cache(maxsize=None)
def _liveness(design: str, name: str) -> bool:
    spec = cached_design(SPECS / f"{design}.yaml").merged.properties.get(name)
    return spec is not None and spec.kind in ("leads_to", "eventually", "always_eventually")


@pytest.mark.parametrize("design, scenario", _pairs())
def test_explicit_finds_each_bug_and_proves_each_fix(design: str, scenario: str) -> None:
    ex = _run(design, scenario, "explicit")
    assert all(s in ("proved", "violated") for s, _ in ex.values()), ex
    buggy = design in DESIGNS[::2]
    bugs = {p for p, (s, _) in ex.items() if s == "violated" and (scenario, p) not in BY_CONSTRUCTION}
    for p in {p for s, p in BY_CONSTRUCTION if s == scenario}:
        assert ex[p][0] == "violated", (p, ex[p])
    assert bool(bugs) == (buggy and (design, scenario) in {
        ("fork-signal-pending-5.12", "fork-during-task-work"),
        ("fork-signal-pending-5.12", "fork-after-task-work"),
        ("coredump-signal-pending-5.12", "coredump-during-task-work"),
        ("kvm-notify-signal-stays-5.18", "livepatch-kicks-vcpu"),
        ("freezer-trap-spin-6.10", "freeze-during-task-work"),
        ("freezer-trap-spin-6.10", "freeze-two-works")}), ex


@pytest.mark.slow
@pytest.mark.solver
@pytest.mark.parametrize("engine", ["bmc", "kind", "pdr"])
@pytest.mark.parametrize("design, scenario", _z3_pairs())
def test_the_z3_engines_agree_with_explicit(design: str, scenario: str, engine: str) -> None:
    ex = _run(design, scenario, "explicit")
    got = _run(design, scenario, engine)
    if engine == "bmc":
        ex = {k: v for k, v in ex.items() if k in got}
    assert set(got) == set(ex)
    for name, (status, depth) in ex.items():
        g = got[name]
        if engine in ("kind", "pdr") and _liveness(design, name):
            assert g[0] == "unknown", (name, g)    # they check invariants and deadlocks only
        elif status == "violated":
            assert g == (status, depth), (name, g, ex[name])
        elif engine == "bmc":
            assert g[0] in ("proved", "holds"), (name, g)
        else:
            assert g[0] == "proved", (name, g)
