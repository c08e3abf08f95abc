"""The CLI contract for bad input, and the input forms it must accept.

Bad input: exit code 2, one ``error: file:line: issue #N: message`` line per problem on
stderr, never a traceback, nothing written to --out. Everything here runs in-process
through typer's CliRunner (stdout and stderr apart) except two subprocess checks of
the real entry point (stdin, and a traceback-free failure).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support.roundtrip import TS, Run, cli

from fixgen import __version__
from fixgen.spec import KIND_FIELDS, KINDS, REQUIRED

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "examples" / "seed-fixes.yaml"


# --------------------------------------------------------------------------- helpers


def assert_usage_error(run: Run, *expected: str) -> None:
    """Exit 2, every stderr line an `error:` line, each expected text on one of them."""
    context = f"exit {run.code}\n--- stdout\n{run.stdout}\n--- stderr\n{run.stderr}"
    assert run.code == 2, context
    assert "Traceback" not in run.stderr + run.stdout, context
    # in-process, an unexpected exception shows up here instead of as a printed traceback
    assert isinstance(run.exception, SystemExit), f"{run.exception!r}\n{context}"
    assert run.errors, context
    assert all(line.startswith("error: ") for line in run.errors), context
    for text in expected:
        assert any(text in line for line in run.errors), f"expected {text!r} on an error line\n{context}"


def write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in an empty directory so messages carry the short relative file name."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def emit(spec: str, *extra: str, dialect: str = "postgresql", out: str | None = "out",
         input: str | bytes | None = None) -> Run:
    args = ["emit", spec, "--target", "sql", "--dialect", dialect, "--timestamp", TS]
    if out is not None:
        args += ["--out", out]
    return cli(*args, *extra, input=input)


def plan_text(spec: str, input: str | bytes | None = None) -> str:
    run = cli("plan", spec, input=input)
    assert run.code == 0, run.stderr
    return run.stdout


# --------------------------------------------------------------------------- bad specs

LONG64 = "i" * 64
LONG63 = "i" * 63
E_ACUTE_32 = "\u00e9" * 32  # 32 characters, 64 bytes in UTF-8

# (id, spec text, expected texts on error lines). The spec is written as bad.yaml;
# each case runs through emit (postgresql, --out), validate and plan.
BAD_SPECS = [
    ("yaml-syntax", "- kind: missing_index\n  table: a: b\n  columns: [x]\n",
     ["error: bad.yaml:2: cannot parse YAML/JSON: mapping values are not allowed"]),
    ("yaml-indentation", "- kind: missing_index\n  table: a\n columns: [x]\n",
     ["error: bad.yaml:3: cannot parse YAML/JSON:"]),
    ("json-syntax", '[{"kind": "missing_index", "table": "a"\n "columns": ["x"]}]\n',
     ["error: bad.yaml:2: cannot parse YAML/JSON:"]),
    ("json-unclosed", '[{"kind": "missing_index",\n "table": "a",\n "columns": ["x"]}\n',
     ["error: bad.yaml:4: cannot parse YAML/JSON:"]),
    ("unknown-kind", "- kind: missing_index\n  table: a\n  column: x\n- kind: missing_widget\n  table: a\n",
     ["error: bad.yaml:4: issue #2: unknown kind 'missing_widget'; expected one of: " + ", ".join(KINDS)]),
    ("missing-kind", "- table: a\n  column: x\n",
     ["error: bad.yaml:1: issue #1: missing 'kind'"]),
    ("issue-not-a-mapping", "- kind: missing_index\n  table: a\n  column: x\n- missing_index a.x\n",
     ["error: bad.yaml:4: issue #2: an issue must be a mapping with a 'kind', got str"]),
    ("missing-columns", "- kind: missing_index\n  table: a\n",
     ["error: bad.yaml:1: issue #1: missing_index needs 'columns' (or 'column' for one)"]),
    ("columns-is-a-string", "- kind: missing_index\n  table: a\n  columns: \"a\"\n",
     ["error: bad.yaml:3: issue #1: columns: expected a list of column names, got the string 'a' (write [a])"]),
    ("unique-is-a-string", "- kind: missing_index\n  table: a\n  columns: [x]\n  unique: \"yes\"\n",
     ["error: bad.yaml:4: issue #1: unique: expected true or false, got 'yes'"]),
    ("nullable-is-a-string", "- kind: missing_column\n  table: a\n  column: c\n  type: integer\n  nullable: \"no\"\n",
     ["error: bad.yaml:5: issue #1: nullable: expected true or false, got 'no'"]),
    ("columns-and-column", "- kind: missing_index\n  table: a\n  columns: [x]\n  column: y\n",
     ["error: bad.yaml:4: issue #1: give either 'columns' or 'column', not both"]),
    ("columns-repeat", "- kind: missing_index\n  table: a\n  columns: [x, x]\n",
     ["error: bad.yaml:3: issue #1: columns repeat a name"]),
    ("unknown-key-typo", "- kind: missing_index\n  table: a\n  colums: [x]\n",
     ["error: bad.yaml:3: issue #1: unknown key 'colums' for missing_index (allowed: "]),
    ("unknown-key-in-references",
     "- kind: missing_foreign_key\n  table: a\n  column: x\n  references: {table: b, colums: [p]}\n",
     ["error: bad.yaml:4: issue #1: references: unknown key(s) colums in references"]),
    ("unknown-top-level-key", "version: 1\nisues: []\nissues:\n  - {kind: missing_index, table: a, column: x}\n",
     ["error: bad.yaml: unknown top-level key(s): isues"]),
    ("bad-action", "- {kind: missing_foreign_key, table: a, column: x, references: b.id, on_delete: explode}\n",
     ["error: bad.yaml:1: issue #1: on_delete: expected one of"]),
    ("references-arity", "- {kind: missing_foreign_key, table: a, columns: [x, y], references: b}\n",
     ["error: bad.yaml:1: issue #1: references must name as many columns as 'columns' (2)"]),
    ("not-null-without-default", "- {kind: missing_column, table: a, column: c, type: integer, nullable: false}\n",
     ["error: bad.yaml:1: issue #1: a NOT NULL column needs a 'default'"]),
    ("rename-to-itself", "- {kind: rename_column, table: a, from: c, to: c}\n",
     ["error: bad.yaml:1: issue #1: 'from' and 'to' are the same column"]),
    # identifiers: anything that could end a quoted name or a statement is refused
    ("identifier-double-quote", "- kind: missing_index\n  table: 'a\"b'\n  columns: [x]\n",
     ["error: bad.yaml:2: issue #1: table: name 'a\"b' contains forbidden character(s) '\"'"]),
    ("identifier-single-quote", "- kind: missing_index\n  table: \"a'b\"\n  columns: [x]\n",
     ["error: bad.yaml:2: issue #1: table: name \"a'b\" contains forbidden character(s)"]),
    ("identifier-backtick", "- kind: missing_index\n  table: 'a`b'\n  columns: [x]\n",
     ["error: bad.yaml:2: issue #1: table: name 'a`b' contains forbidden character(s) '`'"]),
    ("identifier-semicolon", "- kind: missing_index\n  table: a\n  columns: ['x; DROP TABLE y']\n",
     ["error: bad.yaml:3: issue #1: columns: name 'x; DROP TABLE y' contains forbidden character(s) ';'"]),
    ("identifier-newline", "- kind: missing_index\n  table: a\n  columns: [\"x\\ny\"]\n",
     ["error: bad.yaml:3: issue #1: columns: name 'x\\ny' contains forbidden character(s) '\\n'"]),
    ("identifier-control-char", "- kind: rename_column\n  table: a\n  from: b\n  to: \"c\\x07\"\n",
     ["error: bad.yaml:4: issue #1: to: name 'c\\x07' contains forbidden character(s) '\\x07'"]),
    ("identifier-not-a-string", "- kind: missing_index\n  table: 123\n  columns: [x]\n",
     ["error: bad.yaml:2: issue #1: table: expected a name (string), got int"]),
    ("identifier-whitespace", "- kind: missing_index\n  table: ' a'\n  columns: [x]\n",
     ["error: bad.yaml:2: issue #1: table: name ' a' has leading or trailing whitespace"]),
    # contradictions between issues: reported at the later issue, naming the earlier one
    ("conflict-index-name",
     "- kind: missing_index\n  table: a\n  columns: [x]\n  name: ix_same\n"
     "- kind: missing_index\n  table: a\n  columns: [y]\n  name: ix_same\n",
     ["error: bad.yaml:5: issue #2: contradicts issue #1: two definitions for index ix_same"]),
    ("conflict-foreign-key",
     "- kind: missing_foreign_key\n  table: a\n  column: user_id\n  references: users.id\n"
     "- kind: missing_foreign_key\n  table: a\n  column: user_id\n  references: people.id\n",
     ["error: bad.yaml:5: issue #2: contradicts issue #1: two foreign keys on a (user_id)"]),
    ("conflict-column-type",
     "- kind: missing_column\n  table: a\n  column: c\n  type: integer\n"
     "- kind: missing_column\n  table: a\n  column: c\n  type: text\n",
     ["error: bad.yaml:5: issue #2: contradicts issue #1: two definitions for column a.c"]),
    ("conflict-rename-twice",
     "- kind: rename_column\n  table: a\n  from: c\n  to: d\n"
     "- kind: rename_column\n  table: a\n  from: c\n  to: e\n",
     ["error: bad.yaml:5: issue #2: contradicts issue #1: column a.c renamed twice"]),
    ("conflict-rename-same-target",
     "- kind: rename_column\n  table: a\n  from: b\n  to: d\n"
     "- kind: rename_column\n  table: a\n  from: c\n  to: d\n",
     ["error: bad.yaml:5: issue #2: contradicts issue #1: two columns renamed to a.d"]),
    ("conflict-drop-what-another-creates",
     "- {kind: missing_index, table: a, columns: [x]}\n- {kind: redundant_index, table: a, name: ix_old, columns: [x]}\n",
     ["error: bad.yaml:2: issue #2: contradicts issue #1: drops index ix_old that another issue asks to create"]),
    ("old-name-of-renamed-column",
     "- kind: rename_column\n  table: a\n  from: c\n  to: d\n"
     "- kind: missing_index\n  table: a\n  column: c\n",
     ["error: bad.yaml:5: issue #2: names a.c, which a rename in this spec turns into d: use the new name"]),
    ("old-name-in-references",
     "- {kind: rename_column, table: users, from: uid, to: id}\n"
     "- {kind: missing_foreign_key, table: a, column: user_id, references: users.uid}\n",
     ["error: bad.yaml:2: issue #2: names users.uid, which a rename in this spec turns into id: use the new name"]),
    # shape of the whole document
    ("empty-list", "[]\n", ["error: bad.yaml: the spec has no issues: nothing to fix"]),
    ("empty-issues", "version: 1\nissues: []\n", ["error: bad.yaml: the spec has no issues: nothing to fix"]),
    ("empty-file", "", ["error: bad.yaml: the spec is empty: expected a list of issues"]),
    ("comments-only", "# nothing here\n", ["error: bad.yaml: the spec is empty: expected a list of issues"]),
    ("mapping-without-issues", "version: 1\nname: fix\n", ["error: bad.yaml: missing key 'issues' (a list of issues)"]),
    ("issues-not-a-list", "issues: {kind: missing_index, table: a, column: x}\n",
     ["error: bad.yaml: expected a list of issues, got dict"]),
    ("scalar-document", "just some text\n", ["error: bad.yaml: expected a list of issues, got str"]),
    ("version-2", "version: 2\nissues:\n  - {kind: missing_index, table: a, column: x}\n",
     ["error: bad.yaml: unsupported spec version 2; this fixgen reads version 1"]),
    ("bad-spec-name", "name: my fix\nissues:\n  - {kind: missing_index, table: a, column: x}\n",
     ["error: bad.yaml: name must use letters, digits and underscores only, got 'my fix'"]),
    ("duplicate-key-in-issue", "- kind: missing_index\n  table: a\n  table: b\n  column: x\n",
     ["error: bad.yaml:3: duplicate key 'table'"]),
    ("duplicate-top-level-key",
     "issues:\n  - {kind: missing_index, table: a, column: x}\nissues:\n  - {kind: missing_index, table: b, column: x}\n",
     ["error: bad.yaml:3: duplicate key 'issues'"]),
    ("duplicate-key-in-json", '[{"kind": "missing_index", "table": "a",\n "table": "b", "column": "x"}]\n',
     ["error: bad.yaml:2: duplicate key 'table'"]),
    ("python-tag", "- kind: missing_index\n  table: !!python/object:os.system {}\n  column: x\n",
     ["error: bad.yaml:2: cannot parse YAML/JSON:"]),
    ("multiple-documents", "- {kind: missing_index, table: a, column: x}\n---\n- {kind: missing_index, table: b, column: x}\n",
     ["error: bad.yaml:2: cannot parse YAML/JSON: but found another document"]),
    ("not-utf8", b"- kind: missing_index\n  table: \xff\n", ["error: bad.yaml: not UTF-8 text"]),
    # PostgreSQL counts identifier bytes: 63 is the limit; validate and plan check it too
    ("index-name-64-bytes", f"- kind: missing_index\n  table: a\n  column: x\n  name: {LONG64}\n",
     [f"error: bad.yaml:1: issue #1: name '{LONG64}' is longer than 63 bytes"]),
    ("index-name-64-bytes-multibyte", f"- kind: missing_index\n  table: a\n  column: x\n  name: {E_ACUTE_32}\n",
     [f"error: bad.yaml:1: issue #1: name '{E_ACUTE_32}' is longer than 63 bytes"]),
    ("foreign-key-name-64-bytes",
     f"- {{kind: missing_foreign_key, table: a, column: x, references: b.id, name: {LONG64}}}\n",
     [f"error: bad.yaml:1: issue #1: name '{LONG64}' is longer than 63 bytes"]),
]


@pytest.mark.parametrize("command", ["emit", "validate", "plan"])
@pytest.mark.parametrize(("content", "expected"), [c[1:] for c in BAD_SPECS], ids=[c[0] for c in BAD_SPECS])
def test_bad_spec(cwd: Path, command: str, content: str | bytes, expected: list[str]) -> None:
    write(cwd / "bad.yaml", content)
    run = emit("bad.yaml") if command == "emit" else cli(command, "bad.yaml")
    assert_usage_error(run, *expected)
    assert run.stdout == ""
    assert not (cwd / "out").exists(), "a file was written for a bad spec"


def test_problems_are_all_reported_in_one_pass(cwd: Path) -> None:
    """Every problem of every issue, each on its own line with its own location."""
    write(cwd / "bad.yaml",
          "- kind: missing_index\n  table: a\n  columns: [x]\n  unique: \"yes\"\n"  # 1-4
          "- kind: missing_widget\n"  # 5
          "- kind: rename_column\n  table: a\n  from: b\n")  # 6-8
    run = emit("bad.yaml")
    assert_usage_error(run, "error: bad.yaml:4: issue #1: unique:", "error: bad.yaml:5: issue #2: unknown kind",
                       "error: bad.yaml:6: issue #3: rename_column needs 'to'")
    assert len(run.errors) == 3, run.stderr


# every required field of every kind, taken away from an otherwise valid issue
VALID_ISSUE = {
    "missing_index": {"table": "t", "columns": ["a"]},
    "missing_foreign_key": {"table": "t", "columns": ["a"], "references": "u.id"},
    "missing_column": {"table": "t", "column": "c", "type": "integer"},
    "missing_timestamps": {"table": "t"},
    "rename_column": {"table": "t", "from": "a", "to": "b"},
    "redundant_index": {"table": "t", "name": "ix_t_a", "columns": ["a"]},
    "foreign_key_actions": {"table": "t", "name": "t_a_fkey", "columns": ["a"], "references": "u.id",
                            "on_delete": "cascade"},
}
MISSING_FIELD_CASES = [(kind, key) for kind in KINDS for key in REQUIRED[kind]]


def test_valid_issue_table_covers_every_kind() -> None:
    assert set(VALID_ISSUE) == set(KINDS)


@pytest.mark.parametrize(("kind", "key"), MISSING_FIELD_CASES, ids=[f"{k}-{f}" for k, f in MISSING_FIELD_CASES])
def test_missing_required_field(cwd: Path, kind: str, key: str) -> None:
    fields = {k: v for k, v in VALID_ISSUE[kind].items() if k != key}
    write(cwd / "bad.json", json.dumps([{"kind": kind, **fields}], indent=1))
    run = emit("bad.json")
    assert_usage_error(run, f"error: bad.json:2: issue #1: {kind} needs '{key}'")
    assert not (cwd / "out").exists()


@pytest.mark.parametrize("kind", KINDS)
def test_each_valid_issue_passes(cwd: Path, kind: str) -> None:
    """The other side of test_missing_required_field: the full issue is accepted."""
    write(cwd / "ok.json", json.dumps([{"kind": kind, **VALID_ISSUE[kind]}]))
    run = cli("validate", "ok.json")
    assert run.code == 0, run.stderr
    assert run.stdout == "ok.json: 1 issue(s), valid\n"


@pytest.mark.parametrize("kind", KINDS)
def test_unknown_key_for_each_kind(cwd: Path, kind: str) -> None:
    write(cwd / "bad.json", json.dumps([{"kind": kind, **VALID_ISSUE[kind], "colour": "red"}]))
    allowed = ", ".join(sorted({"kind", "id", "message", "source", *KIND_FIELDS[kind]}))
    assert_usage_error(cli("validate", "bad.json"),
                       f"error: bad.json:1: issue #1: unknown key 'colour' for {kind} (allowed: {allowed})")


def test_index_name_of_63_bytes_is_accepted(cwd: Path) -> None:
    write(cwd / "ok.yaml", f"- kind: missing_index\n  table: a\n  column: x\n  name: {LONG63}\n")
    run = emit("ok.yaml")
    assert run.code == 0, run.stderr
    assert LONG63 in (cwd / "out" / f"{TS}_fix_schema.up.sql").read_text()


def test_mysql_counts_characters_not_bytes(cwd: Path) -> None:
    """32 x 'e-acute' is 64 bytes: too long for PostgreSQL, but 32 characters fit MySQL's 64."""
    write(cwd / "ok.yaml", f"- kind: missing_index\n  table: a\n  column: x\n  name: {E_ACUTE_32}\n")
    assert emit("ok.yaml", dialect="mysql").code == 0
    assert_usage_error(emit("ok.yaml", dialect="postgresql"), "is longer than 63 bytes")


# --------------------------------------------------------------------------- bad options

OK_SPEC = "- kind: missing_index\n  table: a\n  column: x\n"

BAD_OPTIONS = [
    ("unknown-dialect", ["--dialect", "oracle"], ["error: unknown dialect 'oracle'; choose one of:"]),
    ("unknown-target", ["--target", "cobol"], ["error: unknown target 'cobol'; choose one of:"]),
    ("timestamp-too-short", ["--timestamp", "2025"], ["error: --timestamp must be YYYYMMDDHHMMSS, got '2025'"]),
    ("timestamp-with-space", ["--timestamp", "20251119 120000"], ["error: --timestamp must be YYYYMMDDHHMMSS"]),
    ("timestamp-iso", ["--timestamp", "2025-11-19T12:00"], ["error: --timestamp must be YYYYMMDDHHMMSS"]),
    ("timestamp-feb-30", ["--timestamp", "20250230120000"], ["error: --timestamp '20250230120000' is not a valid date and time"]),
    ("timestamp-hour-25", ["--timestamp", "20251119250000"], ["error: --timestamp '20251119250000' is not a valid"]),
    ("name-with-space", ["--name", "my fix"],
     ["error: --name must use letters, digits and underscores only, got 'my fix'"]),
    ("name-with-slash", ["--name", "../evil"], ["error: --name must use letters, digits and underscores only"]),
    ("name-empty", ["--name", ""], ["error: --name must use letters, digits and underscores only"]),
]


@pytest.mark.parametrize(("extra", "expected"), [c[1:] for c in BAD_OPTIONS], ids=[c[0] for c in BAD_OPTIONS])
def test_bad_option(cwd: Path, extra: list[str], expected: list[str]) -> None:
    write(cwd / "ok.yaml", OK_SPEC)
    # options given later override emit()'s defaults
    run = cli("emit", "ok.yaml", "--target", "sql", "--dialect", "postgresql", "--timestamp", TS, "--out", "out", *extra)
    assert_usage_error(run, *expected)
    assert not (cwd / "out").exists()


def test_option_errors_do_not_blame_the_spec(cwd: Path) -> None:
    """A problem with an option has no spec location: no '<spec>:' or file prefix."""
    write(cwd / "ok.yaml", OK_SPEC)
    run = emit("ok.yaml", "--dialect", "oracle")
    assert_usage_error(run)
    assert "<spec>" not in run.stderr and "ok.yaml" not in run.stderr, run.stderr


def test_missing_dialect(cwd: Path) -> None:
    write(cwd / "ok.yaml", OK_SPEC)
    assert_usage_error(cli("emit", "ok.yaml", "--target", "sql", "--out", "out"),
                       "error: target sql needs --dialect (postgresql, mysql or sqlite)")
    assert not (cwd / "out").exists()


@pytest.mark.parametrize("command", ["emit", "validate", "plan"])
def test_nonexistent_spec_file(cwd: Path, command: str) -> None:
    run = emit("nope.yaml") if command == "emit" else cli(command, "nope.yaml")
    assert_usage_error(run, "no such file: nope.yaml")
    assert not (cwd / "out").exists()


def test_spec_path_is_a_directory(cwd: Path) -> None:
    (cwd / "specs").mkdir()
    assert_usage_error(emit("specs"), "no such file: specs")


def test_out_is_an_existing_file(cwd: Path) -> None:
    write(cwd / "ok.yaml", OK_SPEC)
    write(cwd / "out", "keep me\n")
    assert_usage_error(emit("ok.yaml", out="out"), "error: --out out exists and is not a directory")
    assert (cwd / "out").read_text() == "keep me\n"
    assert sorted(p.name for p in cwd.iterdir()) == ["ok.yaml", "out"]


def test_sqlite_cannot_guard_a_foreign_key(cwd: Path) -> None:
    write(cwd / "bad.yaml", "- kind: missing_index\n  table: a\n  column: y\n"
                            "- kind: missing_foreign_key\n  table: a\n  column: user_id\n  references: users\n")
    run = emit("bad.yaml", dialect="sqlite")
    assert_usage_error(run, "error: bad.yaml:4: issue #2: sqlite SQL cannot add foreign key fk_a_user_id_users")
    line = next(e for e in run.errors if "foreign key" in e)
    assert "--target laravel" in line and "alembic" in line, line
    assert not (cwd / "out").exists()


def test_sqlite_cannot_guard_a_new_column(cwd: Path) -> None:
    write(cwd / "bad.yaml", "- {kind: missing_column, table: a, column: c, type: integer}\n")
    run = emit("bad.yaml", dialect="sqlite", out=None)
    assert_usage_error(run, "error: bad.yaml:1: issue #1: sqlite SQL cannot add column a.c")
    assert run.stdout == ""


def test_error_without_out_prints_nothing_to_stdout(cwd: Path) -> None:
    write(cwd / "bad.yaml", "- kind: missing_index\n  table: a\n  colums: [x]\n")
    run = emit("bad.yaml", out=None)
    assert_usage_error(run, "unknown key 'colums'")
    assert run.stdout == ""


def test_real_process_reports_without_traceback(tmp_path: Path) -> None:
    """The installed entry point, not CliRunner: exit 2 and one clean line."""
    spec = write(tmp_path / "bad.yaml", "- kind: missing_index\n  table: a\n  colums: [x]\n")
    p = subprocess.run([sys.executable, "-m", "fixgen", "emit", str(spec), "--dialect", "postgresql",
                        "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2, p.stderr
    assert "Traceback" not in p.stderr
    assert f"error: {spec}:3: issue #1: unknown key 'colums'" in p.stderr
    assert p.stdout == ""
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- accepted forms


def test_bom_and_crlf_are_accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A UTF-8 BOM and Windows line endings change nothing: same output, same line numbers."""
    text = ("version: 1\nname: bom_test\nissues:\n"
            "  - kind: missing_index\n    table: a\n    columns: [x]\n"
            "  - kind: missing_column\n    table: a\n    column: note\n    type: text\n    default: \"a\u00e9\"\n")
    (tmp_path / "plain").mkdir()
    (tmp_path / "windows").mkdir()
    write(tmp_path / "plain" / "s.yaml", text)
    write(tmp_path / "windows" / "s.yaml", b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    outputs = []
    for sub in ("plain", "windows"):
        monkeypatch.chdir(tmp_path / sub)
        run = emit("s.yaml", out=None)
        assert run.code == 0, run.stderr
        outputs.append(run.stdout)
    assert outputs[0] == outputs[1]
    assert "\r" not in outputs[1] and "\ufeff" not in outputs[1]
    assert "a\u00e9" in outputs[1]
    # line numbers count CRLF lines like LF lines; the BOM is not a character of line 1
    write(tmp_path / "windows" / "bad.yaml",
          b"\xef\xbb\xbf" + b"version: 1\r\nissues:\r\n  - kind: missing_index\r\n    table: a\r\n    colums: [x]\r\n")
    assert_usage_error(cli("validate", "bad.yaml"), "error: bad.yaml:5: issue #1: unknown key 'colums'")


def test_json_input_bare_list_and_mapping(cwd: Path) -> None:
    issues = [{"kind": "missing_index", "table": "a", "columns": ["x"], "id": "j1"},
              {"kind": "missing_foreign_key", "table": "a", "column": "u", "references": {"table": "users"}}]
    write(cwd / "list.json", json.dumps(issues))
    write(cwd / "mapping.json", json.dumps({"version": 1, "issues": issues}, indent=2))
    write(cwd / "tabs.json", json.dumps({"version": 1, "issues": issues}, indent="\t"))
    write(cwd / "same.yaml", yaml.safe_dump(issues))
    expected = plan_text("same.yaml")
    for name in ("list.json", "mapping.json", "tabs.json"):
        assert plan_text(name) == expected, name
        run = cli("validate", name)
        assert run.stdout == f"{name}: 2 issue(s), valid\n", run.stderr
    assert emit("mapping.json").code == 0
    assert sorted(p.name for p in (cwd / "out").iterdir()) == [f"{TS}_fix_schema.down.sql", f"{TS}_fix_schema.up.sql"]


def test_json_error_in_tab_indented_json_keeps_its_location(cwd: Path) -> None:
    write(cwd / "bad.json", '[\n\t{"kind": "missing_index",\n\t "table": "a",\n\t "colums": ["x"]\n\t}\n]\n')
    assert_usage_error(cli("validate", "bad.json"), "error: bad.json:4: issue #1: unknown key 'colums'")


def test_stdin_dash(cwd: Path) -> None:
    spec = '[{"kind": "missing_index", "table": "a", "column": "x"}]'
    run = cli("validate", "-", input=spec)
    assert (run.code, run.stdout) == (0, "<stdin>: 1 issue(s), valid\n"), run.stderr
    run = emit("-", input=spec)
    assert run.code == 0, run.stderr
    up = (cwd / "out" / f"{TS}_fix_schema.up.sql").read_text()
    assert "from <stdin>" in up
    assert_usage_error(cli("validate", "-", input="- kind: missing_index\n  table: a\n  colums: [x]\n"),
                       "error: <stdin>:3: issue #1: unknown key 'colums'")


def test_stdin_dash_real_process(tmp_path: Path) -> None:
    p = subprocess.run([sys.executable, "-m", "fixgen", "emit", "-", "--dialect", "mysql", "--timestamp", TS],
                       input=SEED.read_bytes(), capture_output=True, timeout=60, cwd=tmp_path)
    assert p.returncode == 0, p.stderr.decode()
    out = p.stdout.decode()
    assert f"-- ===== {TS}_fix_migration_inconsistencies.up.sql =====" in out
    assert "from <stdin>" in out
    assert list(tmp_path.iterdir()) == []


def test_identical_issues_merge_into_one_step(cwd: Path) -> None:
    write(cwd / "s.yaml",
          "- {id: det-1, kind: missing_index, table: a, columns: [x], message: found by tool A}\n"
          "- {id: det-2, kind: missing_index, table: a, column: x, message: found by tool B}\n")
    out = plan_text("s.yaml")
    assert "plan fix_schema: 1 step(s)" in out
    steps = [line for line in out.splitlines() if re.match(r"\s+\d+\. create index", line)]
    assert len(steps) == 1, out
    assert steps[0].endswith("[#1 det-1, #2 det-2]"), out
    run = emit("s.yaml", out=None)
    assert run.code == 0
    assert "det-1" in run.stdout and "det-2" in run.stdout  # both issues credited in comments


def test_foreign_key_and_index_on_same_columns_merge(cwd: Path) -> None:
    """An explicit index request also serves as the foreign key's supporting index."""
    write(cwd / "s.yaml", "- {kind: missing_foreign_key, table: a, column: u, references: users}\n"
                          "- {kind: missing_index, table: a, column: u}\n")
    out = plan_text("s.yaml")
    assert "2 step(s)" in out, out
    assert re.search(r"create index ix_a_u on a \(u\)\s+\[#1, #2\]", out), out


@pytest.mark.parametrize(("variant", "issue"), [
    ("columns-list", "{kind: missing_foreign_key, table: a, columns: [u], references: users.id}"),
    ("column-shorthand", "{kind: missing_foreign_key, table: a, column: u, references: users.id}"),
    ("references-table-only", "{kind: missing_foreign_key, table: a, column: u, references: users}"),
    ("references-mapping-columns", "{kind: missing_foreign_key, table: a, column: u, "
                                   "references: {table: users, columns: [id]}}"),
    ("references-mapping-column", "{kind: missing_foreign_key, table: a, column: u, "
                                  "references: {table: users, column: id}}"),
    ("references-mapping-table-only", "{kind: missing_foreign_key, table: a, column: u, references: {table: users}}"),
])
def test_shorthand_forms_mean_the_same(cwd: Path, variant: str, issue: str) -> None:
    write(cwd / "s.yaml", f"- {issue}\n")
    out = plan_text("s.yaml")
    assert "add foreign key fk_a_u_users on a (u) -> users (id) on delete NO ACTION on update NO ACTION" in out, out
    assert "create index ix_a_u on a (u) (supports a foreign key)" in out, out


def test_composite_references_mapping(cwd: Path) -> None:
    write(cwd / "s.yaml", "- {kind: missing_foreign_key, table: a, columns: [x, y], "
                          "references: {table: b, columns: [p, q]}, on_delete: SET NULL}\n")
    assert "-> b (p, q) on delete SET NULL" in plan_text("s.yaml")


def test_index_column_shorthand(cwd: Path) -> None:
    write(cwd / "one.yaml", "- {kind: missing_index, table: a, column: x, unique: true}\n")
    write(cwd / "many.yaml", "- {kind: missing_index, table: a, columns: [x], unique: true}\n")
    assert plan_text("one.yaml") == plan_text("many.yaml")
    assert "create unique index uq_a_x on a (x)" in plan_text("one.yaml")


def test_out_twice_needs_force(cwd: Path) -> None:
    write(cwd / "ok.yaml", OK_SPEC)
    first = emit("ok.yaml")
    assert first.code == 0, first.stderr
    files = sorted((cwd / "out").iterdir())
    assert [p.name for p in files] == [f"{TS}_fix_schema.down.sql", f"{TS}_fix_schema.up.sql"]
    assert first.stderr == "".join(f"wrote {Path('out') / p.name}\n" for p in reversed(files))  # up first
    generated = {p: p.read_bytes() for p in files}
    for p in files:  # mark them, to see whether they are overwritten
        p.write_bytes(b"-- edited by hand\n")
    stamps = {p: p.stat().st_mtime_ns for p in files}

    again = emit("ok.yaml")
    assert_usage_error(again, "error: refusing to overwrite", "(use --force)")
    for p in files:
        assert p.read_bytes() == b"-- edited by hand\n"
        assert p.stat().st_mtime_ns == stamps[p]
    assert sorted((cwd / "out").iterdir()) == files  # no temp files left behind

    forced = emit("ok.yaml", "--force")
    assert forced.code == 0, forced.stderr
    assert sorted((cwd / "out").iterdir()) == files
    for p in files:
        assert p.read_bytes() == generated[p]


def test_out_directory_is_created(cwd: Path) -> None:
    write(cwd / "ok.yaml", OK_SPEC)
    assert emit("ok.yaml", out="a/b/c").code == 0
    assert len(list((cwd / "a" / "b" / "c").iterdir())) == 2


# --------------------------------------------------------------------------- schema, version


def _schema() -> dict:
    run = cli("schema")
    assert run.code == 0, run.stderr
    return json.loads(run.stdout)


def test_schema_is_a_json_schema_for_every_kind() -> None:
    schema = _schema()
    assert schema["$schema"].startswith("https://json-schema.org/")
    issue_variants = schema["$defs"]["issue"]["oneOf"]
    kinds = {v["properties"]["kind"]["const"]: v for v in issue_variants}
    assert set(kinds) == set(KINDS)
    for kind, variant in kinds.items():
        assert variant["type"] == "object"
        assert variant["additionalProperties"] is False, kind
        assert set(variant["required"]) == {"kind", *REQUIRED[kind]}, kind
        assert set(variant["properties"]) == {"kind", "id", "message", "source", *KIND_FIELDS[kind]}, kind
    top = [v for v in schema["oneOf"] if v.get("type") == "object"]
    assert len(top) == 1
    assert top[0]["additionalProperties"] is False
    assert top[0]["required"] == ["issues"]
    assert set(top[0]["properties"]) == {"version", "name", "issues"}


def test_schema_accepts_the_seed_and_rejects_typos() -> None:
    import jsonschema  # in the test extra: the published schema must accept the example
    schema = _schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    seed = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    assert list(validator.iter_errors(seed)) == []
    assert list(validator.iter_errors(seed["issues"])) == []  # the bare-list form
    for bad in (
        [{"kind": "missing_index", "table": "a", "colums": ["x"]}],
        [{"kind": "missing_index", "table": "a", "columns": "x"}],
        [{"kind": "missing_index", "table": "a", "columns": ["x"], "unique": "yes"}],
        [{"kind": "missing_widget", "table": "a"}],
        [{"kind": "missing_column", "table": "a", "column": "c"}],
        [{"kind": "missing_index", "table": "a;b", "columns": ["x"]}],
        [],
        {"version": 2, "issues": [{"kind": "missing_timestamps", "table": "a"}]},
        {"name": "x"},
    ):
        assert list(validator.iter_errors(bad)), f"schema accepts {bad!r}"


def test_version() -> None:
    run = cli("--version")
    assert (run.code, run.stdout) == (0, f"fixgen {__version__}\n")
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(rf'^version = "{re.escape(__version__)}"$', pyproject, re.M), "pyproject version differs"


def test_no_arguments_shows_help() -> None:
    run = cli()
    assert run.code == 2
    assert "Usage:" in run.stdout + run.stderr and "emit" in run.stdout + run.stderr


# --------------------------------------------------------------------------- known bugs
# Each test below fails against the current fixgen; the docstring says input, expected, actual.


def test_out_below_a_regular_file_is_a_usage_error(cwd: Path) -> None:
    """--out afile/sub where afile is a file: expected exit 2 and one error line;
    actual: NotADirectoryError from Path.mkdir in writer.write_files, exit 1 with a traceback."""
    write(cwd / "ok.yaml", OK_SPEC)
    write(cwd / "afile", "keep me\n")
    assert_usage_error(emit("ok.yaml", out="afile/sub"), "afile")
    assert (cwd / "afile").read_text() == "keep me\n"


def test_force_onto_a_directory_is_a_usage_error(cwd: Path) -> None:
    """--force when a directory sits where an output file goes: expected exit 2, nothing written;
    actual: IsADirectoryError from os.replace in writer.write_files, exit 1 with a traceback."""
    write(cwd / "ok.yaml", OK_SPEC)
    (cwd / "out" / f"{TS}_fix_schema.up.sql").mkdir(parents=True)
    assert_usage_error(emit("ok.yaml", "--force"), f"{TS}_fix_schema.up.sql")
    assert [p.name for p in (cwd / "out").iterdir()] == [f"{TS}_fix_schema.up.sql"]


def test_recursive_yaml_alias_is_a_usage_error(cwd: Path) -> None:
    """`- &a [*a]` (a list containing itself): expected exit 2 with a located message;
    actual: RecursionError in spec._check_duplicate_keys, exit 1 with a traceback."""
    write(cwd / "bad.yaml", "- &a [*a]\n")
    assert_usage_error(cli("validate", "bad.yaml"), "error: bad.yaml:1:")


def test_alias_bomb_is_rejected_quickly(tmp_path: Path) -> None:
    """A 470-byte "billion laughs" spec (7 levels of 9 aliases): expected a fast exit 2;
    actual: spec._check_duplicate_keys walks every alias expansion (9**7 nodes): ~12 s of CPU,
    and each further level multiplies that by 9."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 8)]
    spec = write(tmp_path / "bomb.yaml", "\n".join(lines) + "\nissues: [{kind: missing_index, table: a, column: x}]\n")
    try:
        p = subprocess.run([sys.executable, "-m", "fixgen", "validate", str(spec)],
                           capture_output=True, text=True, timeout=5)
    except subprocess.TimeoutExpired:
        pytest.fail("fixgen validate did not finish within 5 s on a 470-byte spec")
    assert p.returncode == 2, p.stderr


def test_rename_swap_is_a_conflict(cwd: Path) -> None:
    """rename a.c -> d and rename a.d -> c in one spec: expected exit 2 (the renames contradict
    each other; in either order one of them undoes the other); actual: exit 0, a 2-step plan."""
    write(cwd / "bad.yaml", "- {kind: rename_column, table: a, from: c, to: d}\n"
                            "- {kind: rename_column, table: a, from: d, to: c}\n")
    assert_usage_error(emit("bad.yaml"), "error: bad.yaml:2: issue #2:")
    assert not (cwd / "out").exists()


def test_invalid_column_list_is_one_problem(cwd: Path) -> None:
    """`columns: "a"` (or a list with a bad name) is one problem; expected one error line;
    actual: a second line `missing_index needs 'columns'`, though columns was given."""
    write(cwd / "bad.yaml", "- kind: missing_index\n  table: a\n  columns: \"a\"\n")
    run = cli("validate", "bad.yaml")
    assert_usage_error(run, "columns: expected a list of column names")
    assert len(run.errors) == 1, run.stderr


def test_impossible_timestamp_message_names_the_problem(cwd: Path) -> None:
    """--timestamp 20251319120000 (month 13): expected a message saying the date is invalid;
    actual: "--timestamp '20251319120000': unconverted data remains: 00" (strptime's wording)."""
    write(cwd / "ok.yaml", OK_SPEC)
    run = cli("emit", "ok.yaml", "--dialect", "postgresql", "--timestamp", "20251319120000")
    assert_usage_error(run, "--timestamp")
    assert "unconverted data" not in run.stderr, run.stderr


def test_foreign_key_actions_that_change_nothing_are_refused(cwd: Path) -> None:
    write(cwd / "same.yaml", "- kind: foreign_key_actions\n  table: t\n  name: t_a_fkey\n  column: a\n"
                             "  references: u.id\n  on_delete: cascade\n  current_on_delete: CASCADE\n")
    assert_usage_error(cli("validate", "same.yaml"), "error: same.yaml:6: issue #1: on_delete/on_update equal "
                                                     "current_on_delete/current_on_update: nothing to change")


def test_foreign_key_actions_and_a_new_foreign_key_of_one_name_contradict(cwd: Path) -> None:
    write(cwd / "both.yaml", "- {kind: missing_foreign_key, table: t, column: a, references: u.id, name: t_a_fkey}\n"
                             "- {kind: foreign_key_actions, table: t, name: t_a_fkey, column: a, references: u.id, "
                             "on_delete: cascade}\n")
    run = cli("validate", "both.yaml")
    assert run.code == 2, run.output
    assert "contradicts issue #1: two definitions for foreign key t_a_fkey" in run.stderr


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--lock-timeout", "5", "--lock-timeout must be a duration with its unit, like 500ms, 5s or 1min, got '5'"),
    ("--lock-timeout", "5 sec", "--lock-timeout must be a duration with its unit, like 500ms, 5s or 1min, got '5 sec'"),
    ("--lock-timeout", "0", "--lock-timeout must be more than 0 (0 would wait for a lock forever)"),
    ("--statement-timeout", "2days", "--statement-timeout must be a duration with its unit, like 500ms, 5s or 1min, "
                                     "got '2days'"),
    ("--statement-timeout", "1441min", "--statement-timeout '1441min' is more than a day"),
])
def test_timeouts_need_a_unit_and_a_sane_value(cwd: Path, option: str, value: str, message: str) -> None:
    write(cwd / "ok.yaml", "- {kind: missing_index, table: t, column: a}\n")
    assert_usage_error(emit("ok.yaml", option, value), f"error: {message}")


def test_timeouts_reach_the_output(cwd: Path) -> None:
    write(cwd / "ok.yaml", "- {kind: missing_index, table: t, column: a}\n")
    run = emit("ok.yaml", "--lock-timeout", "1500ms", "--statement-timeout", "0")
    assert run.code == 0, run.stderr
    up = (cwd / "out" / f"{TS}_fix_schema.up.sql").read_text()
    assert "SET lock_timeout = '1500ms';" in up and "SET statement_timeout = '0s';" in up


def test_help_shows_names_not_python_types() -> None:
    """`fixgen CMD --help` (the real entry point): every value's placeholder is a name, never <str>/<list[str]>."""
    for command in ("emit", "validate", "plan", "import", "detect", "models"):
        out = subprocess.run([sys.executable, "-m", "fixgen", command, "--help"], capture_output=True, text=True,
                             env={**os.environ, "COLUMNS": "200"}, check=True).stdout
        assert "<str>" not in out and "<list[str]>" not in out and "<path>" not in out, (command, out)
    out = subprocess.run([sys.executable, "-m", "fixgen", "emit", "--help"], capture_output=True, text=True,
                         env={**os.environ, "COLUMNS": "200"}, check=True).stdout
    assert "--lock-timeout LOCK_TIMEOUT" in out and "--out OUT" in out, out
