"""``flagcheck test`` and ``flagcheck compare`` end to end, on the shipped specs."""
from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from checker.cli import main

SPECS = Path(__file__).resolve().parents[2] / "specs"


def _copy_specs(tmp_path: Path) -> Path:
    dst = tmp_path / "specs"
    shutil.copytree(SPECS, dst, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return dst


def test_every_shipped_expectation_holds() -> None:
    r = CliRunner().invoke(main, ["test", str(SPECS)])
    assert r.exit_code == 0, r.output
    assert "0 not" in r.output
    assert "MISMATCH" not in r.output and "NO EXPECTATION" not in r.output


def test_a_wrong_expectation_fails_the_run(tmp_path: Path) -> None:
    specs = _copy_specs(tmp_path)
    design = specs / "notify-signal-5.11.yaml"
    text = design.read_text()
    edited = text.replace("oleg-lost-signal: {no_lost_signal: holds",
                          "oleg-lost-signal: {no_lost_signal: violated", 1)
    assert edited != text
    design.write_text(edited)
    r = CliRunner().invoke(main, ["test", str(specs)])
    assert r.exit_code == 1, r.output
    assert "MISMATCH" in r.output


def test_a_wrong_counterexample_depth_fails_the_run(tmp_path: Path) -> None:
    specs = _copy_specs(tmp_path)
    design = specs / "rfc-v2-tif-taskwork.yaml"
    text = design.read_text()
    design.write_text(text.replace("oleg-lost-signal: {no_lost_signal: violated",
                                   "oleg-lost-signal: {no_lost_signal: violated@17", 1))
    r = CliRunner().invoke(main, ["test", str(design)])
    assert r.exit_code == 1 and "MISMATCH" in r.output, r.output


def test_a_missing_expectation_fails_the_run(tmp_path: Path) -> None:
    specs = _copy_specs(tmp_path)
    design = specs / "coupled-5.9.yaml"
    lines = [ln for ln in design.read_text().splitlines() if "oleg-on-cpu: {" not in ln]
    design.write_text("\n".join(lines) + "\n")
    r = CliRunner().invoke(main, ["test", str(design)])
    assert r.exit_code == 1 and "NO EXPECTATION" in r.output, r.output


def test_compare_pins_every_cell() -> None:
    designs = sorted(str(p) for p in SPECS.glob("*.yaml"))
    r = CliRunner().invoke(main, ["compare", *designs, "--format", "markdown"])
    assert r.exit_code == 1, r.output              # some designs are known-bad
    rows = {ln.split("|")[1].strip(): [c.strip() for c in ln.split("|")[2:-1]]
            for ln in r.output.splitlines()[2:]}
    header = [c.strip().replace("<br>", "/") for c in r.output.splitlines()[0].split("|")[2:-1]]
    table = {d: dict(zip(header, cells)) for d, cells in rows.items()}
    violated = {(d, col): v for d, cols in table.items() for col, v in cols.items()
                if v.startswith("**violated")}
    assert violated == {
        ("coupled-5.9", "io-uring-killable-join/no_deadlock"): "**violated@18**",
        ("notify-signal-5.11", "io-uring-killable-join/no_deadlock"): "**violated@17**",
        ("rfc-v2-tif-taskwork", "oleg-lost-signal/no_lost_signal"): "**violated@18**",
        ("rfc-v2-tif-taskwork", "group-shared-signal/no_lost_signal"): "**violated@18**",
        ("rfc-v2-tif-taskwork", "io-uring-killable-join/no_deadlock"): "**violated@16**",
        ("rfc-v3-signal-pending-split", "io-uring-killable-join/no_deadlock"): "**violated@16**",
        ("twa-resume-counter", "io-uring-pthread-join/no_deadlock"): "**violated@19**",
        ("twa-resume-counter", "io-uring-killable-join/no_deadlock"): "**violated@19**",
    }
    others = {v for cols in table.values() for col, v in cols.items()
              if not v.startswith("**violated")}
    assert others == {"proved", "—"}               # everything else is proved, or not checked
    assert sum(v == "—" for cols in table.values() for v in cols.values()) == 5 * 3
