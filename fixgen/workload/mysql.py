"""MySQL/MariaDB workload: statement digests from performance_schema, candidates checked with EXPLAIN.

What is read: `performance_schema.events_statements_summary_by_digest`, the rows of one database
(`SCHEMA_NAME`: the statements run with it as the default database), SELECT/UPDATE/DELETE only, none that
name another database (information_schema, performance_schema, mysql, sys or any other), top by total time
(`SUM_TIMER_WAIT`, picoseconds). A digest cut short at `performance_schema_max_digest_length` (MySQL ends it
with "..."; MariaDB just stops: `_is_cut`) is parsed up to its last complete condition by the candidate
planner, and checked as far as it goes.

Neither server has hypothetical indexes, so a candidate is checked this way, and the finding says which
figure is which:

- **verified** (EXPLAIN, run now): each query, with real values taken from a few rows of its tables for its
  parameters, is EXPLAINed (never executed): how the server reads the candidate's table today (full scan,
  another index) and how many rows its optimizer expects to examine there. Also shown: the rows the server
  really examined per call (`SUM_ROWS_EXAMINED / COUNT_STAR`, measured).
- **estimated**: the rows the same query would examine with the candidate index: `COUNT(*)` of the rows that
  match the predicates the index serves (its equality columns, then one range), for the same sampled values.
  An index range holds exactly those rows; whatever else the query filters is read from them. A LIMIT that
  the index's order would stop early is not counted (the digest hides its value): an upper bound. On a big
  table the count is taken in a sample of primary-key ranges and scaled (`Verifier._count`). For a join
  column the count is per lookup (the rows one outer row finds), not times the lookups.

gain = 1 - estimated after / EXPLAIN before, both per call and summed over the candidate's queries (as the
PostgreSQL side sums plan costs); `--min-gain` and the choice among rivals are `fixgen.workload.proposals`'.

Nothing is written: the statements run in a READ ONLY transaction with a statement time limit, on a
connection without a default database (every table named with its database), so that they are recorded
under no schema and a later `detect --workload` does not take fixgen's own statements for the workload.
No ANALYZE TABLE is run (it would write persistent statistics).

MySQL 8 and MariaDB: the tables and columns read here are the same in both (MySQL 8's extra columns,
QUERY_SAMPLE_TEXT and the quantiles, are not used); they differ in how a statement's run time is limited
(`_FLAVORS`). Only MariaDB 10.11 is exercised by the tests.
"""

from __future__ import annotations

import datetime
import decimal
import re
from dataclasses import dataclass, field
from typing import Any

from fixgen.dbschema import Schema, SnapshotWarning
from fixgen.errors import FixgenError, Problem
from fixgen.findings import Finding
from fixgen.workload.candidates import candidates, conjuncts, constant
from fixgen.workload.model import Candidate, Query
from fixgen.workload.proposals import SOURCE, choose, finding_of, widen

SAMPLES = 3  # rows sampled per table: each query is EXPLAINed and counted with the values of each
STATEMENT_SECONDS = 10  # time limit of each EXPLAIN and COUNT(*) fixgen runs
# a table of more rows than this has the rows an index would serve counted in a sample of SAMPLE_ROWS rows read in
# SAMPLE_RANGES ranges of its (integer) primary key, and scaled, rather than counted in all (`Verifier._count`)
FULL_COUNT_ROWS = 2_000_000
SAMPLE_ROWS = 200_000
SAMPLE_RANGES = 20
LIMIT_VALUE = 10  # what a LIMIT/OFFSET parameter is taken to be (the digest hides it)
# how the costs were found (the finding's message): rows examined, EXPLAINed now and estimated with the index
HOW = "rows examined per call: EXPLAIN now, estimated with the index"
MAX_SKIPPED_SHOWN = 5  # digests left out (other databases, tables not in the snapshot) named one warning each
SYSTEM_SCHEMAS = frozenset({"information_schema", "performance_schema", "mysql", "sys"})
_DML = ("SELECT", "UPDATE", "DELETE", "WITH", "(")
# a digest writes CURRENT_TIMESTAMP, CURRENT_DATE, ... as NOW, CURDATE, ... without parentheses, which would read as
# column names: they get theirs back (not when a column of the database has the name)
_NILADIC = re.compile(r"(?<![`.\w])(NOW|CURDATE|CURTIME|UTC_TIMESTAMP|UTC_DATE|UTC_TIME|SYSDATE)\b(?!\s*\()")


@dataclass(frozen=True)
class Flavor:
    """What differs between MySQL and MariaDB for reading a workload."""

    name: str
    # limit each statement of the session to STATEMENT_SECONDS ({s} seconds, {ms} milliseconds)
    time_limit: str
    restart_hint: str


_FLAVORS = {
    "mariadb": Flavor("MariaDB", "SET SESSION max_statement_time = {s}",
                      "add `performance_schema = ON` under [mysqld] in the server's configuration (e.g. "
                      "/etc/mysql/mariadb.conf.d/50-server.cnf; MariaDB's default is OFF) and restart MariaDB"),
    # max_execution_time limits read-only SELECTs only: EXPLAIN is not limited there, nor needs to be
    "mysql": Flavor("MySQL", "SET SESSION max_execution_time = {ms}",
                    "add `performance_schema = ON` under [mysqld] in my.cnf and restart MySQL"),
}

_DIGESTS = """
SELECT DIGEST, DIGEST_TEXT, COUNT_STAR, SUM_TIMER_WAIT, SUM_ROWS_EXAMINED, SUM_NO_INDEX_USED
FROM performance_schema.events_statements_summary_by_digest
WHERE SCHEMA_NAME = %(db)s AND DIGEST_TEXT IS NOT NULL AND COUNT_STAR > 0
ORDER BY SUM_TIMER_WAIT DESC
"""


@dataclass
class Measured:
    """What performance_schema counted for one query (summed over the digests that read as the same text)."""

    rows_examined: int = 0
    no_index_used: int = 0


@dataclass
class Workload:
    """The queries of one database and what the server measured for each."""

    queries: list[Query]
    measured: dict[Query, Measured] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # why digests were left out, in words


# ------------------------------------------------------------------ connection


def connect(url: str, database: str | None):  # -> (sqlalchemy.Engine, database name)
    """An engine on the URL's server without a default database (see the module docstring), and the database."""
    import sqlalchemy as sa

    from fixgen.dbschema import engine_for

    engine = engine_for(url)
    name = database or engine.url.database
    if not name:
        engine.dispose()
        raise FixgenError([Problem("--workload on MySQL/MariaDB reads the statements of one database: name it in "
                                   "the URL (mysql://user@host/DATABASE)")])
    u = engine.url
    server = sa.engine.URL.create(u.drivername, u.username, u.password, u.host, u.port, None, u.query)
    plain = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    engine.dispose()
    return plain, name


def flavor_of(conn) -> Flavor:  # noqa: ANN001 - sqlalchemy Connection
    version = str(conn.exec_driver_sql("SELECT VERSION()").scalar() or "")
    return _FLAVORS["mariadb" if "mariadb" in version.lower() else "mysql"]


# ------------------------------------------------------------------ prerequisites


def check_prerequisites(conn, flavor: Flavor) -> list[str]:  # noqa: ANN001 - sqlalchemy Connection
    """Raise a FixgenError with the fix for each setting that keeps statement digests from being recorded;
    return warnings (the digest table is full: new statements go unrecorded)."""
    import sqlalchemy as sa

    if not int(conn.exec_driver_sql("SELECT @@performance_schema").scalar() or 0):
        raise FixgenError([Problem(f"performance_schema is OFF, so {flavor.name} records no statement digests: "
                                   f"{flavor.restart_hint} (it cannot be turned on while the server runs)")])
    try:
        consumers = dict(conn.exec_driver_sql(
            "SELECT NAME, ENABLED FROM performance_schema.setup_consumers "
            "WHERE NAME IN ('global_instrumentation', 'statements_digest')").all())
        instruments = dict((name, (enabled, timed)) for name, enabled, timed in conn.exec_driver_sql(
            "SELECT NAME, ENABLED, TIMED FROM performance_schema.setup_instruments "
            "WHERE NAME IN ('statement/sql/select', 'statement/sql/update', 'statement/sql/delete')"))
        full = _digests_full(conn)
    except sa.exc.DBAPIError as e:
        raise FixgenError([Problem(f"cannot read performance_schema ({_said(e)}): the user needs "
                                   "GRANT SELECT ON performance_schema.* TO <user>")]) from None
    problems = []
    off = [n for n in ("global_instrumentation", "statements_digest") if consumers.get(n) != "YES"]
    if off:
        names = ", ".join(f"'{n}'" for n in off)
        problems.append(Problem(
            f"the performance_schema consumer{'s' if len(off) > 1 else ''} {', '.join(off)} "
            f"{'are' if len(off) > 1 else 'is'} disabled, so no statement digests are recorded: run "
            f"UPDATE performance_schema.setup_consumers SET ENABLED = 'YES' WHERE NAME IN ({names}); "
            f"(and, to keep it after a restart, performance-schema-consumer-statements-digest = ON under [mysqld]), "
            f"then let the workload run and try again"))
    untimed = sorted(n for n, (enabled, timed) in instruments.items() if enabled != "YES" or timed != "YES")
    if untimed:
        problems.append(Problem(
            f"the statement instruments {', '.join(untimed)} are not enabled and timed, so their statements are "
            f"not counted or have no time: run UPDATE performance_schema.setup_instruments SET ENABLED = 'YES', "
            f"TIMED = 'YES' WHERE NAME LIKE 'statement/%'; (to keep it after a restart: "
            f"performance-schema-instrument = 'statement/%=ON' under [mysqld]), then let the workload run and try again"))
    if problems:
        raise FixgenError(problems)
    return [full] if full else []


def _digests_full(conn) -> str | None:  # noqa: ANN001 - sqlalchemy Connection
    """Why the digest table records nothing new, if it is full (it is server-wide: every database's statements,
    and those of databases dropped since, fill it), or None."""
    size = int(conn.exec_driver_sql("SELECT @@performance_schema_digests_size").scalar() or 0)
    rows = int(conn.exec_driver_sql(
        "SELECT COUNT(*) FROM performance_schema.events_statements_summary_by_digest").scalar() or 0)
    if size <= 0 or rows < size:
        return None
    return (f"performance_schema's digest table is full ({rows} rows, performance_schema_digests_size = {size}): "
            "statements not seen before are no longer recorded (only counted in Performance_schema_digest_lost); "
            "TRUNCATE performance_schema.events_statements_summary_by_digest (it empties it for every database) or "
            "raise performance_schema_digests_size (restart), and let the workload run again")


# ------------------------------------------------------------------ reading the digests


def read_workload(conn, database: str, schema: Schema, top: int | None = None) -> Workload:  # noqa: ANN001
    """The database's statements from the digest table, top `top` by total time; an error if none is recorded."""
    rows = conn.exec_driver_sql(_DIGESTS, {"db": database}).all()
    limit = int(conn.exec_driver_sql("SELECT @@performance_schema_max_digest_length").scalar() or 1024)
    merged: dict[str, tuple[int, float, Measured]] = {}
    cut: set[str] = set()
    out = Workload([])
    for _digest, text, calls, picoseconds, examined, no_index in rows:
        key = clean_digest(" ".join(text.split()), schema)
        if _is_cut(key, limit):
            cut.add(key)
        why = _not_workload(key, database, schema, key in cut)
        if why:
            if why != "not a query":
                out.skipped.append(f"{_short(key)}: {why}")
            continue
        n, ms, m = merged.get(key, (0, 0.0, Measured()))
        m.rows_examined += int(examined or 0)
        m.no_index_used += int(no_index or 0)
        merged[key] = (n + int(calls), ms + int(picoseconds or 0) / 1e9, m)
    if not merged:
        raise FixgenError([Problem(
            f"nothing recorded for database {database} in performance_schema.events_statements_summary_by_digest: "
            f"no SELECT, UPDATE or DELETE on its tables has run with {database} as the default database since the "
            f"server started or the table was truncated (or the application's user is not instrumented: see "
            f"performance_schema.setup_actors). Let the workload run, then try again"),
            *([Problem(full)] if (full := _digests_full(conn)) else []),
            *(Problem(f"left out: {why}") for why in out.skipped[:MAX_SKIPPED_SHOWN])])
    ranked = sorted(merged.items(), key=lambda kv: -kv[1][1])
    for text, (calls, ms, m) in ranked[:top] if top else ranked:
        q = Query(text, calls, ms, "mysql", truncated=text in cut)
        out.queries.append(q)
        out.measured[q] = m
    return out


def clean_digest(text: str, schema: Schema) -> str:
    """The digest text as SQL sqlglot and the server read the same way (`_NILADIC`)."""
    columns = {c.lower() for t in schema.tables.values() for c in t.columns}
    return _NILADIC.sub(lambda m: m.group(0) if m.group(1).lower() in columns else f"{m.group(1)} ( )", text)


def _is_cut(text: str, limit: int) -> bool:
    """The server cut the digest short at `performance_schema_max_digest_length` bytes of tokens: MySQL marks
    that with "..."; MariaDB 10.11 just stops (after `OR `, say), which shows as a long text that does not
    parse (a token takes 2 bytes or more, and as many characters or more but for short names: a cut text holds
    at least half as many characters)."""
    from fixgen.workload.candidates import parse

    if text.endswith("..."):
        return True
    return len(text.encode("utf-8")) >= limit // 2 and not parse(Query(text, 1, 0.0, "mysql"))


def _not_workload(text: str, database: str, schema: Schema, cut: bool = False) -> str | None:
    """Why a digest is not a query of this database's tables to index for (None: it is)."""
    from sqlglot import exp

    from fixgen.workload.candidates import parse

    head = text.lstrip().upper()
    if not head.startswith(_DML) or head.startswith("SELECT") and " FROM " not in f" {head} ":
        return "not a query"  # DDL, utility, SET, SHOW, EXPLAIN, SELECT @@var: silently
    trees = parse(Query(text, 1, 0.0, "mysql", truncated=cut))
    if not trees:
        return "does not parse"
    ctes = {c.alias_or_name.lower() for t in trees for c in t.find_all(exp.CTE)}
    for t in trees:
        for table in t.find_all(exp.Table):
            db = table.args.get("db")
            if db is not None and db.name.lower() != database.lower():
                return "not a query" if db.name.lower() in SYSTEM_SCHEMAS else f"reads database {db.name}"
            if db is None and table.name.lower() in ctes:
                continue
            if table.name and _table_name(table.name, schema) is None:
                return f"table {table.name} is not in the snapshot"
    return None


def _table_name(name: str, schema: Schema) -> str | None:
    if name in schema.tables:
        return name
    hits = [t for t in schema.tables if t.lower() == name.lower()]
    return hits[0] if len(hits) == 1 else None


def _short(text: str, width: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 3] + "..."


def _said(e: BaseException) -> str:
    from fixgen.dbschema import said

    orig = getattr(e, "orig", None)
    return said(orig if orig is not None else e)


# ------------------------------------------------------------------ verification


@dataclass
class QueryCheck:
    """One query of a candidate, EXPLAINed now (verified) and counted for the index (estimated)."""

    query: Query
    plan: str  # how the server reads the table now, from EXPLAIN: "full scan", "index ix_a (ref)"
    before: float  # rows EXPLAIN expects to examine in the candidate's table, mean over the samples
    after: float  # rows matching what the index serves, mean over the samples (estimated)
    samples: int
    scaled: bool = False  # `after` scaled from a sample of the table's rows (a big table), not counted in all


@dataclass
class Verification:
    candidate: Candidate
    checks: list[QueryCheck]
    left_out: list[str]  # queries that could not be checked, and why


class Verifier:
    """EXPLAIN and COUNT(*) with sampled values on one connection (no default database, READ ONLY)."""

    def __init__(self, conn, database: str, schema: Schema, flavor: Flavor,  # noqa: ANN001 - sqlalchemy Connection
                 rows: dict[str, float] | None = None) -> None:
        self.conn = conn
        self.database = database
        self.schema = schema
        self.flavor = flavor
        self.rows = rows or {}  # table -> InnoDB's estimate of its rows (`table_rows`)
        self._bounds: dict[str, tuple[int, int, str]] = {}  # table -> (min, max, name) of its integer primary key
        self._samples: dict[str, list[dict[str, Any]]] = {}
        self._ran: dict[str, tuple[list[str], list[tuple]]] = {}
        self._values: dict[str, Any] = {}  # "table.column" -> a value it holds (not NULL), or None
        conn.exec_driver_sql(flavor.time_limit.format(s=STATEMENT_SECONDS, ms=STATEMENT_SECONDS * 1000))
        # sqlglot writes a backslash in a string as \\ (`literal`): the session must read it that way
        modes = str(conn.exec_driver_sql("SELECT @@SESSION.sql_mode").scalar() or "").split(",")
        if "NO_BACKSLASH_ESCAPES" in modes:
            kept = ",".join(m for m in modes if m and m != "NO_BACKSLASH_ESCAPES")
            conn.exec_driver_sql(f"SET SESSION sql_mode = '{kept}'")  # mode names: letters and underscores

    # -- the SQL that runs --

    def _run(self, sql: str) -> tuple[list[str], list[tuple]]:
        """One statement in a READ ONLY transaction; the same text again (rival candidates share queries and
        counts) from the cache."""
        if sql not in self._ran:
            self.conn.exec_driver_sql("START TRANSACTION READ ONLY")
            try:
                result = self.conn.execution_options(no_parameters=True).exec_driver_sql(sql)
                self._ran[sql] = (list(result.keys()), [tuple(r) for r in result])
            finally:
                self.conn.exec_driver_sql("ROLLBACK")
        return self._ran[sql]

    def _q(self, name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def samples(self, table: str) -> list[dict[str, Any]]:
        """Up to SAMPLES rows of `table`, spread over its primary key when that is one integer column."""
        if table in self._samples:
            return self._samples[table]
        t = self.schema.tables[table]
        qt = f"{self._q(self.database)}.{self._q(table)}"
        cols = ", ".join(self._q(c) for c in t.columns)
        rows: list[tuple] = []
        names: list[str] = []
        pk = t.primary_key[0] if len(t.primary_key) == 1 else None
        if pk is not None:
            _, bounds = self._run(f"SELECT MIN({self._q(pk)}), MAX({self._q(pk)}) FROM {qt}")
            lo, hi = bounds[0] if bounds else (None, None)
            if isinstance(lo, int) and isinstance(hi, int):
                self._bounds[table] = (lo, hi, pk)
                for i in range(SAMPLES):
                    at = lo + (hi - lo) * (2 * i + 1) // (2 * SAMPLES)
                    names, got = self._run(f"SELECT {cols} FROM {qt} WHERE {self._q(pk)} >= {int(at)} "
                                           f"ORDER BY {self._q(pk)} LIMIT 1")
                    rows += got
        if not rows:
            names, rows = self._run(f"SELECT {cols} FROM {qt} LIMIT {SAMPLES}")
        self._samples[table] = [dict(zip(names, r, strict=True)) for r in rows]
        return self._samples[table]

    def _non_null(self, table: str, row: dict[str, Any], columns: set[str]) -> dict[str, Any]:
        """`row` with a NULL in one of `columns` replaced by a value the column holds (a query compares a column
        with values; `col = NULL` matches nothing, and would make any index look perfect)."""
        out = dict(row)
        for c in sorted(columns):
            if out.get(c, 0) is None:
                key = f"{table}.{c}"
                if key not in self._values:
                    qt = f"{self._q(self.database)}.{self._q(table)}"
                    _, got = self._run(f"SELECT {self._q(c)} FROM {qt} WHERE {self._q(c)} IS NOT NULL LIMIT 1")
                    self._values[key] = got[0][0] if got else None
                out[c] = self._values[key]
        return out

    # -- one candidate --

    def verify(self, cand: Candidate) -> Verification:
        """Fill `cand.costs` (per query: rows examined per call now, verified, and with the index, estimated) and
        `cost_before`/`cost_after` (their sums, as on PostgreSQL; `Candidate.saved` weighs them by calls)."""
        import sqlalchemy as sa

        checks, left_out = [], []
        for query in cand.queries:
            try:
                check = self._check(cand, query)
            except sa.exc.DBAPIError as e:
                check = f"{_said(e)}"
            if isinstance(check, str):
                left_out.append(f"{_short(query.text, 80)}: {check}")
            else:
                checks.append(check)
        if checks:
            cand.costs = {c.query: (c.before, c.after) for c in checks}
            cand.cost_before = sum(c.before for c in checks)
            cand.cost_after = sum(c.after for c in checks)
            cand.verified = "explain"
        return Verification(cand, checks, left_out)

    def _check(self, cand: Candidate, query: Query) -> QueryCheck | str:
        from sqlglot import exp

        from fixgen.workload.candidates import parse

        trees = parse(query)
        if len(trees) != 1:
            return "does not parse as one statement"
        tree = trees[0]
        bound = _Bound(tree, self.schema, self.database)
        aliases = bound.aliases(cand.table)
        if not aliases:
            return f"does not read {cand.table}"
        tables = bound.tables()
        sampled = {t: self.samples(t) for t in tables}
        n = min((len(s) for s in sampled.values()), default=0)
        if n == 0:
            return "a table it reads is empty"
        before, after, plans = [], [], []
        for i in range(n):
            rows = {t: self._non_null(t, sampled[t][i], bound.referenced(t)) for t in tables}
            text = _as_select(bound.instantiate(rows)).sql(dialect="mysql")
            names, plan = self._run(f"EXPLAIN {text}")
            mine = [row for row in (dict(zip(names, r, strict=True)) for r in plan) if row.get("table") in aliases]
            if not mine:
                return "EXPLAIN does not show the table"
            before.append(sum(float(r.get("rows") or 0) for r in mine))
            plans.append(_plan_text(mine[0]))
            preds = bound.served(cand, rows[cand.table])
            if not preds:
                return "no predicate of the index's leading column to count"
            counted, scaled = self._count(cand.table, exp.and_(*preds).sql(dialect="mysql"))
            after.append(max(1.0, counted))
        plan = max(plans, key=plans.count)  # the most frequent, the first of equals
        if query.truncated:
            plan += "; the digest is cut short: checked up to its last complete condition"
        return QueryCheck(query, plan, sum(before) / n, sum(after) / n, n, scaled)

    def _count(self, table: str, where: str) -> tuple[float, bool]:
        """(rows of `table` matching `where`, whether scaled from a sample): COUNT(*) of them; on a table of more
        than FULL_COUNT_ROWS rows (InnoDB's estimate) with one integer primary key, the share matching among
        about SAMPLE_ROWS rows read in SAMPLE_RANGES primary-key ranges spread over the table, times its rows
        (a count of all would scan the table, and take longer than the time limit on the tables that matter)."""
        qt = f"{self._q(self.database)}.{self._q(table)}"
        total = self.rows.get(table) or 0
        bounds = self._bounds.get(table)
        if total > FULL_COUNT_ROWS and bounds is not None:
            lo, hi, pk = bounds
            width = max(1, int((hi - lo + 1) * SAMPLE_ROWS / total / SAMPLE_RANGES))
            starts = [lo + (hi - lo) * (2 * i + 1) // (2 * SAMPLE_RANGES) for i in range(SAMPLE_RANGES)]
            ranges = " OR ".join(f"{self._q(pk)} BETWEEN {int(a)} AND {int(a) + width - 1}" for a in starts)
            _, got = self._run(f"SELECT COUNT(*), COALESCE(SUM({where}), 0) FROM {qt} WHERE {ranges}")
            scanned, matched = (int(v or 0) for v in got[0])
            if scanned:
                return matched / scanned * total, True
        _, got = self._run(f"SELECT COUNT(*) FROM {qt} WHERE {where}")
        return float(got[0][0]), False


def _as_select(tree):  # noqa: ANN001, ANN202 - sqlglot Expression
    """An UPDATE or DELETE as the SELECT of the rows it would change: its tables (and joins), WHERE, ORDER BY and
    LIMIT. What EXPLAIN is given, because a READ ONLY transaction refuses even EXPLAIN UPDATE (error 1792)."""
    from sqlglot import exp

    if not isinstance(tree, (exp.Update, exp.Delete)):
        return tree
    select = exp.Select(expressions=[exp.Star()])
    select.set("from_" if "from_" in exp.Select.arg_types else "from", exp.From(this=tree.this.copy()))
    for key in ("where", "order", "limit"):
        if tree.args.get(key) is not None:
            select.set(key, tree.args[key].copy())
    return select


def _plan_text(row: dict[str, Any]) -> str:
    kind = str(row.get("type") or "")
    key = row.get("key")
    if kind == "ALL":
        return "full scan"
    if kind == "index":
        return f"full index scan of {key}"
    return f"index {key} ({kind})" if key else kind or "unknown"


class _Bound:
    """A parsed query with its tables resolved against the schema: aliases, parameters, served predicates."""

    def __init__(self, tree, schema: Schema, database: str) -> None:  # noqa: ANN001 - sqlglot Expression
        from sqlglot import exp

        self.tree = tree
        self.schema = schema
        self.database = database
        ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
        self.alias: dict[str, str] = {}  # alias or name, lower case -> table
        for t in tree.find_all(exp.Table):
            if t.args.get("db") is None and t.name.lower() in ctes:
                continue
            name = _table_name(t.name, schema)
            if name is not None:
                self.alias[t.alias_or_name.lower()] = name

    def tables(self) -> list[str]:
        return sorted(set(self.alias.values()))

    def aliases(self, table: str) -> set[str]:
        """How EXPLAIN's `table` column may name `table` here (its aliases, as written)."""
        from sqlglot import exp

        return {t.alias_or_name for t in self.tree.find_all(exp.Table) if _table_name(t.name, self.schema) == table}

    def column(self, col) -> tuple[str, str] | None:  # noqa: ANN001 - exp.Column -> (table, column)
        qualifier = col.args.get("table")
        if qualifier is not None:
            table = self.alias.get(qualifier.name.lower())
            tables = [table] if table else []
        else:
            tables = self.tables()
        hits = [(t, c) for t in tables for c in self.schema.tables[t].columns if c.lower() == col.name.lower()]
        return hits[0] if len(hits) == 1 else None

    def referenced(self, table: str) -> set[str]:
        """The columns of `table` the query names."""
        from sqlglot import exp

        hits = (self.column(c) for c in self.tree.find_all(exp.Column))
        return {h[1] for h in hits if h is not None and h[0] == table}

    def instantiate(self, rows: dict[str, dict[str, Any]]):  # -> sqlglot Expression
        """A copy with each parameter a real value: the sampled row's value of the column it is compared with
        (LIMIT/OFFSET: LIMIT_VALUE/0; anything else: 1), every table named with its database."""
        from sqlglot import exp

        tree = self.tree.copy()
        ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
        for t in list(tree.find_all(exp.Table)):
            if t.args.get("db") is None and t.name.lower() not in ctes and _table_name(t.name, self.schema):
                t.set("db", exp.to_identifier(self.database, quoted=True))
        for p in list(tree.find_all(exp.Placeholder)):
            node = p.parent if isinstance(p.parent, exp.Neg) else p
            node.replace(self._value_for(node, rows))  # resolves names through the aliases, the same in the copy
        return tree

    def _value_for(self, node, rows: dict[str, dict[str, Any]]):  # noqa: ANN001, ANN202
        from sqlglot import exp

        parent = node.parent
        if isinstance(parent, (exp.Limit, exp.Offset, exp.Fetch)):
            return exp.Literal.number(0 if isinstance(parent, exp.Offset) else LIMIT_VALUE)
        while isinstance(parent, (exp.Paren, exp.Tuple)):
            parent = parent.parent
        if isinstance(parent, (exp.EQ, exp.NEQ, exp.NullSafeEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.In,
                               exp.Between, exp.Like)):
            col = parent.this if isinstance(parent.this, exp.Column) else parent.args.get("expression")
            hit = self.column(col) if isinstance(col, exp.Column) else None
            if hit is not None and hit[1] in rows.get(hit[0], {}):
                return literal(rows[hit[0]][hit[1]])
        return exp.Literal.number(1)

    def served(self, cand: Candidate, row: dict[str, Any]) -> list:
        """The query's predicates on `cand.table` that the candidate index serves, leading column first: its
        equality columns, then at most one range; a parameter or the other side of a join is the sampled row's
        value of the column. The columns written unqualified, for `SELECT COUNT(*) FROM table WHERE ...`."""
        from sqlglot import exp

        conds = []
        for node in self.tree.find_all(exp.Select, exp.Update, exp.Delete):
            conds += conjuncts(node.args.get("where"))
        for j in self.tree.find_all(exp.Join):  # a MySQL UPDATE's joins hang from its table
            conds += conjuncts(j.args.get("on"))
        by_column: dict[str, list[tuple[str, Any]]] = {}
        for cond in conds:
            found = self._predicate(cond, cand.table, row)
            if found:
                by_column.setdefault(found[0], []).append(found[1:])
        out = []
        for column in cand.columns:
            preds = by_column.get(column, [])
            eq = [p for kind, p in preds if kind == "eq"]
            if eq:
                out.append(eq[0])
                continue
            out += [p for kind, p in preds if kind == "range"]  # `a > x AND a < y`: one range, both ends
            break  # after a range, or a column the query does not filter on, the index narrows no further
        return out

    def _predicate(self, cond, table: str, row: dict[str, Any]):  # noqa: ANN001, ANN202 -> (column, kind, expr)
        from sqlglot import exp

        def mine(e) -> str | None:  # noqa: ANN001
            if not isinstance(e, exp.Column):
                return None
            hit = self.column(e)
            return hit[1] if hit and hit[0] == table else None

        def value(column: str):  # noqa: ANN202
            return literal(row.get(column))

        def col(column: str):  # noqa: ANN202
            return exp.column(column, quoted=True)

        def fill(e):  # noqa: ANN001, ANN202 - a constant side: parameters become the row's value
            return e.copy() if not any(isinstance(n, exp.Placeholder) for n in e.walk()) else None

        if isinstance(cond, (exp.EQ, exp.NullSafeEQ)):
            for a, b in ((cond.this, cond.expression), (cond.expression, cond.this)):
                c = mine(a)
                if c is None:
                    continue
                if isinstance(b, exp.Column) and mine(b) is None:
                    return c, "eq", exp.EQ(this=col(c), expression=value(c))  # a join: one lookup's rows
                if constant(b):
                    return c, "eq", exp.EQ(this=col(c), expression=fill(b) or value(c))
        elif isinstance(cond, exp.In):
            c = mine(cond.this)
            if c is not None and cond.expressions and all(constant(v) for v in cond.expressions):
                if all(fill(v) is not None for v in cond.expressions):
                    return c, "eq", exp.In(this=col(c), expressions=[v.copy() for v in cond.expressions])
                return c, "eq", exp.EQ(this=col(c), expression=value(c))
        elif isinstance(cond, exp.Is):
            c = mine(cond.this)
            if c is not None and isinstance(cond.expression, exp.Null):
                return c, "eq", exp.Is(this=col(c), expression=exp.Null())
        elif isinstance(cond, (exp.GT, exp.GTE, exp.LT, exp.LTE)):
            flip = {exp.GT: exp.LT, exp.GTE: exp.LTE, exp.LT: exp.GT, exp.LTE: exp.GTE}
            for a, b, kind in ((cond.this, cond.expression, type(cond)), (cond.expression, cond.this, flip[type(cond)])):
                c = mine(a)
                if c is not None and constant(b):
                    return c, "range", kind(this=col(c), expression=fill(b) or value(c))
        elif isinstance(cond, exp.Between):
            c = mine(cond.this)
            low, high = cond.args.get("low"), cond.args.get("high")
            if c is not None and constant(low) and constant(high):
                return c, "range", exp.Between(this=col(c), low=fill(low) or value(c), high=fill(high) or value(c))
        return None


def literal(value: Any):  # -> sqlglot Expression
    """A Python value read from the database as a SQL literal (sqlglot escapes quotes and backslashes)."""
    from sqlglot import exp

    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Literal.number(int(value))
    if isinstance(value, (int, float, decimal.Decimal)):
        return exp.Literal.number(str(value))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return exp.HexString(this=bytes(value).hex())
    if isinstance(value, (datetime.date, datetime.time, datetime.timedelta)):
        return exp.Literal.string(str(value))
    if isinstance(value, (set, frozenset)):
        return exp.Literal.string(",".join(sorted(str(v) for v in value)))
    return exp.Literal.string(str(value))


# ------------------------------------------------------------------ the finding's words


def detail(v: Verification, measured: dict[Query, Measured]) -> str:
    """What the finding's message adds to `proposals.finding_of`'s: for its queries, in its order, the rows
    examined per call (measured by the server, expected by EXPLAIN now) and estimated with the index; the
    queries not checked."""
    parts = []
    for c in sorted(v.checks, key=lambda c: -c.query.total_ms)[:3]:
        m = measured.get(c.query)
        real = f"{m.rows_examined / c.query.calls:,.0f} measured, " if m and c.query.calls else ""
        how = f"estimated from a sample of about {SAMPLE_ROWS:,} rows" if c.scaled else "estimated"
        parts.append(f"{real}{c.before:,.0f} by EXPLAIN ({c.plan}) -> about {c.after:,.0f} with the index ({how})")
    text = f"; rows examined per call in {v.candidate.table}: " + "; ".join(parts) if parts else ""
    if v.left_out:
        text += f"; not checked: {'; '.join(v.left_out[:3])}"
    return text


def workload_findings(url: str, schema: Schema, options) -> list[Finding]:  # noqa: ANN001 - WorkloadOptions
    """The `missing_index` findings the database's statement digests ask for and EXPLAIN supports; warnings
    (digests left out, queries that could not be checked, a full digest table) go to `schema.warnings`."""
    import sqlalchemy as sa

    engine, database = connect(url, schema.schema)
    try:
        with engine.connect() as conn:
            flavor = flavor_of(conn)
            warnings = check_prerequisites(conn, flavor)
            work = read_workload(conn, database, schema, options.top)
            rows = table_rows(conn, database)
            cands = widen(candidates(work.queries, schema, rows, options.min_rows))
            verifier = Verifier(conn, database, schema, flavor, rows)
            checked = {id(c): verifier.verify(c) for c in cands}
            for v in checked.values():
                if v.left_out and not v.checks:
                    c = v.candidate
                    warnings.append(f"index {c.table} ({', '.join(c.columns)}) not checked, so not proposed: "
                                    + "; ".join(v.left_out[:3]))
    except sa.exc.DBAPIError as e:
        raise FixgenError(f"cannot read the workload: {_said(e)}") from None
    finally:
        engine.dispose()
    schema.warnings.extend(SnapshotWarning("", f"workload: {w}") for w in warnings)
    shown = work.skipped[:MAX_SKIPPED_SHOWN]
    more = len(work.skipped) - len(shown)
    schema.warnings.extend(SnapshotWarning("", f"workload: digest left out: {why}") for why in shown)
    if more:
        schema.warnings.append(SnapshotWarning("", f"workload: {more} more digests left out"))
    out = []
    for cand in choose(cands, options.min_gain):
        v = checked[id(cand)]
        f = finding_of(cand, f"{SOURCE} (performance_schema, EXPLAIN)", HOW)
        f.message += detail(v, work.measured)
        out.append(f)
    return out


def table_rows(conn, database: str) -> dict[str, float]:  # noqa: ANN001
    """information_schema.TABLES.TABLE_ROWS (InnoDB's estimate) per table, for the small-table skip."""
    return {name: float(n) for name, n in conn.exec_driver_sql(
        "SELECT TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = %(db)s "
        "AND TABLE_TYPE = 'BASE TABLE' AND TABLE_ROWS IS NOT NULL", {"db": database})}
