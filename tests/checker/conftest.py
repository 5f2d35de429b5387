"""Fixtures shared by the checker tests."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def at_repo_root() -> Iterator[None]:
    """Run from the repository root: reports show design paths relative to the working
    directory, and the tests compare them with paths like ``specs/…``."""
    old = os.getcwd()
    os.chdir(ROOT)
    yield
    os.chdir(old)
