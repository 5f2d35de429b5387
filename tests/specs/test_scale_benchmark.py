"""benchmarks/scale.py and its scenario families: one parameterised file per family, the
same model as its written-out copy, and the benchmark runs a cell and prints its table."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import scale
from benchmarks.scale_families import FAMILIES, FOLDER, WRITTEN_OUT
from flagcheck.pyspec import explicit
from flagcheck.tlamodel.load import load_design
from flagcheck.tlamodel.reduce import reduce_model

ROOT = Path(__file__).resolve().parents[2]
DESIGN = ROOT / "specs" / "notify-signal-5.11.yaml"


def test_one_parameterised_file_per_family():
    assert sorted(FOLDER.glob("*.yaml")) == sorted(FAMILIES.values())


@pytest.mark.parametrize("fam", sorted(FAMILIES))
@pytest.mark.parametrize("n", [1, 3])
def test_family_scenarios_load_with_n_tasks_each(fam: str, n: int):
    d = load_design(DESIGN, params={"N": n})
    m = d.model(d.scenario(str(FAMILIES[fam])))
    # senders: T, N adders, N senders; io-uring-waiters: T1, W[1..N], the writer
    assert len(m.tasks) == (2 * n + 1 if fam == "senders" else n + 2)


@pytest.mark.parametrize("fam", sorted(FAMILIES))
def test_the_parameterised_family_is_its_written_out_copy(fam: str, tmp_path: Path):
    """N = 2 of the parameterised file and the file the family was before: the same
    verdicts and state counts (checked for N = 1..4 when the copies were retired)."""
    copy = tmp_path / f"{fam}-2.yaml"
    copy.write_text(WRITTEN_OUT[fam](2))
    d = load_design(DESIGN, params={"N": 2})

    def counts(scenario: Path) -> dict[str, tuple[str, int | None]]:
        out = explicit.check(reduce_model(d.model(d.scenario(str(scenario)))))
        return {p: (o.status, o.states) for p, o in out.items()}
    assert counts(FAMILIES[fam]) == counts(copy)


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
