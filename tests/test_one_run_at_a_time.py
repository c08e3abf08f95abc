"""One run at a time (sql target): two copies of a migration started together both succeed, and end as one run.

Every file takes its migration's run lock first (PostgreSQL: an advisory lock, the session's in online
mode and the transaction's in plain mode; MySQL/MariaDB: GET_LOCK; SQLite: BEGIN IMMEDIATE), so the second
copy waits for the first, says so, and then finds every fix made: a no-op. A run that cannot get the lock
within --run-lock-timeout stops before changing anything.
"""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from support.dbs import Database
from support.laravel import emit_laravel
from support.roundtrip import ledger_rows, older_transaction
from support.sql import emit, run_fails
from support.targets import failed_up

SCHEMA = [
    "CREATE TABLE users (id INTEGER PRIMARY KEY)",
    "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER, slug VARCHAR(40), note VARCHAR(40))",
    "INSERT INTO users (id) VALUES (1), (2)",
    "INSERT INTO posts (id, user_id, slug) VALUES (1, 1, 'a'), (2, 2, 'b')",
]
ISSUES = [
    {"kind": "missing_index", "table": "posts", "columns": ["slug"]},
    {"kind": "missing_index", "table": "posts", "columns": ["remark", "slug"]},
    {"kind": "missing_foreign_key", "table": "posts", "column": "user_id", "references": "users.id"},
    {"kind": "missing_column", "table": "posts", "column": "score", "type": "integer", "default": 0, "nullable": False},
    {"kind": "rename_column", "table": "posts", "from": "note", "to": "remark"},
]


def issues_for(db: Database) -> list[dict]:
    return ISSUES[:1] if db.dialect == "sqlite" else ISSUES


def together(db: Database, path: Path, n: int = 2) -> list[subprocess.CompletedProcess]:
    """Start n clients on the same file at once; wait for all."""
    db.dispose()
    argv, env, stdin = db.cli_command(path)
    procs = [subprocess.Popen(argv, env=env, stdin=open(stdin, "rb") if stdin else subprocess.DEVNULL,  # noqa: SIM115
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(n)]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=120)
        out.append(subprocess.CompletedProcess(p.args, p.returncode, stdout.decode(), stderr.decode()))
    return out


FIXTURE = {"postgresql": "pg_db", "mysql": "mysql_db", "sqlite": "sqlite_db"}
CASES = [("postgresql", ()), ("postgresql", ("--no-online",)), ("mysql", ()), ("mysql", ("--no-online",)),
         ("sqlite", ())]


@pytest.mark.parametrize(("dialect", "flags"), CASES, ids=[d + ("-plain" if f else "") for d, f in CASES])
def test_two_ups_and_two_downs_started_together(dialect: str, flags: tuple[str, ...], request: pytest.FixtureRequest,
                                                tmp_path: Path) -> None:
    db: Database = request.getfixturevalue(FIXTURE[dialect])
    db.execute(SCHEMA)
    before = db.schema_snapshot()
    mig = emit(issues_for(db), db.dialect, tmp_path, *flags)
    for attempt in range(3):  # a few tries: the two clients must really overlap at least once
        runs = together(db, mig.up)
        assert [r.returncode for r in runs] == [0, 0], "\n".join(r.stdout + r.stderr for r in runs)
        after_up = db.schema_snapshot()
        assert len(ledger_rows(db)) >= 1
        runs = together(db, mig.down)
        assert [r.returncode for r in runs] == [0, 0], "\n".join(r.stdout + r.stderr for r in runs)
        after = db.schema_snapshot()
        after.pop("fixgen_ledger", None)
        assert after == before, f"attempt {attempt}: two downs did not restore the schema"
    db.run_sql_file(mig.up)
    assert db.schema_snapshot() == after_up, "two ups together made something else than one up"


def hold_run_lock(db: Database, migration_id: str, seconds: float) -> threading.Thread:
    """Another session holds the migration's run lock for a while (a run still in progress)."""
    from fixgen import ledger

    ready = threading.Event()

    def hold() -> None:
        engine = sa.create_engine(db.url)
        with engine.connect() as conn:
            if db.dialect == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_lock({ledger.run_lock_key(migration_id)})")
            else:
                conn.exec_driver_sql(f"SELECT GET_LOCK('{ledger.run_lock_name(migration_id)}', 10)")
            ready.set()
            time.sleep(seconds)
        engine.dispose()

    t = threading.Thread(target=hold, daemon=True)
    t.start()
    assert ready.wait(10)
    return t


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_a_run_waits_for_the_one_in_progress_and_says_so(dialect: str, request: pytest.FixtureRequest,
                                                         tmp_path: Path) -> None:
    db: Database = request.getfixturevalue("pg_db" if dialect == "postgresql" else "mysql_db")
    db.execute(SCHEMA)
    mig = emit(ISSUES, dialect, tmp_path)
    migration_id = mig.up.name[: -len(".up.sql")]
    holder = hold_run_lock(db, migration_id, 3)
    started = time.monotonic()
    out = db.run_sql_file(mig.up) + db.last_stderr
    waited = time.monotonic() - started
    holder.join()
    assert "waiting up to" in out and "for another run of this migration" in out, out
    assert waited >= 2, f"the run did not wait for the lock ({waited:.1f} s)"
    assert len(ledger_rows(db)) == 6  # the fixes were made after the wait (5 issues, an index for the key)


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_a_run_that_cannot_get_the_lock_changes_nothing(dialect: str, request: pytest.FixtureRequest,
                                                        tmp_path: Path) -> None:
    db: Database = request.getfixturevalue("pg_db" if dialect == "postgresql" else "mysql_db")
    db.execute(SCHEMA)
    before = db.schema_snapshot()
    mig = emit(ISSUES, dialect, tmp_path, "--run-lock-timeout", "1s")
    holder = hold_run_lock(db, mig.up.name[: -len(".up.sql")], 4)
    out = run_fails(db, mig.up)
    holder.join()
    assert "nothing was changed: another run of this migration" in out, out
    now = db.schema_snapshot()
    now.pop("fixgen_ledger", None)
    assert now == before


# --------------------------------------------------------------------------- the framework targets

def started_together(argvs: list[list[str]], cwd: Path) -> list[subprocess.CompletedProcess]:
    procs = [subprocess.Popen(a, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for a in argvs]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=300)
        out.append(subprocess.CompletedProcess(p.args, p.returncode, stdout.decode(), stderr.decode()))
    return out


FRAMEWORK_CASES = [("postgresql", ()), ("postgresql", ("--no-online",)), ("mysql", ()), ("sqlite", ())]


@pytest.mark.parametrize(("dialect", "flags"), FRAMEWORK_CASES,
                         ids=[d + ("-plain" if f else "") for d, f in FRAMEWORK_CASES])
def test_laravel_two_ups_and_two_downs_together(dialect: str, flags: tuple[str, ...], request: pytest.FixtureRequest,
                                                tmp_path: Path) -> None:
    import json

    from support.laravel import RUNNER, laravel_config, php_binary, require_laravel

    require_laravel(dialect)
    db: Database = request.getfixturevalue(FIXTURE[dialect])
    db.execute(SCHEMA)
    before = db.schema_snapshot()

    migration = emit_laravel({"version": 1, "name": "together", "issues": issues_for(db)}, tmp_path, *flags)
    db.dispose()
    for action in ("up", "down"):
        argv = [php_binary(), str(RUNNER), json.dumps(laravel_config(db)), str(migration), action]
        runs = started_together([argv, argv], RUNNER.parent.parent.parent)
        assert [r.returncode for r in runs] == [0, 0], "\n".join(r.stdout + r.stderr for r in runs)
        if action == "up":
            assert len(ledger_rows(db)) >= 1
            db.dispose()
    after = db.schema_snapshot()
    after.pop("fixgen_ledger", None)
    assert after == before


# --------------------------------------------------------------------------- a foreign session's live build

@pytest.mark.parametrize("target", ["sql", "laravel", "alembic"])
def test_an_index_another_session_is_building_is_not_taken_for_a_leftover(target: str, pg_db: Database,
                                                                          tmp_path: Path) -> None:
    """An invalid index of the fix's name is an interrupted build of ours, dropped and rebuilt — unless a live
    session (not a run of this migration: those hold its run lock) is building it: then stop, naming it."""
    pg_db.execute(["CREATE TABLE users (id int PRIMARY KEY, email text)", "INSERT INTO users VALUES (1, 'a')"])
    issues = [{"kind": "missing_index", "table": "users", "columns": ["email"], "name": "users_email_index"}]
    builder_pid: list[int] = []

    def build() -> None:  # waits for the older transaction below, its index invalid meanwhile
        engine = sa.create_engine(pg_db.url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            builder_pid.append(conn.execute(sa.text("SELECT pg_backend_pid()")).scalar())
            conn.execute(sa.text("CREATE INDEX CONCURRENTLY users_email_index ON users (email)"))
        engine.dispose()

    with older_transaction(pg_db, 6):
        thread = threading.Thread(target=build)
        thread.start()
        for _ in range(100):  # until the build is under way
            if pg_db.query("SELECT count(*) FROM pg_stat_progress_create_index WHERE index_relid <> 0")[0][0]:
                break
            time.sleep(0.05)
        out = failed_up(target, pg_db, tmp_path, issues)
        thread.join(60)
    assert "nothing was changed" in out, out
    assert f"users_email_index on users is being built right now by another session (pid {builder_pid[0]})" in out
    assert pg_db.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email_index'::regclass") == [(True,)]


# --------------------------------------------------------------------------- Alembic: its version table too

BASE_REVISION = '''"""an earlier revision of the app"""
revision = "a0base"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
'''
ALEMBIC_CASES = [("postgresql", (), False), ("postgresql", (), True), ("postgresql", ("--no-online",), True),
                 ("mysql", (), False), ("mysql", (), True)]


@pytest.mark.parametrize(("dialect", "flags", "follows"), ALEMBIC_CASES,
                         ids=[d + ("-plain" if f else "") + ("-follows" if c else "-first") for d, f, c in ALEMBIC_CASES])
def test_alembic_two_upgrades_and_two_downgrades_together(dialect: str, flags: tuple[str, ...], follows: bool,
                                                          request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Alembic updates its version table after the revision ran: the run that waited for the run lock finds
    the revision already recorded, and puts back the row its Alembic expects, so both exit 0 (an upgrade that
    is the first revision, whose version row Alembic inserts, and one that follows another, updated)."""
    import sys

    from support.alembic import emit_alembic, project, version_rows

    db: Database = request.getfixturevalue(FIXTURE[dialect])
    db.execute(SCHEMA)
    proj = project(tmp_path, db)
    if follows:
        (proj.versions / "a0base.py").write_text(BASE_REVISION, encoding="utf-8")
    emit_alembic({"version": 1, "name": "together", "issues": issues_for(db)}, proj.versions, *flags)
    [head] = proj.heads()
    # Alembic creates its version table on its first run, check-then-create: two first runs on an empty database
    # race there, before any revision runs (Alembic's own; an app's database has the table from its first deploy)
    proj.upgrade("a0base") if follows else proj.stamp("base")
    def schema() -> dict:
        snapshot = db.schema_snapshot()
        snapshot.pop("alembic_version", None)
        snapshot.pop("fixgen_ledger", None)
        return snapshot

    before = schema()
    ini = proj.write_ini()
    db.dispose()
    base = "a0base" if follows else "base"
    for attempt in range(2):
        for action, target, version in (("upgrade", "head", head), ("downgrade", base, "a0base" if follows else None)):
            argv = [sys.executable, "-m", "alembic", "-c", str(ini), action, target]
            runs = started_together([argv, argv], tmp_path)
            assert [r.returncode for r in runs] == [0, 0], "\n".join(r.stdout + r.stderr for r in runs)
            assert version_rows(db) == ([(version,)] if version else []), f"attempt {attempt}: after {action}"
            db.dispose()
        assert schema() == before, f"attempt {attempt}: two downgrades did not restore the schema"


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_laravel_two_artisan_migrates_together_then_one_rollback(dialect: str, request: pytest.FixtureRequest,
                                                                 tmp_path: Path) -> None:
    """Through Laravel's own Migrator: both exit 0; its migrations table may log the migration twice (it
    does not check for a row already there), and the rollback that runs down for each row is still exact."""
    import json

    from support.laravel import RUNNER, laravel_config, php_binary, require_laravel

    require_laravel(dialect)
    db: Database = request.getfixturevalue(FIXTURE[dialect])
    db.execute(SCHEMA)
    before = db.schema_snapshot()
    migration = emit_laravel({"version": 1, "name": "together", "issues": issues_for(db)}, tmp_path)
    db.dispose()

    def argv(action: str) -> list[str]:
        return [php_binary(), str(RUNNER), json.dumps(laravel_config(db)), str(migration), action]

    cwd = RUNNER.parent.parent.parent
    [first] = started_together([argv("rollback")], cwd)  # creates the migrations table: nothing to roll back
    assert first.returncode == 0, first.stdout + first.stderr
    runs = started_together([argv("migrate"), argv("migrate")], cwd)
    assert [r.returncode for r in runs] == [0, 0], "\n".join(r.stdout + r.stderr for r in runs)
    logged = db.query("SELECT migration FROM migrations")
    assert logged and {m for (m,) in logged} == {migration.stem} and len(logged) <= 2
    assert len(ledger_rows(db)) >= 1
    db.dispose()
    [back] = started_together([argv("rollback")], cwd)
    assert back.returncode == 0, back.stdout + back.stderr
    assert db.query("SELECT migration FROM migrations") == []
    after = db.schema_snapshot()
    after.pop("migrations", None)
    after.pop("fixgen_ledger", None)
    assert after == before
