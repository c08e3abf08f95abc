"""The queries verify measures, and runnable copies of them.

Which queries an index serves is fixgen.workload.candidates' analysis, the one `detect --workload` uses
(`Access.serves`); here, the rules of verify's own: only plain reads are measured (it runs each many
times), and a normalized query (`$1` from pg_stat_statements, `?` from MySQL/MariaDB digests) cannot run
as it is: each placeholder compared with a column gets that column's value from a row sampled from the
table (a few different rows, so a measurement is not one lucky row), LIMIT gets 20 and OFFSET 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp

from fixgen.dialects import Dialect
from fixgen.errors import FixgenError, Problem
from fixgen.workload.candidates import Names, column_of

SAMPLES = 5  # rows sampled per query with placeholders
LIMIT_VALUE = 20  # what a LIMIT placeholder gets
_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Like, exp.ILike, exp.NullSafeEQ)
_WRITES = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.Alter, exp.Command)


@dataclass(frozen=True)
class Statement:
    """A query to measure, and where it came from."""

    text: str
    origin: str  # "queries.sql:3", "pg_stat_statements", "performance_schema"
    calls: int | None = None  # from the workload statistics
    total_ms: float | None = None


def read_queries_file(path: Path, dialect: Dialect) -> list[Statement]:
    """The SELECT statements of a `;`-separated file; anything else is refused (verify runs each many times)."""
    from fixgen.importers.sql_statements import split_statements

    if not path.is_file():
        raise FixgenError(f"--queries: no such file: {path}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise FixgenError(f"--queries {path}: not UTF-8 text (byte {e.start})") from None
    statements, problems = [], []
    for st in split_statements(text, str(path), dialect.name):
        where = f"{path.name}:{st.line}"
        if st.client or not st.text.strip():
            problems.append(Problem(f"{where}: not a query: {st.text.strip()[:60]!r}"))
            continue
        try:
            parse(st.text, dialect)
        except FixgenError as e:
            problems.append(Problem(f"{where}: {e}"))
            continue
        statements.append(Statement(st.text.strip(), where))
    if problems:
        raise FixgenError(problems)
    if not statements:
        raise FixgenError(f"--queries {path}: no statements in the file")
    return statements


def parse(text: str, dialect: Dialect) -> exp.Query:
    """The query's tree; a statement that is not a plain read is refused (it would change data N times)."""
    try:
        tree = sqlglot.parse_one(_readable(text), read=dialect.sqlglot or dialect.name)
    except sqlglot.errors.SqlglotError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise FixgenError(f"cannot read the query as {dialect.name} SQL: {first}") from None
    if isinstance(tree, exp.Command):
        raise FixgenError(f"cannot read {short(text, 40)!r} as a {dialect.name} query")
    if not isinstance(tree, exp.Query) or tree.find(*_WRITES) is not None:
        raise FixgenError("only SELECT queries can be measured (verify runs each one many times)")
    if tree.find(exp.Lock) is not None:
        raise FixgenError("a SELECT ... FOR UPDATE/SHARE takes row locks: leave it out of the queries to measure")
    return tree


def _readable(text: str) -> str:
    """Normalized text as sqlglot reads it: MySQL/MariaDB digests write a list of values as `(...)` (one
    placeholder stands for it); sqlglot takes pg_stat_statements' `$1,$2` for a dollar-quoted string, so
    each `$n` outside a '...' literal becomes the named placeholder `:pn` (not at all in text with a
    dollar-quoted string)."""
    text = re.sub(r"\(\s*\.\.\.\s*\)", "(?)", text)
    if re.search(r"\$[A-Za-z_]*\$", text):
        return text
    return re.sub(r"'(?:[^']|'')*'|\$(\d+)", lambda m: m.group(0) if m.group(1) is None else f":p{m.group(1)}", text)


# ------------------------------------------------------------------ binding placeholders


def placeholders(tree: exp.Expression) -> list[exp.Expression]:
    return [p for p in tree.find_all(exp.Placeholder, exp.Parameter) if not isinstance(p.parent, exp.Parameter)]


def _compared_column(node: exp.Expression) -> exp.Column | None:
    """The column a placeholder is compared with (`col = $1`, `col IN ($1, $2)`, `col BETWEEN $1 AND $2`)."""
    child, parent = node, node.parent
    while isinstance(parent, (exp.Paren, exp.Tuple, exp.Cast)):
        child, parent = parent, parent.parent
    if isinstance(parent, (*_COMPARISONS, exp.In, exp.Between)):
        for side in (parent.this, parent.args.get("expression")):
            if side is not child and isinstance(side, exp.Column):
                return side
    return None


@dataclass
class Binding:
    """How to make a normalized query runnable: for each placeholder, in tree order, the (table, column) its
    value is sampled from, or a fixed number (LIMIT, OFFSET)."""

    tree: exp.Query
    slots: list[tuple[str, str] | int]


def binding(tree: exp.Query, names: Names) -> Binding:
    """Where each placeholder's value comes from; FixgenError when one cannot be bound."""
    slots: list[tuple[str, str] | int] = []
    for p in placeholders(tree):
        if isinstance(p.parent, (exp.Limit, exp.Fetch)):
            slots.append(LIMIT_VALUE)
            continue
        if isinstance(p.parent, exp.Offset):
            slots.append(0)
            continue
        col = _compared_column(p)
        owner = column_of(col, names) if col is not None else None
        if owner is None:
            said = f"cannot tell which column's values {p.sql()} stands for in {short(tree.sql())}"
            raise FixgenError(re.sub(r":p(\d+)\b", r"$\1", said))  # as pg_stat_statements wrote it
        slots.append(owner)
    return Binding(tree, slots)


def sampled_columns(b: Binding) -> dict[str, list[str]]:
    """table -> the columns whose values the placeholders need."""
    out: dict[str, list[str]] = {}
    for slot in b.slots:
        if isinstance(slot, tuple) and slot[1] not in out.setdefault(slot[0], []):
            out[slot[0]].append(slot[1])
    return out


def bound_texts(b: Binding, samples: dict[str, list[dict[str, object]]], dialect: Dialect) -> list[str]:
    """One runnable text per sampled row: every placeholder replaced by that row's value of its column
    (`samples`: table -> rows as column -> value)."""
    name = dialect.sqlglot or dialect.name
    tables = {slot[0] for slot in b.slots if isinstance(slot, tuple)}
    count = min((len(samples.get(t, [])) for t in tables), default=1)
    if count == 0:
        empty = sorted(t for t in tables if not samples.get(t))
        raise FixgenError(f"table {empty[0]} has no rows to take the query's values from: {short(b.tree.sql(name))}")
    texts = []
    for i in range(count):
        copy = b.tree.copy()
        for node, slot in zip(placeholders(copy), b.slots, strict=True):
            node.replace(exp.Literal.number(slot) if isinstance(slot, int) else _literal(samples[slot[0]][i][slot[1]]))
        texts.append(copy.sql(name))
    return texts


def _literal(value: object) -> exp.Expression:
    if value is None or isinstance(value, (bool, int, float, str)):
        return exp.convert(value)
    import datetime
    import decimal

    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return exp.Literal.string(value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else value.isoformat())
    if isinstance(value, decimal.Decimal):
        return exp.Literal.number(str(value))
    return exp.Literal.string(str(value))


def sample_sql(table: str, columns: list[str], dialect: Dialect) -> str:
    """A few random rows of `table` with a value in every one of `columns`."""
    name = dialect.sqlglot or dialect.name
    where = exp.and_(*(exp.Not(this=exp.Is(this=exp.column(c, quoted=True), expression=exp.Null())) for c in columns))
    source = exp.Table(this=exp.to_identifier(table, quoted=True))
    query = (exp.select(*(exp.column(c, quoted=True) for c in columns)).from_(source).where(where)
             .order_by(exp.Rand()).limit(SAMPLES))
    return query.sql(name)


def short(text: str, width: int = 80) -> str:
    """A query on one line, cut to `width` characters, for reports."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
