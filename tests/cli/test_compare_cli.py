"""``flagcheck compare``: the README's verdict table is its output, cell for cell.

The README table is read from README.md itself, so the two cannot drift apart silently:
a change to a design, a scenario or the reduction that moves a depth fails here until
the table is refreshed with ``flagcheck compare specs/*.yaml --format markdown``.
"""
from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from rich.console import Console

from flagcheck.checker import regress
from flagcheck.checker.cli.main import main
from flagcheck.checker.regress import DesignTable, compare_designs, property_words, scenario_cell
from flagcheck.checker.report.compare import print_compare, render_compare_markdown
from flagcheck.checker.verify import Options
from flagcheck.checker.verdict import Verdict
from flagcheck.pyspec.outcome import Outcome
from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.load import load_design

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"
# what the shell makes of specs/*.yaml: the design files in name order
DESIGNS = sorted(str(p) for p in SPECS.glob("*.yaml"))
# every shipped spec settles with the explicit engine, and auto's answers come from it too
# (auto→explicit); pinning it keeps the test off the engine race on a busy machine
FAST = ["--engine", "explicit"]
# one worker under `pytest -n --dist loadgroup`: the module's fixture checks every shipped
# design (30 s), once per worker that runs a test of the module
pytestmark = pytest.mark.xdist_group("compare")


def _readme_table() -> str:
    """The table block under "Shipped designs and their verdicts" in README.md."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = lines.index("## Shipped designs and their verdicts")
    first = next(i for i in range(start, len(lines)) if lines[i].startswith("| design |"))
    end = first
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return "\n".join(lines[first:end]) + "\n"


@pytest.fixture(scope="module")
def run() -> tuple[Result, DesignTable]:
    """``flagcheck compare specs/*.yaml --format markdown``, run once: its result, and the
    comparison it rendered (kept for the rendering tests, so the designs are checked once)."""
    seen: list[DesignTable] = []

    def keep(*args: object, **kw: object) -> DesignTable:
        seen.append(compare_designs(*args, **kw))  # type: ignore[arg-type]
        return seen[-1]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(regress, "compare_designs", keep)
        r = CliRunner().invoke(main, ["compare", *DESIGNS, "--format", "markdown", *FAST])
    assert len(seen) == 1, r.output
    return r, seen[0]


@pytest.fixture
def shipped(run: tuple[Result, DesignTable]) -> DesignTable:
    return run[1]


@pytest.fixture
def reuse(shipped: DesignTable, monkeypatch: pytest.MonkeyPatch) -> DesignTable:
    """Commands below render the shipped comparison instead of checking the designs again."""
    monkeypatch.setattr(regress, "compare_designs", lambda *a, **k: shipped)
    return shipped


@pytest.mark.slow
def test_markdown_is_the_readme_table(run: tuple[Result, DesignTable]) -> None:
    r = run[0]
    assert r.exit_code == 1, r.output          # known-bad designs and the control violate
    assert r.output == _readme_table(), (
        "README.md's table is stale; refresh it with "
        "`flagcheck compare specs/*.yaml --format markdown`\n" + r.output)


@pytest.mark.slow
def test_the_table_shows_names_summaries_and_the_control(shipped: DesignTable) -> None:
    md = render_compare_markdown(shipped).splitlines()
    head = [c.strip() for c in md[0].split("|")[1:-1]]
    assert head[0] == "design"
    assert "io-uring-killable-join (control)" in head
    assert "io-uring-pthread-join" in head             # an ordinary scenario is not marked
    coupled = next(ln for ln in md if ln.startswith("| `coupled-5.9` — "))
    assert load_design(SPECS / "coupled-5.9.yaml").spec.summary in coupled


@pytest.mark.slow
def test_which_cells_are_violated_and_by_what(shipped: DesignTable) -> None:
    bad = {(d, s): re.sub(r"@\d+", "", shipped.scenario_cell(d, s).text)
           for d in shipped.designs for s in shipped.scenarios
           if shipped.scenario_cell(d, s).status == "violated"}
    # the TWA_SIGNAL designs list the io_uring control; the post-5.11 designs (on
    # lib/linux-5.11.yaml) list scenarios of their own, and an unlisted pair is an empty cell
    listed = {d for d in shipped.designs if shipped.scenario_cell(d, "io-uring-killable-join").text}
    # a deadlock strands the blocked task's work (task_work_runs); a signal that can arrive
    # after the target's last system call stays queued by construction (signals_delivered)
    control = {(d, "io-uring-killable-join"): "deadlock, task_work_runs" for d in listed}
    late_signal = {(d, "two-signals-one-wait"): "signals_delivered" for d in listed}
    assert bad == {**control, **late_signal,
                   ("rfc-v2-tif-taskwork", "oleg-lost-signal"): "lost signal, signals_delivered",
                   ("rfc-v2-tif-taskwork", "group-shared-signal"):
                       "lost signal, signals_delivered",
                   ("twa-resume-counter", "io-uring-pthread-join"): "deadlock, task_work_runs",
                   ("fork-signal-pending-5.12", "fork-during-task-work"):
                       "fork_fails_only_on_signal",
                   ("fork-signal-pending-5.12", "fork-after-task-work"):
                       "fork_fails_only_on_signal",
                   ("fork-signal-pending-5.12", "fork-during-signal"): "signals_delivered",
                   ("fork-task-sigpending-5.13", "fork-during-signal"): "signals_delivered",
                   ("coredump-signal-pending-5.12", "coredump-during-task-work"):
                       "dump_stops_only_when_fatal",
                   ("kvm-notify-signal-stays-5.18", "livepatch-kicks-vcpu"):
                       "guest_not_resumed_for_livepatch, livepatch_transition_completes",
                   ("freezer-trap-spin-6.10", "freeze-during-task-work"):
                       "freezer_trap_sleeps, task_work_runs",
                   # two works reach the frozen task; 6.10's trap spins without running
                   # them (freezer_trap_sleeps is skipped there: its bound is for one work)
                   ("freezer-trap-spin-6.10", "freeze-two-works"): "task_work_runs"}
    others = {shipped.scenario_cell(d, s).text for d in shipped.designs
              for s in shipped.scenarios} \
        - {shipped.scenario_cell(d, s).text for d, s in bad} - {""}
    assert others == {"proved"}


# ---------------------------------------------------------------- folding one scenario
def _v(prop: str, status: str | None, depth: int = 0, exhaustive: bool = True) -> Verdict:
    o = None if status is None else Outcome(prop, status, depth, exhaustive=exhaustive)
    return Verdict("d", "s", prop, o, skipped="meaningless here" if status is None else "")


def test_every_checked_property_proved_is_proved() -> None:
    cell = scenario_cell([_v("no_lost_signal", "holds"), _v("assertions", "holds"),
                          _v("no_deadlock", None)])          # skipped: not checked, not counted
    assert (cell.text, cell.status) == ("proved", "proved")


def test_violations_are_named_in_words_with_their_depth() -> None:
    cell = scenario_cell([_v("no_lost_signal", "violated", 18), _v("no_deadlock", "violated", 16),
                          _v("assertions", "holds"), _v("my_invariant", "violated", 3)])
    assert cell.text == "lost signal@18, deadlock@16, my_invariant@3"
    assert cell.status == "violated"
    assert property_words("assertions") == "assertion"


def test_a_violation_outranks_unknown_which_outranks_a_bounded_search() -> None:
    unknown = _v("no_deadlock", "unknown", 7, exhaustive=False)
    bounded = _v("no_lost_signal", "holds", 40, exhaustive=False)
    assert scenario_cell([unknown, _v("assertions", "violated", 5)]).text == "assertion@5"
    assert scenario_cell([bounded, unknown]).text == "unknown"
    assert scenario_cell([bounded, _v("assertions", "holds", 12, exhaustive=False),
                          _v("no_deadlock", "holds")]).text == "holds@12"


def test_a_scenario_that_checks_nothing_is_not_proved() -> None:
    assert scenario_cell([_v("no_deadlock", None)]).text == "—"
    assert scenario_cell([]).text == ""


# ---------------------------------------------------------------- text
def _render(c: DesignTable, width: int) -> str:
    buf = io.StringIO()
    print_compare(c, Console(file=buf, width=width, color_system=None, soft_wrap=False))
    return buf.getvalue()


def _readable(out: str, c: DesignTable, width: int) -> None:
    assert out.strip()
    assert max(len(ln) for ln in out.splitlines()) <= width, out
    assert "…" not in out, out
    words = out.split()
    for d in c.designs:
        assert d in words, (d, out)                    # whole, never cut or folded
    for s in c.scenarios:
        assert s in words, (s, out)


@pytest.mark.slow
def test_text_at_100_columns_lists_each_design(shipped: DesignTable) -> None:
    out = _render(shipped, 100)
    _readable(out, shipped, 100)
    assert "io-uring-killable-join (control)  deadlock@" in out


def test_text_on_a_wide_console_is_one_grid(shipped: DesignTable) -> None:
    # wide enough for every shipped design's column (thirteen designs since the post-5.11
    # ones; cells such as "deadlock@21, task_work_runs@21" since the liveness properties)
    out = _render(shipped, 520)
    _readable(out, shipped, 520)
    header = out.splitlines()[0].split()
    assert header == ["scenario", *shipped.designs]


def test_the_command_honours_columns_100(reuse: DesignTable) -> None:
    r = CliRunner().invoke(main, ["compare", *DESIGNS], env={"COLUMNS": "100"})
    assert r.exit_code == 1, r.output
    _readable(r.output, reuse, 100)


# ---------------------------------------------------------------- -o and json
@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_output_file_in_every_format(tmp_path: Path, fmt: str, reuse: DesignTable) -> None:
    out = tmp_path / "sub" / f"table.{fmt}"
    r = CliRunner().invoke(main, ["compare", *DESIGNS, "--format", fmt, "-o", str(out)],
                           env={"COLUMNS": "100"})
    assert r.exit_code == 1, r.output
    assert f"wrote {out} ({fmt})" in r.output
    assert "coupled-5.9" in r.output                   # the terminal still gets the table
    text = out.read_text(encoding="utf-8")
    if fmt == "json":
        data = json.loads(text)
        assert data["format"] == "flagcheck-compare"
    elif fmt == "markdown":
        assert text == render_compare_markdown(reuse)
    else:
        assert max(len(ln) for ln in text.splitlines()) <= 100
        assert "\x1b[" not in text                     # no terminal colours in a file


def test_json_keeps_property_cells_and_adds_scenario_cells() -> None:
    r = CliRunner().invoke(main, ["compare", str(SPECS / "rfc-v2-tif-taskwork.yaml"),
                                  "--format", "json", *FAST])
    data = json.loads(r.output)
    props = {(c["scenario"], c["property"]): c["cell"] for c in data["cells"]}
    assert props[("oleg-lost-signal", "no_lost_signal")].startswith("violated@")
    assert props[("oleg-lost-signal", "assertions")] == "proved"
    assert props[("oleg-lost-signal", "no_deadlock")] == "—"          # skipped by the scenario
    scen = {c["scenario"]: c for c in data["scenario_cells"]}
    assert scen["oleg-lost-signal"]["status"] == "violated"
    assert scen["oleg-lost-signal"]["cell"].startswith("lost signal@" + props[
        ("oleg-lost-signal", "no_lost_signal")].split("@")[1] + ", signals_delivered@")
    assert scen["oleg-on-cpu"] == {"design": "rfc-v2-tif-taskwork", "scenario": "oleg-on-cpu",
                                   "status": "proved", "cell": "proved"}
    controls = [s["name"] for s in data["scenarios"] if s["control"]]
    assert controls == ["io-uring-killable-join"]
    assert data["summaries"]["rfc-v2-tif-taskwork"].startswith("TIF_TASKWORK")


# ---------------------------------------------------------------- the control: field
def _scenario(tmp_path: Path, control: str) -> Path:
    (tmp_path / "s.yaml").write_text(
        "flagcheck: 1\nscenario: s\n" + control +
        "tasks:\n  T: {group: G}\nrun:\n  T: x = true;\n")
    design = tmp_path / "d.yaml"
    design.write_text("flagcheck: 1\ndesign: d\nstate:\n  global:\n    x: bool\n"
                      "scenarios: [s.yaml]\n")
    return design


def test_control_marks_a_scenario(tmp_path: Path) -> None:
    assert load_design(_scenario(tmp_path, "control: true\n")).scenarios[0].control
    assert not load_design(_scenario(tmp_path, "")).scenarios[0].control


def test_control_must_be_true_or_false(tmp_path: Path) -> None:
    with pytest.raises(DesignError) as e:
        load_design(_scenario(tmp_path, "control: yes please\n"))
    assert "'control:' must be true or false" in e.value.render()
    assert "s.yaml:3:" in e.value.render()
