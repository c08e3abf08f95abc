"""The database's own workload as statements to measure, through `fixgen detect --workload`'s readers
(fixgen/workload/): pg_stat_statements on PostgreSQL, performance_schema's statement digests on
MySQL/MariaDB, with the same prerequisites and the same errors. Read before verify runs anything, so its
own runs are not counted; a digest the server cut short is left out (it cannot run)."""

from __future__ import annotations

from fixgen.dialects import Dialect
from fixgen.errors import FixgenError, Problem
from fixgen.verify.queries import Statement

TOP = 100  # statements read, by total time: the hot ones


def workload_statements(url: str, dialect: Dialect) -> list[Statement]:
    from fixgen.dbschema import load_schema

    schema = load_schema(url)
    reader = _READERS.get(dialect.name)
    if reader is None:
        raise FixgenError(f"{dialect.name} keeps no statement statistics: give the queries with --queries FILE")
    return reader(url, schema)


def _mysql(url: str, schema) -> list[Statement]:  # schema: fixgen.dbschema.Schema
    from fixgen.workload import mysql

    engine, database = mysql.connect(url, None)
    try:
        with engine.connect() as conn:
            mysql.check_prerequisites(conn, mysql.flavor_of(conn))
            workload = mysql.read_workload(conn, database, schema)
    finally:
        engine.dispose()
    return [Statement(q.text, "performance_schema", q.calls, q.total_ms) for q in workload.queries if not q.truncated]


def _postgresql(url: str, schema) -> list[Statement]:  # schema: fixgen.dbschema.Schema
    """pg_stat_statements' statements (detect's reader); verify needs the extension, not hypopg."""
    import sqlalchemy as sa

    from fixgen.dbschema import engine_for, said
    from fixgen.workload import postgresql

    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            run = conn.exec_driver_sql
            have = run("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_stat_statements'"
                       ).scalar()
            preload = str(run("SHOW shared_preload_libraries").scalar() or "")
            database = run("SELECT current_database()").scalar()
            if have is None or "pg_stat_statements" not in preload:
                raise FixgenError([
                    Problem(f"verify reads the workload from pg_stat_statements, which database {database} does not "
                            "have: add it to shared_preload_libraries (restart PostgreSQL), run CREATE EXTENSION "
                            "pg_stat_statements; and let the application run a while"),
                    Problem("or give the queries to measure with --queries FILE")])
            server = postgresql.Server(int(run("SELECT current_setting('server_version_num')").scalar()), have, database)
            queries = postgresql.read_statements(conn, server, TOP)
    except sa.exc.DBAPIError as e:
        raise FixgenError(f"cannot read pg_stat_statements: {said(e.orig if e.orig is not None else e)}") from None
    finally:
        engine.dispose()
    return [Statement(q.text, "pg_stat_statements", q.calls, q.total_ms) for q in queries]


_READERS = {"mysql": _mysql, "postgresql": _postgresql}
