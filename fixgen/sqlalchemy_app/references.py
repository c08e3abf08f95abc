"""Strings in the app that name a column the fix renames: raw SQL (`text("... created_by_user_id ...")`), a
CheckConstraint, a dict of column names. The rewrite keeps every attribute and Column key, so Python references
(`Webhook.created_by_user_id`, `ForeignKey("webhooks.created_by_user_id")`, `Index("ix", "created_by_user_id")`)
go on working; only text the database reads still says the old name. Those are reported, never rewritten: which
table a SQL string means is for a person to say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from fixgen.ops import RenameColumn
from fixgen.sqlalchemy_app.models import AppModels, call_name
from fixgen.sqlalchemy_app.rewrite import Change
from fixgen.sqlalchemy_app.source import Source

# calls whose string arguments are attribute or Column keys, which the rewrite keeps: no report there
KEY_CALLS = frozenset({
    "ForeignKey", "Index", "UniqueConstraint", "PrimaryKeyConstraint", "ForeignKeyConstraint", "relationship",
    "column_property", "getattr", "setattr", "hasattr", "Column", "mapped_column", "synonym", "validates",
    "foreign", "remote", "backref",
})


@dataclass(frozen=True)
class _Rename:
    table: str
    old: str
    new: str


def string_references(sources: list[Source], renames: list[RenameColumn], models: AppModels) -> list[Change]:
    if not renames:
        return []
    by_old: dict[str, list[_Rename]] = {}
    for op in renames:
        by_old.setdefault(op.old, []).append(_Rename(op.table, op.old, op.new))
    pattern = re.compile(r"\b(" + "|".join(re.escape(o) for o in sorted(by_old, key=len, reverse=True)) + r")\b")
    out: list[Change] = []
    for src in sources:
        finder = _Strings(src, pattern, by_old)
        src.module.visit(finder)
        out += finder.found
    return out


class _Strings(cst.CSTVisitor):
    def __init__(self, src: Source, pattern: re.Pattern[str], by_old: dict[str, list[_Rename]]) -> None:
        self.src = src
        self.pattern = pattern
        self.by_old = by_old
        self.found: list[Change] = []
        self.calls: list[str | None] = []
        self.scope: list[str] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scope.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.scope.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.scope.append(node.name.value)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.scope.pop()

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(call_name(node))

    def leave_Call(self, original_node: cst.Call) -> None:
        self.calls.pop()

    def visit_Expr(self, node: cst.Expr) -> bool:
        return not isinstance(node.value, (cst.SimpleString, cst.ConcatenatedString))  # a docstring is prose

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if self.calls and self.calls[-1] in KEY_CALLS:
            return
        value = node.evaluated_value
        if not isinstance(value, str):
            return
        olds = list(dict.fromkeys(self.pattern.findall(value)))
        if not olds:
            return
        renamed = ", ".join(f"{r.table}.{r.old} → {r.new}" for o in olds for r in self.by_old[o])
        shown = value if len(value) <= 60 else value[:57] + "..."
        label = ".".join(self.scope) or "<module>"
        self.found.append(Change(self.src.path, self.src.line(node), label,
                                 f"{shown!r} names the old column: check by hand (renamed: {renamed})", fix=False))
