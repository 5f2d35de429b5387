"""Sweeps (checker/sweep.py): ``flagcheck test`` and ``compare`` give the same table and
exit code on ``-j 2`` local processes and on a Dask ``LocalCluster`` as serially.

The designs are two small ones written here (two scenarios each, one expectation wrong on
purpose so the exit code is 1, not the trivial 0)."""
from __future__ import annotations

from pathlib import Path

import pytest

from click.testing import CliRunner

from flagcheck.checker.cli.main import main
from flagcheck.checker.sweep import Job, Pool, jobs_of, run_jobs
from flagcheck.checker.verify import Options
from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.load import load_design
from tests.isolate import in_child

DESIGN = """flagcheck: 1
design: {name}
extends: lib/linux-base.yaml
scenarios: [scenarios/oleg-lost-signal.yaml, scenarios/twa-signal-interrupts-sleep.yaml]
check: [no_lost_signal, assertions]
expect:
  oleg-lost-signal: {{no_lost_signal: {word}, assertions: holds}}
  twa-signal-interrupts-sleep: {{no_lost_signal: holds, assertions: holds}}
"""
FAST = ["--engine", "explicit"]


@pytest.fixture()
def designs(tmp_path: Path) -> Path:
    (tmp_path / "a.yaml").write_text(DESIGN.format(name="sweep-a", word="holds"))
    (tmp_path / "b.yaml").write_text(DESIGN.format(name="sweep-b", word="violated"))
    return tmp_path


def invoke(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(main, list(args))
    assert r.exception is None or isinstance(r.exception, SystemExit), r.output
    return r.exit_code, r.output


def test_jobs_are_design_by_scenario_in_serial_order(designs: Path):
    ds = [(p, load_design(p)) for p in sorted(designs.glob("*.yaml"))]
    jobs = jobs_of(ds, Options(engine="explicit"))
    assert [(j.path.name, j.scenario) for j in jobs] == [
        ("a.yaml", "oleg-lost-signal"), ("a.yaml", "twa-signal-interrupts-sleep"),
        ("b.yaml", "oleg-lost-signal"), ("b.yaml", "twa-signal-interrupts-sleep")]


@pytest.mark.slow
@pytest.mark.parametrize("command", ["test", "compare"])
def test_two_local_processes_give_the_serial_table(designs: Path, command: str):
    files = [str(p) for p in sorted(designs.glob("*.yaml"))]
    serial = invoke(command, *files, *FAST)
    assert serial[0] == (1 if command == "test" else 0)   # test: b expects a violation
    assert invoke(command, *files, *FAST, "-j", "2") == serial


def test_a_job_error_is_the_serial_error(tmp_path: Path):
    """A job that fails (here: a scenario the design does not have) raises the same
    DesignError in the caller, from a worker process too."""
    (tmp_path / "a.yaml").write_text(DESIGN.format(name="sweep-a", word="holds"))
    job = Job(tmp_path / "a.yaml", "no-such-scenario", Options(engine="explicit"))
    with pytest.raises(DesignError, match="no scenario 'no-such-scenario'"):
        run_jobs([job], Pool())
    with pytest.raises(DesignError, match="no scenario 'no-such-scenario'"):
        run_jobs([job, job], Pool(jobs=2))


# The Dask tests run in a forked child (tests.isolate): distributed leaves its event-loop
# thread running in the process after the cluster and the client are closed, and an xdist
# worker that had run them died later of a segmentation fault in a garbage collection, with
# that thread still alive.  In the child the thread ends with it.
@pytest.mark.slow
def test_dask_local_cluster_gives_the_serial_table(designs: Path):
    pytest.importorskip("distributed")
    in_child(_local_cluster_gives_the_serial_table, designs)


def _local_cluster_gives_the_serial_table(designs: Path) -> None:
    import distributed
    files = [str(p) for p in sorted(designs.glob("*.yaml"))]
    serial_test = invoke("test", *files, *FAST)
    serial_compare = invoke("compare", *files, *FAST)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        addr = cluster.scheduler_address
        assert invoke("test", *files, *FAST, "--cluster", addr) == serial_test
        assert invoke("compare", *files, *FAST, "--cluster", addr) == serial_compare


def test_unreachable_cluster_is_a_usage_error(designs: Path):
    pytest.importorskip("distributed")
    in_child(_unreachable_cluster_is_a_usage_error, designs)


def _unreachable_cluster_is_a_usage_error(designs: Path) -> None:
    code, out = invoke("test", str(designs / "a.yaml"), *FAST, "--cluster", "tcp://127.0.0.1:9")
    assert code == 2 and "cannot reach the Dask scheduler" in out
