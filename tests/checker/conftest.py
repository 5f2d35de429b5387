"""Make the repository importable when pytest is run as ``.venv/bin/pytest``.

Why here: the project is not installed into the virtualenv and pytest's default import
mode only puts each test file's own directory on ``sys.path``, so ``import checker`` (and
``tests.checker.models``) would fail.  A repo-level conftest or ``pythonpath = ["."]`` in
pyproject.toml would make this file unnecessary.
"""
import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
