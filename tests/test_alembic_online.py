"""Online mode of the `alembic` target (the default), through real Alembic on PostgreSQL and MariaDB.

The revision decides at run time by the connection's dialect (templates/alembic/revision.py.j2):
PostgreSQL runs its steps in Alembic's autocommit_block (no surrounding transaction), builds and
drops indexes CONCURRENTLY, adds foreign keys NOT VALID then validates them, and sets
lock_timeout/statement_timeout; MySQL/MariaDB appends ALGORITHM=INPLACE, LOCK=NONE and adds
foreign keys with foreign_key_checks off, checking the rows again afterwards. The seed round
trip in online mode is tests/test_alembic_target.py (online is the default); here: the
interruptions online mode must survive, timeouts, the env.py shapes autocommit_block accepts
or refuses, and that --no-online still works. Interruptions are real: a failing concurrent
unique build, a lock held by another session, rows written while a foreign key is added.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.util import CommandError
from support.alembic import Project, after_alembic, emit_alembic, module_values, project, version_rows
from support.dbs import Database
from support.roundtrip import (
    LEDGER,
    POSTS,
    POSTS_FK,
    UNIQUE_SLUG,
    assert_schema,
    ledger_rows,
    load_seed,
    lock_held,
    older_transaction,
    pg_index,
)

try:
    from alembic.util import CommandError
except ImportError:  # pragma: no cover - test_alembic_target skips (or fails under CI) first
    pytest.skip("alembic is not installed", allow_module_level=True)

pytestmark = pytest.mark.db

FK_NAME = "fk_posts_user_id_users"
SEED_RENAME = {"kind": "rename_column", "table": "webhooks", "from": "created_by_user_id", "to": "user_id"}
SEED_INDEX = {"kind": "missing_index", "table": "api_keys", "columns": ["tenant_id", "name"]}


def spec(*issues: dict[str, Any], name: str = "online") -> dict[str, Any]:
    return {"version": 1, "name": name, "issues": list(issues)}



def pg_fk_validated(db: Database, name: str) -> list[tuple]:
    return db.query("SELECT convalidated FROM pg_constraint WHERE conname = :n", {"n": name})


def edit_env(proj: Project, old: str, new: str) -> None:
    """A variant of tests/alembic_env/env.py, as a user's project may have it."""
    env = proj.root / "env.py"
    text = env.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    env.write_text(text.replace(old, new), encoding="utf-8")


# a revision after fixgen's that records the session settings it finds: the fix must restore them,
# since Alembic runs later revisions of the same `upgrade` on the same connection
SETTINGS_QUERY = {
    "postgresql": "select current_setting('lock_timeout'), current_setting('statement_timeout')",
    "mysql": "SELECT @@SESSION.lock_wait_timeout, @@SESSION.innodb_lock_wait_timeout",
}
LATER_REVISION = '''"""records the session settings it runs with

Revision ID: {rev}
Revises: {down}
"""
from alembic import op
import sqlalchemy as sa

revision = {rev!r}
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    a, b = bind.execute(sa.text({query!r})).one()
    level = bind.get_isolation_level()
    op.create_table("seen", sa.Column("k", sa.String(40)), sa.Column("v", sa.String(40)))
    op.execute(sa.text("INSERT INTO seen (k, v) VALUES ('a', :a), ('b', :b), ('level', :c)").bindparams(
        a=str(a), b=str(b), c=str(level)))


def downgrade():
    op.drop_table("seen")
'''


def add_later_revision(proj: Project, dialect: str, down: str) -> str:
    rev = "f0f0f0f0f0f0"
    text = LATER_REVISION.format(rev=rev, down=down, query=SETTINGS_QUERY[dialect])
    (proj.versions / f"{rev}_records_settings.py").write_text(text, encoding="utf-8")
    return rev


def seen(db: Database) -> dict[str, str]:
    return dict(db.query("SELECT k, v FROM seen"))


# =========================================================================== PostgreSQL


def test_pg_interrupted_concurrent_build_is_dropped_and_rebuilt(pg_db: Database, tmp_path: Path) -> None:
    """A unique build over duplicate rows fails half-way: CONCURRENTLY leaves an INVALID index under
    our name and, with no surrounding transaction, the ledger row stays. The next upgrade must not
    take the leftover for the index (nor the preflight for a name clash): it drops and rebuilds it."""
    db = pg_db
    db.execute(POSTS)
    s0 = db.schema_snapshot()
    proj = project(tmp_path, db)
    rev = module_values(emit_alembic(spec(UNIQUE_SLUG), proj.versions))["revision"]

    with pytest.raises(sa.exc.IntegrityError) as info:
        proj.upgrade("head")
    assert "could not create unique index" in str(info.value), info.value
    assert pg_index(db, "uq_posts_slug") == (False, True)  # only a concurrent build leaves this
    assert [r[1] for r in ledger_rows(db)] == ["create_index:posts:uq_posts_slug"]  # committed on its own
    assert version_rows(db) == []

    db.execute("DELETE FROM posts WHERE id = 3")  # dedupe
    proj.upgrade("head")
    assert pg_index(db, "uq_posts_slug") == (True, True)
    assert version_rows(db) == [(rev,)]
    s1 = after_alembic(db)
    proj.stamp("base")
    proj.upgrade("head")  # again: nothing to do
    assert_schema(after_alembic(db), s1, "stamp base + upgrade")

    proj.downgrade("base")
    assert pg_index(db, "uq_posts_slug") is None
    assert_schema(after_alembic(db), s0, "after downgrade")


def test_pg_interrupted_recreate_in_downgrade_is_rebuilt(pg_db: Database, tmp_path: Path) -> None:
    """redundant_index: downgrade recreates the dropped index concurrently; an invalid leftover of an
    interrupted recreate (made here by a failing concurrent unique build under that name) is
    replaced, not taken for the real thing."""
    db = pg_db
    db.execute([*POSTS, "DELETE FROM posts WHERE id = 3", "CREATE INDEX ix_posts_slug ON posts (slug)"])
    s0 = db.schema_snapshot()
    proj = project(tmp_path, db)
    emit_alembic(spec({"kind": "redundant_index", "table": "posts", "name": "ix_posts_slug", "columns": ["slug"]}),
                 proj.versions)
    proj.upgrade("head")
    assert pg_index(db, "ix_posts_slug") is None
    db.execute("INSERT INTO posts (id, user_id, slug) VALUES (3, 1, 'one')")
    with pytest.raises(sa.exc.IntegrityError):
        db.execute("CREATE UNIQUE INDEX CONCURRENTLY ix_posts_slug ON posts (slug)")
    assert pg_index(db, "ix_posts_slug") == (False, True)
    proj.downgrade("base")
    assert pg_index(db, "ix_posts_slug") == (True, False)  # rebuilt as the spec says, valid
    db.execute("DELETE FROM posts WHERE id = 3")
    assert_schema(after_alembic(db), s0, "after downgrade")


def test_pg_foreign_key_left_not_valid_is_validated(pg_db: Database, tmp_path: Path) -> None:
    """An upgrade interrupted between ADD CONSTRAINT ... NOT VALID and VALIDATE CONSTRAINT leaves the
    constraint unvalidated, recorded in the ledger, and the revision not stamped. Made here from a
    real run: upgrade, then the constraint re-added NOT VALID by hand under the same name (the DDL
    the revision runs first) and alembic_version emptied; the ledger row is the one upgrade wrote."""
    db = pg_db
    db.execute([*POSTS, "DELETE FROM posts WHERE id = 3"])
    s0 = db.schema_snapshot()
    proj = project(tmp_path, db)
    text = emit_alembic(spec(POSTS_FK), proj.versions).read_text(encoding="utf-8")
    assert "NOT VALID" in text and "VALIDATE CONSTRAINT" in text
    proj.upgrade("head")
    assert pg_fk_validated(db, FK_NAME) == [(True,)]
    ledger = sorted(ledger_rows(db))
    s1 = after_alembic(db)

    db.execute([f"ALTER TABLE posts DROP CONSTRAINT {FK_NAME}",
                f"ALTER TABLE posts ADD CONSTRAINT {FK_NAME} FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID"])
    proj.stamp("base")
    assert pg_fk_validated(db, FK_NAME) == [(False,)]

    proj.upgrade("head")
    assert pg_fk_validated(db, FK_NAME) == [(True,)]
    assert sorted(ledger_rows(db)) == ledger
    assert_schema(after_alembic(db), s1, "after validating")
    proj.downgrade("base")
    assert pg_fk_validated(db, FK_NAME) == []
    assert_schema(after_alembic(db), s0, "after downgrade")


def test_pg_concurrent_build_waits_for_older_transactions_despite_the_lock_timeout(pg_db: Database,
                                                                                   tmp_path: Path) -> None:
    """The lock timeout is lifted around the concurrent build (it must wait for every older
    transaction, which holds up no writer) and restored after it."""
    db = pg_db
    db.execute([*POSTS, "DELETE FROM posts WHERE id = 3", "CREATE TABLE audit (id INTEGER PRIMARY KEY)"])
    s0 = db.schema_snapshot()
    proj = project(tmp_path, db)
    emit_alembic(spec(UNIQUE_SLUG, POSTS_FK), proj.versions, "--lock-timeout", "200ms")
    with older_transaction(db, 1.5, "users"):
        proj.upgrade("head")
    assert pg_index(db, "uq_posts_slug") == (True, True)
    with older_transaction(db, 1.5, "audit"):  # dropping the foreign key needs ACCESS EXCLUSIVE on users
        proj.downgrade("base")
    assert_schema(after_alembic(db), s0, "after downgrade")


def test_pg_lock_timeout_makes_a_blocked_step_fail_fast(pg_db: Database, tmp_path: Path) -> None:
    """Another session holds a lock the rename needs: the step gives up after --lock-timeout instead
    of queueing every writer behind it; once the lock is gone the upgrade finishes. A later revision
    of the same run finds the session settings restored (and a transaction again)."""
    db = pg_db
    load_seed(db)
    s0 = db.schema_snapshot()
    proj = project(tmp_path, db)
    one_try = ("--lock-timeout", "300ms", "--lock-wait", "0")  # retries: tests/test_lock_retries.py
    rev = module_values(emit_alembic(spec(SEED_RENAME, SEED_INDEX), proj.versions, *one_try))["revision"]
    later = add_later_revision(proj, "postgresql", rev)
    with lock_held(db, "SELECT count(*) FROM webhooks"):  # ACCESS SHARE until the transaction ends
        start = time.monotonic()
        with pytest.raises(CommandError) as info:
            proj.upgrade("head")
        elapsed = time.monotonic() - start
    assert "gave up waiting for a lock on webhooks" in str(info.value), info.value
    assert elapsed < 4, f"waited {elapsed:.1f} s for the lock"  # 300ms, not the 5s default
    assert version_rows(db) == []
    assert not any(c["name"] == "user_id" for c in db.schema_snapshot()["webhooks"]["columns"])

    proj.upgrade("head")
    assert version_rows(db) == [(later,)]
    assert any(c["name"] == "user_id" for c in after_alembic(db)["webhooks"]["columns"])
    defaults = db.query(SETTINGS_QUERY["postgresql"])[0]  # a fresh session's values
    assert seen(db) == {"a": defaults[0], "b": defaults[1], "level": "READ COMMITTED"}
    proj.downgrade("base")
    assert_schema(after_alembic(db), s0, "after downgrade")


@pytest.mark.parametrize("env", ["default", "transaction_per_migration"])
def test_pg_round_trip_under_both_transaction_modes(env: str, pg_db: Database, tmp_path: Path) -> None:
    """autocommit_block commits whatever Alembic's transaction holds (the revisions before ours in the
    same run) and begins a new one afterwards, with one transaction for the run or one per revision."""
    db = pg_db
    db.execute([*POSTS, "DELETE FROM posts WHERE id = 3"])
    s0 = db.schema_snapshot()
    proj = project(tmp_path, db)
    if env == "transaction_per_migration":
        edit_env(proj, "target_metadata=None)", "target_metadata=None, transaction_per_migration=True)")
    rev = module_values(emit_alembic(spec(UNIQUE_SLUG, POSTS_FK), proj.versions))["revision"]
    later = add_later_revision(proj, "postgresql", rev)
    proj.upgrade("head")
    assert version_rows(db) == [(later,)]
    assert pg_index(db, "uq_posts_slug") == (True, True) and pg_fk_validated(db, FK_NAME) == [(True,)]
    assert seen(db)["level"] == "READ COMMITTED"
    proj.downgrade("base")
    assert_schema(after_alembic(db), s0, "after downgrade")


def test_pg_transaction_begun_by_env_py_is_refused_with_a_way_out(pg_db: Database, tmp_path: Path) -> None:
    """autocommit_block cannot end a transaction Alembic did not begin (env.py's engine.begin()):
    Alembic would fail an assertion. The revision says why, before changing anything, and
    --no-online runs there (one transaction, as before online mode)."""
    db = pg_db
    db.execute([*POSTS, "DELETE FROM posts WHERE id = 3"])
    s0 = db.schema_snapshot()
    proj = project(tmp_path, db)
    edit_env(proj, "with engine.connect() as connection:", "with engine.begin() as connection:")
    emit_alembic(spec(UNIQUE_SLUG), proj.versions)
    with pytest.raises(CommandError) as info:
        proj.upgrade("head")
    message = str(info.value)
    assert "engine.connect() (not engine.begin())" in message and "fixgen emit --no-online" in message, message
    assert_schema(after_alembic(db), s0, "after a refused upgrade")
    assert LEDGER not in db.table_names()

    plain = project(tmp_path / "plain", db)
    edit_env(plain, "with engine.connect() as connection:", "with engine.begin() as connection:")
    text = emit_alembic(spec(UNIQUE_SLUG), plain.versions, "--no-online").read_text(encoding="utf-8")
    assert "CONCURRENTLY" not in text and "_online_session" not in text
    plain.upgrade("head")
    assert pg_index(db, "uq_posts_slug") == (True, True)
    plain.downgrade("base")
    assert_schema(after_alembic(db), s0, "after downgrade")


# =========================================================================== both servers


@pytest.mark.parametrize("db", ["postgresql", "mysql"], indirect=True)
def test_no_online_round_trip(db: Database, tmp_path: Path) -> None:
    """--no-online: the revision as before online mode (PostgreSQL: one transaction, a failure
    leaves nothing behind, not even the ledger)."""
    db.execute(POSTS)
    s0 = db.schema_snapshot()
    proj = project(tmp_path, db)
    rename = {"kind": "rename_column", "table": "users", "from": "email", "to": "mail"}
    path = emit_alembic(spec(UNIQUE_SLUG, POSTS_FK, rename), proj.versions, "--no-online")
    text = path.read_text(encoding="utf-8")
    assert "_online_session" not in text and "ALGORITHM=INPLACE" not in text
    with pytest.raises(sa.exc.IntegrityError):
        proj.upgrade("head")
    if db.dialect == "postgresql":
        assert_schema(after_alembic(db), s0, "after a failed transactional upgrade")
    db.execute("DELETE FROM posts WHERE id = 3")
    proj.upgrade("head")
    s1 = after_alembic(db)
    assert [c["name"] for c in s1["users"]["columns"]] == ["id", "mail"]
    proj.stamp("base")
    proj.upgrade("head")
    assert_schema(after_alembic(db), s1, "stamp base + upgrade")
    proj.downgrade("base")
    assert_schema(after_alembic(db), s0, "after downgrade")


# =========================================================================== MariaDB


def _wait_for_metadata_lock(db: Database, seconds: float = 10) -> None:
    """Until a session of this database waits for a table metadata lock (the migration's ALTER)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if db.query("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() "
                    "AND STATE LIKE 'Waiting for table metadata lock%'")[0][0]:
            return
        time.sleep(0.05)
    raise AssertionError("the migration never waited for the metadata lock")


def upgrade_behind_an_open_write(proj: Project, db: Database, *writes: str) -> BaseException:
    """Another session runs `writes` in a transaction it keeps open while `alembic upgrade` starts: the
    upgrade's first ALTER waits for that session's metadata lock, which is released only once the
    upgrade waits for it (so the rows are committed after the preflight read the table, before the
    ALTER). Returns the error the upgrade raised."""
    errors: list[BaseException] = []

    def upgrade() -> None:
        try:
            proj.upgrade("head")
        except BaseException as e:  # noqa: BLE001 - handed to the main thread
            errors.append(e)

    engine = sa.create_engine(db.url)
    try:
        with engine.connect() as writer:
            for sql in writes:
                writer.execute(sa.text(sql))
            runner = threading.Thread(target=upgrade)
            runner.start()
            _wait_for_metadata_lock(db)
            writer.commit()
            runner.join(60)
    finally:
        engine.dispose()
    assert not runner.is_alive()
    assert len(errors) == 1, "the upgrade should have failed"
    return errors[0]


def test_mysql_orphan_written_while_the_foreign_key_is_added_is_caught(mysql_db: Database, tmp_path: Path) -> None:
    """InnoDB adds a foreign key in place only with foreign_key_checks off, which checks no existing
    row. A row committed after the preflight read the table and before the ALTER is caught by the
    check after it. No trigger, no editing of the revision: another session inserts the orphan in
    an open transaction (the preflight's consistent read does not see it), and its metadata lock
    holds the ALTER back until that session commits; then the ALTER runs without checking it."""
    db = mysql_db
    db.execute([*POSTS, "DELETE FROM posts WHERE id = 3", "CREATE INDEX ix_posts_user_id ON posts (user_id)"])
    s0 = db.schema_snapshot()
    # the premise: InnoDB refuses an in-place foreign key while foreign_key_checks is on
    with pytest.raises(sa.exc.DBAPIError) as info:
        db.execute("ALTER TABLE posts ADD CONSTRAINT fk_probe FOREIGN KEY (user_id) REFERENCES users (id), "
                   "ALGORITHM=INPLACE, LOCK=NONE")
    assert "foreign_key_checks" in str(info.value), info.value
    proj = project(tmp_path, db)
    rev = module_values(emit_alembic(spec(POSTS_FK), proj.versions, "--lock-timeout", "20s"))["revision"]

    error = upgrade_behind_an_open_write(proj, db, "INSERT INTO posts (id, user_id, slug) VALUES (9, 99, 'x')")
    assert isinstance(error, CommandError), repr(error)
    message = str(error)
    assert message.startswith("fixgen: 1 orphan row(s) in posts (user_id): no matching row in users (id); they were "
                              f"written while foreign key {FK_NAME} was being added"), message
    assert f"alembic stamp {rev}, then alembic downgrade -1" in message
    listing = message.split("list them with: ", 1)[1]
    assert [r[0] for r in db.query(listing)] == [9]
    assert [f["name"] for f in db.schema_snapshot()["posts"]["foreign_keys"]] == [FK_NAME]  # added, not stamped
    assert version_rows(db) == []

    db.execute("DELETE FROM posts WHERE id = 9")
    proj.upgrade("head")
    assert version_rows(db) == [(rev,)]
    assert [r[1] for r in ledger_rows(db)] == [f"add_foreign_key:posts:{FK_NAME}"]
    proj.downgrade("base")
    assert_schema(after_alembic(db), s0, "after downgrade")


def test_mysql_lock_wait_timeout_fails_fast_and_is_restored(mysql_db: Database, tmp_path: Path) -> None:
    """A session holding the table's metadata lock: the rename gives up after --lock-timeout
    (lock_wait_timeout, whole seconds) and a later revision of the run finds the settings restored."""
    db = mysql_db
    load_seed(db)
    s0 = db.schema_snapshot()
    proj = project(tmp_path, db)
    one_try = ("--lock-timeout", "1s", "--lock-wait", "0")  # retries: tests/test_lock_retries.py
    rev = module_values(emit_alembic(spec(SEED_RENAME, SEED_INDEX), proj.versions, *one_try))["revision"]
    later = add_later_revision(proj, "mysql", rev)
    with lock_held(db, "SELECT COUNT(*) FROM webhooks"):  # metadata lock until the transaction ends
        start = time.monotonic()
        with pytest.raises(CommandError) as info:
            proj.upgrade("head")
        elapsed = time.monotonic() - start
    assert "gave up waiting for a lock on webhooks" in str(info.value), info.value
    assert elapsed < 8, f"waited {elapsed:.1f} s for the lock"
    assert not any(c["name"] == "user_id" for c in db.schema_snapshot()["webhooks"]["columns"])

    proj.upgrade("head")
    assert version_rows(db) == [(later,)]
    defaults = db.query(SETTINGS_QUERY["mysql"])[0]
    assert defaults != (1, 1)
    assert {k: v for k, v in seen(db).items() if k != "level"} == {"a": str(defaults[0]), "b": str(defaults[1])}
    proj.downgrade("base")
    assert_schema(after_alembic(db), s0, "after downgrade")


def test_mysql_online_refuses_to_lock_rather_than_block(mysql_db: Database, tmp_path: Path) -> None:
    """The ALTERs really carry LOCK=NONE: on a table with a FULLTEXT index InnoDB cannot add a
    column without locking, so the online revision fails instead of blocking writes, and the
    --no-online one runs."""
    db = mysql_db
    db.execute(["CREATE TABLE docs (id INTEGER PRIMARY KEY, owner_id INTEGER, body TEXT, FULLTEXT KEY ft_body (body))"
                " ENGINE=InnoDB", "INSERT INTO docs VALUES (1, 1, 'hello world')"])
    issue = {"kind": "missing_column", "table": "docs", "column": "note", "type": "string(20)"}
    proj = project(tmp_path, db)
    emit_alembic(spec(issue), proj.versions)
    with pytest.raises(sa.exc.DBAPIError) as info:
        proj.upgrade("head")
    assert "LOCK=NONE" in str(info.value) or "LOCK=SHARED" in str(info.value), info.value
    assert all(c["name"] != "note" for c in db.schema_snapshot()["docs"]["columns"])

    plain = project(tmp_path / "plain", db)
    emit_alembic(spec(issue), plain.versions, "--no-online")
    plain.upgrade("head")
    assert any(c["name"] == "note" for c in db.schema_snapshot()["docs"]["columns"])


@pytest.mark.parametrize("flags", [(), ("--no-online",)], ids=["online", "plain"])
def test_mysql_index_that_replaces_an_implicit_foreign_key_index_rolls_back_exactly(
        mysql_db: Database, tmp_path: Path, flags: tuple[str, ...]) -> None:
    """InnoDB drops the index it made for a foreign key once upgrade's index leads with the key's
    columns; downgrade gives it back (named as InnoDB names it) before dropping upgrade's index."""
    from support.alembic import emit_alembic, project

    db = mysql_db
    db.execute([
        "CREATE TABLE tenants (id INT PRIMARY KEY)",
        "CREATE TABLE users (id INT PRIMARY KEY, tenant_id INT, email VARCHAR(100), "
        "CONSTRAINT fk_users_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id))",
        "CREATE TABLE members (id INT PRIMARY KEY, tenant_id INT, team_id INT, FOREIGN KEY (tenant_id) REFERENCES tenants (id))",
    ])
    s0 = db.schema_snapshot()
    proj = project(tmp_path, db)
    emit_alembic({"version": 1, "name": "implicit", "issues": [
        {"kind": "missing_index", "table": "users", "columns": ["tenant_id", "email"], "unique": True},
        {"kind": "missing_index", "table": "members", "columns": ["tenant_id", "team_id"]}]}, proj.versions, *flags)
    proj.upgrade()
    s1 = db.schema_snapshot()
    assert [i["name"] for i in s1["users"]["indexes"]] == ["uq_users_tenant_id_email"]
    assert [i["name"] for i in s1["members"]["indexes"]] == ["ix_members_tenant_id_team_id"]
    proj.downgrade()
    s2 = db.schema_snapshot()
    s2.pop("alembic_version", None)
    assert s2 == s0
