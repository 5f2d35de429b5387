"""The shipped designs × their scenarios, as pytest parameters: what the tests that compare
engines or searches on every shipped pair are parametrised with."""
from __future__ import annotations

from pathlib import Path

import pytest

from flagcheck.tlamodel.load import load_design

SPECS = Path(__file__).resolve().parents[1] / "specs"


def shipped_pairs() -> list:  # noqa: ANN201 - pytest params
    """``(design path, scenario name)`` for every scenario of every specs/*.yaml design."""
    out = []
    for path in sorted(SPECS.glob("*.yaml")):
        d = load_design(path)
        out += [pytest.param(path, s.name, id=f"{path.stem}::{s.name}") for s in d.scenarios]
    return out
