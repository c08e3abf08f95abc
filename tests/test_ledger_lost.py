"""Down refuses, changing nothing, when the ledger has lost this migration's record (issue 16).

Up records a marker row (fixgen.ledger.MARKER_STEP) besides its steps, so a migration that ran always has a row in
fixgen_ledger, even when every fix was already present. Down with no row of its migration (the table dropped, e.g.
by accepting Alembic autogenerate's `op.drop_table('fixgen_ledger')`, or the rows deleted) changes nothing: when a
change up would have made is still there (by name) it fails, saying what is missing and what to do; otherwise there
is nothing to undo (up never ran, or down already did) and it succeeds, so that down twice stays harmless.

Real databases, the real clients (psql, mariadb, sqlite3), Laravel's Migrator and Alembic's command API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.util import CommandError
from support.alembic import VERSION_TABLE, emit_alembic, module_values, project, version_rows
from support.dbs import Database, SqlRunError
from support.laravel import LaravelRunError, emit_laravel, run_laravel
from support.roundtrip import LEDGER, ledger_markers, ledger_rows, without
from support.sql import emit

MIGRATIONS = "migrations"  # Laravel's Migrator's table (tests/laravel/runner.php)

SCHEMA = ["CREATE TABLE users (id INTEGER PRIMARY KEY)",
          "INSERT INTO users (id) VALUES (1), (2)",
          "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER, slug VARCHAR(40), note VARCHAR(40))",
          "INSERT INTO posts (id, user_id, slug, note) VALUES (1, 1, 'a', 'x'), (2, 2, 'b', 'y')"]
INDEX = {"kind": "missing_index", "table": "posts", "columns": ["slug"]}
ISSUES = [INDEX,
          {"kind": "rename_column", "table": "posts", "from": "note", "to": "remark"},
          {"kind": "missing_foreign_key", "table": "posts", "column": "user_id", "references": "users.id"}]
SPEC: dict[str, Any] = {"version": 1, "name": "lost_ledger", "issues": ISSUES}
INDEX_ONLY: dict[str, Any] = {"version": 1, "name": "lost_ledger", "issues": [INDEX]}  # what SQLite SQL can guard


def setup(db: Database) -> dict:
    db.execute(SCHEMA)
    before = db.schema_snapshot()
    assert LEDGER not in before
    return before


BACKUP = "ledger_backup"


def lose(db: Database, how: str) -> None:
    """Lose the ledger's record of every migration: the table goes, or its rows do (kept in a backup table)."""
    led, backup = db.quote(LEDGER), db.quote(BACKUP)
    if how == "dropped":
        db.execute([f"ALTER TABLE {led} RENAME TO {backup}"])
    else:
        db.execute([f"CREATE TABLE {backup} AS SELECT * FROM {led}", f"DELETE FROM {led}"])


def restore(db: Database, how: str) -> None:
    """What the refusal advises: the ledger back from the backup."""
    led, backup = db.quote(LEDGER), db.quote(BACKUP)
    if how == "dropped":
        db.execute([f"ALTER TABLE {backup} RENAME TO {led}"])
    else:
        db.execute([f"INSERT INTO {led} SELECT * FROM {backup}", f"DROP TABLE {backup}"])


def snapshot(db: Database, *bookkeeping: str) -> dict:
    return without(db.schema_snapshot(), *bookkeeping)


def assert_refusal(text: str, migration: str) -> None:
    assert "nothing was changed" in text, text
    assert f"{LEDGER} has no record of" in text and migration in text, text
    assert "create_index:posts:" in text, text  # what is still there
    assert "Restore" in text and "backup" in text, text


# =========================================================================== sql


SQL_CASES = [("postgresql", ()), ("postgresql", ("--no-online",)), ("mysql", ()), ("sqlite", ())]


@pytest.mark.parametrize(("dialect", "flags"), SQL_CASES, ids=["postgresql", "postgresql-no-online", "mysql",
                                                                "sqlite"])
@pytest.mark.parametrize("how", ["dropped", "emptied"])
def test_sql_down_refuses_without_the_ledger(dialect: str, flags: tuple[str, ...], how: str, tmp_path: Path,
                                             request: pytest.FixtureRequest) -> None:
    db: Database = request.getfixturevalue({"postgresql": "pg_db", "mysql": "mysql_db", "sqlite": "sqlite_db"}[dialect])
    before = setup(db)
    mig = emit(INDEX_ONLY if dialect == "sqlite" else SPEC, dialect, tmp_path, *flags)
    migration = mig.up.name.removesuffix(".up.sql")
    db.run_sql_file(mig.up)
    assert ledger_markers(db) == [migration]
    lose(db, how)
    lost = db.schema_snapshot()
    with pytest.raises(SqlRunError) as info:
        db.run_sql_file(mig.down)
    assert_refusal(info.value.output, migration)
    assert db.schema_snapshot() == lost, "a refused down changed the schema"
    assert (LEDGER in db.table_names()) == (how == "emptied")
    restore(db, how)
    db.run_sql_file(mig.down)
    back = db.schema_snapshot()
    assert (without(back, LEDGER) if dialect == "sqlite" else back) == before  # SQLite SQL keeps the empty ledger


@pytest.mark.parametrize(("dialect", "flags"), SQL_CASES, ids=["postgresql", "postgresql-no-online", "mysql",
                                                                "sqlite"])
def test_sql_up_up_down_down_stays_exact(dialect: str, flags: tuple[str, ...], tmp_path: Path,
                                         request: pytest.FixtureRequest) -> None:
    db: Database = request.getfixturevalue({"postgresql": "pg_db", "mysql": "mysql_db", "sqlite": "sqlite_db"}[dialect])
    before = setup(db)
    mig = emit(INDEX_ONLY if dialect == "sqlite" else SPEC, dialect, tmp_path, *flags)
    db.run_sql_file(mig.up)
    after = db.schema_snapshot()
    db.run_sql_file(mig.up)
    assert db.schema_snapshot() == after
    db.run_sql_file(mig.down)
    back = db.schema_snapshot()
    assert (without(back, LEDGER) if dialect == "sqlite" else back) == before  # SQLite SQL keeps the empty ledger
    db.run_sql_file(mig.down)  # a second down: nothing to undo, no error
    assert db.schema_snapshot() == back
    if dialect != "sqlite":
        assert LEDGER not in db.table_names()
        db.run_sql_file(mig.down)  # and without any ledger table at all
        assert db.schema_snapshot() == before


def test_sql_down_of_a_migration_that_made_nothing(pg_db: Database, tmp_path: Path) -> None:
    """The fix was there before up (by hand, under fixgen's own name): up records only the marker; down leaves the
    index alone, and a lost ledger then makes down refuse (it cannot tell who made the index)."""
    setup(pg_db)
    pg_db.execute(["CREATE INDEX ix_posts_slug ON posts (slug)"])
    before = pg_db.schema_snapshot()
    mig = emit(INDEX_ONLY, "postgresql", tmp_path)
    pg_db.run_sql_file(mig.up)
    assert ledger_rows(pg_db) == []
    pg_db.run_sql_file(mig.down)
    assert pg_db.schema_snapshot() == before
    pg_db.run_sql_file(mig.up)
    lose(pg_db, "dropped")
    with pytest.raises(SqlRunError) as info:
        pg_db.run_sql_file(mig.down)
    assert_refusal(info.value.output, mig.up.name.removesuffix(".up.sql"))
    assert without(pg_db.schema_snapshot(), BACKUP) == before


# =========================================================================== Laravel, through the Migrator


@pytest.mark.parametrize("how", ["dropped", "emptied"])
def test_laravel_rollback_refuses_without_the_ledger(db: Database, how: str, tmp_path: Path) -> None:
    before = setup(db)
    migration = emit_laravel(SPEC, tmp_path / "migrations")
    name = migration.stem
    run_laravel(db, migration, "migrate")
    assert ledger_markers(db) == [name]
    applied = db.query(f"SELECT migration FROM {db.quote(MIGRATIONS)}")
    assert applied == [(name,)]
    lose(db, how)
    lost = db.schema_snapshot()
    with pytest.raises(LaravelRunError) as info:
        run_laravel(db, migration, "rollback")
    assert info.value.returncode != 0
    assert_refusal(info.value.stderr, name)
    assert db.schema_snapshot() == lost, "a refused rollback changed the schema"
    assert db.query(f"SELECT migration FROM {db.quote(MIGRATIONS)}") == applied  # still recorded as run
    restore(db, how)
    run_laravel(db, migration, "rollback")
    assert snapshot(db, MIGRATIONS) == before
    assert db.query(f"SELECT migration FROM {db.quote(MIGRATIONS)}") == []


def test_laravel_migrate_rollback_and_down_twice(db: Database, tmp_path: Path) -> None:
    before = setup(db)
    migration = emit_laravel(SPEC, tmp_path / "migrations")
    run_laravel(db, migration, "migrate")
    after = snapshot(db, MIGRATIONS)
    run_laravel(db, migration, "up")  # up twice
    assert snapshot(db, MIGRATIONS) == after
    run_laravel(db, migration, "rollback")
    assert snapshot(db, MIGRATIONS) == before
    run_laravel(db, migration, "down")  # down again, called directly: nothing to undo, no error
    assert snapshot(db, MIGRATIONS) == before


# =========================================================================== Alembic


@pytest.mark.parametrize("how", ["dropped", "emptied"])
def test_alembic_downgrade_refuses_without_the_ledger(db: Database, how: str, tmp_path: Path) -> None:
    before = setup(db)
    proj = project(tmp_path, db)
    values = module_values(emit_alembic(SPEC, proj.versions))
    rev, migration = values["revision"], values["MIGRATION"]
    proj.upgrade("head")
    assert ledger_markers(db) == [migration]
    lose(db, how)
    lost = db.schema_snapshot()
    with pytest.raises(CommandError) as info:
        proj.downgrade("base")
    assert_refusal(str(info.value), rev)
    assert db.schema_snapshot() == lost, "a refused downgrade changed the schema"
    assert version_rows(db) == [(rev,)]
    restore(db, how)
    proj.downgrade("base")
    assert snapshot(db, VERSION_TABLE) == before
    assert version_rows(db) == []


def test_alembic_upgrade_twice_then_downgrade_exact(db: Database, tmp_path: Path) -> None:
    before = setup(db)
    proj = project(tmp_path, db)
    emit_alembic(SPEC, proj.versions)
    proj.upgrade("head")
    after = snapshot(db, VERSION_TABLE)
    proj.stamp("base")
    proj.upgrade("head")
    assert snapshot(db, VERSION_TABLE) == after
    proj.downgrade("base")
    assert snapshot(db, VERSION_TABLE) == before



# =========================================================================== PostgreSQL, --no-online: one transaction


def test_plain_postgresql_laravel_rollback_refuses(pg_db: Database, tmp_path: Path) -> None:
    """Without online mode Laravel runs down in a transaction: the refusal rolls it back whole."""
    before = setup(pg_db)
    migration = emit_laravel(SPEC, tmp_path / "migrations", "--no-online")
    run_laravel(pg_db, migration, "migrate")
    lose(pg_db, "dropped")
    lost = pg_db.schema_snapshot()
    with pytest.raises(LaravelRunError) as info:
        run_laravel(pg_db, migration, "rollback")
    assert_refusal(info.value.stderr, migration.stem)
    assert pg_db.schema_snapshot() == lost
    restore(pg_db, "dropped")
    run_laravel(pg_db, migration, "rollback")
    assert snapshot(pg_db, MIGRATIONS) == before


def test_plain_postgresql_alembic_downgrade_refuses(pg_db: Database, tmp_path: Path) -> None:
    """Without online mode the downgrade runs in Alembic's transaction: the refusal rolls it back whole."""
    before = setup(pg_db)
    proj = project(tmp_path, pg_db)
    rev = module_values(emit_alembic(SPEC, proj.versions, "--no-online"))["revision"]
    proj.upgrade("head")
    lose(pg_db, "emptied")
    lost = pg_db.schema_snapshot()
    with pytest.raises(CommandError) as info:
        proj.downgrade("base")
    assert_refusal(str(info.value), rev)
    assert pg_db.schema_snapshot() == lost and version_rows(pg_db) == [(rev,)]
    restore(pg_db, "emptied")
    proj.downgrade("base")
    assert snapshot(pg_db, VERSION_TABLE) == before
