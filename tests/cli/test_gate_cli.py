"""``flagcheck gate``: fail only on what the proposal makes worse than the base."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from flagcheck.checker.cli.main import main
from flagcheck.checker.gate import classify
from flagcheck.checker.verdict import Verdict
from flagcheck.pyspec.outcome import Outcome

ROOT = Path(__file__).resolve().parents[2]
BASE = "specs/notify-signal-5.11.yaml"
PROPOSAL = "specs/rfc-v2-tif-taskwork.yaml"
FIX = "tests/cli/fixtures_formats"
#: what RFC v2 breaks against v5.11: the lost signal, and so its delivery (the liveness
#: property signals_delivered) on both scenarios that send one while TIF_TASKWORK is set
LOST = {("oleg-lost-signal", "no_lost_signal"), ("oleg-lost-signal", "signals_delivered"),
        ("group-shared-signal", "no_lost_signal"), ("group-shared-signal", "signals_delivered")}


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def invoke(*args: str):  # noqa: ANN201
    return CliRunner().invoke(main, list(args))


def rows(doc: dict, change: str) -> set[tuple[str, str]]:
    (c,) = doc["comparisons"]
    return {(r["scenario"], r["property"]) for r in c["rows"] if r["change"] == change}


@pytest.mark.slow
def test_rfc_v2_is_worse_than_5_11_on_olegs_scenario(tmp_path: Path) -> None:
    out = tmp_path / "gate.json"
    r = invoke("gate", "--base", BASE, PROPOSAL, "--format", "json", "-o", str(out))
    assert r.exit_code == 1, r.output
    # the terminal names the new violation
    worse = r.output[r.output.index("Worse"):r.output.index("Better")]
    assert "oleg-lost-signal / no_lost_signal: proved" in worse
    assert "→ violated (depth" in worse
    assert "FAIL: 4 new violation(s)" in r.output
    doc = json.loads(out.read_text())
    assert doc["format"] == "flagcheck-gate" and doc["exit_code"] == 1
    assert rows(doc, "worse") == LOST
    assert rows(doc, "better") == set()
    # both deadlock on the killable join (a control): a violation the base has is not new
    assert ("io-uring-killable-join", "no_deadlock") in rows(doc, "unchanged")
    (c,) = doc["comparisons"]
    new = next(x for x in c["rows"] if x["change"] == "worse")
    assert new["base"]["status"] == "proved" and new["proposal"]["counterexample"]["states"]


@pytest.mark.slow
def test_swapped_the_fix_passes_and_says_what_got_better() -> None:
    r = invoke("gate", "--base", PROPOSAL, BASE, "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert rows(doc, "worse") == set()
    assert rows(doc, "better") == LOST
    assert ("io-uring-killable-join", "no_deadlock") in rows(doc, "unchanged")


def test_markdown_lists_the_new_violation_with_its_trace() -> None:
    r = invoke("gate", "--base", f"{FIX}/gate-base.yaml", f"{FIX}/gate-proposal.yaml",
               "--format", "markdown")
    assert r.exit_code == 1
    md = r.stdout
    assert md.startswith("### flagcheck gate: `gate-base` → `gate-proposal`")
    worse = md[md.index("#### Worse (new violations)"):]
    first_row = next(ln for ln in worse.splitlines() if ln.startswith("| oleg-lost-signal"))
    assert "<code>no_lost_signal</code>" in first_row and "violated (depth" in first_row
    assert "<summary><b>no_lost_signal</b> violated on <code>oleg-lost-signal</code>" in md


def test_gate_runs_the_union_of_both_scenario_lists() -> None:
    """The base lists only oleg-on-cpu, the proposal only oleg-lost-signal: both run both."""
    r = invoke("gate", "--base", f"{FIX}/gate-base.yaml", f"{FIX}/gate-proposal.yaml",
               "--format", "json")
    assert r.exit_code == 1, r.output
    doc = json.loads(r.stdout)
    (c,) = doc["comparisons"]
    both = {(x["scenario"], x["property"]) for x in c["rows"]
            if x["base"] and x["proposal"] and x["change"] != "not compared"}
    assert both == {("oleg-on-cpu", "no_lost_signal"), ("oleg-on-cpu", "assertions"),
                    ("oleg-lost-signal", "no_lost_signal"), ("oleg-lost-signal", "assertions")}
    assert rows(doc, "worse") == {("oleg-lost-signal", "no_lost_signal")}


def test_an_undecided_needed_verdict_exits_3() -> None:
    r = invoke("gate", "--base", f"{FIX}/gate-base.yaml", f"{FIX}/gate-proposal.yaml",
               "--engine", "explicit", "--max-states", "5", "--format", "json")
    assert r.exit_code == 3, r.output
    doc = json.loads(r.stdout)
    assert rows(doc, "unknown") and not rows(doc, "worse")


def test_bad_input_exits_2() -> None:
    r = invoke("gate", "--base", "no/such/base.yaml", PROPOSAL)
    assert r.exit_code == 2
    r = invoke("gate", PROPOSAL)
    assert r.exit_code == 2 and "--base" in r.output


def _v(status: str, exhaustive: bool = True, depth: int = 5) -> Verdict:
    st = "holds" if status in ("holds", "proved") else status
    return Verdict("d", "s", "p", Outcome("p", st, depth, exhaustive=exhaustive and st == "holds"))


@pytest.mark.parametrize("base, proposal, change", [
    (_v("proved"), _v("violated"), "worse"),
    (_v("holds", exhaustive=False), _v("violated"), "worse"),
    (_v("violated"), _v("proved"), "better"),
    (_v("violated", depth=5), _v("violated", depth=9), "unchanged"),
    (_v("proved"), _v("proved"), "unchanged"),
    (_v("proved"), _v("unknown"), "unknown"),
    (_v("unknown"), _v("violated"), "unknown"),
    (_v("violated"), _v("unknown"), "undecided"),
    (_v("unknown"), _v("proved"), "undecided"),
    (None, _v("violated"), "not compared"),
    (Verdict("d", "s", "p", None, skipped="why"), _v("violated"), "not compared"),
])
def test_classification(base: Verdict | None, proposal: Verdict | None, change: str) -> None:
    assert classify(base, proposal)[0] == change
