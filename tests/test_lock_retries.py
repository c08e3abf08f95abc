"""Short lock timeouts with retries: a long transaction in the way never makes writers queue behind a migration.

A session holds a transaction that wrote to the table (its lock conflicts with a rename and with a new
foreign key) for a few seconds while up runs with a short --lock-timeout. Each try waits at most that
long, is rolled back, says whom it waits for, and is tried again with backoff: up completes once the
holder ends. With a --lock-wait shorter than the hold, up stops with a message that names the holder;
the step changed nothing, and the next run completes. Real PostgreSQL and MariaDB, sql, Laravel and
Alembic (the MySQL sql target retries through a stored procedure it makes for the steps and drops after them).
"""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from support.alembic import emit_alembic, project
from support.dbs import Database
from support.laravel import emit_laravel, run_laravel
from support.roundtrip import columns as table_columns
from support.sql import emit

SCHEMA = ["CREATE TABLE c (id INT PRIMARY KEY)", "INSERT INTO c VALUES (1)",
          "CREATE TABLE w (id INT PRIMARY KEY, a INT, c_id INT)", "INSERT INTO w VALUES (1, 1, 1)"]
ISSUES = [{"kind": "rename_column", "table": "w", "from": "a", "to": "b"},
          {"kind": "missing_foreign_key", "table": "w", "column": "c_id", "references": "c.id"}]
FLAGS = ("--lock-timeout", "200ms")


@contextmanager
def holding(db: Database, seconds: float) -> Iterator[list[int]]:
    """Another session, in a transaction that updated w, for `seconds`; yields [its pid / connection id]."""
    started, who, errors = threading.Event(), [], []

    def run() -> None:
        engine = sa.create_engine(db.url)
        try:
            with engine.connect() as conn:
                me = "SELECT pg_backend_pid()" if db.dialect == "postgresql" else "SELECT CONNECTION_ID()"
                who.append(conn.execute(sa.text(me)).scalar())
                conn.execute(sa.text("UPDATE w SET id = id"))
                started.set()
                time.sleep(seconds)
                conn.commit()
        except BaseException as e:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(e)
            started.set()
        finally:
            engine.dispose()

    thread = threading.Thread(target=run)
    thread.start()
    started.wait(30)
    try:
        yield who
    finally:
        thread.join(60)
    if errors:
        raise errors[0]


def columns(db: Database) -> list[str]:
    return table_columns(db.schema_snapshot(), "w")


def run_target(target: str, db: Database, tmp_path: Path, flags: tuple[str, ...], caplog: pytest.LogCaptureFixture,
               action: str = "up", issues: list[dict] = ISSUES) -> tuple[bool, str]:
    """(succeeded, output) of one run of the migration `target` makes in tmp_path (made on first use)."""
    if target == "sql":
        mig = getattr(run_target, "sql", None) or emit(issues, db.dialect, tmp_path, *flags)
        run_target.sql = mig  # type: ignore[attr-defined]
        argv, env, stdin = db.cli_command(mig.up if action == "up" else mig.down)
        feed = stdin.read_text(encoding="utf-8") if stdin else None
        proc = subprocess.run(argv, env=env, input=feed, capture_output=True, text=True, timeout=300)
        return proc.returncode == 0, proc.stdout + proc.stderr
    if target == "laravel":
        migration = getattr(run_target, "laravel", None) or emit_laravel(
            {"version": 1, "name": "locks", "issues": issues}, tmp_path, *flags)
        run_target.laravel = migration  # type: ignore[attr-defined]
        r = run_laravel(db, migration, action, check=False)
        return r.returncode == 0, r.stdout + r.stderr
    proj = getattr(run_target, "alembic", None)
    if proj is None:
        proj = run_target.alembic = project(tmp_path, db)  # type: ignore[attr-defined]
        emit_alembic({"version": 1, "name": "locks", "issues": issues}, proj.versions, *flags)
    caplog.clear()
    try:
        proj.upgrade("head") if action == "up" else proj.downgrade("base")
        return True, caplog.text
    except Exception as e:  # noqa: BLE001 - the failure is the result
        return False, f"{caplog.text}\n{e}"


CASES = [("sql", "postgresql"), ("laravel", "postgresql"), ("alembic", "postgresql"), ("sql", "mysql"),
         ("laravel", "mysql"), ("alembic", "mysql")]


@pytest.fixture(params=CASES, ids=[f"{t}-{d}" for t, d in CASES])
def case(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Database]]:
    from support import dbs

    target, dialect = request.param
    db = dbs.database_or_skip(dialect, tmp_path)
    for attr in ("sql", "laravel", "alembic"):
        if hasattr(run_target, attr):
            delattr(run_target, attr)
    try:
        yield target, db
    finally:
        dbs.drop_database(db)


def test_up_waits_in_short_tries_then_completes(case: tuple[str, Database], tmp_path: Path,
                                               caplog: pytest.LogCaptureFixture) -> None:
    target, db = case
    caplog.set_level(logging.INFO, logger="alembic.runtime.fixgen")
    db.execute(SCHEMA)
    before = db.schema_snapshot()
    with holding(db, 3) as who:
        ok, out = run_target(target, db, tmp_path, FLAGS, caplog)
    assert ok, out
    assert "waiting for a lock" in out and f"{who[0]} (" in out, out  # it says whom it waits for
    assert "b" in columns(db) and "a" not in columns(db)
    assert len(db.schema_snapshot()["w"]["foreign_keys"]) == 1
    if db.dialect == "mysql":  # the sql target's retry procedure is gone with its last step
        assert db.query("SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()") == []
    ok, out = run_target(target, db, tmp_path, FLAGS, caplog, "down")
    assert ok, out
    after = db.schema_snapshot()
    after.pop("alembic_version", None)
    assert after == before


def test_up_gives_up_after_lock_wait_and_the_next_run_completes(case: tuple[str, Database], tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    target, db = case
    caplog.set_level(logging.INFO, logger="alembic.runtime.fixgen")
    db.execute(SCHEMA)
    with holding(db, 4):
        ok, out = run_target(target, db, tmp_path, (*FLAGS, "--lock-wait", "1s"), caplog)
    assert not ok and "gave up waiting for a lock on w" in out, out
    ok, out = run_target(target, db, tmp_path, FLAGS, caplog)
    assert ok, out
    assert "b" in columns(db) and len(db.schema_snapshot()["w"]["foreign_keys"]) == 1


# A partitioned table: the parent's index (CREATE INDEX ... ON ONLY) and each partition's NOT VALID key take
# locks the holder's writes conflict with; every target retries them like any other step (psql: DO blocks
# made from partitions.py's statements by pg_temp.fixgen_retried).
PARTITIONED = ["CREATE TABLE c (id INT PRIMARY KEY)", "INSERT INTO c VALUES (1)",
               "CREATE TABLE w (id INT, a INT, c_id INT) PARTITION BY RANGE (id)",
               "CREATE TABLE w1 PARTITION OF w FOR VALUES FROM (0) TO (100)",
               "CREATE TABLE w2 PARTITION OF w FOR VALUES FROM (100) TO (200)",
               "INSERT INTO w VALUES (1, 1, 1), (150, 1, 1)"]
PARTITIONED_ISSUES = [{"kind": "missing_index", "table": "w", "columns": ["c_id"]},
                      {"kind": "missing_foreign_key", "table": "w", "column": "c_id", "references": "c.id"}]


@pytest.mark.parametrize("target", ["sql", "laravel", "alembic"])
def test_partitioned_steps_wait_in_short_tries_then_complete(target: str, pg_db: Database, tmp_path: Path,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="alembic.runtime.fixgen")
    for attr in ("sql", "laravel", "alembic"):
        if hasattr(run_target, attr):
            delattr(run_target, attr)
    pg_db.execute(PARTITIONED)
    before = pg_db.schema_snapshot()
    with holding(pg_db, 3) as who:
        ok, out = run_target(target, pg_db, tmp_path, FLAGS, caplog, issues=PARTITIONED_ISSUES)
    assert ok, out
    assert "waiting for a lock" in out and f"pid {who[0]} (" in out, out
    invalid = pg_db.query("SELECT count(*) FROM pg_index WHERE NOT indisvalid")
    not_valid = pg_db.query("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND NOT convalidated")
    assert invalid == [(0,)] and not_valid == [(0,)]
    keys = pg_db.query("SELECT conrelid::regclass::text FROM pg_constraint WHERE contype = 'f' ORDER BY 1")
    assert keys == [("w",), ("w1",), ("w2",)]  # the parent's key and the partitions' (adopted or made)
    indexes = pg_db.query("SELECT count(*) FROM pg_index WHERE indrelid IN ('w'::regclass, 'w1'::regclass, "
                          "'w2'::regclass)")
    assert indexes == [(3,)]
    ok, out = run_target(target, pg_db, tmp_path, FLAGS, caplog, "down", issues=PARTITIONED_ISSUES)
    assert ok, out
    after = pg_db.schema_snapshot()
    after.pop("alembic_version", None)
    assert after == before
