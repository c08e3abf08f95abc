"""The portable column-type vocabulary of spec v1."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fixgen.identifiers import shown

_SIMPLE = {
    "text", "integer", "bigint", "smallint", "boolean", "float", "date",
    "timestamp", "timestamptz", "time", "json", "uuid", "binary",
}
# ASCII digits only (\d would take any script's digits, which int() reads too), whole text only
_STRING = re.compile(r"string(?:\(([0-9]+)\))?")
_DECIMAL = re.compile(r"decimal(?:\(([0-9]+)\s*,\s*([0-9]+)\))?", re.ASCII)
_MAX_DIGITS = 6  # more is out of range anyway; int() refuses thousands of digits

VOCABULARY = sorted(_SIMPLE | {"string(n)", "decimal(p,s)"})
# The same vocabulary as a JSON Schema pattern (case-insensitive spelling is not offered there).
TYPE_PATTERN = r"^\s*(" + "|".join(sorted(_SIMPLE)) + r"|string(\(\s*\d+\s*\))?|decimal(\(\s*\d+\s*,\s*\d+\s*\))?)\s*$"


@dataclass(frozen=True)
class ColumnType:
    """A parsed portable type; `args` are its length or precision/scale."""

    name: str
    args: tuple[int, ...] = ()

    def __str__(self) -> str:
        return f"{self.name}({','.join(map(str, self.args))})" if self.args else self.name


def parse_type(text: object) -> ColumnType:
    """Parse `string(255)`, `decimal(10,2)`, `uuid`, ...; raise ValueError with a helpful message."""
    if not isinstance(text, str):
        raise ValueError(f"type must be a string such as 'string(255)', got {_what(text)}")
    if not text.isascii():  # lower() maps some non-ASCII letters to ASCII ones (U+212A KELVIN SIGN to k)
        raise ValueError(f"unknown type {shown(text)}; expected one of: {', '.join(VOCABULARY)}")
    t = text.strip().lower().replace(" ", "")
    if t in _SIMPLE:
        return ColumnType(t)
    m = _STRING.fullmatch(t)
    if m:
        n = _number(m.group(1) or "255")
        if not 1 <= n <= 16383:
            raise ValueError(f"string length must be 1..16383, got {_shown_number(m.group(1))}")
        return ColumnType("string", (n,))
    m = _DECIMAL.fullmatch(t)
    if m:
        p, s = _number(m.group(1) or "8"), _number(m.group(2) or "2")
        if not (1 <= p <= 65 and 0 <= s <= p):
            raise ValueError("decimal precision/scale must satisfy 1 <= p <= 65 and 0 <= s <= p, "
                             f"got ({_shown_number(m.group(1))},{_shown_number(m.group(2))})")
        return ColumnType("decimal", (p, s))
    raise ValueError(f"unknown type {shown(text)}; expected one of: {', '.join(VOCABULARY)}")


def _number(digits: str) -> int:
    """An argument's value; one of too many digits counts as out of range (it is, by far)."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= _MAX_DIGITS else 10**_MAX_DIGITS


def _shown_number(digits: str) -> str:
    return digits if len(digits) <= 12 else f"{digits[:6]}... ({len(digits)} digits)"


def _what(value: object) -> str:
    """A value that is not a type name, shown briefly (never the whole of a list or mapping)."""
    if value is None or isinstance(value, (bool, float)) or (isinstance(value, int) and -10**20 < value < 10**20):
        return repr(value)
    return type(value).__name__


_INT_RANGE = {"smallint": 15, "integer": 31, "bigint": 63}  # bits of magnitude
_INT_TEXT = re.compile(r"-?[0-9]+")
_NUMBER_TEXT = re.compile(r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?")


def default_problem(t: ColumnType, value: object) -> str | None:
    """Why `value` cannot be the default of a `t` column (the database would refuse it when up runs), or None."""
    if value is None:
        return None
    kind = t.name
    if kind in _INT_RANGE:
        text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(text, str) or not _INT_TEXT.fullmatch(text):
            return f"a default for {_a(t)} column must be a whole number, got {shown(str(value))}"
        if abs(int(text)) >= 2 ** _INT_RANGE[kind]:
            return f"{text} is out of range for a {t} column"
        return None
    if kind in ("decimal", "float"):
        text = repr(value) if isinstance(value, float) else str(value)
        if isinstance(value, bool) or not (isinstance(value, (int, float)) or _NUMBER_TEXT.fullmatch(text)):
            return f"a default for {_a(t)} column must be a number, got {shown(str(value))}"
        if kind == "decimal" and "e" not in text.lower():
            whole = text.lstrip("-").split(".")[0].lstrip("0")
            if len(whole) > t.args[0] - t.args[1]:
                return f"{text} has more whole digits than a {t} column holds ({t.args[0] - t.args[1]})"
        return None
    if kind == "boolean":
        return None if isinstance(value, bool) else f"a default for a boolean column must be true or false, got " \
            f"{shown(str(value))}"
    if isinstance(value, bool):
        return f"a default for {_a(t)} column cannot be {str(value).lower()}"
    if kind == "string":
        return None if len(str(value)) <= t.args[0] else f"the default is longer than string({t.args[0]})"
    if kind in ("date", "time", "timestamp", "timestamptz", "uuid", "json"):
        return _text_default_problem(kind, str(value)) if isinstance(value, str) else \
            f"a default for {_a(t)} column must be quoted text, got {shown(str(value))}"
    return None  # text and binary take any text (binary: its bytes, as each dialect reads a text literal)


def _a(t: ColumnType) -> str:
    return ("an " if str(t)[0] in "aeiou" else "a ") + str(t)


def _text_default_problem(kind: str, text: str) -> str | None:
    import datetime
    import json
    import uuid

    parse = {"date": datetime.date.fromisoformat, "time": datetime.time.fromisoformat,
             "timestamp": lambda v: datetime.datetime.fromisoformat(v.replace(" ", "T", 1)),
             "timestamptz": lambda v: datetime.datetime.fromisoformat(v.replace(" ", "T", 1)),
             "uuid": uuid.UUID, "json": json.loads}[kind]
    try:
        parse(text)
    except ValueError:
        example = {"date": "2025-01-31", "time": "13:45:00", "timestamp": "2025-01-31 13:45:00",
                   "timestamptz": "2025-01-31 13:45:00+00:00", "uuid": "123e4567-e89b-12d3-a456-426614174000",
                   "json": '{"a": 1}'}[kind]
        return f"{shown(text)} is not a {kind} (for example {example!r})"
    return None
