"""Fill a finding's gaps from a live schema: the one place importers meet `--db`.

Gap kinds (keys of `Finding.gaps`) and the hints each needs:
- "references": a foreign key's target; hints["column"] is the referencing column.
- "constraint": a foreign key known only by name; hints["constraint"]. For foreign_key_actions it also
  fills what the finding lacks of the key's definition and current actions, and checks what it has.
- "index": an index known only by name; hints["index"].
- "index_table": an index known only by name, table unknown (DROP INDEX name); hints["index"].
- "primary_key": a foreign key's referenced columns, which `REFERENCES t` leaves to t's primary key;
  hints["ref_table"].
A gap this module cannot fill stays, with its message, for the CLI to report.

Names: a finding that names something fixgen's identifier policy refuses gets a "names" gap
(so it is reported, never written), and so does one whose gap would be filled from a database
object that no fix may name (fixgen.dbschema keeps such indexes and keys as coverage only).
"""

from __future__ import annotations

from fixgen.dbschema import ForeignKey, Index, Schema, Table, guess_reference, names_problem
from fixgen.dialects import ACTIONS, DIALECTS, action_of_sql, get_dialect
from fixgen.findings import Finding, name_problems


def fill_gaps(findings: list[Finding], schema: Schema | None, hints: dict[str, str]) -> None:
    for f in findings:
        problems = name_problems(f)
        if problems:
            f.gaps = {"names": f"fixgen cannot use these names: {'; '.join(problems)}"}
            continue
        if not f.gaps:
            continue
        _fill(f, schema, hints)
        problems = name_problems(f)
        if problems:  # cannot happen with a snapshot from load_schema; a safety net for any other Schema
            f.gaps["names"] = f"the database gives names fixgen cannot use: {'; '.join(problems)}"


def _fill(f: Finding, schema: Schema | None, hints: dict[str, str]) -> None:
    table_name = f.fields.get("table")
    table = schema.table(table_name) if schema and table_name else None
    if schema is not None and table_name and table is None:
        why = schema.left_out.get(table_name)
        for gap in list(f.gaps):
            f.gaps[gap] = (f"table {table_name!r} could not be read from the database given by --db: {why}" if why
                           else f"table {table_name!r} does not exist in the database given by --db")
        return
    if "references" in f.gaps and schema is not None:
        column = f.hints.get("column") or (f.fields.get("columns") or [None])[0]
        ref = guess_reference(schema, table_name, column, hints) if column else None
        if ref is not None:
            f.fields["references"] = f"{ref[0]}.{ref[1][0]}"
            del f.gaps["references"]
        else:
            target = hints.get(f"{table_name}.{column}", hints.get(column))
            f.gaps["references"] = (
                f"--ref {column}={target}: no table {target!r} with a one-column primary key in the database"
                if target else
                f"no table in the database matches {table_name}.{column} by name; name it with --ref {column}=TABLE")
    if "constraint" in f.gaps and table is not None:
        name = f.hints.get("constraint")
        fk = next((k for k in table.foreign_keys if k.name == name), None)
        # what the finding takes from the key: a missing_index only its columns
        taken = () if fk is None else fk.columns if f.kind == "missing_index" else (*fk.columns, fk.ref_table, *fk.ref_columns)
        if fk is not None and names_problem(*taken):
            f.gaps["constraint"] = f"foreign key {name} on {table_name} in the database: {names_problem(*taken)}"
        elif fk is not None and f.kind == "foreign_key_actions":
            problem = _fill_foreign_key_actions(f, fk, schema.dialect)  # type: ignore[union-attr]
            if problem:
                f.gaps["constraint"] = problem
            else:
                del f.gaps["constraint"]
        elif fk is not None:
            f.fields["columns"] = list(fk.columns)
            if f.kind == "missing_foreign_key":  # a missing_index on a key's columns takes only the columns
                f.fields["references"] = {"table": fk.ref_table, "columns": list(fk.ref_columns)}
            del f.gaps["constraint"]
        else:
            f.gaps["constraint"] = f"no foreign key named {name!r} on {table_name} in the database"
    if "index" in f.gaps and table is not None:
        name = f.hints.get("index")
        ix = next((i for i in table.indexes if i.name == name), None)
        if ix is not None and ix.problem:
            f.gaps["index"] = f"index {name} on {table_name} in the database: {ix.problem}"
        elif ix is not None and all(ix.columns):
            _take_index(f, table, ix)
            del f.gaps["index"]
        else:
            f.gaps["index"] = f"no plain-column index named {name!r} on {table_name} in the database"
    if "index_table" in f.gaps and schema is not None:
        _fill_index_table(f, schema)
    if "primary_key" in f.gaps and schema is not None:
        _fill_primary_key(f, schema)


def _fill_index_table(f: Finding, schema: Schema) -> None:
    """An index known only by name (PostgreSQL's and SQLite's DROP INDEX): look for it on every table."""
    name = f.hints.get("index")
    found = [(t, ix) for t in schema.tables.values() for ix in t.indexes if ix.name == name]
    if not found:
        f.gaps["index_table"] = f"no index named {name!r} in the database given by --db"
    elif len(found) > 1:
        tables = ", ".join(sorted(t.name for t, _ in found))
        f.gaps["index_table"] = f"several tables have an index named {name!r} ({tables}): name the table in the statement"
    else:
        t, ix = found[0]
        if ix.problem:
            f.gaps["index_table"] = f"index {name} on {t.name} in the database: {ix.problem}"
            return
        if not (all(ix.columns) and ix.plain) or ix.constraint:
            why = "backs a constraint" if ix.constraint else "is not a plain-column index"
            f.gaps["index_table"] = f"index {name!r} on {t.name} {why}: a redundant_index cannot drop and restore it"
            return
        _take_index(f, t, ix)
        del f.gaps["index_table"]


def _take_index(f: Finding, table: Table, ix: Index) -> None:
    """The finding's index is `ix` of `table`: its table and columns, and unique if it is (a redundant_index's
    rollback recreates it as it was)."""
    f.fields["table"] = table.name
    f.fields["columns"] = list(ix.columns)
    if ix.unique:
        f.fields["unique"] = True


def _fill_primary_key(f: Finding, schema: Schema) -> None:
    """`REFERENCES t` without columns means t's primary key."""
    ref = f.hints.get("ref_table")
    target = schema.table(ref) if ref else None
    cols = f.fields.get("columns") or []
    if target is None:
        f.gaps["primary_key"] = f"referenced table {ref!r} does not exist in the database given by --db"
    elif names_problem(*target.primary_key):
        f.gaps["primary_key"] = f"the primary key of {ref}: {names_problem(*target.primary_key)}"
    elif len(target.primary_key) != len(cols):
        f.gaps["primary_key"] = (f"the primary key of {ref} has {len(target.primary_key)} column(s), "
                                 f"the foreign key {len(cols)}")
    else:
        f.fields["references"] = {"table": ref, "columns": list(target.primary_key)}
        del f.gaps["primary_key"]




def _fill_foreign_key_actions(f: Finding, fk: ForeignKey, dialect: str) -> str | None:
    """A foreign_key_actions finding from the key the database has: its columns and target when the finding
    lacks them (must match when it has them), the current actions it lacks (the rollback gives them back),
    and the wanted ones it lacks (unchanged). Returns why it cannot be, or None."""
    table, name = f.fields["table"], fk.name
    have = f"({', '.join(fk.columns)}) -> {fk.ref_table} ({', '.join(fk.ref_columns)})"
    if "columns" in f.fields:
        ref = f.fields.get("references")
        ref_table, ref_cols = (ref.partition(".")[0], [ref.partition(".")[2]]) if isinstance(ref, str) else \
            ((ref or {}).get("table"), (ref or {}).get("columns"))
        if list(f.fields["columns"]) != list(fk.columns) or ref_table != fk.ref_table or \
                ref_cols is not None and list(ref_cols) != list(fk.ref_columns):
            shown = f"({', '.join(f.fields['columns'])}) -> {ref_table} ({', '.join(ref_cols or ['its primary key'])})"
            return (f"foreign key {name} on {table} is on {have} in the database, but the finding re-creates it on "
                    f"{shown}: foreign_key_actions changes the actions only")
    f.fields["columns"] = list(fk.columns)
    f.fields["references"] = (f"{fk.ref_table}.{fk.ref_columns[0]}" if len(fk.ref_columns) == 1 else
                              {"table": fk.ref_table, "columns": list(fk.ref_columns)})
    for key, value in (("on_delete", fk.on_delete), ("on_update", fk.on_update)):
        action = action_of_sql(value)
        if action is None:
            return (f"foreign key {name} on {table} has {key.upper().replace('_', ' ')} {value} in the database, "
                    f"which spec v1 cannot express (actions: {', '.join(ACTIONS)})")
        f.fields.setdefault(f"current_{key}", action)
        f.fields.setdefault(key, f.fields[f"current_{key}"])
    wanted = [f.fields["on_delete"], f.fields["on_update"]]
    current = [f.fields["current_on_delete"], f.fields["current_on_update"]]
    engine = get_dialect(dialect) if dialect in DIALECTS else None
    same = engine.same_action if engine else (lambda a: a)
    if [same(a) for a in wanted] == [same(a) for a in current]:
        return (f"foreign key {name} on {table} already has ON DELETE {ACTIONS[current[0]]} ON UPDATE "
                f"{ACTIONS[current[1]]}" + (" (RESTRICT and NO ACTION are the same on MySQL/MariaDB)"
                                            if wanted != current else "") + ": nothing to change")
    return None
