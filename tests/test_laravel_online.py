"""Online mode in the Laravel target, through real Laravel 8.83 on PostgreSQL and MariaDB.

The migration runs without a transaction ($withinTransaction = false), so interruptions are
made real: a concurrent unique build that fails over duplicates, a crash between adding a
foreign key NOT VALID and validating it (a copy of the migration with a throw at that point),
a lock held by another session, rows written between the preflight and an in-place MySQL
foreign key.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.dbs import Database
from support.laravel import emit_laravel, patched, run_fails, run_laravel
from support.roundtrip import POSTS, POSTS_FK, UNIQUE_SLUG, ledger_rows, load_seed, lock_held, older_transaction, pg_index

from fixgen.targets.context import LEDGER

pytestmark = pytest.mark.db  # real databases and PHP/Laravel

FK_NAME = "posts_user_id_foreign"


def spec(*issues: dict) -> dict:
    return {"version": 1, "name": "online", "issues": list(issues)}




def test_online_migration_runs_outside_a_transaction(tmp_path: Path) -> None:
    text = emit_laravel(spec(UNIQUE_SLUG), tmp_path).read_text(encoding="utf-8")
    assert "public $withinTransaction = false;" in text
    assert "private const LOCK_TIMEOUT_MS = 500;" in text


def test_pg_failed_concurrent_unique_build_is_rebuilt(pg_db: Database, tmp_path: Path) -> None:
    db = pg_db
    db.execute(POSTS)
    s0 = db.schema_snapshot()
    migration = emit_laravel(spec(UNIQUE_SLUG), tmp_path)
    err = run_fails(db, migration, "up")
    assert "could not create unique index" in err, err
    assert pg_index(db, "posts_slug_unique") == (False, True)  # what the interrupted build left
    db.execute("DELETE FROM posts WHERE id = 3")
    run_laravel(db, migration, "up")
    assert pg_index(db, "posts_slug_unique") == (True, True)
    run_laravel(db, migration, "up")
    run_laravel(db, migration, "down")
    assert pg_index(db, "posts_slug_unique") is None
    s_down = db.schema_snapshot()
    assert LEDGER not in s_down
    assert s_down == s0


def test_pg_foreign_key_left_not_valid_by_a_crash_is_validated(pg_db: Database, tmp_path: Path) -> None:
    db = pg_db
    db.execute([*POSTS, "DELETE FROM posts WHERE id = 3"])
    s0 = db.schema_snapshot()
    migration = emit_laravel(spec(POSTS_FK), tmp_path)
    crashing = patched(migration, tmp_path, "$this->alter($table, 'add ' . $this->foreignKeyClause($key) . ' not valid');",
                       "throw new RuntimeException('simulated crash');")
    assert "simulated crash" in run_fails(db, crashing, "up")
    validated = f"SELECT convalidated FROM pg_constraint WHERE conname = '{FK_NAME}'"
    assert db.query(validated) == [(False,)]
    run_laravel(db, migration, "up")
    assert db.query(validated) == [(True,)]
    run_laravel(db, migration, "down")
    assert db.schema_snapshot() == s0


def test_pg_concurrent_build_waits_for_older_transactions_despite_the_lock_timeout(pg_db: Database,
                                                                                   tmp_path: Path) -> None:
    """The lock timeout is lifted around the concurrent build (it must wait for every older
    transaction, which holds up no writer) and restored after it."""
    db = pg_db
    db.execute([*POSTS, "DELETE FROM posts WHERE id = 3", "CREATE TABLE audit (id INTEGER PRIMARY KEY)"])
    s0 = db.schema_snapshot()
    migration = emit_laravel(spec(UNIQUE_SLUG, POSTS_FK), tmp_path, "--lock-timeout", "200ms")
    with older_transaction(db, 1.5, "users"):
        run_laravel(db, migration, "up")
    assert pg_index(db, "posts_slug_unique") == (True, True)
    with older_transaction(db, 1.5, "audit"):  # dropping the foreign key needs ACCESS EXCLUSIVE on users
        run_laravel(db, migration, "down")
    assert db.schema_snapshot() == s0


def test_pg_lock_timeout_fails_fast_then_a_rerun_finishes(pg_db: Database, tmp_path: Path) -> None:
    db = pg_db
    load_seed(db)
    s0 = db.schema_snapshot()
    rename = {"kind": "rename_column", "table": "webhooks", "from": "created_by_user_id", "to": "user_id"}
    migration = emit_laravel(spec(rename), tmp_path, "--lock-timeout", "300ms", "--lock-wait", "0")  # one try
    with lock_held(db, "SELECT count(*) FROM webhooks"):  # ACCESS SHARE until rollback
        err = run_fails(db, migration, "up")
        assert "gave up waiting for a lock on webhooks" in err and "held by: pid " in err, err
    run_laravel(db, migration, "up")
    assert any(c["name"] == "user_id" for c in db.schema_snapshot()["webhooks"]["columns"])
    run_laravel(db, migration, "down")
    assert db.schema_snapshot() == s0


def test_mysql_orphans_written_before_the_in_place_foreign_key_stop_the_run(mysql_db: Database, tmp_path: Path) -> None:
    db = mysql_db
    db.execute([*POSTS, "DELETE FROM posts WHERE id = 3"])
    s0 = db.schema_snapshot()
    migration = emit_laravel(spec(POSTS_FK), tmp_path)
    # a writer's row lands after the preflight, before the ALTER (which skips existing rows)
    racing = patched(migration, tmp_path, "$this->alter($table, 'add ' . $this->foreignKeyClause($key));",
                     "$this->db()->statement(\"insert into posts (id, user_id, slug) values (9, 99, 'x')\");",
                     before=True)
    err = run_fails(db, racing, "up")
    assert "1 orphan row(s) in posts (user_id) have no matching row in users (id)" in err, err
    assert f"were written while foreign key {FK_NAME} was being added" in err, err
    assert [f["name"] for f in db.schema_snapshot()["posts"]["foreign_keys"]] == [FK_NAME]
    assert len(ledger_rows(db)) == 2  # the foreign key and the index the plan adds to serve it
    db.execute("DELETE FROM posts WHERE id = 9")
    run_laravel(db, migration, "up")
    run_laravel(db, migration, "down")
    assert db.schema_snapshot() == s0


def test_mysql_lock_wait_timeout_fails_fast_then_a_rerun_finishes(mysql_db: Database, tmp_path: Path) -> None:
    """An open transaction that read the table holds a metadata lock the rename needs: with
    lock_wait_timeout from --lock-timeout the step gives up instead of queueing writers."""
    db = mysql_db
    load_seed(db)
    s0 = db.schema_snapshot()
    rename = {"kind": "rename_column", "table": "webhooks", "from": "created_by_user_id", "to": "user_id"}
    migration = emit_laravel(spec(rename), tmp_path, "--lock-timeout", "1s", "--lock-wait", "0")  # one try
    with lock_held(db, "SELECT count(*) FROM webhooks"):  # metadata lock until rollback
        err = run_fails(db, migration, "up")
        assert "gave up waiting for a lock on webhooks" in err, err
    run_laravel(db, migration, "up")
    assert any(c["name"] == "user_id" for c in db.schema_snapshot()["webhooks"]["columns"])
    run_laravel(db, migration, "down")
    assert db.schema_snapshot() == s0


def test_mysql_index_that_replaces_an_implicit_foreign_key_index_rolls_back_exactly(mysql_db: Database,
                                                                                     tmp_path: Path) -> None:
    """InnoDB drops its own index for a foreign key once up()'s index leads with the key's
    columns; down() gives it back (named as InnoDB names it) before dropping up()'s index."""
    db = mysql_db
    db.execute([
        "CREATE TABLE tenants (id INT PRIMARY KEY)",
        "CREATE TABLE users (id INT PRIMARY KEY, tenant_id INT, email VARCHAR(100), "
        "CONSTRAINT fk_users_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id))",
        "CREATE TABLE members (id INT PRIMARY KEY, tenant_id INT, team_id INT, FOREIGN KEY (tenant_id) REFERENCES tenants (id))",
    ])
    s0 = db.schema_snapshot()
    for flags in ((), ("--no-online",)):
        migration = emit_laravel(spec({"kind": "missing_index", "table": "users", "columns": ["tenant_id", "email"],
                                       "unique": True},
                                      {"kind": "missing_index", "table": "members", "columns": ["tenant_id", "team_id"]}),
                                 tmp_path / f"m{len(flags)}", *flags)
        run_laravel(db, migration, "up")
        s1 = db.schema_snapshot()
        if not flags:  # first round: InnoDB dropped its implicit indexes
            assert [i["name"] for i in s1["users"]["indexes"]] == ["users_tenant_id_email_unique"]
            assert [i["name"] for i in s1["members"]["indexes"]] == ["members_tenant_id_team_id_index"]
        # second round: the indexes down gave back are ordinary ones, which InnoDB keeps (MySQL's
        # catalog cannot tell an implicit index from one made by hand: same name, same columns)
        run_laravel(db, migration, "down")
        assert db.schema_snapshot() == s0, flags
