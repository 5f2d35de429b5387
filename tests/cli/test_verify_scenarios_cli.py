"""``flagcheck verify -s``: any scenario file works with any design, with every engine, and
a design that extends another design is checked on the scenarios it inherits."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from flagcheck.checker.cli.main import main
from flagcheck.checker.verify import ENGINES

ROOT = Path(__file__).resolve().parents[2]
FIX = Path(__file__).resolve().parent / "fixtures_scenarios"
NOTIFY = str(ROOT / "specs" / "notify-signal-5.11.yaml")


def flagcheck(*args: str) -> Result:
    env = {"NO_COLOR": "1", "TERM": "dumb", "FORCE_COLOR": None, "COLUMNS": "140"}
    return CliRunner(env=env).invoke(main, list(args), catch_exceptions=False)


def rows(output: str, scenario: str) -> dict[str, str]:
    """property -> the rest of its verdict-table line, for the rows of ``scenario``."""
    out = {}
    for line in output.splitlines():
        cells = line.split(None, 2)
        if len(cells) == 3 and cells[0] == scenario:
            out[cells[1]] = cells[2].strip()
    return out


@pytest.fixture
def tiny(tmp_path: Path) -> str:
    """The scenario copied outside specs/, where no design lists it."""
    return str(shutil.copy(FIX / "tiny-signal.yaml", tmp_path / "tiny-signal.yaml"))


#: the design's safety properties: on tiny-signal, S's signal can arrive after T's last system
#: call, so signals_delivered (also in the design's check: list) is violated by construction,
#: and k-induction and PDR answer unknown on the liveness properties
SAFETY = ("-p", "no_lost_signal", "-p", "no_deadlock", "-p", "assertions")


@pytest.mark.parametrize("engine", ENGINES)
def test_an_unlisted_scenario_file_is_checked_with_every_engine(engine: str, tiny: str) -> None:
    r = flagcheck("verify", NOTIFY, "-s", tiny, "--engine", engine, "--depth", "8",
                  "--timeout", "20", *SAFETY)
    assert r.exit_code == 0, r.output
    assert "Traceback" not in r.output and "has no scenario" not in r.output, r.output
    got = rows(r.output, "tiny-signal")
    assert set(got) == {"no_lost_signal", "no_deadlock", "assertions"}, r.output
    assert all(v.startswith(("proved", "holds")) for v in got.values()), r.output
    # the design's expectations are for its own scenarios, not for a file from elsewhere
    assert "✓" not in r.output and "✗" not in r.output
    if engine in ("auto", "explicit"):       # the coverage pass ran on the file as well
        assert "tiny-signal: " in r.output.split("Coverage")[1], r.output


def test_coverage_and_json_report_name_the_scenario_file(tiny: str, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    r = flagcheck("verify", NOTIFY, "-s", tiny, "--engine", "explicit", "--format", "json",
                  "-o", str(out), *SAFETY)
    assert r.exit_code == 0, r.output
    doc = json.loads(out.read_text())
    files = {v["scenario_file"] for v in doc["verdicts"]}
    assert files == {tiny}, files
    [cov] = doc["coverage"]
    assert cov["scenario"] == "tiny-signal" and cov["computed"] is True


def test_a_listed_scenario_by_name_still_gets_its_expectations() -> None:
    r = flagcheck("verify", NOTIFY, "-s", "oleg-on-cpu", "-p", "no_lost_signal",
                  "--engine", "explicit")
    assert r.exit_code == 0, r.output
    assert rows(r.output, "oleg-on-cpu")["no_lost_signal"].endswith("holds ✓"), r.output


def test_a_design_without_scenarios_takes_a_scenario_file(tiny: str) -> None:
    design = str(FIX / "no-scenarios.yaml")
    r = flagcheck("verify", design)
    assert r.exit_code == 2, r.output
    assert "lists no scenarios" in r.output and "--scenario" in r.output
    r = flagcheck("verify", design, "-s", "oleg-on-cpu")
    assert r.exit_code == 2 and "pass a scenario file" in r.output, r.output
    r = flagcheck("verify", design, "-s", tiny, "--engine", "explicit")
    assert r.exit_code == 0, r.output
    assert set(rows(r.output, "tiny-signal")) == {"no_lost_signal", "assertions"}, r.output


def test_a_missing_scenario_file_is_a_usage_error(tmp_path: Path) -> None:
    r = flagcheck("verify", NOTIFY, "-s", str(tmp_path / "nope.yaml"))
    assert r.exit_code == 2, r.output
    assert "scenario file" in r.output and "not found" in r.output, r.output
    assert "Traceback" not in r.output


def test_a_derived_design_is_checked_on_its_base_scenarios() -> None:
    r = flagcheck("verify", str(FIX / "derived.yaml"), "--engine", "explicit")
    assert r.exit_code == 0, r.output
    assert "design small-derived" in r.output
    got = rows(r.output, "oleg-on-cpu")
    assert set(got) == {"no_lost_signal", "assertions"}, r.output
    # base.yaml's own expectation and the one it inherited from notify-signal-5.11.yaml
    assert got["no_lost_signal"].endswith("holds ✓") and got["assertions"].endswith("holds ✓")
    assert rows(r.output, "oleg-lost-signal") == {}       # dropped by base.yaml


def test_a_counterexample_on_an_unlisted_scenario_replays_from_its_report(tmp_path: Path) -> None:
    scen = str(shutil.copy(FIX / "pause-lost-signal.yaml", tmp_path / "pause-lost-signal.yaml"))
    rfc_v2 = str(ROOT / "specs" / "rfc-v2-tif-taskwork.yaml")
    report = tmp_path / "report.json"
    r = flagcheck("verify", rfc_v2, "-s", scen, "-p", "no_lost_signal", "--engine", "explicit",
                  "--format", "json", "-o", str(report))
    assert r.exit_code == 1, r.output
    assert rows(r.output, "pause-lost-signal")["no_lost_signal"].startswith("violated")
    # the report records the scenario file, so replay finds it without --scenario
    r = flagcheck("replay", str(report), rfc_v2)
    assert r.exit_code == 0, r.output
    assert r.output.startswith("reproduces: no_lost_signal on pause-lost-signal"), r.output
