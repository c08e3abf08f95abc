"""The identifier policy: which names fixgen accepts, checked once, here, for every door.

A name reaches five languages (SQL of three dialects, PHP, Python), as a quoted SQL
identifier, inside SQL string literals of catalog queries, inside PHP and Python string
literals, and in comments. Each renderer quotes and escapes it for its language
(fixgen.escape); on top of that, fixgen only accepts names made of characters that are
inert in all of them, so that no quoting slip can ever turn a name into code:

* letters, digits and combining marks of any script (Unicode categories L, M, N);
* ``_ $ - # @ % { }``, and single ASCII spaces between other characters (``%`` is doubled
  wherever a runtime passes SQL through a %-formatting driver or ``format()``; no runtime builds a
  format string from a name, so braces are plain text);
* at most 255 bytes of UTF-8 (a target may have a lower limit; see Dialect.fits).

Everything else is refused with the name and the character: quotes and backticks (end a
literal or identifier), backslash (an escape in MySQL, PHP and Python), ``;`` (ends a
statement), ``?`` and ``:`` (PDO and SQLAlchemy placeholders), ``*`` and ``/`` (comment
delimiters), ``<`` and ``>`` (``?>`` ends PHP code), ``.`` (the spec's ``table.column``), other punctuation and symbols, and every
control, format, separator (U+2028, U+2029, no-break space) or unassigned code point.
"""

from __future__ import annotations

import re
import unicodedata

MAX_BYTES = 255
ALLOWED_PUNCTUATION = "_$-#@%{}"
_PLAIN = re.compile(r"[A-Za-z0-9_$#@%{}-]+( [A-Za-z0-9_$#@%{}-]+)*")  # the common case, decided by one regex


def _allowed(c: str) -> bool:
    return c in ALLOWED_PUNCTUATION or c == " " or unicodedata.category(c)[0] in "LMN"


def shown(name: str) -> str:
    """A name as error messages print it: quoted, with every invisible character escaped."""
    return repr(name) if len(name) <= 80 else repr(name[:60]) + f"... ({len(name)} characters)"


def identifier_problem(name: object) -> str | None:
    """Return why `name` is not an acceptable identifier, or None if it is."""
    if not isinstance(name, str):
        return f"expected a name (string), got {type(name).__name__}"
    if not name:
        return "empty name"
    if len(name) <= MAX_BYTES and _PLAIN.fullmatch(name):
        return None
    bad = sorted({c for c in name if not _allowed(c)})
    if bad:
        chars = ", ".join(repr(c) for c in bad)
        return f"name {shown(name)} contains forbidden character(s) {chars}"
    if name != name.strip(" "):
        return f"name {shown(name)} has leading or trailing whitespace"
    if "  " in name:
        return f"name {shown(name)} has two spaces in a row"
    if len(name.encode("utf-8")) > MAX_BYTES:
        return f"name {shown(name)} is longer than {MAX_BYTES} bytes"
    return None
