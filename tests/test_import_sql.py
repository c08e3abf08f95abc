"""`fixgen import sql`: fix scripts in, spec v1 out.

* exact findings for the scripts under tests/import_sql/ in PostgreSQL, MySQL and SQLite
  syntax, with and without --dialect; exact lines of what spec v1 cannot express; the
  exit codes of the real CLI;
* end to end on real databases: the before-schema of the example (examples/seed-before.*),
  an unguarded hand-written fix script imported (its DROP INDEX filled in from --db), the
  spec emitted as a guarded migration, up run twice, the schema compared with the one the
  raw script makes on a second fresh database, then down brings the before-schema back;
* DROP INDEX without a table resolved through --db, and the exact errors without it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import dbs
from support.dbs import Database
from support.roundtrip import LEDGER, Run, assert_schema, cli, fixgen_emit, load_seed, unique_number, without

from fixgen.importers import ImportOptions
from fixgen.importers.sql import read

HERE = Path(__file__).resolve().parent / "import_sql"


def import_sql(*args: str | Path, input: str | None = None) -> tuple[Run, list[dict[str, Any]] | None]:
    """`fixgen import sql ARGS --format json`: the run and, when it wrote one, the spec's issues."""
    run = cli("import", "sql", *args, "--format", "json", input=input)
    issues = json.loads(run.stdout)["issues"] if run.stdout.strip() else None
    return run, issues


def src(name: str, line: int) -> str:
    return f"sql {HERE / name}:{line}"


# =========================================================================== 1. findings per dialect


def pg_expected() -> list[dict[str, Any]]:
    f = "postgresql.sql"
    return [
        {"kind": "missing_index", "message": "CREATE INDEX on posts(author_id)", "source": src(f, 3),
         "table": "posts", "name": "posts_author_id_idx", "columns": ["author_id"]},
        {"kind": "missing_index", "message": "CREATE INDEX on posts(author_id)", "source": src(f, 4),
         "table": "posts", "columns": ["author_id"]},
        # unquoted Slug folds to slug, as PostgreSQL does; quoted "Lang" keeps its case
        {"kind": "missing_index", "message": "CREATE UNIQUE INDEX on posts(slug, Lang)", "source": src(f, 4),
         "table": "posts", "name": "posts_slug_key", "columns": ["slug", "Lang"], "unique": True},
        {"kind": "missing_foreign_key", "message": "FOREIGN KEY comments(post_id) REFERENCES posts(id)",
         "source": src(f, 6), "table": "comments", "name": "comments_post_fk", "columns": ["post_id"],
         "references": "posts.id", "on_delete": "cascade"},
        {"kind": "missing_foreign_key", "message": "FOREIGN KEY comments(tenant_id, post_id) REFERENCES posts(tenant_id, id)",
         "source": src(f, 10), "table": "comments", "columns": ["tenant_id", "post_id"],
         "references": {"table": "posts", "columns": ["tenant_id", "id"]}, "on_update": "restrict"},
        {"kind": "missing_column", "message": "ADD COLUMN posts.status string(20)", "source": src(f, 11),
         "table": "posts", "column": "status", "type": "string(20)", "nullable": False, "default": "draft"},
        {"kind": "missing_column", "message": "ADD COLUMN posts.score float", "source": src(f, 11),
         "table": "posts", "column": "score", "type": "float", "default": -1.5},
        {"kind": "missing_column", "message": "ADD COLUMN posts.published boolean", "source": src(f, 11),
         "table": "posts", "column": "published", "type": "boolean", "default": False},
        # an inline REFERENCES: the column, then a foreign key of its own
        {"kind": "missing_column", "message": "ADD COLUMN posts.editor_id bigint", "source": src(f, 11),
         "table": "posts", "column": "editor_id", "type": "bigint"},
        {"kind": "missing_foreign_key", "message": "FOREIGN KEY posts(editor_id) REFERENCES users(id)",
         "source": src(f, 11), "table": "posts", "columns": ["editor_id"], "references": "users.id",
         "on_delete": "set_null"},
        {"kind": "rename_column", "message": "RENAME COLUMN posts.body TO content", "source": src(f, 15),
         "table": "posts", "from": "body", "to": "content"},
        {"kind": "rename_column", "message": "RENAME COLUMN posts.title TO headline", "source": src(f, 16),
         "table": "posts", "from": "title", "to": "headline"},
        {"kind": "missing_index", "message": "ADD UNIQUE on posts(code)", "source": src(f, 17),
         "table": "posts", "name": "posts_code_key", "columns": ["code"], "unique": True},
    ]


def mysql_expected() -> list[dict[str, Any]]:
    f = "mysql.sql"
    return [
        {"kind": "missing_index", "message": "ADD INDEX on posts(author_id)", "source": src(f, 3),
         "table": "posts", "name": "posts_author_idx", "columns": ["author_id"]},
        {"kind": "missing_index", "message": "ADD INDEX on posts(editor_id)", "source": src(f, 3),
         "table": "posts", "columns": ["editor_id"]},
        {"kind": "missing_index", "message": "ADD UNIQUE on posts(slug)", "source": src(f, 3),
         "table": "posts", "name": "posts_slug_uq", "columns": ["slug"], "unique": True},
        {"kind": "missing_foreign_key", "message": "FOREIGN KEY comments(post_id) REFERENCES posts(id)",
         "source": src(f, 5), "table": "comments", "name": "comments_post_fk", "columns": ["post_id"],
         "references": "posts.id", "on_delete": "cascade"},
        # TINYINT(1) is MySQL's BOOLEAN, 0 its false; MySQL keeps the case of names
        {"kind": "missing_column", "message": "ADD COLUMN posts.Flag boolean", "source": src(f, 6),
         "table": "posts", "column": "Flag", "type": "boolean", "nullable": False, "default": False},
        {"kind": "missing_column", "message": "ADD COLUMN posts.created timestamp", "source": src(f, 6),
         "table": "posts", "column": "created", "type": "timestamp"},
        {"kind": "missing_index", "message": "CREATE UNIQUE INDEX on posts(code)", "source": src(f, 7),
         "table": "posts", "name": "posts_code_uq", "columns": ["code"], "unique": True},
        {"kind": "rename_column", "message": "RENAME COLUMN posts.Body TO content", "source": src(f, 8),
         "table": "posts", "from": "Body", "to": "content"},
    ]


def sqlite_expected() -> list[dict[str, Any]]:
    f = "sqlite.sql"
    return [
        {"kind": "missing_index", "message": "CREATE INDEX on posts(author_id)", "source": src(f, 4),
         "table": "posts", "name": "posts_author_idx", "columns": ["author_id"]},
        {"kind": "missing_index", "message": "CREATE UNIQUE INDEX on posts(slug)", "source": src(f, 5),
         "table": "posts", "name": "posts_slug_uq", "columns": ["slug"], "unique": True},
        {"kind": "missing_column", "message": "ADD COLUMN posts.note text", "source": src(f, 6),
         "table": "posts", "column": "note", "type": "text", "default": "n/a"},
        {"kind": "rename_column", "message": "RENAME COLUMN posts.body TO content", "source": src(f, 7),
         "table": "posts", "from": "body", "to": "content"},
    ]


@pytest.mark.parametrize(("dialect", "expected"), [("postgresql", pg_expected), ("mysql", mysql_expected),
                                                   ("sqlite", sqlite_expected)])
@pytest.mark.parametrize("given", [True, False], ids=["dialect-given", "dialect-guessed"])
def test_findings_of_each_dialect(dialect: str, expected: Any, given: bool) -> None:
    run, issues = import_sql(HERE / f"{dialect}.sql", *(["--dialect", dialect] if given else []))
    assert run.code == 1, run.output
    assert issues == expected()
    assert run.errors == [f"{len(issues)} issue(s) found"]


UNSUPPORTED = [
    "2: CREATE INDEX posts_lower_email ON posts (lower(email)): expression LOWER(email): spec v1 indexes plain columns",
    "3: CREATE INDEX posts_recent ON posts (created_at) WHERE del...: a partial index (WHERE): spec v1 cannot express it",
    "4: CREATE INDEX posts_tags ON posts USING gin (tags): a gin index: spec v1 indexes are plain btree indexes",
    "5: CREATE INDEX posts_author_desc ON posts (author_id DESC): descending column author_id DESC: "
    "spec v1 index columns are ascending",
    "6: CREATE INDEX posts_title_pattern ON posts (title text_pat...: operator class title text_pattern_ops: "
    "spec v1 indexes use the default operator class",
    "7: ALTER TABLE posts ADD INDEX posts_title_prefix (title(10)): prefix length title(10): spec v1 indexes whole columns",
    "8: ALTER TABLE posts ADD COLUMN published_at timestamp DEFAU...: column published_at: DEFAULT CURRENT_TIMESTAMP "
    "is not a literal: spec v1 defaults are constant values",
    "8: ALTER TABLE posts ADD COLUMN published_at timestamp DEFAU...: column slug: NOT NULL without a DEFAULT: "
    "existing rows need a value, so the spec requires a default",
    "8: ALTER TABLE posts ADD COLUMN published_at timestamp DEFAU...: column tags: type TEXT[]: spec v1 has no equivalent",
    "11: ALTER TABLE posts ADD COLUMN code int UNIQUE: column code: UNIQUE: spec v1 columns have a type, NULL or "
    "NOT NULL, a literal DEFAULT and nothing else",
    "12: ALTER TABLE posts CHANGE body content TEXT: CHANGE restates the column's whole definition, so it may change "
    "more than the name, which fixgen cannot tell without the old definition: write RENAME COLUMN for a rename",
    "13: ALTER TABLE posts ALTER COLUMN title TYPE text: changes an existing column's definition: spec v1 has no kind for that",
    "14: ALTER TABLE posts DROP CONSTRAINT posts_author_fk: DROP CONSTRAINT: spec v1 drops nothing but redundant indexes "
    "(a foreign key dropped and re-added under the same name is a change of its actions)",
    "15: CREATE TABLE audit (id int PRIMARY KEY): spec v1 has no kind that creates a table",
    "16: UPDATE posts SET status = 'x': reads or changes data, not the schema: spec v1 describes schema fixes only",
    "17: CREATE INDEX \"bad;name\" ON posts (a): fixgen cannot use this name: name 'bad;name' contains forbidden "
    "character(s) ';'",
    "18: \\echo done: a client command (psql, mysql), not SQL: fixgen reads SQL statements only",
    "19: CREATE INDEX main.posts_a ON posts (a): fixgen cannot read a schema-qualified index name here: "
    "write the name alone",
]


def test_unsupported_statements_are_listed_with_their_lines() -> None:
    path = HERE / "unsupported.sql"
    run, issues = import_sql(path)
    assert (run.code, issues) == (2, None)
    assert run.errors == [f"error: {path}:{u}" for u in UNSUPPORTED] + [
        "error: nothing written: fixgen cannot express these as fixes (--skip-unsupported to leave them out)"]

    run, issues = import_sql(path, "--skip-unsupported")
    assert run.code == 1, run.output
    assert run.errors == [f"warning: {path}:{u} (left out)" for u in UNSUPPORTED] + ["1 issue(s) found"]
    assert issues == [{"kind": "missing_column", "message": "ADD COLUMN posts.ok_col integer",
                       "source": f"sql {path}:20", "table": "posts", "column": "ok_col", "type": "integer"}]


def test_exit_codes(tmp_path: Path) -> None:
    with_issues = HERE / "sqlite.sql"
    assert import_sql(with_issues)[0].code == 1
    run, issues = import_sql(with_issues, "--exit-zero")
    assert (run.code, len(issues or [])) == (0, 4)

    nothing = tmp_path / "nothing.sql"
    nothing.write_text("-- no schema change here; not even this ;\nBEGIN;\nSET lock_timeout = '1s';\n;;\n"
                       "RESET lock_timeout; START TRANSACTION; COMMIT;\n", encoding="utf-8")
    run, issues = import_sql(nothing)
    assert (run.code, issues, run.errors) == (0, [], ["0 issue(s) found"])

    bad = tmp_path / "bad.sql"
    bad.write_text("CREATE INDEX ix ON posts (a);\n\nCREATE INDEX ON ON ON;\nALTER TABLE posts ADD COLUMN c int;\n",
                   encoding="utf-8")
    run, issues = import_sql(bad, "--dialect", "postgresql")
    assert (run.code, issues) == (2, None)
    assert run.errors == [
        f"error: {bad}:3: cannot parse CREATE INDEX ON ON ON: Expected table name but got ON near 'ON'",
        f"error: nothing imported: {bad} is not SQL that postgresql can read",
    ]


def test_each_finding_points_at_its_statements_first_line() -> None:
    text = ("/* header; with a semicolon */\n"
            "CREATE INDEX a_ix ON t (a); CREATE INDEX b_ix\n"
            "  ON t (b);\n"
            "-- comment; with semicolon\n"
            "\n"
            "ALTER TABLE t\n"
            "  ADD COLUMN note varchar(10) DEFAULT 'x;y',  -- a ';' in a string and a comment\n"
            "  ADD COLUMN e text DEFAULT 'it''s;';\n"
            "DO $body$ BEGIN PERFORM 1; END $body$;\n"
            "ALTER TABLE \"we;ird\" RENAME COLUMN a TO b;\n")
    result = read(text, "f.sql", ImportOptions(dialect="postgresql"))
    assert [(f.kind, f.origin, f.fields.get("column") or f.fields.get("name")) for f in result.findings] == [
        ("missing_index", "f.sql:2", "a_ix"), ("missing_index", "f.sql:2", "b_ix"),
        ("missing_column", "f.sql:6", "note"), ("missing_column", "f.sql:6", "e")]
    assert result.findings[2].fields["default"] == "x;y"
    assert result.findings[3].fields["default"] == "it's;"
    assert [(p.line, p.message) for p in result.unsupported] == [
        (9, "DO $body$ BEGIN PERFORM 1; END $body$: fixgen cannot read this statement's syntax "
            "(sqlglot parses it only as an opaque command)"),
        (10, "ALTER TABLE \"we;ird\" RENAME COLUMN a TO b: fixgen cannot use this name: "
             "name 'we;ird' contains forbidden character(s) ';'"),
    ]


@pytest.mark.parametrize(("dialect", "sql_type", "spec_type"), [
    ("postgresql", "varchar(40)", "string(40)"), ("postgresql", "character varying(7)", "string(7)"),
    ("postgresql", "text", "text"), ("postgresql", "int4", "integer"), ("postgresql", "int8", "bigint"),
    ("postgresql", "smallint", "smallint"), ("postgresql", "boolean", "boolean"),
    ("postgresql", "numeric(10,2)", "decimal(10,2)"), ("postgresql", "double precision", "float"),
    ("postgresql", "float", "float"), ("postgresql", "date", "date"), ("postgresql", "time", "time"),
    ("postgresql", "timestamp(0) without time zone", "timestamp"), ("postgresql", "timestamptz", "timestamptz"),
    ("postgresql", "jsonb", "json"), ("postgresql", "uuid", "uuid"), ("postgresql", "bytea", "binary"),
    ("mysql", "TINYINT(1)", "boolean"), ("mysql", "INT(11)", "integer"), ("mysql", "DOUBLE", "float"),
    ("mysql", "TIMESTAMP", "timestamp"), ("mysql", "DATETIME", "timestamp"), ("mysql", "JSON", "json"),
    ("mysql", "BLOB", "binary"), ("sqlite", "REAL", "float"), ("sqlite", "DATETIME", "timestamp"),
    ("postgresql", "real", None), ("postgresql", "varchar", None), ("postgresql", "numeric", None),
    ("postgresql", "char(36)", None), ("postgresql", "serial", None), ("mysql", "FLOAT", None),
    ("mysql", "BIGINT UNSIGNED", None), ("mysql", "ENUM('a', 'b')", None), ("postgresql", "varchar(20000)", None),
])
def test_column_types(dialect: str, sql_type: str, spec_type: str | None) -> None:
    result = read(f"ALTER TABLE t ADD COLUMN c {sql_type};", "f.sql", ImportOptions(dialect=dialect))
    if spec_type is None:
        [problem] = result.unsupported
        assert problem.message.startswith("ALTER TABLE t ADD COLUMN c") and ": column c: type " in problem.message
        assert result.findings == []
    else:
        assert result.unsupported == []
        assert [f.fields["type"] for f in result.findings] == [spec_type]


def test_gaps_without_db_say_what_is_missing() -> None:
    text = ("DROP INDEX CONCURRENTLY IF EXISTS public.ix_old;\n"
            "DROP INDEX ix_posts ON posts;\n"
            "ALTER TABLE posts ADD FOREIGN KEY (author_id) REFERENCES users;\n")
    run, issues = import_sql("-", input=text)
    assert (run.code, issues) == (2, None)
    assert run.errors == [
        "error: <stdin>:1: DROP INDEX ix_old: the spec needs the table and columns of index 'ix_old', which DROP INDEX "
        "does not name: pass --db URL to find them in the database",
        "error: <stdin>:2: DROP INDEX ix_posts ON posts: the spec needs the columns of index 'ix_posts', which DROP INDEX "
        "does not list: pass --db URL to read them from the database",
        "error: <stdin>:3: FOREIGN KEY posts(author_id) REFERENCES users(primary key): REFERENCES users names no column, "
        "so it means the primary key of users, which the spec must name: pass --db URL to read it from the database",
    ]


# =========================================================================== 3. DROP INDEX resolved from --db


def test_drop_index_resolved_from_the_database(db: Database) -> None:
    load_seed(db)
    on = " ON organizations" if db.dialect == "mysql" else ""  # MySQL's DROP INDEX always names the table
    text = (f"DROP INDEX organizations_tenant_id_index{on};\n"
            "ALTER TABLE branches ADD FOREIGN KEY (branch_manager_id) REFERENCES users;\n")
    run, issues = import_sql("-", "--db", db.url, input=text)
    assert run.code == 1, run.output
    assert issues == [
        {"kind": "redundant_index", "message": f"DROP INDEX organizations_tenant_id_index{on}", "source": "sql <stdin>:1",
         "table": "organizations", "name": "organizations_tenant_id_index", "columns": ["tenant_id"]},
        {"kind": "missing_foreign_key", "message": "FOREIGN KEY branches(branch_manager_id) REFERENCES users(primary key)",
         "source": "sql <stdin>:2", "table": "branches", "columns": ["branch_manager_id"],
         "references": {"table": "users", "columns": ["id"]}},
    ]

    run, issues = import_sql("-", "--db", db.url, input="DROP INDEX no_such_index;\n")
    assert (run.code, issues) == (2, None)
    assert run.errors == ["error: <stdin>:1: DROP INDEX no_such_index: no index named 'no_such_index' in the database "
                          "given by --db"]


def test_drop_index_of_a_unique_constraint_is_refused(pg_db: Database) -> None:
    load_seed(pg_db)
    run, _ = import_sql("-", "--db", pg_db.url, input="\n\nDROP INDEX users_email_unique;\n")
    assert run.code == 2
    assert run.errors == ["error: <stdin>:3: DROP INDEX users_email_unique: index 'users_email_unique' on users backs a "
                          "constraint: a redundant_index cannot drop and restore it"]


# =========================================================================== 2. end to end


def expected_issues(dialect: str) -> list[tuple]:
    """(kind, table, name, columns or column/from) of the fix.<dialect>.sql findings, in order."""
    if dialect == "sqlite":
        return [("missing_index", "agents", "agents_created_by_idx", ["created_by_user_id"]),
                ("missing_index", "users", "users_email_tenant_uq", ["email", "tenant_id"]),
                ("redundant_index", "organizations", "organizations_tenant_id_index", ["tenant_id"])]
    return [("missing_index", "agents", "agents_created_by_idx", ["created_by_user_id"]),
            ("missing_index", "workflows", None, ["organization_id"]),
            ("missing_index", "users", "users_email_tenant_uq", ["email", "tenant_id"]),
            ("missing_index", "branches", "branches_branch_manager_id_idx", ["branch_manager_id"]),
            ("missing_foreign_key", "branches", "branches_manager_fk", ["branch_manager_id"]),
            ("missing_column", "projects", None, "priority"),
            ("missing_column", "projects", None, "code"),
            ("rename_column", "webhooks", None, "created_by_user_id"),
            ("redundant_index", "organizations", "organizations_tenant_id_index", ["tenant_id"])]


# the index the raw script leaves unnamed: the name the database gives it, and fixgen's conventional one
UNNAMED = {"postgresql": ("workflows", "workflows_organization_id_idx", "ix_workflows_organization_id"),
           "mysql": ("workflows", "organization_id", "ix_workflows_organization_id")}


def rename_index(s: dict, table: str, old: str, new: str) -> None:
    [ix] = [i for i in s[table]["indexes"] if i["name"] == old]
    ix["name"] = new
    s[table]["indexes"].sort(key=lambda i: i["name"])


def test_end_to_end(db: Database, tmp_path: Path) -> None:
    d = db.dialect
    script = HERE / f"fix.{d}.sql"
    load_seed(db)
    before = db.schema_snapshot()

    spec = tmp_path / "spec.yaml"
    run = cli("import", "sql", script, "--db", db.url, "--out", spec)
    assert run.code == 1, run.output
    issues = json.loads(cli("import", "sql", script, "--db", db.url, "--format", "json", "--exit-zero").stdout)["issues"]
    assert [(i["kind"], i["table"], i.get("name"), i.get("columns") or i.get("column") or i.get("from"))
            for i in issues] == expected_issues(d)

    out = tmp_path / f"out_{unique_number()}"
    fixgen_emit(spec, "sql", out, "--dialect", d)
    [up] = out.glob("*.up.sql")
    [down] = out.glob("*.down.sql")
    db.run_sql_file(up)
    after = db.schema_snapshot()
    db.run_sql_file(up)  # guarded: the second run changes nothing
    assert_schema(db.schema_snapshot(), after, "up twice")

    raw = dbs.database_or_skip(d, tmp_path)
    try:
        load_seed(raw)
        raw.run_sql_file(script)
        expected = raw.schema_snapshot()
    finally:
        dbs.drop_database(raw)
    if d in UNNAMED:  # the one index the script left the database to name: fixgen names it by its convention
        rename_index(expected, *UNNAMED[d])
    assert_schema(without(after, LEDGER), expected, "fixgen's migration vs the raw script")

    db.run_sql_file(down)
    back = db.schema_snapshot()
    assert_schema(without(back, LEDGER) if d == "sqlite" else back, before, "after down")


# =========================================================================== 4. foreign key actions: DROP + ADD of one key

FK_SCHEMA = [
    "CREATE TABLE users (id int PRIMARY KEY)",
    "CREATE TABLE posts (id int PRIMARY KEY, author_id int, "
    "CONSTRAINT posts_author_fk FOREIGN KEY (author_id) REFERENCES users (id))",
    "CREATE TABLE comments (id int PRIMARY KEY, post_id int, user_id int, "
    "CONSTRAINT comments_post_fk FOREIGN KEY (post_id) REFERENCES posts (id) ON DELETE SET NULL ON UPDATE CASCADE, "
    "CONSTRAINT comments_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE)",
]
# PostgreSQL: both in one statement (schemalint's and pg_dump's way), then in two, re-added NOT VALID and validated
FK_SCRIPTS = {
    "postgresql": (
        "BEGIN;\n"
        'ALTER TABLE "public"."posts" DROP CONSTRAINT "posts_author_fk", ADD CONSTRAINT "posts_author_fk" '
        'FOREIGN KEY ("author_id") REFERENCES "users"("id") ON UPDATE NO ACTION ON DELETE CASCADE;\n'
        "ALTER TABLE comments DROP CONSTRAINT IF EXISTS comments_post_fk;\n"
        "ALTER TABLE comments ADD CONSTRAINT comments_post_fk FOREIGN KEY (post_id) REFERENCES posts (id)\n"
        "  ON DELETE CASCADE NOT VALID;\n"
        "ALTER TABLE comments VALIDATE CONSTRAINT comments_post_fk;\n"
        "COMMIT;\n"),
    # MySQL/MariaDB: DROP FOREIGN KEY, then ADD in a statement of its own (one ALTER cannot do both: errno 121)
    "mysql": (
        "ALTER TABLE posts DROP FOREIGN KEY posts_author_fk;\n"
        "ALTER TABLE posts ADD CONSTRAINT posts_author_fk FOREIGN KEY (author_id) REFERENCES users (id) ON DELETE CASCADE;\n"
        "ALTER TABLE comments DROP FOREIGN KEY comments_post_fk;\n"
        "ALTER TABLE comments\n"
        "  ADD CONSTRAINT comments_post_fk FOREIGN KEY (post_id) REFERENCES posts (id) ON DELETE CASCADE;\n"),
}
FK_LINES = {"postgresql": (2, 4), "mysql": (2, 4)}  # where each finding's ADD starts


def fk_expected(dialect: str) -> list[dict[str, Any]]:
    author, post = FK_LINES[dialect]
    return [
        {"kind": "foreign_key_actions",
         "message": "re-create foreign key posts_author_fk on posts with ON DELETE CASCADE ON UPDATE NO ACTION",
         "source": f"sql <stdin>:{author}", "table": "posts", "name": "posts_author_fk", "columns": ["author_id"],
         "references": "users.id", "on_delete": "cascade", "on_update": "no_action",
         "current_on_delete": "no_action", "current_on_update": "no_action"},
        # the statement leaves ON UPDATE out: the re-created key has NO ACTION, not the CASCADE it has now
        {"kind": "foreign_key_actions",
         "message": "re-create foreign key comments_post_fk on comments with ON DELETE CASCADE ON UPDATE NO ACTION",
         "source": f"sql <stdin>:{post}", "table": "comments", "name": "comments_post_fk", "columns": ["post_id"],
         "references": "posts.id", "on_delete": "cascade", "on_update": "no_action",
         "current_on_delete": "set_null", "current_on_update": "cascade"},
    ]


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_fk_actions_without_db_say_what_is_missing(dialect: str) -> None:
    run, issues = import_sql("-", "--dialect", dialect, input=FK_SCRIPTS[dialect])
    assert (run.code, issues) == (2, None)
    author, post = FK_LINES[dialect]
    assert run.errors == [
        f"error: <stdin>:{author}: re-create foreign key posts_author_fk on posts with ON DELETE CASCADE ON UPDATE NO ACTION: "
        "the spec needs the actions foreign key posts_author_fk has now (the rollback restores them), which the script "
        "does not say: pass --db URL to read them from the database",
        f"error: <stdin>:{post}: re-create foreign key comments_post_fk on comments with ON DELETE CASCADE "
        "ON UPDATE NO ACTION: the spec needs the actions foreign key comments_post_fk has now (the rollback restores "
        "them), which the script does not say: pass --db URL to read them from the database",
    ]


@pytest.mark.parametrize("db", ["postgresql", "mysql"], indirect=True)
def test_fk_actions_resolved_from_db_apply_like_the_script_and_roll_back(db: Database, tmp_path: Path) -> None:
    d = db.dialect
    db.execute(FK_SCHEMA)
    before = db.schema_snapshot()
    run, issues = import_sql("-", "--db", db.url, input=FK_SCRIPTS[d])
    assert run.code == 1, run.output
    assert issues == fk_expected(d)
    # read without --dialect too: the same findings
    assert import_sql("-", "--db", db.url, "--dialect", d, input=FK_SCRIPTS[d])[1] == issues

    spec = tmp_path / "spec.json"
    spec.write_text(run.stdout, encoding="utf-8")
    out = tmp_path / f"out_{unique_number()}"
    fixgen_emit(spec, "sql", out, "--dialect", d)
    [up] = out.glob("*.up.sql")
    [down] = out.glob("*.down.sql")
    db.run_sql_file(up)
    after = db.schema_snapshot()
    db.run_sql_file(up)  # guarded: the second run changes nothing
    assert_schema(db.schema_snapshot(), after, "up twice")
    raw = dbs.database_or_skip(d, tmp_path)
    try:
        raw.execute(FK_SCHEMA)
        raw.run_sql(FK_SCRIPTS[d])
        expected = raw.schema_snapshot()
    finally:
        dbs.drop_database(raw)
    assert_schema(without(after, LEDGER), expected, "fixgen's migration vs the raw script")
    # the schema says it: the keys have the new actions (not only "the same as the script")
    assert {(fk["name"], fk["on_delete"], fk["on_update"]) for t in ("posts", "comments")
            for fk in after[t]["foreign_keys"]} == {("posts_author_fk", "CASCADE", "NO ACTION"),
                                                    ("comments_post_fk", "CASCADE", "NO ACTION"),
                                                    ("comments_user_fk", "CASCADE", "NO ACTION")}

    db.run_sql_file(down)
    assert_schema(db.schema_snapshot(), before, "after down")


@pytest.mark.parametrize("db", ["postgresql", "mysql"], indirect=True)
def test_fk_actions_db_refuses_what_is_no_change_of_actions(db: Database) -> None:
    db.execute(FK_SCHEMA)
    drop = "DROP FOREIGN KEY" if db.dialect == "mysql" else "DROP CONSTRAINT"
    text = (f"ALTER TABLE comments {drop} comments_user_fk;\n"
            "ALTER TABLE comments ADD CONSTRAINT comments_user_fk FOREIGN KEY (user_id) REFERENCES users (id) "
            "ON DELETE CASCADE;\n"
            f"ALTER TABLE posts {drop} posts_author_fk;\n"
            "ALTER TABLE posts ADD CONSTRAINT posts_author_fk FOREIGN KEY (author_id) REFERENCES users (id) "
            "ON DELETE RESTRICT;\n"
            f"ALTER TABLE comments {drop} comments_post_fk;\n"
            "ALTER TABLE comments ADD CONSTRAINT comments_post_fk FOREIGN KEY (user_id) REFERENCES users (id);\n"
            f"ALTER TABLE posts {drop} no_such_fk;\n"
            "ALTER TABLE posts ADD CONSTRAINT no_such_fk FOREIGN KEY (author_id) REFERENCES users;\n")
    run, issues = import_sql("-", "--db", db.url, input=text)
    assert (run.code, issues) == (2, None)
    restrict = ["error: <stdin>:4: re-create foreign key posts_author_fk on posts with ON DELETE RESTRICT ON UPDATE "
                "NO ACTION: foreign key posts_author_fk on posts already has ON DELETE NO ACTION ON UPDATE NO ACTION "
                "(RESTRICT and NO ACTION are the same on MySQL/MariaDB): nothing to change"] if db.dialect == "mysql" else []
    assert run.errors == [
        "error: <stdin>:2: re-create foreign key comments_user_fk on comments with ON DELETE CASCADE ON UPDATE NO ACTION: "
        "foreign key comments_user_fk on comments already has ON DELETE CASCADE ON UPDATE NO ACTION: nothing to change",
        *restrict,
        "error: <stdin>:6: re-create foreign key comments_post_fk on comments with ON DELETE NO ACTION ON UPDATE NO ACTION: "
        "foreign key comments_post_fk on comments is on (post_id) -> posts (id) in the database, but the finding "
        "re-creates it on (user_id) -> users (id): foreign_key_actions changes the actions only",
        "error: <stdin>:8: re-create foreign key no_such_fk on posts with ON DELETE NO ACTION ON UPDATE NO ACTION: "
        "no foreign key named 'no_such_fk' on posts in the database",
    ]
    if db.dialect == "postgresql":  # PostgreSQL keeps RESTRICT apart from NO ACTION: a real change
        ok, issues = import_sql("-", "--db", db.url, input="\n".join(text.splitlines()[2:4]))
        assert ok.code == 1, ok.output
        assert [(i["name"], i["on_delete"], i["current_on_delete"]) for i in issues] == [
            ("posts_author_fk", "restrict", "no_action")]


def test_lone_drop_of_a_foreign_key_stays_unsupported() -> None:
    text = ("ALTER TABLE posts DROP FOREIGN KEY posts_author_fk;\n"
            "ALTER TABLE posts DROP CONSTRAINT posts_editor_fk, ADD CONSTRAINT posts_editor_uq UNIQUE (editor_id);\n"
            "ALTER TABLE comments ADD CONSTRAINT posts_author_fk FOREIGN KEY (author_id) REFERENCES users (id);\n"
            "ALTER TABLE posts DROP CONSTRAINT posts_x_fk CASCADE;\n")
    run, issues = import_sql("-", "--dialect", "mysql", "--skip-unsupported", input=text)
    assert run.code == 1, run.output
    why = ("spec v1 drops nothing but redundant indexes (a foreign key dropped and re-added under the same name is a "
           "change of its actions) (left out)")
    assert run.errors == [
        f"warning: <stdin>:1: ALTER TABLE posts DROP FOREIGN KEY posts_author_fk: DROP FOREIGN KEY: {why}",
        f"warning: <stdin>:2: ALTER TABLE posts DROP CONSTRAINT posts_editor_fk, ADD CO...: DROP CONSTRAINT: {why}",
        "warning: <stdin>:4: ALTER TABLE posts DROP CONSTRAINT posts_x_fk CASCADE: DROP CONSTRAINT: spec v1 drops nothing "
        "but redundant indexes (left out)",
        "2 issue(s) found"]
    # another table's key of the same name, and a UNIQUE under the dropped name, are additions, not changes
    assert [(i["kind"], i["table"], i["name"]) for i in issues or []] == [
        ("missing_index", "posts", "posts_editor_uq"), ("missing_foreign_key", "comments", "posts_author_fk")]
