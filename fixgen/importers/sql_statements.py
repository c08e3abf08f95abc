"""Cut a SQL script into statements, each with the line it starts on.

sqlglot numbers lines within the text it is given, and one dialect's tokenizer chokes on
another's quoting, so the script is cut here first, by a lexer that only knows what can
hide a `;`: quotes of every dialect, comments, PostgreSQL dollar quotes. Each piece is
then parsed on its own, in whichever dialect reads it. psql backslash commands (a line
starting with `\\`) are client commands, not SQL: they come out as statements of their own,
marked `client`, for the importer to report.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from fixgen.errors import FixgenError, Problem

_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")
_WORD = re.compile(r"\w")


@dataclass(frozen=True)
class Statement:
    text: str  # without the terminating ';'
    line: int  # 1-based line of its first character
    client: bool = False  # a psql meta-command or MySQL client DELIMITER line


def split_statements(text: str, file: str, dialect: str | None = None) -> list[Statement]:
    """Statements in order; comments between statements are dropped, those inside kept.

    `dialect` (fixgen's name) decides the MySQL-only rules: `#` comments anywhere and
    backslash escapes in '...'. Without one, `#` starts a comment only between statements.
    """
    newlines = [i for i, c in enumerate(text) if c == "\n"]

    def line_of(pos: int) -> int:
        return bisect.bisect_right(newlines, pos - 1) + 1

    mysql = dialect == "mysql"
    out: list[Statement] = []
    i, n = 0, len(text)
    start: int | None = None
    while i < n:
        c = text[i]
        if start is None:
            if c.isspace():
                i += 1
                continue
            if (c == "\\" or text.startswith(("DELIMITER ", "delimiter "), i)) and _at_line_start(text, i):
                end = _eol(text, i)
                out.append(Statement(text[i:end].strip(), line_of(i), client=True))
                i = end
                continue
        if text.startswith("--", i) or (c == "#" and (mysql or start is None)):
            i = _eol(text, i)
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j < 0:
                raise FixgenError([Problem("unterminated /* comment", file, line_of(i))])
            i = j + 2
            continue
        if start is None:
            start = i
        if c in "'\"`":
            backslash = c == "'" and (mysql or _e_string(text, i))
            i = _close_quote(text, i, c, backslash, file, line_of)
            continue
        if c == "$" and (i == 0 or not _WORD.match(text[i - 1])):
            m = _DOLLAR.match(text, i)
            if m:
                j = text.find(m.group(0), m.end())
                if j < 0:
                    raise FixgenError([Problem(f"unterminated dollar quote {m.group(0)}", file, line_of(i))])
                i = j + len(m.group(0))
                continue
        if c == ";":
            if i > start:  # `;;` is an empty statement
                out.append(Statement(text[start:i].rstrip(), line_of(start)))
            start = None
        i += 1
    if start is not None and text[start:].strip():
        out.append(Statement(text[start:].rstrip(), line_of(start)))
    return out


def _eol(text: str, i: int) -> int:
    j = text.find("\n", i)
    return len(text) if j < 0 else j


def _at_line_start(text: str, i: int) -> bool:
    j = text.rfind("\n", 0, i)
    return not text[j + 1:i].strip()


def _e_string(text: str, i: int) -> bool:
    """PostgreSQL E'...' strings take backslash escapes."""
    return i > 0 and text[i - 1] in "eE" and (i == 1 or not _WORD.match(text[i - 2]))


def _close_quote(text: str, i: int, q: str, backslash: bool, file: str, line_of) -> int:  # noqa: ANN001
    """Index just past the quote opened at i; a doubled quote (and \\x when `backslash`) stays inside."""
    j = i + 1
    n = len(text)
    while j < n:
        c = text[j]
        if backslash and c == "\\":
            j += 2
            continue
        if c == q:
            if j + 1 < n and text[j + 1] == q:
                j += 2
                continue
            return j + 1
        j += 1
    what = {"'": "string", '"': "quoted identifier", "`": "quoted identifier"}[q]
    raise FixgenError([Problem(f"unterminated {what} starting {text[i:i + 20]!r}", file, line_of(i))])
