"""Candidate indexes from a workload's query text, before any database is asked whether they help.

Each statement (SELECT, UPDATE, DELETE, and the SELECTs inside others) is parsed with sqlglot in its
dialect; per table it is read from (an alias is one access), the predicates an index can serve are
collected:

- equality: `col = value`, `value = col`, `col IN (...)`, `col IS NULL`, and each side of a join's
  `a.x = b.y` (ON, USING, or in WHERE);
- range: `<`, `<=`, `>`, `>=`, `BETWEEN`, `LIKE 'prefix%'` (a LIKE pattern given as a parameter is no
  range: the planner cannot use an index for a pattern it does not know);
- sort: ORDER BY columns of that one table, all in one direction (fixgen's indexes are ascending; a
  B-tree reads them backwards too, not in mixed directions).

`value` is anything without a column in it (a parameter, a literal, a function of those). An OR, a
negation, a function or cast around the column is not servable by a plain index and is ignored.

The index asked for: the equality columns in the order written, then the first range column, then
the sort columns (only when no range column comes between, or the sort starts with it: after a range
the index's order no longer serves the ORDER BY). Not asked for: a table that is not in the snapshot
or holds fewer than `min_rows` rows, a lookup whose equality columns hold the primary key or a unique
index's columns (one row at most already), and an index an existing one serves by the leading-prefix
rule (`Candidate.served_by`). Identical candidates (the same equality columns in any order, the same
rest) are merged, each listing every query it serves; and where one candidate's equality columns are
a subset of another's on the same table, the wider one puts them first, so one index can serve both.

`fixgen verify` reads its queries with the same analysis: which statements an index serves
(`Access.serves`), and which column a placeholder stands for (`column_of`).

Text that does not parse (syntax sqlglot does not know) gives no candidate. A MySQL digest cut short
(it ends with `...`) is read up to the condition or clause before the one it was cut in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from fixgen.dbschema import Schema, Table
from fixgen.dialects import get_dialect
from fixgen.workload.model import Candidate, Query

DEFAULT_MIN_ROWS = 10_000


@dataclass
class Access:
    """What one statement asks of one table (under one alias)."""

    table: str
    eq: list[str] = field(default_factory=list)
    range: list[str] = field(default_factory=list)
    sort: list[str] = field(default_factory=list)
    join: list[str] = field(default_factory=list)  # the equality columns that come from a join condition

    def driving(self) -> Access | None:
        """The same access without its join columns, when it filters by others too: the index that finds this
        table's rows first (`users.email = $1` in a join on users.id), where the full one serves it as the
        looked-up side."""
        eq = [c for c in self.eq if c not in self.join]
        if not self.join or not (eq or self.range):
            return None
        return Access(self.table, eq, list(self.range), list(self.sort))

    def add(self, kind: str, column: str) -> None:
        target = self.eq if kind == "eq" else self.range
        if column not in self.eq and column not in target:
            target.append(column)
        if kind == "eq" and column in self.range:
            self.range.remove(column)

    def columns(self) -> tuple[tuple[str, ...], int]:
        """(the index's columns, how many of them are equality columns)."""
        cols = list(self.eq)
        rng = [c for c in self.range if c not in cols][:1]
        sort = [c for c in self.sort if c not in cols]
        if rng and sort and sort[0] != rng[0]:
            sort = []
        for c in rng + sort:
            if c not in cols:
                cols.append(c)
        return tuple(cols), len(self.eq)

    def serves(self, columns: tuple[str, ...]) -> bool:
        """An index on `columns` serves the statement: the planner can use every one of its columns (all compared
        by equality, the last one by equality, range or as the sort), or it starts with the index the statement
        asks for (`columns()`; equality columns in any order)."""
        if not columns:
            return False
        *lead, last = columns
        if set(lead) <= set(self.eq) and (last in self.eq or last in self.range or self.sort[:1] == [last]):
            return True
        wanted, eq = self.columns()
        return bool(wanted) and set(columns[:eq]) == set(wanted[:eq]) and columns[eq:len(wanted)] == wanted[eq:]


def candidates(queries: Iterable[Query], schema: Schema, rows: Mapping[str, float] | None = None,
               min_rows: int = DEFAULT_MIN_ROWS) -> list[Candidate]:
    """The indexes these queries ask for that the schema does not have yet, merged, in a stable order.

    `rows`: each table's estimated row count (PostgreSQL's reltuples, information_schema.TABLES.TABLE_ROWS);
    a table missing from it, or with a negative count (never analyzed), is not left out for its size."""
    found: dict[tuple, Candidate] = {}
    for query in queries:
        found_in = accesses(query, schema)
        for access in [*found_in, *(d for a in found_in if (d := a.driving()) is not None)]:
            table = schema.tables[access.table]
            columns, eq_count = access.columns()
            if not columns or _small(access.table, rows, min_rows) or _unique_lookup(table, access.eq):
                continue
            cand = Candidate(access.table, columns, eq_count=eq_count)
            if any(cand.served_by(key) for key in _keys(table)):
                continue
            cand = found.setdefault(cand.key, cand)
            if query not in cand.queries:
                cand.queries.append(query)
    return sorted(_share_prefixes(list(found.values())), key=lambda c: (c.table, c.columns))


def _share_prefixes(cands: list[Candidate]) -> list[Candidate]:
    """Put first, among a candidate's equality columns, those of the widest narrower candidate on the same table
    that asks for equality columns only: (tenant_id, status) and (agent_id, tenant_id, status) become
    (tenant_id, status) and (tenant_id, status, agent_id), one index that serves both (`proposals.widen`)."""
    for wide in sorted(cands, key=lambda c: c.eq_count):  # the narrower ones are in their final order first
        eq = wide.columns[:wide.eq_count]
        inner = [n for n in cands if n.table == wide.table and n.eq_count == len(n.columns) < len(eq)
                 and set(n.columns) < set(eq)]
        if inner:
            best = max(inner, key=lambda n: (n.eq_count, sum(q.total_ms for q in n.queries)))
            wide.columns = best.columns + tuple(c for c in eq if c not in best.columns) + wide.columns[wide.eq_count:]
    return cands


def _keys(table: Table) -> list[tuple[str, ...]]:
    return [ix.columns for ix in table.indexes] + ([table.primary_key] if table.primary_key else [])


def _small(table: str, rows: Mapping[str, float] | None, min_rows: int) -> bool:
    n = None if rows is None else rows.get(table)
    return n is not None and 0 <= n < min_rows


def _unique_lookup(table: Table, eq: list[str]) -> bool:
    """The equality columns hold the primary key or a unique index's columns: at most one row, nothing to add."""
    keys = [table.primary_key] + [ix.columns for ix in table.indexes if ix.unique]
    return any(k and all(k) and set(k) <= set(eq) for k in keys)


# ------------------------------------------------------------------ parsing

_PG_PARAM = re.compile(r"\$(\d+)")
_MY_LIST = re.compile(r"\(\s*\.\.\.\s*\)")  # a digest's IN (...)
_MY_MORE = re.compile(r",\s*\.\.\.(?=\s*\))")  # ... and IN (?, ...)
_CUT_AT = re.compile(r"\s+(?:AND|OR|ORDER\s+BY|GROUP\s+BY|LIMIT|HAVING|WHERE|JOIN|ON)\s", re.IGNORECASE)


def parse(query: Query) -> list:  # -> list[sqlglot.exp.Expression]
    """The statements of `query`, or [] when sqlglot cannot read them (never raises)."""
    text = query.text.strip().rstrip(";").strip()
    if query.dialect == "postgresql":
        # sqlglot's tokenizer takes `$2,$3` for a dollar-quoted string: parameters become named placeholders
        text = _PG_PARAM.sub(r":p\1", text)
    truncated = query.truncated
    if query.dialect == "mysql":
        text = _MY_MORE.sub("", _MY_LIST.sub("(?)", text))
        if text.endswith("..."):
            text, truncated = text[:-3].rstrip(), True
    read = get_dialect(query.dialect).sqlglot
    if not truncated:
        return _parse_text(text, read)
    # cut short: what follows the last AND (ORDER BY, ...) may be incomplete even where it parses, so it goes,
    # and more until the rest parses
    trees: list = []
    while not trees:
        cuts = list(_CUT_AT.finditer(text))
        if not cuts:
            break
        cut = cuts[-1]
        text = text[:cut.start()]
        if cut.group().strip().upper() == "OR" and text.count("(") == text.count(")"):
            return []  # `a AND b OR <cut>`: a and b are one side of an OR, not conditions every row meets
        trees = _parse_text(text, read)
    return trees


def _parse_text(text: str, read: str) -> list:
    import sqlglot

    try:
        return [t for t in sqlglot.parse(text, read=read) if t is not None]
    except Exception:  # noqa: BLE001 - ParseError, TokenError, and whatever else odd text makes sqlglot raise
        return []


def accesses(query: Query, schema: Schema) -> list[Access]:
    """Per statement scope and table alias, the columns an index could serve (tables in the schema only)."""
    from sqlglot import exp

    names = Names(schema, query.dialect)
    out: list[Access] = []
    for tree in parse(query):
        for node in tree.find_all(exp.Select, exp.Update, exp.Delete):
            out += _scope(node, names)
    return [a for a in out if a.eq or a.range or a.sort]


def column_of(col, names: Names) -> tuple[str, str] | None:  # noqa: ANN001 - exp.Column
    """(table, column) a column reference in a parsed statement names, as `accesses` resolves it: in the statement
    (SELECT, UPDATE, DELETE) it is part of, else in the ones around it (a correlated subquery's outer table)."""
    from sqlglot import exp

    node = col.parent
    while node is not None:
        if isinstance(node, (exp.Select, exp.Update, exp.Delete)):
            scope = _tables(node, names)
            hit = _Resolver(scope, names)(col) if scope else None
            if hit is not None:
                return hit[0].table, hit[1]
        node = node.parent
    return None


def _tables(node, names: Names) -> dict[str, Access]:  # noqa: ANN001 - a sqlglot Select/Update/Delete
    """alias (or table name) -> an empty access, for each table of the schema the statement reads (FROM, USING,
    JOIN, the UPDATE/DELETE target)."""
    from sqlglot import exp

    tables: list[exp.Table] = []
    if isinstance(node, (exp.Update, exp.Delete)) and isinstance(node.this, exp.Table):
        tables.append(node.this)
    for key in ("from_", "from", "using"):  # sqlglot >= 26 says from_
        part = node.args.get(key)
        for t in part if isinstance(part, list) else [part]:
            if isinstance(t, exp.Table):
                tables.append(t)
            elif isinstance(t, exp.From) and isinstance(t.this, exp.Table):
                tables.append(t.this)
    tables += [j.this for j in node.args.get("joins") or [] if isinstance(j.this, exp.Table)]
    scope: dict[str, Access] = {}
    for t in tables:
        name = names.table(t)
        if name is not None:
            alias = t.alias_or_name
            scope.setdefault(alias.lower() if not _quoted_alias(t) else alias, Access(name))
    return scope


def _scope(node, names: Names) -> list[Access]:  # noqa: ANN001 - a sqlglot Select/Update/Delete
    """What the statement asks of each table it reads: its JOIN conditions, WHERE and ORDER BY."""
    from sqlglot import exp

    scope = _tables(node, names)
    if not scope:
        return []
    joins = node.args.get("joins") or []
    resolve = _Resolver(scope, names)
    for j in joins:
        for cond in conjuncts(j.args.get("on")):
            _condition(cond, resolve)
        for ident in j.args.get("using") or []:
            col = ident.name if isinstance(ident, exp.Identifier) else str(ident)
            for acc in scope.values():
                found = names.column(acc.table, col, getattr(ident, "quoted", False))
                if found:
                    acc.add("eq", found)
                    if found not in acc.join:
                        acc.join.append(found)
    for cond in conjuncts(node.args.get("where")):
        _condition(cond, resolve)
    order = node.args.get("order")
    if order is not None and isinstance(node, exp.Select):
        _sort(order.expressions, resolve)
    return list(scope.values())


def _quoted_alias(t) -> bool:  # noqa: ANN001
    alias = t.args.get("alias")
    ident = alias.this if alias is not None else t.this
    return bool(getattr(ident, "quoted", False))


def conjuncts(cond) -> list:  # noqa: ANN001 - a sqlglot condition, Where or None
    """The parts of a condition joined by AND (an OR is one part)."""
    from sqlglot import exp

    if isinstance(cond, exp.Where):
        cond = cond.this
    while isinstance(cond, exp.Paren):
        cond = cond.this
    if cond is None:
        return []
    if isinstance(cond, exp.And):
        return conjuncts(cond.this) + conjuncts(cond.expression)
    return [cond]


def constant(e) -> bool:  # noqa: ANN001
    """No column and no subquery in it: a parameter, a literal, a function of those."""
    from sqlglot import exp

    return e is not None and not any(isinstance(n, (exp.Column, exp.Select, exp.Star)) for n in e.walk())


def _condition(cond, resolve: _Resolver) -> None:  # noqa: ANN001
    from sqlglot import exp

    if isinstance(cond, (exp.EQ, exp.NullSafeEQ)):
        left, right = cond.this, cond.expression
        if isinstance(left, exp.Column) and isinstance(right, exp.Column):
            a, b = resolve(left), resolve(right)
            if a and b and a[0] is not b[0]:  # a join: each side is looked up by the other's value
                for access, column in (a, b):
                    access.add("eq", column)
                    if column not in access.join:
                        access.join.append(column)
            return
        if isinstance(right, exp.Column) and constant(left):
            left, right = right, left
        if isinstance(left, exp.Column) and constant(right):
            resolve.add(left, "eq")
    elif isinstance(cond, exp.In):
        values = cond.expressions
        sub = cond.args.get("query")
        if isinstance(cond.this, exp.Column) and (sub is not None or (values and all(constant(v) for v in values))):
            resolve.add(cond.this, "eq")
    elif isinstance(cond, exp.Is):
        if isinstance(cond.this, exp.Column) and isinstance(cond.expression, exp.Null):
            resolve.add(cond.this, "eq")
    elif isinstance(cond, (exp.GT, exp.GTE, exp.LT, exp.LTE)):
        left, right = cond.this, cond.expression
        if isinstance(right, exp.Column) and constant(left):
            left, right = right, left
        if isinstance(left, exp.Column) and constant(right):
            resolve.add(left, "range")
    elif isinstance(cond, exp.Between):
        if isinstance(cond.this, exp.Column) and constant(cond.args.get("low")) and constant(cond.args.get("high")):
            resolve.add(cond.this, "range")
    elif isinstance(cond, exp.Like):
        pattern = cond.expression
        if (isinstance(cond.this, exp.Column) and isinstance(pattern, exp.Literal) and pattern.is_string
                and pattern.this and pattern.this[0] not in "%_"):
            resolve.add(cond.this, "range")


def _sort(ordered: list, resolve: _Resolver) -> None:
    from sqlglot import exp

    found = []
    for o in ordered:
        col = o.this if isinstance(o, exp.Ordered) else o
        hit = resolve(col) if isinstance(col, exp.Column) else None
        if hit is None:
            return
        found.append((hit, bool(o.args.get("desc")) if isinstance(o, exp.Ordered) else False))
    if not found or len({id(h[0]) for h, _ in found}) != 1 or len({d for _, d in found}) != 1:
        return  # one table, one direction
    acc = found[0][0][0]
    acc.sort = list(dict.fromkeys(h[1] for h, _ in found))


class Names:
    """Names in query text as the schema spells them (`Dialect.unquoted_names`: PostgreSQL folds unquoted names to
    lower case and takes quoted ones as they are; MySQL/MariaDB and SQLite take a name in any case, quoted or
    not, as they do, and their digests write `STATUS` for `status`)."""

    def __init__(self, schema: Schema, dialect: str) -> None:
        self.schema = schema
        self.any_case = get_dialect(dialect).unquoted_names == "any"

    def _match(self, name: str, quoted: bool, known: Iterable[str]) -> str | None:
        known = list(known)
        if self.any_case:  # MySQL/MariaDB: quoted or not, a column (and, on most systems, a table) in any case
            if name in known:
                return name
            hits = [k for k in known if k.lower() == name.lower()]
            return hits[0] if len(hits) == 1 else None
        if quoted:
            return name if name in known else None
        return name.lower() if name.lower() in known else None

    def table(self, t) -> str | None:  # noqa: ANN001 - exp.Table
        qualifier = t.args.get("db")
        if qualifier is not None and self.schema.schema is not None and qualifier.name != self.schema.schema:
            return None
        if qualifier is not None and qualifier.name in ("pg_catalog", "information_schema", "performance_schema"):
            return None
        return self._match(t.name, bool(getattr(t.this, "quoted", False)), self.schema.tables)

    def column(self, table: str, name: str, quoted: bool) -> str | None:
        return self._match(name, quoted, self.schema.tables[table].columns)


class _Resolver:
    """A column reference -> (the access of its table, the column's name in the schema)."""

    def __init__(self, scope: dict[str, Access], names: Names) -> None:
        self.scope = scope
        self.names = names

    def __call__(self, col) -> tuple[Access, str] | None:  # noqa: ANN001 - exp.Column
        quoted = bool(getattr(col.this, "quoted", False))
        qualifier = col.args.get("table")
        if qualifier is not None:
            key = qualifier.name if getattr(qualifier, "quoted", False) else qualifier.name.lower()
            acc = self.scope.get(key)
            if acc is None:
                return None
            name = self.names.column(acc.table, col.name, quoted)
            return (acc, name) if name else None
        hits = [(acc, n) for acc in self.scope.values() if (n := self.names.column(acc.table, col.name, quoted))]
        return hits[0] if len(hits) == 1 else None

    def add(self, col, kind: str) -> None:  # noqa: ANN001
        hit = self(col)
        if hit:
            hit[0].add(kind, hit[1])
