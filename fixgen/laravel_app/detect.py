"""Compare an app's models with a live schema (for a later `fixgen detect --laravel-app`).

The model is taken as the intent: a relation key the database lacks is a missing or
renamed column; `->withTimestamps()` on a pivot without created_at/updated_at asks for
missing_timestamps. `$fillable` entries that are not columns fit no spec kind (the fix may
be in the code): they come back as warnings, not findings.
"""

from __future__ import annotations

from fixgen.dbschema import Schema, Table
from fixgen.findings import Finding
from fixgen.laravel_app.models import App, Key, Model, Relation

SOURCE = "fixgen detect --laravel-app: "


def model_findings(app: App, schema: Schema) -> list[Finding]:
    """Findings for relation keys the database lacks and pivots that lack withTimestamps()' columns."""
    out: list[Finding] = []
    for model in sorted(app.models.values(), key=lambda m: (m.file, m.line)):
        for rel in model.relations:
            for key in rel.keys.values():
                finding = _missing_key(app, schema, model, rel, key)
                if finding is not None:
                    out.append(finding)
            if rel.with_timestamps and rel.pivot_table:
                pivot = schema.table(rel.pivot_table)
                missing = [c for c in ("created_at", "updated_at") if pivot is not None and c not in pivot.columns]
                if missing:
                    out.append(Finding(
                        "missing_timestamps", {"table": rel.pivot_table}, SOURCE + "pivot-timestamps",
                        f"{model.name}::{rel.name} uses ->withTimestamps() but pivot {rel.pivot_table} has no "
                        f"{' or '.join(missing)}", origin=f"{model.file}:{rel.line}"))
    return out


def fillable_warnings(app: App, schema: Schema) -> list[str]:
    """`file:line: Model::$fillable names 'x', which table t does not have` for each such entry."""
    out = []
    for model in sorted(app.models.values(), key=lambda m: (m.file, m.line)):
        table = schema.table(model.table)
        if table is None:
            continue
        for entry in model.properties:
            if entry.property == "fillable" and entry.value not in table.columns:
                out.append(f"{model.file}:{entry.line}: {model.name}::$fillable names '{entry.value}', "
                           f"which table {model.table} does not have")
    return out


def _missing_key(app: App, schema: Schema, model: Model, rel: Relation, key: Key) -> Finding | None:
    table = schema.table(key.table) if key.table else None
    if table is None or key.column in table.columns:
        return None  # an unknown table is not this check's business
    origin = f"{model.file}:{rel.line}"
    how = "names" if key.literal is not None else "relies on Laravel's default"
    what = f"{model.name}::{rel.name} ({rel.type}) {how} {key.param} {key.table}.{key.column}, which the database lacks"
    old = _renamed_from(app, table, key.column)
    if old is not None:
        return Finding("rename_column", {"table": table.name, "from": old, "to": key.column}, SOURCE + "model-column",
                       f"{what}; {table.name}.{old} looks like its old name", origin=origin)
    return Finding("missing_column", {"table": table.name, "column": key.column}, SOURCE + "model-column", what,
                   origin=origin, gaps={"type": f"the type of {table.name}.{key.column} (rename an existing column?)"})


def _renamed_from(app: App, table: Table, column: str) -> str | None:
    """The one column of the table that looks like `column`'s old name (created_by_user_id for user_id)
    and that no model names; None when there is no such column or more than one."""
    named = {k.column for m in app.models.values() for r in m.relations for k in r.keys.values() if k.table == table.name}
    named |= {p.value for m in app.models_of_table(table.name) for p in m.properties}
    candidates = [c for c in table.columns if c not in named and c not in table.primary_key
                  and (c.endswith("_" + column) or column.endswith("_" + c))]
    return candidates[0] if len(candidates) == 1 else None
