"""`fixgen import alembic --metadata MODULE:ATTR --db URL`: what Alembic's autogenerate finds missing.

Runs `alembic.autogenerate.compare_metadata` (the "diff tuples" API) between a SQLAlchemy
MetaData and a live database and keeps what spec v1 can fix with a guarded migration:
add_index (plain column indexes), add_fk and add_column. Every other diff (new or removed
tables, removed objects, type/nullability/default changes, expression indexes, NOT NULL
columns without a server default) is reported as unsupported, with the diff's position and
a description: autogenerate output has no lines. The table fixgen keeps its ledger in is
fixgen's own bookkeeping and never reported.

Tables the snapshot (fixgen.dbschema) leaves out, a name fixgen refuses or a definition
SQLAlchemy cannot read, and tables SQLAlchemy misreads (its reading disagrees with the
catalog: Alembic would see a key missing that is there) are not compared: each is reported
as unsupported instead, like the diffs fixgen cannot fix.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from typing import Any

from fixgen.dbschema import _redact, engine_for, load_schema, reflection_errors, safe_name, said
from fixgen.dialects import action_of_sql
from fixgen.errors import FixgenError, Problem
from fixgen.findings import Finding
from fixgen.importers import ImportOptions, ImportResult

SOURCE = "alembic autogenerate"
LEDGER = "fixgen_ledger"


def read(text: str | None, file: str, options: ImportOptions) -> ImportResult:
    if not options.metadata:
        raise FixgenError("import alembic needs --metadata MODULE:ATTRIBUTE (a SQLAlchemy MetaData)")
    if not options.db_url:
        raise FixgenError("import alembic needs --db URL: the database to compare the metadata with")
    metadata = load_metadata(options.metadata)
    snapshot = options.db if options.db is not None else load_schema(options.db_url)
    left_out = dict(snapshot.left_out)
    left_out.update({t.name: "SQLAlchemy's reflection of it disagrees with the database's catalog, so Alembic's would too"
                     for t in snapshot.tables.values() if not t.reflected})
    diffs, skipped = compare(metadata, options.db_url, set(left_out))
    result = ImportResult(unsupported=[Problem(f"not compared: {w}", file) for w in skipped])
    result.unsupported += [Problem(f"not compared: table {safe_name(name)}: {why}", file)
                           for name, why in sorted(left_out.items()) if name != LEDGER]
    for i, diff in enumerate(diffs, 1):
        try:
            finding = _finding(diff)
        except _Unsupported as e:
            result.unsupported.append(Problem(f"diff #{i} {e.what}: {e.why}", file))
            continue
        if finding is not None:
            finding.origin = f"{file} diff #{i}"
            result.findings.append(finding)
    return result


def load_metadata(spec: str) -> Any:  # -> sqlalchemy.MetaData
    """Import MODULE:ATTRIBUTE with the current directory importable, as `alembic` does with env.py."""
    import sqlalchemy as sa

    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise FixgenError(f"--metadata {spec!r}: expected MODULE:ATTRIBUTE, e.g. myapp.models:Base.metadata")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name and (module_name == e.name or module_name.startswith(e.name + ".")):
            raise FixgenError(f"--metadata {spec!r}: no module named {module_name!r} "
                              f"(run fixgen from the directory that holds it, or set PYTHONPATH)") from None
        raise FixgenError(f"--metadata {spec!r}: importing {module_name} failed: {e}") from None
    except Exception as e:  # the user's module raised while importing: show what, not our traceback
        raise FixgenError(f"--metadata {spec!r}: importing {module_name} failed: {type(e).__name__}: {e}") from None
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise FixgenError(f"--metadata {spec!r}: {module_name} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not isinstance(obj, sa.MetaData) and isinstance(getattr(obj, "metadata", None), sa.MetaData):
        obj = obj.metadata  # a declarative Base: its MetaData
    if not isinstance(obj, sa.MetaData):
        raise FixgenError(f"--metadata {spec!r}: {attr} is a {type(obj).__name__}, not a SQLAlchemy MetaData")
    return obj


def compare(metadata: Any, url: str, left_out: set[str] | None = None) -> tuple[list[Any], list[str]]:
    """compare_metadata's diff list (fixgen's ledger table and the `left_out` tables left out, on both
    sides), and what Alembic warned it skipped (e.g. expression indexes SQLite cannot reflect): those are
    not silently dropped."""
    import warnings

    import sqlalchemy as sa
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = engine_for(url)
    try:
        with engine.connect() as conn, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            skip = {LEDGER, *(left_out or ())}

            def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
                return not (type_ == "table" and name in skip)

            def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
                return not (type_ == "table" and name in skip)

            context = MigrationContext.configure(conn, opts={"include_name": include_name,
                                                             "include_object": include_object})
            diffs = list(compare_metadata(context, metadata))
        skipped = [said_text(str(w.message)) for w in caught if "skipping" in str(w.message)]
        return diffs, list(dict.fromkeys(skipped))
    except sa.exc.DBAPIError as e:
        reason = str(e.orig if e.orig is not None else e).strip().splitlines() or [type(e).__name__]
        raise FixgenError(f"cannot read {_redact(url)}: {reason[0]}") from None
    except reflection_errors() as e:  # the dialect's reflection defeated by a table the snapshot read fine
        raise FixgenError(f"cannot compare with {_redact(url)}: SQLAlchemy could not read the database ({said(e)})") from None
    finally:
        engine.dispose()


def said_text(text: str) -> str:
    """Text for a message with its invisible characters (line breaks, U+2028...) escaped."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


class _Unsupported(Exception):
    def __init__(self, what: str, why: str) -> None:
        super().__init__(f"{what}: {why}")
        self.what, self.why = what, why


def _finding(diff: Any) -> Finding | None:
    if isinstance(diff, list):  # modify_* diffs come grouped per column
        raise _Unsupported("; ".join(_describe(d) for d in diff), "fixgen fixes only missing indexes, keys and columns")
    kind = diff[0]
    if kind == "add_index":
        return _index(diff[1])
    if kind == "add_fk":
        return _foreign_key(diff[1])
    if kind == "add_column":
        return _column(diff[2], diff[3])
    raise _Unsupported(_describe(diff), _WHY.get(kind, "no spec v1 kind expresses it"))


_WHY = {
    "add_table": "creating tables is a job for the app's own migrations",
    "remove_table": "fixgen never drops tables",
    "remove_column": "fixgen never drops columns",
    "remove_index": "the database's index is not in the metadata; fixgen drops only redundant indexes named in a spec",
    "remove_fk": "fixgen never drops foreign keys",
    "add_constraint": "unique and check constraints are not a spec v1 kind",
    "remove_constraint": "fixgen never drops constraints",
}


def _describe(diff: tuple) -> str:
    """One readable line for any diff tuple, e.g. `add_table orders` or `modify_nullable users.email: True -> False`."""
    import sqlalchemy as sa

    n = safe_name  # names as they are, or quoted and escaped when fixgen refuses them
    kind = diff[0]
    if kind.startswith("modify_"):
        table, column, old, new = diff[2], diff[3], diff[5], diff[6]
        return f"{kind} {n(table)}.{n(column)}: {_text(old)} -> {_text(new)}"
    if kind in ("add_column", "remove_column"):
        return f"{kind} {n(diff[2])}.{n(diff[3].name)}"
    obj = diff[1]
    if isinstance(obj, sa.Table):
        return f"{kind} {n(obj.name)}"
    if isinstance(obj, sa.Index):
        cols = ", ".join(_expr_text(e) for e in obj.expressions)
        return f"{kind} {n(obj.name)} on {n(obj.table.name)} ({cols})"
    if isinstance(obj, sa.ForeignKeyConstraint):
        return (f"{kind} {n(obj.parent.name)}({', '.join(n(c.name) for c in obj.columns)}) -> "
                f"{n(obj.referred_table.name)}({', '.join(n(e.column.name) for e in obj.elements)})")
    if isinstance(obj, sa.Constraint) and obj.table is not None:
        return f"{kind} {n(_name(obj.name) or type(obj).__name__)} on {n(obj.table.name)}"
    return said_text(f"{kind} {obj!r}")


def _text(value: Any) -> str:
    import sqlalchemy as sa

    if isinstance(value, sa.types.TypeEngine):
        return said_text(repr(value))
    if hasattr(value, "arg"):  # a DefaultClause
        value = value.arg
    return said_text(str(getattr(value, "text", value)))


def _expr_text(expr: Any) -> str:
    import sqlalchemy as sa

    return safe_name(expr.name) if isinstance(expr, sa.Column) else said_text(str(expr))


def _name(name: Any) -> str | None:
    """A constraint's name as given; None for SQLAlchemy's "no name" placeholders."""
    if not isinstance(name, str) or not name or str(name).startswith("_unnamed_"):
        return None
    return str(name)


# ------------------------------------------------------------------ the three kinds fixgen fixes

def _index(ix: Any) -> Finding:
    import sqlalchemy as sa

    what = _describe(("add_index", ix))
    if not all(isinstance(e, sa.Column) for e in ix.expressions):
        raise _Unsupported(what, "an expression index; spec v1 indexes plain columns only")
    options = {k: v for k, v in ix.dialect_kwargs.items() if v not in (None, [], {}, ())}
    if options:
        raise _Unsupported(what, f"dialect options {', '.join(sorted(options))} have no spec v1 field")
    cols = [str(e.name) for e in ix.expressions]
    fields: dict[str, Any] = {"table": str(ix.table.name), "name": _name(ix.name), "columns": cols, "unique": bool(ix.unique)}
    kind = "unique index" if ix.unique else "index"
    return Finding("missing_index", fields, SOURCE,
                   f"{kind} {ix.name} on {ix.table.name} ({', '.join(cols)}) is in the metadata, not in the database")


def _foreign_key(fk: Any) -> Finding:
    what = _describe(("add_fk", fk))
    fields: dict[str, Any] = {
        "table": str(fk.parent.name), "name": _name(fk.name), "columns": [str(c.name) for c in fk.columns],
        "references": {"table": str(fk.referred_table.name), "columns": [str(e.column.name) for e in fk.elements]},
    }
    for key, value in (("on_delete", fk.ondelete), ("on_update", fk.onupdate)):
        if value is None:
            continue
        action = action_of_sql(str(value))
        if action is None:
            raise _Unsupported(what, f"{key.replace('_', ' ')} {value} is not one of cascade, set_null, restrict, no_action")
        if action != "no_action":
            fields[key] = action
    return Finding("missing_foreign_key", fields, SOURCE,
                   f"foreign key {what.split(' ', 1)[1]} is in the metadata, not in the database")


def _column(table: str, col: Any) -> Finding:
    what = _describe(("add_column", None, table, col))
    if col.computed is not None or col.identity is not None:
        raise _Unsupported(what, "a computed or identity column has no spec v1 equivalent")
    ctype = spec_type(col.type)
    if ctype is None:
        raise _Unsupported(what, f"type {col.type!r} has no spec v1 equivalent")
    fields: dict[str, Any] = {"table": str(table), "column": str(col.name), "type": ctype, "nullable": bool(col.nullable)}
    if col.server_default is not None:
        default = _literal(col.server_default, ctype)
        if default is None:
            raise _Unsupported(what, f"server default {_text(col.server_default)} is an expression, not a literal")
        fields["default"] = default
    elif not col.nullable:
        raise _Unsupported(what, "NOT NULL without a server_default: existing rows would need a value")
    return Finding("missing_column", fields, SOURCE,
                   f"column {table}.{col.name} ({ctype}) is in the metadata, not in the database")


def spec_type(t: Any) -> str | None:
    """A SQLAlchemy type in spec v1's vocabulary (fixgen/coltypes.py); None when it has no equivalent."""
    import sqlalchemy as sa

    if isinstance(t, (sa.Interval, sa.PickleType)):
        return None  # TypeDecorators over DateTime/LargeBinary, not what those types mean
    if isinstance(t, sa.TypeDecorator):
        t = t.impl_instance if hasattr(t, "impl_instance") else t.impl
    checks: list[tuple[type, Any]] = [
        (sa.Enum, None), (sa.Uuid, "uuid"), (sa.Text, "text"),
        (sa.String, lambda s: f"string({s.length})" if s.length else "text"),
        (sa.BigInteger, "bigint"), (sa.SmallInteger, "smallint"), (sa.Integer, "integer"),
        (sa.Boolean, "boolean"), (sa.Float, "float"),
        (sa.Numeric, lambda n: f"decimal({n.precision},{n.scale or 0})" if n.precision else None),
        (sa.DateTime, lambda d: "timestamptz" if d.timezone else "timestamp"),
        (sa.Date, "date"), (sa.Time, "time"), (sa.JSON, "json"), (sa.LargeBinary, "binary"),
    ]
    for cls, out in checks:
        if isinstance(t, cls):
            if out is None or isinstance(out, str):
                return out
            return out(t)
    return None


def _literal(default: Any, ctype: str) -> Any:
    """A server_default's value when it is a literal (`"x"`, `text("0")`, `text("'x'")`, `sa.true()`); None otherwise."""
    import sqlalchemy as sa

    arg = getattr(default, "arg", default)
    if isinstance(arg, (sa.sql.elements.True_, sa.sql.elements.False_)):
        return isinstance(arg, sa.sql.elements.True_)
    if isinstance(arg, str):  # SQLAlchemy quotes a plain string: it is the value itself
        value, quoted = arg, True
    elif isinstance(arg, sa.TextClause):
        value = arg.text.strip()
        quoted = bool(re.fullmatch(r"'(?:[^']|'')*'", value))
        if quoted:
            value = value[1:-1].replace("''", "'")
    else:
        return None  # sa.func.now() and other expressions
    if ctype == "boolean":
        return {"1": True, "true": True, "0": False, "false": False}.get(value.lower())
    if ctype in ("integer", "bigint", "smallint", "float") or ctype.startswith("decimal"):
        number = _number(value)
        return None if number is None or (isinstance(number, float) and ctype in ("integer", "bigint", "smallint")) \
            else number
    return value if quoted else None


def _number(text: str) -> Any:
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d*\.\d+(e-?\d+)?", text, re.I):
        return float(text)
    return None
