"""SQLite: only indexes can be guarded in plain SQL; the rest is refused at generation time.

SQLite has no conditional DDL. DML can be conditional, so the ledger is still exact,
and a check that fails aborts the whole file (one transaction) through a temporary
trigger that raises. Situations plain SQL cannot resolve -- a pre-existing index
under another name, a rollback that would drop an index this migration did not
create -- stop with a message instead of guessing.
"""

from __future__ import annotations

from fixgen import ledger
from fixgen.dialects import SQLITE
from fixgen.ops import AddForeignKey, CreateIndex, DropIndex, Op
from fixgen.targets.context import LEDGER
from fixgen.targets.sql.base import Block, SqlRenderer

GUARD = "fixgen_guard"


class SQLiteRenderer(SqlRenderer):
    dialect = SQLITE

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.n_checks = 0

    def begin(self) -> str:
        # one run at a time: the write lock up front (a second run waits for it, up to the timeout)
        return (f".timeout {self.ctx.run_lock_timeout_ms}\nBEGIN IMMEDIATE;\nDROP TABLE IF EXISTS temp.{GUARD};\n"
                f"CREATE TEMP TABLE {GUARD} (id INTEGER);")

    def commit(self) -> str:
        return f"DROP TABLE temp.{GUARD};\nCOMMIT;"

    def run_hint(self, direction: str) -> str:
        return "sqlite3 -bail <database file> < <this file>  (one transaction: all or nothing)"

    def fail_if(self, cond: str, message: str) -> list[str]:
        self.n_checks += 1
        n = self.n_checks
        return [f"CREATE TEMP TRIGGER {GUARD}_{n} BEFORE INSERT ON {GUARD} WHEN NEW.id = {n}\n"
                f"  BEGIN SELECT RAISE(ABORT, {self.lit('fixgen: ' + message)}); END;",
                f"INSERT INTO temp.{GUARD} (id) SELECT {n} WHERE {cond};"]

    # ------------------------------------------------------------------ ledger
    def ledger_create(self) -> list[str]:
        return [ledger.create_table_sql("sqlite", self.q(LEDGER))]

    def ledger_drop(self) -> list[str]:
        return ["-- SQLite SQL cannot drop a table conditionally: fixgen_ledger stays (empty once every",
                "-- fixgen migration is rolled back). Drop it by hand if you like: DROP TABLE fixgen_ledger;"]

    # ------------------------------------------------------------------ predicates
    def table_exists(self, t: str) -> str:
        return f"EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = {self.lit(t)})"

    def column_exists(self, t: str, c: str) -> str:
        return f"EXISTS (SELECT 1 FROM pragma_table_info({self.lit(t)}) WHERE name = {self.lit(c)})"

    def index_named(self, t: str, name: str) -> str:
        return (f"EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = {self.lit(name)} "
                f"AND tbl_name = {self.lit(t)})")

    def index_name_taken(self, name: str, t: str) -> str:
        return f"EXISTS (SELECT 1 FROM sqlite_master WHERE name = {self.lit(name)})"

    def index_equiv(self, t: str, cols: tuple[str, ...], unique: bool, exact: bool = False,
                    name: str | None = None) -> str:
        k = len(cols)
        want = " || char(31) || ".join(self.lit(c) for c in cols)
        cond = ["il.partial = 0",
                f"(SELECT group_concat(name, char(31)) FROM (SELECT ii.name FROM pragma_index_info(il.name) ii "
                f"WHERE ii.seqno < {k} ORDER BY ii.seqno)) = {want}"]
        if unique:
            cond.append('il."unique" = 1')
        elif exact:
            cond.append('il."unique" = 0')
        if unique or exact:
            cond.append(f"(SELECT count(*) FROM pragma_index_info(il.name)) = {k}")
        if name is not None:
            cond.append(f"il.name = {self.lit(name)}")
        return f"EXISTS (SELECT 1 FROM pragma_index_list({self.lit(t)}) il WHERE " + " AND ".join(cond) + ")"

    def fk_equiv(self, op: AddForeignKey) -> str:  # pragma: no cover - refused by check_plan
        raise NotImplementedError

    def fk_named(self, op: AddForeignKey) -> str:  # pragma: no cover
        raise NotImplementedError

    # ------------------------------------------------------------------ preflight
    def preflight_up(self) -> list[Block]:
        body = []
        for cond, message in self.checks_up():
            body += self.fail_if(cond, message)
        for op in self.plan.of(CreateIndex):
            body += self.fail_if(
                f"NOT {self.ledger_has(op)} AND NOT {self.index_named(op.table, op.name)} "
                f"AND {self.index_equiv(op.table, op.columns, op.unique)}",
                f"an index equivalent to {op.name} already exists on {op.table} under another name; "
                "SQLite SQL cannot skip creating it -- remove this fix from the spec, or use the "
                "laravel or alembic target, which can")
        return [Block(["preflight: stop before changing anything if the database cannot take these fixes"],
                      self.join(body))]

    def insert_ignore(self, values: str) -> str:
        return f"INSERT OR IGNORE INTO {self.q(LEDGER)} (migration, step, object_name) VALUES ({values});"

    def preflight_down(self) -> list[Block]:
        before, after = self.lost_message()
        before = before.removeprefix("fixgen: ")  # fail_if says it
        body = [line for cond, step in self.lost_checks()  # first: a lost ledger explains the checks below too
                for line in self.fail_if(f"NOT {self.migration_recorded()} AND {cond}", before + step + after)]
        for op in self.plan.ops:  # forward order, as the checks always ran
            body += self.fail_if(f"NOT {self.ledger_has(op)} AND {self.pending(op.reverse())}", self.undecidable[op.kind](op))
        return [Block(["preflight: stop if a rollback step cannot be decided in plain SQL"], self.join(body))]

    # why plain SQL cannot decide a rollback step that up did not record, per forward kind
    undecidable = {
        "create_index": lambda op: (
            f"index {op.name} on {op.table} was not created by this migration, and SQLite SQL cannot "
            "skip dropping it -- delete its block from this file, or use the laravel or alembic target"),
        "drop_index": lambda op: (
            f"index {op.name} on {op.table} was not dropped by this migration, and SQLite SQL cannot "
            "skip recreating it -- delete its block from this file, or use the laravel or alembic target"),
    }

    # ------------------------------------------------------------------ ops
    # SQLite's only conditional DDL is IF [NOT] EXISTS: the statement is the guard
    def statement_create_index(self, op: CreateIndex) -> str:
        return self.create_index_sql(op).replace(" INDEX ", " INDEX IF NOT EXISTS ", 1)

    def statement_drop_index(self, op: DropIndex) -> str:
        return f"DROP INDEX IF EXISTS {self.q(op.name)}"

    def up_op(self, op: Op) -> list[str]:
        record = (f"INSERT OR IGNORE INTO {self.q(LEDGER)} (migration, step, object_name)\n"
                  f"  SELECT {self.ledger_values(op)} WHERE NOT {self.present(op)};")
        return [record, self.statement(op) + ";"]

    def down_op(self, op: Op) -> list[str]:
        return [self.statement(op) + ";", self.ledger_delete(op)]
