"""``flagcheck test --update``: write the verdicts a run settled into the design's ``expect:``.

Like the update mode of snapshot tests: after an intended change, one command refreshes the
expectations and ``git diff`` shows what moved.  Two rules keep it honest:

* only settled verdicts are written (violated, holds, proved); an ``unknown`` search never
  becomes an expectation, and the entry it would have replaced is left as it was;
* the file keeps its comments and layout.  A YAML dump would not (ruamel.yaml's round trip
  keeps comments but drops column alignment such as ``pipe_data:  {...}``), so the edit is
  made on the text: ruamel.yaml's round-trip loader (safe: plain maps, lists and scalars
  only) gives the line and column of every ``expect:`` value, the value token is replaced
  in place, and missing entries are added in the block's own style.  The edited text is
  parsed again and must differ from the old one only in the intended entries before it is
  written.

A ``violated@N`` entry is refreshed with the new depth; a plain ``violated`` stays plain
(the design chose not to pin the depth); new entries are written without a depth.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from flagcheck.checker.verdict import Verdict
from flagcheck.tlamodel.errors import DesignError
from flagcheck.tlamodel.ir import SourceLoc

_TOKEN = re.compile(r"\"[^\"]*\"|'[^']*'|[^\s,{}\[\]#]+")


@dataclass(frozen=True)
class Change:
    """One expectation written: where, what it said before (None: absent) and now."""
    scenario: str
    property: str
    old: str | None
    new: str
    line: int            # 1-based line of the entry in the edited file


@dataclass
class Update:
    """The outcome of updating one design file."""
    path: Path
    changes: list[Change] = field(default_factory=list)
    unsettled: list[Verdict] = field(default_factory=list)   # unknown: left as it was

    @property
    def written(self) -> bool:
        return bool(self.changes)


def wanted(v: Verdict) -> str | None:
    """The expectation ``v`` should have, or None when the current one is met or ``v``
    did not settle anything."""
    if v.status not in ("violated", "holds", "proved"):
        return None
    e = v.expected
    if e is not None and v.expectation_met():
        return None
    if v.status == "violated":
        pinned = e is not None and e.verdict == "violated" and e.depth is not None
        return f"violated@{v.outcome.depth}" if pinned and v.outcome is not None else "violated"
    return "holds"


def _load(text: str, shown: str) -> CommentedMap:
    loader = YAML(typ="rt")        # round-trip loader: plain data, with positions
    data = loader.load(io.StringIO(text))
    if not isinstance(data, CommentedMap):
        raise DesignError(f"{shown}: expected a mapping at the top level", SourceLoc(shown, 1, 1))
    return data


def _plain(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_plain(v) for v in x]
    return x


def update_file(path: Path, verdicts: list[Verdict]) -> Update:
    """Refresh the ``expect:`` block of the design file ``path`` from ``verdicts`` (its run)."""
    shown = str(path)
    text = path.read_text(encoding="utf-8")
    data = _load(text, shown)
    result = Update(path)
    todo: list[tuple[str, str, str]] = []          # (scenario, property, word)
    for v in verdicts:
        if v.status == "unknown":
            result.unsettled.append(v)
            continue
        w = wanted(v)
        if w is not None:
            todo.append((v.scenario, v.property, w))
    if not todo:
        return result

    lines = text.splitlines(keepends=True)
    inline: list[tuple[int, int, int, str]] = []    # (line, col from, col to, text), 0-based
    after: dict[int, list[str]] = {}                # new lines after line N (0-based; -1 = EOF)
    new_scen: dict[str, list[tuple[str, str]]] = {}
    exp = data.get("expect")
    if "expect" in data and not isinstance(exp, CommentedMap):
        raise DesignError("'expect' must be a mapping to update it", _loc(shown, data.lc.value("expect")))
    old_words: dict[tuple[str, str], str | None] = {}

    for scen, prop, word in todo:
        pm = exp.get(scen) if isinstance(exp, CommentedMap) else None
        if isinstance(pm, CommentedMap) and prop in pm:
            line, col = pm.lc.value(prop)
            m = _TOKEN.match(lines[line], col)
            if m is None:
                raise DesignError(f"cannot read the expectation of {scen} / {prop}",
                                  _loc(shown, (line, col)))
            old_words[(scen, prop)] = str(pm[prop])
            inline.append((line, m.start(), m.end(), word))
        elif isinstance(pm, CommentedMap):
            old_words[(scen, prop)] = None
            _add_to_scenario(lines, exp, scen, pm, prop, word, inline, after, shown)
        elif pm is None:
            old_words[(scen, prop)] = None
            new_scen.setdefault(scen, []).append((prop, word))
        else:
            raise DesignError(f"expect: {scen} must be a mapping to update it",
                              _loc(shown, exp.lc.value(scen)))

    if new_scen:
        entries = [f"{s}: {{" + ", ".join(f"{p}: {w}" for p, w in pw) + "}" for s, pw in new_scen.items()]
        if isinstance(exp, CommentedMap) and len(exp) and not exp.fa.flow_style():
            last = list(exp)[-1]
            indent = exp.lc.key(last)[1]
            after.setdefault(_last_line(exp, last), []).extend(" " * indent + e for e in entries)
        elif isinstance(exp, CommentedMap) and not len(exp):
            line, col = data.lc.value("expect")          # 'expect: {}'
            end = re.compile(r"\{\s*\}").match(lines[line], col)
            if end is None:
                raise DesignError("cannot add to this expect: block", _loc(shown, (line, col)))
            inline.append((line, end.start(), end.end(), ""))
            after.setdefault(line, []).extend("  " + e for e in entries)
        elif isinstance(exp, CommentedMap):
            raise DesignError("--update adds scenarios to a block-style expect: only",
                              _loc(shown, data.lc.value("expect")),
                              hint="write one 'scenario: {property: verdict}' line per scenario")
        else:
            after.setdefault(-1, []).extend(["expect:"] + ["  " + e for e in entries])

    merged: dict[tuple[int, int, int], str] = {}     # two additions at one place: in order
    for line, a, b, new in inline:
        merged[(line, a, b)] = merged.get((line, a, b), "") + new
    for (line, a, b), new in sorted(merged.items(), reverse=True):
        s = lines[line]
        lines[line] = s[:a] + new + s[b:]
    if -1 in after:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        lines.extend(x + "\n" for x in after.pop(-1))
    for line in sorted(after, reverse=True):
        lines[line + 1:line + 1] = [x + "\n" for x in after[line]]
    new_text = "".join(lines)

    # the edit must change exactly the intended entries
    try:
        edited = _load(new_text, shown)
    except Exception as e:  # noqa: BLE001 - whatever broke, the file is not written
        raise RuntimeError(f"updating {shown} would not leave valid YAML ({e}); "
                           "edit its expect: block by hand") from None
    before, now = _plain(data), _plain(edited)
    want_exp = dict(before.get("expect") or {})
    for scen, prop, word in todo:
        want_exp[scen] = dict(want_exp.get(scen) or {}, **{prop: word})
    before["expect"] = want_exp
    if now != before:
        raise RuntimeError(f"updating {shown} would change more than its expect: block; "
                           "edit it by hand")
    path.write_text(new_text, encoding="utf-8")
    new_exp = edited["expect"]
    for scen, prop, word in todo:
        line = new_exp[scen].lc.value(prop)[0] + 1
        result.changes.append(Change(scen, prop, old_words[(scen, prop)], word, line))
    return result


def _loc(shown: str, pos: tuple[int, int]) -> SourceLoc:
    return SourceLoc(shown, pos[0] + 1, pos[1] + 1)


def _last_line(exp: CommentedMap, scen: str) -> int:
    """The last line (0-based) the entry ``scen`` of ``exp`` occupies."""
    line = exp.lc.value(scen)[0]
    pm = exp[scen]
    if isinstance(pm, CommentedMap):
        for k in pm:
            line = max(line, pm.lc.value(k)[0])
    return line


def _add_to_scenario(lines: list[str], exp: CommentedMap, scen: str, pm: CommentedMap, prop: str,
                     word: str, inline: list[tuple[int, int, int, str]],
                     after: dict[int, list[str]], shown: str) -> None:
    """Add ``prop: word`` to the scenario's mapping, in its flow or block style."""
    if pm.fa.flow_style():
        if len(pm):
            last = list(pm)[-1]
            line, col = pm.lc.value(last)
            m = _TOKEN.match(lines[line], col)
            if m is None:
                raise DesignError(f"cannot read the expectation of {scen} / {last}",
                                  _loc(shown, (line, col)))
            inline.append((line, m.end(), m.end(), f", {prop}: {word}"))
        else:
            line, col = exp.lc.value(scen)
            m = re.compile(r"\{\s*\}").match(lines[line], col)
            if m is None:
                raise DesignError(f"cannot add to expect: {scen}", _loc(shown, (line, col)))
            inline.append((line, m.start(), m.end(), f"{{{prop}: {word}}}"))
        return
    last = list(pm)[-1]
    indent = pm.lc.key(last)[1]
    after.setdefault(pm.lc.value(last)[0], []).append(" " * indent + f"{prop}: {word}")
