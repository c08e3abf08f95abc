"""foreign_key_actions in the sql target: re-create an existing foreign key with other ON DELETE /
ON UPDATE actions, on real PostgreSQL and MariaDB, online and plain; the rollback gives the old
actions back. SQLite SQL refuses the kind at generation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.dbs import Database, SqlRunError
from support.roundtrip import TS, cli, fixgen_emit, ledger_rows, write_spec

from fixgen.targets.context import LEDGER

SCHEMA = [
    "CREATE TABLE users (id INTEGER PRIMARY KEY)",
    "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER, "
    "CONSTRAINT posts_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL)",
    "INSERT INTO users (id) VALUES (1), (2)",
    "INSERT INTO posts (id, user_id) VALUES (1, 1), (2, 2), (3, NULL)",
]
CHANGE = {"kind": "foreign_key_actions", "table": "posts", "name": "posts_user_id_fkey", "columns": ["user_id"],
          "references": "users.id", "on_delete": "cascade", "current_on_delete": "set_null"}
MODES = [(), ("--no-online",)]
MODE_IDS = ["online", "plain"]


def emit(tmp_path: Path, dialect: str, issues: list[dict], *flags: str) -> tuple[Path, Path]:
    spec = write_spec(tmp_path, {"version": 1, "name": "fk_actions", "issues": issues}, own_folder=True)
    out = spec.parent / "out"
    fixgen_emit(spec, "sql", out, "--dialect", dialect, *flags)
    return out / f"{TS}_fk_actions.up.sql", out / f"{TS}_fk_actions.down.sql"


def server_db(request: pytest.FixtureRequest, dialect: str) -> Database:
    return request.getfixturevalue("pg_db" if dialect == "postgresql" else "mysql_db")


def on_delete(db: Database) -> list[str]:
    """ON DELETE of posts' foreign keys, as the snapshot spells it."""
    return [fk["on_delete"] for fk in db.schema_snapshot()["posts"]["foreign_keys"]]


def run_fails(db: Database, path: Path) -> str:
    with pytest.raises(SqlRunError) as info:
        db.run_sql_file(path)
    return info.value.output


@pytest.mark.parametrize("flags", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_round_trip(dialect: str, flags: tuple[str, ...], request: pytest.FixtureRequest, tmp_path: Path) -> None:
    db = server_db(request, dialect)
    db.execute(SCHEMA)
    s0, d0 = db.schema_snapshot(), db.data_snapshot()
    assert on_delete(db) == ["SET NULL"]
    up, down = emit(tmp_path, dialect, [CHANGE], *flags)
    db.run_sql_file(up)
    assert on_delete(db) == ["CASCADE"]
    assert [r[1] for r in ledger_rows(db)] == ["foreign_key_actions:posts:posts_user_id_fkey"]
    s1 = db.schema_snapshot()
    db.run_sql_file(up)
    assert db.schema_snapshot() == s1
    db.execute("DELETE FROM users WHERE id = 2")  # the new action is in force
    assert db.query("SELECT id FROM posts ORDER BY id") == [(1,), (3,)]
    db.execute("INSERT INTO users (id) VALUES (2)")
    db.execute("INSERT INTO posts (id, user_id) VALUES (2, 2)")
    db.run_sql_file(down)
    assert db.schema_snapshot() == s0
    assert db.data_snapshot() == d0
    db.run_sql_file(down)
    assert db.schema_snapshot() == s0


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_already_changed_by_hand_is_left_alone(dialect: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    db = server_db(request, dialect)
    db.execute(SCHEMA)
    drop = ("ALTER TABLE posts DROP CONSTRAINT posts_user_id_fkey" if dialect == "postgresql"
            else "ALTER TABLE posts DROP FOREIGN KEY posts_user_id_fkey")
    db.execute([drop, "ALTER TABLE posts ADD CONSTRAINT posts_user_id_fkey FOREIGN KEY (user_id) "
                      "REFERENCES users (id) ON DELETE CASCADE"])
    s0 = db.schema_snapshot()
    up, down = emit(tmp_path, dialect, [CHANGE])
    db.run_sql_file(up)
    assert ledger_rows(db) == []
    db.run_sql_file(down)
    assert db.schema_snapshot() == s0  # still CASCADE: down undoes only what up did


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_other_actions_or_no_such_key_stop_up_before_any_change(dialect: str, request: pytest.FixtureRequest,
                                                                tmp_path: Path) -> None:
    db = server_db(request, dialect)
    db.execute(SCHEMA)
    s0 = db.schema_snapshot()
    restrict = {**CHANGE, "current_on_delete": "restrict"}  # the spec's "current" is not what the database has
    ghost = {**CHANGE, "table": "users", "name": "users_ghost_fkey", "columns": ["id"], "references": "posts.id"}
    up, _ = emit(tmp_path, dialect, [restrict, ghost])
    out = run_fails(db, up)
    # what the database has, in its own words (MariaDB reports RESTRICT for an ON UPDATE left out)
    has = "ON DELETE SET NULL ON UPDATE " + ("NO ACTION" if dialect == "postgresql" else "RESTRICT")
    assert (f"foreign key posts_user_id_fkey on posts has {has}, neither what the spec "
            "says it has now (ON DELETE RESTRICT ON UPDATE NO ACTION) nor what it should have "
            "(ON DELETE CASCADE ON UPDATE NO ACTION)") in out
    assert "no foreign key users_ghost_fkey on users (the spec changes its actions)" in out
    assert db.schema_snapshot() == s0


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_set_null_on_a_not_null_column_stops_up(dialect: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    db = server_db(request, dialect)
    db.execute(["CREATE TABLE users (id INTEGER PRIMARY KEY)",
                "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, "
                "CONSTRAINT posts_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE)"])
    s0 = db.schema_snapshot()
    up, _ = emit(tmp_path, dialect, [{**CHANGE, "on_delete": "set_null", "current_on_delete": "cascade"}])
    assert "foreign key posts_user_id_fkey uses SET NULL but posts.user_id is NOT NULL" in run_fails(db, up)
    assert db.schema_snapshot() == s0


@pytest.mark.parametrize("flags", MODES, ids=MODE_IDS)
def test_mysql_crash_between_drop_and_add_is_finished_by_the_next_run(flags: tuple[str, ...], mysql_db: Database,
                                                                      tmp_path: Path) -> None:
    """InnoDB needs two statements (drop, then add: one name cannot be dropped and added in one ALTER);
    a run cut between them leaves the key absent but recorded, which the next run's preflight accepts."""
    db = mysql_db
    db.execute(SCHEMA)
    s0 = db.schema_snapshot()
    up, down = emit(tmp_path, "mysql", [CHANGE], *flags)
    text = up.read_text(encoding="utf-8")
    drop_at = text.index("'ALTER TABLE `posts` DROP FOREIGN KEY `posts_user_id_fkey`")
    run = re.compile(r"(DEALLOCATE PREPARE fixgen_stmt;|CALL `fixgen_retry_\w+`\('posts'\);)\n")  # plain, online
    cut = run.search(text, drop_at).end()
    part = tmp_path / "part.up.sql"
    part.write_text(text[:cut], encoding="utf-8")
    db.run_sql_file(part)
    assert on_delete(db) == []  # dropped, not yet added
    db.run_sql_file(up)
    assert on_delete(db) == ["CASCADE"]
    db.run_sql_file(down)
    assert db.schema_snapshot() == s0


def test_postgresql_crash_before_validation_is_finished_by_the_next_run(pg_db: Database, tmp_path: Path) -> None:
    db = pg_db
    db.execute(SCHEMA)
    s0 = db.schema_snapshot()
    up, down = emit(tmp_path, "postgresql", [CHANGE])
    text = up.read_text(encoding="utf-8")
    cut = text.index("\\endif\n", text.index("NOT VALID;")) + len("\\endif\n")
    part = tmp_path / "part.up.sql"
    part.write_text(text[:cut], encoding="utf-8")
    db.run_sql_file(part)
    validated = "SELECT confdeltype, convalidated FROM pg_constraint WHERE conname = 'posts_user_id_fkey'"
    assert db.query(validated) == [("c", False)]
    db.run_sql_file(up)
    assert db.query(validated) == [("c", True)]
    db.run_sql_file(down)
    assert db.query(validated) == [("n", True)]
    assert db.schema_snapshot() == s0
    assert LEDGER not in db.table_names()


def test_sqlite_sql_refuses_the_kind(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, {"version": 1, "issues": [CHANGE]})
    run = cli("emit", spec, "--target", "sql", "--dialect", "sqlite")
    assert run.code == 2, run.output
    assert "sqlite SQL cannot change foreign key posts_user_id_fkey on posts" in run.output
