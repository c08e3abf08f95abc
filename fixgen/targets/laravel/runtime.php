<?php

/**
 * fixgen's Laravel runtime: the steps, guards, ledger and catalog queries of a generated migration.
 *
 * fixgen/targets/laravel/render.py copies into each migration only the members its up() and down()
 * reach, in this file's order. This file is real PHP, linted (php -l, phpcs --standard=PSR12) and
 * unit-tested against real databases (tests/test_laravel_runtime.py).
 *
 * Conventions the renderer relies on:
 *  - every member of the trait is one property or one method, and starts with a docblock that opens
 *    on a line of its own, indented by four spaces; nothing else sits between members;
 *  - members reach each other only as $this->name( or self::name( (methods) and $this->name (properties);
 *  - the class defines the constants MIGRATION, ONLINE, LOCK_TIMEOUT_MS, STATEMENT_TIMEOUT_MS,
 *    LOCK_RETRY_SECONDS, LEDGER, LEDGER_COLUMNS, LEDGER_KEY, LEDGER_WIDTH, STEP_SEPARATOR, LEDGER_MARKER,
 *    RUN_LOCK_KEY, RUN_LOCK_NAME and RUN_LOCK_SECONDS (the ledger's and the run lock's from fixgen/ledger.py), and
 *    PARTITION_SQL where the embedded members run fixgen/partitions.py's queries;
 *  - classes other than Blueprint and Schema (which a migration imports) are named fully qualified.
 *
 * Step methods are mode-aware. up() runs its steps twice: first in mode 'check', the preflight, where
 * each step checks what it needs (every problem is reported at once, before any change), then in mode
 * 'up', where each records its change in the ledger unless the change is present, then makes it. In
 * down(), a step undoes the up() step it is the opposite of, only if the ledger has it. Each step logs
 * one line on STDERR when run from the command line: a migration cannot reach the Migrator's output
 * (Migrator::$output is protected, with no getter, in Laravel 8 to 12) and STDOUT belongs to
 * `php artisan migrate` and to whatever reads its output.
 */

namespace Fixgen;

use Illuminate\Database\Schema\Blueprint;
use Illuminate\Support\Facades\Schema;

trait FixgenRuntime
{
    /** 'check' (up()'s preflight), 'up' or 'down': what the step methods do. */
    private $mode = 'up';

    /** Check mode: what is wrong, each problem once. */
    private $problems = [];

    /** Check mode: 'table.column' => the column's name before up() ('' if up() adds it). */
    private $before = [];

    /** Down with no ledger row of this migration: the steps whose change is still there (null: not that case). */
    private $lost = null;

    /** Run up()'s or down()'s steps (up(): the preflight first), online under the migration's time limits. */
    private function run(string $mode, callable $steps): void
    {
        if ($this->db()->pretending()) { // artisan migrate --pretend: queries are collected, never run or answered
            $this->say(['pretend'], 'each step checks the schema before it acts, which --pretend cannot do, so it '
                . 'lists nothing here; `fixgen plan SPEC` shows the steps, `fixgen validate SPEC --db URL` the checks');
            return;
        }
        $this->oneRunAtATime(fn () => $this->withLimits(function () use ($mode, $steps): void {
            [$this->mode, $this->problems, $this->before] = ['check', [], []];
            if ($mode === 'up') {
                $steps();
            }
            if ($this->problems) {
                throw new \RuntimeException("fixgen: nothing was changed:\n - " . implode("\n - ", $this->problems));
            }
            $this->mode = $mode;
            [$ledger, $marker] = [fn () => $this->db()->table(self::LEDGER), $this->ledgerRow([self::LEDGER_MARKER])];
            if ($mode === 'up') { // the marker: up() ran (it may have found every fix present and recorded none)
                $this->ensureLedger();
                $ledger()->insertOrIgnore($marker + [self::LEDGER_COLUMNS[2] => '']);
            }
            $this->lost = $mode === 'down' && ! $this->recorded(null) ? [] : null;
            $steps();
            if ($this->lost) {
                throw new \RuntimeException('fixgen: nothing was changed: ' . self::LEDGER . ' has no record of '
                    . self::MIGRATION . ' (table or rows lost), yet what up() makes is here: '
                    . implode(', ', $this->lost) . '. Restore it from a backup; or, if these are not its own, delete '
                    . 'its row from migrations.');
            }
            if ($mode === 'down' && Schema::hasTable(self::LEDGER)) { // the marker last: a cut run is finished
                $ledger()->where($marker)->delete();
                if (! $ledger()->exists()) {
                    Schema::drop(self::LEDGER);
                }
            }
        }));
    }

    /**
     * The ledger table, whole: Blueprint creates it and adds its primary key in two statements, so a run killed
     * between them must not leave it keyless (PostgreSQL, SQLite: one transaction; MySQL, whose DDL commits
     * each statement: the key is added if it is missing).
     */
    private function ensureLedger(): void
    {
        $create = function (): void {
            if (! Schema::hasTable(self::LEDGER)) {
                Schema::create(self::LEDGER, function (Blueprint $table): void {
                    [$migration, $step, $object, $appliedAt] = self::LEDGER_COLUMNS;
                    foreach ([$migration, $step, $object] as $column) {
                        $table->string($column, self::LEDGER_WIDTH);
                    }
                    $table->timestamp($appliedAt)->useCurrent();
                    $table->primary(self::LEDGER_KEY);
                });
            }
        };
        if ($this->driver() !== 'mysql') {
            $this->db()->transaction($create);
            return;
        }
        $create();
        $keyed = $this->db()->selectOne('select count(*) as n from information_schema.TABLE_CONSTRAINTS where '
            . "TABLE_SCHEMA = database() and TABLE_NAME = ? and CONSTRAINT_TYPE = 'PRIMARY KEY'", [
                $this->prefixed(self::LEDGER),
            ])->n;
        if (! $keyed) {
            Schema::table(self::LEDGER, fn (Blueprint $table) => $table->primary(self::LEDGER_KEY));
        }
    }

    /**
     * One run of this migration at a time, up and down alike: the session's lock (PostgreSQL advisory lock,
     * MySQL GET_LOCK; gone with the connection), so another run (another deploy host, a retry while a killed
     * run's statement still runs) is waited for and then finds its work done. Polled: a session blocked in
     * pg_advisory_lock holds a snapshot the holder's concurrent index build would wait for (a deadlock).
     */
    private function oneRunAtATime(callable $body): void
    {
        $driver = $this->driver();
        $db = $this->db();
        if ($driver === 'sqlite') { // the database file itself, with flock (SQLite's own locks are fcntl's)
            $this->withFileLock($db->getDatabaseName(), $body);
            return;
        }
        $pg = $driver === 'pgsql';
        $key = $pg ? [self::RUN_LOCK_KEY] : [self::RUN_LOCK_NAME];
        $xact = $pg && $db->transactionLevel() > 0; // in the Migrator's transaction: ends with it, even on failure
        $take = $pg ? 'select pg_try_advisory_' . ($xact ? 'xact_' : '') . 'lock(?::bigint) as l'
            : 'select get_lock(?, 0) as l';
        $deadline = microtime(true) + self::RUN_LOCK_SECONDS;
        for ($said = false; ! $db->selectOne($take, $key)->l; usleep(500000)) {
            if (! $said && ($said = true)) {
                $who = $pg ? $db->selectOne("select string_agg(pid::text, ', ') as w from pg_locks where locktype = "
                    . "'advisory' and granted and classid = ? and objid = ? and objsubid = 1", [
                        (self::RUN_LOCK_KEY >> 32) & 0xFFFFFFFF, self::RUN_LOCK_KEY & 0xFFFFFFFF,
                    ])->w : $db->selectOne('select is_used_lock(?) as w', $key)->w;
                $this->say(['run lock'], 'waiting up to ' . self::RUN_LOCK_SECONDS . " s for another run ($who)");
            }
            if (microtime(true) > $deadline) {
                throw new \RuntimeException('fixgen: nothing was changed: another run of this migration still held '
                    . 'its lock after ' . self::RUN_LOCK_SECONDS . ' s; run it again once that one has finished');
            }
        }
        try {
            $body();
        } finally {
            try {
                if (! $xact) {
                    $db->select($pg ? 'select pg_advisory_unlock(?::bigint)' : 'select release_lock(?)', $key);
                }
            } catch (\Throwable $e) { // a failed transaction: the lock goes with the connection
            }
        }
    }

    /** Check mode: note a problem (once). */
    private function problem(string $problem): void
    {
        $this->problems = array_values(array_unique([...$this->problems, $problem]));
    }

    /**
     * Check mode: the table and the columns a step needs are there (a column by its name before up(), or not
     * at all if up() adds it). Their names now, or null if one is missing.
     */
    private function needs(string $table, array $columns = []): ?array
    {
        if (! Schema::hasTable($table)) {
            $this->problem("table $table does not exist");
            return null;
        }
        $now = [];
        foreach ($columns as $column) {
            $old = $this->before["$table.$column"] ?? null;
            $name = $old && ! Schema::hasColumn($table, $column) ? $old : $column;
            $there = $old !== '' && Schema::hasColumn($table, $name);
            if ($old !== '' && ! $there) {
                $nor = $old ? " (nor $old, its name before the rename)" : '';
                $this->problem("column $table.$column does not exist$nor");
            }
            $now[] = $there ? $name : null;
        }
        return in_array(null, $now, true) ? null : $now;
    }

    /** PostgreSQL: is $table partitioned (where fixgen adds indexes and foreign keys its own way)? */
    private function partitionedTable(string $table): bool
    {
        if ($this->driver() !== 'pgsql') {
            return false;
        }
        $sql = "select relkind = 'p' as p from pg_class where oid = " . $this->pgRelation();
        return (bool) ($this->db()->selectOne($sql, [$this->prefixed($table)])->p ?? false);
    }

    /**
     * Check mode, PostgreSQL: what the database would refuse for step $kind — on a partitioned table, or a key
     * whose column types it cannot compare — or fixgen could not undo exactly (fixgen/partitions.py's preflight).
     */
    private function partitionProblems(
        string $kind,
        string $table,
        string $what,
        array $columns = [],
        bool $unique = false,
        string $refTable = '',
        array $refColumns = []
    ): void {
        if ($this->driver() !== 'pgsql') {
            return;
        }
        $args = [$this->prefixed($table), json_encode($columns), $unique ? 'true' : 'false', $kind, $what,
            $refTable === '' ? '' : $this->prefixed($refTable), json_encode($refColumns)];
        foreach ($this->db()->select(self::PARTITION_SQL['preflight'], $args) as $row) {
            $this->problem(current((array) $row));
        }
    }

    /**
     * PostgreSQL, partitioned table: run one by one the statements that fixgen/partitions.py's query $kind returns
     * for step [kind, table, object] and $args (the query's own, in its order): per partition, adopt its own
     * index or key, or make one (online: concurrently, NOT VALID then validated); down: give adopted ones back.
     */
    private function partitionSteps(string $kind, array $step, array $args): void
    {
        $db = $this->db();
        $sql = str_replace('__LEDGER__', $this->wrap(self::LEDGER, true), self::PARTITION_SQL[$kind]);
        $run = [self::MIGRATION, implode(self::STEP_SEPARATOR, $step)];
        if (self::ONLINE) {
            array_push($run, self::LOCK_TIMEOUT_MS . 'ms', self::STATEMENT_TIMEOUT_MS . 'ms');
        }
        foreach ($db->select($sql, [$this->prefixed($step[1]), ...$args, ...$run]) as $row) {
            $db->statement(current((array) $row));
        }
    }

    /** MySQL/MariaDB: [what InnoDB compares for a foreign key, how to show it] of a column, or null. */
    private function innodbType(string $table, string $column): ?array
    {
        if ($this->driver() !== 'mysql') {
            return null;
        }
        $row = $this->db()->selectOne('select DATA_TYPE as d, COLUMN_TYPE as t, NUMERIC_PRECISION as p, '
            . 'NUMERIC_SCALE as s, COLLATION_NAME as c from information_schema.COLUMNS where TABLE_SCHEMA = '
            . 'database() and TABLE_NAME = ? and COLUMN_NAME = ?', [$this->prefixed($table), $column]);
        if ($row === null) {
            return null;
        }
        $family = $row->d === 'varchar' ? 'char' : $row->d; // lengths may differ, CHAR and VARCHAR mix
        $key = [$family, str_contains($row->t, 'unsigned'), $row->p, $row->s, $row->c];
        return [$key, $row->t . ($row->c ? ' ' . $row->c : '')];
    }

    /** MySQL/MariaDB: the columns of $table's partitioning function that $columns lack ('d, y'), or null. */
    private function partitionColumnsLacking(string $table, array $columns): ?string
    {
        if ($this->driver() !== 'mysql') {
            return null;
        }
        $marks = implode(', ', array_fill(0, count($columns), '?'));
        return $this->db()->selectOne("select group_concat(distinct c.COLUMN_NAME order by c.COLUMN_NAME separator "
            . "', ') as l from information_schema.PARTITIONS p join information_schema.COLUMNS c on c.TABLE_SCHEMA = "
            . 'p.TABLE_SCHEMA and c.TABLE_NAME = p.TABLE_NAME where p.TABLE_SCHEMA = database() and p.TABLE_NAME = ? '
            . "and p.PARTITION_NAME is not null and locate(concat('`', c.COLUMN_NAME, '`'), concat(ifnull("
            . "p.PARTITION_EXPRESSION, ''), ' ', ifnull(p.SUBPARTITION_EXPRESSION, ''))) > 0 and c.COLUMN_NAME not in "
            . "($marks)", [$this->prefixed($table), ...$columns])->l;
    }

    /** MySQL/MariaDB: is $table partitioned (InnoDB has no foreign keys there)? */
    private function innodbPartitioned(string $table): bool
    {
        return $this->driver() === 'mysql' && $this->db()->selectOne('select count(*) as n from '
            . 'information_schema.PARTITIONS where TABLE_SCHEMA = database() and TABLE_NAME = ? and PARTITION_NAME '
            . 'is not null', [$this->prefixed($table)])->n > 0;
    }

    /** MySQL/MariaDB: the views and triggers naming $table.$column (a rename rewrites neither). */
    private function dependents(string $table, string $column): array
    {
        if ($this->driver() !== 'mysql') {
            return [];
        }
        $real = $this->prefixed($table);
        $views = $this->db()->select('select TABLE_NAME as n, VIEW_DEFINITION as d from information_schema.VIEWS '
            . 'where TABLE_SCHEMA = database()');
        $word = '/(NEW|OLD)\.`?' . preg_quote($column, '/') . '`?(?![\w$])/i';
        $triggers = $this->db()->select('select TRIGGER_NAME as n, ACTION_STATEMENT as d from '
            . 'information_schema.TRIGGERS where TRIGGER_SCHEMA = database() and EVENT_OBJECT_TABLE = ?', [$real]);
        $found = [
            'views' => array_map(fn ($v) => $v->n, array_filter($views, fn ($v) => str_contains(
                (string) $v->d,
                "`$real`.`$column`"
            ))),
            'triggers' => array_map(fn ($t) => $t->n, array_filter($triggers, fn ($t) => preg_match(
                $word,
                (string) $t->d
            ) === 1)),
        ];
        return array_filter(array_map(function ($names) {
            sort($names);
            return $names;
        }, $found));
    }

    /** SQLite: one run at a time through an exclusive flock on the database file (none for :memory:). */
    private function withFileLock(string $path, callable $body): void
    {
        $file = is_file($path) ? fopen($path, 'r') : false;
        $deadline = microtime(true) + self::RUN_LOCK_SECONDS;
        while ($file && ! flock($file, LOCK_EX | LOCK_NB)) {
            if (microtime(true) > $deadline) {
                throw new \RuntimeException('fixgen: nothing was changed: another run of this migration still held '
                    . 'its lock after ' . self::RUN_LOCK_SECONDS . ' s; run it again once that one has finished');
            }
            usleep(200000);
        }
        try {
            $body();
        } finally {
            if ($file) {
                flock($file, LOCK_UN);
                fclose($file);
            }
        }
    }

    /**
     * Up: record step [kind, table, object] unless the change is $present (by definition), then $make it if
     * recorded and not $done (by name): a run cut anywhere is finished by the next one.
     */
    private function apply(array $step, callable $present, callable $done, callable $make, string $made): void
    {
        $recorded = $this->recorded($step);
        if (! $recorded && ! $present()) {
            $row = $this->ledgerRow($step) + [self::LEDGER_COLUMNS[2] => $step[2]];
            $this->db()->table(self::LEDGER)->insertOrIgnore($row);
            $recorded = true;
        }
        $outcome = ! $recorded ? 'already present' : ($done() ? 'already done' : $made);
        if ($outcome === $made) {
            $this->retried($step[1], $make);
        }
        $this->say($step, $outcome);
    }

    /** Down: undo up()'s step [kind, table, object] if the ledger has it (and it is still there), then forget it. */
    private function revert(array $step, callable $undoable, callable $undo): void
    {
        if ($this->lost !== null && $undoable()) { // no record at all: change nothing, say what is still there
            $this->lost[] = implode(self::STEP_SEPARATOR, $step);
        }
        if (! $this->recorded($step)) {
            $this->say($step, 'nothing to undo');
            return;
        }
        $there = $undoable();
        if ($there) {
            $this->retried($step[1], $undo);
        }
        $this->db()->table(self::LEDGER)->where($this->ledgerRow($step))->delete();
        $this->say($step, $there ? 'undone' : 'skipped: no longer there');
    }

    /**
     * Online: a step's lock that writers conflict with is tried for the lock timeout at a time (writers queue behind
     * a try at most that long); a try that timed out changed nothing, and is tried again with backoff (0.1 s,
     * doubling, at most 5 s), saying whom it waits for, for LOCK_RETRY_SECONDS in all.
     */
    private function retried(string $table, callable $perform): void
    {
        [$started, $tries] = [microtime(true), 0];
        while (true) {
            try {
                $perform();
                return;
            } catch (\Illuminate\Database\QueryException $e) {
                $timedOut = $e->getCode() === '55P03' || (int) ($e->errorInfo[1] ?? 0) === 1205;
                if (! $this->online() || ! $timedOut) {
                    throw $e;
                }
            }
            if ($this->driver() === 'pgsql') { // a step's own transaction (partitioned tables) is aborted: end it
                $this->db()->unprepared('rollback');
            }
            $pause = min(0.1 * 2 ** $tries++, 5.0);
            $holders = $this->lockHolders($table);
            if (microtime(true) + $pause > $started + self::LOCK_RETRY_SECONDS) {
                throw new \RuntimeException("fixgen: gave up waiting for a lock on $table after "
                    . self::LOCK_RETRY_SECONDS . " s (held by: $holders); this step changed nothing: run it again");
            }
            $this->say([$table], sprintf('waiting for a lock (held by: %s); trying again in %.1f s', $holders, $pause));
            usleep((int) ($pause * 1e6));
        }
    }

    /** Who holds a lock on $table (PostgreSQL), or has a transaction open (MySQL/MariaDB). */
    private function lockHolders(string $table): string
    {
        $sql = $this->driver() === 'pgsql'
            ? "select string_agg(DISTINCT format('pid %s (%s, %s s in a transaction)', a.pid, a.state, "
                . 'round(extract(epoch from clock_timestamp() - a.xact_start))), \', \') as h from pg_locks l '
                . 'join pg_stat_activity a '
                . 'on a.pid = l.pid where l.relation = ' . $this->pgRelation() . ' and l.granted and l.pid <> '
                . 'pg_backend_pid()'
            : "select group_concat(concat('id ', t.trx_mysql_thread_id, ' (', timestampdiff(second, t.trx_started, "
                . "now()), ' s in a transaction)') separator ', ') as h from information_schema.INNODB_TRX t where "
                . 't.trx_mysql_thread_id <> connection_id() and ? is not null';
        return $this->db()->selectOne($sql, [$this->prefixed($table)])->h ?? 'nobody now';
    }

    /** One line about a step, on STDERR when run from the command line. */
    private function say(array $step, string $outcome): void
    {
        if (PHP_SAPI === 'cli' && defined('STDERR')) {
            fwrite(STDERR, "fixgen {$this->mode}: [" . implode(self::STEP_SEPARATOR, $step) . "] $outcome\n");
        }
    }

    /** This migration's ledger key of a step [kind, table, object] (fixgen.ledger.step_key's format). */
    private function ledgerRow(array $step): array
    {
        return array_combine(self::LEDGER_KEY, [self::MIGRATION, implode(self::STEP_SEPARATOR, $step)]);
    }

    /** Has up() recorded the step [kind, table, object] (null: anything of this migration, the marker too)? */
    private function recorded(?array $step): bool
    {
        $row = $step === null ? [self::LEDGER_KEY[0] => self::MIGRATION] : $this->ledgerRow($step);
        return Schema::hasTable(self::LEDGER) && $this->db()->table(self::LEDGER)->where($row)->exists();
    }

    /** Up: rename $table.$from to $to. Down: rename $from back to $to (up() renamed $to to $from). */
    private function renameColumn(string $table, string $from, string $to): void
    {
        if ($this->mode === 'check') {
            $there = $this->needs($table) !== null;
            $both = $there ? [Schema::hasColumn($table, $from), Schema::hasColumn($table, $to)] : [0, 1];
            if ($both[0] === $both[1]) {
                $this->problem("cannot rename $table.$from to $to: "
                    . ($both[0] ? 'both columns exist; merge them by hand first' : 'neither column exists'));
            }
            foreach ($there && $both[0] ? $this->dependents($table, $from) : [] as $what => $names) {
                $this->problem("cannot rename $table.$from to $to: MySQL/MariaDB would leave these $what naming the "
                    . 'old column broken: ' . implode(', ', $names) . "; re-create them with $to after the rename, "
                    . 'or rename by hand');
            }
            $this->before["$table.$to"] = $from;
            return;
        }
        $rename = fn () => $this->alter($table, 'rename column ' . $this->wrap($from) . ' to ' . $this->wrap($to));
        $renamed = fn () => ! Schema::hasColumn($table, $from) && Schema::hasColumn($table, $to);
        if ($this->mode === 'down') {
            $undoable = fn () => ! $renamed();
            $this->revert(['rename_column', $table, $to . self::STEP_SEPARATOR . $from], $undoable, $rename);
            return;
        }
        $gone = fn () => ! Schema::hasColumn($table, $from);
        $step = ['rename_column', $table, $from . self::STEP_SEPARATOR . $to];
        $this->apply($step, $gone, $renamed, $rename, 'renamed');
    }

    /** Up: add column $table.$column: Blueprint's $type($column, ...$args), then each modifier => argument. */
    private function addColumn(string $table, string $column, string $type, array $args = [], array $with = []): void
    {
        if ($this->mode === 'check') {
            $this->needs($table);
            $this->before["$table.$column"] = '';
            return;
        }
        $add = fn () => Schema::table($table, function (Blueprint $blueprint) use ($column, $type, $args, $with): void {
            $definition = $blueprint->{$type}($column, ...$args);
            foreach ($with as $modifier => $value) { // a text default, quoted by the connection (Laravel 8 does not)
                $text = $modifier === 'default' && is_string($value);
                $definition->{$modifier}($text ? $this->db()->raw($this->db()->getPdo()->quote($value)) : $value);
            }
        });
        $there = fn () => Schema::hasColumn($table, $column);
        $this->apply(['add_column', $table, $column], $there, $there, $add, 'added');
    }

    /** Down: drop column $table.$column if up() added it (native DROP COLUMN, SQLite too: no doctrine/dbal). */
    private function dropColumn(string $table, string $column): void
    {
        $drop = fn () => $this->alter($table, 'drop column ' . $this->wrap($column));
        $this->revert(['add_column', $table, $column], fn () => Schema::hasColumn($table, $column), $drop);
    }

    /**
     * Up: create the index unless one already leads with $columns (if $unique: a unique index on exactly them).
     * Down: create it again, as up() dropped it (redundant_index).
     */
    private function createIndex(string $table, string $name, array $columns, bool $unique = false): void
    {
        if ($this->mode === 'check') { // an unusable index of that name is an interrupted online run's: rebuilt
            $this->partitionProblems('create_index', $table, "create index $name on $table", $columns, $unique);
            $lacking = $unique ? $this->partitionColumnsLacking($table, $columns) : null;
            if ($lacking) {
                $this->problem("cannot create unique index $name on $table: it is a partitioned table, whose unique "
                    . "indexes must hold every column of its partitioning function, and this one lacks $lacking "
                    . '(MySQL error 1503)');
            }
            $clash = $this->needs($table, $columns) !== null && $this->indexNameTaken($table, $name)
                && ! $this->hasIndex($table, $columns, $unique, false, $name)
                && $this->indexState($table, $name) !== false;
            if ($clash) {
                $this->problem("cannot create index $name on $table: another object already has that name");
            }
            $builders = $this->indexState($table, $name) === false ? $this->indexBuilders($name) : null;
            if ($builders) { // not fixgen's own run: that one holds the run lock
                $this->problem("index $name on $table is being built right now by another session (pid $builders); "
                    . 'run this migration again once that build has finished');
            }
            return;
        }
        $build = fn () => $this->buildIndex($table, $name, $columns, $unique);
        $ready = fn () => $this->indexState($table, $name) === true;
        if ($this->mode === 'down') {
            $this->revert(['drop_index', $table, $name], fn () => ! $ready(), $build);
            return;
        }
        if ($this->partitionedTable($table)) {
            $step = ['create_index', $table, $name];
            $args = $this->partitionIndexArgs($name, $columns, $unique);
            $build = fn () => $this->partitionSteps('index_up', $step, $args);
        }
        $present = fn () => $this->hasIndex($table, $columns, $unique);
        $this->apply(['create_index', $table, $name], $present, $ready, $build, 'created');
    }

    /**
     * Up: drop index $name (redundant_index), which must have the definition given, so that down() can
     * recreate it exactly. Down: drop the index up() created (an unusable leftover too).
     */
    private function dropIndex(string $table, string $name, array $columns, bool $unique = false): void
    {
        if ($this->mode === 'check') {
            $this->partitionProblems('drop_index', $table, "drop index $name on $table");
            $other = $this->needs($table) !== null && $this->indexState($table, $name) === true
                && ! $this->hasIndex($table, $columns, $unique, true, $name);
            if ($other) {
                $this->problem("index $name on $table does not have the definition the spec gives ("
                    . implode(', ', $columns) . ($unique ? ', unique' : '')
                    . '): its rollback could not recreate it exactly');
            }
            return;
        }
        $drop = fn () => $this->removeIndex($table, $name, $unique);
        $gone = fn () => $this->indexState($table, $name) === null;
        if ($this->mode === 'down') {
            $step = ['create_index', $table, $name];
            if ($this->partitionedTable($table)) { // whenever recorded: a cut run may have partitions' to give back
                $args = $this->partitionIndexArgs($name, $columns, $unique);
                [$gone, $drop] = [fn () => false, fn () => $this->partitionSteps('index_down', $step, $args)];
            }
            $this->revert($step, fn () => ! $gone(), $drop);
            return;
        }
        $this->apply(['drop_index', $table, $name], $gone, $gone, $drop, 'dropped');
    }

    /**
     * Up: add the foreign key unless one on $columns references $refTable ($refColumns), whatever its name.
     * Check: a free name, a referenced key, nullable columns for SET NULL, no orphan rows.
     */
    private function addForeignKey(
        string $table,
        string $name,
        array $columns,
        string $refTable,
        array $refColumns,
        string $onDelete = 'no action',
        string $onUpdate = 'no action'
    ): void {
        $key = [$name, $columns, $refTable, $refColumns, [$onDelete, $onUpdate]];
        if ($this->mode === 'check') {
            [$now, $refNow] = [$this->needs($table, $columns), $this->needs($refTable, $refColumns)];
            if ($now === null || $refNow === null) {
                return;
            }
            [$what, $found] = ["add foreign key $name on $table", count($this->problems)];
            $this->partitionProblems('add_foreign_key', $table, $what, $now, false, $refTable, $refNow);
            $comparable = count($this->problems) === $found; // else an orphan count compares what it cannot
            foreach (array_unique([$table, $refTable]) as $t) {
                if ($this->innodbPartitioned($t)) {
                    $this->problem("cannot add foreign key $name: $t is a partitioned table, and InnoDB has no "
                        . 'foreign keys on partitioned tables (error 1506)');
                }
            }
            foreach ($now as $i => $column) {
                [$mine, $theirs] = [$this->innodbType($table, $column), $this->innodbType($refTable, $refColumns[$i])];
                if ($mine && $theirs && $mine[0] !== $theirs[0]) {
                    $this->problem("cannot add foreign key $name: $table.$column is $mine[1] but $refTable."
                        . "$refColumns[$i] is $theirs[1] (InnoDB needs the same type, size and sign, and for text "
                        . 'the same collation)');
                }
            }
            if ($this->foreignKeyNamed($table, $name, true) && ! $this->hasForeignKey($table, $key)) {
                $this->problem("cannot add foreign key $name on $table: another constraint already has that name");
            }
            if (! $this->hasIndex($refTable, $refColumns, true, true)) {
                $this->problem("cannot add foreign key $name: $refTable (" . implode(', ', $refColumns)
                    . ') is not a primary key or unique');
            }
            $this->requireNullable($table, $name, $now, [$onDelete, $onUpdate]);
            if (! $comparable) {
                return;
            }
            $orphans = $this->orphans($table, $now, $refTable, $refColumns);
            $count = $this->unlimited(fn () => $orphans->count()); // reads the whole table, without blocking writers
            if ($count > 0) {
                $this->problem("$count orphan row(s) in $table (" . implode(', ', $now) . ") have no matching row in "
                    . "$refTable (" . implode(', ', $refColumns) . '); list them with: ' . $orphans->toSql());
            }
            return;
        }
        $why = 'added; fix or delete them and run the migration again (or roll it back to remove the foreign key)';
        $ready = fn () => $this->foreignKeyReady($table, $name);
        $add = fn () => $this->makeForeignKey($table, $key, $why);
        if ($this->partitionedTable($table)) { // no NOT VALID key there: each partition's first, then the parent's
            $add = fn () => $this->partitionSteps('fk_up', [
                'add_foreign_key', $table, $name,
            ], $this->partitionKeyArgs($key));
        }
        $present = fn () => $this->hasForeignKey($table, $key, false);
        $this->apply(['add_foreign_key', $table, $name], $present, $ready, $add, 'added');
    }

    /** Down: drop foreign key $name if up() added it (on a partitioned table: give partitions back their own). */
    private function dropForeignKey(
        string $table,
        string $name,
        array $columns,
        string $refTable,
        array $refColumns,
        string $onDelete = 'no action',
        string $onUpdate = 'no action'
    ): void {
        $step = ['add_foreign_key', $table, $name];
        if ($this->partitionedTable($table)) { // whenever recorded: a cut run may have partitions' to give back
            $key = [$name, $columns, $refTable, $refColumns, [$onDelete, $onUpdate]];
            $args = $this->partitionKeyArgs($key);
            $this->revert($step, fn () => true, fn () => $this->partitionSteps('fk_down', $step, $args));
            return;
        }
        $there = fn () => $this->foreignKeyNamed($table, $name);
        $this->revert($step, $there, fn () => $this->removeForeignKey($table, $name));
    }

    /** PostgreSQL: the arguments of fixgen/partitions.py's index queries. */
    private function partitionIndexArgs(string $name, array $columns, bool $unique): array
    {
        return [$name, json_encode($columns), $unique ? 'true' : 'false'];
    }

    /** PostgreSQL: the arguments of fixgen/partitions.py's foreign-key queries for key [name, columns, ...]. */
    private function partitionKeyArgs(array $key): array
    {
        [$name, $columns, $refTable, $refColumns, $actions] = $key;
        return [$name, json_encode($columns), $this->prefixed($refTable), json_encode($refColumns), ...$actions];
    }

    /**
     * Give foreign key $name the actions $to ([on delete, on update]) instead of $from. Up: unless a key on the
     * same columns and target has them. Down ($from is up()'s $to): if up() changed it, and it still has up()'s
     * actions, or is gone half-way (MySQL), or was left unvalidated (PostgreSQL online). Check: the key is there
     * as the spec says (or a run that stopped half-way recorded it).
     */
    private function changeForeignKeyActions(
        string $table,
        string $name,
        array $columns,
        string $refTable,
        array $refColumns,
        array $from,
        array $to
    ): void {
        $step = ['foreign_key_actions', $table, $name];
        $key = [$name, $columns, $refTable, $refColumns, $to];
        if ($this->mode === 'check') {
            $this->checkForeignKeyActions($step, $key, $from);
            return;
        }
        $change = fn () => $this->recreateForeignKey($table, $key);
        $has = fn (array $actions) => $this->hasActions($this->foreignKey($table, $name), $actions);
        if ($this->mode === 'down') {
            $undoable = fn () => $has($from) || ! $this->foreignKeyNamed($table, $name)
                || ($has($to) && ! $this->foreignKeyReady($table, $name));
            $this->revert($step, $undoable, $change);
            return;
        }
        $done = fn () => $has($to) && $this->foreignKeyReady($table, $name);
        $this->apply($step, fn () => $this->hasForeignKey($table, $key), $done, $change, 'changed');
    }

    /** Check mode for changeForeignKeyActions. */
    private function checkForeignKeyActions(array $step, array $key, array $from): void
    {
        [, $table, $name] = $step;
        [, $columns, $refTable, $refColumns, $to] = $key;
        $this->partitionProblems('foreign_key_actions', $table, "change foreign key $name on $table");
        if ($this->driver() === 'sqlite') {
            $this->problem("changing the actions of foreign key $name on $table needs a table rebuild on SQLite, "
                . 'which fixgen does not do for a constraint it did not write');
            return;
        }
        [$now, $refNow] = [$this->needs($table, $columns), $this->needs($refTable, $refColumns)];
        if ($now === null || $refNow === null) {
            return;
        }
        $spell = fn (array $action) => 'ON DELETE ' . strtoupper($action[0]) . ' ON UPDATE ' . strtoupper($action[1]);
        $fk = $this->foreignKey($table, $name);
        $onTarget = $fk && $this->hasForeignKey($table, [$name, $now, $refTable, $refColumns, null], false, [$fk]);
        if (! $fk && ! $this->recorded($step)) { // a run stopped between MySQL's drop and add recorded the step
            $this->problem("no foreign key $name on $table (the spec changes its actions)");
        } elseif ($fk && ! $onTarget) {
            $this->problem("foreign key $name on $table is not on (" . implode(', ', $columns) . ") -> $refTable ("
                . implode(', ', $refColumns) . ')');
        } elseif ($fk && ! $this->hasActions($fk, $from) && ! $this->hasActions($fk, $to)) {
            $this->problem("foreign key $name on $table has " . $spell([$fk['on_delete'], $fk['on_update']])
                . ', neither what the spec says it has now (' . $spell($from) . ') nor what it should have ('
                . $spell($to) . ')');
        }
        $this->requireNullable($table, $name, $now, $to);
    }

    /** Check mode: a foreign key whose $actions [on delete, on update] SET NULL needs nullable $columns. */
    private function requireNullable(string $table, string $name, array $columns, array $actions): void
    {
        foreach (in_array('set null', array_map([$this, 'action'], $actions), true) ? $columns : [] as $column) {
            if ($this->notNull($table, $column)) {
                $this->problem("foreign key $name uses SET NULL but $table.$column is NOT NULL");
            }
        }
    }

    /** Online mode applies where it means something: PostgreSQL and MySQL/MariaDB (or: on $driver only). */
    private function online(?string $driver = null): bool
    {
        return self::ONLINE && in_array($this->driver(), $driver === null ? ['pgsql', 'mysql'] : [$driver], true);
    }

    /** Online: fail fast on a lock wait instead of queueing writers; the session's own limits come back after. */
    private function withLimits(callable $body): void
    {
        $db = $this->db();
        if ($this->online('pgsql')) {
            $saved = $db->selectOne("select current_setting('lock_timeout') as l, "
                . "current_setting('statement_timeout') as s");
            $this->pgLimits(self::LOCK_TIMEOUT_MS . 'ms', self::STATEMENT_TIMEOUT_MS . 'ms');
            $restore = fn () => $this->pgLimits($saved->l, $saved->s);
        } elseif ($this->online('mysql')) {
            $saved = $db->selectOne('select @@session.lock_wait_timeout as l, @@session.innodb_lock_wait_timeout as i');
            $seconds = max(1, (int) ceil(self::LOCK_TIMEOUT_MS / 1000));
            $db->statement("set session lock_wait_timeout = $seconds, innodb_lock_wait_timeout = $seconds");
            $restore = fn () => $db->statement("set session lock_wait_timeout = $saved->l, "
                . "innodb_lock_wait_timeout = $saved->i");
        }
        try {
            $body();
        } finally {
            isset($restore) && $restore();
        }
    }

    /** PostgreSQL: the session's lock_timeout and statement_timeout ('5000ms'; '0': no limit). */
    private function pgLimits(string $lock, string $statement): void
    {
        $this->db()->select("select set_config('lock_timeout', ?, false), set_config('statement_timeout', ?, false)", [
            $lock,
            $statement,
        ]);
    }

    /**
     * Online PostgreSQL: no time limits around long statements whose locks conflict with no write (a concurrent
     * build waits for every older transaction; that holds up no writer).
     */
    private function unlimited(callable $body)
    {
        if (! $this->online('pgsql')) {
            return $body();
        }
        $this->pgLimits('0', '0');
        try {
            return $body();
        } finally {
            $this->pgLimits(self::LOCK_TIMEOUT_MS . 'ms', self::STATEMENT_TIMEOUT_MS . 'ms');
        }
    }

    /** ALTER TABLE $table $clause; online on MySQL in place (InnoDB refuses rather than lock writes). */
    private function alter(string $table, string $clause): void
    {
        $inPlace = $this->online('mysql') ? ', algorithm=inplace, lock=none' : '';
        $this->db()->statement('alter table ' . $this->wrap($table, true) . ' ' . $clause . $inPlace);
    }

    /** A name (a table: with the connection's prefix), or a list of names, quoted by the connection's grammar. */
    private function wrap($names, bool $table = false): string
    {
        $grammar = $this->db()->getSchemaGrammar();
        if (is_array($names)) {
            return $grammar->columnize($names);
        }
        return $table ? $grammar->wrapTable($names) : $grammar->wrap($names);
    }

    /** Create the index: online PostgreSQL CONCURRENTLY (after dropping an unusable leftover); MySQL in place. */
    private function buildIndex(string $table, string $name, array $columns, bool $unique): void
    {
        [$kind, $quoted, $list] = [$unique ? 'unique index' : 'index', $this->wrap($name), $this->wrap($columns)];
        if ($this->online('pgsql')) {
            $this->unlimited(function () use ($table, $name, $kind, $quoted, $list): void {
                if ($this->indexState($table, $name) === false) {
                    $this->db()->statement("drop index concurrently if exists $quoted");
                }
                $on = $this->wrap($table, true);
                $this->db()->statement("create $kind concurrently if not exists $quoted on $on ($list)");
            });
        } elseif ($this->online()) {
            $this->alter($table, "add $kind $quoted ($list)");
        } else {
            Schema::table($table, fn (Blueprint $table) => $table->{$unique ? 'unique' : 'index'}($columns, $name));
        }
    }

    /** Drop the index: online PostgreSQL CONCURRENTLY; MySQL first gives foreign keys their own index back. */
    private function removeIndex(string $table, string $name, bool $unique): void
    {
        if ($this->driver() === 'mysql') {
            $this->restoreForeignKeyIndexes($table, $name);
        }
        if ($this->online('pgsql')) {
            $drop = 'drop index concurrently if exists ' . $this->wrap($name);
            $this->unlimited(fn () => $this->db()->statement($drop));
        } elseif ($this->online()) {
            $this->alter($table, 'drop index ' . $this->wrap($name));
        } else {
            Schema::table($table, fn (Blueprint $table) => $table->{$unique ? 'dropUnique' : 'dropIndex'}($name));
        }
    }

    /**
     * MySQL: InnoDB creates an index for a foreign key that has none and silently drops it once another index
     * leads with the key's columns (such as one up() created). Before that index goes, give the key its index
     * back, named as InnoDB names it: after the constraint, or after its first column if unnamed (_ibfk_<n>).
     */
    private function restoreForeignKeyIndexes(string $table, string $name): void
    {
        $rows = $this->db()->select('select constraint_name as name, column_name as col '
            . 'from information_schema.key_column_usage where table_schema = database() and table_name = ? '
            . 'and referenced_table_name is not null order by constraint_name, ordinal_position', [
                $this->prefixed($table),
            ]);
        $keys = [];
        foreach ($rows as $row) {
            $keys[$row->name][] = $row->col;
        }
        foreach ($keys as $key => $columns) {
            $indexes = $this->indexes($table);
            $leads = fn (array $index) => $this->sameList(array_slice($index['columns'], 0, count($columns)), $columns);
            $others = array_diff_key($indexes, [$name => true]);
            $served = array_filter($others, $leads);
            if (isset($indexes[$name]) && $leads($indexes[$name]) && ! $served) {
                $implicit = preg_match('/_ibfk_[0-9]+$/', $key) ? $columns[0] : $key;
                $this->alter($table, 'add index ' . $this->wrap($implicit) . ' (' . $this->wrap($columns) . ')');
            }
        }
    }

    /**
     * Add foreign key [name, columns, refTable, refColumns, [on delete, on update]]. SQLite: a table rebuild.
     * Online PostgreSQL: NOT VALID (a brief lock, no scan), then validated. Online MySQL: in place, which InnoDB
     * does only with foreign_key_checks off, so the rows are checked again after ($why: what was going on).
     */
    private function makeForeignKey(string $table, array $key, string $why): void
    {
        [$name, $columns, $refTable, $refColumns, $actions] = $key;
        if ($this->driver() === 'sqlite') {
            $clause = ', ' . $this->sqliteForeignKeyClause($key);
            $this->rebuildSqliteTable($table, fn (string $sql) => substr_replace($sql, $clause, strrpos($sql, ')'), 0));
        } elseif (! $this->online()) {
            Schema::table($table, fn (Blueprint $table) => $table->foreign($columns, $name)->references($refColumns)
                ->on($refTable)->onDelete($actions[0])->onUpdate($actions[1]));
        } elseif ($this->driver() === 'pgsql') {
            if (! $this->foreignKeyNamed($table, $name)) {
                $this->alter($table, 'add ' . $this->foreignKeyClause($key) . ' not valid');
            }
            $this->unlimited(fn () => $this->alter($table, 'validate constraint ' . $this->wrap($name)));
        } else {
            $checks = $this->db()->selectOne('select @@session.foreign_key_checks as f')->f;
            $this->db()->statement('set session foreign_key_checks = 0');
            try {
                $this->alter($table, 'add ' . $this->foreignKeyClause($key));
            } finally {
                $this->db()->statement('set session foreign_key_checks = ' . (int) $checks);
            }
            $orphans = $this->orphans($table, $columns, $refTable, $refColumns);
            $count = $orphans->count();
            if ($count > 0) {
                throw new \RuntimeException("fixgen: $count orphan row(s) in $table (" . implode(', ', $columns)
                    . ") have no matching row in $refTable (" . implode(', ', $refColumns) . '); they were written '
                    . "while foreign key $name was being $why; list them with: " . $orphans->toSql());
            }
        }
    }

    /** "constraint N foreign key (...) references T (...) on delete A on update B", quoted by the grammar. */
    private function foreignKeyClause(array $key): string
    {
        [$name, $columns, $refTable, $refColumns, $actions] = $key;
        return 'constraint ' . $this->wrap($name) . ' foreign key (' . $this->wrap($columns) . ') references '
            . $this->wrap($refTable, true) . ' (' . $this->wrap($refColumns) . ") on delete $actions[0] "
            . "on update $actions[1]";
    }

    /** Drop foreign key $name; SQLite: a table rebuild without the clause fixgen added. */
    private function removeForeignKey(string $table, string $name): void
    {
        if ($this->driver() === 'sqlite') {
            $this->rebuildSqliteTable($table, function (string $sql) use ($table, $name): string {
                $clause = '/, CONSTRAINT "' . preg_quote($name, '/') . '" FOREIGN KEY \([^)]*\) REFERENCES "[^"]*" '
                    . '\([^)]*\) ON DELETE [A-Z ]+ ON UPDATE [A-Z ]+/';
                $without = preg_replace($clause, '', $sql, 1, $count);
                if ($count !== 1) {
                    throw new \RuntimeException("fixgen: the definition of $table no longer contains the foreign key "
                        . "$name that fixgen added; drop it by hand");
                }
                return $without;
            });
        } elseif ($this->online()) {
            $drop = $this->driver() === 'pgsql' ? 'drop constraint if exists ' : 'drop foreign key ';
            $this->alter($table, $drop . $this->wrap($name));
        } else {
            Schema::table($table, fn (Blueprint $blueprint) => $blueprint->dropForeign($name));
        }
    }

    /**
     * Re-create foreign key [name, columns, refTable, refColumns, actions] with those actions; each part is
     * guarded, so a rerun after a crash finishes it. PostgreSQL: drop and add in one statement and transaction
     * (online: NOT VALID, then validated). MySQL cannot drop and add one name in one ALTER (errno 121): drop,
     * then add; a crash in between leaves the key absent with the step recorded, and the next run adds it.
     */
    private function recreateForeignKey(string $table, array $key): void
    {
        [$name, , , , $actions] = $key;
        $wanted = $this->hasActions($this->foreignKey($table, $name), $actions);
        if ($this->driver() === 'pgsql') {
            $clause = 'drop constraint if exists ' . $this->wrap($name) . ', add ' . $this->foreignKeyClause($key)
                . ($this->online() ? ' not valid' : '');
            if (! $wanted) {
                $this->db()->transaction(fn () => $this->alter($table, $clause));
            }
            $notValid = $this->online() && $this->foreignKeyNotValid($table, $name);
            if ($notValid) {
                $this->unlimited(fn () => $this->alter($table, 'validate constraint ' . $this->wrap($name)));
            }
            return;
        }
        if (! $wanted && $this->foreignKeyNamed($table, $name)) {
            $this->removeForeignKey($table, $name); // the name stays free until the key is added back
        }
        if (! $this->foreignKeyNamed($table, $name)) {
            $this->makeForeignKey($table, $key, 're-created; fix or delete them and run the migration again');
        }
    }

    /** Rows of $table whose (non-null) $columns match no row of $refTable. */
    private function orphans(string $table, array $columns, string $refTable, array $refColumns): object
    {
        $orphans = $this->db()->table($table . ' as c');
        foreach ($columns as $column) {
            $orphans->whereNotNull('c.' . $column);
        }
        return $orphans->whereNotExists(function ($query) use ($refTable, $refColumns, $columns): void {
            $query->selectRaw('1')->from($refTable . ' as p');
            foreach ($refColumns as $i => $refColumn) {
                $query->whereColumn('p.' . $refColumn, 'c.' . $columns[$i]);
            }
        });
    }

    /** The migration's connection. */
    private function db(): \Illuminate\Database\Connection
    {
        return Schema::getConnection();
    }

    /** pgsql, mysql (MariaDB too) or sqlite. */
    private function driver(): string
    {
        $driver = str_replace('mariadb', 'mysql', $this->db()->getDriverName());
        if (! in_array($driver, ['pgsql', 'mysql', 'sqlite'], true)) {
            throw new \RuntimeException('fixgen: unsupported database driver ' . $driver);
        }
        return $driver;
    }

    /** The table's name in the catalogs: with the connection's table prefix. */
    private function prefixed(string $table): string
    {
        return $this->db()->getTablePrefix() . $table;
    }

    /** The same names in the same order (MySQL compares column and index names case-insensitively). */
    private function sameList(array $a, array $b): bool
    {
        $same = fn ($x, $y) => $x !== null && ($this->driver() === 'mysql' ? strcasecmp($x, $y) === 0 : $x === $y);
        return count($a) === count($b) && ! in_array(false, array_map($same, $a, $b), true);
    }

    /** Valid, non-partial indexes: name => ['unique' => bool, 'columns' => [...]] (a null column: an expression). */
    private function indexes(string $table): array
    {
        $queries = [
            'pgsql' => <<<'SQL'
                select ic.relname as name, i.indisunique as is_unique, a.attname as col from pg_index i
                join pg_class ic on ic.oid = i.indexrelid
                cross join lateral unnest(i.indkey::int2[]) with ordinality as k(attnum, ord)
                left join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum and k.attnum > 0
                where i.indrelid = to_regclass(format('%I.%I', current_schema(), ?::text))
                  and i.indisvalid and i.indpred is null and k.ord <= i.indnkeyatts order by ic.relname, k.ord
                SQL,
            'mysql' => 'select index_name as name, non_unique = 0 as is_unique, column_name as col, sub_part '
                . 'from information_schema.statistics where table_schema = database() and table_name = ? '
                . 'order by index_name, seq_in_index',
            // an INTEGER PRIMARY KEY is the rowid, listed by no pragma_index_list: add the primary key
            'sqlite' => 'select il.name as name, il."unique" as is_unique, il.partial as partial, ii.name as col, '
                . 'ii.seqno as pos from pragma_index_list(?) il join pragma_index_info(il.name) ii union all '
                . "select '(primary key)', 1, 0, p.name, p.pk - 1 from pragma_table_info(?) p where p.pk > 0 "
                . 'order by 1, 5',
        ];
        $t = $this->prefixed($table);
        $out = [];
        $bindings = $this->driver() === 'sqlite' ? [$t, $t] : [$t];
        foreach ($this->db()->select($queries[$this->driver()], $bindings) as $row) {
            $partial = ! empty($row->partial) || ! empty($row->sub_part) || ! empty($out[$row->name]['partial']);
            $out[$row->name]['partial'] = $partial;
            $out[$row->name]['unique'] = (bool) $row->is_unique;
            $out[$row->name]['columns'][] = $row->col;
        }
        return array_filter($out, fn ($index) => ! $index['partial']);
    }

    /** An index that leads with $columns (unique and exactly them if $unique; exactly them if $exact). */
    private function hasIndex(string $table, array $columns, bool $unique, bool $exact = false, $name = null): bool
    {
        foreach ($this->indexes($table) as $index => $info) {
            $cols = $info['columns'];
            $matches = ($name === null || $this->sameList([$index], [$name]))
                && $this->sameList(array_slice($cols, 0, count($columns)), $columns)
                && (! ($unique || $exact) || count($cols) === count($columns))
                && (! $unique || $info['unique']) && (! $exact || $info['unique'] === $unique);
            if ($matches) {
                return true;
            }
        }
        return false;
    }

    /** Index $name on $table: null if none, else whether it is usable (an interrupted CONCURRENTLY leaves one not). */
    private function indexState(string $table, string $name): ?bool
    {
        $queries = [
            'pgsql' => 'select i.indisvalid and i.indisready as ready from pg_index i where i.indrelid = '
                . $this->pgRelation() . ' and i.indexrelid = ' . $this->pgRelation(),
            // raw SQL: the query builder would put the connection's table prefix on information_schema
            'mysql' => 'select 1 as ready from information_schema.statistics where table_schema = database() '
                . 'and table_name = ? and index_name = ? limit 1',
            'sqlite' => "select 1 as ready from sqlite_master where type = 'index' and tbl_name = ? and name = ?",
        ];
        $row = $this->db()->selectOne($queries[$this->driver()], [$this->prefixed($table), $name]);
        return $row === null ? null : (bool) $row->ready;
    }

    /** PostgreSQL: the other sessions building index $name right now ('4711, 4712'), or null. */
    private function indexBuilders(string $name): ?string
    {
        if ($this->driver() !== 'pgsql') {
            return null;
        }
        return $this->db()->selectOne("select string_agg(p.pid::text, ', ') as b from pg_stat_progress_create_index p "
            . 'where p.index_relid = ' . $this->pgRelation() . ' and p.pid <> pg_backend_pid()', [$name])->b;
    }

    /** Is the name of a new index already used by another object (of any table)? */
    private function indexNameTaken(string $table, string $name): bool
    {
        if ($this->driver() === 'mysql') {
            return $this->indexState($table, $name) !== null;
        }
        $sql = $this->driver() === 'pgsql' ? 'select ' . $this->pgRelation() . ' is not null as e'
            : 'select exists (select 1 from sqlite_master where name = ?) as e';
        return (bool) $this->db()->selectOne($sql, [$name])->e;
    }

    /** PostgreSQL: the relation named by the next text parameter, in the current schema. */
    private function pgRelation(): string
    {
        return "to_regclass(format('%I.%I', current_schema(), ?::text))";
    }

    /** Foreign keys: list of [name, columns, ref_table, ref_columns, on_delete, on_update] (actions as 'set null'). */
    private function foreignKeys(string $table): array
    {
        $queries = [
            'pgsql' => <<<'SQL'
                select c.conname as name, rt.relname as ref_table, a.attname as col, ra.attname as ref_col,
                  c.confdeltype as on_delete, c.confupdtype as on_update from pg_constraint c
                join pg_class rt on rt.oid = c.confrelid
                cross join lateral unnest(c.conkey, c.confkey) with ordinality as k(attnum, refnum, ord)
                join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum
                join pg_attribute ra on ra.attrelid = c.confrelid and ra.attnum = k.refnum
                where c.contype = 'f' and c.conrelid = to_regclass(format('%I.%I', current_schema(), ?::text))
                order by c.conname, k.ord
                SQL,
            'mysql' => <<<'SQL'
                select k.constraint_name as name, k.referenced_table_name as ref_table, k.column_name as col,
                  k.referenced_column_name as ref_col, lower(r.delete_rule) as on_delete,
                  lower(r.update_rule) as on_update
                from information_schema.key_column_usage k join information_schema.referential_constraints r
                  on r.constraint_schema = k.table_schema and r.table_name = k.table_name
                  and r.constraint_name = k.constraint_name
                where k.table_schema = database() and k.table_name = ? and k.referenced_table_name is not null
                order by k.constraint_name, k.ordinal_position
                SQL,
            'sqlite' => <<<'SQL'
                select 'fk'||f.id as name, f."table" as ref_table, f."from" as col, coalesce(f."to",
                  (select p.name from pragma_table_info(f."table") p where p.pk = f.seq + 1)) as ref_col,
                  lower(f.on_delete) as on_delete, lower(f.on_update) as on_update
                from pragma_foreign_key_list(?) f order by f.id, f.seq
                SQL,
        ];
        $codes = ['a' => 'no action', 'r' => 'restrict', 'c' => 'cascade', 'n' => 'set null', 'd' => 'set default'];
        $out = [];
        foreach ($this->db()->select($queries[$this->driver()], [$this->prefixed($table)]) as $row) {
            $fk = $out[$row->name] ?? ['name' => $row->name, 'ref_table' => $row->ref_table, 'columns' => []];
            $fk['on_delete'] = $codes[$row->on_delete] ?? $row->on_delete; // pg_constraint.confdeltype / confupdtype
            $fk['on_update'] = $codes[$row->on_update] ?? $row->on_update;
            $fk['columns'][] = $row->col;
            $fk['ref_columns'][] = $row->ref_col;
            $out[$row->name] = $fk;
        }
        return array_values($out);
    }

    /**
     * A foreign key (of $table, or among $fks) on exactly the columns of $key [name, columns, refTable,
     * refColumns, actions] to the same target, whatever its name; with the same actions if $withActions.
     */
    private function hasForeignKey(string $table, array $key, bool $withActions = true, ?array $fks = null): bool
    {
        [, $columns, $refTable, $refColumns, $actions] = $key;
        foreach ($fks ?? $this->foreignKeys($table) as $fk) {
            $target = [$fk['ref_table'], ...$fk['columns'], '.', ...$fk['ref_columns']];
            if ($this->sameList($target, [$this->prefixed($refTable), ...$columns, '.', ...$refColumns])) {
                return ! $withActions || $this->hasActions($fk, $actions);
            }
        }
        return false;
    }

    /** Foreign key $name on $table as foreignKeys() gives it, or null. */
    private function foreignKey(string $table, string $name): ?array
    {
        $named = array_filter($this->foreignKeys($table), fn (array $fk) => $this->sameList([$fk['name']], [$name]));
        return $named ? reset($named) : null;
    }

    /** Is there a foreign key named $name on $table (MySQL, if $anyTable: in the database)? */
    private function foreignKeyNamed(string $table, string $name, bool $anyTable = false): bool
    {
        $db = $this->db();
        if ($this->driver() === 'sqlite') { // no constraint names in SQLite's catalog: fixgen's clauses are in the SQL
            $sql = $db->selectOne("select sql from sqlite_master where type = 'table' and name = ?", [
                $this->prefixed($table),
            ]);
            return $sql !== null && strpos($sql->sql, 'CONSTRAINT "' . $name . '" FOREIGN KEY') !== false;
        }
        if ($anyTable && $this->driver() === 'mysql') { // InnoDB foreign-key names are unique per database
            return (bool) $db->selectOne('select exists (select 1 from information_schema.referential_constraints '
                . 'where constraint_schema = database() and constraint_name = ?) as e', [$name])->e;
        }
        return $this->foreignKey($table, $name) !== null;
    }

    /** PostgreSQL: the constraint exists but was never validated (added NOT VALID). */
    private function foreignKeyNotValid(string $table, string $name): bool
    {
        $sql = 'select exists (select 1 from pg_constraint k where k.conrelid = ' . $this->pgRelation()
            . ' and k.conname = ? and not k.convalidated) as e';
        return $this->driver() === 'pgsql' && $this->db()->selectOne($sql, [$this->prefixed($table), $name])->e;
    }

    /** There, and (online) validated. */
    private function foreignKeyReady(string $table, string $name): bool
    {
        return $this->foreignKeyNamed($table, $name) && ! ($this->online() && $this->foreignKeyNotValid($table, $name));
    }

    /** 'set_null' (spec), 'SET NULL' (catalog) -> 'set null'; MySQL: RESTRICT is NO ACTION (InnoDB checks at once). */
    private function action(string $action): string
    {
        $action = strtolower(str_replace('_', ' ', $action));
        return ($this->driver() === 'mysql' && $action === 'restrict') ? 'no action' : $action;
    }

    /** The foreign key (as foreignKeys() gives it, or null) has these [on delete, on update] actions. */
    private function hasActions(?array $fk, array $actions): bool
    {
        return $fk !== null && $this->action($fk['on_delete']) === $this->action($actions[0])
            && $this->action($fk['on_update']) === $this->action($actions[1]);
    }

    /** The column's NOT NULL flag, or null if there is no such column. */
    private function notNull(string $table, string $column): ?bool
    {
        $queries = [
            'pgsql' => 'select a.attnotnull as nn from pg_attribute a where a.attrelid = ' . $this->pgRelation()
                . ' and a.attname = ? and a.attnum > 0 and not a.attisdropped',
            'mysql' => "select is_nullable = 'NO' as nn from information_schema.columns "
                . 'where table_schema = database() and table_name = ? and column_name = ?',
            'sqlite' => 'select "notnull" as nn from pragma_table_info(?) where name = ?',
        ];
        $row = $this->db()->selectOne($queries[$this->driver()], [$this->prefixed($table), $column]);
        return $row === null ? null : (bool) $row->nn;
    }

    /** SQLite cannot ALTER a constraint: the clause fixgen adds to the table's definition, by itself. */
    private function sqliteForeignKeyClause(array $key): string
    {
        [$name, $columns, $refTable, $refColumns, $actions] = $key;
        $quote = fn (array $names) => '"' . implode('", "', $names) . '"';
        return 'CONSTRAINT "' . $name . '" FOREIGN KEY (' . $quote($columns) . ') REFERENCES "'
            . $this->prefixed($refTable) . '" (' . $quote($refColumns) . ') ON DELETE ' . strtoupper($actions[0])
            . ' ON UPDATE ' . strtoupper($actions[1]);
    }

    /**
     * SQLite's documented table rebuild, with foreign keys off so that dropping the old table cascades into no
     * child table; indexes and triggers are recreated and foreign_key_check must pass before it commits.
     */
    private function rebuildSqliteTable(string $table, callable $edit): void
    {
        [$db, $t] = [$this->db(), $this->prefixed($table)];
        $enforced = (int) $db->selectOne('pragma foreign_keys')->foreign_keys;
        if ($enforced && $db->transactionLevel() > 0) {
            throw new \RuntimeException("fixgen: cannot rebuild SQLite table $t inside a transaction while foreign "
                . 'keys are enforced (PRAGMA foreign_keys cannot change there); run this migration outside '
                . 'a transaction');
        }
        $sql = $db->selectOne("select sql from sqlite_master where type = 'table' and name = ?", [$t])->sql;
        $extras = $db->select("select sql from sqlite_master where tbl_name = ? and type in ('index', 'trigger') "
            . 'and sql is not null', [$t]);
        $temporary = 'fixgen_rebuild_' . substr(md5($t), 0, 10);
        $head = '/^\s*CREATE\s+TABLE\s+("(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|[^\s(]+)\s*\(/i';
        $create = preg_replace($head, 'CREATE TABLE "' . $temporary . '" (', $edit($sql), 1, $count);
        if ($count !== 1) {
            throw new \RuntimeException("fixgen: cannot parse the definition of SQLite table $t");
        }
        $legacy = (int) $db->selectOne('pragma legacy_alter_table')->legacy_alter_table;
        $hasSequence = $db->selectOne("select 1 from sqlite_master where type = 'table' and name = 'sqlite_sequence'");
        $sequence = $hasSequence ? $db->selectOne('select seq from sqlite_sequence where name = ?', [$t]) : null;
        $db->statement('pragma foreign_keys = off');
        $db->statement('pragma legacy_alter_table = on');
        try {
            $db->transaction(function () use ($db, $t, $temporary, $create, $extras, $sequence): void {
                $db->statement($create);
                $db->statement('insert into "' . $temporary . '" select * from "' . $t . '"');
                $db->statement('drop table "' . $t . '"');
                $db->statement('alter table "' . $temporary . '" rename to "' . $t . '"');
                if ($sequence !== null) { // AUTOINCREMENT: never hand out an id again that was used before
                    $db->update('update sqlite_sequence set seq = ? where name = ?', [$sequence->seq, $t]);
                }
                foreach ($extras as $extra) {
                    $db->statement($extra->sql);
                }
                $violations = $db->selectOne('select count(*) as n from pragma_foreign_key_check(?)', [$t])->n;
                if ($violations > 0) {
                    throw new \RuntimeException("fixgen: rebuilding $t would leave $violations row(s) violating a "
                        . 'foreign key; nothing changed');
                }
            });
        } finally {
            $db->statement('pragma legacy_alter_table = ' . $legacy);
            $db->statement('pragma foreign_keys = ' . $enforced);
        }
    }
}
