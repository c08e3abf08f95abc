"""Outside text made safe for each language fixgen writes: the one escaping layer.

Outside text is everything fixgen did not write itself: a spec's ids, messages, sources,
names and defaults, the spec's file name, command-line values, what importers and
`detect` read, and every identifier. It reaches generated files in two forms:

* **comments**, for people: the text is kept readable, but made one line and stripped of
  whatever ends the comment in that language (``*/``; ``?>``, which ends PHP code even
  inside a ``//`` comment; triple quotes and backslashes in a Python docstring);
* **literals**, for the program: quoted so the language reads back exactly the text.

Renderers never paste outside text into code: they call one of these functions (templates
get them as filters; fixgen.targets.templates refuses any plain string in a template).
Identifiers are also held to fixgen.identifiers' policy before they get here.
"""

from __future__ import annotations

import math
import re

# every character a language might take for a line break (Python's str.splitlines set,
# JavaScript's U+2028/U+2029) plus the other C0/C1 controls and NUL
_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def one_line(text: object) -> str:
    """Text on a single line with no control characters: what any line comment can hold."""
    s = str(text)
    if s.isprintable():  # the common case: no control or separator characters at all
        return s.strip()
    return _BREAKS.sub(" ", s).strip()


def _defuse(s: str, pairs: tuple[tuple[str, str], ...]) -> str:
    """Replace each delimiter until none is left (a replacement may not re-form one)."""
    changed = True
    while changed:
        changed = False
        for bad, good in pairs:
            if bad in s:
                s = s.replace(bad, good)
                changed = True
    return s


# ----------------------------------------------------------------------------- SQL


def sql_comment(text: object) -> str:
    """For a ``-- `` line comment of any dialect (and safe inside ``/* */`` too)."""
    s = str(text)
    if s.isprintable() and "*/" not in s and "/*" not in s:  # the common case, decided in C
        return s.strip()
    return _defuse(one_line(s), (("*/", "* /"), ("/*", "/ *")))


# SQL string literals live on Dialect.literal: their escaping differs per dialect.


# ----------------------------------------------------------------------------- PHP


def php_comment(text: object) -> str:
    """For ``//`` comments and ``/* */`` docblocks: ``?>`` would end the PHP code itself."""
    s = str(text)
    if s.isprintable() and "?>" not in s and "*/" not in s:  # the common case, decided in C
        return s.strip()
    return _defuse(one_line(s), (("?>", "? >"), ("*/", "* /")))


def php_string(value: str) -> str:
    """A PHP string literal that reads back as `value`.

    Single quotes where the text is printable (only ``\\`` and ``'`` are special there);
    otherwise double quotes with every special and invisible character escaped, so the
    file holds no raw control character and nothing is interpolated (``$`` is escaped).
    """
    if value.isprintable():
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    out = []
    for c in value:
        if c in '\\"$':
            out.append("\\" + c)
        elif c.isprintable():
            out.append(c)
        else:
            out.append(f"\\u{{{ord(c):x}}}")
    return '"' + "".join(out) + '"'


# ----------------------------------------------------------------------------- Python


def py_comment(text: object) -> str:
    """For a ``#`` comment: one line is all Python needs."""
    return one_line(text)


def py_docstring(text: object) -> str:
    """For text inside a triple-quoted docstring: no backslash escapes, no way to close it."""
    s = one_line(text).replace("\\", "\\\\").replace('"', '\\"')
    return s


def py_string(value: object) -> str:
    """A Python literal that reads back as `value`: repr, once every part is known to have an exact one."""
    _check_literal(value)
    return repr(value)


def _check_literal(value: object) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise TypeError(f"no Python literal for {value!r}")
    if value is None or isinstance(value, (str, int, float)):
        return
    if isinstance(value, (list, tuple)):
        for v in value:
            _check_literal(v)
        return
    if isinstance(value, dict):
        for k, v in value.items():
            _check_literal(k)
            _check_literal(v)
        return
    raise TypeError(f"no Python literal for {type(value).__name__}")
