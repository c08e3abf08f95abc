"""Findings: issues discovered by `fixgen import` and `fixgen detect`, on their way to a spec.

A finding is a spec v1 issue in the making. It may still lack something a fix needs
(a foreign key's referenced table, the columns behind a constraint name): those gaps
are named in `gaps`, filled from a live database when one is given, and otherwise
reported one by one — a finding is never dropped silently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from fixgen.errors import FixgenError, Problem
from fixgen.identifiers import identifier_problem

# spec v1 key order, so generated specs read like hand-written ones
_KEY_ORDER = ("id", "kind", "message", "source", "table", "name", "columns", "column", "unique",
              "references", "on_delete", "on_update", "current_on_delete", "current_on_update", "type", "nullable",
              "default", "from", "to")


@dataclass
class Finding:
    """One issue for the spec, plus where it came from."""

    kind: str
    fields: dict[str, Any]
    source: str
    message: str
    origin: str | None = None  # "file:line" of the input it was read from
    gaps: dict[str, str] = field(default_factory=dict)  # field -> what is missing, in words
    hints: dict[str, Any] = field(default_factory=dict)  # what a resolver may use to fill a gap

    def issue(self) -> dict[str, Any]:
        """The spec v1 mapping (only meaningful once `gaps` is empty)."""
        item: dict[str, Any] = {"kind": self.kind, "message": self.message, "source": self.source, **self.fields}
        return {k: item[k] for k in sorted(item, key=_key_rank) if item[k] is not None}

    def key(self) -> str:
        """Identity for de-duplication: what the fix does, not who reported it."""
        return json.dumps([self.kind, self.fields], sort_keys=True, default=str)

    def where(self) -> str:
        return f"{self.origin}: " if self.origin else ""


# the fields that hold names, and the hints that name what a resolver looks up in the database
_NAME_FIELDS = ("table", "name", "column", "from", "to")
_NAME_HINTS = ("column", "constraint", "index", "ref_table")


def name_problems(f: Finding) -> list[str]:
    """`field: why` for each name in the finding that fixgen's identifier policy refuses (a gap's None is
    no name yet). A finding with any must not reach a spec: whoever made it reports these instead."""
    out: dict[str, str] = {}  # why -> where: a name in a field and in a hint is reported once

    def check(where: str, value: Any) -> None:
        why = identifier_problem(value)
        if why:
            out.setdefault(why, where)

    for key in _NAME_FIELDS:
        if f.fields.get(key) is not None:
            check(key, f.fields[key])
    columns = f.fields.get("columns")
    if isinstance(columns, (list, tuple)):
        for c in columns:
            check("columns", c)
    elif columns is not None:
        out.setdefault(f"expected a list of names, got {type(columns).__name__}", "columns")
    ref = f.fields.get("references")
    if isinstance(ref, str):
        table, dot, column = ref.partition(".")
        check("references", table)
        if dot:
            check("references", column)
    elif isinstance(ref, dict):
        check("references", ref.get("table"))
        for c in ref.get("columns") or ([ref["column"]] if ref.get("column") is not None else []):
            check("references", c)
    elif ref is not None:
        out.setdefault(f"expected 'table.column' or {{table, columns}}, got {type(ref).__name__}", "references")
    for key in _NAME_HINTS:
        if f.hints.get(key) is not None:
            check(key, f.hints[key])
    return [f"{where}: {why}" for why, where in out.items()]


def _key_rank(key: str) -> int:
    return _KEY_ORDER.index(key) if key in _KEY_ORDER else len(_KEY_ORDER)


class IncompleteError(FixgenError):
    """Findings that lack something a fix needs and no database was given to supply it."""


def dedupe(findings: list[Finding]) -> list[Finding]:
    """Drop findings whose fix another finding already asks for (first one wins)."""
    seen: set[str] = set()
    out = []
    for f in findings:
        k = f.key()
        if k not in seen:
            seen.add(k)
            out.append(f)
    return out


def check_complete(findings: list[Finding]) -> None:
    problems = [Problem(f"{f.where()}{f.message}: {gap}")
                for f in findings for gap in f.gaps.values()]
    if problems:
        raise IncompleteError(problems)


def to_spec(findings: list[Finding], fmt: str = "yaml", name: str | None = None) -> str:
    """Serialize complete findings as spec v1 text, checked by the same loader `emit` uses."""
    from fixgen.spec import load_spec

    check_complete(findings)
    doc: dict[str, Any] = {"version": 1}
    if name:
        doc["name"] = name
    doc["issues"] = [f.issue() for f in findings]
    if fmt == "json":
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    elif fmt == "yaml":
        import yaml

        text = yaml.dump(doc, Dumper=_dumper(), sort_keys=False, allow_unicode=True, width=120)
    else:
        raise FixgenError(f"unknown output format {fmt!r} (expected yaml or json)")
    if findings:
        load_spec(text, "<generated spec>")  # a bug here is ours, not the user's: SpecError would say so loudly
    return text


def _dumper() -> type:
    import yaml

    base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    class Dumper(base):  # type: ignore[misc, valid-type]
        pass

    def flow_list(dumper: Any, data: list) -> Any:
        # short name lists read best inline: columns: [a, b]
        flow = all(isinstance(x, str) for x in data)
        return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)

    Dumper.add_representer(list, flow_list)
    return Dumper


# `--format table`: the WHAT column is as wide as its longest message, at most WHAT_MAX characters (less to fit a
# terminal, but never under WHAT_MIN); a longer message runs into SOURCE's column on its own line only
WHAT_MAX = 100
WHAT_MIN = 40


def to_table(findings: list[Finding], width: int | None = None) -> str:
    """A human-readable table for `--format table` (terminal, not for machines): one line per row.

    KIND and TABLE are as wide as their widest cell; WHAT as its widest cell up to WHAT_MAX, or up to what
    `width` (the terminal's columns) leaves it beside the other three, but at least WHAT_MIN. A message wider
    than WHAT pushes that row's SOURCE to the right (nothing is cut), the others keep their alignment."""
    rows = [("KIND", "TABLE", "WHAT", "SOURCE")]
    for f in findings:  # a linter's text may hold escape sequences: shown, never sent to the terminal
        rows.append(tuple(printable(t) for t in (f.kind, str(f.fields.get("table", "")), f.message, f.source)))
    kind_w, table_w = (max(len(r[i]) for r in rows) for i in (0, 1))
    cap = WHAT_MAX
    if width is not None:
        source_w = max(len(r[3]) for r in rows)
        cap = max(WHAT_MIN, min(WHAT_MAX, width - kind_w - table_w - source_w - 6))
    what_w = min(max(len(r[2]) for r in rows), cap)
    lines = [f"{kind.ljust(kind_w)}  {table.ljust(table_w)}  {what.ljust(what_w)}  {source}"
             for kind, table, what, source in rows]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def printable(text: str) -> str:
    """Text for a terminal: every unprintable character (an escape sequence, a line break) shown escaped."""
    return text if text.isprintable() else "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
