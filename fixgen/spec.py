"""Read and validate spec v1: the input contract.

Problems are collected, not raised one at a time, so a user fixes every typo in one
pass; each carries the file, line and issue index it belongs to.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from fixgen.coltypes import ColumnType, parse_type
from fixgen.dialects import ACTIONS
from fixgen.errors import Problem, SpecError
from fixgen.identifiers import identifier_problem

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
_NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")
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
        # JSON parses ~50x faster than YAML; a spec with problems is re-read as YAML for line numbers
        try:
            return _validate(json.loads(text, object_pairs_hook=_unique_keys), [], file)
        except (ValueError, SpecError):
            pass
    data, lines = _parse(text, file)
    return _validate(data, lines, file)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key")  # the YAML path reports it with its line
    return dict(pairs)


def _parse(text: str, file: str | None) -> tuple[Any, list[dict[str, int]]]:
    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_cls(text)
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
            return json.loads(text), []
        except ValueError:
            pass
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(e, "problem", None) or str(e)
        raise SpecError([Problem(f"cannot parse YAML/JSON: {reason}", file, line)]) from None
    finally:
        loader.dispose()
    return data, _issue_lines(node)


def _check_duplicate_keys(node: yaml.Node, file: str | None, problems: list[Problem],
                          seen_nodes: set[int] | None = None) -> None:
    """Walk each node once: aliases share nodes, so a recursive or 'billion laughs' spec stays cheap."""
    if seen_nodes is None:
        seen_nodes = set()
    if id(node) in seen_nodes:
        return
    seen_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                if k.value in seen:
                    problems.append(Problem(f"duplicate key {k.value!r}", file, k.start_mark.line + 1))
                seen.add(k.value)
            _check_duplicate_keys(v, file, problems, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_duplicate_keys(item, file, problems, seen_nodes)


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


def _validate(data: Any, lines: list[dict[str, int]], file: str | None) -> Spec:
    problems: list[Problem] = []
    name = None
    if isinstance(data, dict):
        unknown = sorted(set(map(str, data)) - {"version", "name", "issues"})
        if unknown:
            problems.append(Problem(f"unknown top-level key(s): {', '.join(unknown)} "
                                    "(expected version, name, issues)", file))
        version = data.get("version", 1)
        if type(version) is not int or version != 1:
            problems.append(Problem(f"unsupported spec version {version!r}; this fixgen reads version 1", file))
        name = data.get("name")
        if name is not None and (not isinstance(name, str) or not _NAME_RE.match(name)):
            problems.append(Problem(f"name must use letters, digits and underscores only, got {name!r}", file))
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
    def problem(msg: str, key: str = "") -> None:
        problems.append(Problem(msg, file, lines.get(key, lines.get("")), i))

    if not isinstance(item, dict):
        problem(f"an issue must be a mapping with a 'kind', got {type(item).__name__}")
        return None
    kind = item.get("kind")
    if kind not in KIND_FIELDS:
        if kind is None:
            problem("missing 'kind'")
        else:
            problem(f"unknown kind {kind!r}; expected one of: {', '.join(KINDS)}", "kind")
        return None
    allowed = {**COMMON_FIELDS, **KIND_FIELDS[kind]}
    before = len(problems)
    for key in item:
        if str(key) not in allowed:
            problem(f"unknown key {key!r} for {kind} (allowed: {', '.join(sorted(allowed))})", str(key))
    for key in REQUIRED[kind]:
        if key not in item or item[key] is None:
            problem(f"{kind} needs '{key}'")
    v: dict[str, Any] = {}
    for key, value in item.items():
        ftype = allowed.get(str(key))
        if ftype is None or value is None and ftype != "scalar":
            continue
        try:
            v[str(key)] = _convert(ftype, value)
        except ValueError as e:
            problem(f"{key}: {e}", str(key))
    if kind in NEEDS_COLUMNS:
        if "columns" in v and "column" in v:
            problem("give either 'columns' or 'column', not both", "column")
        cols = v.get("columns") or ((v["column"],) if "column" in v else None)
        if not cols:
            if "columns" not in item and "column" not in item:
                problem(f"{kind} needs 'columns' (or 'column' for one)")
        elif len(set(cols)) != len(cols):
            problem(f"columns repeat a name: {list(cols)}", "columns")
        v["columns"] = cols
    if len(problems) > before:
        return None
    meta = Meta(index=i, line=lines.get(""), id=_opt_str(item.get("id")),
                message=_opt_str(item.get("message")), source=_opt_str(item.get("source")))
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
        return MissingColumn(kind, table, meta, v["column"], v["type"], nullable, v.get("default"), has_default)
    if kind == "missing_timestamps":
        return MissingTimestamps(kind, table, meta)
    if kind == "rename_column":
        if v["from"] == v["to"]:
            problem("'from' and 'to' are the same column", "to")
            return None
        return RenameColumn(kind, table, meta, v["from"], v["to"])
    return RedundantIndex(kind, table, meta, v["name"], v["columns"], v.get("unique", False))


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _name(value: Any) -> str:
    why = identifier_problem(value)
    if why:
        raise ValueError(why)
    return value


def _convert(ftype: str, value: Any) -> Any:
    if ftype == "string":
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ValueError(f"expected text, got {type(value).__name__}")
        return str(value)
    if ftype == "name":
        return _name(value)
    if ftype == "names":
        if isinstance(value, str):
            raise ValueError(f"expected a list of column names, got the string {value!r} (write [{value}])")
        if not isinstance(value, list) or not value:
            raise ValueError("expected a non-empty list of column names")
        return tuple(_name(c) for c in value)
    if ftype == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {value!r}")
        return value
    if ftype == "action":
        key = value.lower().replace(" ", "_") if isinstance(value, str) else None
        if key not in ACTIONS or value not in ACTION_SPELLINGS:
            raise ValueError(f"expected one of {', '.join(ACTIONS)}, got {value!r}")
        return key
    if ftype == "type":
        return parse_type(value)
    if ftype == "scalar":
        if isinstance(value, (dict, list)):
            raise ValueError("a default must be a single value (text, number, boolean or null)")
        if isinstance(value, str) and any(ord(c) < 32 and c not in "\t\n" for c in value):
            raise ValueError("a default may not contain control characters")
        return value
    if ftype == "reference":
        if isinstance(value, str):
            table, dot, col = value.partition(".")
            if not dot:
                return _name(table), None
            return _name(table), (_name(col),)
        if isinstance(value, dict):
            extra = set(value) - {"table", "columns", "column"}
            if extra:
                raise ValueError(f"unknown key(s) {', '.join(map(str, sorted(extra)))} in references")
            if "table" not in value:
                raise ValueError("references needs 'table'")
            cols = value.get("columns")
            if cols is None and "column" in value:
                cols = [value["column"]]
            return _name(value["table"]), (_convert("names", cols) if cols is not None else None)
        raise ValueError("expected 'table.column' or {table, columns}")
    raise AssertionError(ftype)
