"""The Alembic runtime (fixgen/targets/alembic/runtime.py) tested directly, and its embedder (embed.py).

Runtime tests import the module, set the constants a revision would define, and call its functions inside
a real Alembic operations context (MigrationContext.configure + Operations.context) on a fresh database
of each dialect (tests/support/dbs.py): marked `db`. The embedder tests are pure Python (`pytest -m "not db"`).
"""

from __future__ import annotations

import ast
import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from support.dbs import Database

from fixgen import ledger
from fixgen.ops import AddColumn, AddForeignKey, ChangeForeignKeyActions, CreateIndex, DropIndex, RenameColumn
from fixgen.targets.alembic import embed
from fixgen.targets.alembic import runtime as rt

alembic = pytest.importorskip("alembic")
from alembic.migration import MigrationContext  # noqa: E402
from alembic.operations import Operations  # noqa: E402
from alembic.util import CommandError  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")

KEY = "create_index:t:ix_t_b"


@pytest.fixture(params=[True, False], ids=["online", "plain"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    monkeypatch.setattr(rt, "ONLINE", request.param)
    monkeypatch.setattr(rt, "MIGRATION", "0001_unit")
    monkeypatch.setattr(rt, "_mode", "upgrade")
    return request.param


@contextlib.contextmanager
def operations(db: Database, autocommit: bool = False) -> Iterator[sa.Connection]:
    """`alembic.op` bound to a connection of `db` (autocommit: PostgreSQL's CONCURRENTLY needs no transaction)."""
    engine = sa.create_engine(db.url, **({"isolation_level": "AUTOCOMMIT"} if autocommit else {}))
    try:
        with engine.connect() as conn:
            with Operations.context(MigrationContext.configure(conn)):
                yield conn
            if not autocommit:
                conn.commit()
    finally:
        engine.dispose()


def _ensure_ledger() -> None:
    """What migration() does before the steps: the ledger table (rt._checked runs up to its `yield`)."""
    next(rt._checked(None))


def ledger_rows(db: Database) -> list[tuple]:
    return sorted(db.query(f"SELECT migration, step, object_name FROM {ledger.TABLE} WHERE step <> :m",
                           {"m": ledger.MARKER_STEP}))


# =========================================================================== the runtime, on each database


@pytest.mark.db
def test_has_index_by_definition(db: Database, mode: bool) -> None:
    db.execute(["CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, c INTEGER)",
                "CREATE INDEX ix_ab ON t (a, b)", "CREATE UNIQUE INDEX uq_c ON t (c)"])
    if db.dialect != "mysql":
        db.execute("CREATE INDEX ix_partial ON t (b) WHERE b > 0")
    with operations(db):
        assert rt._has_index("t", ["a"], False) and rt._has_index("t", ["a", "b"], False)
        assert not rt._has_index("t", ["b"], False), "a partial index does not count"
        assert not rt._has_index("t", ["a"], True), "unique needs a unique index on exactly the columns"
        assert rt._has_index("t", ["c"], True) and rt._has_index("t", ["id"], True)  # and the primary key
        assert rt._has_index("t", ["a", "b"], False, exact=True, name="ix_ab")
        assert not rt._has_index("t", ["a"], False, exact=True)


@pytest.mark.db
def test_create_index_records_once_and_downgrade_undoes_it(db: Database, mode: bool,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, b INTEGER)")
    caplog.set_level(logging.INFO, logger="alembic.runtime.fixgen")
    with operations(db, autocommit=mode and db.dialect == "postgresql"):
        _ensure_ledger()
        rt.create_index("t", "ix_t_b", ["b"])
        rt.create_index("t", "ix_t_b", ["b"])  # again: nothing to do
        assert rt._index_named("t", "ix_t_b") and rt._recorded(KEY)
    assert ledger_rows(db) == [("0001_unit", KEY, "ix_t_b")]
    with operations(db, autocommit=mode and db.dialect == "postgresql"):
        rt._mode = "downgrade"
        rt.drop_index("t", "ix_t_b", ["b"])
        rt.drop_index("t", "ix_t_b", ["b"])
        assert not rt._index_named("t", "ix_t_b") and not rt._recorded(KEY)
    assert ledger_rows(db) == []
    assert [r.getMessage() for r in caplog.records] == [
        f"{KEY}: created", f"{KEY}: already done", f"undo {KEY}: undone", f"undo {KEY}: nothing to undo"]


@pytest.mark.db
def test_an_equivalent_index_is_left_alone(db: Database, mode: bool, caplog: pytest.LogCaptureFixture) -> None:
    db.execute(["CREATE TABLE t (id INTEGER PRIMARY KEY, b INTEGER, c INTEGER)", "CREATE INDEX by_hand ON t (b, c)"])
    caplog.set_level(logging.INFO, logger="alembic.runtime.fixgen")
    with operations(db, autocommit=mode and db.dialect == "postgresql"):
        _ensure_ledger()
        rt.create_index("t", "ix_t_b", ["b"])
        assert not rt._index_named("t", "ix_t_b") and not rt._recorded(KEY)
        rt._mode = "downgrade"
        rt.drop_index("t", "ix_t_b", ["b"])
        assert rt._index_named("t", "by_hand")
    assert [r.getMessage() for r in caplog.records] == [
        f"{KEY}: skipped: already present (not made by this revision)", f"undo {KEY}: nothing to undo"]


@pytest.mark.db
def test_rename_and_column_steps_round_trip(db: Database, mode: bool) -> None:
    db.execute(["CREATE TABLE t (id INTEGER PRIMARY KEY, old_name INTEGER)", "INSERT INTO t VALUES (1, 7)"])
    with operations(db):
        _ensure_ledger()
        rt.rename_column("t", "old_name", "new_name")
        rt.add_column("t", sa.Column("note", sa.String(20), nullable=False, server_default="50% off"))
        assert rt._has_column("t", "new_name") and not rt._has_column("t", "old_name")
        rt._mode = "downgrade"
        rt.drop_column("t", "note")
        rt.rename_column("t", "new_name", "old_name")
    assert [c["name"] for c in db.schema_snapshot()["t"]["columns"]] == ["id", "old_name"]
    assert db.query("SELECT old_name FROM t") == [(7,)]
    assert ledger_rows(db) == []


@pytest.mark.db
def test_preflight_checks_report_every_problem(db: Database, mode: bool) -> None:
    db.execute(["CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER)", "CREATE INDEX taken ON t (a)"])
    problems: list[str] = []
    with operations(db):
        rt.require_columns(problems, "nosuch", "x")
        rt.require_columns(problems, "t", "a", "missing", ("renamed", "was"))
        rt.require_index_name(problems, "t", "taken", ["id"], False)
        rt.require_index_name(problems, "t", "taken", ["a"], False)  # that very definition: fine
    assert problems == [
        "table nosuch does not exist",
        "column t.missing does not exist",
        "column t.renamed does not exist (nor was, its name before the rename)",
        "cannot create index taken on t: another object already has that name",
    ]


@pytest.mark.db
def test_offline_mode_is_refused(mode: bool) -> None:
    context = MigrationContext.configure(dialect_name="sqlite", opts={"as_sql": True})
    refused = pytest.raises(CommandError, match=r"cannot run in offline \(--sql\) mode")
    with Operations.context(context), refused, rt.migration("upgrade"):
        pass


@pytest.mark.db
def test_pg_invalid_index_is_rebuilt(pg_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """An interrupted concurrent build leaves an INVALID index: not taken for the index, dropped and rebuilt."""
    db = pg_db
    monkeypatch.setattr(rt, "ONLINE", True)
    monkeypatch.setattr(rt, "MIGRATION", "0001_unit")
    monkeypatch.setattr(rt, "_mode", "upgrade")
    db.execute(["CREATE TABLE t (id INTEGER PRIMARY KEY, b INTEGER)", "INSERT INTO t VALUES (1, 1), (2, 1)"])
    with pytest.raises(sa.exc.IntegrityError):
        db.execute("CREATE UNIQUE INDEX CONCURRENTLY ix_t_b ON t (b)")
    with operations(db, autocommit=True):
        assert rt._invalid_indexes("t") == {"ix_t_b"}
        assert not rt._has_index("t", ["b"], True)
        problems: list[str] = []
        rt.require_index_name(problems, "t", "ix_t_b", ["b"], True)
        assert problems == []  # ours, interrupted: rebuilt, not a clash
        db.execute("DELETE FROM t WHERE id = 2")
        _ensure_ledger()
        rt.create_index("t", "ix_t_b", ["b"], unique=True)
        assert rt._invalid_indexes("t") == set() and rt._has_index("t", ["b"], True)


@pytest.mark.db
def test_pg_online_session_restores_the_settings(pg_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rt, "LOCK_TIMEOUT", "1234ms")
    with operations(pg_db, autocommit=True) as conn:
        query = sa.text("select current_setting('lock_timeout'), current_setting('statement_timeout')")
        before = conn.execute(query).one()
        with rt._no_time_limits():
            assert tuple(conn.execute(query).one()) == ("0", "0")
        assert conn.execute(query).one()[0] == "1234ms"
        rt._pg_set(*before)


# =========================================================================== the embedder (no database)

EVERY_STEP = {"migration", "create_index", "drop_index", "add_column", "drop_column", "rename_column",
              "add_foreign_key", "drop_foreign_key", "change_foreign_key_actions", "require_columns",
              "require_renamable", "require_index_name", "require_index_definition", "require_foreign_key_fits",
              "require_foreign_key_actions"}


@pytest.mark.parametrize("online", [True, False], ids=["online", "plain"])
def test_every_definition_is_resolved_and_parses(online: bool) -> None:
    r = embed.runtime(online)
    for d in r.definitions.values():
        ast.parse(d.text)
        assert "ONLINE" not in d.uses, d.name
    assert set(r.imports) == {"contextlib", "json", "logging", "os", "re", "time", "warnings", "sa", "op", "CommandError",
                              "ledger", "partitions"}
    every = {d.name for d in r.closure(EVERY_STEP)}
    assert every == set(r.definitions) - ({"_online_session", "_no_time_limits", "_pg_set", "_mysql_lock_waits",
                                           "_validate", "_without_foreign_key_checks", "_recheck", "_check_orphans",
                                           "_index_builders", "_lock_timed_out", "_lock_holders"}
                                          if not online else set()), "every runtime definition serves some step"
    text = "\n".join(d.text for d in r.definitions.values() if d.name in every)
    for online_only in ("CONCURRENTLY", "NOT VALID", "ALGORITHM=INPLACE", "_online_session", "LOCK_TIMEOUT"):
        assert (online_only in text) == online, online_only


def test_only_what_the_calls_reach() -> None:
    r = embed.runtime(True)
    names = [d.name for d in r.closure({"migration", "create_index", "drop_index", "require_columns"})]
    assert "_sqlite_rebuild" not in names and "_foreign_key_actions" not in names and "_orphans" not in names
    assert names == [n for n in r.definitions if n in names], "runtime.py's order"
    assert {"_has_index", "_build_index", "_restore_foreign_key_indexes", "_online_session"} <= set(names)


def test_the_revision_constants_are_defined_by_runtime_py() -> None:
    tree = ast.parse(embed.source())
    assigned = {n.targets[0].id for n in tree.body if isinstance(n, ast.Assign)}
    assert set(embed.REVISION_CONSTANTS) <= assigned
    assert not set(embed.REVISION_CONSTANTS) & set(embed.runtime(True).definitions)
    assert (rt.LEDGER_TABLE, rt.LEDGER_COLUMNS, rt.STEP_SEPARATOR) == (ledger.TABLE, ledger.COLUMNS,
                                                                       ledger.STEP_SEPARATOR)


def test_step_keys_are_the_ops_keys() -> None:
    """The runtime builds each step's ledger key as fixgen.ledger.step_key does for the op it performs."""
    sep = rt.STEP_SEPARATOR
    cases = [
        (CreateIndex("t", (), "ix", ("a",)), ("create_index", "t", "ix")),
        (DropIndex("t", (), "ix", ("a",)), ("drop_index", "t", "ix")),
        (AddColumn("t", (), "c"), ("add_column", "t", "c")),
        (AddForeignKey("t", (), "fk", ("a",), "r", ("id",)), ("add_foreign_key", "t", "fk")),
        (RenameColumn("t", (), "old", "new"), ("rename_column", "t", sep.join(("old", "new")))),
        (ChangeForeignKeyActions("t", (), "fk", ("a",), "r", ("id",)), ("foreign_key_actions", "t", "fk")),
    ]
    for op, parts in cases:
        assert op.key == sep.join(parts), op
        assert op.reverse().undoes == op.key


SAMPLE = '''
def f(x):
    if ONLINE:
        a = 1
    else:
        a = 2
    if not ONLINE:
        return a
    if ONLINE and x:
        return 3
    return a


def g():
    if ONLINE:
        return "on"
    return "off"
'''


@pytest.mark.parametrize(("online", "f", "g"), [(True, ["a = 1", "if x:", "return 3", "return a"], ['return "on"']),
                                                (False, ["a = 2", "return a"], ['return "off"'])])
def test_folding(online: bool, f: list[str], g: list[str]) -> None:
    embed.runtime.cache_clear()
    try:
        r = embed.runtime(online, SAMPLE)
    finally:
        embed.runtime.cache_clear()
    assert [line.strip() for line in r.definitions["f"].text.splitlines()[1:]] == f
    assert [line.strip() for line in r.definitions["g"].text.splitlines()[1:]] == g


@pytest.mark.parametrize("source", [
    "def f():\n    return 1 if ONLINE else 2\n",
    "def f(x):\n    if x:\n        pass\n    elif ONLINE:\n        pass\n",
    "def f(x):\n    if ONLINE:\n        pass\n    elif x:\n        pass\n",
])
def test_other_uses_of_the_mode_are_refused(source: str) -> None:
    with pytest.raises(embed.EmbedError):
        embed.runtime.__wrapped__(True, source)


def test_runtime_is_read_as_text_not_imported(tmp_path: Path) -> None:
    assert embed.source() == (Path(embed.__file__).parent / "runtime.py").read_text(encoding="utf-8")
