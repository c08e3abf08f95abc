"""The portable column-type vocabulary of spec v1."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SIMPLE = {
    "text", "integer", "bigint", "smallint", "boolean", "float", "date",
    "timestamp", "timestamptz", "time", "json", "uuid", "binary",
}
_STRING = re.compile(r"^string(?:\((\d+)\))?$")
_DECIMAL = re.compile(r"^decimal(?:\((\d+)\s*,\s*(\d+)\))?$")

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
        raise ValueError(f"type must be a string such as 'string(255)', got {text!r}")
    t = text.strip().lower().replace(" ", "")
    if t in _SIMPLE:
        return ColumnType(t)
    m = _STRING.match(t)
    if m:
        n = int(m.group(1) or 255)
        if not 1 <= n <= 16383:
            raise ValueError(f"string length must be 1..16383, got {n}")
        return ColumnType("string", (n,))
    m = _DECIMAL.match(t)
    if m:
        p, s = int(m.group(1) or 8), int(m.group(2) or 2)
        if not (1 <= p <= 65 and 0 <= s <= p):
            raise ValueError(f"decimal precision/scale must satisfy 1 <= p <= 65 and 0 <= s <= p, got ({p},{s})")
        return ColumnType("decimal", (p, s))
    raise ValueError(f"unknown type {text!r}; expected one of: {', '.join(VOCABULARY)}")
