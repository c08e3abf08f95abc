"""PostgreSQL, online: changes that never hold a write-blocking lock for longer than a moment.

`CREATE INDEX CONCURRENTLY` cannot run in a transaction, a function or a DO block,
so this file is not one transaction: it is a psql script whose every step is a
top-level statement behind a psql `\\if` on a catalog check (`SELECT ... \\gset`).
Each step is safe to repeat after an interruption at any point:
- an index build that was interrupted leaves an INVALID index, which the guard
  recognises (by name) and drops before building again (`IF NOT EXISTS` alone would
  "succeed" on it);
- a foreign key is added `NOT VALID` (a brief lock, no scan) and then validated
  (a scan that lets writes through); a constraint left unvalidated is validated on the
  next run;
- `lock_timeout` makes a statement that waits for a lock fail fast instead of queueing
  every writer behind it; `statement_timeout` limits the statements that hold such
  locks. Both are lifted only around the long statements whose locks conflict with no
  write (concurrent builds and drops, validation, the preflight's orphan scans).
"""

from __future__ import annotations

from fixgen import ledger
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
from fixgen.targets.context import LEDGER
from fixgen.targets.sql.base import Block, SqlText
from fixgen.targets.sql.postgresql import HELPERS, PostgresRenderer

ONLINE_HELPERS = HELPERS + """
-- an index of that name on the table that an interrupted concurrent build (or drop) left unusable
CREATE OR REPLACE FUNCTION pg_temp.fixgen_index_invalid(tbl text, idx text) RETURNS boolean LANGUAGE sql STABLE
  AS $f$ SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = pg_temp.fixgen_rel(tbl)
                        AND i.indexrelid = pg_temp.fixgen_rel(idx) AND NOT (i.indisvalid AND i.indisready)) $f$;
CREATE OR REPLACE FUNCTION pg_temp.fixgen_fk_not_valid(tbl text, con text) RETURNS boolean LANGUAGE sql STABLE
  AS $f$ SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k
                        WHERE k.conrelid = pg_temp.fixgen_rel(tbl) AND k.conname = con AND NOT k.convalidated) $f$;
-- a try at a lock writers conflict with timed out (lock_timeout) and was rolled back: say whom it waits for,
-- wait (0.1 s, doubling, at most 5 s), and return the tries so far; or give up once `wait` has passed
CREATE OR REPLACE FUNCTION pg_temp.fixgen_lock_wait(tbl text, tries int, started timestamptz, wait interval)
  RETURNS int LANGUAGE plpgsql AS $f$
DECLARE
  pause float := least(0.1 * 2 ^ tries, 5);
  holders text := coalesce((
    SELECT string_agg(DISTINCT format('pid %s (%s, %s s in a transaction)', a.pid, a.state,
                             round(extract(epoch FROM clock_timestamp() - a.xact_start))), ', ')
      FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
     WHERE l.relation = pg_temp.fixgen_rel(tbl) AND l.granted AND l.pid <> pg_backend_pid()), 'nobody now');
BEGIN
  IF clock_timestamp() + pause * interval '1 second' > started + wait THEN
    RAISE EXCEPTION 'fixgen: gave up waiting for a lock on % after % (held by: %); this step changed nothing: '
      'run the file again', tbl, wait, holders;
  END IF;
  RAISE WARNING 'fixgen: waiting for a lock on % (held by: %); trying again in % s', tbl, holders, round(pause::numeric, 1);
  PERFORM pg_sleep(pause);
  RETURN tries + 1;
END $f$;
-- partitioned tables: partitions.py's statements, each that takes a lock writers conflict with (alone, or a
-- BEGIN ... COMMIT group) made a DO block that retries it on lock timeout; concurrent builds and SETs as they are
CREATE OR REPLACE FUNCTION pg_temp.fixgen_retried(steps text[], tbl text, wait interval) RETURNS SETOF text
  LANGUAGE plpgsql AS $f$
DECLARE
  s text;
  grp text[];
BEGIN
  FOREACH s IN ARRAY steps LOOP
    IF s = 'BEGIN' THEN
      grp := '{}';
    ELSIF s = 'COMMIT' AND grp IS NOT NULL THEN
      RETURN NEXT pg_temp.fixgen_retry_block(grp, tbl, wait);
      grp := NULL;
    ELSIF grp IS NOT NULL THEN
      grp := grp || s;
    ELSIF s ~ '^(SET |CREATE (UNIQUE )?INDEX CONCURRENTLY |DROP INDEX CONCURRENTLY )' THEN
      RETURN NEXT s;
    ELSE
      RETURN NEXT pg_temp.fixgen_retry_block(ARRAY[s], tbl, wait);
    END IF;
  END LOOP;
END $f$;
CREATE OR REPLACE FUNCTION pg_temp.fixgen_retry_block(stmts text[], tbl text, wait interval) RETURNS text
  LANGUAGE sql IMMUTABLE AS $f$
  SELECT format('DO %L', format('DECLARE tries int := 0; started timestamptz := clock_timestamp(); BEGIN LOOP BEGIN '
                                '%s RETURN; EXCEPTION WHEN lock_not_available THEN '
                                'tries := pg_temp.fixgen_lock_wait(%L, tries, started, %L); END; END LOOP; END',
                                (SELECT string_agg(format('EXECUTE %L;', x), ' ' ORDER BY o)
                                   FROM unnest(stmts) WITH ORDINALITY AS u(x, o)), tbl, wait)) $f$;"""


class PostgresOnlineRenderer(PostgresRenderer):
    def begin(self) -> str:
        return "\n".join([
            "\\set ON_ERROR_STOP on",
            "SET client_min_messages = warning;",
            *self.run_lock_polled(),
            f"SET lock_timeout = {self.lit(self.ctx.lock_timeout)};",
            f"SET statement_timeout = {self.lit(self.ctx.statement_timeout)};",
        ])

    def commit(self) -> str:
        return ""

    def run_lock_polled(self) -> list[str]:
        """The run lock, the session's (gone with its connection), taken by polling: a session blocked in
        pg_advisory_lock holds a snapshot, which the holder's CREATE INDEX CONCURRENTLY would wait for (a deadlock).
        Each try is a statement of its own that holds nothing while it sleeps half a second."""
        key = ledger.run_lock_key(self.ctx.migration_id)
        classid, objid = ledger.run_lock_ids(self.ctx.migration_id)
        mine = (f"EXISTS (SELECT 1 FROM pg_catalog.pg_locks l WHERE l.pid = pg_backend_pid() AND l.locktype = 'advisory' "
                f"AND l.classid = {classid} AND l.objid = {objid} AND l.objsubid = 1)")
        tries = max(1, self.ctx.run_lock_timeout_ms // 500)
        attempt = (f"DO $$ BEGIN IF NOT {mine} THEN IF NOT pg_try_advisory_lock({key}) THEN PERFORM pg_sleep(0.5); "
                   "END IF; END IF; END $$")
        return [
            *self.run_lock_holder(),
            "\\set fixgen_quiet :QUIET",
            "\\set QUIET on",
            f"SELECT {self.lit(attempt)} FROM generate_series(1, {tries}) \\gexec",
            "\\set QUIET :fixgen_quiet",
            f"SELECT {mine} AS fixgen_locked \\gset",
            "\\if :fixgen_locked",
            "\\else",
            "DO $$ BEGIN RAISE EXCEPTION 'fixgen: nothing was changed: another run of this migration still held its "
            f"lock after {self.ctx.run_lock_timeout}; run this file again once it has finished'; END $$;",
            "\\endif",
        ]

    def run_hint(self, direction: str) -> str:
        return ("psql -f <this file>  (psql only: online mode runs step by step, not in one transaction; "
                "every step is safe to re-run after an interruption)")

    def unlimited(self, statements: list[str]) -> list[str]:
        """No time limits around statements that take long but let writes through.

        Their locks (SHARE UPDATE EXCLUSIVE, ACCESS SHARE) conflict with no write, so waiting for
        them - a concurrent build waits for every older transaction - holds up no writer; with
        lock_timeout they would fail whenever a long transaction runs somewhere.
        """
        return ["SET statement_timeout = 0;", "SET lock_timeout = 0;", *statements,
                f"SET statement_timeout = {self.lit(self.ctx.statement_timeout)};",
                f"SET lock_timeout = {self.lit(self.ctx.lock_timeout)};"]

    def brief(self, table: str, statement: str) -> list[str]:
        """A statement that takes a lock writers conflict with, in a transaction of its own: each try waits at most
        lock_timeout (so writers queue behind it at most that long); a try that times out is rolled back and,
        through pg_temp.fixgen_lock_wait, says whom it waits for and is tried again with backoff (--lock-wait)."""
        return [self.do([
            "LOOP",
            "  BEGIN",
            f"    {statement}",
            "    RETURN;",
            "  EXCEPTION WHEN lock_not_available THEN",
            f"    tries := pg_temp.fixgen_lock_wait({self.lit(table)}, tries, started, {self.lit(self.ctx.lock_wait)});",
            "  END;",
            "END LOOP;",
        ], declare="tries int := 0;\n  started timestamptz := clock_timestamp();")]

    @staticmethod
    def when(cond: str, statements: list[str]) -> list[str]:
        return [f"SELECT {cond} AS fixgen_do \\gset", "\\if :fixgen_do", *statements, "\\endif"]

    # ------------------------------------------------------------------ structure
    def prologue_block(self, direction: str) -> Block:
        """Helpers first: the preflight runs before the ledger exists (nothing may change if it fails)."""
        return Block(["the catalog lookups the guards use (temporary: this session only)"], self.helpers(direction))

    def helpers(self, direction: str) -> str:
        return super().helpers(direction).replace(HELPERS, ONLINE_HELPERS, 1)

    def partitioned_steps(self, op: Op, cond: str, other: list[str]) -> list[str]:
        """On a partitioned table (when `cond`), the statements partitions.py returns, each run by psql (those that
        take a lock writers conflict with retried on lock timeout, as brief() does); elsewhere (when `cond`) `other`."""
        steps = self.partition_steps(op)
        assert steps is not None
        partitioned = self.table_partitioned(op.table)
        retried = (f"pg_temp.fixgen_retried(ARRAY(SELECT step FROM {steps} AS step), {self.lit(op.table)}, "
                   f"{self.lit(self.ctx.lock_wait)})")
        out = self.when(f"{cond} AND {partitioned}", [f"SELECT step FROM {retried} AS step \\gexec"])
        return out + (self.when(f"{cond} AND NOT {partitioned}", other) if other else [])

    def preflight_up(self) -> list[Block]:
        blocks = super().preflight_up()
        ledger = Block(["the ledger: one row per change this migration made (see fixgen's docs/guarantees.md)"],
                       self.join(self.ledger_create()))
        for b in blocks:
            b.sql = self.join(self.unlimited([b.sql]))  # orphan scans read whole tables, without blocking writers
        return [*blocks, ledger]

    def preflight_down(self) -> list[Block]:
        # down reads the ledger; a database where up never ran has none (created after the check: it changes nothing)
        return [self.lost_block(),
                Block(["the ledger, if up never ran (then there is nothing to undo)"], self.join(self.ledger_create()))]

    def ledger_create(self) -> list[str]:
        return [ledger.create_table_sql("postgresql", self.q(LEDGER), online=True)]

    # ------------------------------------------------------------------ predicates
    def index_invalid(self, t: str, name: str) -> str:
        return f"pg_temp.fixgen_index_invalid({self.lit(t)}, {self.lit(name)})"

    def fk_not_valid(self, op: AddForeignKey) -> str:
        return f"pg_temp.fixgen_fk_not_valid({self.lit(op.table)}, {self.lit(op.name)})"

    def checks_create_index(self, op: CreateIndex) -> list[tuple[str, str]]:
        """An unusable index of that name is an interrupted build of ours, rebuilt on this run — unless another
        session is building it right now (not fixgen's: a run of this migration holds the run lock)."""
        builders = (f"(SELECT string_agg(p.pid::text, ', ') FROM pg_catalog.pg_stat_progress_create_index p "
                    f"WHERE p.index_relid = {self.rel(op.name)} AND p.pid <> pg_backend_pid())")
        return [*super().checks_create_index(op), (
            f"{self.index_invalid(op.table, op.name)} AND {builders} IS NOT NULL",
            self.concat_text([f"index {op.name} on {op.table} is being built right now by another session (pid ",
                              SqlText(builders), "); run this migration again once that build has finished"]))]

    def unless_leftover(self, op: CreateIndex | DropIndex) -> str:
        # an unusable index of that name is what an interrupted concurrent build or drop leaves:
        # rebuilt or dropped on this run, not a clash
        return f" AND NOT {self.index_invalid(op.table, op.name)}"

    def valid_index_named(self, t: str, name: str) -> str:
        return f"({self.index_named(t, name)} AND NOT {self.index_invalid(t, name)})"

    def done_create_index(self, op: CreateIndex) -> str:
        return self.valid_index_named(op.table, op.name)

    # undoing a create (pending_drop_index): an invalid leftover of ours is dropped too, as the base does

    def pending_create_index(self, op: CreateIndex) -> str:  # recreate unless a usable index of that name is back
        return f"NOT {self.valid_index_named(op.table, op.name)}"

    # ------------------------------------------------------------------ statements
    def create_index_concurrently(self, op: CreateIndex | DropIndex) -> list[str]:
        unique = "UNIQUE " if op.unique else ""
        return [
            *self.when(self.index_invalid(op.table, op.name), [f"DROP INDEX CONCURRENTLY IF EXISTS {self.q(op.name)};"]),
            *self.unlimited([f"CREATE {unique}INDEX CONCURRENTLY IF NOT EXISTS {self.q(op.name)} "
                             f"ON {self.q(op.table)} ({self.qcols(op.columns)});"]),
        ]

    def drop_index_concurrently(self, op: CreateIndex | DropIndex) -> list[str]:
        return self.unlimited([f"DROP INDEX CONCURRENTLY IF EXISTS {self.q(op.name)};"])

    def record(self, op: Op) -> str:
        return (f"INSERT INTO {self.q(LEDGER)} (migration, step, object_name)\n"
                f"  SELECT {self.ledger_values(op)} WHERE NOT {self.present(op)}\n  ON CONFLICT DO NOTHING;")

    def up_op(self, op: Op) -> list[str]:
        return [self.record(op), *getattr(self, f"up_{op.kind}")(op, f"{self.ledger_has(op)} AND NOT {self.done(op)}")]

    def up_create_index(self, op: CreateIndex, cond: str) -> list[str]:
        # the inner guard of the plain table's build drops an invalid leftover first
        return self.partitioned_steps(op, cond, self.create_index_concurrently(op))

    def up_drop_index(self, op: DropIndex, cond: str) -> list[str]:
        return self.when(cond, self.drop_index_concurrently(op))

    def up_add_foreign_key(self, op: AddForeignKey, cond: str) -> list[str]:
        mine = self.ledger_has(op)
        missing = f"{mine} AND NOT {self.fk_named(op)}"
        # a partitioned table takes no NOT VALID key: its partitions do (partitions.py), then the parent adopts them
        return [*self.partitioned_steps(op, missing, []),
                *self.not_valid_then_validate(self.statement(op), op, missing, mine)]

    def up_add_column(self, op: AddColumn, cond: str) -> list[str]:
        return self.when(cond, self.brief(op.table, f"ALTER TABLE {self.q(op.table)} ADD COLUMN IF NOT EXISTS "
                                                   f"{self.column_sql(op)};"))

    def up_rename_column(self, op: RenameColumn, cond: str) -> list[str]:
        return self.when(cond, self.brief(op.table, f"{self.statement(op)};"))

    def up_foreign_key_actions(self, op: ChangeForeignKeyActions, cond: str) -> list[str]:
        return self.recreate_fk_online(op.as_foreign_key(), cond, self.ledger_has(op))

    def recreate_fk_online(self, fk: AddForeignKey, cond: str, mine: str) -> list[str]:
        """Drop and re-add NOT VALID in one brief transaction, then validate without blocking writes."""
        return self.not_valid_then_validate(self.recreate_fk_sql(fk), fk, cond, mine)

    def not_valid_then_validate(self, add: str, fk: AddForeignKey, cond: str, mine: str) -> list[str]:
        """`add` (a statement ending in fk's ADD CONSTRAINT) NOT VALID when `cond`: a brief lock, no scan;
        then VALIDATE while it is not validated: a scan that lets writes through."""
        validate = f"ALTER TABLE {self.q(fk.table)} VALIDATE CONSTRAINT {self.q(fk.name)};"
        return (self.when(cond, self.brief(fk.table, f"{add} NOT VALID;"))
                + self.when(f"{mine} AND {self.fk_not_valid(fk)}", self.unlimited(["BEGIN;", validate, "COMMIT;"])))

    def down_op(self, op: Op) -> list[str]:
        # undo, then forget: a crash in between leaves a row whose object is gone, which the next run just forgets
        return [*getattr(self, f"down_{op.kind}")(op, f"{self.ledger_has(op)} AND {self.pending(op)}"),
                self.ledger_delete(op)]

    def down_drop_index(self, op: DropIndex, cond: str) -> list[str]:
        # partitioned: whenever recorded (a run cut after the parent index went still has partitions' to restore)
        return self.partitioned_steps(op, self.ledger_has(op), []) + self.when(cond, self.drop_index_concurrently(op))

    def down_create_index(self, op: CreateIndex, cond: str) -> list[str]:
        return self.when(cond, self.create_index_concurrently(op))

    def down_drop_foreign_key(self, op: DropForeignKey, cond: str) -> list[str]:
        drop = self.brief(op.table, f"ALTER TABLE {self.q(op.table)} DROP CONSTRAINT IF EXISTS {self.q(op.name)};")
        return self.partitioned_steps(op, self.ledger_has(op), []) + self.when(cond, drop)

    def down_drop_column(self, op: DropColumn, cond: str) -> list[str]:
        return self.when(cond, self.brief(op.table, f"ALTER TABLE {self.q(op.table)} DROP COLUMN IF EXISTS "
                                                   f"{self.q(op.column)};"))

    def down_rename_column(self, op: RenameColumn, cond: str) -> list[str]:
        return self.when(cond, self.brief(op.table, f"{self.statement(op)};"))

    def down_foreign_key_actions(self, op: ChangeForeignKeyActions, cond: str) -> list[str]:
        return self.recreate_fk_online(op.as_foreign_key(), cond, self.ledger_has(op))
