"""``flagcheck mutate`` and ``flagcheck test --mutation-floor`` on the fixture designs of
tests/checker/fixtures_mutate."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from flagcheck.checker.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
FIX = "tests/checker/fixtures_mutate"


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def invoke(*args: str):  # noqa: ANN201
    return CliRunner().invoke(main, list(args))


def test_text_report_lists_every_mutant_and_the_survivors_with_file_line() -> None:
    r = invoke("mutate", f"{FIX}/wq.yaml", "-j", "1")
    assert r.exit_code == 0, r.output
    assert "wq: mutation score 80.0% (8 of 10 killed" in r.output
    assert "no_deadlock violated at depth 4 on wq-one-waker" in r.output
    assert "survivors (2)" in r.output
    assert (f"{FIX}/wq-lib.yaml:17: wake_up_process: drop the flag write "
            "'t.TIF_WOKEN = true;'") in r.output
    for status in ("killed", "survived", "equivalent-suspect", "equivalent"):
        assert f"  {status} " in r.output


def test_json_report(tmp_path: Path) -> None:
    out = tmp_path / "m.json"
    r = invoke("mutate", f"{FIX}/wq.yaml", "-j", "1", "--format", "json", "-o", str(out))
    assert r.exit_code == 0, r.output
    assert "wq: mutation score 80.0%" in r.output and "wrote" in r.output
    doc = json.loads(out.read_text())
    assert (doc["format"], doc["version"]) == ("flagcheck-mutate", 1)
    (d,) = doc["designs"]
    assert d["score"] == 80.0 and d["counts"]["killed"] == 8 and d["scored"] == 10
    survivor = next(m for m in d["mutants"] if m["status"] == "survived"
                    and m["operator"] == "drop-flag")
    assert survivor["file"].endswith("wq-lib.yaml") and survivor["line"] == 17
    killed = next(m for m in d["mutants"] if m["status"] == "killed")
    assert killed["kill"]["property"] == "no_deadlock" and killed["kill"]["depth"] >= 2


def test_markdown_report_has_the_score_table_and_survivors() -> None:
    r = invoke("mutate", f"{FIX}/wq.yaml", "-j", "1", "--format", "markdown",
               "--operators", "drop-flag,drop-wakeup")
    assert r.exit_code == 0, r.output
    assert "| `wq` | 3 | 2 | 1 | 0 | 0 | 0 | 0 | 66.7% |" in r.output
    assert "### wq: survivors" in r.output and "`tests/checker/fixtures_mutate/wq-lib.yaml:17`" in r.output


def test_floor_fails_with_a_message() -> None:
    r = invoke("mutate", f"{FIX}/wq.yaml", "-j", "1", "-q", "--floor", "90")
    assert r.exit_code == 1
    assert "design wq: mutation score 80.0% is below the floor 90%" in r.output


@pytest.mark.parametrize("args, message", [
    (("--operators", "swap,drop-barrier"), "unknown mutation operator 'drop-barrier'"),
    (("--scenario", "nope"), "design wq has no scenario 'nope'"),
])
def test_bad_usage_exits_2_without_traceback(args: tuple[str, ...], message: str) -> None:
    r = invoke("mutate", f"{FIX}/wq.yaml", *args)
    assert r.exit_code == 2
    assert message in r.output and "Traceback" not in r.output


def test_bad_design_is_located() -> None:
    r = invoke("mutate", f"{FIX}/broken.yaml")
    assert r.exit_code == 2
    assert "broken.yaml:7:18: error: expect: unknown property 'no_deadlok'" in r.output


def test_test_command_mutation_floor_gates() -> None:
    low = invoke("test", f"{FIX}/wq.yaml", f"{FIX}/wq2.yaml", "-q", "--mutation-floor", "85",
                 "--mutation-jobs", "1")
    assert low.exit_code == 1, low.output
    assert "flagcheck test: design wq: mutation score 80.0% is below the floor 85%" in low.output
    assert "design wq2: mutation score" not in low.output.replace("wq2: mutation score 90.0%", "")
    ok = invoke("test", f"{FIX}/wq2.yaml", "-q", "--mutation-floor", "85", "--mutation-jobs", "1")
    assert ok.exit_code == 0, ok.output
    assert "wq2: mutation score 90.0%" in ok.output


def test_reduce_gives_the_depths_verify_shows(tmp_path: Path) -> None:
    out = tmp_path / "m.json"
    plain = invoke("mutate", f"{FIX}/wq.yaml", "-j", "1", "--operators", "drop-wakeup",
                   "--format", "json", "-o", str(out))
    assert plain.exit_code == 0, plain.output
    depths = {m["description"]: m["kill"]["depth"] for m in
              json.loads(out.read_text())["designs"][0]["mutants"] if m["kill"]}
    reduced = invoke("mutate", f"{FIX}/wq.yaml", "-j", "1", "--operators", "drop-wakeup",
                     "--reduce", "--format", "json", "-o", str(out))
    assert reduced.exit_code == 0, reduced.output
    rdepths = {m["description"]: m["kill"]["depth"] for m in
               json.loads(out.read_text())["designs"][0]["mutants"] if m["kill"]}
    drop = "signal_cond: drop the wake-up 'wake_up_process(t);'"
    assert (depths[drop], rdepths[drop]) == (3, 2)
