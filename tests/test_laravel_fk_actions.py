"""foreign_key_actions in the Laravel target, through real Laravel 8.83 on PostgreSQL and MariaDB (online and
--no-online) and SQLite (refused): the foreign key is re-created with other ON DELETE / ON UPDATE actions,
the rollback gives the old ones back, and the preflight refuses a key that is not what the spec says.

A crash between MySQL's drop and add (the two cannot share one ALTER) is made real with a copy of the
migration that throws right after the drop.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.dbs import Database
from support.laravel import emit_laravel, patched, run_fails, run_laravel
from support.roundtrip import ledger_rows

from fixgen.targets.context import LEDGER

pytestmark = pytest.mark.db  # real databases and PHP/Laravel

FK = "posts_user_id_fkey"
STEP = f"foreign_key_actions:posts:{FK}"
SCHEMA = [
    "CREATE TABLE users (id INTEGER PRIMARY KEY)",
    "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER, "
    f"CONSTRAINT {FK} FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL)",
    "INSERT INTO users (id) VALUES (1), (2)",
    "INSERT INTO posts (id, user_id) VALUES (1, 1), (2, 2), (3, NULL)",
]
CHANGE = {"kind": "foreign_key_actions", "table": "posts", "name": FK, "columns": ["user_id"],
          "references": "users.id", "on_delete": "cascade", "current_on_delete": "set_null"}
MODES = [(), ("--no-online",)]
MODE_IDS = ["online", "plain"]
NOTHING_CHANGED = "RuntimeException: fixgen: nothing was changed:"
# lines of the runtime where patched copies of a migration crash or race
DROP_LINE = "$this->removeForeignKey($table, $name); // the name stays free until the key is added back"
VALIDATE_LINE = "$notValid = $this->online() && $this->foreignKeyNotValid($table, $name);"
MYSQL_ADD_LINE = "$this->alter($table, 'add ' . $this->foreignKeyClause($key));"


def spec(*issues: dict) -> dict:
    return {"version": 1, "name": "fk_actions", "issues": list(issues)}


def server_db(request: pytest.FixtureRequest, dialect: str) -> Database:
    return request.getfixturevalue("pg_db" if dialect == "postgresql" else "mysql_db")


def drop_fk(dialect: str) -> str:
    verb = "CONSTRAINT" if dialect == "postgresql" else "FOREIGN KEY"
    return f"ALTER TABLE posts DROP {verb} {FK}"


def posts_fks(db: Database) -> list[tuple]:
    """(name, on_delete, on_update, valid) of posts' foreign keys, read from the catalog by dbs' snapshot."""
    return [(f["name"], f["on_delete"], f["on_update"], f["valid"]) for f in db.schema_snapshot()["posts"]["foreign_keys"]]



def preflight_problems(err: str) -> list[str]:
    """The ' - problem' lines after the preflight's header, which must be there."""
    lines = err.strip().splitlines()
    assert lines[0] == NOTHING_CHANGED, err
    return [line.removeprefix(" - ") for line in lines[1:]]


@pytest.mark.parametrize("flags", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_round_trip(dialect: str, flags: tuple[str, ...], request: pytest.FixtureRequest, tmp_path: Path) -> None:
    db = server_db(request, dialect)
    db.execute(SCHEMA)
    s0, d0 = db.schema_snapshot(), db.data_snapshot()
    assert posts_fks(db) == [(FK, "SET NULL", "NO ACTION", True)]
    migration = emit_laravel(spec(CHANGE), tmp_path, *flags)
    run_laravel(db, migration, "up")
    assert posts_fks(db) == [(FK, "CASCADE", "NO ACTION", True)]
    assert [r[1:] for r in ledger_rows(db)] == [(STEP, FK)]
    s1 = db.schema_snapshot()
    run_laravel(db, migration, "up")  # a no-op now
    assert db.schema_snapshot() == s1
    assert len(ledger_rows(db)) == 1
    db.execute("DELETE FROM users WHERE id = 2")  # the new action is in force
    assert db.query("SELECT id FROM posts ORDER BY id") == [(1,), (3,)]
    db.execute(["INSERT INTO users (id) VALUES (2)", "INSERT INTO posts (id, user_id) VALUES (2, 2)"])
    run_laravel(db, migration, "down")
    assert posts_fks(db) == [(FK, "SET NULL", "NO ACTION", True)]
    s_down = db.schema_snapshot()
    assert LEDGER not in s_down
    assert s_down == s0
    assert db.data_snapshot() == d0
    run_laravel(db, migration, "down")
    assert db.schema_snapshot() == s0


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_already_changed_by_hand_is_left_alone(dialect: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    db = server_db(request, dialect)
    db.execute(SCHEMA)
    db.execute([drop_fk(dialect), f"ALTER TABLE posts ADD CONSTRAINT {FK} FOREIGN KEY (user_id) REFERENCES users (id) "
                                  "ON DELETE CASCADE"])
    s_hand = db.schema_snapshot()
    migration = emit_laravel(spec(CHANGE), tmp_path)
    run_laravel(db, migration, "up")
    assert ledger_rows(db) == []  # present already: nothing recorded
    assert posts_fks(db) == [(FK, "CASCADE", "NO ACTION", True)]
    run_laravel(db, migration, "down")
    assert posts_fks(db) == [(FK, "CASCADE", "NO ACTION", True)]  # not up()'s doing: left as it is
    assert db.schema_snapshot() == s_hand


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_actions_that_are_neither_stop_the_run(dialect: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    db = server_db(request, dialect)
    db.execute(SCHEMA)
    db.execute([drop_fk(dialect), f"ALTER TABLE posts ADD CONSTRAINT {FK} FOREIGN KEY (user_id) REFERENCES users (id) "
                                  "ON DELETE CASCADE ON UPDATE CASCADE"])
    s0 = db.schema_snapshot()
    migration = emit_laravel(spec(CHANGE), tmp_path)
    assert preflight_problems(run_fails(db, migration, "up")) == [
        f"foreign key {FK} on posts has ON DELETE CASCADE ON UPDATE CASCADE, neither what the spec says it has now "
        "(ON DELETE SET NULL ON UPDATE NO ACTION) nor what it should have (ON DELETE CASCADE ON UPDATE NO ACTION)"]
    assert db.schema_snapshot() == s0
    assert LEDGER not in db.schema_snapshot()


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_missing_or_different_foreign_key_stops_the_run(dialect: str, request: pytest.FixtureRequest,
                                                        tmp_path: Path) -> None:
    """All problems at once: no key of that name; a key of that name on other columns; SET NULL wanted
    on a NOT NULL column."""
    db = server_db(request, dialect)
    db.execute([
        "CREATE TABLE users (id INTEGER PRIMARY KEY)",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER, editor_id INTEGER NOT NULL, "
        "CONSTRAINT posts_editor_fk FOREIGN KEY (editor_id) REFERENCES users (id), "
        "CONSTRAINT posts_user_fk FOREIGN KEY (editor_id) REFERENCES users (id) ON DELETE CASCADE)",
        "CREATE TABLE comments (id INTEGER PRIMARY KEY, user_id INTEGER)",
    ])
    s0 = db.schema_snapshot()
    migration = emit_laravel(spec(
        {**CHANGE, "table": "comments", "name": "comments_user_fk"},
        {**CHANGE, "name": "posts_user_fk"},
        {**CHANGE, "name": "posts_editor_fk", "columns": ["editor_id"], "on_delete": "set_null",
         "current_on_delete": "no_action"},
    ), tmp_path)
    assert preflight_problems(run_fails(db, migration, "up")) == [
        "no foreign key comments_user_fk on comments (the spec changes its actions)",
        "foreign key posts_user_fk on posts is not on (user_id) -> users (id)",
        "foreign key posts_editor_fk uses SET NULL but posts.editor_id is NOT NULL",
    ]
    assert db.schema_snapshot() == s0


@pytest.mark.parametrize("flags", MODES, ids=MODE_IDS)
def test_mysql_crash_between_drop_and_add_is_finished_by_a_rerun(flags: tuple[str, ...], mysql_db: Database,
                                                                 tmp_path: Path) -> None:
    db = mysql_db
    db.execute(SCHEMA)
    s0 = db.schema_snapshot()
    migration = emit_laravel(spec(CHANGE), tmp_path, *flags)
    crashing = patched(migration, tmp_path, DROP_LINE, "throw new RuntimeException('simulated crash');", indent=12)
    assert "simulated crash" in run_fails(db, crashing, "up")
    assert posts_fks(db) == []  # dropped, not added back yet
    assert [r[1] for r in ledger_rows(db)] == [STEP]
    run_laravel(db, migration, "up")  # the preflight lets a recorded, absent key through
    assert posts_fks(db) == [(FK, "CASCADE", "NO ACTION", True)]
    run_laravel(db, migration, "down")
    assert db.schema_snapshot() == s0


def test_sqlite_is_refused(sqlite_db: Database, tmp_path: Path) -> None:
    db = sqlite_db
    db.execute(SCHEMA)
    s0 = db.schema_snapshot()
    migration = emit_laravel(spec(CHANGE), tmp_path)
    assert preflight_problems(run_fails(db, migration, "up")) == [
        f"changing the actions of foreign key {FK} on posts needs a table rebuild on SQLite, which fixgen does not do "
        "for a constraint it did not write"]
    assert db.schema_snapshot() == s0


def test_pg_crash_before_validating_is_finished_by_a_rerun(pg_db: Database, tmp_path: Path) -> None:
    """Online: the key comes back NOT VALID in one brief transaction; a crash before VALIDATE leaves it so,
    and the rerun validates it."""
    db = pg_db
    db.execute(SCHEMA)
    s0 = db.schema_snapshot()
    migration = emit_laravel(spec(CHANGE), tmp_path)
    crashing = patched(migration, tmp_path, VALIDATE_LINE, "throw new RuntimeException('simulated crash');", before=True)
    assert "simulated crash" in run_fails(db, crashing, "up")
    assert posts_fks(db) == [(FK, "CASCADE", "NO ACTION", False)]
    run_laravel(db, migration, "up")
    assert posts_fks(db) == [(FK, "CASCADE", "NO ACTION", True)]
    assert "simulated crash" in run_fails(db, crashing, "down")  # the same crash on the way back
    assert posts_fks(db) == [(FK, "SET NULL", "NO ACTION", False)]
    run_laravel(db, migration, "down")
    assert db.schema_snapshot() == s0


def test_mysql_orphans_written_while_the_key_was_dropped_stop_the_run(mysql_db: Database, tmp_path: Path) -> None:
    """Online MySQL adds the key back with foreign_key_checks off (in place); rows written while it was
    absent are counted after, and foreign_key_checks is back on either way."""
    db = mysql_db
    db.execute(SCHEMA)
    migration = emit_laravel(spec(CHANGE), tmp_path)
    racing = patched(migration, tmp_path, MYSQL_ADD_LINE,
                     "$this->db()->statement('insert into posts (id, user_id) values (9, 99)');", before=True)
    err = run_fails(db, racing, "up")
    assert (f"1 orphan row(s) in posts (user_id) have no matching row in users (id); they were written while foreign key "
            f"{FK} was being re-created; fix or delete them and run the migration again; list them with: ") in err, err
    assert posts_fks(db) == [(FK, "CASCADE", "NO ACTION", True)]
    assert [r[1] for r in ledger_rows(db)] == [STEP]
    db.execute("DELETE FROM posts WHERE id = 9")
    run_laravel(db, migration, "down")
    assert posts_fks(db) == [(FK, "SET NULL", "NO ACTION", True)]
    assert LEDGER not in db.schema_snapshot()


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_with_a_rename_of_its_column(dialect: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The spec names the column by its new name; the preflight finds the key on the old one."""
    db = server_db(request, dialect)
    db.execute([s.replace("user_id INTEGER", "author_id INTEGER").replace("(user_id)", "(author_id)")
                .replace("(id, user_id)", "(id, author_id)") for s in SCHEMA])
    s0 = db.schema_snapshot()
    rename = {"kind": "rename_column", "table": "posts", "from": "author_id", "to": "user_id"}
    migration = emit_laravel(spec(rename, CHANGE), tmp_path)
    run_laravel(db, migration, "up")
    fk = db.schema_snapshot()["posts"]["foreign_keys"]
    assert [(f["name"], f["columns"], f["on_delete"]) for f in fk] == [(FK, ["user_id"], "CASCADE")]
    run_laravel(db, migration, "down")
    assert db.schema_snapshot() == s0
