"""Compare an app's models with a live schema: `fixgen detect URL --laravel-app PATH`.

The model is taken as the intent: a relation key the database lacks is a missing or
renamed column; `->withTimestamps()` on a pivot without created_at/updated_at asks for
missing_timestamps. `$fillable` entries that are not columns fit no spec kind (the fix may
be in the code): they come back as warnings, not findings. So does a relation key with no
old name in sight: a missing_column needs a type, which the code does not say.

`combine` merges these with the database's own findings into one spec: a database finding
that names a column the app renames is rewritten to the new name (a spec names columns as
they are after the fix), and a fix asked for twice is kept once.

Names come from the app's PHP strings and from the database: a finding that would name
something fixgen's identifier policy refuses becomes a warning, and the snapshot's own
warnings (tables, columns, keys left out or kept as coverage only) come first in the list.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fixgen.dbschema import Schema, SnapshotWarning, Table, safe_name
from fixgen.errors import FixgenError, Problem
from fixgen.findings import Finding, dedupe, name_problems
from fixgen.identifiers import shown
from fixgen.laravel_app.evidence import Evidence, relation_foreign_keys
from fixgen.laravel_app.models import App, Key, Model, Relation, load_app

SOURCE = "laravel app: "  # + "file:line Model::relation", the code that asks for the fix


@dataclass(frozen=True)
class AppWarning:
    """Something in the app's code that disagrees with the database but is no spec fix."""

    origin: str  # "file:line", relative to the app root
    table: str
    message: str

    def text(self) -> str:
        return f"{self.origin}: {self.message}"

    def row(self) -> Finding:
        """The warning as a `--format table` row (KIND `warning`); never part of a spec."""
        return Finding("warning", {"table": self.table}, SOURCE + self.origin, self.message)


def read_app(root: str | Path) -> App:
    """The app's models; every PHP file must parse (a model left out could hide or invent a finding)."""
    root = Path(root)
    if not root.is_dir():  # load_app's own messages name `fixgen models`' --app
        raise FixgenError(f"--laravel-app {root}: no such directory")
    if not (root / "app").is_dir():
        raise FixgenError(f"--laravel-app {root}: not a Laravel app (no app/ directory)")
    app = load_app(root)
    if app.problems:
        raise FixgenError([*app.problems, Problem("nothing detected: detect --laravel-app reads every PHP file of the app")])
    return app


def combine(app: App, schema: Schema, db_findings: list[Finding]
            ) -> tuple[list[Finding], list[SnapshotWarning | AppWarning]]:
    """Database findings plus the app's, as one de-duplicated spec's worth, and the warnings: the
    snapshot's (`schema.warnings`, in reading order), then the app's (in file order).

    Order: by table, then kind, then columns (as `fixgen detect`); of two findings asking for the
    same fix the database's comes first, then the app's in file order.
    """
    warnings: list[AppWarning] = []
    found: list[Finding] = []
    for f in model_findings(app, schema):
        problems = name_problems(f)
        if problems:  # a key or table the PHP names that fixgen cannot name in a fix
            table = safe_name(f.fields["table"]) if f.fields.get("table") else ""
            warnings.append(AppWarning(f.origin or "", table, f"{f.kind} on {table} left out: {'; '.join(problems)}"))
        elif f.gaps:  # a missing_column whose type nobody knows
            warnings.append(AppWarning(f.origin or "", f.fields["table"], f"{f.message}: add the column "
                                       "(a missing_column issue with its type) or fix the key in the code"))
        else:
            found.append(f)
    renames = {(f.fields["table"], f.fields["from"]): f.fields["to"] for f in found if f.kind == "rename_column"}
    evidence = relation_foreign_keys(app, schema, {(t, new): old for (t, old), new in renames.items()})
    warnings += [AppWarning(w.origin, w.table, w.message) for w in evidence.warnings]
    keys: list[Finding] = []
    for f in evidence.findings:
        problems = name_problems(f)
        if problems:
            warnings.append(AppWarning(f.origin or "", safe_name(f.fields["table"]),
                                       f"{f.kind} on {safe_name(f.fields['table'])} left out: {'; '.join(problems)}"))
        else:
            keys.append(f)
    database, keys, overruled = _prefer_models([_renamed(f, renames) for f in db_findings], keys, evidence)
    warnings += overruled
    merged = dedupe(database + found + keys)
    merged.sort(key=_order)
    # the app's findings planned with the database's, as emit will: one emit would refuse is left out, warned
    merged, refused = _usable_by_emit(merged, schema.dialect)
    created = _created_columns(merged)
    warnings += [w for w in _fillable(app, schema) if (w.table, w.column) not in created]
    warnings.sort(key=lambda w: _origin_order(w.origin))
    return merged, [*schema.warnings, *refused, *warnings]


def _usable_by_emit(findings: list[Finding], dialect: str) -> tuple[list[Finding], list[SnapshotWarning]]:
    """fixgen.detect.usable_by_emit: what emit would refuse, left out with a warning (where detect has it)."""
    try:
        from fixgen.detect import usable_by_emit
    except ImportError:
        return findings, []
    return usable_by_emit(findings, dialect)


def _prefer_models(database: list[Finding], keys: list[Finding], evidence: Evidence
                   ) -> tuple[list[Finding], list[Finding], list[AppWarning]]:
    """The database's missing_foreign_key guesses and the keys the relations imply, one per column: where both
    name the same key the database's finding is kept (dedupe); where they differ the models win (the code says
    which table it joins; the name only looks like one), unless `--ref` named the database's target. A guess
    on a column the models point elsewhere, at a key the database cannot take, is left out with a warning."""
    implied = {(f.fields["table"], tuple(f.fields["columns"])): f for f in keys}
    kept, dropped, overruled = [], set(), []
    for f in database:
        columns = tuple(f.fields.get("columns") or ())
        if f.kind != "missing_foreign_key" or len(columns) != 1:
            kept.append(f)
            continue
        table, ref = f.fields.get("table") or "", f.fields.get("references")
        mine = implied.get((table, columns))
        claims = evidence.claims.get((table, columns[0]), [])
        if "--ref" in f.message:  # the user's word on what the code cannot show
            kept.append(f)
            if mine is not None and mine.fields["references"] != ref:
                dropped.add(id(mine))
        elif mine is not None:
            if mine.fields["references"] == ref:
                kept.append(f)
            else:
                mine.message += f" (not {ref}, which its name suggests)"
        elif claims and ref not in [key for key, _ in claims]:
            says = ", ".join(f"{key} ({imp.who})" for key, imp in claims)
            overruled.append(AppWarning(claims[0][1].origin, safe_name(table), f"{table}.{columns[0]}: the database's "
                                        f"guess from its name, {ref}, is left out: the models point it at {says}"))
        else:
            kept.append(f)
    return kept, [f for f in keys if id(f) not in dropped], overruled


def model_findings(app: App, schema: Schema) -> list[Finding]:
    """Findings for relation keys the database lacks and pivots that lack withTimestamps()' columns."""
    out: list[Finding] = []
    for model in sorted(app.models.values(), key=lambda m: (m.file, m.line)):
        if model.abstract:  # its table is no table; each model that extends it has the relations, on its own
            continue
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
                        "missing_timestamps", {"table": rel.pivot_table}, _source(model, rel),
                        f"{model.name}::{rel.name} uses ->withTimestamps() but pivot {rel.pivot_table} has no "
                        f"{' or '.join(missing)}", origin=f"{rel.file}:{rel.line}"))
    return out


def fillable_warnings(app: App, schema: Schema) -> list[str]:
    """`file:line: Model::$fillable names 'x', which table t does not have` for each such entry."""
    return [w.text() for w in _fillable(app, schema)]


@dataclass(frozen=True)
class _FillableWarning(AppWarning):
    column: str = ""


def _fillable(app: App, schema: Schema) -> list[_FillableWarning]:
    out = []
    for model in sorted(app.models.values(), key=lambda m: (m.file, m.line)):
        table = schema.table(model.table)
        if table is None:
            continue
        for entry in model.properties:
            if entry.property == "fillable" and not table.has_column(entry.value):
                value = f"'{entry.value}'" if safe_name(entry.value) == entry.value else shown(entry.value)
                out.append(_FillableWarning(
                    f"{model.file}:{entry.line}", model.table,
                    f"{model.name}::$fillable names {value}, which table {model.table} does not have", entry.value))
    return out


def _renamed(f: Finding, renames: dict[tuple[str, str], str]) -> Finding:
    """A database finding with the columns the app renames under their new names (the spec's rule)."""
    done: list[str] = []

    def new_name(table: str, column: str) -> str:
        new = renames.get((table, column))
        if new is None:
            return column
        done.append(f"{table}.{new}")
        return new

    table = f.fields.get("table", "")
    fields = dict(f.fields)
    if isinstance(fields.get("columns"), list):
        fields["columns"] = [new_name(table, c) for c in fields["columns"]]
    if isinstance(fields.get("column"), str):
        fields["column"] = new_name(table, fields["column"])
    ref = fields.get("references")
    if isinstance(ref, str) and "." in ref:
        ref_table, _, ref_column = ref.partition(".")
        fields["references"] = f"{ref_table}.{new_name(ref_table, ref_column)}"
    if not done:
        return f
    return Finding(f.kind, fields, f.source, f"{f.message} (here {', '.join(done)}: the app's name for it)",
                   f.origin, dict(f.gaps), dict(f.hints))


def _created_columns(findings: list[Finding]) -> set[tuple[str, str]]:
    """(table, column) that the fixes create: a $fillable entry naming one is no longer a warning."""
    out: set[tuple[str, str]] = set()
    for f in findings:
        t = f.fields["table"]
        if f.kind == "rename_column":
            out.add((t, f.fields["to"]))
        elif f.kind == "missing_column":
            out.add((t, f.fields["column"]))
        elif f.kind == "missing_timestamps":
            out |= {(t, "created_at"), (t, "updated_at")}
    return out


def _order(f: Finding) -> tuple:
    cols = f.fields.get("columns") or [f.fields.get("column") or f.fields.get("from") or ""]
    return (f.fields["table"], f.kind, list(cols), f.fields.get("name") or "")


def _origin_order(origin: str) -> tuple[str, int]:
    file, _, line = origin.rpartition(":")
    return (file, int(line)) if line.isdigit() else (origin, 0)


def _missing_key(app: App, schema: Schema, model: Model, rel: Relation, key: Key) -> Finding | None:
    table = schema.table(key.table) if key.table else None
    if table is None or table.has_column(key.column):
        return None  # an unknown table is not this check's business
    origin = f"{rel.file}:{rel.line}"
    how = "names" if key.literal is not None else "relies on Laravel's default"
    what = f"{model.name}::{rel.name} ({rel.type}) {how} {key.param} {key.table}.{key.column}, which the database lacks"
    old = _renamed_from(app, table, key.column)
    if old is not None:
        return Finding("rename_column", {"table": table.name, "from": old, "to": key.column}, _source(model, rel),
                       f"{what}; {table.name}.{old} looks like its old name", origin=origin)
    return Finding("missing_column", {"table": table.name, "column": key.column}, _source(model, rel), what,
                   origin=origin, gaps={"type": f"the type of {table.name}.{key.column} (rename an existing column?)"})


def _source(model: Model, rel: Relation) -> str:
    """The code that asks: the relation's file and line (a parent's or a trait's when inherited), and the model."""
    return f"{SOURCE}{rel.file}:{rel.line} {model.name}::{rel.name}"


def _renamed_from(app: App, table: Table, column: str) -> str | None:
    """The one column of the table that looks like `column`'s old name (created_by_user_id for user_id)
    and that no model names; None when there is no such column or more than one."""
    named = {k.column for m in app.models.values() for r in m.relations for k in r.keys.values() if k.table == table.name}
    named |= {p.value for m in app.models_of_table(table.name) for p in m.properties}
    # a column whose name fixgen refuses is a candidate too: it makes the guess ambiguous, never the answer
    candidates = [c for c in (*table.columns, *table.refused_columns) if c not in named and c not in table.primary_key
                  and (c.endswith("_" + column) or column.endswith("_" + c))]
    return candidates[0] if len(candidates) == 1 and candidates[0] in table.columns else None
