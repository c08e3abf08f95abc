"""Spec kind `foreign_key_actions` in the `alembic` target, through real Alembic on PostgreSQL and MariaDB.

The revision re-creates an existing foreign key with other ON DELETE / ON UPDATE actions
(templates/alembic/revision.py.j2 `_change_foreign_key_actions`; design: notes/fk-actions-design.md):
PostgreSQL in one ALTER TABLE (DROP CONSTRAINT IF EXISTS + ADD CONSTRAINT; online: NOT VALID, then
VALIDATE), MySQL/MariaDB in two guarded statements (online: foreign_key_checks off, ALGORITHM=INPLACE,
LOCK=NONE). Each test runs online (the default) and --no-online, and checks the catalogs
(pg_constraint, information_schema.referential_constraints), what a DELETE of a parent row really
does, the ledger, and the exact schema snapshot after downgrade. No mocks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from support.alembic import after_alembic, emit_alembic, module_values, project, version_rows
from support.dbs import Database
from support.roundtrip import LEDGER, assert_schema, ledger_rows
from test_alembic_online import upgrade_behind_an_open_write

try:
    from alembic.util import CommandError
except ImportError:  # pragma: no cover - test_alembic_target skips (or fails under CI) first
    pytest.skip("alembic is not installed", allow_module_level=True)

pytestmark = pytest.mark.db

FK = "fk_posts_user"
STEP = f"foreign_key_actions:posts:{FK}"
MODES = {"online": (), "plain": ("--no-online",)}
PAIRS = [(d, m) for d in ("postgresql", "mysql") for m in MODES]


def tables(on_delete: str = "SET NULL", user_id: str = "INTEGER", fk: str | None = FK, extra: str = "") -> list[str]:
    """users <- posts, the foreign key `fk` (None: none) declared with `on_delete` (and `extra`)."""
    constraint = (f", CONSTRAINT {fk} FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE {on_delete}{extra}"
                  if fk else "")
    return [
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL)",
        f"CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id {user_id}{constraint})",
        "INSERT INTO users (id, email) VALUES (1, 'a@example.com'), (2, 'b@example.com')",
        "INSERT INTO posts (id, user_id) VALUES (1, 1), (2, 2), (3, 1)",
    ]


def spec(**fields: Any) -> dict[str, Any]:
    issue = {"kind": "foreign_key_actions", "table": "posts", "name": FK, "column": "user_id",
             "references": "users.id", "on_delete": "cascade", "current_on_delete": "set_null", **fields}
    return {"version": 1, "name": "fk_actions", "issues": [issue]}


def catalog_actions(db: Database, name: str = FK) -> tuple[str, str, bool] | None:
    """(ON DELETE, ON UPDATE, validated) of the foreign key, straight from the catalog."""
    if db.dialect == "postgresql":
        codes = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
        rows = db.query("SELECT confdeltype, confupdtype, convalidated FROM pg_constraint WHERE conname = :n", {"n": name})
        return None if not rows else (codes[rows[0][0]], codes[rows[0][1]], rows[0][2])
    rows = db.query("SELECT delete_rule, update_rule FROM information_schema.referential_constraints "
                    "WHERE constraint_schema = DATABASE() AND constraint_name = :n", {"n": name})
    return None if not rows else (rows[0][0], rows[0][1], True)


def after_deleting_user_1(db: Database) -> list[tuple]:
    """The posts rows once user 1 is deleted (in a transaction rolled back): what the ON DELETE action does."""
    with db.engine.connect() as conn:
        # the test engine autocommits: a transaction of its own on this connection
        conn = conn.execution_options(isolation_level=conn.default_isolation_level)
        with conn.begin() as tx:
            conn.execute(sa.text("DELETE FROM users WHERE id = 1"))
            rows = sorted(tuple(r) for r in conn.execute(sa.text("SELECT id, user_id FROM posts")))
            tx.rollback()
    assert sorted(db.query("SELECT id FROM users")) == [(1,), (2,)]
    return rows


SET_NULL_ROWS = [(1, None), (2, 2), (3, None)]
CASCADE_ROWS = [(2, 2)]


def upgrade_fails(proj: Any) -> str:
    with pytest.raises(CommandError) as info:
        proj.upgrade("head")
    return str(info.value)


# =========================================================================== the change and its rollback


@pytest.mark.parametrize(("db", "mode"), PAIRS, indirect=["db"])
def test_change_and_exact_rollback(db: Database, mode: str, tmp_path: Path) -> None:
    """SET NULL -> CASCADE: upgrade re-creates the key under its name, stamp base + upgrade changes nothing,
    downgrade gives SET NULL back and the exact schema."""
    db.execute(tables())
    s0 = db.schema_snapshot()
    assert catalog_actions(db) == ("SET NULL", "RESTRICT" if db.dialect == "mysql" else "NO ACTION", True)
    assert after_deleting_user_1(db) == SET_NULL_ROWS
    proj = project(tmp_path, db)
    path = emit_alembic(spec(), proj.versions, *MODES[mode])
    rev = module_values(path)["revision"]
    assert ("NOT VALID" in path.read_text(encoding="utf-8")) == (mode == "online")

    proj.upgrade("head")
    # MariaDB reports an ON UPDATE re-declared as NO ACTION as such (it said RESTRICT when left out)
    assert catalog_actions(db) == ("CASCADE", "NO ACTION", True)
    assert after_deleting_user_1(db) == CASCADE_ROWS
    assert [r[1:] for r in ledger_rows(db)] == [(STEP, FK)]
    assert version_rows(db) == [(rev,)]
    s1 = after_alembic(db)
    assert [fk["name"] for fk in s1["posts"]["foreign_keys"]] == [FK]

    proj.stamp("base")
    proj.upgrade("head")
    assert_schema(after_alembic(db), s1, "stamp base + upgrade")
    assert [r[1:] for r in ledger_rows(db)] == [(STEP, FK)]

    proj.downgrade("base")
    assert catalog_actions(db)[0] == "SET NULL"
    assert after_deleting_user_1(db) == SET_NULL_ROWS
    assert LEDGER not in db.table_names()
    assert_schema(after_alembic(db), s0, "after downgrade")


@pytest.mark.parametrize(("db", "mode"), PAIRS, indirect=["db"])
def test_already_changed_by_hand_is_left_alone(db: Database, mode: str, tmp_path: Path) -> None:
    """The key already has the wanted actions under the same name: nothing recorded, downgrade leaves it."""
    db.execute(tables(on_delete="CASCADE"))
    s0 = db.schema_snapshot()
    proj = project(tmp_path, db)
    emit_alembic(spec(), proj.versions, *MODES[mode])
    proj.upgrade("head")
    assert ledger_rows(db) == []
    assert_schema(without_ledger(db), s0, "after upgrade")
    proj.downgrade("base")
    assert catalog_actions(db)[0] == "CASCADE"
    assert after_deleting_user_1(db) == CASCADE_ROWS
    assert_schema(after_alembic(db), s0, "after downgrade")


def without_ledger(db: Database) -> dict:
    s = after_alembic(db)
    s.pop(LEDGER)
    return s


# =========================================================================== preflight


@pytest.mark.parametrize(("db", "mode"), PAIRS, indirect=["db"])
def test_preflight_actions_neither_current_nor_wanted(db: Database, mode: str, tmp_path: Path) -> None:
    db.execute(tables(on_delete="RESTRICT", extra=" ON UPDATE CASCADE"))
    s0 = db.schema_snapshot()
    proj = project(tmp_path, db)
    emit_alembic(spec(), proj.versions, *MODES[mode])
    assert upgrade_fails(proj) == (
        "fixgen: nothing was changed:\n - foreign key fk_posts_user on posts has ON DELETE RESTRICT ON UPDATE CASCADE, "
        "neither what the spec says it has now (ON DELETE SET NULL ON UPDATE NO ACTION) nor what it should have "
        "(ON DELETE CASCADE ON UPDATE NO ACTION)")
    assert_schema(after_alembic(db), s0, "after the refused upgrade")
    assert version_rows(db) == []


@pytest.mark.parametrize(("db", "mode"), PAIRS, indirect=["db"])
def test_preflight_no_foreign_key_of_that_name(db: Database, mode: str, tmp_path: Path) -> None:
    """Another name on the same columns does not count: the spec names the constraint to re-create."""
    db.execute(tables(fk="fk_other"))
    s0 = db.schema_snapshot()
    proj = project(tmp_path, db)
    emit_alembic(spec(), proj.versions, *MODES[mode])
    assert upgrade_fails(proj) == ("fixgen: nothing was changed:\n"
                                   " - no foreign key fk_posts_user on posts (the spec changes its actions)")
    assert_schema(after_alembic(db), s0, "after the refused upgrade")


@pytest.mark.parametrize("db", ["postgresql", "mysql"], indirect=True)
def test_preflight_set_null_on_not_null_column_and_other_definition(db: Database, tmp_path: Path) -> None:
    db.execute([
        "CREATE TABLE users (id INTEGER PRIMARY KEY, other_id INTEGER NOT NULL UNIQUE)",
        f"CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, CONSTRAINT {FK} "
        "FOREIGN KEY (user_id) REFERENCES users (other_id) ON DELETE CASCADE)",
    ])
    s0 = db.schema_snapshot()
    proj = project(tmp_path, db)
    emit_alembic(spec(on_delete="set_null", current_on_delete="cascade"), proj.versions)
    assert upgrade_fails(proj) == (
        "fixgen: nothing was changed:\n"
        " - foreign key fk_posts_user on posts is not on (user_id) -> users (id)\n"
        " - foreign key fk_posts_user uses SET NULL but posts.user_id is NOT NULL")
    assert_schema(after_alembic(db), s0, "after the refused upgrade")


@pytest.mark.parametrize("mode", MODES)
def test_sqlite_is_refused(sqlite_db: Database, mode: str, tmp_path: Path) -> None:
    db = sqlite_db
    db.execute(tables())
    s0 = db.schema_snapshot()
    proj = project(tmp_path, db)
    emit_alembic(spec(), proj.versions, *MODES[mode])
    assert upgrade_fails(proj) == (
        "fixgen: nothing was changed:\n - changing the actions of foreign key fk_posts_user on posts needs a table "
        "rebuild on SQLite, which fixgen does not do for a constraint it did not write")
    assert_schema(after_alembic(db), s0, "after the refused upgrade")


# =========================================================================== interruptions


def test_mysql_stopped_between_drop_and_add(mysql_db: Database, tmp_path: Path) -> None:
    """MariaDB re-creates the key in two statements; a run stopped after the drop (made here from a real
    run: upgrade, the key dropped by hand, alembic_version emptied) leaves it absent with the step
    recorded. The preflight lets that through and the next upgrade adds the key."""
    db = mysql_db
    db.execute(tables())
    s0 = db.schema_snapshot()
    proj = project(tmp_path, db)
    emit_alembic(spec(), proj.versions)
    proj.upgrade("head")
    s1 = after_alembic(db)
    db.execute(f"ALTER TABLE posts DROP FOREIGN KEY {FK}")
    proj.stamp("base")
    proj.upgrade("head")
    assert catalog_actions(db) == ("CASCADE", "NO ACTION", True)
    assert_schema(after_alembic(db), s1, "after the second upgrade")
    proj.downgrade("base")
    assert_schema(after_alembic(db), s0, "after downgrade")


def test_pg_stopped_before_validate(pg_db: Database, tmp_path: Path) -> None:
    """Online PostgreSQL re-adds the key NOT VALID and then validates it; a run stopped in between
    (made from a real run as above) is finished by the next upgrade."""
    db = pg_db
    db.execute(tables())
    s0 = db.schema_snapshot()
    proj = project(tmp_path, db)
    emit_alembic(spec(), proj.versions)
    proj.upgrade("head")
    s1 = after_alembic(db)
    db.execute(f"ALTER TABLE posts DROP CONSTRAINT {FK}, ADD CONSTRAINT {FK} FOREIGN KEY (user_id) "
               "REFERENCES users (id) ON DELETE CASCADE NOT VALID")
    proj.stamp("base")
    assert catalog_actions(db) == ("CASCADE", "NO ACTION", False)
    proj.upgrade("head")
    assert catalog_actions(db) == ("CASCADE", "NO ACTION", True)
    assert_schema(after_alembic(db), s1, "after the second upgrade")
    proj.downgrade("base")
    assert_schema(after_alembic(db), s0, "after downgrade")


def test_mysql_orphan_written_while_the_key_is_re_created_is_caught(mysql_db: Database, tmp_path: Path) -> None:
    """Online MariaDB adds the re-created key with foreign_key_checks off, which checks no existing row;
    the rows are counted again afterwards. Another session inserts an orphan (with its own checks off:
    it stands in for a row written in the moment between the drop and the add) in an open transaction
    whose metadata lock holds the revision's first ALTER back until it commits."""
    db = mysql_db
    db.execute(tables())
    s0 = db.schema_snapshot()
    proj = project(tmp_path, db)
    emit_alembic(spec(), proj.versions, "--lock-timeout", "20s")
    error = upgrade_behind_an_open_write(proj, db, "SET SESSION foreign_key_checks = 0",
                                         "INSERT INTO posts (id, user_id) VALUES (9, 99)")
    assert isinstance(error, CommandError), repr(error)
    message = str(error)
    assert message.startswith("fixgen: 1 orphan row(s) in posts (user_id): no matching row in users (id); they were "
                              f"written while foreign key {FK} was being re-created; fix or delete them and run the "
                              "upgrade again; list them with: "), message
    assert [r[0] for r in db.query(message.split("list them with: ", 1)[1])] == [9]
    assert catalog_actions(db) == ("CASCADE", "NO ACTION", True)  # re-created, not stamped
    assert version_rows(db) == []

    with pytest.raises(CommandError):  # still there: every upgrade checks again
        proj.upgrade("head")
    db.execute("DELETE FROM posts WHERE id = 9")
    proj.upgrade("head")
    assert len(version_rows(db)) == 1
    proj.downgrade("base")
    assert_schema(after_alembic(db), s0, "after downgrade")


@pytest.mark.parametrize("db", ["postgresql", "mysql"], indirect=True)
def test_restrict_is_no_action_on_mysql_only(db: Database, tmp_path: Path) -> None:
    """A key declared ON DELETE RESTRICT, a spec that says it has NO ACTION (the default): one action in
    InnoDB, so MariaDB takes it (and its rollback gives NO ACTION back, the same key); PostgreSQL
    compares exactly and refuses."""
    db.execute(tables(on_delete="RESTRICT"))
    s0 = db.schema_snapshot()
    proj = project(tmp_path, db)
    emit_alembic(spec(current_on_delete="no_action"), proj.versions)
    if db.dialect == "postgresql":
        assert upgrade_fails(proj) == (
            "fixgen: nothing was changed:\n - foreign key fk_posts_user on posts has ON DELETE RESTRICT ON UPDATE "
            "NO ACTION, neither what the spec says it has now (ON DELETE NO ACTION ON UPDATE NO ACTION) nor what it "
            "should have (ON DELETE CASCADE ON UPDATE NO ACTION)")
        assert_schema(after_alembic(db), s0, "after the refused upgrade")
        return
    proj.upgrade("head")
    assert catalog_actions(db) == ("CASCADE", "NO ACTION", True)
    proj.downgrade("base")
    assert catalog_actions(db) == ("NO ACTION", "NO ACTION", True)
    assert_schema(after_alembic(db), s0, "after downgrade")  # the snapshot reports RESTRICT as NO ACTION on MySQL
