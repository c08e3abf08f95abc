"""No spec makes fixgen crash: property tests over the spec's structure, and the crashes they found.

Whatever the spec holds (any JSON-like tree, a valid spec with fields swapped for values of any
type, YAML's odd corners: tags, dates, sets, aliases, non-string keys, deep nesting, huge
numbers), every command exits 0 or 2, never 1, and prints no traceback; on exit 2 each stderr
line is an ``error:`` (or ``warning:``) line. The JSON and the YAML reader of one spec agree.

The properties run derandomized (the same examples on every run) with no example database, and
take some 30 s together; the CLI runs in-process, its click command built once.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from support.roundtrip import Run, cli
from typer.testing import CliRunner

from fixgen.cli import app
from fixgen.errors import SpecError
from fixgen.spec import COMMON_FIELDS, KIND_FIELDS, KINDS, load_spec

ROOT = Path(__file__).resolve().parent.parent
TS = "20250101000000"
SEED_ISSUES: list[dict[str, Any]] = yaml.safe_load((ROOT / "examples" / "seed-fixes.yaml").read_text("utf-8"))["issues"]

COMMANDS: list[list[str]] = [
    ["validate"],
    ["plan", "--target", "sql", "--dialect", "postgresql"],
    *(["emit", "--target", "sql", "--dialect", d, "--timestamp", TS] for d in ("postgresql", "mysql", "sqlite")),
    ["emit", "--target", "laravel", "--timestamp", TS],
    ["emit", "--target", "alembic", "--timestamp", TS],
]


def fuzz_settings(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


# --------------------------------------------------------------------------- the CLI, in-process

# typer builds the click command on every CliRunner.invoke (4/5 of a run's time); build it once
_COMMAND = typer.main.get_command(app)
_RUNNER = CliRunner()


def run(*args: str) -> Run:
    """``fixgen ARGS`` in-process, like roundtrip.cli, with the click command built once."""
    code, exception = 0, None
    with _RUNNER.isolation() as streams:
        try:
            _COMMAND.main(args=list(args), prog_name="fixgen")
        except SystemExit as e:
            code = 0 if e.code is None else e.code if isinstance(e.code, int) else 1
            exception = e if code else None
        except Exception as e:  # noqa: BLE001 - what the test reports
            code, exception = 1, e
        finally:
            out, err = streams[0].getvalue(), streams[1].getvalue()
    return Run(code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), exception)


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One file that each example overwrites (Hypothesis runs examples one after another)."""
    return tmp_path_factory.mktemp("fuzz") / "spec.yaml"


def check_every_command(path: Path, content: str | bytes) -> None:
    """Every command on `content`: exit 0 or 2, no traceback, on exit 2 only error/warning lines."""
    path.write_bytes(content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content)
    for command in COMMANDS:
        r = run(command[0], str(path), *command[1:])
        context = (f"fixgen {' '.join(command)}: exit {r.code}, {r.exception!r}\n--- spec\n{content[:2000]!r}\n"
                   f"--- stdout\n{r.stdout[:2000]}\n--- stderr\n{r.stderr[:2000]}")
        assert r.code in (0, 2), context
        assert r.exception is None or isinstance(r.exception, SystemExit), context
        assert "Traceback (most recent call last)" not in r.output, context
        if r.code == 2:
            assert r.errors, context
            assert all(line.startswith(("error: ", "warning: ")) for line in r.errors), context
        event(f"{' '.join(a for a in command if a[0] != '-' and a != TS)}: exit {r.code}")  # --hypothesis-show-statistics


def test_the_in_process_runner_agrees_with_roundtrip_cli(tmp_path: Path) -> None:
    ok, bad = tmp_path / "ok.yaml", tmp_path / "bad.yaml"
    ok.write_text("- {kind: missing_index, table: t, column: c}\n")
    bad.write_text("- {kind: [a], table: t}\n")
    for path in (ok, bad):
        for command in COMMANDS:
            a, b = run(command[0], str(path), *command[1:]), cli(command[0], path, *command[1:])
            assert (a.code, a.stdout, a.stderr) == (b.code, b.stdout, b.stderr)


# --------------------------------------------------------------------------- strategies

FIELD_NAMES = sorted({*COMMON_FIELDS, *(f for fields in KIND_FIELDS.values() for f in fields)})
TOP_KEYS = ["version", "name", "issues"]
# values that are valid somewhere, so a mutation often lands on a spec that gets far
NEAR_VALID = [
    *KINDS, "t", "c", "u", "users", "id", "u.id", "users.id", ["a"], ["a", "b"], ["a", "a"], [],
    {"table": "u"}, {"table": "u", "columns": ["id"]}, {"table": "u", "column": "id"}, {"table": "u", "columns": "id"},
    "cascade", "set_null", "SET NULL", "restrict", "no_action", "NO ACTION", "explode",
    "integer", "text", "string(255)", "string(0)", "decimal(10,2)", "decimal(99,2)", "string(\u0661\u0662)",
    True, False, None, 0, 1, -1, 2**63, 10**65 - 1, 10**65, 1.5, -0.0, 1e300, "", " ", "a b", "a  b", " a",
    "ix_t_c", "fk_t_c_u", "t_a_fkey", "x;y", 'a"b', "a'b", "a`b", "a\nb", "a\\b", "a?b", "a:b", "a.b", "a%b",
    "\u00e9" * 40, "i" * 64, "\u0663\u0664", "\U0001d7d9", "a\u0301", "a\u200bb", "a\u2028b", "a\x00b", "?>", "*/",
    "${x}", "{x}", "%s", "abc\n", "a\ud800b", "\udfff",
]
IDENTIFIER = st.text(st.characters(categories=("L", "M", "N")) | st.sampled_from("_$-#@"), min_size=1, max_size=70)
TEXT = st.text(max_size=30)
LEAF = (st.none() | st.booleans() | st.integers(min_value=-(10**80), max_value=10**80) | st.floats()
        | TEXT | IDENTIFIER | st.sampled_from(NEAR_VALID))
KEY = st.sampled_from(FIELD_NAMES + TOP_KEYS) | TEXT
TREE = st.recursive(LEAF, lambda children: st.lists(children, max_size=4) | st.dictionaries(KEY, children, max_size=6),
                    max_leaves=16)

# a valid issue of each kind, in several spellings, and the seed's issues
VALID_ISSUES: list[dict[str, Any]] = [
    {"kind": "missing_index", "table": "t", "columns": ["a"]},
    {"kind": "missing_index", "table": "t", "column": "a", "unique": True, "name": "uq_t_a", "id": "x-1",
     "message": "t.a is not unique", "source": "lint"},
    {"kind": "missing_foreign_key", "table": "t", "columns": ["a"], "references": "u.id"},
    {"kind": "missing_foreign_key", "table": "t", "columns": ["a", "b"], "references": {"table": "u", "columns": ["x", "y"]},
     "on_delete": "cascade", "on_update": "SET NULL", "name": "fk_t_ab"},
    {"kind": "missing_column", "table": "t", "column": "c", "type": "integer"},
    {"kind": "missing_column", "table": "t", "column": "c", "type": "string(40)", "nullable": False, "default": "x"},
    {"kind": "missing_column", "table": "t", "column": "d", "type": "decimal(10,2)", "default": 1.5},
    {"kind": "missing_timestamps", "table": "t"},
    {"kind": "rename_column", "table": "t", "from": "a", "to": "b"},
    {"kind": "redundant_index", "table": "t", "name": "ix_t_a", "columns": ["a"]},
    {"kind": "foreign_key_actions", "table": "t", "name": "t_a_fkey", "columns": ["a"], "references": "u.id",
     "on_delete": "cascade"},
    {"kind": "foreign_key_actions", "table": "t", "name": "t_a_fkey", "column": "a", "references": "u",
     "on_delete": "restrict", "current_on_delete": "set_null", "current_on_update": "cascade"},
    *SEED_ISSUES,
]
VALUE = LEAF | TREE | IDENTIFIER.map(lambda s: [s])
ACTION = st.sampled_from(["cascade", "set_null", "restrict", "no_action", "CASCADE", "SET NULL", "RESTRICT", "NO ACTION"])
COLUMNS = st.lists(IDENTIFIER, min_size=1, max_size=3, unique=True)
# a value of the right type for each field (often valid, sometimes not: a bad name, a string(0))
FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "kind": st.sampled_from(KINDS), "table": IDENTIFIER, "column": IDENTIFIER, "from": IDENTIFIER, "to": IDENTIFIER,
    "name": IDENTIFIER, "columns": COLUMNS,
    "references": IDENTIFIER | st.tuples(IDENTIFIER, IDENTIFIER).map(".".join)
    | st.fixed_dictionaries({"table": IDENTIFIER}, optional={"columns": COLUMNS}),
    "on_delete": ACTION, "on_update": ACTION, "current_on_delete": ACTION, "current_on_update": ACTION,
    "unique": st.booleans(), "nullable": st.booleans(),
    "type": st.sampled_from(["text", "integer", "bigint", "smallint", "boolean", "float", "date", "timestamp",
                             "timestamptz", "time", "json", "uuid", "binary", "string", "String(20)", "decimal",
                             "decimal(65, 30)", "string(16383)", "string(16384)", " integer "]),
    "default": st.none() | st.booleans() | st.integers(min_value=-(10**65) + 1, max_value=10**65 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30) | st.sampled_from(NEAR_VALID),
    "id": st.text(max_size=30) | st.integers(), "message": st.text(max_size=60), "source": st.text(max_size=30),
}


def dump(doc: Any, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(doc, indent=1, ensure_ascii=False)
    if fmt == "json-compact":
        return json.dumps(doc)
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, default_flow_style=fmt == "yaml-flow")


FORMATS = st.sampled_from(["json", "json-compact", "yaml", "yaml-flow"])


@st.composite
def mutated_specs(draw: st.DrawFn) -> Any:
    """A valid spec (one to three issues, bare or under `issues`) with one to four fields replaced by
    values of any type, dropped, or added; now and then a top-level key instead."""
    issues = [copy.deepcopy(i) for i in draw(st.lists(st.sampled_from(VALID_ISSUES), min_size=1, max_size=3))]
    doc: Any = {"version": 1, "name": "fix_it", "issues": issues} if draw(st.booleans()) else issues
    for _ in range(draw(st.integers(1, 4))):
        what = draw(st.sampled_from(["retype", "retype", "revalue", "revalue", "revalue", "drop", "add", "top"]))
        issue = draw(st.sampled_from(issues))
        if what == "retype" and issue:
            issue[draw(st.sampled_from(sorted(issue)))] = draw(VALUE)
        elif what == "revalue":  # a value of the field's own type: valid specs with unusual names and defaults
            for key in draw(st.lists(st.sampled_from(sorted(FIELD_VALUES)), min_size=1, max_size=4)):
                if key in issue or key in COMMON_FIELDS or key == "default" and issue.get("kind") == "missing_column":
                    issue[key] = draw(FIELD_VALUES[key])
        elif what == "drop" and issue:
            del issue[draw(st.sampled_from(sorted(issue)))]
        elif what == "add":
            issue[draw(KEY)] = draw(VALUE)
        elif what == "top":
            if isinstance(doc, dict):
                doc[draw(st.sampled_from(TOP_KEYS) | TEXT)] = draw(VALUE)
            else:
                doc = {draw(st.sampled_from(TOP_KEYS) | TEXT): draw(VALUE), "issues": doc}
    return doc


# YAML values (one line, after `key: `) that no JSON has
ODD_VALUES = [
    "!!binary aGVsbG8=", "!!binary '***'", "2020-01-01", "2020-13-45", "2001-12-14t21:59:43.10-05:00", "2020-01-01 10:00:00",
    "!!timestamp abc", "!!timestamp ''", "!!set {a, b}", "!!set {}", "!!omap [a: 1, b: 2]", "!!pairs [a: 1, a: 2]",
    ".nan", ".NaN", ".inf", "-.inf", "+.inf", "1e5", "1.0e+5", "0x" + "f" * 60, "0x" + "f" * 5000, "9" * 5000, "-" + "9" * 66,
    "0o17", "017", "0b101", "1:30", "190:20:30", "1_000", "+.5", "!!int abc", "!!int ''", "!!int -", "!!float ''",
    "!!float abc", "!!bool maybe", "!!null x", "!!str 5", "!!str [a]", "!!int [1]", "!!map [a]", "!!seq {a: 1}",
    "{? [a] : 1}", "{1: x}", "{null: x}", "{~: x}", "{.nan: x}", "{2020-01-01: x}", "{!!binary aGk=: x}", "{[a]: b}",
    "[[[[[[[[a]]]]]]]]", "[" * 200 + "]" * 200, "&x [*x]", "&y {a: *y}", "*undefined", "!custom x", "!<tag:x> y",
    "!!python/object:os.system {}", "!!python/name:os.system", "!!python/tuple [a]", "yes", "no", "on", "off", "~", "=",
    "'2020-01-01'", '"\\u2028"', '"\\x00"', '"\\ud800"', '"\\U0010ffff"', '"\\x85"', '"a\\tb"', "|\n  block\n  text",
    ">-\n  folded", "[a, b, a]", "{table: u, columns: [id], column: id}", "{table: u, 1: x}", "[!!binary aGk=]",
]
# YAML keys no JSON has
ODD_KEYS = ["? [a]\n ", "? {a: 1}\n ", "1", "null", "~", ".nan", "2020-01-01", "!!binary aGk=", "0x" + "f" * 40,
            "<<", "yes", "'kind'", "\"table\"", "!!str 1", "!!int 1", "? !!set {a}\n "]
# whole documents
ODD_DOCUMENTS = [
    "? [a]\n: 1\n", "1: x\nissues: [{kind: missing_index, table: t, column: c}]\n", "null: x\n", "!!set {a, b}\n",
    "!!omap [a: 1]\n", "- &a [*a]\n", "&a {issues: *a}\n", "--- !!set\n? a\n", "%YAML 1.1\n---\n- x\n", "[" * 999 + "]" * 999,
    "[" * 1001 + "]" * 1001, '{"a": ' * 990 + "1" + "}" * 990, "- " * 2000 + "x\n", "issues: !!binary aGVsbG8=\n",
    "version: !!float 1\nissues: [{kind: missing_index, table: t, column: c}]\n", "issues:\n  <<: {a: 1}\n",
    "- {kind: missing_index, table: t, column: c, <<: {unique: true}}\n", "- !!python/object/apply:os.system [ls]\n",
    '[{"kind": "missing_column", "table": "t", "column": "c", "type": "integer", "default": NaN}]',
    '[{"kind": "missing_column", "table": "t", "column": "c", "type": "integer", "default": 1e400}]',
    '[{"kind": "missing_column", "table": "t", "column": "c", "type": "integer", "default": ' + "9" * 5000 + "}]",
    '[{"kind": "missing_index", "table": "t", "column": "c",\n\t"unique": true}]',
    '[{"kind": "missing_index", "table": "t", "column": "c", "column": "d"}]',
    "\ufeff- {kind: missing_index, table: t, column: c}\r\n", "\x00", "- \x85\n", "\U0001f600: x\n",
]


@st.composite
def odd_yaml(draw: st.DrawFn) -> str:
    """A valid issue in block YAML with one value (or key) swapped for YAML that no JSON has."""
    issue = draw(st.sampled_from(VALID_ISSUES[:12]))
    lines = [f"  {k}: {json.dumps(v, ensure_ascii=False)}" for k, v in issue.items()]
    at = draw(st.integers(0, len(lines)))
    if draw(st.booleans()):
        key = draw(st.sampled_from(sorted(issue) + FIELD_NAMES))
        lines.insert(at, f"  {key}: {draw(st.sampled_from(ODD_VALUES))}")
    else:
        lines.insert(at, f"  {draw(st.sampled_from(ODD_KEYS))}: x")
    text = "-" + "\n".join(lines)[1:] + "\n"
    if draw(st.booleans()):
        text = "version: 1\nissues:\n" + "".join(f"  {line}\n" for line in text.splitlines())
    return text


# --------------------------------------------------------------------------- properties


@fuzz_settings(300)
@given(tree=TREE, fmt=FORMATS)
def test_any_tree_any_command(spec_file: Path, tree: Any, fmt: str) -> None:
    check_every_command(spec_file, dump(tree, fmt))


@fuzz_settings(1000)
@given(doc=mutated_specs(), fmt=FORMATS)
def test_mutated_valid_spec_any_command(spec_file: Path, doc: Any, fmt: str) -> None:
    check_every_command(spec_file, dump(doc, fmt))


@fuzz_settings(400)
@given(text=odd_yaml() | st.sampled_from(ODD_DOCUMENTS) | st.text(max_size=200))
def test_odd_yaml_any_command(spec_file: Path, text: str) -> None:
    check_every_command(spec_file, text)


def outcome(text: str) -> Any:
    """What load_spec makes of `text`: the spec's issues and name, or each problem without its line."""
    try:
        s = load_spec(text, "s")
    except SpecError as e:
        return [(p.message, p.index) for p in e.problems]
    return s.issues, s.name


PLAIN_LEAF = (st.none() | st.booleans() | st.integers(min_value=-(10**70), max_value=10**70)
              | st.floats(allow_nan=False, allow_infinity=False) | TEXT | st.sampled_from(NEAR_VALID))


def _json_safe(doc: Any) -> bool:
    """No NaN or infinity (not JSON), only text keys, no lone surrogate (JSON's \\ud800, no YAML's)."""
    if isinstance(doc, str):
        return not any("\ud800" <= c <= "\udfff" for c in doc)
    if isinstance(doc, float):
        return math.isfinite(doc)
    if isinstance(doc, list):
        return all(map(_json_safe, doc))
    if isinstance(doc, dict):
        return all(isinstance(k, str) and _json_safe(k) and _json_safe(v) for k, v in doc.items())
    return True


@fuzz_settings(500)
@given(doc=mutated_specs() | st.recursive(PLAIN_LEAF, lambda c: st.lists(c, max_size=4) | st.dictionaries(KEY, c, max_size=6),
                                          max_leaves=16))
def test_json_and_yaml_readers_agree(doc: Any) -> None:
    """One document as JSON (the fast path) and as YAML: the same spec or the same problems."""
    assume(isinstance(doc, (list, dict)) and _json_safe(doc))  # only a list or mapping is tried as JSON first
    as_yaml = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    try:  # PyYAML writes some text it reads back otherwise ('\x85' as a key)
        assume(yaml.safe_load(as_yaml) == doc)
    except yaml.YAMLError:
        assume(False)
    assert outcome(json.dumps(doc)) == outcome(as_yaml)


# --------------------------------------------------------------------------- the crashes found, as examples

ISSUE = "- kind: missing_index\n  table: t\n  columns: [c]\n"
FK = "- kind: missing_foreign_key\n  table: t\n  columns: [c]\n  references: u.id\n"
COLUMN = "- kind: missing_column\n  table: t\n  column: c\n  type: integer\n"
ONE = "  - {kind: missing_index, table: t, column: c}\n"
KIND_LIST = ", ".join(KINDS)

# (id, spec text, one expected error line: every command must print it and exit 2)
CRASHES = [
    # TypeError: unhashable type at `kind not in KIND_FIELDS`
    ("kind-list", "- kind: [a]\n  table: t\n", f"error: bad.yaml:1: issue #1: kind must be one of: {KIND_LIST}; got a list"),
    ("kind-mapping", "- kind: {x: 1}\n  table: t\n", "error: bad.yaml:1: issue #1: kind must be one of: "),
    ("kind-list-json", '[{"kind": ["a"], "table": "t"}]', "error: bad.yaml:1: issue #1: kind must be one of: "),
    ("table-mapping", ISSUE.replace("table: t", "table: {x: 1}"),
     "error: bad.yaml:2: issue #1: table: expected a name (string), got dict"),
    ("table-list", ISSUE.replace("table: t", "table: [a]"),
     "error: bad.yaml:2: issue #1: table: expected a name (string), got list"),
    ("columns-number", ISSUE.replace("[c]", "5"),
     "error: bad.yaml:3: issue #1: columns: expected a non-empty list of column names, got 5"),
    ("columns-nested-list", ISSUE.replace("[c]", "[[a]]"),
     "error: bad.yaml:3: issue #1: columns: expected a name (string), got list"),
    ("columns-of-mappings", ISSUE.replace("[c]", "[{a: 1}]"),
     "error: bad.yaml:3: issue #1: columns: expected a name (string), got dict"),
    ("columns-string-with-newline", ISSUE.replace("[c]", '"a\\nb"'),
     "error: bad.yaml:3: issue #1: columns: expected a list of column names, got the string 'a\\nb'"),
    ("references-number", FK.replace("u.id", "5"),
     "error: bad.yaml:4: issue #1: references: expected 'table.column' or {table, columns}, got 5"),
    ("references-table-list", FK.replace("u.id", "{table: [x]}"),
     "error: bad.yaml:4: issue #1: references: expected a name (string), got list"),
    ("references-columns-number", FK.replace("u.id", "{columns: 5, table: t}"),
     "error: bad.yaml:4: issue #1: references: columns: expected a non-empty list of column names, got 5"),
    # TypeError: sorted() of an int and a str key
    ("references-mixed-keys", FK.replace("u.id", "{1: a, b: c, table: t}"),
     "error: bad.yaml:4: issue #1: references: unknown key(s) 1, b in references"),
    ("references-column-and-columns", FK.replace("u.id", "{table: u, columns: [id], column: id}"),
     "error: bad.yaml:4: issue #1: references: give either 'columns' or 'column' in references, not both"),
    ("on-delete-number", FK + "  on_delete: 5\n",
     "error: bad.yaml:5: issue #1: on_delete: expected one of cascade, set_null, restrict, no_action, got 5"),
    ("on-delete-list", FK + "  on_delete: [x]\n",
     "error: bad.yaml:5: issue #1: on_delete: expected one of cascade, set_null, restrict, no_action, got a list"),
    ("type-number", COLUMN.replace("integer", "5"),
     "error: bad.yaml:4: issue #1: type: type must be a string such as 'string(255)', got 5"),
    ("type-mapping", COLUMN.replace("integer", "{}"),
     "error: bad.yaml:4: issue #1: type: type must be a string such as 'string(255)', got dict"),
    ("type-list", COLUMN.replace("integer", "[x]"),
     "error: bad.yaml:4: issue #1: type: type must be a string such as 'string(255)', got list"),
    ("type-unicode-digits", COLUMN.replace("integer", "string(\u0661\u0662)"),
     "error: bad.yaml:4: issue #1: type: unknown type 'string(\u0661\u0662)'; expected one of: "),
    # ValueError: Exceeds the limit (4300 digits) for integer string conversion (caught, with Python's words)
    ("type-length-5000-digits", COLUMN.replace("integer", "string(" + "9" * 5000 + ")"),
     "error: bad.yaml:4: issue #1: type: string length must be 1..16383, got 999999... (5000 digits)"),
    ("unique-text", ISSUE + '  unique: "yes"\n', "error: bad.yaml:4: issue #1: unique: expected true or false, got 'yes'"),
    ("default-mapping", COLUMN + "  default: {}\n",
     "error: bad.yaml:5: issue #1: default: a default must be a single value (text, number, boolean or null), got a mapping"),
    ("default-nan", COLUMN + "  default: .nan\n",
     "error: bad.yaml:5: issue #1: default: a default number must be finite, got nan"),
    ("default-inf", COLUMN + "  default: -.inf\n",
     "error: bad.yaml:5: issue #1: default: a default number must be finite, got -inf"),
    ("default-infinite-json", '[{"kind": "missing_column", "table": "t", "column": "c", "type": "float", "default": 1e400}]',
     "error: bad.yaml:1: issue #1: default: a default number must be finite, got inf"),
    ("default-date", COLUMN + "  default: 2020-01-01\n",
     "error: bad.yaml:5: issue #1: default: a default must be a single value (text, number, boolean or null), "
     "got the date 2020-01-01 (quote it to make it text)"),
    ("default-timestamp", COLUMN + "  default: 2020-01-01 10:00:00\n",
     "got the timestamp 2020-01-01T10:00:00 (quote it to make it text)"),
    ("default-binary", COLUMN + "  default: !!binary aGVsbG8=\n",
     "error: bad.yaml:5: issue #1: default: a default must be a single value (text, number, boolean or null), got binary data"),
    ("default-set", COLUMN + "  default: !!set {a, b}\n",
     "error: bad.yaml:5: issue #1: default: a default must be a single value (text, number, boolean or null), got a set"),
    # ValueError from repr() in the renderers: an integer of 5000 hex digits
    ("default-huge-hex", COLUMN + "  default: 0x" + "f" * 5000 + "\n",
     "error: bad.yaml:5: issue #1: default: a default number may have at most 65 digits (as decimal(65,0))"),
    # ValueError from PyYAML's int(): more than 4300 digits
    ("default-5000-digits", COLUMN + "  default: " + "9" * 5000 + "\n",
     "is not a valid int: too many digits (quote it if it is text)"),
    ("default-5000-digits-json",
     '[{"kind": "missing_column", "table": "t", "column": "c", "type": "integer", "default": ' + "9" * 5000 + "}]",
     "is not a valid int: too many digits"),
    # ValueError from datetime.date() in PyYAML: the implicit timestamp 2020-13-45
    ("impossible-date", COLUMN + "  default: 2020-13-45\n",
     "error: bad.yaml:5: cannot parse YAML/JSON: '2020-13-45' is not a valid timestamp: month must be in 1..12"),
    # AttributeError, IndexError, KeyError from PyYAML's constructors
    ("tag-timestamp-text", COLUMN + "  default: !!timestamp abc\n",
     "error: bad.yaml:5: cannot parse YAML/JSON: 'abc' is not a valid timestamp"),
    ("tag-int-empty", COLUMN + "  default: !!int ''\n", "error: bad.yaml:5: cannot parse YAML/JSON: '' is not a valid int"),
    ("tag-float-empty", COLUMN + "  default: !!float ''\n", "error: bad.yaml:5: cannot parse YAML/JSON: '' is not a valid float"),
    ("tag-bool-text", COLUMN + "  default: !!bool maybe\n",
     "error: bad.yaml:5: cannot parse YAML/JSON: 'maybe' is not a valid bool"),
    ("id-date", ISSUE + "  id: 2020-01-01\n",
     "error: bad.yaml:4: issue #1: id: expected text, got the date 2020-01-01 (quote it to make it text)"),
    ("id-huge-hex", ISSUE + "  id: 0x" + "f" * 5000 + "\n",
     "error: bad.yaml:4: issue #1: id: expected text, got a number of more than 65 digits"),
    # a lone surrogate (JSON's \ud800) reached the output: UnicodeEncodeError on writing it, exit 1
    ("surrogate-in-message-json", '[{"kind": "missing_index", "table": "t", "column": "c", "message": "a\\ud800b"}]',
     "error: bad.yaml: issue #1: message: text may not hold a lone surrogate (U+D800): it is not Unicode text"),
    ("surrogate-in-default-json",
     '[{"kind": "missing_column", "table": "t", "column": "c", "type": "text", "default": "\\udfff"}]',
     "error: bad.yaml: issue #1: default: a default may not hold a lone surrogate (U+DFFF): it is not Unicode text"),
    # None for columns: accepted, then TypeError in the planner (', '.join(None))
    ("columns-null", ISSUE.replace("[c]", "null"),
     "error: bad.yaml:1: issue #1: missing_index needs 'columns' (or 'column' for one)"),
    ("columns-null-json", '[{"kind": "missing_index", "table": "t", "columns": null}]',
     "error: bad.yaml:1: issue #1: missing_index needs 'columns' (or 'column' for one)"),
    # a reader error's text is two lines ('  in "<unicode string>", position 0'): one line per problem
    ("nul-character", "\x00", "error: bad.yaml:1: cannot parse YAML/JSON: unacceptable character #x0000: "
                              "control characters are not allowed"),
    ("issues-mapping", "issues: {a: 1}\n", "error: bad.yaml: expected a list of issues, got dict"),
    ("issues-number", "issues: 5\n", "error: bad.yaml: expected a list of issues, got int"),
    ("version-list", "version: [1]\nissues:\n" + ONE, "error: bad.yaml: version must be 1, got a list"),
    ("name-list", "name: [x]\nissues:\n" + ONE,
     "error: bad.yaml: name must use letters, digits and underscores only, got a list"),
    ("name-nan", "name: .nan\nissues:\n" + ONE, "error: bad.yaml: name must use letters, digits and underscores only, got nan"),
    # `^...$` with match() let a trailing newline through; \d-style classes must not take other scripts' digits
    ("name-trailing-newline", 'name: "abc\\n"\nissues:\n' + ONE,
     "error: bad.yaml: name must use letters, digits and underscores only, got 'abc\\n'"),
    ("name-arabic-digit", 'name: "abc\u0663"\nissues:\n' + ONE,
     "error: bad.yaml: name must use letters, digits and underscores only, got 'abc\u0663'"),
    ("name-too-long", "name: " + "a" * 101 + "\nissues:\n" + ONE,
     "error: bad.yaml: name is 101 characters long; at most 100 (it is part of file names)"),
    ("key-unhashable", "? [a]\n: 1\n", "error: bad.yaml:1: cannot parse YAML/JSON: found unhashable key"),
    ("top-level-key-number", "1: x\nissues:\n" + ONE,
     "error: bad.yaml: unknown top-level key(s): 1 (expected version, name, issues)"),
    ("issue-key-null", ISSUE + "  null: x\n", "error: bad.yaml:1: issue #1: unknown key None for missing_index (allowed: "),
    ("issue-key-number", ISSUE + "  1: x\n", "error: bad.yaml:4: issue #1: unknown key 1 for missing_index (allowed: "),
    # RecursionError in json.loads (the fast path) and in the walk over YAML nodes
    ("json-nested-999", "[" * 999 + "]" * 999, "error: bad.yaml:1: issue #1: an issue must be a mapping with a 'kind', got list"),
    ("json-nested-5000", '{"a": ' * 5000 + "1" + "}" * 5000,
     "error: bad.yaml:1: cannot parse YAML/JSON: exceeded maximum nesting depth"),
    ("yaml-nested-990", "{a: " * 990 + "1" + "}" * 990, "error: bad.yaml: missing key 'issues' (a list of issues)"),
]


@pytest.mark.parametrize(("content", "expected"), [c[1:] for c in CRASHES], ids=[c[0] for c in CRASHES])
def test_crash_case_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, expected: str) -> None:
    monkeypatch.chdir(tmp_path)
    Path("bad.yaml").write_text(content, encoding="utf-8")
    for command in COMMANDS:
        r = run(command[0], "bad.yaml", *command[1:])
        context = f"fixgen {' '.join(command)}: exit {r.code}, {r.exception!r}\n{r.stderr[:3000]}"
        assert r.code == 2 and isinstance(r.exception, SystemExit), context
        assert "Traceback (most recent call last)" not in r.output, context
        assert r.stdout == "", context
        assert r.errors and all(line.startswith("error: ") for line in r.errors), context
        assert any(expected in line for line in r.errors), f"expected {expected!r} on an error line\n{context}"


def test_a_json_spec_is_judged_as_json() -> None:
    """1e5 is a number to JSON and text to YAML: a JSON spec gets JSON's reading, and its problems
    still carry YAML's line numbers."""
    text = '[{"kind": "missing_column", "table": "t", "column": "c", "type": "float", "default": 1e5}]'
    assert load_spec(text).issues[0].default == 100000.0
    with pytest.raises(SpecError) as e:
        load_spec('[\n{"kind": "missing_column", "table": "t", "column": "c", "type": "float",\n "default": 1e400}]', "s.json")
    assert [str(p) for p in e.value.problems] == ["s.json:3: issue #1: default: a default number must be finite, got inf"]


def test_nan_in_json_text_is_read_as_yaml() -> None:
    """NaN is not JSON (Python's json reads it as a float): the text is YAML, where NaN is text."""
    text = '[{"kind": "missing_column", "table": "t", "column": "c", "type": "text", "default": NaN}]'
    assert load_spec(text).issues[0].default == "NaN"


def test_valid_specs_still_load() -> None:
    for issue in VALID_ISSUES:
        for fmt in ("json", "yaml"):
            assert load_spec(dump([issue], fmt)).issues
