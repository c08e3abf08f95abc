"""Identifier validation: names reach SQL, PHP and Python text, so they are checked once, here.

Quoting alone would be enough for SQL, but names also land inside string literals of
catalog queries and generated PHP/Python, so characters that could end a literal or a
statement are refused outright rather than escaped in five different syntaxes.
"""

from __future__ import annotations

import re
import unicodedata

FORBIDDEN = set("\"'`\\;")
_PLAIN = re.compile(r"[!#-&(-:<-\[\]-_a-~]+( [!#-&(-:<-\[\]-_a-~]+)*")  # printable ASCII minus " ' ` \ ; and edge spaces


def identifier_problem(name: object) -> str | None:
    """Return why `name` is not an acceptable identifier, or None if it is."""
    if not isinstance(name, str):
        return f"expected a name (string), got {type(name).__name__}"
    if not name:
        return "empty name"
    if len(name) <= 255 and _PLAIN.fullmatch(name):
        return None  # the common case, decided without a per-character walk
    if name != name.strip():
        return f"name {name!r} has leading or trailing whitespace"
    bad = sorted({c for c in name if c in FORBIDDEN or unicodedata.category(c).startswith("C")})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        return f"name {name!r} contains forbidden character(s) {shown}"
    if len(name.encode("utf-8")) > 255:
        return f"name {name[:20]!r}... is longer than 255 bytes"
    return None
