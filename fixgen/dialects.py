"""The capability table: every per-dialect fact lives here, not in scattered `if dialect == ...`.

Modelled on sqlglot's dialect classes: a data record per dialect plus small methods.
sqlglot itself renders clauses a database rejects (`CREATE INDEX IF NOT EXISTS` for
MySQL), so what a dialect can *guard* is our own table, checked against real servers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from fixgen.coltypes import ColumnType
from fixgen.errors import FixgenError

ACTIONS = {"cascade": "CASCADE", "set_null": "SET NULL", "restrict": "RESTRICT", "no_action": "NO ACTION"}
# the SQL spelling of an action (any case, any spacing) -> the spec's name
ACTION_OF_SQL = {sql: name for name, sql in ACTIONS.items()}


def action_of_sql(text: str | None) -> str | None:
    """The spec's name of an ON DELETE/ON UPDATE action as SQL spells it (None/empty: NO ACTION)."""
    return ACTION_OF_SQL.get(" ".join((text or "NO ACTION").upper().split()))


# pg_constraint.confdeltype / confupdtype: one letter per action
POSTGRES_ACTION_CODES = {"no_action": "a", "restrict": "r", "cascade": "c", "set_null": "n", "set_default": "d"}


@dataclass(frozen=True)
class Dialect:
    name: str
    quote: str  # identifier quote character
    max_identifier: int
    limit_in_bytes: bool  # PostgreSQL counts bytes, MySQL characters
    types: dict[str, str] = field(default_factory=dict)
    transactional_ddl: bool = False
    # Operations plain SQL of this dialect can perform behind an existence check.
    guardable: frozenset[str] = frozenset()
    # Literal renderings
    true_literal: str = "TRUE"
    false_literal: str = "FALSE"
    backslash_escapes: bool = False  # MySQL treats \ in string literals as an escape
    # PostgreSQL: with standard_conforming_strings off, \ escapes in '...' too; E'...' reads the same either way
    escape_string_prefix: str = ""
    # actions the engine treats as one (InnoDB: RESTRICT is NO ACTION): action -> the one it counts as
    same_actions: dict[str, str] = field(default_factory=dict)
    # foreign-key names are unique per database (InnoDB), not per table (PostgreSQL, SQLite)
    fk_names_per_database: bool = False
    # reading query text (fixgen.workload): sqlglot's name for the dialect, and how an unquoted name finds its
    # object: "lower" (PostgreSQL folds it to lower case), "any" (MySQL/MariaDB: column names in any case)
    sqlglot: str = ""
    unquoted_names: str = "lower"
    # fixgen verify: refresh a table's planner statistics after an index is built ({table}: quoted)
    analyze_table: str = "ANALYZE {table}"
    # ... and the server's own execution time of a query, as JSON with "Execution Time" ("": none)
    explain_analyze: str = ""
    # ... and how many other sessions use this database ("": the engine cannot tell)
    other_sessions: str = ""

    def q(self, name: str) -> str:
        """Quote an identifier (already validated by fixgen.identifiers)."""
        return f"{self.quote}{name.replace(self.quote, self.quote * 2)}{self.quote}"

    def literal(self, value: object) -> str:
        """A SQL literal for a validated scalar default."""
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return self.true_literal if value else self.false_literal
        if isinstance(value, (int, float)):
            return repr(value)
        text = str(value).replace("'", "''")
        if "\\" not in text:
            return f"'{text}'"
        if self.backslash_escapes:
            return "'" + text.replace("\\", "\\\\") + "'"
        if self.escape_string_prefix:
            return self.escape_string_prefix + "'" + text.replace("\\", "\\\\") + "'"
        return f"'{text}'"

    def same_action(self, action: str) -> str:
        """The action this engine actually applies for `action`."""
        return self.same_actions.get(action, action)

    def column_type(self, t: ColumnType) -> str:
        pattern = self.types[t.name]
        return pattern.format(*t.args)

    def fits(self, name: str) -> bool:
        size = len(name.encode("utf-8")) if self.limit_in_bytes else len(name)
        return size <= self.max_identifier

    def shorten(self, name: str) -> str:
        """Cut `name` to the identifier limit, keeping it unique and stable with a hash suffix."""
        if self.fits(name):
            return name
        suffix = "_" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
        head = name
        while not self.fits(head + suffix):
            head = head[:-1]
        return head.rstrip("_") + suffix


_COMMON_TYPES = {
    "string": "VARCHAR({0})",
    "text": "TEXT",
    "integer": "INTEGER",
    "bigint": "BIGINT",
    "smallint": "SMALLINT",
    "decimal": "DECIMAL({0},{1})",
    "date": "DATE",
    "time": "TIME",
}

POSTGRESQL = Dialect(
    name="postgresql",
    quote='"',
    max_identifier=63,
    limit_in_bytes=True,
    types={
        **_COMMON_TYPES,
        "boolean": "BOOLEAN",
        "float": "DOUBLE PRECISION",
        "timestamp": "TIMESTAMP(0) WITHOUT TIME ZONE",
        "timestamptz": "TIMESTAMP(0) WITH TIME ZONE",
        "json": "JSONB",
        "uuid": "UUID",
        "binary": "BYTEA",
    },
    transactional_ddl=True,
    escape_string_prefix="E",
    sqlglot="postgres",
    explain_analyze="EXPLAIN (ANALYZE, FORMAT JSON) {query}",
    other_sessions="SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                   "AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
    guardable=frozenset({"create_index", "drop_index", "add_foreign_key", "drop_foreign_key",
                         "add_column", "drop_column", "rename_column", "foreign_key_actions"}),
)

MYSQL = Dialect(
    name="mysql",
    quote="`",
    max_identifier=64,
    limit_in_bytes=False,
    types={
        **_COMMON_TYPES,
        "boolean": "TINYINT(1)",
        "float": "DOUBLE",
        "timestamp": "TIMESTAMP",
        "timestamptz": "TIMESTAMP",
        "json": "JSON",
        "uuid": "CHAR(36)",
        "binary": "BLOB",
    },
    transactional_ddl=False,
    guardable=POSTGRESQL.guardable,
    true_literal="1",
    false_literal="0",
    backslash_escapes=True,
    same_actions={"restrict": "no_action"},
    fk_names_per_database=True,
    sqlglot="mysql",
    analyze_table="ANALYZE TABLE {table}",
    other_sessions="SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID()",
    unquoted_names="any",
)

SQLITE = Dialect(
    name="sqlite",
    quote='"',
    max_identifier=10_000,
    limit_in_bytes=False,
    types={
        **_COMMON_TYPES,
        "boolean": "BOOLEAN",
        "float": "REAL",
        "timestamp": "DATETIME",
        "timestamptz": "DATETIME",
        "json": "TEXT",
        "uuid": "VARCHAR(36)",
        "binary": "BLOB",
    },
    transactional_ddl=True,
    # SQLite's SQL has no conditional DDL: only IF [NOT] EXISTS on indexes.
    guardable=frozenset({"create_index", "drop_index"}),
    true_literal="1",
    false_literal="0",
    sqlglot="sqlite",
    unquoted_names="any",
)

DIALECTS = {d.name: d for d in (POSTGRESQL, MYSQL, SQLITE)}
ALIASES = {"postgres": "postgresql", "pg": "postgresql", "pgsql": "postgresql", "mariadb": "mysql"}

# Targets that run on any database (Laravel, Alembic) name objects so they fit everywhere.
PORTABLE = Dialect(name="portable", quote='"', max_identifier=63, limit_in_bytes=True)


def get_dialect(name: str) -> Dialect:
    key = ALIASES.get(name.lower(), name.lower())
    if key not in DIALECTS:
        choices = ", ".join(sorted(DIALECTS) + sorted(ALIASES))
        raise FixgenError(f"unknown dialect {name!r}; choose one of: {choices}")
    return DIALECTS[key]
