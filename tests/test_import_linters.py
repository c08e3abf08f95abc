"""`fixgen import schemalint | schemacrawler | active-record-doctor`, end to end on real databases.

schemalint runs for real (the pinned npm project in tests/node) against a fresh
PostgreSQL database; its real stderr and stdout are imported, the fix is emitted and
applied with psql, and schemalint is run again. SchemaCrawler (Java) and
active_record_doctor (Ruby) cannot run here, so their reports are fixtures under
tests/import_linters/ written in the formats their own sources print (see the comments
there and in fixgen/importers/); what is executed is everything after the report:
import, --db resolution against real PostgreSQL and MariaDB, emit, apply, schema check.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import make_url
from support.dbs import Database, unavailable
from support.roundtrip import assert_schema, cli, fixgen_emit, fks_on, index_named, indexes_leading, unique_number

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "import_linters"
SCHEMALINT = HERE / "node" / "node_modules" / "schemalint" / "bin" / "schemalint"
TS = "20261125120000"


def _spec(run_stdout: str) -> list[dict]:
    return yaml.safe_load(run_stdout)["issues"]


def _emit_and_apply(db: Database, spec_text: str, tmp_path: Path) -> Path:
    """`fixgen emit --target sql` of the imported spec, its up run with the database's real client; returns the down."""
    spec = tmp_path / f"imported_{unique_number()}.yaml"
    spec.write_text(spec_text, encoding="utf-8")
    out = tmp_path / f"out_{unique_number()}"
    fixgen_emit(spec, "sql", out, "--dialect", db.dialect, timestamp=TS)
    [up] = sorted(out.glob(f"{TS}_*.up.sql"))
    [down] = sorted(out.glob(f"{TS}_*.down.sql"))
    db.run_sql_file(up)
    return down


# --------------------------------------------------------------------------- schemalint (real)

SCHEMALINT_SCHEMA = [
    "CREATE TABLE users (id serial PRIMARY KEY, name text)",
    "CREATE TABLE posts (id serial PRIMARY KEY, author_id int REFERENCES users (id), editor_id int, title varchar(20))",
    "ALTER TABLE posts ADD CONSTRAINT posts_editor_fk FOREIGN KEY (editor_id) REFERENCES users (id) ON DELETE CASCADE",
    "CREATE TABLE tags (a int, b int, PRIMARY KEY (a, b))",
    "CREATE TABLE post_tags (post_id int REFERENCES posts (id) ON DELETE SET NULL, ta int, tb int, "
    "FOREIGN KEY (ta, tb) REFERENCES tags (a, b))",
]
SCHEMALINT_RULES = """{
    "index-referencing-column": ["error"],
    "reference-actions": ["error", { onDelete: "CASCADE" }],
    "prefer-text-to-varchar": ["error"],
  }"""


def _schemalint(db: Database, directory: Path, merged: bool = False, rules: str = SCHEMALINT_RULES
                ) -> subprocess.CompletedProcess[str]:
    """Run the real schemalint with a .schemalintrc.js for `db` in `directory`."""
    node = shutil.which("node")
    if node is None or not SCHEMALINT.is_file():
        unavailable(f"schemalint needs node and {SCHEMALINT} (cd tests/node && npm ci)")
    url = make_url(db.url)
    conn = {"host": url.host or "127.0.0.1", "port": url.port or 5432, "user": url.username or "postgres",
            "database": db.name, **({"password": url.password} if url.password else {})}
    directory.mkdir(parents=True, exist_ok=True)
    (directory / ".schemalintrc.js").write_text(
        f"module.exports = {{\n  connection: {conn!r},\n  schemas: [{{ name: 'public' }}],\n"
        f"  rules: {rules},\n}};\n".replace("'", '"'), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}
    return subprocess.run([node, str(SCHEMALINT)], cwd=directory, capture_output=not merged, text=True, env=env,
                          timeout=120, **({"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT} if merged else {}))


SCHEMALINT_INDEX_LINES = [
    "public.posts.posts_author_id_fkey: error index-referencing-column : No index found on referencing column(s) author_id",
    "public.posts.posts_editor_fk: error index-referencing-column : No index found on referencing column(s) editor_id",
    "public.post_tags.post_tags_post_id_fkey: error index-referencing-column : "
    "No index found on referencing column(s) post_id",
    "public.post_tags.post_tags_ta_tb_fkey: error index-referencing-column : No index found on referencing column(s) ta, tb",
]
SCHEMALINT_ACTION_LINES = [
    'public.posts.posts_author_id_fkey: error reference-actions : Reference action ON DELETE expected to be "CASCADE" '
    'but got "NO ACTION"',
    'public.post_tags.post_tags_post_id_fkey: error reference-actions : Reference action ON DELETE expected to be '
    '"CASCADE" but got "SET NULL"',
    'public.post_tags.post_tags_ta_tb_fkey: error reference-actions : Reference action ON DELETE expected to be "CASCADE" '
    'but got "NO ACTION"',
]
SCHEMALINT_VARCHAR_LINE = "public.posts.title: error prefer-text-to-varchar : Prefer text to varchar types"
SCHEMALINT_ISSUES = [
    {"kind": "missing_index", "message": f"index-referencing-column on {line.split(': error', 1)[0]}: "
                                         f"{line.split(' : ', 1)[1]}",
     "source": "schemalint", "table": line.split(".")[1],
     "columns": line.rsplit("column(s) ", 1)[1].split(", ")}
    for line in SCHEMALINT_INDEX_LINES]


def _fk_actions(line: str, columns: list[str], references: object, current_on_delete: str) -> dict:
    """The foreign_key_actions issue of one reference-actions line (ON DELETE only: ON UPDATE stays NO ACTION)."""
    ident, message = line.split(": error reference-actions : ")
    return {"kind": "foreign_key_actions", "message": f"reference-actions on {ident}: {message}", "source": "schemalint",
            "table": ident.split(".")[1], "name": ident.split(".")[2], "columns": columns, "references": references,
            "on_delete": "cascade", "on_update": "no_action", "current_on_delete": current_on_delete,
            "current_on_update": "no_action"}


SCHEMALINT_FK_ISSUES = [
    _fk_actions(SCHEMALINT_ACTION_LINES[0], ["author_id"], "users.id", "no_action"),
    _fk_actions(SCHEMALINT_ACTION_LINES[1], ["post_id"], "posts.id", "set_null"),
    _fk_actions(SCHEMALINT_ACTION_LINES[2], ["ta", "tb"], {"table": "tags", "columns": ["a", "b"]}, "no_action"),
]
SCHEMALINT_REPLACE_FK = [
    'ALTER TABLE "public"."posts" DROP CONSTRAINT "posts_author_id_fkey", ADD CONSTRAINT "posts_author_id_fkey" '
    'FOREIGN KEY ("author_id") REFERENCES "users"("id") ON UPDATE NO ACTION ON DELETE CASCADE;',
    'ALTER TABLE "public"."post_tags" DROP CONSTRAINT "post_tags_post_id_fkey", ADD CONSTRAINT '
    '"post_tags_post_id_fkey" FOREIGN KEY ("post_id") REFERENCES "posts"("id") ON UPDATE NO ACTION ON DELETE CASCADE;',
    'ALTER TABLE "public"."post_tags" DROP CONSTRAINT "post_tags_ta_tb_fkey", ADD CONSTRAINT "post_tags_ta_tb_fkey" '
    'FOREIGN KEY ("ta", "tb") REFERENCES "tags"("a", "b") ON UPDATE NO ACTION ON DELETE CASCADE;',
]


def _sorted_issues(issues: list[dict]) -> list[dict]:
    return sorted(issues, key=lambda i: (i["kind"], i["table"], i["columns"]))


def _without_messages(issues: list[dict]) -> list[dict]:
    return [{k: v for k, v in i.items() if k != "message"} for i in issues]


def _schemalint_run(pg_db: Database, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """The real schemalint on SCHEMALINT_SCHEMA, its output checked line by line (what the importer is fed)."""
    run = _schemalint(pg_db, tmp_path / "lint")
    assert run.returncode == 1, run.stdout + run.stderr
    # what schemalint 2.3.2 really prints, stream by stream
    assert sorted(run.stderr.splitlines()) == sorted(SCHEMALINT_INDEX_LINES + SCHEMALINT_ACTION_LINES
                                                     + [SCHEMALINT_VARCHAR_LINE])
    out = run.stdout.splitlines()
    assert out[:4] == ["schema-lint", f"Connecting to {pg_db.name} on 127.0.0.1", "", "Suggested fix"]
    assert sorted(out[4:]) == sorted([
        'CREATE INDEX ON "public"."posts" ("author_id");',
        'CREATE INDEX ON "public"."posts" ("editor_id");',
        'CREATE INDEX ON "public"."post_tags" ("post_id");',
        'CREATE INDEX ON "public"."post_tags" ("ta", "tb");',
        *SCHEMALINT_REPLACE_FK,
        'ALTER TABLE "public"."posts" ALTER COLUMN "title" TYPE TEXT;',
    ])
    return run


def test_schemalint_real_output_imports_to_the_exact_spec(pg_db: Database, tmp_path: Path) -> None:
    pg_db.execute(SCHEMALINT_SCHEMA)
    run = _schemalint_run(pg_db, tmp_path)
    merged = _schemalint(pg_db, tmp_path / "lint", merged=True)
    assert merged.returncode == 1

    # every way people hand the two streams over gives the same spec
    inputs = {"stderr+stdout": run.stderr + run.stdout, "stdout+stderr": run.stdout + run.stderr,
              "2>&1": merged.stdout}
    lines = run.stderr.splitlines()
    varchar_n = lines.index(SCHEMALINT_VARCHAR_LINE) + 1
    for how, text in inputs.items():
        imported = cli("import", "schemalint", "-", "--skip-unsupported", input=text)
        assert imported.code == 1, (how, imported.output)
        assert _sorted_issues(_spec(imported.stdout)) == _sorted_issues(SCHEMALINT_ISSUES + SCHEMALINT_FK_ISSUES), how
        warned = [line for line in imported.errors if line.startswith("warning:")]
        assert len(warned) == 1 and "prefer-text-to-varchar" in warned[0], (how, warned)
    # without --skip-unsupported: refused, the one unsupported finding named with its line and reason
    refused = cli("import", "schemalint", "-", input=inputs["stderr+stdout"])
    assert refused.code == 2 and refused.stdout == ""
    assert refused.errors == [
        f"error: <stdin>:{varchar_n}: prefer-text-to-varchar on public.posts.title: Prefer text to varchar types: "
        "fixgen has no fix kind for schemalint rule prefer-text-to-varchar",
        "error: nothing written: fixgen cannot express these as fixes (--skip-unsupported to leave them out)"]

    # stderr alone: the finding lines lack each key's columns, referenced table and current ON UPDATE
    alone = cli("import", "schemalint", "-", "--skip-unsupported", input=run.stderr)
    assert alone.code == 2 and alone.stdout == ""
    assert [e for e in alone.errors if e.startswith("error:")] == [
        f"error: <stdin>:{lines.index(line) + 1}: reference-actions on {line.split(': error', 1)[0]}: "
        f"{line.split(' : ', 1)[1]}: the spec needs its columns and referenced table, and its current ON UPDATE action, "
        "which schemalint's output does not give: pass schemalint's stdout too (its Suggested fix block has them), "
        "or give --db URL to read them"
        for line in sorted(SCHEMALINT_ACTION_LINES, key=lines.index)]
    # ... which --db supplies: the same spec as with both streams
    filled = cli("import", "schemalint", "-", "--skip-unsupported", "--db", pg_db.url, input=run.stderr)
    assert filled.code == 1, filled.output
    assert _sorted_issues(_spec(filled.stdout)) == _sorted_issues(SCHEMALINT_ISSUES + SCHEMALINT_FK_ISSUES)

    # stdout alone: the suggested SQL gives the index fixes and the wanted actions, not the current ones ...
    out, Q = run.stdout.splitlines(), '"'
    stdout_only = cli("import", "schemalint", "-", "--skip-unsupported", input=run.stdout)
    assert stdout_only.code == 2 and stdout_only.stdout == ""
    assert [e for e in stdout_only.errors if e.startswith("error:")] == [
        f"error: <stdin>:{out.index(sql) + 1}: reference-actions suggested fix for public.{sql.split(Q)[3]}."
        f"{sql.split(Q)[5]}: ON DELETE CASCADE ON UPDATE NO ACTION: the spec needs its current ON DELETE and ON UPDATE "
        "actions, which schemalint's output does not give: pass schemalint's stderr too (2>&1), or give --db URL to read them"
        for sql in sorted(SCHEMALINT_REPLACE_FK, key=out.index)]
    # ... which --db gives: the same fixes
    from_db = cli("import", "schemalint", "-", "--skip-unsupported", "--db", pg_db.url, input=run.stdout)
    assert from_db.code == 1, from_db.output
    assert _without_messages(_sorted_issues(_spec(from_db.stdout))) == \
        _without_messages(_sorted_issues(SCHEMALINT_ISSUES + SCHEMALINT_FK_ISSUES))


def test_schemalint_fixes_apply_and_lint_clean_then_down_restores(pg_db: Database, tmp_path: Path) -> None:
    pg_db.execute(SCHEMALINT_SCHEMA)
    before = pg_db.schema_snapshot()
    run = _schemalint_run(pg_db, tmp_path)
    imported = cli("import", "schemalint", "-", "--skip-unsupported", input=run.stderr + run.stdout)
    assert imported.code == 1, imported.output

    down = _emit_and_apply(pg_db, imported.stdout, tmp_path)
    s = pg_db.schema_snapshot()
    for issue in SCHEMALINT_ISSUES:
        assert len(indexes_leading(s, issue["table"], issue["columns"])) == 1, issue
    for issue in SCHEMALINT_FK_ISSUES:
        [fk] = fks_on(s, issue["table"], issue["columns"])
        assert (fk["name"], fk["on_delete"], fk["on_update"], fk["valid"]) == \
            (issue["name"], "CASCADE", "NO ACTION", True), fk
    again = _schemalint(pg_db, tmp_path / "lint")
    assert again.returncode == 1  # prefer-text-to-varchar remains: fixgen left it alone
    assert again.stderr.splitlines() == [SCHEMALINT_VARCHAR_LINE]

    pg_db.run_sql_file(down)
    assert_schema(pg_db.schema_snapshot(), before, "after down")
    assert sorted(_schemalint(pg_db, tmp_path / "lint").stderr.splitlines()) == sorted(run.stderr.splitlines())


# both actions of one key checked: two finding lines for posts_author_id_fkey, merged into one issue
UPDATE_SCHEMA = [
    "CREATE TABLE users (id int PRIMARY KEY)",
    "CREATE TABLE posts (id int PRIMARY KEY, author_id int REFERENCES users (id) ON UPDATE SET NULL, editor_id int, "
    "CONSTRAINT posts_editor_fk FOREIGN KEY (editor_id) REFERENCES users (id) ON DELETE CASCADE)",
]
UPDATE_RULES = '{ "reference-actions": ["error", { onDelete: "CASCADE", onUpdate: "CASCADE" }] }'
UPDATE_LINES = [
    'public.posts.posts_author_id_fkey: error reference-actions : Reference action ON UPDATE expected to be "CASCADE" '
    'but got "SET NULL"',
    'public.posts.posts_author_id_fkey: error reference-actions : Reference action ON DELETE expected to be "CASCADE" '
    'but got "NO ACTION"',
    'public.posts.posts_editor_fk: error reference-actions : Reference action ON UPDATE expected to be "CASCADE" '
    'but got "NO ACTION"',
]


def test_schemalint_on_update_and_on_delete_of_one_key_merge(pg_db: Database, tmp_path: Path) -> None:
    pg_db.execute(UPDATE_SCHEMA)
    before = pg_db.schema_snapshot()
    run = _schemalint(pg_db, tmp_path / "lint", rules=UPDATE_RULES)
    assert run.returncode == 1, run.stdout + run.stderr
    assert run.stderr.splitlines() == UPDATE_LINES
    assert run.stdout.splitlines()[4:] == [
        'ALTER TABLE "public"."posts" DROP CONSTRAINT "posts_author_id_fkey", ADD CONSTRAINT "posts_author_id_fkey" '
        'FOREIGN KEY ("author_id") REFERENCES "users"("id") ON UPDATE CASCADE ON DELETE CASCADE;'] * 2 + [
        'ALTER TABLE "public"."posts" DROP CONSTRAINT "posts_editor_fk", ADD CONSTRAINT "posts_editor_fk" '
        'FOREIGN KEY ("editor_id") REFERENCES "users"("id") ON UPDATE CASCADE ON DELETE CASCADE;']
    said = [f"reference-actions on {line.split(': error', 1)[0]}: {line.split(' : ', 1)[1]}" for line in UPDATE_LINES]
    expected = [
        {"kind": "foreign_key_actions", "message": f"{said[0]}; {said[1]}", "source": "schemalint", "table": "posts",
         "name": "posts_author_id_fkey", "columns": ["author_id"], "references": "users.id", "on_delete": "cascade",
         "on_update": "cascade", "current_on_delete": "no_action", "current_on_update": "set_null"},
        {"kind": "foreign_key_actions", "message": said[2], "source": "schemalint", "table": "posts",
         "name": "posts_editor_fk", "columns": ["editor_id"], "references": "users.id", "on_delete": "cascade",
         "on_update": "cascade", "current_on_delete": "cascade", "current_on_update": "no_action"},
    ]
    both = cli("import", "schemalint", "-", input=run.stderr + run.stdout)
    assert both.code == 1, both.output
    assert _spec(both.stdout) == expected
    # stderr alone: the key's definition, and posts_editor_fk's unchecked ON DELETE, come from --db
    no_db = cli("import", "schemalint", "-", input=run.stderr)
    assert no_db.errors == [
        f"error: <stdin>:1: {said[0]}; {said[1]}: the spec needs its columns and referenced table, which schemalint's "
        "output does not give: pass schemalint's stdout too (its Suggested fix block has them), or give --db URL to read them",
        f"error: <stdin>:3: {said[2]}: the spec needs its columns and referenced table, and its current ON DELETE action, "
        "which schemalint's output does not give: pass schemalint's stdout too (its Suggested fix block has them), "
        "or give --db URL to read them"]
    with_db = cli("import", "schemalint", "-", "--db", pg_db.url, input=run.stderr)
    assert with_db.code == 1, with_db.output
    assert _spec(with_db.stdout) == expected

    down = _emit_and_apply(pg_db, both.stdout, tmp_path)
    s = pg_db.schema_snapshot()
    assert [(fk["name"], fk["on_delete"], fk["on_update"]) for fk in s["posts"]["foreign_keys"]] == [
        ("posts_author_id_fkey", "CASCADE", "CASCADE"), ("posts_editor_fk", "CASCADE", "CASCADE")]
    clean = _schemalint(pg_db, tmp_path / "lint", rules=UPDATE_RULES)
    assert (clean.returncode, clean.stderr) == (0, ""), clean.stdout + clean.stderr
    pg_db.run_sql_file(down)
    assert_schema(pg_db.schema_snapshot(), before, "after down")
    assert _schemalint(pg_db, tmp_path / "lint", rules=UPDATE_RULES).stderr.splitlines() == UPDATE_LINES


def test_schemalint_garbage_and_failures_are_refused() -> None:
    garbage = cli("import", "schemalint", "-", input="hello\nworld\n")
    assert garbage.code == 2
    assert garbage.errors == ["error: <stdin>:1: not schemalint output: 'hello'",
                              "error: <stdin>:2: not schemalint output: 'world'"]
    crashed = "schema-lint\nConnecting to nope on 127.0.0.1\nError: connect ECONNREFUSED 127.0.0.1:1\n"
    failed = cli("import", "schemalint", "-", input=crashed)
    assert failed.code == 2
    assert failed.errors == ["error: <stdin>:3: not schemalint output: 'Error: connect ECONNREFUSED 127.0.0.1:1'"]
    clean = cli("import", "schemalint", "-", input="schema-lint\nConnecting to db on 127.0.0.1\nNo issues detected\n")
    assert clean.code == 0 and clean.stdout == "version: 1\nissues: []\n" and clean.errors == ["0 issue(s) found"]


# --------------------------------------------------------------------------- SchemaCrawler (fixture)

# comments.ix_comments_post is a prefix of ix_comments_post_user: SchemaCrawler's LinterRedundantIndexes;
# posts.author_id has a foreign key and no index: LinterForeignKeyWithNoIndexes (on MariaDB InnoDB adds one itself).
CRAWLED_SCHEMA = [
    "CREATE TABLE users (id int PRIMARY KEY)",
    "CREATE TABLE posts (id int PRIMARY KEY, author_id int, title varchar(20), "
    "CONSTRAINT posts_author_id_fkey FOREIGN KEY (author_id) REFERENCES users (id))",
    "CREATE TABLE comments (id int PRIMARY KEY, post_id int, user_id int)",
    "CREATE INDEX ix_comments_post ON comments (post_id)",
    "CREATE INDEX ix_comments_post_user ON comments (post_id, user_id)",
]
SC_REPORT = FIXTURES / "schemacrawler-lints.json"
SC_UNSUPPORTED = [
    "error: {f}:12: LinterColumnTypes: column with same name but different data types on catalog: title [VARCHAR, TEXT]: "
    "fixgen has no fix kind for this SchemaCrawler linter",
    "error: {f}:36: LinterTableWithNoRemarks: should have remarks on public.comments: "
    "fixgen has no fix kind for this SchemaCrawler linter",
    "error: {f}:60: LinterTableEmpty: empty table on public.posts: fixgen has no fix kind for this SchemaCrawler linter",
    "error: nothing written: fixgen cannot express these as fixes (--skip-unsupported to leave them out)",
]
SC_MISSING = [
    "error: {f}:24: redundant index on public.comments: public.comments.ix_comments_post: SchemaCrawler names index "
    "ix_comments_post but not its columns: give --db URL to read them from the database",
    "error: {f}:48: foreign key with no index on public.posts: public.posts.posts_author_id_fkey: SchemaCrawler names "
    "foreign key posts_author_id_fkey but not its columns: give --db URL to read them from the database",
]


def _report_for(db: Database, tmp_path: Path) -> Path:
    """The fixture as SchemaCrawler names things on this database (MySQL: the database is the catalog)."""
    if db.dialect == "postgresql":
        return SC_REPORT
    path = tmp_path / "schemacrawler-lints.json"
    path.write_text(SC_REPORT.read_text(encoding="utf-8").replace('"public.', f'"{db.name}.')
                    .replace('null, "public"', f'"{db.name}", null'), encoding="utf-8")
    return path


def test_schemacrawler_without_db_names_what_is_missing() -> None:
    refused = cli("import", "schemacrawler", SC_REPORT)
    assert refused.code == 2 and refused.stdout == ""
    assert refused.errors == [e.format(f=SC_REPORT) for e in SC_UNSUPPORTED]
    missing = cli("import", "schemacrawler", SC_REPORT, "--skip-unsupported")
    assert missing.code == 2 and missing.stdout == ""
    assert [e for e in missing.errors if e.startswith("error:")] == [e.format(f=SC_REPORT) for e in SC_MISSING]


@pytest.mark.parametrize("db", ["postgresql", "mysql"], indirect=True)
def test_schemacrawler_db_fills_columns_then_fix_applies(db: Database, tmp_path: Path) -> None:
    db.execute(CRAWLED_SCHEMA)
    report = _report_for(db, tmp_path)
    run = cli("import", "schemacrawler", report, "--skip-unsupported", "--db", db.url)
    assert run.code == 1, run.output
    name = "public" if db.dialect == "postgresql" else db.name
    assert _spec(run.stdout) == [
        {"kind": "redundant_index", "message": f"redundant index on {name}.comments: {name}.comments.ix_comments_post",
         "source": "schemacrawler", "table": "comments", "name": "ix_comments_post", "columns": ["post_id"]},
        {"kind": "missing_index", "message": f"foreign key with no index on {name}.posts: {name}.posts.posts_author_id_fkey",
         "source": "schemacrawler", "table": "posts", "columns": ["author_id"]},
    ]
    before = db.schema_snapshot()
    _emit_and_apply(db, run.stdout, tmp_path)
    after = db.schema_snapshot()
    assert index_named(after, "comments", "ix_comments_post") is None
    assert index_named(after, "comments", "ix_comments_post_user") is not None
    assert len(indexes_leading(after, "posts", ["author_id"])) == 1
    assert fks_on(after, "posts", ["author_id"]) == fks_on(before, "posts", ["author_id"])


def test_schemacrawler_bare_names_of_older_releases_and_garbage() -> None:
    # SchemaCrawler 16.2.4 printed the bare name as the value (commandlineLintReportAsJson.txt)
    old = SC_REPORT.read_text(encoding="utf-8").replace('"value" : "public.posts.posts_author_id_fkey"',
                                                        '"value" : "posts_author_id_fkey"')
    run = cli("import", "schemacrawler", "-", "--skip-unsupported", input=old)
    assert "error: <stdin>:48: foreign key with no index on public.posts: posts_author_id_fkey: SchemaCrawler names " \
           "foreign key posts_author_id_fkey but not its columns: give --db URL to read them from the database" in run.errors
    assert cli("import", "schemacrawler", "-", input="not json").errors == [
        "error: <stdin>:1: not JSON, so not a SchemaCrawler lint report: Expecting value: line 1 column 1 (char 0)"]
    assert cli("import", "schemacrawler", "-", input='{"table_lints": []}').errors == [
        'error: <stdin>: not a SchemaCrawler lint report: expected an object with a "lints" list '
        "(schemacrawler --command=lint --output-format=json)"]
    assert cli("import", "schemacrawler", "-", input='{"lints": []}').code == 0


# --------------------------------------------------------------------------- active_record_doctor (fixture)

ARD_REPORT = FIXTURES / "active-record-doctor.txt"
ARD_SCHEMA = [
    "CREATE TABLE users (id int PRIMARY KEY, email varchar(255))",
    "CREATE TABLE companies (id int PRIMARY KEY, name varchar(50))",
    "CREATE TABLE tags (id int PRIMARY KEY, created_on timestamp NULL)",
    "CREATE TABLE posts (id int PRIMARY KEY, author_id int, editor_id int, title varchar(50))",
    "CREATE TABLE comments (id int PRIMARY KEY, user_id int, post_id int, commentable_type varchar(50), commentable_id int)",
    "CREATE INDEX ix_comments_post ON comments (post_id)",
    "CREATE INDEX ix_comments_post_user ON comments (post_id, user_id)",
]
ARD_LINES = ARD_REPORT.read_text(encoding="utf-8").splitlines()


def _ard_issues(editor_ref: str = "users") -> list[dict]:
    add_ts = ("add created_at and updated_at columns to companies")
    return [
        {"kind": "missing_index", "message": ARD_LINES[0], "source": "active_record_doctor", "table": "posts",
         "columns": ["author_id"]},
        {"kind": "missing_index", "message": ARD_LINES[1], "source": "active_record_doctor", "table": "comments",
         "columns": ["commentable_type", "commentable_id"]},
        {"kind": "missing_index", "message": ARD_LINES[2], "source": "active_record_doctor", "table": "users",
         "columns": ["email"], "unique": True},
        {"kind": "missing_foreign_key", "message": ARD_LINES[3], "source": "active_record_doctor", "table": "comments",
         "columns": ["user_id"], "references": "users.id"},
        {"kind": "missing_foreign_key", "message": ARD_LINES[4], "source": "active_record_doctor", "table": "posts",
         "columns": ["editor_id"], "references": f"{editor_ref}.id"},
        {"kind": "missing_timestamps", "message": add_ts, "source": "active_record_doctor", "table": "companies"},
        {"kind": "missing_column", "message": "add a updated_at column to tags", "source": "active_record_doctor",
         "table": "tags", "column": "updated_at", "type": "timestamp", "nullable": True},
        {"kind": "redundant_index", "message": ARD_LINES[8], "source": "active_record_doctor", "table": "comments",
         "name": "ix_comments_post", "columns": ["post_id"]},
    ]


def test_active_record_doctor_without_db_names_what_is_missing() -> None:
    refused = cli("import", "active-record-doctor", ARD_REPORT)
    assert refused.code == 2
    assert refused.errors == [
        f"error: {ARD_REPORT}:10: missing_non_null_constraint: {ARD_LINES[9]}: fixgen has no fix kind that changes nullability",
        f"error: {ARD_REPORT}:11: missing_presence_validation: {ARD_LINES[10]}: a model validation, not a schema change",
        "error: nothing written: fixgen cannot express these as fixes (--skip-unsupported to leave them out)",
    ]
    missing = cli("import", "active-record-doctor", ARD_REPORT, "--skip-unsupported")
    assert missing.code == 2 and missing.stdout == ""
    assert [e for e in missing.errors if e.startswith("error:")] == [
        f"error: {ARD_REPORT}:4: {ARD_LINES[3]}: the line does not say which table comments.user_id points to: "
        "give --db URL to guess it by name, or --ref user_id=TABLE with --db",
        f"error: {ARD_REPORT}:5: {ARD_LINES[4]}: the line does not say which table posts.editor_id points to: "
        "give --db URL to guess it by name, or --ref editor_id=TABLE with --db",
        f"error: {ARD_REPORT}:9: {ARD_LINES[8]}: the line names index ix_comments_post but not its table or columns: "
        "give --db URL to read them",
    ]


@pytest.mark.parametrize("db", ["postgresql", "mysql"], indirect=True)
def test_active_record_doctor_db_and_ref_resolve_then_fix_applies(db: Database, tmp_path: Path) -> None:
    db.execute(ARD_SCHEMA)
    # editor_id names no table: --db alone cannot guess it, and says how to name it
    guess = cli("import", "active-record-doctor", ARD_REPORT, "--skip-unsupported", "--db", db.url)
    assert guess.code == 2
    assert [e for e in guess.errors if e.startswith("error:")] == [
        f"error: {ARD_REPORT}:5: {ARD_LINES[4]}: no table in the database matches posts.editor_id by name; "
        "name it with --ref editor_id=TABLE"]
    run = cli("import", "active-record-doctor", ARD_REPORT, "--skip-unsupported", "--db", db.url, "--ref", "editor_id=users")
    assert run.code == 1, run.output
    assert _spec(run.stdout) == _ard_issues()

    _emit_and_apply(db, run.stdout, tmp_path)
    s = db.schema_snapshot()
    assert len(indexes_leading(s, "posts", ["author_id"])) == 1
    assert len(indexes_leading(s, "comments", ["commentable_type", "commentable_id"])) == 1
    assert [ix["unique"] for ix in indexes_leading(s, "users", ["email"])] == [True]
    for table, col in (("comments", "user_id"), ("posts", "editor_id")):
        [fk] = fks_on(s, table, [col])
        assert (fk["referred_table"], fk["referred_columns"]) == ("users", ["id"])
    assert [c["name"] for c in s["companies"]["columns"]] == ["id", "name", "created_at", "updated_at"]
    assert [c["name"] for c in s["tags"]["columns"]] == ["id", "created_on", "updated_at"]
    assert index_named(s, "comments", "ix_comments_post") is None
    assert index_named(s, "comments", "ix_comments_post_user") is not None


def test_active_record_doctor_garbage_is_refused_and_empty_is_clean() -> None:
    garbage = cli("import", "active-record-doctor", "-", input="<html>\nnope\n")
    assert garbage.code == 2
    assert garbage.errors == ["error: <stdin>:1: not an active_record_doctor report line: '<html>'",
                              "error: <stdin>:2: not an active_record_doctor report line: 'nope'"]
    clean = cli("import", "active-record-doctor", "-", input="")
    assert clean.code == 0 and clean.errors == ["0 issue(s) found"]
