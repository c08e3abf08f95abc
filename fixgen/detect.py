"""`fixgen detect URL`: schema problems read straight from a live database snapshot.

Four rules, each a `source` of its own ("fixgen detect: <rule>"):

- fk-without-index: a foreign key that no index (or the primary key) leads with -> missing_index.
  MySQL/MariaDB: InnoDB creates such an index itself, so this rule finds nothing there.
- missing-foreign-key: a `*_id` column (or one named by `--ref`) without a foreign key whose
  target table can be found by name (`dbschema.guess_reference`) -> missing_foreign_key to that
  table's one-column primary key. Not reported: the table's own single-column primary key;
  polymorphic pairs (`commentable_id` next to `commentable_type`: no single table to reference);
  PostgreSQL, a table's copy of the key of a table it inherits from or is a partition of (the
  row's own id, not a reference). A column whose type the database would not accept for the key
  (`Schema.key_types_match`, on the catalog's own types: MySQL/MariaDB the integer type and sign,
  decimal precision and scale, string collation; PostgreSQL the base type of a domain, with the
  cross-type pairs its operator families accept; SQLite the affinity) is no finding but a warning
  that names both columns and both types: the key cannot be added without changing the column,
  which is not a spec fix.
- redundant-index: a plain index whose columns are a leading prefix of another plain index (or of
  the primary key) on the same table -> redundant_index. Never a UNIQUE index (it enforces
  something) unless the other one is unique on exactly the same columns; never a partial,
  expression, descending, prefix-length or non-btree index (the rollback could not recreate it);
  never the index of a UNIQUE constraint (DROP INDEX cannot remove it), nor a partition's part of
  a partitioned index; never the index a proposed foreign key would create (emit refuses a spec
  that drops and creates the same index); on MySQL/MariaDB never an index that leads with the
  columns of a foreign key, existing or proposed (InnoDB may need it: error 1553). Of two
  identical indexes, the one whose name sorts later is reported.
- pivot-timestamps: a pivot table (two foreign keys whose columns form the primary key or a unique
  key) with only one of created_at/updated_at -> missing_timestamps. A pivot with neither is a
  plain pivot (Laravel's default, no `withTimestamps()`), not a finding.

PostgreSQL partitions: a partition gets its partitioned parent's foreign keys and indexes, and
its columns: a finding on a partition that the parent covers (the parent has the key, or is
proposed it; the key without an index is the parent's; timestamps) is left out, and so is the
type warning of its copy of the parent's column. Left out with a warning (`_refused_on_partitioned`):
what no migration does on a partitioned table (MySQL/MariaDB: a foreign key from or to one;
PostgreSQL: dropping one's index, and an index or a key on one with partitions that are not plain
tables).

Last, `usable_by_emit` plans the findings the way `fixgen emit` does, for every target the
database's dialect has (sql for that dialect, laravel, alembic), and leaves out, with a
warning, each finding emit would refuse (one of two that contradict each other, a name a
target cannot take) or whose migration's preflight would (a name another object already has):
detect never writes a spec that emit refuses.

Output order is deterministic: by table, then kind, then columns.

Names: the snapshot leaves out tables and columns whose names fixgen refuses and keeps refused
indexes and foreign keys only as coverage (fixgen.dbschema); no rule builds a finding, or a
message, from a refused name, and a finding that would still name one is left out with a
warning in `schema.warnings` rather than reach a spec.
"""

from __future__ import annotations

import re
from itertools import combinations

from fixgen.dbschema import Column, Index, Schema, SnapshotWarning, Table, guess_reference, names_problem, safe_name
from fixgen.findings import Finding, name_problems, printable

SOURCE = "fixgen detect: "


def detect_findings(schema: Schema, hints: dict[str, str] | None = None) -> list[Finding]:
    """The four rules' findings, as `usable_by_emit` keeps them; one that names something fixgen's identifier
    policy refuses becomes a warning appended to `schema.warnings` instead (the snapshot's rules make that a
    safety net), and so does one that emit would refuse."""
    hints = hints or {}
    findings: list[Finding] = []
    proposed = {t.name: _missing_foreign_keys(schema, t, hints) for t in schema.tables.values()}
    for table in schema.tables.values():
        findings += _fk_without_index(table)
        findings += proposed[table.name]
        findings += _redundant_indexes(schema, table, [tuple(f.fields["columns"]) for f in proposed[table.name]])
        findings += _pivot_timestamps(table)
    findings = _refused_on_partitioned(schema, _not_covered_by_parents(schema, findings))
    kept = []
    for f in findings:
        problems = name_problems(f)
        if problems:
            table = str(f.fields.get("table") or "")
            schema.warnings.append(SnapshotWarning(table, f"{f.kind} on table {safe_name(table)} left out: "
                                                          f"{'; '.join(problems)}"))
        else:
            kept.append(f)
    kept, refused = usable_by_emit(sorted(kept, key=_order), schema)
    schema.warnings.extend(refused)
    return kept


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
    """The proposals; a column whose type the key's does not match is a warning in `schema.warnings` instead."""
    covered = {c for fk in table.foreign_keys for c in fk.columns}
    ancestors = schema.ancestors(table.name)
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
        if target in ancestors and pk[0] == name:
            continue  # INHERITS or a partition: the row's own id, inherited from the key of `target`
        target_col = schema.tables[target].columns.get(pk[0])
        if target_col is None:
            continue
        how = "named by --ref" if hinted else "by its name"
        if not schema.key_types_match(col, target_col):
            if not (table.partition and any(name in schema.tables[a].columns for a in ancestors)):  # the parent's say
                schema.warnings.append(SnapshotWarning(table.name, _type_mismatch(schema.dialect, table.name, col,
                                                                                  target, target_col, how)))
            continue
        out.append(Finding(
            "missing_foreign_key",
            {"table": table.name, "columns": [name], "references": f"{target}.{pk[0]}"},
            SOURCE + "missing-foreign-key",
            f"{table.name}.{name} points to {target}.{pk[0]} ({how}) but has no foreign key"))
    return out


def _is_morph(table: Table, column: str) -> bool:
    """Laravel/Rails polymorphic pair: `<name>_id` next to `<name>_type` references many tables."""
    return column[:-3] + "_type" in table.columns


# why the database refuses a foreign key between two types, by dialect
_TYPE_RULES = {
    "mysql": "MySQL/MariaDB take a foreign key only between integers of the same type and sign, decimals of the "
             "same precision, scale and sign, strings of the same collation, or the same other type",
    "postgresql": "PostgreSQL takes a foreign key only where the key's operator family compares the two types "
                  "(a domain counts as its base type)",
    "sqlite": "SQLite compares the values by the key's type affinity",
}


def _type_mismatch(dialect: str, table: str, col: Column, target: str, target_col: Column, how: str) -> str:
    return (f"{table}.{col.name} ({_type_text(col)}) points to {target}.{target_col.name} ({_type_text(target_col)}) "
            f"{'by its name' if how == 'by its name' else 'as --ref names it'}, but their types differ: no "
            f"missing_foreign_key proposed ({_TYPE_RULES.get(dialect, 'the types must match')}); make "
            f"{table}.{col.name} the type of {target}.{target_col.name} first")


def _type_text(col: Column) -> str:
    """A column's type for a message: one line, at most 100 characters (an ENUM lists its values)."""
    text = printable(col.type)
    return text if len(text) <= 100 else text[:97] + "..."


# ------------------------------------------------------------------ redundant-index

def _redundant_indexes(schema: Schema, table: Table, proposed: list[tuple[str, ...]]) -> list[Finding]:
    """`proposed`: the columns of the foreign keys detect proposes on this table."""
    pk = Index("PRIMARY KEY", table.primary_key, True, constraint=True) if table.primary_key else None
    # an index fixgen cannot name is neither dropped nor named as the reason to drop another
    candidates = [ix for ix in table.indexes if ix.plain and ix.name and ix.problem is None]
    covering = candidates + ([pk] if pk else [])
    fk_cols = [fk.columns for fk in table.foreign_keys] + proposed
    out = []
    for ix in sorted(candidates, key=lambda i: i.name):
        if ix.constraint or ix.attached:
            continue
        if not ix.unique and ix.columns in proposed:
            continue  # the index a proposed key's fix creates (or finds): emit refuses to drop and create one index
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


# ------------------------------------------------------------------ partitions

def _not_covered_by_parents(schema: Schema, findings: list[Finding]) -> list[Finding]:
    """Leave out a PostgreSQL partition's findings that its partitioned parent covers: a foreign key the parent
    has or is proposed (a key added to the parent is added to every partition), a key without an index that is
    the parent's (an index created on the parent is created on every partition), and missing timestamps (a
    partition has its parent's columns: no column can be added to it alone)."""
    proposed = {(f.fields["table"], tuple(f.fields["columns"]), f.fields["references"])
                for f in findings if f.kind == "missing_foreign_key"}
    out = []
    for f in findings:
        table = schema.tables.get(f.fields["table"])
        if table is None or not table.partition:
            out.append(f)
            continue
        parents = [schema.tables[a] for a in schema.ancestors(table.name)]
        cols = tuple(f.fields.get("columns") or ())
        if f.kind == "missing_timestamps":
            continue
        if f.kind == "missing_foreign_key" and any(
                any(fk.columns == cols for fk in p.foreign_keys) or (p.name, cols, f.fields["references"]) in proposed
                for p in parents):
            continue
        if f.kind == "missing_index" and any(fk.columns == cols for p in parents for fk in p.foreign_keys):
            continue
        out.append(f)
    return out


def _refused_on_partitioned(schema: Schema, findings: list[Finding]) -> list[Finding]:
    """Leave out, with a warning in `schema.warnings`, what no migration does on a partitioned table: a foreign key
    from or to one on MySQL/MariaDB (InnoDB has none, error 1506); on PostgreSQL, dropping one's index (fixgen's
    rollback could not give each partition back its own), and an index or a key on one whose partitions are
    partitioned or foreign tables (fixgen handles one level of table partitions)."""
    out = []
    for f in findings:
        table = schema.tables.get(f.fields["table"])
        why = None
        if table is not None and schema.dialect == "mysql" and f.kind == "missing_foreign_key":
            ref = schema.tables.get(str(f.fields["references"]).partition(".")[0])
            on = next((t.name for t in (table, ref) if t is not None and t.partitioned), None)
            if on is not None:
                why = f"{on} is a partitioned table, and InnoDB has no foreign keys on partitioned tables (error 1506)"
        elif table is not None and table.partitioned and schema.dialect == "postgresql":
            if f.kind == "redundant_index":
                why = (f"{table.name} is a partitioned table, whose indexes fixgen does not drop (a rollback could not "
                       "give each partition back its own): drop it by hand if it is not needed")
            elif f.kind in ("missing_index", "missing_foreign_key") and table.partitions_problem:
                why = (f"{table.name} is a partitioned table and {table.partitions_problem}: fixgen handles one level "
                       "of partitions that are tables")
        if why is None:
            out.append(f)
        else:
            schema.warnings.append(SnapshotWarning(table.name if table else "", f"{f.kind} {_what(f)} left out: {why}"))
    return out


# ------------------------------------------------------------------ what emit takes

def emit_targets(dialect: str) -> list[tuple[str, str | None]]:
    """(target, --dialect) of every `fixgen emit` a spec of a `dialect` database may be given."""
    return [("sql", dialect), ("laravel", None), ("alembic", None)]


# what `emit --target sql --dialect sqlite` takes: SQLite's SQL guards index fixes only (docs/targets.md);
# the other kinds go to laravel or alembic, which plan them too
_SQLITE_SQL_KINDS = ("missing_index", "redundant_index")


def usable_by_emit(findings: list[Finding], schema: Schema | str) -> tuple[list[Finding], list[SnapshotWarning]]:
    """The findings as `fixgen emit` takes them, for every target of `emit_targets(schema.dialect)`, and as their
    migrations run on this database: planned with each target's names and dialect (the planner's merges and
    contradictions, name lengths, what the target can guard), and the names each plan creates checked against
    the snapshot (`_taken`: the migration's preflight refuses a name another object has; given a dialect's name
    instead of a Schema, that check is skipped). Each finding refused is left out with a warning; of two that
    contradict each other the later one goes (the planner names it). A finding with gaps is left for the caller
    to report."""
    from dataclasses import replace

    from fixgen.errors import FixgenError
    from fixgen.findings import to_spec
    from fixgen.spec import load_spec
    from fixgen.targets import get_target, plan_for, resolve_dialect

    dialect = schema if isinstance(schema, str) else schema.dialect
    kept = list(findings)
    warnings: list[SnapshotWarning] = []
    while True:
        complete = [f for f in kept if not f.gaps]
        if not complete:
            break
        spec = load_spec(to_spec(complete, "json"), "<detect>")
        refused: dict[int, str] = {}
        for target_name, target_dialect in emit_targets(dialect):
            target = get_target(target_name)
            planned = spec
            if target_name == "sql" and target_dialect == "sqlite":
                planned = replace(spec, issues=tuple(i for i in spec.issues if i.kind in _SQLITE_SQL_KINDS))
            label = f"--target {target_name}" + (f" --dialect {target_dialect}" if target_dialect else "")
            try:
                plan = plan_for(planned, target, resolve_dialect(target, target_dialect), None)
            except FixgenError as e:
                for problem in e.problems:
                    if problem.index is None:
                        raise
                    refused.setdefault(problem.index, f"fixgen emit {label} would refuse it: "
                                                      f"{_named(problem.message, complete)}")
                continue
            for index, why in _taken(plan, schema) if isinstance(schema, Schema) else ():
                refused.setdefault(index, f"the migration of fixgen emit {label} would refuse it: {why}")
        if not refused:
            break
        for i, why in sorted(refused.items()):
            f = complete[i]
            table = str(f.fields.get("table") or "")
            warnings.append(SnapshotWarning(table, f"{f.kind} {_what(f)} left out: {why}"))
        gone = {id(complete[i]) for i in refused}
        kept = [f for f in kept if id(f) not in gone]
    return kept, warnings


def _taken(plan, schema: Schema) -> list[tuple[int, str]]:  # noqa: ANN001 - fixgen.planner.Plan
    """(issue position, why) for each index or foreign key the plan creates under a name another object of the
    database already has, which the migration's preflight refuses ("another object already has that name"): an
    index name is free, or names an index of the same table that leads with the columns (unique ones: a unique
    index on exactly them); a foreign key name is free unless a key on the same columns to the same table exists.
    Index names are one per schema on PostgreSQL (with the tables') and SQLite (with the tables'), one per table on
    MySQL/MariaDB; foreign key names one per table on PostgreSQL, one per database on MySQL/MariaDB (SQLite's keys
    have no names to clash)."""
    from fixgen.ops import AddForeignKey, CreateIndex

    tables = schema.tables
    # index (and on PostgreSQL and SQLite table) name -> (its table or None for a table, its columns, unique)
    named: dict[str, tuple[str | None, tuple[str, ...], bool]] = {}
    if schema.dialect != "mysql":
        named.update({name: (None, (), False) for name in (*tables, *schema.left_out)})
        for t in tables.values():
            for ix in t.indexes:
                named.setdefault(ix.name, (t.name, ix.columns, ix.unique))
    fk_names: dict[str, str] = {}  # MySQL/MariaDB: foreign key name -> its table
    for t in tables.values():
        for fk in t.foreign_keys:
            if fk.name:
                fk_names.setdefault(fk.name, t.name)
    out = []
    for op in plan.ops:
        table = tables.get(op.table)
        if table is None:
            continue
        why = None
        if isinstance(op, CreateIndex):
            if schema.dialect == "mysql":
                ix = next((ix for ix in table.indexes if ix.name == op.name), None)
                holder = None if ix is None else (table.name, ix.columns, ix.unique)
            else:
                holder = named.get(op.name)
            n = len(op.columns)
            if holder is not None and not (holder[0] == op.table and holder[1][:n] == op.columns
                                           and (not op.unique or (holder[2] and len(holder[1]) == n))):
                has = f"the table {safe_name(op.name)}" if holder[0] is None else f"an index on {holder[0]}"
                why = f"it creates index {op.name} on {op.table}, a name {has} already has"
        elif isinstance(op, AddForeignKey) and not any(
                fk.columns == op.columns and fk.ref_table == op.ref_table for fk in table.foreign_keys):
            owner = (fk_names.get(op.name) if schema.dialect == "mysql" else
                     op.table if schema.dialect == "postgresql" and any(fk.name == op.name for fk in table.foreign_keys)
                     else None)
            if owner is not None:
                why = f"it adds foreign key {op.name} on {op.table}, a name a foreign key of {owner} already has"
        if why:
            out += [(m.index, why) for m in op.issues]
    return out


def _what(f: Finding) -> str:
    """A finding in a few words: `on t (a, b)`, `on t: index ix_a`."""
    table = safe_name(str(f.fields.get("table") or ""))
    if f.kind == "redundant_index":
        return f"on {table}: index {safe_name(str(f.fields.get('name')))}"
    cols = f.fields.get("columns") or ([f.fields["column"]] if f.fields.get("column") else [])
    if f.kind == "rename_column":
        cols = [f.fields.get("from"), f.fields.get("to")]
    return f"on {table}" + (f" ({', '.join(safe_name(str(c)) for c in cols)})" if cols else "")


def _named(message: str, findings: list[Finding]) -> str:
    """The planner's message with its `issue #N` (a position in a spec nobody sees) as the finding it is."""
    def finding(m: re.Match) -> str:
        i = int(m.group(1)) - 1
        return f"the {findings[i].kind} {_what(findings[i])}" if 0 <= i < len(findings) else m.group(0)

    return printable(re.sub(r"issue #(\d+)", finding, message))
