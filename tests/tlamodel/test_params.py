"""Parameters, task arrays and repeat (docs/language.md, "Parameters, task arrays and
repeat"): a parameterised scenario with N = k is the model of its hand-written k-copy, the
names and groups of array elements, repeat, --param values, and the exporters' output.

The fixtures are in tests/tlamodel/fixtures/params/: ``workers.yaml`` (parameterised) and
``workers-2.yaml``/``workers-3.yaml`` (the same scenario written out by hand)."""
from __future__ import annotations

from pathlib import Path

import pytest

from flagcheck.pyspec import explicit
from flagcheck.tlamodel import syntax_tree as A
from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.expand import Expander
from flagcheck.tlamodel.ir import Model
from flagcheck.tlamodel.load import load_design
from flagcheck.tlamodel.params import combinations, label, parse_setting
from flagcheck.tlamodel.reduce import reduce_model
from flagcheck.tlamodel.syntax import CodeRef, parse_code

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "params"
DESIGN = FIXTURES / "design.yaml"


def model(scenario: str, **params: int) -> Model:
    d = load_design(DESIGN, params=params)
    return d.model(d.scenario(scenario))


def verdicts(m: Model) -> dict[str, tuple[str, int | None, int | None]]:
    """Each property's status, counterexample depth and state count (explicit engine)."""
    out = explicit.check(reduce_model(m))
    return {name: (o.status, o.depth if o.status == "violated" else None,
                   o.states if o.status == "holds" else None) for name, o in out.items()}


@pytest.mark.parametrize("k", [2, 3])
def test_a_parameterised_scenario_is_its_hand_written_copy(k: int) -> None:
    param, copy = model("workers", N=k), model(f"workers-{k}")
    assert len(param.tasks) == len(copy.tasks) == k + 1
    assert len(param.vars) == len(copy.vars)
    assert len(param.actions) == len(copy.actions)
    got, want = verdicts(param), verdicts(copy)
    assert got == want
    assert got["assertions"][0] == "violated" and got["no_deadlock"][0] == "holds"


def test_the_default_value_is_the_files_own() -> None:
    assert model("workers").tasks == ("C", "W[1]", "W[2]")


def test_array_elements_are_named_by_index_with_their_own_groups() -> None:
    m = model("workers", N=3)
    assert m.tasks == ("C", "W[1]", "W[2]", "W[3]")
    scen = load_design(DESIGN, params={"N": 3}).scenario("workers")
    assert [t.group for t in scen.tasks.values()] == ["G", "H[1]", "H[2]", "H[3]"]
    # 0..N in the scenario's state declaration
    seen = next(v for v in m.vars if v.name == "W[2].seen")
    assert (seen.type.lo, seen.type.hi) == (0, 3)


def test_the_run_records_which_parameters_its_files_declare() -> None:
    d = load_design(DESIGN, params={"N": 4})
    assert d.params == {"N": 4}
    d.check_params()
    with pytest.raises(DesignError, match="unknown parameter 'M' in --param"):
        load_design(DESIGN, params={"M": 1}).check_params()


def _code(text: str) -> tuple[A.Stmt, ...]:
    return parse_code(text, CodeRef("t.yaml", 1, 1))


def test_repeat_writes_its_block_out() -> None:
    (b,) = Expander({"N": 3}).stmts(_code("repeat (N) { x += 1; }"))
    assert isinstance(b, A.Block) and len(b.stmts) == 3
    (b,) = Expander({"N": 3}).stmts(_code("repeat (k: 2..N) { f(A[k], k); }"))
    args = [s.args for s in b.stmts]
    assert [(a.id, n.value) for a, n in args] == [("A[2]", 2), ("A[3]", 3)]
    (b,) = Expander({}).stmts(_code("repeat (0) { x += 1; }"))
    assert b.stmts == ()


def test_an_index_is_a_constant_of_parameters_and_indices() -> None:
    (s,) = Expander({"N": 3}).with_index("i", 2).stmts(_code("A[N - i + 1].f = i;"))
    assert s.target.obj.id == "A[2]" and s.value.value == 2
    with pytest.raises(DesignError, match="must be a constant"):
        Expander({}).stmts(_code("A[x.f] = 1;"))
    with pytest.raises(DesignError, match="unknown parameter 'M'"):
        Expander({"N": 1}).stmts(_code("repeat (M) { skip; }"))
    with pytest.raises(DesignError, match="cannot be named 'N'"):
        Expander({"N": 1}).stmts(_code("local N: bool;"))


def test_range_bounds_take_parameters() -> None:
    e = Expander({"N": 3})
    from flagcheck.tlamodel.ir import SourceLoc
    loc = SourceLoc("t.yaml", 1, 1)
    assert e.type_text("0..N", loc) == "0..3"
    assert e.type_text("-N..N+1", loc) == "-3..4"
    assert e.type_text("0..7", loc) == "0..7"
    assert e.type_text("set(task)", loc) == "set(task)"


def test_param_settings() -> None:
    assert parse_setting("N=5").values == (5,)
    assert parse_setting(" N = 1..3 ").values == (1, 2, 3)
    assert parse_setting("N=-2").values == (-2,)
    for bad, why in [("N", "NAME=VALUE"), ("N=x", "not a whole number"), ("N=3..1", "empty"),
                     ("N=1.5", "not a whole number"), ("1N=2", "NAME=VALUE"),
                     ("N=1..100000", "at most")]:
        with pytest.raises(DesignError, match=why):
            parse_setting(bad)
    runs = combinations([parse_setting("N=1..2"), parse_setting("M=5")])
    assert runs == [{"N": 1, "M": 5}, {"N": 2, "M": 5}]
    assert label(runs[1]) == "N=2 M=5"
    with pytest.raises(DesignError, match="twice"):
        combinations([parse_setting("N=1"), parse_setting("N=2")])


def test_the_tla_export_of_a_task_array_means_the_model() -> None:
    from tests.tlamodel.test_emit_tla import check_semantics
    check_semantics(reduce_model(model("workers", N=2)))


@pytest.mark.spin
def test_spin_agrees_on_a_task_array(tmp_path: Path) -> None:
    from tests.checker.test_spin_agreement import CC, SPIN, assert_agree, check_model
    if SPIN is None or CC is None:
        pytest.skip("needs `spin` and a C compiler")
    assert_agree(check_model(reduce_model(model("workers", N=2)), tmp_path))


def test_a_designs_bound_may_be_a_constant_of_its_parameters() -> None:
    assert load_design(FIXTURES / "bound.yaml").bound == 13
    assert load_design(FIXTURES / "bound.yaml", params={"B": 30}).bound == 40
