"""A read-only snapshot of a live schema, taken through SQLAlchemy's inspector.

`detect` reads its findings from it and importers fill a finding's gaps from it. It is
read once, up front, into plain data, so nothing else in fixgen talks to a database.

Catalog content is input like any other, and fixgen's identifier policy
(fixgen.identifiers) applies to it. Per object:

- a table whose name the policy refuses, or that cannot be read (the dialect's reflection
  fails on it), is left out of `Schema.tables`;
- a column whose name is refused is left out of `Table.columns` (its name is kept in
  `Table.refused_columns`, so that nothing mistakes it for missing);
- an index or foreign key whose name, columns or referenced table/columns are refused stays
  in the table, so that it still covers its columns (detect must not propose it again), but
  `problem` says why no fix may name it, and detect builds no finding from it.

Each of these is a `SnapshotWarning` in `Schema.warnings`, its names shown with `shown()`.
Where SQLAlchemy's reflection parses DDL text (PostgreSQL's foreign key definitions,
MySQL/MariaDB's SHOW CREATE TABLE), names with line breaks or quotes can defeat the parse,
silently or with an exception: the result is checked against the catalog
(pg_constraint, information_schema) and the catalog's reading wins.

Column types are the catalog's own, whatever SQLAlchemy makes of them (it compiles MySQL's
`INT(10) UNSIGNED` and `INT(11)` alike, and a PostgreSQL domain as DOMAIN): `Column.type` as the
database spells it (format_type, information_schema.COLUMNS.COLUMN_TYPE with its collation, the
declared type), `Column.key_type` what a foreign key between two columns needs equal
(`mysql_key_type`, the base type of a PostgreSQL domain, SQLite's affinity), and on PostgreSQL
`Schema.key_type_pairs` the unequal pairs the database takes. PostgreSQL inheritance and
partitions are read from pg_inherits and pg_class (`Table.parents`, `partition`, `partitioned`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from fixgen.dialects import MYSQL, POSTGRES_ACTION_CODES, action_of_sql
from fixgen.errors import FixgenError
from fixgen.identifiers import identifier_problem, shown

# what to install for each URL scheme (SQLAlchemy names the driver after "+")
_DRIVERS = {"postgresql": "psycopg[binary]", "mysql": "pymysql", "mariadb": "pymysql"}


def names_problem(*names: str | None) -> str | None:
    """The first refused name among these (None and "" are no names: an unnamed key, an expression), or None."""
    for name in names:
        if name is None or name == "":
            continue
        why = identifier_problem(name)
        if why:
            return why
    return None


def safe_name(name: Any) -> str:
    """A name for a message: as is when the policy accepts it, else `shown()` (quoted, escaped)."""
    text = name if isinstance(name, str) else str(name)
    return text if identifier_problem(text) is None else shown(text)


@dataclass(frozen=True)
class Column:
    name: str
    # for messages: the database's own spelling (format_type, COLUMN_TYPE, the declared type), with what the
    # key comparison also looks at when the spelling does not show it (a domain's base type, a collation)
    type: str
    nullable: bool
    # what a foreign key's columns must share with the key they reference, read from the catalog:
    # MySQL/MariaDB the type (integers: which one), sign, decimal precision and scale, and for strings the
    # collation (lengths may differ); PostgreSQL the type with a domain resolved to its base type (without
    # length or precision); SQLite the type affinity. None: not read (a Schema made by hand), and detect
    # falls back on comparing the families of `type`
    key_type: str | None = None


@dataclass(frozen=True)
class Index:
    name: str
    columns: tuple[str, ...]  # empty-string entries for expressions
    unique: bool
    # key columns only, ascending, default method and collation, no INCLUDE or prefix length:
    # what a redundant_index rollback (name, columns, unique) recreates exactly
    plain: bool = True
    constraint: bool = False  # backs a UNIQUE constraint (PostgreSQL, SQLite): DROP INDEX cannot remove it
    attached: bool = False  # PostgreSQL: a partition's part of its parent's partitioned index (not dropped alone)

    @property
    def problem(self) -> str | None:
        """Why no fix may name this index (its name or a column's is refused), or None."""
        return names_problem(self.name, *self.columns)


@dataclass(frozen=True)
class ForeignKey:
    name: str | None
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: str | None = None  # SQLAlchemy's options: None for NO ACTION (and, on MySQL/MariaDB, RESTRICT)
    on_update: str | None = None

    @property
    def problem(self) -> str | None:
        """Why no fix may name this key (a name, column or referenced name is refused), or None."""
        return names_problem(self.name, *self.columns, self.ref_table, *self.ref_columns)


@dataclass
class Table:
    name: str
    columns: dict[str, Column] = field(default_factory=dict)
    primary_key: tuple[str, ...] = ()
    indexes: list[Index] = field(default_factory=list)  # unique constraints included
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    refused_columns: tuple[str, ...] = ()  # columns the table has whose names fixgen refuses (not in `columns`)
    # False: SQLAlchemy's reflection of it failed or disagreed with the catalog, whose reading this is (what
    # reflects it again through SQLAlchemy, like Alembic's autogenerate, would misread it)
    reflected: bool = True
    # PostgreSQL: the tables it inherits from (INHERITS, or the partitioned table it is a partition of) that
    # are in the same schema, in pg_inherits order, and whether it is a partition (pg_class.relispartition)
    parents: tuple[str, ...] = ()
    partition: bool = False
    # a partitioned table (PostgreSQL relkind 'p'; MySQL/MariaDB: it has partitions), and on PostgreSQL why
    # fixgen's migrations cannot add an index or a key to it (a partition that is partitioned or a foreign table)
    partitioned: bool = False
    partitions_problem: str | None = None

    def has_index_leading(self, columns: tuple[str, ...]) -> bool:
        """Some index (or the primary key) starts with these columns, in any order within that prefix."""
        n = len(columns)
        want = set(columns)
        keys = [ix.columns for ix in self.indexes] + [self.primary_key]
        return any(len(k) >= n and set(k[:n]) == want for k in keys)

    def has_column(self, name: str) -> bool:
        """The table has this column, whether or not fixgen accepts its name."""
        return name in self.columns or name in self.refused_columns


@dataclass(frozen=True)
class SnapshotWarning:
    """Something in the database the snapshot leaves out or that no fix may name; never part of a spec."""

    table: str  # the table it is about, as the database spells it (shown escaped)
    message: str  # names already shown()

    def text(self) -> str:
        return self.message

    def row(self):  # -> Finding (a `--format table` row, KIND `warning`)
        from fixgen.findings import Finding

        return Finding("warning", {"table": safe_name(self.table) if self.table else ""}, "fixgen detect: database",
                       self.message)


@dataclass
class Schema:
    dialect: str  # postgresql | mysql | sqlite
    tables: dict[str, Table]
    schema: str | None = None
    warnings: list[SnapshotWarning] = field(default_factory=list)
    left_out: dict[str, str] = field(default_factory=dict)  # table -> why it is not in `tables`
    # (referencing key type, referenced key type) pairs that differ but that the database accepts in a foreign
    # key (PostgreSQL: a cross-type equality operator in the referenced key's operator family, or an implicit
    # cast to its type: integer -> bigint, text -> varchar); elsewhere key types must be equal
    key_type_pairs: frozenset[tuple[str, str]] = frozenset()

    def table(self, name: str) -> Table | None:
        return self.tables.get(name)

    def ancestors(self, name: str) -> list[str]:
        """The tables `name` inherits from, at any depth (PostgreSQL INHERITS and partitions), nearest first."""
        out: list[str] = []
        todo = list(self.tables[name].parents) if name in self.tables else []
        while todo:
            parent = todo.pop(0)
            if parent in out or parent == name:
                continue
            out.append(parent)
            todo += list(self.tables[parent].parents) if parent in self.tables else []
        return out

    def key_types_match(self, column: Column, target: Column) -> bool:
        """Whether a foreign key from `column` to the key `target` can be added as the columns are: the catalog's
        key types (`Column.key_type`) are equal or a pair the database accepts; without them (a Schema made by
        hand), the same type family, and on MySQL/MariaDB the same spelling up to lengths."""
        if column.key_type is not None and target.key_type is not None:
            return column.key_type == target.key_type or (column.key_type, target.key_type) in self.key_type_pairs
        return _same_family(self.dialect, column.type, target.type)


def dialect_of(url: str) -> str:
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    if scheme in ("postgresql", "postgres"):
        return "postgresql"
    if scheme in ("mysql", "mariadb"):
        return "mysql"
    if scheme == "sqlite":
        return "sqlite"
    raise FixgenError(f"unsupported database URL scheme {scheme!r}: use postgresql://, mysql+pymysql:// or sqlite:///")


def normalize_url(url: str) -> str:
    """Accept the spellings people paste (postgres://, mysql://, mariadb://) and pick the driver we ship with."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise FixgenError(f"not a database URL: {url!r} (expected e.g. postgresql://user@host/db or sqlite:///file.db)")
    low = scheme.lower()
    if low in ("postgres", "postgresql"):
        scheme = "postgresql+psycopg"
    elif low in ("mysql", "mariadb"):
        scheme = "mysql+pymysql"
    return f"{scheme}://{rest}"


def engine_for(url: str):  # -> sqlalchemy.Engine
    try:
        import sqlalchemy as sa
    except ImportError:
        raise FixgenError("reading a database needs SQLAlchemy: pip install 'fixgen[db]'") from None
    dialect_of(url)
    try:
        return sa.create_engine(normalize_url(url))
    except ImportError as e:
        scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
        driver = _DRIVERS.get(scheme, "the database driver")
        raise FixgenError(f"cannot load the driver for {url.split(':', 1)[0]}:// ({e}); pip install '{driver}'") from None
    except Exception as e:  # sqlalchemy.exc.ArgumentError and friends: a malformed URL
        raise FixgenError(f"bad database URL: {e}") from None


def _redact(url: str) -> str:
    return re.sub(r"://([^:/@]+):[^@/]*@", r"://\1:***@", url)


def reflection_errors() -> tuple[type[BaseException], ...]:
    """What a dialect's reflection raises when a table's content defeats it (a regex over DDL text that does
    not match, a name it cannot split): one table's problem, unlike sqlalchemy.exc.DBAPIError, which is the
    database's (catch that first: it is a SQLAlchemyError too)."""
    import sqlalchemy as sa

    return (sa.exc.SQLAlchemyError, AttributeError, KeyError, ValueError, TypeError, IndexError)


def said(e: BaseException) -> str:
    """An exception's first line for a message: at most 200 characters, invisible characters escaped."""
    lines = str(e).strip().splitlines()
    text = lines[0] if lines else ""
    text = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
    text = text if len(text) <= 200 else text[:197] + "..."
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def load_schema(url: str, schema: str | None = None) -> Schema:
    """Read every table of one schema (the connection's default unless named).

    A table that cannot be read is left out with a warning (see the module's docstring); only
    an unusable database (unreachable, access denied, lost connection) is an error."""
    import warnings

    import sqlalchemy as sa

    _check_sqlite_file(url)
    engine = engine_for(url)
    out = Schema(dialect=dialect_of(url), tables={}, schema=schema)
    try:
        with engine.connect() as conn, warnings.catch_warnings():
            # "Skipped unsupported reflection of expression-based index", "Did not recognize type":
            # such indexes and types are handled as unknown here, the warnings would only be noise
            warnings.simplefilter("ignore", sa.exc.SAWarning)
            if schema is None and out.dialect == "mysql" and conn.exec_driver_sql("SELECT DATABASE()").scalar() is None:
                raise FixgenError(f"{_redact(url)} names no database: add it to the URL (mysql://user@host/DB) "
                                  "or pass --schema DB")
            insp = sa.inspect(conn)
            names = sorted(n for n in insp.get_table_names(schema=schema) if not n.startswith("sqlite_"))
            catalog = _read_catalog(conn, schema)
            out.key_type_pairs = catalog.key_type_pairs
            for name in names:
                why = identifier_problem(name)
                if why:
                    _leave_out(out, name, why)
                else:
                    _read_one(conn, insp, name, schema, catalog, out)
    except sa.exc.DBAPIError as e:  # OperationalError (unreachable, access denied, no such database) and kin
        reason = str(e.orig if e.orig is not None else e).strip().splitlines() or [type(e).__name__]
        raise FixgenError(f"cannot read {_redact(url)}: {reason[0]}") from None
    finally:
        engine.dispose()
    return out


def _leave_out(out: Schema, name: str, why: str) -> None:
    out.left_out[name] = why
    out.warnings.append(SnapshotWarning(name, f"table {shown(name)} left out: {why}"))


def _read_one(conn, insp, name: str, schema: str | None, catalog: _Catalog, out: Schema) -> None:  # noqa: ANN001
    import sqlalchemy as sa

    try:
        table = _read_table(insp, name, schema, catalog)
    except sa.exc.DBAPIError as e:
        if e.connection_invalidated:
            raise
        conn.rollback()  # PostgreSQL: the failed statement aborted the transaction the next table needs
        _leave_out(out, name, f"the database refused to describe it ({said(e.orig if e.orig is not None else e)})")
        return
    except reflection_errors() as e:
        _leave_out(out, name, f"SQLAlchemy could not read its definition ({said(e)})")
        return
    out.tables[name] = _apply_policy(catalog.typed(table), out.warnings)


def _check_sqlite_file(url: str) -> None:
    """SQLite creates a missing file on connect: reading a mistyped path must fail instead of finding nothing."""
    if dialect_of(url) != "sqlite":
        return
    from pathlib import Path

    path = url.split("://", 1)[1][1:].split("?", 1)[0] if "://" in url else ""
    if path and path != ":memory:" and not Path(path).is_file():
        raise FixgenError(f"cannot read {url}: no such SQLite database file {path!r}")


def _not_plain(insp, name: str, schema: str | None) -> set[str]:  # noqa: ANN001 - sqlalchemy Inspector
    """Indexes with a descending column, a prefix length, a non-default collation or method, which the
    inspector does not report on MySQL/MariaDB and SQLite (PostgreSQL's come with get_indexes)."""
    import sqlalchemy as sa

    conn = insp.bind
    if conn.dialect.name in ("mysql", "mariadb"):
        rows = conn.execute(sa.text(
            "SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = "
            + ("DATABASE()" if schema is None else ":s")
            + " AND TABLE_NAME = :t AND (COLLATION = 'D' OR SUB_PART IS NOT NULL OR INDEX_TYPE <> 'BTREE')"),
            {"t": name, "s": schema})
        return {r[0] for r in rows}
    if conn.dialect.name == "sqlite":
        out = set()
        for ix in insp.get_indexes(name, schema=schema):
            rows = conn.execute(sa.text("SELECT \"desc\", coll, key FROM pragma_index_xinfo(:i)"), {"i": ix["name"]})
            if any(key and (desc or (coll or "BINARY").upper() != "BINARY") for desc, coll, key in rows):
                out.add(ix["name"])
        return out
    return set()


def _sqlite_partial(insp, name: str) -> set[str]:  # noqa: ANN001 - sqlalchemy Inspector
    """SQLite's partial indexes, from PRAGMA index_list (SQLAlchemy finds them with a regex over the
    CREATE INDEX text, which an index or column name containing ') WHERE ' fools)."""
    import sqlalchemy as sa

    rows = insp.bind.execute(sa.text("SELECT name, \"partial\" FROM pragma_index_list(:t)"), {"t": name})
    return {r[0] for r in rows if r[1]}


def _read_table(insp, name: str, schema: str | None, catalog: _Catalog) -> Table:  # noqa: ANN001
    """The table as SQLAlchemy reflects it, checked against the catalog where the reflection parses DDL text."""
    import sqlalchemy as sa

    try:
        t, fks_read = _reflect(insp, name, schema, catalog)
    except sa.exc.DBAPIError:
        raise
    except reflection_errors():
        if catalog.tables is None or name not in catalog.tables:
            raise
        truth = catalog.tables[name]  # MySQL/MariaDB: SHOW CREATE TABLE defeated the parser; information_schema did not
        truth.reflected = False
        return truth
    return catalog.checked(t, fks_read)


def _reflect(insp, name: str, schema: str | None, catalog: _Catalog) -> tuple[Table, bool]:  # noqa: ANN001
    import sqlalchemy as sa

    t = Table(name)
    for c in insp.get_columns(name, schema=schema):
        try:
            ctype = str(c["type"])
        except Exception:  # a type SQLAlchemy cannot compile (NullType etc.)
            ctype = repr(c["type"])
        t.columns[c["name"]] = Column(c["name"], ctype, bool(c.get("nullable", True)))
    t.primary_key = tuple(insp.get_pk_constraint(name, schema=schema).get("constrained_columns") or ())
    seen: set[str] = set()
    not_plain = _not_plain(insp, name, schema)
    partial = _sqlite_partial(insp, name) if insp.bind.dialect.name == "sqlite" else None
    for ix in insp.get_indexes(name, schema=schema):
        cols = tuple(c or "" for c in ix.get("column_names") or ())
        opts = ix.get("dialect_options") or {}
        if (ix["name"] in partial) if partial is not None else \
                any(k.endswith("_where") and v is not None for k, v in opts.items()):
            continue  # a partial index (postgresql_where, sqlite_where) cannot stand in for a full one
        plain = (all(cols) and not ix.get("column_sorting") and not opts.get("postgresql_include")
                 and opts.get("postgresql_using", "btree") == "btree" and not opts.get("postgresql_ops")
                 and not opts.get("mysql_length") and not opts.get("mysql_prefix") and ix["name"] not in not_plain)
        t.indexes.append(Index(ix["name"], cols, bool(ix.get("unique")), plain=plain,
                               constraint=bool(ix.get("duplicates_constraint"))))
        seen.add(ix["name"])
    for uc in insp.get_unique_constraints(name, schema=schema):
        if uc.get("name") not in seen:  # MySQL reports unique keys as both; SQLite's autoindexes only here
            t.indexes.append(Index(uc.get("name") or "", tuple(uc["column_names"]), True, constraint=True))
    try:
        fks = insp.get_foreign_keys(name, schema=schema)
    except sa.exc.DBAPIError:
        raise
    except reflection_errors():
        if catalog.foreign_keys is None:
            raise
        return t, False  # PostgreSQL: a key definition its regex does not match; the catalog has the keys
    for fk in fks:
        t.foreign_keys.append(ForeignKey(
            fk.get("name"), tuple(fk["constrained_columns"]), fk["referred_table"],
            tuple(fk["referred_columns"]), (fk.get("options") or {}).get("ondelete"),
            (fk.get("options") or {}).get("onupdate")))
    return t, True


def _apply_policy(t: Table, warnings: list[SnapshotWarning]) -> Table:
    """fixgen's identifier policy on one read table (see the module's docstring); a warning per refused object."""
    tn = shown(t.name)
    refused = [c for c in t.columns if identifier_problem(c)]
    for c in refused:
        del t.columns[c]
        warnings.append(SnapshotWarning(t.name, f"column {shown(c)} of table {tn} left out: {identifier_problem(c)}"))
    t.refused_columns = tuple(refused)
    for ix in t.indexes:
        if ix.problem:
            what = f"index {shown(ix.name)}" if ix.name else f"a unique constraint on ({', '.join(map(shown, ix.columns))})"
            warnings.append(SnapshotWarning(t.name, f"{what} of table {tn}: {ix.problem}; no fix will name it "
                                                    "(it still counts as an index on its columns)"))
    for fk in t.foreign_keys:
        if fk.problem:
            what = f"foreign key {shown(fk.name)}" if fk.name else f"a foreign key on ({', '.join(map(shown, fk.columns))})"
            warnings.append(SnapshotWarning(t.name, f"{what} of table {tn}: {fk.problem}; no fix will name it "
                                                    "(it still counts as the key of its columns)"))
    return t


# ------------------------------------------------------------------ the catalog's own reading

@dataclass
class _Catalog:
    """What the catalog says where SQLAlchemy parses DDL text to find out: PostgreSQL's foreign keys
    (pg_get_constraintdef, read with a regex), everything on MySQL/MariaDB (SHOW CREATE TABLE, read
    line by line: a name with a line break in it splits a line). None: nothing to check."""

    foreign_keys: dict[str, list[ForeignKey]] | None = None
    tables: dict[str, Table] | None = None  # MySQL/MariaDB
    # every dialect: table -> column -> (its type for messages, its key type): see Column
    column_types: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    key_type_pairs: frozenset[tuple[str, str]] = frozenset()  # Schema.key_type_pairs
    # PostgreSQL: table -> the tables it inherits from; partitions; (table, index) of partitions' attached indexes
    parents: dict[str, tuple[str, ...]] = field(default_factory=dict)
    partitions: frozenset[str] = frozenset()
    attached_indexes: frozenset[tuple[str, str]] = frozenset()
    partitioned: dict[str, str | None] = field(default_factory=dict)  # partitioned table -> Table.partitions_problem

    def typed(self, t: Table) -> Table:
        """`t` with the catalog's column types and key types, and (PostgreSQL) where it inherits from."""
        types = self.column_types.get(t.name, {})
        t.columns = {n: replace(c, type=types[n][0], key_type=types[n][1]) if n in types else c
                     for n, c in t.columns.items()}
        t.parents = self.parents.get(t.name, ())
        t.partition = t.name in self.partitions
        t.partitioned = t.name in self.partitioned
        t.partitions_problem = self.partitioned.get(t.name)
        if self.attached_indexes:
            t.indexes = [replace(ix, attached=True) if (t.name, ix.name) in self.attached_indexes else ix
                         for ix in t.indexes]
        return t

    def checked(self, t: Table, fks_read: bool) -> Table:
        """`t` as reflected if the catalog agrees with it, else the catalog's reading."""
        if self.tables is not None:
            truth = self.tables.get(t.name)
            if truth is None or (fks_read and _shape(t) == _shape(truth)):
                return t
            truth.columns = {n: t.columns.get(n, c) for n, c in truth.columns.items()}  # typed() sets the types
            truth.reflected = False
            return truth
        if self.foreign_keys is not None:
            fks = self.foreign_keys.get(t.name, [])
            if not fks_read or _fk_shape(t.foreign_keys) != _fk_shape(fks):
                t.foreign_keys = list(fks)
                t.reflected = False
        return t


def _fk_shape(fks: list[ForeignKey]) -> list[tuple]:
    return sorted((fk.name or "", fk.columns, fk.ref_table, fk.ref_columns) for fk in fks)


def _shape(t: Table) -> tuple:
    return (sorted(t.columns), t.primary_key, sorted((ix.name, ix.columns, ix.unique) for ix in t.indexes),
            _fk_shape(t.foreign_keys))


def _read_catalog(conn, schema: str | None) -> _Catalog:  # noqa: ANN001 - sqlalchemy Connection
    if conn.dialect.name == "postgresql":
        return _pg_catalog(conn, schema)
    if conn.dialect.name in ("mysql", "mariadb"):
        return _mysql_catalog(conn, schema)
    # SQLite: PRAGMAs, which SQLAlchemy reads as such; the declared types for their affinity
    return _Catalog(column_types=_sqlite_column_types(conn, schema))


# pg_constraint's action letter -> SQLAlchemy's spelling (None for NO ACTION, as its reflection reports it)
_PG_ACTIONS = {code: None if name == "no_action" else name.upper().replace("_", " ")
               for name, code in POSTGRES_ACTION_CODES.items()}
_PG_FKS = """
SELECT t.relname::text, con.conname::text, rt.relname::text,
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(num, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.ord),
       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(num, ord)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.ord),
       con.confdeltype::text, con.confupdtype::text,
       pg_get_constraintdef(con.oid) ~ 'ON DELETE SET (NULL|DEFAULT) \\('
FROM pg_constraint con
JOIN pg_class t ON t.oid = con.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
JOIN pg_class rt ON rt.oid = con.confrelid
WHERE con.contype = 'f' AND n.nspname = COALESCE(CAST(:s AS text), current_schema())
ORDER BY t.relname, con.conname
"""


def _pg_foreign_keys(conn, schema: str | None) -> dict[str, list[ForeignKey]]:  # noqa: ANN001
    import sqlalchemy as sa

    out: dict[str, list[ForeignKey]] = {}
    for table, name, ref_table, cols, ref_cols, on_delete, on_update, column_list in \
            conn.execute(sa.text(_PG_FKS), {"s": schema}):
        delete = _PG_ACTIONS.get(on_delete, on_delete)
        if column_list:  # PostgreSQL 15's ON DELETE SET NULL (columns): no spec v1 action
            delete = f"{delete} (some columns)"
        out.setdefault(table, []).append(ForeignKey(name, tuple(cols), ref_table, tuple(ref_cols), delete,
                                                    _PG_ACTIONS.get(on_update, on_update)))
    return out


# the schema's tables, and every column type's base type (a domain over a domain: down to the type under both)
_PG_TYPES = """
WITH RECURSIVE tbl AS (
  SELECT c.oid, c.relname::text AS relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = COALESCE(CAST(:s AS text), current_schema()) AND c.relkind IN ('r', 'p', 'f', 'v', 'm')
), base(start, cur) AS (
  SELECT DISTINCT a.atttypid, a.atttypid FROM pg_attribute a JOIN tbl ON tbl.oid = a.attrelid
  WHERE a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT base.start, t.typbasetype FROM base JOIN pg_type t ON t.oid = base.cur WHERE t.typtype = 'd'
), resolved AS (
  SELECT b.start, b.cur AS base FROM base b JOIN pg_type t ON t.oid = b.cur WHERE t.typtype <> 'd'
)
"""
_PG_COLUMNS = _PG_TYPES + """
SELECT tbl.relname, a.attname::text, format_type(a.atttypid, a.atttypmod), format_type(r.base, NULL),
       r.base <> a.atttypid
FROM pg_attribute a JOIN tbl ON tbl.oid = a.attrelid JOIN resolved r ON r.start = a.atttypid
WHERE a.attnum > 0 AND NOT a.attisdropped
"""
# (referencing base type, referenced base type) pairs PostgreSQL accepts in a foreign key although they differ, by
# its own rule (ATAddForeignKeyConstraint): the referenced key's index operator family has an equality operator
# between its input type and the referencing type (and one for the referencing type itself), or the referencing type
# is the family's input type or casts to it implicitly. Asked for the types of the schema's one-column primary keys
# against every base type of its columns.
_PG_KEY_PAIRS = _PG_TYPES + """
, pk AS (
  SELECT DISTINCT r.base AS pk_base, oc.opcfamily AS fam, oc.opcintype AS intype
  FROM pg_index ix JOIN tbl ON tbl.oid = ix.indrelid
  JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = ix.indkey[0]
  JOIN resolved r ON r.start = a.atttypid
  JOIN pg_opclass oc ON oc.oid = ix.indclass[0]
  WHERE ix.indisprimary AND ix.indnkeyatts = 1
), fk AS (SELECT DISTINCT base AS fk_base FROM resolved)
SELECT DISTINCT format_type(fk.fk_base, NULL), format_type(pk.pk_base, NULL)
FROM pk CROSS JOIN fk
WHERE fk.fk_base <> pk.pk_base AND (
  (EXISTS (SELECT 1 FROM pg_amop o WHERE o.amopfamily = pk.fam AND o.amopstrategy = 3
             AND o.amoplefttype = pk.intype AND o.amoprighttype = fk.fk_base)
   AND EXISTS (SELECT 1 FROM pg_amop o WHERE o.amopfamily = pk.fam AND o.amopstrategy = 3
                 AND o.amoplefttype = fk.fk_base AND o.amoprighttype = fk.fk_base))
  OR fk.fk_base = pk.intype
  OR EXISTS (SELECT 1 FROM pg_cast c WHERE c.castsource = fk.fk_base AND c.casttarget = pk.intype
               AND c.castcontext = 'i'))
"""
# INHERITS parents and partitioned parents in the same schema, and the schema's partitions
_PG_INHERITS = """
SELECT c.relname::text, p.relname::text, c.relispartition
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = COALESCE(CAST(:s AS text), current_schema()) AND c.relkind IN ('r', 'p', 'f')
  AND p.relnamespace = c.relnamespace
ORDER BY c.relname, i.inhseqno
"""
# partitions, and partitioned tables with their first partition that is partitioned itself or a foreign table
_PG_PARTITIONS = """
SELECT c.relname::text, c.relispartition, c.relkind = 'p', k.relname::text, k.relkind = 'p'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN LATERAL (SELECT k.relname, k.relkind FROM pg_inherits h JOIN pg_class k ON k.oid = h.inhrelid
                   WHERE h.inhparent = c.oid AND c.relkind = 'p' AND k.relkind IN ('p', 'f')
                   ORDER BY k.relname LIMIT 1) k ON true
WHERE n.nspname = COALESCE(CAST(:s AS text), current_schema()) AND c.relkind IN ('r', 'p', 'f')
  AND (c.relispartition OR c.relkind = 'p')
"""
# a partition's index that is part of a partitioned index (DROP INDEX refuses it: drop the parent's)
_PG_ATTACHED = """
SELECT t.relname::text, ic.relname::text
FROM pg_inherits h JOIN pg_class ic ON ic.oid = h.inhrelid AND ic.relkind IN ('i', 'I')
JOIN pg_index x ON x.indexrelid = ic.oid JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = COALESCE(CAST(:s AS text), current_schema())
"""


def _pg_catalog(conn, schema: str | None) -> _Catalog:  # noqa: ANN001
    import sqlalchemy as sa

    def rows(sql: str):  # noqa: ANN202
        return conn.execute(sa.text(sql), {"s": schema})

    types: dict[str, dict[str, tuple[str, str]]] = {}
    for table, column, shown_type, base, domain in rows(_PG_COLUMNS):
        types.setdefault(table, {})[column] = (f"{shown_type} (a domain over {base})" if domain else shown_type, base)
    parents: dict[str, tuple[str, ...]] = {}
    for child, parent, _ in rows(_PG_INHERITS):
        parents[child] = (*parents.get(child, ()), parent)
    partitions, partitioned = set(), {}
    for table, is_partition, is_partitioned, deep, deep_partitioned in rows(_PG_PARTITIONS):
        if is_partition:
            partitions.add(table)
        if is_partitioned:
            partitioned[table] = None if deep is None else (
                f"partition {safe_name(deep)} is {'itself partitioned' if deep_partitioned else 'a foreign table'}")
    return _Catalog(foreign_keys=_pg_foreign_keys(conn, schema), column_types=types,
                    key_type_pairs=frozenset((a, b) for a, b in rows(_PG_KEY_PAIRS)), parents=parents,
                    partitions=frozenset(partitions), partitioned=partitioned,
                    attached_indexes=frozenset((t, i) for t, i in rows(_PG_ATTACHED)))


_MY_COLUMNS = """
SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, DATA_TYPE, COLLATION_NAME, NUMERIC_PRECISION, NUMERIC_SCALE
FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = {s} ORDER BY TABLE_NAME, ORDINAL_POSITION
"""
_MY_INDEXES = """
SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SUB_PART, COLLATION, INDEX_TYPE
FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = {s} ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX
"""
_MY_PARTITIONED = """
SELECT DISTINCT TABLE_NAME FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = {s} AND PARTITION_NAME IS NOT NULL
"""
_MY_FKS = """
SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME,
       r.DELETE_RULE, r.UPDATE_RULE
FROM information_schema.KEY_COLUMN_USAGE k
JOIN information_schema.REFERENTIAL_CONSTRAINTS r
  ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.TABLE_NAME = k.TABLE_NAME AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
WHERE k.TABLE_SCHEMA = {s} AND k.REFERENCED_TABLE_NAME IS NOT NULL
ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION
"""


def _mysql_catalog(conn, schema: str | None) -> _Catalog:  # noqa: ANN001
    """Every table of the schema as information_schema has it (what SHOW CREATE TABLE's parse is checked against)."""
    import sqlalchemy as sa

    s = "DATABASE()" if schema is None else ":s"
    tables: dict[str, Table] = {}

    def rows(sql: str):  # noqa: ANN202
        return conn.execute(sa.text(sql.format(s=s)), {"s": schema} if schema is not None else {})

    types: dict[str, dict[str, tuple[str, str]]] = {}
    for table, col, ctype, nullable, data_type, collation, precision, scale in rows(_MY_COLUMNS):
        t = tables.setdefault(table, Table(table))
        shown_type = str(ctype) + (f" COLLATE {collation}" if collation else "")
        key = mysql_key_type(str(data_type), str(ctype), collation, precision, scale)
        t.columns[col] = Column(col, shown_type, nullable == "YES", key)
        types.setdefault(table, {})[col] = (shown_type, key)
    indexes: dict[tuple[str, str], dict[str, Any]] = {}
    for table, name, non_unique, col, sub_part, collation, index_type in rows(_MY_INDEXES):
        t = tables.setdefault(table, Table(table))
        if name == "PRIMARY":
            t.primary_key += (col,)
            continue
        ix = indexes.setdefault((table, name), {"columns": [], "unique": not int(non_unique), "plain": True})
        ix["columns"].append(col or "")
        ix["plain"] = ix["plain"] and bool(col) and sub_part is None and collation != "D" and index_type == "BTREE"
    for (table, name), ix in indexes.items():
        tables[table].indexes.append(Index(name, tuple(ix["columns"]), ix["unique"], plain=ix["plain"]))
    fks: dict[tuple[str, str], dict[str, Any]] = {}
    for table, name, col, ref_table, ref_col, on_delete, on_update in rows(_MY_FKS):
        fk = fks.setdefault((table, name), {"columns": [], "ref_table": ref_table, "ref_columns": [],
                                            "on_delete": on_delete, "on_update": on_update})
        fk["columns"].append(col)
        fk["ref_columns"].append(ref_col)
    by_table: dict[str, list[ForeignKey]] = {}
    for (table, name), fk in fks.items():
        key = ForeignKey(name, tuple(fk["columns"]), fk["ref_table"], tuple(fk["ref_columns"]),
                         _mysql_action(fk["on_delete"]), _mysql_action(fk["on_update"]))
        by_table.setdefault(table, []).append(key)
        tables.setdefault(table, Table(table)).foreign_keys.append(key)
    return _Catalog(foreign_keys=by_table, tables=tables, column_types=types,
                    partitioned={r[0]: None for r in rows(_MY_PARTITIONED)})


_MY_INTEGERS = frozenset({"tinyint", "smallint", "mediumint", "int", "integer", "bigint"})


def mysql_key_type(data_type: str, column_type: str, collation: str | None, precision: int | None = None,
                   scale: int | None = None) -> str:
    """What a foreign key column must share with the column it references on MySQL/MariaDB: what InnoDB and MySQL
    8's own check (error 3780) compare, and no less than the migrations' preflight compares (fixgen.targets): for
    integers the type (its size, not its display width) and sign; for DECIMAL the precision, scale and sign; for
    CHAR and VARCHAR (one family) the collation, which names the character set, but not the length; BINARY with
    BINARY and VARBINARY with VARBINARY, whatever the length (InnoDB mixes them, the preflight does not); any other
    type as information_schema spells it (ENUM with its values, DATETIME with its fraction digits), its collation
    included."""
    dt, ct = data_type.lower(), column_type.lower()
    sign = " unsigned" if re.search(r"\bunsigned\b", ct) else ""
    if dt in _MY_INTEGERS:
        return ("int" if dt == "integer" else dt) + sign
    if dt in ("decimal", "numeric"):
        return f"decimal({precision},{scale}){sign}"
    if dt in ("char", "varchar"):
        return f"char collate {collation}"
    if dt in ("binary", "varbinary"):
        return dt
    plain = re.sub(r"\s+zerofill\b", "", ct)
    return plain + (f" collate {collation}" if collation else "")


def _sqlite_column_types(conn, schema: str | None) -> dict[str, dict[str, tuple[str, str]]]:  # noqa: ANN001
    """Each column's declared type and its affinity (SQLite's rules, section 3.1 of its datatype documentation)."""
    import sqlalchemy as sa

    master = "sqlite_master" if schema is None else f'"{schema.replace(chr(34), chr(34) * 2)}".sqlite_master'
    out: dict[str, dict[str, tuple[str, str]]] = {}
    rows = conn.execute(sa.text(f"SELECT m.name, p.name, p.type FROM {master} m, pragma_table_info(m.name, :s) p "
                                "WHERE m.type = 'table'"), {"s": schema or "main"})
    for table, column, declared in rows:
        affinity = sqlite_affinity(declared or "")
        shown_type = (declared if (declared or "").upper() == affinity
                      else f"{declared or 'no declared type'} ({affinity} affinity)")
        out.setdefault(table, {})[column] = (shown_type, affinity)
    return out


def sqlite_affinity(declared: str) -> str:
    t = declared.upper()
    if "INT" in t:
        return "INTEGER"
    if any(k in t for k in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in t or not t.strip():
        return "BLOB"
    if any(k in t for k in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


def _same_family(dialect: str, column: str, target: str) -> bool:
    """Without the catalog's key types: the same type family (integer, string, uuid, binary, ...), and on
    MySQL/MariaDB the same spelling up to lengths. A type nobody recognized is given the benefit of the doubt."""
    a, b = type_family(column), type_family(target)
    if a is None or b is None:
        return True
    if a != b:
        return False
    if dialect == "mysql":
        strip = re.compile(r"\(\d+\)")
        return strip.sub("", column.upper()) == strip.sub("", target.upper())
    return True


def type_family(type_text: str) -> str | None:
    t = type_text.upper()
    if "NULLTYPE" in t or not t.strip():
        return None  # a type SQLAlchemy did not recognize: no opinion
    if "UUID" in t or "UNIQUEIDENTIFIER" in t:
        return "uuid"
    if "INT" in t or "SERIAL" in t:
        return "integer"
    if any(k in t for k in ("CHAR", "TEXT", "CLOB", "STRING")):
        return "string"
    if any(k in t for k in ("BINARY", "BLOB", "BYTEA")):
        return "binary"
    if any(k in t for k in ("NUMERIC", "DECIMAL")):
        return "decimal"
    return re.sub(r"\(.*", "", t).strip()


def _mysql_action(rule: str | None) -> str | None:
    """information_schema's rule as SQLAlchemy reports it from SHOW CREATE TABLE (None for what InnoDB applies as
    NO ACTION)."""
    action = action_of_sql(rule) if rule is not None else "no_action"
    return None if action is not None and MYSQL.same_action(action) == "no_action" else rule


# ------------------------------------------------------------------ naming conventions

def plural_candidates(stem: str) -> list[str]:
    """Table names a `<stem>_id` column may point to, by Rails/Laravel/Django habits."""
    out = [stem + "s", stem]
    if stem.endswith("y") and len(stem) > 1 and stem[-2] not in "aeiou":
        out.insert(0, stem[:-1] + "ies")
    if stem.endswith(("s", "x", "z", "ch", "sh")):
        out.insert(0, stem + "es")
    if stem.endswith("person"):
        out.insert(0, stem[: -len("person")] + "people")
    return list(dict.fromkeys(out))


def guess_reference(schema: Schema, table: str, column: str, hints: dict[str, str] | None = None
                    ) -> tuple[str, tuple[str, ...]] | None:
    """The table (and its single-column primary key) that `table.column` most likely points to.

    Tries, in order: a `--ref` hint (`column=table`, or `table.column=table`), the
    name without `_id` (`user_id` -> users), then ever shorter suffixes
    (`created_by_user_id` -> users). None when no existing table with a one-column
    primary key matches (a key column whose name fixgen refuses is no match: no fix may name it).
    """
    hints = hints or {}
    target = hints.get(f"{table}.{column}") or hints.get(column)
    if target:
        t = schema.table(target)
        if t is None or not _one_named_key(t):
            return None
        return target, t.primary_key
    if not column.lower().endswith("_id") or len(column) <= 3:
        return None
    parts = column[:-3].split("_")
    for i in range(len(parts)):
        stem = "_".join(parts[i:])
        for cand in plural_candidates(stem):
            t = schema.table(cand)
            if t is not None and _one_named_key(t):
                return cand, t.primary_key
    return None


def _one_named_key(t: Table) -> bool:
    return len(t.primary_key) == 1 and identifier_problem(t.primary_key[0]) is None


def parse_ref_hints(values: list[str]) -> dict[str, str]:
    """`--ref branch_manager_id=users` (any table) or `--ref branches.branch_manager_id=users`."""
    hints: dict[str, str] = {}
    for v in values:
        key, eq, target = v.partition("=")
        if not eq or not key or not target or not re.fullmatch(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)?", key) \
                or not re.fullmatch(r"[A-Za-z0-9_]+", target):
            raise FixgenError(f"--ref {v!r}: expected COLUMN=TABLE or TABLE.COLUMN=TABLE")
        hints[key] = target
    return hints
