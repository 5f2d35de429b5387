"""The bad-input corpus (tests/bad_inputs/): every file gets a clear error, exit 2, no
traceback, and the error points at the right line of the right file."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from click.testing import CliRunner

from flagcheck.checker.cli.main import main

CORPUS = Path(__file__).resolve().parents[1] / "bad_inputs"
INDEX: dict[str, dict] = dict(YAML(typ="safe").load((CORPUS / "index.yaml").read_text()))


def test_the_corpus_is_big_enough() -> None:
    files = {p.name for p in CORPUS.glob("*.yaml")} - {"index.yaml"}
    assert files == set(INDEX)
    assert len(files) >= 50


#: corpus files that take seconds each (the nesting-depth guard works through a deep document)
SLOW_INPUTS = {"deep-yaml.yaml"}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW_INPUTS
                                  else n for n in sorted(INDEX)])
def test_bad_input_gives_a_located_error(name: str) -> None:
    want = INDEX[name]
    path = CORPUS / name
    r = CliRunner().invoke(main, ["verify", str(path), "--engine", "explicit"])
    out = r.output
    assert r.exit_code == 2, out
    assert "Traceback" not in out and "internal error" not in out, out
    assert want["message"] in out, out
    assert "error:" in out
    if want["line"] is not None:
        assert f"{path}:{want['line']}:" in out or f"{name}:{want['line']}:" in out, out


def test_unknown_names_come_with_a_suggestion() -> None:
    r = CliRunner().invoke(main, ["verify", str(CORPUS / "unknown-variable.yaml")])
    assert "did you mean 'flag'?" in r.output
    r = CliRunner().invoke(main, ["verify", str(CORPUS / "misspelt-override.yaml")])
    assert "did you mean 'is_on'?" in r.output


def test_errors_quote_the_line_with_a_caret() -> None:
    r = CliRunner().invoke(main, ["verify", str(CORPUS / "unknown-task-field.yaml")])
    lines = r.output.splitlines()
    i = next(k for k, ln in enumerate(lines) if "current.nn = 1;" in ln)
    assert lines[i + 1].strip() == "^"
    assert lines[i + 1].index("^") == lines[i].index("nn")


@pytest.mark.slow
def test_real_process_on_every_corpus_file_prints_no_traceback() -> None:
    """One interpreter, the real entry point, every file: what CI's users would see."""
    code = (
        "import sys, subprocess\n"
        "from flagcheck.checker.cli.main import main\n"
        "bad = []\n"
        "for f in sys.argv[1:]:\n"
        "    try:\n"
        "        main(['verify', f, '--engine', 'explicit'], standalone_mode=True)\n"
        "    except SystemExit as e:\n"
        "        if e.code != 2: bad.append((f, e.code))\n"
        "print('BAD', bad)\n")
    files = [str(CORPUS / n) for n in sorted(INDEX)]
    p = subprocess.run([sys.executable, "-c", code, *files], capture_output=True, text=True,
                       timeout=300)
    assert "Traceback" not in p.stderr and "Traceback" not in p.stdout
    assert "BAD []" in p.stdout, p.stdout[-2000:]
