"""A read-only snapshot of a live schema, taken through SQLAlchemy's inspector.

`detect` reads its findings from it and importers fill a finding's gaps from it. It is
read once, up front, into plain data, so nothing else in fixgen talks to a database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fixgen.errors import FixgenError

# what to install for each URL scheme (SQLAlchemy names the driver after "+")
_DRIVERS = {"postgresql": "psycopg[binary]", "mysql": "pymysql", "mariadb": "pymysql"}


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # the database's own spelling, for messages
    nullable: bool


@dataclass(frozen=True)
class Index:
    name: str
    columns: tuple[str, ...]  # empty-string entries for expressions
    unique: bool
    # key columns only, ascending, default method and collation, no INCLUDE or prefix length:
    # what a redundant_index rollback (name, columns, unique) recreates exactly
    plain: bool = True
    constraint: bool = False  # backs a UNIQUE constraint (PostgreSQL, SQLite): DROP INDEX cannot remove it


@dataclass(frozen=True)
class ForeignKey:
    name: str | None
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: str | None = None  # SQLAlchemy's options: None for NO ACTION (and, on MySQL/MariaDB, RESTRICT)
    on_update: str | None = None


@dataclass
class Table:
    name: str
    columns: dict[str, Column] = field(default_factory=dict)
    primary_key: tuple[str, ...] = ()
    indexes: list[Index] = field(default_factory=list)  # unique constraints included
    foreign_keys: list[ForeignKey] = field(default_factory=list)

    def has_index_leading(self, columns: tuple[str, ...]) -> bool:
        """Some index (or the primary key) starts with these columns, in any order within that prefix."""
        n = len(columns)
        want = set(columns)
        keys = [ix.columns for ix in self.indexes] + [self.primary_key]
        return any(len(k) >= n and set(k[:n]) == want for k in keys)


@dataclass
class Schema:
    dialect: str  # postgresql | mysql | sqlite
    tables: dict[str, Table]
    schema: str | None = None

    def table(self, name: str) -> Table | None:
        return self.tables.get(name)


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


def load_schema(url: str, schema: str | None = None) -> Schema:
    """Read every table of one schema (the connection's default unless named)."""
    import warnings

    import sqlalchemy as sa

    _check_sqlite_file(url)
    engine = engine_for(url)
    try:
        with engine.connect() as conn, warnings.catch_warnings():
            # "Skipped unsupported reflection of expression-based index", "Did not recognize type":
            # such indexes and types are handled as unknown here, the warnings would only be noise
            warnings.simplefilter("ignore", sa.exc.SAWarning)
            insp = sa.inspect(conn)
            names = sorted(n for n in insp.get_table_names(schema=schema) if not n.startswith("sqlite_"))
            tables = {n: _read_table(insp, n, schema) for n in names}
    except sa.exc.DBAPIError as e:  # OperationalError (unreachable, access denied, no such database) and kin
        reason = str(e.orig if e.orig is not None else e).strip().splitlines() or [type(e).__name__]
        raise FixgenError(f"cannot read {_redact(url)}: {reason[0]}") from None
    except sa.exc.NoSuchTableError as e:
        raise FixgenError(f"cannot read {_redact(url)}: no such table {e}") from None
    finally:
        engine.dispose()
    return Schema(dialect=dialect_of(url), tables=tables, schema=schema)


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


def _read_table(insp, name: str, schema: str | None) -> Table:  # noqa: ANN001 - sqlalchemy Inspector
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
    for ix in insp.get_indexes(name, schema=schema):
        cols = tuple(c or "" for c in ix.get("column_names") or ())
        opts = ix.get("dialect_options") or {}
        if any(k.endswith("_where") and v is not None for k, v in opts.items()):
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
    for fk in insp.get_foreign_keys(name, schema=schema):
        t.foreign_keys.append(ForeignKey(
            fk.get("name"), tuple(fk["constrained_columns"]), fk["referred_table"],
            tuple(fk["referred_columns"]), (fk.get("options") or {}).get("ondelete"),
            (fk.get("options") or {}).get("onupdate")))
    return t


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
    primary key matches.
    """
    hints = hints or {}
    target = hints.get(f"{table}.{column}") or hints.get(column)
    if target:
        t = schema.table(target)
        if t is None or len(t.primary_key) != 1:
            return None
        return target, t.primary_key
    if not column.lower().endswith("_id") or len(column) <= 3:
        return None
    parts = column[:-3].split("_")
    for i in range(len(parts)):
        stem = "_".join(parts[i:])
        for cand in plural_candidates(stem):
            t = schema.table(cand)
            if t is not None and len(t.primary_key) == 1:
                return cand, t.primary_key
    return None


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
