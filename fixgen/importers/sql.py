"""`fixgen import sql`: the findings behind a fix script.

The input is DDL someone already wrote to fix a schema: a linter's suggested fix
(schemalint, squawk), a DBA's script, dexter or pg-index-health output. Each statement
that spec v1 can express becomes a finding; fixgen then re-emits it as a guarded,
idempotent migration with a down step, which the raw script is not.

- CREATE [UNIQUE] INDEX, MySQL ADD INDEX/KEY/UNIQUE, ADD CONSTRAINT .. UNIQUE -> missing_index
- ADD [CONSTRAINT n] FOREIGN KEY .. REFERENCES, and an inline REFERENCES on an added column -> missing_foreign_key
- ADD [COLUMN] c TYPE [NULL|NOT NULL] [DEFAULT literal] -> missing_column
- RENAME COLUMN a TO b -> rename_column
- DROP INDEX -> redundant_index; its columns (and, without ON table, its table) come from --db
- DROP CONSTRAINT n (MySQL: DROP FOREIGN KEY n) and then, in the same statement or a later one, ADD
  CONSTRAINT n FOREIGN KEY .. on the same table -> foreign_key_actions (the key re-created with the actions
  the statement gives, NO ACTION where it gives none); the actions it has now, which the rollback restores,
  come from --db. A DROP CONSTRAINT the script does not follow with such an ADD stays unsupported.

Statements that change nothing in the schema (transactions, SET, PRAGMA, a VALIDATE
CONSTRAINT of a foreign key the script adds) are skipped; every other statement or
clause spec v1 cannot express is reported as unsupported with its line and the reason,
never dropped. Identifiers lose their schema qualification; unquoted ones are folded to
lower case when read as PostgreSQL, which is what the server does. Without --dialect,
each statement is read as PostgreSQL, then MySQL, then SQLite: the first reading that
sqlglot understands fully wins.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from fixgen.coltypes import parse_type
from fixgen.dialects import ACTIONS
from fixgen.errors import FixgenError, Problem
from fixgen.findings import Finding
from fixgen.identifiers import identifier_problem
from fixgen.importers import ImportOptions, ImportResult
from fixgen.importers.sql_statements import Statement, split_statements

# fixgen's dialect names -> sqlglot's, and back
SQLGLOT = {"postgresql": "postgres", "mysql": "mysql", "sqlite": "sqlite"}
FIXGEN = {v: k for k, v in SQLGLOT.items()}

# transaction control and session settings: no schema change to report
_NOT_SCHEMA = re.compile(r"(?is)^(begin|start\s+transaction|commit|end|rollback|abort|savepoint|release|set|reset|pragma)\b")
_VALIDATE = re.compile(r"(?is)^alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?(?P<table>\S+)"
                       r"\s+validate\s+constraint\s+(?P<name>\S+)$")
_DROP_INDEXES = re.compile(r"(?is)^drop\s+index\s+(?P<opts>(?:concurrently\s+)?(?:if\s+exists\s+)?)(?P<names>.+)$")
_ON_ACTION = re.compile(r"ON (DELETE|UPDATE) (CASCADE|SET NULL|SET DEFAULT|RESTRICT|NO ACTION)")
_DEFAULT_REF_OPTIONS = {"NOT DEFERRABLE", "INITIALLY IMMEDIATE", "MATCH SIMPLE"}
_TOKEN = re.compile(r"<Token token_type: [^,]*, text: (.*?), line: \d+[^>]*>")
_DATA = (exp.Select, exp.Insert, exp.Update, exp.Delete, exp.Merge)


class _Unsupported(Exception):
    """A statement or clause spec v1 cannot express; the message says why."""


def read(text: str | None, file: str, options: ImportOptions) -> ImportResult:
    reader = _Reader(file, options.dialect)
    for statement in split_statements(text or "", file, options.dialect):
        reader.statement(statement)
    reader.finish()
    if reader.errors:
        tried = ", ".join(FIXGEN[d] for d in reader.dialects)
        raise FixgenError([*reader.errors, Problem(f"nothing imported: {file} is not SQL that {tried} can read"
                                                   + ("" if options.dialect else " (--dialect picks one)"))])
    return ImportResult(reader.findings, reader.unsupported)


class _Reader:
    """Turns parsed statements into findings; one per script, so that state (the foreign
    keys the script adds, for VALIDATE CONSTRAINT) carries from statement to statement."""

    def __init__(self, file: str, dialect: str | None) -> None:
        self.file = file
        self.dialects = [SQLGLOT[dialect]] if dialect else ["postgres", "mysql", "sqlite"]
        self.findings: list[Finding] = []
        self.unsupported: list[Problem] = []
        self.errors: list[Problem] = []
        self.fks_added: set[tuple[str, str]] = set()
        # (table, constraint) -> (line, snippet, CONSTRAINT | FOREIGN KEY) of a DROP not yet re-added
        self.dropped: dict[tuple[str, str], tuple[int, str, str]] = {}
        self.d = self.dialects[0]  # sqlglot dialect of the statement at hand
        self.line = 0
        self.snippet = ""

    # ---------------------------------------------------------------- statements

    def finish(self) -> None:
        """Constraints dropped and never re-added: a drop spec v1 cannot express. Reported in line order."""
        for line, snippet, kind in self.dropped.values():
            self.unsupported.append(Problem(
                f"{snippet}: DROP {kind}: spec v1 drops nothing but redundant indexes (a foreign key dropped and "
                "re-added under the same name is a change of its actions)", self.file, line))
        self.unsupported.sort(key=lambda p: p.line or 0)

    def statement(self, st: Statement) -> None:
        self.line = st.line
        self.snippet = _snippet(st.text)
        if st.client:
            self._unsupported("a client command (psql, mysql), not SQL: fixgen reads SQL statements only")
            return
        if _NOT_SCHEMA.match(st.text):
            return
        for expr, d in self._parse(st):
            self.d = d
            try:
                self._expression(expr, st.text)
            except _Unsupported as e:
                self._unsupported(str(e))

    def _parse(self, st: Statement) -> list[tuple[exp.Expression, str]]:
        got = _parse_one(st.text, self.dialects)
        if isinstance(got, tuple):
            return [got]
        m = _DROP_INDEXES.match(st.text)
        if m and "," in m.group("names"):  # PostgreSQL's DROP INDEX a, b: sqlglot reads one name only
            parts = [_parse_one(f"DROP INDEX {m.group('opts')}{name.strip()}", self.dialects)
                     for name in m.group("names").split(",")]
            if all(isinstance(p, tuple) for p in parts):
                return parts  # type: ignore[return-value]
        self.errors.append(Problem(f"cannot parse {self.snippet}: {got}", self.file, st.line))
        return []

    def _expression(self, expr: exp.Expression, text: str) -> None:
        if isinstance(expr, (exp.Transaction, exp.Commit, exp.Rollback, exp.Set, exp.Pragma)):
            return
        if isinstance(expr, exp.Create) and expr.args.get("kind") == "INDEX":
            self._create_index(expr)
        elif isinstance(expr, exp.Alter) and expr.args.get("kind") == "TABLE":
            self._alter(expr)
        elif isinstance(expr, exp.Drop) and expr.args.get("kind") == "INDEX":
            self._drop_index(expr, None)
        elif isinstance(expr, exp.Command):
            self._command(text)
        elif isinstance(expr, exp.Create):
            raise _Unsupported(f"spec v1 has no kind that creates a {str(expr.args.get('kind') or 'object').lower()}")
        elif isinstance(expr, exp.Drop):
            raise _Unsupported(f"spec v1 drops nothing but redundant indexes, not a {str(expr.args.get('kind')).lower()}")
        elif isinstance(expr, _DATA):
            raise _Unsupported("reads or changes data, not the schema: spec v1 describes schema fixes only")
        else:
            raise _Unsupported("spec v1 has no kind for this statement")

    def _command(self, text: str) -> None:
        """A statement sqlglot read only as opaque text."""
        m = _VALIDATE.match(text.strip())
        if m:
            key = (self._word(m.group("table")), self._word(m.group("name")))
            if key in self.fks_added:
                return  # the second half of ADD CONSTRAINT .. NOT VALID: part of that foreign key's finding
            raise _Unsupported("VALIDATE CONSTRAINT of a constraint this script does not add: spec v1 has no kind for it")
        raise _Unsupported("fixgen cannot read this statement's syntax (sqlglot parses it only as an opaque command)")

    # ---------------------------------------------------------------- indexes

    def _create_index(self, expr: exp.Create) -> None:
        _only(expr, {"this", "kind", "unique", "exists", "concurrently"}, "CREATE INDEX option")
        index = expr.this
        _only(index, {"this", "table", "params"}, "index option")
        table = self._name(index.args["table"])
        name = self._name(index.this) if index.this else None
        params = index.args.get("params") or exp.IndexParameters()
        if params.args.get("on"):  # sqlglot's reading of SQLite's CREATE INDEX schema.name ON ...
            raise _Unsupported("fixgen cannot read a schema-qualified index name here: write the name alone")
        using = params.args.get("using")
        if using is not None and using.name.lower() != "btree":
            raise _Unsupported(f"a {using.name} index: spec v1 indexes are plain btree indexes")
        for key, what in (("where", "a partial index (WHERE)"), ("include", "INCLUDE columns"),
                          ("with_storage", "storage parameters (WITH)"), ("tablespace", "a TABLESPACE")):
            if params.args.get(key):
                raise _Unsupported(f"{what}: spec v1 cannot express it")
        _only(params, {"using", "columns", "where", "include", "with_storage", "tablespace"}, "index option")
        cols = [self._index_column(c) for c in params.args.get("columns") or []]
        unique = bool(expr.args.get("unique"))
        self._index(table, cols, unique, name, "CREATE UNIQUE INDEX" if unique else "CREATE INDEX")

    def _index_column(self, node: exp.Expression) -> str:
        if isinstance(node, exp.Ordered):
            if node.args.get("desc"):
                raise _Unsupported(f"descending column {node.sql(self.d)}: spec v1 index columns are ascending")
            # NULLS FIRST/LAST other than the dialect's own order for ASC (nulls sort high in PostgreSQL only)
            if bool(node.args.get("nulls_first")) != (self.d != "postgres"):
                raise _Unsupported(f"{node.sql(self.d)}: spec v1 index columns use the default NULLS order")
            node = node.this
        if isinstance(node, exp.ColumnPrefix):
            raise _Unsupported(f"prefix length {node.sql(self.d)}: spec v1 indexes whole columns")
        if isinstance(node, exp.Opclass):
            raise _Unsupported(f"operator class {node.sql(self.d)}: spec v1 indexes use the default operator class")
        if isinstance(node, exp.Collate):
            raise _Unsupported(f"collation {node.sql(self.d)}: spec v1 indexes use the column's collation")
        if isinstance(node, exp.Column) and not node.table or isinstance(node, exp.Identifier):
            return self._name(node)
        if isinstance(node, exp.Anonymous) and len(node.expressions) == 1 and node.expressions[0].is_int:
            raise _Unsupported(f"{node.sql(self.d)}: a prefix length (MySQL) or a function: spec v1 indexes whole columns")
        raise _Unsupported(f"expression {node.sql(self.d)}: spec v1 indexes plain columns")

    def _index(self, table: str, cols: list[str], unique: bool, name: str | None, verb: str) -> None:
        if not cols:
            raise _Unsupported("an index without columns")
        if len(set(cols)) != len(cols):
            raise _Unsupported(f"a column repeats in {cols}")
        fields: dict[str, Any] = {"table": table, "columns": cols}
        if name:
            fields["name"] = name
        if unique:
            fields["unique"] = True
        self._add("missing_index", fields, f"{verb} on {table}({', '.join(cols)})")

    def _drop_index(self, expr: exp.Drop, table: str | None) -> None:
        if expr.args.get("cascade"):
            raise _Unsupported("DROP INDEX .. CASCADE also drops what depends on the index: spec v1 cannot express it")
        _only(expr, {"kind", "tables", "exists", "concurrently", "cluster"}, "DROP INDEX option")
        [target] = expr.args["tables"]
        name = self._name(target)
        on = expr.args.get("cluster")  # MySQL: DROP INDEX name ON table
        if table is None and isinstance(on, exp.OnProperty):
            table = self._name(on.this)
        fields: dict[str, Any] = {"name": name}
        if table:
            fields["table"] = table
            gaps = {"index": f"the spec needs the columns of index {name!r}, which DROP INDEX does not list: "
                             "pass --db URL to read them from the database"}
        else:
            gaps = {"index_table": f"the spec needs the table and columns of index {name!r}, which DROP INDEX "
                                   "does not name: pass --db URL to find them in the database"}
        self._add("redundant_index", fields, f"DROP INDEX {name}" + (f" ON {table}" if table else ""),
                  gaps=gaps, hints={"index": name})

    # ---------------------------------------------------------------- ALTER TABLE

    def _alter(self, expr: exp.Alter) -> None:
        _only(expr, {"this", "kind", "actions", "exists", "only", "options", "not_valid"}, "ALTER TABLE option")
        table = self._name(expr.this)
        options = expr.args.get("options") or []
        rename_to = [o for o in options if isinstance(o, exp.ToTableProperty)]
        for o in options:
            if not isinstance(o, (exp.ToTableProperty, exp.AlgorithmProperty, exp.LockProperty)):
                raise _Unsupported(f"ALTER TABLE option {o.sql(self.d)}: spec v1 cannot express it")
        for action in expr.args.get("actions") or []:
            try:
                self._action(table, action, rename_to)
            except _Unsupported as e:
                self._unsupported(str(e))

    def _action(self, table: str, a: exp.Expression, rename_to: list[exp.ToTableProperty]) -> None:
        if isinstance(a, exp.ColumnDef):
            self._add_column(table, a)
        elif isinstance(a, exp.AddConstraint):
            for c in a.expressions:
                self._constraint(table, c)
        elif isinstance(a, exp.RenameColumn):
            self._rename(table, self._name(a.this), self._name(a.args["to"]))
        elif isinstance(a, exp.AlterRename) and rename_to:  # PostgreSQL's RENAME a TO b (COLUMN left out)
            self._rename(table, self._name(a.this), self._name(rename_to[0].this))
        elif isinstance(a, exp.AlterRename):
            raise _Unsupported("RENAME TO renames the table: spec v1 renames columns only")
        elif isinstance(a, exp.Drop) and a.args.get("kind") == "INDEX":
            self._drop_index(a, table)
        elif isinstance(a, exp.Drop) and a.args.get("kind") in ("CONSTRAINT", "FOREIGN KEY") and not a.args.get("cascade"):
            _only(a, {"kind", "tables", "exists"}, f"DROP {a.args['kind']} option")
            [target] = a.args["tables"]
            # a change of actions if the script re-adds it: see _foreign_key_actions
            self.dropped[(table, self._name(target))] = (self.line, self.snippet, a.args["kind"])
        elif isinstance(a, exp.Drop):
            raise _Unsupported(f"DROP {a.args.get('kind')}: spec v1 drops nothing but redundant indexes")
        elif isinstance(a, exp.ModifyColumn) and a.args.get("rename_from") is not None:
            raise _Unsupported("CHANGE restates the column's whole definition, so it may change more than the name, "
                               "which fixgen cannot tell without the old definition: write RENAME COLUMN for a rename")
        elif isinstance(a, (exp.ModifyColumn, exp.AlterColumn)):
            raise _Unsupported("changes an existing column's definition: spec v1 has no kind for that")
        else:
            raise _Unsupported(f"{_snippet(a.sql(self.d))}: spec v1 has no kind for this change")

    def _rename(self, table: str, old: str, new: str) -> None:
        if old == new:
            raise _Unsupported(f"renames {old} to itself")
        self._add("rename_column", {"table": table, "from": old, "to": new}, f"RENAME COLUMN {table}.{old} TO {new}")

    def _constraint(self, table: str, c: exp.Expression) -> None:
        name = None
        if isinstance(c, exp.Constraint):
            name = self._name(c.this)
            if len(c.expressions) != 1:
                raise _Unsupported(f"constraint {name} has several parts")
            [c] = c.expressions
        if isinstance(c, exp.ForeignKey):
            _only(c, {"expressions", "reference"}, "foreign key option")
            cols = [self._name(i) for i in c.expressions]
            if name and (table, name) in self.dropped:
                self._foreign_key_actions(table, cols, c.args["reference"], name)
            else:
                self._foreign_key(table, cols, c.args["reference"], name)
            if name:
                self.fks_added.add((table, name))
        elif isinstance(c, exp.IndexColumnConstraint):
            if c.args.get("kind"):
                raise _Unsupported(f"a {c.args['kind']} index: spec v1 indexes are plain btree indexes")
            self._check_index_type(c.args.get("index_type"))
            _only(c, {"this", "expressions", "index_type"}, "index option")
            own = self._name(c.this) if c.this else None
            self._index(table, [self._index_column(x) for x in c.expressions], False, own or name, "ADD INDEX")
        elif isinstance(c, exp.UniqueColumnConstraint):
            self._check_index_type(c.args.get("index_type"))
            include = c.args.get("include")
            if c.args.get("nulls") or include is not None and any(include.args.values()):
                raise _Unsupported(f"{_snippet(c.sql(self.d))}: spec v1 unique indexes have no NULLS NOT DISTINCT or INCLUDE")
            _only(c, {"this", "index_type", "nulls", "include"}, "unique option")
            schema = c.this
            if not isinstance(schema, exp.Schema):
                raise _Unsupported(f"{_snippet(c.sql(self.d))}: spec v1 cannot express it")
            own = self._name(schema.this) if schema.this else None
            self._index(table, [self._index_column(x) for x in schema.expressions], True, own or name, "ADD UNIQUE")
        elif isinstance(c, (exp.PrimaryKey, exp.PrimaryKeyColumnConstraint)):
            raise _Unsupported("ADD PRIMARY KEY: spec v1 has no kind for primary keys")
        elif isinstance(c, exp.CheckColumnConstraint):
            raise _Unsupported("a CHECK constraint: spec v1 has no kind for it")
        else:
            raise _Unsupported(f"{_snippet(c.sql(self.d))}: spec v1 has no kind for this constraint")

    def _check_index_type(self, kind: object) -> None:
        if kind and str(getattr(kind, "name", kind)).lower() != "btree":
            raise _Unsupported(f"a {getattr(kind, 'name', kind)} index: spec v1 indexes are plain btree indexes")

    def _foreign_key(self, table: str, cols: list[str], ref: exp.Reference, name: str | None) -> None:
        fields, gaps, hints, message = self._fk_parts(table, cols, ref, name)
        self._add("missing_foreign_key", fields, message, gaps=gaps, hints=hints)

    def _foreign_key_actions(self, table: str, cols: list[str], ref: exp.Reference, name: str) -> None:
        """ADD CONSTRAINT n FOREIGN KEY after a DROP of n: the same key with the actions this statement gives."""
        fields, _gaps, _hints, _message = self._fk_parts(table, cols, ref, name)
        del self.dropped[(table, name)]
        wanted = {key: fields.get(key, "no_action") for key in ("on_delete", "on_update")}
        fields.update(wanted)  # an action the statement leaves out is NO ACTION on the re-created key
        shown = " ".join(f"ON {k[3:].upper()} {ACTIONS[v]}" for k, v in wanted.items())
        gap = (f"the spec needs the actions foreign key {name} has now (the rollback restores them), which the "
               "script does not say: pass --db URL to read them from the database")
        self._add("foreign_key_actions", fields, f"re-create foreign key {name} on {table} with {shown}",
                  gaps={"constraint": gap}, hints={"constraint": name})

    def _fk_parts(self, table: str, cols: list[str], ref: exp.Reference, name: str | None
                  ) -> tuple[dict[str, Any], dict[str, str], dict[str, Any], str]:
        """A foreign key's finding, checked whole before anything is added."""
        _only(ref, {"this", "options"}, "REFERENCES option")
        target = ref.this
        if isinstance(target, exp.Schema):
            ref_table = self._name(target.this)
            ref_cols = [self._name(i) for i in target.expressions]
        else:
            ref_table, ref_cols = self._name(target), []
        if len(set(cols)) != len(cols):
            raise _Unsupported(f"a column repeats in {cols}")
        fields: dict[str, Any] = {"table": table, "columns": cols}
        if name:
            fields["name"] = name
        gaps: dict[str, str] = {}
        hints: dict[str, Any] = {}
        if ref_cols and len(ref_cols) != len(cols):
            raise _Unsupported(f"{len(cols)} referencing but {len(ref_cols)} referenced column(s)")
        if len(ref_cols) == 1:
            fields["references"] = f"{ref_table}.{ref_cols[0]}"
        elif ref_cols:
            fields["references"] = {"table": ref_table, "columns": ref_cols}
        else:  # REFERENCES t alone means t's primary key, whatever it is called
            fields["references"] = {"table": ref_table}
            gaps["primary_key"] = (f"REFERENCES {ref_table} names no column, so it means the primary key of {ref_table}, "
                                   "which the spec must name: pass --db URL to read it from the database")
            hints["ref_table"] = ref_table
        for option in ref.args.get("options") or []:
            text = " ".join(str(option).upper().split())
            m = _ON_ACTION.fullmatch(text)
            if m:
                action = m.group(2).lower().replace(" ", "_")
                if action not in ACTIONS:
                    raise _Unsupported(f"{text}: spec v1 actions are {', '.join(ACTIONS)}")
                if action != "no_action":
                    fields["on_delete" if m.group(1) == "DELETE" else "on_update"] = action
            elif text not in _DEFAULT_REF_OPTIONS:
                raise _Unsupported(f"{text}: spec v1 foreign keys are MATCH SIMPLE and not deferrable")
        shown = ", ".join(ref_cols) if ref_cols else "primary key"
        return fields, gaps, hints, f"FOREIGN KEY {table}({', '.join(cols)}) REFERENCES {ref_table}({shown})"

    # ---------------------------------------------------------------- columns

    def _add_column(self, table: str, cd: exp.ColumnDef) -> None:
        column = self._name(cd.this)
        try:
            self._column(table, column, cd)
        except _Unsupported as e:
            raise _Unsupported(f"column {column}: {e}") from None

    def _column(self, table: str, column: str, cd: exp.ColumnDef) -> None:
        kind = cd.args.get("kind")
        if not isinstance(kind, exp.DataType):
            raise _Unsupported(f"column {column} has no type: the spec needs one")
        if cd.args.get("position"):
            raise _Unsupported(f"{cd.args['position'].sql(self.d)}: spec v1 adds columns at the end of the table")
        _only(cd, {"this", "kind", "constraints", "exists", "position"}, "column option")
        ctype = self._type(kind)
        nullable, has_default, default = True, False, None
        fks = []
        for cc in cd.args.get("constraints") or []:
            k = cc.args.get("kind") if isinstance(cc, exp.ColumnConstraint) and not cc.this else cc
            if isinstance(k, exp.NotNullColumnConstraint):
                nullable = bool(k.args.get("allow_null"))
            elif isinstance(k, exp.DefaultColumnConstraint):
                has_default, default = True, self._literal(k.this, ctype)
            elif isinstance(k, exp.Reference):
                fks.append(self._fk_parts(table, [column], k, None))
            else:
                raise _Unsupported(f"{cc.sql(self.d)}: spec v1 columns have a type, NULL or NOT NULL, a literal "
                                   "DEFAULT and nothing else")
        if not nullable and default is None:
            raise _Unsupported("NOT NULL " + ("with DEFAULT NULL contradicts itself" if has_default else
                               "without a DEFAULT: existing rows need a value, so the spec requires a default"))
        fields: dict[str, Any] = {"table": table, "column": column, "type": ctype}
        if not nullable:
            fields["nullable"] = False
        if default is not None:
            fields["default"] = default
        self._add("missing_column", fields, f"ADD COLUMN {table}.{column} {ctype}")
        for fk_fields, gaps, hints, message in fks:  # the inline REFERENCES: a foreign key of its own
            self._add("missing_foreign_key", fk_fields, message, gaps=gaps, hints=hints)

    def _type(self, kind: exp.DataType) -> str:
        """spec v1's name for a SQL type, by meaning in the statement's dialect."""
        T = exp.DataType.Type
        shown = kind.sql(self.d)
        args = []
        for p in kind.expressions:
            value = p.this if isinstance(p, exp.DataTypeParam) else p
            if not (isinstance(value, exp.Literal) and value.is_int):
                raise _Unsupported(f"type {shown}: spec v1 has no equivalent")
            args.append(int(value.this))
        t, d = kind.this, self.d
        out: str | None = None
        if kind.args.get("nested") or kind.args.get("values") or kind.args.get("collate"):
            out = None
        elif t == T.VARCHAR and len(args) == 1:
            out = f"string({args[0]})"
        elif t == T.TEXT:
            out = "text"
        elif t in (T.INT, T.BIGINT, T.SMALLINT):
            out = {T.INT: "integer", T.BIGINT: "bigint", T.SMALLINT: "smallint"}[t]
        elif t == T.BOOLEAN or (t == T.TINYINT and args == [1] and d == "mysql"):  # MySQL's BOOLEAN is TINYINT(1)
            out = "boolean"
        elif t == T.DECIMAL and args:
            out = f"decimal({args[0]},{args[1] if len(args) > 1 else 0})"
        elif t == T.DOUBLE and (not args or args[0] > 24):  # PostgreSQL float(n > 24) and float8; SQLite's REAL
            out = "float"
        elif t in (T.DATE, T.TIME):
            out = t.value.lower()
        elif t in (T.TIMESTAMP, T.DATETIME) or (t == T.TIMESTAMPTZ and d == "mysql"):  # sqlglot reads MySQL's TIMESTAMP as TZ
            out = "timestamp"
        elif t == T.TIMESTAMPTZ:
            out = "timestamptz"
        elif t in (T.JSON, T.JSONB):
            out = "json"
        elif t == T.UUID:
            out = "uuid"
        elif t in (T.VARBINARY, T.BLOB) and not args:  # bytea, blob
            out = "binary"
        if out is None:
            raise _Unsupported(f"type {shown}: spec v1 has no equivalent")
        try:
            parse_type(out)
        except ValueError as e:
            raise _Unsupported(f"type {shown}: {e}") from None
        return out

    def _literal(self, node: exp.Expression, ctype: str) -> Any:
        shown = node.sql(self.d)
        while isinstance(node, exp.Paren):
            node = node.this
        if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal):
            node = node.this  # PostgreSQL's 'x'::character varying, as pg_dump writes it
        negative = isinstance(node, exp.Neg)
        if negative:
            node = node.this
        value: Any
        if isinstance(node, exp.Null) and not negative:
            return None
        if isinstance(node, exp.Boolean) and not negative:
            value = bool(node.this)
        elif isinstance(node, exp.Literal) and (not node.is_string or not negative):
            value = node.this if node.is_string else (int(node.this) if node.is_int else float(node.this))
        else:
            raise _Unsupported(f"DEFAULT {shown} is not a literal: spec v1 defaults are constant values")
        if negative:
            value = -value
        if isinstance(value, str) and any(ord(c) < 32 and c not in "\t\n" for c in value):
            raise _Unsupported("a DEFAULT with control characters: spec v1 refuses them")
        if ctype == "boolean" and type(value) is int and value in (0, 1):
            value = bool(value)  # MySQL spells booleans 0/1
        return value

    # ---------------------------------------------------------------- helpers

    def _name(self, node: exp.Expression) -> str:
        """The bare name: schema qualification dropped, unquoted PostgreSQL names folded to lower case."""
        if isinstance(node, (exp.Column, exp.Table)):
            node = node.this
        if isinstance(node, exp.Identifier):
            name, quoted = node.this, node.quoted
        elif isinstance(node, exp.Var):
            name, quoted = node.name, False
        else:
            raise _Unsupported(f"{node.sql(self.d)} is not a plain name")
        return self._checked(name, quoted)

    def _word(self, text: str) -> str:
        """A name written in a statement sqlglot did not parse: the last dotted part, unquoted."""
        last = re.split(r"\.(?=(?:[^\"`]*[\"`][^\"`]*[\"`])*[^\"`]*$)", text)[-1]
        if len(last) >= 2 and last[0] in "\"`" and last[-1] == last[0]:
            return self._checked(last[1:-1].replace(last[0] * 2, last[0]), True)
        return self._checked(last, False)

    def _checked(self, name: str, quoted: bool) -> str:
        if not quoted and self.d == "postgres":
            name = name.lower()
        why = identifier_problem(name)
        if why:
            raise _Unsupported(f"fixgen cannot use this name: {why}")
        return name

    def _add(self, kind: str, fields: dict[str, Any], message: str, *, gaps: dict[str, str] | None = None,
             hints: dict[str, Any] | None = None) -> None:
        where = f"{self.file}:{self.line}"
        self.findings.append(Finding(kind, fields, f"sql {where}", message, origin=where,
                                     gaps=gaps or {}, hints=hints or {}))

    def _unsupported(self, reason: str) -> None:
        self.unsupported.append(Problem(f"{self.snippet}: {reason}", self.file, self.line))


def _only(node: exp.Expression, allowed: set[str], what: str) -> None:
    """Refuse clauses this importer does not read, rather than drop them silently."""
    for key, value in node.args.items():
        if key not in allowed and value:
            raise _Unsupported(f"{what} {key.upper()}: spec v1 cannot express it")


def _snippet(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[:width - 3] + "..."


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """sqlglot logs a warning when it falls back to an opaque Command; fixgen reports that itself."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _doubtful(expr: exp.Expression) -> bool:
    """A reading another dialect may do better: an opaque Command, or a type sqlglot does not know
    (PostgreSQL reads MySQL's `ADD KEY k (c)` as a column named key of type k)."""
    return isinstance(expr, exp.Command) or any(
        t.this == exp.DataType.Type.USERDEFINED for t in expr.find_all(exp.DataType))


def _parse_one(text: str, dialects: list[str]) -> tuple[exp.Expression, str] | str:
    """The first full reading of one statement, else the first doubtful one, else why none parses."""
    doubtful: tuple[exp.Expression, str] | None = None
    error: str | None = None
    with _quiet():
        for d in dialects:
            try:
                exprs = [e for e in sqlglot.parse(text, read=d) if e is not None]
            except (ParseError, TokenError) as e:
                error = error or _error_text(e)
                continue
            if len(exprs) != 1:
                error = error or "not one statement"
                continue
            if not _doubtful(exprs[0]):
                return exprs[0], d
            doubtful = doubtful or (exprs[0], d)
    return doubtful or error or "cannot parse"


def _error_text(e: Exception) -> str:
    errors = getattr(e, "errors", None)
    if errors:
        first = errors[0]
        near = (first.get("highlight") or "").strip()
        description = _TOKEN.sub(r"\1", str(first.get("description")))  # sqlglot shows tokens as their repr
        return description + (f" near {near!r}" if near else "")
    return str(e).splitlines()[0] if str(e) else type(e).__name__
