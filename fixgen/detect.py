"""`fixgen detect URL`: schema problems read straight from a live database snapshot.

Four rules, each a `source` of its own ("fixgen detect: <rule>"):

- fk-without-index: a foreign key that no index (or the primary key) leads with -> missing_index.
  MySQL/MariaDB: InnoDB creates such an index itself, so this rule finds nothing there.
- missing-foreign-key: a `*_id` column (or one named by `--ref`) without a foreign key whose
  target table can be found by name (`dbschema.guess_reference`) -> missing_foreign_key to that
  table's one-column primary key. Not reported: the table's own single-column primary key;
  polymorphic pairs (`commentable_id` next to `commentable_type`: no single table to reference);
  a column whose type cannot hold the target key (`_types_compatible`: a foreign key could not be
  added without changing the column, which is not a spec fix).
- redundant-index: a plain index whose columns are a leading prefix of another plain index (or of
  the primary key) on the same table -> redundant_index. Never a UNIQUE index (it enforces
  something) unless the other one is unique on exactly the same columns; never a partial,
  expression, descending, prefix-length or non-btree index (the rollback could not recreate it);
  never the index of a UNIQUE constraint (DROP INDEX cannot remove it); on MySQL/MariaDB never an
  index that leads with a foreign key's columns (InnoDB may need it: error 1553). Of two identical
  indexes, the one whose name sorts later is reported.
- pivot-timestamps: a pivot table (two foreign keys whose columns form the primary key or a unique
  key) with only one of created_at/updated_at -> missing_timestamps. A pivot with neither is a
  plain pivot (Laravel's default, no `withTimestamps()`), not a finding.

Output order is deterministic: by table, then kind, then columns.

Names: the snapshot leaves out tables and columns whose names fixgen refuses and keeps refused
indexes and foreign keys only as coverage (fixgen.dbschema); no rule builds a finding, or a
message, from a refused name, and a finding that would still name one is left out with a
warning in `schema.warnings` rather than reach a spec.
"""

from __future__ import annotations

import re
from itertools import combinations

from fixgen.dbschema import Index, Schema, SnapshotWarning, Table, guess_reference, names_problem, safe_name
from fixgen.findings import Finding, name_problems

SOURCE = "fixgen detect: "


def detect_findings(schema: Schema, hints: dict[str, str] | None = None) -> list[Finding]:
    """The four rules' findings; one that names something fixgen's identifier policy refuses becomes
    a warning appended to `schema.warnings` instead (the snapshot's rules make that a safety net)."""
    hints = hints or {}
    findings: list[Finding] = []
    for table in schema.tables.values():
        findings += _fk_without_index(table)
        findings += _missing_foreign_keys(schema, table, hints)
        findings += _redundant_indexes(schema, table)
        findings += _pivot_timestamps(table)
    kept = []
    for f in findings:
        problems = name_problems(f)
        if problems:
            table = str(f.fields.get("table") or "")
            schema.warnings.append(SnapshotWarning(table, f"{f.kind} on table {safe_name(table)} left out: "
                                                          f"{'; '.join(problems)}"))
        else:
            kept.append(f)
    return sorted(kept, key=_order)


def _order(f: Finding) -> tuple:
    cols = f.fields.get("columns") or [f.fields.get("column") or ""]
    return (f.fields["table"], f.kind, list(cols), f.fields.get("name") or "")


# ------------------------------------------------------------------ fk-without-index

def _fk_without_index(table: Table) -> list[Finding]:
    out = []
    seen: set[tuple[str, ...]] = set()
    for fk in table.foreign_keys:
        if fk.columns in seen or table.has_index_leading(fk.columns):
            continue
        if names_problem(*fk.columns, fk.ref_table):
            continue  # the snapshot warned about it: the fix would name what fixgen refuses
        seen.add(fk.columns)
        cols = ", ".join(fk.columns)
        out.append(Finding(
            "missing_index", {"table": table.name, "columns": list(fk.columns)}, SOURCE + "fk-without-index",
            f"foreign key {table.name}({cols}) -> {fk.ref_table} has no index leading with ({cols})"))
    return out


# ------------------------------------------------------------------ missing-foreign-key

def _missing_foreign_keys(schema: Schema, table: Table, hints: dict[str, str]) -> list[Finding]:
    covered = {c for fk in table.foreign_keys for c in fk.columns}
    out = []
    for name, col in table.columns.items():
        hinted = f"{table.name}.{name}" in hints or name in hints
        if name in covered or table.primary_key == (name,):
            continue
        if not hinted and not name.lower().endswith("_id"):
            continue
        if not hinted and _is_morph(table, name):
            continue
        ref = guess_reference(schema, table.name, name, hints)
        if ref is None:
            continue
        target, pk = ref
        target_col = schema.tables[target].columns.get(pk[0])
        if target_col is None or not _types_compatible(schema.dialect, col.type, target_col.type):
            continue
        how = "named by --ref" if hinted else "by its name"
        out.append(Finding(
            "missing_foreign_key",
            {"table": table.name, "columns": [name], "references": f"{target}.{pk[0]}"},
            SOURCE + "missing-foreign-key",
            f"{table.name}.{name} points to {target}.{pk[0]} ({how}) but has no foreign key"))
    return out


def _is_morph(table: Table, column: str) -> bool:
    """Laravel/Rails polymorphic pair: `<name>_id` next to `<name>_type` references many tables."""
    return column[:-3] + "_type" in table.columns


def _family(type_text: str) -> str | None:
    t = type_text.upper()
    if "NULLTYPE" in t or not t.strip():
        return None  # a type SQLAlchemy did not recognize: no opinion
    if "UUID" in t or "UNIQUEIDENTIFIER" in t:
        return "uuid"
    if "INT" in t or "SERIAL" in t:
        return "integer"
    if any(k in t for k in ("CHAR", "TEXT", "CLOB", "STRING")):
        return "string"
    if any(k in t for k in ("BINARY", "BLOB", "BYTEA")):
        return "binary"
    if any(k in t for k in ("NUMERIC", "DECIMAL")):
        return "decimal"
    return re.sub(r"\(.*", "", t).strip()


def _types_compatible(dialect: str, column: str, target: str) -> bool:
    """Whether a foreign key from a `column`-typed column to a `target`-typed key can be added as is.

    Same family (integer, string, uuid, binary, ...) on every dialect; MySQL/MariaDB also want the
    same integer type and sign and the same string type and collation (length may differ). A type
    SQLAlchemy did not recognize (SQLite's free-form declared types) is given the benefit of the doubt.
    """
    a, b = _family(column), _family(target)
    if a is None or b is None:
        return True
    if a != b:
        return False
    if dialect == "mysql":
        strip = re.compile(r"\(\d+\)")
        return strip.sub("", column.upper()) == strip.sub("", target.upper())
    return True


# ------------------------------------------------------------------ redundant-index

def _redundant_indexes(schema: Schema, table: Table) -> list[Finding]:
    pk = Index("PRIMARY KEY", table.primary_key, True, constraint=True) if table.primary_key else None
    # an index fixgen cannot name is neither dropped nor named as the reason to drop another
    candidates = [ix for ix in table.indexes if ix.plain and ix.name and ix.problem is None]
    covering = candidates + ([pk] if pk else [])
    fk_cols = [fk.columns for fk in table.foreign_keys]
    out = []
    for ix in sorted(candidates, key=lambda i: i.name):
        if ix.constraint:
            continue
        if schema.dialect == "mysql" and any(ix.columns[:len(c)] == c for c in fk_cols):
            continue
        by = next((other for other in sorted(covering, key=_cover_rank) if _makes_redundant(other, ix)), None)
        if by is None:
            continue
        cols = ", ".join(ix.columns)
        what = "the primary key" if by is pk else f"index {by.name} ({', '.join(by.columns)})"
        same = "duplicates" if by.columns == ix.columns else "is a leading prefix of"
        out.append(Finding(
            "redundant_index",
            {"table": table.name, "name": ix.name, "columns": list(ix.columns), "unique": ix.unique},
            SOURCE + "redundant-index",
            f"{'unique ' if ix.unique else ''}index {table.name}.{ix.name} ({cols}) {same} {what}"))
    return out


def _cover_rank(ix: Index) -> tuple:
    # name the widest covering index first; constraints before plain ones, then by name
    return (-len(ix.columns), not ix.constraint, ix.name)


def _makes_redundant(other: Index, ix: Index) -> bool:
    if other is ix or other.columns[:len(ix.columns)] != ix.columns:
        return False
    if ix.unique:
        # a unique index enforces something: only an identical unique one makes it redundant
        return other.unique and other.columns == ix.columns and _kept_instead(other, ix)
    if other.columns == ix.columns and not other.unique:
        return _kept_instead(other, ix)  # identical duplicates: one of the two goes
    return True


def _kept_instead(other: Index, ix: Index) -> bool:
    """Of two identical indexes, keep a constraint's (or the primary key), else the first by name."""
    return other.constraint or other.name < ix.name


# ------------------------------------------------------------------ pivot-timestamps

def _pivot_timestamps(table: Table) -> list[Finding]:
    has = [c for c in ("created_at", "updated_at") if c in table.columns]
    if len(has) != 1 or not _is_pivot(table):
        return []
    missing = "updated_at" if has[0] == "created_at" else "created_at"
    return [Finding("missing_timestamps", {"table": table.name}, SOURCE + "pivot-timestamps",
                    f"pivot table {table.name} has {has[0]} but no {missing}")]


def _is_pivot(table: Table) -> bool:
    keys = [set(table.primary_key)] if table.primary_key else []
    keys += [set(ix.columns) for ix in table.indexes if ix.unique and all(ix.columns)]
    for a, b in combinations(table.foreign_keys, 2):
        cols = set(a.columns) | set(b.columns)
        if set(a.columns) != set(b.columns) and cols in keys:
            return True
    return False
