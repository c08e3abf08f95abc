"""PostgreSQL: one transaction, PL/pgSQL `DO` blocks over pg_catalog for every guard."""

from __future__ import annotations

import json
from functools import lru_cache

from fixgen import ledger, partitions
from fixgen.dialects import ACTIONS, POSTGRES_ACTION_CODES, POSTGRESQL
from fixgen.ops import AddColumn, AddForeignKey, CreateIndex, DropForeignKey, DropIndex, Op
from fixgen.targets.context import LEDGER
from fixgen.targets.sql.base import Block, Col, SqlRenderer, SqlText

# Catalog lookups as session-local helper functions (pg_temp: gone when the session ends),
# so every guard below reads as one call instead of a nested catalog query.
HELPERS = """\
CREATE OR REPLACE FUNCTION pg_temp.fixgen_rel(rel text) RETURNS regclass LANGUAGE sql STABLE
  AS $f$ SELECT to_regclass(format('%I.%I', current_schema(), rel)) $f$;
CREATE OR REPLACE FUNCTION pg_temp.fixgen_table_exists(tbl text) RETURNS boolean LANGUAGE sql STABLE
  AS $f$ SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class r
                        WHERE r.oid = pg_temp.fixgen_rel(tbl) AND r.relkind IN ('r', 'p')) $f$;
CREATE OR REPLACE FUNCTION pg_temp.fixgen_column_exists(tbl text, col text) RETURNS boolean LANGUAGE sql STABLE
  AS $f$ SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = pg_temp.fixgen_rel(tbl)
                        AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped) $f$;
-- attribute numbers of the columns, in order (NULL for a missing column)
CREATE OR REPLACE FUNCTION pg_temp.fixgen_attnums(tbl text, cols text[]) RETURNS int2[] LANGUAGE sql STABLE
  AS $f$ SELECT array_agg((SELECT a.attnum FROM pg_catalog.pg_attribute a WHERE a.attrelid = pg_temp.fixgen_rel(tbl)
                           AND a.attname = c.col AND NOT a.attisdropped) ORDER BY c.ord)
         FROM unnest(cols) WITH ORDINALITY AS c(col, ord) $f$;
CREATE OR REPLACE FUNCTION pg_temp.fixgen_index_named(tbl text, idx text) RETURNS boolean LANGUAGE sql STABLE
  AS $f$ SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                        WHERE i.indrelid = pg_temp.fixgen_rel(tbl) AND i.indexrelid = pg_temp.fixgen_rel(idx)) $f$;
-- a valid, non-partial index that leads with cols; uniq: unique on exactly cols; exact: exactly cols,
-- unique as uniq says; idx: only the index of that name
CREATE OR REPLACE FUNCTION pg_temp.fixgen_index_equiv(tbl text, cols text[], uniq boolean, exact boolean, idx text)
  RETURNS boolean LANGUAGE sql STABLE
  AS $f$ SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_index i
          WHERE i.indrelid = pg_temp.fixgen_rel(tbl) AND i.indisvalid AND i.indpred IS NULL
            AND (string_to_array(i.indkey::text, ' '))[1:cardinality(cols)] = pg_temp.fixgen_attnums(tbl, cols)::text[]
            AND (NOT uniq OR (i.indisunique AND i.indnkeyatts = cardinality(cols)))
            AND (NOT exact OR (i.indisunique = uniq AND i.indnkeyatts = cardinality(cols)))
            AND (idx IS NULL OR i.indexrelid = pg_temp.fixgen_rel(idx))) $f$;
-- a foreign key on exactly cols referencing reftbl (refcols), whatever its name
CREATE OR REPLACE FUNCTION pg_temp.fixgen_fk_equiv(tbl text, cols text[], reftbl text, refcols text[])
  RETURNS boolean LANGUAGE sql STABLE
  AS $f$ SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k
          WHERE k.contype = 'f' AND k.conrelid = pg_temp.fixgen_rel(tbl) AND k.confrelid = pg_temp.fixgen_rel(reftbl)
            AND k.conkey = pg_temp.fixgen_attnums(tbl, cols) AND k.confkey = pg_temp.fixgen_attnums(reftbl, refcols)) $f$;
-- the same, with these ON DELETE / ON UPDATE codes (pg_constraint's; NULL: any) and, if con is given, that name
CREATE OR REPLACE FUNCTION pg_temp.fixgen_fk_with(tbl text, cols text[], reftbl text, refcols text[], del "char",
                                                  upd "char", con text)
  RETURNS boolean LANGUAGE sql STABLE
  AS $f$ SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k
          WHERE k.contype = 'f' AND k.conrelid = pg_temp.fixgen_rel(tbl) AND k.confrelid = pg_temp.fixgen_rel(reftbl)
            AND k.conkey = pg_temp.fixgen_attnums(tbl, cols) AND k.confkey = pg_temp.fixgen_attnums(reftbl, refcols)
            AND (del IS NULL OR k.confdeltype = del) AND (upd IS NULL OR k.confupdtype = upd)
            AND (con IS NULL OR k.conname = con)) $f$;
CREATE OR REPLACE FUNCTION pg_temp.fixgen_fk_named(tbl text, con text) RETURNS boolean LANGUAGE sql STABLE
  AS $f$ SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k
                        WHERE k.conrelid = pg_temp.fixgen_rel(tbl) AND k.conname = con) $f$;"""




# what fixgen does its own way on a partitioned table, or refuses there: these kinds' preflight asks partitions.py
PARTITION_KINDS = {CreateIndex.kind, AddForeignKey.kind, DropIndex.kind, "foreign_key_actions"}


class PostgresRenderer(SqlRenderer):
    dialect = POSTGRESQL

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # same tables, over and over; an op's partitioned-table call is asked for by perform() and do_steps()
        for name in ("rel", "column_exists", "table_exists", "arr", "partition_steps"):
            setattr(self, name, lru_cache(maxsize=None)(getattr(self, name)))

    def begin(self) -> str:
        # psql goes on after a failed statement unless told not to, and then exits 0 for a rolled-back file
        return "\n".join([
            "\\set ON_ERROR_STOP on", "BEGIN;", "SET LOCAL client_min_messages = warning;", *self.run_lock_holder(),
            f"SET LOCAL lock_timeout = {self.lit(self.ctx.run_lock_timeout)};",
            # the transaction's lock; quietly (\\gset): no result table in psql's output
            f"SELECT pg_advisory_xact_lock({ledger.run_lock_key(self.ctx.migration_id)}) \\gset fixgen_lock_",
            "SET LOCAL lock_timeout TO DEFAULT;",
        ])

    def run_lock_holder(self) -> list[str]:
        """One run of this migration at a time (up and down alike): first say who holds its lock, if anyone."""
        classid, objid = ledger.run_lock_ids(self.ctx.migration_id)
        return [
            "-- one run of this migration at a time: another run (another deploy host, a retry whose killed",
            "-- predecessor's statement still runs on the server) is waited for; then this run finds its work done",
            "SELECT count(*) > 0 AS fixgen_held, string_agg(l.pid::text, ', ') AS fixgen_holder FROM pg_catalog.pg_locks l "
            f"WHERE l.locktype = 'advisory' AND l.granted AND l.classid = {classid} AND l.objid = {objid} "
            "AND l.objsubid = 1 \\gset",
            "\\if :fixgen_held",
            f"\\echo fixgen: waiting up to {self.ctx.run_lock_timeout} for another run of this migration (pid :fixgen_holder)",
            "\\endif",
        ]

    def commit(self) -> str:
        return "COMMIT;"

    def run_hint(self, direction: str) -> str:
        return "psql -f <this file>  (one transaction: all or nothing; psql only: it sets ON_ERROR_STOP itself)"

    def do(self, body: list[str], declare: str = "") -> str:
        inner = "  " + "\n  ".join(body)
        decl = f"DECLARE\n  {declare}\n" if declare else ""
        tag, n = "$fixgen$", 0
        while tag in inner:  # '$' is legal in names and defaults: never let one end the block
            n += 1
            tag = f"$fixgen{n}$"
        return f"DO {tag}\n{decl}BEGIN\n{inner}\nEND\n{tag};"

    # ------------------------------------------------------------------ ledger
    def ledger_create(self) -> list[str]:
        return [ledger.create_table_sql("postgresql", self.q(LEDGER))]

    def ledger_drop(self) -> list[str]:
        return [self.do([f"IF NOT EXISTS (SELECT 1 FROM {self.q(LEDGER)}) THEN",
                         f"  DROP TABLE {self.q(LEDGER)};", "END IF;"])]

    def insert_ignore(self, values: str) -> str:
        return f"INSERT INTO {self.q(LEDGER)} (migration, step, object_name) VALUES ({values})\n  ON CONFLICT DO NOTHING;"

    def preflight_down(self) -> list[Block]:
        return [self.lost_block()]

    def lost_block(self) -> Block:
        """Down: refuse, before any change, when the ledger has no row of this migration but its changes are here."""
        before, after = self.lost_message()
        body = [f"IF {self.rel(LEDGER)} IS NOT NULL THEN", f"  recorded := {self.migration_recorded()};", "END IF;",
                "IF NOT recorded THEN"]
        for cond, step in self.lost_checks():
            body += [f"  IF {cond} THEN", f"    lost := array_append(lost, {self.lit(step)}::text);", "  END IF;"]
        body += ["END IF;", "IF cardinality(lost) > 0 THEN",
                 f"  RAISE EXCEPTION USING MESSAGE = {self.lit(before)} || array_to_string(lost, ', ') || {self.lit(after)};",
                 "END IF;"]
        return Block(["no record of this migration in the ledger: nothing to undo, unless its changes are here"],
                     self.do(body, declare="recorded boolean := false;\n  lost text[] := '{}';"))

    def prologue_block(self, direction: str) -> Block:
        block = super().prologue_block(direction)
        return Block([*block.comments, "and the catalog lookups the guards use (temporary: this session only)"],
                     block.sql + "\n" + self.helpers(direction))

    def helpers(self, direction: str) -> str:
        """The catalog lookups, and for a plan that adds indexes or foreign keys, the partitioned-table steps
        this direction runs (up: the preflight and the additions; down: their undoing)."""
        kinds = {op.kind for op in self.plan.ops}
        wanted = ["preflight"] if kinds & PARTITION_KINDS and direction == "up" else []
        wanted += [f"index_{direction}"] if CreateIndex.kind in kinds else []
        wanted += [f"fk_{direction}"] if AddForeignKey.kind in kinds else []
        if not wanted:
            return HELPERS
        return "\n".join([HELPERS, "-- partitioned tables (fixgen/partitions.py): each returns the statements to run;",
                          "-- they read the ledger, which the online preflight runs before",
                          "SET check_function_bodies = off;",
                          *(partitions.pg_function(k, self.ctx.online, self.q(LEDGER)) for k in wanted),
                          "RESET check_function_bodies;"])

    # ------------------------------------------------------------------ partitioned tables
    def partition_call(self, kind: str, op: Op, **values: object) -> str:
        """The statements (a set of text) that do `kind` for op on its partitioned table, or nothing elsewhere."""
        base: dict[str, object] = {"tbl": op.table, "migration": self.ctx.migration_id,
                                   "step": self.step_of(op), "lock_timeout": self.ctx.lock_timeout,
                                   "statement_timeout": self.ctx.statement_timeout}
        return partitions.call(kind, self.ctx.online, {**base, **values}, self.lit)

    def index_args(self, op: CreateIndex | DropIndex) -> dict[str, object]:
        return {"name": op.name, "cols": json.dumps(list(op.columns)), "uniq": op.unique}

    def fk_args(self, op: AddForeignKey | DropForeignKey) -> dict[str, object]:
        return {"name": op.name, "cols": json.dumps(list(op.columns)), "reftbl": op.ref_table,
                "refcols": json.dumps(list(op.ref_columns)), "on_delete": ACTIONS[op.on_delete],
                "on_update": ACTIONS[op.on_update]}

    def partition_steps(self, op: Op) -> str | None:
        """For an op that fixgen does its own way on a partitioned table: the call that returns its statements."""
        if op.kind == CreateIndex.kind:
            return self.partition_call("index_up", op, **self.index_args(op))
        if op.kind == AddForeignKey.kind:
            return self.partition_call("fk_up", op, **self.fk_args(op))
        if op.kind == DropIndex.kind and op.undoes:
            return self.partition_call("index_down", op, **self.index_args(op))
        if op.kind == DropForeignKey.kind and op.undoes:
            return self.partition_call("fk_down", op, **self.fk_args(op))
        return None

    def partition_problems(self, op: Op) -> str | None:
        """The preflight call listing what PostgreSQL would refuse (or fixgen could not undo) for op."""
        if op.kind not in PARTITION_KINDS:
            return None
        key = op if isinstance(op, AddForeignKey) else None  # its column types, against the referenced key's
        cols = op.columns if isinstance(op, (CreateIndex, DropIndex, AddForeignKey)) else ()
        values = {"tbl": op.table, "cols": json.dumps(list(cols)), "uniq": bool(getattr(op, "unique", False)),
                  "kind": op.kind, "what": op.describe(), "reftbl": key.ref_table if key else "",
                  "refcols": json.dumps(list(key.ref_columns) if key else [])}
        return partitions.call("preflight", self.ctx.online, values, self.lit)

    # ------------------------------------------------------------------ predicates
    def rel(self, name: str) -> str:
        return f"pg_temp.fixgen_rel({self.lit(name)})"

    def arr(self, names: tuple[str, ...]) -> str:
        return "ARRAY[" + ", ".join(self.lit(n) for n in names) + "]"

    def table_exists(self, t: str) -> str:
        return f"pg_temp.fixgen_table_exists({self.lit(t)})"

    def column_exists(self, t: str, c: str) -> str:
        return f"pg_temp.fixgen_column_exists({self.lit(t)}, {self.lit(c)})"

    def table_partitioned(self, t: str) -> str:
        return f"EXISTS (SELECT 1 FROM pg_catalog.pg_class r WHERE r.oid = {self.rel(t)} AND r.relkind = 'p')"

    def index_named(self, t: str, name: str) -> str:
        return f"pg_temp.fixgen_index_named({self.lit(t)}, {self.lit(name)})"

    def index_name_taken(self, name: str, t: str) -> str:
        return f"({self.rel(name)} IS NOT NULL)"

    def index_equiv(self, t: str, cols: tuple[str, ...], unique: bool, exact: bool = False,
                    name: str | None = None) -> str:
        idx = self.lit(name) if name is not None else "NULL"
        return (f"pg_temp.fixgen_index_equiv({self.lit(t)}, {self.arr(cols)}, {self.lit(unique)}, {self.lit(exact)}, "
                f"{idx})")

    def fk_equiv(self, op: AddForeignKey) -> str:
        return (f"pg_temp.fixgen_fk_equiv({self.lit(op.table)}, {self.arr(op.columns)}, {self.lit(op.ref_table)}, "
                f"{self.arr(op.ref_columns)})")

    def fk_named(self, op: AddForeignKey) -> str:
        return f"pg_temp.fixgen_fk_named({self.lit(op.table)}, {self.lit(op.name)})"

    def fk_with(self, fk: AddForeignKey, name: str | None, actions: bool = True) -> str:
        codes = (f"{self.lit(POSTGRES_ACTION_CODES[fk.on_delete])}, {self.lit(POSTGRES_ACTION_CODES[fk.on_update])}" if actions
                 else "NULL, NULL")
        return (f"pg_temp.fixgen_fk_with({self.lit(fk.table)}, {self.arr(fk.columns)}, {self.lit(fk.ref_table)}, "
                f"{self.arr(fk.ref_columns)}, {codes}, {self.lit(name) if name is not None else 'NULL'})")

    def fk_actions_text(self, t: str, name: str) -> SqlText:
        spell = "CASE {} " + " ".join(f"WHEN '{code}' THEN '{ACTIONS[name]}'" for name, code in POSTGRES_ACTION_CODES.items()
                                      if name in ACTIONS) + " ELSE 'SET DEFAULT' END"
        return SqlText(f"(SELECT 'ON DELETE ' || {spell.format('k.confdeltype')} || ' ON UPDATE ' || "
                       f"{spell.format('k.confupdtype')} FROM pg_catalog.pg_constraint k "
                       f"WHERE k.conrelid = {self.rel(t)} AND k.conname = {self.lit(name)})")

    def concat_text(self, parts: list[str]) -> SqlText:
        return SqlText("(" + " || ".join(self.message_sql(p) for p in parts) + ")")

    def column_not_null(self, t: str, c: str) -> str:
        return (f"EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = {self.rel(t)} "
                f"AND a.attname = {self.lit(c)} AND a.attnotnull AND NOT a.attisdropped)")

    # ------------------------------------------------------------------ preflight
    def checks_drop_index(self, op: DropIndex) -> list[tuple[str, str]]:
        checks = super().checks_drop_index(op)
        checks.append((
            f"EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = {self.rel(op.name)} "
            f"AND {self.index_named(op.table, op.name)})",
            f"cannot drop index {op.name} on {op.table}: a constraint (primary key, unique or a foreign key "
            "that references it) depends on it"))
        return checks

    def name_expr(self, c: Col) -> str:
        """The column's name at migration time, as a text expression."""
        if not c.old:
            return self.lit(c.name)
        return f"CASE WHEN {self.column_exists(c.table, c.name)} THEN {self.lit(c.name)} ELSE {self.lit(c.old)} END"

    def preflight_up(self) -> list[Block]:
        """Report every problem at once; data checks only run once the catalog checks passed."""
        raise_all = ["IF cardinality(problems) > 0 THEN",
                     "  RAISE EXCEPTION USING MESSAGE = 'fixgen: nothing was changed: ' || array_to_string(problems, '; ');",
                     "END IF;"]
        body = []
        for cond, message in self.checks_up():
            body += [f"IF {cond} THEN", f"  problems := array_append(problems, {self.message_sql(message)}::text);",
                     "END IF;"]
        for op in self.plan.ops:
            problems = self.partition_problems(op)
            if problems:
                body.append(f"problems := problems || ARRAY(SELECT {problems});")
        body += raise_all
        for op in self.plan.of(AddForeignKey):
            body += self.fk_data_checks(op)
        body += raise_all
        return [Block(["preflight: stop before changing anything if the database cannot take these fixes"],
                      self.do(body, declare="n bigint;\n  problems text[] := '{}';"))]

    def typed_literal(self, op: AddColumn) -> str:
        return f"CAST({self.lit(op.default)} AS {self.dialect.column_type(op.type)})"

    def fk_data_checks(self, op: AddForeignKey) -> list[str]:
        cols = [self.col(op.table, c) for c in op.columns]
        new = self.new_column_values(op.table, op.columns)
        lines = self.orphan_count(op, cols, {})
        if new:  # a column this plan adds: before up it holds nothing to check, but after it its default
            exist = " AND ".join(self.column_exists(op.table, c) for c in new)
            lines = [f"IF {exist} THEN", *("  " + line for line in lines), "ELSE",
                     *("  " + line for line in self.orphan_count(op, cols, new)), "END IF;"]
        return lines + self.set_null_check(op, cols)

    def orphan_count(self, op: AddForeignKey, cols: list[Col], values: dict[str, str]) -> list[str]:
        """Count (and report) the rows the foreign key would reject; `values`: what a column not there yet will hold."""
        def fq(name: str) -> str:  # a quoted name or literal inside a format() string
            return self.q(name).replace("%", "%%")

        def value(c: Col) -> str:
            return values[c.name].replace("%", "%%") if c.name in values else "c.%I"

        args = ", ".join(self.name_expr(c) for c in cols if c.name not in values)
        nulls = " AND ".join(f"{value(c)} IS NOT NULL" for c in cols)
        match = " AND ".join(f"p.{fq(r)} = {value(c)}" for r, c in zip(op.ref_columns, cols, strict=True))
        query = (f"SELECT * FROM {fq(op.table)} c WHERE {nulls} AND NOT EXISTS "
                 f"(SELECT 1 FROM {fq(op.ref_table)} p WHERE {match})")
        table, ref = op.table.replace("%", "%%"), op.ref_table.replace("%", "%%")
        ref_cols = ", ".join(op.ref_columns).replace("%", "%%")
        fmt_args = "".join(f", {a}" for a in filter(None, [args, args]))
        names = " || ', ' || ".join(self.name_expr(c) for c in cols)
        return [
            f"EXECUTE format({self.lit(query.replace('SELECT *', 'SELECT count(*)', 1))}{fmt_args}) INTO n;",
            "IF n > 0 THEN",
            f"  problems := array_append(problems, format('%s orphan row(s) in {table} (%s) have no matching row in "
            f"{ref} ({ref_cols}); list them with: %s', n, {names}, format({self.lit(query)}{fmt_args})));",
            "END IF;",
        ]

    def set_null_check(self, op: AddForeignKey, cols: list[Col]) -> list[str]:
        lines: list[str] = []
        if "set_null" in (op.on_delete, op.on_update):
            candidates = ", ".join(self.lit(n) for c in cols for n in (c.name, c.old) if n)
            msg = f"foreign key {op.name} uses SET NULL but {op.table} ({', '.join(op.columns)}) is NOT NULL"
            lines += [
                f"IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = {self.rel(op.table)} "
                f"AND a.attname IN ({candidates}) AND a.attnotnull) THEN",
                f"  problems := array_append(problems, {self.lit(msg)}::text);",
                "END IF;",
            ]
        return lines

    # ------------------------------------------------------------------ ops
    def perform(self, op: Op, indent: str) -> list[str]:
        """op's statement; on a partitioned table, the statements partitions.py returns for it."""
        steps = self.partition_steps(op)
        if steps is None:
            return [f"{indent}{self.statement(op)};"]
        return [f"{indent}IF {self.table_partitioned(op.table)} THEN",
                f"{indent}  FOR fixgen_step IN SELECT {steps} LOOP EXECUTE fixgen_step; END LOOP;",
                f"{indent}ELSE", f"{indent}  {self.statement(op)};", f"{indent}END IF;"]

    def do_steps(self, body: list[str], op: Op) -> str:
        return self.do(body, declare="fixgen_step text;" if self.partition_steps(op) else "")

    def up_op(self, op: Op) -> list[str]:
        return [self.do_steps([
            f"IF NOT {self.present(op)} THEN",
            f"  INSERT INTO {self.q(LEDGER)} (migration, step, object_name) VALUES ({self.ledger_values(op)})",
            "    ON CONFLICT DO NOTHING;",
            "END IF;",
            f"IF {self.ledger_has(op)} AND NOT {self.done(op)} THEN",
            *self.perform(op, "  "),
            "END IF;",
        ], op)]

    def down_op(self, op: Op) -> list[str]:
        return [self.do_steps([
            f"IF {self.ledger_has(op)} THEN",
            f"  IF {self.pending(op)} THEN",
            *self.perform(op, "    "),
            "  END IF;",
            f"  {self.ledger_delete(op)}",
            "END IF;",
        ], op)]
