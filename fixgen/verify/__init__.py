"""`fixgen verify SPEC URL`: measure what the spec's indexes buy, on a scratch or staging copy.

For each `missing_index` issue: the queries it serves (from `--queries` files and/or the database's own
workload statistics), timed before; the indexes built with fixgen's own migration (verify/apply.py);
the tables analyzed; the queries timed after; then the migration's downgrade, so the database ends as it
began (unless `keep`). The indexes are built the way the migration builds them: online by default
(PostgreSQL `CREATE INDEX CONCURRENTLY`, MySQL/MariaDB `ALGORITHM=INPLACE, LOCK=NONE`), so pointing it at
a database with writers does not stall them; `online=False` builds with plain, write-locking DDL.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from fixgen.errors import FixgenError, Problem
from fixgen.spec import MissingIndex, Spec
from fixgen.verify.report import IndexResult, QueryResult, Report

DEFAULT_RUNS = 20


@dataclass(frozen=True)
class Options:
    queries: tuple[Path, ...] = ()  # files of `;`-separated SELECTs
    workload: bool | None = None  # read the database's statistics too (None: when no `queries` are given)
    runs: int = DEFAULT_RUNS
    online: bool = True
    keep: bool = False  # leave the indexes in place
    explain: bool = False  # PostgreSQL: also EXPLAIN ANALYZE's execution time


def verify(spec: Spec, url: str, options: Options) -> Report:
    """Measure each of the spec's indexes on the database at `url` (which ends as it began unless `keep`)."""
    from fixgen.dbschema import _redact, dialect_of, engine_for
    from fixgen.dialects import get_dialect
    from fixgen.verify.apply import index_plan

    if options.runs < 1:
        raise FixgenError("--runs must be at least 1")
    issues = [i for i in spec.issues if isinstance(i, MissingIndex)]
    if not issues:
        raise FixgenError(f"{spec.file or 'the spec'}: no missing_index issue: verify measures indexes")
    index_plan(replace(spec, issues=tuple(issues)))  # a spec the planner refuses is refused before connecting
    dialect = get_dialect(dialect_of(url))
    if options.explain and not dialect.explain_analyze:
        raise FixgenError(f"--explain reads EXPLAIN ANALYZE's execution time, which {dialect.name} does not report")
    statements = [s for path in options.queries for s in _read_file(path, dialect)]
    engine = engine_for(url)
    try:
        import sqlalchemy as sa

        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            schema = _schema(conn, {i.table for i in issues}, dialect)
            needed = _needed(spec, issues, schema)
            sub = replace(spec, issues=tuple(sorted([*issues, *needed], key=lambda i: i.meta.index)))
            plan = index_plan(sub)
            if options.workload or (options.workload is None and not options.queries):
                statements += _workload(url, dialect)  # before verify's own queries add to the statistics
            results = _results(plan, statements, schema, dialect, conn)
            if not any(r.queries for r in results):
                raise FixgenError(_nothing_to_measure(results, options))
            _preflight(plan, url, options.online)
            warnings = _other_sessions(conn, dialect, options.online)
            _measure_around(engine, conn, sub, plan, results, options, dialect)
    except sa.exc.DBAPIError as e:
        raise FixgenError(f"cannot verify on {_redact(url)}: {str(e.orig).strip() or e}") from None
    finally:
        engine.dispose()
    return Report(_redact(url), dialect.name, options.runs, options.online, options.keep, results,
                  [op.describe() for op in plan.ops if op.kind != "create_index"], warnings)


def _measure_around(engine, conn, spec: Spec, plan, results: list[IndexResult], options: Options,  # noqa: ANN001
                    dialect) -> None:
    """Time before; the migration's upgrade(); time after; its downgrade() (unless `keep`), also after a failure."""
    from fixgen.verify.apply import revision_module, run_step

    measured = _distinct(results)
    _analyze(conn, results, dialect)
    _time(conn, measured, options, dialect, "before")
    present = _index_names(conn, results)
    with revision_module(spec, plan, options.online) as module:
        failed: FixgenError | None = None
        try:
            run_step(engine, module, "upgrade")
            made = _index_names(conn, results) - present
            for r in results:
                if r.name not in made:
                    r.status = "present"
            _analyze(conn, results, dialect)
            _time(conn, measured, options, dialect, "after")
        except FixgenError as e:
            failed = e
        finally:  # also after a failed upgrade: its ledger says what it made before failing
            if not options.keep:
                _roll_back(engine, module, failed)
        if failed is not None:
            raise failed


def _needed(spec: Spec, indexes: list[MissingIndex], schema) -> list:  # schema: fixgen.dbschema.Schema; -> list[Issue]
    """The spec's other fixes that make a column an index names (a rename, a new column, timestamps): applied
    with the indexes, as the migration would (the spec names columns by their names after its fixes)."""
    from fixgen.spec import MissingColumn, MissingTimestamps, RenameColumn

    out = []
    for issue in spec.issues:
        makes = ({issue.new} if isinstance(issue, RenameColumn) else {issue.column} if isinstance(issue, MissingColumn)
                 else {"created_at", "updated_at"} if isinstance(issue, MissingTimestamps) else set())
        table = schema.tables.get(issue.table)
        wanted = {c for i in indexes if i.table == issue.table for c in i.columns} - set(table.columns if table else ())
        if makes & wanted:
            out.append(issue)
    return out


def _other_sessions(conn, dialect, online: bool) -> list[str]:  # noqa: ANN001
    """A warning when other sessions use the database: verify is meant for a copy nobody else works on."""
    if not dialect.other_sessions:
        return []
    n = int(conn.exec_driver_sql(dialect.other_sessions).scalar() or 0)
    if not n:
        return []
    how = ("the online builds do not block their writes, but wait for their open transactions" if online else
           "--no-online: the plain CREATE INDEX blocks their writes for the whole build")
    return [f"{n} other session(s) are connected to this database: is it really a scratch copy? ({how})"]


def _preflight(plan, url: str, online: bool) -> None:  # plan: fixgen.planner.Plan
    """The migration's own checks, read-only, before anything is timed: a spec the database cannot take stops here."""
    from fixgen.dbcheck import problems_in

    problems = problems_in(plan, url, online)
    if problems:
        raise FixgenError([Problem(f"the database cannot take the spec's indexes: {p}") for p in problems])


def _roll_back(engine, module, failed: FixgenError | None) -> None:  # noqa: ANN001
    """The migration's downgrade(); if it fails after a failure, both are said (and where things stand)."""
    from fixgen.verify.apply import run_step

    try:
        run_step(engine, module, "downgrade")
    except FixgenError as e:
        if failed is None:
            raise
        raise FixgenError([*failed.problems, *e.problems, Problem(
            "the indexes the migration made may still be there: see fixgen_ledger, and drop them by hand")]) from None


def _read_file(path: Path, dialect):  # -> list[Statement]
    from fixgen.verify.queries import read_queries_file

    return read_queries_file(path, dialect)


def _schema(conn, tables: set[str], dialect):  # conn: sqlalchemy.Connection; -> fixgen.dbschema.Schema
    """Every table of the connection's schema with its columns' names (all the query analysis needs; no types or
    indexes); a table the spec names that is not there is an error."""
    import sqlalchemy as sa

    from fixgen.dbschema import Column, Schema, Table

    insp = sa.inspect(conn)
    out = Schema(dialect.name, {}, insp.default_schema_name)
    for t in insp.get_table_names():
        out.tables[t] = Table(t, {c["name"]: Column(c["name"], "", bool(c.get("nullable", True))) for c in insp.get_columns(t)})
    missing = sorted(tables - set(out.tables))
    if missing:
        raise FixgenError([Problem(f"table {t} does not exist in the database") for t in missing])
    return out


def _workload(url: str, dialect):  # -> list[Statement]
    from fixgen.verify.workload import workload_statements

    return workload_statements(url, dialect)


def _results(plan, statements, schema, dialect, conn) -> list[IndexResult]:  # noqa: ANN001
    """Per index of the plan, the statements it serves (what they ask of each table: `candidates.accesses`, as
    detect reads a workload), made runnable (sampled values for placeholders)."""
    from fixgen.verify.queries import binding, bound_texts, parse, sampled_columns, short
    from fixgen.workload.candidates import Names, accesses
    from fixgen.workload.model import Query

    parsed = []
    for st in statements:
        try:
            tree = parse(st.text, dialect)
        except FixgenError:
            continue  # a workload statement verify cannot run (a write, a utility statement): not a query to time
        asks = accesses(Query(st.text, st.calls or 0, st.total_ms or 0.0, dialect.name), schema)
        parsed.append((st, tree, asks))
    names = Names(schema, dialect.name)
    samples: dict[tuple[str, tuple[str, ...]], list[dict]] = {}
    runnable: dict[str, list[str] | str] = {}  # statement text -> its runnable copies, or why it cannot run
    results = []
    for op in (op for op in plan.ops if op.kind == "create_index"):
        r = IndexResult(op.table, tuple(op.columns), op.name, min(m.index for m in op.issues) + 1)
        for st, tree, asks in parsed:
            if not any(a.table == op.table and a.serves(r.columns) for a in asks):
                continue
            if st.text not in runnable:
                try:
                    b = binding(tree, names)
                    if not b.slots:
                        runnable[st.text] = [st.text]
                    else:
                        rows = {t: _sample(conn, t, tuple(cs), dialect, samples) for t, cs in sampled_columns(b).items()}
                        runnable[st.text] = bound_texts(b, rows, dialect)
                except FixgenError as e:
                    runnable[st.text] = str(e)
            texts = runnable[st.text]
            if isinstance(texts, str):
                r.skipped.append(f"{short(st.text, 60)}: {texts}")
            else:
                r.queries.append(QueryResult(st, texts))
        if not r.queries:
            r.status = "no queries"
        results.append(r)
    return results


def _sample(conn, table: str, cols: tuple[str, ...], dialect, cache: dict) -> list[dict]:  # noqa: ANN001
    from fixgen.verify.queries import sample_sql

    key = (table, cols)
    if key not in cache:
        cache[key] = [dict(zip(cols, row, strict=True)) for row in
                      conn.execution_options(no_parameters=True).exec_driver_sql(sample_sql(table, list(cols), dialect))]
    return cache[key]


def _distinct(results: list[IndexResult]) -> list[QueryResult]:
    """Each statement once, even when it serves several indexes (the index results share its timing)."""
    seen: dict[str, QueryResult] = {}
    for r in results:
        r.queries = [seen.setdefault(q.statement.text, q) for q in r.queries]
    return list(seen.values())


def _time(conn, queries: list[QueryResult], options: Options, dialect, side: str) -> None:  # noqa: ANN001
    from fixgen.verify.measure import time_query

    for q in queries:
        timing = time_query(conn, q.texts, options.runs, dialect.explain_analyze if options.explain else "")
        setattr(q, side, timing)


def _analyze(conn, results: list[IndexResult], dialect) -> None:  # noqa: ANN001
    """Fresh planner statistics, on both sides: the planner then picks the new index for what it is worth."""
    for table in sorted({r.table for r in results}):
        conn.exec_driver_sql(dialect.analyze_table.format(table=dialect.q(table))).close()


def _index_names(conn, results: list[IndexResult]) -> set[str]:  # conn: sqlalchemy.Connection
    import sqlalchemy as sa

    insp = sa.inspect(conn)
    return {ix["name"] for t in sorted({r.table for r in results}) for ix in insp.get_indexes(t)}


def _nothing_to_measure(results: list[IndexResult], options: Options) -> list[Problem]:
    problems = [Problem(f"no query to measure for {r.name} on {r.table} ({', '.join(r.columns)})"
                        + (": " + "; ".join(r.skipped) if r.skipped else "")) for r in results]
    fix = ("give the queries it serves in a file with --queries FILE (SELECTs with literal values, ;-separated)"
           if options.queries else "give the queries it serves with --queries FILE, or run the workload first "
           "(verify reads pg_stat_statements or performance_schema's statement digests)")
    return [*problems, Problem(fix)]
