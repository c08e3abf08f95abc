"""Fill a finding's gaps from a live schema: the one place importers meet `--db`.

Gap kinds (keys of `Finding.gaps`) and the hints each needs:
- "references": a foreign key's target; hints["column"] is the referencing column.
- "constraint": a foreign key known only by name; hints["constraint"].
- "index": an index known only by name; hints["index"].
- "index_table": an index known only by name, table unknown (DROP INDEX name); hints["index"].
- "primary_key": a foreign key's referenced columns, which `REFERENCES t` leaves to t's primary key;
  hints["ref_table"].
A gap this module cannot fill stays, with its message, for the CLI to report.
"""

from __future__ import annotations

from fixgen.dbschema import Schema, guess_reference
from fixgen.findings import Finding


def fill_gaps(findings: list[Finding], schema: Schema | None, hints: dict[str, str]) -> None:
    for f in findings:
        if not f.gaps:
            continue
        table_name = f.fields.get("table")
        table = schema.table(table_name) if schema and table_name else None
        if schema is not None and table_name and table is None:
            for gap in list(f.gaps):
                f.gaps[gap] = f"table {table_name!r} does not exist in the database given by --db"
            continue
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
            if fk is not None:
                f.fields["columns"] = list(fk.columns)
                if f.kind == "missing_foreign_key":  # a missing_index on a key's columns takes only the columns
                    f.fields["references"] = {"table": fk.ref_table, "columns": list(fk.ref_columns)}
                del f.gaps["constraint"]
            else:
                f.gaps["constraint"] = f"no foreign key named {name!r} on {table_name} in the database"
        if "index" in f.gaps and table is not None:
            name = f.hints.get("index")
            ix = next((i for i in table.indexes if i.name == name), None)
            if ix is not None and all(ix.columns):
                f.fields["columns"] = list(ix.columns)
                if ix.unique:  # a redundant_index's rollback recreates it as it was
                    f.fields["unique"] = True
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
        if not (all(ix.columns) and ix.plain) or ix.constraint:
            why = "backs a constraint" if ix.constraint else "is not a plain-column index"
            f.gaps["index_table"] = f"index {name!r} on {t.name} {why}: a redundant_index cannot drop and restore it"
            return
        f.fields["table"] = t.name
        f.fields["columns"] = list(ix.columns)
        if ix.unique:
            f.fields["unique"] = True
        del f.gaps["index_table"]


def _fill_primary_key(f: Finding, schema: Schema) -> None:
    """`REFERENCES t` without columns means t's primary key."""
    ref = f.hints.get("ref_table")
    target = schema.table(ref) if ref else None
    cols = f.fields.get("columns") or []
    if target is None:
        f.gaps["primary_key"] = f"referenced table {ref!r} does not exist in the database given by --db"
    elif len(target.primary_key) != len(cols):
        f.gaps["primary_key"] = (f"the primary key of {ref} has {len(target.primary_key)} column(s), "
                                 f"the foreign key {len(cols)}")
    else:
        f.fields["references"] = {"table": ref, "columns": list(target.primary_key)}
        del f.gaps["primary_key"]
