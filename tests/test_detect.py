"""`fixgen detect URL` on real PostgreSQL, MariaDB and SQLite databases (no mocks).

Each rule gets a purpose-built schema with its exceptions next to the cases it must find, and
the exact findings are compared. The seed example (examples/seed-before.<dialect>.sql) is
detected and compared with examples/seed-fixes.yaml, and the loop the issue asks for is run
for real: detect -> emit -> apply -> detect finds nothing, and the migration's down restores
the schema exactly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from detect.migrate import Fix, snapshot
from support.dbs import Database
from support.roundtrip import SEED_ISSUES, assert_schema, cli, load_seed

# the seed's foreign keys to users whose names don't say so (seed §4), and §2's execution_id
SEED_REFS = ["--ref", "branch_manager_id=users", "--ref", "department_head_id=users",
             "--ref", "project_manager_id=users", "--ref", "team_lead_id=users",
             "--ref", "hitl_approvals.execution_id=agent_executions"]


def detect(db: Database, *args: str) -> tuple[int, list[dict[str, Any]], str]:
    """Run `fixgen detect URL --format json`; (exit code, issues, stderr)."""
    run = cli("detect", db.url, "--format", "json", *args)
    assert run.exception is None or isinstance(run.exception, SystemExit), run.exception
    issues = json.loads(run.stdout)["issues"] if run.stdout.strip() else []
    return run.code, issues, run.stderr


def brief(issues: list[dict[str, Any]]) -> list[tuple]:
    """What each issue fixes, without its message (asserted separately where it matters)."""
    out = []
    for i in issues:
        what = {k: v for k, v in i.items() if k not in ("kind", "message", "source", "table")}
        out.append((i["kind"], i["table"], what))
    return out


# =========================================================================== fk-without-index


def test_foreign_key_without_index(db: Database) -> None:
    db.execute([
        "CREATE TABLE users (id integer PRIMARY KEY)",
        "CREATE TABLE posts (id integer PRIMARY KEY, user_id integer, editor_id integer, "
        "CONSTRAINT fk_posts_user FOREIGN KEY (user_id) REFERENCES users (id), "
        "CONSTRAINT fk_posts_editor FOREIGN KEY (editor_id) REFERENCES users (id))",
        "CREATE INDEX posts_editor_id_id ON posts (editor_id, id)",  # leads with editor_id: covers it
        # a pivot: the primary key leads with user_id, nothing leads with role_id
        "CREATE TABLE roles (id integer PRIMARY KEY)",
        "CREATE TABLE role_user (user_id integer NOT NULL, role_id integer NOT NULL, PRIMARY KEY (user_id, role_id), "
        "CONSTRAINT fk_ru_user FOREIGN KEY (user_id) REFERENCES users (id), "
        "CONSTRAINT fk_ru_role FOREIGN KEY (role_id) REFERENCES roles (id))",
    ])
    if db.dialect != "mysql":  # a partial index does not count (MariaDB has none)
        db.execute("CREATE INDEX posts_user_partial ON posts (user_id) WHERE id > 0")
    code, issues, stderr = detect(db)
    if db.dialect == "mysql":
        # InnoDB made an index for each foreign key (named after the constraint): nothing to find
        names = {i["name"] for i in db.schema_snapshot()["posts"]["indexes"]}
        assert "fk_posts_user" in names
        assert (code, issues) == (0, [])
        assert stderr == "0 issue(s) found\n"
        return
    assert code == 1
    assert issues == [
        {"kind": "missing_index", "message": "foreign key posts(user_id) -> users has no index leading with (user_id)",
         "source": "fixgen detect: fk-without-index", "table": "posts", "columns": ["user_id"]},
        {"kind": "missing_index", "message": "foreign key role_user(role_id) -> roles has no index leading with (role_id)",
         "source": "fixgen detect: fk-without-index", "table": "role_user", "columns": ["role_id"]},
    ]
    assert stderr == "2 issue(s) found\n"


# =========================================================================== missing-foreign-key


def _reference_schema(db: Database) -> None:
    db.execute([
        "CREATE TABLE users (id integer PRIMARY KEY, name varchar(50))",
        "CREATE TABLE posts (id integer PRIMARY KEY, user_id integer, created_by_user_id integer, "
        "reviewer_id integer, external_id varchar(40), commentable_id integer, commentable_type varchar(50))",
        # parent_id: no table 'parents'; comments.post_id is text, posts.id an integer
        "CREATE TABLE categories (id integer PRIMARY KEY, parent_id integer)",
        "CREATE TABLE comments (id integer PRIMARY KEY, post_id varchar(36))",
        # the table's own single primary key is never a reference
        "CREATE TABLE accounts (account_id integer PRIMARY KEY)",
        # bigint -> integer: PostgreSQL and SQLite accept the key; MySQL wants the same integer type
        "CREATE TABLE orders (id integer PRIMARY KEY, user_id bigint)",
        # already has its key
        "CREATE TABLE likes (id integer PRIMARY KEY, user_id integer, "
        "CONSTRAINT fk_likes_user FOREIGN KEY (user_id) REFERENCES users (id))",
        "CREATE INDEX likes_user_id ON likes (user_id)",
    ])


def _fk(table: str, col: str, how: str = "by its name") -> dict[str, Any]:
    return {"kind": "missing_foreign_key", "message": f"{table}.{col} points to users.id ({how}) but has no foreign key",
            "source": "fixgen detect: missing-foreign-key", "table": table, "columns": [col], "references": "users.id"}


def test_id_columns_without_foreign_key(db: Database) -> None:
    _reference_schema(db)
    code, issues, _ = detect(db)
    orders = [] if db.dialect == "mysql" else [_fk("orders", "user_id")]
    assert code == 1
    assert issues == [*orders, _fk("posts", "created_by_user_id"), _fk("posts", "user_id")]


def test_ref_hint_names_the_target(db: Database) -> None:
    _reference_schema(db)
    code, issues, _ = detect(db, "--ref", "reviewer_id=users", "--ref", "categories.parent_id=categories")
    parent = {"kind": "missing_foreign_key",
              "message": "categories.parent_id points to categories.id (named by --ref) but has no foreign key",
              "source": "fixgen detect: missing-foreign-key", "table": "categories", "columns": ["parent_id"],
              "references": "categories.id"}
    orders = [] if db.dialect == "mysql" else [_fk("orders", "user_id")]
    assert issues == [parent, *orders, _fk("posts", "created_by_user_id"),
                      _fk("posts", "reviewer_id", "named by --ref"), _fk("posts", "user_id")]
    assert code == 1


def test_bad_ref_hint_is_exit_2(db: Database) -> None:
    run = cli("detect", db.url, "--ref", "reviewer_id")
    assert run.code == 2
    assert run.stderr == "error: --ref 'reviewer_id': expected COLUMN=TABLE or TABLE.COLUMN=TABLE\n"


# =========================================================================== redundant-index


def _redundant(table: str, name: str, cols: list[str], message: str, unique: bool = False) -> dict[str, Any]:
    return {"kind": "redundant_index", "message": message, "source": "fixgen detect: redundant-index", "table": table,
            "name": name, "columns": cols, "unique": unique}


def test_redundant_indexes(db: Database) -> None:
    db.execute([
        "CREATE TABLE t (id integer PRIMARY KEY, a integer, b integer, c integer, d varchar(20), "
        "CONSTRAINT uq_c UNIQUE (c))",
        "CREATE INDEX ix_a ON t (a)",  # prefix of ix_ab
        "CREATE INDEX ix_ab ON t (a, b)",
        "CREATE INDEX ix_ab2 ON t (a, b)",  # duplicate of ix_ab: the later name is reported
        "CREATE UNIQUE INDEX uq_a ON t (a)",  # unique: enforces something, ix_ab is not unique
        "CREATE UNIQUE INDEX uq_c2 ON t (c)",  # unique duplicate of uq_c: reported
        "CREATE INDEX ix_id ON t (id)",  # the primary key covers it
        "CREATE INDEX ix_d_a ON t (d, a)",
        "CREATE TABLE child (id integer PRIMARY KEY, t_id integer, "
        "CONSTRAINT fk_child_t FOREIGN KEY (t_id) REFERENCES t (id))",
        "CREATE INDEX ix_child_t ON child (t_id)",  # MySQL: backs the foreign key
        "CREATE INDEX ix_child_t_id ON child (t_id, id)",
    ])
    if db.dialect == "mysql":
        db.execute("CREATE INDEX ix_d5 ON t (d(5))")  # a prefix length: not recreated exactly
    else:
        db.execute(["CREATE INDEX ix_d_part ON t (d) WHERE a > 0",  # partial
                    "CREATE INDEX ix_d_lower ON t (lower(d))"])  # expression
    db.execute("CREATE INDEX ix_d_desc ON t (d DESC)")  # descending: not recreated exactly
    code, issues, _ = detect(db)
    child = [] if db.dialect == "mysql" else [
        _redundant("child", "ix_child_t", ["t_id"], "index child.ix_child_t (t_id) is a leading prefix of "
                   "index ix_child_t_id (t_id, id)")]
    assert issues == [*child,
                      _redundant("t", "ix_a", ["a"], "index t.ix_a (a) is a leading prefix of index ix_ab (a, b)"),
                      _redundant("t", "ix_ab2", ["a", "b"], "index t.ix_ab2 (a, b) duplicates index ix_ab (a, b)"),
                      _redundant("t", "uq_c2", ["c"], "unique index t.uq_c2 (c) duplicates index uq_c (c)", True),
                      _redundant("t", "ix_id", ["id"], "index t.ix_id (id) duplicates the primary key")]
    assert code == 1


# =========================================================================== pivot-timestamps


def test_pivot_with_one_timestamp(db: Database) -> None:
    fks = ("CONSTRAINT fk_{t}_u FOREIGN KEY (user_id) REFERENCES users (id), "
           "CONSTRAINT fk_{t}_r FOREIGN KEY (role_id) REFERENCES roles (id)")
    db.execute([
        "CREATE TABLE users (id integer PRIMARY KEY)",
        "CREATE TABLE roles (id integer PRIMARY KEY)",
        # primary key on the two foreign keys, created_at only: found
        "CREATE TABLE role_user (user_id integer NOT NULL, role_id integer NOT NULL, created_at timestamp NULL, "
        f"PRIMARY KEY (user_id, role_id), {fks.format(t='ru')})",
        # a unique key on the two foreign keys, updated_at only: found
        "CREATE TABLE role_grants (id integer PRIMARY KEY, user_id integer NOT NULL, role_id integer NOT NULL, "
        f"updated_at timestamp NULL, CONSTRAINT uq_rg UNIQUE (user_id, role_id), {fks.format(t='rg')})",
        # neither timestamp: a plain pivot (no withTimestamps()), not a finding
        "CREATE TABLE role_plain (user_id integer NOT NULL, role_id integer NOT NULL, "
        f"PRIMARY KEY (user_id, role_id), {fks.format(t='rp')})",
        # both: fine
        "CREATE TABLE role_full (user_id integer NOT NULL, role_id integer NOT NULL, created_at timestamp NULL, "
        f"updated_at timestamp NULL, PRIMARY KEY (user_id, role_id), {fks.format(t='rf')})",
        # two foreign keys but no key over them: not a pivot
        "CREATE TABLE role_log (id integer PRIMARY KEY, user_id integer NOT NULL, role_id integer NOT NULL, "
        f"created_at timestamp NULL, {fks.format(t='rl')})",
    ])
    for t in ("role_user", "role_grants", "role_plain", "role_full", "role_log"):
        db.execute(f"CREATE INDEX ix_{t}_role ON {t} (role_id)")
    db.execute("CREATE INDEX ix_role_log_user ON role_log (user_id)")  # role_grants: uq_rg leads with user_id
    code, issues, _ = detect(db, "--format", "json")
    assert issues == [
        {"kind": "missing_timestamps", "message": "pivot table role_grants has updated_at but no created_at",
         "source": "fixgen detect: pivot-timestamps", "table": "role_grants"},
        {"kind": "missing_timestamps", "message": "pivot table role_user has created_at but no updated_at",
         "source": "fixgen detect: pivot-timestamps", "table": "role_user"},
    ]
    assert code == 1


# =========================================================================== output and exit codes


def test_clean_schema_exits_0(db: Database) -> None:
    db.execute(["CREATE TABLE users (id integer PRIMARY KEY)",
                "CREATE TABLE posts (id integer PRIMARY KEY, user_id integer, "
                "CONSTRAINT fk_p FOREIGN KEY (user_id) REFERENCES users (id))",
                "CREATE INDEX ix_posts_user ON posts (user_id)"])
    run = cli("detect", db.url, "--format", "table")
    assert (run.code, run.stdout, run.stderr) == (0, "no issues found\n", "0 issue(s) found\n")


def test_exit_zero_and_table_format(sqlite_db: Database) -> None:
    sqlite_db.execute(["CREATE TABLE users (id integer PRIMARY KEY)",
                       "CREATE TABLE posts (id integer PRIMARY KEY, user_id integer)"])
    run = cli("detect", sqlite_db.url, "--format", "table", "--exit-zero")
    assert run.code == 0
    what = "posts.user_id points to users.id (by its name) but has no foreign key"
    assert run.stdout.splitlines() == [  # columns as wide as their widest cell, two spaces apart
        f"{'KIND':<19}  {'TABLE':<5}  {'WHAT':<{len(what)}}  SOURCE",
        f"missing_foreign_key  posts  {what}  fixgen detect: missing-foreign-key",
    ]
    assert run.stderr == "1 issue(s) found\n"


@pytest.mark.parametrize(("url", "error"), [
    ("postgresql://postgres:s3cret@127.0.0.1:1/x", 'error: cannot read postgresql://postgres:***@127.0.0.1:1/x: '
     'connection failed: connection to server at "127.0.0.1", port 1 failed: Connection refused'),
    ("mysql://root:s3cret@127.0.0.1:1/x", "error: cannot read mysql://root:***@127.0.0.1:1/x: (2003, \"Can't connect "
     "to MySQL server on '127.0.0.1' ([Errno 111] Connection refused)\")"),
    ("ftp://example.org/db", "error: unsupported database URL scheme 'ftp': use postgresql://, mysql+pymysql:// or "
     "sqlite:///"),
])
def test_unreachable_or_bad_url_is_exit_2(url: str, error: str) -> None:
    run = cli("detect", url)
    assert (run.code, run.stdout, run.stderr) == (2, "", error + "\n")
    assert "s3cret" not in run.output and "Traceback" not in run.output


def test_missing_sqlite_file_is_exit_2_and_not_created(tmp_path: Path) -> None:
    path = tmp_path / "typo.db"
    run = cli("detect", f"sqlite:///{path}")
    assert (run.code, run.stderr) == (2, f"error: cannot read sqlite:///{path}: no such SQLite database file '{path}'\n")
    assert not path.exists()


def test_unknown_database_is_exit_2(pg_db: Database) -> None:
    url = pg_db.url.rsplit("/", 1)[0] + "/fixgen_no_such_database"
    run = cli("detect", url)
    assert run.code == 2
    assert run.stderr.endswith('FATAL:  database "fixgen_no_such_database" does not exist\n')
    assert len(run.errors) == 1


def test_mysql_url_without_a_database_is_exit_2(mysql_db: Database) -> None:
    url = mysql_db.url.rsplit("/", 1)[0] + "/"
    run = cli("detect", url)
    assert run.code == 2 and "Traceback" not in run.output
    assert run.stderr.endswith("names no database: add it to the URL (mysql://user@host/DB) or pass --schema DB\n")
    run = cli("detect", url, "--schema", mysql_db.name, "--exit-zero")
    assert run.code == 0, run.output


# =========================================================================== the seed example

# What detect finds on examples/seed-before.*.sql with SEED_REFS, by (kind, table, column).
# missing_foreign_key: every *_id column without a key whose table exists (plus the --ref ones);
# missing_index: every existing foreign key no index leads with (none on MySQL: InnoDB made them).
SEED_FOREIGN_KEYS = [
    ("agent_executions", "tenant_id", "tenants"), ("agents", "created_by_user_id", "users"),
    ("agents", "marketplace_listing_id", "marketplace_listings"), ("api_keys", "created_by_user_id", "users"),
    ("api_keys", "tenant_id", "tenants"), ("branches", "branch_manager_id", "users"),
    ("branches", "organization_id", "organizations"), ("departments", "branch_id", "branches"),
    ("departments", "department_head_id", "users"), ("hitl_approvals", "assigned_to_user_id", "users"),
    ("hitl_approvals", "execution_id", "agent_executions"), ("hitl_approvals", "tenant_id", "tenants"),
    ("organizations", "tenant_id", "tenants"), ("projects", "department_id", "departments"),
    ("projects", "project_manager_id", "users"), ("teams", "department_id", "departments"),
    ("teams", "team_lead_id", "users"), ("webhooks", "created_by_user_id", "users"), ("webhooks", "tenant_id", "tenants"),
    ("workflow_executions", "tenant_id", "tenants"), ("workflow_executions", "triggered_by_user_id", "users"),
    ("workflow_executions", "workflow_id", "workflows"), ("workflows", "created_by_user_id", "users"),
    ("workflows", "department_id", "departments"), ("workflows", "organization_id", "organizations"),
    ("workflows", "project_id", "projects"),
]
SEED_FK_INDEXES = [("agent_executions", "agent_id"), ("agents", "tenant_id"), ("hitl_approvals", "agent_id"),
                   ("team_members", "user_id"), ("users", "tenant_id")]


def test_seed_example(db: Database) -> None:
    load_seed(db)
    code, issues, _ = detect(db, *SEED_REFS)
    expected = [("missing_foreign_key", t, {"columns": [c], "references": f"{r}.id"}) for t, c, r in SEED_FOREIGN_KEYS]
    if db.dialect != "mysql":
        expected += [("missing_index", t, {"columns": [c]}) for t, c in SEED_FK_INDEXES]
    assert code == 1
    assert brief(issues) == sorted(expected, key=lambda e: (e[1], e[0], e[2]["columns"]))

    # Compared with examples/seed-fixes.yaml (what the seed's review fixed):
    found = {(i["kind"], i["table"], i["columns"][0]) for i in issues if "columns" in i}
    for seed in SEED_ISSUES:
        kind, table = seed["kind"], seed["table"]
        if kind == "missing_foreign_key":
            # all five found, to the same table; the seed adds ON DELETE CASCADE/SET NULL, which a
            # schema cannot tell, so detect proposes the default (no action)
            assert ("missing_foreign_key", table, seed["columns"][0]) in found, seed["id"]
        elif kind == "missing_index" and len(seed["columns"]) == 1:
            # §5: each column is a *_id without a foreign key: detect proposes the key, whose fix
            # creates the supporting index first. webhooks/api_keys.user_id are named after the
            # seed's rename (§1/§7): detect sees the column as it is, created_by_user_id.
            column = {"user_id": "created_by_user_id"}.get(seed["columns"][0], seed["columns"][0])
            assert ("missing_foreign_key", table, column) in found, seed["id"]
        # Not detectable from a schema, so not found: the §1/§7 renames (the models' naming), the §6
        # composite indexes (query patterns), and the §3 timestamps of team_members (the pivot has
        # neither column; the seed adds them because the model calls withTimestamps()).
    # Found beyond the seed: the remaining *_id columns without keys (the seed's "And more...")
    # and, except on MySQL, the existing foreign keys without an index.


@pytest.mark.filterwarnings(r"ignore:Could not instantiate type")  # SQLite's tinyint(1) reflected by Alembic
def test_detect_emit_apply_detect_is_empty_and_down_restores(db: Database, tmp_path: Path) -> None:
    load_seed(db)
    before = snapshot(db)
    spec = tmp_path / "found.yaml"
    run = cli("detect", db.url, *SEED_REFS, "--out", spec)
    assert run.code == 1, run.output
    assert len(yaml.safe_load(spec.read_text(encoding="utf-8"))["issues"]) == (26 if db.dialect == "mysql" else 31)

    fix = Fix(db, spec, tmp_path)
    fix.up()
    again = cli("detect", db.url, *SEED_REFS, "--format", "table")
    assert (again.code, again.stdout) == (0, "no issues found\n"), again.output
    after = snapshot(db)
    assert len(after["workflows"]["foreign_keys"]) == 4

    fix.down()
    assert_schema(snapshot(db), before, "down after up")
