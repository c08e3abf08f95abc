"""Hostile names in a live schema and in importer input: `detect` and `import` survive them and apply
fixgen's identifier policy (fixgen/identifiers.py), on real PostgreSQL, MariaDB and SQLite (no mocks).

The schema mixes ordinary tables that need fixes with tables, columns, indexes and foreign keys named
with line breaks, comment and PHP delimiters, quotes of every kind, backslashes, semicolons and U+2028,
next to names fixgen accepts (Unicode, spaces, the longest each database allows). Detect must exit like
a linter, never with a traceback; report the ordinary tables' findings exactly (a hostile key or index
still covers its columns: nothing is proposed twice); never name a hostile identifier; warn about each
hostile object with its name escaped; and its spec must load and emit. Each importer given a hostile
name reports it as a problem (exit 2, or a warning with --skip-unsupported).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.dbs import Database
from support.laravel import php_lint, run_laravel
from support.roundtrip import Run, cli, unique_number

from fixgen.dbschema import load_schema
from fixgen.identifiers import identifier_problem, shown
from fixgen.spec import load_spec

TS = "20261201120000"

# names every dialect stores, quoted, as given; none of them fixgen accepts
HOSTILE = [
    "nl\nname",
    "cr\rname",
    "end*/name",
    "?><?php touch('x') ?>",
    '"""',
    "'",
    '"',
    "it's",
    'say"hi',
    "tick`tock",
    "back\\slash",
    "semi;colon",
    "ls\u2028name",
]
PHP_TABLE = "x?><?php //"  # with a user_id column: it would be a missing_foreign_key if read
FK_LIKES = "fk_likes\n*/"  # a hostile foreign key name on ordinary columns


def accepted_names(dialect: str) -> list[str]:
    """Table names fixgen accepts, each with a user_id column pointing to users by its name."""
    longest = {"postgresql": ["l" * 63, "ä" * 31 + "x"],  # 63 bytes: PostgreSQL's limit
               "mysql": ["m" * 64, "ä" * 64],  # 64 characters: MySQL/MariaDB's limit
               "sqlite": ["s" * 64, "ä" * 64]}[dialect]
    return ["größe", "表格", "line item", "a$b#c@d-e", *longest]


def hostile_schema(db: Database) -> None:
    q = db.quote
    statements = [
        "CREATE TABLE users (id integer PRIMARY KEY)",
        "CREATE TABLE posts (id integer PRIMARY KEY, user_id integer)",  # missing_foreign_key
        "CREATE TABLE comments (id integer PRIMARY KEY, post_id integer, "
        "CONSTRAINT fk_comments_post FOREIGN KEY (post_id) REFERENCES posts (id))",  # missing_index (not on InnoDB)
        # a hostile key name on ordinary columns: the key is there (no missing_foreign_key); the index it
        # lacks is an ordinary fix (on InnoDB the index it got is named like it, and covers it)
        f"CREATE TABLE likes (id integer PRIMARY KEY, user_id integer, "
        f"CONSTRAINT {q(FK_LIKES)} FOREIGN KEY (user_id) REFERENCES users (id))",
        # its key is covered by an index with a hostile name: no missing_index
        "CREATE TABLE tags (id integer PRIMARY KEY, user_id integer, "
        "CONSTRAINT fk_tags_user FOREIGN KEY (user_id) REFERENCES users (id))",
        f"CREATE INDEX {q('ix_tags' + HOSTILE[0])} ON tags (user_id)",
        f"CREATE TABLE {q(PHP_TABLE)} (id integer PRIMARY KEY, user_id integer)",
        # hostile columns on an ordinary table that needs a fix of its own
        "CREATE TABLE gadgets (id integer PRIMARY KEY, user_id integer, "
        + ", ".join(f"{q(h)} integer" for h in HOSTILE) + ")",
    ]
    for i, h in enumerate(HOSTILE):
        statements += [
            f"CREATE TABLE {q(h)} (id integer PRIMARY KEY, user_id integer)",
            # an ordinary table whose key points to a hostile table (pg_get_constraintdef then defeats
            # SQLAlchemy's regex; on MariaDB a line break splits SHOW CREATE TABLE's line)
            f"CREATE TABLE ref_{i} (id integer PRIMARY KEY, user_id integer, "
            f"CONSTRAINT {q('fk' + h)} FOREIGN KEY (user_id) REFERENCES {q(h)} (id))",
            f"CREATE INDEX {q(f'ix_gadgets_{i}')} ON gadgets ({q(h)})",  # an ordinary name on a hostile column
            f"CREATE INDEX {q('ix' + h)} ON gadgets (user_id, {q(h)})",  # a hostile name on a hostile column
        ]
    # an ordinary key name pointing to a hostile table: the key's columns are still a fix's business
    statements.append(f"CREATE TABLE ref_ok (id integer PRIMARY KEY, user_id integer, "
                      f"CONSTRAINT fk_ref_ok FOREIGN KEY (user_id) REFERENCES {q(HOSTILE[0])} (id))")
    statements += [f"CREATE TABLE {q(n)} (id integer PRIMARY KEY, user_id integer)" for n in accepted_names(db.dialect)]
    db.execute(statements)


def expected_findings(db: Database) -> list[tuple[str, str, tuple[str, ...]]]:
    fks = [("missing_foreign_key", t, ("user_id",)) for t in ["posts", "gadgets", *accepted_names(db.dialect)]]
    indexes = [] if db.dialect == "mysql" else [("missing_index", "comments", ("post_id",)),
                                                ("missing_index", "likes", ("user_id",))]
    return sorted(fks + indexes)


def assert_no_traceback(run: Run) -> None:
    assert run.exception is None or isinstance(run.exception, SystemExit), repr(run.exception)
    assert "Traceback" not in run.output, run.output


def names_in(issue: dict[str, Any]) -> list[Any]:
    """Every name an issue holds, wherever the spec keeps it."""
    names = [issue[k] for k in ("table", "name", "column", "from", "to") if k in issue]
    names += issue.get("columns", [])
    ref = issue.get("references")
    if isinstance(ref, str):
        names += ref.split(".")
    elif isinstance(ref, dict):
        names += [ref["table"], *ref.get("columns", [])]
    return names


def detect(db: Database, *args: str) -> Run:
    run = cli("detect", db.url, *args)
    assert_no_traceback(run)
    return run


def warning_lines(run: Run) -> list[str]:
    return [line for line in run.errors if line.startswith("warning: ")]


# =========================================================================== detect


def test_detect_reports_ordinary_findings_and_no_hostile_name(db: Database, tmp_path: Path) -> None:
    hostile_schema(db)
    run = detect(db, "--format", "yaml")
    assert run.code == 1, run.output
    spec = load_spec(run.stdout, "<detect>")  # the spec fixgen emit reads
    issues = yaml.safe_load(run.stdout)["issues"]
    assert len(spec.issues) == len(issues)
    found = sorted((i["kind"], i["table"], tuple(i.get("columns", ()))) for i in issues)
    # exactly these: a hostile key or index still covers its columns, so nothing is proposed again
    assert found == expected_findings(db)
    for issue in issues:
        for name in names_in(issue):
            assert identifier_problem(name) is None, issue
        assert "?>" not in issue["message"] and "*/" not in issue["message"], issue
    for h in [*HOSTILE, PHP_TABLE, FK_LIKES]:
        if len(h) > 2:
            assert h not in run.stdout
    assert "\r" not in run.stdout and "\u2028" not in run.stdout
    assert run.errors[-1] == f"{len(issues)} issue(s) found"

    spec_file = tmp_path / f"hostile_{unique_number()}.yaml"
    spec_file.write_text(run.stdout, encoding="utf-8")
    emitted = cli("emit", spec_file, "--target", "laravel", "--timestamp", TS)
    assert_no_traceback(emitted)
    assert emitted.code == 0, emitted.output
    for h in HOSTILE:
        if len(h) > 2:
            assert h not in emitted.stdout

    # and the migration runs on the hostile database itself: it fixes what detect found, touches no
    # hostile object, and its rollback leaves the schema exactly as detect saw it
    out = tmp_path / f"migrations_{unique_number()}"
    assert cli("emit", spec_file, "--target", "laravel", "--timestamp", TS, "--out", out).code == 0
    [migration] = sorted(out.glob("*.php"))
    php_lint(migration)
    before = db.schema_snapshot()
    run_laravel(db, migration, "up")
    after_up = db.schema_snapshot()
    assert set(after_up) - {"fixgen_ledger"} == set(before), "up created or dropped a table"
    again = detect(db, "--format", "yaml", "--exit-zero")
    assert yaml.safe_load(again.stdout)["issues"] == [], again.stdout  # detect | emit | apply | detect: empty
    run_laravel(db, migration, "down")
    assert db.schema_snapshot() == before


def test_detect_json_and_accepted_names_round_trip(db: Database) -> None:
    hostile_schema(db)
    run = detect(db, "--format", "json")
    assert run.code == 1, run.output
    tables = {i["table"] for i in json.loads(run.stdout)["issues"]}
    assert set(accepted_names(db.dialect)) <= tables  # Unicode, spaces, the longest names: as any other


def test_detect_warns_about_each_hostile_object(db: Database) -> None:
    """Each object left out or kept as coverage only is a `warning:` line on stderr, its name escaped.

    Needs fixgen/cli.py's detect to print `schema.warnings` (see fixgen.dbschema.SnapshotWarning)."""
    hostile_schema(db)
    run = detect(db, "--format", "yaml")
    warnings = warning_lines(run)
    assert all(line.startswith(("warning: ", "error: ")) or line.endswith(" issue(s) found") for line in run.errors), \
        run.errors  # a raw line break in a name would start a line of its own
    assert not any(c in run.stderr for c in "\r\u2028")
    text = "\n".join(warnings)
    for h in [*HOSTILE, PHP_TABLE]:
        assert f"table {shown(h)} left out" in text, h
    for i, h in enumerate(HOSTILE):
        assert f"column {shown(h)} of table 'gadgets' left out" in text, h
        assert f"index {shown('ix' + h)} of table 'gadgets'" in text, h
        assert f"index 'ix_gadgets_{i}' of table 'gadgets'" in text, h
        assert f"of table 'ref_{i}'" in text, h  # its key (SQLite's own name for it may differ)
        if db.dialect != "sqlite":  # SQLAlchemy finds SQLite's constraint names in the DDL text, not exactly
            assert f"foreign key {shown('fk' + h)} of table 'ref_{i}'" in text, h
    assert f"index {shown('ix_tags' + HOSTILE[0])} of table 'tags'" in text
    if db.dialect != "sqlite":
        assert f"foreign key {shown(FK_LIKES)} of table 'likes'" in text
    assert not any("left out" in line and ("'ref_" in line.split("left out")[0]) for line in warnings)


def test_detect_table_format_survives_hostile_names(db: Database) -> None:
    hostile_schema(db)
    run = detect(db, "--format", "table")
    assert run.code == 1, run.output
    assert not any(c in run.stdout for c in "\r\u2028")
    rows = run.stdout.splitlines()
    assert rows[0].split()[:2] == ["KIND", "TABLE"]
    kinds = [r.split()[0] for r in rows[1:]]
    assert kinds.count("missing_foreign_key") + kinds.count("missing_index") == len(expected_findings(db))
    assert all(k in ("missing_foreign_key", "missing_index", "warning") for k in kinds), rows


def test_detect_table_format_lists_the_warnings(db: Database) -> None:
    """Needs fixgen/cli.py's detect to pass `schema.warnings` rows as notes (see SnapshotWarning.row)."""
    hostile_schema(db)
    run = detect(db, "--format", "table")
    rows = run.stdout.splitlines()
    warnings = [r for r in rows if r.startswith("warning ")]
    assert any(shown(PHP_TABLE) in r for r in warnings), rows
    assert any(r.split()[1] == "gadgets" and shown(HOSTILE[0]) in r for r in warnings), rows


def test_snapshot_keeps_hostile_keys_and_indexes_as_coverage(db: Database) -> None:
    hostile_schema(db)
    schema = load_schema(db.url)
    assert not set(HOSTILE) & set(schema.tables) and PHP_TABLE not in schema.tables
    assert set(schema.left_out) == {*HOSTILE, PHP_TABLE}
    gadgets = schema.tables["gadgets"]
    assert list(gadgets.columns) == ["id", "user_id"]
    assert sorted(gadgets.refused_columns) == sorted(HOSTILE)
    assert {ix.name for ix in gadgets.indexes} >= {f"ix_gadgets_{i}" for i in range(len(HOSTILE))}
    for i, h in enumerate(HOSTILE):
        ref = schema.tables[f"ref_{i}"]  # read, though its key names a hostile table
        [fk] = ref.foreign_keys
        assert (fk.columns, fk.ref_table, fk.ref_columns) == (("user_id",), h, ("id",))
        assert fk.problem is not None
        if db.dialect != "sqlite":
            assert fk.name == "fk" + h
    [likes_fk] = schema.tables["likes"].foreign_keys
    assert likes_fk.columns == ("user_id",) and likes_fk.ref_table == "users"
    assert all(identifier_problem(t) is None for t in schema.tables)
    assert {w.table for w in schema.warnings} >= {*HOSTILE, PHP_TABLE, "gadgets", "tags"}
    for w in schema.warnings:
        assert not any(c in w.text() for c in "\n\r\u2028"), w


def test_detect_laravel_app_prints_snapshot_and_app_warnings(db: Database, tmp_path: Path) -> None:
    """With --laravel-app the snapshot's warnings come with the app's; a key the PHP names that fixgen
    refuses is a warning too, never a finding."""
    hostile_schema(db)
    models = tmp_path / "app" / "Models"
    models.mkdir(parents=True)
    (models / "User.php").write_text(
        "<?php\nnamespace App\\Models;\n\nuse Illuminate\\Database\\Eloquent\\Model;\n\n"
        "class User extends Model\n{\n}\n", encoding="utf-8")
    (models / "Post.php").write_text(
        "<?php\nnamespace App\\Models;\n\nuse Illuminate\\Database\\Eloquent\\Model;\n\n"
        "class Post extends Model\n{\n    protected $fillable = ['user_id', \"semi;colon\"];\n\n"
        "    public function author()\n    {\n        return $this->belongsTo(User::class, \"auth'or_id\");\n    }\n}\n",
        encoding="utf-8")
    run = detect(db, "--format", "yaml", "--laravel-app", str(tmp_path))
    assert run.code == 1, run.output
    issues = yaml.safe_load(run.stdout)["issues"]
    load_spec(run.stdout, "<detect>")
    for issue in issues:
        for name in names_in(issue):
            assert identifier_problem(name) is None, issue
    text = "\n".join(warning_lines(run))
    assert f"table {shown(PHP_TABLE)} left out" in text
    assert shown("auth'or_id") in text
    assert "\r" not in run.stderr and "\u2028" not in run.stderr


# =========================================================================== import

HOSTILE_INPUTS = {
    "sql": (
        'CREATE INDEX "ix?><?php //" ON posts (user_id);\n'
        'CREATE INDEX ix_ok ON "po;sts" ("a\nb");\n'
        'ALTER TABLE posts ADD CONSTRAINT "fk*/" FOREIGN KEY (user_id) REFERENCES "us\'ers" (id);\n'
        'ALTER TABLE posts ADD COLUMN "x\\y" integer;\n'
        'ALTER TABLE posts RENAME COLUMN a TO "b`c";\n'
        'DROP INDEX "ix \'q";\n'
        "CREATE INDEX ix_fine ON posts (user_id);\n"),
    "schemalint": (
        "public.po\"sts.fk_x: error index-referencing-column : No index found on referencing column(s) a'b\n"
        'public.posts.fk?>: error reference-actions : Reference action ON DELETE expected to be "CASCADE" '
        'but got "NO ACTION"\n'
        "Suggested fix\n"
        'CREATE INDEX ON "public"."p;osts" ("us*/er_id");\n'
        'ALTER TABLE "public"."posts" DROP CONSTRAINT "fk?>", ADD CONSTRAINT "fk?>" FOREIGN KEY ("user_id") '
        'REFERENCES "us\\ers"("id") ON UPDATE NO ACTION ON DELETE CASCADE;\n'
        'CREATE INDEX ON "public"."posts" ("user_id");\n'),
    "schemacrawler": json.dumps({"lints": [
        {"linter-id": "schemacrawler.tools.linter.LinterForeignKeyWithNoIndexes", "object-type": "table",
         "object-name": 'public."we;ird"', "value": 'public."we;ird"."fk\'x"', "message": "foreign key with no index"},
        {"linter-id": "schemacrawler.tools.linter.LinterRedundantIndexes", "object-type": "table",
         "object-name": "public.posts", "value": 'public.posts."ix\nq"', "message": "redundant index"},
        {"linter-id": "schemacrawler.tools.linter.LinterRedundantIndexes", "object-type": "table",
         "object-name": '"', "value": '""', "message": "redundant index"},
    ]}, indent=1),
    "active-record-doctor": (
        "add an index on po;sts(a'b) - x\n"
        "create a foreign key on po?sts.user_id - x\n"
        "remove ix'x - coincides with the primary key on the table\n"
        "add a created_at column to t`x\n"
        "add a unique index on posts(a\\b, c) - y\n"
        "add an index on posts(user_id) - fine\n"),
}


def write_input(tmp_path: Path, fmt: str, text: str) -> Path:
    path = tmp_path / f"{fmt}_{unique_number()}.txt"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", list(HOSTILE_INPUTS))
def test_import_refuses_hostile_names(fmt: str, tmp_path: Path) -> None:
    path = write_input(tmp_path, fmt, HOSTILE_INPUTS[fmt])
    run = cli("import", fmt, path)
    assert_no_traceback(run)
    assert run.code == 2, run.output
    assert run.stdout == ""
    assert run.errors and all(line.startswith("error: ") for line in run.errors), run.errors
    assert "fixgen cannot use" in run.stderr
    assert "\r" not in run.stderr and "\u2028" not in run.stderr

    run = cli("import", fmt, path, "--skip-unsupported")
    assert_no_traceback(run)
    assert run.code in (0, 1, 2), run.output
    assert any(line.startswith("warning: ") and "fixgen cannot use" in line for line in run.errors), run.errors
    if run.code != 2:  # 2: what is left lacks something only --db can give (a gap), reported as such
        issues = yaml.safe_load(run.stdout)["issues"]
        if issues:  # a spec with none is no spec for emit, which is not this test's business
            load_spec(run.stdout, "<import>")
        for issue in issues:
            for name in names_in(issue):
                assert identifier_problem(name) is None, issue
    else:
        assert all(line.startswith(("warning: ", "error: ")) for line in run.errors), run.errors


def test_import_fills_no_gap_from_a_hostile_object(db: Database, tmp_path: Path) -> None:
    """--db: an index or key found by name whose columns fixgen refuses fills no gap (exit 2, said why);
    one with ordinary names still does."""
    hostile_schema(db)
    ard = write_input(tmp_path, "ard", "remove ix_gadgets_0 - coincides with the primary key on the table\n")
    run = cli("import", "active-record-doctor", ard, "--db", db.url)
    assert_no_traceback(run)
    assert run.code == 2, run.output
    assert shown(HOSTILE[0]) in run.stderr and HOSTILE[0] not in run.stderr

    ard = write_input(tmp_path, "ard", "create a foreign key on gadgets.user_id - users\n")
    run = cli("import", "active-record-doctor", ard, "--db", db.url)
    assert_no_traceback(run)
    assert run.code == 1, run.output
    [issue] = yaml.safe_load(run.stdout)["issues"]
    assert (issue["table"], issue["columns"], issue["references"]) == ("gadgets", ["user_id"], "users.id")

    lint = write_input(tmp_path, "sc", json.dumps({"lints": [{
        "linter-id": "schemacrawler.tools.linter.LinterRedundantIndexes", "object-type": "table",
        "object-name": "gadgets", "value": "gadgets.ix_gadgets_1", "message": "redundant index"}]}))
    run = cli("import", "schemacrawler", lint, "--db", db.url)
    assert_no_traceback(run)
    assert run.code == 2, run.output
    assert shown(HOSTILE[1]) in run.stderr

    # SchemaCrawler's foreign key with no index, found by its ordinary name: its columns are ordinary
    lint = write_input(tmp_path, "sc", json.dumps({"lints": [{
        "linter-id": "schemacrawler.tools.linter.LinterForeignKeyWithNoIndexes", "object-type": "table",
        "object-name": "public.ref_ok", "value": "public.ref_ok.fk_ref_ok", "message": "no index"}]}))
    run = cli("import", "schemacrawler", lint, "--db", db.url)
    assert_no_traceback(run)
    if db.dialect == "sqlite":  # SQLAlchemy reads SQLite's key names from the DDL text: a line break defeats it
        assert run.code == 2, run.output
        assert "no foreign key named 'fk_ref_ok' on ref_ok" in run.stderr
    else:
        assert run.code == 1, run.output
        [issue] = yaml.safe_load(run.stdout)["issues"]
        assert (issue["kind"], issue["table"], issue["columns"]) == ("missing_index", "ref_ok", ["user_id"])

    # a table whose key points to a hostile table is read like any other
    lint = write_input(tmp_path, "ard", "create a foreign key on posts.user_id - x\n"
                                        "add an index on ref_0(user_id) - x\n")
    run = cli("import", "active-record-doctor", lint, "--db", db.url)
    assert_no_traceback(run)
    assert run.code == 1, run.output
    assert len(yaml.safe_load(run.stdout)["issues"]) == 2


MODELS = '''
import sqlalchemy as sa

metadata = sa.MetaData()
users = sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False))
posts = sa.Table(
    "posts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", name="fk_posts_user")),
    sa.Index("ix_posts_user_id", "user_id"),
    sa.Index("ix?><?php //", "user_id"),
)
'''


def test_import_alembic_against_a_hostile_database(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                   ) -> None:
    hostile_schema(db)
    name = f"hostile_models_{unique_number()}"
    (tmp_path / f"{name}.py").write_text(MODELS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    run = cli("import", "alembic", "--metadata", f"{name}:metadata", "--db", db.url)
    assert_no_traceback(run)
    assert run.code == 2, run.output
    assert "\r" not in run.stderr and "\u2028" not in run.stderr
    assert all(line.startswith(("error: ", "warning: ")) for line in run.errors), run.errors
    assert f"not compared: table {shown(PHP_TABLE)}" in run.stderr
    assert shown("ix?><?php //") in run.stderr

    run = cli("import", "alembic", "--metadata", f"{name}:metadata", "--db", db.url, "--skip-unsupported")
    assert_no_traceback(run)
    assert run.code == 1, run.output
    load_spec(run.stdout, "<import>")
    issues = yaml.safe_load(run.stdout)["issues"]
    assert sorted((i["kind"], i["table"], i.get("name")) for i in issues) == [
        ("missing_foreign_key", "posts", "fk_posts_user"), ("missing_index", "posts", "ix_posts_user_id")]
