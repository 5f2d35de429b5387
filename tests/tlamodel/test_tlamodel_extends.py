"""extends / override by name, scenario skip:, design check: and expect:."""
from __future__ import annotations

from pathlib import Path

from flagcheck.pyspec.explicit import check
from flagcheck.tlamodel.spec import Expectation
from tests.tlamodel.tlm_util import actions_of, assert_at, design, design_error, finals, model


def test_library_behaviour_without_overrides():
    m = model("base_only.yaml", "use-lib")
    assert check(m, ["x_not_3"])["x_not_3"].status == "holds"
    assert {(f["x"], f["A.done"]) for f in finals(m)} == {(1, False)}
    assert len(actions_of(m, "A")) == 1           # act(); the if (allowed()) folds away


def test_design_overriding_a_define_and_a_procedure_changes_behaviour():
    d = design("override.yaml")
    assert [Path(p).name for p in d.merged.chain] == ["mini.yaml", "override.yaml"]
    m = d.model(d.scenarios[0])
    out = check(m, ["x_not_3"])["x_not_3"]
    assert (out.status, out.depth) == ("violated", 1)      # the new act(): x = 3
    assert {(f["x"], f["A.done"]) for f in finals(m)} == {(3, True)}   # allowed() is true now
    assert [a.info.text for a in actions_of(m, "A")] == ["x = 3;", "current.done = true;"]


def test_design_extending_a_design_overrides_again_and_inherits_the_rest():
    d = design("override2.yaml")
    assert [Path(p).name for p in d.merged.chain] == ["mini.yaml", "override.yaml",
                                                      "override2.yaml"]
    m = d.model(d.scenarios[0])
    assert check(m, ["x_not_3"])["x_not_3"].status == "holds"
    assert {(f["x"], f["A.done"]) for f in finals(m)} == {(2, True)}


def test_extends_cycle_is_an_error():
    err = design_error("errors/cycle_a.yaml")
    assert_at(err, "cycle_a.yaml", 2, 1, "'extends' cycle")
    assert "cycle_a.yaml -> cycle_b.yaml -> cycle_a.yaml" in err.message


def test_missing_extends_file():
    err = design_error("errors/missing_extends.yaml")
    assert_at(err, "missing_extends.yaml", 5, 5, "extends file 'lib/linux-bse.yaml' not found")
    assert "searched" in err.hint


def test_scenario_skip_removes_the_property_and_keeps_the_reason():
    d = design("base_only.yaml")
    scen = d.scenario("skip-deadlock")
    assert d.skipped(scen) == {"no_deadlock": "W waits for a flag nobody sets, on purpose"}
    m = d.model(scen)
    assert [p.name for p in m.properties] == ["x_not_3", "assertions"]
    # without the skip, the other scenario of the same design checks both properties
    assert [p.name for p in d.model(d.scenario("use-lib")).properties] == [
        "x_not_3", "no_deadlock", "assertions"]


def test_skip_of_an_unknown_property_suggests_the_name():
    err = design_error("errors/skip_unknown.yaml")
    assert_at(err, "skip_unknown_scen.yaml", 8, 3, "skip: unknown property 'no_deadlck'")
    assert err.hint == "did you mean 'no_deadlock'?"


def test_check_list_selects_properties():
    d = design("checks.yaml")
    assert d.checked_properties() == ["x_not_3", "assertions"]
    assert d.bound == 12
    m = d.model(d.scenario("use-lib"))
    assert [p.name for p in m.properties] == ["x_not_3", "assertions"]


def test_properties_short_form_is_a_check_list():
    d = design("short_form.yaml")
    assert d.checked_properties() == ["no_deadlock"]
    assert [p.name for p in d.model(d.scenarios[0]).properties] == ["no_deadlock", "assertions"]


def test_check_list_with_an_unknown_property():
    err = design_error("errors/check_unknown.yaml")
    assert_at(err, "check_unknown.yaml", 7, 9, "unknown property 'no_deadlok'")
    assert err.hint == "did you mean 'no_deadlock'?"


def test_expect_parsing_with_depths():
    d = design("checks.yaml")
    got = [(e.scenario, e.prop, e.verdict, e.depth, e.loc.line) for e in d.expect]
    assert got == [
        ("use-lib", "x_not_3", "holds", None, 10),
        ("skip-deadlock", "x_not_3", "violated", 1, 11),
        ("skip-deadlock", "assertions", "violated", None, 11),
    ]
    assert all(isinstance(e, Expectation) for e in d.expect)
    # the recorded expectation agrees with the engine
    out = check(d.model(d.scenario("skip-deadlock")))["x_not_3"]
    assert (out.status, out.depth) == ("violated", 1)


def test_expect_with_an_unknown_property_suggests_the_name():
    err = design_error("errors/expect_unknown_prop.yaml")
    # the caret is on the entry (the verdict today; the property name would be as good)
    assert_at(err, "expect_unknown_prop.yaml", 8, (29, 41), "expect: unknown property 'no_dedlock'")
    assert err.hint == "did you mean 'no_deadlock'?"


def test_expect_with_a_bad_verdict():
    err = design_error("errors/expect_bad_verdict.yaml")
    assert_at(err, "expect_bad_verdict.yaml", 8, 22, "bad expected verdict 'holds@3'")
    assert "violated@N" in err.hint
