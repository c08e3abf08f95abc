"""Kill the client during up (and during down), retry at once: the retry succeeds and down is exact.

The table is big enough that the index builds and the validation take a while, so each kill lands
inside a step at a different point. The killed client's statement goes on running on the server; the
retry waits for it through the migration's run lock (held by the dead client's session until its
statement ends), then finishes the job. Afterwards no invalid index and no NOT VALID foreign key is
left, and down gives back the schema as it was. Real PostgreSQL and MariaDB; sql, Laravel and Alembic.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.alembic import emit_alembic, project
from support.dbs import Database, database_or_skip, drop_database
from support.laravel import RUNNER, emit_laravel, laravel_config, php_binary, require_laravel
from support.sql import emit

ROWS = 150_000
SCHEMA = {
    "postgresql": ["CREATE TABLE users (id INTEGER PRIMARY KEY)",
                   "INSERT INTO users SELECT g FROM generate_series(1, 100) g",
                   "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER, slug VARCHAR(40), note VARCHAR(40))",
                   f"INSERT INTO posts SELECT g, 1 + g % 100, md5(g::text), 'n' FROM generate_series(1, {ROWS}) g"],
    "mysql": ["CREATE TABLE users (id INTEGER PRIMARY KEY)",
              "INSERT INTO users SELECT seq FROM seq_1_to_100",
              "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER, slug VARCHAR(40), note VARCHAR(40))",
              f"INSERT INTO posts SELECT seq, 1 + seq % 100, md5(seq), 'n' FROM seq_1_to_{ROWS}"],
}
ISSUES = [
    {"kind": "missing_index", "table": "posts", "columns": ["slug"]},
    {"kind": "missing_foreign_key", "table": "posts", "column": "user_id", "references": "users.id"},
    {"kind": "rename_column", "table": "posts", "from": "note", "to": "remark"},
    {"kind": "missing_index", "table": "posts", "columns": ["remark", "slug"]},
]
CASES = [("sql", "postgresql"), ("laravel", "postgresql"), ("alembic", "postgresql"), ("sql", "mysql"),
         ("laravel", "mysql"), ("alembic", "mysql")]


def commands(target: str, db: Database, tmp_path: Path) -> dict[str, tuple[list[str], dict | None, str | None]]:
    """action -> (argv, env, stdin text) that runs the migration's up or down in a process of its own."""
    if target == "sql":
        mig = emit(ISSUES, db.dialect, tmp_path)
        out = {}
        for action, path in (("up", mig.up), ("down", mig.down)):
            argv, env, stdin = db.cli_command(path)
            out[action] = (argv, env, stdin.read_text(encoding="utf-8") if stdin else None)
        return out
    if target == "laravel":
        require_laravel(db.dialect)
        migration = emit_laravel({"version": 1, "name": "kill", "issues": ISSUES}, tmp_path)
        base = [php_binary(), str(RUNNER), json.dumps(laravel_config(db)), str(migration)]
        return {"up": ([*base, "up"], None, None), "down": ([*base, "down"], None, None)}
    proj = project(tmp_path, db)
    emit_alembic({"version": 1, "name": "kill", "issues": ISSUES}, proj.versions)
    ini = proj.write_ini()
    alembic = [sys.executable, "-m", "alembic", "-c", str(ini)]
    return {"up": ([*alembic, "upgrade", "head"], None, None), "down": ([*alembic, "downgrade", "base"], None, None)}


def run(cmd: tuple[list[str], dict | None, str | None], kill_after: float | None = None) -> subprocess.CompletedProcess:
    argv, env, stdin = cmd
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    if kill_after is not None:
        try:
            out, err = proc.communicate(stdin, timeout=kill_after)
            return subprocess.CompletedProcess(argv, proc.returncode, out, err)  # it finished first
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            return subprocess.CompletedProcess(argv, -9, out, err)
    out, err = proc.communicate(stdin, timeout=600)
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def leftovers(db: Database) -> list[tuple]:
    """Invalid indexes and NOT VALID foreign keys (PostgreSQL)."""
    if db.dialect != "postgresql":
        return []
    return db.query("SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid UNION ALL "
                    "SELECT conname::text FROM pg_constraint WHERE contype = 'f' AND NOT convalidated")


@pytest.mark.parametrize(("target", "dialect"), CASES, ids=[f"{t}-{d}" for t, d in CASES])
def test_killed_then_retried_at_once(target: str, dialect: str, tmp_path: Path) -> None:
    db = database_or_skip(dialect, tmp_path)
    try:
        db.execute(SCHEMA[dialect])
        before = db.schema_snapshot()
        cmds = commands(target, db, tmp_path)
        db.dispose()
        started = time.monotonic()
        full = run(cmds["up"])
        assert full.returncode == 0, full.stdout + full.stderr
        whole = time.monotonic() - started
        after = db.schema_snapshot()
        after.pop("alembic_version", None)
        assert run(cmds["down"]).returncode == 0
        db.dispose()
        kills = []
        for share in (0.15, 0.35, 0.55, 0.8):
            killed = run(cmds["up"], kill_after=whole * share)
            kills.append(killed.returncode == -9)
            retry = run(cmds["up"])  # at once
            assert retry.returncode == 0, f"retry after a kill at {share:.0%}:\n{retry.stdout}{retry.stderr}"
            now = db.schema_snapshot()
            now.pop("alembic_version", None)
            assert now == after, f"up killed at {share:.0%} ({killed.returncode}), then retried"
            assert leftovers(db) == []
            db.dispose()
            kills.append(run(cmds["down"], kill_after=whole * share / 2).returncode == -9)
            down = run(cmds["down"])
            assert down.returncode == 0, down.stdout + down.stderr
            now = db.schema_snapshot()
            now.pop("alembic_version", None)
            assert now == before, f"down killed at {share / 2:.0%}, then retried"  # the ledger table gone too
            db.dispose()
        assert sum(kills) >= 4, kills  # most kills landed while the client was still running
    finally:
        drop_database(db)
