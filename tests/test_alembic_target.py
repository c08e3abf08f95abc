"""The `alembic` target through real Alembic on PostgreSQL, MariaDB/MySQL and SQLite.

Every test generates the revision with the real CLI (in-process, typer's CliRunner), puts it
in a throw-away Alembic project (a copy of tests/alembic_env/env.py, alembic's own
script.py.mako and a versions/ directory), and drives it with alembic.command
(upgrade/downgrade/stamp/heads) against a fresh database from tests/support/dbs.py; the offline test
also runs the real `python -m alembic` CLI. Schemas and data are compared with the exact
catalog snapshots of tests/support/dbs.py. No mocks.

What the alembic target promises (README "Alembic", templates/alembic/revision.py.j2):
  * upgrade() is idempotent: each fix is made only if not present by definition (an index
    leading with the same columns, a foreign key on the same columns to the same table and
    columns, whatever the name), and recorded in fixgen_ledger;
  * downgrade() undoes only what upgrade() recorded and drops fixgen_ledger once empty, so
    downgrade after upgrade restores the schema exactly; hand-made objects stay;
  * a preflight stops upgrade() before any change (orphan rows for a new foreign key: table,
    column, count and a listing query);
  * SQLite foreign keys go through op.batch_alter_table with foreign keys off: rows of the
    rebuilt table and of the tables referencing it survive;
  * offline mode raises alembic.util.CommandError pointing to `fixgen emit --target sql`;
  * without --down-revision the revision chains onto the single head of --out; several heads
    are exit 2 asking for --down-revision.

Golden file: tests/golden/alembic/<rev>_fix_migration_inconsistencies.py; after an intended
change rewrite it with `python -m pytest tests/test_alembic_target.py --update-golden` and
review the diff (tests/test_alembic_lint.py lints it with ruff, tests/golden/ruff.toml).
"""

from __future__ import annotations

import copy
import difflib
import functools
import os
import py_compile
import random
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from support.alembic import (
    VERSION_TABLE,
    after_alembic,
    alembic_ledger_table,
    emit_alembic,
    module_values,
    project,
    version_rows,
)
from support.dbs import DIALECTS, Database, _finish, _row_key, in_ci
from support.roundtrip import (
    ALL_SEED_INDEXES,
    HAND_FK_MODES,
    HAND_INDEX_MODES,
    LEDGER,
    RENAMES,
    SEED_FKS,
    SEED_INDEXES,
    SEED_SPEC,
    TIMESTAMP_TABLES,
    TS,
    ByHand,
    assert_each_seed_fix_once,
    assert_schema,
    assert_seed_objects,
    cli,
    columns,
    expected_after_up,
    expected_data_after_up,
    fk_by_hand,
    fks_on,
    index_by_hand,
    index_entry,
    index_named,
    ix_name,
    ledger_rows,
    load_seed,
    name_before_rename,
    schema_diff,
    without,
    write_spec,
)

try:
    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError
except ImportError:  # pragma: no cover - depends on the environment
    if in_ci():
        raise
    pytest.skip("alembic is not installed", allow_module_level=True)

# Reflecting a SQLite "tinyint(1)" column (the seed's is_active) makes SQLAlchemy warn once per
# inspection; harmless, and reported separately (it is visible to users of SQLite schemas).
pytestmark = [pytest.mark.db, pytest.mark.filterwarnings(
    r"ignore:Could not instantiate type <class 'sqlalchemy\.sql\.sqltypes\.INTEGER'> with reflected arguments"
)]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GOLDEN_DIR = HERE / "golden" / "alembic"
SEED_NAME = "fix_migration_inconsistencies"

# what the catalogs report for sa.DateTime() (created_at/updated_at of missing_timestamps)
TIMESTAMP_TYPE = {"postgresql": "timestamp without time zone", "mysql": "datetime", "sqlite": "datetime"}
# the DDL a person would type to add one by hand
TIMESTAMP_DDL = {"postgresql": "TIMESTAMP NULL", "mysql": "DATETIME NULL", "sqlite": "datetime NULL"}

# the snapshot upgrade must produce from a before-schema (without alembic_version), and how many
# changes it makes: each fix only where it is not present by definition (roundtrip.expected_after_up)
expected_seed_after_up = functools.partial(expected_after_up, timestamp_types=TIMESTAMP_TYPE)


# =========================================================================== 1. golden file


def test_golden_seed_revision(tmp_path: Path, update_golden: bool) -> None:
    versions = tmp_path / "versions"
    path = emit_alembic(SEED_SPEC, versions)
    again = emit_alembic(SEED_SPEC, tmp_path / "versions2")
    assert path.name == again.name and path.read_bytes() == again.read_bytes(), "output must be deterministic"
    values = module_values(path)
    assert path.name == f"{values['revision']}_{SEED_NAME}.py"
    assert re.fullmatch(r"[0-9a-f]{12}", values["revision"])
    assert values["down_revision"] is None and values["MIGRATION"] == f"{values['revision']}_{SEED_NAME}"
    data = path.read_bytes()
    golden = GOLDEN_DIR / path.name
    hint = "(if the change is intended: python -m pytest tests/test_alembic_target.py --update-golden)"
    if update_golden:
        if GOLDEN_DIR.exists():
            shutil.rmtree(GOLDEN_DIR)
        GOLDEN_DIR.mkdir(parents=True)
        golden.write_bytes(data)
        pytest.skip(f"golden file updated: {golden.relative_to(ROOT)}")
    assert GOLDEN_DIR.is_dir(), f"no golden files in {GOLDEN_DIR.relative_to(ROOT)} {hint}"
    assert sorted(p.name for p in GOLDEN_DIR.iterdir()) == [path.name], f"different file names {hint}"
    if data != golden.read_bytes():
        diff = difflib.unified_diff(golden.read_text(encoding="utf-8").splitlines(keepends=True),
                                    data.decode("utf-8").splitlines(keepends=True),
                                    f"golden/{path.name}", f"actual/{path.name}", n=2)
        pytest.fail(f"{golden.relative_to(ROOT)} differs {hint}\n{''.join(list(diff)[:80])}", pytrace=False)
    py_compile.compile(str(golden), cfile=str(tmp_path / "golden.pyc"), doraise=True)


def test_emit_to_stdout_is_the_same_revision(tmp_path: Path) -> None:
    written = emit_alembic(SEED_SPEC, tmp_path / "versions")
    run = cli("emit", SEED_SPEC, "--target", "alembic", "--timestamp", TS)
    assert run.code == 0, run.output
    assert run.stdout == written.read_text(encoding="utf-8")


# =========================================================================== 2. seed round trip


def test_seed_round_trip(db: Database, tmp_path: Path) -> None:
    d = db.dialect
    load_seed(db)
    proj = project(tmp_path, db)
    rev = module_values(emit_alembic(SEED_SPEC, proj.versions))["revision"]
    s0 = db.schema_snapshot()
    tables = sorted(s0)
    d0 = db.data_snapshot(tables)
    assert LEDGER not in s0 and VERSION_TABLE not in s0
    renamed_before = {t: sorted(db.query(f"SELECT id, {old} FROM {t}")) for t, old, _ in RENAMES}
    assert all(renamed_before.values())
    assert d0["team_members"], "the seed must have team_members rows (they reference the rebuilt teams)"

    # ---- upgrade head
    proj.upgrade("head")
    assert version_rows(db) == [(rev,)]
    s1 = after_alembic(db)
    expected, changes = expected_seed_after_up(s0, d, alembic_ledger_table(s1))
    assert_schema(s1, expected, "after upgrade")
    ledger = sorted(ledger_rows(db))
    assert len(ledger) == changes == len(RENAMES) + 2 * len(TIMESTAMP_TABLES) + len(ALL_SEED_INDEXES) + len(SEED_FKS)
    assert {m for m, _, _ in ledger} == {f"{rev}_{SEED_NAME}"}

    # the concrete objects, spelled out
    assert_seed_objects(db, s1, renamed_before, TIMESTAMP_TYPE[d])
    for t, cols in ALL_SEED_INDEXES:
        assert index_named(s1, t, ix_name(t, cols)) == index_entry(ix_name(t, cols), cols), (t, cols)
    # every pre-existing foreign key is still there (SQLite rebuilt five tables)
    for t in s0:
        for fk in s0[t]["foreign_keys"]:
            assert fk in s1[t]["foreign_keys"], (t, fk)
    d1 = db.data_snapshot(tables)
    assert d1 == expected_data_after_up(d0, s0, s1)
    assert d1["team_members"] == sorted((r + (None, None) for r in d0["team_members"]), key=_row_key)
    if d == "sqlite":
        assert db.query("PRAGMA foreign_key_check") == []

    # ---- stamp base, upgrade again: nothing changes
    proj.stamp("base")
    assert version_rows(db) == []
    proj.upgrade("head")
    assert version_rows(db) == [(rev,)]
    assert_schema(after_alembic(db), s1, "stamp base + upgrade")
    assert db.data_snapshot(tables) == d1
    assert sorted(ledger_rows(db)) == ledger

    # ---- downgrade base: exactly the before schema and data
    proj.downgrade("base")
    assert version_rows(db) == []
    assert_schema(after_alembic(db), s0, "after downgrade")
    assert db.data_snapshot(tables) == d0
    for t, old, _ in RENAMES:
        assert sorted(db.query(f"SELECT id, {old} FROM {t}")) == renamed_before[t]
    if d == "sqlite":
        assert db.query("PRAGMA foreign_key_check") == []

    # ---- and upgrade once more: the same fixed schema
    proj.upgrade("head")
    assert_schema(after_alembic(db), s1, "upgrade after downgrade")
    assert db.data_snapshot(tables) == d1


# =========================================================================== 3. partial pre-application

FK_MODES = {
    # foreign keys by hand only where ALTER TABLE can add them
    "postgresql": HAND_FK_MODES,
    "mysql": HAND_FK_MODES,
    "sqlite": ("skip", "index_other_only", "index_conventional_only"),
}


def hand_apply(db: Database, rng: random.Random) -> list[str]:
    """Apply a random part of the seed fixes by hand, the way a person would; return a log."""
    d = db.dialect
    hand = ByHand(db)
    renamed = hand.rename(rng.sample(RENAMES, rng.randint(0, len(RENAMES))))

    for t in TIMESTAMP_TABLES:
        for c in rng.sample(["created_at", "updated_at"], rng.randint(0, 2)):
            hand.do(f"ALTER TABLE {t} ADD COLUMN {c} {TIMESTAMP_DDL[d]}")

    modes = list(FK_MODES[d])
    for fk in SEED_FKS:
        hand.do(*fk_by_hand(fk, rng.choice(modes), hand.other))

    for t, cols in SEED_INDEXES:
        mode = rng.choice(HAND_INDEX_MODES)
        now = [name_before_rename(t, c, renamed) for c in cols]
        hand.do(*index_by_hand(t, cols, now, mode, hand.other))
    return hand.log


@pytest.mark.parametrize("seed", [101, 202])
def test_partial_preapplication(db: Database, seed: int, tmp_path: Path) -> None:
    d = db.dialect
    load_seed(db)
    proj = project(tmp_path, db)
    emit_alembic(SEED_SPEC, proj.versions)
    log = hand_apply(db, random.Random(f"{d}-{seed}"))
    context = "hand-applied:\n  " + "\n  ".join(log)
    s0 = db.schema_snapshot()
    tables = sorted(s0)
    d0 = db.data_snapshot(tables)

    proj.upgrade("head")
    s1 = after_alembic(db)
    expected, changes = expected_seed_after_up(s0, d, alembic_ledger_table(s1))
    assert_schema(s1, expected, f"after upgrade; {context}")
    ledger = sorted(ledger_rows(db))
    assert len(ledger) == changes, context
    assert_each_seed_fix_once(s1, context)
    d1 = db.data_snapshot(tables)
    assert d1 == expected_data_after_up(d0, s0, s1)

    proj.stamp("base")
    proj.upgrade("head")
    assert_schema(after_alembic(db), s1, f"stamp base + upgrade; {context}")
    assert db.data_snapshot(tables) == d1
    assert sorted(ledger_rows(db)) == ledger

    proj.downgrade("base")
    assert_schema(after_alembic(db), s0, f"after downgrade: hand-applied objects must stay; {context}")
    assert db.data_snapshot(tables) == d0


# =========================================================================== 4. orphans

ORPHAN_EXECUTIONS = ["0e000000-0000-4000-8000-000000000001", "0e000000-0000-4000-8000-000000000002"]
ORPHAN_MANAGER = "0b000000-0000-4000-8000-0000000000ff"


def test_orphans_stop_upgrade_before_any_change(db: Database, tmp_path: Path) -> None:
    load_seed(db)
    [(agent_id, tenant_id)] = db.query("SELECT id, tenant_id FROM agents ORDER BY id LIMIT 1")
    [(org_id,)] = db.query("SELECT id FROM organizations ORDER BY id LIMIT 1")
    db.execute([
        *(f"INSERT INTO hitl_approvals (id, tenant_id, agent_id, execution_id) "
          f"VALUES ('{i:08d}-0000-4000-8000-00000000000a', '{tenant_id}', '{agent_id}', '{e}')"
          for i, e in enumerate(ORPHAN_EXECUTIONS)),
        f"INSERT INTO branches (id, organization_id, name, branch_manager_id) "
        f"VALUES ('0b000000-0000-4000-8000-000000000001', '{org_id}', 'Orphanage', '{ORPHAN_MANAGER}')",
    ])
    proj = project(tmp_path, db)
    emit_alembic(SEED_SPEC, proj.versions)
    s0 = db.schema_snapshot()
    d0 = db.data_snapshot()

    with pytest.raises(CommandError) as info:
        proj.upgrade("head")
    message = str(info.value)
    assert message.startswith("fixgen: nothing was changed:"), message
    m = re.search(r"(\d+) orphan row\(s\) in hitl_approvals \(execution_id\) have no matching row in "
                  r"agent_executions \(id\); list them with: ([^\n]+)", message)
    assert m, message
    assert int(m.group(1)) == len(ORPHAN_EXECUTIONS)
    listed = db.query(m.group(2))
    execution_col = columns(s0, "hitl_approvals").index("execution_id")
    assert sorted(str(r[execution_col]) for r in listed) == ORPHAN_EXECUTIONS
    m = re.search(r"1 orphan row\(s\) in branches \(branch_manager_id\) have no matching row in users \(id\); "
                  r"list them with: ([^\n]+)", message)
    assert m, message
    manager_col = columns(s0, "branches").index("branch_manager_id")
    assert [str(r[manager_col]) for r in db.query(m.group(1))] == [ORPHAN_MANAGER]
    for fk in ("departments", "projects", "teams"):  # no orphans there: not mentioned
        assert f"in {fk} (" not in message

    # nothing changed (MariaDB included, where DDL is not transactional)
    assert_schema(after_alembic(db), s0, "after a refused upgrade")
    assert LEDGER not in db.table_names()
    assert version_rows(db) == []
    assert without(db.data_snapshot(), VERSION_TABLE) == d0


# =========================================================================== 5. offline mode

OFFLINE_URLS = {
    "sqlite": "sqlite:///offline.db",
    "postgresql": "postgresql+psycopg://nobody@127.0.0.1:1/offline",
    "mysql": "mysql+pymysql://nobody@127.0.0.1:1/offline",
}
OFFLINE_MESSAGE = re.compile(r"cannot run in offline \(--sql\) mode.*fixgen emit SPEC --target sql", re.S)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_offline_mode_raises_command_error(dialect: str, tmp_path: Path) -> None:
    proj = project(tmp_path, OFFLINE_URLS[dialect])  # never connected to
    rev = module_values(emit_alembic(SEED_SPEC, proj.versions))["revision"]
    with pytest.raises(CommandError) as info:
        proj.upgrade("head", sql=True)
    assert OFFLINE_MESSAGE.search(str(info.value)), str(info.value)
    assert f"fixgen revision {rev}" in str(info.value)
    assert "ALTER TABLE" not in proj.sql.getvalue() and "CREATE INDEX" not in proj.sql.getvalue()
    with pytest.raises(CommandError) as info:
        proj.downgrade(f"{rev}:base", sql=True)
    assert OFFLINE_MESSAGE.search(str(info.value)), str(info.value)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_offline_mode_through_the_alembic_cli(dialect: str, tmp_path: Path) -> None:
    proj = project(tmp_path, OFFLINE_URLS[dialect])
    emit_alembic(SEED_SPEC, proj.versions)
    ini = proj.write_ini()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    proc = subprocess.run([sys.executable, "-m", "alembic", "-c", str(ini), "upgrade", "head", "--sql"],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    # alembic prints "FAILED: <message>" (on stdout, after the SQL it had written so far)
    failed = out[out.index("FAILED:"):] if "FAILED:" in out else ""
    assert OFFLINE_MESSAGE.search(" ".join(failed.split())), out  # alembic wraps long messages
    assert "Traceback" not in out, out
    assert not (tmp_path / "offline.db").exists()


# =========================================================================== 6. chaining

BASE_REV = "1a2b3c4d5e6f"
BASE_REVISION = f'''"""create owners and gadgets

Revision ID: {BASE_REV}
Revises:
Create Date: 2025-11-01 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = {BASE_REV!r}
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "owners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "gadgets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO owners (id, name) VALUES (1, 'Ann'), (2, 'Bob')")
    op.execute("INSERT INTO gadgets (id, owner_id, name) VALUES (1, 1, 'lamp'), (2, NULL, 'desk'), (3, 2, 'pen')")


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("gadgets")
    op.drop_table("owners")
'''
GADGET_SPEC = {"version": 1, "name": "fix_gadgets", "issues": [
    {"kind": "missing_index", "table": "gadgets", "columns": ["name"]},
    {"kind": "missing_foreign_key", "table": "gadgets", "columns": ["owner_id"], "references": "owners.id",
     "on_delete": "set_null"},
]}


def test_chains_onto_the_single_head_and_upgrade_runs_both(db: Database, tmp_path: Path) -> None:
    proj = project(tmp_path, db)
    (proj.versions / f"{BASE_REV}_create_owners_and_gadgets.py").write_text(BASE_REVISION, encoding="utf-8")
    assert proj.heads() == [BASE_REV]
    path = emit_alembic(GADGET_SPEC, proj.versions)
    values = module_values(path)
    rev = values["revision"]
    assert values["down_revision"] == BASE_REV
    assert f"\nRevises: {BASE_REV}\n" in path.read_text(encoding="utf-8")
    assert proj.heads() == [rev]
    heads = proj.heads_output()
    assert heads.strip() == f"{rev} (head)", heads
    assert ScriptDirectory.from_config(proj.cfg).get_revision(rev).down_revision == BASE_REV

    proj.upgrade("head")
    assert version_rows(db) == [(rev,)]
    s = after_alembic(db)
    assert index_named(s, "gadgets", "ix_gadgets_name") == index_entry("ix_gadgets_name", ["name"])
    [fk] = fks_on(s, "gadgets", ["owner_id"])
    assert (fk["referred_table"], fk["on_delete"]) == ("owners", "SET NULL")
    assert sorted(db.query("SELECT id, owner_id, name FROM gadgets")) == [(1, 1, "lamp"), (2, None, "desk"),
                                                                          (3, 2, "pen")]
    # one step back: only the fix is undone, the base revision's tables stay
    proj.downgrade(BASE_REV)
    assert version_rows(db) == [(BASE_REV,)]
    assert sorted(after_alembic(db)) == ["gadgets", "owners"]
    assert fks_on(after_alembic(db), "gadgets", ["owner_id"]) == []
    proj.downgrade("base")
    assert after_alembic(db) == {} and version_rows(db) == []


def _old_style_revision(rev: str, down: str | None) -> str:
    """A revision as older Alembic versions wrote it (no annotations)."""
    return (f'"""second branch\n\nRevision ID: {rev}\nRevises: {down or ""}\nCreate Date: 2025-11-02 10:00:00\n\n"""\n'
            "from alembic import op\nimport sqlalchemy as sa\n\n\n"
            f"revision = {rev!r}\ndown_revision = {down!r}\nbranch_labels = None\ndepends_on = None\n\n\n"
            "def upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n")


def test_several_heads_need_down_revision(tmp_path: Path) -> None:
    proj = project(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}")
    # a real `alembic revision` twice from the same base: two heads
    command.revision(proj.cfg, "base", rev_id="aaaa00000001")
    command.revision(proj.cfg, "left", rev_id="bbbb00000002", head="aaaa00000001")
    (proj.versions / "cccc00000003_right.py").write_text(_old_style_revision("cccc00000003", "aaaa00000001"),
                                                         encoding="utf-8")
    assert proj.heads() == ["bbbb00000002", "cccc00000003"]
    listing = sorted(p.name for p in proj.versions.iterdir())
    spec = write_spec(tmp_path, GADGET_SPEC)

    run = cli("emit", spec, "--target", "alembic", "--out", proj.versions, "--timestamp", TS)
    assert run.code == 2, run.output
    assert "Traceback" not in run.output
    assert run.exception is None or isinstance(run.exception, SystemExit), repr(run.exception)
    assert "several heads" in run.stderr and "--down-revision" in run.stderr, run.stderr
    assert "bbbb00000002" in run.stderr and "cccc00000003" in run.stderr, run.stderr
    assert sorted(p.name for p in proj.versions.iterdir()) == listing, "nothing may be written"

    path = emit_alembic(spec, proj.versions, "--down-revision", "cccc00000003")
    values = module_values(path)
    assert values["down_revision"] == "cccc00000003"
    assert proj.heads() == sorted(["bbbb00000002", values["revision"]])

    # --rev-id sets the id (and the file name, and the ledger key)
    path = emit_alembic(spec, proj.versions, "--down-revision", "bbbb00000002", "--rev-id", "fix_gadgets_01")
    assert path.name == "fix_gadgets_01_fix_gadgets.py"
    values = module_values(path)
    assert (values["revision"], values["down_revision"], values["MIGRATION"]) == \
        ("fix_gadgets_01", "bbbb00000002", "fix_gadgets_01_fix_gadgets")
    assert "fix_gadgets_01" in proj.heads()


def test_rev_id_and_chaining_in_a_linear_history(tmp_path: Path) -> None:
    proj = project(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}")
    command.revision(proj.cfg, "one", rev_id="aaaa00000001")
    command.revision(proj.cfg, "two", rev_id="bbbb00000002")  # real Alembic: chains onto aaaa00000001
    path = emit_alembic(GADGET_SPEC, proj.versions, "--rev-id", "custom42")
    values = module_values(path)
    assert (path.name, values["revision"], values["down_revision"]) == \
        ("custom42_fix_gadgets.py", "custom42", "bbbb00000002")
    assert proj.heads() == ["custom42"]
    # the next emit chains onto ours
    nxt = module_values(emit_alembic(GADGET_SPEC, proj.versions, "--rev-id", "custom43", "--name", "again"))
    assert nxt["down_revision"] == "custom42"
    assert proj.heads() == ["custom43"]
    # a bad id is bad input
    run = cli("emit", write_spec(tmp_path, GADGET_SPEC), "--target", "alembic", "--out", proj.versions,
              "--rev-id", "no-dashes!")
    assert run.code == 2 and "--rev-id" in run.stderr and "Traceback" not in run.output, run.output


# =========================================================================== 7. every column type

TYPED_TABLE = {
    "postgresql": "CREATE TABLE typed (id integer PRIMARY KEY, name varchar(20) NULL)",
    "mysql": "CREATE TABLE typed (id integer PRIMARY KEY, name varchar(20) NULL) ENGINE=InnoDB",
    "sqlite": "CREATE TABLE typed (id integer PRIMARY KEY, name varchar(20) NULL)",
}
# type -> (spec default for the NOT NULL variant, how each row then reads it back, per dialect)
UUID0 = "00000000-0000-0000-0000-000000000000"
TYPE_DEFAULTS: dict[str, tuple[Any, dict[str, str]]] = {
    "string(40)": ("it's a \\ default; -- ok", {}),
    "text": ("hello", {}),
    "integer": (7, {}),
    "bigint": (9000000000, {}),
    "smallint": (-3, {}),
    "boolean": (True, {"postgresql": "True", "mysql": "1", "sqlite": "1"}),
    "decimal(10,2)": (12.5, {"postgresql": "12.50", "mysql": "12.50", "sqlite": "12.5"}),
    "float": (1.5, {}),
    "date": ("2025-01-02", {}),
    "timestamp": ("2025-01-02 03:04:05", {}),
    "timestamptz": ("2025-01-02 03:04:05", {}),
    "time": ("12:34:56", {}),
    "json": ('{"a": 1}', {"postgresql": "{'a': 1}"}),
    "uuid": (UUID0, {}),
    "binary": ("ab", {"postgresql": "\\x6162", "mysql": "\\x6162", "sqlite": "ab"}),
}


def _col(type_: str) -> str:
    return "c_" + re.sub(r"\W+", "_", type_).strip("_")


def typed_spec() -> dict[str, Any]:
    issues: list[dict[str, Any]] = []
    for type_, (default, _) in TYPE_DEFAULTS.items():
        issues.append({"kind": "missing_column", "table": "typed", "column": _col(type_), "type": type_})
        issues.append({"kind": "missing_column", "table": "typed", "column": _col(type_) + "_nn", "type": type_,
                       "nullable": False, "default": default})
    issues.append({"kind": "missing_column", "table": "typed", "column": "c_default_null", "type": "string(10)",
                   "default": None})
    return {"version": 1, "name": "add_typed_columns", "issues": issues}


def test_every_column_type(db: Database, tmp_path: Path) -> None:
    d = db.dialect
    db.execute([TYPED_TABLE[d], "INSERT INTO typed (id, name) VALUES (1, 'a')", "INSERT INTO typed (id) VALUES (2)"])
    proj = project(tmp_path, db)
    emit_alembic(typed_spec(), proj.versions)
    s0 = db.schema_snapshot()
    d0 = db.data_snapshot()

    proj.upgrade("head")
    s1 = after_alembic(db)
    cols = {c["name"]: c for c in s1["typed"]["columns"]}
    added = [_col(t) + sfx for t in TYPE_DEFAULTS for sfx in ("", "_nn")] + ["c_default_null"]
    assert columns(s1, "typed") == ["id", "name", *added]
    for type_, (default, reads) in TYPE_DEFAULTS.items():
        plain, nn = cols[_col(type_)], cols[_col(type_) + "_nn"]
        assert (plain["nullable"], plain["default"]) == (True, None), plain
        assert nn["nullable"] is False and nn["default"] is not None, nn
        values = db.query(f"SELECT {_col(type_)}, {_col(type_)}_nn FROM typed ORDER BY id")
        expected = reads.get(d, str(default))
        got = [(a, None if b is None else _text(b)) for a, b in values]
        assert got == [(None, expected)] * 2, (type_, got)
    assert (cols["c_default_null"]["nullable"], cols["c_default_null"]["default"]) == (True, None)
    d1 = db.data_snapshot()

    proj.stamp("base")
    proj.upgrade("head")
    assert_schema(after_alembic(db), s1, "stamp base + upgrade")
    assert db.data_snapshot() == d1

    proj.downgrade("base")
    assert_schema(after_alembic(db), s0, "after downgrade")
    assert without(db.data_snapshot(), VERSION_TABLE) == d0


def _text(value: Any) -> str:
    """A value as text: bytes as \\x<hex>, an aware datetime in the session's zone without the offset."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "\\x" + bytes(value).hex()
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


# =========================================================================== 8. SQLite: what the rebuild keeps

# posts as Laravel's SQLite grammar creates it ($table->id(), ->boolean(), ->enum(), ->foreignId()
# ->constrained()->cascadeOnDelete(), ->timestamps()), plus an app's trigger and a child table.
LARAVEL_SQLITE = [
    'create table "users" ("id" integer primary key autoincrement not null, "name" varchar not null)',
    'create table "posts" ("id" integer primary key autoincrement not null, "user_id" integer not null, '
    '"editor_id" integer, "title" varchar not null, "is_published" tinyint(1) not null default \'0\', '
    '"status" varchar check ("status" in (\'draft\', \'published\')) not null default \'draft\', '
    '"price" numeric not null default \'0\', "created_at" datetime, "updated_at" datetime, '
    'foreign key("user_id") references "users"("id") on delete cascade)',
    'create index "posts_title_index" on "posts" ("title")',
    'create table "comments" ("id" integer primary key autoincrement not null, "post_id" integer not null, '
    '"body" text not null, foreign key("post_id") references "posts"("id") on delete cascade)',
    "CREATE TRIGGER posts_touch AFTER UPDATE OF title ON posts BEGIN "
    "UPDATE posts SET updated_at = '2025-01-01 00:00:00' WHERE id = NEW.id; END",
    "INSERT INTO users (name) VALUES ('Ann'), ('Bob')",
    "INSERT INTO posts (user_id, editor_id, title, is_published, status) VALUES "
    "(1, 2, 'one', 1, 'published'), (2, NULL, 'two', 0, 'draft')",
    "INSERT INTO comments (post_id, body) VALUES (1, 'nice'), (2, 'meh')",
]
# the same kind of table written by hand: column-level REFERENCES with an action, an unnamed
# CHECK, a collation, an expression index and a partial index
HANDWRITTEN_SQLITE = [
    "CREATE TABLE users (id integer PRIMARY KEY, name varchar(50) NOT NULL)",
    "CREATE TABLE posts (id integer PRIMARY KEY, user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE, "
    "editor_id integer, title varchar(50) COLLATE NOCASE NOT NULL, price numeric(10, 2) NOT NULL DEFAULT 0 "
    "CHECK (price >= 0), big UNSIGNED BIG INT)",
    "CREATE INDEX posts_lower_title ON posts (lower(title))",
    "CREATE INDEX posts_priced ON posts (price) WHERE price > 0",
    "INSERT INTO users VALUES (1, 'Ann'), (2, 'Bob')",
    "INSERT INTO posts (id, user_id, editor_id, title, price) VALUES (1, 1, 2, 'one', 1.5), (2, 2, NULL, 'two', 0)",
]
EDITOR_FK_SPEC = {"version": 1, "name": "fix_posts", "issues": [
    {"kind": "missing_foreign_key", "table": "posts", "columns": ["editor_id"], "references": "users.id",
     "on_delete": "set_null"},
]}


def _sqlite_objects(db: Database) -> dict[tuple[str, str], str]:
    """(type, name) -> normalized SQL of every table, index and trigger in sqlite_master."""
    return {(t, n): " ".join((sql or "").split()) for t, n, sql in
            db.query("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")}


def _rebuild_problems(when: str, diff: str, before: dict[tuple[str, str], str], now: dict[tuple[str, str], str]
                      ) -> list[str]:
    """What a rebuild of posts lost, `when`: the schema difference, the trigger, AUTOINCREMENT
    (objects as _sqlite_objects gives them, before the upgrade and now)."""
    problems = [f"{when}:\n{diff}"] if diff else []
    if ("trigger", "posts_touch") in before and ("trigger", "posts_touch") not in now:
        problems.append(f"{when}: trigger posts_touch is gone")
    if "autoincrement" in before[("table", "posts")].lower() and "autoincrement" not in now[("table", "posts")].lower():
        problems.append(f"{when}: posts lost AUTOINCREMENT")
    return problems


@pytest.mark.parametrize("schema", ["laravel", "handwritten"])
def test_sqlite_rebuild_keeps_the_table_exactly(schema: str, sqlite_db: Database, tmp_path: Path) -> None:
    """Adding a foreign key on SQLite rebuilds the table (op.batch_alter_table): the rebuilt
    table must keep every column type, default, CHECK, collation, index, trigger and existing
    foreign-key action, and downgrade (a second rebuild) must restore the schema exactly."""
    db = sqlite_db
    db.execute(LARAVEL_SQLITE if schema == "laravel" else HANDWRITTEN_SQLITE)
    proj = project(tmp_path, db)
    emit_alembic(EDITOR_FK_SPEC, proj.versions)
    s0 = db.schema_snapshot()
    d0 = db.data_snapshot()
    o0 = _sqlite_objects(db)

    problems: list[str] = []
    proj.upgrade("head")
    s1 = after_alembic(db)
    expected = copy.deepcopy(s0)
    expected["posts"]["indexes"].append(index_entry("ix_posts_editor_id", ["editor_id"]))
    expected["posts"]["foreign_keys"].append({
        "name": None, "columns": ["editor_id"], "referred_table": "users", "referred_columns": ["id"],
        "on_delete": "SET NULL", "on_update": "NO ACTION", "valid": True})
    expected[LEDGER] = alembic_ledger_table(s1)
    problems += _rebuild_problems("after upgrade", schema_diff(s1, _finish(expected)), o0, _sqlite_objects(db))
    if without(db.data_snapshot(), VERSION_TABLE, LEDGER) != d0:
        problems.append("after upgrade: data differs")

    proj.downgrade("base")
    diff = schema_diff(after_alembic(db), s0)
    o2 = _sqlite_objects(db)
    problems += _rebuild_problems("after downgrade", diff, o0, o2)
    if problems:  # show the table as it was and as it is (SQL text differences alone are not failures)
        problems.append(f"posts before: {o0[('table', 'posts')]}\nposts after:  {o2[('table', 'posts')]}")
    if without(db.data_snapshot(), VERSION_TABLE) != d0:
        problems.append("after downgrade: data differs")
    assert not problems, "\n".join(problems)


def test_sqlite_rebuild_with_an_expression_default(sqlite_db: Database, tmp_path: Path) -> None:
    """A column default that is an expression survives the rebuild (SQLite requires the
    parentheses: DEFAULT ('a' || 'b'))."""
    db = sqlite_db
    db.execute(["CREATE TABLE users (id integer PRIMARY KEY)",
                "CREATE TABLE posts (id integer PRIMARY KEY, editor_id integer, slug text DEFAULT ('p-' || 'x'))",
                "INSERT INTO users VALUES (1)", "INSERT INTO posts (id, editor_id) VALUES (1, 1)"])
    proj = project(tmp_path, db)
    emit_alembic(EDITOR_FK_SPEC, proj.versions)
    s0 = db.schema_snapshot()
    proj.upgrade("head")
    assert fks_on(after_alembic(db), "posts", ["editor_id"])
    proj.downgrade("base")
    assert_schema(after_alembic(db), s0, "after downgrade")


# =========================================================================== 9. float precision


def test_float_has_double_precision_like_the_other_targets(db: Database, tmp_path: Path) -> None:
    """`float` is DOUBLE PRECISION/DOUBLE/REAL in the sql target and `double` in the laravel
    target: an 8-byte float everywhere. The alembic column must not lose digits either."""
    db.execute([TYPED_TABLE[db.dialect], "INSERT INTO typed (id) VALUES (1)"])
    proj = project(tmp_path, db)
    emit_alembic({"version": 1, "name": "add_float", "issues": [
        {"kind": "missing_column", "table": "typed", "column": "ratio", "type": "float"}]}, proj.versions)
    proj.upgrade("head")
    value = 0.1234567890123
    db.execute(f"UPDATE typed SET ratio = {value!r} WHERE id = 1")
    [(got,)] = db.query("SELECT ratio FROM typed WHERE id = 1")
    column = next(c for c in after_alembic(db)["typed"]["columns"] if c["name"] == "ratio")
    assert abs(float(got) - value) < 1e-12, f"{column['type']} column read back {got!r} for {value!r}"
