"""fixgen's Laravel runtime (fixgen/targets/laravel/runtime.php) on its own, and how the renderer embeds it.

* Pure Python, no database (run by ``pytest -m "not db"``): the parse of runtime.php into members,
  the static call graph, that every golden file embeds only members its up()/down() reach, that no
  ledger fact is hard-coded in the PHP, the handler table, and the size targets.
* Lint (php -l, phpcs --standard=PSR12) of runtime.php and of every Laravel golden file.
* ``db``: the trait used by a small class through real Laravel (tests/laravel/runtime_runner.php), its
  methods called directly on PostgreSQL, MariaDB and SQLite.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support.dbs import Database
from support.laravel import emit_laravel, laravel_config, php_binary, php_lint, require_laravel, require_php
from support.roundtrip import ROOT, SEED_SPEC, TS, cli, write_spec

from fixgen import ledger, ops, partitions
from fixgen.targets.laravel import render
from fixgen.targets.laravel.render import HANDLERS, RUNTIME, parse_runtime, reachable, runtime_members

GOLDEN_DIR = ROOT / "tests" / "golden" / "laravel"
GOLDENS = sorted(GOLDEN_DIR.glob("*.php"))
RUNNER = ROOT / "tests" / "laravel" / "runtime_runner.php"
ONE_INDEX = {"version": 1, "name": "one_index",
             "issues": [{"kind": "missing_index", "table": "agents", "columns": ["created_by_user_id"]}]}


# =========================================================================== the embedder (no database)


def test_runtime_parses_into_members_with_docblocks() -> None:
    members = runtime_members()
    assert len(members) > 40
    names = [m.name for m in members]
    assert len(set(names)) == len(names)
    for m in members:
        assert m.text.startswith("    /**"), m.name
        assert re.search(rf"^    private (?:function {m.name}\(|\${m.name}\b)", m.text, re.M), m.name
    # every member the runtime declares is found: nothing is lost between two docblocks
    source = RUNTIME.read_text(encoding="utf-8")
    declared = re.findall(r"^    private (?:function (\w+)\(|\$(\w+))", source, re.M)
    assert [a or b for a, b in declared] == names


def test_call_graph_follows_methods_and_properties() -> None:
    source = '''<?php
trait T
{
    /** a */
    private $state = 1;

    /** b */
    private function one(): void
    {
        $this->two(); // $this->four() is only named in a comment
    }

    /** c */
    private function two(): int
    {
        return self::three() + $this->state;
    }

    /** d */
    private static function three(): int
    {
        return 3;
    }

    /** e */
    private function four(): void
    {
    }
}
'''
    members = parse_runtime(source)
    assert [m.name for m in members] == ["state", "one", "two", "three", "four"]
    assert [m.name for m in reachable(members, ["one"])] == ["state", "one", "two", "three"]
    assert [m.name for m in reachable(members, ["three"])] == ["three"]
    with pytest.raises(ValueError, match="no member nosuch"):
        reachable(members, ["nosuch"])
    with pytest.raises(ValueError, match="docblock"):
        parse_runtime("<?php\ntrait T\n{\n    private $x;\n}\n")


def _code(text: str) -> str:
    return re.sub(r"/\*.*?\*/|//[^\n]*", "", text, flags=re.S)


def _private_members(text: str) -> list[str]:
    return [a or b for a, b in re.findall(r"^    private (?:function (\w+)\(|\$(\w+))", text, re.M)]


@pytest.mark.parametrize("golden", GOLDENS, ids=[g.stem for g in GOLDENS])
def test_golden_embeds_only_what_up_and_down_reach(golden: Path) -> None:
    """Every private method or property of the file is used outside its own definition."""
    text = golden.read_text(encoding="utf-8")
    members = _private_members(text)
    assert members, golden
    code = _code(text)
    blocks = re.split(r"(?m)^(?=    (?:private|public) )", code)
    for name in members:
        if name.isupper():
            continue
        used = [b for b in blocks if re.search(rf"(?:\$this->|self::){name}\b", b)
                and not re.match(rf"    private (?:function {name}\(|\${name}\b)", b)]
        assert used, f"{golden.name}: {name} is embedded but nothing calls it"


def test_no_ledger_fact_is_hard_coded_in_the_runtime() -> None:
    code = _code(RUNTIME.read_text(encoding="utf-8"))
    for fact in (ledger.TABLE, *ledger.COLUMNS):
        assert f"'{fact}'" not in code and f'"{fact}"' not in code, fact
    assert "':'" not in code


def test_ledger_facts_come_from_fixgen_ledger(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(ledger, "TABLE", "other_ledger")
    monkeypatch.setattr(ledger, "STEP_SEPARATOR", "/")
    spec = write_spec(tmp_path, ONE_INDEX, own_folder=True)
    run = cli("emit", spec, "--target", "laravel", "--timestamp", TS)
    assert run.code == 0, run.output
    assert "private const LEDGER = 'other_ledger';" in run.stdout
    assert "private const STEP_SEPARATOR = '/';" in run.stdout


def test_every_op_class_and_its_reverse_has_one_handler() -> None:
    classes = {c for c in vars(ops).values() if isinstance(c, type) and issubclass(c, ops.Op)
               and c is not ops.Op and not c.__name__.startswith("_")}
    assert set(HANDLERS) == classes
    assert all(callable(h) for h in HANDLERS.values())
    assert "isinstance" not in Path(render.__file__).read_text(encoding="utf-8").split("# ---------------")[2]


def _emit(spec: Path | dict[str, Any], tmp_path: Path) -> str:
    if not isinstance(spec, Path):
        spec = write_spec(tmp_path, spec, own_folder=True)
    run = cli("emit", spec, "--target", "laravel", "--timestamp", TS)
    assert run.code == 0, run.output
    return run.stdout


# today's sizes (lines), a guard against growth; the issue's targets (seed <= 600, one index <= 150) are not
# met: the runtime an index-only spec reaches (three catalogs, online limits, the preflight pass, MySQL's
# implicit foreign-key index, the run lock, lock retries) is about 500 lines of PSR-12 PHP by itself, and
# PostgreSQL's partitioned tables and key-type check add fixgen/partitions.py's queries (~280 lines for an
# index, ~480 for the seed); the lost-ledger refusal of down and up's marker row add 21 lines, the lock
# holders query split to stay within 120 columns 1
SIZE_LIMITS = {"seed": 1819, "one_index": 910}
ISSUE_TARGETS = {"seed": 600, "one_index": 150}


def _sizes(tmp_path: Path) -> dict[str, int]:
    return {"seed": _emit(SEED_SPEC, tmp_path).count("\n"), "one_index": _emit(ONE_INDEX, tmp_path).count("\n")}


def test_size_does_not_grow(tmp_path: Path) -> None:
    sizes = _sizes(tmp_path)
    assert all(sizes[k] <= SIZE_LIMITS[k] for k in sizes), sizes


@pytest.mark.xfail(strict=True, reason="issue 15's size targets are not met yet (see SIZE_LIMITS)")
def test_size_targets_of_issue_15(tmp_path: Path) -> None:
    sizes = _sizes(tmp_path)
    assert all(sizes[k] <= ISSUE_TARGETS[k] for k in sizes), sizes


def test_one_index_file_has_nothing_for_other_kinds(tmp_path: Path) -> None:
    text = _emit(ONE_INDEX, tmp_path)
    members = set(_private_members(text))
    assert {"createIndex", "dropIndex", "run"} <= members
    for absent in ("addForeignKey", "dropForeignKey", "changeForeignKeyActions", "renameColumn", "addColumn",
                   "dropColumn", "foreignKeys", "rebuildSqliteTable", "makeForeignKey", "notNull", "orphans"):
        assert absent not in members, absent


# =========================================================================== lint

PHPCS = shutil.which("phpcs")


def _phpcs(path: Path) -> None:
    if PHPCS is None:
        pytest.skip("phpcs not found (Debian: apt-get install php-codesniffer)")
    proc = subprocess.run([PHPCS, "--standard=PSR12", "--report=full", str(path)], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"phpcs --standard=PSR12 {path.name}:\n{proc.stdout}{proc.stderr}"


@pytest.mark.parametrize("path", [RUNTIME, *GOLDENS], ids=["runtime", *(g.stem for g in GOLDENS)])
def test_php_lint_and_psr12(path: Path) -> None:
    require_php()
    php_lint(path)
    _phpcs(path)


def test_generated_files_pass_psr12_online_and_plain(tmp_path: Path) -> None:
    for flags in ((), ("--no-online",)):
        migration = emit_laravel(SEED_SPEC, tmp_path / f"m{len(flags)}", *flags)
        _phpcs(migration)


# =========================================================================== the runtime on real databases


def runtime(db: Database, *steps: list[Any], online: bool = True, check: bool = True) -> tuple[list[Any], str]:
    """Run `steps` (see runtime_runner.php) on db; (results, stderr)."""
    require_laravel(db.dialect)
    db.dispose()
    queries = {k: partitions.positional(q) for k, q in partitions.queries(online).items()}  # as render.py embeds them
    script = json.dumps({"online": online, "steps": [list(s) for s in steps], "partition_sql": queries})
    proc = subprocess.run([php_binary(), str(RUNNER), json.dumps(laravel_config(db)), script], capture_output=True,
                          text=True, timeout=300, cwd=ROOT, stdin=subprocess.DEVNULL)
    if check:
        assert proc.returncode == 0, proc.stderr
    assert "Warning" not in proc.stderr and "Deprecated" not in proc.stderr and "Notice" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1]), proc.stderr


def call(method: str, *args: Any) -> list[Any]:
    return ["call", method, list(args)]


BASE = ["CREATE TABLE parent (id integer PRIMARY KEY, code varchar(20) NOT NULL)",
        "CREATE TABLE child (id integer PRIMARY KEY, parent_id integer NULL, note varchar(50) NULL, tag varchar(9))",
        "CREATE INDEX child_by_hand ON child (parent_id, note)",
        "INSERT INTO parent (id, code) VALUES (1, 'a')",
        "INSERT INTO child (id, parent_id, note) VALUES (1, 1, 'x'), (2, NULL, 'y')"]


@pytest.mark.db
def test_has_index_by_definition(db: Database) -> None:
    db.execute(BASE)
    results, _ = runtime(db, call("hasIndex", "child", ["parent_id"], False),
                         call("hasIndex", "child", ["parent_id", "note"], False),
                         call("hasIndex", "child", ["note"], False),
                         call("hasIndex", "child", ["parent_id"], True),
                         call("hasIndex", "child", ["parent_id", "note"], False, True, "child_by_hand"),
                         call("hasIndex", "parent", ["id"], True, True),
                         call("indexState", "child", "child_by_hand"),
                         call("indexState", "child", "nosuch"))
    assert results == [True, True, False, False, True, True, True, None]


@pytest.mark.db
def test_create_index_records_then_builds_and_down_forgets(db: Database) -> None:
    db.execute(BASE)
    s0 = db.schema_snapshot()
    create = call("createIndex", "child", "child_tag_index", ["tag"])
    drop = call("dropIndex", "child", "child_tag_index", ["tag"])
    step = ["create_index", "child", "child_tag_index"]
    results, log = runtime(db, ["run", "up", [create, create, call("recorded", step), call("indexState", *step[1:])]],
                           ["run", "down", [drop, drop, call("recorded", step), call("indexState", *step[1:])]])
    assert results == [[None, None, True, True], [None, None, False, None]]
    assert log.splitlines() == ["fixgen up: [create_index:child:child_tag_index] created",
                                "fixgen up: [create_index:child:child_tag_index] already done",
                                "fixgen down: [create_index:child:child_tag_index] undone",
                                "fixgen down: [create_index:child:child_tag_index] nothing to undo"]
    assert db.schema_snapshot() == s0  # the ledger table is gone with its last row


@pytest.mark.db
def test_index_present_under_another_name_is_not_recorded(db: Database) -> None:
    db.execute(BASE)
    s0 = db.schema_snapshot()
    results, log = runtime(db, ["run", "up", [call("createIndex", "child", "child_parent_id_index", ["parent_id"]),
                                              call("indexState", "child", "child_parent_id_index")]],
                           ["run", "down", [call("dropIndex", "child", "child_parent_id_index", ["parent_id"])]])
    assert results == [[None, None], [None]]
    assert log.splitlines() == ["fixgen up: [create_index:child:child_parent_id_index] already present",
                                "fixgen down: [create_index:child:child_parent_id_index] nothing to undo"]
    assert db.schema_snapshot() == s0


@pytest.mark.db
def test_check_mode_reports_every_problem_at_once(db: Database) -> None:
    db.execute([*BASE, "ALTER TABLE child ADD COLUMN label varchar(9)"])
    s0 = db.schema_snapshot()
    steps = [call("renameColumn", "child", "note", "label"),
             call("renameColumn", "child", "old_tag", "tag2"),
             call("createIndex", "nosuch", "nosuch_x_index", ["x"]),
             call("createIndex", "child", "child_by_hand", ["tag"]),
             call("createIndex", "child", "child_tag2_index", ["tag2"]),
             call("addForeignKey", "child", "child_tag_foreign", ["tag"], "parent", ["code"])]
    _, err = runtime(db, ["run", "up", steps], check=False)
    assert err.splitlines() == [
        "RuntimeException: fixgen: nothing was changed:",
        " - cannot rename child.note to label: both columns exist; merge them by hand first",
        " - cannot rename child.old_tag to tag2: neither column exists",
        " - table nosuch does not exist",
        " - cannot create index child_by_hand on child: another object already has that name",
        " - column child.tag2 does not exist (nor old_tag, its name before the rename)",
        " - cannot add foreign key child_tag_foreign: parent (code) is not a primary key or unique",
    ]  # check mode logs nothing
    assert db.schema_snapshot() == s0  # no ledger table either


@pytest.mark.db
def test_foreign_key_round_trip_and_orphans(db: Database) -> None:
    db.execute([*BASE, "INSERT INTO child (id, parent_id) VALUES (3, 7)"])
    s0 = db.schema_snapshot()
    fk = ["child", "child_parent_id_foreign", ["parent_id"], "parent", ["id"], "set null"]
    _, err = runtime(db, ["run", "up", [call("addForeignKey", *fk)]], check=False)
    assert "\n - 1 orphan row(s) in child (parent_id) have no matching row in parent (id); list them with: " in err, err
    db.execute("DELETE FROM child WHERE id = 3")
    s0 = db.schema_snapshot()
    results, log = runtime(db, ["run", "up", [call("addForeignKey", *fk), call("foreignKeyReady", "child", fk[1])]],
                           ["run", "down", [call("dropForeignKey", *fk),
                                            call("foreignKeyNamed", "child", fk[1])]])
    assert results == [[None, True], [None, False]]
    assert log.splitlines() == ["fixgen up: [add_foreign_key:child:child_parent_id_foreign] added",
                                "fixgen down: [add_foreign_key:child:child_parent_id_foreign] undone"]
    assert db.schema_snapshot() == s0


@pytest.mark.db
def test_pg_invalid_leftover_is_rebuilt(pg_db: Database) -> None:
    db = pg_db
    db.execute([*BASE, "INSERT INTO child (id, tag) VALUES (5, 'd'), (6, 'd')"])
    create = call("createIndex", "child", "child_tag_unique", ["tag"], True)
    _, err = runtime(db, ["run", "up", [create]], check=False)
    assert "could not create unique index" in err
    assert db.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 'child_tag_unique'::regclass") == [(False,)]
    db.execute("DELETE FROM child WHERE id = 6")
    results, log = runtime(db, ["run", "up", [create, call("indexState", "child", "child_tag_unique")]])
    assert results == [[None, True]]
    assert log.splitlines() == ["fixgen up: [create_index:child:child_tag_unique] created"]


@pytest.mark.db
def test_pg_time_limits_during_the_run_and_restored_after(pg_db: Database) -> None:
    settings = "select current_setting('lock_timeout') as l, current_setting('statement_timeout') as s"
    results, _ = runtime(pg_db, ["sql", "set lock_timeout = '7s'"],
                         ["run", "up", [["select", settings]]], ["select", settings],
                         ["run", "up", [["select", settings]]], ["select", settings], online=True)
    assert results[1:3] == [[{"l": "5s", "s": "30s"}], {"l": "7s", "s": "0"}]


@pytest.mark.db
def test_mysql_time_limits_during_the_run_and_restored_after(mysql_db: Database) -> None:
    settings = "select @@session.lock_wait_timeout as l, @@session.innodb_lock_wait_timeout as i"
    results, _ = runtime(mysql_db, ["sql", "set session lock_wait_timeout = 77"],
                         ["run", "up", [["select", settings]]], ["select", settings])
    assert results[1][0] == {"l": 5, "i": 5}
    assert results[2]["l"] == 77
