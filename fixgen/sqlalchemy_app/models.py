"""The app's tables as its code declares them: declarative classes (`__tablename__`, SQLAlchemy 2.0
`Mapped`/`mapped_column` and 1.4 `Column`) and `Table("name", metadata, ...)` objects, with their columns
(attribute, key and database name), `__table_args__` and the indexes declared outside a class.

A column's *key* is what string references (`ForeignKey("t.key")`, `Index("ix", "key")`) and `table.c.key` use:
in a declarative class it is the database name (`x = mapped_column("x_db")` is `table.c.x_db`), in a `Table(...)`
the `key=` argument or the name. Its *attribute* is what ORM code uses (`Model.x`), whatever the name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from fixgen.sqlalchemy_app.source import Source

COLUMN_CALLS = frozenset({"Column", "mapped_column"})


def call_name(node: Any) -> str | None:
    """`Column` for Column(...), sa.Column(...), sqlalchemy.schema.Column(...); None for anything else."""
    if not isinstance(node, cst.Call):
        return None
    f = node.func
    if isinstance(f, cst.Name):
        return f.value
    if isinstance(f, cst.Attribute):
        return f.attr.value
    return None


def string_value(node: Any) -> str | None:
    """The value of a plain string literal (no f-string, no concatenation), else None."""
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def positional(call: cst.Call) -> list[cst.Arg]:
    return [a for a in call.args if a.keyword is None and not a.star]


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == name), None)


def explicit_name(call: cst.Call) -> str | None:
    """The database name a Column/mapped_column gives: its first argument if a string, or `name=`."""
    args = positional(call)
    if args and string_value(args[0].value) is not None:
        return string_value(args[0].value)
    named = keyword(call, "name")
    return string_value(named.value) if named is not None else None


def column_call(value: Any) -> cst.Call | None:
    """The Column/mapped_column call of an attribute's value, also inside deferred(...)/column_property(...)."""
    if call_name(value) in COLUMN_CALLS:
        return value
    if isinstance(value, cst.Call):
        args = positional(value)
        if args and call_name(args[0].value) in COLUMN_CALLS:
            return args[0].value  # type: ignore[return-value]
    return None


@dataclass
class ColumnDef:
    key: str
    name: str
    call: cst.Call | None  # None: an annotation only (`x: Mapped[int]`)
    stmt: cst.SimpleStatementLine | None  # its line in a class body (None in a Table(...))
    line: int
    attr: str | None = None  # the class attribute (None in a Table(...))
    fixed_key: bool = False  # Table(...)'s Column(..., key="k"): a rename leaves the key alone

    def kwarg(self, name: str) -> cst.Arg | None:
        return keyword(self.call, name) if self.call is not None else None

    def flag(self, name: str) -> bool:
        arg = self.kwarg(name)
        return arg is not None and isinstance(arg.value, cst.Name) and arg.value.value == "True"

    def foreign_keys(self) -> list[cst.Call]:
        return [a.value for a in positional(self.call) if call_name(a.value) == "ForeignKey"] if self.call else []


@dataclass
class TableDef:
    """One table's declaration: a class (`node` a ClassDef) or a Table(...) call."""

    table: str
    source: Source
    label: str  # the class name, or the variable a Table(...) is assigned to
    node: cst.ClassDef | cst.Call
    columns: list[ColumnDef] = field(default_factory=list)
    table_args: cst.SimpleStatementLine | None = None  # the class's `__table_args__ = ...` line
    tablename_stmt: cst.SimpleStatementLine | None = None
    bases: list[str] = field(default_factory=list)

    @property
    def is_class(self) -> bool:
        return isinstance(self.node, cst.ClassDef)

    @property
    def line(self) -> int:
        return self.source.line(self.node)

    def column(self, name: str) -> ColumnDef | None:
        """The column of this database name."""
        return next((c for c in self.columns if c.name == name), None)

    def by_attr(self, attr: str) -> ColumnDef | None:
        return next((c for c in self.columns if (c.attr or c.key) == attr), None)

    def table_items(self) -> list[cst.BaseExpression]:
        """Index(...)/constraints of the table: `__table_args__`' elements, or Table(...)'s other arguments."""
        if not self.is_class:
            return [a.value for a in positional(self.node)[2:] if call_name(a.value) not in COLUMN_CALLS]  # type: ignore[arg-type]
        value = table_args_value(self.table_args)
        if isinstance(value, cst.Tuple):
            return [e.value for e in value.elements if not isinstance(e.value, cst.Dict)]
        return []


def table_args_value(stmt: cst.SimpleStatementLine | None) -> cst.BaseExpression | None:
    if stmt is None:
        return None
    small = stmt.body[0]
    return small.value if isinstance(small, (cst.Assign, cst.AnnAssign)) else None


@dataclass
class ModelIndex:
    """An Index(...) statement outside any class (`Index("ix", Webhook.tenant_id)`)."""

    source: Source
    stmt: cst.SimpleStatementLine
    call: cst.Call


@dataclass
class AppModels:
    tables: dict[str, TableDef]
    classes: dict[str, str]  # class name -> table
    variables: dict[str, str]  # Table(...) variable -> table
    loose_indexes: list[ModelIndex]
    duplicates: list[tuple[str, TableDef, TableDef]]
    ix_template: str | None  # how index=True names an index (None: a naming_convention fixgen cannot read)

    def index_true_name(self, table: str, column: str) -> str | None:
        """The name SQLAlchemy gives `index=True` on table.column, by the app's naming convention ("ix")."""
        if self.ix_template is None:
            return None
        tokens = {"table_name": table, "column_0_name": column, "column_0N_name": column, "column_0_N_name": column,
                  "column_0_label": f"{table}_{column}", "column_0N_label": f"{table}_{column}",
                  "column_0_N_label": f"{table}_{column}", "column_0_key": column, "column_0N_key": column,
                  "column_0_N_key": column}
        try:
            return self.ix_template % tokens
        except (KeyError, ValueError, TypeError):
            return None


def _assigned(small: Any) -> tuple[str | None, Any, Any]:
    """(target name, value, annotation) of `x = v` / `x: A = v` / `x: A`."""
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
        return small.targets[0].target.value, small.value, None
    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
        return small.target.value, small.value, small.annotation.annotation
    return None, None, None


def _is_mapped(annotation: Any) -> bool:
    """`Mapped[...]` (or `orm.Mapped[...]`): an attribute SQLAlchemy maps to a column of its own name."""
    if isinstance(annotation, cst.Subscript):
        v = annotation.value
        return (isinstance(v, cst.Name) and v.value == "Mapped") or (isinstance(v, cst.Attribute) and v.attr.value == "Mapped")
    return False


def read_class(src: Source, node: cst.ClassDef) -> TableDef | None:
    if not isinstance(node.body, cst.IndentedBlock):
        return None
    table = None
    tdef = TableDef("", src, node.name.value, node,
                    bases=[cst.Module([]).code_for_node(b.value) for b in node.bases])
    for stmt in node.body.body:
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            continue
        name, value, annotation = _assigned(stmt.body[0])
        if name is None:
            continue
        if name == "__tablename__":
            table = string_value(value)
            tdef.tablename_stmt = stmt
        elif name == "__table_args__":
            tdef.table_args = stmt
        elif (call := column_call(value)) is not None:
            explicit = explicit_name(call)
            tdef.columns.append(ColumnDef(explicit or name, explicit or name, call, stmt, src.line(stmt), name))
        elif value is None and _is_mapped(annotation) and _plain_mapped(annotation):
            tdef.columns.append(ColumnDef(name, name, None, stmt, src.line(stmt), name))
    if table is None:
        return None
    tdef.table = table
    return tdef


_COLLECTIONS = frozenset({"list", "List", "set", "Set"})


def _plain_mapped(annotation: cst.Subscript) -> bool:
    """Mapped[int], Mapped[Optional[str]]: a column; Mapped["User"], Mapped[list["Tag"]]: a relation (those need
    relationship() and have a value, but an annotation alone with a string or a list is no column either)."""
    inner = annotation.slice[0].slice
    if not isinstance(inner, cst.Index):
        return False
    v = inner.value
    if isinstance(v, (cst.SimpleString, cst.ConcatenatedString)):
        return False
    collection = isinstance(v, cst.Subscript) and isinstance(v.value, cst.Name) and v.value.value in _COLLECTIONS
    return not collection


def read_table_call(src: Source, call: cst.Call, variable: str) -> TableDef | None:
    args = positional(call)
    table = string_value(args[0].value) if args else None
    if table is None:
        return None
    tdef = TableDef(table, src, variable, call)
    for a in args[1:]:
        if call_name(a.value) == "Column":
            col = a.value
            name = explicit_name(col)  # type: ignore[arg-type]
            if name is not None:
                key_arg = keyword(col, "key")  # type: ignore[arg-type]
                key = string_value(key_arg.value) if key_arg is not None else None
                tdef.columns.append(ColumnDef(key or name, name, col, None, src.line(col), None, key is not None))  # type: ignore[arg-type]
    return tdef


class _Finder(cst.CSTVisitor):
    def __init__(self, src: Source) -> None:
        self.src = src
        self.tables: list[TableDef] = []
        self.indexes: list[ModelIndex] = []
        self.conventions: list[Any] = []  # naming_convention=... values
        self.dicts: dict[str, cst.Dict] = {}  # module-level NAME = {...}
        self.depth = 0  # inside a function: not module-level declarations

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        tdef = read_class(self.src, node)
        if tdef is not None:
            self.tables.append(tdef)
        self.depth += 1

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.depth -= 1

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.depth += 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.depth -= 1

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None and node.keyword.value == "naming_convention":
            self.conventions.append(node.value)

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        if len(node.body) != 1:
            return
        small = node.body[0]
        name, value, _ = _assigned(small)
        if name is not None and isinstance(value, cst.Dict) and self.depth == 0:
            self.dicts[name] = value
        if name is not None and call_name(value) == "Table":
            tdef = read_table_call(self.src, value, name)
            if tdef is not None:
                self.tables.append(tdef)
        expr = small.value if isinstance(small, cst.Expr) else value
        if call_name(expr) == "Index" and self.depth == 0:
            self.indexes.append(ModelIndex(self.src, node, expr))


def read_models(sources: list[Source]) -> AppModels:
    tables: dict[str, TableDef] = {}
    duplicates: list[tuple[str, TableDef, TableDef]] = []
    classes: dict[str, str] = {}
    variables: dict[str, str] = {}
    indexes: list[ModelIndex] = []
    templates: set[str | None] = set()
    for src in sources:
        finder = _Finder(src)
        src.module.visit(finder)
        templates |= {_ix_template(c, finder.dicts) for c in finder.conventions}
        indexes += finder.indexes
        for tdef in finder.tables:
            if tdef.table in tables:
                duplicates.append((tdef.table, tables[tdef.table], tdef))
                continue
            tables[tdef.table] = tdef
            (classes if tdef.is_class else variables)[tdef.label] = tdef.table
    template = DEFAULT_IX if not templates else templates.pop() if len(templates) == 1 else None
    return AppModels(tables, classes, variables, indexes, duplicates, template)


DEFAULT_IX = "ix_%(column_0_label)s"  # SQLAlchemy's DEFAULT_NAMING_CONVENTION


def _ix_template(value: Any, dicts: dict[str, cst.Dict]) -> str | None:
    """The "ix" entry of a naming_convention given as a literal dict (or a module-level name bound to one)."""
    if isinstance(value, cst.Name):
        value = dicts.get(value.value)
    if not isinstance(value, cst.Dict):
        return None
    for element in value.elements:
        if isinstance(element, cst.DictElement) and string_value(element.key) == "ix":
            return string_value(element.value)
    return None  # no "ix": index=True has no name SQLAlchemy would give


def looks_like_sqlalchemy(sources: list[Source]) -> bool:
    """Whether any file declares a table: `__tablename__` in a class or a `Table("name", ...)`."""
    return bool(read_models(sources).tables)
