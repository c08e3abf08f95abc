"""The guard-and-ledger algorithm shared by every SQL dialect.

Each operation becomes three guarded steps, in this order:
  record:  if the fix is not present (by definition), insert a ledger row for it;
  perform: if the ledger has the row and the object is not there (by name), do it;
  undo (down): if the ledger has the row, undo what is still there, then delete the row.
Recording before performing makes a re-run after a crash finish the job, and the
rollback remove only what this migration created.  Dialects supply the catalog
predicates and the statement syntax; this module supplies the order and the logic.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache, lru_cache

from fixgen import ledger
from fixgen.dialects import ACTIONS, Dialect
from fixgen.errors import Problem, UnsupportedError
from fixgen.escape import sql_comment
from fixgen.ops import (
    AddColumn,
    AddForeignKey,
    ChangeForeignKeyActions,
    CreateIndex,
    DropColumn,
    DropForeignKey,
    DropIndex,
    Op,
    RenameColumn,
)
from fixgen.planner import Plan
from fixgen.targets.context import LEDGER, Context, issue_comments
from fixgen.targets.templates import Code, render


@dataclass
class Block:
    """One commented chunk of the output file."""

    comments: list[str]  # outside text: file() escapes it (sql_comment)
    sql: str


class SqlText(str):
    """A preflight message that is an SQL text expression (it names what the database has), not a literal."""


def wrap_and(cond: str, indent: str = "\n  ") -> str:
    """A condition with each top-level AND term on a line of its own, for a reviewer's eyes.

    Splits only outside parentheses and quotes (names hold neither), so the SQL is unchanged but for
    white space; str.split keeps it fast on the megabytes a big plan writes."""
    pieces = cond.split(" AND ")
    if len(pieces) == 1:
        return cond
    terms: list[str] = []
    start, depth, quotes = 0, 0, 0
    for i, piece in enumerate(pieces):
        depth += piece.count("(") - piece.count(")")
        quotes += piece.count("'")
        if depth == 0 and quotes % 2 == 0:
            terms.append(" AND ".join(pieces[start:i + 1]))
            start = i + 1
    if start < len(pieces):  # unbalanced (never for fixgen's own conditions): leave the rest as it was
        terms.append(" AND ".join(pieces[start:]))
    return (indent + "AND ").join(terms)


@dataclass
class Col:
    """A column as named at migration time: `old` is set when a rename in this plan may not have run yet."""

    table: str
    name: str
    old: str | None = None


@dataclass
class SqlMigration:
    up: str
    down: str
    dialect: str


class SqlRenderer:
    dialect: Dialect

    def __init__(self, plan: Plan, ctx: Context) -> None:
        self.plan = plan
        self.ctx = ctx
        self.renames = plan.renames()
        # the same few names are quoted thousands of times in a big plan
        self.q = lru_cache(maxsize=None)(self.dialect.q)  # type: ignore[method-assign]
        self.lit = lru_cache(maxsize=None, typed=True)(self.dialect.literal)  # type: ignore[method-assign]
        # preflight, up and down ask for the same predicates of the same op
        for name in ("present", "done", "pending", "index_named", "fk_named", "fk_equiv"):
            setattr(self, name, lru_cache(maxsize=None)(getattr(self, name)))

    # ------------------------------------------------------------------ public
    def render(self) -> SqlMigration:
        preflight = self.preflight_up()
        ledger_block = self.prologue_block("up")
        # the preflight may read the ledger only where a failure rolls everything back
        up = [ledger_block, *preflight] if self.dialect.transactional_ddl else [*preflight, ledger_block]
        notes = {id(op): issue_comments(op.issues) for op in self.plan.ops}  # once for both files
        up.append(Block(["the marker: up ran (down tells a lost ledger from nothing to undo by it)"],
                        self.ledger_mark()))
        up += self.steps_begin()
        for op in self.plan.ops:
            up.append(Block([op.describe(), *notes[id(op)]], self.join(self.up_op(op))))
        up += self.steps_end()
        down = [self.prologue_block("down"), *self.preflight_down(), *self.steps_begin()]
        for op, rev in zip(reversed(self.plan.ops), self.plan.reverse(), strict=True):
            down.append(Block([f"undo: {op.describe()} (only if up did it)", *notes[id(op)]],
                              self.join(self.down_op(rev))))
        down.append(Block(["forget the marker, last: a run cut before this is finished by the next one"],
                          self.ledger_unmark()))
        down.append(Block(["forget the ledger once no migration has rows in it"], self.join(self.ledger_drop())))
        down += self.steps_end()
        return SqlMigration(self.file("up", up), self.file("down", down), self.dialect.name)

    # ------------------------------------------------------------------ helpers
    @classmethod
    def check_plan(cls, plan: Plan) -> None:
        """Refuse, before rendering, every step this dialect's SQL cannot guard."""
        bad = [op for op in plan.ops if op.kind not in cls.dialect.guardable]
        if not bad:
            return
        problems = []
        for op in bad:
            for m in op.issues:
                problems.append(Problem(
                    f"{cls.dialect.name} SQL cannot {op.describe()} behind an existence check "
                    "(no conditional DDL); use --target laravel or --target alembic, which check the "
                    "schema before acting", file=plan.file, index=m.index, line=m.line))
        raise UnsupportedError(sorted(set(problems), key=lambda p: (p.index or 0, p.message)))

    def q(self, name: str) -> str:  # replaced by a memoized dialect.q in __init__
        return self.dialect.q(name)

    def lit(self, value: object) -> str:  # replaced by a memoized dialect.literal in __init__
        return self.dialect.literal(value)

    def qcols(self, cols: tuple[str, ...]) -> str:
        return ", ".join(self.q(c) for c in cols)

    def join(self, statements: list[str]) -> str:
        return "\n".join(statements)

    @staticmethod
    def step_of(op: Op) -> str:
        """The ledger step an op's guard reads: its own, or (down) the one of the op it undoes."""
        return op.undoes or op.key

    def ledger_has(self, op: Op) -> str:
        return self._ledger_has(self.step_of(op))

    @cache  # noqa: B019 - one renderer per run; up and down ask for every step
    def _ledger_has(self, key: str) -> str:
        return (f"EXISTS (SELECT 1 FROM {self.q(LEDGER)} WHERE migration = {self.migration_ref()} "
                f"AND step = {self.lit(key)})")

    def ledger_delete(self, op: Op) -> str:
        return (f"DELETE FROM {self.q(LEDGER)} WHERE migration = {self.migration_ref()} "
                f"AND step = {self.lit(self.step_of(op))};")

    def ledger_values(self, op: Op) -> str:
        return f"{self.migration_ref()}, {self.lit(op.key)}, {self.lit(op.object_name)}"

    def ledger_mark(self) -> str:
        """Up: the marker row (fixgen.ledger.MARKER_STEP), so that down finds a record even when up made nothing."""
        return self.insert_ignore(f"{self.migration_ref()}, {self.lit(ledger.MARKER_STEP)}, ''")

    def insert_ignore(self, values: str) -> str:
        """INSERT of one ledger row (migration, step, object_name) that does nothing if the row is there."""
        raise NotImplementedError

    def ledger_unmark(self) -> str:
        return (f"DELETE FROM {self.q(LEDGER)} WHERE migration = {self.migration_ref()} "
                f"AND step = {self.lit(ledger.MARKER_STEP)};")

    def migration_recorded(self) -> str:
        """The ledger has a row of this migration (its marker, or a step), as SQL; the table must exist."""
        return f"EXISTS (SELECT 1 FROM {self.q(LEDGER)} WHERE migration = {self.migration_ref()})"

    def lost_checks(self) -> list[tuple[str, str]]:
        """Down, when the ledger holds no row of this migration (no table, or its rows gone): (condition, step) of
        each step whose change is still there, by name. Then fixgen cannot tell whether this migration made it, and
        down refuses; when none is, up never ran or down already did, and there is nothing to undo."""
        return [(self.pending(rev), self.step_of(rev)) for rev in self.plan.reverse()]

    def lost_message(self) -> tuple[str, str]:
        """The refusal of such a down: the text before the list of steps, and after it."""
        return (f"fixgen: nothing was changed: {LEDGER} has no record of migration {self.ctx.migration_id} (the table "
                "or its rows are gone), yet what up would have made is here: ",
                f". Restore {LEDGER} from a backup and run this file again; or, if these were not made by this "
                "migration (they were there before it), there is nothing to undo: do not run this file.")

    def migration_ref(self) -> str:
        """This migration's ledger key as the guards spell it (a dialect may hold it in a session variable)."""
        return self.lit(self.ctx.migration_id)

    def col(self, table: str, name: str) -> Col:
        if (table, name) in self.renames:
            return Col(table, name, self.renames[(table, name)])
        return Col(table, name)

    def new_column_values(self, table: str, columns: tuple[str, ...]) -> dict[str, str]:
        """For the columns this plan adds: the value each existing row will hold (its default, or NULL), as SQL.

        A check of rows that needs such a column runs before up has added it: it reasons from this value."""
        if not hasattr(self, "_added"):
            self._added = {(op.table, op.column): op for op in self.plan.of(AddColumn)}
        out = {}
        for c in columns:
            add = self._added.get((table, c))
            if add is not None:
                out[c] = self.typed_literal(add) if add.has_default and add.default is not None else "NULL"
        return out

    def typed_literal(self, op: AddColumn) -> str:
        return self.lit(op.default)

    def pre_rename(self, table: str, cols: tuple[str, ...]) -> tuple[str, ...] | None:
        """The columns' names before this plan's renames, or None if no rename touches them."""
        before = tuple(self.renames.get((table, c), c) for c in cols)
        return before if before != cols else None

    def file(self, direction: str, blocks: list[Block]) -> str:
        # blocks are joined here, not looped over in the template: a big plan has tens of thousands
        body = "\n\n".join("".join(f"-- {sql_comment(line)}\n" for line in b.comments) + b.sql for b in blocks)
        return render("sql/migration.sql.j2", ctx=self.ctx, direction=direction, dialect=self.dialect.name,
                      body=Code(body), begin=Code(self.begin()), commit=Code(self.commit()),
                      run_hint=self.run_hint(direction))

    def fk_action_sql(self, op: AddForeignKey) -> str:
        return f"ON DELETE {ACTIONS[op.on_delete]} ON UPDATE {ACTIONS[op.on_update]}"

    def column_sql(self, op: AddColumn) -> str:
        text = f"{self.q(op.column)} {self.dialect.column_type(op.type)}"
        text += " NULL" if op.nullable else " NOT NULL"
        if op.has_default:
            text += f" DEFAULT {self.lit(op.default)}"
        return text

    # ------------------------------------------------------------------ preflight
    def checks_up(self) -> list[tuple[str, str]]:
        """(failure condition, message) pairs, evaluated before anything changes."""
        checks: list[tuple[str, str]] = []
        for t in self.plan.tables():
            checks.append((f"NOT {self.table_exists(t)}", f"table {t} does not exist"))
        for c in (Col(t, name, old) for t, name, old in self.plan.needed_columns()):
            if c.old:
                cond = f"NOT {self.column_exists(c.table, c.name)} AND NOT {self.column_exists(c.table, c.old)}"
                checks.append((cond, f"column {c.table}.{c.name} does not exist (nor {c.old}, its name before "
                                     "the rename)"))
            else:
                checks.append((f"NOT {self.column_exists(c.table, c.name)}",
                               f"column {c.table}.{c.name} does not exist"))
        for op in self.plan.ops:
            checks.extend(self.op_checks(op))
        return checks

    def op_checks(self, op: Op) -> list[tuple[str, str]]:
        """(failure condition, message) pairs of one op: `checks_<kind>`, none by default."""
        handler = getattr(self, f"checks_{op.kind}", None)
        return handler(op) if handler else []

    def checks_rename_column(self, op: RenameColumn) -> list[tuple[str, str]]:
        t = op.table
        return [
            (f"NOT {self.column_exists(t, op.old)} AND NOT {self.column_exists(t, op.new)}",
             f"cannot rename {t}.{op.old} to {op.new}: neither column exists"),
            (f"{self.column_exists(t, op.old)} AND {self.column_exists(t, op.new)}",
             f"cannot rename {t}.{op.old} to {op.new}: both columns exist; merge them by hand first"),
        ]

    def checks_create_index(self, op: CreateIndex) -> list[tuple[str, str]]:
        t = op.table
        equiv = self.index_named_equiv(op)
        before = self.pre_rename(t, op.columns)
        if before:  # the same index, made by hand on the columns a rename of this plan renames
            equiv = f"({equiv} OR {self.index_equiv(t, before, op.unique, name=op.name)})"
        return [(f"{self.index_name_taken(op.name, t)} AND NOT {equiv}{self.unless_leftover(op)}",
                 f"cannot create index {op.name} on {t}: another object already has that name")]

    def checks_drop_index(self, op: DropIndex) -> list[tuple[str, str]]:
        t = op.table
        return [(f"{self.index_named(t, op.name)} AND NOT {self.index_named_exact(op)}{self.unless_leftover(op)}",
                 f"index {op.name} on {t} does not have the definition the spec gives "
                 f"({', '.join(op.columns)}{', unique' if op.unique else ''}): its rollback could not "
                 "recreate it exactly")]

    def checks_add_foreign_key(self, op: AddForeignKey) -> list[tuple[str, str]]:
        t = op.table
        equiv = self.fk_equiv(op)
        before = self.pre_rename(t, op.columns)
        if before:
            equiv = f"({equiv} OR {self.fk_equiv(replace(op, columns=before))})"
        return [(f"{self.fk_name_taken(op)} AND NOT {equiv}",
                 f"cannot add foreign key {op.name} on {t}: another constraint already has that name"),
                (f"NOT {self.ref_unique(op)}",
                 f"cannot add foreign key {op.name}: {op.ref_table} ({', '.join(op.ref_columns)}) is not "
                 "a primary key or unique")]

    def checks_foreign_key_actions(self, op: ChangeForeignKeyActions) -> list[tuple[str, str]]:
        return self.fk_actions_checks(op)

    def fk_actions_checks(self, op: ChangeForeignKeyActions) -> list[tuple[str, str]]:
        t, new, old = op.table, op.as_foreign_key(), op.as_foreign_key(old=True)
        named, defined = self.fk_named(new), self.fk_with(new, op.name, actions=False)

        def spell(fk: AddForeignKey) -> str:
            return f"ON DELETE {ACTIONS[fk.on_delete]} ON UPDATE {ACTIONS[fk.on_update]}"

        checks = [
            (f"NOT {named}{self.unless_recorded(op)}", f"no foreign key {op.name} on {t} (the spec changes its actions)"),
            (f"{named} AND NOT {defined}",
             f"foreign key {op.name} on {t} is not on ({', '.join(op.columns)}) -> {op.ref_table} "
             f"({', '.join(op.ref_columns)})"),
            (f"{defined} AND NOT {self.fk_with(old, op.name)} AND NOT {self.fk_with(new, op.name)}",
             self.concat_text([f"foreign key {op.name} on {t} has ", self.fk_actions_text(t, op.name),
                               f", neither what the spec says it has now ({spell(old)}) nor what it should have "
                               f"({spell(new)})"])),
        ]
        if "set_null" in (op.on_delete, op.on_update):
            for c in op.columns:
                col = self.col(t, c)
                cond = " OR ".join(self.column_not_null(t, n) for n in (col.name, col.old) if n)
                checks.append((f"({cond})", f"foreign key {op.name} uses SET NULL but {t}.{c} is NOT NULL"))
        return checks

    # ------------------------------------------------------------------ dialect hooks
    def unless_leftover(self, op: CreateIndex | DropIndex) -> str:
        """An extra ' AND NOT ...' for an index of op's name that an interrupted run of ours may have left."""
        return ""

    def prologue_block(self, direction: str) -> Block:
        return Block(["the ledger: one row per change this migration made (see fixgen's docs/guarantees.md)"],
                     self.join(self.ledger_create()))

    def steps_begin(self) -> list[Block]:
        """What the steps need that the preflight must not leave behind when it stops (MySQL: the retry procedure)."""
        return []

    def steps_end(self) -> list[Block]:
        return []

    def begin(self) -> str:
        return ""

    def commit(self) -> str:
        return ""

    def run_hint(self, direction: str) -> str:
        raise NotImplementedError

    def ledger_create(self) -> list[str]:
        raise NotImplementedError

    def ledger_drop(self) -> list[str]:
        raise NotImplementedError

    def preflight_up(self) -> list[Block]:
        raise NotImplementedError

    def preflight_down(self) -> list[Block]:
        return []

    def up_op(self, op: Op) -> list[str]:
        raise NotImplementedError

    def down_op(self, op: Op) -> list[str]:
        """The guarded undo of a reversed op (op.undoes names the step it undoes)."""
        raise NotImplementedError

    # catalog predicates (SQL boolean expressions)
    def table_exists(self, t: str) -> str:
        raise NotImplementedError

    def column_exists(self, t: str, c: str) -> str:
        raise NotImplementedError

    def index_named(self, t: str, name: str) -> str:
        raise NotImplementedError

    def index_name_taken(self, name: str, t: str) -> str:
        return self.index_named(t, name)

    def index_equiv(self, t: str, cols: tuple[str, ...], unique: bool, exact: bool = False,
                    name: str | None = None) -> str:
        raise NotImplementedError

    def index_named_equiv(self, op: CreateIndex) -> str:
        return self.index_equiv(op.table, op.columns, op.unique, name=op.name)

    def index_named_exact(self, op: DropIndex) -> str:
        return self.index_equiv(op.table, op.columns, op.unique, exact=True, name=op.name)

    def fk_equiv(self, op: AddForeignKey) -> str:
        raise NotImplementedError

    def fk_named(self, op: AddForeignKey | DropForeignKey) -> str:
        raise NotImplementedError

    def fk_name_taken(self, op: AddForeignKey) -> str:
        """Another constraint holds the name: on the table, or anywhere where names are unique per database."""
        return self.fk_name_in_schema(op) if self.dialect.fk_names_per_database else self.fk_named(op)

    def fk_name_in_schema(self, op: AddForeignKey) -> str:
        raise NotImplementedError

    def fk_with(self, fk: AddForeignKey, name: str | None, actions: bool = True) -> str:
        """A foreign key on exactly fk's columns and reference (with fk's actions, if `actions`); `name`: only that one."""
        raise NotImplementedError

    def column_not_null(self, t: str, c: str) -> str:
        raise NotImplementedError

    def fk_actions_text(self, t: str, name: str) -> SqlText:
        """'ON DELETE x ON UPDATE y' of the foreign key of that name, as an SQL expression."""
        raise NotImplementedError

    def concat_text(self, parts: list[str]) -> SqlText:
        """Literal strings and SqlText expressions joined into one SQL text expression."""
        raise NotImplementedError

    def message_sql(self, message: str) -> str:
        return message if isinstance(message, SqlText) else self.lit(message)

    def unless_recorded(self, op: Op) -> str:
        """' AND NOT <the ledger has op>' where a crash can leave a recorded change half-done; else ''."""
        return ""

    def ref_unique(self, op: AddForeignKey) -> str:
        return self.index_equiv(op.ref_table, op.ref_columns, True, exact=True)

    # ------------------------------------------------------------------ the predicates of the three steps
    # Dispatched on the op's kind, sqlglot-style (`<predicate>_<kind>` methods), so that a dialect
    # overrides one kind's predicate and an op can never be taken for its opposite.
    def present(self, op: Op) -> str:
        """Up, record: true when the fix is already in place (by definition), so up has nothing to record."""
        return getattr(self, f"present_{op.kind}")(op)

    def done(self, op: Op) -> str:
        """Up, perform: true when the object this op makes is there under its name (or gone, for a drop)."""
        handler = getattr(self, f"done_{op.kind}", None)
        return handler(op) if handler else self.present(op)

    def pending(self, op: Op) -> str:
        """Down: true when the reversed op `op` still has something to undo."""
        return getattr(self, f"pending_{op.kind}")(op)

    def present_create_index(self, op: CreateIndex) -> str:
        return self.index_equiv(op.table, op.columns, op.unique)

    def done_create_index(self, op: CreateIndex) -> str:
        return self.index_named(op.table, op.name)

    def pending_create_index(self, op: CreateIndex) -> str:  # undoing a drop: the index is still gone
        return f"NOT {self.index_named(op.table, op.name)}"

    def present_drop_index(self, op: DropIndex) -> str:
        return f"NOT {self.index_named(op.table, op.name)}"

    def pending_drop_index(self, op: DropIndex) -> str:  # undoing a create: the index is still there
        return self.index_named(op.table, op.name)

    def present_add_foreign_key(self, op: AddForeignKey) -> str:
        return self.fk_equiv(op)

    def done_add_foreign_key(self, op: AddForeignKey) -> str:
        return self.fk_named(op)

    def pending_drop_foreign_key(self, op: DropForeignKey) -> str:
        return self.fk_named(op)

    def present_add_column(self, op: AddColumn) -> str:
        return self.column_exists(op.table, op.column)

    def pending_drop_column(self, op: DropColumn) -> str:
        return self.column_exists(op.table, op.column)

    def present_rename_column(self, op: RenameColumn) -> str:
        return f"NOT {self.column_exists(op.table, op.old)}"

    def done_rename_column(self, op: RenameColumn) -> str:
        return f"(NOT {self.column_exists(op.table, op.old)} AND {self.column_exists(op.table, op.new)})"

    def pending_rename_column(self, op: RenameColumn) -> str:  # the renamed column is still under its new name
        return f"(NOT {self.column_exists(op.table, op.new)} AND {self.column_exists(op.table, op.old)})"

    def present_foreign_key_actions(self, op: ChangeForeignKeyActions) -> str:
        return self.fk_with(op.as_foreign_key(), None)

    def done_foreign_key_actions(self, op: ChangeForeignKeyActions) -> str:
        return self.fk_with(op.as_foreign_key(), op.name)

    def pending_foreign_key_actions(self, op: ChangeForeignKeyActions) -> str:
        # up's actions still (the ones this op takes away), or gone half-way
        return f"({self.fk_with(op.as_foreign_key(old=True), op.name)} OR NOT {self.fk_named(op.as_foreign_key())})"

    # ------------------------------------------------------------------ statements
    def create_index_sql(self, op: CreateIndex | DropIndex) -> str:
        unique = "UNIQUE " if op.unique else ""
        return f"CREATE {unique}INDEX {self.q(op.name)} ON {self.q(op.table)} ({self.qcols(op.columns)})"

    def statement(self, op: Op) -> str:
        """The DDL that performs `op` (no guard): `statement_<kind>`."""
        return getattr(self, f"statement_{op.kind}")(op)

    def statement_create_index(self, op: CreateIndex) -> str:
        return self.create_index_sql(op)

    def statement_drop_index(self, op: DropIndex) -> str:
        return self.drop_index_sql(op)

    def statement_add_foreign_key(self, op: AddForeignKey) -> str:
        return f"ALTER TABLE {self.q(op.table)} {self.add_fk_sql(op)}"

    def statement_drop_foreign_key(self, op: DropForeignKey) -> str:
        return self.drop_fk_sql(op)

    def statement_add_column(self, op: AddColumn) -> str:
        return f"ALTER TABLE {self.q(op.table)} ADD COLUMN {self.column_sql(op)}"

    def statement_drop_column(self, op: DropColumn) -> str:
        return f"ALTER TABLE {self.q(op.table)} DROP COLUMN {self.q(op.column)}"

    def statement_rename_column(self, op: RenameColumn) -> str:
        return f"ALTER TABLE {self.q(op.table)} RENAME COLUMN {self.q(op.old)} TO {self.q(op.new)}"

    def statement_foreign_key_actions(self, op: ChangeForeignKeyActions) -> str:
        return self.recreate_fk_sql(op.as_foreign_key())

    def add_fk_sql(self, op: AddForeignKey) -> str:
        q = self.q
        return (f"ADD CONSTRAINT {q(op.name)} FOREIGN KEY ({self.qcols(op.columns)}) "
                f"REFERENCES {q(op.ref_table)} ({self.qcols(op.ref_columns)}) {self.fk_action_sql(op)}")

    def recreate_fk_sql(self, fk: AddForeignKey) -> str:
        """The foreign key again, with fk's actions, in one statement (PostgreSQL: atomic)."""
        return f"ALTER TABLE {self.q(fk.table)} DROP CONSTRAINT IF EXISTS {self.q(fk.name)}, {self.add_fk_sql(fk)}"

    def drop_index_sql(self, op: CreateIndex | DropIndex) -> str:
        return f"DROP INDEX {self.q(op.name)}"

    def drop_fk_sql(self, op: AddForeignKey | DropForeignKey) -> str:
        return f"ALTER TABLE {self.q(op.table)} DROP CONSTRAINT {self.q(op.name)}"
