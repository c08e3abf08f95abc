"""`fixgen validate SPEC --db URL`: the migrations' preflight, read-only, against real databases."""

from __future__ import annotations

from pathlib import Path

from support.dbs import Database
from support.roundtrip import cli, write_spec
from test_partitioned_tables import MYSQL_ISSUES, MYSQL_PARTITIONED, MYSQL_REFUSAL, REFUSALS, REFUSED, REFUSED_SCHEMA


def validate(db: Database, tmp_path: Path, issues: list[dict], *flags: str):
    spec = write_spec(tmp_path, {"version": 1, "name": "check", "issues": issues}, own_folder=True)
    return cli("validate", spec, "--db", db.url, *flags)


def test_postgresql_refusals_are_reported_and_nothing_changes(pg_db: Database, tmp_path: Path) -> None:
    pg_db.execute(REFUSED_SCHEMA)
    before = pg_db.schema_snapshot()
    for target in ("sql", "laravel", "alembic"):
        run = validate(pg_db, tmp_path, [*REFUSED, {"kind": "missing_index", "table": "nope", "columns": ["x"]}],
                       "--target", target)
        assert run.code == 1, run.output
        for refusal in [*REFUSALS, "table nope does not exist"]:
            assert refusal in run.stderr, (refusal, run.stderr)
    assert pg_db.schema_snapshot() == before  # no ledger table, nothing else


def test_mysql_type_and_partition_refusals(mysql_db: Database, tmp_path: Path) -> None:
    mysql_db.execute([*MYSQL_PARTITIONED, "CREATE TABLE u (id INT UNSIGNED PRIMARY KEY)", "CREATE TABLE a (u_id INT)"])
    run = validate(mysql_db, tmp_path, [*MYSQL_ISSUES,
                                        {"kind": "missing_foreign_key", "table": "a", "column": "u_id", "references": "u.id"}])
    assert run.code == 1, run.output
    assert MYSQL_REFUSAL in run.stderr and "a.u_id is int(11) but u.id is int(10) unsigned" in run.stderr, run.stderr


def test_a_database_that_can_take_the_fixes(sqlite_db: Database, tmp_path: Path) -> None:
    sqlite_db.execute(["CREATE TABLE c (id INTEGER PRIMARY KEY)", "CREATE TABLE t (id INTEGER PRIMARY KEY, c_id INTEGER)",
                       "INSERT INTO t VALUES (1, 7)"])
    fk = {"kind": "missing_foreign_key", "table": "t", "column": "c_id", "references": "c.id"}
    run = validate(sqlite_db, tmp_path, [fk], "--target", "laravel")  # the sql target cannot on SQLite
    assert run.code == 1 and "1 orphan row(s) in t (c_id) have no matching row in c (id)" in run.stderr, run.output
    sqlite_db.execute(["DELETE FROM t"])
    run = validate(sqlite_db, tmp_path, [fk], "--target", "laravel")  # the sql target cannot on SQLite
    assert run.code == 0 and "valid, and the database can take them" in run.stdout, run.output
