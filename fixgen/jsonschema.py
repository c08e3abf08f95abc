"""Spec v1 published as JSON Schema, built from the same tables spec.py validates with."""

from __future__ import annotations

from typing import Any

from fixgen.coltypes import VOCABULARY
from fixgen.dialects import ACTIONS
from fixgen.spec import COMMON_FIELDS, KIND_FIELDS, KINDS, REQUIRED

_NAME = {"type": "string", "minLength": 1, "pattern": "^[^\"'`\\\\;\\x00-\\x1f\\x7f]+$"}
_FIELD_SCHEMAS: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "name": _NAME,
    "names": {"type": "array", "items": _NAME, "minItems": 1},
    "bool": {"type": "boolean"},
    "action": {"enum": sorted(ACTIONS)},
    "type": {"type": "string", "description": "one of: " + ", ".join(VOCABULARY)},
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
             "properties": {"version": {"const": 1}, "name": {"type": "string", "pattern": "^[A-Za-z0-9_]+$"},
                            "issues": {"$ref": "#/$defs/issues"}}},
        ],
        "$defs": {"issue": issue, "issues": issues},
    }
