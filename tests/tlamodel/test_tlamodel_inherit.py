"""A design that extends another design inherits its scenarios and expectations:
own scenarios are added (same name replaces), drop_scenarios: removes, expect: merges per
(scenario, property) with the derived design's entry winning."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from flagcheck.checker.cli.main import main
from flagcheck.pyspec.explicit import check
from tests.tlamodel.tlm_util import FIX, assert_at, design, design_error

INH = FIX / "inherit"


def scenario_files(rel: str) -> list[tuple[str, str]]:
    """(name, file relative to the inherit fixtures) of each scenario of the design."""
    return [(s.name, Path(s.path).resolve().relative_to(INH).as_posix())
            for s in design(f"inherit/{rel}").scenarios]


def expectations(rel: str) -> list[tuple[str, str, str, int | None, str]]:
    return [(e.scenario, e.prop, e.verdict, e.depth, Path(e.loc.file).name)
            for e in design(f"inherit/{rel}").expect]


def test_a_design_without_scenarios_inherits_its_base_scenarios_and_expectations():
    # the base's relative paths resolve against the base's folder, not the derived design's
    # (inherit/scenarios/one.yaml, a decoy named decoy-one, is not picked up)
    assert scenario_files("derived.yaml") == [("one", "base/scenarios/one.yaml"),
                                              ("two", "base/scenarios/two.yaml"),
                                              ("three", "base/scenarios/three.yaml")]
    assert expectations("derived.yaml") == [
        ("one", "x_not_3", "holds", None, "base.yaml"),
        ("one", "no_deadlock", "holds", None, "base.yaml"),
        ("two", "x_not_3", "violated", 1, "base.yaml"),
        ("three", "x_not_3", "holds", None, "base.yaml"),
    ]
    d = design("inherit/derived.yaml")
    two = d.scenario("two")                     # an inherited scenario by name
    assert d.expected(two)["x_not_3"].depth == 1
    out = check(d.model(two), ["x_not_3"])["x_not_3"]
    assert (out.status, out.depth) == ("violated", 1)   # the inherited expectation is right


def test_own_scenario_replaces_by_name_drop_removes_and_own_expectations_win():
    assert scenario_files("override.yaml") == [("one", "base/scenarios/one.yaml"),
                                               ("two", "scenarios/two.yaml")]
    assert expectations("override.yaml") == [
        ("one", "x_not_3", "violated", 1, "override.yaml"),    # own entry wins
        ("one", "no_deadlock", "holds", None, "base.yaml"),    # the rest is inherited
        ("two", "x_not_3", "holds", None, "override.yaml"),
    ]                                           # three was dropped, with its expectation
    d = design("inherit/override.yaml")
    for s in d.scenarios:
        out = check(d.model(s), ["x_not_3"])["x_not_3"]
        want = d.expected(s)["x_not_3"]
        assert (out.status, out.depth if out.status == "violated" else None) == (
            want.verdict, want.depth), s.name


def test_inheritance_is_transitive():
    assert scenario_files("chain.yaml") == scenario_files("override.yaml")
    assert expectations("chain.yaml") == expectations("override.yaml")


def test_a_scenario_file_the_design_does_not_list_has_no_expectations():
    d = design("inherit/derived.yaml")
    other = d.scenario(str(INH / "scenarios" / "two.yaml"))   # named "two", another file
    assert other.name == "two" and other not in d.scenarios
    assert d.expected(other) == {}
    assert d.expected(d.scenario("two"))["x_not_3"].verdict == "violated"


def test_drop_of_an_unknown_scenario_is_located_and_suggests_the_name():
    err = design_error("inherit/drop_unknown.yaml")
    assert_at(err, "drop_unknown.yaml", 6, 5, "drop_scenarios: design inh-drop-unknown "
                                              "inherits no scenario 'thre'")
    assert err.hint == "did you mean 'three'?"


def test_drop_when_only_a_library_is_extended():
    err = design_error("inherit/base/drop_from_library.yaml")
    assert_at(err, "drop_from_library.yaml", 5, 18, "inherits no scenario 'one'")
    assert "inherits none" in err.hint


def test_drop_scenarios_must_be_a_list_of_names():
    err = design_error("inherit/drop_not_list.yaml")
    assert_at(err, "drop_not_list.yaml", 4, 17,
              "'drop_scenarios' must be a list of scenario names, found a single name")
    assert err.hint == "write 'drop_scenarios: [three]'"


def test_an_expectation_of_a_dropped_scenario_says_so():
    err = design_error("inherit/drop_then_expect.yaml")
    assert_at(err, "drop_then_expect.yaml", 6, 20, "expect: unknown scenario 'three'")
    assert "drop_scenarios" in err.hint


def test_unknown_drop_exits_2_with_the_location():
    path = INH / "drop_unknown.yaml"
    r = CliRunner().invoke(main, ["verify", str(path)])
    assert r.exit_code == 2, r.output
    assert f"{path}:6:5: error: drop_scenarios: design inh-drop-unknown inherits no " \
           "scenario 'thre'" in r.output, r.output
    assert "did you mean 'three'?" in r.output
    assert "Traceback" not in r.output
