"""benchmarks/run.py runs and reports (it measures; its verdicts are judged elsewhere)."""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from flagcheck.pyspec.outcome import Certificate

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def _bench():  # noqa: ANN202 - a module
    name = "flagcheck_benchmarks_run"
    if name not in sys.modules:       # dataclasses look their module up in sys.modules
        spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "run.py")
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


def test_the_benchmark_prints_a_table_and_writes_json(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out_json = tmp_path / "bench.json"
    design = ROOT / "specs" / "rfc-v2-tif-taskwork.yaml"
    code = _bench().main(["--engines", "explicit", str(design), "--json", str(out_json)])
    assert code == 0
    text = capsys.readouterr().out
    header = next(ln for ln in text.splitlines() if ln.startswith("design "))
    assert header.split() == ["design", "scenario", "property", "engine", "verdict", "depth",
                              "states", "seconds", "certificate"]
    assert "total:" in text
    doc = json.loads(out_json.read_text())
    rows = doc["rows"]
    assert rows and {r["engine"] for r in rows} == {"explicit"}
    assert {r["design"] for r in rows} == {"rfc-v2-tif-taskwork"}
    oleg = next(r for r in rows if (r["scenario"], r["property"]) == ("oleg-lost-signal",
                                                                       "no_lost_signal"))
    assert oleg["verdict"].startswith("violated (depth ") and oleg["states"] > 0
    # every checked row is in the text table too, and every scenario has its model size
    for r in rows:
        assert any(ln.split()[:3] == [r["design"], r["scenario"], r["property"]]
                   for ln in text.splitlines()), r
    assert {m["scenario"] for m in doc["models"]} == {r["scenario"] for r in rows}
    assert all(m["vars"] > 0 and m["actions"] > 0 for m in doc["models"])
    # the total is the wall time of every run, so at least the longest one (rounded alike)
    assert doc["total_seconds"] >= max(r["seconds"] for r in doc["runs"]) > 0


def test_the_benchmark_rejects_an_unknown_engine(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        _bench().main(["--engines", "bmc,tlc"])
    assert e.value.code == 2
    assert "unknown engine(s) tlc" in capsys.readouterr().err


def test_a_bad_design_is_reported_and_the_others_still_run(
        capsys: pytest.CaptureFixture[str]) -> None:
    bad = ROOT / "tests" / "cli" / "fixtures" / "unknown_name_in_define.yaml"
    good = ROOT / "specs" / "coupled-5.9.yaml"
    code = _bench().main(["--engines", "explicit", str(bad), str(good)])
    out, err = capsys.readouterr()
    assert code == 2
    assert "tasks have no field 'TIF_TASKWROK'" in err and "Traceback" not in err
    assert "coupled-5.9" in out and "not measured:" in out


def test_certificates_are_tabulated_from_their_fields() -> None:
    cert = _bench().certificate
    assert cert(Certificate("k-induction", k=12, mined=656)) == "k=12, 656 mined"
    assert cert(Certificate("pdr", invariant="x", lemmas=56, nodes=197, rechecked=True,
                            mined=656)) == "56 lemmas/197 nodes, 656 mined"
    assert cert(Certificate("k-induction", k=3)) == "k=3"
    assert cert(None) == ""
