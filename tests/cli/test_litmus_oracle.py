"""The litmus converter's output folder is an oracle run: ``flagcheck test`` on it checks every
converted test's Result line under memory lkmm (and the Never tests under sc and tso), and a
wrong Result fails it."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tests.tlamodel.test_litmus import SB, SB_MB

from flagcheck.checker.cli.main import main as cli_main
from flagcheck.tlamodel.litmus import main


def test_the_written_designs_are_the_oracle_run(tmp_path: Path) -> None:
    # flagcheck test on the output folder checks every Result line under all three models
    for name in ("SB", "SB-mb"):
        (tmp_path / f"{name}.litmus").write_text(SB if name == "SB" else SB_MB)
    main([str(tmp_path / "SB.litmus"), str(tmp_path / "SB-mb.litmus"), "-o", str(tmp_path / "out")])
    lkmm = (tmp_path / "out" / "litmus-lkmm.yaml").read_text()
    assert ("  SB-test: {never_exists: violated, assertions: holds}\n"
            "  SB-mb-test: {never_exists: holds, assertions: holds}\n") in lkmm
    assert "SB-test:" not in (tmp_path / "out" / "litmus-tso.yaml").read_text()   # Never only
    r = CliRunner().invoke(cli_main, ["test", str(tmp_path / "out"), "--engine", "explicit"])
    assert r.exit_code == 0, r.output
    # a wrong Result line is a failed expectation (exit 1), so the run is a real oracle
    (tmp_path / "out" / "SB-test.yaml").write_text(
        (tmp_path / "out" / "SB-test.yaml").read_text().replace("Sometimes", "Never"))
    lkmm = lkmm.replace("SB-test: {never_exists: violated", "SB-test: {never_exists: holds")
    (tmp_path / "out" / "litmus-lkmm.yaml").write_text(lkmm)
    r = CliRunner().invoke(cli_main, ["test", str(tmp_path / "out"), "--engine", "explicit"])
    assert r.exit_code == 1, r.output
