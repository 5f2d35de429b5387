"""The report renderers (checker/formats) on real verify runs.

One run of the RFC v2 design on Oleg's scenario (a real, replayed counterexample) and one
of the deliberately vacuous fixture feed every renderer; each test parses what a renderer
wrote (JSON, XML, HTML) and checks it against the verdicts, never against a golden file.
"""
from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest

from flagcheck.checker import coverage
from flagcheck.checker.report import facts
from flagcheck.checker.report import FORMATS, Report, itf, render, report_of
from flagcheck.checker.report import json as jsonfmt
from flagcheck.checker.report import sarif as sariffmt
from flagcheck.checker.verify import Options, verify
from flagcheck.checker.verdict import exit_code
from flagcheck.pyspec.replay import check_violation
from flagcheck.tlamodel.ir import BOOL, EnumType, IntType, SetType
from flagcheck.tlamodel.load import load_design

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "cli" / "fixtures_formats"
RFC_V2 = "specs/rfc-v2-tif-taskwork.yaml"


pytestmark = pytest.mark.usefixtures("at_repo_root")


@pytest.fixture(scope="module")
def rfc_report(at_repo_root: None) -> Report:
    d = load_design(RFC_V2)
    # the safety properties: one counterexample, the lost signal (the liveness property
    # signals_delivered is violated too, by a lasso; test_lasso_report covers lassos)
    vs = verify(d, ("oleg-lost-signal",), ("no_lost_signal", "no_deadlock", "assertions"),
                Options(engine="explicit"))
    cov = coverage.of_run(d, vs, "explicit")
    return report_of(d, vs, "header", cov, exit_code(vs))


@pytest.fixture(scope="module")
def vacuous_report(at_repo_root: None) -> Report:
    d = load_design(FIXTURES.relative_to(ROOT) / "vacuous.yaml")
    vs = verify(d, (), (), Options(engine="explicit"))
    cov = coverage.of_run(d, vs, "explicit")
    return report_of(d, vs, "header", cov, exit_code(vs))


@pytest.fixture(scope="module")
def unknown_report(at_repo_root: None) -> Report:
    d = load_design(RFC_V2)
    vs = verify(d, ("oleg-on-cpu",), (), Options(engine="explicit", max_states=10))
    return report_of(d, vs, "header", [], exit_code(vs))


def _violated(report: Report):
    return [v for v in report.verdicts if v.status == "violated"]


def report_schema() -> dict:
    """The JSON Schema published in docs/trace-format.md (the doc is the contract)."""
    text = (ROOT / "docs" / "trace-format.md").read_text()
    section = text[text.index("### JSON Schema of `flagcheck-report` version 1"):]
    block = re.search(r"```json\n(.*?)\n```", section, re.S)
    assert block is not None
    return json.loads(block.group(1))


# ------------------------------------------------------------------ ITF values
@pytest.mark.parametrize("ty, value, encoded", [
    (BOOL, True, True),
    (BOOL, False, False),
    (IntType(0, 2), 2, 2),
    (IntType(-(2 ** 60), 2 ** 60), 2 ** 60, {"#bigint": str(2 ** 60)}),
    (EnumType("run_state", ("RUNNING", "INTERRUPTIBLE")), 1, "INTERRUPTIBLE"),
    (SetType(EnumType("signal", ("SIGUSR1", "SIGUSR2", "SIGKILL"))), 0b101, {"#set": ["SIGUSR1", "SIGKILL"]}),
    (SetType(EnumType("signal", ("SIGUSR1",))), 0, {"#set": []}),
])
def test_itf_values_round_trip(ty, value, encoded) -> None:  # noqa: ANN001
    assert itf.encode_value(ty, value) == encoded
    assert itf.decode_value("x", ty, encoded) == value


@pytest.mark.parametrize("ty, bad, why", [
    (BOOL, 1, "expected true/false"),
    (IntType(0, 2), 3, "outside 0..2"),
    (IntType(0, 2), True, "expected an integer"),
    (EnumType("e", ("A", "B")), "C", "'C' is not one of A, B"),
    (SetType(EnumType("s", ("X",))), {"#set": ["Y"]}, "set member"),
    (SetType(EnumType("s", ("X",))), ["X"], "#set"),
])
def test_itf_decode_names_the_mismatch(ty, bad, why) -> None:  # noqa: ANN001
    with pytest.raises(itf.Mismatch, match=re.escape(why)):
        itf.decode_value("T.x", ty, bad)


# ------------------------------------------------------------------ JSON
def test_json_report_matches_the_published_schema(rfc_report: Report, vacuous_report: Report,
                                                  unknown_report: Report) -> None:
    schema = report_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    val = jsonschema.Draft7Validator(schema)
    for rep in (rfc_report, vacuous_report, unknown_report):
        doc = json.loads(render("json", rep))
        val.validate(doc)
    # the schema is not vacuous either: it rejects a value ITF does not have, a verdict
    # without its counterexample, and an unknown status
    doc = json.loads(render("json", rfc_report))
    bad = [copy.deepcopy(doc) for _ in range(3)]
    bad[0]["verdicts"][0]["counterexample"]["states"][1]["T.on_cpu"] = [1]
    bad[1]["verdicts"][0]["counterexample"] = None
    bad[2]["verdicts"][1]["status"] = "fine"
    assert doc["verdicts"][0]["status"] == "violated"
    for b in bad:
        assert list(val.iter_errors(b))


def test_json_report_says_what_the_verdicts_say(rfc_report: Report) -> None:
    doc = json.loads(render("json", rfc_report))
    assert doc["format"] == "flagcheck-report" and doc["version"] == 1
    assert doc["design"] == {"name": "rfc-v2-tif-taskwork", "file": RFC_V2}
    assert doc["exit_code"] == 1
    got = {(x["scenario"], x["property"]): x for x in doc["verdicts"]}
    assert set(got) == {(v.scenario, v.property) for v in rfc_report.verdicts}
    for v in rfc_report.verdicts:
        x = got[(v.scenario, v.property)]
        assert (x["status"], x["word"]) == (v.status, v.word())
        assert (x["counterexample"] is not None) == (v.status == "violated")
    bad = got[("oleg-lost-signal", "no_lost_signal")]
    assert bad["expected"] == {"verdict": "violated", "depth": None}
    assert bad["expectation_met"] is True
    assert got[("oleg-lost-signal", "no_deadlock")]["status"] == "skipped"
    assert "pause()" in got[("oleg-lost-signal", "no_deadlock")]["reason"]


def test_itf_trace_encodes_every_state_and_step(rfc_report: Report) -> None:
    (v,) = _violated(rfc_report)
    model, trace = v.model, v.outcome.trace
    doc = itf.encode_trace(model, v, RFC_V2)
    assert doc["vars"] == [d.name for d in model.vars]
    assert len(doc["states"]) == trace.length + 1
    rows = facts.steps(model, trace)
    for i, st in enumerate(doc["states"]):
        assert st["#meta"]["index"] == i
        assert set(st) - {"#meta"} == set(doc["vars"])
        if i:
            m, r = st["#meta"], rows[i - 1]
            assert m["action"] == trace.actions[i - 1]
            assert (m["task"], m["text"], m["stack"]) == (r.task, r.text, list(r.stack))
            assert m["changed"] == [c.var for c in r.changes]
    # the signal arrives at some step and stays queued: {"#set": ["SIGUSR1"]} at the end
    assert doc["states"][0]["T.pending"] == {"#set": []}
    assert doc["states"][-1]["T.pending"] == {"#set": ["SIGUSR1"]}
    assert doc["states"][-1]["T.state"] == "INTERRUPTIBLE"
    assert doc["states"][-1]["T.on_cpu"] is False
    # and it decodes back to the very same run, which still violates the property
    back = itf.decode_trace(model, json.loads(json.dumps(doc)))
    assert back == trace
    check_violation(model, back, v.property)


def test_json_is_deterministic(rfc_report: Report, at_repo_root: None) -> None:
    d = load_design(RFC_V2)
    again = verify(d, ("oleg-lost-signal",), ("no_lost_signal", "no_deadlock", "assertions"),
                   Options(engine="explicit"))
    other = report_of(d, again, "header", coverage.of_run(d, again, "explicit"), exit_code(again))

    def no_seconds(text: str) -> str:
        return re.sub(r'"seconds": [0-9.]+', '"seconds": 0', text)
    assert no_seconds(render("json", other)) == no_seconds(render("json", rfc_report))
    text = render("json", rfc_report)
    doc = json.loads(text)
    assert text == json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_decode_rejects_a_changed_statement(rfc_report: Report) -> None:
    (v,) = _violated(rfc_report)
    doc = itf.encode_trace(v.model, v, RFC_V2)
    edited = copy.deepcopy(doc)
    edited["states"][3]["#meta"]["text"] = "something else;"
    with pytest.raises(itf.Mismatch, match=r"step 3: action \d+ is now"):
        itf.decode_trace(v.model, edited)
    edited = copy.deepcopy(doc)
    del edited["states"][2]["#meta"]["action"]
    with pytest.raises(itf.BadTrace, match="state 2"):
        itf.decode_trace(v.model, edited)


# ------------------------------------------------------------------ Markdown
def test_markdown_is_a_pr_comment_with_a_step_table_per_counterexample(rfc_report: Report) -> None:
    md = render("markdown", rfc_report)
    (v,) = _violated(rfc_report)
    trace, model = v.outcome.trace, v.model
    lines = md.splitlines()
    assert lines[0].startswith("### flagcheck: design `rfc-v2-tif-taskwork`")
    verdict_rows = [ln for ln in lines if ln.startswith("| oleg-lost-signal |")]
    assert len(verdict_rows) == len(rfc_report.verdicts)
    assert md.count("<details") == md.count("</details>")
    start = md.index("<summary><b>no_lost_signal</b> violated")
    block = md[start:md.index("</details>", start)]
    header = next(ln for ln in block.splitlines() if ln.startswith("| # |"))
    assert header == "| # | " + " | ".join(model.tasks) + " | changed |"
    steps = [ln for ln in block.splitlines() if re.match(r"^\| \d+ \|", ln)]
    assert len(steps) == trace.length
    rows = facts.steps(model, trace)
    for ln, r in zip(steps, rows):
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", ln)[1:-1]]
        assert len(cells) == len(model.tasks) + 2
        col = 1 + list(model.tasks).index(r.task)
        assert cells[col], f"step {r.number}: nothing in the column of {r.task}"
        assert all(not c for i, c in enumerate(cells[1:-1], start=1) if i != col)
        for c in r.changes:
            assert f"<b>{c.var}</b>" in cells[-1]
    assert "<b>T.pending</b>: {} → {SIGUSR1}" in block


# ------------------------------------------------------------------ SARIF
def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text())
    return jsonschema.Draft4Validator(schema)


def test_sarif_validates_against_the_official_schema(rfc_report: Report, vacuous_report: Report,
                                                     unknown_report: Report) -> None:
    val = sarif_validator()
    for rep in (rfc_report, vacuous_report, unknown_report):
        doc = json.loads(render("sarif", rep))
        errors = sorted(val.iter_errors(doc), key=lambda e: list(e.path))
        assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    broken = json.loads(render("sarif", rfc_report))
    broken["runs"][0]["results"][0]["level"] = "fatal"
    assert list(val.iter_errors(broken)), "the schema must reject a bad level"


def test_sarif_result_points_into_the_design_and_carries_the_trace(rfc_report: Report) -> None:
    doc = json.loads(render("sarif", rfc_report))
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    results = [r for r in run["results"] if r["level"] == "error"]
    (v,) = _violated(rfc_report)
    assert [r["ruleId"] for r in results] == [v.property]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [v.property]
    res = results[0]
    assert res["message"]["text"].startswith("no_lost_signal violated (depth")
    phys = res["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"]["uri"] == RFC_V2
    own = [s for s in facts.steps(v.model, v.outcome.trace)
           if s.loc is not None and s.loc.file == RFC_V2]
    assert own, "RFC v2's trace runs its own twa_signal_notify/task_work_run"
    assert phys["region"]["startLine"] == own[0].loc.line
    line = (ROOT / RFC_V2).read_text().splitlines()[own[0].loc.line - 1].strip()
    assert line and not line.startswith("#")
    # codeFlows: one threadFlow per task that stepped, executionOrder = step numbers
    flows = res["codeFlows"][0]["threadFlows"]
    order = sorted(loc["executionOrder"] for f in flows for loc in f["locations"])
    assert order == list(range(1, v.outcome.trace.length + 1))
    assert {f["id"] for f in flows} == {s.task for s in facts.steps(v.model, v.outcome.trace)}
    pending = [loc for f in flows for loc in f["locations"] if "T.pending" in loc.get("state", {})]
    assert pending and pending[0]["state"]["T.pending"]["text"] == "{} → {SIGUSR1}"


def test_sarif_falls_back_to_line_1_of_the_design(rfc_report: Report) -> None:
    rep = Report("elsewhere", "designs/elsewhere.yaml", rfc_report.verdicts)
    doc = sariffmt.document(rep)
    loc = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert loc == {"artifactLocation": {"uri": "designs/elsewhere.yaml", "uriBaseId": "%SRCROOT%"},
                   "region": {"startLine": 1}}


def test_sarif_reports_vacuity_as_warnings(vacuous_report: Report) -> None:
    doc = json.loads(render("sarif", vacuous_report))
    res = doc["runs"][0]["results"]
    assert res and all(r["level"] == "warning" and r["ruleId"] == sariffmt.VACUITY_RULE for r in res)
    kill = [r for r in res if "kill(T, SIGUSR1)" in r["message"]["text"]]
    assert kill[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(
        "sender-never-sends.yaml")


# ------------------------------------------------------------------ JUnit
def test_junit_has_one_testcase_per_verdict(rfc_report: Report, unknown_report: Report) -> None:
    rep = Report("rfc-v2-tif-taskwork", RFC_V2, rfc_report.verdicts + unknown_report.verdicts)
    root = ET.fromstring(render("junit", rep))
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(rep.verdicts)
    assert [(c.get("classname"), c.get("name")) for c in cases] == \
        [(f"{v.design}.{v.scenario}", v.property) for v in rep.verdicts]
    want = {s: sum(v.status == s for v in rep.verdicts) for s in ("violated", "unknown", "skipped")}
    assert want["violated"] == 1 and want["unknown"] >= 1 and want["skipped"] >= 1
    assert len(root.findall(".//testcase/failure")) == want["violated"]
    assert len(root.findall(".//testcase/error")) == want["unknown"]
    assert len(root.findall(".//testcase/skipped")) == want["skipped"]
    suite = root.find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == \
        tuple(str(n) for n in (len(rep.verdicts), want["violated"], want["unknown"], want["skipped"]))
    failure = root.find(".//testcase/failure")
    assert "violated (depth" in failure.get("message")
    body = failure.text
    (v,) = _violated(rfc_report)
    assert len(re.findall(r"^\s*\d+ \| ", body, re.M)) == v.outcome.trace.length
    assert "T.pending: {} → {SIGUSR1}" in body


# ------------------------------------------------------------------ HTML (structure)
class _Svg(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.lanes: list[str] = []
        self.steps: list[tuple[str, str]] = []
        self.tags: set[str] = set()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:  # noqa: ANN001
        a = dict(attrs)
        self.tags.add(tag)
        for k in ("src", "href"):
            if k in a:
                self.urls.append(a[k])
        if tag == "g" and a.get("class") == "lane":
            self.lanes.append(a["data-task"])
        if tag == "g" and a.get("class") == "step":
            self.steps.append((a["data-step"], a["data-task"]))


def test_html_is_self_contained_with_one_lane_per_task(rfc_report: Report) -> None:
    page = render("html", rfc_report)
    p = _Svg()
    p.feed(page)
    (v,) = _violated(rfc_report)
    assert p.lanes == list(v.model.tasks)
    rows = facts.steps(v.model, v.outcome.trace)
    assert p.steps == sorted(((str(r.number), r.task) for r in rows),
                             key=lambda x: (list(v.model.tasks).index(x[1]), int(x[0])))
    assert "script" not in p.tags and "link" not in p.tags and "img" not in p.tags
    assert p.urls == []
    assert "<style>" in page
    assert "no_lost_signal is violated after step" in page


def test_every_format_renders(rfc_report: Report) -> None:
    for fmt in FORMATS:
        assert render(fmt, rfc_report).strip()
    with pytest.raises(ValueError):
        render("pdf", rfc_report)


# ------------------------------------------------------------------ coverage
def test_vacuous_design_is_flagged(vacuous_report: Report) -> None:
    (cov,) = vacuous_report.coverage
    assert cov.computed and cov.complete
    by_kind: dict[str, list] = {}
    for f in cov.findings:
        by_kind.setdefault(f.kind, []).append(f)
    never = [f.message for f in by_kind["never-reached"]]
    assert any(m.startswith("never reached: task S: kill(T, SIGUSR1) at ") and
               "sender-never-sends.yaml:16" in m for m in never), never
    assert any("task S: await (go)" in m for m in never)
    assert not any("task T" in m for m in never)      # T's pause() runs
    (const,) = by_kind["constant-reads"]
    assert const.properties == ("never_delivered",) and "T.delivered" in const.message
    # no_lost_signal reads T.state, which changes when T sleeps: not a constant-reads case
    assert all("no_lost_signal holds" not in f.message for f in cov.findings)


def test_real_design_has_no_vacuity_warnings(rfc_report: Report) -> None:
    (cov,) = rfc_report.coverage
    assert cov.computed and cov.complete and not cov.findings
    assert all(hit for _, hit in cov.code)
    assert 0 < len(cov.actions_fired) < cov.actions_total      # a real run leaves branches untaken


@pytest.mark.solver
def test_bmc_runs_say_coverage_is_not_computed(at_repo_root: None) -> None:
    d = load_design(FIXTURES.relative_to(ROOT) / "vacuous.yaml")
    vs = verify(d, (), ("no_lost_signal",), Options(engine="bmc", depth=3))
    (cov,) = coverage.of_run(d, vs, "bmc")
    assert not cov.computed and "bmc" in cov.reason and not cov.findings
    assert "not computed" in cov.summary()
    doc = jsonfmt.coverage_doc(cov)
    assert doc == {"scenario": "sender-never-sends", "computed": False, "reason": cov.reason}


def test_coverage_stops_at_the_state_limit(at_repo_root: None) -> None:
    d = load_design(RFC_V2)
    spec = d.scenario("oleg-lost-signal")
    cov = coverage.analyse(d.model(spec), spec.name, spec.run, ["no_lost_signal"], max_states=5)
    assert cov.computed and not cov.complete and "state limit 5" in cov.reason
    assert not cov.findings            # a partial exploration proves nothing unreached


def test_a_search_cut_short_computes_no_coverage(at_repo_root: None) -> None:
    d = load_design(RFC_V2)
    vs = verify(d, ("oleg-on-cpu",), (), Options(engine="explicit", max_states=10))
    assert {v.status for v in vs} == {"unknown"}
    (cov,) = coverage.of_run(d, vs, "explicit")
    assert not cov.computed and cov.reason == "the search was cut short" and not cov.findings


# ------------------------------------------------------------------ renderers read, never run
#: the pyspec modules a renderer may import: records only, no semantics
RECORD_MODULES = {"flagcheck.pyspec.trace", "flagcheck.pyspec.outcome",
                  "flagcheck.pyspec.endofrun", "flagcheck.pyspec.progress"}
SEMANTICS = ("flagcheck.pyspec.successors", "flagcheck.pyspec.replay",
             "flagcheck.pyspec.evaluate", "flagcheck.pyspec.explicit",
             "flagcheck.pyspec.liveness")


def test_report_code_imports_no_semantics() -> None:
    """Every fact a report shows about a counterexample was established by its replay
    (Verdict.end): report code imports pyspec's records, never its successor functions."""
    import ast
    for path in sorted((ROOT / "checker" / "report").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                if name.startswith("flagcheck.pyspec"):
                    assert name in RECORD_MODULES, f"{path.name} imports {name}"


def test_rendering_a_saved_report_loads_no_semantics(rfc_report: Report, tmp_path: Path) -> None:
    """A finished run's Report, loaded in a fresh process and rendered in every format
    (and by the terminal report), never loads the model's semantics."""
    import pickle
    import subprocess
    import sys
    saved = tmp_path / "report.pickle"
    saved.write_bytes(pickle.dumps(rfc_report))
    script = f"""
import io, pickle, sys
from rich.console import Console
from flagcheck.checker.report import FORMATS, render
from flagcheck.checker.report.terminal import print_coverage, print_report
report = pickle.loads(open({str(saved)!r}, "rb").read())
assert any(v.status == "violated" and v.end is not None for v in report.verdicts)
for fmt in FORMATS:
    assert render(fmt, report)
console = Console(file=io.StringIO(), width=160)
print_report(console, report.verdicts, report.header)
print_coverage(console, report.coverage)
print(" ".join(m for m in {SEMANTICS!r} if m in sys.modules))
"""
    r = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "", f"rendering loaded {r.stdout.strip()}"
