"""Random and mutated design text: only a clean verdict or a clean error, never a crash.

The loader, the model builder, the explicit engine and the CLI are all exercised; any
exception other than a DesignError (or a clean exit 0/1/2/3 from the CLI) fails the test.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.budget import examples

from flagcheck.checker.cli.main import main
from flagcheck.pyspec import explicit
from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.load import load_design

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "bad_inputs"
HEAD = ("flagcheck: 1\ndesign: fuzz\nextends: _support/lib.yaml\n"
        "scenarios: [_support/scenario.yaml]\nprocedures:\n  probe(): |\n")
VALID_CODE = [
    "x = 1;", "atomic { if (flag) { x += 1; } else { flag = true; } }",
    "while (x < 2) { x += 1; }", "choose t in task where t.on { t.n = 1; } else { skip; }",
    "either { flag = true; } or { x = 2; }", "await (flag || x == 0);\nx = 1;",
    "L: x = 1;\nif (x == 1) { goto M; }\nM: skip;",
    "current.group.shared = current.group.shared + {SIGUSR1};", "assert(x < 3);",
    "bump(T);\nbump(U);", "flag = forall t in task: t.n < 2 => is_on(t);",
    "x = flag ? 2 : 1;", "if (SIGUSR1 in current.group.shared) { x = 3; }",
]
SEEDS = [HEAD + "".join(f"    {ln}\n" for ln in code.splitlines()) for code in VALID_CODE]
SEEDS += [p.read_text(errors="replace") for p in sorted(CORPUS.glob("*.yaml"))
          if p.name != "index.yaml" and p.stat().st_size < 4000][:20]
TOKENS = ["{", "}", "(", ")", ";", ":", "=", "==", "!", "&&", "||", "+=", "in", "\t", "\n", "  ",
          "'", '"', "*a", "&a", "- ", "[", "]", "atomic", "await", "while", "if", "else", "goto",
          "current", "T", "SIGUSR1", "task", "0..3", "set(signal)", "true", "x", "99999999999",
          "\x00", "é", "#", "|", ">", "...", "@", "?"]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["code", "code", "code", "insert", "delete", "dup", "swap",
                                     "replace"]))
        n = len(text)
        i = draw(st.integers(0, n))
        start = text.find("probe(): |\n")
        if kind == "code" and start >= 0:   # mutate inside the C-like code, keep the YAML valid
            j = draw(st.integers(min(start + 16, n), n))
            tok = draw(st.sampled_from([t for t in TOKENS if t not in ("\t", "\n", "'", '"', "#",
                                                                       "|", ">", "\x00")]))
            text = text[:j] + tok + text[j:]
        elif kind == "insert":
            text = text[:i] + draw(st.sampled_from(TOKENS)) + text[i:]
        elif kind == "delete":
            text = text[:i] + text[i + draw(st.integers(1, 8)):]
        elif kind == "replace":
            text = text[:i] + draw(st.text(max_size=6)) + text[i + 1:]
        else:
            lines = text.splitlines(keepends=True)
            if len(lines) > 1:
                a, b = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
                if kind == "dup":
                    lines.insert(b, lines[a])
                else:
                    lines[a], lines[b] = lines[b], lines[a]
                text = "".join(lines)
    return text


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(CORPUS / "_support", d / "_support")
    return d


def _load_and_check(path: Path) -> None:
    try:
        design = load_design(path)
        for scen in design.scenarios:
            explicit.check(design.model(scen), max_states=300)
    except DesignError as e:
        assert e.render()       # renders without raising


@pytest.mark.slow
@settings(max_examples=examples(1000), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.one_of(mutated(), st.text(max_size=200)))
def test_loader_never_crashes(workdir: Path, text: str) -> None:
    path = workdir / "fuzz.yaml"
    path.write_bytes(text.encode("utf-8", errors="surrogateescape"))
    _load_and_check(path)


@pytest.mark.slow
@settings(max_examples=examples(150), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(mutated())
def test_cli_never_crashes(workdir: Path, text: str) -> None:
    path = workdir / "fuzz_cli.yaml"
    path.write_bytes(text.encode("utf-8", errors="surrogateescape"))
    r = CliRunner().invoke(main, ["verify", str(path), "--engine", "explicit", "--max-states",
                                  "300", "-q"])
    assert r.exit_code in (0, 1, 2, 3), r.output
    assert "Traceback" not in r.output and "internal error" not in r.output, r.output
    if r.exception is not None:
        assert isinstance(r.exception, SystemExit), repr(r.exception)
