"""Online mode (the default for PostgreSQL and MySQL): no surrounding transaction, so every
step must survive an interruption and a re-run, and the rollback must stay exact.

Interruptions are real: a concurrent unique build that fails half-way (PostgreSQL leaves an
INVALID index), a file cut between two steps, a lock held by another session, rows
written while a foreign key is being added. The PostgreSQL output is also linted with
squawk, the offline migration linter, which must find nothing but the inherent.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.dbs import Database, SqlRunError, in_ci
from support.roundtrip import (
    POSTS,
    POSTS_FK,
    TS,
    UNIQUE_SLUG,
    fixgen_emit,
    ledger_rows,
    load_seed,
    lock_held,
    older_transaction,
    pg_index,
    write_spec,
)

from fixgen.targets.context import LEDGER


def emit(tmp_path: Path, dialect: str, issues: list[dict], *flags: str) -> tuple[Path, Path]:
    spec = write_spec(tmp_path, {"version": 1, "name": "online", "issues": issues}, own_folder=True)
    out = spec.parent / "out"
    fixgen_emit(spec, "sql", out, "--dialect", dialect, *flags)
    return out / f"{TS}_online.up.sql", out / f"{TS}_online.down.sql"



def run_fails(db: Database, path: Path) -> str:
    with pytest.raises(SqlRunError) as info:
        db.run_sql_file(path)
    return info.value.output


# =========================================================================== PostgreSQL


def test_pg_invalid_index_from_a_failed_concurrent_build_is_dropped_and_rebuilt(pg_db: Database, tmp_path: Path) -> None:
    """A unique build over duplicates fails half-way and leaves an INVALID index under our name;
    `CREATE INDEX CONCURRENTLY IF NOT EXISTS` alone would then "succeed" without an index."""
    db = pg_db
    db.execute(POSTS)
    s0 = db.schema_snapshot()
    up, down = emit(tmp_path, "postgresql", [UNIQUE_SLUG])

    out = run_fails(db, up)
    assert "could not create unique index" in out, out
    assert pg_index(db, "uq_posts_slug") == (False, True)  # the leftover an interrupted build leaves
    assert [r[1] for r in ledger_rows(db)] == ["create_index:posts:uq_posts_slug"]

    # what the guard protects against: IF NOT EXISTS is satisfied by the invalid index
    db.execute("DELETE FROM posts WHERE id = 3")
    db.run_sql("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_posts_slug ON posts (slug);")
    assert pg_index(db, "uq_posts_slug") == (False, True)

    db.run_sql_file(up)
    assert pg_index(db, "uq_posts_slug") == (True, True)
    db.run_sql_file(up)  # and again: nothing to do
    assert pg_index(db, "uq_posts_slug") == (True, True)

    db.run_sql_file(down)
    s_down = db.schema_snapshot()
    assert pg_index(db, "uq_posts_slug") is None
    assert LEDGER not in s_down
    s0["posts"] = db.schema_snapshot()["posts"]  # the only change to posts is the deleted row
    assert s_down == s0


def test_pg_invalid_index_in_down_is_recreated_on_rerun(pg_db: Database, tmp_path: Path) -> None:
    """redundant_index: down recreates the dropped index concurrently; an invalid leftover of an
    interrupted recreate is replaced, not taken for the real thing."""
    db = pg_db
    db.execute([*POSTS, "DELETE FROM posts WHERE id = 3", "CREATE INDEX ix_posts_slug ON posts (slug)"])
    s0 = db.schema_snapshot()
    up, down = emit(tmp_path, "postgresql", [{"kind": "redundant_index", "table": "posts", "name": "ix_posts_slug",
                                              "columns": ["slug"]}])
    db.run_sql_file(up)
    assert pg_index(db, "ix_posts_slug") is None
    # an interrupted recreate: an invalid index under the name (made here by a failing unique build)
    db.execute("INSERT INTO posts (id, user_id, slug) VALUES (3, 1, 'one')")
    with pytest.raises(SqlRunError):
        db.run_sql("CREATE UNIQUE INDEX CONCURRENTLY ix_posts_slug ON posts (slug);")
    assert pg_index(db, "ix_posts_slug") == (False, True)
    db.run_sql_file(down)
    assert pg_index(db, "ix_posts_slug") == (True, False)  # rebuilt as the spec says, valid
    db.execute("DELETE FROM posts WHERE id = 3")
    assert db.schema_snapshot() == s0


def test_pg_foreign_key_left_not_valid_is_validated_on_rerun(pg_db: Database, tmp_path: Path) -> None:
    db = pg_db
    db.execute(POSTS)
    s0 = db.schema_snapshot()
    up, down = emit(tmp_path, "postgresql", [POSTS_FK])
    text = up.read_text(encoding="utf-8")
    cut = text.index("\\endif\n", text.index("NOT VALID;")) + len("\\endif\n")
    part = tmp_path / "part.up.sql"
    part.write_text(text[:cut], encoding="utf-8")
    db.run_sql_file(part)  # killed between adding the constraint and validating it
    fk = "SELECT convalidated FROM pg_constraint WHERE conname = 'fk_posts_user_id_users'"
    assert db.query(fk) == [(False,)]
    db.run_sql_file(up)
    assert db.query(fk) == [(True,)]
    db.run_sql_file(down)
    assert db.query(fk) == []
    assert db.schema_snapshot() == s0


def test_pg_lock_timeout_makes_a_blocked_step_fail_fast(pg_db: Database, tmp_path: Path) -> None:
    """Another session holds a lock the rename needs: with one try (--lock-wait 0) the step gives up after
    --lock-timeout (instead of queueing every writer behind it) and a later run finishes the job (retries:
    tests/test_lock_retries.py)."""
    db = pg_db
    load_seed(db)
    s0 = db.schema_snapshot()
    rename = {"kind": "rename_column", "table": "webhooks", "from": "created_by_user_id", "to": "user_id"}
    index = {"kind": "missing_index", "table": "api_keys", "columns": ["tenant_id", "name"]}
    up, down = emit(tmp_path, "postgresql", [rename, index], "--lock-timeout", "300ms", "--lock-wait", "0")
    with lock_held(db, "SELECT count(*) FROM webhooks"):  # ACCESS SHARE until the transaction ends
        out = run_fails(db, up)
        assert "gave up waiting for a lock on webhooks after 0" in out and "held by: pid " in out, out
    assert db.query("SELECT count(*) FROM information_schema.columns WHERE table_name = 'webhooks' "
                    "AND column_name = 'user_id'") == [(0,)]
    db.run_sql_file(up)
    s1 = db.schema_snapshot()
    assert any(c["name"] == "user_id" for c in s1["webhooks"]["columns"])
    db.run_sql_file(down)
    assert db.schema_snapshot() == s0


def test_pg_concurrent_build_waits_for_older_transactions_despite_the_lock_timeout(pg_db: Database,
                                                                                   tmp_path: Path) -> None:
    """A concurrent build must wait for every older transaction, which holds up no writer: the lock
    timeout is lifted around it, or any long transaction anywhere would make the build fail."""
    db = pg_db
    db.execute([*POSTS, "DELETE FROM posts WHERE id = 3", "CREATE TABLE audit (id INTEGER PRIMARY KEY)"])
    s0 = db.schema_snapshot()
    up, down = emit(tmp_path, "postgresql", [UNIQUE_SLUG, POSTS_FK], "--lock-timeout", "200ms")
    with older_transaction(db, 1.5, "users"):  # NOT VALID takes SHARE ROW EXCLUSIVE on users: no conflict
        db.run_sql_file(up)
    assert pg_index(db, "uq_posts_slug") == (True, True)
    assert db.query("SELECT convalidated FROM pg_constraint WHERE conname = 'fk_posts_user_id_users'") == [(True,)]
    # (dropping the foreign key needs ACCESS EXCLUSIVE on users: down waits on another table)
    with older_transaction(db, 1.5, "audit"):
        db.run_sql_file(down)
    assert db.schema_snapshot() == s0


def _squawk() -> str:
    exe = Path(sys.executable).with_name("squawk")
    found = str(exe) if exe.exists() else shutil.which("squawk")
    if not found:
        msg = "squawk is not installed (pip install squawk-cli; it is in the [test] extra)"
        if in_ci():
            pytest.fail(msg)
        pytest.skip(msg)
    return found


def squawk_rules(path: Path) -> list[str]:
    proc = subprocess.run([_squawk(), "--reporter", "json", str(path)], capture_output=True, text=True,
                          env={**os.environ, "NO_COLOR": "1"}, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    return sorted({f["rule_name"] for f in json.loads(proc.stdout or "[]")})


LOCK_SAFETY = {"require-concurrent-index-creation", "require-concurrent-index-deletion", "constraint-missing-not-valid",
               "adding-foreign-key-constraint", "require-lock-timeout", "require-statement-timeout",
               "disallowed-unique-constraint", "adding-field-with-default", "adding-not-nullable-field",
               "prefer-robust-stmts", "changing-column-type", "ban-concurrent-index-creation-in-transaction"}


def test_squawk_finds_only_the_inherent_in_online_output(tmp_path: Path) -> None:
    """The seed's PostgreSQL fix, linted offline by squawk.

    The statements that take a lock writers conflict with (renames, added and dropped columns, NOT VALID
    foreign keys) sit in DO blocks that retry them after a short lock timeout (docs/online.md), which
    squawk does not look into; what it sees — every index statement, top-level behind a psql \\if, and
    the validations — has nothing to report. (With every DDL statement top-level, it reported exactly
    the inherent renaming-column and prefer-timestamp-tz, and the rollback's drops.)
    """
    spec = Path(__file__).resolve().parent.parent / "examples" / "seed-fixes.yaml"
    out = tmp_path / "online"
    fixgen_emit(spec, "sql", out, "--dialect", "postgresql")
    up, down = sorted(out.glob("*.up.sql"))[0], sorted(out.glob("*.down.sql"))[0]
    assert squawk_rules(up) == [] and squawk_rules(down) == []
    retried = up.read_text(encoding="utf-8").count("EXCEPTION WHEN lock_not_available")
    assert retried >= 5 + 3, retried  # the seed's 5 foreign keys and its renames, at least
    # the partitioned-table functions (fixgen/partitions.py) hold statements for partitioned parents, which
    # PostgreSQL builds ON ONLY and drops only without CONCURRENTLY (tests/test_partitioned_tables.py)
    functions = re.compile(r"CREATE OR REPLACE FUNCTION pg_temp\.fixgen_partition_.*?\$fixgen\$;", re.S)
    text, down_text = (functions.sub("", f.read_text(encoding="utf-8")) for f in (up, down))
    assert not re.search(r"CREATE (UNIQUE )?INDEX (?!CONCURRENTLY)", text)
    assert not re.search(r"DROP INDEX (?!CONCURRENTLY)", text + down_text)
    adds = len(re.findall(r"ADD CONSTRAINT .* FOREIGN KEY .* NOT VALID;", text))
    assert adds == 5 == text.count("VALIDATE CONSTRAINT") == text.count("ADD CONSTRAINT")


def test_squawk_flags_what_online_mode_avoids(tmp_path: Path) -> None:
    """The linter is not vacuous: a hand-written migration of the same kind of fixes (what
    `$table->index()` / `$table->foreign()` produce) is flagged for lock safety."""
    naive = tmp_path / "naive.sql"
    naive.write_text("CREATE INDEX ix_posts_user_id ON posts (user_id);\n"
                     "ALTER TABLE posts ADD CONSTRAINT fk_posts_user_id FOREIGN KEY (user_id) REFERENCES users (id);\n",
                     encoding="utf-8")
    found = set(squawk_rules(naive))
    assert {"require-concurrent-index-creation", "constraint-missing-not-valid", "require-lock-timeout",
            "require-statement-timeout"} <= found, found
    assert found & LOCK_SAFETY


def test_plain_output_is_what_squawk_would_flag(tmp_path: Path) -> None:
    """--no-online is one transaction with DO blocks: no statement timeout, which squawk reports (its only
    lock_timeout is the one the run lock's wait sets, then resets)."""
    spec = Path(__file__).resolve().parent.parent / "examples" / "seed-fixes.yaml"
    out = tmp_path / "plain"
    fixgen_emit(spec, "sql", out, "--dialect", "postgresql", "--no-online")
    found = set(squawk_rules(sorted(out.glob("*.up.sql"))[0]))
    assert {"require-statement-timeout"} <= found, found


# =========================================================================== MySQL / MariaDB


def test_mysql_orphans_written_while_the_foreign_key_is_added_stop_the_run(mysql_db: Database, tmp_path: Path) -> None:
    """InnoDB adds a foreign key in place only with foreign_key_checks off, which does not check
    rows: rows written between the preflight and the ALTER are caught by the check after it."""
    db = mysql_db
    db.execute(POSTS)
    db.execute("DELETE FROM posts WHERE id = 3")
    s0 = db.schema_snapshot()
    up, down = emit(tmp_path, "mysql", [POSTS_FK])
    text = up.read_text(encoding="utf-8")
    assert "ALGORITHM=INPLACE, LOCK=NONE" in text
    cut = text.index("SET SESSION foreign_key_checks = 0;")
    first, rest = tmp_path / "first.sql", tmp_path / "rest.sql"
    first.write_text(text[:cut], encoding="utf-8")
    rest.write_text(text[cut:], encoding="utf-8")
    db.run_sql_file(first)  # preflight passed, the step recorded
    db.execute("INSERT INTO posts (id, user_id, slug) VALUES (9, 99, 'x')")  # a writer, before the ALTER
    out = run_fails(db, rest)
    assert "1 orphan row(s) in posts (user_id): no matching row in users (id)" in out, out
    assert "were written while foreign key fk_posts_user_id_users was being added" in out, out
    fks = db.schema_snapshot()["posts"]["foreign_keys"]
    assert [f["name"] for f in fks] == ["fk_posts_user_id_users"]

    db.execute("DELETE FROM posts WHERE id = 9")
    db.run_sql_file(up)
    db.run_sql_file(up)
    assert len(ledger_rows(db)) == 2  # the foreign key and the index the plan adds to serve it
    db.run_sql_file(down)
    assert db.schema_snapshot() == s0


def test_mysql_online_refuses_to_lock_rather_than_block(mysql_db: Database, tmp_path: Path) -> None:
    """LOCK=NONE is a promise InnoDB keeps or refuses: the generated statements run as written
    on a table with a FULLTEXT index, where an in-place index build must lock (InnoDB says so),
    so the step fails instead of blocking writes, and --no-online runs it."""
    db = mysql_db
    db.execute(["CREATE TABLE docs (id INTEGER PRIMARY KEY, owner_id INTEGER, body TEXT, FULLTEXT KEY ft_body (body))"
                " ENGINE=InnoDB", "INSERT INTO docs VALUES (1, 1, 'hello world')"])
    issue = {"kind": "missing_column", "table": "docs", "column": "note", "type": "string", "nullable": True}
    up, _ = emit(tmp_path, "mysql", [issue])
    out = run_fails(db, up)
    assert "LOCK=NONE" in out or "LOCK=SHARED" in out or "not supported" in out, out
    assert all(c["name"] != "note" for c in db.schema_snapshot()["docs"]["columns"])
    up_plain, down_plain = emit(tmp_path / "plain", "mysql", [issue], "--no-online")
    db.run_sql_file(up_plain)
    assert any(c["name"] == "note" for c in db.schema_snapshot()["docs"]["columns"])
