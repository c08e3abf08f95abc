"""`fixgen detect URL --laravel-app PATH` on real PostgreSQL, MariaDB and SQLite databases (no mocks).

tests/laravel_app_seed is the seed's app after its fix (the models use `webhooks.user_id` and
`api_keys.user_id`, and `withTimestamps()` on the team_members pivot), while the database is the
seed's before-schema (examples/seed-before.<dialect>.sql: `created_by_user_id`, a pivot with
only joined_at). tests/laravel_app does not fit here: its models still say created_by_user_id.
The loop is run for real: detect --laravel-app -> emit --target laravel -> the migration through
Laravel 8.83 -> detect --laravel-app finds nothing; down brings every finding back.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from support.dbs import Database
from support.laravel import emit_laravel, require_laravel, run_laravel
from support.roundtrip import ROOT, cli, load_seed

from fixgen.dbschema import load_schema
from fixgen.laravel_app.detect import fillable_warnings
from fixgen.laravel_app.models import load_app

APP = ROOT / "tests" / "laravel_app_seed"
APP_SOURCE = "laravel app: "
# what the app asks of the seed's before-schema: the §1/§7 renames and the §3 timestamps
APP_FINDINGS = [
    {"kind": "rename_column",
     "message": "APIKey::user (belongsTo) names foreignKey api_keys.user_id, which the database lacks; "
                "api_keys.created_by_user_id looks like its old name",
     "source": "laravel app: app/Models/APIKey.php:16 APIKey::user",
     "table": "api_keys", "from": "created_by_user_id", "to": "user_id"},
    {"kind": "missing_timestamps",
     "message": "Team::members uses ->withTimestamps() but pivot team_members has no created_at or updated_at",
     "source": "laravel app: app/Models/Team.php:14 Team::members", "table": "team_members"},
    {"kind": "rename_column",
     "message": "User::webhooks (hasMany) relies on Laravel's default foreignKey webhooks.user_id, which the database "
                "lacks; webhooks.created_by_user_id looks like its old name",
     "source": "laravel app: app/Models/User.php:20 User::webhooks",
     "table": "webhooks", "from": "created_by_user_id", "to": "user_id"},
]
EVENTS = "app/Models/Webhook.php:10: Webhook::$fillable names 'events', which table webhooks does not have"
RENAMED = {("webhooks", "created_by_user_id"): "user_id", ("api_keys", "created_by_user_id"): "user_id"}


def detect(db: Database, *args: str | Path) -> tuple[int, list[dict[str, Any]], list[str]]:
    """`fixgen detect URL --format json [args]`: (exit code, issues, stderr lines)."""
    run = cli("detect", db.url, "--format", "json", *args)
    assert run.exception is None or isinstance(run.exception, SystemExit), run.exception
    return run.code, json.loads(run.stdout)["issues"] if run.stdout.strip() else [], run.errors


def as_after_rename(issue: dict[str, Any]) -> dict[str, Any]:
    """A database finding as --laravel-app reports it: columns the app renames under their new names."""
    cols = issue.get("columns", [])
    new = [RENAMED.get((issue["table"], c), c) for c in cols]
    if new == cols:
        return issue
    named = ", ".join(f"{issue['table']}.{n}" for c, n in zip(cols, new, strict=True) if n != c)
    return {**issue, "columns": new, "message": f"{issue['message']} (here {named}: the app's name for it)"}


def order(issue: dict[str, Any]) -> tuple:
    """detect's output order: table, kind, columns (a rename by its old name)."""
    return issue["table"], issue["kind"], issue.get("columns") or [issue.get("from", "")]


# =========================================================================== the seed


@pytest.mark.parametrize("db", ["sqlite", "postgresql", "mysql"], indirect=True)
def test_seed_before_schema_and_the_fixed_models(db: Database) -> None:
    load_seed(db)
    plain_code, plain, _ = detect(db)
    assert plain_code == 1
    # the database alone proposes foreign keys on the old column names
    for table in ("webhooks", "api_keys"):
        assert {"kind": "missing_foreign_key", "table": table, "columns": ["created_by_user_id"],
                "references": "users.id"}.items() <= next(i for i in plain if i["table"] == table and
                                                          i.get("columns") == ["created_by_user_id"]).items()

    code, issues, errors = detect(db, "--laravel-app", APP)
    assert code == 1
    assert [i for i in issues if i["source"].startswith(APP_SOURCE)] == APP_FINDINGS
    # the database's findings are all there, named as after the renames (the spec's rule), in detect's order
    assert issues == sorted([as_after_rename(i) for i in plain] + APP_FINDINGS, key=order)
    assert {"kind": "missing_foreign_key", "table": "webhooks", "columns": ["user_id"], "references": "users.id",
            "message": "webhooks.created_by_user_id points to users.id (by its name) but has no foreign key "
                       "(here webhooks.user_id: the app's name for it)",
            "source": "fixgen detect: missing-foreign-key"} in issues
    # $fillable's user_id is not a warning: the rename creates it; 'events' is
    assert errors == [f"warning: {EVENTS}", f"{len(plain) + 3} issue(s) found"]


@pytest.mark.parametrize("db", ["sqlite", "postgresql", "mysql"], indirect=True)
def test_detect_emit_laravel_migrate_detect_is_empty(db: Database, tmp_path: Path) -> None:
    require_laravel(db.dialect)
    load_seed(db)
    old_ids = {t: sorted(db.query(f"SELECT id, created_by_user_id FROM {t}")) for t in ("webhooks", "api_keys")}
    spec = tmp_path / "found" / "fix_from_app.yaml"
    spec.parent.mkdir()
    first = cli("detect", db.url, "--laravel-app", APP, "--out", spec)
    assert first.code == 1, first.output
    assert first.errors[0] == f"warning: {EVENTS}"

    migration = emit_laravel(spec, tmp_path)
    run_laravel(db, migration, "up")

    s = db.schema_snapshot()
    for table in ("webhooks", "api_keys"):
        names = [c["name"] for c in s[table]["columns"]]
        assert "user_id" in names and "created_by_user_id" not in names
        assert sorted(db.query(f"SELECT id, user_id FROM {table}")) == old_ids[table]
        assert [fk["columns"] for fk in s[table]["foreign_keys"] if fk["referred_table"] == "users"] == [["user_id"]]
    assert [c["name"] for c in s["team_members"]["columns"]][-2:] == ["created_at", "updated_at"]

    again = cli("detect", db.url, "--laravel-app", APP, "--format", "table")
    # nothing left to fix, by the database or the app; the $fillable warning is a row of the table, not an issue
    assert (again.code, again.errors) == (0, ["0 issue(s) found"]), again.output
    what = EVENTS.split(": ", 1)[1]
    source = "laravel app: app/Models/Webhook.php:10"
    assert again.stdout.splitlines() == [
        f"{'KIND':<7}  {'TABLE':<8}  {'WHAT':<{len(what)}}  SOURCE",
        f"warning  webhooks  {what}  {source}",
    ]

    run_laravel(db, migration, "down")
    back = cli("detect", db.url, "--laravel-app", APP, "--format", "json")
    assert (back.code, back.stdout, back.stderr) == (1, *_json_run(first, spec))


def _json_run(first: Any, spec: Path) -> tuple[str, str]:
    """What `detect --format json` printed on the first run, which wrote YAML to --out."""
    import yaml

    doc = yaml.safe_load(spec.read_text(encoding="utf-8"))
    errors = [e for e in first.errors if not e.startswith("wrote ")]
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n", "".join(f"{e}\n" for e in errors)


# =========================================================================== $fillable warnings


def test_fillable_warnings(sqlite_db: Database, tmp_path: Path) -> None:
    load_seed(sqlite_db)
    app = load_app(APP)
    # every $fillable entry that is not a column ...
    assert fillable_warnings(app, load_schema(sqlite_db.url)) == [
        "app/Models/APIKey.php:12: APIKey::$fillable names 'user_id', which table api_keys does not have",
        "app/Models/Webhook.php:10: Webhook::$fillable names 'user_id', which table webhooks does not have",
        EVENTS,
    ]
    # ... but detect warns only about those no fix creates, on stderr (stdout is the spec) ...
    run = cli("detect", sqlite_db.url, "--laravel-app", APP)
    assert run.code == 1
    assert run.errors[0] == f"warning: {EVENTS}"
    assert "warning" not in run.stdout
    # ... and, in the table, as a row whose KIND is warning
    table = cli("detect", sqlite_db.url, "--laravel-app", APP, "--format", "table")
    rows = [line.split() for line in table.stdout.splitlines()]
    assert [r[:2] for r in rows if r[0] == "warning"] == [["warning", "webhooks"]]
    assert table.stdout.splitlines()[-1].endswith("  laravel app: app/Models/Webhook.php:10")
    assert not any(e.startswith("warning") for e in table.errors)

    # a relation key with no old name in sight: no spec kind without a type, so a warning too
    app_copy = tmp_path / "app"
    shutil.copytree(APP, app_copy)
    agent = app_copy / "app/Models/Agent.php"
    agent.write_text(agent.read_text().replace(
        "    public function creator(): BelongsTo",
        "    public function owner(): BelongsTo\n    {\n        return $this->belongsTo(User::class, 'owner_id');\n"
        "    }\n\n    public function creator(): BelongsTo"))
    run = cli("detect", sqlite_db.url, "--laravel-app", app_copy, "--format", "json")
    assert run.code == 1
    assert run.errors[:2] == [
        "warning: app/Models/Agent.php:14: Agent::owner (belongsTo) names foreignKey agents.owner_id, which the "
        "database lacks: add the column (a missing_column issue with its type) or fix the key in the code",
        f"warning: {EVENTS}"]
    assert [i for i in json.loads(run.stdout)["issues"] if i["source"].startswith(APP_SOURCE)] == APP_FINDINGS


# =========================================================================== exit codes


def test_exit_codes(sqlite_db: Database, tmp_path: Path) -> None:
    load_seed(sqlite_db)
    found = cli("detect", sqlite_db.url, "--laravel-app", APP)
    assert found.code == 1
    zero = cli("detect", sqlite_db.url, "--laravel-app", APP, "--exit-zero")
    assert (zero.code, zero.stdout, zero.stderr) == (0, found.stdout, found.stderr)

    missing = cli("detect", sqlite_db.url, "--laravel-app", tmp_path / "nope")
    nope = tmp_path / "nope"
    assert (missing.code, missing.stdout, missing.errors) == (2, "", [f"error: --laravel-app {nope}: no such directory"])
    # the app is read before the database is opened: a bad URL is not what is reported
    empty = tmp_path / "empty"
    empty.mkdir()
    not_laravel = cli("detect", "sqlite:///" + str(tmp_path / "no.db"), "--laravel-app", empty)
    assert (not_laravel.code, not_laravel.errors) == (2, [f"error: --laravel-app {empty}: not a Laravel app (no app/ directory)"])
    assert not (tmp_path / "no.db").exists()

    app_copy = tmp_path / "app"
    shutil.copytree(APP, app_copy)
    (app_copy / "app/Models/Broken.php").write_text(
        "<?php\nclass Broken extends Model {\n    protected $fillable = ['user_id'\n}\n")
    broken = cli("detect", sqlite_db.url, "--laravel-app", app_copy, "--exit-zero")
    assert (broken.code, broken.stdout, broken.errors) == (2, "", [
        "error: app/Models/Broken.php:3: PHP parse error; this file is skipped and never rewritten",
        "error: nothing detected: detect --laravel-app reads every PHP file of the app"])
