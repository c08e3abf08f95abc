"""`fixgen detect URL --workload` on real PostgreSQL: pg_stat_statements read, candidates verified with
hypopg (issue 17).

The dataset and workload come from tests/support/workload.py (500,000 rows in the hot table): two
composite-filter patterns, a query an existing index serves, primary-key lookups. Detect must propose
exactly the two composite indexes; the spec it writes emits, applies, and makes the hot queries faster;
after it the same workload asks for nothing more. The seed's own two patterns (seed §6) on the seed's
schema find the composite indexes the seed picked by hand. A database without the extensions is a clear
error for --workload and still gets the catalog checks without it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import workload as wl
from support.dbs import Database
from support.roundtrip import cli, fixgen_emit


def detect(db: Database, *args: str) -> tuple[int, list[dict[str, Any]], str]:
    """`fixgen detect URL --format json ARGS`: (exit code, issues, stderr); never a traceback."""
    run = cli("detect", db.url, "--format", "json", *args)
    assert run.exception is None or isinstance(run.exception, SystemExit), run.exception
    issues = json.loads(run.stdout)["issues"] if run.stdout.strip() else []
    return run.code, issues, run.stderr


def indexes_of(issues: list[dict[str, Any]]) -> list[tuple[str, tuple[str, ...]]]:
    return sorted((i["table"], tuple(i["columns"])) for i in issues if i["kind"] == "missing_index")


def hot_mean_ms(db: Database, like: str) -> float:
    """Mean execution time (ms) of the statements matching `like`, from pg_stat_statements."""
    rows = db.query("SELECT sum(total_exec_time) / sum(calls) FROM pg_stat_statements WHERE dbid = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database()) AND query LIKE :q",
                    {"q": like})
    return float(rows[0][0])


@pytest.fixture
def hot(pg_db: Database) -> Database:
    """The generated dataset (500,000 tickets) with its workload run once, statistics from that run only."""
    wl.enable_extensions_or_skip(pg_db.engine)
    wl.create_dataset("postgresql", pg_db.engine)
    wl.reset_statistics("postgresql", pg_db.engine)
    ran = wl.run_workload("postgresql", pg_db.engine)
    assert ran["by_agent"] == ran["by_assignee"] == 20
    return pg_db


def test_the_workload_proves_exactly_the_two_composite_indexes(hot: Database, tmp_path: Path) -> None:
    before = hot.schema_snapshot()
    code, issues, stderr = detect(hot, "--only", "workload")
    assert code == 1, stderr
    assert indexes_of(issues) == sorted(wl.WANTED) and len(issues) == 2  # none for external_ref, none on users
    for issue in issues:
        assert issue["source"] == "fixgen detect: workload (pg_stat_statements, hypopg)"
        assert "serves 1 query (20 calls, " in issue["message"] and "(hypopg, -" in issue["message"], issue
        assert "FROM tickets WHERE tenant_id = $1" in issue["message"]
    assert hot.schema_snapshot() == before  # hypothetical indexes only: nothing built, nothing left
    assert hot.query("SELECT count(*) FROM pg_indexes WHERE tablename = 'tickets'") == [(2,)]

    # with the catalog checks: their findings too (tickets.assigned_to_user_id has no foreign key to users)
    code, both, _ = detect(hot, "--workload")
    assert code == 1 and indexes_of(both) == indexes_of(issues)
    assert [(i["kind"], i["columns"]) for i in both if i["kind"] != "missing_index"] == \
        [("missing_foreign_key", ["assigned_to_user_id"])]

    # the spec emits and applies; the hot queries get faster, and the workload then asks for nothing more
    spec = tmp_path / "workload.yaml"
    run = cli("detect", hot.url, "--only", "workload", "--out", spec)
    assert run.code == 1 and yaml.safe_load(spec.read_text())["issues"] == issues
    out = tmp_path / "sql"
    fixgen_emit(spec, "sql", out, "--dialect", "postgresql")
    slow = hot_mean_ms(hot, "SELECT id, title%FROM tickets WHERE tenant_id%")
    hot.run_sql_file(next(out.glob("*.up.sql")))
    made = {tuple(ix["columns"]) for ix in hot.schema_snapshot()["tickets"]["indexes"]}
    assert {cols for _, cols in wl.WANTED} <= made
    wl.reset_statistics("postgresql", hot.engine)
    wl.run_workload("postgresql", hot.engine, seed=18)
    fast = hot_mean_ms(hot, "SELECT id, title%FROM tickets WHERE tenant_id%")
    assert slow / fast >= 10, (slow, fast)
    assert detect(hot, "--only", "workload")[:2] == (0, [])


def test_the_options_change_what_is_proposed(hot: Database) -> None:
    assert detect(hot, "--only", "workload", "--min-gain", "100%")[:2] == (0, [])  # no index makes a query free
    assert detect(hot, "--only", "workload", "--min-rows", "1000000")[:2] == (0, [])  # tickets: 500,000 rows
    code, issues, _ = detect(hot, "--only", "workload", "--top", "1")  # the costliest statement only
    assert code == 1 and len(issues) == 1 and indexes_of(issues)[0] in wl.WANTED
    code, issues, _ = detect(hot, "--only", "workload", "--min-gain", "0.9", "--min-rows", "400000")
    assert code == 1 and indexes_of(issues) == sorted(wl.WANTED)


def test_the_seed_patterns_find_the_seeds_composite_indexes(pg_db: Database) -> None:
    wl.enable_extensions_or_skip(pg_db.engine)
    wl.create_seed_dataset(pg_db.engine, rows=200_000)
    wl.reset_statistics("postgresql", pg_db.engine)
    wl.run_seed_workload(pg_db.engine)
    code, issues, stderr = detect(pg_db, "--only", "workload")
    assert code == 1, stderr
    assert indexes_of(issues) == sorted(wl.SEED_WANTED) and len(issues) == 2
    # and next to the catalog's findings (the seed's missing keys and indexes), still once each
    code, both, _ = detect(pg_db, "--workload")
    assert code == 1 and set(indexes_of(issues)) <= set(indexes_of(both))
    assert len(both) > len(issues) and len({json.dumps(i, sort_keys=True) for i in both}) == len(both)


def test_a_partitioned_table_gets_its_index_through_each_partition(pg_db: Database, tmp_path: Path) -> None:
    wl.enable_extensions_or_skip(pg_db.engine)
    pg_db.execute(["CREATE TABLE events (id bigint NOT NULL, tenant_id integer NOT NULL, kind integer NOT NULL, "
                   "at date NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)",
                   "CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
                   "CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
                   "INSERT INTO events SELECT g, g % 97, g % 13, DATE '2024-01-01' + (g % 700) "
                   "FROM generate_series(1, 200000) AS g",
                   "ANALYZE events"])
    wl.reset_statistics("postgresql", pg_db.engine)
    for i in range(10):
        pg_db.query("SELECT id FROM events WHERE tenant_id = :t AND kind = :k", {"t": i, "k": i % 13})
    code, issues, stderr = detect(pg_db, "--only", "workload")
    assert code == 1 and indexes_of(issues) == [("events", ("tenant_id", "kind"))], stderr
    spec = tmp_path / "events.yaml"
    assert cli("detect", pg_db.url, "--only", "workload", "--out", spec).code == 1
    out = tmp_path / "sql"
    fixgen_emit(spec, "sql", out, "--dialect", "postgresql")
    pg_db.run_sql_file(next(out.glob("*.up.sql")))
    snap = pg_db.schema_snapshot()
    for table in ("events", "events_2024", "events_2025"):
        assert ["tenant_id", "kind"] in [ix["columns"] for ix in snap[table]["indexes"]], table
    wl.reset_statistics("postgresql", pg_db.engine)
    pg_db.query("SELECT id FROM events WHERE tenant_id = :t AND kind = :k", {"t": 1, "k": 1})
    assert detect(pg_db, "--only", "workload")[:2] == (0, [])


def test_a_join_gets_both_sides_the_lookup_side_once_the_driving_side_is_verified(pg_db: Database,
                                                                                  tmp_path: Path) -> None:
    """A join filtered on users.email: an index on users (email) alone hardly lowers the cost (orders is still
    scanned), so it is verified again with the orders index kept in place, where it pays."""
    wl.enable_extensions_or_skip(pg_db.engine)
    pg_db.execute(["CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL)",
                   "INSERT INTO users SELECT g, 'u' || g || '@x' FROM generate_series(1, 50000) AS g",
                   "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL, total integer)",
                   "INSERT INTO orders SELECT g, 1 + (g::bigint * 7919) % 50000, g % 1000 FROM generate_series(1, 300000) AS g",
                   "ANALYZE"])
    wl.reset_statistics("postgresql", pg_db.engine)
    for i in range(10):
        pg_db.query('SELECT "orders".* FROM "orders" INNER JOIN "users" ON "users"."id" = "orders"."user_id" '
                    'WHERE "users"."email" = :e', {"e": f"u{i * 37}@x"})
    code, issues, stderr = detect(pg_db, "--only", "workload")
    assert code == 1 and indexes_of(issues) == [("orders", ("user_id",)), ("users", ("email",))], stderr
    spec = tmp_path / "join.yaml"
    assert cli("detect", pg_db.url, "--only", "workload", "--out", spec).code == 1
    out = tmp_path / "sql"
    fixgen_emit(spec, "sql", out, "--dialect", "postgresql")
    pg_db.run_sql_file(next(out.glob("*.up.sql")))
    plan = "\n".join(r[0] for r in pg_db.query(
        "EXPLAIN SELECT orders.* FROM orders JOIN users ON users.id = orders.user_id WHERE users.email = 'u37@x'"))
    assert "ix_orders_user_id" in plan and "ix_users_email" in plan and "Seq Scan" not in plan, plan


def test_a_workload_index_that_also_serves_a_foreign_key_replaces_the_catalogs(pg_db: Database, tmp_path: Path) -> None:
    """The catalog asks for an index on orders(user_id) (a foreign key without one), the workload for
    (user_id, status): one index, else the next detect would find the narrower one redundant."""
    wl.enable_extensions_or_skip(pg_db.engine)
    pg_db.execute(["CREATE TABLE users (id integer PRIMARY KEY)",
                   "CREATE TABLE orders (id integer PRIMARY KEY, user_id integer REFERENCES users (id), status integer)",
                   "INSERT INTO users SELECT g FROM generate_series(1, 5000) AS g",
                   "INSERT INTO orders SELECT g, 1 + g % 5000, g % 7 FROM generate_series(1, 100000) AS g",
                   "ANALYZE users", "ANALYZE orders"])
    code, catalog, _ = detect(pg_db)
    assert code == 1 and indexes_of(catalog) == [("orders", ("user_id",))]
    wl.reset_statistics("postgresql", pg_db.engine)
    for i in range(10):
        pg_db.query("SELECT id FROM orders WHERE user_id = :u AND status = :s", {"u": i, "s": i % 7})
    code, issues, _ = detect(pg_db, "--workload")
    assert code == 1 and indexes_of(issues) == [("orders", ("user_id", "status"))], issues
    assert "it also serves what fixgen detect: fk-without-index asked for" in issues[0]["message"]
    spec = tmp_path / "orders.yaml"
    assert cli("detect", pg_db.url, "--workload", "--out", spec).code == 1
    out = tmp_path / "sql"
    fixgen_emit(spec, "sql", out, "--dialect", "postgresql")
    pg_db.run_sql_file(next(out.glob("*.up.sql")))
    assert detect(pg_db, "--workload")[:2] == (0, [])  # the foreign key is served, nothing is redundant


def test_verifying_leaves_nothing_behind_in_its_session(pg_db: Database) -> None:
    """hypopg's indexes and prepared statements live in the session: after `verify` the same connection has
    none, its settings are back, and a statement that cannot be planned is a warning, not a failure."""
    from fixgen.dbschema import engine_for, load_schema
    from fixgen.workload.candidates import candidates
    from fixgen.workload.postgresql import check_prerequisites, read_statements, verify

    wl.enable_extensions_or_skip(pg_db.engine)
    pg_db.execute(["CREATE TABLE t (id integer PRIMARY KEY, a integer, b integer)",
                   "INSERT INTO t SELECT g, g % 1000, g % 7 FROM generate_series(1, 100000) AS g", "ANALYZE t"])
    wl.reset_statistics("postgresql", pg_db.engine)
    pg_db.query("SELECT id FROM t WHERE a = :a AND b = :b", {"a": 1, "b": 2})
    schema = load_schema(pg_db.url)
    engine = engine_for(pg_db.url)
    try:
        with engine.connect() as conn:
            queries = read_statements(conn, check_prerequisites(conn), 50)
            # $2 only: PostgreSQL cannot tell $1's type, so this one cannot be prepared
            queries.append(type(queries[0])("SELECT id FROM t WHERE b = $2", 1, 1.0, "postgresql"))
            cands = candidates(queries, schema)
            assert [c.columns for c in cands] == [("b",), ("b", "a")]  # b first: one index could serve both
            verify(conn, cands, schema, check_prerequisites(conn))
            assert cands[0].verified == "no" and cands[0].costs == {}
            assert cands[1].verified == "hypopg" and cands[1].gain is not None and cands[1].gain > 0.9
            assert any("1 statement(s) could not be planned" in w.text() for w in schema.warnings), schema.warnings
            left = conn.exec_driver_sql("SELECT (SELECT count(*) FROM hypopg_list_indexes), (SELECT count(*) FROM "
                                        "pg_prepared_statements), current_setting('plan_cache_mode')").one()
            assert tuple(left) == (0, 0, "auto")
    finally:
        engine.dispose()
    assert pg_db.query("SELECT count(*) FROM pg_indexes WHERE tablename = 't'") == [(1,)]


def test_a_database_without_the_extensions(pg_db: Database) -> None:
    pg_db.execute(["CREATE TABLE t (id integer PRIMARY KEY, u_id integer)"])
    major = int(pg_db.query("SELECT current_setting('server_version_num')")[0][0]) // 10000
    hypopg = pg_db.query("SELECT count(*) FROM pg_available_extensions WHERE name = 'hypopg'")[0][0] > 0
    no_hypopg = ("error: the extension hypopg is not created in database " if hypopg
                 else f"error: hypopg is not installed on the server: apt-get install postgresql-{major}-hypopg")
    run = cli("detect", pg_db.url, "--workload")
    assert run.code == 2 and isinstance(run.exception, SystemExit), run.output
    assert "error: the extension pg_stat_statements is not created in database " in run.stderr
    assert "run CREATE EXTENSION pg_stat_statements; in it" in run.stderr
    assert no_hypopg in run.stderr and "Traceback" not in run.output
    assert run.stdout == ""
    # without --workload: the catalog checks, as ever
    assert cli("detect", pg_db.url, "--format", "json").code == 0
    pg_db.execute("CREATE EXTENSION pg_stat_statements")
    run = cli("detect", pg_db.url, "--only", "workload")
    assert run.code == 2 and "pg_stat_statements" not in run.stderr.split("detect --workload needs")[0], run.stderr
    assert no_hypopg in run.stderr
    wl.enable_extensions_or_skip(pg_db.engine)
    assert detect(pg_db, "--only", "workload")[:2] == (0, [])  # nothing to read yet: nothing to propose


def test_a_user_who_cannot_see_the_statements(pg_db: Database) -> None:
    """Another user's statements show as <insufficient privilege>: the error names the grant."""
    import secrets

    from sqlalchemy.engine import make_url

    wl.enable_extensions_or_skip(pg_db.engine)
    pg_db.execute(["CREATE TABLE t (id integer PRIMARY KEY, a integer)",
                   "INSERT INTO t SELECT g, g % 1000 FROM generate_series(1, 100000) AS g", "ANALYZE t"])
    wl.reset_statistics("postgresql", pg_db.engine)
    for a in range(10):
        pg_db.query("SELECT id FROM t WHERE a = :a", {"a": a})
    role = f"fixgen_t_role_{secrets.token_hex(4)}"
    pg_db.execute(f"CREATE ROLE {role} LOGIN")
    try:
        url = make_url(pg_db.url).set(username=role).render_as_string(hide_password=False)
        run = cli("detect", url, "--only", "workload")
        assert run.code == 2 and f"GRANT pg_read_all_stats TO {role};" in run.stderr, run.output
        pg_db.execute(f"GRANT pg_read_all_stats TO {role}")
        run = cli("detect", url, "--only", "workload", "--format", "json")  # it sees them, may not plan them
        assert run.code == 0 and "permission denied for table t" in run.stderr, run.output
        assert "warning: workload: 1 statement(s) could not be planned" in run.stderr
        pg_db.execute(f"GRANT SELECT ON t TO {role}")
        run = cli("detect", url, "--only", "workload", "--format", "json")
        assert run.code == 1 and json.loads(run.stdout)["issues"][0]["columns"] == ["a"], run.output
    finally:  # roles are the server's, not the database's: this one goes with the test
        pg_db.execute([f"DROP OWNED BY {role}", f"DROP ROLE {role}"])


def test_usage_errors(sqlite_db: Database) -> None:
    run = cli("detect", sqlite_db.url, "--workload")
    assert run.code == 2 and "a sqlite database keeps no workload statistics" in run.stderr, run.output
    for args, says in ((["--workload", "--min-gain", "50"], "--min-gain must be a percentage"),
                       (["--workload", "--min-gain", "150%"], "--min-gain must be a percentage"),
                       (["--only", "everything"], "--only must be workload or catalog"),
                       (["--workload", "--only", "catalog"], "contradict")):
        run = cli("detect", "postgresql://nobody@127.0.0.1:1/none", *args)
        assert run.code == 2 and says in run.stderr, (args, run.output)
