"""Error messages a design author sees: file:line:col, the source line, a caret, a hint."""
from __future__ import annotations

import pytest

from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.load import load_design
from tests.tlamodel.tlm_util import FIX, assert_at, design_error


@pytest.mark.parametrize("fixture, line, col, phrase, hint", [
    ("unknown_var.yaml", 7, 9, "unknown name 'flga'", "did you mean 'flag'?"),
    ("unknown_proc.yaml", 6, 14, "unknown procedure 'incrr'", "did you mean 'incr'?"),
    ("arity.yaml", 7, 7, "incr() takes 0 argument(s), got 1", "incr()"),
    ("define_arity.yaml", 5, 19, "is_one() takes 1 argument(s), got 2", "is_one(v)"),
    ("type_assign.yaml", 7, 5, "type mismatch: cannot assign bool to int variable", ""),
    ("type_cond.yaml", 6, 12, "type mismatch: a condition must be bool, found int", ""),
    ("set_elem.yaml", 6, 20, "type mismatch: a set(color) cannot hold a task", ""),
    ("say_whose.yaml", 7, 5, "'cnt' is a per-task variable; say whose", "current.cnt"),
    ("say_whose_group.yaml", 5, 11, "'gsum' is a per-group variable; say whose",
     "current.group.gsum"),
    ("recursion.yaml", 11, 7, "recursive call: ping -> pong -> ping", "recursion is not allowed"),
    ("while_atomic.yaml", 8, 7, "a while loop inside atomic { } is not supported", "move the loop"),
    ("current_in_property.yaml", 5, 19, "'current' is only meaningful in code that a task runs",
     "take the task as a parameter"),
    ("goto_unknown.yaml", 7, 17, "unknown label 'finsh'", "did you mean 'finish'?"),
    ("unknown_key.yaml", 6, 1, "unknown key 'scenarioz' in a design file",
     "did you mean 'scenarios'?"),
    ("wrong_kind_key.yaml", 4, 1, "unknown key 'tasks' in a design file",
     "belongs in a scenario file"),
    ("no_version.yaml", 2, 1, "missing 'flagcheck: 1'", ""),
    ("dup_key.yaml", 7, 3, "YAML error: duplicate key: \"main()\"", ""),
    ("tab_indent.yaml", 5, 1, "YAML error: found character '\\t'", ""),
    ("empty.yaml", 1, 1, "is empty; expected a flagcheck design", ""),
    ("break_outside.yaml", 7, 21, "'break' outside a while loop", ""),
    ("goto_into_atomic.yaml", 6, 5, "cannot jump into the atomic block at 'inside'", ""),
    ("dup_label.yaml", 7, 17, "label 'again' is defined twice", ""),
])
def test_error_location_message_and_hint(fixture, line, col, phrase, hint):
    err = design_error(f"errors/{fixture}")
    if fixture == "empty.yaml":       # nothing to quote
        assert err.loc is not None and (err.loc.line, err.loc.col) == (1, 1)
        assert err.render().splitlines()[0].endswith(f"empty.yaml:1:1: error: {err.message}")
        assert phrase in err.message
        return
    assert_at(err, fixture, line, col, phrase)
    assert hint in err.hint
    if hint:
        assert err.render().splitlines()[-1] == f"  hint: {err.hint}"


def test_init_value_out_of_range():
    err = design_error("errors/init_range.yaml")
    # y: {type: 0..3, init: 5} -- line 6; the caret is on the declaration (type or init value)
    assert_at(err, "init_range.yaml", 6, (15, 27), "y: initial value 5 is outside 0..3")


def test_binary_garbage_is_not_utf8(tmp_path):
    f = tmp_path / "garbage.yaml"
    f.write_bytes(b"flagcheck: 1\n\xff\xfe\x00\x81design: x\n")
    with pytest.raises(DesignError) as info:
        load_design(f)
    assert_at(info.value, "garbage.yaml", 1, 1, "is not UTF-8 text (byte 13)")


def test_nul_bytes_are_rejected(tmp_path):
    f = tmp_path / "nul.yaml"
    f.write_bytes(b"flagcheck: 1\ndesign: x\x00\x00\n")
    with pytest.raises(DesignError) as info:
        load_design(f)
    assert "contains NUL bytes; is it a binary file?" in info.value.message
    assert (info.value.loc.line, info.value.loc.col) == (1, 1)


def test_top_level_list_is_rejected(tmp_path):
    f = tmp_path / "list.yaml"
    f.write_text("- flagcheck: 1\n- design: x\n")
    with pytest.raises(DesignError) as info:
        load_design(f)
    assert "expected a mapping at the top level" in info.value.message


def test_scenario_file_is_not_a_design():
    with pytest.raises(DesignError) as info:
        load_design(FIX / "errors/one.yaml")
    assert_at(info.value, "one.yaml", 2, 1, "is a scenario; verify a design that lists it")
    assert "--scenario" in info.value.hint


def test_procedure_errors_name_the_file_the_code_is_in():
    # the library's incr() is fine; the error is in the design that extends it
    err = design_error("errors/unknown_proc.yaml")
    assert err.loc.file.endswith("errors/unknown_proc.yaml")
    assert str(err) == err.render()


def test_task_init_of_an_unknown_field():
    err = design_error("errors/task_init_unknown.yaml")
    assert_at(err, "task_init_unknown_scen.yaml", 4, 24, "task T: no per-task variable 'cnnt'")
    assert err.hint == "did you mean 'cnt'?"


def test_run_code_for_an_undeclared_task():
    err = design_error("errors/run_unknown_task.yaml")
    assert_at(err, "run_unknown_task_scen.yaml", 7, 3, "run: unknown task 'Ty'")
    assert err.hint == "declare it under tasks:"
