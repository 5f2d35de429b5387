"""The three kinds of design file (library, design, scenario) read into plain records
(tlamodel.records, re-exported here for the readers of a spec).

This layer checks the *shape* of a file (known keys, right kinds of values) and parses
every code string; names and types are checked later, once ``extends`` has been
resolved and the whole definition set is known (tlamodel.resolve).
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Callable

from flagcheck.tlamodel import syntax_tree as A
from flagcheck.tlamodel.errors import DesignError, checked_int, did_you_mean
from flagcheck.tlamodel.expand import Expander
from flagcheck.tlamodel.ir import SourceLoc
from flagcheck.tlamodel.params import (Overrides, array_key, array_range, elements, expand_spec,
                                       group_name, read_params)
from flagcheck.tlamodel.records import (DefineSpec, Expectation, ProcSpec, PropSpec, SpecFile,
                                        TaskSpec, VarSpec)
from flagcheck.tlamodel.syntax import parse_code, parse_expr
from flagcheck.tlamodel.weakmem import read_memory
from flagcheck.tlamodel.yamlfile import YamlDoc, is_map, is_seq

COMMON_KEYS = {"flagcheck", "summary", "doc", "enums", "state", "define", "procedures",
               "properties", "includes", "params"}
KIND_KEYS = {
    "library": {"library", "extends"},
    "design": {"design", "extends", "scenarios", "drop_scenarios", "check", "bound", "expect",
               "memory", "store_buffer"},
    "scenario": {"scenario", "tasks", "signals", "run", "skip", "control"},
}
SCOPES = ("global", "task", "group")
#: ``name``, ``name(p, q)``, and for a procedure that returns a value ``name(p) -> TYPE``
_SIG = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(\s*([^)]*)\))?\s*(?:->\s*(\S.*?))?\s*$")
VERDICT_WORDS = ("violated", "holds")


def _text(doc: YamlDoc, m: Any, key: Any, what: str) -> str:
    v = m[key]
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, str)):
        return str(v)
    raise DesignError(f"{what} must be a string of code, found a {_kind(v)}",
                      doc.value_loc(m, key))


def _code(doc: YamlDoc, m: Any, key: Any, what: str) -> tuple[str, Any]:
    return doc.code(m, key, _text(doc, m, key, what))


def _kind(v: Any) -> str:
    return "mapping" if is_map(v) else "list" if is_seq(v) else type(v).__name__


def _need_map(doc: YamlDoc, m: Any, key: Any, what: str) -> Any:
    v = m[key]
    if not is_map(v):
        raise DesignError(f"'{key}' must be a mapping ({what}), found a {_kind(v)}",
                          doc.value_loc(m, key))
    return v


def _need_list(doc: YamlDoc, m: Any, key: Any, what: str) -> Any:
    v = m[key]
    if not is_seq(v):
        raise DesignError(f"'{key}' must be a list ({what}), found a {_kind(v)}",
                          doc.value_loc(m, key))
    return v


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _identifier(name: Any, loc: SourceLoc, what: str) -> str:
    """``name`` as a string, if code can refer to it: ASCII letters, digits and '_'.

    Besides catching typos, this keeps flattened names unique: a task field ``n`` of task
    ``T`` becomes the variable ``T.n``, so a global declared as "T.n" would collide.
    """
    text = str(name)
    if not _IDENT.fullmatch(text):
        raise DesignError(f"bad {what} name {_shown_name(text)}", loc,
                          hint="names are letters, digits and '_' (ASCII), not starting "
                               "with a digit")
    return text


def _shown_name(text: str) -> str:
    """A name quoted for an error message, control characters escaped so that the message
    shows what is really in the file (and cannot rewrite the terminal)."""
    return ascii(text) if any(unicodedata.category(c)[0] == "C" for c in text) else repr(text)


def _no_controls(text: str, loc: SourceLoc, what: str) -> None:
    """Refuse control and format characters (escapes, NUL, bidi overrides) in a name that
    is otherwise free text: it is printed in reports and tables, where such characters
    would hide or rewrite what the reader sees."""
    if any(unicodedata.category(c)[0] == "C" for c in text):
        raise DesignError(f"{what} {_shown_name(text)} contains control characters", loc,
                          hint="use printable characters only")


def _signature(doc: YamlDoc, m: Any, key: Any) -> tuple[str, tuple[str, ...], str | None]:
    mt = _SIG.match(str(key))
    if not mt:
        raise DesignError(f"bad definition name {str(key)!r}", doc.key_loc(m, key),
                          hint="write name or name(param, param)")
    params = tuple(p.strip() for p in (mt.group(2) or "").split(",") if p.strip())
    for p in params:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", p):
            raise DesignError(f"bad parameter name {p!r}", doc.key_loc(m, key))
    if len(set(params)) != len(params):
        raise DesignError(f"duplicate parameter in {key}", doc.key_loc(m, key))
    return mt.group(1), params, mt.group(3)


def read_spec(doc: YamlDoc, overrides: Overrides | None = None) -> SpecFile:
    """The file's records, its parameters (``params:``, replaced by ``overrides``) written
    into its code (tlamodel.expand)."""
    top = doc.data
    kinds = [k for k in KIND_KEYS if k in top]
    if len(kinds) != 1:
        raise DesignError("expected exactly one of 'library:', 'design:' or 'scenario:' "
                          "naming what this file is", doc.node_loc(top),
                          hint="add e.g. 'design: my-proposal'" if not kinds else
                          f"found {', '.join(kinds)}")
    kind = kinds[0]
    if "flagcheck" not in top:
        raise DesignError("missing 'flagcheck: 1' (the file format version)", doc.node_loc(top))
    if top["flagcheck"] != 1 or isinstance(top["flagcheck"], bool):
        raise DesignError(f"unsupported format version {top['flagcheck']!r}",
                          doc.value_loc(top, "flagcheck"), hint="this flagcheck reads 'flagcheck: 1'")
    allowed = COMMON_KEYS | KIND_KEYS[kind]
    for k in top:
        if k not in allowed:
            hint = did_you_mean(str(k), allowed)
            other = [kk for kk, keys in KIND_KEYS.items() if k in keys]
            if other:
                hint = f"'{k}' belongs in a {other[0]} file, not a {kind} file"
            raise DesignError(f"unknown key '{k}' in a {kind} file", doc.key_loc(top, k), hint=hint)
    name = top[kind]
    if not isinstance(name, str) or not name.strip():
        raise DesignError(f"'{kind}:' must be a non-empty name", doc.value_loc(top, kind))
    _no_controls(name, doc.value_loc(top, kind), f"{kind} name")
    spec = SpecFile(kind, name, doc.path, loc=doc.key_loc(top, kind))
    if "summary" in top:
        spec.summary = str(top["summary"])
    for key in ("extends", "includes"):
        if key in top:
            vals = top[key]
            items = [(vals, doc.value_loc(top, key))] if isinstance(vals, str) else None
            if items is None:
                seq = _need_list(doc, top, key, "file paths")
                items = [(str(v), doc.value_loc(seq, i)) for i, v in enumerate(seq)]
            getattr(spec, key).extend(items)
    exp = Expander(read_params(doc, top, overrides))
    _read_enums(doc, top, spec)
    _read_state(doc, top, spec)
    _read_defines(doc, top, spec)
    _read_procedures(doc, top, spec)
    _read_properties(doc, top, spec)
    if kind == "design":
        _read_design(doc, top, spec, exp)
    if kind == "scenario":
        exp = _read_scenario(doc, top, spec, exp)
    expand_spec(spec, exp, "\n".join(doc.lines))
    return spec


def _read_enums(doc: YamlDoc, top: Any, spec: SpecFile) -> None:
    if "enums" not in top:
        return
    m = _need_map(doc, top, "enums", "enum name: [VALUE, ...]")
    for name in m:
        _identifier(name, doc.key_loc(m, name), "enum")
        seq = _need_list(doc, m, name, "the enum's values")
        vals = tuple(_identifier(v, doc.value_loc(seq, i), "enum value") for i, v in enumerate(seq))
        if not vals:
            raise DesignError(f"enum {name} has no values", doc.value_loc(m, name))
        if len(set(vals)) != len(vals):
            raise DesignError(f"enum {name} repeats a value", doc.value_loc(m, name))
        spec.enums[str(name)] = (vals, doc.key_loc(m, name))


def _read_state(doc: YamlDoc, top: Any, spec: SpecFile) -> None:
    if "state" not in top:
        return
    m = _need_map(doc, top, "state", "global:/task:/group: variable declarations")
    for scope in m:
        if scope not in SCOPES:
            raise DesignError(f"unknown state scope '{scope}'", doc.key_loc(m, scope),
                              hint="use global:, task: (one copy per task) or group: "
                                   "(one copy per thread group)")
        if m[scope] is None:
            continue
        vs = _need_map(doc, m, scope, "name: type")
        for name in vs:
            _identifier(name, doc.key_loc(vs, name), f"{scope} variable")
            v = vs[name]
            init = None
            doc_text = ""
            if is_map(v):
                for k in v:
                    if k not in ("type", "init", "doc", "shared"):
                        raise DesignError(f"unknown field '{k}' in a variable declaration",
                                          doc.key_loc(v, k),
                                          hint="use type:, init:, doc:, shared:")
                if "shared" in v and not isinstance(v["shared"], bool):
                    raise DesignError("'shared' must be true or false", doc.value_loc(v, "shared"))
                if "type" not in v:
                    raise DesignError(f"variable {name} has no 'type:'", doc.key_loc(vs, name))
                type_text = str(v["type"])
                if "init" in v:
                    init = parse_expr(*_code(doc, v, "init", "init"),
                                      f"initial value of {name}")
                doc_text = str(v.get("doc", ""))
                loc = doc.value_loc(v, "type")
            elif isinstance(v, (str, bool, int)) and not isinstance(v, bool):
                type_text, loc = str(v), doc.value_loc(vs, name)
            else:
                raise DesignError(f"variable {name}: expected a type such as bool, 0..3, "
                                  f"set(signal) or an enum name", doc.value_loc(vs, name))
            spec.state[f"{scope}/{name}"] = VarSpec(scope, str(name), type_text.strip(), init,
                                                    doc_text, loc,
                                                    is_map(v) and v.get("shared") is True)


def _read_defines(doc: YamlDoc, top: Any, spec: SpecFile) -> None:
    _read_callables(doc, top, "define", "define", "name(params): expression", parse_expr,
                    DefineSpec, spec.defines)


def _read_procedures(doc: YamlDoc, top: Any, spec: SpecFile) -> None:
    _read_callables(doc, top, "procedures", "procedure", "name(params): code", parse_code,
                    ProcSpec, spec.procedures)


def _read_callables(doc: YamlDoc, top: Any, key: str, what: str, shape: str,
                    parse: Callable[..., Any], make: Callable[..., Any], into: dict) -> None:
    """``define:`` and ``procedures:`` read alike: ``name(params): code`` entries, the code
    parsed by ``parse`` (an expression or statements), each name once per file."""
    if key not in top:
        return
    m = _need_map(doc, top, key, shape)
    for k in m:
        name, params, ret = _signature(doc, m, k)
        if ret is not None and what != "procedure":
            raise DesignError(f"a {what} cannot declare a result type ('-> {ret}')",
                              doc.key_loc(m, k), hint="a define's type is its expression's; "
                              "'-> TYPE' is for procedures that 'return expr;'")
        body = parse(*_code(doc, m, k, f"{what} {name}"), f"{what} {name}")
        if name in into:
            raise DesignError(f"{what} {name} appears twice in this file", doc.key_loc(m, k))
        into[name] = (make(name, params, body, doc.key_loc(m, k)) if ret is None else
                      make(name, params, body, doc.key_loc(m, k), ret))


def _read_properties(doc: YamlDoc, top: Any, spec: SpecFile) -> None:
    if "properties" not in top:
        return
    v = top["properties"]
    if is_seq(v) and spec.kind == "design":   # the sketch's short form: a selection
        spec.check = [(str(x), doc.value_loc(v, i)) for i, x in enumerate(v)]
        return
    m = _need_map(doc, top, "properties", "name: {always: expression} or {deadlock_free: true}")
    for name in m:
        _identifier(name, doc.key_loc(m, name), "property")
        p = m[name]
        if not is_map(p):
            raise DesignError(f"property {name} must be a mapping with 'always:' or "
                              "'deadlock_free: true'", doc.value_loc(m, name))
        spec.properties[str(name)] = _read_property(doc, m, str(name), p)


PROPERTY_KINDS = ("always", "deadlock_free", "leads_to", "eventually", "always_eventually", "on")
_EVENT = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:")


def _read_property(doc: YamlDoc, m: Any, name: str, p: Any) -> PropSpec:
    fields = PROPERTY_KINDS + ("doc", "for_each")
    for k in p:
        if k not in fields:
            raise DesignError(f"unknown field '{k}' in property {name}", doc.key_loc(p, k),
                              hint=did_you_mean(str(k), fields) or "use " + ", ".join(fields))
    kinds = [k for k in PROPERTY_KINDS if k in p]
    loc = doc.key_loc(m, name)
    if len(kinds) != 1:
        raise DesignError(f"property {name} needs exactly one of " + ", ".join(PROPERTY_KINDS),
                          loc, hint="e.g. always: <expr>, deadlock_free: true, "
                          "leads_to: {from: <expr>, to: <expr>}, eventually: <expr>")
    kind, doc_text = kinds[0], str(p.get("doc", ""))
    for_each = None
    if "for_each" in p:
        for_each = str(p["for_each"]).strip()
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", for_each) or kind in ("always",
                                                                             "deadlock_free"):
            raise DesignError("for_each must name a task variable (e.g. 'for_each: t') and is "
                              "for leads_to / eventually / always_eventually properties",
                              doc.value_loc(p, "for_each"),
                              hint="for invariants write 'forall t in task: ...'")
    if kind == "on":
        return _event_property(doc, p, name, doc_text, loc)
    if kind == "deadlock_free":
        if p["deadlock_free"] is not True:
            raise DesignError(f"property {name}: write 'deadlock_free: true'", loc)
        return PropSpec(name, kind, None, doc_text, loc)
    if kind == "leads_to":
        lt = _need_map(doc, p, "leads_to", "from: <expr>, to: <expr>")
        for k in lt:
            if k not in ("from", "to"):
                raise DesignError(f"unknown field '{k}' in leads_to", doc.key_loc(lt, k),
                                  hint="use from: and to:")
        if "from" not in lt or "to" not in lt:
            raise DesignError("leads_to needs both 'from:' and 'to:'", doc.value_loc(p, "leads_to"))
        frm = parse_expr(*_code(doc, lt, "from", "leads_to from"), f"property {name}")
        to = parse_expr(*_code(doc, lt, "to", "leads_to to"), f"property {name}")
        return PropSpec(name, kind, frm, doc_text, loc, to, for_each)
    e = parse_expr(*_code(doc, p, kind, kind), f"property {name}")
    return PropSpec(name, kind, e, doc_text, loc, None, for_each)


def _event_property(doc: YamlDoc, p: Any, name: str, doc_text: str, loc: SourceLoc) -> PropSpec:
    """``on: "LABEL: cond"``: cond must hold whenever the statement labelled LABEL executes
    (checked in the state just before it; tlamodel.cfg_events)."""
    text, ref = _code(doc, p, "on", "on")
    m = _EVENT.match(text)
    if m is None:
        raise DesignError(f"property {name}: write 'on: \"LABEL: condition\"'",
                          doc.value_loc(p, "on"), hint="LABEL is a statement label in the "
                          "code, e.g. on: \"fork_fail: task_sigpending(current)\"")
    # blank the label out, so positions in the condition stay exact
    cond = parse_expr(" " * m.end() + text[m.end():], ref, f"property {name}")
    return PropSpec(name, "on", cond, doc_text, loc, label=m.group(1))


def _read_design(doc: YamlDoc, top: Any, spec: SpecFile, exp: Expander) -> None:
    if "scenarios" in top:
        seq = _need_list(doc, top, "scenarios", "scenario file paths")
        spec.scenarios = [(str(v), doc.value_loc(seq, i)) for i, v in enumerate(seq)]
    if "drop_scenarios" in top:
        spec.drop_scenarios = _scenario_names(doc, top, "drop_scenarios")
    if "check" in top:
        seq = _need_list(doc, top, "check", "property names")
        spec.check = [(str(v), doc.value_loc(seq, i)) for i, v in enumerate(seq)]
    if "bound" in top:
        b = top["bound"]
        if isinstance(b, str) and exp.params:     # bound: N + 10
            b = exp.const(parse_expr(*_code(doc, top, "bound", "bound"), "bound"), "bound")
        if not isinstance(b, int) or isinstance(b, bool) or not 0 <= b <= 10_000:
            raise DesignError("'bound' must be a whole number of steps (0..10000)",
                              doc.value_loc(top, "bound"))
        spec.bound = b
    read_memory(doc, top, spec)
    if "expect" in top:
        m = _need_map(doc, top, "expect", "scenario: {property: violated|holds}")
        for scen in m:
            pm = _need_map(doc, m, scen, "property: violated|holds")
            for prop in pm:
                spec.expect.append(_expectation(doc, pm, str(scen), str(prop)))


def _scenario_names(doc: YamlDoc, top: Any, key: str) -> list[tuple[str, SourceLoc]]:
    """A list of scenario names (the ``scenario:`` key of each file, not its path): a bare
    string or a nested value is almost always a mis-indented list, so it is refused."""
    if not is_seq(top[key]):
        v = top[key]
        found = ("nothing" if v is None else "a single name" if isinstance(v, str) else
                 f"a {_kind(v)}")
        raise DesignError(f"'{key}' must be a list of scenario names, found {found}",
                          doc.value_loc(top, key),
                          hint=f"write '{key}: [{v}]'" if isinstance(v, str) else
                          f"write e.g. '{key}: [oleg-on-cpu]'")
    seq = top[key]
    out = []
    for i, v in enumerate(seq):
        if not isinstance(v, str) or not v.strip():
            raise DesignError(f"'{key}' entries must be scenario names, found "
                              f"{'an empty name' if isinstance(v, str) else 'a ' + _kind(v)}",
                              doc.value_loc(seq, i), hint=f"write e.g. '{key}: [oleg-on-cpu]'")
        out.append((v.strip(), doc.value_loc(seq, i)))
    return out


def _expectation(doc: YamlDoc, pm: Any, scen: str, prop: str) -> Expectation:
    raw = str(pm[prop]).strip()
    word, at, depth = raw.partition("@")
    if word not in VERDICT_WORDS or (at and not (depth.isascii() and depth.isdigit())) or (at and word != "violated"):
        raise DesignError(f"bad expected verdict {raw!r} for {scen} / {prop}",
                          doc.value_loc(pm, prop), hint="write 'holds', 'violated' or 'violated@N' "
                          "(N = length of the shortest counterexample)")
    return Expectation(scen, prop, word, checked_int(depth, doc.value_loc(pm, prop), "depth")
                       if depth else None, doc.value_loc(pm, prop),
                       doc.key_loc(pm, prop))


def _read_scenario(doc: YamlDoc, top: Any, spec: SpecFile, exp: Expander) -> Expander:
    """The scenario's tasks (task arrays written out, each element with its own code) and
    run code; the Expander returned knows the arrays, so ``A[k]`` is range-checked."""
    for key in ("tasks", "run"):
        if key not in top:
            raise DesignError(f"a scenario needs '{key}:'", doc.node_loc(top))
    tasks = _need_map(doc, top, "tasks", "task name: {group: G}")
    arrays: dict[str, tuple[int, int]] = {}
    for tname in tasks:
        arr = array_key(tname)
        if arr is None:
            _identifier(tname, doc.key_loc(tasks, tname), "task")
            task, _ = _read_task(doc, tasks, tname, str(tname), exp, False)
            spec.tasks[task.name] = task
            continue
        name = _identifier(arr[0], doc.key_loc(tasks, tname), "task array")
        rng = array_range(doc, tasks, tname, arr[1], exp)
        arrays[name] = rng
        for ename, eexp in elements(name, rng, exp, doc.key_loc(tasks, tname)):
            task, code = _read_task(doc, tasks, tname, ename, eexp, True)
            if ename in spec.tasks:
                raise DesignError(f"task {ename} is declared twice", task.loc)
            spec.tasks[ename] = task
            if code is not None:
                spec.run[ename] = code
    exp = Expander(exp.params, arrays=arrays)
    if "signals" in top:
        seq = _need_list(doc, top, "signals", "signal names")
        spec.signals = [(_identifier(v, doc.value_loc(seq, i), "signal"), doc.value_loc(seq, i))
                        for i, v in enumerate(seq)]
    if "control" in top:
        if not isinstance(top["control"], bool):
            raise DesignError(f"'control:' must be true or false, found {top['control']!r}",
                              doc.value_loc(top, "control"),
                              hint="control: true marks a scenario every design should violate")
        spec.control = top["control"]
    if "skip" in top:
        sk = _need_map(doc, top, "skip", "property: why it is not meaningful here")
        for prop in sk:
            spec.skip[str(prop)] = (str(sk[prop]), doc.key_loc(sk, prop))
    run = _need_map(doc, top, "run", "task name: code")
    for tname in run:
        if str(tname) in spec.run:
            raise DesignError(f"run: task {tname} already has the code: of its task array",
                              doc.key_loc(run, tname), hint="give the array no code: to "
                              "write each element's code under run:")
        if str(tname) not in spec.tasks:
            hint = did_you_mean(str(tname), spec.tasks) or "declare it under tasks:"
            if array_key(tname) is not None:
                hint = "the code of a task array goes under its code: key in tasks:"
            raise DesignError(f"run: unknown task '{tname}'", doc.key_loc(run, tname), hint=hint)
        body = parse_code(*_code(doc, run, tname, f"code of task {tname}"),
                          f"code of task {tname}")
        spec.run[str(tname)] = (exp.stmts(body), doc.key_loc(run, tname))
    return exp


def _read_task(doc: YamlDoc, tasks: Any, key: Any, tname: str, exp: Expander,
               array: bool) -> tuple[TaskSpec, tuple[tuple[A.Stmt, ...], SourceLoc] | None]:
    """One task (or one element of a task array, ``exp`` binding its index): its record
    and, for an array element, the code under ``code:``."""
    tv = tasks[key]
    group = f"{tname}_group"
    init: list[tuple[str, A.AExpr, SourceLoc]] = []
    code = None
    fields = ("group", "init", "daemon", "code") if array else ("group", "init", "daemon")
    if tv is not None:
        if not is_map(tv):
            raise DesignError(f"task {key}: expected a mapping such as {{group: G1}}",
                              doc.value_loc(tasks, key))
        for k in tv:
            if k not in fields:
                raise DesignError(f"unknown field '{k}' for task {key}", doc.key_loc(tv, k),
                                  hint="use " + ", ".join(f"{f}:" for f in fields) +
                                  ("" if array else " (code: is for task arrays; plain tasks "
                                   "have theirs under run:)" if k == "code" else ""))
        if "daemon" in tv and not isinstance(tv["daemon"], bool):
            raise DesignError(f"task {key}: 'daemon:' must be true or false, found "
                              f"{tv['daemon']!r}", doc.value_loc(tv, "daemon"),
                              hint="daemon: true marks a kernel thread that may sleep for ever")
        if "group" in tv:
            group = (group_name(doc, tv, exp) if array else
                     _identifier(tv["group"], doc.value_loc(tv, "group"), "group"))
        if "init" in tv:
            im = _need_map(doc, tv, "init", "field: value")
            for f in im:
                e = parse_expr(*_code(doc, im, f, "init"), f"initial value of {tname}.{f}")
                init.append((str(f), exp.expr(e), doc.key_loc(im, f)))
        if "code" in tv:
            body = parse_code(*_code(doc, tv, "code", f"code of task {tname}"),
                              f"code of task {tname}")
            code = (exp.stmts(body), doc.key_loc(tasks, key))
    daemon = bool(tv.get("daemon", False)) if tv is not None else False
    return TaskSpec(tname, group, tuple(init), doc.key_loc(tasks, key), daemon), code
