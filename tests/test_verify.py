"""`fixgen verify SPEC URL`: measured speed-ups of a spec's indexes on real PostgreSQL and MariaDB, the
database left exactly as it was, and the input it refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlglot import exp
from support.dbs import Database
from support.roundtrip import cli, write_spec
from support.workload import PATTERNS, SERVED, WANTED, create_dataset, reset_statistics, run_workload
from test_detect_workload_mysql import make_room

from fixgen.dbschema import Column, Schema, Table
from fixgen.dialects import get_dialect
from fixgen.errors import FixgenError
from fixgen.verify.queries import binding, bound_texts, parse, read_queries_file
from fixgen.workload.candidates import Access, Names, accesses
from fixgen.workload.model import Query

ROWS = 200_000  # enough for a sequential scan to cost what an index saves; the dataset takes ~1 s
MIN_SPEEDUP = 3  # conservative on a shared machine: the bench (bench/bench_workload.py) shows the real figure
HOT = {"version": 1, "name": "hot_indexes",
       "issues": [{"kind": "missing_index", "table": t, "columns": list(c)} for t, c in WANTED]}
# an index the table already has (tickets_external_ref_index): the migration makes nothing, the rollback keeps it
ALREADY = {"kind": "missing_index", "table": "tickets", "columns": ["external_ref"]}


def _queries(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "queries.sql"
    path.write_text(text, encoding="utf-8")
    return path


def _verify(db: Database, tmp_path: Path, spec: dict, *flags: str):
    run = cli("verify", write_spec(tmp_path, spec), db.url, "--format", "json", "--runs", "8", *flags)
    report = json.loads(run.stdout) if run.stdout.strip() else None
    return run, report


def _assert_faster(report: dict, wanted: list[tuple[str, tuple[str, ...]]]) -> None:
    measured = {(r["table"], tuple(r["columns"])): r for r in report["indexes"]}
    for key in wanted:
        r = measured[key]
        assert r["status"] == "measured" and r["queries"], r
        assert r["speedup"] >= MIN_SPEEDUP, r
        for q in r["queries"]:
            assert q["after"]["rows"] == q["before"]["rows"], q  # the same rows, found faster
            assert q["samples"] == 1 or q["after"]["rows"] >= 1, q  # values from a real row find it
            assert q["speedup"] >= MIN_SPEEDUP, q


def test_postgresql_queries_file_speedup_and_exact_rollback(pg_db: Database, tmp_path: Path) -> None:
    create_dataset("postgresql", pg_db.engine, rows=ROWS)
    before = pg_db.schema_snapshot()
    queries = _queries(tmp_path, (
        "-- one with literals, as an application log has it\n"
        "SELECT id, title FROM tickets WHERE tenant_id = 7 AND agent_id = 12 AND status = 'open';\n"
        "-- normalized, as pg_stat_statements has them: the values are sampled from the table\n"
        "SELECT id, title FROM tickets WHERE tenant_id = $1 AND agent_id = $2 AND status = $3;\n"
        "SELECT id, title, created_at FROM tickets t WHERE t.tenant_id = $1 AND t.status = $2\n"
        "   AND t.assigned_to_user_id = $3 ORDER BY t.created_at LIMIT $4;\n"
        "SELECT count(*) FROM users WHERE id = 5;\n"))
    run, report = _verify(pg_db, tmp_path, {**HOT, "issues": [*HOT["issues"], ALREADY]}, "--queries", queries,
                          "--min-speedup", str(MIN_SPEEDUP), "--explain")
    assert run.code == 0, run.output
    _assert_faster(report, WANTED)
    by_agent = next(r for r in report["indexes"] if r["columns"] == list(WANTED[0][1]))
    assert [q["origin"] for q in by_agent["queries"]] == ["queries.sql:2", "queries.sql:4"]  # not the users query
    assert by_agent["queries"][1]["samples"] > 1  # several sampled rows, not one lucky value
    assert all(q["after"]["server_ms"] < q["before"]["server_ms"] for q in by_agent["queries"])
    present = next(r for r in report["indexes"] if r["columns"] == ["external_ref"])
    assert present["status"] == "present" and not present["queries"]
    assert pg_db.schema_snapshot() == before  # no index, no ledger table: tickets_external_ref_index still there

    run, report = _verify(pg_db, tmp_path, HOT, "--queries", queries, "--min-speedup", "1000000", "--no-online")
    assert run.code == 1 and "below --min-speedup 1e+06" in run.stderr, run.output
    _assert_faster(report, WANTED)  # built in one transaction this time, and measured
    assert pg_db.schema_snapshot() == before


def test_postgresql_workload_from_pg_stat_statements(pg_db: Database, tmp_path: Path) -> None:
    create_dataset("postgresql", pg_db.engine, rows=ROWS)
    pg_db.execute("CREATE EXTENSION pg_stat_statements")  # the server preloads it (see the README's setup)
    reset_statistics("postgresql", pg_db.engine)
    run_workload("postgresql", pg_db.engine, calls=3, rows=ROWS)
    before = pg_db.schema_snapshot()
    run, report = _verify(pg_db, tmp_path, {**HOT, "issues": [*HOT["issues"], ALREADY]})
    assert run.code == 0, run.output
    _assert_faster(report, WANTED)
    for r in report["indexes"][:2]:
        assert [(q["origin"], q["calls"]) for q in r["queries"]] == [("pg_stat_statements", 3)], r
        assert "$1" in r["queries"][0]["query"] and r["queries"][0]["samples"] > 1, r
    present = next(r for r in report["indexes"] if r["columns"] == ["external_ref"])
    assert present["status"] == "present" and present["queries"][0]["calls"] == 15, present
    assert pg_db.schema_snapshot() == before


def test_mariadb_workload_speedup_and_exact_rollback(mysql_db: Database, tmp_path: Path) -> None:
    create_dataset("mysql", mysql_db.engine, rows=ROWS)
    before = mysql_db.schema_snapshot()
    for _ in range(3):  # the digest table is server-wide: another test's TRUNCATE may empty it in between
        make_room(mysql_db)  # ... and a full one records nothing new
        run_workload("mysql", mysql_db.engine, calls=3, rows=ROWS)
        run, report = _verify(mysql_db, tmp_path, {**HOT, "issues": [*HOT["issues"], ALREADY]})
        if "nothing recorded for database" not in run.stderr:
            break
    assert run.code == 0, run.output
    _assert_faster(report, WANTED)
    for r in report["indexes"][:2]:
        assert [q["origin"] for q in r["queries"]] == ["performance_schema"] and r["queries"][0]["calls"] >= 1, r
    present = next(r for r in report["indexes"] if r["columns"] == ["external_ref"])
    assert present["status"] == "present"
    served = present["queries"][0]  # the workload's query it serves, measured with the index as it is (sub-ms: noise)
    assert served["calls"] >= 1 and served["before"]["rows"] == served["after"]["rows"] >= 1, served
    assert mysql_db.schema_snapshot() == before


def test_sqlite_queries_file(sqlite_db: Database, tmp_path: Path) -> None:
    sqlite_db.execute(["CREATE TABLE tickets (id INTEGER PRIMARY KEY, tenant_id INTEGER, agent_id INTEGER, status TEXT)",
                       "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < 100000) "
                       "INSERT INTO tickets SELECT g, g % 50, g % 200, 'status' || (g % 5) FROM s"])
    before = sqlite_db.schema_snapshot()
    queries = _queries(tmp_path, "SELECT id FROM tickets WHERE tenant_id = ? AND agent_id = ? AND status = ?")
    run, report = _verify(sqlite_db, tmp_path, {**HOT, "issues": HOT["issues"][:1]}, "--queries", queries)
    assert run.code == 0, run.output
    _assert_faster(report, WANTED[:1])  # the migration's per-step transaction committed: the index was there
    assert sqlite_db.schema_snapshot() == before


def test_keep_leaves_the_indexes_and_the_ledger(pg_db: Database, tmp_path: Path) -> None:
    create_dataset("postgresql", pg_db.engine, rows=20_000)
    queries = _queries(tmp_path, ";\n".join(PATTERNS.values()).replace(":tenant", "3").replace(":agent", "4")
                       .replace(":status", "'open'").replace(":user", "5"))
    with pg_db.engine.connect():  # someone else on the database: said, not refused
        run, report = _verify(pg_db, tmp_path, HOT, "--queries", queries, "--keep")
    assert run.code == 0 and report["kept"], run.output
    assert "other session(s) are connected to this database" in run.stderr, run.stderr
    indexes = {tuple(ix["columns"]) for ix in pg_db.schema_snapshot()["tickets"]["indexes"]}
    assert {c for _, c in WANTED} <= indexes and "fixgen_ledger" in pg_db.table_names()
    run, report = _verify(pg_db, tmp_path, HOT, "--queries", queries)  # now there: nothing made, nothing dropped
    assert run.code == 0 and {r["status"] for r in report["indexes"]} == {"present"}, run.output
    assert {c for _, c in WANTED} <= {tuple(ix["columns"]) for ix in pg_db.schema_snapshot()["tickets"]["indexes"]}


def test_a_rename_an_index_needs_is_applied_and_rolled_back(pg_db: Database, tmp_path: Path) -> None:
    create_dataset("postgresql", pg_db.engine, rows=20_000)
    before = pg_db.schema_snapshot()
    spec = {"version": 1, "issues": [
        {"kind": "missing_index", "table": "users", "columns": ["mail"]},  # the name after the rename below
        {"kind": "rename_column", "table": "users", "from": "email", "to": "mail"},
        {"kind": "missing_foreign_key", "table": "tickets", "column": "assigned_to_user_id", "references": "users.id"},
        HOT["issues"][0]]}
    query = PATTERNS["by_agent"].replace(":tenant", "3").replace(":agent", "4").replace(":status", "'open'")
    run, report = _verify(pg_db, tmp_path, spec, "--queries", _queries(tmp_path, query))
    assert run.code == 0, run.output
    assert report["also_applied"] == ["rename column users.email to mail"], report  # not the foreign key
    assert [r["status"] for r in report["indexes"]] == ["no queries", "measured"], report
    assert pg_db.schema_snapshot() == before  # the rename undone too


@pytest.mark.parametrize("mode", ["--online", "--no-online"])
def test_a_failed_upgrade_is_rolled_back(pg_db: Database, tmp_path: Path, mode: str) -> None:
    create_dataset("postgresql", pg_db.engine, rows=2_000)
    before = pg_db.schema_snapshot()
    spec = {"version": 1, "issues": [HOT["issues"][0],  # made first, then the unique one fails: duplicates
                                      {"kind": "missing_index", "table": "tickets", "columns": ["status"], "unique": True}]}
    query = PATTERNS["by_agent"].replace(":tenant", "3").replace(":agent", "4").replace(":status", "'open'")
    run = cli("verify", write_spec(tmp_path, spec), pg_db.url, "--queries", _queries(tmp_path, query), mode, "--runs", "2")
    assert run.code == 2 and 'could not create unique index "uq_tickets_status"' in run.stderr, run.output
    assert pg_db.schema_snapshot() == before  # the first index undone, no invalid leftover, no ledger


def test_database_errors(pg_db: Database, tmp_path: Path) -> None:
    create_dataset("postgresql", pg_db.engine, rows=1_000)
    spec = write_spec(tmp_path, HOT)
    run = cli("verify", spec, pg_db.url, "--queries", _queries(tmp_path, "SELECT 1 FROM users WHERE id = 1;"))
    assert run.code == 2 and "no query to measure for ix_tickets_tenant_id_agent_id_status" in run.stderr, run.output
    unbound = "SELECT id FROM tickets WHERE tenant_id = $1 AND agent_id = $2 AND status = lower($3)"
    run = cli("verify", write_spec(tmp_path, {**HOT, "issues": HOT["issues"][:1]}), pg_db.url,
              "--queries", _queries(tmp_path, unbound))
    assert run.code == 2 and "cannot tell which column's values $3 stands for" in run.stderr, run.output
    missing = write_spec(tmp_path, {"version": 1, "issues": [{"kind": "missing_index", "table": "nope", "columns": ["x"]}]})
    run = cli("verify", missing, pg_db.url, "--queries", _queries(tmp_path, SERVED["by_ref"].replace(":ref", "'x'")))
    assert run.code == 2 and "table nope does not exist in the database" in run.stderr, run.output
    run = cli("verify", spec, pg_db.url, "--queries",
              _queries(tmp_path, "SELECT id FROM tickets WHERE tenant_id = 1 AND no_such_column = 2"))
    assert run.code == 2 and "no_such_column" in run.stderr and "Traceback" not in run.output, run.output


# ------------------------------------------------------------------ no database


def test_queries_file_parsing(tmp_path: Path) -> None:
    pg = get_dialect("postgresql")
    path = _queries(tmp_path, "-- a comment\nSELECT a FROM t WHERE a = 'x;y';\n\nSELECT b FROM t WHERE b > $1\n")
    read = read_queries_file(path, pg)
    assert [(s.origin, s.text.split()[1]) for s in read] == [("queries.sql:2", "a"), ("queries.sql:4", "b")]
    for text, said in [("DELETE FROM t WHERE a = 1;", "only SELECT"),
                       ("SELECT a FROM t;\nUPDATE t SET a = 1;", "queries.sql:2: only SELECT"),
                       ("SELECT * FROM t FOR UPDATE;", "takes row locks"),
                       ("WITH d AS (DELETE FROM t RETURNING a) SELECT a FROM d;", "only SELECT"),
                       ("SELEC a FRM t;", "cannot read"),
                       ("-- nothing\n", "no statements")]:
        with pytest.raises(FixgenError, match=said):
            read_queries_file(_queries(tmp_path, text), pg)
    with pytest.raises(FixgenError, match="no such file"):
        read_queries_file(tmp_path / "absent.sql", pg)


def _asks(text: str, schema: Schema) -> dict[str, Access]:
    """table -> what the query asks of it (one access per table in these queries)."""
    found = accesses(Query(text, 1, 1.0, schema.dialect), schema)
    assert len({a.table for a in found}) == len(found), found
    return {a.table: a for a in found}


def test_which_queries_an_index_serves_and_their_bound_values() -> None:
    my = get_dialect("mysql")
    tables = {"tickets": ["id", "tenant_id", "agent_id", "status", "created_at"], "users": ["id", "tenant_id"]}
    schema = Schema("mysql", {t: Table(t, {c: Column(c, "integer", True) for c in cs}) for t, cs in tables.items()})
    names = Names(schema, "mysql")
    text = "SELECT ID FROM `tickets` WHERE `tenant_id` = ? AND STATUS IN (...) ORDER BY `created_at` LIMIT ?"
    tree = parse(text, my)
    sh = _asks(text, schema)["tickets"]
    assert sh.eq == ["tenant_id", "status"] and sh.sort == ["created_at"]
    served = [("tenant_id",), ("status", "tenant_id"), ("tenant_id", "status", "created_at"), ("tenant_id", "created_at"),
              ("tenant_id", "status", "created_at", "id")]
    assert all(sh.serves(c) for c in served)
    # not at all, or only in part (agent_id is not compared): the query is not one of the index's
    assert not any(sh.serves(c) for c in [("agent_id",), ("agent_id", "tenant_id"), ("tenant_id", "status", "agent_id")])
    assert "users" not in _asks(text, schema)
    b = binding(tree, names)
    texts = bound_texts(b, {"tickets": [{"tenant_id": 4, "status": "open"}, {"tenant_id": 9, "status": "it's"}]}, my)
    for bound_text, values in zip(texts, [{"4", "open", "20"}, {"9", "it's", "20"}], strict=True):
        bound = parse(bound_text, my)  # the bound copy runs as it is and asks the same of the table
        assert _asks(bound_text, schema) == {"tickets": sh} and binding(bound, names).slots == []
        assert {lit.this for lit in bound.find_all(exp.Literal)} == values
    join_text = "SELECT t.id FROM tickets t JOIN users u ON u.id = t.agent_id WHERE u.tenant_id = ?"
    join = _asks(join_text, schema)
    assert join["tickets"].eq == ["agent_id"] and set(join["users"].eq) == {"tenant_id", "id"}
    assert binding(parse(join_text, my), names).slots == [("users", "tenant_id")]
    # MySQL/MariaDB take a column name in any case, quoted or not; a subquery's column is its own table's, or the
    # outer query's table named by its alias
    assert binding(parse("SELECT id FROM tickets WHERE `STATUS` = ?", my), names).slots == [("tickets", "status")]
    nested = "SELECT id FROM tickets t WHERE agent_id IN (SELECT id FROM users WHERE tenant_id = ? AND t.status = ?)"
    assert binding(parse(nested, my), names).slots == [("users", "tenant_id"), ("tickets", "status")]
    with pytest.raises(FixgenError, match="cannot tell which column"):
        binding(parse("SELECT id FROM tickets WHERE lower(status) = ?", my), names)


@pytest.mark.parametrize(("flags", "said"), [
    (("--format", "xml"), "--format must be text or json"),
    (("--min-speedup", "0"), "--min-speedup must be more than 0"),
    (("--runs", "0"), "--runs must be at least 1"),
])
def test_bad_options(tmp_path: Path, flags: tuple[str, ...], said: str) -> None:
    run = cli("verify", write_spec(tmp_path, HOT), "sqlite:///nowhere.db", *flags)
    assert run.code == 2 and said in run.stderr, run.output


def test_bad_input(tmp_path: Path) -> None:
    fk = {"version": 1, "issues": [{"kind": "missing_foreign_key", "table": "a", "column": "b_id", "references": "b.id"}]}
    run = cli("verify", write_spec(tmp_path, fk), "postgresql://nobody@127.0.0.1:1/none")
    assert run.code == 2 and "no missing_index issue" in run.stderr, run.output
    run = cli("verify", write_spec(tmp_path, HOT), "mysql://nobody@127.0.0.1:1/none", "--explain")
    assert run.code == 2 and "--explain reads EXPLAIN ANALYZE" in run.stderr, run.output
    run = cli("verify", write_spec(tmp_path, HOT), "postgresql://nobody@127.0.0.1:1/none")
    assert run.code == 2 and "cannot verify on postgresql://nobody@127.0.0.1:1/none" in run.stderr, run.output
    run = cli("verify", write_spec(tmp_path, HOT), "oracle://x/y")
    assert run.code == 2 and "unsupported database URL scheme" in run.stderr, run.output
