"""Flattening task and group fields into one variable per copy must never produce two
variables of one name: the loader refuses the names that could, and flat_vars names both
declarations if anything slips through (rather than the engine's internal error)."""
from __future__ import annotations

import pytest

from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.ir import SourceLoc
from flagcheck.tlamodel.records import VarSpec
from flagcheck.tlamodel.scope import build_scope, flat_vars


def test_a_global_that_flattens_onto_a_task_field_names_both_declarations() -> None:
    g = VarSpec("global", "T.n", "0..2", None, "", SourceLoc("d.yaml", 7, 5))
    t = VarSpec("task", "n", "0..2", None, "", SourceLoc("lib.yaml", 9, 5))
    scope = build_scope({}, {"T": "G"}, [], {"global/T.n": g, "task/n": t}, {}, {}, {}, None)
    with pytest.raises(DesignError) as e:
        flat_vars(scope)
    text = e.value.render()
    assert "two declarations flatten to the same variable 'T.n'" in text
    assert "global 'T.n' (declared at d.yaml:7:5)" in text
    assert "task field 'n' (declared at lib.yaml:9:5)" in text
