"""Safe YAML loading that keeps line/column numbers for every key and value.

Why ruamel.yaml: its round-trip loader records positions (PyYAML's safe loader does
not), rejects duplicate keys, and never constructs arbitrary Python objects.
"""
from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from flagcheck.tlamodel.errors import DesignError, remember_source
from flagcheck.tlamodel.ir import SourceLoc
from flagcheck.tlamodel.syntax import CodeRef

#: design, library and scenario files larger than this are refused before they are read
#: (a mistaken argument such as a log or an image should not be parsed for minutes)
DEFAULT_MAX_FILE_MB = 10
#: the environment variable that raises (or lowers) the limit, in megabytes
MAX_FILE_ENV = "FLAGCHECK_MAX_FILE_MB"
#: alias expansion limit: how many nodes a document may have once every ``*alias`` is
#: expanded.  ruamel shares aliased nodes, so a "billion laughs" file loads quickly, but
#: anything that later walks or prints it (a ``doc:`` string, a hash) would expand it
MAX_EXPANDED_NODES = 200_000


def max_file_bytes() -> int:
    """The size limit in bytes: FLAGCHECK_MAX_FILE_MB megabytes, else the default."""
    raw = os.environ.get(MAX_FILE_ENV, "").strip()
    if raw:
        try:
            mb = float(raw)
        except ValueError:
            raise DesignError(f"{MAX_FILE_ENV}={raw!r} is not a number of megabytes") from None
        if not mb > 0 or mb != mb or mb == float("inf"):
            raise DesignError(f"{MAX_FILE_ENV}={raw!r} must be a positive number of megabytes")
        return int(mb * 1_000_000)
    return DEFAULT_MAX_FILE_MB * 1_000_000


def file_kind(mode: int) -> str:
    """A file type in words, for refusing anything but a regular file."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_regular_file(path: Path, shown: str) -> bytes:
    """The bytes of ``path``, which must be a regular file within the size limit.

    Checked with ``os.stat`` before opening: opening a FIFO blocks until a writer comes,
    and a device such as /dev/zero never ends, so either would hang or exhaust memory.
    The read itself is bounded too, in case the file grows after the check.
    """
    limit = max_file_bytes()
    try:
        st = os.stat(path)
    except OSError as e:
        raise DesignError(f"cannot read {shown}: {e.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise DesignError(f"{shown} is {file_kind(st.st_mode)}; expected a regular YAML file")
    too_big = (f"; files are limited to {limit // 1_000_000 or limit} "
               f"{'MB' if limit >= 1_000_000 else 'bytes'} (set {MAX_FILE_ENV} to change it)")
    if st.st_size > limit:
        raise DesignError(f"{shown} is {st.st_size} bytes" + too_big)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            raw = f.read(limit + 1)
    except OSError as e:
        raise DesignError(f"cannot read {shown}: {e.strerror}") from None
    if len(raw) > limit:
        raise DesignError(f"{shown} is over {limit} bytes" + too_big)
    return raw


class YamlDoc:
    """A loaded YAML file: the data plus position look-ups into the raw text."""

    def __init__(self, path: str, text: str, data: Any) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.data = data

    def key_loc(self, m: Any, key: Any) -> SourceLoc:
        try:
            line, col = m.lc.key(key)
            return SourceLoc(self.path, line + 1, col + 1)
        except (AttributeError, KeyError, TypeError):
            return self.node_loc(m)

    def value_loc(self, m: Any, key: Any) -> SourceLoc:
        try:
            line, col = m.lc.value(key) if isinstance(m, CommentedMap) else m.lc.item(key)
            return SourceLoc(self.path, line + 1, col + 1)
        except (AttributeError, KeyError, TypeError, IndexError):
            return self.key_loc(m, key) if isinstance(m, CommentedMap) else self.node_loc(m)

    def node_loc(self, m: Any) -> SourceLoc:
        try:
            return SourceLoc(self.path, m.lc.line + 1, m.lc.col + 1)
        except AttributeError:
            return SourceLoc(self.path, 1, 1)

    def code_ref(self, m: Any, key: Any) -> CodeRef:
        """Where the scalar ``m[key]`` starts, for parsing code inside it."""
        loc = self.value_loc(m, key)
        raw = self.lines[loc.line - 1] if 0 < loc.line <= len(self.lines) else ""
        head = raw[loc.col - 1:loc.col] if loc.col - 1 < len(raw) else ""
        if head in ("|", ">"):
            nxt = loc.line  # index of the following line (0-based) == 1-based line + 0
            indent = 0
            while nxt < len(self.lines):
                body = self.lines[nxt]
                if body.strip():
                    indent = len(body) - len(body.lstrip(" "))
                    break
                nxt += 1
            return CodeRef(self.path, loc.line + 1, 1, block=True, indent=indent)
        if head in ("'", '"'):
            return CodeRef(self.path, loc.line, loc.col + 1)
        return CodeRef(self.path, loc.line, loc.col)


    def code(self, m: Any, key: Any, value: str) -> tuple[str, CodeRef]:
        """The code text of scalar ``m[key]`` and where it starts.

        Block scalars are re-read from the raw file: YAML folds the line breaks of a ``>``
        block into spaces, which would move every later error onto the first line (and let a
        ``#`` comment swallow the rest of the block).  Multi-line plain or quoted scalars
        are folded the same way, so they are refused with a hint to use ``|``.
        """
        ref = self.code_ref(m, key)
        if ref.block:
            first = ref.line - 1            # 0-based index of the first content line
            out: list[str] = []
            i = first
            while i < len(self.lines):
                raw = self.lines[i]
                if raw.strip() and len(raw) - len(raw.lstrip(" ")) < ref.indent:
                    break
                out.append(raw[ref.indent:])
                i += 1
            return "\n".join(out), ref
        raw = self.lines[ref.line - 1] if 0 < ref.line <= len(self.lines) else ""
        if value and "\\" not in raw and not raw[ref.col - 1:].startswith(value):
            raise DesignError("code that spans several lines must be a '|' block",
                              SourceLoc(self.path, ref.line, ref.col),
                              hint="write  key: |  and put the code on the following lines")
        return value, ref


def load_yaml(path: Path, shown: str | None = None) -> YamlDoc:
    shown = shown or str(path)
    raw = read_regular_file(path, shown)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DesignError(f"{shown} is not UTF-8 text (byte {e.start})",
                          SourceLoc(shown, 1, 1)) from None
    if "\x00" in text:
        raise DesignError(f"{shown} contains NUL bytes; is it a binary file?",
                          SourceLoc(shown, 1, 1))
    remember_source(shown, text)
    # typ="rt" is ruamel's round-trip loader: it builds only plain maps, lists and scalars
    # (no arbitrary Python objects, unlike PyYAML's unsafe load) and keeps line/column data
    loader = YAML(typ="rt")
    loader.allow_duplicate_keys = False
    try:
        data = loader.load(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        loc = SourceLoc(shown, mark.line + 1, mark.column + 1) if mark else SourceLoc(shown, 1, 1)
        what = (e.problem or e.context or "invalid YAML").strip()
        hint = ("use spaces, not tabs, for indentation"
                if "\t" in text and ("\\t" in str(e) or "tab" in str(e)) else "")
        if "duplicate key" in str(e):
            what = f"duplicate key: {str(e).split('found duplicate key', 1)[-1].split(chr(10))[0].strip()}"
        raise DesignError(f"YAML error: {what}", loc, hint=hint) from None
    except YAMLError as e:
        raise DesignError(f"YAML error: {e}", SourceLoc(shown, 1, 1)) from None
    except RecursionError:
        raise DesignError("YAML nesting is too deep", SourceLoc(shown, 1, 1)) from None
    except ValueError as e:
        # ruamel converts plain scalars that look like numbers with int(), which refuses
        # more than 4300 digits; point at the first such run of digits
        m = re.search(r"[0-9_]{4000,}", text)
        if m is None:
            raise DesignError(f"YAML error: {e}", SourceLoc(shown, 1, 1)) from None
        line = text.count("\n", 0, m.start()) + 1
        col = m.start() - text.rfind("\n", 0, m.start())
        raise DesignError("a number in this file is too large (thousands of digits)",
                          SourceLoc(shown, line, col),
                          hint="integers must lie within -2147483648..2147483648") from None
    try:
        _check_expansion(data, YamlDoc(shown, text, data))
    except RecursionError:
        raise DesignError("YAML nesting is too deep", SourceLoc(shown, 1, 1)) from None
    if data is None:
        raise DesignError(f"{shown} is empty; expected a flagcheck design, library or "
                          "scenario mapping", SourceLoc(shown, 1, 1))
    if not isinstance(data, CommentedMap):
        raise DesignError(f"{shown}: expected a mapping at the top level (keys such as "
                          "'flagcheck:', 'design:'), found a " + type(data).__name__,
                          SourceLoc(shown, 1, 1))
    return YamlDoc(shown, text, data)


def _check_expansion(data: Any, doc: YamlDoc) -> None:
    """Refuse a document whose aliases expand beyond :data:`MAX_EXPANDED_NODES` nodes, or
    that contains itself, anywhere in the file (not only at the top level).

    ruamel builds an aliased node once and shares it, so loading is cheap; the limit is
    on what a later walk (printing a ``doc:`` value, comparing, hashing) would have to
    visit.  Sizes are memoised per shared node, so the check is linear in the file.
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Any) -> int:
        if not isinstance(node, (CommentedMap, CommentedSeq)):
            return 1
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise DesignError("a YAML alias refers to a node that contains it",
                              doc.node_loc(node), hint="remove the recursive '*' alias")
        active.add(key)
        items = (list(node.keys()) + list(node.values()) if isinstance(node, CommentedMap)
                 else list(node))
        total = 1
        for item in items:
            total += size(item)
            if total > MAX_EXPANDED_NODES:
                raise DesignError(f"YAML aliases expand to more than {MAX_EXPANDED_NODES} "
                                  "values here (an alias bomb?)", doc.node_loc(node),
                                  hint="write the value out, or use fewer '*' aliases")
        active.discard(key)
        sizes[key] = total
        return total

    size(data)


def is_map(x: Any) -> bool:
    return isinstance(x, CommentedMap)


def is_seq(x: Any) -> bool:
    return isinstance(x, CommentedSeq)
