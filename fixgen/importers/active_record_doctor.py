"""`fixgen import active-record-doctor`: the text report of `rake active_record_doctor`.

Each detector prints one line per problem (Detectors::Base#run: `@io.puts(message(...))`).
The formats below are the `message` methods of gregnavis/active_record_doctor's
lib/active_record_doctor/detectors/*.rb (the gem cannot run here: no RubyGems).

Mapped:
- unindexed_foreign_keys `add an index on T(c1, c2) - ...`          -> missing_index
- missing_unique_indexes `add a unique index on T(c1, c2) - ...`    -> missing_index, unique
- missing_foreign_keys   `create a foreign key on T.c - ...`        -> missing_foreign_key; the target
  table is not in the line: --db guesses it by name (or --ref c=TABLE)
- table_without_timestamps `add a created_at column to T`           -> missing_timestamps when both
  columns are reported for T, else missing_column (nullable timestamp); the detector is
  quiet about a column when its `*_on` twin exists, so one alone must not bring the other
- extraneous_indexes `remove IX - can be replaced by ...` / `- coincides with the primary key
  on the table` -> redundant_index; the line has neither table nor columns: --db finds them
  (gap "index_table", filled by fixgen.resolve).
Every other detector's line is `unsupported`, with the detector named.
"""

from __future__ import annotations

import re

from fixgen.errors import FixgenError, Problem
from fixgen.findings import Finding, dedupe
from fixgen.importers import ImportOptions, ImportResult

SOURCE = "active_record_doctor"
_NAME = r"[^\s(),.]+"
_ADD_INDEX = re.compile(rf"^add an? (?P<unique>unique )?index on (?P<table>{_NAME})\((?P<columns>[^()]+)\) - (?P<why>.+)$")
_CREATE_FK = re.compile(rf"^create a foreign key on (?P<table>{_NAME})\.(?P<column>{_NAME}) - (?P<why>.+)$")
_ADD_TIMESTAMP = re.compile(rf"^add a (?P<column>created_at|updated_at) column to (?P<table>{_NAME})$")
_REMOVE_INDEX = re.compile(r"^remove (?P<index>\S+) - (?P<why>coincides with the primary key on the table"
                           r"|can be replaced by .+)$")
# detectors whose advice no spec kind expresses: pattern -> (detector, why not)
_OTHERS: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"^add a unique expression index on "), "missing_unique_indexes", "fixgen adds plain-column indexes only"),
    (re.compile(r"^add `NOT NULL` to "), "missing_non_null_constraint", "fixgen has no fix kind that changes nullability"),
    (re.compile(r"^add a `presence` validator to "), "missing_presence_validation", "a model validation, not a schema change"),
    (re.compile(r"^replace the `presence` validator on "), "incorrect_boolean_presence_validation",
     "a model validation, not a schema change"),
    (re.compile(r"^use `dependent: "), "incorrect_dependent_option", "a model option, not a schema change"),
    (re.compile(r"^association \S+ is incorrect - "), "incorrect_association", "a model definition, not a schema change"),
    (re.compile(r"^(the schema limits |the length validator on )"), "incorrect_length_validation",
     "fixgen has no fix kind that changes a column's length"),
    (re.compile(r"^\S+ references a column of different type - "), "mismatched_foreign_key_type",
     "fixgen has no fix kind that changes a column's type"),
    (re.compile(r"^consider adding `WHERE "), "unindexed_deleted_at", "fixgen has no fix kind for partial indexes"),
    (re.compile(r"^add a primary key to \S+$"), "table_without_primary_key", "fixgen has no fix kind for primary keys"),
    (re.compile(r"^\S+ references a non-existent table or view named "), "undefined_table_references",
     "a model refers to a missing table: a decision for people"),
    (re.compile(r"^The \S+ table is not referenced by "), "unused_tables", "dropping tables is not a fix kind fixgen has"),
    (re.compile(r"^(\S+ should be using the recommended TIMESTAMP WITH TIME ZONE type"
                r"|PostgreSQL default datetime type should be set to )"),
     "postgres_timestamps_without_time_zone", "fixgen has no fix kind that changes a column's type"),
]


def read(text: str | None, file: str, options: ImportOptions) -> ImportResult:
    if text is None:
        raise FixgenError("import active-record-doctor needs active_record_doctor's report")
    result = ImportResult()
    timestamps: dict[str, list[tuple[str, int]]] = {}
    unknown: list[Problem] = []
    recognized = 0
    for n, raw in enumerate(text.replace("\r\n", "\n").split("\n"), 1):
        line = raw.strip()
        if not line:
            continue
        recognized += 1
        origin = f"{file}:{n}"
        if m := _ADD_INDEX.match(line):
            fields = {"table": m["table"], "columns": [c.strip() for c in m["columns"].split(",")]}
            if m["unique"]:
                fields["unique"] = True
            result.findings.append(Finding("missing_index", fields, SOURCE, line, origin))
        elif m := _CREATE_FK.match(line):
            result.findings.append(Finding(
                "missing_foreign_key", {"table": m["table"], "columns": [m["column"]], "references": None}, SOURCE, line,
                origin, gaps={"references": f"the line does not say which table {m['table']}.{m['column']} points to: "
                                            f"give --db URL to guess it by name, or --ref {m['column']}=TABLE with --db"},
                hints={"column": m["column"]}))
        elif m := _ADD_TIMESTAMP.match(line):
            timestamps.setdefault(m["table"], []).append((m["column"], n))
        elif m := _REMOVE_INDEX.match(line):
            result.findings.append(_redundant(m["index"], line, origin))
        elif other := next(((d, why) for p, d, why in _OTHERS if p.match(line)), None):
            result.unsupported.append(Problem(f"{other[0]}: {line}: {other[1]}", file, n))
        else:
            recognized -= 1
            unknown.append(Problem(f"not an active_record_doctor report line: {line[:120]!r}", file, n))
    if unknown and not recognized:
        raise FixgenError(unknown[:10])
    result.unsupported.extend(unknown)
    for table, cols in timestamps.items():
        names = {c for c, _ in cols}
        first = min(n for _, n in cols)
        if names == {"created_at", "updated_at"}:
            result.findings.append(Finding("missing_timestamps", {"table": table}, SOURCE,
                                           f"add created_at and updated_at columns to {table}", f"{file}:{first}"))
        else:
            for column, n in cols:
                result.findings.append(Finding("missing_column", {"table": table, "column": column, "type": "timestamp",
                                                                  "nullable": True}, SOURCE,
                                               f"add a {column} column to {table}", f"{file}:{n}"))
    result.findings.sort(key=lambda f: int(str(f.origin).rsplit(":", 1)[1]))  # timestamps were held back: input order
    result.findings = dedupe(result.findings)
    return result


def _redundant(index: str, line: str, origin: str) -> Finding:
    """The report names the index only: its table and columns are a gap that --db fills (resolve's "index_table")."""
    return Finding("redundant_index", {"table": None, "name": index, "columns": None}, SOURCE, line, origin,
                   gaps={"index_table": f"the line names index {index} but not its table or columns: give --db URL to read them"},
                   hints={"index": index})
