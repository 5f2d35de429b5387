"""Errors a design author sees: file:line:col, the offending line with a caret, a hint.

Every user mistake becomes a ``DesignError``; the CLI prints ``render()`` and exits 2.
Anything else escaping the front end is a flagcheck bug, not a user error.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from flagcheck.tlamodel.ir import SourceLoc


@dataclass
class DesignError(Exception):
    message: str
    loc: SourceLoc | None = None
    hint: str = ""
    context: str = ""   # e.g. "in procedure send_signal, inlined from task T"

    def __str__(self) -> str:
        return self.render()

    def render(self) -> str:
        head = f"{self.loc}: error: {self.message}" if self.loc else f"error: {self.message}"
        lines = [head]
        if self.context:
            lines.append(f"  ({self.context})")
        snippet = _source_line(self.loc)
        if snippet is not None and self.loc is not None:
            lines.append("  " + snippet.rstrip("\n").expandtabs(1))
            lines.append("  " + " " * max(self.loc.col - 1, 0) + "^")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


_LINES: dict[str, list[str]] = {}


def remember_source(path: str, text: str) -> None:
    """Keep file text so errors can quote the offending line."""
    _LINES[path] = text.splitlines()


def _source_line(loc: SourceLoc | None) -> str | None:
    if loc is None:
        return None
    lines = _LINES.get(loc.file)
    if lines is None:
        # only a regular file of modest size: quoting a line must never block on a FIFO
        # or read a device without end
        try:
            path = Path(loc.file)
            if not path.is_file() or path.stat().st_size > 50_000_000:
                return None
            lines = path.read_text(errors="replace").splitlines()
        except (OSError, ValueError):
            return None
        _LINES[loc.file] = lines
    if 1 <= loc.line <= len(lines):
        return lines[loc.line - 1]
    return None


#: the largest magnitude of an integer written in a design: models are finite and every
#: back end (Z3 bit-vectors, Promela's int, TLA+) holds 32-bit values, while Python's int()
#: refuses strings of over 4300 digits with an error that is not the user's to decode
MAX_INT_LITERAL = 2**31


def checked_int(text: str, loc: SourceLoc | None, what: str = "integer") -> int:
    """``text`` (ASCII digits, optionally after a '-') as an int within
    ±:data:`MAX_INT_LITERAL`; anything else is a located DesignError."""
    digits = text[1:] if text.startswith("-") else text
    if not (digits.isascii() and digits.isdigit()):
        raise DesignError(f"{what} {text!r} is not a whole number written in digits 0-9", loc)
    if len(digits) > 12 or abs(int(text)) > MAX_INT_LITERAL:
        shown = text if len(text) <= 24 else f"{text[:12]}...({len(digits)} digits)"
        raise DesignError(f"{what} {shown} is too large", loc,
                          hint=f"integers must lie within -{MAX_INT_LITERAL}..{MAX_INT_LITERAL}")
    return int(text)


def did_you_mean(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(set(known)), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""
