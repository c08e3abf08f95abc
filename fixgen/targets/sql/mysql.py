"""MySQL 8.0+ / MariaDB 10.5+: information_schema guards executed through prepared statements.

MySQL has no IF [NOT] EXISTS for indexes and constraints and no conditional DDL
outside stored programs, so every guarded statement is chosen by IF() into a user
variable and run with PREPARE/EXECUTE ('DO 0' when there is nothing to do). DDL
commits implicitly: the guards, not a transaction, make a re-run after a failure safe.
"""

from __future__ import annotations

import re

from fixgen import ledger
from fixgen.dialects import ACTIONS, MYSQL
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
from fixgen.targets.sql.base import Block, Col, SqlRenderer, SqlText, wrap_and

IS = "information_schema"
EXEC = "PREPARE fixgen_stmt FROM @fixgen_sql; EXECUTE fixgen_stmt; DEALLOCATE PREPARE fixgen_stmt;"
CHECKS_PER_STATEMENT = 40


def _rules(action: str) -> str:
    """information_schema's spellings of every action InnoDB applies as this one (MariaDB reports
    RESTRICT for a foreign key declared without actions)."""
    same = MYSQL.same_action(action)
    return ", ".join(f"'{sql}'" for name, sql in reversed(ACTIONS.items()) if MYSQL.same_action(name) == same)


class MySQLRenderer(SqlRenderer):
    dialect = MYSQL

    def run_hint(self, direction: str) -> str:
        return "mysql <database> < <this file>  (or mariadb; stops at the first error)"

    def begin(self) -> str:
        lines = []
        if any(isinstance(op.default, str) and "\\" in op.default for op in self.plan.of(AddColumn)):
            # literals here escape \ as \\: make the session read them that way whatever the server's sql_mode
            lines += ["-- string literals below escape backslashes: read them so even under NO_BACKSLASH_ESCAPES",
                      "SET SESSION sql_mode = REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', '');"]
        lines += self.run_lock()
        if self.ctx.online:
            secs = max(1, -(-self.ctx.lock_timeout_ms // 1000))  # whole seconds, rounded up
            lines += [f"-- online: wait at most {secs} s for a lock instead of queueing writers behind this migration",
                      f"SET SESSION lock_wait_timeout = {secs};", f"SET SESSION innodb_lock_wait_timeout = {secs};"]
        return "\n".join(lines)

    def run_lock(self) -> list[str]:
        """One run of this migration at a time (up and down alike): GET_LOCK belongs to the connection, so a
        retry also waits for a killed client's statement that still runs on the server."""
        name, secs = self.lit(ledger.run_lock_name(self.ctx.migration_id)), max(1, self.ctx.run_lock_timeout_ms // 1000)
        return [
            "-- one run of this migration at a time: another run (another deploy host, a retry whose killed",
            "-- predecessor's statement still runs on the server) is waited for; then this run finds its work done",
            f"SET @fixgen_holder = IS_USED_LOCK({name});",
            f"SELECT CONCAT('fixgen: waiting up to {secs} s for another run of this migration (connection ', "
            "@fixgen_holder, ')') AS fixgen_waiting FROM DUAL WHERE @fixgen_holder IS NOT NULL;",
            f"SET @fixgen_msg = IF(GET_LOCK({name}, {secs}) = 1, NULL, CONCAT('fixgen: nothing was changed: another "
            f"run of this migration (connection ', IFNULL(IS_USED_LOCK({name}), '?'), ') held its lock for {secs} s; "
            "run this file again once it has finished'));",
            *self.fail_if_message(),
        ]

    def commit(self) -> str:
        return f"DO RELEASE_LOCK({self.lit(ledger.run_lock_name(self.ctx.migration_id))});"

    def online_clause(self) -> str:
        """Fail rather than block writes: InnoDB refuses LOCK=NONE where it would have to lock."""
        return ", ALGORITHM=INPLACE, LOCK=NONE" if self.ctx.online else ""

    def run_if(self, cond: str, statement: str, table: str) -> list[str]:
        """The statement on a line of its own, then the guard that replaces it by a no-op, then run it (online:
        retried on lock timeout, saying the table it waits for)."""
        return [f"SET @fixgen_sql = {self.lit(statement)};",
                f"SET @fixgen_sql = IF({wrap_and(cond)},\n  @fixgen_sql, 'DO 0');", self.exec_step(table)]

    def exec_step(self, table: str) -> str:
        return f"CALL {self.q(self.retry_procedure())}({self.lit(table)});" if self.ctx.online else EXEC

    def retry_procedure(self) -> str:
        return "fixgen_retry_" + ledger.run_lock_name(self.ctx.migration_id).split(":", 1)[1][:32]

    def steps_begin(self) -> list[Block]:
        """Online: a plain MySQL script cannot loop, a stored procedure can. This one runs @fixgen_sql, and on a
        lock wait timeout (1205: a metadata or row lock held by another session; each try waited at most
        lock_wait_timeout) says whom it waits for, pauses (0.1 s, doubling, at most 5 s) and tries again, for
        --lock-wait in all. Made after the preflight (which stops without leaving it), dropped after the last
        step; a run cut in between leaves it, and the next run replaces it."""
        if not self.ctx.online:
            return []
        name, wait = self.q(self.retry_procedure()), max(0, -(-self.ctx.lock_wait_ms // 1000))
        holders = ("SELECT IFNULL(GROUP_CONCAT(CONCAT('id ', t.trx_mysql_thread_id, ' (', TIMESTAMPDIFF(SECOND, "
                   "t.trx_started, NOW()), ' s in a transaction)') SEPARATOR ', '), 'nobody now') INTO holders "
                   "FROM information_schema.INNODB_TRX t WHERE t.trx_mysql_thread_id <> CONNECTION_ID();")
        body = [
            f"DROP PROCEDURE IF EXISTS {name};",
            "DELIMITER //",
            f"CREATE PROCEDURE {name}(IN tbl VARCHAR(255))",
            "BEGIN",
            "  DECLARE tries INT DEFAULT 0;",
            "  DECLARE started DOUBLE DEFAULT UNIX_TIMESTAMP(NOW(6));",
            "  DECLARE pause DOUBLE;",
            "  DECLARE timed_out INT DEFAULT 0;",
            "  DECLARE holders TEXT;",
            "  DECLARE msg VARCHAR(500);",
            "  DECLARE CONTINUE HANDLER FOR 1205 SET timed_out = 1;",
            "  PREPARE fixgen_step FROM @fixgen_sql;",
            "  retry: LOOP",
            "    SET timed_out = 0;",
            "    EXECUTE fixgen_step;",
            "    IF timed_out = 0 THEN",
            "      LEAVE retry;",
            "    END IF;",
            f"    {holders}",
            "    SET pause = LEAST(0.1 * POW(2, tries), 5);",
            f"    IF UNIX_TIMESTAMP(NOW(6)) + pause > started + {wait} THEN",
            "      DEALLOCATE PREPARE fixgen_step;",
            f"      SET msg = LEFT(CONCAT('fixgen: gave up waiting for a lock on ', tbl, ' after {wait} s (held by: ', holders,",
            "                            '); this step changed nothing: run the file again'), 500);",
            "      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = msg;",
            "    END IF;",
            "    SELECT CONCAT('fixgen: waiting for a lock on ', tbl, ' (held by: ', holders, '); trying again in ',",
            "                  ROUND(pause, 1), ' s') AS fixgen_waiting;",
            "    DO SLEEP(pause);",
            "    SET tries = tries + 1;",
            "  END LOOP;",
            "  DEALLOCATE PREPARE fixgen_step;",
            "END //",
            "DELIMITER ;",
        ]
        return [Block(["online: the procedure that retries a step whose lock wait timed out (dropped at the end)"],
                      "\n".join(body))]

    def steps_end(self) -> list[Block]:
        if not self.ctx.online:
            return []
        return [Block(["the retry procedure is no longer needed"], f"DROP PROCEDURE IF EXISTS {self.q(self.retry_procedure())};")]

    def fail_if_message(self) -> list[str]:
        """Stop the script when @fixgen_msg is set: print it in full, then raise an error."""
        return [
            "SELECT @fixgen_msg AS fixgen_error FROM DUAL WHERE @fixgen_msg IS NOT NULL;",
            "SET @fixgen_sql = IF(@fixgen_msg IS NULL, 'DO 0', IF(VERSION() LIKE '%MariaDB%',\n"
            "  CONCAT('SIGNAL SQLSTATE ''45000'' SET MESSAGE_TEXT = ', QUOTE(LEFT(@fixgen_msg, 500))),\n"
            "  CONCAT('SELECT `', LEFT(REPLACE(@fixgen_msg, '`', ''''), 64), '` FROM DUAL')));",
            EXEC,
        ]

    # ------------------------------------------------------------------ ledger
    def ledger_create(self) -> list[str]:
        return [ledger.create_table_sql("mysql", self.q(LEDGER))]

    def ledger_drop(self) -> list[str]:
        return self.run_if(f"NOT EXISTS (SELECT 1 FROM {self.q(LEDGER)})", f"DROP TABLE {self.q(LEDGER)}", LEDGER)

    def insert_ignore(self, values: str) -> str:
        return f"INSERT IGNORE INTO {self.q(LEDGER)} (migration, step, object_name) VALUES ({values});"

    def prologue_block(self, direction: str) -> Block:
        block = super().prologue_block(direction)
        if direction == "up":
            return block
        # down: refuse before the ledger is created (DDL commits) when it has no row of this migration but the
        # changes are here; read dynamically, as the table may not exist
        before, after = self.lost_message()
        count = f"SELECT COUNT(*) INTO @fixgen_recorded FROM {self.q(LEDGER)} WHERE migration = {self.migration_ref()}"
        lines = ["SET @fixgen_recorded = 0;", f"SET @fixgen_sql = IF({self.has_ledger()}, {self.lit(count)}, 'DO 0');",
                 EXEC, "SET @fixgen_msg = NULL;"]
        checks = self.lost_checks()
        for start in range(0, len(checks), CHECKS_PER_STATEMENT):
            terms = ",\n  ".join(f"IF({cond}, {self.lit(step)}, NULL)"
                                  for cond, step in checks[start:start + CHECKS_PER_STATEMENT])
            lines.append(f"SET @fixgen_msg = IF(@fixgen_recorded > 0, NULL, NULLIF(CONCAT_WS(', ', @fixgen_msg,\n"
                         f"  {terms}), ''));")
        lines += [f"SET @fixgen_msg = IF(@fixgen_msg IS NULL, NULL, CONCAT({self.lit(before)}, @fixgen_msg, "
                  f"{self.lit(after)}));", *self.fail_if_message()]
        return Block(["no record of this migration in the ledger: nothing to undo, unless its changes are here",
                      *block.comments], self.join(lines) + "\n" + block.sql)

    def has_ledger(self) -> str:
        return (f"EXISTS (SELECT 1 FROM {IS}.TABLES t WHERE t.TABLE_SCHEMA = DATABASE() "
                f"AND t.TABLE_NAME = {self.lit(LEDGER)})")

    # ------------------------------------------------------------------ predicates
    def where_table(self, alias: str, t: str) -> str:
        return f"{alias}.TABLE_SCHEMA = DATABASE() AND {alias}.TABLE_NAME = {self.lit(t)}"

    def table_exists(self, t: str) -> str:
        return f"EXISTS (SELECT 1 FROM {IS}.TABLES t WHERE {self.where_table('t', t)} AND t.TABLE_TYPE = 'BASE TABLE')"

    def column_exists(self, t: str, c: str) -> str:
        return (f"EXISTS (SELECT 1 FROM {IS}.COLUMNS c WHERE {self.where_table('c', t)} "
                f"AND c.COLUMN_NAME = {self.lit(c)})")

    def index_named(self, t: str, name: str) -> str:
        return (f"EXISTS (SELECT 1 FROM {IS}.STATISTICS s WHERE {self.where_table('s', t)} "
                f"AND s.INDEX_NAME = {self.lit(name)})")

    def index_equiv(self, t: str, cols: tuple[str, ...], unique: bool, exact: bool = False,
                    name: str | None = None) -> str:
        k = len(cols)
        pos = " OR ".join(f"(s.SEQ_IN_INDEX = {i} AND s.COLUMN_NAME = {self.lit(c)})"
                          for i, c in enumerate(cols, 1))
        cond = [self.where_table("s", t), "s.SUB_PART IS NULL", f"({pos})"]
        if unique:
            cond.append("s.NON_UNIQUE = 0")
        elif exact:
            cond.append("s.NON_UNIQUE = 1")
        if name is not None:
            cond.append(f"s.INDEX_NAME = {self.lit(name)}")
        if unique or exact:
            cond.append(f"NOT EXISTS (SELECT 1 FROM {IS}.STATISTICS s2 WHERE {self.where_table('s2', t)} "
                        f"AND s2.INDEX_NAME = s.INDEX_NAME AND s2.SEQ_IN_INDEX > {k})")
        return (f"EXISTS (SELECT 1 FROM {IS}.STATISTICS s WHERE " + " AND ".join(cond)
                + f" GROUP BY s.INDEX_NAME HAVING COUNT(*) = {k})")

    def fk_equiv(self, op: AddForeignKey) -> str:
        k = len(op.columns)
        pos = " OR ".join(
            f"(k.ORDINAL_POSITION = {i} AND k.COLUMN_NAME = {self.lit(c)} AND k.REFERENCED_COLUMN_NAME = {self.lit(r)})"
            for i, (c, r) in enumerate(zip(op.columns, op.ref_columns, strict=True), 1))
        return (f"EXISTS (SELECT 1 FROM {IS}.KEY_COLUMN_USAGE k WHERE {self.where_table('k', op.table)} "
                f"AND k.REFERENCED_TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME = {self.lit(op.ref_table)} "
                f"AND ({pos}) AND NOT EXISTS (SELECT 1 FROM {IS}.KEY_COLUMN_USAGE k2 WHERE "
                f"{self.where_table('k2', op.table)} AND k2.CONSTRAINT_NAME = k.CONSTRAINT_NAME "
                f"AND k2.ORDINAL_POSITION > {k}) GROUP BY k.CONSTRAINT_NAME HAVING COUNT(*) = {k})")

    def fk_with(self, fk: AddForeignKey, name: str | None, actions: bool = True) -> str:
        k = len(fk.columns)
        pos = " OR ".join(
            f"(k.ORDINAL_POSITION = {i} AND k.COLUMN_NAME = {self.lit(c)} AND k.REFERENCED_COLUMN_NAME = {self.lit(r)})"
            for i, (c, r) in enumerate(zip(fk.columns, fk.ref_columns, strict=True), 1))
        cond = [f"r.CONSTRAINT_SCHEMA = DATABASE() AND r.TABLE_NAME = {self.lit(fk.table)}",
                f"r.REFERENCED_TABLE_NAME = {self.lit(fk.ref_table)}"]
        if name is not None:
            cond.append(f"r.CONSTRAINT_NAME = {self.lit(name)}")
        if actions:
            cond.append(f"r.DELETE_RULE IN ({_rules(fk.on_delete)}) AND r.UPDATE_RULE IN ({_rules(fk.on_update)})")
        return (f"EXISTS (SELECT 1 FROM {IS}.REFERENTIAL_CONSTRAINTS r WHERE {' AND '.join(cond)} "
                f"AND r.CONSTRAINT_NAME IN (SELECT k.CONSTRAINT_NAME FROM {IS}.KEY_COLUMN_USAGE k WHERE "
                f"{self.where_table('k', fk.table)} AND ({pos}) AND NOT EXISTS (SELECT 1 FROM {IS}.KEY_COLUMN_USAGE k2 "
                f"WHERE {self.where_table('k2', fk.table)} AND k2.CONSTRAINT_NAME = k.CONSTRAINT_NAME "
                f"AND k2.ORDINAL_POSITION > {k}) GROUP BY k.CONSTRAINT_NAME HAVING COUNT(*) = {k}))")

    def fk_actions_text(self, t: str, name: str) -> SqlText:
        return SqlText(f"(SELECT CONCAT('ON DELETE ', r.DELETE_RULE, ' ON UPDATE ', r.UPDATE_RULE) FROM "
                       f"{IS}.REFERENTIAL_CONSTRAINTS r WHERE r.CONSTRAINT_SCHEMA = DATABASE() "
                       f"AND r.TABLE_NAME = {self.lit(t)} AND r.CONSTRAINT_NAME = {self.lit(name)})")

    def concat_text(self, parts: list[str]) -> SqlText:
        return SqlText(f"CONCAT({', '.join(self.message_sql(p) for p in parts)})")

    def column_not_null(self, t: str, c: str) -> str:
        return (f"EXISTS (SELECT 1 FROM {IS}.COLUMNS c WHERE {self.where_table('c', t)} "
                f"AND c.COLUMN_NAME = {self.lit(c)} AND c.IS_NULLABLE = 'NO')")

    def recorded_var(self, op: Op) -> str:
        return f"@fixgen_recorded_{self.fk_actions_ops().index(op)}"

    def fk_actions_ops(self) -> list[ChangeForeignKeyActions]:
        return self.plan.of(ChangeForeignKeyActions)

    def unless_recorded(self, op: ChangeForeignKeyActions) -> str:
        # MySQL drops and re-adds a foreign key in two statements: a crash between them leaves it
        # absent, recorded in the ledger (which the preflight reads through recorded_var)
        return f" AND NOT {self.recorded_var(op)}"

    def read_recorded(self) -> list[str]:
        """Set recorded_var for every foreign-key change: the ledger may not exist yet, so read it dynamically."""
        lines = []
        has_ledger = self.has_ledger()
        for op in self.fk_actions_ops():
            var = self.recorded_var(op)
            query = (f"SELECT COUNT(*) INTO {var} FROM {self.q(LEDGER)} WHERE migration = {self.lit(self.ctx.migration_id)} "
                     f"AND step = {self.lit(op.key)}")
            lines += [f"SET {var} = 0;", f"SET @fixgen_sql = IF({has_ledger}, {self.lit(query)}, 'DO 0');", EXEC]
        return lines

    def fk_named(self, op: AddForeignKey) -> str:
        return (f"EXISTS (SELECT 1 FROM {IS}.REFERENTIAL_CONSTRAINTS r WHERE r.CONSTRAINT_SCHEMA = DATABASE() "
                f"AND r.TABLE_NAME = {self.lit(op.table)} AND r.CONSTRAINT_NAME = {self.lit(op.name)})")

    def fk_name_in_schema(self, op: AddForeignKey) -> str:
        return (f"EXISTS (SELECT 1 FROM {IS}.REFERENTIAL_CONSTRAINTS r WHERE r.CONSTRAINT_SCHEMA = DATABASE() "
                f"AND r.CONSTRAINT_NAME = {self.lit(op.name)})")

    # ------------------------------------------------------------------ preflight
    def checks_create_index(self, op: CreateIndex) -> list[tuple[str, str]]:
        """A unique index on a partitioned table must hold every column of its partitioning function (error 1503)."""
        checks = super().checks_create_index(op)
        if op.unique:
            cols = ", ".join(self.lit(c) for c in op.columns)
            lacking = (f"(SELECT GROUP_CONCAT(DISTINCT c.COLUMN_NAME ORDER BY c.COLUMN_NAME SEPARATOR ', ') "
                       f"FROM {IS}.PARTITIONS p JOIN {IS}.COLUMNS c ON c.TABLE_SCHEMA = p.TABLE_SCHEMA "
                       f"AND c.TABLE_NAME = p.TABLE_NAME WHERE p.TABLE_SCHEMA = DATABASE() "
                       f"AND p.TABLE_NAME = {self.lit(op.table)} AND p.PARTITION_NAME IS NOT NULL "
                       "AND LOCATE(CONCAT('`', c.COLUMN_NAME, '`'), CONCAT(IFNULL(p.PARTITION_EXPRESSION, ''), ' ', "
                       f"IFNULL(p.SUBPARTITION_EXPRESSION, ''))) > 0 AND c.COLUMN_NAME NOT IN ({cols}))")
            checks.append((f"{lacking} IS NOT NULL", self.concat_text([
                f"cannot create unique index {op.name} on {op.table}: it is a partitioned table, whose unique "
                "indexes must hold every column of its partitioning function, and this one lacks ", SqlText(lacking),
                " (MySQL error 1503)"])))
        return checks

    def checks_drop_index(self, op: DropIndex) -> list[tuple[str, str]]:
        checks = super().checks_drop_index(op)
        checks.append((self.needed_by_foreign_key(op),
                       f"cannot drop index {op.name} on {op.table}: a foreign key needs it and no other index "
                       "leads with its columns (MySQL error 1553); keep the index or add one that serves the "
                       "foreign key first"))
        return checks

    def checks_add_foreign_key(self, op: AddForeignKey) -> list[tuple[str, str]]:
        """InnoDB refuses a foreign key whose columns differ from the referenced ones (error 1822/3780):
        same type family, size and sign for numbers, same collation for text; lengths may differ."""
        checks = super().checks_add_foreign_key(op)
        new = self.new_column_values(op.table, op.columns)
        for c, r in zip(op.columns, op.ref_columns, strict=True):
            if c in new:
                continue  # a column this plan adds is typed by the spec, not read from the catalog
            col = self.col(op.table, c)
            names = ", ".join(self.lit(n) for n in (col.name, col.old) if n)
            pair = (f"FROM {IS}.COLUMNS a JOIN {IS}.COLUMNS b ON b.TABLE_SCHEMA = DATABASE() "
                    f"AND b.TABLE_NAME = {self.lit(op.ref_table)} AND b.COLUMN_NAME = {self.lit(r)} "
                    f"WHERE a.TABLE_SCHEMA = DATABASE() AND a.TABLE_NAME = {self.lit(op.table)} "
                    f"AND a.COLUMN_NAME IN ({names})")
            family = "CASE {0}.DATA_TYPE WHEN 'varchar' THEN 'char' ELSE {0}.DATA_TYPE END"
            differ = (f"({family.format('a')} <> {family.format('b')} "
                      "OR (a.COLUMN_TYPE LIKE '%unsigned%') <> (b.COLUMN_TYPE LIKE '%unsigned%') "
                      "OR NOT (a.NUMERIC_PRECISION <=> b.NUMERIC_PRECISION AND a.NUMERIC_SCALE <=> b.NUMERIC_SCALE) "
                      "OR NOT (a.COLLATION_NAME <=> b.COLLATION_NAME))")
            types = f"(SELECT CONCAT(a.COLUMN_TYPE, IFNULL(CONCAT(' ', a.COLLATION_NAME), '')) {pair} LIMIT 1)"
            ref_types = f"(SELECT CONCAT(b.COLUMN_TYPE, IFNULL(CONCAT(' ', b.COLLATION_NAME), '')) {pair} LIMIT 1)"
            checks.append((f"EXISTS (SELECT 1 {pair} AND {differ})", self.concat_text([
                f"cannot add foreign key {op.name}: {op.table}.{c} is ", SqlText(types),
                f" but {op.ref_table}.{r} is ", SqlText(ref_types),
                " (InnoDB needs the same type, size and sign, and for text the same collation)"])))
        for t in dict.fromkeys((op.table, op.ref_table)):  # InnoDB has no foreign keys on partitioned tables
            partitioned = (f"EXISTS (SELECT 1 FROM {IS}.PARTITIONS p WHERE p.TABLE_SCHEMA = DATABASE() "
                           f"AND p.TABLE_NAME = {self.lit(t)} AND p.PARTITION_NAME IS NOT NULL)")
            checks.append((partitioned, f"cannot add foreign key {op.name}: {t} is a partitioned table, and "
                                        "InnoDB has no foreign keys on partitioned tables (error 1506)"))
        return checks

    def checks_rename_column(self, op: RenameColumn) -> list[tuple[str, str]]:
        """MySQL/MariaDB do not rewrite views or triggers that name a renamed column: they would break."""
        checks = super().checks_rename_column(op)
        t, old = self.lit(op.table), op.old
        views = (f"FROM {IS}.VIEWS v WHERE v.TABLE_SCHEMA = DATABASE() AND LOCATE({self.lit(f'`{op.table}`.`{old}`')}, "
                 "v.VIEW_DEFINITION) > 0")
        # no backslash (its meaning in a literal depends on sql_mode): every special character in a class
        pattern = "(NEW|OLD)[.]`?" + "".join(ch if ch.isalnum() or ch == "_" else f"[{ch}]" for ch in old) \
            + "`?([^[:alnum:]_$]|$)"
        triggers = (f"FROM {IS}.TRIGGERS g WHERE g.TRIGGER_SCHEMA = DATABASE() AND g.EVENT_OBJECT_TABLE = {t} "
                    f"AND g.ACTION_STATEMENT REGEXP {self.lit(pattern)}")
        for what, source, name in (("views", views, "v.TABLE_NAME"), ("triggers", triggers, "g.TRIGGER_NAME")):
            listed = SqlText(f"(SELECT GROUP_CONCAT({name} ORDER BY {name} SEPARATOR ', ') {source})")
            checks.append((f"{self.column_exists(op.table, old)} AND EXISTS (SELECT 1 {source})", self.concat_text([
                f"cannot rename {op.table}.{old} to {op.new}: MySQL/MariaDB would leave these {what} naming the old "
                "column broken: ", listed, f"; re-create them with {op.new} after the rename, or rename by hand"])))
        return checks

    def created_prefixes(self) -> dict[str, set[str]]:
        """table -> every leading column list ('`'-joined) of the indexes this plan creates."""
        if not hasattr(self, "_created_prefixes"):
            self._created_prefixes: dict[str, set[str]] = {}
            for o in self.plan.of(CreateIndex):
                self._created_prefixes.setdefault(o.table, set()).update(
                    "`".join(o.columns[:n]) for n in range(1, len(o.columns) + 1))
        return self._created_prefixes

    def needed_by_foreign_key(self, op: DropIndex) -> str:
        """InnoDB refuses to drop the last index that leads with a foreign key's columns.

        Indexes this plan creates first (on the same table) count as serving a foreign key.
        """
        served = self.created_prefixes().get(op.table, set())
        not_served = f" AND f.cols NOT IN ({', '.join(self.lit(c) for c in sorted(served))})" if served else ""
        return (f"{self.index_named(op.table, op.name)} AND EXISTS (SELECT 1 "
                f"{self.fks_served_only_by(op.table, op.name, op.columns, where=not_served)})")

    def fks_served_only_by(self, table: str, name: str, columns: tuple[str, ...], select: str = "", where: str = "") -> str:
        """`FROM … f WHERE …`: the foreign keys of `table` whose columns lead the index `name` (on `columns`)
        and that no other index of the table leads with. `f` has CONSTRAINT_NAME, cols and `select`'s columns.

        Column lists are compared as text joined by '`', a character no name may hold.
        """
        t = self.lit(table)
        joined = self.lit("`".join(columns) + "`")
        return (f"FROM (SELECT k.CONSTRAINT_NAME, GROUP_CONCAT(k.COLUMN_NAME ORDER BY k.ORDINAL_POSITION SEPARATOR '`') "
                f"AS cols{select} FROM {IS}.KEY_COLUMN_USAGE k WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME = {t} "
                f"AND k.REFERENCED_TABLE_NAME IS NOT NULL GROUP BY k.CONSTRAINT_NAME) f "
                f"WHERE LEFT({joined}, CHAR_LENGTH(f.cols) + 1) = CONCAT(f.cols, '`'){where} AND NOT EXISTS (SELECT 1 FROM "
                f"(SELECT s.INDEX_NAME, GROUP_CONCAT(s.COLUMN_NAME ORDER BY s.SEQ_IN_INDEX SEPARATOR '`') AS icols FROM "
                f"{IS}.STATISTICS s WHERE s.TABLE_SCHEMA = DATABASE() AND s.TABLE_NAME = {t} "
                f"AND s.INDEX_NAME <> {self.lit(name)} GROUP BY s.INDEX_NAME) i "
                "WHERE LEFT(CONCAT(i.icols, '`'), CHAR_LENGTH(f.cols) + 1) = CONCAT(f.cols, '`'))")

    def name_expr(self, c: Col) -> str:
        if not c.old:
            return self.lit(c.name)
        return f"IF({self.column_exists(c.table, c.name)}, {self.lit(c.name)}, {self.lit(c.old)})"

    @staticmethod
    def mark(i: int) -> str:
        """A placeholder no identifier can contain (names never hold control characters)."""
        return f"\x01{i}\x01"

    def concat(self, template: str, exprs: list[str]) -> str:
        """CONCAT() of a text whose mark(i) placeholders are replaced by SQL expressions."""
        parts = []
        for piece in re.split(r"(\x01\d+\x01)", template):
            m = re.fullmatch(r"\x01(\d+)\x01", piece)
            if m:
                parts.append(exprs[int(m.group(1))])
            elif piece:
                parts.append(self.lit(piece))
        return f"CONCAT({', '.join(parts)})"

    def preflight_up(self) -> list[Block]:
        """Every failing catalog check is reported at once; data checks run only once those pass."""
        checks = self.checks_up()
        lines = [*self.read_recorded(), "SET @fixgen_msg = NULL;"]
        for start in range(0, len(checks), CHECKS_PER_STATEMENT):
            chunk = checks[start:start + CHECKS_PER_STATEMENT]
            terms = ",\n  ".join(f"IF({cond}, {self.message_sql(msg)}, NULL)" for cond, msg in chunk)
            lines.append(f"SET @fixgen_msg = NULLIF(CONCAT_WS('; ', @fixgen_msg,\n  {terms}), '');")
        lines += ["SET @fixgen_msg = IF(@fixgen_msg IS NULL, NULL, CONCAT('fixgen: nothing was changed: ', @fixgen_msg));",
                  *self.fail_if_message()]
        out = [Block(["preflight: stop before changing anything if the database cannot take these fixes"],
                     self.join(lines))]
        keys = self.plan.of(AddForeignKey)
        for n, op in enumerate(keys):
            out.append(Block([f"preflight: rows that foreign key {op.name} would reject"],
                             self.join((["SET @fixgen_found = NULL;"] if n == 0 else []) + self.fk_data_checks(op))))
        if keys:  # every foreign key's rejected rows, in one message
            out.append(Block(["preflight: stop if any foreign key would reject rows"], self.join([
                "SET @fixgen_msg = IF(@fixgen_found IS NULL, NULL, CONCAT('fixgen: nothing was changed: ', "
                "@fixgen_found));", *self.fail_if_message()])))
        return out

    def fk_data_checks(self, op: AddForeignKey, after: bool = False, step: Op | None = None) -> list[str]:
        cols = [self.col(op.table, c) for c in op.columns]
        exprs = [self.name_expr(c) for c in cols]
        q = self.q
        nulls = " AND ".join(f"c.`{self.mark(i)}` IS NOT NULL" for i in range(len(cols)))
        match = " AND ".join(f"p.{q(r)} = c.`{self.mark(i)}`" for i, r in enumerate(op.ref_columns))
        query = (f"SELECT * FROM {q(op.table)} c WHERE {nulls} AND NOT EXISTS "
                 f"(SELECT 1 FROM {q(op.ref_table)} p WHERE {match})")
        count = query.replace("SELECT *", "SELECT COUNT(*) INTO @fixgen_n", 1)
        names = self.concat(", ".join(self.mark(i) for i in range(len(cols))), exprs)
        run_count, listing = self.concat(count, exprs), self.concat(query, exprs)
        new = {} if after else self.new_column_values(op.table, op.columns)
        if new:  # a column this plan adds: before up it is not there, after it every row holds its default
            def now(text: str) -> str:
                for i, c in enumerate(cols):
                    text = text.replace(f"c.`{self.mark(i)}`", new[c.name]) if c.name in new else text
                return text

            exist = " AND ".join(self.column_exists(op.table, c) for c in new)
            run_count = f"IF({exist}, {run_count}, {self.concat(now(count), exprs)})"
            listing = f"IF({exist}, {listing}, {self.concat(now(query), exprs)})"
        if after:  # only for a foreign key this migration added
            run_count = f"IF({self.ledger_has(step or op)}, {run_count}, 'DO 0')"
        # the preflight gathers every key's problems in @fixgen_found; after a key is added, its check stops at once
        gather = "SET @fixgen_found = NULLIF(CONCAT_WS('; ', @fixgen_found, @fixgen_msg), '');"
        found = self.fail_if_message() if after else [gather]
        lines = [
            "SET @fixgen_n = 0;",
            f"SET @fixgen_sql = {run_count};",
            EXEC,
            f"SET @fixgen_msg = IF(@fixgen_n > 0, CONCAT({self.lit('fixgen: ' if after else '')}, @fixgen_n, "
            f"' orphan row(s) in {op.table} (', {names}, '): no matching row in {op.ref_table} "
            f"({', '.join(op.ref_columns)}); {self.orphans_outcome(op, after)}list them with: ', {listing}), NULL);",
            *found,
        ]
        if "set_null" in (op.on_delete, op.on_update) and not after:
            candidates = ", ".join(self.lit(n) for c in cols for n in (c.name, c.old) if n)
            msg = f"foreign key {op.name} uses SET NULL but {op.table} ({', '.join(op.columns)}) is NOT NULL"
            lines += [
                f"SET @fixgen_msg = IF(EXISTS (SELECT 1 FROM {IS}.COLUMNS c WHERE {self.where_table('c', op.table)} "
                f"AND c.COLUMN_NAME IN ({candidates}) AND c.IS_NULLABLE = 'NO'), {self.lit(msg)}, NULL);",
                *found,
            ]
        return lines

    def orphans_outcome(self, op: AddForeignKey, after: bool) -> str:
        if not after:
            return ""
        return (f"they were written while foreign key {op.name} was being added; fix or delete them and run "
                "this file again (or run the down file to remove the foreign key); ")

    # ------------------------------------------------------------------ ops
    def record(self, op: Op) -> str:
        return (f"INSERT IGNORE INTO {self.q(LEDGER)} (migration, step, object_name)\n"
                f"  SELECT {self.ledger_values(op)} FROM DUAL WHERE NOT {self.present(op)};")

    def up_op(self, op: Op) -> list[str]:
        handler = getattr(self, f"up_{op.kind}", None)
        if handler:
            return handler(op)
        return [self.record(op),
                *self.run_if(f"{self.ledger_has(op)} AND NOT {self.done(op)}", self.statement(op), op.table)]

    def up_foreign_key_actions(self, op: ChangeForeignKeyActions) -> list[str]:
        fk = op.as_foreign_key()
        return [self.record(op), *self.recreate_fk(op, fk, f"NOT {self.fk_with(fk, op.name)}")]

    def up_add_foreign_key(self, op: AddForeignKey) -> list[str]:
        perform = self.run_if(f"{self.ledger_has(op)} AND NOT {self.done(op)}", self.statement(op), op.table)
        return [self.record(op), *self.add_fk_in_place(perform, op, op)]

    def add_fk_in_place(self, add: list[str], fk: AddForeignKey, step: Op) -> list[str]:
        """Online, InnoDB adds a foreign key in place (no table copy, writes go on) only with foreign_key_checks
        off, which skips checking existing rows: the preflight checked them before, and the same check runs
        again after, for rows written in between (if the ledger has `step`)."""
        if not self.ctx.online:
            return add
        return ["SET SESSION foreign_key_checks = 0;", *add, "SET SESSION foreign_key_checks = 1;",
                *self.fk_data_checks(fk, after=True, step=step)]

    def recreate_fk(self, op: ChangeForeignKeyActions, fk: AddForeignKey, drop_if: str) -> list[str]:
        """InnoDB cannot drop and re-add one foreign-key name in a single ALTER (errno 121): drop it,
        then add it with fk's actions; a crash between the two leaves it absent, and the next run adds it."""
        mine = self.ledger_has(op)
        drop = self.run_if(f"{mine} AND {self.fk_named(fk)} AND {drop_if}", self.drop_fk_sql(fk), fk.table)
        add = self.run_if(f"{mine} AND NOT {self.fk_named(fk)}", self.statement(fk), fk.table)
        return [*drop, *self.add_fk_in_place(add, fk, op)]

    def down_op(self, op: Op) -> list[str]:
        handler = getattr(self, f"down_{op.kind}", None)
        if handler:
            return handler(op)
        return [*self.run_if(f"{self.ledger_has(op)} AND {self.pending(op)}", self.statement(op), op.table),
                self.ledger_delete(op)]

    def down_foreign_key_actions(self, op: ChangeForeignKeyActions) -> list[str]:
        # back to the actions it had if it still has up's (or is gone half-way)
        return [*self.recreate_fk(op, op.as_foreign_key(), self.fk_with(op.as_foreign_key(old=True), op.name)),
                self.ledger_delete(op)]

    def down_drop_index(self, op: DropIndex) -> list[str]:
        """Undoing a created index: InnoDB's implicit foreign-key index comes back first."""
        return [*self.restore_fk_indexes(op),
                *self.run_if(f"{self.ledger_has(op)} AND {self.pending(op)}", self.statement(op), op.table),
                self.ledger_delete(op)]

    def restore_fk_indexes(self, op: DropIndex) -> list[str]:
        """Give back the index InnoDB dropped when up created this one.

        InnoDB creates an index for a foreign key that has none, and silently drops it once
        another index leads with the key's columns, such as the one up created. Dropping that
        one in down would fail (error 1553) and leave the key unindexed: first recreate the
        implicit index, named as InnoDB names it (the constraint's name, or the first column's
        when the constraint was not named: `<table>_ibfk_<n>`).
        """
        pick = (
            f"(SELECT CONCAT('ALTER TABLE {self.q(op.table).replace(chr(39), chr(39) * 2)} ADD INDEX `', "
            "REPLACE(IF(f.CONSTRAINT_NAME REGEXP '_ibfk_[0-9]+$', f.first_col, f.CONSTRAINT_NAME), '`', '``'), '` (', "
            f"f.qcols, ')'{', ' + self.lit(self.online_clause()) if self.ctx.online else ''}) "
            + self.fks_served_only_by(
                op.table, op.name, op.columns,
                select=", GROUP_CONCAT(CONCAT('`', REPLACE(k.COLUMN_NAME, '`', '``'), '`') ORDER BY k.ORDINAL_POSITION "
                       "SEPARATOR ', ') AS qcols, MIN(IF(k.ORDINAL_POSITION = 1, k.COLUMN_NAME, NULL)) AS first_col")
            + " LIMIT 1)"
        )
        cond = f"{self.ledger_has(op)} AND {self.pending(op)}"
        # one foreign key per statement: each prefix of the index's columns can serve at most one more
        step = f"SET @fixgen_sql = IF({wrap_and(cond)},\n  IFNULL({pick}, 'DO 0'), 'DO 0');\n{self.exec_step(op.table)}"
        return [step] * len(op.columns)

    def create_index_sql(self, op: CreateIndex | DropIndex) -> str:
        unique = "UNIQUE " if op.unique else ""
        return (f"ALTER TABLE {self.q(op.table)} ADD {unique}INDEX {self.q(op.name)} ({self.qcols(op.columns)})"
                f"{self.online_clause()}")

    def drop_index_sql(self, op: CreateIndex | DropIndex) -> str:
        return f"ALTER TABLE {self.q(op.table)} DROP INDEX {self.q(op.name)}{self.online_clause()}"

    def drop_fk_sql(self, op: AddForeignKey | DropForeignKey) -> str:
        return f"ALTER TABLE {self.q(op.table)} DROP FOREIGN KEY {self.q(op.name)}{self.online_clause()}"

    def statement_add_column(self, op: AddColumn) -> str:
        return super().statement_add_column(op) + self.online_clause()

    def statement_drop_column(self, op: DropColumn) -> str:
        return super().statement_drop_column(op) + self.online_clause()

    def statement_rename_column(self, op: RenameColumn) -> str:
        return super().statement_rename_column(op) + self.online_clause()

    def statement_add_foreign_key(self, op: AddForeignKey) -> str:
        return super().statement_add_foreign_key(op) + self.online_clause()
