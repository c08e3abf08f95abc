"""The queries an index serves, and runnable copies of them.

A query is read with sqlglot in the database's dialect; per table it reads, the columns it compares by
equality, by range, and sorts by (`Shape`). It serves an index when the planner can use every column of
the index for it, or when the index starts with the one the query asks for (`Shape.serves`). A
normalized query (`$1` from pg_stat_statements, `?` from MySQL/MariaDB digests) cannot run as it is: each
placeholder compared with a column gets that column's value from a row sampled from the table (a few
different rows, so a measurement is not one lucky row), LIMIT gets 20 and OFFSET 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import sqlglot
from sqlglot import exp

from fixgen.dialects import Dialect
from fixgen.errors import FixgenError, Problem

SAMPLES = 5  # rows sampled per query with placeholders
LIMIT_VALUE = 20  # what a LIMIT placeholder gets
_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Like, exp.ILike, exp.NullSafeEQ)
_EQUALITY = (exp.EQ, exp.NullSafeEQ, exp.In)
_RANGE = (exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Between, exp.Like, exp.ILike)
_WRITES = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.Alter, exp.Command)


@dataclass(frozen=True)
class Statement:
    """A query to measure, and where it came from."""

    text: str
    origin: str  # "queries.sql:3", "pg_stat_statements", "performance_schema"
    calls: int | None = None  # from the workload statistics
    total_ms: float | None = None


@dataclass
class Shape:
    """What one query asks of one table: the columns it filters on by equality, by range, and sorts by."""

    table: str
    equality: list[str] = field(default_factory=list)
    range: list[str] = field(default_factory=list)
    sort: list[str] = field(default_factory=list)

    def wanted(self) -> tuple[list[str], int]:
        """The index this query asks for (equality columns, then the first range column, then the sort columns
        when no range comes between) and how many of them are equality columns."""
        cols = list(self.equality)
        rng = [c for c in self.range if c not in cols][:1]
        sort = [c for c in self.sort if c not in cols]
        if rng and sort and sort[0] != rng[0]:
            sort = []
        return cols + [c for c in dict.fromkeys(rng + sort) if c not in cols], len(self.equality)

    def serves(self, columns: tuple[str, ...]) -> bool:
        """An index on `columns` serves the query: the planner can use every one of its columns (all compared
        by equality, the last one by equality, range or as the sort), or it starts with the index the query
        asks for (equality columns in any order)."""
        if not columns:
            return False
        *lead, last = columns
        if set(lead) <= set(self.equality) and (last in self.equality or last in self.range or self.sort[:1] == [last]):
            return True
        wanted, eq = self.wanted()
        return bool(wanted) and set(columns[:eq]) == set(wanted[:eq]) and list(columns[eq:len(wanted)]) == wanted[eq:]


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


class Names:
    """The database's tables and columns, and how the query's names find them: exactly, or as the dialect
    folds an unquoted name (PostgreSQL: to lower case; MySQL/MariaDB: any case, as its digests write
    `STATUS` for `status`)."""

    def __init__(self, columns: dict[str, set[str]], dialect: Dialect) -> None:
        self.columns = columns
        self.dialect = dialect

    def _match(self, name: str, quoted: bool, known) -> str | None:  # known: Iterable[str]
        known = list(known)
        if name in known:
            return name
        if quoted:
            return None
        if self.dialect.unquoted_names == "lower":
            return name.lower() if name.lower() in known else None
        hits = [k for k in known if k.lower() == name.lower()]
        return hits[0] if len(hits) == 1 else None

    def table(self, t: exp.Table) -> str | None:
        return self._match(t.name, bool(t.this.args.get("quoted")) if isinstance(t.this, exp.Identifier) else False,
                           self.columns)

    def column(self, table: str, col: exp.Column) -> str | None:
        return self._match(col.name, bool(col.this.args.get("quoted")) if isinstance(col.this, exp.Identifier) else False,
                           self.columns.get(table, ()))


def _aliases(tree: exp.Expression, names: Names) -> dict[str, str]:
    """alias (or name) -> table, for every table of the database the query reads."""
    out = {}
    for t in tree.find_all(exp.Table):
        table = names.table(t)
        if table is not None:
            out[t.alias_or_name] = table
    return out


def _owner(col: exp.Column, aliases: dict[str, str], names: Names) -> tuple[str, str] | None:
    """(table, column) of a column: its qualifier's table, or the one table read that has such a column."""
    if col.table:
        table = aliases.get(col.table)
        found = names.column(table, col) if table else None
        return (table, found) if table and found else None
    hits = [(t, c) for t in dict.fromkeys(aliases.values()) if (c := names.column(t, col)) is not None]
    return hits[0] if len(hits) == 1 else None


def shape(tree: exp.Query, table: str, names: Names) -> Shape | None:
    """What the query asks of `table` (None: it does not read it)."""
    aliases = _aliases(tree, names)
    if table not in aliases.values():
        return None
    out = Shape(table)

    def mine(node: exp.Expression | None) -> str | None:
        owner = _owner(node, aliases, names) if isinstance(node, exp.Column) else None
        return owner[1] if owner is not None and owner[0] == table else None

    conditions: list[exp.Expression] = []
    for where in tree.find_all(exp.Where):
        conditions.extend(where.this.flatten() if isinstance(where.this, exp.And) else [where.this])
    for join in tree.find_all(exp.Join):
        on = join.args.get("on")
        if on is not None:
            conditions.extend(on.flatten() if isinstance(on, exp.And) else [on])
    for cond in conditions:
        if isinstance(cond, exp.Paren):
            cond = cond.unnest()
        left = cond.this if isinstance(cond, (*_COMPARISONS, exp.In, exp.Between)) else None
        right = cond.args.get("expression") if left is not None else None
        for one, other in ((left, right), (right, left)):
            name = mine(one)
            if name is None or mine(other) is not None:
                continue
            bucket = out.equality if isinstance(cond, _EQUALITY) else out.range if isinstance(cond, _RANGE) else None
            if bucket is not None and name not in bucket:
                bucket.append(name)
    order = tree.args.get("order")
    for ordered in order.expressions if order is not None else []:
        name = mine(ordered.this)
        if name is None:
            break
        out.sort.append(name)
    return out


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
    aliases = _aliases(tree, names)
    slots: list[tuple[str, str] | int] = []
    for p in placeholders(tree):
        if isinstance(p.parent, (exp.Limit, exp.Fetch)):
            slots.append(LIMIT_VALUE)
            continue
        if isinstance(p.parent, exp.Offset):
            slots.append(0)
            continue
        col = _compared_column(p)
        owner = _owner(col, aliases, names) if col is not None else None
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
