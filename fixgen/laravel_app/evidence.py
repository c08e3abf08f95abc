"""Models as evidence: the foreign keys an app's Eloquent relations imply.

A relation names (or, left out, Laravel's conventions give) the column that holds the key and
the key it points to, so `belongsTo(User::class, 'created_by')` says `pages.created_by ->
users.id` where no column name could:

- belongsTo: foreignKey (this model's table) -> ownerKey (the related model's table);
- hasOne/hasMany: foreignKey (the related model's table) -> localKey (this model's table);
- belongsToMany: the pivot's foreignPivotKey -> parentKey and relatedPivotKey -> relatedKey;
- hasOneThrough/hasManyThrough: firstKey (the through table) -> localKey and secondKey (the
  related table) -> secondLocalKey (the through table);
- morph* relations are skipped: their key column holds ids of many tables.

Each key is read for every non-abstract model that has the relation (its own, a parent model's,
a trait's), with that model's table and name, as Laravel does at run time. A foreign key is
proposed only when the database agrees it can be one: both tables and columns exist (a column
the app renames counts under its new name), the referenced column is the primary key or unique
on its own, no foreign key on that column exists, the column is not one half of a polymorphic
pair, and the types fit (the snapshot's `key_types_match`, as `fixgen detect` compares them;
`types_compatible` without it). Where the code implies a key the database cannot take as is,
or two relations point one column at different keys, a warning says so instead. All models of
a relation must be on one connection (`$connection`, inherited): a key cannot cross databases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fixgen.dbschema import Column, Schema, Table, type_family
from fixgen.findings import Finding
from fixgen.laravel_app.models import App, Key, Model, Relation

SOURCE = "laravel app: "

# relation type -> (key column, the key it points to) pairs, as HasRelationships builds its queries
FK_PAIRS: dict[str, tuple[tuple[str, str], ...]] = {
    "belongsTo": (("foreignKey", "ownerKey"),),
    "hasOne": (("foreignKey", "localKey"),),
    "hasMany": (("foreignKey", "localKey"),),
    "belongsToMany": (("foreignPivotKey", "parentKey"), ("relatedPivotKey", "relatedKey")),
    "hasOneThrough": (("firstKey", "localKey"), ("secondKey", "secondLocalKey")),
    "hasManyThrough": (("firstKey", "localKey"), ("secondKey", "secondLocalKey")),
}


@dataclass(frozen=True)
class Implied:
    """One foreign key a relation implies: `fk`'s column points to `ref`'s."""

    model: Model
    rel: Relation
    fk: Key
    ref: Key

    @property
    def origin(self) -> str:
        return f"{self.rel.file}:{self.rel.line}"

    @property
    def who(self) -> str:
        return f"{self.model.name}::{self.rel.name}"

    @property
    def source(self) -> str:
        return f"{SOURCE}{self.origin} {self.who}"

    def how(self) -> str:
        if self.fk.literal is not None:
            return f"{self.rel.type} with {self.fk.param} '{self.fk.column}'"
        return f"{self.rel.type} by Laravel's default {self.fk.param}"


@dataclass(frozen=True)
class EvidenceWarning:
    origin: str  # file:line
    table: str
    message: str


def implied_keys(app: App) -> list[Implied]:
    """Every foreign key the non-abstract models' relations imply, in file and line order of the code."""
    out: list[Implied] = []
    for model in app.models.values():
        if model.abstract:
            continue
        for rel in model.relations:
            pairs = FK_PAIRS.get(rel.type)
            if not pairs or not _one_connection(app, model, rel):
                continue
            for fk_param, ref_param in pairs:
                fk, ref = rel.keys.get(fk_param), rel.keys.get(ref_param)
                if fk is None or ref is None or fk.table is None or ref.table is None:
                    continue  # a related class the code does not name, a pivot class outside the app
                out.append(Implied(model, rel, fk, ref))
    return sorted(out, key=lambda i: (i.rel.file, i.rel.line, i.model.fqcn, i.fk.param))


def _one_connection(app: App, model: Model, rel: Relation) -> bool:
    """All models of the relation on one connection (a key across databases is none), none of them abstract."""
    others = [app.model(rel.related), app.model(rel.through) if rel.through else None]
    if any(m is not None and m.abstract for m in others):
        return False  # an abstract class's table is no table
    return len({model.connection, *(m.connection for m in others if m is not None)}) == 1


@dataclass
class Evidence:
    findings: list[Finding]
    warnings: list[EvidenceWarning]
    # (table, column) -> the keys the relations point it at (its "table.column", the first relation that does),
    # where the database has both columns and no such foreign key yet: a guess from the column's name that is
    # none of these is wrong
    claims: dict[tuple[str, str], list[tuple[str, Implied]]]


def relation_foreign_keys(app: App, schema: Schema, renamed_from: dict[tuple[str, str], str]) -> Evidence:
    """missing_foreign_key findings for the keys the relations imply and the database lacks, and warnings for
    those it cannot take as they are. `renamed_from`: (table, new name) -> old name, the app's renames."""
    by_column: dict[tuple[str, str], list[Implied]] = {}
    for imp in implied_keys(app):
        by_column.setdefault((imp.fk.table or "", imp.fk.column), []).append(imp)
    out = Evidence([], [], {})
    for (table, column), imps in by_column.items():
        targets: dict[tuple[str, str], Implied] = {}
        for imp in imps:
            targets.setdefault((imp.ref.table or "", imp.ref.column), imp)
        checked = [(imp, _check(schema, imp, renamed_from)) for imp in targets.values()]
        live = [(imp, result) for imp, result in checked if result is not None]
        if live:
            out.claims[(table, column)] = [(f"{i.ref.table}.{i.ref.column}", i) for i, _ in live]
        if len(live) > 1 and any(isinstance(result, Finding) for _, result in live):
            first = live[0][0]
            says = "; ".join(f"{i.who} ({i.origin}) to {i.ref.table}.{i.ref.column}" for i, _ in live)
            out.warnings.append(EvidenceWarning(first.origin, table, f"{table}.{column}: the relations point it at "
                                                f"different keys ({says}): no foreign key proposed"))
            continue
        for imp, result in live:
            if isinstance(result, EvidenceWarning):
                out.warnings.append(result)
            else:
                also = [i.who for i in imps if i.who != imp.who and (i.ref.table, i.ref.column) ==
                        (imp.ref.table, imp.ref.column)]
                if also:
                    result.message += f" (also {', '.join(dict.fromkeys(also))})"
                out.findings.append(result)
    return out


def _current(table: Table, column: str, renamed_from: dict[tuple[str, str], str]) -> str | None:
    """The database's name now for the column the app calls `column` (its old name if the app renames it)."""
    if column in table.columns:
        return column
    old = renamed_from.get((table.name, column))
    return old if old is not None and old in table.columns else None


def _check(schema: Schema, imp: Implied, renamed_from: dict[tuple[str, str], str]
           ) -> Finding | EvidenceWarning | None:
    """The finding, a warning why the database cannot take the key as is, or None (nothing to do here:
    the key exists, or a table or column is missing, which the relation-key check reports)."""
    t, rt = schema.table(imp.fk.table or ""), schema.table(imp.ref.table or "")
    if t is None or rt is None:
        return None
    col, ref = _current(t, imp.fk.column, renamed_from), _current(rt, imp.ref.column, renamed_from)
    if col is None or ref is None or (t.name, col) == (rt.name, ref):
        return None  # (a key to itself is no reference)
    what = f"{imp.who} ({imp.how()}) implies a foreign key {t.name}.{imp.fk.column} -> {rt.name}.{imp.ref.column}"

    def warn(why: str) -> EvidenceWarning:
        return EvidenceWarning(imp.origin, t.name, f"{what}, but {why}: no foreign key proposed")

    for fk in t.foreign_keys:
        if fk.columns == (col,):
            if fk.ref_table == rt.name and fk.ref_columns == (ref,):
                return None
            return warn(f"{t.name}.{col} already has a foreign key to {fk.ref_table}.{', '.join(fk.ref_columns)}")
    if col.lower().endswith("_id") and col[:-3] + "_type" in t.columns:
        return warn(f"{t.name}.{col} looks polymorphic ({col[:-3]}_type next to it)")
    if rt.primary_key != (ref,) and not any(ix.unique and ix.columns == (ref,) for ix in rt.indexes):
        return warn(f"{rt.name}.{ref} is neither its table's primary key nor unique")
    if not _key_types_match(schema, t.columns[col], rt.columns[ref]):
        return warn(f"the types differ ({t.name}.{col} {_shown_type(t.columns[col])}, {rt.name}.{ref} "
                    f"{_shown_type(rt.columns[ref])})")
    renamed = f" ({col} until the rename)" if col != imp.fk.column else ""
    message = (f"{t.name}.{imp.fk.column}{renamed} points to {rt.name}.{imp.ref.column} ({imp.who}: {imp.how()}) "
               "but has no foreign key")
    return Finding("missing_foreign_key",
                   {"table": t.name, "columns": [imp.fk.column], "references": f"{rt.name}.{imp.ref.column}"},
                   imp.source, message, origin=imp.origin)


def _key_types_match(schema: Schema, column: Column, target: Column) -> bool:
    """The snapshot's own rule where it has one (the catalog's key types, as `fixgen detect` compares them),
    else `types_compatible` on the types' spelling."""
    match = getattr(schema, "key_types_match", None)
    return bool(match(column, target)) if match is not None else types_compatible(schema.dialect, column.type, target.type)


def _shown_type(c: Column) -> str:
    return c.type if c.type.isprintable() else repr(c.type)


# ------------------------------------------------------------------ types

_MYSQL_INTEGERS = {"TINYINT": "TINYINT", "SMALLINT": "SMALLINT", "MEDIUMINT": "MEDIUMINT", "INT": "INT",
                   "INTEGER": "INT", "BIGINT": "BIGINT"}


def types_compatible(dialect: str, column: str, target: str) -> bool:
    """Whether a foreign key from a `column`-typed column to a `target`-typed key can be added as is.

    Every dialect: the same family (integer, string, uuid, ...). MySQL/MariaDB (InnoDB, errno 150): integers of
    the same size and sign; strings CHAR or VARCHAR of any length with the same character set and collation
    (TEXT cannot be a key without a prefix); anything else the same type. An unrecognized type passes."""
    a, b = type_family(column), type_family(target)
    if a is None or b is None:
        return True
    if a != b:
        return False
    if dialect != "mysql":
        return True
    ta, tb = _mysql_parts(column), _mysql_parts(target)
    if a == "integer":
        return ta[0] in _MYSQL_INTEGERS and tb[0] in _MYSQL_INTEGERS and \
            (_MYSQL_INTEGERS[ta[0]], ta[1]) == (_MYSQL_INTEGERS[tb[0]], tb[1])
    if a == "string":
        return ta[0] in ("CHAR", "VARCHAR") and tb[0] in ("CHAR", "VARCHAR") and ta[1] == tb[1]
    return ta == tb


def _mysql_parts(type_text: str) -> tuple[str, str]:
    """(base type, the rest without lengths): `BIGINT(20) UNSIGNED` -> (BIGINT, UNSIGNED)."""
    t = re.sub(r"\(\s*\d+(\s*,\s*\d+)?\s*\)", "", type_text.upper())
    t = t.replace('"', "").replace("`", "")
    base, _, rest = t.strip().partition(" ")
    rest = " ".join(w for w in rest.split() if w != "ZEROFILL")
    return base, rest
