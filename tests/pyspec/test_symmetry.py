"""Symmetry reduction (pyspec.symmetry, pyspec.orbits) against the unreduced search.

Verdicts are sacred, so the reduction is tested differentially: on 300 random models with
interchangeable tasks (tests/strategies.py's ``symmetric_models``: a template program run by
two or three tasks, values naming the tasks, sometimes a property that names one of them)
and on every shipped design × scenario pair, the reduced and the unreduced explicit search
give the same verdict and the same shortest counterexample depth for every property, and
every counterexample of the reduced search is concrete and replays.  The canonical form is
tested on its own too: it is the same for every member of an orbit and is a member."""
from __future__ import annotations

import functools
import itertools
from pathlib import Path

import numpy as np
import pytest
from tests.budget import examples
from tests.shipped import shipped_pairs
from tests.strategies import symmetric_sample

from flagcheck.pyspec import explicit, layered, orbits, symmetry
from flagcheck.pyspec.orbits import Canon
from flagcheck.pyspec.replay import check_violation
from flagcheck.tlamodel.ir import Liveness, Model
from flagcheck.tlamodel.load import load_design
from flagcheck.tlamodel.reduce import reduce_model

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"


def agree(m: Model, props: list[str] | None = None) -> dict:
    """Both searches' outcomes; asserts equal verdicts and depths, replays the reduced
    search's counterexamples, and returns the reduced outcomes."""
    sym = explicit.check(m, props, symmetry=True)
    ref = explicit.check(m, props, symmetry=False)
    for name, o in sym.items():
        r = ref[name]
        assert (o.status, o.depth, o.exhaustive) == (r.status, r.depth, r.exhaustive), name
        assert (o.states or 0) <= (r.states or 0)
        if o.status == "violated":
            assert o.trace is not None and o.trace.length == o.depth
            check_violation(m, o.trace, name)
    return sym


def test_reduced_search_agrees_on_random_symmetric_models():
    """300 random models; most of them really are reduced (else the test proves little)."""
    models = symmetric_sample(examples(300))
    reduced = violated = 0
    for m in models:
        out = agree(m)
        reduced += out["inv"].orbits
        violated += any(o.status == "violated" and o.orbits for o in out.values())
    assert reduced >= len(models) // 2
    assert violated >= len(models) // 10


def test_a_property_naming_one_task_breaks_its_group_and_says_so():
    for m in symmetric_sample(examples(300)):
        text = str(m.property("inv").expr)
        if "A0.v" in text and "A1.v" not in text:
            sym = symmetry.detect(m, ["inv"])
            assert all("A0" not in g.tasks for g in sym.groups)
            assert any("breaks the symmetry" in n and "{A0}" in n for n in sym.notes)
            said = explicit.check(m, ["inv"], symmetry=True)["inv"].symmetry
            assert "breaks the symmetry" in said
            return
    pytest.fail("no random model names A0 alone")


def _reachable(m: Model, limit: int = 400) -> np.ndarray:
    vm = layered.vmodel(m)
    states = explicit.reachable_states(m, limit)
    return np.array([vm.layout.pack(s) for s in states], dtype=np.int64).reshape(
        len(states), vm.layout.words)


def _permuted(sym: symmetry.Symmetry, m: Model, state: tuple, g: symmetry.Group,
              perm: tuple[int, ...]) -> tuple:
    """``state`` with slot j of ``g`` moved to slot perm[j] (values renamed with it)."""
    out = list(state)
    for j, slot in enumerate(g.slots):
        for q, i in enumerate(slot):
            out[g.slots[perm[j]][q]] = state[i]
    gi = sym.groups.index(g)
    for v in sym.values:
        if v.group == gi and v.slot_of[int(state[v.var])] >= 0:
            out[v.var] = v.table[int(state[v.var])][perm[v.slot_of[int(state[v.var])]]]
    return tuple(out)


@pytest.mark.parametrize("key_bits", [62, 0], ids=["one-key", "wide"])
def test_canonical_form_is_one_member_per_orbit(monkeypatch, key_bits):
    """For reachable states of random models: every permutation of a state has the same
    canonical form, and that form is itself a permutation of the state -- with slots in one
    integer key each, and sorted column by column as for slots too wide for one key."""
    monkeypatch.setattr(orbits, "_KEY_BITS", key_bits)
    checked = 0
    for m in symmetric_sample(examples(300))[:60]:
        sym = symmetry.detect(m, ["inv", "deadlock"])
        if not sym:
            continue
        layout = layered.vmodel(m).layout
        canon = Canon(sym, layout)
        packed = _reachable(m)
        base = canon(packed)
        g = sym.groups[0]
        for perm in itertools.permutations(range(len(g.tasks))):
            moved = [layout.pack(_permuted(sym, m, layout.unpack(p), g, perm)) for p in packed]
            assert (canon(np.array(moved, dtype=np.int64).reshape(packed.shape)) == base).all()
        members = {layout.pack(_permuted(sym, m, layout.unpack(packed[0]), g, p))
                   for p in itertools.permutations(range(len(g.tasks)))}
        assert tuple(int(w) for w in base[0]) in members
        checked += 1
    assert checked >= 20


@functools.lru_cache(maxsize=None)
def _design(path: Path):  # noqa: ANN202 - a Design, read once for all its scenarios
    return load_design(path)


@pytest.mark.parametrize("path,scenario", shipped_pairs())
def test_reduced_search_agrees_on_shipped_specs(path, scenario):
    """Same verdicts with and without symmetry (liveness is never reduced: left out).
    Where the detection finds no group, the search with symmetry is the search without
    (no canonical form is installed), so it runs once and must not claim orbits."""
    d = _design(path)
    m = reduce_model(d.model(d.scenario(scenario)))
    props = [p.name for p in m.properties if not isinstance(p, Liveness)]
    if symmetry.detect(m, props):
        agree(m, props)
    else:
        assert not any(o.orbits for o in explicit.check(m, props, symmetry=True).values())


#: senders-2 of benchmarks/scale (two adders, two senders) with the task_works list
#: one entry long: the second adder overflows it, a run-time error of one of two
#: interchangeable tasks, found among orbits and replayed concretely (and no_deadlock, not
#: skipped here, finds pause()'s restart race)
OVERFLOW = """\
flagcheck: 1
scenario: senders-2-overflow
tasks:
  T: {group: G_T}
  A1: {group: G_A1}
  A2: {group: G_A2}
  S1: {group: G_S1}
  S2: {group: G_S2}
signals: [SIGUSR1]
state:
  task:
    task_works: {type: 0..1, doc: "length of the task->task_works list"}
run:
  T: pause();
  A1: task_work_add(T, TWA_SIGNAL);
  A2: task_work_add(T, TWA_SIGNAL);
  S1: kill(T, SIGUSR1);
  S2: kill(T, SIGUSR1);
"""


def _symmetric_scenario(tmp_path: Path, text: str | None, n: int) -> Model:
    """The model of ``text`` (a scenario for notify-signal-5.11), or of the parameterised
    senders family of benchmarks/scale with N = ``n`` when ``text`` is None."""
    if text is None:
        scen = ROOT / "benchmarks" / "scale" / "senders.yaml"
        if not scen.is_file():
            pytest.skip(f"{scen} is gone")
        d = load_design(SPECS / "notify-signal-5.11.yaml", allow_paths=(scen.parent,),
                        params={"N": n})
    else:
        scen = tmp_path / "scenario.yaml"
        scen.write_text(text)
        d = load_design(SPECS / "notify-signal-5.11.yaml", allow_paths=(tmp_path,))
    return reduce_model(d.model(d.scenario(str(scen))))


@pytest.mark.parametrize("text,n,violated", [
    (OVERFLOW, 2, {"assertions", "no_deadlock"}),
    (None, 2, set()),
], ids=["overflow", "senders-N=2"])
def test_real_scenarios_with_interchangeable_tasks(tmp_path, text, n, violated):
    m = _symmetric_scenario(tmp_path, text, n)
    props = [p.name for p in m.properties if not isinstance(p, Liveness)]
    assert len(symmetry.detect(m, props).groups) == 2
    out = agree(m, props)
    assert all(o.orbits for o in out.values())
    assert {n for n, o in out.items() if o.status == "violated"} == violated


def test_the_cli_reports_orbits_and_no_symmetry_turns_it_off():
    """``verify --engine explicit`` says the states are orbits; ``--no-symmetry`` counts
    every state; the verdict is the same."""
    from click.testing import CliRunner

    from flagcheck.checker.cli.main import main
    scen = ROOT / "benchmarks" / "scale" / "senders.yaml"
    if not scen.is_file():
        pytest.skip(f"{scen} is gone")
    args = ["verify", str(SPECS / "notify-signal-5.11.yaml"), "-s", str(scen), "--param",
            "N=2", "--allow-path", str(scen.parent), "--engine", "explicit", "-p",
            "no_lost_signal", "-q", "--no-progress"]
    on = CliRunner().invoke(main, args)
    off = CliRunner().invoke(main, [*args, "--no-symmetry"])
    assert on.exit_code == off.exit_code == 0, on.output + off.output
    assert "proved (explicit, 13619 states (orbits))" in on.output
    assert "proved (explicit, 34622 states)" in off.output
