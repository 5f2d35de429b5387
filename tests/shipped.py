"""The shipped designs × their scenarios, as pytest parameters: what the tests that compare
engines or searches on every shipped pair are parametrised with."""
from __future__ import annotations

import functools
from pathlib import Path

import pytest

from flagcheck.tlamodel.load import Design, load_design

SPECS = Path(__file__).resolve().parents[1] / "specs"


def shipped_pairs() -> list:  # noqa: ANN201 - pytest params
    """``(design path, scenario name)`` for every scenario of every specs/*.yaml design."""
    out = []
    for path in sorted(SPECS.glob("*.yaml")):
        d = cached_design(path)
        out += [pytest.param(path, s.name, id=f"{path.stem}::{s.name}") for s in d.scenarios]
    return out


def cached_design(path: Path | str) -> Design:
    """``load_design(path)``, read once per test process.  Why: a design takes 0.2-0.3 s to
    read, and the tests that loop over every shipped pair (about 1,300 of them) or every
    litmus test read the same 13 designs again and again.  The tests only read a design
    (its scenarios' models are built afresh), never change it."""
    return _design(Path(path).resolve())


@functools.lru_cache(maxsize=None)
def _design(path: Path) -> Design:
    return load_design(path)
