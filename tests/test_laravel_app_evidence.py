"""Models as evidence (issue 13): `detect --laravel-app` proposes the foreign keys the relations imply, and
`fixgen models` follows a receiver typed as an abstract parent model to every model extending it.

tests/laravel_app_evidence is an app whose keys no column name gives away: an abstract `Entity` (no table)
with `creator`/`editor`/`owner` (created_by, updated_by, owned_by) and a `comments` hasMany on Laravel's
default key, extended by `Page` and by `Post` (`$table = 'blog_posts'`); a trait with `deleter`
(deleted_by); a composite-primary-key pivot with custom keys (page_editors) and one with Laravel's default
name and keys (role_user); a hasMany with an explicit key (uploaded_to); a hasManyThrough; `Category` with a
custom `$table` and `$primaryKey`; a morphTo and a morphOne (skipped); a model on another connection (skipped);
and relations the database cannot take as foreign keys (a string column, a non-unique target, a missing
column, on MariaDB a signed column to an unsigned key). The schema below is created in real SQLite,
PostgreSQL and MariaDB; the loop is run for real: detect -> emit --target sql -> the client -> detect.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support.dbs import Database
from support.laravel import php_binary, php_lint, require_laravel
from support.roundtrip import ROOT, cli, write_spec
from support.sql import emit

from fixgen.dbschema import load_schema
from fixgen.laravel_app.evidence import implied_keys, types_compatible
from fixgen.laravel_app.models import load_app

APP = ROOT / "tests" / "laravel_app_evidence"
APP_SOURCE = "laravel app: "

# id: a primary key; ref: a column holding one; signed: MariaDB's BIGINT next to the keys' BIGINT UNSIGNED
TYPES = {
    "sqlite": {"id": "INTEGER", "ref": "INTEGER", "signed": "INTEGER"},
    "postgresql": {"id": "BIGINT", "ref": "BIGINT", "signed": "BIGINT"},
    "mysql": {"id": "BIGINT UNSIGNED", "ref": "BIGINT UNSIGNED", "signed": "BIGINT"},
}
SCHEMA = [
    "CREATE TABLE users (id {id} PRIMARY KEY, name VARCHAR(100), email VARCHAR(100))",
    "CREATE TABLE roles (id {id} PRIMARY KEY, name VARCHAR(100))",
    "CREATE TABLE role_user (role_id {ref} NOT NULL, user_id {ref} NOT NULL, PRIMARY KEY (role_id, user_id))",
    "CREATE TABLE organizations (id {id} PRIMARY KEY, name VARCHAR(100))",
    "CREATE TABLE teams (id {id} PRIMARY KEY, name VARCHAR(100))",
    "CREATE TABLE page_categories (cat_id {id} PRIMARY KEY, name VARCHAR(100))",
    "CREATE TABLE pages (id {id} PRIMARY KEY, title VARCHAR(200), category_id {ref}, created_by {ref},"
    " updated_by {ref}, owned_by {ref}, deleted_by {ref}, reviewed_by VARCHAR(20), approved_by {signed},"
    " contact_email VARCHAR(100))",
    "CREATE TABLE blog_posts (id {id} PRIMARY KEY, title VARCHAR(200), created_by {ref}, updated_by {ref},"
    " owned_by {ref}, team_id {ref}, CONSTRAINT blog_posts_owned_by_foreign FOREIGN KEY (owned_by) REFERENCES users (id))",
    "CREATE TABLE page_editors (page_ref {ref} NOT NULL, editor_ref {ref} NOT NULL, PRIMARY KEY (page_ref, editor_ref))",
    "CREATE TABLE attachments (id {id} PRIMARY KEY, uploaded_to {ref}, attachable_type VARCHAR(100),"
    " attachable_id {ref}, path VARCHAR(200))",
    "CREATE TABLE comments (id {id} PRIMARY KEY, page_id {ref}, post_id {ref}, author_id {ref}, moderator_id {ref},"
    " body TEXT)",
    "CREATE TABLE audit_entries (id {id} PRIMARY KEY, actor_ref {ref})",
    "INSERT INTO users (id, name, email) VALUES (1, 'ann', 'ann@example.com'), (2, 'bob', 'bob@example.com')",
    "INSERT INTO roles (id, name) VALUES (1, 'admin')",
    "INSERT INTO role_user (role_id, user_id) VALUES (1, 1)",
    "INSERT INTO organizations (id, name) VALUES (7, 'acme')",
    "INSERT INTO page_categories (cat_id, name) VALUES (3, 'docs')",
    "INSERT INTO pages (id, title, category_id, created_by, updated_by, owned_by, deleted_by, approved_by)"
    " VALUES (10, 'home', 3, 1, 2, 1, NULL, 2), (11, 'about', NULL, 2, 2, 2, 1, NULL)",
    "INSERT INTO blog_posts (id, title, created_by, updated_by, owned_by, team_id) VALUES (20, 'hello', 1, 1, 1, 7)",
    "INSERT INTO page_editors (page_ref, editor_ref) VALUES (10, 2)",
    "INSERT INTO attachments (id, uploaded_to, attachable_type, attachable_id, path)"
    " VALUES (30, 10, 'App\\Models\\User', 1, 'a.png')",
    "INSERT INTO comments (id, page_id, post_id, author_id, moderator_id, body)"
    " VALUES (40, 10, NULL, 2, 1, 'hi'), (41, NULL, 20, 1, NULL, 'yo')",
    "INSERT INTO audit_entries (id, actor_ref) VALUES (50, 99)",
]


def create_schema(db: Database) -> None:
    db.execute([s.format(**TYPES[db.dialect]) for s in SCHEMA])


# what the relations imply and the database lacks: (table, column, references, the code that asks)
IMPLIED = [
    ("attachments", "uploaded_to", "pages.id", "app/Models/Attachment.php:19 Attachment::page"),
    ("blog_posts", "created_by", "users.id", "app/Models/Entity.php:16 Post::creator"),
    ("blog_posts", "team_id", "organizations.id", "app/Models/Organization.php:12 Organization::posts"),
    ("blog_posts", "updated_by", "users.id", "app/Models/Entity.php:21 Post::editor"),
    ("comments", "author_id", "users.id", "app/Models/Comment.php:13 Comment::author"),
    ("comments", "moderator_id", "users.id", "app/Models/Comment.php:24 Comment::reviewer"),
    ("comments", "post_id", "blog_posts.id", "app/Models/Entity.php:32 Post::comments"),
    ("page_editors", "editor_ref", "users.id", "app/Models/Page.php:28 Page::editors"),  # relatedPivotKey
    ("page_editors", "page_ref", "pages.id", "app/Models/Page.php:28 Page::editors"),  # foreignPivotKey
    ("pages", "approved_by", "users.id", "app/Models/Page.php:40 Page::approver"),  # not on MariaDB
    ("pages", "category_id", "page_categories.cat_id", "app/Models/Category.php:17 Category::pages"),
    ("pages", "created_by", "users.id", "app/Models/Entity.php:16 Page::creator"),
    ("pages", "deleted_by", "users.id", "app/Models/Concerns/HasDeleter.php:12 Page::deleter"),
    ("pages", "owned_by", "users.id", "app/Models/Entity.php:26 Page::owner"),
    ("pages", "updated_by", "users.id", "app/Models/Entity.php:21 Page::editor"),
]
# implied too, and found by the database from the column's name: the database's finding is kept
BY_NAME = [("comments", "page_id", "pages.id"), ("role_user", "role_id", "roles.id"), ("role_user", "user_id", "users.id")]
# {pages.reviewed_by} ...: the column's type as the snapshot spells it (the database's own spelling)
REVIEWER = ("app/Models/Page.php:34: Page::reviewer (belongsTo with foreignKey 'reviewed_by') implies a foreign key "
            "pages.reviewed_by -> users.id, but the types differ (pages.reviewed_by {pages.reviewed_by}, users.id "
            "{users.id}): no foreign key proposed")
APPROVER = ("app/Models/Page.php:40: Page::approver (belongsTo with foreignKey 'approved_by') implies a foreign key "
            "pages.approved_by -> users.id, but the types differ (pages.approved_by {pages.approved_by}, users.id "
            "{users.id}): no foreign key proposed")
WARNINGS = [
    "app/Models/Page.php:46: Page::contact (belongsTo with foreignKey 'contact_email') implies a foreign key "
    "pages.contact_email -> users.email, but users.email is neither its table's primary key nor unique: "
    "no foreign key proposed",
    "app/Models/Page.php:52: Page::publisher (belongsTo) names foreignKey pages.published_by, which the database "
    "lacks: add the column (a missing_column issue with its type) or fix the key in the code",
]


def expected_warnings(db: Database) -> list[str]:
    """The app's warnings, in file and line order (MariaDB: also the signed approved_by)."""
    schema = load_schema(db.url)
    types = {f"{t}.{c}": schema.tables[t].columns[c].type
             for t, c in (("pages", "reviewed_by"), ("pages", "approved_by"), ("users", "id"))}
    typed = [REVIEWER, APPROVER] if db.dialect == "mysql" else [REVIEWER]
    filled = []
    for w in typed:
        for name, spelled in types.items():
            w = w.replace("{" + name + "}", spelled)
        filled.append(w)
    return [f"warning: {w}" for w in [*filled, *WARNINGS]]


def implied(dialect: str) -> list[tuple[str, str, str, str]]:
    return [i for i in IMPLIED if not (dialect == "mysql" and i[1] == "approved_by")]


def detect(db: Database, *args: str | Path) -> tuple[int, list[dict[str, Any]], list[str]]:
    run = cli("detect", db.url, "--format", "json", *args)
    assert run.exception is None or isinstance(run.exception, SystemExit), run.exception
    return run.code, json.loads(run.stdout)["issues"] if run.stdout.strip() else [], run.errors


def foreign_keys(issues: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(i["table"], *i["columns"], i["references"]) for i in issues if i["kind"] == "missing_foreign_key"]


# =========================================================================== detect: the models as evidence


@pytest.mark.parametrize("db", ["sqlite", "postgresql", "mysql"], indirect=True)
def test_relations_imply_foreign_keys(db: Database) -> None:
    create_schema(db)
    code, plain, _ = detect(db)
    # the database alone: only what a column's name gives away, and blog_posts.team_id to the wrong table
    assert sorted(foreign_keys(plain)) == sorted([*BY_NAME, ("blog_posts", "team_id", "teams.id")])

    code, issues, errors = detect(db, "--laravel-app", APP)
    assert code == 1
    fks = [i for i in issues if i["kind"] == "missing_foreign_key"]
    from_app = [(i["table"], *i["columns"], i["references"], i["source"].removeprefix(APP_SOURCE))
                for i in fks if i["source"].startswith(APP_SOURCE)]
    assert from_app == implied(db.dialect)
    # one finding per column: the database's where it agrees, the models' where it guessed the wrong table
    assert sorted(foreign_keys(issues)) == sorted([i[:3] for i in implied(db.dialect)] + BY_NAME)
    assert [i["source"] for i in fks if (i["table"], i["columns"][0]) in {(t, c) for t, c, _ in BY_NAME}] == \
        ["fixgen detect: missing-foreign-key"] * 3
    team = next(i for i in fks if i["table"] == "blog_posts" and i["columns"] == ["team_id"])
    assert team["message"] == ("blog_posts.team_id points to organizations.id (Organization::posts: hasMany with "
                               "foreignKey 'team_id') but has no foreign key (also Post::team) "
                               "(not teams.id, which its name suggests)")
    by_default = next(i for i in fks if i["table"] == "comments" and i["columns"] == ["post_id"])
    assert by_default["message"] == ("comments.post_id points to blog_posts.id (Post::comments: hasMany by Laravel's "
                                     "default foreignKey) but has no foreign key")
    # nothing from the morph relations, the other connection, or the key that exists (blog_posts.owned_by)
    assert not {("attachments", "attachable_id"), ("audit_entries", "actor_ref"), ("blog_posts", "owned_by")} & \
        {(i["table"], i["columns"][0]) for i in fks}
    assert [e for e in errors if e.startswith("warning: ")] == expected_warnings(db)
    # the rest of the spec is the database's (an index for blog_posts' existing foreign key, but not on MariaDB)
    others = [(i["kind"], i["table"]) for i in issues if i["kind"] != "missing_foreign_key"]
    assert others == ([] if db.dialect == "mysql" else [("missing_index", "blog_posts")])
    assert errors[-1] == f"{len(issues)} issue(s) found"


@pytest.mark.parametrize("db", ["postgresql", "mysql"], indirect=True)
def test_detect_emit_sql_apply_detect_again(db: Database, tmp_path: Path) -> None:
    """detect --laravel-app | emit --target sql, run by the real client; then detect finds none of those keys."""
    create_schema(db)
    spec = tmp_path / "found.yaml"
    first = cli("detect", db.url, "--laravel-app", APP, "--out", spec)
    assert first.code == 1, first.output
    migration = emit(spec, db.dialect, tmp_path)
    db.run_sql_file(migration.up)

    snapshot = db.schema_snapshot()
    added = sorted((t, *fk["columns"], f"{fk['referred_table']}.{fk['referred_columns'][0]}")
                   for t, s in snapshot.items() for fk in s["foreign_keys"] if fk["name"] != "blog_posts_owned_by_foreign")
    assert added == sorted([i[:3] for i in implied(db.dialect)] + BY_NAME)

    code, issues, errors = detect(db, "--laravel-app", APP)
    assert (code, issues) == (0, []), errors
    assert errors == [*expected_warnings(db), "0 issue(s) found"]

    db.run_sql_file(migration.up)  # again: nothing to do
    db.run_sql_file(migration.down)
    back = cli("detect", db.url, "--laravel-app", APP, "--format", "yaml")
    assert back.code == 1
    assert back.stdout == spec.read_text(encoding="utf-8")


def test_what_each_relation_implies() -> None:
    """Every relation of the fixture, read for each model that has it (the morph ones and the other connection's
    left out), before the database has its say."""
    got = [(i.who, i.fk.table, i.fk.column, f"{i.ref.table}.{i.ref.column}", i.fk.literal is not None)
           for i in implied_keys(load_app(APP))]
    assert got == [
        ("Attachment::page", "attachments", "uploaded_to", "pages.id", True),
        ("Category::pages", "pages", "category_id", "page_categories.cat_id", True),
        ("Comment::author", "comments", "author_id", "users.id", False),  # snake(method) + '_' + owner key
        ("Comment::page", "comments", "page_id", "pages.id", False),
        ("Comment::reviewer", "comments", "moderator_id", "users.id", False),  # snake(the relation argument) + '_id'
        ("Page::deleter", "pages", "deleted_by", "users.id", True),  # a trait's relation
        ("Page::creator", "pages", "created_by", "users.id", True),  # the abstract parent's, for each child
        ("Post::creator", "blog_posts", "created_by", "users.id", True),
        ("Page::editor", "pages", "updated_by", "users.id", True),
        ("Post::editor", "blog_posts", "updated_by", "users.id", True),
        ("Page::owner", "pages", "owned_by", "users.id", True),
        ("Post::owner", "blog_posts", "owned_by", "users.id", True),
        ("Page::comments", "comments", "page_id", "pages.id", False),  # snake(class) + '_' + its key
        ("Post::comments", "comments", "post_id", "blog_posts.id", False),
        ("Organization::posts", "blog_posts", "team_id", "organizations.id", True),
        ("Page::category", "pages", "category_id", "page_categories.cat_id", True),  # owner key: $primaryKey
        ("Page::attachments", "attachments", "uploaded_to", "pages.id", True),
        ("Page::editors", "page_editors", "page_ref", "pages.id", True),  # foreignPivotKey -> parentKey
        ("Page::editors", "page_editors", "editor_ref", "users.id", True),  # relatedPivotKey -> relatedKey
        ("Page::reviewer", "pages", "reviewed_by", "users.id", True),
        ("Page::approver", "pages", "approved_by", "users.id", True),
        ("Page::contact", "pages", "contact_email", "users.email", True),
        ("Page::publisher", "pages", "published_by", "users.id", True),
        ("Post::team", "blog_posts", "team_id", "organizations.id", True),
        ("Role::users", "role_user", "role_id", "roles.id", False),  # the default pivot: both singulars, sorted
        ("Role::users", "role_user", "user_id", "users.id", False),
        ("User::pages", "pages", "owned_by", "users.id", True),
        ("User::roles", "role_user", "user_id", "users.id", False),
        ("User::roles", "role_user", "role_id", "roles.id", False),
        ("User::pageAttachments", "pages", "owned_by", "users.id", True),  # firstKey -> localKey
        ("User::pageAttachments", "attachments", "uploaded_to", "pages.id", True),  # secondKey -> secondLocalKey
        ("User::comments", "comments", "author_id", "users.id", True),
    ]


def test_what_each_relation_implies_is_what_eloquent_joins() -> None:
    """The same keys as real Eloquent builds them (relation_keys.php: getQualifiedForeignKeyName() and kin, for
    every relation method each model has): Laravel's defaults, inheritance and traits, checked by Laravel."""
    require_laravel("sqlite")
    proc = subprocess.run([php_binary(), str(APP / "relation_keys.php"), str(APP)], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    eloquent = sorted((model, method, key, ref) for model, method, _, key, ref in json.loads(proc.stdout))
    ours = sorted((*i.who.split("::"), f"{i.fk.table}.{i.fk.column}", f"{i.ref.table}.{i.ref.column}")
                  for i in implied_keys(load_app(APP)))
    # the one difference: AuditEntry is on another connection, so its key is no foreign key
    assert [e for e in eloquent if e not in ours] == [("AuditEntry", "actor", "audit_entries.actor_ref", "users.id")]
    assert [o for o in ours if o not in eloquent] == []


def test_conflicting_relations_and_ref(sqlite_db: Database, tmp_path: Path) -> None:
    """Two relations that point one column at different keys propose neither; --ref beats the models."""
    create_schema(sqlite_db)
    app = tmp_path / "app"
    shutil.copytree(APP, app)
    comment = app / "app/Models/Comment.php"
    comment.write_text(comment.read_text().replace(
        "    public function page(): BelongsTo",
        "    public function writer(): BelongsTo\n    {\n        return $this->belongsTo(Organization::class, 'author_id');\n"
        "    }\n\n    public function page(): BelongsTo"))
    code, issues, errors = detect(sqlite_db, "--laravel-app", app)
    assert ("comments", "author_id", "users.id") not in foreign_keys(issues)
    assert ("warning: app/Models/Comment.php:13: comments.author_id: the relations point it at different keys "
            "(Comment::author (app/Models/Comment.php:13) to users.id; Comment::writer (app/Models/Comment.php:18) "
            "to organizations.id): no foreign key proposed") in errors

    # the models point blog_posts.team_id at a key the database cannot take: no key, and not the name's guess
    post = app / "app/Models/Post.php"
    post.write_text(post.read_text().replace("'team_id')", "'team_id', 'name')"))
    organization = app / "app/Models/Organization.php"
    organization.write_text(organization.read_text().replace("'team_id')", "'team_id', 'name')"))
    code, issues, errors = detect(sqlite_db, "--laravel-app", app)
    assert [k for k in foreign_keys(issues) if k[:2] == ("blog_posts", "team_id")] == []
    assert [e for e in errors if "blog_posts.team_id" in e] == [
        "warning: app/Models/Organization.php:12: Organization::posts (hasMany with foreignKey 'team_id') implies a "
        "foreign key blog_posts.team_id -> organizations.name, but organizations.name is neither its table's primary "
        "key nor unique: no foreign key proposed",
        "warning: app/Models/Organization.php:12: blog_posts.team_id: the database's guess from its name, teams.id, "
        "is left out: the models point it at organizations.name (Organization::posts)"]

    code, issues, errors = detect(sqlite_db, "--laravel-app", APP, "--ref", "blog_posts.team_id=teams")
    team = [i for i in issues if i["kind"] == "missing_foreign_key" and i["table"] == "blog_posts"
            and i["columns"] == ["team_id"]]
    assert [(t["references"], t["source"]) for t in team] == [("teams.id", "fixgen detect: missing-foreign-key")]


def test_types_compatible() -> None:
    ok = [("mysql", "BIGINT UNSIGNED", "BIGINT(20) UNSIGNED"), ("mysql", "INTEGER(11)", "INT"),
          ("mysql", "VARCHAR(36)", "CHAR(36)"), ("postgresql", "INTEGER", "BIGINT"), ("postgresql", "TEXT", "VARCHAR(36)"),
          ("sqlite", "INTEGER", "BIGINT"), ("sqlite", "NULLTYPE", "INTEGER")]
    bad = [("mysql", "BIGINT", "BIGINT UNSIGNED"), ("mysql", "INTEGER", "BIGINT"), ("mysql", "TEXT", "VARCHAR(36)"),
           ("mysql", "VARCHAR(36) COLLATE utf8mb4_bin", "VARCHAR(36)"), ("postgresql", "UUID", "VARCHAR(36)"),
           ("postgresql", "VARCHAR(20)", "BIGINT"), ("sqlite", "VARCHAR(20)", "INTEGER")]
    assert [types_compatible(*t) for t in ok] == [True] * len(ok)
    assert [types_compatible(*t) for t in bad] == [False] * len(bad)


# =========================================================================== fixgen models: an abstract parent

SERVICE = "app/Services/EntityService.php"
ENTITY = "app/Models/Entity.php"


def models_report(tmp_path: Path, renames: list[tuple[str, str, str]]) -> tuple[int, list[str], list[str]]:
    spec = write_spec(tmp_path, [{"kind": "rename_column", "table": t, "from": a, "to": b} for t, a, b in renames])
    run = cli("models", spec, "--app", APP)
    return run.code, run.stdout.splitlines(), run.errors


def test_models_rename_on_every_child_rewrites_the_parent_type(tmp_path: Path) -> None:
    """Both tables that extend Entity rename created_by: `Entity $e` and Entity's own code are rewritten."""
    code, lines, errors = models_report(tmp_path, [("pages", "created_by", "created_by_id"),
                                                   ("blog_posts", "created_by", "created_by_id")])
    assert code == 1
    assert lines == [
        f"{ENTITY}:12: Entity::$fillable — 'created_by' → 'created_by_id'",
        f"{ENTITY}:16: Entity::creator — 'created_by' → 'created_by_id'",
        f"{ENTITY}:38: Entity::scopeCreatedBy — 'created_by' → 'created_by_id'",  # a scope's $query
        f"{SERVICE}:14: EntityService::create — 'created_by' → 'created_by_id'",
        f"{SERVICE}:15: EntityService::create — ->created_by → ->created_by_id",
        f"{SERVICE}:20: EntityService::publish — ->created_by → ->created_by_id",
        f"{SERVICE}:25: EntityService::guess — ->created_by: check by hand ($thing is not a known model; "
        "renamed: pages.created_by → created_by_id, blog_posts.created_by → created_by_id)",
        f"{SERVICE}:30: EntityService::either — ->created_by → ->created_by_id",  # Page|Post
    ]
    assert errors == ["7 reference(s) to rewrite in 2 file(s), 1 to check by hand"]

    app = tmp_path / "app"
    shutil.copytree(APP, app)
    spec = write_spec(tmp_path, [{"kind": "rename_column", "table": t, "from": "created_by", "to": "created_by_id"}
                                 for t in ("pages", "blog_posts")])
    assert cli("models", spec, "--app", app, "--write").code == 1
    service = (app / SERVICE).read_text()
    assert "forceFill(['created_by_id' => 1])" in service and "$e->created_by_id = 2;" in service
    assert "$thing->created_by = 4;" in service
    for changed in (SERVICE, ENTITY):
        php_lint(app / changed)


def test_models_rename_on_one_child_is_checked_by_hand(tmp_path: Path) -> None:
    """Only pages renames created_by: what may be a Post is listed, naming both tables, and never rewritten."""
    code, lines, errors = models_report(tmp_path, [("pages", "created_by", "created_by_id")])
    both = "may be on table blog_posts or pages; renamed: pages.created_by → created_by_id"
    assert code == 1
    assert lines == [
        f"{ENTITY}:12: Entity::$fillable — 'created_by': check by hand (Entity::$fillable {both})",
        f"{ENTITY}:16: Entity::creator — 'created_by': check by hand (Entity::creator's foreignKey {both})",
        f"{ENTITY}:38: Entity::scopeCreatedBy — 'created_by': check by hand ($query {both})",
        f"{SERVICE}:14: EntityService::create — 'created_by': check by hand ($e {both})",
        f"{SERVICE}:15: EntityService::create — ->created_by: check by hand ($e {both})",
        f"{SERVICE}:20: EntityService::publish — ->created_by → ->created_by_id",
        f"{SERVICE}:25: EntityService::guess — ->created_by: check by hand ($thing is not a known model; "
        "renamed: pages.created_by → created_by_id)",
        f"{SERVICE}:30: EntityService::either — ->created_by: check by hand ($row {both})",
    ]
    assert errors == ["1 reference(s) to rewrite in 1 file(s), 7 to check by hand"]


def test_models_rename_on_no_child_leaves_the_parent_alone(tmp_path: Path) -> None:
    """A created_by of another table: nothing that is an Entity is touched."""
    code, lines, _ = models_report(tmp_path, [("audit_entries", "created_by", "created_by_id")])
    assert lines == [f"{SERVICE}:25: EntityService::guess — ->created_by: check by hand ($thing is not a known model; "
                     "renamed: audit_entries.created_by → created_by_id)"]


def test_models_trait_this_is_each_model_using_it(tmp_path: Path) -> None:
    """`$this` and the relation keys in a trait: a row of each model that uses it (here only Page)."""
    code, lines, errors = models_report(tmp_path, [("pages", "deleted_by", "deleted_by_id")])
    trait = "app/Models/Concerns/HasDeleter.php"
    assert lines == [f"{trait}:12: HasDeleter::deleter — 'deleted_by' → 'deleted_by_id'",
                     f"{trait}:18: HasDeleter::markDeleted — ->deleted_by → ->deleted_by_id"]
    assert errors == ["2 reference(s) to rewrite in 1 file(s), 0 to check by hand"]


def test_models_of_the_fixture() -> None:
    app = load_app(APP)
    m = {x.name: x for x in app.models.values()}
    assert (m["Entity"].abstract, m["Page"].abstract) == (True, False)
    assert [x.name for x in app.concrete(m["Entity"])] == ["Page", "Post"]
    assert app.tables_of(m["Entity"]) == ("blog_posts", "pages")
    assert (m["Post"].table, m["Category"].table, m["Category"].primary_key) == ("blog_posts", "page_categories", "cat_id")
    assert m["AuditEntry"].connection == "audit"
    creator = m["Post"].relation("creator")
    assert creator is not None and (creator.file, creator.inherited, creator.keys["foreignKey"].table) == \
        (ENTITY, True, "blog_posts")


@pytest.mark.parametrize("target", ["laravel", "alembic"])
@pytest.mark.parametrize("db", ["sqlite", "postgresql", "mysql"], indirect=True)
def test_detect_emit_framework_apply_detect_again(target: str, db: Database, tmp_path: Path) -> None:
    """The same through real Laravel and real Alembic: detect is then empty, and down gives the schema back."""
    from support.alembic import emit_alembic, project
    from support.laravel import emit_laravel, run_laravel

    create_schema(db)
    before = db.schema_snapshot()
    spec = tmp_path / "found.yaml"
    assert cli("detect", db.url, "--laravel-app", APP, "--out", spec).code == 1
    if target == "laravel":
        migration = emit_laravel(spec, tmp_path)
        up, down = (lambda: run_laravel(db, migration, "up")), (lambda: run_laravel(db, migration, "down"))
    else:
        proj = project(tmp_path, db)
        emit_alembic(spec, proj.versions)
        up, down = (lambda: proj.upgrade("head")), (lambda: proj.downgrade("base"))
    up()
    code, issues, errors = detect(db, "--laravel-app", APP)
    assert (code, issues) == (0, []), errors
    down()
    after = db.schema_snapshot()
    after.pop("alembic_version", None)
    assert after == before
