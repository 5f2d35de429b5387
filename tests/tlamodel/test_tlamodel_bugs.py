"""Front-end bugs found while writing these tests, pinned as strict xfails.

Each test states the behaviour the design language promises; when the bug is fixed the
test starts passing and the strict xfail turns the run red, so the marker gets removed.
"""
from __future__ import annotations

import pytest

from flagcheck.pyspec.explicit import check
from flagcheck.tlamodel.errors import DesignError
from tests.tlamodel.tlm_util import actions_of, assert_at, design, design_error, finals


def test_return_from_procedure_inlined_in_atomic():
    d = design("sem.yaml")
    m = d.model(d.scenario("return-atomic"))
    # return ends early_cnt(), not the atomic block: cnt += 2 still runs
    assert {(f["Q1.cnt"], f["Q0.cnt"]) for f in finals(m)} == {(2, 3)}


@pytest.mark.parametrize("fixture, line, col, name", [
    ("reserved_pc.yaml", 7, 9, "pc"),
    ("reserved_error_var.yaml", 7, 14, "__error"),
])
def test_internal_variable_names_are_reserved(fixture, line, col, name):
    with pytest.raises(DesignError) as info:
        d = design(f"errors/{fixture}")
        m = d.model(d.scenarios[0])
        check(m)                      # today: ValueError "duplicate variable names"
    assert_at(info.value, fixture, line, col, name)


def test_task_field_named_group_is_rejected():
    err = design_error("errors/reserved_group_field.yaml")
    assert_at(err, "reserved_group_field.yaml", 8, 12, "group")


def test_property_declared_in_a_scenario_is_checked_or_rejected():
    d = design("errors/scenario_property.yaml")
    try:
        m = d.model(d.scenarios[0])
    except DesignError:
        return                        # rejecting the key is fine too
    assert "x_stays_0" in [p.name for p in m.properties]
    assert check(m)["x_stays_0"].status == "violated"


@pytest.mark.parametrize("fixture", ["folded_position.yaml", "plain_multiline_position.yaml"])
def test_error_on_continuation_line_of_folded_scalar(fixture):
    err = design_error(f"errors/{fixture}")
    if fixture.startswith("folded"):   # '>' blocks are re-read line by line from the file
        assert_at(err, fixture, 8, 5, "unknown name 'flga'")
    else:                              # multi-line plain scalars are refused: use '|'
        assert_at(err, fixture, 6, 11, "must be a '|' block")


def test_tab_indentation_error_has_a_hint():
    err = design_error("errors/tab_indent.yaml")
    assert "use spaces, not tabs" in err.hint


def test_init_value_out_of_range_points_at_the_value():
    err = design_error("errors/init_range.yaml")
    assert_at(err, "init_range.yaml", 6, 27, "initial value 5 is outside 0..3")


def test_empty_loop_error_has_a_location():
    err = design_error("errors/empty_loop.yaml")
    assert_at(err, "empty_loop.yaml", 7, 5, "loop of jumps")


def test_expect_violated_at_without_depth_is_an_error():
    err = design_error("errors/expect_empty_depth.yaml")
    assert_at(err, "expect_empty_depth.yaml", 8, 22, "bad expected verdict 'violated@'")


def test_expect_unknown_property_points_at_the_name():
    err = design_error("errors/expect_unknown_prop.yaml")
    assert_at(err, "expect_unknown_prop.yaml", 8, 29, "expect: unknown property 'no_dedlock'")
