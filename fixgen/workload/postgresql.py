"""PostgreSQL's workload: the statements pg_stat_statements holds, candidates verified with hypopg.

Read: this database's rows (`dbid`) of pg_stat_statements, the same text summed over its rows (one
text may have several query ids: other parameter types, other users), top `--top` by total execution
time. Left out: statements that are no SELECT, UPDATE, DELETE, INSERT or WITH (utility statements), and
those naming catalogs or the extensions themselves (fixgen's own reading, an ORM's reflection).

Verified: for each candidate, the generic plan's cost of each query it serves (the plan made without
knowing the parameters, as pg_stat_statements' text has none), before and after
`hypopg_create_index`. PostgreSQL >= 16: `EXPLAIN (GENERIC_PLAN)`; before: `plan_cache_mode =
force_generic_plan`, a fresh `PREPARE` (a cached plan would not see the hypothetical index) and
`EXPLAIN EXECUTE` with NULL for each parameter (a generic plan does not look at them). All of it in one
transaction that is rolled back, then `hypopg_reset()` and `DEALLOCATE` of fixgen's statements: nothing
is left behind, and no real index is built. A query that cannot be planned alone (a parameter whose type
nothing fixes, a table this user may not read) is left out of the candidate's sums, with a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fixgen.dbschema import Schema, SnapshotWarning, engine_for, said
from fixgen.dialects import POSTGRESQL
from fixgen.errors import FixgenError, Problem
from fixgen.findings import Finding
from fixgen.workload.candidates import candidates
from fixgen.workload.model import Candidate, Query
from fixgen.workload.proposals import SOURCE, choose, finding_of, shorten, widen

if TYPE_CHECKING:
    from fixgen.workload import WorkloadOptions

HOW = "hypopg"
_PARAM = re.compile(r"\$(\d+)")


@dataclass(frozen=True)
class Server:
    version: int  # server_version_num
    stats_schema: str  # where pg_stat_statements' view is
    database: str


def workload_findings(url: str, schema: Schema, options: WorkloadOptions) -> list[Finding]:
    """The `missing_index` findings the workload proves; warnings (a candidate hypopg refused) go to
    `schema.warnings`."""
    import sqlalchemy as sa

    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            server = check_prerequisites(conn)
            queries = read_statements(conn, server, options.top, schema.warnings)
            cands = widen(candidates(queries, schema, row_counts(conn, schema), options.min_rows))
            verify(conn, cands, schema, server)
            kept = choose(cands, options.min_gain)
            for _ in range(ROUNDS):  # what pays only once the kept indexes exist (a join's other side)
                rest = [c for c in cands if c not in kept and not _rival(c, kept)]
                if not rest:
                    break
                verify(conn, rest, schema, server, present=kept)
                more = [c for c in choose(rest, options.min_gain) if not _rival(c, kept)]
                if not more:
                    break
                kept = sorted([*kept, *more], key=lambda c: (c.table, c.columns))
    except sa.exc.DBAPIError as e:
        raise FixgenError(f"cannot read the workload: {said(e.orig if e.orig is not None else e)}") from None
    finally:
        engine.dispose()
    source = f"{SOURCE} (pg_stat_statements, {HOW})"
    return [finding_of(c, source, HOW) for c in kept]


ROUNDS = 3  # verifying again with the indexes kept so far in place, at most this often


def _rival(cand: Candidate, kept: list[Candidate]) -> bool:
    """A kept index on the same table already covers it, or it covers one (the leading-prefix rule)."""
    return any(k.table == cand.table and (cand.served_by(k.columns) or k.served_by(cand.columns)) for k in kept)


def check_prerequisites(conn) -> Server:  # noqa: ANN001 - sqlalchemy Connection
    """What reading and verifying the workload needs, every missing piece a problem naming its fix."""
    run = conn.exec_driver_sql
    version = int(run("SELECT current_setting('server_version_num')").scalar())
    major = version // 10000
    database = run("SELECT current_database()").scalar()
    have = dict(run("SELECT extname, extnamespace::regnamespace::text FROM pg_extension "
                    "WHERE extname IN ('pg_stat_statements', 'hypopg')").fetchall())
    available = {r[0] for r in run("SELECT name FROM pg_available_extensions "
                                   "WHERE name IN ('pg_stat_statements', 'hypopg')")}
    loaded = _preloaded(conn, have.get("pg_stat_statements"))
    problems = []
    if loaded is False:
        problems.append(Problem(
            "pg_stat_statements is not loaded by the server: add it to shared_preload_libraries in postgresql.conf "
            "(shared_preload_libraries = 'pg_stat_statements', or as a superuser ALTER SYSTEM SET "
            "shared_preload_libraries = 'pg_stat_statements' keeping any library already listed), restart "
            "PostgreSQL, and let the application run a while"))
    if "pg_stat_statements" not in have:
        install = "" if "pg_stat_statements" in available else " (it comes with postgresql-contrib)"
        also = (" (the server must load it too: shared_preload_libraries = 'pg_stat_statements' in postgresql.conf, "
                "then a restart)" if loaded is None else "")
        problems.append(Problem(f"the extension pg_stat_statements is not created in database {database}{install}: "
                                f"run CREATE EXTENSION pg_stat_statements; in it{also}"))
    if "hypopg" not in have:
        if "hypopg" in available:
            problems.append(Problem(f"the extension hypopg is not created in database {database}: run CREATE "
                                    "EXTENSION hypopg; in it (its hypothetical indexes exist only in the session "
                                    "that makes them)"))
        else:
            problems.append(Problem(f"hypopg is not installed on the server: apt-get install postgresql-{major}-hypopg "
                                    "(PGDG or Debian packages; or build it from github.com/HypoPG/hypopg), then "
                                    f"CREATE EXTENSION hypopg; in database {database}"))
    if problems:
        raise FixgenError([*problems, Problem("detect --workload needs these; detect without --workload reads the "
                                              "catalog only and needs none of them")])
    return Server(version, have["pg_stat_statements"], database)


def _preloaded(conn, stats_schema: str | None) -> bool | None:  # noqa: ANN001
    """Whether the server loads pg_stat_statements (shared_preload_libraries); None: this user cannot tell (only
    superusers and pg_read_all_settings may read the setting, and the extension's view is not there to try)."""
    try:
        with conn.begin_nested():
            if stats_schema is not None:  # reading the view says it: "must be loaded via shared_preload_libraries"
                conn.exec_driver_sql(f"SELECT 1 FROM {POSTGRESQL.q(stats_schema)}.pg_stat_statements LIMIT 1")
                return True
            libraries = str(conn.exec_driver_sql("SHOW shared_preload_libraries").scalar() or "")
            return "pg_stat_statements" in [p.strip().strip('"') for p in libraries.split(",")]
    except Exception as e:  # noqa: BLE001 - the database's answer, read below
        if "shared_preload_libraries" in str(e) and stats_schema is not None:
            return False
        return None


# a statement that may use an index (after any leading comments), and what is no workload: catalogs, extensions
_DML = r"^\s*((/\*.*?\*/|--[^\n]*\n)\s*)*(select|update|delete|insert|with)\M"
_OWN = r"\m(pg_catalog|information_schema|pg_[a-z_]+|hypopg[a-z_]*)\M"


def read_statements(conn, server: Server, top: int, warnings: list[SnapshotWarning] | None = None) -> list[Query]:  # noqa: ANN001
    """The `top` statements by total execution time, one per text. Statements whose text this user may not see
    (another user's, without pg_read_all_stats) are an error when they took as long as the statements read or
    longer, else a warning."""
    import sqlalchemy as sa

    total = "total_exec_time" if server.version >= 130000 else "total_time"
    view = f"{POSTGRESQL.q(server.stats_schema)}.pg_stat_statements"
    here = "dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
    rows = conn.execute(sa.text(
        f"SELECT query, sum(calls)::bigint, sum({total})::float8 FROM {view} WHERE {here} "
        "AND query ~* :dml AND query !~* :own "
        f"GROUP BY query ORDER BY sum({total}) DESC LIMIT :top"), {"dml": _DML, "own": _OWN, "top": top}).fetchall()
    hidden, hidden_ms, seen_ms = conn.execute(sa.text(
        f"SELECT count(*) FILTER (WHERE query = '<insufficient privilege>'), coalesce(sum({total}) FILTER "
        f"(WHERE query = '<insufficient privilege>'), 0), coalesce(sum({total}) FILTER (WHERE query ~* :dml "
        f"AND query !~* :own), 0) FROM {view} WHERE {here}"), {"dml": _DML, "own": _OWN}).one()
    if hidden:
        user = conn.exec_driver_sql("SELECT current_user").scalar()
        why = (f"pg_stat_statements hides the text of {hidden} statement(s) of other users from {user}: GRANT "
               f"pg_read_all_stats TO {user}; (or connect as the application's user)")
        if hidden_ms >= seen_ms:  # most of the workload unseen: what is left would mislead
            raise FixgenError(why)
        if warnings is not None:
            warnings.append(SnapshotWarning("", f"workload: {why}; read without them"))
    return [Query(text, int(calls), float(ms), "postgresql") for text, calls, ms in rows]


def row_counts(conn, schema: Schema) -> dict[str, float]:  # noqa: ANN001
    """pg_class.reltuples of the schema's tables (-1: never analyzed)."""
    import sqlalchemy as sa

    rows = conn.execute(sa.text(
        "SELECT c.relname, c.reltuples::float8 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = coalesce(:s, current_schema()) AND c.relkind IN ('r', 'p')"), {"s": schema.schema})
    counts = {name: n for name, n in rows}
    for name, t in schema.tables.items():  # a partitioned table's rows are its partitions'
        if t.partitioned:
            parts = [counts.get(p, -1) for p in _partitions(schema, name) if not schema.tables[p].partitioned]
            known = [n for n in parts if n >= 0]
            counts[name] = sum(known) if known else -1
    return counts


def verify(conn, cands: list[Candidate], schema: Schema, server: Server,  # noqa: ANN001
           present: list[Candidate] = ()) -> None:
    """Fill in each candidate's costs (hypopg), in one transaction that is rolled back; hypothetical indexes and
    prepared statements are gone after. `present`: indexes taken as made already (hypothetical too), so that
    a candidate's gain is what it adds to them: a join's lookup side pays only once the other side is indexed."""
    run = conn.exec_driver_sql
    conn.rollback()  # what reading the statistics began: the checks below run in a transaction of their own
    before: dict[Query, float | None] = {}
    failed: dict[Query, str] = {}
    try:
        nsp = schema.schema or run("SELECT current_schema()").scalar()
        if schema.schema:  # the application's unqualified names are in the schema it reads
            run(f"SET LOCAL search_path = {POSTGRESQL.q(schema.schema)}, public")
        run("SET LOCAL plan_cache_mode = force_generic_plan")
        run("SET LOCAL statement_timeout = '10s'")
        run("SET LOCAL lock_timeout = '2s'")  # planning takes a table's weakest lock: never queue behind DDL
        run("SELECT hypopg_reset()")
        _hypothetical(conn, nsp, present)
        for cand in cands:
            for q in cand.queries:
                if q not in before:
                    before[q] = _cost(conn, q, server, failed)
            try:  # a partitioned table too: its queries' plans use the parent's hypothetical index (hypopg 1.3)
                with conn.begin_nested():
                    run("SELECT indexrelid FROM hypopg_create_index(%(ddl)s)", {"ddl": _ddl(nsp, cand)})
            except Exception as e:  # noqa: BLE001 - hypopg's refusal: not verified, said so
                schema.warnings.append(SnapshotWarning(cand.table, f"workload: index {cand.table} "
                                                       f"({', '.join(cand.columns)}) not verified: {said(e)}"))
                continue
            for q in cand.queries:
                after = _cost(conn, q, server)
                was = before[q]
                if was is not None and after is not None:
                    cand.costs[q] = (was, after)
            run("SELECT hypopg_reset()")
            _hypothetical(conn, nsp, present)
            if cand.costs:
                cand.cost_before = sum(b for b, _ in cand.costs.values())
                cand.cost_after = sum(a for _, a in cand.costs.values())
                cand.verified = HOW
        if failed:
            first, why = next(iter(failed.items()))
            schema.warnings.append(SnapshotWarning("", f"workload: {len(failed)} statement(s) could not be planned, "
                                                   f"their indexes not verified (first: {shorten(first.text)}: {why})"))
    finally:
        if not conn.invalidated:
            conn.rollback()
            run("SELECT hypopg_reset()")
            mine = run("SELECT name FROM pg_prepared_statements WHERE starts_with(name, 'fixgen_w')").fetchall()
            for (name,) in mine:
                run(f"DEALLOCATE {POSTGRESQL.q(name)}")  # ours only: the driver may have prepared its own
            conn.rollback()


def _ddl(nsp: str, cand: Candidate) -> str:
    return (f"CREATE INDEX ON {POSTGRESQL.q(nsp)}.{POSTGRESQL.q(cand.table)} "
            f"({', '.join(POSTGRESQL.q(c) for c in cand.columns)})")


def _hypothetical(conn, nsp: str, present: list[Candidate]) -> None:  # noqa: ANN001
    for cand in present:
        with conn.begin_nested():
            conn.exec_driver_sql("SELECT indexrelid FROM hypopg_create_index(%(ddl)s)", {"ddl": _ddl(nsp, cand)})


def _partitions(schema: Schema, table: str) -> list[str]:
    """A partitioned table's partitions at every level, as the snapshot has them."""
    if not (schema.tables.get(table) and schema.tables[table].partitioned):
        return []
    return sorted(t.name for t in schema.tables.values() if t.partition and table in schema.ancestors(t.name))


_counter = iter(range(1, 1 << 62))


def _cost(conn, q: Query, server: Server, failed: dict[Query, str] | None = None) -> float | None:  # noqa: ANN001
    """The generic plan's total cost of `q` as things stand (hypothetical indexes included), or None (why in
    `failed`)."""
    run = conn.execution_options(no_parameters=True).exec_driver_sql
    text = q.text.strip().rstrip(";")
    if ";" in text or "\x00" in text:  # one statement only (pg_stat_statements keeps them apart)
        if failed is not None:
            failed[q] = "its text holds more than one statement"
        return None
    try:
        with conn.begin_nested():
            if server.version >= 160000:
                plan = run(f"EXPLAIN (GENERIC_PLAN, FORMAT JSON) {text}").scalar()
            else:
                name = f"fixgen_w{next(_counter)}"
                run(f"PREPARE {name} AS {text}")
                n = max((int(m) for m in _PARAM.findall(text)), default=0)
                args = f"({', '.join(['NULL'] * n)})" if n else ""
                plan = run(f"EXPLAIN (FORMAT JSON) EXECUTE {name}{args}").scalar()
                run(f"DEALLOCATE {name}")  # after a failure, verify's clean-up does it
    except Exception as e:  # noqa: BLE001 - a statement that cannot be planned alone: no cost for it
        if failed is not None:
            failed[q] = said(getattr(e, "orig", None) or e)
        return None
    if isinstance(plan, str):
        import json

        plan = json.loads(plan)
    return float(plan[0]["Plan"]["Total Cost"])
