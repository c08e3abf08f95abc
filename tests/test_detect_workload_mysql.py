"""`fixgen detect URL --workload` on a real MariaDB: statement digests in, EXPLAIN-checked indexes out.

The dataset and workload are tests/support/workload.py's (500,000 rows in `tickets`): two composite-filter
patterns, one query an existing index serves, primary-key lookups on `users`. performance_schema is
server-wide and shared with whatever else runs on the server: every test reads the digests of its own fresh
database only, and no test truncates the digest table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from support import dbs
from support import workload as wl
from support.dbs import Database
from support.roundtrip import cli
from support.sql import emit


def make_room(db: Database) -> None:
    """Empty the digest table when it is (nearly) full, else the workload about to run goes unrecorded. It is
    server-wide and keeps the rows of every test database dropped since it was last emptied (5,000 here): a full
    test run fills it. Emptying it affects any other user of the server, hence only when it must."""
    size = int(db.query("SELECT @@performance_schema_digests_size")[0][0])
    rows = int(db.query("SELECT COUNT(*) FROM performance_schema.events_statements_summary_by_digest")[0][0])
    if size > 0 and rows >= size - 500:
        db.execute("TRUNCATE TABLE performance_schema.events_statements_summary_by_digest")


def detect(db: Database, *args: str) -> tuple[int, list[dict[str, Any]], str]:
    """`fixgen detect URL --only workload --format json [args]`: (exit code, issues, stderr)."""
    run = cli("detect", db.url, "--only", "workload", "--format", "json", *args)
    assert run.exception is None or isinstance(run.exception, SystemExit), run.exception
    issues = json.loads(run.stdout)["issues"] if run.stdout.strip() else []
    return run.code, issues, run.stderr


def proposed(issues: list[dict[str, Any]]) -> set[tuple[str, tuple[str, ...]]]:
    assert all(i["kind"] == "missing_index" for i in issues), issues
    return {(i["table"], tuple(i["columns"])) for i in issues}


def digest_stats(db: Database, like: str) -> tuple[int, int]:
    """(calls, rows examined) the digest table holds for this database's statements whose text is LIKE `like`."""
    rows = db.query("SELECT COALESCE(SUM(COUNT_STAR), 0), COALESCE(SUM(SUM_ROWS_EXAMINED), 0) "
                    "FROM performance_schema.events_statements_summary_by_digest "
                    "WHERE SCHEMA_NAME = :db AND DIGEST_TEXT LIKE :like", {"db": db.name, "like": like})
    return int(rows[0][0]), int(rows[0][1])


def explain_key(db: Database, sql: str) -> str | None:
    """The index MariaDB's plan uses for `sql` (one table)."""
    with db.engine.connect() as conn:
        result = conn.exec_driver_sql(f"EXPLAIN {sql}")
        row = dict(zip(result.keys(), result.fetchone(), strict=True))
    return row["key"]


# the hot patterns as a digest writes them, for digest_stats
BY_AGENT = "%FROM `tickets` WHERE `tenant_id` = ? AND `agent_id` = ? AND STATUS = ?%"
BY_ASSIGNEE = "%FROM `tickets` WHERE `tenant_id` = ? AND STATUS = ? AND `assigned_to_user_id` = ?%"


def test_workload_proposes_the_two_composite_indexes_and_they_serve(mysql_db: Database, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    db = mysql_db
    make_room(db)
    wl.create_dataset("mysql", db.engine)
    ran = wl.run_workload("mysql", db.engine)
    code, issues, err = detect(db)
    assert code == 1, err
    # exactly the two composite indexes: none for the served query (external_ref), none on users (its primary key)
    assert proposed(issues) == set(wl.WANTED), issues
    for issue in issues:
        assert "performance_schema" in issue["source"]
        pattern = "by_agent" if "agent_id" in issue["columns"] else "by_assignee"
        msg = issue["message"]
        assert f"({ran[pattern]} calls" in msg, msg
        assert "500,000 measured" in msg, msg  # SUM_ROWS_EXAMINED / COUNT_STAR: a full scan per call
        assert "full scan" in msg and "(estimated)" in msg, msg

    # a table too big to count in all: the rows an index serves are counted in primary-key ranges and scaled
    from fixgen.workload import mysql as my

    exact = _count(db, "tickets", "`tenant_id` = 7 AND `status` = 'open'")
    monkeypatch.setattr(my, "FULL_COUNT_ROWS", 100_000)
    monkeypatch.setattr(my, "SAMPLE_ROWS", 50_000)
    scaled = _count(db, "tickets", "`tenant_id` = 7 AND `status` = 'open'")
    assert scaled[1] and not exact[1]
    assert abs(scaled[0] - exact[0]) <= 0.25 * exact[0], (exact, scaled)  # 2,000 rows of 500,000: sampled 1 in 10
    code, again, err = detect(db)
    assert (code, proposed(again)) == (1, set(wl.WANTED)), (again, err)
    assert all("from a sample of about 50,000 rows" in i["message"] for i in again), again
    monkeypatch.undo()

    spec = tmp_path / "workload.json"
    spec.write_text(json.dumps({"version": 1, "issues": issues}), encoding="utf-8")
    migration = emit(spec, "mysql", tmp_path)
    db.run_sql_file(migration.up)
    made = {(t, tuple(c.split(","))) for t, c in db.query(
        "SELECT TABLE_NAME, GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) FROM information_schema.STATISTICS "
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'tickets' GROUP BY TABLE_NAME, INDEX_NAME")}
    assert set(wl.WANTED) <= made, made

    # the server now uses them, and examines a small fraction of the rows it did (measured by its own digests)
    before = {p: digest_stats(db, p) for p in (BY_AGENT, BY_ASSIGNEE)}
    assert all(calls == ran["by_agent"] for calls, _ in before.values()), before
    wl.run_workload("mysql", db.engine, seed=18)
    for pattern, (calls, examined) in before.items():
        calls2, examined2 = digest_stats(db, pattern)
        per_call_before = examined / calls
        per_call_after = (examined2 - examined) / (calls2 - calls)
        assert per_call_after * 100 <= per_call_before, (pattern, per_call_before, per_call_after)
    sample = db.query("SELECT tenant_id, agent_id, status, assigned_to_user_id FROM tickets WHERE id = 4242")[0]
    key = explain_key(db, f"SELECT id FROM tickets WHERE tenant_id = {sample[0]} AND agent_id = {sample[1]} "
                          f"AND status = '{sample[2]}'")
    assert key is not None and key != "tickets_external_ref_index", key

    # with the indexes in place the same workload asks for nothing more
    code, issues, err = detect(db)
    assert (code, issues) == (0, []), (issues, err)


def test_fixgen_leaves_no_statements_of_its_own_in_the_workload(mysql_db: Database) -> None:
    """detect's EXPLAINs, samples and counts run without a default database: the digests of the database hold
    the workload only, and a second detect reads what the first did."""
    db = mysql_db
    make_room(db)
    wl.create_dataset("mysql", db.engine, rows=30_000)
    wl.run_workload("mysql", db.engine, calls=5, rows=30_000)
    first = detect(db, "--min-rows", "1000")
    texts_before = {t for (t,) in db.query(
        "SELECT DIGEST_TEXT FROM performance_schema.events_statements_summary_by_digest WHERE SCHEMA_NAME = :db "
        "AND DIGEST_TEXT LIKE 'SELECT %'", {"db": db.name})}
    second = detect(db, "--min-rows", "1000")
    texts_after = {t for (t,) in db.query(
        "SELECT DIGEST_TEXT FROM performance_schema.events_statements_summary_by_digest WHERE SCHEMA_NAME = :db "
        "AND DIGEST_TEXT LIKE 'SELECT %'", {"db": db.name})}
    assert first[0] == 1 and proposed(first[1]) == set(wl.WANTED), first
    assert proposed(second[1]) == proposed(first[1])

    def of_tables(texts: set[str]) -> set[str]:
        return {t for t in texts if "`tickets`" in t or "`users`" in t}

    assert not [t for t in of_tables(texts_after) if "COUNT" in t.upper() or "EXPLAIN" in t.upper()], texts_after
    assert of_tables(texts_after) == of_tables(texts_before) and len(of_tables(texts_after)) == 4, texts_after


def test_workload_of_another_database_is_not_picked_up(mysql_db: Database) -> None:
    quiet = mysql_db  # the same tables; only the lookups an index already serves run here
    busy = dbs.create_database("mysql")
    make_room(busy)
    try:
        for d in (quiet, busy):
            wl.create_dataset("mysql", d.engine, rows=30_000)
        wl.run_workload("mysql", busy.engine, calls=5, rows=30_000)
        with quiet.engine.connect() as conn:
            for i in range(1, 30):
                conn.exec_driver_sql(f"SELECT id, status FROM tickets WHERE external_ref = 'REF-{i}'").fetchall()
                conn.exec_driver_sql(f"SELECT id, email, name FROM users WHERE id = {i}").fetchall()
        assert proposed(detect(busy, "--min-rows", "1000")[1]) == set(wl.WANTED)
        code, issues, err = detect(quiet, "--min-rows", "1000")
        assert (code, issues) == (0, []), (issues, err)
    finally:
        dbs.drop_database(busy)


def test_nothing_recorded_is_a_clear_error(mysql_db: Database) -> None:
    db = mysql_db
    wl.create_dataset("mysql", db.engine, rows=20_000)  # DDL and INSERT ... SELECT only: no query to index for
    code, issues, err = detect(db)
    assert code == 2 and issues == [], err
    assert f"nothing recorded for database {db.name}" in err, err
    assert "Let the workload run" in err and "Traceback" not in err, err


@contextmanager
def setting(db: Database, table: str, column: str, name: str, value: str) -> Iterator[None]:
    """Set one performance_schema setup row for the shortest time it takes (it is server-wide), then restore it."""
    (old,) = db.query(f"SELECT {column} FROM performance_schema.{table} WHERE NAME = :n", {"n": name})[0]
    db.execute(f"UPDATE performance_schema.{table} SET {column} = '{value}' WHERE NAME = '{name}'")
    try:
        yield
    finally:
        db.execute(f"UPDATE performance_schema.{table} SET {column} = '{old}' WHERE NAME = '{name}'")


def test_disabled_digest_consumer_and_untimed_instrument_are_clear_errors(mysql_db: Database) -> None:
    db = mysql_db
    db.execute("CREATE TABLE t (id int PRIMARY KEY, a int)")
    with setting(db, "setup_consumers", "ENABLED", "statements_digest", "NO"):
        code, _, err = detect(db)
    assert code == 2, err
    assert "statements_digest is disabled" in err, err
    assert "UPDATE performance_schema.setup_consumers SET ENABLED = 'YES'" in err, err
    with setting(db, "setup_instruments", "TIMED", "statement/sql/delete", "NO"):
        code, _, err = detect(db)
    assert code == 2, err
    assert "statement/sql/delete" in err and "TIMED = 'YES'" in err, err
    assert db.query("SELECT ENABLED FROM performance_schema.setup_consumers WHERE NAME = 'statements_digest'") == \
        [("YES",)]


@pytest.mark.parametrize("label", ["O'Reilly \\ back", "100% sure", "naïve ☃", "x\"y"])
@pytest.mark.parametrize("mode", ["", "NO_BACKSLASH_ESCAPES"])
def test_sampled_values_find_their_own_rows(mysql_db: Database, label: str, mode: str) -> None:
    """The verifier's queries carry values read from the table (strings with quotes and backslashes, dates,
    decimals, bytes): each instantiated query finds the row its values came from, also where the session
    started with NO_BACKSLASH_ESCAPES (the verifier's session leaves it)."""
    from fixgen.dbschema import load_schema
    from fixgen.workload import mysql as my
    from fixgen.workload.candidates import parse
    from fixgen.workload.model import Query

    db = mysql_db
    db.execute(["CREATE TABLE odd (id int PRIMARY KEY, label varchar(50), amount decimal(10,3), at datetime, "
                "raw varbinary(8), day date)",
                "INSERT INTO odd SELECT seq, CONCAT(%s, seq), seq / 7, '2025-01-01' + INTERVAL seq HOUR, "
                "UNHEX(HEX(seq * 31)), '2025-01-01' + INTERVAL seq DAY FROM seq_1_to_300"
                % ("'" + label.replace("\\", "\\\\").replace("'", "''") + "'")])
    schema = load_schema(db.url)
    text = ("SELECT `id` FROM `odd` WHERE `label` = ? AND `amount` = ? AND `at` = ? AND `raw` = ? AND `day` = ? "
            "AND `id` IN (...) LIMIT ?")
    engine, name = my.connect(db.url, None)
    try:
        with engine.connect() as conn:
            if mode:
                conn.exec_driver_sql(f"SET SESSION sql_mode = CONCAT(@@sql_mode, ',{mode}')")
            verifier = my.Verifier(conn, name, schema, my.flavor_of(conn))
            rows = verifier.samples("odd")
            assert len(rows) == my.SAMPLES and len({r["id"] for r in rows}) == my.SAMPLES
            bound = my._Bound(parse(Query(text, 1, 0.0, "mysql"))[0], schema, name)
            for row in rows:
                sql = bound.instantiate({"odd": row}).sql(dialect="mysql")
                assert [r[0] for r in conn.exec_driver_sql(sql)] == [row["id"]], sql
    finally:
        engine.dispose()


def test_update_range_sort_and_cut_digest_patterns(mysql_db: Database) -> None:
    """An UPDATE's WHERE (EXPLAINed as the SELECT of its rows), an equality then a range with ORDER BY, and a digest
    cut short at max_digest_length (checked up to its last complete condition) each get their index."""
    db = mysql_db
    make_room(db)
    wl.create_dataset("mysql", db.engine, rows=30_000)
    likes = " OR ".join(f"title LIKE 'Ticket number {i}%'" for i in range(150))
    with db.engine.connect() as conn:
        run = conn.execution_options(no_parameters=True).exec_driver_sql
        for i in range(1, 9):
            run(f"UPDATE tickets SET title = CONCAT(title, '') WHERE tenant_id = {i} AND agent_id = {i * 7}")
            run(f"SELECT id FROM tickets WHERE assigned_to_user_id = {i * 13} AND created_at >= '2025-03-0{i}' "
                f"ORDER BY created_at LIMIT 10").fetchall()
            run(f"SELECT id FROM tickets WHERE status = 'open' AND agent_id = {i} AND ({likes})").fetchall()
    cut = db.query("SELECT DIGEST_TEXT FROM performance_schema.events_statements_summary_by_digest "
                   "WHERE SCHEMA_NAME = :db AND DIGEST_TEXT LIKE '%LIKE%'", {"db": db.name})
    assert len(cut) == 1 and len(cut[0][0]) > 1000 and not cut[0][0].rstrip().endswith(")"), cut  # the server cut it
    code, issues, err = detect(db, "--min-rows", "1000")
    assert code == 1, err
    assert proposed(issues) == {("tickets", ("tenant_id", "agent_id")), ("tickets", ("assigned_to_user_id", "created_at")),
                                ("tickets", ("status", "agent_id"))}, (issues, err)
    by_cols = {tuple(i["columns"]): i["message"] for i in issues}
    assert "UPDATE" in by_cols[("tenant_id", "agent_id")] and "full scan" in by_cols[("tenant_id", "agent_id")]
    assert "cut short" in by_cols[("status", "agent_id")], by_cols


def test_a_mostly_null_column_is_sampled_with_a_value_it_holds(mysql_db: Database) -> None:
    """Sampled rows with NULL in a compared column get a value the column holds (`owner_id = NULL` would match
    nothing: an estimate of 1 row, whatever the data); `IS NULL` is counted as written."""
    db = mysql_db
    make_room(db)
    db.execute(["CREATE TABLE jobs (id int PRIMARY KEY, owner_id int NULL, kind varchar(10) NOT NULL, note varchar(40))",
                "INSERT INTO jobs SELECT seq, IF(seq % 10 = 3, seq % 97, NULL), ELT(1 + seq % 3, 'a', 'b', 'c'), "
                "CONCAT('note ', seq) FROM seq_1_to_30000",
                "ANALYZE TABLE jobs"])
    assert [r["owner_id"] for r in _samples(db, "jobs")].count(None) >= 2  # what the first guess would give
    with db.engine.connect() as conn:
        for i in range(1, 6):
            conn.exec_driver_sql(f"SELECT id FROM jobs WHERE owner_id = {i} AND kind = 'b'").fetchall()
            conn.exec_driver_sql(f"SELECT id FROM jobs WHERE note IS NULL AND kind = 'c' AND id > {i}").fetchall()
    code, issues, err = detect(db, "--min-rows", "1000")
    assert code == 1, err
    assert proposed(issues) == {("jobs", ("owner_id", "kind")), ("jobs", ("note", "kind", "id"))}, (issues, err)
    by_cols = {tuple(i["columns"]): i["message"] for i in issues}
    assert "about 1 with the index" in by_cols[("note", "kind", "id")]  # no row has note NULL: counted as written
    assert "full scan" in by_cols[("owner_id", "kind")] and "not checked" not in by_cols[("owner_id", "kind")]
    # counted for owners that exist: about 30,000 / 10 / 97 / 3 = 10 rows (`owner_id = NULL` would count 0)
    about = int(re.search(r"about ([\d,]+) with the index", by_cols[("owner_id", "kind")]).group(1).replace(",", ""))
    assert 3 <= about <= 40, by_cols


def _count(db: Database, table: str, where: str) -> tuple[float, bool]:
    from fixgen.dbschema import load_schema
    from fixgen.workload import mysql as my

    engine, name = my.connect(db.url, None)
    try:
        with engine.connect() as conn:
            verifier = my.Verifier(conn, name, load_schema(db.url), my.flavor_of(conn), my.table_rows(conn, name))
            verifier.samples(table)
            return verifier._count(table, where)
    finally:
        engine.dispose()


def _samples(db: Database, table: str) -> list[dict[str, Any]]:
    from fixgen.dbschema import load_schema
    from fixgen.workload import mysql as my

    engine, name = my.connect(db.url, None)
    try:
        with engine.connect() as conn:
            return my.Verifier(conn, name, load_schema(db.url), my.flavor_of(conn)).samples(table)
    finally:
        engine.dispose()


def _uuid_sql(salt: str, n: str) -> str:
    """A char(36) UUID-shaped md5 of salt || n, in SQL (`_uuid` is the same in Python)."""
    m = f"MD5(CONCAT('{salt}', {n}))"
    return (f"CONCAT(SUBSTR({m}, 1, 8), '-', SUBSTR({m}, 9, 4), '-', SUBSTR({m}, 13, 4), '-', SUBSTR({m}, 17, 4), "
            f"'-', SUBSTR({m}, 21, 12))")


def _uuid(salt: str, n: int) -> str:
    import hashlib

    m = hashlib.md5(f"{salt}{n}".encode()).hexdigest()
    return f"{m[:8]}-{m[8:12]}-{m[12:16]}-{m[16:20]}-{m[20:]}"


SEED_ROWS = 100_000


def test_the_seeds_own_patterns_find_the_seeds_composite_indexes(mysql_db: Database) -> None:
    """examples/seed-before.mysql.sql with generated rows, and the seed's two query patterns (seed §6): the
    workload alone finds the composite indexes the seed picked by hand (InnoDB's index on each table's agent_id,
    its foreign key's, serves neither)."""
    import random

    import sqlalchemy as sa

    db = mysql_db
    make_room(db)
    db.run_sql_file(Path(wl.SEED_FILE).with_name("seed-before.mysql.sql"))
    agents = "(SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n, COUNT(*) OVER () AS k FROM agents) a"
    pick = "a.n = 1 + CRC32(CONCAT('agent', s.seq)) % a.k"
    tenant = _uuid_sql("tenant", "1 + CRC32(CONCAT('tenant', s.seq)) % 40")
    db.execute([
        "INSERT INTO agent_executions (id, tenant_id, agent_id, status, created_at, updated_at) "
        f"SELECT {_uuid_sql('execution', 's.seq')}, {tenant}, a.id, "
        "ELT(1 + CRC32(CONCAT('status', s.seq)) % 4, 'completed', 'failed', 'running', 'awaiting_approval'), "
        f"NOW(), NOW() FROM seq_1_to_{SEED_ROWS} s JOIN {agents} ON {pick}",
        "INSERT INTO hitl_approvals (id, tenant_id, agent_id, execution_id, status, assigned_to_user_id, created_at, "
        f"updated_at) SELECT {_uuid_sql('approval', 's.seq')}, {tenant}, a.id, {_uuid_sql('execution', 's.seq')}, "
        "ELT(1 + CRC32(CONCAT('status', s.seq)) % 3, 'pending', 'approved', 'rejected'), "
        f"{_uuid_sql('user', '1 + CRC32(CONCAT(' + chr(39) + 'user' + chr(39) + ', s.seq)) % 5000')}, NOW(), NOW() "
        f"FROM seq_1_to_{SEED_ROWS} s JOIN {agents} ON {pick}",
        "ANALYZE TABLE agent_executions, hitl_approvals"])
    rnd = random.Random(6)
    agent_ids = [r[0] for r in db.query("SELECT id FROM agents ORDER BY id")]
    with db.engine.connect() as conn:
        for _ in range(8):
            tenant_id = _uuid("tenant", rnd.randint(1, 40))
            conn.execute(sa.text(wl.SEED_PATTERNS["executions"]), {"tenant": tenant_id,
                                                                   "agent": rnd.choice(agent_ids)}).fetchall()
            conn.execute(sa.text(wl.SEED_PATTERNS["approvals"]), {"tenant": tenant_id,
                                                                  "user": _uuid("user", rnd.randint(1, 5000))}).fetchall()
    code, issues, err = detect(db)
    assert code == 1, err
    assert proposed(issues) == set(wl.SEED_WANTED), (issues, err)
    for issue in issues:  # how the server reads the table now (a full scan: agent_id alone selects a third)
        assert " by EXPLAIN (" in issue["message"] and "(estimated)" in issue["message"], issue
