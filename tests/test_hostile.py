"""Hostile text must never become code: payload classes x doors x targets, executed.

Every payload below is written to break out of some context fixgen writes into (a SQL line
comment, a PHP `//` comment, a Python docstring, a string literal, a dollar-quoted block,
a psql meta-command) and, if it ever did, to leave a mark: drop the table `victim`, or
create the file named by $FIXGEN_CANARY (psql `\\!`, PHP `touch`, Python `os.system`).

* Text doors (issue id/message/source, a string default, the spec's file name) must be
  accepted: the generated files are linted (php -l, py_compile), run up, up again and
  down on real PostgreSQL, MariaDB and SQLite through psql/mariadb/sqlite3, real Laravel
  and real Alembic; afterwards no canary exists, `victim` still holds its row, the fix was
  made and undone, and a string default reads back exactly.
* Identifier doors (table, column, index and key names, references) take what
  fixgen.identifiers accepts: hostile names are refused with exit 2 and a line naming the
  character; the odd-but-accepted names are executed like the text doors.
* Option doors (--name, --rev-id, --down-revision, --timestamp) refuse every payload.
"""

from __future__ import annotations

import json
import py_compile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.alembic import Project
from support.dbs import Database
from support.laravel import php_lint, run_laravel
from support.roundtrip import TS, cli, unique_number

from fixgen.identifiers import identifier_problem

PHP_MARK = "touch(getenv('FIXGEN_CANARY'));"
PY_MARK = "__import__('os').system('touch \"$FIXGEN_CANARY\"')"
SQL_MARK = "DROP TABLE victim;"
PSQL_MARK = '\\! touch "$FIXGEN_CANARY"'

PAYLOADS: dict[str, str] = {
    "newline": f"a\n{SQL_MARK}\n{PSQL_MARK}\n{PHP_MARK}\n{PY_MARK}\n-- ",
    "cr": f"a\r{SQL_MARK}\r{PY_MARK}\r",
    "crlf": f"a\r\n{SQL_MARK}\r\n",
    "comment-close": f"a */ {SQL_MARK} /* b",
    "php-close": f"a ?><?php {PHP_MARK} ?> b",
    "php-close-line": f"a ?><?php {PHP_MARK} //",
    "php-open": f"<?php {PHP_MARK} ?>",
    "triple-double-quote": f'a"""; {PY_MARK}; """b',
    "triple-single-quote": f"a'''; {PY_MARK}; '''b",
    "single-quote": f"a'); {SQL_MARK} -- ",
    "double-quote": f'a"); {SQL_MARK} -- ',
    "backtick": f"a`; {SQL_MARK} -- ",
    "backslash": f"a\\'); {SQL_MARK} -- \\",
    "trailing-backslash": "a\\",
    "semicolon": f"a; {SQL_MARK}",
    "nul": f"a\x00\n{SQL_MARK}",
    "unicode-separators": f"a\u2028{SQL_MARK}\u2029{PY_MARK}\x85c\x0bd\x0ce",
    "long": "é" * 40 + "x" * 30,
    "psql-meta": PSQL_MARK,
    "dollar-quote": f"$fixgen$; {SQL_MARK} $fixgen$",
    "php-interpolation": "${touch(getenv('FIXGEN_CANARY'))}{$x}",
    "python-format": "{__import__('os').system('touch $FIXGEN_CANARY')}%s%(x)s",
    "mysql-executable-comment": f"/*! {SQL_MARK} */",
    "terminal-escape": "\x1b[31mred\x1b[0m",
}
# characters a spec default may not hold (fixgen.spec: control characters other than \t and \n)
DEFAULT_OK = {k: v for k, v in PAYLOADS.items() if not any(ord(c) < 32 and c not in "\t\n" for c in v)}
# what a file name can hold at all
FILE_NAME_OK = {k: v for k, v in PAYLOADS.items() if "/" not in v and "\x00" not in v}

TARGETS = ["sql", "sql-plain", "laravel", "alembic"]


# --------------------------------------------------------------------------- the stage


@pytest.fixture
def canary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "canary"
    monkeypatch.setenv("FIXGEN_CANARY", str(path))
    yield path


def setup_schema(db: Database) -> None:
    db.execute([
        "CREATE TABLE users (id INTEGER PRIMARY KEY)",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER)",
        "CREATE TABLE victim (id INTEGER PRIMARY KEY)",
        "INSERT INTO users (id) VALUES (1)",
        "INSERT INTO posts (id, user_id) VALUES (1, 1)",
        "INSERT INTO victim (id) VALUES (42)",
    ])


def assert_unharmed(db: Database, canary: Path, where: str) -> None:
    assert not canary.exists(), f"{where}: injected code ran (the canary file exists)"
    assert "victim" in db.table_names(), f"{where}: injected SQL ran (table victim is gone)"
    assert db.query("SELECT id FROM victim") == [(42,)], where


def spec_file(directory: Path, issues: list[dict[str, Any]], file_name: str = "spec.json") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / file_name
    path.write_text(json.dumps({"version": 1, "name": "hostile", "issues": issues}), encoding="utf-8")
    return path


def emit(spec: Path, target: str, dialect: str, out: Path) -> list[Path]:
    """fixgen emit for one target; the new files, each checked by its language's own parser."""
    args = ["emit", str(spec), "--timestamp", TS, "--out", str(out)]
    if target.startswith("sql"):
        args += ["--target", "sql", "--dialect", dialect]
        if target == "sql-plain":
            args.append("--no-online")
    else:
        args += ["--target", target]
    run = cli(*args)
    assert run.code == 0, f"{args}: exit {run.code}\n{run.output}\n{run.exception!r}"
    files = sorted(out.iterdir())
    for f in files:
        if f.suffix == ".php":
            php_lint(f)
        elif f.suffix == ".py":
            py_compile.compile(str(f), cfile=str(out.parent / f"{f.name}.pyc"), doraise=True)
    return files


class Runner:
    """up and down of one emitted migration, through the target's own tool."""

    def __init__(self, db: Database, target: str, files: list[Path], tmp: Path) -> None:
        self.db, self.target, self.files = db, target, files
        if target == "alembic":
            self.project = Project(tmp / f"alembic_{unique_number()}", db.url)
            for f in files:
                (self.project.versions / f.name).write_bytes(f.read_bytes())

    def up(self) -> None:
        if self.target.startswith("sql"):
            self.db.run_sql_file(next(f for f in self.files if f.name.endswith(".up.sql")))
        elif self.target == "laravel":
            run_laravel(self.db, self.files[0], "up")
        else:
            self.db.dispose()
            self.project.upgrade()

    def down(self) -> None:
        if self.target.startswith("sql"):
            self.db.run_sql_file(next(f for f in self.files if f.name.endswith(".down.sql")))
        elif self.target == "laravel":
            run_laravel(self.db, self.files[0], "down")
        else:
            self.db.dispose()
            self.project.downgrade("base")


def bookkeeping_aside(snapshot: dict[str, Any]) -> dict[str, Any]:
    """Plain SQLite SQL keeps an empty ledger after down (documented); Alembic keeps its version table."""
    return {k: v for k, v in snapshot.items() if k not in ("fixgen_ledger", "alembic_version")}


def round_trip(db: Database, target: str, files: list[Path], tmp: Path, canary: Path,
               after_up: Any = None) -> None:
    """up, up again, down; unharmed after each; `after_up(db)` checks the fix was made."""
    before = bookkeeping_aside(db.schema_snapshot())
    runner = Runner(db, target, files, tmp)
    runner.up()
    assert_unharmed(db, canary, f"{target} up")
    if after_up is not None:
        after_up(db)
    made = db.schema_snapshot()
    assert made != before, f"{target}: up changed nothing"
    runner.up()
    assert_unharmed(db, canary, f"{target} up again")
    runner.down()
    assert_unharmed(db, canary, f"{target} down")
    after = bookkeeping_aside(db.schema_snapshot())
    assert after == before, f"{target}: down did not restore the schema"


def targets_for(dialect: str) -> list[str]:
    """sqlite has no online mode: plain sql once."""
    return ["sql", "laravel", "alembic"] if dialect == "sqlite" else TARGETS


def index_on_posts(db: Database) -> None:
    idx = [i for i in db.schema_snapshot()["posts"]["indexes"] if i["columns"] == ["user_id"]]
    assert idx, "up did not index posts.user_id"


# --------------------------------------------------------------------------- text doors


def metadata_issues(kind_fields: dict[str, Any]) -> list[dict[str, Any]]:
    """One issue per payload, all asking for the same fix (merged into one step whose comments name them all)."""
    return [{**kind_fields, "id": p, "message": p, "source": p} for p in PAYLOADS.values()]


def test_issue_metadata_payloads_execute_harmlessly(db: Database, tmp_path: Path, canary: Path) -> None:
    setup_schema(db)
    issues = metadata_issues({"kind": "missing_index", "table": "posts", "columns": ["user_id"]})
    if db.dialect != "sqlite":  # plain SQLite SQL can guard indexes only
        issues += metadata_issues({"kind": "missing_foreign_key", "table": "posts", "column": "user_id",
                                   "references": "users.id"})
    spec = spec_file(tmp_path / "spec", issues)
    for target in targets_for(db.dialect):
        files = emit(spec, target, db.dialect, tmp_path / f"out_{target}")
        text = "".join(f.read_text(encoding="utf-8") for f in files)
        assert "\x00" not in text and "\u2028" not in text and "\r" not in text, target
        round_trip(db, target, files, tmp_path, canary, after_up=index_on_posts)


def test_string_default_payloads_read_back_exactly(db: Database, tmp_path: Path, canary: Path) -> None:
    """A default lands in SQL, PHP and Python literals and in comments: every one must mean the text itself."""
    # plain SQLite SQL cannot add a column behind a guard
    targets = ["laravel", "alembic"] if db.dialect == "sqlite" else TARGETS
    setup_schema(db)
    columns = {f"d{i}": text for i, text in enumerate(DEFAULT_OK.values())}
    issues = [{"kind": "missing_column", "table": "posts", "column": c, "type": "string(255)", "default": text,
               "message": text} for c, text in columns.items()]
    spec = spec_file(tmp_path / "spec", issues)

    def defaults_read_back(db: Database) -> None:
        db.execute("INSERT INTO posts (id) VALUES (100)")
        got = db.query(f"SELECT {', '.join(columns)} FROM posts WHERE id = 100")[0]
        db.execute("DELETE FROM posts WHERE id = 100")
        for (c, want), value in zip(columns.items(), got, strict=True):
            assert value == want, f"default of {c}: wrote {want!r}, the database has {value!r}"

    for target in targets:
        files = emit(spec, target, db.dialect, tmp_path / f"out_{target}")
        round_trip(db, target, files, tmp_path, canary, after_up=defaults_read_back)


@pytest.mark.parametrize("payload", list(FILE_NAME_OK), ids=list(FILE_NAME_OK))
def test_spec_file_name_payloads(payload: str, sqlite_db: Database, pg_db: Database, mysql_db: Database,
                                 tmp_path: Path, canary: Path) -> None:
    """The spec's file name goes into every file's header: SQL of each dialect, PHP, Python."""
    issue = {"kind": "missing_index", "table": "posts", "columns": ["user_id"]}
    spec = spec_file(tmp_path / "spec", [issue], file_name=FILE_NAME_OK[payload] + ".json")
    for db in (sqlite_db, pg_db, mysql_db):
        setup_schema(db)
        for target in (["sql", "sql-plain"] if db.dialect != "sqlite" else ["sql"]):
            files = emit(spec, target, db.dialect, tmp_path / f"out_{db.dialect}_{target}")
            round_trip(db, target, files, tmp_path, canary, after_up=index_on_posts)
    for target in ("laravel", "alembic"):  # the header does not depend on the database: one is enough
        files = emit(spec, target, "sqlite", tmp_path / f"out_{target}")
        round_trip(sqlite_db, target, files, tmp_path, canary, after_up=index_on_posts)


# --------------------------------------------------------------------------- identifier doors

IDENTIFIER_FIELDS: list[tuple[str, Any]] = [
    ("table", lambda p: {"kind": "missing_index", "table": p, "columns": ["x"]}),
    ("column", lambda p: {"kind": "missing_index", "table": "t", "columns": [p]}),
    ("index-name", lambda p: {"kind": "missing_index", "table": "t", "columns": ["x"], "name": p}),
    ("references", lambda p: {"kind": "missing_foreign_key", "table": "t", "column": "x", "references": f"{p}.id"}),
    ("references-columns", lambda p: {"kind": "missing_foreign_key", "table": "t", "column": "x",
                                      "references": {"table": "r", "columns": [p]}}),
    ("key-name", lambda p: {"kind": "missing_foreign_key", "table": "t", "column": "x", "references": "r.id",
                            "name": p}),
    ("rename-to", lambda p: {"kind": "rename_column", "table": "t", "from": "x", "to": p}),
    ("new-column", lambda p: {"kind": "missing_column", "table": "t", "column": p, "type": "integer"}),
    ("redundant-index", lambda p: {"kind": "redundant_index", "table": "t", "name": p, "columns": ["x"]}),
]
REFUSED = {k: v for k, v in PAYLOADS.items() if identifier_problem(v) is not None}


def test_every_hostile_payload_is_refused_as_a_name() -> None:
    """The identifier policy itself: only 'long' (letters) is a name; every breaker is refused."""
    assert set(PAYLOADS) - set(REFUSED) == {"long"}


@pytest.mark.parametrize("field", [f for f, _ in IDENTIFIER_FIELDS], ids=[f for f, _ in IDENTIFIER_FIELDS])
@pytest.mark.parametrize("target", ["sql-postgresql", "sql-mysql", "sql-sqlite", "laravel", "alembic"])
def test_hostile_identifiers_are_refused(field: str, target: str, tmp_path: Path) -> None:
    make = dict(IDENTIFIER_FIELDS)[field]
    for name, payload in REFUSED.items():
        spec = spec_file(tmp_path / name, [make(payload)])
        tgt, _, dialect = target.partition("-")
        args = ["emit", str(spec), "--target", tgt, "--timestamp", TS, "--out", str(tmp_path / name / "out")]
        if dialect:
            args += ["--dialect", dialect]
        run = cli(*args)
        assert run.code == 2, f"{name} as {field}: exit {run.code}\n{run.output}\n{run.exception!r}"
        assert "Traceback" not in run.output
        errors = run.stderr.splitlines()
        assert errors and all(line.startswith("error: ") for line in errors), run.stderr
        assert any("forbidden character" in line for line in errors), run.stderr
        assert not (tmp_path / name / "out").exists(), "a refused spec wrote files"
        for line in errors:  # the name is shown escaped: no raw control or separator character reaches the console
            assert line.isprintable(), repr(line)


# names the policy accepts, each a character class of its own, plus the longest each database takes
ODD_NAMES = {
    "table": "we$ird-t#b@le 表 100%",
    "ref_table": "Ünïcode users",
    "column": "größe-id$",
    "index": "ix #1 @posts",
    "fk": "fk-größe",
}


def long_name(dialect: str) -> str:
    """The longest name the database takes: 63 bytes (PostgreSQL), 64 characters (MariaDB)."""
    if dialect == "postgresql":
        return "é" * 31 + "x"  # 63 bytes
    return "l" * 64


def test_odd_but_accepted_names_round_trip(db: Database, tmp_path: Path, canary: Path) -> None:
    for n in (*ODD_NAMES.values(), long_name(db.dialect)):
        assert identifier_problem(n) is None, n
    q = db.quote
    t, r, c, ix, fk = (ODD_NAMES[k] for k in ("table", "ref_table", "column", "index", "fk"))
    lt = long_name(db.dialect)
    db.execute([
        f"CREATE TABLE {q(r)} (id INTEGER PRIMARY KEY)",
        f"CREATE TABLE {q(t)} (id INTEGER PRIMARY KEY, {q(c)} INTEGER)",
        f"CREATE TABLE {q(lt)} (id INTEGER PRIMARY KEY, {q(lt)} INTEGER)",
        "CREATE TABLE victim (id INTEGER PRIMARY KEY)",
        "INSERT INTO victim (id) VALUES (42)",
    ])
    issues: list[dict[str, Any]] = [
        {"kind": "missing_index", "table": t, "columns": [c], "name": ix},
        {"kind": "missing_index", "table": lt, "columns": [lt]},
    ]
    if db.dialect != "sqlite":
        issues += [
            {"kind": "missing_foreign_key", "table": t, "column": c, "references": {"table": r, "columns": ["id"]},
             "name": fk},
            {"kind": "rename_column", "table": t, "from": "id", "to": "größe id@2"},
        ]
    spec = spec_file(tmp_path / "spec", issues)

    def indexed(db: Database) -> None:
        snap = db.schema_snapshot()
        assert any(i["name"] == ix for i in snap[t]["indexes"]), snap[t]["indexes"]
        assert any(i["columns"] == [lt] for i in snap[lt]["indexes"]), snap[lt]["indexes"]

    for target in targets_for(db.dialect):
        files = emit(spec, target, db.dialect, tmp_path / f"out_{target}")
        round_trip(db, target, files, tmp_path, canary, after_up=indexed)


def test_names_over_the_dialect_limit_are_refused_for_sql(tmp_path: Path) -> None:
    """PostgreSQL would silently cut a 64-byte name to 63 and act on another object."""
    spec = spec_file(tmp_path, [{"kind": "missing_index", "table": "é" * 32, "columns": ["x"]}])
    run = cli("emit", str(spec), "--target", "sql", "--dialect", "postgresql", "--timestamp", TS)
    assert run.code == 2, run.output
    assert "64 bytes" in run.stderr and "63" in run.stderr, run.stderr
    run = cli("emit", str(spec), "--target", "sql", "--dialect", "mysql", "--timestamp", TS)
    assert run.code == 0, run.output  # 32 characters: fine for MySQL's 64-character limit


# --------------------------------------------------------------------------- option doors

OPTION_DOORS = ["--name", "--rev-id", "--down-revision", "--timestamp"]


@pytest.mark.parametrize("option", OPTION_DOORS)
def test_option_payloads_are_refused(option: str, tmp_path: Path) -> None:
    spec = spec_file(tmp_path, [{"kind": "missing_index", "table": "t", "columns": ["x"]}])
    target = ["--target", "alembic"] if option in ("--rev-id", "--down-revision") else ["--target", "laravel"]
    for name, payload in PAYLOADS.items():
        out = tmp_path / f"out_{unique_number()}"
        run = cli("emit", str(spec), *target, "--out", str(out), *(["--timestamp", TS] if option != "--timestamp" else []),
                  option, payload)
        assert run.code == 2, f"{option} {name}: exit {run.code}\n{run.output}\n{run.exception!r}"
        assert run.stderr.startswith(f"error: {option}"), run.stderr
        assert not out.exists(), f"{option} {name}: files were written"


def test_down_revision_must_exist_in_out(tmp_path: Path) -> None:
    spec = spec_file(tmp_path, [{"kind": "missing_index", "table": "t", "columns": ["x"]}])
    versions = tmp_path / "versions"
    run = cli("emit", str(spec), "--target", "alembic", "--timestamp", TS, "--out", str(versions),
              "--down-revision", "abc123")
    assert run.code == 2 and "no revision file" in run.stderr, run.output
    # without --out the revision goes to stdout and may follow any id
    run = cli("emit", str(spec), "--target", "alembic", "--timestamp", TS, "--down-revision", "abc123")
    assert run.code == 0, run.output
    assert 'down_revision: Union[str, Sequence[str], None] = "abc123"' in run.stdout
    # a revision that is there is fine
    first = cli("emit", str(spec), "--target", "alembic", "--timestamp", TS, "--out", str(versions), "--rev-id", "base1")
    assert first.code == 0, first.output
    again = cli("emit", str(spec), "--target", "alembic", "--timestamp", "20251119120001", "--out", str(versions),
                "--down-revision", "base1", "--name", "second")
    assert again.code == 0, again.output


def test_stdout_output_is_escaped_too(tmp_path: Path) -> None:
    """Without --out, the files go to stdout: the same text, so the same escaping."""
    spec = spec_file(tmp_path, metadata_issues({"kind": "missing_index", "table": "posts", "columns": ["user_id"]}))
    for args in (["--target", "laravel"], ["--target", "alembic"], ["--target", "sql", "--dialect", "postgresql"]):
        run = cli("emit", str(spec), *args, "--timestamp", TS)
        assert run.code == 0, run.output
        assert "\x00" not in run.stdout and "\u2028" not in run.stdout, args
        if args[1] == "laravel":
            assert "?>" not in run.stdout, "?> ends PHP code even inside a // comment"


@pytest.mark.parametrize("target", ["sql", "sql-plain"])
def test_backslash_defaults_under_legacy_string_modes(target: str, pg_db: Database, mysql_db: Database,
                                                      tmp_path: Path, canary: Path) -> None:
    """A session may read '\\' as an escape (PostgreSQL standard_conforming_strings = off) or not at all
    (MySQL NO_BACKSLASH_ESCAPES): a backslash in a default must still read back as itself."""
    legacy = {"postgresql": "SET standard_conforming_strings = off;\n",
              "mysql": "SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',NO_BACKSLASH_ESCAPES');\n"}
    texts = [PAYLOADS["backslash"], PAYLOADS["trailing-backslash"], "C:\\new\\table", "\\\\'\\"]
    columns = {f"d{i}": t for i, t in enumerate(texts)}
    spec = spec_file(tmp_path / "spec", [{"kind": "missing_column", "table": "posts", "column": c,
                                          "type": "string(100)", "default": t} for c, t in columns.items()])
    for db in (pg_db, mysql_db):
        setup_schema(db)
        files = emit(spec, target, db.dialect, tmp_path / f"out_{db.dialect}")
        for f in files:  # the session starts in the legacy mode
            f.write_text(legacy[db.dialect] + f.read_text(encoding="utf-8"), encoding="utf-8")

        def read_back(db: Database) -> None:
            db.execute("INSERT INTO posts (id) VALUES (100)")
            got = db.query(f"SELECT {', '.join(columns)} FROM posts WHERE id = 100")[0]
            db.execute("DELETE FROM posts WHERE id = 100")
            assert list(got) == texts, f"{db.dialect}: {got!r}"

        round_trip(db, target, files, tmp_path, canary, after_up=read_back)
