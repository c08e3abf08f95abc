"""`fixgen import alembic --metadata MODULE:ATTR --db URL` against real databases (no mocks).

A SQLAlchemy metadata module is written into tmp_path (the current directory, as a user runs
it next to their models); the database lacks some of its indexes, foreign keys and columns.
The import must produce exactly the spec for those, and the migration emitted from it, applied
for real, must leave Alembic's compare_metadata with none of the imported diffs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from detect.migrate import Fix, snapshot
from support.dbs import Database
from support.roundtrip import assert_schema, cli, unique_number

from fixgen.importers.alembic_diff import load_metadata

MODELS = '''
import sqlalchemy as sa

metadata = sa.MetaData()
users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("email", sa.String(120), nullable=False),
    sa.Column("nickname", sa.String(40)),
    sa.Column("score", sa.Integer, nullable=False, server_default="0"),
    sa.Column("status", sa.String(20), nullable=False, server_default=sa.text("'active'")),
    sa.Column("seen_at", sa.DateTime(timezone=True)),
)
posts = sa.Table(
    "posts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE", name="fk_posts_author")),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Index("ix_posts_user_id_title", "user_id", "title"),
    sa.Index("uq_posts_title", "title", unique=True),
)
'''
# the database as it is: every table, none of the columns, indexes and keys the import must find
# (NOT NULL spelled out: SQLite reports an INTEGER PRIMARY KEY without it as nullable)
BEFORE = ["CREATE TABLE users (id integer NOT NULL PRIMARY KEY, email varchar(120) NOT NULL)",
          "CREATE TABLE posts (id integer NOT NULL PRIMARY KEY, user_id integer, title varchar(200) NOT NULL)",
          "INSERT INTO users (id, email) VALUES (1, 'a@example.org')",
          "INSERT INTO posts (id, user_id, title) VALUES (1, 1, 'hello')"]

SOURCE = "alembic autogenerate"
EXPECTED = [
    {"kind": "missing_index", "message": "index ix_posts_user_id_title on posts (user_id, title) is in the metadata, "
     "not in the database", "source": SOURCE, "table": "posts", "name": "ix_posts_user_id_title",
     "columns": ["user_id", "title"], "unique": False},
    {"kind": "missing_index", "message": "unique index uq_posts_title on posts (title) is in the metadata, not in the "
     "database", "source": SOURCE, "table": "posts", "name": "uq_posts_title", "columns": ["title"], "unique": True},
    {"kind": "missing_foreign_key", "message": "foreign key posts(user_id) -> users(id) is in the metadata, not in the "
     "database", "source": SOURCE, "table": "posts", "name": "fk_posts_author", "columns": ["user_id"],
     "references": {"table": "users", "columns": ["id"]}, "on_delete": "cascade"},
    {"kind": "missing_column", "message": "column users.nickname (string(40)) is in the metadata, not in the database",
     "source": SOURCE, "table": "users", "column": "nickname", "type": "string(40)", "nullable": True},
    {"kind": "missing_column", "message": "column users.score (integer) is in the metadata, not in the database",
     "source": SOURCE, "table": "users", "column": "score", "type": "integer", "nullable": False, "default": 0},
    {"kind": "missing_column", "message": "column users.status (string(20)) is in the metadata, not in the database",
     "source": SOURCE, "table": "users", "column": "status", "type": "string(20)", "nullable": False,
     "default": "active"},
    {"kind": "missing_column", "message": "column users.seen_at (timestamptz) is in the metadata, not in the database",
     "source": SOURCE, "table": "users", "column": "seen_at", "type": "timestamptz", "nullable": True},
]
FIXABLE = ("add_index", "add_fk", "add_column")


def write_models(directory: Path, text: str) -> str:
    """The module in `directory` under a name no other test uses (imported modules are cached)."""
    name = f"models_{unique_number()}"
    (directory / f"{name}.py").write_text(text, encoding="utf-8")
    return name


def fixable_diffs(db: Database, module: str) -> list[str]:
    """What Alembic itself still reports as missing (index, foreign key, column), as text."""
    metadata = load_metadata(f"{module}:metadata")
    with db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    return [f"{d[0]} {d[1].name if d[0] != 'add_column' else d[2] + '.' + d[3].name}"
            for d in diffs if not isinstance(d, list) and d[0] in FIXABLE]


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


@pytest.mark.filterwarnings(r"ignore:Could not instantiate type")
def test_import_emit_apply_leaves_no_imported_diff(db: Database, in_tmp: Path) -> None:
    db.execute(BEFORE)
    module = write_models(in_tmp, MODELS)
    assert fixable_diffs(db, module) == [
        "add_index ix_posts_user_id_title", "add_index uq_posts_title", "add_fk fk_posts_author",
        "add_column users.nickname", "add_column users.score", "add_column users.status", "add_column users.seen_at"]
    before = snapshot(db)

    run = cli("import", "alembic", "--metadata", f"{module}:metadata", "--db", db.url, "--format", "json")
    assert run.code == 1, run.output
    assert json.loads(run.stdout) == {"version": 1, "issues": EXPECTED}
    assert run.stderr == "7 issue(s) found\n"

    spec = in_tmp / "spec.json"
    spec.write_text(run.stdout, encoding="utf-8")
    fix = Fix(db, spec, in_tmp / "work")
    fix.up()
    assert fixable_diffs(db, module) == []
    assert db.query("SELECT id, score, status FROM users") == [(1, 0, "active")]
    # MySQL has no timestamptz: its TIMESTAMP column is a modify_type diff now, which is unsupported
    again = cli("import", "alembic", "--metadata", f"{module}:metadata", "--db", db.url, "--format", "json",
                "--skip-unsupported")
    assert (again.code, json.loads(again.stdout)) == (0, {"version": 1, "issues": []}), again.output
    fix.down()
    assert_schema(snapshot(db), before, "down after up")


UNSUPPORTED_MODELS = MODELS + '''
users.append_column(sa.Column("legacy_code", sa.String(10), nullable=False))
users.append_column(sa.Column("made_at", sa.DateTime, server_default=sa.func.now()))
sa.Index("ix_users_lower_email", sa.func.lower(users.c.email))
tags = sa.Table("tags", metadata, sa.Column("id", sa.Integer, primary_key=True))
'''


def test_unsupported_diffs_are_refused_unless_skipped(pg_db: Database, in_tmp: Path) -> None:
    pg_db.execute([*BEFORE, "CREATE TABLE legacy (id integer PRIMARY KEY)",
                   "ALTER TABLE users ADD COLUMN old_col integer", "ALTER TABLE users ALTER COLUMN email TYPE varchar(100)"])
    module = write_models(in_tmp, UNSUPPORTED_MODELS)
    args = ("import", "alembic", "--metadata", f"{module}:metadata", "--db", pg_db.url, "--format", "json")
    unsupported = [
        "alembic: diff #1 add_table tags: creating tables is a job for the app's own migrations",
        "alembic: diff #2 remove_table legacy: fixgen never drops tables",
        "alembic: diff #10 add_column users.legacy_code: NOT NULL without a server_default: existing rows would need a value",
        "alembic: diff #11 add_column users.made_at: server default now() is an expression, not a literal",
        "alembic: diff #12 modify_type users.email: VARCHAR(length=100) -> String(length=120): fixgen fixes only "
        "missing indexes, keys and columns",
        "alembic: diff #13 add_index ix_users_lower_email on users (lower(users.email)): an expression index; spec v1 "
        "indexes plain columns only",
        "alembic: diff #14 remove_column users.old_col: fixgen never drops columns",
    ]
    run = cli(*args)
    assert (run.code, run.stdout) == (2, "")
    assert run.errors == [f"error: {u}" for u in unsupported] + [
        "error: nothing written: fixgen cannot express these as fixes (--skip-unsupported to leave them out)"]

    skipped = cli(*args, "--skip-unsupported")
    assert skipped.code == 1
    assert json.loads(skipped.stdout)["issues"] == EXPECTED
    assert skipped.errors == [f"warning: {u} (left out)" for u in unsupported] + ["7 issue(s) found"]


def test_expression_index_sqlite_cannot_compare_is_reported(sqlite_db: Database, in_tmp: Path) -> None:
    sqlite_db.execute(["CREATE TABLE users (id integer NOT NULL PRIMARY KEY, email varchar(120) NOT NULL)"])
    module = write_models(in_tmp, '''
import sqlalchemy as sa
metadata = sa.MetaData()
users = sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("email", sa.String(120), nullable=False))
sa.Index("ix_users_lower_email", sa.func.lower(users.c.email))
''')
    run = cli("import", "alembic", "--metadata", f"{module}:metadata", "--db", sqlite_db.url)
    assert run.code == 2
    assert run.errors[0].startswith("error: alembic: not compared: autogenerate skipping metadata-specified "
                                    "expression-based index 'ix_users_lower_email'; dialect 'sqlite'")


def test_declarative_base_is_accepted(sqlite_db: Database, in_tmp: Path) -> None:
    sqlite_db.execute("CREATE TABLE users (id integer NOT NULL PRIMARY KEY, email varchar(120) NOT NULL)")
    module = write_models(in_tmp, '''
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

class Base(DeclarativeBase):
    pass

class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(120), index=True)
''')
    run = cli("import", "alembic", "--metadata", f"{module}:Base", "--db", sqlite_db.url, "--format", "json")
    assert run.code == 1, run.output
    assert json.loads(run.stdout)["issues"] == [
        {"kind": "missing_index", "message": "index ix_users_email on users (email) is in the metadata, not in the "
         "database", "source": SOURCE, "table": "users", "name": "ix_users_email", "columns": ["email"], "unique": False}]


@pytest.mark.parametrize(("metadata", "module_text", "error"), [
    ("no_such_models_module:metadata", None, "error: --metadata 'no_such_models_module:metadata': no module named "
     "'no_such_models_module' (run fixgen from the directory that holds it, or set PYTHONPATH)"),
    ("{m}:nothing", "import sqlalchemy as sa\nmetadata = sa.MetaData()\n",
     "error: --metadata '{m}:nothing': {m} has no attribute 'nothing'"),
    ("{m}:metadata", "metadata = dict()\n", "error: --metadata '{m}:metadata': metadata is a dict, not a SQLAlchemy MetaData"),
    ("{m}:metadata", "raise RuntimeError('settings missing')\n",
     "error: --metadata '{m}:metadata': importing {m} failed: RuntimeError: settings missing"),
    ("{m}", "", "error: --metadata '{m}': expected MODULE:ATTRIBUTE, e.g. myapp.models:Base.metadata"),
])
def test_metadata_errors(metadata: str, module_text: str | None, error: str, sqlite_db: Database, in_tmp: Path) -> None:
    m = write_models(in_tmp, module_text) if module_text is not None else "unused"
    run = cli("import", "alembic", "--metadata", metadata.format(m=m), "--db", sqlite_db.url)
    assert (run.code, run.stdout, run.errors) == (2, "", [error.format(m=m)])
    assert "Traceback" not in run.output


@pytest.mark.parametrize(("args", "error"), [
    ((), "error: import alembic needs --metadata MODULE:ATTRIBUTE (a SQLAlchemy MetaData)"),
    (("--metadata", "m:metadata"), "error: import alembic needs --db URL: the database to compare the metadata with"),
    (("--metadata", "m:metadata", "--db", "postgresql://postgres:s3cret@127.0.0.1:1/x"),
     'error: cannot read postgresql://postgres:***@127.0.0.1:1/x: connection failed: connection to server at '
     '"127.0.0.1", port 1 failed: Connection refused'),
])
def test_missing_options_and_unreachable_database(args: tuple[str, ...], error: str, in_tmp: Path) -> None:
    (in_tmp / "m.py").write_text("import sqlalchemy as sa\nmetadata = sa.MetaData()\n", encoding="utf-8")
    run = cli("import", "alembic", *args)
    assert (run.code, run.errors) == (2, [error]), run.output
    assert "s3cret" not in run.output


