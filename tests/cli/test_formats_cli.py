"""``flagcheck verify --format/-o/--strict``, ``flagcheck replay`` and ``compare --format json``
end to end through the click CLI."""
from __future__ import annotations

import io
import json
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from flagcheck.checker.cli.main import main
from flagcheck.checker.report.terminal import LiveStatus

ROOT = Path(__file__).resolve().parents[2]
FIX = "tests/cli/fixtures_formats"
RFC_V2 = "specs/rfc-v2-tif-taskwork.yaml"
#: Oleg's scenario on rfc-v2's safety properties: one counterexample (the design also checks
#: the liveness property signals_delivered, which a lasso violates)
OLEG = ["-s", "oleg-lost-signal", "-p", "no_lost_signal", "-p", "assertions", "-p", "no_deadlock"]


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def invoke(*args: str):  # noqa: ANN201
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def saved_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """verify --format json -o FILE on Oleg's scenario (RFC v2 violates it)."""
    import os
    out = tmp_path_factory.mktemp("saved") / "report.json"
    old = os.getcwd()
    os.chdir(ROOT)
    try:
        r = CliRunner().invoke(main, ["verify", RFC_V2, *OLEG, "--format", "json", "-o", str(out)])
    finally:
        os.chdir(old)
    assert r.exit_code == 1, r.output
    assert f"wrote {out} (json)" in r.output
    assert "violated (depth" in r.output          # the terminal still gets the text report
    return out


# ------------------------------------------------------------------ verify --format
def test_json_to_stdout_is_only_json() -> None:
    r = invoke("verify", RFC_V2, "-s", "oleg-lost-signal", "-p", "no_lost_signal",
               "--format", "json")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert doc["format"] == "flagcheck-report" and doc["exit_code"] == 1
    (v,) = [x for x in doc["verdicts"] if x["property"] == "no_lost_signal"]
    assert v["status"] == "violated" and v["counterexample"]["states"]


@pytest.mark.parametrize("fmt, check", [
    ("markdown", lambda t: t.startswith("### flagcheck: design `rfc-v2-tif-taskwork`")),
    ("html", lambda t: t.startswith("<!DOCTYPE html>") and '<g class="lane" data-task="S">' in t),
    ("sarif", lambda t: json.loads(t)["runs"][0]["results"][0]["ruleId"] == "no_lost_signal"),
    ("junit", lambda t: len(ET.fromstring(t).findall(".//failure")) == 1),
    ("text", lambda t: "no_lost_signal violated on oleg-lost-signal" in t and "\x1b[" not in t),
])
def test_every_format_goes_to_the_file(tmp_path: Path, fmt: str, check) -> None:  # noqa: ANN001
    out = tmp_path / "sub" / f"report.{fmt}"
    r = invoke("verify", RFC_V2, *OLEG, "--format", fmt, "-o", str(out), "-q")
    assert r.exit_code == 1, r.output          # the format never changes the exit code
    assert check(out.read_text(encoding="utf-8"))
    assert "oleg-lost-signal  no_lost_signal  violated" in r.output
    assert f"wrote {out} ({fmt})" in r.output


def test_unwritable_output_is_a_usage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = invoke("verify", RFC_V2, *OLEG, "--format", "json", "-o", str(blocker / "r.json"))
    assert r.exit_code == 2 and "cannot write" in r.output


def test_unknown_format_is_a_usage_error() -> None:
    r = invoke("verify", RFC_V2, "--format", "pdf")
    assert r.exit_code == 2 and "pdf" in r.output


# ------------------------------------------------------------------ vacuity
def test_vacuous_design_warns_and_strict_fails() -> None:
    design = f"{FIX}/vacuous.yaml"
    r = invoke("verify", design)
    assert r.exit_code == 0, r.output
    assert re.search(r"warning: never reached: task S: kill\(T, SIGUSR1\) at "
                     r"\S*sender-never-sends\.yaml:16", r.output), r.output
    assert "never_delivered holds on sender-never-sends, but none of the variables" in r.output
    strict = invoke("verify", design, "--strict", "-q")
    assert strict.exit_code == 1
    assert "error: never reached: task S: kill(T, SIGUSR1)" in strict.output
    doc = json.loads(invoke("verify", design, "--strict", "--format", "json").stdout)
    assert doc["exit_code"] == 1
    assert {w["kind"] for w in doc["warnings"]} == {"never-reached", "constant-reads"}
    (cov,) = doc["coverage"]
    assert [(c["text"], c["reached"]) for c in cov["task_code"]] == \
        [("pause()", True), ("await (go)", False), ("kill(T, SIGUSR1)", False)]


def test_strict_passes_a_design_that_reaches_its_code() -> None:
    r = invoke("verify", RFC_V2, "-s", "oleg-on-cpu", "--strict")
    assert r.exit_code == 0, r.output
    assert "warning" not in r.output and "error" not in r.output
    assert re.search(r"oleg-on-cpu: \d+/\d+ actions fired in \d+ states, 4/4 task-code "
                     r"statements reached", r.output), r.output


@pytest.mark.solver
def test_bmc_only_run_says_coverage_not_computed() -> None:
    r = invoke("verify", f"{FIX}/vacuous.yaml", "--engine", "bmc", "--depth", "4", "--strict")
    assert r.exit_code == 0, r.output
    assert "coverage not computed (bmc-only run" in r.output


# ------------------------------------------------------------------ replay
def test_replay_reproduces_on_the_same_design(saved_report: Path) -> None:
    r = invoke("replay", str(saved_report), RFC_V2)
    assert r.exit_code == 0, r.output
    assert re.match(r"reproduces: no_lost_signal on oleg-lost-signal: \d+ steps replayed on "
                    r"design rfc-v2-tif-taskwork", r.output)


def test_replay_of_a_bare_itf_trace(saved_report: Path, tmp_path: Path) -> None:
    doc = json.loads(saved_report.read_text())
    (cex,) = [v["counterexample"] for v in doc["verdicts"] if v["counterexample"]]
    bare = tmp_path / "trace.itf.json"
    bare.write_text(json.dumps(cex))
    r = invoke("replay", str(bare), RFC_V2)
    assert r.exit_code == 0 and r.output.startswith("reproduces: no_lost_signal"), r.output


def test_replay_on_the_fixed_design_does_not_reproduce(saved_report: Path) -> None:
    r = invoke("replay", str(saved_report), "specs/notify-signal-5.11.yaml")
    assert r.exit_code == 1, r.output
    assert "does not reproduce: no_lost_signal on oleg-lost-signal on design notify-signal-5.11" in r.output
    assert "T.TIF_TASKWORK" in r.output       # the reason: a flag the fixed design does not have


def test_replay_notices_a_changed_statement(saved_report: Path, tmp_path: Path) -> None:
    """The design's twa_signal_notify() is edited after the trace was saved."""
    text = (ROOT / RFC_V2).read_text()
    old = "atomic { t.TIF_TASKWORK = true; wake_up_process(t); }"
    assert old in text
    edited = tmp_path / "rfc-v2-edited.yaml"
    edited.write_text(text.replace(old, "atomic { wake_up_process(t); t.TIF_TASKWORK = true; }"))
    r = invoke("replay", str(saved_report), str(edited))
    assert r.exit_code == 1, r.output
    assert re.search(r"does not reproduce: .*step \d+: action \d+ is now \"A: atomic \{ "
                     r"wake_up_process\(t\); t\.TIF_TASKWORK = true; \}\" but the trace recorded "
                     r"\"A: atomic \{ t\.TIF_TASKWORK = true;", r.output), r.output


def test_replay_notices_a_tampered_state(saved_report: Path, tmp_path: Path) -> None:
    doc = json.loads(saved_report.read_text())
    (v,) = [v for v in doc["verdicts"] if v["counterexample"]]
    states = v["counterexample"]["states"]
    assert states[-1]["T.pending"] == {"#set": ["SIGUSR1"]}
    for st in states:                                    # the signal is never queued
        st["T.pending"] = {"#set": []}
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(doc))
    r = invoke("replay", str(bad), RFC_V2)
    assert r.exit_code == 1, r.output
    assert "does not reproduce" in r.output and "T.pending" in r.output


@pytest.mark.parametrize("content, message", [
    ("not json at all", "not JSON"),
    ('{"format": "something-else"}', "not a flagcheck report"),
    ('{"format": "flagcheck-report", "version": 2, "verdicts": []}', "version 2 is not supported"),
    ('{"format": "flagcheck-report", "version": 1, "verdicts": []}', "holds no counterexample"),
    ('{"vars": ["x"], "states": []}', "'states' must be a non-empty list"),
])
def test_replay_bad_input_exits_2(tmp_path: Path, content: str, message: str) -> None:
    f = tmp_path / "trace.json"
    f.write_text(content)
    r = invoke("replay", str(f), RFC_V2, "-s", "oleg-lost-signal", "-p", "no_lost_signal")
    assert r.exit_code == 2, r.output
    assert message in r.output


def test_replay_unknown_scenario_or_missing_file_exits_2(saved_report: Path, tmp_path: Path) -> None:
    r = invoke("replay", str(saved_report), RFC_V2, "-s", "no-such-scenario")
    assert r.exit_code == 2 and "has no scenario 'no-such-scenario'" in r.output
    r = invoke("replay", str(tmp_path / "missing.json"), RFC_V2)
    assert r.exit_code == 2 and "cannot read" in r.output


# ------------------------------------------------------------------ compare --format json
def test_compare_json() -> None:
    r = invoke("compare", f"{FIX}/gate-proposal.yaml", f"{FIX}/gate-base.yaml", "--format", "json")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert doc["format"] == "flagcheck-compare" and doc["version"] == 1
    assert doc["designs"] == ["gate-proposal", "gate-base"] and doc["any_violated"] is True
    cells = {(c["design"], c["scenario"], c["property"]): c for c in doc["cells"]}
    lost = cells[("gate-proposal", "oleg-lost-signal", "no_lost_signal")]
    assert lost["status"] == "violated" and lost["cell"] == f"violated@{lost['depth']}"
    assert cells[("gate-base", "oleg-on-cpu", "no_lost_signal")]["status"] == "proved"
    assert {(c["scenario"], c["property"]) for c in doc["cells"]} == \
        {(c["scenario"], c["property"]) for c in doc["columns"]}


# ------------------------------------------------------------------ progress
def test_live_status_shows_on_a_terminal_after_the_delay() -> None:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=100)
    with LiveStatus(console, delay=0.05) as status:
        status.update("rfc-v2: scenario oleg-lost-signal (1/7) · engine auto · bmc depth 40")
        time.sleep(0.6)
    out = buf.getvalue()
    assert "scenario oleg-lost-signal (1/7)" in out and re.search(r"\d+\.\ds", out)


def test_live_status_stays_silent_when_quick_or_not_a_terminal() -> None:
    buf = io.StringIO()
    with LiveStatus(Console(file=buf, force_terminal=True), delay=5.0) as status:
        status.update("quick")
    assert buf.getvalue() == ""                     # finished before the delay
    buf = io.StringIO()
    with LiveStatus(Console(file=buf, force_terminal=False), delay=0.0) as status:
        status.update("not a terminal")
        time.sleep(0.2)
    assert buf.getvalue() == ""
    r = CliRunner().invoke(main, ["verify", RFC_V2, *OLEG, "-q"])
    assert "engine auto" not in r.output
