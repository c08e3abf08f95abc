"""Rewrite the app's models so that they declare what the fix migration created, under the migration's own names
(the plan of the alembic target gives each object its name), so that Alembic's compare_metadata finds nothing.

Per op: an index is `index=True` on its column when SQLAlchemy's default name for it is fixgen's (else
`Index("<name>", ...)` in `__table_args__`, or in `Table(...)`); a foreign key is `ForeignKey("t.c", name=...,
ondelete=...)` on its column (several columns: a ForeignKeyConstraint); a new column is an attribute (Mapped or
Column, as the class writes its others); a renamed column keeps its attribute, its key, and gets the new database
name (`mapped_column("user_id", ...)`): ORM code (`Webhook.created_by_user_id`) goes on working; the string
references to the column (`ForeignKey("webhooks.created_by_user_id")`, `Index("ix", "created_by_user_id")`,
which name its table key, the database name) are rewritten with it, and raw SQL naming the old column is reported
(references.py). What cannot be rewritten
without guessing (a `__table_args__` computed by a function, a column from a mixin, a key pointing elsewhere) is
reported to check by hand, and left as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from fixgen.dialects import ACTIONS
from fixgen.ops import AddColumn, AddForeignKey, ChangeForeignKeyActions, CreateIndex, DropIndex, Op, RenameColumn
from fixgen.planner import Plan
from fixgen.sqlalchemy_app import edits
from fixgen.sqlalchemy_app.imports import ImportNames, add_imports
from fixgen.sqlalchemy_app.models import (
    AppModels,
    ColumnDef,
    ModelIndex,
    TableDef,
    call_name,
    keyword,
    positional,
    string_value,
    table_args_value,
)
from fixgen.sqlalchemy_app.source import Source

WIDTH = 100  # a new __table_args__ longer than this goes one item per line
LINE_WIDTH = 120  # a column's line grown longer than this goes one argument per line


@dataclass(frozen=True)
class Change:
    """One line of the report: a rewrite (`fix`) or something to check by hand."""

    file: str
    line: int
    label: str
    text: str
    fix: bool = True

    def report_line(self) -> str:
        return f"{self.file}:{self.line}: {self.label} — {self.text}"


@dataclass
class _TableEdits:
    column_fns: dict[int, list[Callable[[cst.Call], cst.Call]]] = field(default_factory=dict)
    add_items: list[str] = field(default_factory=list)  # Index(...)/ForeignKeyConstraint(...) code
    remove_items: set[int] = field(default_factory=set)  # id() of table items to drop
    item_fns: dict[int, list[Callable[[cst.Call], cst.Call]]] = field(default_factory=dict)  # id() of an item: edits
    new_columns: list[str] = field(default_factory=list)  # statement (class) or Column(...) code (Table)


@dataclass
class Result:
    changes: list[Change]
    files: dict[str, tuple[Source, str]]  # path -> (source, new text), only files that change


def _q(value: str) -> str:
    from fixgen.targets.alembic.render import py_str

    return py_str(value)


class Rewriter:
    def __init__(self, models: AppModels, plan: Plan) -> None:
        self.models = models
        self.plan = plan
        self.changes: list[Change] = []
        self.edits: dict[str, _TableEdits] = {}
        self.loose_removed: set[int] = set()
        self.unmodelled: set[str] = set()

    # ------------------------------------------------------------------ reporting

    def _fix(self, tdef: TableDef, line: int, what: str, text: str) -> None:
        self.changes.append(Change(tdef.source.path, line, what, text))

    def _check(self, tdef: TableDef | None, text: str, op: Op | None, line: int | None = None, what: str | None = None) -> None:
        if tdef is None:  # said at the spec's issue
            meta = op.issues[0] if op is not None and op.issues else None
            where = f"issue #{meta.index + 1}" if meta is not None else "the spec"
            line = (meta.line or 0) if meta is not None else 0
            self.changes.append(Change(self.plan.file or "<spec>", line, where, f"{text}: check by hand", fix=False))
            return
        self.changes.append(Change(tdef.source.path, line or tdef.line, what or tdef.label, f"{text}: check by hand", fix=False))

    def _table(self, op: Op) -> TableDef | None:
        tdef = self.models.tables.get(op.table)
        if tdef is None and op.table not in self.unmodelled:
            self.unmodelled.add(op.table)
            self._check(None, f"no model or Table(...) declares table {op.table}", op)
        return tdef

    def _edits(self, tdef: TableDef) -> _TableEdits:
        return self.edits.setdefault(tdef.table, _TableEdits())

    def _on_column(self, tdef: TableDef, col: ColumnDef, fn: Callable[[cst.Call], cst.Call]) -> None:
        self._edits(tdef).column_fns.setdefault(id(col), []).append(fn)

    def _label(self, tdef: TableDef, col: ColumnDef | None = None) -> str:
        return f"{tdef.label}.{col.attr}" if col is not None and col.attr is not None else tdef.label

    def names(self, tdef: TableDef) -> ImportNames:
        return tdef.source.names

    # ------------------------------------------------------------------ ops

    def run(self) -> None:
        for op in self.plan.ops:
            handler = getattr(self, f"op_{op.kind}")
            handler(op)

    def op_rename_column(self, op: RenameColumn) -> None:
        tdef = self._table(op)
        if tdef is None or tdef.column(op.new) is not None:
            return  # the model names the column as the database will: nothing to do
        col = tdef.column(op.old)
        if col is None:
            self._check(tdef, f"declares no column {op.old} or {op.new} (renamed by the fix; a mixin's or base "
                              "class's column?)", op)
            return
        names = self.names(tdef)
        new = _q(op.new)

        def rename(call: cst.Call) -> cst.Call:
            args = positional(call)
            if args and string_value(args[0].value) is not None:
                return edits.replace_arg(call, list(call.args).index(args[0]), new)
            if keyword(call, "name") is not None:
                return edits.set_kwarg(call, "name", new)
            return edits.insert_arg(call, 0, new)

        self._on_column(tdef, col, rename)
        self._fix(tdef, col.line, self._label(tdef, col), f"column {op.old!r} → {op.new!r} (the attribute keeps its name)")
        default_ix = self.models.index_true_name(tdef.table, op.old)
        if col.flag("index") and default_ix is not None and not col.flag("unique") \
                and self.models.index_true_name(tdef.table, op.new) != default_ix and self._can_edit_items(tdef, None):
            # index=True would now be named after the new name; the database's index keeps the old one
            self._on_column(tdef, col, lambda call: edits.set_kwarg(call, "index", None))
            self._edits(tdef).add_items.append(f"{names.sa('Index')}({_q(default_ix)}, {_q(op.new)})")
            self._fix(tdef, col.line, self._label(tdef, col), f"index=True → Index({default_ix!r}): the database's "
                                                               "index keeps its name through the rename")
        col.name = op.new
        if not col.fixed_key:
            self._rename_key_references(tdef, op.old, op.new)
            col.key = op.new

    def _rename_key_references(self, tdef: TableDef, old: str, new: str) -> None:
        """The strings that name the column by its table key: this table's Index/constraint arguments, every
        ForeignKey("table.old") and ForeignKeyConstraint's ["table.old"] of the app."""
        def own(item: cst.Call) -> cst.Call:
            skip = 1 if call_name(item) == "Index" else 0
            args = list(item.args)
            for i, a in enumerate(args):
                if a.keyword is None and i >= skip and string_value(a.value) == old:
                    args[i] = a.with_changes(value=cst.parse_expression(_q(new)))
                elif i == 0 and call_name(item) == "ForeignKeyConstraint" and isinstance(a.value, (cst.List, cst.Tuple)):
                    args[i] = a.with_changes(value=_renamed_strings(a.value, lambda s: new if s == old else s))
            return item.with_changes(args=args)

        for item in tdef.table_items():
            if call_name(item) in ("Index", "UniqueConstraint", "PrimaryKeyConstraint", "ForeignKeyConstraint") \
                    and self._names_string(item, old) and self._can_edit_items(tdef, None):
                self._edits(tdef).item_fns.setdefault(id(item), []).append(own)
                self._fix(tdef, tdef.source.line(item), tdef.label, f"{call_name(item)} names {old!r} → {new!r}")

        def remote(s: str) -> str:
            parts = s.split(".")
            return ".".join([*parts[:-1], new]) if len(parts) >= 2 and parts[-2] == tdef.table and parts[-1] == old else s

        for other in self.models.tables.values():
            for col in other.columns:
                for position, fk in enumerate(col.foreign_keys()):
                    args = positional(fk)
                    text = string_value(args[0].value) if args else None
                    if text is not None and remote(text) != text:
                        self._on_column(other, col, _fk_edit(position, lambda fk, t=text: edits.replace_arg(
                            fk, 0, _q(remote(t)))))
                        self._fix(other, col.line, self._label(other, col), f"ForeignKey {text!r} → {remote(text)!r}")
            for item in other.table_items():
                if call_name(item) == "ForeignKeyConstraint":
                    args = positional(item)  # type: ignore[arg-type]
                    if len(args) > 1 and isinstance(args[1].value, (cst.List, cst.Tuple)) and any(
                            remote(s) != s for s in _strings(args[1].value)) and self._can_edit_items(other, None):
                        at = list(item.args).index(args[1])  # type: ignore[union-attr]

                        def fkc(c: cst.Call, at: int = at) -> cst.Call:
                            a = list(c.args)
                            a[at] = a[at].with_changes(value=_renamed_strings(a[at].value, remote))
                            return c.with_changes(args=a)

                        self._edits(other).item_fns.setdefault(id(item), []).append(fkc)
                        self._fix(other, other.source.line(item), other.label,
                                  f"ForeignKeyConstraint names {tdef.table}.{old} → {tdef.table}.{new}")

    def _names_string(self, item: Any, old: str) -> bool:
        for a in positional(item):
            if string_value(a.value) == old or (isinstance(a.value, (cst.List, cst.Tuple)) and old in _strings(a.value)):
                return True
        return False

    def op_add_column(self, op: AddColumn) -> None:
        tdef = self._table(op)
        if tdef is None or tdef.column(op.column) is not None:
            return
        if tdef.is_class and op.column in _attributes(tdef):
            self._check(tdef, f"the class has an attribute {op.column} that is no column; the fix adds column "
                              f"{op.table}.{op.column}", op)
            return
        names = self.names(tdef)
        sa_type = _respell(_sa_type(op), names, a_type=True)
        kwargs = [f"nullable={op.nullable}"]
        if op.has_default:
            kwargs.append(f"server_default={_respell(_server_default(op.default), names)}")
        if not tdef.is_class:
            code = f"{names.sa('Column')}({_q(op.column)}, {sa_type}, {', '.join(kwargs)})"
        elif _uses_mapped(tdef):
            py = _python_type(op, names)
            if op.nullable:
                py = f"{names.typing('Optional')}[{py}]"
            code = f"{op.column}: {names.orm('Mapped')}[{py}] = {names.orm('mapped_column')}({sa_type}, {', '.join(kwargs)})"
        else:
            code = f"{op.column} = {names.sa('Column')}({sa_type}, {', '.join(kwargs)})"
        self._edits(tdef).new_columns.append(code)
        self._fix(tdef, _last_column_line(tdef), tdef.label, f"new column {op.column} ({op.type}, "
                                                             f"{'NULL' if op.nullable else 'NOT NULL'})")

    def op_create_index(self, op: CreateIndex) -> None:
        tdef = self._table(op)
        if tdef is None or self._declared_index(tdef, op.name) is not None:
            return
        if self._leading(tdef, op.columns, op.unique):
            return  # the migration finds an index leading with these columns and makes none (existence by definition)
        names = self.names(tdef)
        cols = [tdef.column(c) for c in op.columns]
        single = cols[0] if len(cols) == 1 else None
        if single is not None and not op.unique and op.name == self.models.index_true_name(tdef.table, single.name):
            self._on_column(tdef, single, lambda call: edits.set_kwarg(call, "index", "True"))
            self._fix(tdef, single.line, self._label(tdef, single), f"index=True (index {op.name})")
            return
        keys = ", ".join(_q(_key(tdef, n)) for n in op.columns)
        unique = ", unique=True" if op.unique else ""
        self._add_item(tdef, op, lambda: f"{names.sa('Index')}({_q(op.name)}, {keys}{unique})", f"index {op.name}")

    def op_drop_index(self, op: DropIndex) -> None:
        tdef = self._table(op)
        if tdef is None:
            return
        found = self._declared_index(tdef, op.name)
        if found is None:
            return
        kind, obj = found
        if kind == "item":
            if not self._can_edit_items(tdef, op):
                return
            self._edits(tdef).remove_items.add(id(obj))
            self._fix(tdef, tdef.source.line(obj), tdef.label, f"index {op.name} removed (redundant)")
        elif kind == "loose":
            self.loose_removed.add(id(obj.stmt))
            self.changes.append(Change(obj.source.path, obj.source.line(obj.stmt), tdef.label,
                                       f"index {op.name} removed (redundant)"))
        else:
            self._on_column(tdef, obj, lambda call: edits.set_kwarg(call, "index", None))
            self._fix(tdef, obj.line, self._label(tdef, obj), f"index=True removed (index {op.name} is redundant)")

    def op_add_foreign_key(self, op: AddForeignKey) -> None:
        self._foreign_key(op, op.on_delete, op.on_update, adding=True)

    def op_foreign_key_actions(self, op: ChangeForeignKeyActions) -> None:
        self._foreign_key(op, op.on_delete, op.on_update, adding=False)

    # ------------------------------------------------------------------ foreign keys

    def _foreign_key(self, op: AddForeignKey | ChangeForeignKeyActions, on_delete: str, on_update: str,
                     adding: bool) -> None:
        tdef = self._table(op)
        if tdef is None:
            return
        names = self.names(tdef)
        ref = self.models.tables.get(op.ref_table)
        ref_keys = [_key(ref, c) for c in op.ref_columns]
        want = {"ondelete": on_delete, "onupdate": on_update}
        cols = [tdef.column(c) for c in op.columns]
        if len(cols) == 1 and cols[0] is not None:
            col = cols[0]
            fks = col.foreign_keys()
            mine = [fk for fk in fks if self._fk_target(fk) == (op.ref_table, ref_keys[0])]
            if mine:
                self._update_fk(tdef, col, op, mine[0], want, adding)
                return
            if fks:
                self._check(tdef, f"{op.table}.{op.columns[0]} has a ForeignKey to another target than "
                                  f"{op.ref_table}.{op.ref_columns[0]}, which the fix's key points to", op, col.line,
                            self._label(tdef, col))
                return
            if not adding:
                self._check(tdef, f"declares no foreign key {op.name}, whose actions the fix changes", op, col.line,
                            self._label(tdef, col))
                return
            code = f"{names.sa('ForeignKey')}({_q(f'{op.ref_table}.{ref_keys[0]}')}, name={_q(op.name)}{_actions(want)})"
            self._on_column(tdef, col, lambda call: edits.add_arg(call, code, positional=True))
            self._fix(tdef, col.line, self._label(tdef, col),
                      f"ForeignKey({op.ref_table}.{op.ref_columns[0]}) {op.name}{_described(want)}")
            return
        keys = [_key(tdef, n) for n in op.columns]
        existing = self._fk_constraint(tdef, keys)
        if existing is not None:
            self._update_constraint(tdef, op, existing, want)
            return
        if not adding:
            self._check(tdef, f"declares no foreign key {op.name}, whose actions the fix changes", op)
            return
        local = ", ".join(_q(k) for k in keys)
        remote = ", ".join(_q(f"{op.ref_table}.{k}") for k in ref_keys)
        self._add_item(tdef, op, lambda: f"{names.sa('ForeignKeyConstraint')}([{local}], [{remote}], name={_q(op.name)}"
                                         f"{_actions(want)})", f"foreign key {op.name}{_described(want)}")

    def _update_fk(self, tdef: TableDef, col: ColumnDef, op: Op, fk: cst.Call, want: dict[str, str], adding: bool) -> None:
        settings = dict(_action_settings(fk, want))
        name_arg = keyword(fk, "name")
        if adding and (name_arg is None or string_value(name_arg.value) != op.object_name):
            settings["name"] = _q(op.object_name)
        settings = {k: v for k, v in settings.items() if _kwarg_code(fk, k) != v}
        if not settings:
            return
        position = col.foreign_keys().index(fk)

        def update(new: cst.Call) -> cst.Call:
            for k, v in settings.items():
                new = edits.set_kwarg(new, k, v)
            return new

        self._on_column(tdef, col, _fk_edit(position, update))
        shown = ", ".join(f"{k}={v if v is not None else '(removed)'}" for k, v in settings.items())
        self._fix(tdef, col.line, self._label(tdef, col), f"ForeignKey: {shown}")

    def _update_constraint(self, tdef: TableDef, op: Op, fkc: cst.Call, want: dict[str, str]) -> None:
        settings = {k: v for k, v in _action_settings(fkc, want) if _kwarg_code(fkc, k) != v}
        if not settings or not self._can_edit_items(tdef, op):
            return
        new = fkc
        for k, v in settings.items():
            new = edits.set_kwarg(new, k, v)
        self._edits(tdef).remove_items.add(id(fkc))
        self._edits(tdef).add_items.append(cst.Module([]).code_for_node(new))
        shown = ", ".join(f"{k}={v if v is not None else '(removed)'}" for k, v in settings.items())
        self._fix(tdef, tdef.source.line(fkc), tdef.label, f"ForeignKeyConstraint {op.object_name}: {shown}")

    def _fk_target(self, fk: cst.Call) -> tuple[str, str] | None:
        """(table, column key) a ForeignKey points to: "t.c", "schema.t.c", Model.attr or table_var.c.attr."""
        args = positional(fk)
        if not args:
            return None
        return self._column_ref(args[0].value)

    def _column_ref(self, node: Any) -> tuple[str, str] | None:
        text = string_value(node)
        if text is not None:
            parts = text.split(".")
            return (parts[-2], parts[-1]) if len(parts) >= 2 else None
        if isinstance(node, cst.Attribute):
            owner = node.value
            if isinstance(owner, cst.Name) and owner.value in self.models.classes:
                table = self.models.classes[owner.value]
                col = self.models.tables[table].by_attr(node.attr.value)
                return table, col.key if col is not None else node.attr.value
            if (isinstance(owner, cst.Attribute) and owner.attr.value in ("c", "columns")
                    and isinstance(owner.value, cst.Name) and owner.value.value in self.models.variables):
                return self.models.variables[owner.value.value], node.attr.value
        return None

    def _fk_constraint(self, tdef: TableDef, keys: list[str]) -> cst.Call | None:
        for item in tdef.table_items():
            if call_name(item) == "ForeignKeyConstraint":
                args = positional(item)  # type: ignore[arg-type]
                if args and isinstance(args[0].value, (cst.List, cst.Tuple)):
                    local = [string_value(e.value) for e in args[0].value.elements]
                    if local == keys:
                        return item  # type: ignore[return-value]
        return None

    # ------------------------------------------------------------------ indexes and table items

    def _declared_index(self, tdef: TableDef, name: str) -> tuple[str, Any] | None:
        """Where the models declare index `name`: a table item, a module-level Index(...), or a column's index=True."""
        for item in tdef.table_items():
            if call_name(item) == "Index" and _first_string(item) == name:
                return "item", item
        for loose in self.models.loose_indexes:
            if _first_string(loose.call) == name and self._loose_table(loose) == tdef.table \
                    and id(loose.stmt) not in self.loose_removed:
                return "loose", loose
        for col in tdef.columns:
            if col.flag("index") and self.models.index_true_name(tdef.table, col.name) == name:
                return "column", col
        return None

    def _leading(self, tdef: TableDef, columns: tuple[str, ...], unique: bool) -> bool:
        """Whether the models declare what the migration counts as this index already (fixgen's existence by
        definition): an index, unique constraint or primary key leading with `columns` (unique: a unique one on
        exactly them)."""
        by_key = {c.key: c.name for c in tdef.columns}
        declared: list[tuple[list[str | None], bool]] = []
        for item in tdef.table_items():
            kind = call_name(item)
            if kind in ("Index", "UniqueConstraint", "PrimaryKeyConstraint"):
                args = positional(item)[1 if kind == "Index" else 0:]  # type: ignore[arg-type]
                is_unique = kind != "Index" or _is_true(keyword(item, "unique"))  # type: ignore[arg-type]
                declared.append(([self._column_name(tdef, a.value, by_key) for a in args], is_unique))
        for loose in self.models.loose_indexes:
            if self._loose_table(loose) == tdef.table and id(loose.stmt) not in self.loose_removed:
                declared.append(([self._column_name(tdef, a.value, by_key) for a in positional(loose.call)[1:]],
                                 _is_true(keyword(loose.call, "unique"))))
        for col in tdef.columns:
            if col.flag("index") or col.flag("unique"):
                declared.append(([col.name], col.flag("unique")))
        primary = [c.name for c in tdef.columns if c.flag("primary_key")]
        if primary:
            declared.append((primary, True))  # type: ignore[arg-type]
        want = list(columns)
        return any(cols == want and is_unique if unique else cols[:len(want)] == want for cols, is_unique in declared)

    def _column_name(self, tdef: TableDef, node: Any, by_key: dict[str, str]) -> str | None:
        text = string_value(node)
        if text is not None:
            return by_key.get(text, text)
        ref = self._column_ref(node)
        return by_key.get(ref[1], ref[1]) if ref is not None and ref[0] == tdef.table else None

    def _loose_table(self, loose: ModelIndex) -> str | None:
        refs = [self._column_ref(a.value) for a in positional(loose.call)[1:]]
        tables = {r[0] for r in refs if r is not None}
        return tables.pop() if len(tables) == 1 else None

    def _can_edit_items(self, tdef: TableDef, op: Op | None) -> bool:
        literal = isinstance(table_args_value(tdef.table_args), (cst.Tuple, cst.Dict))
        if tdef.is_class and tdef.table_args is not None and not literal:
            self._check(tdef, "__table_args__ is not a literal tuple or dict; declare "
                              f"{op.describe() if op else 'the renamed column'} in it", op, tdef.source.line(tdef.table_args))
            return False
        if tdef.is_class and _has_declared_table_args(tdef):
            self._check(tdef, f"__table_args__ is computed by a function; declare "
                              f"{op.describe() if op else 'the renamed column'} in it", op)
            return False
        return True

    def _add_item(self, tdef: TableDef, op: Op, code: Callable[[], str], what: str) -> None:
        """Add an Index/constraint (`code` is called only then: it may import a name)."""
        if not self._can_edit_items(tdef, op):
            return
        self._edits(tdef).add_items.append(code())
        where = "__table_args__" if tdef.is_class else "Table(...)"
        line = tdef.source.line(tdef.table_args) if tdef.is_class and tdef.table_args is not None else tdef.line
        self._fix(tdef, line, tdef.label, f"{what} in {where}")

    # ------------------------------------------------------------------ applying

    def result(self) -> Result:
        by_file: dict[str, list[TableDef]] = {}
        for table in self.edits:
            tdef = self.models.tables[table]
            by_file.setdefault(tdef.source.path, []).append(tdef)
        for loose in self.models.loose_indexes:
            if id(loose.stmt) in self.loose_removed:
                by_file.setdefault(loose.source.path, [])
        sources = {t.source.path: t.source for t in self.models.tables.values()}
        sources.update({i.source.path: i.source for i in self.models.loose_indexes})
        files: dict[str, tuple[Source, str]] = {}
        for path, tdefs in sorted(by_file.items()):
            src = sources[path]
            replaced: dict[int, Any] = {}
            for tdef in tdefs:
                replaced[id(tdef.node)] = self._apply(tdef, self.edits.get(tdef.table, _TableEdits()))
            module = src.module.visit(_Replace(replaced, self.loose_removed))
            module = add_imports(module, src.names)
            text = module.code
            if text.encode("utf-8") != src.data:
                files[path] = (src, text)
        self.changes.sort(key=lambda c: (c.file, c.line))
        return Result(self.changes, files)

    def _apply(self, tdef: TableDef, e: _TableEdits) -> Any:
        names = self.names(tdef)

        def column(col: ColumnDef) -> cst.Call:
            call = col.call if col.call is not None else cst.parse_expression(f"{names.orm('mapped_column')}()")
            for fn in e.column_fns.get(id(col), []):
                call = fn(call)
            return call  # type: ignore[return-value]

        if not tdef.is_class:
            call: cst.Call = tdef.node  # type: ignore[assignment]
            cols = {id(c.call): c for c in tdef.columns if id(c) in e.column_fns}
            args = [a.with_changes(value=column(cols[id(a.value)])) if id(a.value) in cols else
                    a.with_changes(value=_item(a.value, e)) for a in call.args]
            for i in reversed(range(len(args))):
                if id(call.args[i].value) in e.remove_items:
                    args = edits.remove(args, i)
            call = call.with_changes(args=args)
            for code in [*e.new_columns, *e.add_items]:
                call = edits.add_arg(call, code)
            return call
        cls: cst.ClassDef = tdef.node  # type: ignore[assignment]
        body = list(cls.body.body)  # type: ignore[union-attr]
        out: list[Any] = []
        last_column = max((body.index(c.stmt) for c in tdef.columns if c.stmt in body), default=None)
        anchor = last_column if last_column is not None else body.index(tdef.tablename_stmt)
        indent = names_indent(tdef)
        for i, stmt in enumerate(body):
            col = next((c for c in tdef.columns if c.stmt is stmt), None)
            if col is not None and id(col) in e.column_fns:
                stmt = _with_column(stmt, col, column(col), indent)
            if stmt is tdef.table_args and (e.add_items or e.remove_items or e.item_fns):
                stmt = _with_table_args(stmt, e, indent)
            out.append(stmt)
            if stmt is tdef.tablename_stmt and tdef.table_args is None and e.add_items:
                out.append(cst.parse_statement(f"__table_args__ = {_tuple_code(e.add_items, indent)}\n"))
            if i == anchor:
                out += [cst.parse_statement(code + "\n") for code in e.new_columns]
        return cls.with_changes(body=cls.body.with_changes(body=out))


def names_indent(tdef: TableDef) -> str:
    body = tdef.node.body  # type: ignore[union-attr]
    return body.indent if isinstance(body, cst.IndentedBlock) and body.indent is not None else tdef.source.module.default_indent


def _tuple_code(items: list[str], indent: str) -> str:
    one = "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if len(one) + len(indent) + len("__table_args__ = ") <= WIDTH:
        return one
    items = [_long_call(item, indent) for item in items]
    # libcst indents continuation lines by the enclosing block's indentation itself: one level is relative
    return "(\n" + "".join(f"{indent}{item},\n" for item in items) + ")"


def _long_call(code: str, indent: str) -> str:
    """An item of a one-per-line tuple: a call longer than the line, one argument per line too."""
    if len(code) + 2 * len(indent) <= LINE_WIDTH:
        return code
    call = cst.parse_expression(code)
    if not isinstance(call, cst.Call):
        return code
    text = cst.Module([]).code_for_node(edits.one_per_line(call, indent))
    return text.replace("\n", "\n" + indent)  # a level deeper than the tuple's own lines


def _with_table_args(stmt: cst.SimpleStatementLine, e: _TableEdits, indent: str) -> cst.SimpleStatementLine:
    small = stmt.body[0]
    value = small.value  # type: ignore[union-attr]
    if isinstance(value, cst.Dict):
        code = cst.Module([]).code_for_node(value)
        new: cst.BaseExpression = cst.parse_expression(_tuple_code([*e.add_items, code], indent))
    else:
        assert isinstance(value, cst.Tuple)
        new = value.with_changes(elements=[el.with_changes(value=_item(el.value, e)) for el in value.elements])
        for i in reversed(range(len(value.elements))):
            if id(value.elements[i].value) in e.remove_items:
                new = edits.tuple_remove(new, i)  # type: ignore[arg-type]
        assert isinstance(new, cst.Tuple)
        at = next((i for i, el in enumerate(new.elements) if isinstance(el.value, cst.Dict)), len(new.elements))
        for code in e.add_items:
            new = edits.tuple_insert(new, code, at)
            at += 1
        if not new.elements:
            new = cst.parse_expression("()")
        one_line = "\n" not in cst.Module([]).code_for_node(value)
        if one_line and e.add_items and len(cst.Module([]).code_for_node(stmt.with_changes(
                body=[small.with_changes(value=new)], leading_lines=[]))) + len(indent) > LINE_WIDTH:
            items = [cst.Module([]).code_for_node(el.value) for el in new.elements]  # type: ignore[union-attr]
            new = cst.parse_expression(_tuple_code(items, indent))
    return stmt.with_changes(body=[small.with_changes(value=new)])


def _with_column(stmt: cst.SimpleStatementLine, col: ColumnDef, call: cst.Call, indent: str) -> cst.SimpleStatementLine:
    small = stmt.body[0]
    if col.call is not None:
        new: cst.SimpleStatementLine = stmt.deep_replace(col.call, call)  # type: ignore[assignment]
    else:
        assert isinstance(small, cst.AnnAssign)
        new = stmt.with_changes(body=[small.with_changes(value=call, equal=cst.AssignEqual())])
    def width(s: cst.SimpleStatementLine) -> int:
        return len(cst.Module([]).code_for_node(s.with_changes(leading_lines=[], trailing_whitespace=cst.TrailingWhitespace())))

    code = cst.Module([]).code_for_node(new.with_changes(leading_lines=[]))
    if width(new) + len(indent) > LINE_WIDTH and width(new) > width(stmt) and "\n" not in code.strip():
        # grown past the width: one argument per line
        new = new.deep_replace(call, edits.one_per_line(call, indent))  # type: ignore[assignment]
    return new


class _Replace(cst.CSTTransformer):
    def __init__(self, replaced: dict[int, Any], removed: set[int]) -> None:
        self.replaced = replaced
        self.removed = removed

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> Any:
        return self.replaced.get(id(original), updated)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> Any:
        return self.replaced.get(id(original), updated)

    def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine) -> Any:
        return cst.RemoveFromParent() if id(original) in self.removed else updated


# ---------------------------------------------------------------------- small helpers


def _item(node: Any, e: _TableEdits) -> Any:
    for fn in e.item_fns.get(id(node), []):
        node = fn(node)
    return node


def _fk_edit(position: int, fn: Callable[[cst.Call], cst.Call]) -> Callable[[cst.Call], cst.Call]:
    """An edit of a column call's `position`-th ForeignKey(...) argument."""
    def edit(call: cst.Call) -> cst.Call:
        fks = [a for a in call.args if a.keyword is None and not a.star and call_name(a.value) == "ForeignKey"]
        out = list(call.args)
        at = out.index(fks[position])
        out[at] = fks[position].with_changes(value=fn(fks[position].value))  # type: ignore[arg-type]
        return call.with_changes(args=out)

    return edit


def _key(tdef: TableDef | None, name: str) -> str:
    """The table key a string reference uses for the column of database name `name`."""
    col = tdef.column(name) if tdef is not None else None
    return col.key if col is not None else name


def _strings(seq: cst.List | cst.Tuple) -> list[str]:
    return [s for el in seq.elements if (s := string_value(el.value)) is not None]


def _renamed_strings(seq: Any, rename: Callable[[str], str]) -> Any:
    out = []
    for el in seq.elements:
        s = string_value(el.value)
        out.append(el.with_changes(value=cst.parse_expression(_q(rename(s)))) if s is not None and rename(s) != s else el)
    return seq.with_changes(elements=out)


def _is_true(arg: cst.Arg | None) -> bool:
    return arg is not None and isinstance(arg.value, cst.Name) and arg.value.value == "True"


def _first_string(call: Any) -> str | None:
    args = positional(call)
    return string_value(args[0].value) if args else None


def _attributes(tdef: TableDef) -> set[str]:
    out = set()
    for stmt in tdef.node.body.body:  # type: ignore[union-attr]
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign):
                    out |= {t.target.value for t in small.targets if isinstance(t.target, cst.Name)}
                elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                    out.add(small.target.value)
        elif isinstance(stmt, cst.FunctionDef):
            out.add(stmt.name.value)
    return out


def _has_declared_table_args(tdef: TableDef) -> bool:
    return any(isinstance(s, cst.FunctionDef) and s.name.value == "__table_args__" for s in tdef.node.body.body)  # type: ignore[union-attr]


def _uses_mapped(tdef: TableDef) -> bool:
    """The class writes its columns as `x: Mapped[...]` (2.0 style) rather than `x = Column(...)`."""
    for col in tdef.columns:
        if col.stmt is not None and isinstance(col.stmt.body[0], cst.AnnAssign):
            return True
    return any(call_name(c.call) == "mapped_column" for c in tdef.columns)


def _last_column_line(tdef: TableDef) -> int:
    return max((c.line for c in tdef.columns), default=tdef.line)


def _actions(want: dict[str, str]) -> str:
    return "".join(f", {k}={_q(ACTIONS[v])}" for k, v in want.items() if v != "no_action")


def _described(want: dict[str, str]) -> str:
    return "".join(f" {'on delete' if k == 'ondelete' else 'on update'} {ACTIONS[v]}"
                   for k, v in want.items() if v != "no_action")


def _action_settings(fk: cst.Call, want: dict[str, str]) -> list[tuple[str, str | None]]:
    """(kwarg, code or None to remove) that make the ForeignKey's actions the wanted ones."""
    out: list[tuple[str, str | None]] = []
    for k, v in want.items():
        arg = keyword(fk, k)
        current = string_value(arg.value) if arg is not None else None
        if v == "no_action":
            if current is not None and " ".join(current.upper().split()) != "NO ACTION":
                out.append((k, None))
        elif current is None or " ".join(current.upper().split()) != ACTIONS[v]:
            out.append((k, _q(ACTIONS[v])))
    return out


def _kwarg_code(call: cst.Call, name: str) -> str | None:
    arg = keyword(call, name)
    return None if arg is None else cst.Module([]).code_for_node(arg.value)


def _sa_type(op: AddColumn) -> str:
    from fixgen.targets.alembic.render import sa_type

    return sa_type(op.type)  # the same SQLAlchemy type the revision's add_column gives the column


def _server_default(value: object) -> str:
    from fixgen.targets.alembic.render import flat, node, server_default

    return flat(node(server_default(value)))


_PYTHON_TYPES = {
    "integer": "int", "bigint": "int", "smallint": "int", "text": "str", "string": "str", "uuid": "str",
    "boolean": "bool", "float": "float", "binary": "bytes", "json": "dict",
}


def _python_type(op: AddColumn, names: ImportNames) -> str:
    kind = op.type.name
    if kind in _PYTHON_TYPES:
        return _PYTHON_TYPES[kind]
    if kind == "decimal":
        return names.decimal()
    return names.datetime({"date": "date", "time": "time"}.get(kind, "datetime"))


class _Respell(cst.CSTTransformer):
    """`sa.X` (the alembic renderer's spelling) as this module spells sqlalchemy's X."""

    def __init__(self, names: ImportNames) -> None:
        self.names = names

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> Any:
        if isinstance(updated.value, cst.Name) and updated.value.value == "sa":
            return cst.parse_expression(self.names.sa(updated.attr.value))
        return updated


def _respell(code: str, names: ImportNames, a_type: bool = False) -> str:
    """The alembic renderer's `sa.Integer()` as this module writes it: `Integer` (or `sa.Integer`)."""
    expr = cst.parse_expression(code).visit(_Respell(names))
    if a_type and isinstance(expr, cst.Call) and not expr.args:
        expr = expr.func  # a type without arguments: the class, as models usually write it
    return cst.Module([]).code_for_node(expr)

