"""benchmarks/scale.py and its scenario families: the committed files are what the
generator writes, they load, and the benchmark runs a cell and prints its table."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import scale
from benchmarks.scale_families import FOLDER, files
from flagcheck.tlamodel.load import load_design

ROOT = Path(__file__).resolve().parents[2]
DESIGN = ROOT / "specs" / "notify-signal-5.11.yaml"


def test_committed_family_files_are_the_generated_ones():
    want = files()
    assert sorted(FOLDER.glob("*.yaml")) == sorted(want)
    for path, text in want.items():
        assert path.read_text() == text, f"{path.name} is stale: python -m benchmarks.scale_families"


@pytest.mark.parametrize("name", ["senders-2", "io-uring-waiters-2"])
def test_family_scenarios_load_with_n_tasks_each(name: str):
    d = load_design(DESIGN)
    m = d.model(d.scenario(str(FOLDER / f"{name}.yaml")))
    # senders-2: T, two adders, two senders; io-uring-waiters-2: T1, W1, W2, the writer
    assert len(m.tasks) == 5 if name.startswith("senders") else len(m.tasks) == 4


@pytest.mark.slow
def test_the_benchmark_runs_a_cell_and_prints_the_table(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "scale.json"
    code = scale.main(["--design", str(DESIGN), "--families", "senders", "--sizes", "1",
                       "--engines", "explicit", "--no-spin", "--timeout", "120",
                       "--json", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "| family | N | explicit | spin |" in text
    (cell,) = json.loads(out.read_text())
    assert (cell["family"], cell["n"], cell["engine"], cell["status"]) == \
        ("senders", 1, "explicit", "proved")
    assert cell["states"] > 0 and cell["seconds"] > 0
