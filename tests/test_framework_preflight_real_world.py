"""The framework targets refuse what the database would refuse midway, before any change (issue: real-world schemas).

Same shapes as tests/test_sql_preflight_real_world.py, through real Alembic: a PostgreSQL partitioned
table (a unique index without its partition key, a partition that is itself partitioned), a MySQL foreign key whose type or sign
differs from the key, a MySQL rename of a column a view or a trigger names.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.util import CommandError
from support.alembic import after_alembic, emit_alembic, project
from support.dbs import Database
from support.laravel import emit_laravel, run_fails
from test_sql_preflight_real_world import MISMATCH, PARTITIONED, PG_BAD, PG_GOOD, PG_TYPES, pg_type_issues


def refused(db: Database, tmp_path: Path, issues: list[dict]) -> str:
    proj = project(tmp_path, db)
    emit_alembic({"version": 1, "name": "real_world", "issues": issues}, proj.versions)
    before = after_alembic(db)
    with pytest.raises(CommandError) as info:
        proj.upgrade("head")
    assert str(info.value).startswith("fixgen: nothing was changed:"), info.value
    now = after_alembic(db)
    now.pop("fixgen_ledger", None)
    assert now == before, "a refused upgrade changed the schema"
    return str(info.value)


def test_alembic_partitioned_parent(pg_db: Database, tmp_path: Path) -> None:
    pg_db.execute([*PARTITIONED, "CREATE TABLE s (d date NOT NULL, k int NOT NULL, c_id int) PARTITION BY RANGE (d)",
                   "CREATE TABLE s1 PARTITION OF s FOR VALUES FROM ('2022-01-01') TO ('2023-01-01') PARTITION BY LIST (k)"])
    message = refused(pg_db, tmp_path, [
        {"kind": "missing_index", "table": "other", "columns": ["c_id"]},
        {"kind": "missing_index", "table": "p", "columns": ["c_id"], "unique": True},
        {"kind": "missing_foreign_key", "table": "s", "column": "c_id", "references": "c.id"},
    ])
    assert "partitioned table p must include every column of its partition key" in message, message
    assert "add foreign key" in message and "partition s1 of s is itself partitioned" in message, message
    assert "create index ix_s_c_id on s" in message, message  # the index the key needs, refused too


def test_alembic_postgresql_key_types(pg_db: Database, tmp_path: Path) -> None:
    pg_db.execute(PG_TYPES)
    message = refused(pg_db, tmp_path, pg_type_issues(PG_BAD + PG_GOOD))
    assert "fk.a is text but pk.id is integer" in message and message.count("cannot compare") == 2, message


def test_laravel_postgresql_key_types(pg_db: Database, tmp_path: Path) -> None:
    pg_db.execute(PG_TYPES)
    out = laravel_refused(pg_db, tmp_path, pg_type_issues(PG_BAD + PG_GOOD))
    assert "fk.f is integer but pk.code is character varying" in out and out.count("cannot compare") == 2, out


def test_alembic_mysql_type_mismatch(mysql_db: Database, tmp_path: Path) -> None:
    mysql_db.execute(MISMATCH)
    message = refused(mysql_db, tmp_path, [
        {"kind": "missing_index", "table": "activities", "columns": ["note"]},
        {"kind": "missing_foreign_key", "table": "activities", "column": "user_id", "references": "users.id"},
    ])
    assert "activities.user_id is int(11) but users.id is int(10) unsigned" in message, message


def test_alembic_mysql_rename_under_a_view(mysql_db: Database, tmp_path: Path) -> None:
    mysql_db.execute([
        "CREATE TABLE webhooks (id INT PRIMARY KEY, created_by_user_id INT)",
        "CREATE TABLE audit (n INT)",
        "CREATE VIEW hooks_by_user AS SELECT id, created_by_user_id FROM webhooks",
        "CREATE TRIGGER count_hooks AFTER INSERT ON webhooks FOR EACH ROW INSERT INTO audit VALUES (NEW.created_by_user_id)",
    ])
    message = refused(mysql_db, tmp_path, [
        {"kind": "rename_column", "table": "webhooks", "from": "created_by_user_id", "to": "user_id"}])
    assert "these views naming the old column broken: hooks_by_user" in message, message
    assert "these triggers naming the old column broken: count_hooks" in message, message


# --------------------------------------------------------------------------- the same through real Laravel

def laravel_refused(db: Database, tmp_path: Path, issues: list[dict]) -> str:
    migration = emit_laravel({"version": 1, "name": "real_world", "issues": issues}, tmp_path)
    before = db.schema_snapshot()
    out = run_fails(db, migration)
    assert "nothing was changed" in out, out
    now = db.schema_snapshot()
    now.pop("fixgen_ledger", None)
    assert now == before, "a refused migration changed the schema"
    return out


def test_laravel_partitioned_parent(pg_db: Database, tmp_path: Path) -> None:
    pg_db.execute(PARTITIONED)
    out = laravel_refused(pg_db, tmp_path, [
        {"kind": "missing_index", "table": "other", "columns": ["c_id"]},
        {"kind": "missing_index", "table": "p", "columns": ["c_id"], "unique": True},
        {"kind": "redundant_index", "table": "p", "name": "p1_c_id_idx", "columns": ["c_id"]},
    ])
    assert "partitioned table p must include every column of its partition key" in out, out


def test_laravel_mysql_type_mismatch_and_rename_under_a_view(mysql_db: Database, tmp_path: Path) -> None:
    mysql_db.execute([*MISMATCH, "CREATE VIEW v AS SELECT id, user_code FROM activities"])
    out = laravel_refused(mysql_db, tmp_path, [
        {"kind": "missing_index", "table": "activities", "columns": ["note"]},
        {"kind": "missing_foreign_key", "table": "activities", "column": "user_id", "references": "users.id"},
        {"kind": "rename_column", "table": "activities", "from": "user_code", "to": "code"},
    ])
    assert "activities.user_id is int(11) but users.id is int(10) unsigned" in out, out
    assert "these views naming the old column broken: v" in out, out


ORPHANS = ["CREATE TABLE r (id INT PRIMARY KEY)", "CREATE TABLE t (id INT PRIMARY KEY, a_id INT, b_id INT)",
           "INSERT INTO t VALUES (1, 5, 6), (2, 7, NULL)"]
TWO_KEYS = [{"kind": "missing_foreign_key", "table": "t", "column": "a_id", "references": "r.id"},
            {"kind": "missing_foreign_key", "table": "t", "column": "b_id", "references": "r.id"}]


@pytest.mark.parametrize("target", ["sql", "laravel", "alembic"])
@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_every_keys_orphans_are_named_in_one_message(target: str, dialect: str, tmp_path: Path) -> None:
    from support.dbs import database_or_skip, drop_database
    from support.sql import emit
    from support.sql import run_fails as sql_fails

    db = database_or_skip(dialect, tmp_path)
    try:
        db.execute(ORPHANS)
        if target == "sql":
            out = sql_fails(db, emit(TWO_KEYS, dialect, tmp_path).up)
        elif target == "laravel":
            out = laravel_refused(db, tmp_path, TWO_KEYS)
        else:
            out = refused(db, tmp_path, TWO_KEYS)
        assert "nothing was changed" in out, out
        assert "2 orphan row(s) in t (a_id)" in out and "1 orphan row(s) in t (b_id)" in out, out
    finally:
        drop_database(db)
