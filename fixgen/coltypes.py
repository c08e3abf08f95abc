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
