"""PostgreSQL partitioned and inherited tables, through every target (issue: real-world schemas).

A schema of our own with range and list partitions (with and without the partitions' own indexes
and keys, a default partition), an inheritance tree, a domain, an enum, a view and a materialized
view on the altered tables, and a trigger. For each target and mode: up, up again (a no-op), down —
and down must give back the snapshot taken before up exactly: every partition's own index and key by
name and definition, views, triggers and rows. A partition's index or key that PostgreSQL adopts for
the parent's goes with the parent's in a rollback; fixgen re-creates it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.alembic import emit_alembic, project
from support.dbs import Database
from support.laravel import emit_laravel, run_laravel
from support.sql import emit
from support.targets import failed_up

from fixgen import ledger, partitions

SCHEMA = [
    "CREATE TYPE mood AS ENUM ('ok', 'bad')",
    "CREATE DOMAIN positive AS int CHECK (VALUE > 0)",
    "CREATE TABLE c (id int PRIMARY KEY, name text)",
    "INSERT INTO c VALUES (1, 'one'), (2, 'two')",
    # range partitions: p1 has its own index and key (adopted), p2 a NOT VALID key (not adopted), pd is the default
    "CREATE TABLE p (id int, c_id int NOT NULL, d date NOT NULL, qty positive, m mood) PARTITION BY RANGE (d)",
    "CREATE TABLE p1 PARTITION OF p FOR VALUES FROM ('2022-01-01') TO ('2023-01-01')",
    "CREATE TABLE p2 PARTITION OF p FOR VALUES FROM ('2023-01-01') TO ('2024-01-01')",
    "CREATE TABLE pd PARTITION OF p DEFAULT",
    "INSERT INTO p VALUES (1, 1, '2022-05-01', 3, 'ok'), (2, 2, '2023-05-01', 4, 'bad'), (3, 1, '2025-01-01', 5, 'ok')",
    "CREATE INDEX p1_c_id_idx ON p1 (c_id)",
    "ALTER TABLE p1 ADD CONSTRAINT p1_c_fk FOREIGN KEY (c_id) REFERENCES c (id)",
    "ALTER TABLE p2 ADD CONSTRAINT p2_c_fk FOREIGN KEY (c_id) REFERENCES c (id) NOT VALID",
    # list partitions: l_eu's own index is not an equivalent one (fillfactor), l_us has none
    "CREATE TABLE l (id int, c_id int, region text NOT NULL) PARTITION BY LIST (region)",
    "CREATE TABLE l_eu PARTITION OF l FOR VALUES IN ('eu')",
    "CREATE TABLE l_us PARTITION OF l FOR VALUES IN ('us')",
    "INSERT INTO l VALUES (1, 1, 'eu'), (2, NULL, 'us')",
    "CREATE INDEX l_eu_c_id_idx ON l_eu (c_id) WITH (fillfactor = 70)",
    # inheritance: parent and child are plain tables to fixgen
    "CREATE TABLE animal (id int PRIMARY KEY, c_id int)",
    "CREATE TABLE dog (bark text) INHERITS (animal)",
    "INSERT INTO dog VALUES (7, 2, 'woof')",
    # things that name the altered tables
    "CREATE VIEW p_view AS SELECT id, c_id, d FROM p",
    "CREATE MATERIALIZED VIEW p_mat AS SELECT c_id, count(*) AS n FROM p GROUP BY c_id",
    "CREATE TABLE audit (what text)",
    "CREATE FUNCTION log_p() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit VALUES (TG_OP); "
    "RETURN NEW; END $$",
    "CREATE TRIGGER p1_log AFTER INSERT ON p1 FOR EACH ROW EXECUTE FUNCTION log_p()",
]

ISSUES = [
    {"kind": "missing_foreign_key", "table": "p", "column": "c_id", "references": "c.id"},
    {"kind": "missing_index", "table": "p", "columns": ["c_id", "d"]},
    {"kind": "missing_foreign_key", "table": "l", "column": "c_id", "references": "c.id", "on_delete": "set_null"},
    {"kind": "missing_index", "table": "animal", "columns": ["c_id"]},
    {"kind": "missing_foreign_key", "table": "dog", "column": "c_id", "references": "c.id"},
    {"kind": "missing_column", "table": "p", "column": "note", "type": "text"},
]

SNAPSHOT = {
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
               "AND tablename NOT IN ('fixgen_ledger', 'alembic_version') ORDER BY 1, 2",
    "valid": "SELECT indexrelid::regclass::text, indisvalid FROM pg_index WHERE indrelid::regclass::text "
             "IN ('p', 'p1', 'p2', 'pd', 'l', 'l_eu', 'l_us', 'animal', 'dog') ORDER BY 1",
    "attached": "SELECT inhrelid::regclass::text, inhparent::regclass::text FROM pg_inherits ORDER BY 1, 2",
    "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
                   "WHERE connamespace = 'public'::regnamespace AND conrelid <> 0 "
                   "AND conrelid::regclass::text NOT IN ('fixgen_ledger', 'alembic_version') ORDER BY 1, 2",
    "columns": "SELECT table_name, column_name, data_type, domain_name, udt_name FROM information_schema.columns "
               "WHERE table_schema = 'public' AND table_name NOT IN ('fixgen_ledger', 'alembic_version') ORDER BY 1, 2",
    "views": "SELECT viewname, definition FROM pg_views WHERE schemaname = 'public' ORDER BY 1",
    "matviews": "SELECT matviewname, definition FROM pg_matviews WHERE schemaname = 'public' ORDER BY 1",
    "triggers": "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1",
    "rows": "SELECT 'p', count(*), string_agg(concat_ws(',', id, c_id, d, qty, m), ';' ORDER BY id) FROM p "
            "UNION ALL SELECT 'l', count(*), string_agg(concat_ws(',', id, c_id, region), ';' ORDER BY id) FROM l "
            "UNION ALL SELECT 'dog', count(*), string_agg(concat_ws(',', id, c_id, bark), ';' ORDER BY id) FROM dog",
}


def snapshot(db: Database) -> dict[str, list[tuple]]:
    return {name: db.query(sql) for name, sql in SNAPSHOT.items()}


def ledger_rows(db: Database) -> list[tuple]:
    exists = db.query("SELECT to_regclass('fixgen_ledger') IS NOT NULL")[0][0]
    return (db.query("SELECT step, object_name FROM fixgen_ledger WHERE step <> :m ORDER BY 1", {"m": ledger.MARKER_STEP})
            if exists else [])


def new_rows(now: list[tuple], before: list[tuple], table: str) -> list[tuple]:
    return [row for row in now if row not in before and row[0] == table]


def assert_fixed(db: Database, before: dict[str, list[tuple]]) -> None:
    """What up must have made (each target names what it makes its own way): a valid parent index with
    one attached index per partition, parent keys, the partitions' adopted index and key kept under their
    own names, the NOT VALID key of p2 left alone, and nothing else changed."""
    now = snapshot(db)
    valid = dict(now["valid"])
    [(_, p_index, _)] = new_rows(now["indexes"], before["indexes"], "p")
    [(_, animal_index, _)] = new_rows(now["indexes"], before["indexes"], "animal")
    assert valid[p_index] and valid[animal_index], valid
    assert [r[0] for r in new_rows(now["indexes"], before["indexes"], "dog")]  # the key's index: dog is a table
    attached = dict(now["attached"])
    on_p = sorted(child for child, parent in attached.items() if parent == p_index)
    assert len(on_p) == 3, on_p  # p1 (its own, adopted), p2, pd
    assert attached.get("p1_c_id_idx") is None  # adopted for (c_id) only by an index on (c_id)
    new_keys = {t: (d, v) for t, n, d, v in now["constraints"] if (t, n, d, v) not in before["constraints"]}
    for table in ("p", "l", "dog", "p2", "pd", "l_eu", "l_us"):
        assert table in new_keys, (table, new_keys)
    assert "animal" not in new_keys and "p1" not in new_keys  # p1's own key was adopted, under its own name
    assert "ON DELETE SET NULL" in new_keys["l"][0]
    constraints = {(t, n): (d, v) for t, n, d, v in now["constraints"]}
    assert constraints[("p1", "p1_c_fk")] == ("FOREIGN KEY (c_id) REFERENCES c(id)", True)
    assert constraints[("p2", "p2_c_fk")] == ("FOREIGN KEY (c_id) REFERENCES c(id) NOT VALID", False)  # not adopted
    assert ("p", "note") in {(t, c) for t, c, *_ in now["columns"]}
    for name in ("views", "matviews", "triggers", "rows"):
        assert now[name] == before[name], name
    steps = [s for s, _ in ledger_rows(db)]
    assert any(":adopted:p1" in s and s.startswith("add_foreign_key:p:") for s in steps), steps


def round_trip(db: Database, up: callable, down: callable) -> None:  # type: ignore[valid-type]
    db.execute(SCHEMA)
    before = snapshot(db)
    up()
    after = snapshot(db)
    assert_fixed(db, before)
    up()
    assert snapshot(db) == after, "a second up changed something"
    down()
    assert snapshot(db) == before, "down did not give back the schema as it was"
    assert ledger_rows(db) == []


@pytest.mark.parametrize("flags", [(), ("--no-online",)], ids=["online", "plain"])
def test_sql(flags: tuple[str, ...], pg_db: Database, tmp_path: Path) -> None:
    mig = emit(ISSUES, "postgresql", tmp_path, *flags)
    round_trip(pg_db, lambda: pg_db.run_sql_file(mig.up), lambda: pg_db.run_sql_file(mig.down))


@pytest.mark.parametrize("flags", [(), ("--no-online",)], ids=["online", "plain"])
def test_laravel(flags: tuple[str, ...], pg_db: Database, tmp_path: Path) -> None:
    migration = emit_laravel({"version": 1, "name": "partitions", "issues": ISSUES}, tmp_path, *flags)
    round_trip(pg_db, lambda: run_laravel(pg_db, migration, "up"), lambda: run_laravel(pg_db, migration, "down"))


@pytest.mark.parametrize("flags", [(), ("--no-online",)], ids=["online", "plain"])
def test_alembic(flags: tuple[str, ...], pg_db: Database, tmp_path: Path) -> None:
    proj = project(tmp_path, pg_db)
    emit_alembic({"version": 1, "name": "partitions", "issues": ISSUES}, proj.versions, *flags)

    def up() -> None:
        proj.upgrade("head")
        pg_db.execute(["DELETE FROM alembic_version"])  # so that the next upgrade runs the revision again

    round_trip(pg_db, up, lambda: (proj.stamp("head"), proj.downgrade("base")))


# --------------------------------------------------------------------------- refused, before any change

REFUSED_SCHEMA = [
    "CREATE TABLE c (id int PRIMARY KEY)",
    "CREATE TABLE s (id int, c_id int, d date NOT NULL, k int NOT NULL) PARTITION BY RANGE (d)",
    "CREATE TABLE s1 PARTITION OF s FOR VALUES FROM ('2022-01-01') TO ('2023-01-01') PARTITION BY LIST (k)",
    "CREATE TABLE r (id int, c_id int, d date NOT NULL) PARTITION BY RANGE (d)",
    "CREATE TABLE r1 PARTITION OF r FOR VALUES FROM ('2022-01-01') TO ('2023-01-01')",
    "CREATE INDEX r_c_id_idx ON r (c_id)",  # partitioned: r1 gets its own
    "CREATE TABLE other (id int PRIMARY KEY, c_id int)",
]
REFUSED = [
    {"kind": "missing_index", "table": "other", "columns": ["c_id"]},  # would run first
    {"kind": "missing_index", "table": "s", "columns": ["c_id"]},  # a sub-partitioned partition
    {"kind": "missing_index", "table": "r", "columns": ["id"], "unique": True},  # without the partition key
    {"kind": "redundant_index", "table": "r", "name": "r_c_id_idx", "columns": ["c_id"]},  # dropping there
]
REFUSALS = ["partition s1 of s is itself partitioned",
            "a unique index on partitioned table r must include every column of its partition key (RANGE (d))",
            "r is a partitioned table, where fixgen adds indexes and foreign keys but does not drop or change them"]


def refused_snapshot(db: Database) -> list[tuple]:
    return db.query("SELECT tablename, indexname FROM pg_indexes WHERE schemaname = 'public' "
                    "AND tablename NOT IN ('fixgen_ledger', 'alembic_version') ORDER BY 1, 2")


@pytest.mark.parametrize("target", ["sql-online", "sql-plain", "laravel", "alembic"])
def test_refusals_name_every_problem_before_any_change(target: str, pg_db: Database, tmp_path: Path) -> None:
    pg_db.execute(REFUSED_SCHEMA)
    before = refused_snapshot(pg_db)
    out = failed_up(target.replace("sql-online", "sql"), pg_db, tmp_path, REFUSED)
    assert "nothing was changed" in out, out
    for refusal in REFUSALS:
        assert refusal in out, (refusal, out)
    assert refused_snapshot(pg_db) == before


# --------------------------------------------------------------------------- MySQL/MariaDB: no keys on partitioned tables

MYSQL_PARTITIONED = [
    "CREATE TABLE c (id INT PRIMARY KEY)",
    "CREATE TABLE m (id INT NOT NULL, c_id INT, y INT NOT NULL, PRIMARY KEY (id, y)) PARTITION BY RANGE (y) "
    "(PARTITION m1 VALUES LESS THAN (2023), PARTITION m2 VALUES LESS THAN MAXVALUE)",
    "CREATE TABLE other (id INT PRIMARY KEY, c_id INT)",
]
MYSQL_ISSUES = [{"kind": "missing_index", "table": "other", "columns": ["c_id"]},  # would run first
                {"kind": "missing_foreign_key", "table": "m", "column": "c_id", "references": "c.id"}]
MYSQL_REFUSAL = "m is a partitioned table, and InnoDB has no foreign keys on partitioned tables (error 1506)"


@pytest.mark.parametrize("target", ["sql", "laravel", "alembic"])
def test_mysql_key_on_a_partitioned_table_is_refused_first(target: str, mysql_db: Database, tmp_path: Path) -> None:
    mysql_db.execute(MYSQL_PARTITIONED)
    before = mysql_db.schema_snapshot()
    out = failed_up(target, mysql_db, tmp_path, MYSQL_ISSUES)
    assert "nothing was changed" in out and MYSQL_REFUSAL in out, out
    after = mysql_db.schema_snapshot()
    after.pop("fixgen_ledger", None)
    after.pop("alembic_version", None)
    assert after == before


# --------------------------------------------------------------------------- interrupted anywhere (online)

CUT_ISSUES = [
    {"kind": "missing_index", "table": "p", "columns": ["c_id", "d"]},
    {"kind": "missing_foreign_key", "table": "p", "column": "c_id", "references": "c.id"},
]
CUT_STEPS = {  # the step key and the query arguments of each partitioned-table step of CUT_ISSUES
    "index": ("create_index:p:ix_p_c_id_d", {"tbl": "p", "name": "ix_p_c_id_d", "cols": '["c_id", "d"]', "uniq": False}),
    "fk": ("add_foreign_key:p:fk_p_c_id_c", {"tbl": "p", "name": "fk_p_c_id_c", "cols": '["c_id"]', "reftbl": "c",
                                             "refcols": '["id"]', "on_delete": "NO ACTION", "on_update": "NO ACTION"}),
}


def statements(db: Database, kind: str, direction: str, migration: str) -> list[str]:
    """What the online file's partitioned-table step runs, from the catalog as it is now."""
    step, args = CUT_STEPS[kind]
    db.execute([ledger.create_table_sql("postgresql", '"fixgen_ledger"', online=True)])  # as the file makes it first
    query = partitions.named(partitions.queries(True)[f"{kind}_{direction}"], "fixgen_ledger")
    values = {**args, "migration": migration, "step": step, "lock_timeout": "5s", "statement_timeout": "30s"}
    return [row[0] for row in db.query(query, values)]


def run_cut(db: Database, migration: str, kind: str, direction: str, n: int) -> None:
    """As if a run of the file had been killed after the step's first n statements (its ledger row recorded)."""
    step, _ = CUT_STEPS[kind]
    db.execute([ledger.create_table_sql("postgresql", '"fixgen_ledger"', online=True),
                "INSERT INTO fixgen_ledger (migration, step, object_name) "
                f"VALUES ('{migration}', '{step}', 'x') ON CONFLICT DO NOTHING"])
    todo = statements(db, kind, direction, migration)[:n]
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for sql in todo:
            conn.exec_driver_sql(sql.replace("%", "%%"))


@pytest.mark.parametrize("kind", ["index", "fk"])
def test_online_sql_interrupted_at_every_statement(kind: str, pg_db: Database, tmp_path: Path) -> None:
    """Cut the partitioned-table step after each of its statements, in up and in down: the next run of
    the file finishes the job, and down still gives back exactly the schema before up."""
    mig = emit(CUT_ISSUES, "postgresql", tmp_path)
    migration = re.search(r"migration = '([^']+)'", mig.up_text).group(1)
    pg_db.execute(SCHEMA)
    before = snapshot(pg_db)
    pg_db.run_sql_file(mig.up)
    after = snapshot(pg_db)
    pg_db.run_sql_file(mig.down)
    assert snapshot(pg_db) == before
    total = len(statements(pg_db, kind, "up", migration))
    pg_db.execute(["DROP TABLE fixgen_ledger"])
    assert total >= 8, total
    for n in range(1, total):
        run_cut(pg_db, migration, kind, "up", n)
        pg_db.run_sql_file(mig.up)
        assert snapshot(pg_db) == after, f"up cut after {n} of {total} statements, then run again"
        down_total = len(statements(pg_db, kind, "down", migration))
        run_cut(pg_db, migration, kind, "down", min(n, down_total - 1))
        pg_db.run_sql_file(mig.down)
        assert snapshot(pg_db) == before, f"down cut after {min(n, down_total - 1)} statements, then run again"
        assert ledger_rows(pg_db) == []


MYSQL_UNIQUE = [{"kind": "missing_index", "table": "other", "columns": ["c_id"]},  # would run first
                {"kind": "missing_index", "table": "m", "columns": ["c_id"], "unique": True}]


@pytest.mark.parametrize("target", ["sql", "laravel", "alembic"])
def test_mysql_unique_index_without_the_partitioning_columns_is_refused_first(target: str, mysql_db: Database,
                                                                              tmp_path: Path) -> None:
    mysql_db.execute(MYSQL_PARTITIONED)
    before = mysql_db.schema_snapshot()
    out = failed_up(target, mysql_db, tmp_path, MYSQL_UNIQUE)
    assert "nothing was changed" in out and "this one lacks y (MySQL error 1503)" in out, out
    after = mysql_db.schema_snapshot()
    after.pop("fixgen_ledger", None)
    after.pop("alembic_version", None)
    assert after == before
