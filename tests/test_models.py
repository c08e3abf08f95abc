"""`fixgen models SPEC --app PATH`: code of a Laravel app that still names a renamed column.

The fixture app (tests/laravel_app) has the seed's shapes: User with webhooks/apiKeys/teams,
Webhook, APIKey with `$table = 'api_keys'`, Team with the team_members pivot, a through
relation on Tenant, plus decoys (Agent keeps `created_by_user_id`, a log message names it).
Expected report lines and the diff follow Laravel's semantics (read in HasRelationships.php);
the end-to-end test runs the app's models through real Eloquent on a database renamed by
fixgen's own Laravel migration: broken before `--write`, working after.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from support.dbs import Database, unavailable
from support.laravel import emit_laravel, laravel_config, php_binary, php_lint, require_laravel, run_laravel
from support.roundtrip import ROOT, cli, write_spec

from fixgen.errors import FixgenError
from fixgen.laravel_app.models import load_app
from fixgen.laravel_app.patch import Patch, build_patches, check_patches, write_patches
from fixgen.laravel_app.references import find_references, renames_of
from fixgen.laravel_app.tables import default_foreign_key, default_table, joining_table
from fixgen.spec import load_spec

APP = ROOT / "tests" / "laravel_app"
RENAMES = [
    {"kind": "rename_column", "table": "webhooks", "from": "created_by_user_id", "to": "user_id"},
    {"kind": "rename_column", "table": "api_keys", "from": "created_by_user_id", "to": "user_id"},
    {"kind": "rename_column", "table": "team_members", "from": "joined_at", "to": "joined_on"},
]
BOTH = "renamed: webhooks.created_by_user_id → user_id, api_keys.created_by_user_id → user_id"
CONTROLLER = "app/Http/Controllers/WebhookController.php"
FIXES = [
    f"{CONTROLLER}:15: WebhookController::index — 'created_by_user_id' → 'user_id'",
    f"{CONTROLLER}:16: WebhookController::index — 'created_by_user_id' → 'user_id'",  # whereIn
    f"{CONTROLLER}:16: WebhookController::index — 'created_by_user_id' → 'user_id'",  # pluck's key
    f"{CONTROLLER}:27: WebhookController::store — 'created_by_user_id' → 'user_id'",  # Webhook::create([...])
]
CHECKS = [
    f"{CONTROLLER}:30: WebhookController::store — 'created_by_user_id': check by hand "
    f"(a string equal to the old column name; {BOTH})",
    f"{CONTROLLER}:30: WebhookController::store — ->created_by_user_id: check by hand ($hook is not a known model; {BOTH})",
    f"{CONTROLLER}:35: WebhookController::filter — 'created_by_user_id': check by hand ($query is not a known model; {BOTH})",
]
MODEL_FIXES = [
    "app/Models/APIKey.php:12: APIKey::$fillable — 'created_by_user_id' → 'user_id'",
    "app/Models/APIKey.php:14: APIKey::$hidden — 'created_by_user_id' → 'user_id'",
    "app/Models/APIKey.php:18: APIKey::createdBy — 'created_by_user_id' → 'user_id'",  # named argument foreignKey:
    "app/Models/Team.php:15: Team::members — 'joined_at' → 'joined_on'",  # withPivot([...]) on the pivot
    "app/Models/Tenant.php:13: Tenant::userWebhooks — 'created_by_user_id' → 'user_id'",  # secondKey: the related table
    "app/Models/User.php:17: User::webhooks — 'created_by_user_id' → 'user_id'",
    "app/Models/User.php:22: User::apiKeys — 'created_by_user_id' → 'user_id'",
    "app/Models/User.php:34: User::teams — 'joined_at' → 'joined_on'",
    "app/Models/User.php:40: User::activeWebhooks — 'webhooks.created_by_user_id' → 'webhooks.user_id'",
    "app/Models/User.php:45: User::recentTeams — 'joined_at' → 'joined_on'",  # $this->teams()->wherePivot(...)
    "app/Models/Webhook.php:12: Webhook::$fillable — 'created_by_user_id' → 'user_id'",
    "app/Models/Webhook.php:20: Webhook::$casts — 'created_by_user_id' → 'user_id'",
    "app/Models/Webhook.php:26: Webhook::createdBy — 'created_by_user_id' → 'user_id'",
    "app/Models/Webhook.php:36: Webhook::scopeOwnedBy — 'created_by_user_id' → 'user_id'",  # a scope's $query
    "app/Models/Webhook.php:41: Webhook::isOwnedBy — ->created_by_user_id → ->user_id",
]
REPORT = [*FIXES[:4], *CHECKS, *MODEL_FIXES]
SUMMARY = "19 reference(s) to rewrite in 6 file(s), 3 to check by hand"
CHANGED = ["app/Http/Controllers/WebhookController.php", "app/Models/APIKey.php", "app/Models/Team.php",
           "app/Models/Tenant.php", "app/Models/User.php", "app/Models/Webhook.php"]


@pytest.fixture
def app_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "app_root"
    shutil.copytree(APP, dest)
    return dest


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    return write_spec(tmp_path, {"version": 1, "issues": RENAMES})


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------- the report


def test_report_lines(spec: Path) -> None:
    run = cli("models", spec, "--app", APP)
    assert run.code == 1, run.output
    assert run.stdout.splitlines() == REPORT
    assert run.errors == [SUMMARY]


def test_decoys_are_where_the_report_skips_them() -> None:
    """REPORT leaves out controller lines 17-18 and Agent.php: make sure that is where the decoys are."""
    lines = (APP / CONTROLLER).read_text().splitlines()
    assert lines[16].strip().startswith("$agents = Agent::where('created_by_user_id'")
    assert lines[17].strip() == "Log::info('listing webhooks by created_by_user_id for the current user');"
    assert "'created_by_user_id'" in (APP / "app/Models/Agent.php").read_text()
    assert "renameColumn('created_by_user_id'" in next((APP / "database/migrations").glob("*.php")).read_text()


def test_nothing_to_fix_exits_0(tmp_path: Path) -> None:
    other = write_spec(tmp_path, [{"kind": "rename_column", "table": "agents", "from": "nickname", "to": "alias"}])
    run = cli("models", other, "--app", APP)
    assert (run.code, run.stdout) == (0, ""), run.output
    assert run.errors == ["0 reference(s) to rewrite in 0 file(s), 0 to check by hand"]


def test_renamed_on_another_table_only(tmp_path: Path) -> None:
    """agents.created_by_user_id renamed: only Agent's code and the relations pointing at agents change."""
    agents = write_spec(tmp_path, [{"kind": "rename_column", "table": "agents", "from": "created_by_user_id", "to": "owner_id"}])
    run = cli("models", agents, "--app", APP)
    renamed = "renamed: agents.created_by_user_id → owner_id"
    assert run.stdout.splitlines() == [
        f"{CONTROLLER}:17: WebhookController::index — 'created_by_user_id' → 'owner_id'",
        f"{CONTROLLER}:30: WebhookController::store — 'created_by_user_id': check by hand "
        f"(a string equal to the old column name; {renamed})",
        f"{CONTROLLER}:30: WebhookController::store — ->created_by_user_id: check by hand "
        f"($hook is not a known model; {renamed})",
        f"{CONTROLLER}:35: WebhookController::filter — 'created_by_user_id': check by hand "
        f"($query is not a known model; {renamed})",
        "app/Models/Agent.php:12: Agent::$fillable — 'created_by_user_id' → 'owner_id'",
        "app/Models/Agent.php:16: Agent::creator — 'created_by_user_id' → 'owner_id'",
        "app/Models/Agent.php:22: Agent::scopeMine — 'created_by_user_id' → 'owner_id'",
        "app/Models/Tenant.php:19: Tenant::userAgents — 'created_by_user_id' → 'owner_id'",
        "app/Models/User.php:28: User::agents — 'created_by_user_id' → 'owner_id'",
    ]


# --------------------------------------------------------------------------- --diff and --write

EXPECTED_DIFF_HEAD = """\
--- a/app/Http/Controllers/WebhookController.php
+++ b/app/Http/Controllers/WebhookController.php
@@ -12,8 +12,8 @@
 {
     public function index(Request $request)
     {
-        $hooks = Webhook::where('created_by_user_id', $request->user()->id)->orderBy('created_at')->get();
-        $keys = APIKey::query()->whereIn('created_by_user_id', [$request->user()->id])->pluck('name', 'created_by_user_id');
+        $hooks = Webhook::where('user_id', $request->user()->id)->orderBy('created_at')->get();
+        $keys = APIKey::query()->whereIn('user_id', [$request->user()->id])->pluck('name', 'user_id');
         $agents = Agent::where('created_by_user_id', $request->user()->id)->get();
         Log::info('listing webhooks by created_by_user_id for the current user');
 \n"""


def test_diff_applies_with_patch_and_equals_write(spec: Path, app_copy: Path, tmp_path: Path) -> None:
    run = cli("models", spec, "--app", APP, "--diff")
    assert run.code == 1
    assert run.errors == [*REPORT, SUMMARY]  # with --diff, stdout is only the diff
    assert run.stdout.startswith(EXPECTED_DIFF_HEAD)
    assert [ln[6:] for ln in run.stdout.splitlines() if ln.startswith("+++ b/")] == CHANGED
    removed = [ln for ln in run.stdout.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    assert len(removed) == 18  # 19 rewrites, two of them on one line

    patch = shutil.which("patch")
    if patch is None:
        unavailable("patch: not found on PATH (Debian: apt-get install patch)")
    by_patch = tmp_path / "by_patch"
    shutil.copytree(APP, by_patch)
    proc = subprocess.run([patch, "-p1", "--no-backup-if-mismatch"], input=run.stdout, text=True, cwd=by_patch,
                          capture_output=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    before = files(app_copy)
    wrote = cli("models", spec, "--app", app_copy, "--write")
    assert wrote.code == 1, wrote.output
    assert wrote.stdout.splitlines() == REPORT
    assert wrote.errors == [*(f"wrote {app_copy / f}" for f in CHANGED), SUMMARY]
    after = files(app_copy)
    assert after == files(by_patch)
    assert sorted(f for f in after if after[f] != before[f]) == CHANGED
    for f in CHANGED:
        php_lint(app_copy / f)
    assert not list(app_copy.rglob("*.tmp")), "a temporary file was left behind"
    controller = (app_copy / CONTROLLER).read_text()
    assert "Log::info('listing webhooks by created_by_user_id for the current user');" in controller
    assert "Agent::where('created_by_user_id'" in controller

    again = cli("models", spec, "--app", app_copy, "--write")  # only the check-by-hand lines are left
    assert again.code == 1
    assert again.stdout.splitlines() == CHECKS
    assert again.errors == ["0 reference(s) to rewrite in 0 file(s), 3 to check by hand"]
    assert files(app_copy) == after


def test_php_lint_gate_and_stale_files(app_copy: Path) -> None:
    """Patched text that php -l rejects is never written; nor is anything when a file changed since it was read.

    A rename to a valid identifier cannot break PHP, so the gate is exercised with a hand-made patch."""
    if shutil.which("php") is None:
        unavailable("php: not found on PATH (Debian: apt-get install php-cli)")
    app = load_app(app_copy)
    path = app_copy / "app/Models/Team.php"
    before = path.read_bytes()
    broken = Patch("app/Models/Team.php", path, before, before.replace(b"'team_members',", b"'team_members'"))
    with pytest.raises(FixgenError) as info:
        check_patches([broken])
    assert [str(p) for p in info.value.problems] == [
        "app/Models/Team.php: php -l fails on the patched text, not written: "
        "Parse error: syntax error, unexpected single-quoted string \"team_id\", expecting \")\" "
        "in app/Models/Team.php on line 14"]
    assert path.read_bytes() == before

    good = build_patches(app, find_references(app, renames_of(load_spec(yaml.safe_dump(RENAMES)))))
    assert check_patches(good) is True
    path.write_bytes(before + b"\n")  # someone edits Team.php meanwhile
    snapshot = files(app_copy)
    with pytest.raises(FixgenError) as info:
        write_patches(good)
    assert [str(p) for p in info.value.problems] == ["app/Models/Team.php: changed on disk while fixgen ran; nothing written"]
    assert files(app_copy) == snapshot


# --------------------------------------------------------------------------- bad input


def test_bad_input(tmp_path: Path, spec: Path, app_copy: Path) -> None:
    missing = cli("models", spec, "--app", tmp_path / "nope")
    assert (missing.code, missing.errors) == (2, [f"error: --app {tmp_path / 'nope'}: no such directory"])
    not_laravel = tmp_path / "empty"
    not_laravel.mkdir()
    run = cli("models", spec, "--app", not_laravel)
    assert (run.code, run.errors) == (2, [f"error: --app {not_laravel}: not a Laravel app (no app/ directory)"])
    bad_spec = tmp_path / "bad.yaml"
    bad_spec.write_text("- {kind: rename_column, table: webhooks, from: a}\n")
    assert cli("models", bad_spec, "--app", APP).code == 2

    broken = app_copy / "app" / "Models" / "Broken.php"
    broken.write_text("<?php\nclass Broken extends Model {\n    protected $fillable = ['created_by_user_id'\n}\n")
    before = files(app_copy)
    run = cli("models", spec, "--app", app_copy, "--write")
    assert run.code == 2
    assert run.errors == ["error: app/Models/Broken.php:3: PHP parse error; this file is skipped and never rewritten",
                          "error: nothing checked (--skip-unparsable to go on without these files)"]
    assert files(app_copy) == before
    run = cli("models", spec, "--app", app_copy, "--skip-unparsable")
    assert run.code == 1
    assert run.stdout.splitlines() == REPORT
    assert run.errors[0] == "warning: app/Models/Broken.php:3: PHP parse error; this file is skipped and never rewritten"


# --------------------------------------------------------------------------- the models as data (for detect)


def test_load_app_models() -> None:
    app = load_app(APP)
    tables = {m.name: (m.table, m.table_explicit) for m in app.models.values()}
    assert tables == {"APIKey": ("api_keys", True), "Agent": ("agents", False), "Team": ("teams", False),
                      "Tenant": ("tenants", False), "User": ("users", False), "Webhook": ("webhooks", False)}
    user = app.models["App\\Models\\User"]
    teams = user.relation("teams")
    assert teams is not None
    assert (teams.type, teams.related, teams.pivot_table, teams.with_timestamps, teams.with_pivot) == \
        ("belongsToMany", "App\\Models\\Team", "team_members", True, ["joined_at"])
    assert {k: (v.table, v.column, v.literal is not None) for k, v in teams.keys.items()} == {
        "foreignPivotKey": ("team_members", "user_id", False), "relatedPivotKey": ("team_members", "team_id", False),
        "parentKey": ("users", "id", False), "relatedKey": ("teams", "id", False)}
    through = app.models["App\\Models\\Tenant"].relation("userWebhooks")
    assert through is not None
    assert {k: (v.table, v.column) for k, v in through.keys.items()} == {
        "firstKey": ("users", "tenant_id"), "secondKey": ("webhooks", "created_by_user_id"),
        "localKey": ("tenants", "id"), "secondLocalKey": ("users", "id")}
    tenant = app.models["App\\Models\\Webhook"].relation("tenant")  # belongsTo without keys: Laravel's defaults
    assert tenant is not None
    assert {k: (v.table, v.column) for k, v in tenant.keys.items()} == {
        "foreignKey": ("webhooks", "tenant_id"), "ownerKey": ("tenants", "id")}
    assert app.models["App\\Models\\APIKey"].fillable == ["tenant_id", "created_by_user_id", "name", "key_hash"]


CLASS_NAMES = ["User", "Webhook", "APIKey", "Team", "TeamMember", "HITLApproval", "AgentExecution", "Person",
               "Category", "Status", "Box", "Child", "Leaf", "Data", "Quiz", "Matrix", "Bus", "Address", "Analysis",
               "Sheep", "Wife", "Half", "Hero", "Criterion", "Mouse", "Ox", "Series", "Equipment", "UserProfile"]


def test_table_names_match_laravel() -> None:
    """The Python port of Str::snake(Str::pluralStudly()) etc. against Laravel's own functions."""
    require_laravel("sqlite")
    code = ("require 'Illuminate/Database/autoload.php'; use Illuminate\\Support\\Str; $out = [];"
            "foreach (json_decode($argv[1]) as $n) { $out[] = [Str::snake(Str::pluralStudly($n)),"
            " Str::snake($n).'_id', implode('_', [Str::snake($n), 'user'])]; } echo json_encode($out);")
    proc = subprocess.run([php_binary(), "-r", code, json.dumps(CLASS_NAMES)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    laravel = json.loads(proc.stdout)
    ours = [[default_table(n), default_foreign_key(n), "_".join([default_foreign_key(n)[:-3], "user"])] for n in CLASS_NAMES]
    assert ours == laravel
    assert joining_table("User", "Team") == "team_user"


# --------------------------------------------------------------------------- end to end, through Eloquent

BEFORE = [
    "CREATE TABLE tenants (id INTEGER PRIMARY KEY, name VARCHAR(100))",
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(100), email VARCHAR(100), tenant_id INTEGER,"
    " password VARCHAR(100), remember_token VARCHAR(100), created_at TIMESTAMP NULL, updated_at TIMESTAMP NULL)",
    "CREATE TABLE webhooks (id INTEGER PRIMARY KEY, tenant_id INTEGER, created_by_user_id INTEGER, url VARCHAR(200),"
    " events TEXT, is_active BOOLEAN, created_at TIMESTAMP NULL, updated_at TIMESTAMP NULL)",
    "CREATE TABLE api_keys (id INTEGER PRIMARY KEY, tenant_id INTEGER, created_by_user_id INTEGER, name VARCHAR(100),"
    " key_hash VARCHAR(100), created_at TIMESTAMP NULL, updated_at TIMESTAMP NULL)",
    "CREATE TABLE agents (id INTEGER PRIMARY KEY, name VARCHAR(100), created_by_user_id INTEGER, joined_at TIMESTAMP NULL,"
    " created_at TIMESTAMP NULL, updated_at TIMESTAMP NULL)",
    "CREATE TABLE teams (id INTEGER PRIMARY KEY, name VARCHAR(100), team_lead_id INTEGER,"
    " created_at TIMESTAMP NULL, updated_at TIMESTAMP NULL)",
    "CREATE TABLE team_members (team_id INTEGER, user_id INTEGER, joined_at TIMESTAMP NULL,"
    " created_at TIMESTAMP NULL, updated_at TIMESTAMP NULL)",
    "INSERT INTO tenants (id, name) VALUES (40, 'acme')",
    "INSERT INTO users (id, name, email, tenant_id) VALUES (1, 'ann', 'ann@example.com', 40), (2, 'bob', 'bob@example.com', 40)",
    "INSERT INTO webhooks (id, tenant_id, created_by_user_id, url, is_active) VALUES (10, 40, 1, 'https://a/hook', TRUE),"
    " (11, 40, 2, 'https://b/hook', TRUE), (12, 40, 1, 'https://a/off', FALSE)",
    "INSERT INTO api_keys (id, tenant_id, created_by_user_id, name, key_hash) VALUES (20, 40, 1, 'ann-key', 'h')",
    "INSERT INTO agents (id, name, created_by_user_id) VALUES (50, 'ann-agent', 1)",
    "INSERT INTO teams (id, name) VALUES (30, 'core')",
    "INSERT INTO team_members (team_id, user_id, joined_at) VALUES (30, 1, '2025-06-01 00:00:00'),"
    " (30, 2, '2024-01-01 00:00:00')",
]


def run_relations(db: Database, app_root: Path) -> subprocess.CompletedProcess[str]:
    db.dispose()
    return subprocess.run([php_binary(), str(APP / "relations.php"), json.dumps(laravel_config(db)), str(app_root)],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("db", ["sqlite", "postgresql", "mysql"], indirect=True)
def test_eloquent_works_after_write(db: Database, tmp_path: Path, spec: Path, app_copy: Path) -> None:
    require_laravel(db.dialect)
    db.execute(BEFORE)
    run_laravel(db, emit_laravel(spec, tmp_path), "up")  # the database now has the new names

    broken = run_relations(db, app_copy)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "created_by_user_id" in broken.stderr, broken.stderr  # the seed's runtime error

    assert cli("models", spec, "--app", app_copy, "--write").code == 1
    fixed = run_relations(db, app_copy)
    assert fixed.returncode == 0, fixed.stderr
    got = json.loads(fixed.stdout)
    for key, value in got.items():
        if isinstance(value, list):
            got[key] = sorted(value)
    assert got == {
        "user.webhooks": ["https://a/hook", "https://a/off"],
        "user.apiKeys": ["ann-key"],
        "user.agents": ["ann-agent"],  # the decoy relation kept created_by_user_id, and works
        "user.teams": [["core", "2025-06-01 00:00:00"]],
        "user.activeWebhooks": ["https://a/hook"],
        "user.recentTeams": ["core"],
        "webhook.createdBy": "ann",
        "webhook.isOwnedBy": True,
        "webhook.ownedBy": ["https://a/hook", "https://a/off"],
        "apiKey.createdBy": "ann",
        "team.members": [["ann", "2025-06-01 00:00:00"], ["bob", "2024-01-01 00:00:00"]],
        "tenant.userWebhooks": ["https://a/hook", "https://a/off", "https://b/hook"],
        "webhook.fillable": "1",  # $casts (renamed too) makes it a string
    }


# --------------------------------------------------------------------------- part 2: models against a live schema


def test_model_findings_against_the_old_schema(sqlite_db: Database, spec: Path, app_copy: Path) -> None:
    """The fixed models against the seed's database before its migration: the renames and the pivot timestamps."""
    from fixgen.dbschema import load_schema
    from fixgen.findings import dedupe, to_spec
    from fixgen.laravel_app.detect import fillable_warnings, model_findings

    seed_pivot = "CREATE TABLE team_members (team_id INTEGER, user_id INTEGER, joined_at TIMESTAMP NULL)"
    sqlite_db.execute([seed_pivot if s.startswith("CREATE TABLE team_members") else s for s in BEFORE])
    assert cli("models", spec, "--app", app_copy, "--write").code == 1
    app = load_app(app_copy)
    schema = load_schema(sqlite_db.url)
    findings = model_findings(app, schema)
    assert [(f.origin, f.kind, f.fields) for f in findings] == [
        ("app/Models/APIKey.php:18", "rename_column", {"table": "api_keys", "from": "created_by_user_id", "to": "user_id"}),
        ("app/Models/Team.php:14", "missing_timestamps", {"table": "team_members"}),
        ("app/Models/Tenant.php:13", "rename_column", {"table": "webhooks", "from": "created_by_user_id", "to": "user_id"}),
        ("app/Models/User.php:17", "rename_column", {"table": "webhooks", "from": "created_by_user_id", "to": "user_id"}),
        ("app/Models/User.php:22", "rename_column", {"table": "api_keys", "from": "created_by_user_id", "to": "user_id"}),
        ("app/Models/User.php:33", "missing_timestamps", {"table": "team_members"}),
        ("app/Models/Webhook.php:26", "rename_column", {"table": "webhooks", "from": "created_by_user_id", "to": "user_id"}),
    ]
    assert findings[3].message == ("User::webhooks (hasMany) names foreignKey webhooks.user_id, which the database lacks; "
                                   "webhooks.created_by_user_id looks like its old name")
    unique = dedupe(findings)
    assert len(unique) == 3
    to_spec(unique)  # a valid spec v1
    assert fillable_warnings(app, schema) == [
        "app/Models/APIKey.php:12: APIKey::$fillable names 'user_id', which table api_keys does not have",
        "app/Models/Webhook.php:12: Webhook::$fillable names 'user_id', which table webhooks does not have",
    ]
