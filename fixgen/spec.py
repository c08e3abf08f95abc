"""Read and validate spec v1: the input contract.

Problems are collected, not raised one at a time, so a user fixes every typo in one
pass; each carries the file, line and issue index it belongs to.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import yaml

from fixgen.coltypes import ColumnType, default_problem, parse_type
from fixgen.dialects import ACTIONS
from fixgen.errors import Problem, SpecError
from fixgen.identifiers import identifier_problem, shown

KINDS = (
    "missing_index",
    "missing_foreign_key",
    "missing_column",
    "missing_timestamps",
    "rename_column",
    "redundant_index",
    "foreign_key_actions",
)
COMMON_FIELDS = {"kind": "string", "id": "string", "message": "string", "source": "string"}
KIND_FIELDS: dict[str, dict[str, str]] = {
    "missing_index": {"table": "name", "columns": "names", "column": "name", "unique": "bool", "name": "name"},
    "missing_foreign_key": {
        "table": "name", "columns": "names", "column": "name", "references": "reference",
        "on_delete": "action", "on_update": "action", "name": "name",
    },
    "missing_column": {"table": "name", "column": "name", "type": "type", "nullable": "bool", "default": "scalar"},
    "missing_timestamps": {"table": "name"},
    "rename_column": {"table": "name", "from": "name", "to": "name"},
    "redundant_index": {"table": "name", "name": "name", "columns": "names", "column": "name", "unique": "bool"},
    "foreign_key_actions": {
        "table": "name", "name": "name", "columns": "names", "column": "name", "references": "reference",
        "on_delete": "action", "on_update": "action", "current_on_delete": "action", "current_on_update": "action",
    },
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "missing_index": ("table",),
    "missing_foreign_key": ("table", "references"),
    "missing_column": ("table", "column", "type"),
    "missing_timestamps": ("table",),
    "rename_column": ("table", "from", "to"),
    "redundant_index": ("table", "name"),
    "foreign_key_actions": ("table", "name", "references"),
}
NEEDS_COLUMNS = {"missing_index", "missing_foreign_key", "redundant_index", "foreign_key_actions"}
_NAME_RE = re.compile(r"[A-Za-z0-9_]+", re.ASCII)  # with fullmatch: no trailing newline, no Unicode digits
MAX_NAME = 100  # the spec's name is part of file names (as for --name)
MAX_DEFAULT_DIGITS = 65  # no column of the vocabulary holds a wider number (decimal(65,s))
# on_delete/on_update accept the spec's names and the SQL spelling
ACTION_SPELLINGS = sorted({*ACTIONS, *ACTIONS.values(), *(a.lower() for a in ACTIONS.values())})


@dataclass(frozen=True)
class Meta:
    """Where an issue came from; carried into comments of the generated code."""

    index: int
    line: int | None = None
    id: str | None = None
    message: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Issue:
    kind: str
    table: str
    meta: Meta = field(compare=False)


@dataclass(frozen=True)
class MissingIndex(Issue):
    columns: tuple[str, ...] = ()
    unique: bool = False
    name: str | None = None


@dataclass(frozen=True)
class MissingForeignKey(Issue):
    columns: tuple[str, ...] = ()
    ref_table: str = ""
    ref_columns: tuple[str, ...] = ()
    on_delete: str = "no_action"
    on_update: str = "no_action"
    name: str | None = None


@dataclass(frozen=True)
class MissingColumn(Issue):
    column: str = ""
    type: ColumnType = ColumnType("text")
    nullable: bool = True
    default: Any = None
    has_default: bool = False


@dataclass(frozen=True)
class MissingTimestamps(Issue):
    pass


@dataclass(frozen=True)
class RenameColumn(Issue):
    old: str = ""
    new: str = ""


@dataclass(frozen=True)
class RedundantIndex(Issue):
    name: str = ""
    columns: tuple[str, ...] = ()
    unique: bool = False


@dataclass(frozen=True)
class ForeignKeyActions(Issue):
    """An existing foreign key whose ON DELETE / ON UPDATE should change; `current_*` is what it
    has now, so that the rollback can give it back."""

    name: str = ""
    columns: tuple[str, ...] = ()
    ref_table: str = ""
    ref_columns: tuple[str, ...] = ()
    on_delete: str = "no_action"
    on_update: str = "no_action"
    current_on_delete: str = "no_action"
    current_on_update: str = "no_action"


@dataclass(frozen=True)
class Spec:
    issues: tuple[Issue, ...]
    name: str | None = None
    file: str | None = None


# --------------------------------------------------------------------------- loading


def load_spec(text: str | bytes, file: str | None = None) -> Spec:
    """Parse YAML or JSON text into a validated Spec; raise SpecError listing every problem."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise SpecError([Problem(f"not UTF-8 text: {e}", file)]) from None
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    if text.lstrip()[:1] in ("[", "{"):
        # JSON parses ~50x faster than YAML. Valid JSON is judged as read by JSON (YAML reads some
        # of it differently: 1e5 is text to YAML); the YAML reader only adds line numbers to problems.
        try:
            data = _json(text)
        except (ValueError, RecursionError):
            pass  # not JSON (or duplicate keys, which the YAML reader reports with their line)
        else:
            try:
                return _validate(data, [], file)
            except SpecError:
                return _validate(data, _json_lines(text), file)
    data, lines = _parse(text, file)
    return _validate(data, lines, file)


def _json(text: str) -> Any:
    """Strict JSON: no duplicate keys, no NaN or Infinity (they are not JSON)."""
    return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_not_json)


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key")  # the YAML path reports it with its line
    return dict(pairs)


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """The safe loader, reporting a value its tag cannot hold (``!!int abc``, ``2020-13-45``,
    ``!!timestamp ''``, an integer of 5000 digits) as a YAML error at its line."""


def _checked(construct: Any) -> Any:
    def construct_checked(loader: Any, node: yaml.Node) -> Any:
        try:
            return construct(loader, node)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as e:
            kind = str(node.tag).rpartition(":")[2]
            why = ""
            if "digits" in str(e):
                why = ": too many digits"
            elif kind == "timestamp" and isinstance(e, ValueError):
                why = f": {e}"
            raise yaml.constructor.ConstructorError(
                None, None, f"{shown(str(node.value))} is not a valid {kind}{why} (quote it if it is text)",
                node.start_mark) from None
    return construct_checked


for _kind in ("null", "bool", "int", "float", "binary", "timestamp"):
    _tag = f"tag:yaml.org,2002:{_kind}"
    _Loader.add_constructor(_tag, _checked(_BaseLoader.yaml_constructors[_tag]))


def _parse(text: str, file: str | None) -> tuple[Any, list[dict[str, int]]]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise SpecError([Problem("the spec is empty: expected a list of issues", file)])
        problems: list[Problem] = []
        _check_duplicate_keys(node, file, problems)
        if problems:
            raise SpecError(problems)
        data = loader.construct_document(node)
    except yaml.YAMLError as e:
        try:  # JSON with tabs is valid JSON but not always valid YAML
            return _json(text), []
        except (ValueError, RecursionError):
            pass
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(e, "problem", None) or str(e).split("\n")[0]
        if isinstance(e, yaml.reader.ReaderError) and isinstance(e.position, int):
            line = text.count("\n", 0, e.position) + 1
        reason = " ".join(reason.splitlines())  # one line per problem
        raise SpecError([Problem(f"cannot parse YAML/JSON: {reason}", file, line)]) from None
    except RecursionError:  # only the pure-Python reader recurses; libyaml stops at depth 1000 itself
        raise SpecError([Problem("cannot parse YAML/JSON: nested too deeply", file)]) from None
    finally:
        loader.dispose()
    return data, _issue_lines(node)


def _json_lines(text: str) -> list[dict[str, int]]:
    """The issue lines of a spec read as JSON, from the YAML reader; none where it cannot follow."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        return [] if node is None else _issue_lines(node)
    except (yaml.YAMLError, RecursionError):
        return []
    finally:
        loader.dispose()


def _check_duplicate_keys(root: yaml.Node, file: str | None, problems: list[Problem]) -> None:
    """Walk each node once: aliases share nodes, so a recursive or 'billion laughs' spec stays cheap;
    and without recursion, so any nesting the parser accepts is fine."""
    seen_nodes = {id(root)}
    stack = [_children(root, file, problems)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
        elif id(child) not in seen_nodes:
            seen_nodes.add(id(child))
            stack.append(_children(child, file, problems))


def _children(node: yaml.Node, file: str | None, problems: list[Problem]) -> Iterator[yaml.Node]:
    """The values under `node`, in order; a mapping's keys are checked as the walk reaches them."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                if k.value in seen:
                    problems.append(Problem(f"duplicate key {shown(k.value)}", file, k.start_mark.line + 1))
                seen.add(k.value)
            yield v
    elif isinstance(node, yaml.SequenceNode):
        yield from node.value


def _issue_lines(root: yaml.Node) -> list[dict[str, int]]:
    """For each issue, the line of the issue itself (key '') and of each of its keys."""
    items: list[yaml.Node] = []
    if isinstance(root, yaml.SequenceNode):
        items = root.value
    elif isinstance(root, yaml.MappingNode):
        for k, v in root.value:
            if isinstance(k, yaml.ScalarNode) and k.value == "issues" and isinstance(v, yaml.SequenceNode):
                items = v.value
    out = []
    for item in items:
        lines = {"": item.start_mark.line + 1}
        if isinstance(item, yaml.MappingNode):
            for k, _ in item.value:
                if isinstance(k, yaml.ScalarNode):
                    lines[str(k.value)] = k.start_mark.line + 1
        out.append(lines)
    return out


# --------------------------------------------------------------------------- validation

TOP_LEVEL_KEYS = ("version", "name", "issues")
_LIMIT = 10**MAX_DEFAULT_DIGITS


def _what(value: Any) -> str:
    """A wrong value as a message shows it: short, on one line, never the whole of a big or nested
    one (an alias bomb has billions of elements; an integer of 5000 digits has no repr)."""
    if isinstance(value, str):
        return shown(value)
    if value is None or isinstance(value, (bool, float)):
        return repr(value)
    if isinstance(value, int):
        return repr(value) if -_LIMIT < value < _LIMIT else f"a number of more than {MAX_DEFAULT_DIGITS} digits"
    if isinstance(value, datetime):
        return f"the timestamp {value.isoformat()} (quote it to make it text)"
    if isinstance(value, date):
        return f"the date {value.isoformat()} (quote it to make it text)"
    if isinstance(value, (bytes, bytearray)):
        return "binary data"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, (set, frozenset)):
        return "a set"
    return type(value).__name__


def _key_text(key: Any) -> str:
    """A mapping key in a list of unknown keys: as written if it is plain text, else as _what shows it."""
    return key if isinstance(key, str) and key.isprintable() and 0 < len(key) <= 80 else _what(key)


def _validate(data: Any, lines: list[dict[str, int]], file: str | None) -> Spec:
    problems: list[Problem] = []
    name = None
    if isinstance(data, dict):
        unknown = sorted(_key_text(k) for k in data if not (isinstance(k, str) and k in TOP_LEVEL_KEYS))
        if unknown:
            problems.append(Problem(f"unknown top-level key(s): {', '.join(unknown)} "
                                    "(expected version, name, issues)", file))
        version = data.get("version", 1)
        if type(version) is not int or version != 1:
            if isinstance(version, (str, int, float)):
                problems.append(Problem(f"unsupported spec version {_what(version)}; this fixgen reads version 1", file))
            else:
                problems.append(Problem(f"version must be 1, got {_what(version)}", file))
        name = data.get("name")
        if name is not None and (not isinstance(name, str) or not _NAME_RE.fullmatch(name)):
            problems.append(Problem(f"name must use letters, digits and underscores only, got {_what(name)}", file))
            name = None
        elif name is not None and len(name) > MAX_NAME:
            problems.append(Problem(f"name is {len(name)} characters long; at most {MAX_NAME} "
                                    "(it is part of file names)", file))
            name = None
        if "issues" not in data:
            problems.append(Problem("missing key 'issues' (a list of issues)", file))
            raise SpecError(problems)
        raw = data["issues"]
    else:
        raw = data
    if not isinstance(raw, list):
        problems.append(Problem(f"expected a list of issues, got {type(raw).__name__}", file))
        raise SpecError(problems)
    if not raw:
        problems.append(Problem("the spec has no issues: nothing to fix", file))
        raise SpecError(problems)
    issues = []
    for i, item in enumerate(raw):
        item_lines = lines[i] if i < len(lines) else {}
        issue = _issue(item, i, item_lines, file, problems)
        if issue is not None:
            issues.append(issue)
    if problems:
        raise SpecError(problems)
    return Spec(issues=tuple(issues), name=name, file=file)


def _issue(item: Any, i: int, lines: dict[str, int], file: str | None, problems: list[Problem]) -> Issue | None:
    def problem(msg: str, key: Any = "") -> None:
        line = lines.get(key if isinstance(key, str) else _what(key), lines.get(""))
        problems.append(Problem(msg, file, line, i))

    if not isinstance(item, dict):
        problem(f"an issue must be a mapping with a 'kind', got {type(item).__name__}")
        return None
    kind = item.get("kind")
    if not isinstance(kind, str) or kind not in KIND_FIELDS:
        if kind is None:
            problem("missing 'kind'")
        elif isinstance(kind, str):
            problem(f"unknown kind {shown(kind)}; expected one of: {', '.join(KINDS)}", "kind")
        else:
            problem(f"kind must be one of: {', '.join(KINDS)}; got {_what(kind)}", "kind")
        return None
    allowed = {**COMMON_FIELDS, **KIND_FIELDS[kind]}
    before = len(problems)
    for key in item:
        if not isinstance(key, str) or key not in allowed:
            problem(f"unknown key {_what(key)} for {kind} (allowed: {', '.join(sorted(allowed))})", key)
    for key in REQUIRED[kind]:
        if key not in item or item[key] is None:
            problem(f"{kind} needs '{key}'")
    v: dict[str, Any] = {}
    for key, value in item.items():
        ftype = allowed.get(key) if isinstance(key, str) else None
        if ftype is None or value is None and ftype != "scalar":
            continue
        try:
            v[key] = _convert(ftype, value)
        except ValueError as e:
            problem(f"{key}: {e}", key)
    if kind in NEEDS_COLUMNS:
        if "columns" in v and "column" in v:
            problem("give either 'columns' or 'column', not both", "column")
        cols = v.get("columns") or ((v["column"],) if "column" in v else None)
        if not cols:
            if item.get("columns") is None and item.get("column") is None:  # else its conversion failed
                problem(f"{kind} needs 'columns' (or 'column' for one)")
        elif len(set(cols)) != len(cols):
            problem(f"columns repeat a name: {list(cols)}", "columns")
        v["columns"] = cols
    if len(problems) > before:
        return None
    meta = Meta(index=i, line=lines.get(""), id=v.get("id"), message=v.get("message"), source=v.get("source"))
    table = v["table"]
    if kind == "missing_index":
        return MissingIndex(kind, table, meta, v["columns"], v.get("unique", False), v.get("name"))
    if kind in ("missing_foreign_key", "foreign_key_actions"):
        ref_table, ref_cols = v["references"]
        if ref_cols is None:
            ref_cols = ("id",) * len(v["columns"]) if len(v["columns"]) == 1 else None
        if ref_cols is None or len(ref_cols) != len(v["columns"]):
            problem(f"references must name as many columns as 'columns' ({len(v['columns'])})", "references")
            return None
        if kind == "foreign_key_actions":
            cur_delete, cur_update = v.get("current_on_delete", "no_action"), v.get("current_on_update", "no_action")
            on_delete, on_update = v.get("on_delete", cur_delete), v.get("on_update", cur_update)
            if (on_delete, on_update) == (cur_delete, cur_update):
                problem("on_delete/on_update equal current_on_delete/current_on_update: nothing to change", "on_delete")
                return None
            return ForeignKeyActions(kind, table, meta, v["name"], v["columns"], ref_table, ref_cols,
                                     on_delete, on_update, cur_delete, cur_update)
        return MissingForeignKey(kind, table, meta, v["columns"], ref_table, ref_cols,
                                 v.get("on_delete", "no_action"), v.get("on_update", "no_action"), v.get("name"))
    if kind == "missing_column":
        nullable = v.get("nullable", True)
        has_default = "default" in item
        if not nullable and not has_default:
            problem("a NOT NULL column needs a 'default': existing rows need a value", "nullable")
            return None
        if has_default and item["default"] is None and not nullable:
            problem("default null contradicts nullable: false", "default")
            return None
        why = default_problem(v["type"], v.get("default")) if has_default else None
        if why:
            problem(f"default: {why}", "default")
            return None
        return MissingColumn(kind, table, meta, v["column"], v["type"], nullable, v.get("default"), has_default)
    if kind == "missing_timestamps":
        return MissingTimestamps(kind, table, meta)
    if kind == "rename_column":
        if v["from"] == v["to"]:
            problem("'from' and 'to' are the same column", "to")
            return None
        return RenameColumn(kind, table, meta, v["from"], v["to"])
    return RedundantIndex(kind, table, meta, v["name"], v["columns"], v.get("unique", False))


def _name(value: Any) -> str:
    why = identifier_problem(value)
    if why:
        raise ValueError(why)
    return value


def _convert(ftype: str, value: Any) -> Any:
    """A field's value as the spec's type `ftype` says; ValueError (the message of a problem) otherwise."""
    if ftype == "string":
        if isinstance(value, str):
            _check_unicode("text", value)
            return value
        if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)
                                        and -_LIMIT < value < _LIMIT):
            return str(value)
        raise ValueError(f"expected text, got {_what(value)}")
    if ftype == "name":
        return _name(value)
    if ftype == "names":
        if isinstance(value, str):
            hint = f" (write [{value}])" if identifier_problem(value) is None else ""
            raise ValueError(f"expected a list of column names, got the string {shown(value)}{hint}")
        if not isinstance(value, list):
            raise ValueError(f"expected a non-empty list of column names, got {_what(value)}")
        if not value:
            raise ValueError("expected a non-empty list of column names")
        return tuple(_name(c) for c in value)
    if ftype == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {_what(value)}")
        return value
    if ftype == "action":
        key = value.lower().replace(" ", "_") if isinstance(value, str) else None
        if key not in ACTIONS or value not in ACTION_SPELLINGS:
            raise ValueError(f"expected one of {', '.join(ACTIONS)}, got {_what(value)}")
        return key
    if ftype == "type":
        return parse_type(value)
    if ftype == "scalar":
        return _default(value)
    if ftype == "reference":
        return _reference(value)
    raise AssertionError(ftype)


def _default(value: Any) -> Any:
    """A column default: text, a number a column of the vocabulary can hold, a boolean or null."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not -_LIMIT < value < _LIMIT:
            raise ValueError(f"a default number may have at most {MAX_DEFAULT_DIGITS} digits (as decimal(65,0))")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"a default number must be finite, got {value!r}")
        return value
    if isinstance(value, str):
        if any(ord(c) < 32 and c not in "\t\n" for c in value):
            raise ValueError("a default may not contain control characters")
        _check_unicode("a default", value)
        return value
    raise ValueError(f"a default must be a single value (text, number, boolean or null), got {_what(value)}")


def _check_unicode(what: str, text: str) -> None:
    """JSON's \\ud800 makes a string no UTF-8 can hold, so no output could either."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ValueError(f"{what} may not hold a lone surrogate (U+{ord(text[e.start]):04X}): "
                         "it is not Unicode text") from None


def _reference(value: Any) -> tuple[str, tuple[str, ...] | None]:
    """`table`, `table.column` or {table, columns | column}: the table and its columns (None: not given)."""
    if isinstance(value, str):
        table, dot, col = value.partition(".")
        if not dot:
            return _name(table), None
        return _name(table), (_name(col),)
    if isinstance(value, dict):
        extra = [k for k in value if not (isinstance(k, str) and k in ("table", "columns", "column"))]
        if extra:
            raise ValueError(f"unknown key(s) {', '.join(sorted(map(_key_text, extra)))} in references")
        if "table" not in value:
            raise ValueError("references needs 'table'")
        if "columns" in value and "column" in value:
            raise ValueError("give either 'columns' or 'column' in references, not both")
        table = _name(value["table"])
        if "column" in value:
            return table, (_name(value["column"]),)
        if value.get("columns") is None:
            return table, None
        try:
            return table, _convert("names", value["columns"])
        except ValueError as e:
            raise ValueError(f"columns: {e}") from None
    raise ValueError(f"expected 'table.column' or {{table, columns}}, got {_what(value)}")
