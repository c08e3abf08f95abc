"""Helpers shared by the round-trip tests of every target (sql, laravel, alembic) and the CLI tests.

* the CLI in-process: ``cli(*args)`` (stdout and stderr apart), ``write_spec``, ``fixgen_emit``;
* the seed spec (examples/seed-fixes.yaml) as data: its renames, timestamp tables, foreign
  keys and indexes, and ``load_seed(db)`` for its before-schema;
* schema snapshots (tests/support/dbs.py): finding columns, indexes and foreign keys, the entries
  the catalogs report, ``assert_schema`` with a readable difference, ``assert_data``;
* the schema up must make from a before-schema (``expected_after_up``) and the checks of the
  seed's fixes after up;
* fixgen_ledger: its rows and the shape of its table;
* the statements a person types to apply a seed fix by hand.

Where the targets differ (the type of a timestamp column, the names of what up creates, the
ledger table's columns), the difference is a parameter: each test module passes its own.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from typer.testing import CliRunner

from fixgen import ledger
from fixgen.cli import app
from support.dbs import Database, _finish, _row_key

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SEED_SPEC = EXAMPLES / "seed-fixes.yaml"
TS = "20251119120000"
LEDGER = "fixgen_ledger"
LEDGER_KEY_COLUMNS = ["migration", "step", "object_name"]

# spec spelling -> catalog spelling of a referential action
ACTION = {"cascade": "CASCADE", "set_null": "SET NULL", "restrict": "RESTRICT", "no_action": "NO ACTION"}

# --------------------------------------------------------------------------- the CLI, in-process


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    exception: BaseException | None

    @property
    def output(self) -> str:
        """stdout followed by stderr."""
        return self.stdout + self.stderr

    @property
    def errors(self) -> list[str]:
        return self.stderr.splitlines()


def cli(*args: str | Path, input: str | bytes | None = None) -> Run:
    """The fixgen CLI in-process (typer's CliRunner), stdout and stderr apart."""
    try:  # click < 8.2 mixes stderr into stdout unless told not to
        runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        runner = CliRunner()
    r = runner.invoke(app, [str(a) for a in args], input=input)
    return Run(r.exit_code, r.stdout, r.stderr, r.exception)


_numbers = itertools.count(1)


def unique_number() -> int:
    """A number no other call in this test session gets (for file and folder names)."""
    return next(_numbers)


def write_spec(directory: Path, spec: dict[str, Any] | list[Any], *, own_folder: bool = False) -> Path:
    """Write a spec as YAML: ``directory/spec_N.yaml``; with ``own_folder``,
    ``directory/spec_N/<the spec's name>.yaml`` (a generated Laravel header names the file)."""
    n = unique_number()
    if own_folder:
        name = spec.get("name") if isinstance(spec, dict) else None
        path = directory / f"spec_{n}" / f"{name or 'spec'}.yaml"
        path.parent.mkdir(parents=True)
    else:
        path = directory / f"spec_{n}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def fixgen_emit(spec: Path, target: str, out: Path, *extra: str, timestamp: str = TS) -> Run:
    """``fixgen emit SPEC --target TARGET --out OUT --timestamp TS [extra]``, which must succeed."""
    args = ["emit", str(spec), "--target", target, "--out", str(out), "--timestamp", timestamp, *extra]
    run = cli(*args)
    assert run.code == 0, f"fixgen {' '.join(args)} exited {run.code}:\n{run.output}\n{run.exception!r}"
    return run


# --------------------------------------------------------------------------- the seed spec, as data

SEED_DOC: dict[str, Any] = yaml.safe_load(SEED_SPEC.read_text(encoding="utf-8"))
SEED_ISSUES: list[dict[str, Any]] = SEED_DOC["issues"]


@dataclass(frozen=True)
class FK:
    table: str
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: str  # catalog spelling: CASCADE, SET NULL, ...

    @property
    def conventional_name(self) -> str:
        return f"fk_{self.table}_{'_'.join(self.columns)}_{self.ref_table}"


def _ref(value: str) -> tuple[str, tuple[str, ...]]:
    table, _, col = value.partition(".")
    return table, (col or "id",)


RENAMES: list[tuple[str, str, str]] = [
    (i["table"], i["from"], i["to"]) for i in SEED_ISSUES if i["kind"] == "rename_column"
]
RENAMED_TO = {(t, new): old for t, old, new in RENAMES}
TIMESTAMP_TABLES: list[str] = [i["table"] for i in SEED_ISSUES if i["kind"] == "missing_timestamps"]
SEED_FKS: list[FK] = [
    FK(i["table"], tuple(i["columns"]), *_ref(i["references"]), ACTION[i.get("on_delete", "no_action")])
    for i in SEED_ISSUES
    if i["kind"] == "missing_foreign_key"
]
SEED_INDEXES: list[tuple[str, tuple[str, ...]]] = [
    (i["table"], tuple(i["columns"])) for i in SEED_ISSUES if i["kind"] == "missing_index"
]
# every index up may create: each foreign key's supporting index, then each missing_index (no overlap in the seed)
ALL_SEED_INDEXES: list[tuple[str, tuple[str, ...]]] = [(fk.table, fk.columns) for fk in SEED_FKS] + SEED_INDEXES


def ix_name(table: str, cols: tuple[str, ...] | list[str], unique: bool = False) -> str:
    """fixgen's conventional index name (sql and alembic targets)."""
    return f"{'uq' if unique else 'ix'}_{table}_{'_'.join(cols)}"


def load_seed(db: Database) -> None:
    """examples/seed-before.<dialect>.sql: the schema and rows the seed spec fixes."""
    db.run_sql_file(EXAMPLES / f"seed-before.{db.dialect}.sql")


def name_before_rename(table: str, column: str, renamed: Collection[tuple[str, str]]) -> str:
    """A column's name while the seed's rename to it is not done yet; `renamed` holds the
    (table, new name) of the renames already done."""
    if (table, column) in RENAMED_TO and (table, column) not in renamed:
        return RENAMED_TO[(table, column)]
    return column


# --------------------------------------------------------------------------- snapshot helpers


def columns(s: dict, table: str) -> list[str]:
    return [c["name"] for c in s[table]["columns"]]


def has_column(s: dict, table: str, col: str) -> bool:
    return col in columns(s, table)


def index_named(s: dict, table: str, name: str) -> dict | None:
    return next((i for i in s[table]["indexes"] if i["name"] == name), None)


def indexes_leading(s: dict, table: str, cols: tuple[str, ...] | list[str]) -> list[dict]:
    """Indexes of `table` whose first columns are `cols` (a missing_index fix is 'present')."""
    k = len(cols)
    return [i for i in s[table]["indexes"] if i["columns"][:k] == list(cols) and i["where"] is None]


def fks_on(s: dict, table: str, cols: tuple[str, ...] | list[str]) -> list[dict]:
    return [f for f in s[table]["foreign_keys"] if f["columns"] == list(cols)]


def index_entry(name: str, cols: tuple[str, ...] | list[str], unique: bool = False) -> dict:
    return {"name": name, "columns": list(cols), "unique": unique, "where": None, "valid": True}


def fk_entry(dialect: str, name: str, cols: Sequence[str], ref_table: str, ref_cols: Sequence[str], on_delete: str,
             on_update: str = "NO ACTION") -> dict:
    """A foreign key as the snapshot of `dialect` reports it (SQLite reports no names)."""
    return {"name": None if dialect == "sqlite" else name, "columns": list(cols), "referred_table": ref_table,
            "referred_columns": list(ref_cols), "on_delete": on_delete, "on_update": on_update, "valid": True}


def rename_in_schema(s: dict, table: str, old: str, new: str) -> None:
    """What RENAME COLUMN does to a snapshot: the column keeps its place, indexes and keys follow."""
    info = s[table]
    for c in info["columns"]:
        if c["name"] == old:
            c["name"] = new
    info["primary_key"] = [new if c == old else c for c in info["primary_key"]]
    for i in info["indexes"]:
        i["columns"] = [new if c == old else c for c in i["columns"]]
    for f in info["foreign_keys"]:
        f["columns"] = [new if c == old else c for c in f["columns"]]
    for other in s.values():
        for f in other["foreign_keys"]:
            if f["referred_table"] == table:
                f["referred_columns"] = [new if c == old else c for c in f["referred_columns"]]


def without(s: dict, *tables: str) -> dict:
    return {k: v for k, v in s.items() if k not in tables}


def schema_diff(actual: dict, expected: dict) -> str:
    """A compact, readable difference between two snapshots ('' when equal)."""
    lines = []
    for t in sorted(set(actual) | set(expected)):
        if t not in actual:
            lines.append(f"table {t}: missing")
            continue
        if t not in expected:
            lines.append(f"table {t}: unexpected")
            continue
        for part in ("columns", "primary_key", "indexes", "foreign_keys", "checks"):
            a, e = actual[t][part], expected[t][part]
            if a == e:
                continue
            if part == "primary_key":
                lines.append(f"table {t} {part}: {a} != {e}")
                continue
            extra = [x for x in a if x not in e]
            missing = [x for x in e if x not in a]
            lines.append(f"table {t} {part}: unexpected {extra}; missing {missing}"
                         + ("" if extra or missing else f"; order differs: {a} != {e}"))
    return "\n".join(lines)


def assert_schema(actual: dict, expected: dict, what: str = "") -> None:
    diff = schema_diff(actual, expected)
    assert not diff, f"schema differs{' (' + what + ')' if what else ''}:\n{diff}"
    assert actual == expected  # belt and braces (e.g. key order inside entries)


def assert_data(actual: dict, expected: dict, what: str = "") -> None:
    """Data snapshots are equal; else name each table that differs, with both row lists."""
    if actual != expected:
        lines = []
        for t in sorted(set(actual) | set(expected)):
            if actual.get(t) != expected.get(t):
                lines.append(f"table {t}: {actual.get(t)!r}\n   expected {expected.get(t)!r}")
        raise AssertionError(f"data differs{' (' + what + ')' if what else ''}:\n" + "\n".join(lines))


# --------------------------------------------------------------------------- fixgen_ledger


def ledger_rows(db: Database) -> list[tuple]:
    """(migration, step, object_name) of every ledger row of a step (not the migrations' markers), in the order
    the database returns them."""
    return db.query(f"SELECT migration, step, object_name FROM {db.quote(LEDGER)} WHERE step <> :marker",
                    {"marker": ledger.MARKER_STEP})


def ledger_markers(db: Database) -> list[str]:
    """The migrations whose marker row (up ran) the ledger holds."""
    return [r[0] for r in db.query(f"SELECT migration FROM {db.quote(LEDGER)} WHERE step = :marker",
                                   {"marker": ledger.MARKER_STEP})]


def check_ledger_table(s: dict, *, made_by: str, exact_columns: list[str] | None = None) -> dict:
    """The ledger table in snapshot `s`, keyed by (migration, step); its columns are exactly
    `exact_columns`, or, when None, start with migration, step, object_name."""
    assert LEDGER in s, f"{made_by} must create the ledger table"
    led = s[LEDGER]
    if exact_columns is None:
        assert [c["name"] for c in led["columns"]][:3] == LEDGER_KEY_COLUMNS
    else:
        assert [c["name"] for c in led["columns"]] == exact_columns
    assert led["primary_key"] == ["migration", "step"]
    return led


# --------------------------------------------------------------------------- what up must do


def expected_after_up(before: dict, dialect: str, ledger: dict | None = None, *,
                      timestamp_types: Mapping[str, str],
                      index_name: Callable[[str, tuple[str, ...]], str] = ix_name,
                      fk_name: Callable[[FK], str] = lambda fk: fk.conventional_name,
                      fks: list[FK] = SEED_FKS,
                      indexes: list[tuple[str, tuple[str, ...]]] = ALL_SEED_INDEXES,
                      renames: list[tuple[str, str, str]] = RENAMES,
                      timestamp_tables: list[str] = TIMESTAMP_TABLES,
                      only_where_missing: bool = True) -> tuple[dict, int]:
    """The snapshot up must produce from `before`, and how many changes it makes.

    With `only_where_missing`, each fix is made only if not present by definition: a rename if
    the old column is still there; a timestamp column if missing; an index if no index leads
    with its columns; a foreign key if none is on its columns. Without it, every fix is made
    (for a before-schema that has none of them). New timestamp columns are nullable, of the
    target's type `timestamp_types[dialect]`; new indexes and keys get `index_name` and
    `fk_name`. `ledger`, when given, is the ledger table's expected entry.
    """
    s = copy.deepcopy(before)
    changes = 0
    for t, old, new in renames:
        if not only_where_missing or has_column(s, t, old):
            rename_in_schema(s, t, old, new)
            changes += 1
    for t in timestamp_tables:
        for c in ("created_at", "updated_at"):
            if not only_where_missing or not has_column(s, t, c):
                s[t]["columns"].append({"name": c, "type": timestamp_types[dialect], "nullable": True,
                                        "default": None, "extra": None})
                changes += 1
    for t, cols in indexes:
        if not only_where_missing or not indexes_leading(s, t, cols):
            s[t]["indexes"].append(index_entry(index_name(t, cols), cols))
            changes += 1
    for fk in fks:
        if not only_where_missing or not fks_on(s, fk.table, fk.columns):
            s[fk.table]["foreign_keys"].append(
                fk_entry(dialect, fk_name(fk), fk.columns, fk.ref_table, fk.ref_columns, fk.on_delete))
            changes += 1
    if ledger is not None:
        s[LEDGER] = copy.deepcopy(ledger)
    return _finish(s), changes


def expected_data_after_up(before: dict[str, list[tuple]], before_schema: dict, after_schema: dict
                           ) -> dict[str, list[tuple]]:
    """Data after up: the same rows; added (nullable, no default) columns read NULL."""
    out = {}
    for t, rows in before.items():
        added = len(after_schema[t]["columns"]) - len(before_schema[t]["columns"])
        out[t] = sorted((row + (None,) * added for row in rows), key=_row_key)
    return out


def assert_seed_objects(db: Database, s1: dict, renamed_before: dict[str, list[tuple]], timestamp_type: str) -> None:
    """The seed's fixes after up, spelled out: the foreign keys under fixgen's conventional names
    (SQLite reports none), the renamed columns with their values, the timestamps of team_members."""
    d = db.dialect
    [hitl] = fks_on(s1, "hitl_approvals", ["execution_id"])
    assert hitl == {"name": None if d == "sqlite" else "fk_hitl_approvals_execution_id_agent_executions",
                    "columns": ["execution_id"], "referred_table": "agent_executions", "referred_columns": ["id"],
                    "on_delete": "CASCADE", "on_update": "NO ACTION", "valid": True}
    for table, col in [("branches", "branch_manager_id"), ("departments", "department_head_id"),
                       ("projects", "project_manager_id"), ("teams", "team_lead_id")]:
        [fk] = fks_on(s1, table, [col])
        assert (fk["name"], fk["referred_table"], fk["referred_columns"], fk["on_delete"]) == \
            (None if d == "sqlite" else f"fk_{table}_{col}_users", "users", ["id"], "SET NULL")
    for t, old, new in RENAMES:
        assert not has_column(s1, t, old) and has_column(s1, t, new)
        assert sorted(db.query(f"SELECT id, {new} FROM {t}")) == renamed_before[t]
    tm = {c["name"]: c for c in s1["team_members"]["columns"]}
    for c in ("created_at", "updated_at"):
        assert tm[c] == {"name": c, "type": timestamp_type, "nullable": True, "default": None, "extra": None}
    assert columns(s1, "team_members")[-2:] == ["created_at", "updated_at"]


def assert_each_seed_fix_once(s1: dict, *context: str) -> None:
    """Every seed fix is present after up, none twice (by definition, whatever the names)."""
    for t, old, new in RENAMES:
        assert has_column(s1, t, new) and not has_column(s1, t, old)
    for t in TIMESTAMP_TABLES:
        assert sorted(c for c in columns(s1, t) if c in ("created_at", "updated_at")) == ["created_at", "updated_at"]
    for t, cols in ALL_SEED_INDEXES:
        assert len(indexes_leading(s1, t, cols)) == 1, (t, cols, s1[t]["indexes"], *context)
    for fk in SEED_FKS:
        [got] = fks_on(s1, fk.table, fk.columns)
        assert (got["referred_table"], got["referred_columns"], got["on_delete"]) == \
            (fk.ref_table, list(fk.ref_columns), fk.on_delete)


# --------------------------------------------------------------------------- seed fixes by hand

# ways a seed foreign key / plain index can already be there before up
HAND_FK_MODES = ("skip", "fk_conventional", "fk_other", "fk_other_with_index", "index_other_only",
                 "index_conventional_only")
HAND_INDEX_MODES = ("skip", "conventional", "other", "other_wider")


class ByHand:
    """Statements a person runs on `db` by hand, logged in order; `other(kind)` makes up a name
    that is not fixgen's (manual_<kind>_<n>)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.log: list[str] = []
        self._n = 0

    def other(self, kind: str) -> str:
        self._n += 1
        return f"manual_{kind}_{self._n}"

    def do(self, *statements: str) -> None:
        for sql in statements:
            self.db.execute(sql)
            self.log.append(sql)

    def rename(self, renames: Sequence[tuple[str, str, str]]) -> set[tuple[str, str]]:
        """Rename these columns by hand; return their (table, new name)."""
        for t, old, new in renames:
            self.do(f"ALTER TABLE {t} RENAME COLUMN {old} TO {new}")
        return {(t, new) for t, _, new in renames}


def fk_by_hand(fk: FK, mode: str, other: Callable[[str], str]) -> list[str]:
    """The statements a person types to apply seed foreign key `fk` in `mode` (one of
    HAND_FK_MODES); `other(kind)` makes up a name that is not fixgen's."""
    cols = ", ".join(fk.columns)
    add_fk = (f"ALTER TABLE {fk.table} ADD CONSTRAINT {{}} FOREIGN KEY ({cols}) REFERENCES "
              f"{fk.ref_table} ({', '.join(fk.ref_columns)}) ON DELETE {fk.on_delete}")
    if mode == "fk_conventional":
        return [add_fk.format(fk.conventional_name)]
    if mode == "fk_other":
        return [add_fk.format(other("fk"))]
    if mode == "fk_other_with_index":
        return [f"CREATE INDEX {other('idx')} ON {fk.table} ({cols})", add_fk.format(other("fk"))]
    if mode == "index_other_only":
        return [f"CREATE INDEX {other('idx')} ON {fk.table} ({cols})"]
    if mode == "index_conventional_only":
        return [f"CREATE INDEX {ix_name(fk.table, fk.columns)} ON {fk.table} ({cols})"]
    return []


def index_by_hand(table: str, cols: tuple[str, ...], now: list[str], mode: str, other: Callable[[str], str]) -> list[str]:
    """The statements a person types to apply seed index (table, cols) in `mode` (one of
    HAND_INDEX_MODES), on the columns as they are named `now`."""
    if mode == "conventional" and now != list(cols):
        # an index named for the column's new name, on the old column (see
        # test_preapplied_conventional_object_on_column_still_to_rename): made under another name here
        mode = "other"
    if mode == "conventional":
        return [f"CREATE INDEX {ix_name(table, cols)} ON {table} ({', '.join(now)})"]
    if mode == "other":
        return [f"CREATE INDEX {other('idx')} ON {table} ({', '.join(now)})"]
    if mode == "other_wider":
        return [f"CREATE INDEX {other('idx')} ON {table} ({', '.join(now)}, id)"]
    return []


# --------------------------------------------------------------------------- online-mode fixtures

# posts.slug holds a duplicate ('one', so a unique build over it fails half-way); posts.user_id
# has neither an index nor a foreign key
POSTS = [
    "CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL)",
    "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER, slug VARCHAR(100) NOT NULL)",
    "INSERT INTO users (id, email) VALUES (1, 'a@example.com'), (2, 'b@example.com')",
    "INSERT INTO posts (id, user_id, slug) VALUES (1, 1, 'one'), (2, 2, 'two'), (3, 1, 'one')",
]
UNIQUE_SLUG = {"kind": "missing_index", "table": "posts", "columns": ["slug"], "unique": True}
POSTS_FK = {"kind": "missing_foreign_key", "table": "posts", "columns": ["user_id"], "references": "users.id"}


@contextmanager
def lock_held(db: Database, sql: str) -> Iterator[None]:
    """Another session runs `sql` in a transaction it keeps open (with the locks it took) until the block ends."""
    engine = sa.create_engine(db.url)
    try:
        with engine.connect() as holder:
            holder.execute(sa.text(sql))
            try:
                yield
            finally:
                holder.rollback()
    finally:
        engine.dispose()


@contextmanager
def older_transaction(db: Database, seconds: float, table: str = "users") -> Iterator[None]:
    """PostgreSQL: another session inside a transaction that read `table` and goes on for `seconds`.

    Its ACCESS SHARE lock conflicts with no write, but a concurrent index build must wait for it
    to end (as for every transaction older than the build)."""
    started = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        engine = sa.create_engine(db.url)
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(f"SELECT count(*) FROM {table}"))
                started.set()
                conn.execute(sa.text("SELECT pg_sleep(:s)"), {"s": seconds})
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
        yield
    finally:
        thread.join(60)
    if errors:
        raise errors[0]


def pg_index(db: Database, name: str) -> tuple[bool, bool] | None:
    """PostgreSQL: (valid, unique) of the index of that name, or None."""
    rows = db.query("SELECT i.indisvalid, i.indisunique FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                    "WHERE c.relname = :n", {"n": name})
    return (rows[0][0], rows[0][1]) if rows else None
