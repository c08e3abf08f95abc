"""Preflight completeness on shapes real schemas have (sql target): refused before any change, one message.

- PostgreSQL partitioned tables: what PostgreSQL refuses there (a unique index without the partition
  key) is found first (tests/test_partitioned_tables.py has the fixes fixgen makes there).
- MySQL/MariaDB: a foreign key whose column type, size, sign or collation differs from the referenced
  key (InnoDB error 1822 midway, after earlier steps already ran); a rename of a column a view or a
  trigger names (MySQL rewrites neither: the view would fail on every SELECT).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.dbs import Database
from support.sql import emit, run_fails


def without_ledger(snapshot: dict) -> dict:
    return {k: v for k, v in snapshot.items() if k != "fixgen_ledger"}


PARTITIONED = [
    "CREATE TABLE c (id int PRIMARY KEY)",
    "CREATE TABLE p (id int, c_id int NOT NULL, d date NOT NULL) PARTITION BY RANGE (d)",
    "CREATE TABLE p1 PARTITION OF p FOR VALUES FROM ('2022-01-01') TO ('2023-01-01')",
    "CREATE INDEX p1_c_id_idx ON p1 (c_id)",
    "ALTER TABLE p1 ADD CONSTRAINT p1_c_fk FOREIGN KEY (c_id) REFERENCES c(id)",
    "CREATE TABLE other (id int PRIMARY KEY, c_id int)",
]


@pytest.mark.parametrize("flags", [(), ("--no-online",)], ids=["online", "plain"])
def test_partitioned_parent_refusal_comes_before_any_change(flags: tuple[str, ...], pg_db: Database,
                                                            tmp_path: Path) -> None:
    pg_db.execute(PARTITIONED)
    before = pg_db.schema_snapshot()
    issues = [{"kind": "missing_index", "table": "other", "columns": ["c_id"]},  # would run first
              {"kind": "missing_index", "table": "p", "columns": ["c_id"], "unique": True}]
    mig = emit(issues, "postgresql", tmp_path, *flags)
    out = run_fails(pg_db, mig.up)
    assert "nothing was changed" in out and "must include every column of its partition key (RANGE (d))" in out, out
    assert without_ledger(pg_db.schema_snapshot()) == before
    # the partition's own objects are untouched, and a fix on a partition itself still works
    ok = emit([{"kind": "missing_index", "table": "p1", "columns": ["d"]}], "postgresql", tmp_path, *flags)
    pg_db.run_sql_file(ok.up)
    pg_db.run_sql_file(ok.down)
    assert without_ledger(pg_db.schema_snapshot()) == before


PG_TYPES = [
    "CREATE TABLE pk (id int PRIMARY KEY, code varchar(10) UNIQUE, u uuid UNIQUE)",
    "CREATE DOMAIN big AS bigint",
    "CREATE TABLE fk (a text, b bigint, c big, d text, g uuid, f int)",
]
# PostgreSQL: "foreign key constraint ... cannot be implemented" for these, fine for (b|c -> id, d -> code, g -> u)
PG_BAD = [("a", "id"), ("f", "code")]
PG_GOOD = [("b", "id"), ("c", "id"), ("d", "code"), ("g", "u")]


def pg_type_issues(pairs: list[tuple[str, str]]) -> list[dict]:
    return [{"kind": "missing_foreign_key", "table": "fk", "column": c, "references": f"pk.{r}"} for c, r in pairs]


@pytest.mark.parametrize("flags", [(), ("--no-online",)], ids=["online", "plain"])
def test_postgresql_key_types_it_cannot_compare_are_refused(flags: tuple[str, ...], pg_db: Database,
                                                            tmp_path: Path) -> None:
    pg_db.execute(PG_TYPES)
    before = pg_db.schema_snapshot()
    out = run_fails(pg_db, emit(pg_type_issues(PG_BAD + PG_GOOD), "postgresql", tmp_path, *flags).up)
    assert "fk.a is text but pk.id is integer, which PostgreSQL cannot compare" in out, out
    assert "fk.f is integer but pk.code is character varying" in out, out
    assert out.count("cannot compare") == 2, out
    assert without_ledger(pg_db.schema_snapshot()) == before
    mig = emit(pg_type_issues(PG_GOOD), "postgresql", tmp_path, *flags)
    pg_db.run_sql_file(mig.up)
    assert len(pg_db.schema_snapshot()["fk"]["foreign_keys"]) == 4
    pg_db.run_sql_file(mig.down)
    assert without_ledger(pg_db.schema_snapshot()) == before


MISMATCH = [
    "CREATE TABLE users (id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, code VARCHAR(20) COLLATE utf8mb4_bin UNIQUE)",
    "CREATE TABLE activities (id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, user_id INT NOT NULL, "
    "owner_id INT UNSIGNED, user_code VARCHAR(10) COLLATE utf8mb4_unicode_ci, same_code VARCHAR(40) COLLATE utf8mb4_bin,"
    " note VARCHAR(10))",
]


def test_mysql_type_sign_and_collation_mismatch_is_refused(mysql_db: Database, tmp_path: Path) -> None:
    mysql_db.execute(MISMATCH)
    before = mysql_db.schema_snapshot()
    issues = [
        {"kind": "missing_index", "table": "activities", "columns": ["note"]},  # would run first
        {"kind": "missing_foreign_key", "table": "activities", "column": "user_id", "references": "users.id"},
        {"kind": "missing_foreign_key", "table": "activities", "column": "user_code", "references": "users.code"},
    ]
    out = run_fails(mysql_db, emit(issues, "mysql", tmp_path).up)
    # MariaDB spells display widths (int(11)), MySQL 8 does not
    assert re.search(r"activities\.user_id is int(\(11\))? but users\.id is int(\(10\))? unsigned", out), out
    assert "activities.user_code is varchar(10) utf8mb4_unicode_ci but users.code is varchar(20) utf8mb4_bin" in out, out
    assert without_ledger(mysql_db.schema_snapshot()) == before
    # same type and sign, or the same collation with another length: fine
    good = [{"kind": "missing_foreign_key", "table": "activities", "column": "owner_id", "references": "users.id"},
            {"kind": "missing_foreign_key", "table": "activities", "column": "same_code", "references": "users.code"}]
    mig = emit(good, "mysql", tmp_path)
    mysql_db.run_sql_file(mig.up)
    assert len(mysql_db.schema_snapshot()["activities"]["foreign_keys"]) == 2
    mysql_db.run_sql_file(mig.down)
    assert without_ledger(mysql_db.schema_snapshot()) == before


def test_mysql_rename_of_a_column_a_view_or_trigger_names_is_refused(mysql_db: Database, tmp_path: Path) -> None:
    mysql_db.execute([
        "CREATE TABLE webhooks (id INT PRIMARY KEY, created_by_user_id INT, hits INT DEFAULT 0)",
        "CREATE TABLE audit (n INT)",
        "CREATE VIEW hooks_by_user AS SELECT id, created_by_user_id FROM webhooks",
        "CREATE TRIGGER count_hooks AFTER INSERT ON webhooks FOR EACH ROW INSERT INTO audit VALUES (NEW.created_by_user_id)",
        "CREATE TABLE other (id INT PRIMARY KEY, a INT)",
        "CREATE VIEW other_v AS SELECT id FROM other",
    ])
    before = mysql_db.schema_snapshot()
    spec = [{"kind": "rename_column", "table": "webhooks", "from": "created_by_user_id", "to": "user_id"}]
    out = run_fails(mysql_db, emit(spec, "mysql", tmp_path).up)
    assert "would leave these views naming the old column broken: hooks_by_user" in out, out
    assert "would leave these triggers naming the old column broken: count_hooks" in out, out
    assert without_ledger(mysql_db.schema_snapshot()) == before
    assert mysql_db.query("SELECT COUNT(*) FROM hooks_by_user") == [(0,)]
    # a column no view or trigger names renames as before
    ok = emit([{"kind": "rename_column", "table": "other", "from": "a", "to": "b"}], "mysql", tmp_path)
    mysql_db.run_sql_file(ok.up)
    assert mysql_db.query("SELECT COUNT(*) FROM other_v") == [(0,)]
    mysql_db.run_sql_file(ok.down)
    assert without_ledger(mysql_db.schema_snapshot()) == before


def test_plain_postgresql_file_stops_psql_itself(pg_db: Database, tmp_path: Path) -> None:
    """Without -v ON_ERROR_STOP=1, psql would go on after the failure and exit 0: the file sets it itself."""
    import subprocess

    pg_db.execute(PARTITIONED)
    mig = emit([{"kind": "missing_index", "table": "p", "columns": ["c_id"], "unique": True}], "postgresql", tmp_path,
               "--no-online")
    argv, env, _ = pg_db.cli_command(mig.up)
    argv = [a for a in argv if a not in ("-v", "ON_ERROR_STOP=1")]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "partitioned table p must include every column of its partition key" in proc.stderr
