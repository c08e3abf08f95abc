"""Real-database helpers for fixgen's tests (no mocks).

Every test gets a fresh, empty, isolated database:

* PostgreSQL: ``CREATE DATABASE fixgen_t_<random>`` on the server named by
  ``FIXGEN_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``),
  dropped afterwards ``WITH (FORCE)``.
* MySQL/MariaDB: ``CREATE DATABASE fixgen_t_<random>`` on the server named by
  ``FIXGEN_TEST_MYSQL_URL`` (default ``mysql://root@127.0.0.1:3306/test``), dropped
  afterwards.
* SQLite: a file in a temporary directory.

SQL files are run with the real command-line clients (``psql``, ``mariadb``/``mysql``,
``sqlite3``), exactly as a user would run a generated fix; setup statements and
queries go through SQLAlchemy.

When a server or a client binary is missing the test is skipped with the reason,
unless ``CI=true``, where it fails instead.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

DIALECTS = ("sqlite", "postgresql", "mysql")

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_MYSQL_URL = "mysql://root@127.0.0.1:3306/test"

DB_PREFIX = "fixgen_t_"
CLI_TIMEOUT = 300  # seconds for one SQL file
CONNECT_TIMEOUT = 5  # seconds

# Canonical referential actions. Absent actions are "NO ACTION".
_PG_ACTIONS = {
    "a": "NO ACTION",
    "r": "RESTRICT",
    "c": "CASCADE",
    "n": "SET NULL",
    "d": "SET DEFAULT",
}


class SqlRunError(Exception):
    """A SQL file failed under the real command-line client."""

    def __init__(self, cmd: Sequence[str], returncode: int, stdout: str, stderr: str):
        self.cmd = list(cmd)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        super().__init__(f"{' '.join(self.cmd)} exited with {returncode}\n--- stdout ---\n{stdout}--- stderr ---\n{stderr}")

    @property
    def output(self) -> str:
        """stdout followed by stderr."""
        return self.stdout + self.stderr


class DatabaseUnavailable(Exception):
    """A server or client needed for a dialect cannot be used here."""


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def unavailable(reason: str) -> None:
    """Skip the current test, or fail it when CI=true."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: missing databases are failures)", pytrace=False)
    pytest.skip(reason)


def admin_url(dialect: str) -> URL:
    """The admin URL for a server dialect (used to create/drop test databases)."""
    if dialect == "postgresql":
        raw = os.environ.get("FIXGEN_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL
        url = make_url(raw)
        return url.set(drivername="postgresql+psycopg")
    if dialect == "mysql":
        raw = os.environ.get("FIXGEN_TEST_MYSQL_URL") or DEFAULT_MYSQL_URL
        url = make_url(raw)
        return url.set(drivername="mysql+pymysql")
    raise ValueError(f"no admin URL for dialect {dialect!r}")


def _url_str(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def _cli(dialect: str) -> str:
    """Absolute path of the command-line client for a dialect."""
    names = {
        "postgresql": ["psql"],
        "mysql": ["mariadb", "mysql"],
        "sqlite": ["sqlite3"],
    }[dialect]
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise DatabaseUnavailable(f"{dialect}: command-line client not found on PATH (looked for {', '.join(names)})")


def quote_identifier(dialect: str, identifier: str) -> str:
    """``identifier`` quoted for SQL sent verbatim to ``dialect``.

    Plain dialect quoting: double quotes, a double quote inside doubled, for
    PostgreSQL and SQLite; backquotes, a backquote inside doubled, for MySQL/MariaDB
    (always quoted, reserved word or not). Unlike SQLAlchemy's
    ``identifier_preparer.quote_identifier``, ``%`` is NOT doubled for the pyformat
    drivers (psycopg, pymysql): that is only right for SQL that goes through
    parameter substitution, while ``execute``, ``query`` without params,
    ``data_snapshot`` and the snapshots send their SQL verbatim. (``query`` with
    params goes through ``sa.text()``, which doubles ``%`` itself.)
    """
    if dialect == "mysql":
        return "`" + identifier.replace("`", "``") + "`"
    if dialect in ("postgresql", "sqlite"):
        return '"' + identifier.replace('"', '""') + '"'
    raise ValueError(f"unknown dialect {dialect!r}")


def _engine(url: URL | str) -> Engine:
    url = make_url(url)
    connect_args: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql" or url.get_backend_name() == "mysql":
        connect_args["connect_timeout"] = CONNECT_TIMEOUT
    if url.get_backend_name() == "postgresql":
        # psycopg 3 prepares a query server-side once it ran prepare_threshold (5)
        # times on a connection, and the pool keeps the connection. After DDL run by
        # psql changes a table's columns, the prepared `SELECT * FROM t` then fails
        # with "cached plan must not change result type". None: never prepare.
        connect_args["prepare_threshold"] = None
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", connect_args=connect_args)


# --------------------------------------------------------------------------- Database


@dataclass
class Database:
    """One isolated test database."""

    dialect: str  # "postgresql" | "mysql" | "sqlite"
    url: str  # SQLAlchemy URL string
    name: str  # database name (SQLite: the file path)
    _engine: Engine | None = field(default=None, repr=False)
    _owned_dir: str | None = field(default=None, repr=False)
    last_stderr: str = field(default="", repr=False)  # stderr of the last run_sql_file

    # -- connections -------------------------------------------------------

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = _engine(self.url)
        return self._engine

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def execute(self, sql: str | Sequence[str]) -> None:
        """Run setup statements through SQLAlchemy, autocommitted.

        A string is ONE statement (drivers differ on multi-statement strings); pass a
        list for several. The SQL is sent verbatim (no bind-parameter parsing, so
        ``:`` and ``%`` are safe).
        """
        statements = [sql] if isinstance(sql, str) else list(sql)
        with self.engine.connect() as conn:
            conn = conn.execution_options(no_parameters=True)
            for stmt in statements:
                conn.exec_driver_sql(stmt)

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple]:
        """Rows of one query as tuples. ``params`` uses ``:name`` placeholders."""
        with self.engine.connect() as conn:
            if params is None:
                result = conn.execution_options(no_parameters=True).exec_driver_sql(sql)
            else:
                result = conn.execute(sa.text(sql), params)
            return [tuple(row) for row in result]

    def quote(self, identifier: str) -> str:
        """``identifier`` quoted for this dialect, for SQL sent verbatim (see quote_identifier)."""
        return quote_identifier(self.dialect, identifier)

    # -- the real CLI ------------------------------------------------------

    def cli_command(self, path: str | os.PathLike[str]) -> tuple[list[str], dict[str, str], Path | None]:
        """(argv, env, stdin file or None) that runs ``path`` with the real client."""
        path = Path(path)
        env = dict(os.environ)
        binary = _cli(self.dialect)
        if self.dialect == "postgresql":
            url = make_url(self.url)
            argv = [binary, "-X", "-q", "-v", "ON_ERROR_STOP=1"]
            if url.host:
                argv += ["-h", url.host]
            if url.port:
                argv += ["-p", str(url.port)]
            if url.username:
                argv += ["-U", url.username]
            argv += ["-d", self.name, "-f", str(path)]
            if url.password is not None:
                env["PGPASSWORD"] = str(url.password)
            env.setdefault("PGCONNECT_TIMEOUT", str(CONNECT_TIMEOUT))
            return argv, env, None
        if self.dialect == "mysql":
            url = make_url(self.url)
            argv = [binary, "--batch"]
            if url.host:
                argv += ["-h", url.host]
            if url.port:
                argv += ["-P", str(url.port)]
            if url.username:
                argv += ["-u", url.username]
            if url.password:
                argv += [f"-p{url.password}"]
            argv += [f"--connect-timeout={CONNECT_TIMEOUT}", self.name]
            return argv, env, path
        if self.dialect == "sqlite":
            return [binary, "-bail", self.name], env, path
        raise ValueError(self.dialect)

    def run_sql_file(self, path: str | os.PathLike[str]) -> str:
        """Run a .sql file with the real command-line client; return its stdout.

        Raises SqlRunError (with stdout, stderr and the exit code) when the client
        exits non-zero; FileNotFoundError when there is no such file. The client's stderr (PostgreSQL
        NOTICEs, for instance) is kept in ``self.last_stderr``.
        """
        if not Path(path).is_file():
            raise FileNotFoundError(f"no such SQL file: {path}")
        argv, env, stdin_path = self.cli_command(path)
        if stdin_path is not None:
            with open(stdin_path, "rb") as stdin:
                proc = subprocess.run(argv, stdin=stdin, capture_output=True, env=env, timeout=CLI_TIMEOUT)
        else:
            proc = subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                env=env,
                timeout=CLI_TIMEOUT,
            )
        stdout = proc.stdout.decode("utf-8", "replace")
        stderr = proc.stderr.decode("utf-8", "replace")
        self.last_stderr = stderr
        # Every client above exits non-zero on a failed statement (psql: 3 with
        # ON_ERROR_STOP, mariadb: 1, sqlite3 -bail: 1). Belt and braces: a client
        # that printed an error but exited 0 is still a failure.
        if proc.returncode != 0 or _looks_like_error(self.dialect, stderr):
            raise SqlRunError(argv, proc.returncode, stdout, stderr)
        return stdout

    def run_sql(self, sql: str) -> str:
        """Write ``sql`` to a temporary .sql file and run it with the real client."""
        fd, tmp = tempfile.mkstemp(suffix=".sql", prefix="fixgen_")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(sql)
            return self.run_sql_file(tmp)
        finally:
            os.unlink(tmp)

    # -- snapshots ---------------------------------------------------------

    def table_names(self) -> list[str]:
        return sorted(sa.inspect(self.engine).get_table_names())

    def schema_snapshot(self) -> dict[str, dict[str, Any]]:
        """Normalized, comparable snapshot of every table of the database.

        ``{table: {"columns": [...], "primary_key": [...], "indexes": [...],
        "foreign_keys": [...], "checks": [...]}}`` where

        * columns: in table order, ``{"name", "type", "nullable", "default", "extra"}``;
          ``type`` is the catalog's type string lower-cased (PostgreSQL format_type,
          MySQL COLUMN_TYPE, SQLite declared type); ``default`` is the catalog's
          expression text, with a NULL default reported as None; ``extra`` is
          PostgreSQL identity/generated, MySQL's EXTRA (auto_increment, ...), or None.
        * primary_key: column names in key order ([] when none).
        * indexes: sorted by name, ``{"name", "columns", "unique", "where", "valid"}``.
          Every index except the primary key's: PostgreSQL indexes backing UNIQUE
          constraints, MySQL indexes created for foreign keys, SQLite
          ``sqlite_autoindex_*`` for UNIQUE constraints are all included.
          Plain columns appear as their bare names (as in columns and keys, never
          quoted); expression columns as their text (SQLite: ``"<expr>"``).
          ``valid`` is pg_index.indisvalid on PostgreSQL, always True elsewhere.
        * foreign_keys: sorted, ``{"name", "columns", "referred_table",
          "referred_columns", "on_delete", "on_update", "valid"}``; actions are
          'NO ACTION', 'RESTRICT', 'CASCADE', 'SET NULL', 'SET DEFAULT'; on MySQL
          RESTRICT is reported as 'NO ACTION' (identical in InnoDB; MariaDB reports an
          absent action as RESTRICT). SQLite names are None. ``valid`` is
          pg_constraint.convalidated on PostgreSQL (NOT VALID), True elsewhere.
        * checks: sorted, ``{"name", "sqltext", "valid"}``.
        """
        with self.engine.connect() as conn:
            conn = conn.execution_options(no_parameters=True)
            if self.dialect == "postgresql":
                return _pg_schema(conn)
            if self.dialect == "mysql":
                return _mysql_schema(conn)
            if self.dialect == "sqlite":
                return _sqlite_schema(conn)
        raise ValueError(self.dialect)

    def data_snapshot(self, tables: Sequence[str] | None = None) -> dict[str, list[tuple]]:
        """``{table: sorted rows}``; every value but NULL is stringified (None stays)."""
        names = self.table_names() if tables is None else list(tables)
        out: dict[str, list[tuple]] = {}
        with self.engine.connect() as conn:
            conn = conn.execution_options(no_parameters=True)
            for name in names:
                rows = conn.exec_driver_sql(f"SELECT * FROM {self.quote(name)}")
                out[name] = sorted((tuple(_stringify(v) for v in row) for row in rows), key=_row_key)
        return out


def _looks_like_error(dialect: str, stderr: str) -> bool:
    if dialect == "postgresql":
        return bool(re.search(r"^psql:.*?:\d+: (ERROR|FATAL):", stderr, re.M))
    if dialect == "mysql":
        return bool(re.search(r"^ERROR \d+ \(", stderr, re.M))
    if dialect == "sqlite":
        return bool(re.search(r"^(Parse|Runtime) error\b|^Error:", stderr, re.M))
    return False


def _stringify(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, (bytes, bytearray)):
        return "\\x" + bytes(value).hex()
    return str(value)


def _row_key(row: tuple) -> tuple:
    return tuple((v is not None, v or "") for v in row)


def _null_default(default: str | None) -> str | None:
    if default is None:
        return None
    text = str(default).strip()
    if re.fullmatch(r"(?i)null(::[\w\s\"\.\[\]()]+)?", text):
        return None
    return text


def _table(out: dict, name: str) -> dict[str, Any]:
    return out.setdefault(
        name,
        {"columns": [], "primary_key": [], "indexes": [], "foreign_keys": [], "checks": []},
    )


def _finish(out: dict) -> dict:
    for info in out.values():
        info["indexes"].sort(key=lambda i: i["name"])
        info["foreign_keys"].sort(key=lambda f: (f["columns"], f["referred_table"], f["referred_columns"], f["name"] or ""))
        info["checks"].sort(key=lambda c: (c["name"] or "", c["sqltext"]))
    return dict(sorted(out.items()))


def _mysql_action(rule: str | None) -> str:
    rule = (rule or "NO ACTION").upper()
    return "NO ACTION" if rule == "RESTRICT" else rule


def _sqlite_action(rule: str | None) -> str:
    rule = (rule or "NO ACTION").upper()
    return "NO ACTION" if rule == "NONE" else rule


# ---------------------------------------------------------------- PostgreSQL catalogs

_PG_TABLES = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
"""

_PG_COLUMNS = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.relname, a.attnum
"""

_PG_CONSTRAINTS = """
SELECT con.contype, t.relname, con.conname, con.convalidated,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(num, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num
             ORDER BY k.ord)::text[],
       rt.relname,
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(num, ord)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num
             ORDER BY k.ord)::text[],
       con.confdeltype, con.confupdtype,
       CASE WHEN con.contype = 'c' THEN pg_get_constraintdef(con.oid, true) END
FROM pg_constraint con
JOIN pg_class t ON t.oid = con.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
LEFT JOIN pg_class rt ON rt.oid = con.confrelid
WHERE n.nspname = current_schema() AND con.contype IN ('p', 'f', 'c')
"""

# Key columns: the bare pg_attribute.attname for a plain column (like columns, keys
# and the other dialects; pg_get_indexdef would quote "desc" or "größe"), the
# expression text from pg_get_indexdef for an expression (indkey entry 0).
# indkey is an int2vector, subscripted from 0.
_PG_INDEXES = """
SELECT t.relname, i.relname, ix.indisunique, ix.indisvalid,
       pg_get_expr(ix.indpred, ix.indrelid, true),
       ARRAY(SELECT CASE WHEN ix.indkey[k - 1] <> 0 THEN a.attname::text
                         ELSE pg_get_indexdef(ix.indexrelid, k, true) END
             FROM generate_series(1, ix.indnkeyatts) k
             LEFT JOIN pg_attribute a
               ON a.attrelid = ix.indrelid AND a.attnum = ix.indkey[k - 1] AND ix.indkey[k - 1] <> 0
             ORDER BY k)::text[]
FROM pg_index ix
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = current_schema() AND NOT ix.indisprimary
"""


def _pg_schema(conn: sa.Connection) -> dict:
    out: dict[str, dict] = {}
    for (name,) in conn.exec_driver_sql(_PG_TABLES):
        _table(out, name)
    for table, col, typ, nullable, default, identity, generated in conn.exec_driver_sql(_PG_COLUMNS):
        extra = None
        if identity == "a":
            extra = "identity always"
        elif identity == "d":
            extra = "identity by default"
        elif generated == "s":
            extra = "generated stored"
        _table(out, table)["columns"].append(
            {
                "name": col,
                "type": typ.lower(),
                "nullable": bool(nullable),
                "default": _null_default(default),
                "extra": extra,
            }
        )
    for (
        contype,
        table,
        name,
        validated,
        cols,
        rtable,
        rcols,
        deltype,
        updtype,
        checkdef,
    ) in conn.exec_driver_sql(_PG_CONSTRAINTS):
        info = _table(out, table)
        if contype == "p":
            info["primary_key"] = list(cols)
        elif contype == "f":
            info["foreign_keys"].append(
                {
                    "name": name,
                    "columns": list(cols),
                    "referred_table": rtable,
                    "referred_columns": list(rcols),
                    "on_delete": _PG_ACTIONS[deltype],
                    "on_update": _PG_ACTIONS[updtype],
                    "valid": bool(validated),
                }
            )
        elif contype == "c":
            text = re.sub(r"\s+NOT VALID$", "", checkdef or "")
            m = re.fullmatch(r"CHECK \((.*)\)", text, re.S)
            text = m.group(1) if m else text
            info["checks"].append({"name": name, "sqltext": text, "valid": bool(validated)})
    for table, name, unique, valid, where, cols in conn.exec_driver_sql(_PG_INDEXES):
        _table(out, table)["indexes"].append(
            {
                "name": name,
                "columns": list(cols),
                "unique": bool(unique),
                "where": where,
                "valid": bool(valid),
            }
        )
    return _finish(out)


# ------------------------------------------------------------------ MySQL catalogs

_MY_TABLES = """
SELECT TABLE_NAME FROM information_schema.TABLES
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'
"""

_MY_COLUMNS = """
SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA
FROM information_schema.COLUMNS c
WHERE TABLE_SCHEMA = DATABASE()
  AND TABLE_NAME IN (SELECT TABLE_NAME FROM information_schema.TABLES t
                     WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE')
ORDER BY TABLE_NAME, ORDINAL_POSITION
"""

_MY_INDEXES = """
SELECT TABLE_NAME, INDEX_NAME, COLUMN_NAME, NON_UNIQUE, SUB_PART
FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = DATABASE()
ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX
"""

_MY_FKS = """
SELECT rc.TABLE_NAME, rc.CONSTRAINT_NAME, rc.REFERENCED_TABLE_NAME, rc.DELETE_RULE,
       rc.UPDATE_RULE, k.COLUMN_NAME, k.REFERENCED_COLUMN_NAME
FROM information_schema.REFERENTIAL_CONSTRAINTS rc
JOIN information_schema.KEY_COLUMN_USAGE k
  ON k.CONSTRAINT_SCHEMA = rc.CONSTRAINT_SCHEMA
 AND k.CONSTRAINT_NAME = rc.CONSTRAINT_NAME
 AND k.TABLE_NAME = rc.TABLE_NAME
WHERE rc.CONSTRAINT_SCHEMA = DATABASE() AND k.REFERENCED_COLUMN_NAME IS NOT NULL
ORDER BY rc.TABLE_NAME, rc.CONSTRAINT_NAME, k.ORDINAL_POSITION
"""

_MY_CHECKS = """
SELECT tc.TABLE_NAME, cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE
FROM information_schema.TABLE_CONSTRAINTS tc
JOIN information_schema.CHECK_CONSTRAINTS cc
  ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
WHERE tc.TABLE_SCHEMA = DATABASE() AND tc.CONSTRAINT_TYPE = 'CHECK'
"""


def _mysql_schema(conn: sa.Connection) -> dict:
    out: dict[str, dict] = {}
    for (name,) in conn.exec_driver_sql(_MY_TABLES):
        _table(out, name)
    for table, col, typ, nullable, default, extra in conn.exec_driver_sql(_MY_COLUMNS):
        _table(out, table)["columns"].append(
            {
                "name": col,
                "type": typ.lower(),
                "nullable": nullable == "YES",
                "default": _null_default(default),
                "extra": (extra or "").strip().lower() or None,
            }
        )
    indexes: dict[tuple[str, str], dict] = {}
    for table, name, col, non_unique, sub_part in conn.exec_driver_sql(_MY_INDEXES):
        if table not in out:
            continue
        if name == "PRIMARY":
            _table(out, table)["primary_key"].append(col)
            continue
        idx = indexes.get((table, name))
        if idx is None:
            idx = {
                "name": name,
                "columns": [],
                "unique": not int(non_unique),
                "where": None,
                "valid": True,
            }
            indexes[(table, name)] = idx
            _table(out, table)["indexes"].append(idx)
        idx["columns"].append(col if sub_part is None else f"{col}({sub_part})")
    fks: dict[tuple[str, str], dict] = {}
    for table, name, rtable, delete, update, col, rcol in conn.exec_driver_sql(_MY_FKS):
        fk = fks.get((table, name))
        if fk is None:
            fk = {
                "name": name,
                "columns": [],
                "referred_table": rtable,
                "referred_columns": [],
                "on_delete": _mysql_action(delete),
                "on_update": _mysql_action(update),
                "valid": True,
            }
            fks[(table, name)] = fk
            _table(out, table)["foreign_keys"].append(fk)
        fk["columns"].append(col)
        fk["referred_columns"].append(rcol)
    for table, name, clause in conn.exec_driver_sql(_MY_CHECKS):
        if table in out:
            out[table]["checks"].append({"name": name, "sqltext": clause, "valid": True})
    return _finish(out)


# ------------------------------------------------------------------ SQLite pragmas


def _sqlite_schema(conn: sa.Connection) -> dict:
    out: dict[str, dict] = {}
    tables = [
        r[0]
        for r in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        )
    ]

    def q(name: str) -> str:
        return quote_identifier("sqlite", name)

    def lit(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    index_sql = {name: sql for name, sql in conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index'")}
    pks: dict[str, list[str]] = {}
    for table in tables:
        info = _table(out, table)
        pk: list[tuple[int, str]] = []
        for _cid, name, typ, notnull, default, pkpos in conn.exec_driver_sql(f"PRAGMA table_info({q(table)})"):
            info["columns"].append(
                {
                    "name": name,
                    "type": " ".join((typ or "").lower().split()),
                    "nullable": not notnull,
                    "default": _null_default(default),
                    "extra": None,
                }
            )
            if pkpos:
                pk.append((pkpos, name))
        info["primary_key"] = [n for _, n in sorted(pk)]
        pks[table] = info["primary_key"]

        for _seq, iname, unique, origin, partial in conn.exec_driver_sql(f"PRAGMA index_list({q(table)})"):
            if origin == "pk":
                continue
            cols = [
                name if name is not None else "<expr>"
                for _seqno, _cid, name in conn.exec_driver_sql(f"PRAGMA index_info({lit(iname)})")
            ]
            where = None
            if partial and index_sql.get(iname):
                m = re.search(r"\bWHERE\b(.*)$", index_sql[iname], re.I | re.S)
                where = m.group(1).strip() if m else None
            info["indexes"].append(
                {
                    "name": iname,
                    "columns": cols,
                    "unique": bool(unique),
                    "where": where,
                    "valid": True,
                }
            )

    for table in tables:
        fks: dict[int, dict] = {}
        for fk_id, _seq, rtable, col, rcol, on_update, on_delete, _match in conn.exec_driver_sql(
            f"PRAGMA foreign_key_list({q(table)})"
        ):
            fk = fks.setdefault(
                fk_id,
                {
                    "name": None,
                    "columns": [],
                    "referred_table": rtable,
                    "referred_columns": [],
                    "on_delete": _sqlite_action(on_delete),
                    "on_update": _sqlite_action(on_update),
                    "valid": True,
                },
            )
            fk["columns"].append(col)
            fk["referred_columns"].append(rcol)
        for fk in fks.values():
            # "REFERENCES parent" without columns means the parent's primary key.
            if all(c is None for c in fk["referred_columns"]):
                fk["referred_columns"] = list(pks.get(fk["referred_table"], []))
            out[table]["foreign_keys"].append(fk)

    if tables:
        insp = sa.inspect(conn)
        for table in tables:
            for ck in insp.get_check_constraints(table):
                out[table]["checks"].append({"name": ck.get("name"), "sqltext": ck["sqltext"], "valid": True})
    return _finish(out)


# ------------------------------------------------------------------ factory


_probe_cache: dict[str, str | None] = {}
_admin_engines: dict[str, Engine] = {}


def _admin_engine(dialect: str) -> Engine:
    eng = _admin_engines.get(dialect)
    if eng is None:
        eng = _engine(admin_url(dialect))
        _admin_engines[dialect] = eng
    return eng


def check_available(dialect: str) -> None:
    """Raise DatabaseUnavailable if the dialect's server or CLI cannot be used.

    The result is cached for the process, so an unreachable server costs one
    connection timeout per test session, not per test.
    """
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}")
    if dialect not in _probe_cache:
        problem: str | None = None
        try:
            _cli(dialect)
            if dialect != "sqlite":
                url = admin_url(dialect)
                try:
                    with _admin_engine(dialect).connect() as conn:
                        conn.exec_driver_sql("SELECT 1")
                except Exception as exc:  # noqa: BLE001 - report any driver error
                    first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                    problem = (
                        f"{dialect}: cannot connect to {url.render_as_string(hide_password=True)}: {type(exc).__name__}: {first}"
                    )
        except DatabaseUnavailable as exc:
            problem = str(exc)
        _probe_cache[dialect] = problem
    problem = _probe_cache[dialect]
    if problem:
        raise DatabaseUnavailable(problem)


def _new_name() -> str:
    return DB_PREFIX + secrets.token_hex(6)


def create_database(dialect: str, directory: str | os.PathLike[str] | None = None) -> Database:
    """Create a fresh, empty database. Raises DatabaseUnavailable when it can't."""
    check_available(dialect)
    if dialect == "sqlite":
        owned = None
        if directory is None:
            owned = tempfile.mkdtemp(prefix=DB_PREFIX)
            directory = owned
        path = Path(directory).resolve() / f"{_new_name()}.db"
        path.touch()
        return Database("sqlite", f"sqlite:///{path}", str(path), _owned_dir=owned)
    name = _new_name()
    admin = _admin_engine(dialect)
    with admin.connect() as conn:
        if dialect == "postgresql":
            conn.exec_driver_sql(f"CREATE DATABASE {quote_identifier(dialect, name)} TEMPLATE template0")
        else:
            conn.exec_driver_sql(f"CREATE DATABASE {quote_identifier(dialect, name)} CHARACTER SET utf8mb4")
    url = admin_url(dialect).set(database=name)
    return Database(dialect, _url_str(url), name)


def drop_database(db: Database) -> None:
    """Drop a database made by create_database (SQLite: delete the file)."""
    db.dispose()
    if db.dialect == "sqlite":
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(db.name + suffix).unlink(missing_ok=True)
        if db._owned_dir:
            shutil.rmtree(db._owned_dir, ignore_errors=True)
        return
    if not db.name.startswith(DB_PREFIX):
        raise ValueError(f"refusing to drop {db.name!r}: not a test database")
    with _admin_engine(db.dialect).connect() as conn:
        if db.dialect == "postgresql":
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote_identifier(db.dialect, db.name)} WITH (FORCE)")
        else:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote_identifier(db.dialect, db.name)}")


@contextmanager
def fresh_database(dialect: str, directory: str | os.PathLike[str] | None = None) -> Iterator[Database]:
    """Context manager: a fresh database, dropped on exit."""
    db = create_database(dialect, directory)
    try:
        yield db
    finally:
        drop_database(db)


def database_or_skip(dialect: str, directory: str | os.PathLike[str] | None = None) -> Database:
    """create_database, but skip (or fail when CI=true) if the dialect is unavailable."""
    try:
        return create_database(dialect, directory)
    except DatabaseUnavailable as exc:
        unavailable(str(exc))
        raise  # unreachable: unavailable() always raises


def dispose_all() -> None:
    """Close the admin connections (end of session)."""
    for eng in _admin_engines.values():
        eng.dispose()
    _admin_engines.clear()
