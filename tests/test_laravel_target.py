"""Real runs of the `laravel` target through Laravel itself (PHP 8.2, illuminate/database 8.83).

Every migration is generated with the real CLI (in-process), checked with ``php -l``, and run
by tests/laravel/runner.php against fresh PostgreSQL, MariaDB and SQLite databases
(tests/support/dbs.py); results are compared as exact schema and data snapshots. No mocks.

What the target promises (fixgen/targets/laravel/, templates/laravel/migration.php.j2):
  * up() is idempotent: each fix is guarded by catalog queries that match by definition
    (an index leading with the columns, a foreign key on the columns to the same
    table/columns), whatever the existing object's name;
  * up() records what it did in fixgen_ledger; down() undoes only that, then drops the
    ledger once empty: down after up restores the schema and data exactly, objects that
    existed before up are untouched;
  * a preflight stops up before any change (missing table/column, orphan rows, SET NULL
    on a NOT NULL column, name collisions), on MariaDB too, where DDL is not transactional;
  * on SQLite foreign keys are added and dropped by a table rebuild with foreign keys off,
    so child rows referencing the rebuilt table survive.
"""

from __future__ import annotations

import copy
import hashlib
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.dbs import Database
from support.laravel import (
    count_fixes,
    emit_laravel,
    inject_after_fix,
    php_lint,
    require_php,
    run_fails,
    run_laravel,
)
from support.roundtrip import (
    ALL_SEED_INDEXES,
    EXAMPLES,
    LEDGER,
    RENAMES,
    ROOT,
    SEED_DOC,
    SEED_FKS,
    SEED_SPEC,
    TIMESTAMP_TABLES,
    TS,
    assert_data,
    assert_schema,
    cli,
    columns,
    expected_after_up,
    fk_entry,
    fks_on,
    index_entry,
    indexes_leading,
    ledger_rows,
    load_seed,
    name_before_rename,
    without,
    write_spec,
)

from fixgen.dialects import PORTABLE
from fixgen.naming import LARAVEL
from fixgen.ops import AddColumn, AddForeignKey, CreateIndex, RenameColumn
from fixgen.planner import build_plan
from fixgen.spec import load_spec

pytestmark = pytest.mark.db  # real databases and PHP/Laravel

GOLDEN_DIR = ROOT / "tests" / "golden" / "laravel"
MIGRATIONS = "migrations"  # the Migrator's repository table

# what the catalogs report for Blueprint::timestamp()
TIMESTAMP_TYPE = {"postgresql": "timestamp(0) without time zone", "mysql": "timestamp", "sqlite": "datetime"}
# what a person types to add such a column by hand
TIMESTAMP_DDL = {"postgresql": "TIMESTAMP(0) WITHOUT TIME ZONE NULL", "mysql": "TIMESTAMP NULL DEFAULT NULL",
                 "sqlite": "DATETIME NULL"}

# --------------------------------------------------------------------------- the seed spec, as data

SEED_MIGRATION_ID = f"2025_11_19_120000_{SEED_DOC['name']}"
SEED_FILE = f"{SEED_MIGRATION_ID}.php"


def laravel_index(table: str, cols: tuple[str, ...] | list[str], unique: bool = False) -> str:
    """Laravel's own name: strtolower("{table}_{columns}_{type}")."""
    return f"{table}_{'_'.join(cols)}_{'unique' if unique else 'index'}".lower()


def laravel_fk(table: str, cols: tuple[str, ...] | list[str]) -> str:
    return f"{table}_{'_'.join(cols)}_foreign".lower()


def ledger_steps(spec_path: Path) -> dict[str, tuple[type, str, tuple[str, ...]]]:
    """The ledger step of each fix the laravel target plans: step -> (op type, table, columns)."""
    plan = build_plan(load_spec(spec_path.read_bytes(), str(spec_path)), LARAVEL, PORTABLE)
    out = {}
    for op in plan.ops:
        if isinstance(op, (CreateIndex, AddForeignKey)):
            cols = op.columns
        elif isinstance(op, AddColumn):
            cols = (op.column,)
        elif isinstance(op, RenameColumn):
            cols = (op.old, op.new)
        else:
            cols = ()
        out[op.key] = (type(op), op.table, cols)
        OBJECT_NAMES[op.key] = op.object_name
    return out


OBJECT_NAMES: dict[str, str] = {}  # ledger step -> the object_name up records with it
SEED_STEPS = ledger_steps(SEED_SPEC)


def step_for(kind: type, table: str, cols: tuple[str, ...]) -> str:
    (key,) = [k for k, v in SEED_STEPS.items() if v == (kind, table, cols)]
    return key


# --------------------------------------------------------------------------- fixtures and small helpers


@pytest.fixture(scope="session")
def seed_migration(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed migration, alone in its folder (the Migrator runs every file there)."""
    return emit_laravel(SEED_SPEC, tmp_path_factory.mktemp("seed"))


def snap(db: Database) -> tuple[dict, dict]:
    return db.schema_snapshot(), db.data_snapshot()


def q(db: Database, name: str) -> str:
    return db.quote(name)


def col(s: dict, table: str, name: str) -> dict | None:
    return next((c for c in s[table]["columns"] if c["name"] == name), None)


def sqlite_integrity(db: Database) -> None:
    if db.dialect == "sqlite":
        assert db.query("PRAGMA foreign_key_check") == []
        assert db.query("PRAGMA integrity_check") == [("ok",)]


def up_again_then_down(db: Database, migration: Path, before: tuple[dict, dict], after: tuple[dict, dict], *,
                       down_what: str = "after down", integrity_after_down: bool = True) -> tuple[dict, dict]:
    """up() once more changes nothing (schema, data: `after`); down() then restores `before`
    exactly (checking SQLite's integrity first if `integrity_after_down`). Returns the snapshots after down."""
    (s0, d0), (s1, d1) = before, after
    run_laravel(db, migration, "up")
    s2, d2 = snap(db)
    assert_schema(s2, s1, "second up")
    assert_data(d2, d1, "second up")

    run_laravel(db, migration, "down")
    s3, d3 = snap(db)
    if integrity_after_down:
        sqlite_integrity(db)
    assert_schema(s3, s0, down_what)
    assert_data(d3, d0, down_what)
    return s3, d3


def expected_after_seed_up(s0: dict, dialect: str) -> dict:
    """The exact schema after the seed's up() on the before-schema (the ledger table aside): every
    fix made (the before-schema has none of them), under Laravel's names."""
    expected, _ = expected_after_up(s0, dialect, timestamp_types=TIMESTAMP_TYPE, index_name=laravel_index,
                                    fk_name=lambda fk: laravel_fk(fk.table, fk.columns), only_where_missing=False)
    return expected


def expected_data_after_seed_up(d0: dict) -> dict:
    """Renames keep values in place; the new timestamps are NULL on existing rows."""
    e = copy.deepcopy(d0)
    for t in TIMESTAMP_TABLES:
        e[t] = [row + (None, None) for row in e[t]]
    return e


def assert_seed_fixed(s: dict, dialect: str, *, laravel_names: bool = True) -> None:
    """Every seed fix is present exactly once (by definition; by Laravel's name if laravel_names)."""
    for t, old, new in RENAMES:
        assert new in columns(s, t) and old not in columns(s, t), (t, columns(s, t))
    for t in TIMESTAMP_TABLES:
        for c in ("created_at", "updated_at"):
            assert col(s, t, c) is not None and col(s, t, c)["nullable"], (t, c, col(s, t, c))
    for fk in SEED_FKS:
        found = fks_on(s, fk.table, fk.columns)
        assert len(found) == 1, f"{fk}: {found}"
        f = found[0]
        assert (f["referred_table"], f["referred_columns"], f["on_delete"]) == \
            (fk.ref_table, list(fk.ref_columns), fk.on_delete), f
        if laravel_names:
            assert f["name"] == (None if dialect == "sqlite" else laravel_fk(fk.table, fk.columns))
    for t, cols in ALL_SEED_INDEXES:
        found = indexes_leading(s, t, cols)
        assert len(found) == 1, f"{t} {cols}: {found}"
        if laravel_names:
            assert found[0] == index_entry(laravel_index(t, cols), cols)


# =========================================================================== 1. golden files, php -l

GOLDEN_CASES: dict[str, Path | dict[str, Any]] = {}  # filled below: name -> spec


def _golden_spec(case: str, tmp_path: Path) -> Path:
    spec = GOLDEN_CASES[case]
    return spec if isinstance(spec, Path) else write_spec(tmp_path, spec, own_folder=True)


@pytest.mark.parametrize("case", ["seed", "reserved_words_and_types", "long_names"])
def test_golden(case: str, tmp_path: Path, update_golden: bool) -> None:
    generated = emit_laravel(_golden_spec(case, tmp_path), tmp_path)
    golden = GOLDEN_DIR / generated.name
    if update_golden:
        GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(generated.read_bytes())
        return
    assert golden.is_file(), f"no golden file {golden}; run pytest --update-golden and review it"
    assert generated.read_bytes() == golden.read_bytes(), (
        f"{generated.name} differs from {golden}; if the change is intended, run pytest --update-golden")


def test_golden_files_lint() -> None:
    files = sorted(GOLDEN_DIR.glob("*.php"))
    assert files, f"no golden Laravel files in {GOLDEN_DIR}"
    assert any(f.name == SEED_FILE for f in files)
    for f in files:
        php_lint(f)


# =========================================================================== 2. seed round trip


def test_seed_round_trip(db: Database, seed_migration: Path) -> None:
    load_seed(db)
    s0, d0 = snap(db)
    renamed_before = {t: sorted(db.query(f"SELECT id, {q(db, old)} FROM {q(db, t)}")) for t, old, _ in RENAMES}

    run_laravel(db, seed_migration, "up")
    s1, d1 = snap(db)
    sqlite_integrity(db)

    # concrete objects, as Laravel names them
    fk_name = None if db.dialect == "sqlite" else "hitl_approvals_execution_id_foreign"
    assert fks_on(s1, "hitl_approvals", ["execution_id"]) == [
        {"name": fk_name, "columns": ["execution_id"], "referred_table": "agent_executions",
         "referred_columns": ["id"], "on_delete": "CASCADE", "on_update": "NO ACTION", "valid": True}]
    for table, column in [("branches", "branch_manager_id"), ("departments", "department_head_id"),
                          ("projects", "project_manager_id"), ("teams", "team_lead_id")]:
        assert fks_on(s1, table, [column]) == [fk_entry(db.dialect, f"{table}_{column}_foreign", [column], "users",
                                                        ["id"], "SET NULL")]
    assert index_entry("agents_created_by_user_id_index", ["created_by_user_id"]) in s1["agents"]["indexes"]
    assert index_entry("hitl_approvals_tenant_id_status_assigned_to_user_id_index",
                       ["tenant_id", "status", "assigned_to_user_id"]) in s1["hitl_approvals"]["indexes"]
    assert index_entry("webhooks_user_id_index", ["user_id"]) in s1["webhooks"]["indexes"]
    for t, old, new in RENAMES:
        assert old not in columns(s1, t)
        assert sorted(db.query(f"SELECT id, {q(db, new)} FROM {q(db, t)}")) == renamed_before[t], f"{t}.{new} values"
    for c in ("created_at", "updated_at"):
        assert col(s1, "team_members", c) == {"name": c, "type": TIMESTAMP_TYPE[db.dialect], "nullable": True,
                                              "default": None, "extra": None}
    assert_seed_fixed(s1, db.dialect)
    # ... and nothing else changed
    assert LEDGER in s1
    assert_schema(without(s1, LEDGER), expected_after_seed_up(s0, db.dialect), "after up")
    assert_data(without(d1, LEDGER), expected_data_after_seed_up(d0), "after up")
    assert set(ledger_rows(db)) == {(SEED_MIGRATION_ID, step, OBJECT_NAMES[step]) for step in SEED_STEPS}

    _, d3 = up_again_then_down(db, seed_migration, (s0, d0), (s1, d1))
    assert len(d3["team_members"]) == len(d0["team_members"]) == 5

    run_laravel(db, seed_migration, "down")
    s4, d4 = snap(db)
    assert_schema(s4, s0, "second down")
    assert_data(d4, d0, "second down")


def test_seed_through_migrator(db: Database, seed_migration: Path) -> None:
    """Illuminate\\Database\\Migrations\\Migrator itself: migrate, then rollback."""
    load_seed(db)
    s0, d0 = snap(db)

    ran = run_laravel(db, seed_migration, "migrate").stdout
    assert yaml.safe_load(ran) == [SEED_FILE]
    s1, d1 = snap(db)
    sqlite_integrity(db)
    assert_schema(without(s1, LEDGER, MIGRATIONS), expected_after_seed_up(s0, db.dialect), "after migrate")
    assert_data(without(d1, LEDGER, MIGRATIONS), expected_data_after_seed_up(d0), "after migrate")
    assert [r[0] for r in db.query(f"SELECT migration FROM {q(db, MIGRATIONS)}")] == [SEED_MIGRATION_ID]
    assert len(set(ledger_rows(db))) == len(SEED_STEPS)

    assert yaml.safe_load(run_laravel(db, seed_migration, "migrate").stdout) == []  # nothing pending

    assert yaml.safe_load(run_laravel(db, seed_migration, "rollback").stdout) == [SEED_FILE]
    s2, d2 = snap(db)
    sqlite_integrity(db)
    assert_schema(without(s2, MIGRATIONS), s0, "after rollback")
    assert_data(without(d2, MIGRATIONS), d0, "after rollback")
    assert d2[MIGRATIONS] == []


SECOND_SPEC: dict[str, Any] = {
    "version": 1,
    "name": "more_fixes",
    "issues": [
        {"kind": "missing_index", "table": "users", "columns": ["name"]},
        {"kind": "missing_column", "table": "agents", "column": "archived", "type": "boolean", "nullable": False,
         "default": False},
        {"kind": "missing_foreign_key", "table": "agents", "columns": ["marketplace_listing_id"],
         "references": "marketplace_listings.id", "on_delete": "set_null"},
    ],
}


def test_two_migrations_share_the_ledger(db: Database, tmp_path: Path) -> None:
    """Two fixgen migrations in one folder (same --timestamp: the second is bumped a second),
    run and rolled back by the Migrator; each down undoes only its own ledger rows."""
    out = tmp_path / "database" / "migrations"
    for spec in (SEED_SPEC, write_spec(tmp_path, SECOND_SPEC, own_folder=True)):
        run = cli("emit", spec, "--target", "laravel", "--out", out, "--timestamp", TS)
        assert run.code == 0, run.output
    first, second = sorted(out.glob("*.php"))
    assert (first.name, second.name) == (SEED_FILE, "2025_11_19_120001_more_fixes.php")
    php_lint(second)
    load_seed(db)
    s0, d0 = snap(db)

    assert yaml.safe_load(run_laravel(db, first, "migrate").stdout) == [first.name, second.name]
    s1 = db.schema_snapshot()
    assert_seed_fixed(s1, db.dialect)
    assert index_entry("users_name_index", ["name"]) in s1["users"]["indexes"]
    assert col(s1, "agents", "archived")["nullable"] is False
    assert fks_on(s1, "agents", ["marketplace_listing_id"]) == [fk_entry(
        db.dialect, "agents_marketplace_listing_id_foreign", ["marketplace_listing_id"], "marketplace_listings",
        ["id"], "SET NULL")]
    rows = set(ledger_rows(db))
    assert {r[0] for r in rows} == {SEED_MIGRATION_ID, "2025_11_19_120001_more_fixes"}
    # the seed's index on agents.marketplace_listing_id serves the second migration's key: not its own
    assert not any(r[0].endswith("more_fixes") and r[1].startswith("create_index:agents:") for r in rows)

    # the second migration's down alone: the seed's fixes and ledger rows stay
    run_laravel(db, second, "down")
    s2 = db.schema_snapshot()
    assert_schema(without(s2, LEDGER, MIGRATIONS), expected_after_seed_up(s0, db.dialect), "second migration undone")
    assert {r[0] for r in ledger_rows(db)} == {SEED_MIGRATION_ID}
    run_laravel(db, second, "up")

    assert yaml.safe_load(run_laravel(db, first, "rollback").stdout) == [second.name, first.name]
    s3, d3 = snap(db)
    sqlite_integrity(db)
    assert_schema(without(s3, MIGRATIONS), s0, "after rollback")
    assert_data(without(d3, MIGRATIONS), d0, "after rollback")


# =========================================================================== 3. partial pre-application

PARTIAL_SEEDS = (11, 22, 33)


@dataclass
class PreApplied:
    statements: list[str] = field(default_factory=list)  # run after loading the before-schema
    sqlite_fks: dict[str, list[str]] = field(default_factory=dict)  # SQLite: table -> clauses of its CREATE TABLE
    done: set[str] = field(default_factory=set)  # ledger steps up must not record
    styles: list[str] = field(default_factory=list)


def pre_apply_plan(dialect: str, seed: int) -> PreApplied:
    """A seeded random subset of the seed fixes, applied by hand: some under Laravel's names, some not."""
    rng = random.Random(f"laravel-partial-{seed}")
    qc = "`" if dialect == "mysql" else '"'

    def qi(name: str) -> str:
        return f"{qc}{name}{qc}"

    p = PreApplied()
    renamed: set[tuple[str, str]] = set()
    for t, old, new in RENAMES:
        if rng.random() < 0.5:
            p.statements.append(f"ALTER TABLE {qi(t)} RENAME COLUMN {qi(old)} TO {qi(new)}")
            renamed.add((t, new))
            p.done.add(step_for(RenameColumn, t, (old, new)))
            p.styles.append("rename")

    for t in TIMESTAMP_TABLES:
        choice = rng.choice(["none", "created_at", "both"])
        for c in {"none": [], "created_at": ["created_at"], "both": ["created_at", "updated_at"]}[choice]:
            p.statements.append(f"ALTER TABLE {qi(t)} ADD COLUMN {qi(c)} {TIMESTAMP_DDL[dialect]}")
            p.done.add(step_for(AddColumn, t, (c,)))
            p.styles.append("column")

    supported: set[tuple[str, tuple[str, ...]]] = set()
    for k, (t, cols) in enumerate(ALL_SEED_INDEXES):
        style = rng.choice(["none", "none", "laravel", "other", "wider"])
        if style == "none":
            continue
        name = laravel_index(t, cols) if style == "laravel" else f"ix_by_hand_{k}"
        # the columns as named at pre-application time (before up's renames)
        idx_cols = [name_before_rename(t, c, renamed) for c in cols] + (["id"] if style == "wider" else [])
        p.statements.append(f"CREATE INDEX {qi(name)} ON {qi(t)} ({', '.join(qi(c) for c in idx_cols)})")
        p.done.add(step_for(CreateIndex, t, cols))
        p.styles.append(f"index-{style}")
        supported.add((t, cols))

    for k, fk in enumerate(SEED_FKS):
        style = rng.choice(["none", "laravel", "other"])
        if style == "none":
            continue
        name = laravel_fk(fk.table, fk.columns) if style == "laravel" else f"fk_by_hand_{k}"
        cols = ", ".join(qi(c) for c in fk.columns)
        refs = ", ".join(qi(c) for c in fk.ref_columns)
        body = f"FOREIGN KEY ({cols}) REFERENCES {qi(fk.ref_table)} ({refs}) ON DELETE {fk.on_delete}"
        if dialect == "sqlite":  # no ALTER TABLE ADD CONSTRAINT: the table is created with it
            clause = f"CONSTRAINT {qi(name)} {body}" if style == "laravel" else body
            p.sqlite_fks.setdefault(fk.table, []).append(clause)
        else:
            p.statements.append(f"ALTER TABLE {qi(fk.table)} ADD CONSTRAINT {qi(name)} {body}")
        p.done.add(step_for(AddForeignKey, fk.table, fk.columns))
        p.styles.append(f"fk-{style}")
        if dialect == "mysql" and (fk.table, fk.columns) not in supported:
            # InnoDB created an index for the key: it serves as the supporting index
            p.done.add(step_for(CreateIndex, fk.table, fk.columns))
    return p


def sqlite_before_with(fks: dict[str, list[str]]) -> str:
    """examples/seed-before.sqlite.sql with extra table constraints in some CREATE TABLEs."""
    text = (EXAMPLES / "seed-before.sqlite.sql").read_text(encoding="utf-8")
    for table, clauses in fks.items():
        start = text.index(f"CREATE TABLE {table} (")
        end = text.index("\n);", start)
        text = text[:end] + "".join(f",\n    {c}" for c in clauses) + text[end:]
    return text


def test_partial_subsets_cover_every_style() -> None:
    for dialect in ("postgresql", "mysql", "sqlite"):
        styles = {s for seed in PARTIAL_SEEDS for s in pre_apply_plan(dialect, seed).styles}
        assert styles >= {"rename", "column", "index-laravel", "index-other", "index-wider", "fk-laravel", "fk-other"}, \
            (dialect, styles)
        for seed in PARTIAL_SEEDS:
            p = pre_apply_plan(dialect, seed)
            assert p.done and p.done != set(SEED_STEPS), (dialect, seed)


@pytest.mark.parametrize("seed", PARTIAL_SEEDS)
def test_partial_pre_application(db: Database, seed_migration: Path, seed: int) -> None:
    plan = pre_apply_plan(db.dialect, seed)
    if db.dialect == "sqlite":
        db.run_sql(sqlite_before_with(plan.sqlite_fks))
    else:
        load_seed(db)
    db.execute(plan.statements)
    s0, d0 = snap(db)  # S0': the pre-applied state

    run_laravel(db, seed_migration, "up")
    s1, d1 = snap(db)
    sqlite_integrity(db)
    assert_seed_fixed(s1, db.dialect, laravel_names=False)  # all present, none twice
    recorded = {row[1] for row in ledger_rows(db)}
    assert recorded == set(SEED_STEPS) - plan.done, (
        f"recorded but pre-applied: {sorted(recorded & plan.done)}; "
        f"not recorded: {sorted(set(SEED_STEPS) - plan.done - recorded)}")
    for t, cols in ALL_SEED_INDEXES:  # what up created, it created under Laravel's name
        if step_for(CreateIndex, t, cols) in recorded:
            assert index_entry(laravel_index(t, cols), cols) in s1[t]["indexes"]

    up_again_then_down(db, seed_migration, (s0, d0), (s1, d1), down_what="down restores the pre-applied state")


# =========================================================================== 4. orphans

ORPHAN_IDS = ["00000000-0000-4000-8000-0000000000a1", "00000000-0000-4000-8000-0000000000a2"]


def test_orphans_stop_before_any_change(db: Database, seed_migration: Path) -> None:
    load_seed(db)
    db.execute([
        f"INSERT INTO hitl_approvals (id, tenant_id, agent_id, execution_id, status) VALUES "
        f"('00000000-0000-4000-8000-00000000000{k}', 'c4d467f2-9cd6-4ed0-a885-9f14dc4282f0', "
        f"'0b80dd66-02e9-47aa-9912-a6313dc05111', '{orphan}', 'pending')"
        for k, orphan in enumerate(ORPHAN_IDS)
    ])
    s0, d0 = snap(db)

    err = run_fails(db, seed_migration, "up")
    assert "nothing was changed" in err
    m = re.search(r"(\d+) orphan row\(s\) in hitl_approvals \(execution_id\) have no matching row in "
                  r"agent_executions \(id\); list them with: (select .*)$", err, re.M)
    assert m, err
    assert int(m.group(1)) == 2
    rows = db.query(m.group(2))
    assert sorted(str(r[3]) for r in rows) == ORPHAN_IDS  # the query lists exactly the orphans (column 4: execution_id)
    assert err.count(" - ") == 1, err  # the only problem reported

    s1, d1 = snap(db)
    assert_schema(s1, s0, "failed preflight (no ledger table either)")
    assert_data(d1, d0, "failed preflight")


# =========================================================================== 5. re-run after a crash midway


@pytest.mark.parametrize("crash_after", [3, 26])
def test_rerun_after_crash(db: Database, seed_migration: Path, tmp_path: Path, crash_after: int) -> None:
    """up() dies after the N-th fix (a copy of the file with a throw inserted, same MIGRATION id);
    the unmodified file then finishes the job; down restores the before-schema exactly."""
    assert count_fixes(seed_migration) == len(SEED_STEPS) == 29
    crashing = inject_after_fix(seed_migration, tmp_path / "crashing" / seed_migration.name, crash_after,
                                "throw new RuntimeException('simulated crash');")
    php_lint(crashing)
    load_seed(db)
    s0, d0 = snap(db)

    err = run_fails(db, crashing, "up")
    assert "simulated crash" in err
    mid, _ = snap(db)
    # online mode (the default) runs without a transaction, MariaDB has no transactional DDL and
    # Laravel 8 runs SQLite migrations without one: the first N fixes stay
    assert len(set(ledger_rows(db))) == crash_after
    assert without(mid, LEDGER) != s0

    run_laravel(db, seed_migration, "up")
    s1, d1 = snap(db)
    recovered = set(ledger_rows(db))
    sqlite_integrity(db)
    assert_seed_fixed(s1, db.dialect)
    assert_schema(without(s1, LEDGER), expected_after_seed_up(s0, db.dialect), "crash, then up")
    assert_data(without(d1, LEDGER), expected_data_after_seed_up(d0), "crash, then up")

    run_laravel(db, seed_migration, "up")
    assert_schema(db.schema_snapshot(), s1, "second up")

    run_laravel(db, seed_migration, "down")
    s2, d2 = snap(db)
    sqlite_integrity(db)
    assert_schema(s2, s0, "down after a crash and a re-run")
    assert_data(d2, d0, "down after a crash and a re-run")

    run_laravel(db, seed_migration, "up")  # a clean run, for comparison
    clean, _ = snap(db)
    assert_schema(s1, clean, "crash + re-run == clean run")
    assert recovered == set(ledger_rows(db))


def test_plain_postgresql_up_is_one_transaction(pg_db: Database, tmp_path: Path) -> None:
    """--no-online: the Migrator wraps up() in a transaction, so a crash undoes everything."""
    db = pg_db
    migration = emit_laravel(SEED_SPEC, tmp_path, "--no-online")
    assert "withinTransaction" not in migration.read_text(encoding="utf-8")
    crashing = inject_after_fix(migration, tmp_path / "crashing" / migration.name, 26,
                                "throw new RuntimeException('simulated crash');")
    load_seed(db)
    s0, d0 = snap(db)
    assert "simulated crash" in run_fails(db, crashing, "up")
    assert_schema(db.schema_snapshot(), s0, "PostgreSQL rolls the whole up() back")
    run_laravel(db, migration, "up")
    assert_seed_fixed(db.schema_snapshot(), db.dialect)
    run_laravel(db, migration, "down")
    assert_schema(db.schema_snapshot(), s0, "down")


@pytest.mark.parametrize("crash_after", [3, 26])
def test_down_after_crash(db: Database, seed_migration: Path, tmp_path: Path, crash_after: int) -> None:
    """A crashed up() followed straight by down(): only what was done is undone."""
    crashing = inject_after_fix(seed_migration, tmp_path / "crashing" / seed_migration.name, crash_after,
                                "throw new RuntimeException('simulated crash');")
    load_seed(db)
    s0, d0 = snap(db)
    run_fails(db, crashing, "up")
    run_laravel(db, seed_migration, "down")
    s1, d1 = snap(db)
    sqlite_integrity(db)
    assert_schema(s1, s0, "down after a crash")
    assert_data(d1, d0, "down after a crash")


# =========================================================================== 6. reserved words, renames, every type

RESERVED_BEFORE = {
    "postgresql": """
CREATE TABLE "user" (id integer PRIMARY KEY, name varchar(100) NOT NULL);
CREATE TABLE "group" (id integer PRIMARY KEY, label varchar(100) NULL, owner_id integer NULL);
CREATE TABLE "order" (id integer PRIMARY KEY, code varchar(20) NOT NULL UNIQUE, user_id integer NOT NULL,
                      group_id integer NULL, "desc" varchar(100) NULL);
CREATE TABLE order_item (id integer PRIMARY KEY, order_id integer NOT NULL REFERENCES "order" (id) ON DELETE CASCADE,
                         qty integer NOT NULL);
""",
    "mysql": """
CREATE TABLE `user` (id integer PRIMARY KEY, name varchar(100) NOT NULL) ENGINE=InnoDB;
CREATE TABLE `group` (id integer PRIMARY KEY, label varchar(100) NULL, owner_id integer NULL) ENGINE=InnoDB;
CREATE TABLE `order` (id integer PRIMARY KEY, code varchar(20) NOT NULL UNIQUE, user_id integer NOT NULL,
                      group_id integer NULL, `desc` varchar(100) NULL) ENGINE=InnoDB;
CREATE TABLE order_item (id integer PRIMARY KEY, order_id integer NOT NULL, qty integer NOT NULL,
                         CONSTRAINT order_item_order_id_foreign FOREIGN KEY (order_id) REFERENCES `order` (id)
                         ON DELETE CASCADE) ENGINE=InnoDB;
""",
    # three quoting styles, for the SQLite table rebuild to parse; bigint keys, not rowid aliases
    # (INTEGER PRIMARY KEY: see test_foreign_key_to_auto_increment_primary_key)
    "sqlite": """
PRAGMA foreign_keys = ON;
CREATE TABLE [user] (id bigint PRIMARY KEY, name varchar(100) NOT NULL);
CREATE TABLE "group" (id bigint PRIMARY KEY, label varchar(100) NULL, owner_id bigint NULL);
CREATE TABLE `order` (id bigint PRIMARY KEY, code varchar(20) NOT NULL UNIQUE, user_id bigint NOT NULL,
                      group_id integer NULL, "desc" varchar(100) NULL);
CREATE TABLE order_item (id integer PRIMARY KEY, order_id integer NOT NULL REFERENCES "order" (id) ON DELETE CASCADE,
                         qty integer NOT NULL);
""",
}


def reserved_rows(dialect: str) -> list[str]:
    qc = "`" if dialect == "mysql" else '"'
    u, g, o = (f"{qc}{n}{qc}" for n in ("user", "group", "order"))
    d = f"{qc}desc{qc}"
    return [
        f"INSERT INTO {u} (id, name) VALUES (1, 'ann'), (2, 'bob')",
        f"INSERT INTO {g} (id, label, owner_id) VALUES (10, 'admins', 1), (11, 'guests', NULL)",
        f"INSERT INTO {o} (id, code, user_id, group_id, {d}) VALUES (100, 'A-1', 1, 10, 'first'), "
        "(101, 'A-2', 2, NULL, NULL), (102, 'A-3', 2, 11, 'it''s \"quoted\"')",
        "INSERT INTO order_item (id, order_id, qty) VALUES (1000, 100, 1), (1001, 100, 2), (1002, 102, 5)",
    ]


NO_DEFAULT = object()
# (column, type, nullable, default or NO_DEFAULT)
TYPE_CASES: list[tuple[str, str, bool, Any]] = [
    ("c_string", "string(40)", True, NO_DEFAULT),
    ("c_string_d", "string(40)", False, "n/a"),
    ("c_string_n", "string(40)", True, None),
    ("c_text", "text", True, NO_DEFAULT),
    ("c_text_d", "text", False, "none yet"),
    ("c_integer", "integer", True, NO_DEFAULT),
    ("c_integer_d", "integer", False, -7),
    ("c_bigint", "bigint", True, NO_DEFAULT),
    ("c_bigint_d", "bigint", False, 9007199254740993),
    ("c_smallint", "smallint", True, NO_DEFAULT),
    ("c_smallint_d", "smallint", False, 12),
    ("c_boolean", "boolean", True, NO_DEFAULT),
    ("c_boolean_t", "boolean", False, True),
    ("c_boolean_f", "boolean", True, False),
    ("c_decimal", "decimal(10,2)", True, NO_DEFAULT),
    ("c_decimal_d", "decimal(10,2)", False, 12.5),
    ("c_float", "float", True, NO_DEFAULT),
    ("c_float_d", "float", False, 2.5),
    ("c_date", "date", True, NO_DEFAULT),
    ("c_date_d", "date", False, "2025-01-31"),
    ("c_timestamp", "timestamp", True, NO_DEFAULT),
    ("c_timestamp_d", "timestamp", False, "2025-01-31 12:34:56"),
    ("c_timestamptz", "timestamptz", True, NO_DEFAULT),
    ("c_timestamptz_d", "timestamptz", True, "2025-01-31 12:34:56"),
    ("c_time", "time", True, NO_DEFAULT),
    ("c_time_d", "time", False, "08:30:00"),
    ("c_json", "json", True, NO_DEFAULT),
    ("c_json_d", "json", False, "[]"),
    ("c_uuid", "uuid", True, NO_DEFAULT),
    ("c_uuid_d", "uuid", False, "00000000-0000-0000-0000-000000000000"),
    ("c_binary", "binary", True, NO_DEFAULT),
]

# the catalogs' type for each vocabulary type, through Laravel's Blueprint
CATALOG_TYPES = {
    "postgresql": {"string(40)": "character varying(40)", "text": "text", "integer": "integer", "bigint": "bigint",
                   "smallint": "smallint", "boolean": "boolean", "decimal(10,2)": "numeric(10,2)",
                   "float": "double precision", "date": "date", "timestamp": "timestamp(0) without time zone",
                   "timestamptz": "timestamp(0) with time zone", "time": "time(0) without time zone", "json": "json",
                   "uuid": "uuid", "binary": "bytea"},
    "mysql": {"string(40)": "varchar(40)", "text": "text", "integer": "int(11)", "bigint": "bigint(20)",
              "smallint": "smallint(6)", "boolean": "tinyint(1)", "decimal(10,2)": "decimal(10,2)", "float": "double",
              "date": "date", "timestamp": "timestamp", "timestamptz": "timestamp", "time": "time",
              "json": "longtext", "uuid": "char(36)", "binary": "blob"},
    "sqlite": {"string(40)": "varchar", "text": "text", "integer": "integer", "bigint": "integer",
               "smallint": "integer", "boolean": "tinyint(1)", "decimal(10,2)": "numeric", "float": "float",
               "date": "date", "timestamp": "datetime", "timestamptz": "datetime", "time": "time", "json": "text",
               "uuid": "varchar", "binary": "blob"},
}


def _column_issue(column: str, type_: str, nullable: bool, default: Any) -> dict[str, Any]:
    issue: dict[str, Any] = {"kind": "missing_column", "table": "user", "column": column, "type": type_,
                             "nullable": nullable}
    if default is not NO_DEFAULT:
        issue["default"] = default
    return issue


RESERVED_SPEC: dict[str, Any] = {
    "version": 1,
    "name": "reserved_words_and_types",
    "issues": [
        {"kind": "rename_column", "table": "group", "from": "label", "to": "desc"},
        {"kind": "rename_column", "table": "order", "from": "desc", "to": "select"},
        {"kind": "missing_index", "table": "group", "columns": ["desc"]},
        {"kind": "missing_index", "table": "order", "columns": ["user_id", "group_id"]},
        {"kind": "missing_index", "table": "order", "columns": ["select"], "unique": False},
        {"kind": "missing_foreign_key", "table": "order", "columns": ["user_id"], "references": "user.id",
         "on_delete": "cascade"},
        {"kind": "missing_foreign_key", "table": "order", "columns": ["group_id"], "references": "group.id",
         "on_delete": "set_null"},
        {"kind": "missing_foreign_key", "table": "group", "columns": ["owner_id"], "references": "user.id"},
        {"kind": "missing_timestamps", "table": "group"},
        *(_column_issue(*case) for case in TYPE_CASES),
    ],
}
GOLDEN_CASES["seed"] = SEED_SPEC
GOLDEN_CASES["reserved_words_and_types"] = RESERVED_SPEC


def test_reserved_words_renames_and_every_type(db: Database, tmp_path: Path) -> None:
    migration = emit_laravel(RESERVED_SPEC, tmp_path)
    db.run_sql(RESERVED_BEFORE[db.dialect])
    db.execute(reserved_rows(db.dialect))
    s0, d0 = snap(db)

    run_laravel(db, migration, "up")
    s1, d1 = snap(db)
    sqlite_integrity(db)
    assert "label" not in columns(s1, "group") and "desc" in columns(s1, "group")
    assert "desc" not in columns(s1, "order") and "select" in columns(s1, "order")
    assert columns(s1, "order") == ["id", "code", "user_id", "group_id", "select"]  # renamed in place
    assert sorted(db.query(f'SELECT id, {q(db, "select")} FROM {q(db, "order")}'), key=lambda r: r[0]) == \
        [(100, "first"), (101, None), (102, 'it\'s "quoted"')]
    assert index_entry("group_desc_index", ["desc"]) in s1["group"]["indexes"]
    assert index_entry("order_user_id_group_id_index", ["user_id", "group_id"]) in s1["order"]["indexes"]
    assert index_entry("order_select_index", ["select"]) in s1["order"]["indexes"]
    assert fks_on(s1, "order", ["user_id"]) == [fk_entry(db.dialect, "order_user_id_foreign", ["user_id"], "user",
                                                         ["id"], "CASCADE")]
    assert fks_on(s1, "order", ["group_id"]) == [fk_entry(db.dialect, "order_group_id_foreign", ["group_id"], "group",
                                                          ["id"], "SET NULL")]
    assert fks_on(s1, "group", ["owner_id"]) == [fk_entry(db.dialect, "group_owner_id_foreign", ["owner_id"], "user",
                                                          ["id"], "NO ACTION")]
    assert d1["order_item"] == d0["order_item"]  # rebuilding "order" on SQLite cascaded into nothing
    # UNIQUE (code) came through the SQLite rebuild under its own name (sqlite_autoindex_order_N)
    assert [i for i in s1["order"]["indexes"] if i["unique"]] == [i for i in s0["order"]["indexes"] if i["unique"]]
    assert columns(s1, "group")[-2:] == ["created_at", "updated_at"]

    user = {c["name"]: c for c in s1["user"]["columns"]}
    assert list(user) == ["id", "name", *(case[0] for case in TYPE_CASES)]
    for column, type_, nullable, default in TYPE_CASES:
        assert (user[column]["type"], user[column]["nullable"]) == (CATALOG_TYPES[db.dialect][type_], nullable), column
        has_default = default is not NO_DEFAULT and default is not None
        assert (user[column]["default"] is not None) == has_default, (column, user[column])
    values = dict(zip([c["name"] for c in s1["user"]["columns"]],
                      db.query(f"SELECT * FROM {q(db, 'user')} WHERE id = 1")[0], strict=True))
    assert values["c_string_d"] == "n/a"
    assert values["c_text_d"] == "none yet"
    assert values["c_integer_d"] == -7
    assert values["c_bigint_d"] == 9007199254740993
    assert values["c_smallint_d"] == 12
    assert values["c_boolean_t"] in (True, 1) and values["c_boolean_f"] in (False, 0)
    assert float(values["c_decimal_d"]) == 12.5 and float(values["c_float_d"]) == 2.5
    assert str(values["c_date_d"]) == "2025-01-31"
    assert str(values["c_timestamp_d"]) == "2025-01-31 12:34:56"
    assert str(values["c_time_d"]) in ("08:30:00", "8:30:00")
    assert str(values["c_uuid_d"]) == "00000000-0000-0000-0000-000000000000"
    assert values["c_string"] is None and values["c_string_n"] is None and values["c_binary"] is None

    up_again_then_down(db, migration, (s0, d0), (s1, d1))


@pytest.mark.parametrize("default", ["it's", "back\\slash", "both ' and \\"])
def test_string_default_with_quote_or_backslash(db: Database, tmp_path: Path, default: str) -> None:
    """The spec accepts any text default; Laravel 8's Grammar::getDefaultValue() pastes it between
    quotes unescaped, so the migration must not hand such a default to ->default() as is."""
    spec = {"version": 1, "name": "tricky_default",
            "issues": [{"kind": "missing_column", "table": "t", "column": "note", "type": "string(40)",
                        "nullable": False, "default": default}]}
    migration = emit_laravel(spec, tmp_path)
    db.execute("CREATE TABLE t (id integer PRIMARY KEY)")
    db.execute("INSERT INTO t (id) VALUES (1)")
    s0, d0 = snap(db)
    run_laravel(db, migration, "up")
    assert db.query("SELECT note FROM t") == [(default,)]
    run_laravel(db, migration, "down")
    assert_schema(db.schema_snapshot(), s0)


# Laravel's own key columns: $table->id() / foreignId()
AUTO_PK_BEFORE = {
    "postgresql": ["CREATE TABLE users (id bigserial PRIMARY KEY, name varchar(255) NOT NULL)",
                   "CREATE TABLE posts (id bigserial PRIMARY KEY, user_id bigint NOT NULL)"],
    "mysql": ["CREATE TABLE users (id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, name varchar(255) NOT NULL)",
              "CREATE TABLE posts (id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, "
              "user_id bigint unsigned NOT NULL)"],
    # what Laravel's SQLite grammar creates for id(): a rowid alias, which has no index of its own
    "sqlite": ['CREATE TABLE "users" ("id" integer primary key autoincrement not null, "name" varchar not null)',
               'CREATE TABLE "posts" ("id" integer primary key autoincrement not null, "user_id" integer not null)'],
}


def test_foreign_key_to_auto_increment_primary_key(db: Database, tmp_path: Path) -> None:
    """A foreign key to a table made by Laravel's $table->id(). On SQLite that key is an
    INTEGER PRIMARY KEY (the rowid): pragma index_list shows no index for it, yet it is the
    table's primary key and a valid parent key."""
    spec = {"version": 1, "name": "posts_user_fk",
            "issues": [{"kind": "missing_foreign_key", "table": "posts", "columns": ["user_id"],
                        "references": "users.id", "on_delete": "cascade"}]}
    migration = emit_laravel(spec, tmp_path)
    db.execute(AUTO_PK_BEFORE[db.dialect])
    db.execute(["INSERT INTO users (id, name) VALUES (1, 'ann')", "INSERT INTO posts (id, user_id) VALUES (7, 1)"])
    s0, d0 = snap(db)
    run_laravel(db, migration, "up")
    s1 = db.schema_snapshot()
    assert fks_on(s1, "posts", ["user_id"]) == [fk_entry(db.dialect, "posts_user_id_foreign", ["user_id"], "users",
                                                         ["id"], "CASCADE")]
    run_laravel(db, migration, "down")
    assert_schema(db.schema_snapshot(), s0)
    assert_data(db.data_snapshot(), d0)


def test_sqlite_rebuild_keeps_autoincrement_counter(sqlite_db: Database, tmp_path: Path) -> None:
    """AUTOINCREMENT promises never to reuse a rowid, even a deleted one's (sqlite_sequence keeps
    the high-water mark). The table rebuild that adds a foreign key must carry that mark over."""
    db = sqlite_db
    spec = {"version": 1, "name": "comments_post_fk",
            "issues": [{"kind": "missing_foreign_key", "table": "comments", "columns": ["post_id"],
                        "references": "posts.uuid", "on_delete": "cascade"}]}
    migration = emit_laravel(spec, tmp_path)
    db.execute([
        "CREATE TABLE posts (uuid varchar(36) PRIMARY KEY NOT NULL, title varchar(50))",
        'CREATE TABLE comments ("id" integer primary key autoincrement not null, "post_id" varchar(36) not null)',
        "INSERT INTO posts VALUES ('p1', 'hello')",
        "INSERT INTO comments (post_id) VALUES ('p1'), ('p1'), ('p1')",
        "DELETE FROM comments WHERE id = 3",  # the counter stays at 3
    ])
    before = db.query("SELECT name, seq FROM sqlite_sequence")
    assert before == [("comments", 3)]
    run_laravel(db, migration, "up")
    assert len(fks_on(db.schema_snapshot(), "comments", ["post_id"])) == 1
    assert db.query("SELECT name, seq FROM sqlite_sequence") == before, "up: the rebuild reset the AUTOINCREMENT counter"
    run_laravel(db, migration, "down")
    assert db.query("SELECT name, seq FROM sqlite_sequence") == before, "down: the rebuild reset the AUTOINCREMENT counter"


PREFIX = "app_"
PREFIX_SPEC: dict[str, Any] = {
    "version": 1,
    "name": "prefixed_tables",
    "issues": [
        {"kind": "rename_column", "table": "posts", "from": "author", "to": "user_id"},
        {"kind": "missing_foreign_key", "table": "posts", "columns": ["user_id"], "references": "users.id",
         "on_delete": "set_null"},
        {"kind": "missing_index", "table": "posts", "columns": ["title"]},
        {"kind": "missing_timestamps", "table": "posts"},
    ],
}


def test_table_prefix(db: Database, tmp_path: Path) -> None:
    """A connection with a table prefix (config 'prefix' => 'app_'): the spec names tables as the
    application does (posts), the database has app_posts."""
    migration = emit_laravel(PREFIX_SPEC, tmp_path)
    db.execute([
        f"CREATE TABLE {PREFIX}users (id bigint PRIMARY KEY, name varchar(50) NOT NULL)",
        f"CREATE TABLE {PREFIX}posts (id bigint PRIMARY KEY, author bigint NULL, title varchar(50) NULL)",
        f"INSERT INTO {PREFIX}users (id, name) VALUES (1, 'ann')",
        f"INSERT INTO {PREFIX}posts (id, author, title) VALUES (1, 1, 'hello'), (2, NULL, 'bye')",
    ])
    s0, d0 = snap(db)
    run_laravel(db, migration, "up", prefix=PREFIX)
    s1, d1 = snap(db)
    posts = f"{PREFIX}posts"
    assert columns(s1, posts) == ["id", "user_id", "title", "created_at", "updated_at"]
    assert fks_on(s1, posts, ["user_id"]) == [fk_entry(db.dialect, "posts_user_id_foreign", ["user_id"],
                                                       f"{PREFIX}users", ["id"], "SET NULL")]
    assert len(indexes_leading(s1, posts, ["user_id"])) == len(indexes_leading(s1, posts, ["title"])) == 1
    assert f"{PREFIX}{LEDGER}" in s1
    run_laravel(db, migration, "up", prefix=PREFIX)
    assert_schema(db.schema_snapshot(), s1, "second up")
    run_laravel(db, migration, "down", prefix=PREFIX)
    assert_schema(db.schema_snapshot(), s0, "after down")
    assert_data(db.data_snapshot(), d0, "after down")


REDUNDANT_BEFORE = [
    "CREATE TABLE parent (id bigint PRIMARY KEY)",
    "CREATE TABLE child (id bigint PRIMARY KEY, parent_id bigint NOT NULL, note varchar(50) NULL, "
    "CONSTRAINT child_parent_id_foreign FOREIGN KEY (parent_id) REFERENCES parent (id))",
    "CREATE INDEX child_parent_id_note_index ON child (parent_id, note)",
    "CREATE INDEX child_parent_id_index ON child (parent_id)",  # redundant: the composite one leads with it
    "INSERT INTO parent (id) VALUES (1)",
    "INSERT INTO child (id, parent_id, note) VALUES (1, 1, 'x')",
]


def test_redundant_index_round_trip(db: Database, tmp_path: Path) -> None:
    spec = {"version": 1, "name": "drop_redundant",
            "issues": [{"kind": "redundant_index", "table": "child", "name": "child_parent_id_index",
                        "columns": ["parent_id"]}]}
    migration = emit_laravel(spec, tmp_path)
    db.execute(REDUNDANT_BEFORE)
    s0, d0 = snap(db)
    run_laravel(db, migration, "up")
    s1 = db.schema_snapshot()
    assert [i["name"] for i in s1["child"]["indexes"]] == ["child_parent_id_note_index"]
    run_laravel(db, migration, "up")
    assert_schema(db.schema_snapshot(), s1, "second up")
    run_laravel(db, migration, "down")
    assert_schema(db.schema_snapshot(), s0, "after down")
    assert_data(db.data_snapshot(), d0, "after down")
    run_laravel(db, migration, "down")
    assert_schema(db.schema_snapshot(), s0, "second down")


# =========================================================================== 7. long names

LONG_TABLE = "organization_membership_audit_events"
LONG_PARENT = "organization_departments_registry"
LONG_A = "responsible_department_identifier"
LONG_B = "secondary_reviewer_account_identifier"
LONG_SPEC: dict[str, Any] = {
    "version": 1,
    "name": "long_names",
    "issues": [
        {"kind": "missing_index", "table": LONG_TABLE, "columns": [LONG_A, LONG_B]},
        {"kind": "missing_index", "table": LONG_TABLE, "columns": [LONG_B], "unique": True},
        {"kind": "missing_foreign_key", "table": LONG_TABLE, "columns": [LONG_A], "references": f"{LONG_PARENT}.id",
         "on_delete": "set_null"},
    ],
}
GOLDEN_CASES["long_names"] = LONG_SPEC


def cut_name(full: str, limit: int = 63) -> str:
    """Expected cut: as many leading characters as fit, then '_' and 8 hex digits of sha1(full)."""
    suffix = "_" + hashlib.sha1(full.encode()).hexdigest()[:8]
    return full[: limit - len(suffix)].rstrip("_") + suffix


def test_long_names_are_cut_with_a_hash(db: Database, tmp_path: Path) -> None:
    full_ab = laravel_index(LONG_TABLE, [LONG_A, LONG_B])
    full_b = laravel_index(LONG_TABLE, [LONG_B], unique=True)
    full_fk = laravel_fk(LONG_TABLE, [LONG_A])
    assert min(len(n) for n in (full_ab, full_b, full_fk)) > 64  # stock Laravel: MySQL error 1059
    names = {n: cut_name(n) for n in (full_ab, full_b, full_fk)}
    assert len(set(names.values())) == 3 and all(len(n) <= 63 for n in names.values())

    spec = write_spec(tmp_path, LONG_SPEC, own_folder=True)
    migration = emit_laravel(spec, tmp_path)
    assert emit_laravel(spec, tmp_path).read_bytes() == migration.read_bytes()  # stable
    text = migration.read_text(encoding="utf-8")
    for full, cut in names.items():
        assert f"'{cut}'" in text, (full, cut)
        assert full not in text

    qc = "`" if db.dialect == "mysql" else '"'
    db.execute([
        f"CREATE TABLE {LONG_PARENT} (id bigint PRIMARY KEY, name varchar(50) NOT NULL)",
        f"CREATE TABLE {LONG_TABLE} (id bigint PRIMARY KEY, {LONG_A} bigint NULL, {LONG_B} bigint NULL, "
        f"{qc}note{qc} varchar(50) NULL)",
        f"INSERT INTO {LONG_PARENT} (id, name) VALUES (1, 'a'), (2, 'b')",
        f"INSERT INTO {LONG_TABLE} (id, {LONG_A}, {LONG_B}) VALUES (1, 1, 10), (2, NULL, 11), (3, 2, NULL)",
    ])
    s0, d0 = snap(db)

    run_laravel(db, migration, "up")
    s1, d1 = snap(db)
    sqlite_integrity(db)
    # the composite index leads with the key's column: it is the key's supporting index too
    assert s1[LONG_TABLE]["indexes"] == [index_entry(names[full_ab], [LONG_A, LONG_B]),
                                        index_entry(names[full_b], [LONG_B], unique=True)]
    assert fks_on(s1, LONG_TABLE, [LONG_A]) == [fk_entry(db.dialect, names[full_fk], [LONG_A], LONG_PARENT, ["id"],
                                                         "SET NULL")]

    up_again_then_down(db, migration, (s0, d0), (s1, d1), integrity_after_down=False)


# =========================================================================== 8. file naming


def test_taken_timestamp_is_bumped(tmp_path: Path) -> None:
    require_php()
    out = tmp_path / "database" / "migrations"
    out.mkdir(parents=True)
    other = out / "2025_11_19_120000_create_widgets_table.php"
    other.write_text("<?php\n\nreturn new class extends Illuminate\\Database\\Migrations\\Migration {};\n")

    def emit(*extra: str) -> tuple[int, str]:
        run = cli("emit", SEED_SPEC, "--target", "laravel", "--out", out, "--timestamp", TS, *extra)
        return run.code, run.output

    code, output = emit()
    assert code == 0, output
    bumped = out / f"2025_11_19_120001_{SEED_DOC['name']}.php"
    assert sorted(p.name for p in out.iterdir()) == sorted([other.name, bumped.name])
    text = bumped.read_text(encoding="utf-8")
    assert f"private const MIGRATION = '2025_11_19_120001_{SEED_DOC['name']}';" in text
    assert "fixgen migration 2025_11_19_120001_" in text
    php_lint(bumped)

    # the same migration again: its own file is not "another migration" -> no new stamp, no second copy
    # (fixgen finds it by the fingerprint in its header and says so), and --force regenerates it in place
    code, output = emit()
    assert code == 0 and "already holds this migration" in output and "nothing written" in output, output
    code, output = emit("--force")
    assert code == 0, output
    assert sorted(p.name for p in out.iterdir()) == sorted([other.name, bumped.name])

    # another name at a stamp taken twice over: bumped past both
    (out / "2025_11_19_120001_add_gadgets.php").write_text("<?php\n")
    code, output = emit("--name", "second_fix")
    assert code == 0, output
    second = out / "2025_11_19_120002_second_fix.php"
    assert second.is_file(), sorted(p.name for p in out.iterdir())
    assert "private const MIGRATION = '2025_11_19_120002_second_fix';" in second.read_text(encoding="utf-8")
    php_lint(second)


def test_migration_id_matches_file_name(seed_migration: Path) -> None:
    text = seed_migration.read_text(encoding="utf-8")
    (const,) = re.findall(r"private const MIGRATION = '([^']*)';", text)
    assert f"{const}.php" == seed_migration.name == SEED_FILE


# =========================================================================== preflight refusals

PREFLIGHT_BEFORE = [
    "CREATE TABLE parent (id integer NOT NULL, code varchar(20) NOT NULL, num integer NOT NULL, PRIMARY KEY (id))",
    "CREATE TABLE child (id integer PRIMARY KEY, parent_id integer NOT NULL, other_id integer NULL)",
    "CREATE INDEX child_other_id_index ON child (parent_id)",  # Laravel's name for (other_id), other definition
    "INSERT INTO parent (id, code, num) VALUES (1, 'p', 1)",
    "INSERT INTO child (id, parent_id, other_id) VALUES (1, 1, NULL)",
]
PREFLIGHT_CASES = {
    "missing_table": ({"kind": "missing_index", "table": "nosuch", "columns": ["x"]}, "table nosuch does not exist"),
    "missing_column": ({"kind": "missing_index", "table": "child", "columns": ["nosuch"]},
                       "column child.nosuch does not exist"),
    "set_null_on_not_null": ({"kind": "missing_foreign_key", "table": "child", "columns": ["parent_id"],
                              "references": "parent.id", "on_delete": "set_null"},
                             "uses SET NULL but child.parent_id is NOT NULL"),
    "name_collision": ({"kind": "missing_index", "table": "child", "columns": ["other_id"]},
                       "cannot create index child_other_id_index on child: another object already has that name"),
    "not_a_key": ({"kind": "missing_foreign_key", "table": "child", "columns": ["other_id"],
                   "references": "parent.num"}, "parent (num) is not a primary key or unique"),
}


@pytest.mark.parametrize("case", list(PREFLIGHT_CASES))
def test_preflight_refuses_before_any_change(db: Database, tmp_path: Path, case: str) -> None:
    issue, message = PREFLIGHT_CASES[case]
    # a harmless fix first: it must not be applied either
    spec = {"version": 1, "name": f"preflight_{case}",
            "issues": [{"kind": "missing_index", "table": "parent", "columns": ["code"]}, issue]}
    migration = emit_laravel(spec, tmp_path)
    db.execute(PREFLIGHT_BEFORE)
    s0, d0 = snap(db)
    err = run_fails(db, migration, "up")
    assert "fixgen: nothing was changed" in err and message in err, err
    s1, d1 = snap(db)
    assert_schema(s1, s0)
    assert_data(d1, d0)


# =========================================================================== the helpers' own contract


@pytest.mark.parametrize("missing", ["php", "laravel"])
@pytest.mark.parametrize("ci", ["true", ""])
def test_missing_php_or_laravel_skips_or_fails_in_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, missing: str,
                                                      ci: str) -> None:
    from support import laravel as laravel_helpers

    fake = tmp_path / "php"
    fake.write_text("#!/bin/sh\necho \"PHP Warning: require(Illuminate/Database/autoload.php): Failed to open stream\" >&2\n"
                    "exit 255\n")
    fake.chmod(0o755)
    monkeypatch.setattr(laravel_helpers.shutil, "which",
                        lambda name, *a, **k: None if missing == "php" else str(fake) if name == "php" else None)
    monkeypatch.setenv("CI", ci)
    laravel_helpers._php_problem.cache_clear()
    try:
        expected = pytest.fail.Exception if ci else pytest.skip.Exception
        with pytest.raises(expected) as info:
            laravel_helpers.require_php()
        assert ("php: not found" if missing == "php" else "Laravel (illuminate/database) cannot be loaded") in str(info.value)
    finally:
        laravel_helpers._php_problem.cache_clear()


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_migrate_pretend_runs_nothing_and_says_why(dialect: str, tmp_path: Path) -> None:
    """`artisan migrate --pretend` collects queries without running them, so the guards cannot see the schema:
    the migration changes nothing, warns of nothing, and says where to look instead."""
    from support.dbs import database_or_skip, drop_database

    db = database_or_skip(dialect, tmp_path)
    try:
        load_seed(db)
        before = db.schema_snapshot()
        migration = emit_laravel(SEED_SPEC, tmp_path)
        result = run_laravel(db, migration, "pretend")
        assert "Warning" not in result.stderr and "Exception" not in result.stderr, result.stderr
        assert "--pretend cannot do" in result.stderr and "fixgen plan SPEC" in result.stderr, result.stderr
        after = db.schema_snapshot()
        after.pop("migrations", None)  # the Migrator's own repository table
        assert after == before
    finally:
        drop_database(db)
