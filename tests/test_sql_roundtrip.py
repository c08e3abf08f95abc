"""Real round trips of the `sql` target on PostgreSQL, MariaDB/MySQL and SQLite.

Every test generates the migration with the real CLI (in-process, typer's CliRunner),
runs it with the real command-line client (psql, mariadb, sqlite3 -bail) through
tests/support/dbs.py, and compares exact schema snapshots (tables, columns, indexes, foreign
keys with their actions) and data rows. No mocks.

What the sql target promises (see fixgen/targets/sql/):
  * up is guarded: it changes only what is missing, and records what it did in
    fixgen_ledger; running it again changes nothing;
  * down undoes exactly what up recorded, then drops the ledger table once empty
    (PostgreSQL, MySQL; on SQLite the ledger table stays, documented);
  * a preflight stops up before any change when the database cannot take the fixes
    (missing tables/columns, orphan rows, SET NULL on a NOT NULL column) -- on MySQL
    too, where DDL is not transactional;
  * SQLite's plain SQL supports only missing_index/redundant_index, and stops when an
    equivalent index exists under another name (up) or when an index by the
    migration's name existed before up (down) -- documented limitations.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import random
import re
from pathlib import Path
from typing import Any

import pytest
from support.dbs import Database, SqlRunError
from support.roundtrip import (
    ALL_SEED_INDEXES,
    FK,
    HAND_FK_MODES,
    HAND_INDEX_MODES,
    LEDGER,
    RENAMED_TO,
    RENAMES,
    SEED_DOC,
    SEED_FKS,
    SEED_INDEXES,
    SEED_ISSUES,
    SEED_SPEC,
    TIMESTAMP_TABLES,
    TS,
    ByHand,
    assert_each_seed_fix_once,
    assert_schema,
    assert_seed_objects,
    check_ledger_table,
    cli,
    columns,
    expected_after_up,
    expected_data_after_up,
    fk_by_hand,
    fks_on,
    index_by_hand,
    index_entry,
    index_named,
    indexes_leading,
    ix_name,
    ledger_rows,
    load_seed,
    name_before_rename,
    without,
    write_spec,
)
from support.sql import emit, run_fails

from fixgen.ledger import MARKER_STEP

SERVER_DIALECTS = ("postgresql", "mysql")

# the type fixgen gives created_at/updated_at, as the catalogs report it
TIMESTAMP_TYPE = {"postgresql": "timestamp(0) without time zone", "mysql": "timestamp"}
# the DDL a person would type to add one by hand
TIMESTAMP_DDL = {"postgresql": "TIMESTAMP(0) WITHOUT TIME ZONE NULL", "mysql": "TIMESTAMP NULL"}

# the schema up must make (fixgen's conventional names), and how many changes: see roundtrip.expected_after_up
expected_seed_after_up = functools.partial(expected_after_up, timestamp_types=TIMESTAMP_TYPE)


# --------------------------------------------------------------------------- the seed spec, as data


def sqlite_seed_issues() -> list[dict[str, Any]]:
    """seed-fixes.yaml cut to what SQLite's plain SQL supports: missing_index issues on
    columns that exist without the (unsupported) renames."""
    return [
        i for i in SEED_ISSUES
        if i["kind"] == "missing_index" and not any((i["table"], c) in RENAMED_TO for c in i["columns"])
    ]


def sqlite_seed_spec() -> dict[str, Any]:
    return {"version": 1, "name": SEED_DOC["name"], "issues": sqlite_seed_issues()}


def schema_after_down(db: Database, s: dict) -> dict:
    """Snapshot `s` taken after down, the ledger table aside on SQLite, where the plain SQL
    cannot drop it conditionally (documented)."""
    return without(s, LEDGER) if db.dialect == "sqlite" else s


# =========================================================================== 1. clean round trip


def test_clean_round_trip(db: Database, tmp_path: Path) -> None:
    """PostgreSQL and MySQL in online mode (the default)."""
    clean_round_trip(db, tmp_path)


@pytest.mark.parametrize("dialect", SERVER_DIALECTS)
def test_clean_round_trip_plain(dialect: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """--no-online: PostgreSQL in one transaction, MySQL without ALGORITHM/LOCK clauses."""
    clean_round_trip(request.getfixturevalue("pg_db" if dialect == "postgresql" else "mysql_db"), tmp_path,
                     "--no-online")


def clean_round_trip(db: Database, tmp_path: Path, *flags: str) -> None:
    load_seed(db)
    dialect = db.dialect
    spec = SEED_SPEC if dialect != "sqlite" else sqlite_seed_spec()
    mig = emit(spec, dialect, tmp_path, *flags)
    s0 = db.schema_snapshot()
    tables = sorted(s0)
    d0 = db.data_snapshot(tables)
    assert LEDGER not in s0
    if dialect != "sqlite":
        renamed_before = {t: sorted(db.query(f"SELECT id, {old} FROM {t}")) for t, old, _ in RENAMES}

    # ---- up
    db.run_sql_file(mig.up)
    s1 = db.schema_snapshot()
    ledger = check_ledger_table(s1, made_by="up")
    if dialect == "sqlite":
        indexes = [(i["table"], tuple(i["columns"])) for i in sqlite_seed_issues()]
        expected, changes = expected_seed_after_up(s0, dialect, ledger, fks=[], indexes=indexes, renames=[],
                                                   timestamp_tables=[])
    else:
        expected, changes = expected_seed_after_up(s0, dialect, ledger)
    assert_schema(s1, expected, "after up")
    assert len(ledger_rows(db)) == changes

    # the specific objects, spelled out
    for t, cols in (ALL_SEED_INDEXES if dialect != "sqlite" else
                    [(i["table"], tuple(i["columns"])) for i in sqlite_seed_issues()]):
        assert index_named(s1, t, ix_name(t, cols)) == index_entry(ix_name(t, cols), cols), (t, cols)
    if dialect != "sqlite":
        assert_seed_objects(db, s1, renamed_before, TIMESTAMP_TYPE[dialect])
    d1 = db.data_snapshot(tables)
    assert d1 == expected_data_after_up(d0, s0, s1)

    # ---- up again: nothing changes
    rows = sorted(ledger_rows(db))
    db.run_sql_file(mig.up)
    assert_schema(db.schema_snapshot(), s1, "after a second up")
    assert db.data_snapshot(tables) == d1
    assert sorted(ledger_rows(db)) == rows

    # ---- down: exactly the before schema
    db.run_sql_file(mig.down)
    s2 = db.schema_snapshot()
    if dialect == "sqlite":  # documented: SQLite's SQL cannot drop the ledger conditionally
        assert ledger_rows(db) == []
        assert s2[LEDGER] == ledger
        s2 = without(s2, LEDGER)
    assert_schema(s2, s0, "after down")
    assert db.data_snapshot(tables) == d0
    if dialect != "sqlite":
        for t, old, _ in RENAMES:
            assert sorted(db.query(f"SELECT id, {old} FROM {t}")) == renamed_before[t]

    # ---- down again: still the before schema
    db.run_sql_file(mig.down)
    s3 = db.schema_snapshot()
    assert_schema(schema_after_down(db, s3), s0, "after a second down")
    assert db.data_snapshot(tables) == d0

    # ---- up again: the same fixed schema
    db.run_sql_file(mig.up)
    assert_schema(db.schema_snapshot(), s1, "up after down")
    assert db.data_snapshot(tables) == d1


# =========================================================================== 2. partial pre-application


def hand_apply(db: Database, rng: random.Random) -> list[str]:
    """Apply a random part of the seed fixes by hand, the way a person would; return a log."""
    d = db.dialect
    hand = ByHand(db)

    # renames: at least one done by hand
    renamed = hand.rename(rng.sample(RENAMES, rng.randint(1, len(RENAMES))))

    # one of the two timestamp columns already added
    for t in TIMESTAMP_TABLES:
        hand.do(f"ALTER TABLE {t} ADD COLUMN {rng.choice(['created_at', 'updated_at'])} {TIMESTAMP_DDL[d]}")

    # foreign keys: every mode once per seed but one, in a random assignment
    for fk, mode in zip(SEED_FKS, rng.sample(HAND_FK_MODES, len(SEED_FKS)), strict=True):
        hand.do(*fk_by_hand(fk, mode, hand.other))

    # plain indexes: every mode at least once
    modes = list(HAND_INDEX_MODES) + [rng.choice(HAND_INDEX_MODES)
                                     for _ in range(len(SEED_INDEXES) - len(HAND_INDEX_MODES))]
    rng.shuffle(modes)
    for (t, cols), mode in zip(SEED_INDEXES, modes, strict=True):
        # the column's name now (a rename not done by hand has not happened yet)
        now = [name_before_rename(t, c, renamed) for c in cols]
        hand.do(*index_by_hand(t, cols, now, mode, hand.other))
    return hand.log


@pytest.mark.parametrize("seed", [11, 22, 33])
@pytest.mark.parametrize("dialect", SERVER_DIALECTS)
def test_partial_preapplication(dialect: str, seed: int, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    db: Database = request.getfixturevalue("pg_db" if dialect == "postgresql" else "mysql_db")
    load_seed(db)
    mig = emit(SEED_SPEC, dialect, tmp_path)
    log = hand_apply(db, random.Random(seed))
    s0 = db.schema_snapshot()
    tables = sorted(s0)
    d0 = db.data_snapshot(tables)

    db.run_sql_file(mig.up)
    s1 = db.schema_snapshot()
    expected, changes = expected_seed_after_up(s0, dialect, check_ledger_table(s1, made_by="up"))
    assert_schema(s1, expected, "after up; hand-applied:\n  " + "\n  ".join(log))
    assert len(ledger_rows(db)) == changes
    assert_each_seed_fix_once(s1)
    d1 = db.data_snapshot(tables)
    assert d1 == expected_data_after_up(d0, s0, s1)

    db.run_sql_file(mig.up)
    assert_schema(db.schema_snapshot(), s1, "after a second up")
    assert db.data_snapshot(tables) == d1

    db.run_sql_file(mig.down)
    assert_schema(db.schema_snapshot(), s0, "after down: hand-applied objects must stay, under their names")
    assert db.data_snapshot(tables) == d0


@pytest.mark.parametrize("seed", [11, 22, 33])
def test_partial_preapplication_sqlite(seed: int, sqlite_db: Database, tmp_path: Path) -> None:
    """SQLite: indexes already there under the migration's names are skipped by up; down then
    stops (documented limitation) and changes nothing."""
    db = sqlite_db
    load_seed(db)
    issues = sqlite_seed_issues()
    mig = emit(sqlite_seed_spec(), "sqlite", tmp_path)
    rng = random.Random(seed)
    pre = rng.sample(issues, rng.randint(1, 4))
    db.execute([f"CREATE INDEX {ix_name(i['table'], i['columns'])} ON {i['table']} ({', '.join(i['columns'])})"
                for i in pre])
    s0 = db.schema_snapshot()
    db.run_sql_file(mig.up)
    s1 = db.schema_snapshot()
    expected, changes = expected_seed_after_up(
        s0, "sqlite", check_ledger_table(s1, made_by="up"), fks=[], renames=[], timestamp_tables=[],
        indexes=[(i["table"], tuple(i["columns"])) for i in issues])
    assert_schema(s1, expected, "after up")
    assert len(ledger_rows(db)) == changes == len(issues) - len(pre)
    for i in issues:
        assert len(indexes_leading(s1, i["table"], i["columns"])) == 1
    db.run_sql_file(mig.up)
    assert_schema(db.schema_snapshot(), s1, "second up")
    out = run_fails(db, mig.down)
    assert "was not created by this migration" in out, out
    assert any(f"index {ix_name(i['table'], i['columns'])} on {i['table']}" in out for i in pre), out
    assert_schema(db.schema_snapshot(), s1, "a refused down changes nothing")


def test_sqlite_equivalent_index_under_other_name_stops_up(sqlite_db: Database, tmp_path: Path) -> None:
    """Documented SQLite limitation: up aborts as a whole, and says why."""
    db = sqlite_db
    load_seed(db)
    mig = emit(sqlite_seed_spec(), "sqlite", tmp_path)
    db.execute("CREATE INDEX manual_idx_1 ON workflows (organization_id)")
    s0 = db.schema_snapshot()
    out = run_fails(db, mig.up)
    assert "ix_workflows_organization_id" in out and "already exists on workflows under another name" in out
    assert_schema(db.schema_snapshot(), s0, "up stopped")


@pytest.mark.parametrize("kind", ["index", "foreign_key"])
@pytest.mark.parametrize("dialect", SERVER_DIALECTS)
def test_preapplied_conventional_object_on_column_still_to_rename(dialect: str, kind: str,
                                                                   request: pytest.FixtureRequest,
                                                                   tmp_path: Path) -> None:
    """An object named for the fix (ix_webhooks_user_id / fk_webhooks_user_id_users) that
    already exists on the column the spec renames (created_by_user_id -> user_id) IS the fix
    once the rename runs (indexes and keys follow a rename): up must rename the column and
    neither refuse nor create a second object; down must leave the object alone."""
    db: Database = request.getfixturevalue("pg_db" if dialect == "postgresql" else "mysql_db")
    load_seed(db)
    fk = FK("webhooks", ("user_id",), "users", ("id",), "SET NULL")
    issues = list(SEED_ISSUES)
    if kind == "index":
        db.execute("CREATE INDEX ix_webhooks_user_id ON webhooks (created_by_user_id)")
        fks = SEED_FKS
    else:
        issues.append({"kind": "missing_foreign_key", "table": "webhooks", "columns": ["user_id"],
                       "references": "users.id", "on_delete": "set_null"})
        db.execute(f"ALTER TABLE webhooks ADD CONSTRAINT {fk.conventional_name} FOREIGN KEY (created_by_user_id) "
                   "REFERENCES users (id) ON DELETE SET NULL")
        fks = [*SEED_FKS, fk]
    mig = emit({"version": 1, "name": "pre_rename", "issues": issues}, dialect, tmp_path)
    s0 = db.schema_snapshot()
    try:
        db.run_sql_file(mig.up)
    except SqlRunError as e:
        pytest.fail(f"up refused a pre-existing {kind} that is exactly the fix:\n{e.output}", pytrace=False)
    s1 = db.schema_snapshot()
    expected, _ = expected_seed_after_up(s0, dialect, check_ledger_table(s1, made_by="up"), fks=fks,
                                         indexes=[*ALL_SEED_INDEXES, ("webhooks", ("user_id",))])
    assert_schema(s1, expected)
    assert len(indexes_leading(s1, "webhooks", ["user_id"])) == 1
    assert len(fks_on(s1, "webhooks", ["user_id"])) == (kind == "foreign_key")
    db.run_sql_file(mig.down)
    assert_schema(db.schema_snapshot(), s0)


# =========================================================================== 3. orphans, SET NULL on NOT NULL

ORPHAN_EXECUTIONS = ["00000000-0000-4000-8000-00000000dead", "00000000-0000-4000-8000-00000000beef"]


@pytest.mark.parametrize("dialect", SERVER_DIALECTS)
def test_orphans_stop_up_before_any_change(dialect: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    db: Database = request.getfixturevalue("pg_db" if dialect == "postgresql" else "mysql_db")
    load_seed(db)
    mig = emit(SEED_SPEC, dialect, tmp_path)
    (tenant, agent), *_ = db.query("SELECT tenant_id, agent_id FROM hitl_approvals ORDER BY id")
    for n, execution in enumerate(ORPHAN_EXECUTIONS):
        db.execute(f"INSERT INTO hitl_approvals (id, tenant_id, agent_id, execution_id, status) VALUES "
                   f"('00000000-0000-4000-8000-00000000000{n}', '{tenant}', '{agent}', '{execution}', 'pending')")
    s0 = db.schema_snapshot()
    tables = sorted(s0)
    d0 = db.data_snapshot(tables)

    out = run_fails(db, mig.up)
    assert "hitl_approvals" in out and "execution_id" in out, out
    assert re.search(r"\b2 orphan row", out), out
    m = re.search(r"list them with: (SELECT .*?)\s*$", out, re.M)
    assert m, f"no SELECT to list the orphans in:\n{out}"
    # the query it prints works, and lists exactly the orphans
    assert sorted(str(r[0]) for r in db.query(m.group(1))) == [f"00000000-0000-4000-8000-00000000000{n}"
                                                           for n in range(len(ORPHAN_EXECUTIONS))]
    assert_schema(db.schema_snapshot(), s0, "after a refused up")  # no ledger either, on MySQL too
    assert db.data_snapshot(tables) == d0
    # down after a refused up changes nothing either
    db.run_sql_file(mig.down)
    assert_schema(db.schema_snapshot(), s0, "down after a refused up")


@pytest.mark.parametrize("dialect", SERVER_DIALECTS)
def test_orphans_in_column_still_to_rename(dialect: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """A foreign key on a renamed column: the orphan check runs before the rename, so it
    must look at the old name -- and report it."""
    db: Database = request.getfixturevalue("pg_db" if dialect == "postgresql" else "mysql_db")
    load_seed(db)
    spec = {"version": 1, "name": "fk_after_rename", "issues": [
        {"kind": "rename_column", "table": "webhooks", "from": "created_by_user_id", "to": "user_id"},
        {"kind": "missing_foreign_key", "table": "webhooks", "columns": ["user_id"], "references": "users.id",
         "on_delete": "set_null"},
    ]}
    mig = emit(spec, dialect, tmp_path)
    tenant = db.query("SELECT tenant_id FROM webhooks ORDER BY id")[0][0]
    db.execute("INSERT INTO webhooks (id, tenant_id, created_by_user_id, name, url) VALUES "
               f"('00000000-0000-4000-8000-0000000000aa', '{tenant}', '00000000-0000-4000-8000-00000000dead', "
               "'orphan', 'https://example.invalid/')")
    s0 = db.schema_snapshot()
    out = run_fails(db, mig.up)
    assert "webhooks" in out and "created_by_user_id" in out and re.search(r"\b1 orphan row", out), out
    assert_schema(db.schema_snapshot(), s0, "after a refused up")
    db.execute("DELETE FROM webhooks WHERE id = '00000000-0000-4000-8000-0000000000aa'")
    s0 = db.schema_snapshot()
    db.run_sql_file(mig.up)
    s1 = db.schema_snapshot()
    [fk] = fks_on(s1, "webhooks", ["user_id"])
    assert (fk["name"], fk["referred_table"], fk["on_delete"]) == ("fk_webhooks_user_id_users", "users", "SET NULL")
    db.run_sql_file(mig.down)
    assert_schema(db.schema_snapshot(), s0)


@pytest.mark.parametrize("dialect", SERVER_DIALECTS)
def test_set_null_on_not_null_column_stops_up(dialect: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    db: Database = request.getfixturevalue("pg_db" if dialect == "postgresql" else "mysql_db")
    load_seed(db)
    issues = [dict(i) for i in SEED_ISSUES]
    for i in issues:
        if i.get("id") == "seed-2":
            i["on_delete"] = "set_null"  # hitl_approvals.execution_id is NOT NULL
    mig = emit({"version": 1, "name": "set_null_not_null", "issues": issues}, dialect, tmp_path)
    s0 = db.schema_snapshot()
    d0 = db.data_snapshot()
    out = run_fails(db, mig.up)
    assert "SET NULL" in out and "hitl_approvals" in out and "execution_id" in out and "NOT NULL" in out, out
    assert_schema(db.schema_snapshot(), s0, "after a refused up")
    assert db.data_snapshot() == d0


# =========================================================================== 4. missing tables / columns

BAD_ISSUES: list[tuple[dict[str, Any], list[str], bool]] = [
    # (issue, words the error must contain, runs on sqlite)
    ({"kind": "missing_index", "table": "no_such_table", "columns": ["id"]}, ["no_such_table"], True),
    ({"kind": "missing_index", "table": "agents", "columns": ["no_such_column"]}, ["agents.no_such_column"], True),
    ({"kind": "redundant_index", "table": "ghost_table", "name": "ghost_idx", "columns": ["id"]},
     ["ghost_table"], True),
    ({"kind": "missing_foreign_key", "table": "workflows", "columns": ["project_id"],
      "references": "ghosts.id"}, ["ghosts"], False),
    ({"kind": "missing_foreign_key", "table": "workflows", "columns": ["department_id"],
      "references": "departments.no_such_ref"}, ["departments.no_such_ref"], False),
    ({"kind": "missing_foreign_key", "table": "no_such_child", "columns": ["parent_id"],
      "references": "users.id"}, ["no_such_child"], False),
    ({"kind": "rename_column", "table": "api_keys", "from": "no_such_old", "to": "shiny_new"},
     ["api_keys", "no_such_old"], False),
    ({"kind": "missing_timestamps", "table": "no_such_pivot"}, ["no_such_pivot"], False),
    ({"kind": "missing_column", "table": "no_such_table3", "column": "c", "type": "integer"},
     ["no_such_table3"], False),
]


def test_missing_table_or_column_stops_up(db: Database, tmp_path: Path) -> None:
    """Each bad issue is appended to the (valid) seed fixes: up must stop before any of them."""
    load_seed(db)
    base = SEED_ISSUES if db.dialect != "sqlite" else sqlite_seed_issues()
    s0 = db.schema_snapshot()
    d0 = db.data_snapshot()
    cases = [(issue, words) for issue, words, on_sqlite in BAD_ISSUES if on_sqlite or db.dialect != "sqlite"]
    for issue, words in cases:
        mig = emit({"version": 1, "name": "bad", "issues": [*base, issue]}, db.dialect, tmp_path)
        out = run_fails(db, mig.up)
        assert "fixgen: " in out, f"{issue}: not fixgen's own message:\n{out}"
        for w in words:
            assert w in out, f"{issue}: error does not name {w!r}:\n{out}"
        assert_schema(db.schema_snapshot(), s0, f"after a refused up for {issue}")
        assert db.data_snapshot() == d0
    # every problem at once: the message names each
    mig = emit({"version": 1, "name": "bad_all", "issues": [*base, *(i for i, _ in cases)]}, db.dialect, tmp_path)
    out = run_fails(db, mig.up)
    if db.dialect == "sqlite":  # plain SQLite SQL can only abort at the first failing check
        assert any(w in out for _, words in cases for w in words), out
    else:  # PostgreSQL and MySQL report every problem at once
        assert all(w in out for _, words in cases for w in words), out
        assert "malformed" not in out, out
    assert_schema(db.schema_snapshot(), s0, "after a refused up (all bad issues)")


def test_sqlite_seed_spec_with_renamed_columns_is_refused_cleanly(sqlite_db: Database, tmp_path: Path) -> None:
    """Every missing_index of the seed, on SQLite without the renames: webhooks.user_id does
    not exist there, so up must stop, name it, and change nothing."""
    db = sqlite_db
    load_seed(db)
    spec = {"version": 1, "name": "idx", "issues": [i for i in SEED_ISSUES if i["kind"] == "missing_index"]}
    mig = emit(spec, "sqlite", tmp_path)
    s0 = db.schema_snapshot()
    out = run_fails(db, mig.up)
    assert "webhooks.user_id" in out, out
    assert_schema(db.schema_snapshot(), s0)


def test_sqlite_refuses_unsupported_kinds_at_generation(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, SEED_DOC)
    run = cli("emit", spec, "--target", "sql", "--dialect", "sqlite", "--out", tmp_path / "out", "--timestamp", TS)
    assert run.code == 2, run.output
    assert "Traceback" not in run.output
    assert not (tmp_path / "out").exists()


# =========================================================================== 5. re-run after a partial failure


def cut_points(text: str, dialect: str) -> list[int]:
    """Offsets just after a complete statement, inside the ops part of an up/down file."""
    if dialect == "mysql":  # every statement ends a line with ';' (literals never do), but for the online
        # retry procedure (its body is read between DELIMITER lines): not a step, no cut in or right after it
        made = r"DROP PROCEDURE IF EXISTS `fixgen_retry_\w+`;\nDELIMITER //\n.*?\nDELIMITER ;\n"
        bodies = [(m.start(), m.end()) for m in re.finditer(made, text, re.S)]
        ends = [m.end() for m in re.finditer(r";\n", text)
                if not any(start < m.end() <= end for start, end in bodies)]
    else:  # PostgreSQL: one DO block per block; SQLite: cut between blocks
        ends = [m.start() + 1 for m in re.finditer(r"\n\n-- ", text)]
    return ends


def first_part(text: str, at: int, dialect: str) -> str:
    part = text[:at]
    if dialect != "mysql":
        # PostgreSQL/SQLite run the file as one transaction: a crash loses everything.
        # Commit the part to simulate a crash after an (older, non-atomic) partial run.
        part += "\nCOMMIT;\n"
    return part


def test_rerun_after_partial_failure(db: Database, tmp_path: Path) -> None:
    dialect = db.dialect
    load_seed(db)
    mig = emit(SEED_SPEC if dialect != "sqlite" else sqlite_seed_spec(), dialect, tmp_path)
    s0 = db.schema_snapshot()
    tables = sorted(s0)
    d0 = db.data_snapshot(tables)
    db.run_sql_file(mig.up)
    s1 = db.schema_snapshot()
    d1 = db.data_snapshot(tables)
    db.run_sql_file(mig.down)

    def at_s0(what: str) -> None:
        s = db.schema_snapshot()
        assert_schema(schema_after_down(db, s), s0, what)
        assert db.data_snapshot(tables) == d0

    at_s0("clean down")
    up, down = mig.up_text, mig.down_text
    ledger_at = up.index(f"'{MARKER_STEP}'")  # the ledger, and its marker row, are there
    up_cuts = [c for c in cut_points(up, dialect) if c > ledger_at]
    rng = random.Random(5)
    # [1]: MySQL: after the first step's ledger record, before its DDL (the rename);
    #      PostgreSQL/SQLite: after the ledger and the preflight; then one in the first half
    #      and one three quarters in (among the foreign keys: half-fixed)
    picks = sorted({up_cuts[1], rng.choice(up_cuts[2:len(up_cuts) // 2]), up_cuts[len(up_cuts) * 3 // 4]})
    halfway = 0
    for at in picks:
        crashed = tmp_path / "crashed.up.sql"
        crashed.write_text(first_part(up, at, dialect), encoding="utf-8")
        db.run_sql_file(crashed)
        s_crash = db.schema_snapshot()
        halfway += without(s_crash, LEDGER) not in (s0, without(s1, LEDGER))
        if at == up_cuts[1] and dialect == "mysql":  # recorded, not yet performed
            assert len(ledger_rows(db)) == 1 and without(s_crash, LEDGER) == s0
        db.run_sql_file(mig.up)
        what = f"up after a crash at offset {at}: ...{up[max(0, at - 120):at]!r}"
        assert_schema(db.schema_snapshot(), s1, what)
        assert db.data_snapshot(tables) == d1
        db.run_sql_file(mig.down)
        at_s0(f"down after {what}")
    assert halfway >= 2, "the simulated crashes should leave the schema half-fixed"

    # a crash in the middle of down, then the full down
    db.run_sql_file(mig.up)
    down_cuts = [c for c in cut_points(down, dialect) if c > down.index(LEDGER)]
    for at in sorted({down_cuts[len(down_cuts) // 2], rng.choice(down_cuts)}):
        crashed = tmp_path / "crashed.down.sql"
        crashed.write_text(first_part(down, at, dialect), encoding="utf-8")
        db.run_sql_file(crashed)
        assert without(db.schema_snapshot(), LEDGER) not in (s0, without(s1, LEDGER)), "down should be half done"
        db.run_sql_file(mig.down)
        at_s0(f"down after a crashed down at offset {at}: ...{down[max(0, at - 120):at]!r}")
        db.run_sql_file(mig.up)
        assert_schema(db.schema_snapshot(), s1, "up after a crashed down and a full down")


@pytest.mark.parametrize("dialect", SERVER_DIALECTS)
def test_ledger_shared_by_two_migrations(dialect: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Two migrations share fixgen_ledger: rolling one back keeps the table (and the other's
    rows); rolling back the last one drops it."""
    db: Database = request.getfixturevalue("pg_db" if dialect == "postgresql" else "mysql_db")
    load_seed(db)
    first = [i for i in SEED_ISSUES if i["kind"] in ("rename_column", "missing_timestamps")]
    second = [i for i in SEED_ISSUES if i not in first]
    m1 = emit({"version": 1, "name": "part_one", "issues": first}, dialect, tmp_path)
    m2 = emit({"version": 1, "name": "part_two", "issues": second}, dialect, tmp_path, timestamp="20251119130000")
    s0 = db.schema_snapshot()
    db.run_sql_file(m1.up)
    s_one = db.schema_snapshot()
    db.run_sql_file(m2.up)
    s_both = db.schema_snapshot()
    expected, changes = expected_seed_after_up(s0, dialect, check_ledger_table(s_both, made_by="up"))
    assert_schema(s_both, expected)
    assert len(ledger_rows(db)) == changes
    db.run_sql_file(m2.down)
    assert_schema(db.schema_snapshot(), s_one, "second migration rolled back")
    assert {r[0] for r in ledger_rows(db)} == {f"{TS}_part_one"}
    db.run_sql_file(m2.up)
    db.run_sql_file(m1.down)  # the other order: part_two's rows keep the ledger alive
    assert {r[0] for r in ledger_rows(db)} == {"20251119130000_part_two"}
    db.run_sql_file(m2.down)
    assert_schema(db.schema_snapshot(), s0, "both rolled back: no ledger table")


# =========================================================================== 6. reserved words, odd names

ODD_SCHEMA = {
    "postgresql": [
        'CREATE TABLE "user" (id integer PRIMARY KEY, "first name" varchar(50), "desc" varchar(50))',
        'CREATE TABLE "group" (id integer PRIMARY KEY, "select" varchar(50), "group-id" integer)',
        'CREATE TABLE "order" (id integer PRIMARY KEY, "user-id" integer NULL, "desc" varchar(50), '
        '"select" integer, "group-id" integer)',
        'CREATE TABLE "order line%" (id integer PRIMARY KEY, "order id" integer NOT NULL)',
        'CREATE INDEX "odd idx-1" ON "order" ("select")',
        "INSERT INTO \"user\" VALUES (1, 'Ann', 'x'), (2, 'Bob', NULL)",
        "INSERT INTO \"group\" VALUES (1, 'a', 10), (2, 'b', 20)",
        "INSERT INTO \"order\" VALUES (1, 1, 'first', 5, 1), (2, NULL, 'second', 6, 2)",
        "INSERT INTO \"order line%\" VALUES (1, 1), (2, 1), (3, 2)",
    ],
    "mysql": [
        "CREATE TABLE `user` (id integer PRIMARY KEY, `first name` varchar(50), `desc` varchar(50)) ENGINE=InnoDB",
        "CREATE TABLE `group` (id integer PRIMARY KEY, `select` varchar(50), `group-id` integer) ENGINE=InnoDB",
        "CREATE TABLE `order` (id integer PRIMARY KEY, `user-id` integer NULL, `desc` varchar(50), "
        "`select` integer, `group-id` integer) ENGINE=InnoDB",
        "CREATE TABLE `order line%` (id integer PRIMARY KEY, `order id` integer NOT NULL) ENGINE=InnoDB",
        "CREATE INDEX `odd idx-1` ON `order` (`select`)",
        "INSERT INTO `user` VALUES (1, 'Ann', 'x'), (2, 'Bob', NULL)",
        "INSERT INTO `group` VALUES (1, 'a', 10), (2, 'b', 20)",
        "INSERT INTO `order` VALUES (1, 1, 'first', 5, 1), (2, NULL, 'second', 6, 2)",
        "INSERT INTO `order line%` VALUES (1, 1), (2, 1), (3, 2)",
    ],
}
ODD_SCHEMA["sqlite"] = [s.replace("ENGINE=InnoDB", "") for s in ODD_SCHEMA["postgresql"]]

ODD_INDEX_ISSUES = [
    {"kind": "missing_index", "table": "order", "columns": ["desc"]},
    {"kind": "missing_index", "table": "group", "columns": ["select", "group-id"], "unique": True},
    {"kind": "missing_index", "table": "order line%", "columns": ["order id"]},
    {"kind": "redundant_index", "table": "order", "name": "odd idx-1", "columns": ["select"]},
]
ODD_SERVER_ISSUES = [
    {"kind": "rename_column", "table": "user", "from": "first name", "to": "given-name x"},
    {"kind": "missing_index", "table": "user", "columns": ["given-name x"]},
    {"kind": "missing_foreign_key", "table": "order", "columns": ["user-id"], "references": "user.id",
     "on_delete": "set_null"},
    {"kind": "missing_foreign_key", "table": "order line%", "columns": ["order id"], "references": "order.id",
     "on_delete": "cascade"},
    {"kind": "missing_foreign_key", "table": "order", "columns": ["group-id"],
     "references": {"table": "group", "columns": ["id"]}},
    {"kind": "missing_column", "table": "group", "column": "where", "type": "string(40)", "nullable": False,
     "default": "it's a \\ default; -- ok"},
    {"kind": "missing_timestamps", "table": "order"},
]


def test_reserved_words_and_odd_names(db: Database, tmp_path: Path) -> None:
    d = db.dialect
    db.execute(ODD_SCHEMA[d])
    issues = ODD_INDEX_ISSUES + (ODD_SERVER_ISSUES if d != "sqlite" else [])
    mig = emit({"version": 1, "name": "odd", "issues": issues}, d, tmp_path)
    s0 = db.schema_snapshot()
    tables = sorted(s0)
    d0 = db.data_snapshot(tables)

    db.run_sql_file(mig.up)
    s1 = db.schema_snapshot()
    assert index_named(s1, "order", "ix_order_desc") == index_entry("ix_order_desc", ["desc"])
    assert index_named(s1, "group", "uq_group_select_group-id") == \
        index_entry("uq_group_select_group-id", ["select", "group-id"], unique=True)
    assert indexes_leading(s1, "order line%", ["order id"])
    assert index_named(s1, "order", "odd idx-1") is None
    if d != "sqlite":
        assert columns(s1, "user") == ["id", "given-name x", "desc"]
        assert index_named(s1, "user", "ix_user_given-name x") == index_entry("ix_user_given-name x", ["given-name x"])
        assert sorted(db.query(f"SELECT id, {db.quote('given-name x')} FROM {db.quote('user')}")) == \
            [(1, "Ann"), (2, "Bob")]
        [fk] = fks_on(s1, "order", ["user-id"])
        assert (fk["name"], fk["referred_table"], fk["on_delete"]) == ("fk_order_user-id_user", "user", "SET NULL")
        [fk] = fks_on(s1, "order line%", ["order id"])
        assert (fk["name"], fk["referred_table"], fk["on_delete"]) == \
            ("fk_order line%_order id_order", "order", "CASCADE")
        [fk] = fks_on(s1, "order", ["group-id"])
        assert fk["referred_table"] == "group"
        assert columns(s1, "order")[-2:] == ["created_at", "updated_at"]
        where = next(c for c in s1["group"]["columns"] if c["name"] == "where")
        assert where["nullable"] is False
        assert sorted(db.query(f"SELECT {db.quote('where')} FROM {db.quote('group')}")) == \
            [("it's a \\ default; -- ok",)] * 2
    d1 = db.data_snapshot(tables)

    db.run_sql_file(mig.up)
    assert_schema(db.schema_snapshot(), s1, "second up")
    assert db.data_snapshot(tables) == d1

    db.run_sql_file(mig.down)
    s2 = db.schema_snapshot()
    assert_schema(schema_after_down(db, s2), s0, "down")
    assert db.data_snapshot(tables) == d0
    db.run_sql_file(mig.down)
    s3 = db.schema_snapshot()
    assert_schema(schema_after_down(db, s3), s0, "second down")


def test_postgresql_dollar_quote_tag_in_a_name_or_default(pg_db: Database, tmp_path: Path) -> None:
    """'$' is a legal identifier character and a default may be any text: neither may end
    the $fixgen$-quoted DO blocks the PostgreSQL migration is made of."""
    db = pg_db
    db.execute(['CREATE TABLE "price$fixgen$list" (id integer PRIMARY KEY, "amount$fixgen$cents" integer)',
                'INSERT INTO "price$fixgen$list" VALUES (1, 100), (2, 250)'])
    mig = emit({"version": 1, "name": "dollar", "issues": [
        {"kind": "missing_index", "table": "price$fixgen$list", "columns": ["amount$fixgen$cents"]},
        {"kind": "missing_column", "table": "price$fixgen$list", "column": "currency", "type": "string(20)",
         "nullable": False, "default": "US$fixgen$"},
    ]}, "postgresql", tmp_path)
    s0 = db.schema_snapshot()
    db.run_sql_file(mig.up)
    s1 = db.schema_snapshot()
    assert indexes_leading(s1, "price$fixgen$list", ["amount$fixgen$cents"])
    assert db.query('SELECT DISTINCT currency FROM "price$fixgen$list"') == [("US$fixgen$",)]
    db.run_sql_file(mig.up)
    assert_schema(db.schema_snapshot(), s1)
    db.run_sql_file(mig.down)
    assert_schema(db.schema_snapshot(), s0)


def test_mysql_braces_in_names_of_a_foreign_key(mysql_db: Database, tmp_path: Path) -> None:
    """'{' and '}' are legal in names; the MySQL orphan check must not treat '{1}' in a
    table or column name as one of its own placeholders."""
    db = mysql_db
    db.execute(["CREATE TABLE `parent{0}` (id integer PRIMARY KEY) ENGINE=InnoDB",
                "CREATE TABLE `child{0}` (id integer PRIMARY KEY, `parent{1}id` integer NULL) ENGINE=InnoDB",
                "INSERT INTO `parent{0}` VALUES (1)",
                "INSERT INTO `child{0}` VALUES (1, 1), (2, 5)"])  # row 2 is an orphan
    mig = emit({"version": 1, "name": "braces", "issues": [
        {"kind": "missing_foreign_key", "table": "child{0}", "columns": ["parent{1}id"], "references": "parent{0}.id"},
    ]}, "mysql", tmp_path)
    s0 = db.schema_snapshot()
    out = run_fails(db, mig.up)
    assert re.search(r"\b1 orphan row", out) and "child{0}" in out and "parent{1}id" in out, out
    assert_schema(db.schema_snapshot(), s0)
    db.execute("DELETE FROM `child{0}` WHERE id = 2")
    db.run_sql_file(mig.up)
    [fk] = fks_on(db.schema_snapshot(), "child{0}", ["parent{1}id"])
    assert fk["referred_table"] == "parent{0}"
    db.run_sql_file(mig.down)
    assert_schema(db.schema_snapshot(), s0)


BAD_NAMES = ['ord"er', "ord'er", "ord`er", "ord;er", "ord\\er"]


@pytest.mark.parametrize("bad", BAD_NAMES)
@pytest.mark.parametrize("field", ["table", "column", "references", "name", "to"])
def test_validate_rejects_quote_and_semicolon_in_names(bad: str, field: str, tmp_path: Path) -> None:
    if field == "to":
        issue = {"kind": "rename_column", "table": "t", "from": "a", "to": bad}
    else:
        issue = {"kind": "missing_foreign_key", "table": "t", "columns": ["c"], "references": "p.id"}
        if field == "table":
            issue["table"] = bad
        elif field == "column":
            issue["columns"] = [bad]
        elif field == "references":
            issue["references"] = f"{bad}.id"
        else:
            issue["name"] = bad
    spec = write_spec(tmp_path, {"version": 1, "issues": [issue]})
    run = cli("validate", spec)
    assert run.code == 2, run.output
    assert isinstance(run.exception, SystemExit)
    assert "Traceback" not in run.output
    assert "forbidden character" in run.output, run.output
    out = tmp_path / "out"
    run = cli("emit", spec, "--dialect", "postgresql", "--out", out, "--timestamp", TS)
    assert run.code == 2 and "Traceback" not in run.output, run.output
    assert not out.exists()


# =========================================================================== 7. long names


def shorten(name: str, limit: int, in_bytes: bool) -> str:
    """The documented rule: cut, then '_' + the first 8 hex digits of the full name's SHA-1."""
    def size(s: str) -> int:
        return len(s.encode("utf-8")) if in_bytes else len(s)
    if size(name) <= limit:
        return name
    suffix = "_" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
    head = name
    while size(head + suffix) > limit:
        head = head[:-1]
    return head.rstrip("_") + suffix


LONG_PARENT = "warehouse_location_registry_master"
LONG_CHILD = "inventory_reconciliation_adjustment_lines_2025"  # 46 characters
LONG_A = "reconciled_warehouse_location_reference_primary"
LONG_B = "reconciled_warehouse_location_reference_secondary"
LONG_U = "größe_der_lagerstätte_in_quadratmetern"  # multi-byte: bytes != characters


@pytest.mark.parametrize("dialect", SERVER_DIALECTS)
def test_long_names_are_cut_with_a_hash(dialect: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    db: Database = request.getfixturevalue("pg_db" if dialect == "postgresql" else "mysql_db")
    def q(name: str) -> str:
        return db.quote(name)

    db.execute([
        f"CREATE TABLE {q(LONG_PARENT)} (id integer PRIMARY KEY)",
        f"CREATE TABLE {q(LONG_CHILD)} (id integer PRIMARY KEY, {q(LONG_A)} integer NULL, {q(LONG_B)} integer NULL, "
        f"{q(LONG_U)} integer NULL)",
        f"INSERT INTO {q(LONG_PARENT)} VALUES (1), (2)",
        f"INSERT INTO {q(LONG_CHILD)} VALUES (1, 1, 2, 7), (2, NULL, 1, 8)",
    ])
    spec = {"version": 1, "name": "long", "issues": [
        {"kind": "missing_foreign_key", "table": LONG_CHILD, "columns": [LONG_A], "references": f"{LONG_PARENT}.id"},
        {"kind": "missing_foreign_key", "table": LONG_CHILD, "columns": [LONG_B], "references": f"{LONG_PARENT}.id",
         "on_delete": "set_null"},
        {"kind": "missing_index", "table": LONG_CHILD, "columns": [LONG_U]},
        {"kind": "missing_index", "table": LONG_CHILD, "columns": [LONG_U, LONG_A], "unique": True},
    ]}
    mig = emit(spec, dialect, tmp_path)
    limit, in_bytes = (63, True) if dialect == "postgresql" else (64, False)
    want_idx = {shorten(f"ix_{LONG_CHILD}_{c}", limit, in_bytes): [c] for c in (LONG_A, LONG_B, LONG_U)}
    want_idx[shorten(f"uq_{LONG_CHILD}_{LONG_U}_{LONG_A}", limit, in_bytes)] = [LONG_U, LONG_A]
    want_fk = {shorten(f"fk_{LONG_CHILD}_{c}_{LONG_PARENT}", limit, in_bytes): [c] for c in (LONG_A, LONG_B)}
    assert len(want_idx) == 4 and len(want_fk) == 2  # distinct
    for name in [*want_idx, *want_fk]:
        assert re.search(r"_[0-9a-f]{8}$", name), name
        assert (len(name.encode()) if in_bytes else len(name)) <= limit

    s0 = db.schema_snapshot()
    d0 = db.data_snapshot()
    db.run_sql_file(mig.up)
    s1 = db.schema_snapshot()
    got_idx = {i["name"]: i["columns"] for i in s1[LONG_CHILD]["indexes"]}
    got_fk = {f["name"]: f["columns"] for f in s1[LONG_CHILD]["foreign_keys"]}
    assert got_idx == want_idx
    assert got_fk == want_fk
    db.run_sql_file(mig.up)
    assert_schema(db.schema_snapshot(), s1, "second up")
    db.run_sql_file(mig.down)
    assert_schema(db.schema_snapshot(), s0, "down")
    assert db.data_snapshot() == d0


# =========================================================================== 8. redundant_index

REDUNDANT_DDL = [
    "CREATE INDEX tenants_slug_dup ON tenants (slug)",
    "CREATE UNIQUE INDEX users_email_dup ON users (email)",
    "CREATE INDEX wf_org_dept_dup ON workflows (organization_id, department_id)",
]
REDUNDANT_ISSUES = [
    {"kind": "redundant_index", "table": "tenants", "name": "tenants_slug_dup", "columns": ["slug"]},
    {"kind": "redundant_index", "table": "users", "name": "users_email_dup", "columns": ["email"], "unique": True},
    {"kind": "redundant_index", "table": "workflows", "name": "wf_org_dept_dup",
     "columns": ["organization_id", "department_id"]},
]


def test_redundant_index_round_trip(db: Database, tmp_path: Path) -> None:
    d = db.dialect
    load_seed(db)
    db.execute(REDUNDANT_DDL)
    mig = emit({"version": 1, "name": "drop_redundant", "issues": REDUNDANT_ISSUES}, d, tmp_path)
    s0 = db.schema_snapshot()
    before = {(i["table"], i["name"]): index_named(s0, i["table"], i["name"]) for i in REDUNDANT_ISSUES}
    assert before[("users", "users_email_dup")]["unique"] is True

    db.run_sql_file(mig.up)
    s1 = db.schema_snapshot()
    expected = copy.deepcopy(s0)
    for i in REDUNDANT_ISSUES:
        expected[i["table"]]["indexes"].remove(before[(i["table"], i["name"])])
    expected[LEDGER] = check_ledger_table(s1, made_by="up")
    assert_schema(s1, expected, "after up")
    assert len(ledger_rows(db)) == len(REDUNDANT_ISSUES)
    db.run_sql_file(mig.up)
    assert_schema(db.schema_snapshot(), s1, "second up")

    db.run_sql_file(mig.down)
    s2 = db.schema_snapshot()
    assert_schema(schema_after_down(db, s2), s0, "down recreates them exactly")
    for (t, name), idx in before.items():
        assert index_named(s2, t, name) == idx


def test_redundant_index_already_gone(db: Database, tmp_path: Path) -> None:
    """An index the spec calls redundant but that is gone before up: up does nothing, and
    down does not recreate it (PostgreSQL, MySQL); SQLite's down stops (documented)."""
    d = db.dialect
    load_seed(db)
    db.execute(REDUNDANT_DDL[1:])  # tenants_slug_dup never exists
    mig = emit({"version": 1, "name": "drop_redundant", "issues": REDUNDANT_ISSUES}, d, tmp_path)
    s0 = db.schema_snapshot()
    db.run_sql_file(mig.up)
    s1 = db.schema_snapshot()
    assert index_named(s1, "users", "users_email_dup") is None and index_named(s1, "tenants", "tenants_slug_dup") \
        is None
    assert len(ledger_rows(db)) == 2
    if d == "sqlite":
        out = run_fails(db, mig.down)
        assert "tenants_slug_dup" in out and "was not dropped by this migration" in out, out
        assert_schema(db.schema_snapshot(), s1, "failed down changes nothing")
        return
    db.run_sql_file(mig.down)
    assert_schema(db.schema_snapshot(), s0, "down: only what up dropped comes back")
    assert index_named(db.schema_snapshot(), "tenants", "tenants_slug_dup") is None


@pytest.mark.parametrize("dialect", ["sqlite", *SERVER_DIALECTS])
def test_redundant_index_with_other_definition_is_refused(dialect: str, request: pytest.FixtureRequest,
                                                          tmp_path: Path) -> None:
    """The spec says (name) but the index is (name, plan), or unique
    where the spec says not: rollback could not recreate it from the spec, so up refuses
    before changing anything."""
    db: Database = request.getfixturevalue({"sqlite": "sqlite_db", "postgresql": "pg_db", "mysql": "mysql_db"}[dialect])
    load_seed(db)
    db.execute(["CREATE INDEX tenants_name_plan ON tenants (name, plan)",
                "CREATE UNIQUE INDEX tenants_name_u ON tenants (name)"])
    s0 = db.schema_snapshot()
    for issue in ({"kind": "redundant_index", "table": "tenants", "name": "tenants_name_plan", "columns": ["name"]},
                  {"kind": "redundant_index", "table": "tenants", "name": "tenants_name_u", "columns": ["name"]}):
        base = SEED_ISSUES if dialect != "sqlite" else sqlite_seed_issues()
        mig = emit({"version": 1, "name": "drop_redundant", "issues": [*base, issue]}, dialect, tmp_path)
        out = run_fails(db, mig.up)
        assert issue["name"] in out and "does not have the definition the spec gives" in out, out
        assert_schema(db.schema_snapshot(), s0)


def test_mysql_redundant_index_needed_by_a_foreign_key_is_refused_before_any_change(mysql_db: Database,
                                                                                      tmp_path: Path) -> None:
    """InnoDB drops a foreign key's implicit index as soon as another index can serve the key:
    after CREATE INDEX agents_tenant_id_dup ON agents (tenant_id), that index is the only one
    agents_tenant_id_foreign can use, and DROP INDEX fails (ERROR 1553). DDL does not roll back
    on MySQL, so the preflight must see this before up changes anything -- here up fails in
    the middle, after the renames, the timestamps and the new indexes are in place."""
    db = mysql_db
    load_seed(db)
    db.execute("CREATE INDEX agents_tenant_id_dup ON agents (tenant_id)")
    issue = {"kind": "redundant_index", "table": "agents", "name": "agents_tenant_id_dup", "columns": ["tenant_id"]}
    mig = emit({"version": 1, "name": "seed_and_drop", "issues": [*SEED_ISSUES, issue]}, "mysql", tmp_path)
    s0 = db.schema_snapshot()
    out = run_fails(db, mig.up)
    assert "agents_tenant_id_dup" in out, out
    assert_schema(db.schema_snapshot(), s0, f"up must stop before any change; it said:\n{out}")


@pytest.mark.parametrize("flags", [(), ("--no-online",)], ids=["online", "plain"])
def test_mysql_index_that_replaces_an_implicit_foreign_key_index_rolls_back_exactly(
        mysql_db: Database, tmp_path: Path, flags: tuple[str, ...]) -> None:
    """InnoDB drops the index it made for a foreign key once a new index leads with the key's
    columns; down must give it back (named as InnoDB names it) before dropping the new one,
    or fail with error 1553 and leave the key unindexed."""
    db = mysql_db
    db.execute([
        "CREATE TABLE tenants (id INT PRIMARY KEY)",
        "CREATE TABLE users (id INT PRIMARY KEY, tenant_id INT, email VARCHAR(100), "
        "CONSTRAINT fk_users_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id))",
        "CREATE TABLE members (id INT PRIMARY KEY, tenant_id INT, team_id INT, FOREIGN KEY (tenant_id) REFERENCES tenants (id))",
    ])
    s0 = db.schema_snapshot()
    assert [i["name"] for i in s0["users"]["indexes"]] == ["fk_users_tenant"]
    assert [i["name"] for i in s0["members"]["indexes"]] == ["tenant_id"]  # no constraint name: named after the column
    spec = [{"kind": "missing_index", "table": "users", "columns": ["tenant_id", "email"], "unique": True},
            {"kind": "missing_index", "table": "members", "columns": ["tenant_id", "team_id"]}]
    mig = emit(spec, "mysql", tmp_path, *flags)
    db.run_sql_file(mig.up)
    s1 = db.schema_snapshot()
    assert [i["name"] for i in s1["users"]["indexes"]] == ["uq_users_tenant_id_email"]  # InnoDB dropped its own
    assert [i["name"] for i in s1["members"]["indexes"]] == ["ix_members_tenant_id_team_id"]
    db.run_sql_file(mig.down)
    assert_schema(db.schema_snapshot(), s0, "after down")
    db.run_sql_file(mig.down)  # again: nothing to do
    assert_schema(db.schema_snapshot(), s0, "after a second down")
