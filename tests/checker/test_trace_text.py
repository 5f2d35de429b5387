"""What a counterexample says about its steps, in every report: whole statements in the
machine-readable traces, merged steps as their parts (each with its own label), branch
decisions that name their statement, the statement a blocked task really waits at, skip
reasons under -q, PDR invariants and coverage in the design's places, and ITF traces that
the reference ITF reader (itf-py) loads.

Every trace here comes from a real verify run and was replayed before it was rendered.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import itf_py
import pytest
from click.testing import CliRunner

from flagcheck.checker import coverage
from flagcheck.checker.engines import pdr, pdr_render
from flagcheck.checker.report import facts
from flagcheck.checker.cli.main import main
from flagcheck.checker.report import render, report_of
from flagcheck.checker.report import json as jsonfmt
from flagcheck.checker.verify import Options, verify
from flagcheck.checker.verdict import Verdict, exit_code
from flagcheck.tlamodel.load import load_design
from flagcheck.tlamodel.reduce import reduce_model

ROOT = Path(__file__).resolve().parents[2]
RFC_V2 = "specs/rfc-v2-tif-taskwork.yaml"
MERGED = "tests/checker/fixtures_trace/merged.yaml"
VACUOUS = "tests/cli/fixtures_formats/vacuous.yaml"
_COMMENT = re.compile(r"(#|//)[^\n]*")     # the design language's comments


pytestmark = pytest.mark.usefixtures("at_repo_root")


def _run(path: str, *scenarios: str):  # noqa: ANN202
    d = load_design(path)
    vs = verify(d, scenarios, (), Options(engine="explicit"))
    return d, vs, report_of(d, vs, "header", coverage.of_run(d, vs, "explicit"), exit_code(vs))


@pytest.fixture(scope="module")
def rfc(at_repo_root: None):  # noqa: ANN201
    return _run(RFC_V2, "oleg-lost-signal")


@pytest.fixture(scope="module")
def merged(at_repo_root: None):  # noqa: ANN201
    return _run(MERGED)


def _violated(vs: list[Verdict], prop: str) -> Verdict:
    return next(v for v in vs if v.property == prop and v.status == "violated")


def _source_at(loc: str) -> str:
    """The design file's text from ``file:line:col`` on, comments out, whitespace as one."""
    file, line, col = loc.rsplit(":", 2)
    lines = Path(file).read_text(encoding="utf-8").splitlines(keepends=True)
    text = "".join(lines[int(line) - 1:])[int(col) - 1:]
    return re.sub(r"\s+", " ", _COMMENT.sub("", text)).replace("{ ", "{").replace(" }", "}")


# ------------------------------------------------------------------ whole statements
def test_json_and_itf_carry_whole_statements(rfc) -> None:  # noqa: ANN001
    _, _, report = rfc
    doc = json.loads(render("json", report))
    cex = next(v["counterexample"] for v in doc["verdicts"] if v["counterexample"])
    parts = [p for st in cex["states"][1:] for p in st["#meta"]["parts"]]
    assert any(len(p["text"]) > 100 for p in parts)      # long ones used to be cut at 100
    for p in parts:
        assert not p["text"].endswith(("...", "…")), p["text"]
        # the statement as written in the design file, from its first character on
        src = _source_at(p["loc"])
        body = p["text"][len("atomic "):] if p["text"].startswith("atomic ") else p["text"]
        body = body.replace("{ ", "{").replace(" }", "}")
        assert body in src[:len(body) + 80], (p["text"], src[:200])
    for st in cex["states"][1:]:
        m = st["#meta"]
        assert m["text"] == " ; ".join(p["text"] for p in m["parts"])


def test_merged_step_lists_its_parts_each_with_its_own_label(rfc) -> None:  # noqa: ANN001
    d, vs, report = rfc
    v = _violated(vs, "no_lost_signal")
    rows = facts.steps(v.model, v.outcome.trace)
    merged = [s for s in rows if len(s.parts) > 1]
    assert merged
    # step "current.sysret = ERESTARTNOHAND; ; exit_check: atomic {...}": the label is the
    # atomic's, not the assignment's
    s = next(s for s in merged if s.parts[0].text == "current.sysret = ERESTARTNOHAND;")
    assert [p.label for p in s.parts] == [None, "exit_check"]
    assert s.parts[1].text.startswith("atomic { if (!exit_work(current))")
    assert s.parts[0].function == "pause" and s.parts[1].function == "pause › exit_to_user_mode"
    for fmt in ("text", "markdown"):
        out = render(fmt, report)
        assert "exit_check: current.sysret" not in out
        assert "exit_check:" in out
    # every branch decision says which statement it is about
    for s in rows:
        assert s.detail == tuple(d for p in s.parts for d in p.detail)
        for dline in s.detail:
            assert not dline.startswith("->") and " -> " in dline, dline
    doc = json.loads(render("json", report))
    metas = [st["#meta"] for v in doc["verdicts"] if v["counterexample"]
             for st in v["counterexample"]["states"][1:]]
    for m in metas:
        assert all(not x.startswith("->") for x in m["detail"]), m["detail"]
    # the unwrapped text (JUnit bodies): no line is a bare "-> false"
    for line in facts.plain_lines(v.model, v.outcome.trace):
        assert not re.fullmatch(r"[\d |]*-> \w+", line.strip()), line


def test_html_abbreviates_but_hovers_the_whole_statement(rfc) -> None:  # noqa: ANN001
    _, vs, report = rfc
    v = _violated(vs, "no_lost_signal")
    longest = max((p.text for s in facts.steps(v.model, v.outcome.trace) for p in s.parts),
                  key=len)
    html = render("html", report)
    from html import escape
    titles = re.findall(r"<title>(.*?)</title>", html, re.S)
    assert any(escape(longest) in t for t in titles)


# ------------------------------------------------------------------ blocked at
def test_end_names_the_await_not_the_merged_if_before_it(merged) -> None:  # noqa: ANN001
    _, vs, report = merged
    v = _violated(vs, "no_deadlock")
    model = v.model
    last = v.outcome.trace.states[-1]
    idx = model.var_index()
    pc_text = {task: infos[int(last[idx[pc]])].text for task, pc, infos in model.pcs}
    assert pc_text["T"] == "mine = true;"        # the pc sits at the first merged statement
    # the replay found where T really waits; the reports read it off the verdict
    assert v.end is not None and v.end.blocked["T"].text == "await (go);"
    end = facts.ending(v)
    t = next(e for e in end.tasks if e.task == "T")
    assert t.blocked and t.where == "await (go);" and t.label == "stuck"
    line = f"T: {facts.where(t)}"
    assert line == "T: in stuck: await (go); (merged-if-await.yaml:18) (cannot step)"
    for fmt in ("text", "markdown"):
        assert "stuck: await (go); (merged-if-await.yaml:18) (cannot step)" in render(fmt, report)


# ------------------------------------------------------------------ -q
def test_quiet_still_prints_skip_reasons() -> None:
    r = CliRunner().invoke(main, ["verify", RFC_V2, "-s", "oleg-lost-signal", "-q",
                                  "--engine", "explicit"])
    assert "not checked (reason below)" in r.output
    assert "not checked: no_deadlock on oleg-lost-signal: pause() has the classic race" \
        in r.output.replace("\n", " ")


# ------------------------------------------------------------------ PDR
@pytest.mark.solver
def test_pdr_invariant_names_places_not_program_counters() -> None:
    d = load_design(VACUOUS)
    model = reduce_model(d.model(d.scenario("sender-never-sends")))
    o = pdr.check(model, ["assertions"], timeout=60)["assertions"]
    assert o.status == "holds", o.reason
    inv = o.reason.split("): ", 1)[1]
    assert ".pc" not in inv, inv
    assert re.search(r"\bT (not )?at ", inv), inv
    assert re.search(r"\(linux-base\.yaml:\d+\)", inv), inv


def test_place_text_picks_the_shorter_side() -> None:
    places = ["a (f:1)", "b (f:2)", "c (f:3)", "finished"]
    assert pdr_render.place_text("T", places, ["a (f:1)", "b (f:2)", "c (f:3)"]) == \
        "T not at finished"
    assert pdr_render.place_text("T", places, ["b (f:2)"]) == "T at b (f:2)"
    assert pdr_render.place_text("T", places, places) == "true"


# ------------------------------------------------------------------ coverage
def test_coverage_names_every_unreached_place(at_repo_root: None) -> None:
    _, vs, report = _run(VACUOUS)
    c = report.coverage[0]
    missed = c.unreached()
    assert "never reached: S: await (go); (task code, sender-never-sends.yaml:15)" in missed
    assert any(m.startswith("never reached: S: atomic { send_signal(t, sig); } (kill, "
                            "linux-base.yaml:") for m in missed)
    never_labels = [name for name, hit in c.labels if not hit]
    assert never_labels
    for name in never_labels:
        assert any(m.startswith(f"label {name} never reached (") for m in missed)
    # one line per unreached statement or untaken branch: together they name every action
    # that never fired
    unfired = {(a.task, a.info.loc) for i, a in enumerate(c.model.actions)
               if i not in c.actions_fired}
    for task, loc in unfired:
        assert any(f"{task}: " in m and f"{Path(loc.file).name}:{loc.line})" in m
                   for m in missed), (task, loc)
    text, html = render("text", report), render("html", report)
    for m in missed:
        assert m in text.replace("\n", " ") or len(m) > 120
        from html import escape
        assert escape(m) in html


# ------------------------------------------------------------------ ITF readers
def _violated_traces() -> list[tuple[str, dict]]:
    out = []
    for path in sorted(Path("specs").glob("*.yaml")):
        d = load_design(str(path))
        vs = verify(d, (), (), Options(engine="explicit"))
        for v in vs:
            if v.status == "violated":
                doc = jsonfmt.verdict_doc(v, str(path))
                out.append((f"{d.name}/{v.scenario}/{v.property}", doc["counterexample"]))
    return out


@pytest.mark.slow
def test_every_violated_cell_loads_with_itf_py(at_repo_root: None) -> None:
    """Apalache's and Quint's ITF reader (itf-py) reads every counterexample of the shipped
    specs, and sees the same variables and values."""
    traces = _violated_traces()
    assert len(traces) >= 5
    for name, raw in traces:
        text = jsonfmt.dumps(raw)
        t = itf_py.trace_from_json(json.loads(text))
        assert t.vars == raw["vars"], name
        assert len(t.states) == len(raw["states"]), name
        assert t.loop == raw.get("loop"), name
        for st, rs in zip(t.states, raw["states"]):
            assert set(st.values) == set(t.vars), name        # every variable in every state
            for var in t.vars:
                x, y = st.values[var], rs[var]
                if isinstance(y, dict) and "#set" in y:
                    assert x == frozenset(y["#set"]), (name, var)
                elif isinstance(y, dict) and "#bigint" in y:
                    assert x == int(y["#bigint"]), (name, var)
                else:
                    assert x == y and type(x) is type(y), (name, var)
            assert st.meta == rs["#meta"]
        # and back: itf-py writes a trace that reads the same
        again = itf_py.trace_from_json(json.loads(json.dumps(itf_py.trace_to_json(t))))
        assert [s.values for s in again.states] == [s.values for s in t.states], name
