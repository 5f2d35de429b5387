"""Every shipped design meets its ``expect:`` verdicts, with both engines, and the engines
agree with each other.

Data-driven over ``specs/*.yaml``: one test per design × scenario and engine, so a failure
names the design, the scenario and every property that went wrong.

* explicit (exhaustive BFS, the reference engine): every expectation is met; ``holds``
  must be a proof (``proved (explicit, …)``); nothing is unknown.
* bmc at the design's ``bound:``: every expectation is met (``holds`` may be "holds up to
  depth K" or "proved (bmc…)"), and the verdicts agree with the explicit engine's: the same
  shortest counterexample length for every violated property, no violation where explicit
  proved the property, and a BMC proof only where explicit proved it too.
* every design has an expectation for every scenario × checked, non-skipped property.

BMC at depth 40 over every design × scenario costs minutes, not seconds.  By default the
BMC tests run at ``min(bound, FLAGCHECK_BMC_DEPTH)`` with ``FLAGCHECK_BMC_DEPTH`` = 0
meaning "the design's bound" and unset meaning the quick default below (deep enough for
every shipped counterexample); ``FLAGCHECK_BMC_DEPTH=0`` runs the full bound.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import pytest

from checker.run import Options, verify
from checker.verdict import Verdict
from tlamodel.errors import DesignError
from tlamodel.load import Design, load_design

SPECS = Path(__file__).resolve().parents[2] / "specs"
DESIGN_FILES = sorted(SPECS.glob("*.yaml"))
#: per engine run (one design × scenario); a run cut short fails the test as "unknown"
TIMEOUT = float(os.environ.get("FLAGCHECK_TEST_TIMEOUT", "600"))


def _bmc_depth_cap() -> int | None:
    raw = os.environ.get("FLAGCHECK_BMC_DEPTH")
    if raw is None:
        return QUICK_BMC_DEPTH
    return int(raw) or None          # 0: no cap, the design's bound


#: default BMC depth cap; see the module doc.  Must stay >= every shipped counterexample.
QUICK_BMC_DEPTH = 40


@lru_cache(maxsize=None)
def design(path: Path) -> Design:
    return load_design(path)


def _pairs() -> list:  # noqa: ANN201 - pytest params
    out = []
    for f in DESIGN_FILES:
        try:
            d = design(f)
        except DesignError as e:          # reported by the test, not as a collection error
            out.append(pytest.param(f, None, id=f"{f.stem}::LOAD-ERROR", marks=()))
            continue
        for s in d.scenarios:
            out.append(pytest.param(f, s.name, id=f"{d.name}::{s.name}"))
    return out


PAIRS = _pairs()


@lru_cache(maxsize=None)
def run(path: Path, scenario: str, engine: str, depth: int | None) -> dict[str, Verdict]:
    verdicts = verify(design(path), (scenario,), (), Options(engine=engine, depth=depth,
                                                             timeout=TIMEOUT))
    return {v.property: v for v in verdicts}


def _loaded(path: Path, scenario: str | None) -> Design:
    if scenario is None:
        try:
            load_design(path)
        except DesignError as e:
            pytest.fail(f"{path.name} does not load:\n{e.render()}")
    return design(path)


def _expectation_failures(verdicts: dict[str, Verdict], strict_proof: bool) -> list[str]:
    """What is wrong with the verdicts against the design's expectations."""
    bad = []
    for name, v in verdicts.items():
        e = v.expected
        if v.status == "unknown":
            bad.append(f"{name}: {v.word()} (the search did not finish)")
            continue
        if e is None:
            continue                      # test_every_checked_property_has_an_expectation
        if v.status == "skipped":
            bad.append(f"{name}: expected {e.verdict}, but the scenario skips it ({v.skipped})")
            continue
        want = e.verdict + (f" at depth {e.depth}" if e.depth is not None else "")
        if e.verdict == "violated":
            if v.status != "violated":
                bad.append(f"{name}: expected {want}, got {v.word()}")
            elif e.depth is not None and v.outcome is not None and v.outcome.depth != e.depth:
                bad.append(f"{name}: expected {want}, got {v.word()}")
        else:
            ok = ("proved",) if strict_proof else ("holds", "proved")
            if v.status not in ok:
                bad.append(f"{name}: expected {want}, got {v.word()}")
        if v.expectation_met() is False and not any(b.startswith(f"{name}:") for b in bad):
            bad.append(f"{name}: Verdict.expectation_met() is False for {v.word()} vs {want}")
    return bad


# ------------------------------------------------------------------ completeness
@pytest.mark.parametrize("path", DESIGN_FILES, ids=[f.stem for f in DESIGN_FILES])
def test_every_checked_property_has_an_expectation(path: Path) -> None:
    try:
        d = design(path)
    except DesignError as e:
        pytest.fail(f"{path.name} does not load:\n{e.render()}")
    assert d.scenarios, f"{d.name} lists no scenarios"
    missing = []
    for scen in d.scenarios:
        checked = [p.name for p in d.model(scen).properties]   # skipped ones are not in it
        skipped = set(d.skipped(scen))
        assert not skipped & set(checked)
        have = {e.prop for e in d.expect if e.scenario == scen.name}
        missing += [f"{scen.name}: {p}" for p in checked if p not in have]
    assert not missing, (f"{d.name} ({path.name}) has no expect: entry for:\n  "
                         + "\n  ".join(missing))


# ------------------------------------------------------------------ explicit: the reference
@pytest.mark.parametrize("path, scenario", PAIRS)
def test_explicit_meets_the_expectations(path: Path, scenario: str | None) -> None:
    d = _loaded(path, scenario)
    assert scenario is not None
    verdicts = run(path, scenario, "explicit", None)
    bad = _expectation_failures(verdicts, strict_proof=True)
    assert not bad, f"{d.name} × {scenario} (explicit):\n  " + "\n  ".join(bad)


# ------------------------------------------------------------------ bmc, and agreement
@pytest.mark.parametrize("path, scenario", PAIRS)
def test_bmc_meets_the_expectations_and_agrees_with_explicit(path: Path,
                                                              scenario: str | None) -> None:
    d = _loaded(path, scenario)
    assert scenario is not None
    cap = _bmc_depth_cap()
    depth = d.bound if cap is None else min(d.bound, cap)
    bmc = run(path, scenario, "bmc", depth)
    ref = run(path, scenario, "explicit", None)
    where = f"{d.name} × {scenario} (bmc, depth {depth})"

    bad = _expectation_failures(bmc, strict_proof=False)
    # a bounded run cannot see a counterexample deeper than its depth: only when the cap
    # is below the bound may an expected deep violation be missed (then explicit decides)
    if depth < d.bound:
        bad = [b for b in bad if not _beyond(b, bmc, ref, depth)]
    assert set(bmc) == set(ref), f"{where}: properties differ: {sorted(bmc)} vs {sorted(ref)}"
    for name in sorted(bmc):
        b, x = bmc[name], ref[name]
        if x.status == "skipped" or b.status == "skipped":
            if b.status != x.status:
                bad.append(f"{name}: skipped by one engine only ({b.word()} / {x.word()})")
            continue
        if x.status == "unknown" or b.status == "unknown":
            continue                                   # reported above / by the explicit test
        assert b.outcome is not None and x.outcome is not None
        if x.status == "violated":
            xd = x.outcome.depth
            if xd <= depth:
                if b.status != "violated" or b.outcome.depth != xd:
                    bad.append(f"{name}: explicit's shortest counterexample has {xd} steps, "
                               f"bmc says {b.word()}")
            elif b.status != "holds":
                bad.append(f"{name}: the shortest counterexample ({xd} steps) is deeper than "
                           f"depth {depth}, yet bmc says {b.word()}")
        else:                                          # explicit proved it
            if b.status == "violated":
                bad.append(f"{name}: bmc {b.word()} but explicit {x.word()}")
            if b.status == "proved" and x.outcome.depth > b.outcome.depth:
                # bmc: no run is longer than N steps => every state is at BFS depth <= N
                bad.append(f"{name}: bmc {b.word()} but explicit reached a state at depth "
                           f"{x.outcome.depth}")
        if b.status == "proved" and x.status != "proved":
            bad.append(f"{name}: bmc {b.word()} but explicit {x.word()}")
    assert not bad, f"{where}:\n  " + "\n  ".join(bad)


def _beyond(msg: str, bmc: dict[str, Verdict], ref: dict[str, Verdict], depth: int) -> bool:
    """A bmc expectation failure explained by a counterexample deeper than the cap."""
    name = msg.split(":", 1)[0]
    x, b = ref.get(name), bmc.get(name)
    return (x is not None and b is not None and x.status == "violated" and b.status == "holds"
            and x.outcome is not None and x.outcome.depth > depth)
