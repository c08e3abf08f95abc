"""Spec v1 published as JSON Schema, built from the same tables spec.py validates with."""

from __future__ import annotations

from typing import Any

from fixgen.coltypes import TYPE_PATTERN
from fixgen.spec import ACTION_SPELLINGS, COMMON_FIELDS, KIND_FIELDS, KINDS, REQUIRED

# Mirrors fixgen.identifiers: no quotes, backslash, semicolon, control or format characters,
# no leading or trailing whitespace.
_BAD = "\"'`\\\\;\\x00-\\x1f\\x7f-\\x9f\\u00ad\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff"
_NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": f"^(?!\\s)[^{_BAD}]*[^{_BAD}\\s]$"}
_FIELD_SCHEMAS: dict[str, dict[str, Any]] = {
    "string": {"type": ["string", "number"]},
    "name": _NAME,
    "names": {"type": "array", "items": _NAME, "minItems": 1},
    "bool": {"type": "boolean"},
    "action": {"enum": ACTION_SPELLINGS},
    "type": {"type": "string", "pattern": TYPE_PATTERN},
    "scalar": {"type": ["string", "number", "boolean", "null"]},
    "reference": {"oneOf": [
        {"type": "string", "description": "table.column (or table, meaning table.id)"},
        {"type": "object", "additionalProperties": False, "required": ["table"],
         "properties": {"table": _NAME, "columns": {"type": "array", "items": _NAME, "minItems": 1},
                        "column": _NAME}},
    ]},
}


def _issue_schema(kind: str) -> dict[str, Any]:
    fields = {**COMMON_FIELDS, **KIND_FIELDS[kind]}
    props: dict[str, Any] = {k: dict(_FIELD_SCHEMAS[t]) for k, t in fields.items()}
    props["kind"] = {"const": kind}
    if kind == "missing_column":
        props["nullable"] = {"type": "boolean"}
    schema: dict[str, Any] = {
        "type": "object", "additionalProperties": False,
        "required": ["kind", *REQUIRED[kind]], "properties": props,
    }
    if "columns" in fields:
        schema["oneOf"] = [{"required": ["columns"]}, {"required": ["column"]}]
    return schema


def spec_json_schema() -> dict[str, Any]:
    issue = {"oneOf": [_issue_schema(k) for k in KINDS]}
    issues = {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/issue"}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://fixgen.dev/schema/spec-v1.json",
        "title": "fixgen spec v1",
        "description": "A list of detected schema issues for fixgen to turn into a guarded fix migration.",
        "oneOf": [
            {"$ref": "#/$defs/issues"},
            {"type": "object", "additionalProperties": False, "required": ["issues"],
             "properties": {"version": {"type": "integer", "const": 1}, "name": {"type": "string", "pattern": "^[A-Za-z0-9_]+$"},
                            "issues": {"$ref": "#/$defs/issues"}}},
        ],
        "$defs": {"issue": issue, "issues": issues},
    }
