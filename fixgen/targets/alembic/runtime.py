"""fixgen's Alembic runtime: the functions a generated revision calls, as real, linted and tested source.

A revision does not import this module (fixgen need not be installed where it runs): the renderer
(fixgen/targets/alembic/render.py) copies into it the functions its upgrade(), downgrade() and
preflight() reach, as written here, with each `if ONLINE:` statement resolved for the revision's mode.
Dialect branches stay: a revision runs on whatever database Alembic connects to.

Step functions (create_index, add_column, ...) are mode-aware: in upgrade() `create_index(t, n, cols)`
records the step in the ledger unless an index leads with those columns, then builds it unless it is
there; downgrade() calls the reverse op's function (`drop_index(t, n)`), meaning "undo what upgrade's
create_index recorded, then forget it". Every step logs one line through Alembic's logger.

The constants below are the ones every revision defines itself (render.py writes them, the ledger
facts taken from fixgen/ledger.py); here they serve the unit tests (tests/test_alembic_runtime.py).
"""

import contextlib
import json
import logging
import os
import re
import time
import warnings

import sqlalchemy as sa
from alembic import op
from alembic.util import CommandError

from fixgen import ledger, partitions

# ---------------------------------------------------------------- defined by each revision
revision = "runtime"
down_revision = None  # Alembic's own: the revision this one follows (None: the first)
MIGRATION = "runtime"  # the ledger key of the revision's steps
ONLINE = True  # resolved when the runtime is embedded: a revision holds one mode's code
LOCK_TIMEOUT = "500ms"  # PostgreSQL, online: each try at a lock writers conflict with
LOCK_RETRY_SECONDS = 120  # online: keep trying such a lock, with backoff, this long in all
STATEMENT_TIMEOUT = "30s"  # PostgreSQL, online
LOCK_WAIT_SECONDS = 5  # MySQL/MariaDB, online
LEDGER_TABLE = ledger.TABLE
LEDGER_COLUMNS = ledger.COLUMNS
LEDGER_KEY = ledger.KEY_COLUMNS
LEDGER_WIDTH = ledger.TEXT_WIDTH
STEP_SEPARATOR = ledger.STEP_SEPARATOR
LEDGER_MARKER = ledger.MARKER_STEP
RUN_LOCK_KEY = ledger.run_lock_key(MIGRATION)  # PostgreSQL advisory lock: one run of this revision at a time
RUN_LOCK_NAME = ledger.run_lock_name(MIGRATION)  # MySQL/MariaDB GET_LOCK
RUN_LOCK_SECONDS = 600  # wait at most this long for another run
PARTITION_SQL = {k: partitions.named(q, ledger.TABLE) for k, q in partitions.queries(ONLINE).items()}

# ---------------------------------------------------------------- the runtime

_log = logging.getLogger("alembic.runtime.fixgen")  # shown at INFO by alembic.ini's default logging
_mode = "upgrade"  # or "downgrade": set by migration()
_lost = None  # downgrade with no ledger row of this revision: the steps whose change is still there


@contextlib.contextmanager
def migration(mode: str, preflight=None):
    """upgrade() and downgrade() run their steps in `with migration(mode):` (offline mode is refused; online:
    session settings), after preflight(problems) found none; the ledger is created, and dropped once empty."""
    global _mode
    if op.get_context().as_sql:
        raise CommandError(
            f"fixgen revision {revision} inspects the live schema and cannot run in offline (--sql) mode; "
            "generate guarded SQL with `fixgen emit SPEC --target sql --dialect postgresql|mysql|sqlite`"
        )
    _mode = mode
    with contextlib.ExitStack() as stack:
        release = stack.enter_context(_run_lock_kept_to_commit())
        if ONLINE:  # first: on PostgreSQL it ends Alembic's transaction, in which a waiting run would hold a snapshot
            stack.enter_context(_online_session())
        stack.enter_context(_one_run_at_a_time(release))
        yield from _checked(preflight)
        _version_after_another_run()


def _run_lock_timed_out() -> CommandError:
    return CommandError(
        f"fixgen: nothing was changed: another run of revision {revision} still held its lock after "
        f"{RUN_LOCK_SECONDS} s; run it again once that one has finished"
    )


@contextlib.contextmanager
def _file_lock(path):
    """SQLite: one run at a time through an exclusive flock on the database file (SQLite's own locks are
    fcntl's, which flock does not touch); nothing for :memory: or where flock does not exist."""
    try:
        import fcntl
    except ImportError:  # Windows
        fcntl = None
    if fcntl is None or not path or path == ":memory:" or not os.path.isfile(path):
        yield
        return
    with open(path, "rb") as f:
        deadline = time.monotonic() + RUN_LOCK_SECONDS
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise _run_lock_timed_out() from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


@contextlib.contextmanager
def _run_lock_kept_to_commit():
    """The run lock is let go only once Alembic's version update that follows the revision is committed (or
    locked): a run that waited for this one then sees the revision recorded (_version_after_another_run).
    Yields a list into which _one_run_at_a_time puts its release statement; on PostgreSQL, online, this runs
    after Alembic's autocommit block ended and began the version update's transaction, whose own advisory
    lock on the same key it takes first (the session's cannot wait inside the autocommit block)."""
    release: list = []
    failed = True
    try:
        yield release
        failed = False
    finally:
        for statement in release:
            with contextlib.suppress(sa.exc.DBAPIError):  # a failed transaction: the lock goes with the connection
                if not failed and _dialect() == "postgresql":
                    op.get_bind().execute(sa.text("select pg_advisory_xact_lock(:k)").bindparams(k=RUN_LOCK_KEY))
                op.get_bind().execute(statement)


def _version_table():
    context = op.get_context()
    return sa.table(context.version_table, sa.column("version_num"), schema=context.version_table_schema)


def _lock_version_rows():
    """Alembic's version rows, locked until the transaction ends (waiting for another run's pending update); None
    without a version table (upgrade() called outside `alembic upgrade`, as fixgen verify does)."""
    context = op.get_context()
    if not sa.inspect(op.get_bind()).has_table(context.version_table, schema=context.version_table_schema):
        return None
    query = sa.select(_version_table().c.version_num)
    if _dialect() != "sqlite":
        query = query.with_for_update()
    return {row[0] for row in op.get_bind().execute(query)}


def _version_after_another_run() -> None:
    """Another run of this revision (another deploy host) finished while this one waited for the run lock, and
    this one found nothing left to do: Alembic's version table already says what this run's Alembic is about to
    write, so its update would match no row and fail. Put back the row it expects: both runs end with exit 0 and
    the version table as one run leaves it. Merge revisions (several down revisions) are left to Alembic. The
    rows are locked first in any case: on MySQL, Alembic's own update of them comes after GET_LOCK is let go."""
    rows, table = _lock_version_rows(), _version_table()
    if rows is None or not isinstance(down_revision, (str, type(None))):
        return
    version = table.c.version_num
    if _mode == "upgrade":
        if revision not in rows or down_revision in rows:
            return
        if down_revision is None:
            fix = table.delete().where(version == revision)
        else:
            fix = table.update().where(version == revision).values(version_num=down_revision)
    else:
        if revision in rows or (down_revision is not None and down_revision not in rows):
            return
        if down_revision is None:
            fix = table.insert().values(version_num=revision)
        else:
            fix = table.update().where(version == down_revision).values(version_num=revision)
    _log.info("another run already applied this %s of revision %s; nothing left to do", _mode, revision)
    op.get_bind().execute(fix)


@contextlib.contextmanager
def _one_run_at_a_time(release: list):
    """The revision's run lock, the session's (gone with the connection): another run (another deploy host, a
    retry while a killed run's statement still runs) is waited for, and then finds its work done. Polled: a
    session blocked in pg_advisory_lock holds a snapshot that the holder's concurrent index build would wait
    for (a deadlock). Released by _run_lock_kept_to_commit (`release`)."""
    bind, dialect = op.get_bind(), _dialect()
    if dialect not in ("postgresql", "mysql"):
        with _file_lock(bind.engine.url.database):  # SQLite: the database file itself
            yield
        return
    if dialect == "postgresql":
        take = sa.text("select pg_try_advisory_lock(:k)").bindparams(k=RUN_LOCK_KEY)
        unlock = sa.text("select pg_advisory_unlock(:k)").bindparams(k=RUN_LOCK_KEY)
        if not ONLINE:  # in Alembic's transaction, the transaction's lock: a failed run's rollback ends it too
            take, unlock = sa.text("select pg_try_advisory_xact_lock(:k)").bindparams(k=RUN_LOCK_KEY), None
        holder = (
            "select string_agg(pid::text, ', ') from pg_locks where locktype = 'advisory' and granted and "
            "classid = ((:k >> 32) & 4294967295)::oid and objid = (:k & 4294967295)::oid and objsubid = 1"
        )
    else:
        take = sa.text("select get_lock(:n, 0)").bindparams(n=RUN_LOCK_NAME)
        holder = "select is_used_lock(:n)"
        unlock = sa.text("select release_lock(:n)").bindparams(n=RUN_LOCK_NAME)
    deadline, said = time.monotonic() + RUN_LOCK_SECONDS, False
    while not bind.execute(take).scalar():
        if not said:
            who = bind.execute(sa.text(holder), {"k": RUN_LOCK_KEY, "n": RUN_LOCK_NAME}).scalar()
            _log.info("waiting up to %s s for another run of this revision (%s)", RUN_LOCK_SECONDS, who)
            said = True
        if time.monotonic() > deadline:
            raise _run_lock_timed_out()
        time.sleep(0.5)
    if unlock is not None:
        release.append(unlock)
    if dialect == "mysql":  # InnoDB reads in Alembic's transaction would see the snapshot from before another run's
        bind.exec_driver_sql("COMMIT")  # DDL (error 1412); MySQL's DDL commits implicitly anyway
    yield


def _checked(preflight):
    if preflight is not None:
        problems: list[str] = []
        if ONLINE:
            with _no_time_limits():  # the orphan counts read whole tables (without blocking writers)
                preflight(problems)
        else:
            preflight(problems)
        if problems:
            raise CommandError("fixgen: nothing was changed:\n - " + "\n - ".join(problems))
    global _lost
    _lost = None
    if _mode == "upgrade" and not _has_table(LEDGER_TABLE):
        text = sa.String(LEDGER_WIDTH)
        columns = [sa.Column(c, text, primary_key=c in LEDGER_KEY, nullable=False) for c in LEDGER_COLUMNS[:-1]]
        stamp = sa.Column(LEDGER_COLUMNS[-1], sa.DateTime(), nullable=False, server_default=sa.func.current_timestamp())
        op.create_table(LEDGER_TABLE, *columns, stamp)
    if _mode == "upgrade" and not _recorded(LEDGER_MARKER):  # the marker: upgrade ran (it may have found all present)
        row = dict(zip(LEDGER_COLUMNS, (MIGRATION, LEDGER_MARKER, ""), strict=False))  # applied_at: its default
        op.get_bind().execute(_ledger()[0].insert().values(row))
    if _mode == "downgrade" and not (_has_table(LEDGER_TABLE) and _recorded(None, MIGRATION)):
        _lost = []  # no record of this revision: its steps change nothing, and note what is still there
    yield
    if _lost:
        raise CommandError(
            f"fixgen: nothing was changed: {LEDGER_TABLE} has no record of revision {revision} (the table or its rows "
            f"are gone), yet what upgrade() would have made is here: {', '.join(_lost)}. Restore {LEDGER_TABLE} from "
            "a backup and downgrade again; or, if these were not made by this revision, `alembic stamp` the revision "
            "before it."
        )
    if _mode == "downgrade" and _has_table(LEDGER_TABLE):  # the marker last: a cut run is finished by the next
        t, row = _ledger(LEDGER_MARKER)
        op.get_bind().execute(t.delete().where(row))
        if not _recorded(None):  # no row of any revision
            op.drop_table(LEDGER_TABLE)


@contextlib.contextmanager
def _online_session():
    """Session settings for the whole upgrade()/downgrade(), restored afterwards (Alembic runs later revisions
    on the same connection); on PostgreSQL no surrounding transaction: CONCURRENTLY needs that."""
    bind = op.get_bind()
    if _dialect() == "mysql":
        before = bind.exec_driver_sql("SELECT @@SESSION.lock_wait_timeout, @@SESSION.innodb_lock_wait_timeout").one()
        _mysql_lock_waits(LOCK_WAIT_SECONDS, LOCK_WAIT_SECONDS)
        try:
            yield
        finally:
            _mysql_lock_waits(*before)
        return
    if _dialect() != "postgresql":
        yield
        return
    with contextlib.ExitStack() as stack:
        try:  # every step below commits on its own
            stack.enter_context(op.get_context().autocommit_block())
        except AssertionError:  # Alembic cannot end a transaction env.py began itself
            raise CommandError(
                f"fixgen revision {revision} runs outside a transaction on PostgreSQL (online mode), which "
                "Alembic's autocommit_block allows only when Alembic began the transaction: in env.py use "
                "engine.connect() (not engine.begin()) and run nothing on the connection before "
                "context.begin_transaction(); or generate the revision with `fixgen emit --no-online`"
            ) from None
        before = bind.execute(sa.text("select current_setting('lock_timeout'), current_setting('statement_timeout')"))
        stack.callback(_pg_set, *before.one())
        _pg_set(LOCK_TIMEOUT, STATEMENT_TIMEOUT)
        yield


def _mysql_lock_waits(lock_wait: int, innodb_lock_wait: int) -> None:
    op.get_bind().exec_driver_sql(
        f"SET SESSION lock_wait_timeout = {int(lock_wait)}, SESSION innodb_lock_wait_timeout = {int(innodb_lock_wait)}"
    )


def _pg_set(lock_timeout: str, statement_timeout: str) -> None:
    op.get_bind().execute(
        sa.text("select set_config('lock_timeout', :l, false), set_config('statement_timeout', :s, false)"),
        {"l": lock_timeout, "s": statement_timeout},
    )


@contextlib.contextmanager
def _no_time_limits():
    """PostgreSQL: no time limits around long statements whose locks conflict with no write (a concurrent
    build waits for every older transaction; that holds up no writer)."""
    if _dialect() != "postgresql":
        yield
        return
    _pg_set("0", "0")
    try:
        yield
    finally:
        _pg_set(LOCK_TIMEOUT, STATEMENT_TIMEOUT)


def _inplace() -> str:
    """Online, MySQL/MariaDB: the clause InnoDB keeps or refuses (an error), never silently locking writes."""
    if ONLINE:
        return ", ALGORITHM=INPLACE, LOCK=NONE" if _dialect() == "mysql" else ""
    return ""


# ---------------------------------------------------------------- steps and the ledger


def _ledger(step=None, migration=None):
    """The ledger table, and the WHERE clause of this revision's row for `step` (None: every row of `migration`,
    or of every revision)."""
    t = sa.table(LEDGER_TABLE, *(sa.column(c) for c in LEDGER_COLUMNS))
    if step is None:
        return t, sa.true() if migration is None else t.c[LEDGER_KEY[0]] == migration
    return t, sa.and_(*(t.c[c] == v for c, v in zip(LEDGER_KEY, (MIGRATION, step), strict=True)))


def _recorded(step, migration=None) -> bool:
    t, row = _ledger(step, migration)
    return bool(op.get_bind().execute(sa.select(sa.func.count()).select_from(t).where(row)).scalar())


def _step(kinds: tuple, table: str, name: str, present, done, perform, verb: str, undoable=None, undo_name=None):
    """One guarded, logged step (docs/guarantees.md, "Exact rollback: the ledger"). Its ledger key is built as
    fixgen.ledger.step_key builds it: kind, table and object name joined by STEP_SEPARATOR.

    upgrade(): unless the ledger has step kinds[0] or `present()` (the fix is there, by definition), record
    it; then, if recorded, `perform()` unless `done()`. downgrade(): if the ledger has step kinds[1] (what
    the opposite call recorded in upgrade()), `perform()` if `undoable()` (by default: not done()); forget it.
    """
    if _mode == "downgrade":
        key = STEP_SEPARATOR.join((kinds[1], table, name if undo_name is None else undo_name))
        if _lost is not None and (undoable() if undoable else not done()):
            _lost.append(key)
        if _lost is not None or not _recorded(key):
            return _log.info("undo %s: nothing to undo", key)
        outcome = "already undone"
        if undoable() if undoable else not done():
            _perform(table, perform)
            outcome = "undone"
        t, row = _ledger(key)
        op.get_bind().execute(t.delete().where(row))
        return _log.info("undo %s: %s", key, outcome)
    key = STEP_SEPARATOR.join((kinds[0], table, name))
    if not _recorded(key):
        if present():
            return _log.info("%s: skipped: already present (not made by this revision)", key)
        row = dict(zip(LEDGER_COLUMNS, (MIGRATION, key, name), strict=False))  # applied_at: its default
        op.get_bind().execute(_ledger()[0].insert().values(row))
    if done():
        return _log.info("%s: already done", key)
    _perform(table, perform)
    return _log.info("%s: %s", key, verb)


def _perform(table: str, perform) -> None:
    """Online: a step's lock that writers conflict with is tried for the session's lock timeout at a time (writers
    queue behind a try at most that long); a try that timed out changed nothing, and is tried again with backoff
    (0.1 s, doubling, at most 5 s), saying whom it waits for, for LOCK_RETRY_SECONDS in all."""
    if not ONLINE:
        return perform()
    started, tries = time.monotonic(), 0
    while True:
        try:
            return perform()
        except sa.exc.DBAPIError as e:
            if not _lock_timed_out(e):
                raise
            if _dialect() == "postgresql":  # a step's own transaction (partitioned tables) is aborted: end it
                op.get_bind().exec_driver_sql("ROLLBACK")
            pause = min(0.1 * 2**tries, 5.0)
            if time.monotonic() + pause > started + LOCK_RETRY_SECONDS:
                raise CommandError(
                    f"fixgen: gave up waiting for a lock on {table} after {LOCK_RETRY_SECONDS} s (held by: "
                    f"{_lock_holders(table)}); this step changed nothing: run the upgrade or downgrade again"
                ) from None
            holders = _lock_holders(table)
            _log.info("waiting for a lock on %s (held by: %s); trying again in %.1f s", table, holders, pause)
            time.sleep(pause)
            tries += 1


def _lock_timed_out(e) -> bool:
    """PostgreSQL lock_not_available (lock_timeout), MySQL/MariaDB 1205 (lock_wait_timeout)."""
    return getattr(e.orig, "sqlstate", None) == "55P03" or (getattr(e.orig, "args", None) or [None])[0] == 1205


def _lock_holders(table: str) -> str:
    """Who holds a lock on the table (PostgreSQL), or has a transaction open (MySQL/MariaDB, where the metadata
    lock's holder is not always visible)."""
    if _dialect() == "postgresql":
        sql = (
            "select string_agg(DISTINCT format('pid %s (%s, %s s in a transaction)', a.pid, a.state, "
            "round(extract(epoch from clock_timestamp() - a.xact_start))), ', ') "
            "from pg_locks l join pg_stat_activity a on a.pid = l.pid "
            "where l.relation = to_regclass(format('%I.%I', current_schema(), cast(:t as text))) and l.granted "
            "and l.pid <> pg_backend_pid()"
        )
    else:
        sql = (
            "select group_concat(concat('id ', t.trx_mysql_thread_id, ' (', "
            "timestampdiff(second, t.trx_started, now()), ' s in a transaction)') separator ', ') "
            "from information_schema.INNODB_TRX t "
            "where t.trx_mysql_thread_id <> connection_id() and :t is not null"
        )
    return op.get_bind().execute(sa.text(sql), {"t": table}).scalar() or "nobody now"


def create_index(table: str, name: str, columns: list, unique: bool = False) -> None:
    """upgrade: build the index unless one leads with these columns (unique: a unique one on exactly them);
    downgrade: build again the index upgrade's drop_index dropped."""
    _step(
        ("create_index", "drop_index"),
        table,
        name,
        present=lambda: _has_index(table, columns, unique),
        done=lambda: _index_named(table, name) and name not in _invalid_indexes(table),
        perform=lambda: _build_index(table, name, columns, unique),
        verb="created",
    )


def drop_index(table: str, name: str, columns: list, unique: bool = False) -> None:
    """upgrade: drop the index (a redundant one); downgrade: drop the index upgrade's create_index built (on a
    partitioned table: whenever recorded, since a cut run may have left partitions' own indexes to give back)."""
    partitioned = _mode == "downgrade" and _partitioned_table(table)
    index = {"name": name, "cols": columns, "uniq": unique}
    _step(
        ("drop_index", "create_index"),
        table,
        name,
        present=lambda: not _index_named(table, name),
        done=lambda: not _index_named(table, name),
        perform=lambda: (
            _partition_steps("index_down", ("create_index", table, name), index)
            if partitioned
            else _remove_index(table, name, restore=_mode == "downgrade")
        ),
        verb="dropped",
        undoable=(lambda: True) if partitioned else None,
    )


def add_column(table: str, column: sa.Column) -> None:
    """upgrade: add the column unless the table has one of that name; downgrade: add back what drop_column dropped."""
    _step(
        ("add_column", "drop_column"),
        table,
        column.name,
        present=lambda: _has_column(table, column.name),
        done=lambda: _has_column(table, column.name),
        perform=lambda: _add_column(table, column),
        verb="added",
    )


def drop_column(table: str, column: str) -> None:
    """upgrade: drop the column; downgrade: drop the column upgrade's add_column added."""
    _step(
        ("drop_column", "add_column"),
        table,
        column,
        present=lambda: not _has_column(table, column),
        done=lambda: not _has_column(table, column),
        perform=lambda: op.execute(f"ALTER TABLE {_quote(table)} DROP COLUMN {_quote(column)}{_inplace()}"),
        verb="dropped",
    )


def rename_column(table: str, old: str, new: str) -> None:
    """upgrade: rename unless `old` is gone; downgrade (the names swapped): rename back what upgrade renamed,
    if `old` is there and `new` is not. Native RENAME COLUMN: MySQL's CHANGE would need the type."""
    sql = f"ALTER TABLE {_quote(table)} RENAME COLUMN {_quote(old)} TO {_quote(new)}"
    _step(
        ("rename_column", "rename_column"),
        table,
        STEP_SEPARATOR.join((old, new)),
        present=lambda: not _has_column(table, old),
        done=lambda: not _has_column(table, old) and _has_column(table, new),
        perform=lambda: op.execute(sql + _inplace()),
        verb="renamed",
        undoable=lambda: _has_column(table, old) and not _has_column(table, new),
        undo_name=STEP_SEPARATOR.join((new, old)),
    )


def add_foreign_key(
    table: str, name: str, columns: list, ref_table: str, ref_columns: list, ondelete="NO ACTION", onupdate="NO ACTION"
) -> None:
    """upgrade: add the foreign key unless one on these columns references ref_table (ref_columns);
    downgrade: add back what drop_foreign_key dropped."""
    fk = (table, name, columns, ref_table, ref_columns, ondelete, onupdate)
    _step(
        ("add_foreign_key", "drop_foreign_key"),
        table,
        name,
        present=lambda: bool(_foreign_keys_on(table, columns, ref_table, ref_columns)),
        done=lambda: _foreign_key_valid(table, name),
        perform=lambda: (
            _partition_steps("fk_up", ("add_foreign_key", table, name), _key_args(*fk[1:]))
            if _partitioned_table(table)  # keys go on each partition first there, then on the parent
            else _create_foreign_key(*fk)
        ),
        verb="added",
    )
    if ONLINE:  # MySQL/MariaDB: rows written since the preflight, while foreign_key_checks was off
        then = f"run the upgrade again (or remove the foreign key: alembic stamp {revision}, then alembic downgrade -1)"
        _recheck("add_foreign_key", table, name, columns, ref_table, ref_columns, "added", then)


def drop_foreign_key(
    table: str, name: str, columns: list, ref_table: str, ref_columns: list, ondelete="NO ACTION", onupdate="NO ACTION"
) -> None:
    """upgrade: drop the foreign key; downgrade: drop the foreign key upgrade's add_foreign_key added (on
    SQLite, which rebuilds the table without its clause, the definition must be the one it added)."""
    partitioned = _mode == "downgrade" and _partitioned_table(table)
    key = _key_args(name, columns, ref_table, ref_columns, ondelete, onupdate)
    _step(
        ("drop_foreign_key", "add_foreign_key"),
        table,
        name,
        present=lambda: not _foreign_key_named(table, name),
        done=lambda: not _foreign_key_named(table, name),
        perform=lambda: (
            _partition_steps("fk_down", ("add_foreign_key", table, name), key)
            if partitioned
            else _remove_foreign_key(table, name, columns, ref_table, ref_columns, ondelete, onupdate)
        ),
        verb="dropped",
        undoable=(lambda: True) if partitioned else None,  # whenever recorded: partitions' own keys to give back
    )


def change_foreign_key_actions(
    table: str, name: str, columns: list, ref_table: str, ref_columns: list, old: tuple, new: tuple
) -> None:
    """Re-create foreign key `name` with the `new` (ON DELETE, ON UPDATE) actions instead of `old`.
    upgrade: unless a foreign key on these columns has them; downgrade (old and new swapped): if the key
    still has the actions upgrade gave it, or is gone or unvalidated half-way."""
    fk = (table, name, columns, ref_table, ref_columns)
    _step(
        ("foreign_key_actions", "foreign_key_actions"),
        table,
        name,
        present=lambda: any(_same_actions(_actions_of(table, k), new) for k in _foreign_keys_on(table, *fk[2:])),
        done=lambda: _same_actions(_foreign_key_actions(table, name), new) and _foreign_key_valid(table, name),
        perform=lambda: _recreate_foreign_key(*fk, new),
        verb="changed",
        undoable=lambda: _same_actions(_foreign_key_actions(table, name), old) or not _foreign_key_valid(table, name),
    )
    if ONLINE:  # MySQL/MariaDB: rows written between the drop and the add (foreign_key_checks off)
        _recheck("foreign_key_actions", *fk, "re-created", "run the upgrade again")


def _recheck(kind, table, name, columns, ref_table, ref_columns, doing: str, then: str) -> None:
    """Online, MySQL/MariaDB, upgrade: InnoDB checked no row while adding the foreign key with foreign_key_checks
    off; check the rows written since the preflight, on every run while the ledger has the step."""
    if _mode == "upgrade" and _dialect() == "mysql" and _recorded(STEP_SEPARATOR.join((kind, table, name))):
        _check_orphans(name, table, columns, ref_table, ref_columns, doing, then)


# ---------------------------------------------------------------- inspection


def _dialect() -> str:
    name = op.get_bind().dialect.name
    return "mysql" if name == "mariadb" else name


def _quote(name: str) -> str:
    """The identifier, quoted for the dialect, as SQL text for op.execute (which escapes a % for the driver itself)."""
    preparer = op.get_bind().dialect.identifier_preparer
    quoted = preparer.quote(name)
    return quoted.replace("%%", "%") if getattr(preparer, "_double_percents", False) else quoted


def _reflect(method: str, table: str) -> list:
    """A fresh inspector's reflection (no stale cache), without SQLAlchemy's warnings about what it skips
    (expression indexes): fixgen never counts those as fixes anyway."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        return getattr(sa.inspect(op.get_bind()), method)(table)


def _same(a, b) -> bool:
    """Names compare exactly, except on MySQL/MariaDB, where they are case-insensitive."""
    if a is None or b is None:
        return False
    return a.lower() == b.lower() if _dialect() == "mysql" else a == b


def _same_list(a: list, b: list) -> bool:
    return len(a) == len(b) and all(map(_same, a, b))


def _has_table(table: str) -> bool:
    return sa.inspect(op.get_bind()).has_table(table)


def _column(table: str, column: str):
    """The reflected column of that name, or None."""
    return next((c for c in _reflect("get_columns", table) if _same(c["name"], column)), None)


def _has_column(table: str, column: str) -> bool:
    return _column(table, column) is not None


def _index_builders(name: str):
    """PostgreSQL: the other sessions building index `name` right now ('4711, 4712'), or None."""
    sql = (
        "select string_agg(p.pid::text, ', ') from pg_stat_progress_create_index p where p.index_relid = "
        "to_regclass(format('%I.%I', current_schema(), cast(:n as text))) and p.pid <> pg_backend_pid()"
    )
    return op.get_bind().execute(sa.text(sql), {"n": name}).scalar()


def _invalid_indexes(table: str) -> set:
    """PostgreSQL: the table's indexes an interrupted concurrent build (or drop) left unusable."""
    if _dialect() != "postgresql":
        return set()
    sql = (
        "select c.relname from pg_index i join pg_class c on c.oid = i.indexrelid where i.indrelid = "
        "to_regclass(format('%I.%I', current_schema(), cast(:t as text))) and not (i.indisvalid and i.indisready)"
    )
    return {row[0] for row in op.get_bind().execute(sa.text(sql), {"t": table})}


def _has_index(table: str, columns: list, unique: bool, exact: bool = False, name=None) -> bool:
    """A usable index leading with `columns` (unique and exactly them if `unique`; exactly them if `exact`);
    unique constraints and the primary key count, partial, expression-only and invalid indexes do not."""
    indexes = _reflect("get_indexes", table)
    found = [(i["name"], i["column_names"], i["unique"]) for i in indexes if not _partial(i)]
    found += [(u["name"], u["column_names"], True) for u in _reflect("get_unique_constraints", table)]
    pk = _reflect("get_pk_constraint", table)
    found += [(pk.get("name") or "primary", pk["constrained_columns"], True)] if pk.get("constrained_columns") else []
    invalid = _invalid_indexes(table)
    for ix_name, cols, ix_unique in found:
        if ix_name in invalid or (name is not None and not _same(ix_name, name)):
            continue
        if not _same_list(cols[: len(columns)], columns) or ((unique or exact) and len(cols) != len(columns)):
            continue
        if not ((unique and not ix_unique) or (exact and bool(ix_unique) != unique)):
            return True
    return False


def _partial(index: dict) -> bool:
    return any(k.endswith("_where") for k in index.get("dialect_options", {}))


def _index_named(table: str, name: str) -> bool:
    return any(_same(ix["name"], name) for ix in _reflect("get_indexes", table))


def _build_index(table: str, name: str, columns: list, unique: bool) -> None:
    if _partitioned_table(table):
        index = {"name": name, "cols": columns, "uniq": unique}
        return _partition_steps("index_up", ("create_index", table, name), index)
    if ONLINE:
        kind = "UNIQUE INDEX" if unique else "INDEX"
        cols = ", ".join(_quote(c) for c in columns)
        if _dialect() == "postgresql":
            if name in _invalid_indexes(table):  # IF NOT EXISTS would take the leftover for the index
                _remove_index(table, name)
            with _no_time_limits():
                op.execute(f"CREATE {kind} CONCURRENTLY IF NOT EXISTS {_quote(name)} ON {_quote(table)} ({cols})")
            return
        if _dialect() == "mysql":
            op.execute(f"ALTER TABLE {_quote(table)} ADD {kind} {_quote(name)} ({cols}){_inplace()}")
            return
    op.create_index(name, table, columns, unique=unique)


def _remove_index(table: str, name: str, restore: bool = False) -> None:
    """Drop the index; `restore`: first give a foreign key back the index InnoDB dropped for it."""
    if restore:
        _restore_foreign_key_indexes(table, name)
    if ONLINE:
        if _dialect() == "postgresql":
            with _no_time_limits():
                op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {_quote(name)}")
            return
        if _dialect() == "mysql":
            op.execute(f"ALTER TABLE {_quote(table)} DROP INDEX {_quote(name)}{_inplace()}")
            return
    op.drop_index(name, table_name=table)


def _restore_foreign_key_indexes(table: str, name: str) -> None:
    """MySQL/MariaDB: InnoDB makes an index for a foreign key that has none and silently drops it once another
    index leads with the key's columns (such as one upgrade created). Recreate it, named as InnoDB names it:
    after the constraint, or after the first column when the constraint was not named (<table>_ibfk_<n>)."""
    if _dialect() != "mysql":
        return
    indexes = {ix["name"]: list(ix["column_names"]) for ix in _reflect("get_indexes", table)}
    for fk in _reflect("get_foreign_keys", table) if name in indexes else []:
        columns = list(fk["constrained_columns"])
        if not _same_list(indexes[name][: len(columns)], columns):
            continue
        if any(other != name and _same_list(cols[: len(columns)], columns) for other, cols in indexes.items()):
            continue
        implicit = columns[0] if re.search(r"_ibfk_[0-9]+$", fk["name"] or "") else fk["name"]
        cols = ", ".join(_quote(c) for c in columns)
        op.execute(f"ALTER TABLE {_quote(table)} ADD INDEX {_quote(implicit)} ({cols}){_inplace()}")
        indexes[implicit] = columns


def _index_name_taken(table: str, name: str) -> bool:
    """PostgreSQL index names share the schema's namespace with every relation; SQLite's with every object."""
    if _dialect() == "postgresql":
        sql = "select to_regclass(format('%I.%I', current_schema(), cast(:n as text))) is not null"
        return bool(op.get_bind().execute(sa.text(sql), {"n": name}).scalar())
    if _dialect() == "sqlite":
        sql = "select count(*) from sqlite_master where name = :n"
        return bool(op.get_bind().execute(sa.text(sql), {"n": name}).scalar())
    return _index_named(table, name)


def _add_column(table: str, column: sa.Column) -> None:
    if ONLINE and _dialect() == "mysql":  # op.add_column cannot take ALGORITHM/LOCK
        sa.Table(table, sa.MetaData(), column)
        bind = op.get_bind()
        spec = sa.schema.CreateColumn(column).compile(dialect=bind.dialect)
        # compiled for the driver (a % in a default is doubled for pymysql's formatting): run it at that level
        table = bind.dialect.identifier_preparer.quote(table)  # for the driver, as `spec` is
        bind.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {spec}{_inplace()}")
        return
    op.add_column(table, column)


# ---------------------------------------------------------------- foreign keys


def _foreign_keys_on(table: str, columns: list, ref_table: str, ref_columns: list) -> list:
    """The table's foreign keys on `columns` referencing ref_table (ref_columns), whatever their names."""
    return [
        fk
        for fk in _reflect("get_foreign_keys", table)
        if _same(fk["referred_table"], ref_table)
        and _same_list(fk["constrained_columns"], columns)
        and _same_list(fk["referred_columns"], ref_columns)
    ]


def _foreign_key_named(table: str, name: str, any_table: bool = False) -> bool:
    if any_table and _dialect() == "mysql":  # InnoDB foreign-key names are unique per database
        sql = "select count(*) from information_schema.referential_constraints where constraint_schema = database() "
        return bool(op.get_bind().execute(sa.text(sql + "and constraint_name = :n"), {"n": name}).scalar())
    return any(_same(fk["name"], name) for fk in _reflect("get_foreign_keys", table))


def _foreign_key_valid(table: str, name: str) -> bool:
    """Named, and (online, PostgreSQL) validated: an upgrade interrupted between adding it and validating it
    leaves it unvalidated."""
    named = _foreign_key_named(table, name)
    if ONLINE and named and _dialect() == "postgresql":
        sql = (
            "select count(*) from pg_constraint k where k.conrelid = to_regclass(format('%I.%I', "
            "current_schema(), cast(:t as text))) and k.conname = :n and not k.convalidated"
        )
        return not op.get_bind().execute(sa.text(sql), {"t": table, "n": name}).scalar()
    return named


def _constraint(name: str, columns: list, ref_table: str, ref_columns: list, ondelete: str, onupdate: str) -> str:
    """The constraint's SQL, as fixgen adds it (on SQLite: into the table's definition, and removes it again)."""
    cols, refs = (", ".join(_quote(c) for c in names) for names in (columns, ref_columns))
    return (
        f"CONSTRAINT {_quote(name)} FOREIGN KEY ({cols}) REFERENCES {_quote(ref_table)} ({refs}) "
        f"ON DELETE {ondelete} ON UPDATE {onupdate}"
    )


def _create_foreign_key(table, name, columns, ref_table, ref_columns, ondelete, onupdate) -> None:
    constraint = _constraint(name, columns, ref_table, ref_columns, ondelete, onupdate)
    if _dialect() == "sqlite":
        _sqlite_rebuild(table, lambda sql: sql[: sql.rindex(")")] + ", " + constraint + sql[sql.rindex(")") :])
        return
    if ONLINE:
        if _dialect() == "postgresql":  # NOT VALID: a brief lock and no scan; VALIDATE then lets writes through
            if not _foreign_key_named(table, name):
                op.execute(f"ALTER TABLE {_quote(table)} ADD {constraint} NOT VALID")
            _validate(table, name)
            return
        if _dialect() == "mysql":  # in place (no table copy) only with foreign_key_checks off: see _recheck
            _without_foreign_key_checks(f"ALTER TABLE {_quote(table)} ADD {constraint}{_inplace()}")
            return
    op.execute(f"ALTER TABLE {_quote(table)} ADD {constraint}")


def _remove_foreign_key(table, name, columns, ref_table, ref_columns, ondelete, onupdate) -> None:
    if _dialect() == "sqlite":
        clause = ", " + _constraint(name, columns, ref_table, ref_columns, ondelete, onupdate)

        def remove(sql: str) -> str:
            if clause not in sql:
                raise CommandError(
                    f"fixgen: the definition of {table} no longer has the foreign key fixgen added; drop it by hand"
                )
            return sql.replace(clause, "", 1)

        _sqlite_rebuild(table, remove)
    elif _dialect() == "mysql":
        op.execute(f"ALTER TABLE {_quote(table)} DROP FOREIGN KEY {_quote(name)}{_inplace()}")
    else:
        op.drop_constraint(name, table, type_="foreignkey")


def _validate(table: str, name: str) -> None:
    if not _foreign_key_valid(table, name):
        with _no_time_limits():
            op.execute(f"ALTER TABLE {_quote(table)} VALIDATE CONSTRAINT {_quote(name)}")


def _without_foreign_key_checks(sql: str) -> None:
    bind = op.get_bind()
    checks = bind.exec_driver_sql("SELECT @@SESSION.foreign_key_checks").scalar()
    bind.exec_driver_sql("SET SESSION foreign_key_checks = 0")
    try:
        op.execute(sql)
    finally:
        bind.exec_driver_sql(f"SET SESSION foreign_key_checks = {int(checks)}")


def _recreate_foreign_key(table, name, columns, ref_table, ref_columns, actions: tuple) -> None:
    """Re-create foreign key `name` with these (ON DELETE, ON UPDATE) actions: no database alters them in place."""
    if _dialect() == "sqlite":  # the preflight refuses first
        what = f"changing the actions of foreign key {name} on {table}"
        raise CommandError(f"fixgen: {what} needs a table rebuild on SQLite")
    constraint = _constraint(name, columns, ref_table, ref_columns, *actions)
    if _dialect() == "postgresql":  # ONE statement: the table is never without the constraint
        replace = f"ALTER TABLE {_quote(table)} DROP CONSTRAINT IF EXISTS {_quote(name)}, ADD {constraint}"
        if ONLINE:  # NOT VALID: a brief lock and no scan; VALIDATE then lets writes through
            if not _same_actions(_foreign_key_actions(table, name), actions):
                op.execute(replace + " NOT VALID")
            _validate(table, name)
            return
        op.execute(replace)
        return
    # MySQL/MariaDB cannot drop and add one name in one ALTER (errno 121): two guarded statements; a run
    # stopped between them leaves the name absent with the step recorded, and the next run adds it
    if _foreign_key_named(table, name) and not _same_actions(_foreign_key_actions(table, name), actions):
        op.execute(f"ALTER TABLE {_quote(table)} DROP FOREIGN KEY {_quote(name)}{_inplace()}")
    if _foreign_key_named(table, name):
        return
    if ONLINE:
        _without_foreign_key_checks(f"ALTER TABLE {_quote(table)} ADD {constraint}{_inplace()}")
        if _mode == "downgrade":  # upgrade checks on every run (_recheck)
            doing = "re-created with its previous actions"
            _check_orphans(name, table, columns, ref_table, ref_columns, doing, "run the downgrade again")
        return
    op.execute(f"ALTER TABLE {_quote(table)} ADD {constraint}")


# pg_constraint.confdeltype/confupdtype -> SQL
_PG_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def _foreign_key_actions(table: str, name: str):
    """(ON DELETE, ON UPDATE) of the foreign key `name` on table, or None if there is none."""
    if _dialect() == "postgresql":
        sql = (
            "select confdeltype, confupdtype from pg_constraint where contype = 'f' and conname = :n "
            "and conrelid = to_regclass(format('%I.%I', current_schema(), cast(:t as text)))"
        )
        row = op.get_bind().execute(sa.text(sql), {"t": table, "n": name}).first()
        return None if row is None else (_PG_ACTIONS[row[0]], _PG_ACTIONS[row[1]])
    if _dialect() == "mysql":
        sql = (
            "select delete_rule, update_rule from information_schema.referential_constraints "
            "where constraint_schema = database() and table_name = :t and constraint_name = :n"
        )
        row = op.get_bind().execute(sa.text(sql), {"t": table, "n": name}).first()
        return None if row is None else (row[0].upper(), row[1].upper())
    fk = next((fk for fk in _reflect("get_foreign_keys", table) if _same(fk["name"], name)), None)
    return None if fk is None else _actions_of(table, fk)


def _actions_of(table: str, fk: dict):
    """(ON DELETE, ON UPDATE) of a reflected foreign key, from the catalogs where they are exact: the
    inspector reports no option for NO ACTION, and on MariaDB none for RESTRICT either."""
    if fk["name"] and _dialect() in ("postgresql", "mysql"):
        return _foreign_key_actions(table, fk["name"])
    options = fk.get("options") or {}
    return ((options.get("ondelete") or "NO ACTION").upper(), (options.get("onupdate") or "NO ACTION").upper())


def _same_actions(a, b) -> bool:
    """PostgreSQL: exactly. MySQL/MariaDB: NO ACTION and RESTRICT are one action in InnoDB (and MariaDB
    reports RESTRICT for a foreign key declared without actions)."""
    if a is None or b is None:
        return False
    if _dialect() == "mysql":
        a, b = (tuple("NO ACTION" if x == "RESTRICT" else x for x in v) for v in (a, b))
    return tuple(a) == tuple(b)


def _orphans(table: str, columns: list, ref_table: str, ref_columns: list) -> tuple:
    """Rows of table whose (non-null) columns match no row of ref_table: their count and a query listing them."""
    child = sa.table(table, *(sa.column(c) for c in columns)).alias("c")
    parent = sa.table(ref_table, *(sa.column(c) for c in ref_columns)).alias("p")
    match = sa.and_(*(parent.c[r] == child.c[c] for c, r in zip(columns, ref_columns, strict=True)))
    where = sa.and_(*(child.c[c].isnot(None) for c in columns), ~sa.exists().where(match))
    count = op.get_bind().execute(sa.select(sa.func.count()).select_from(child).where(where)).scalar()
    listing = sa.select(sa.text("*")).select_from(child).where(where)
    sql = str(listing.compile(dialect=op.get_bind().dialect, compile_kwargs={"literal_binds": True}))
    return count, " ".join(sql.split())


def _check_orphans(name: str, table: str, columns: list, ref_table: str, ref_columns: list, doing: str, then: str):
    count, sql = _orphans(table, columns, ref_table, ref_columns)
    if count:
        raise CommandError(
            f"fixgen: {count} orphan row(s) in {table} ({', '.join(columns)}): no matching row in {ref_table} "
            f"({', '.join(ref_columns)}); they were written while foreign key {name} was being {doing}; fix or "
            f"delete them and {then}; list them with: {sql}"
        )


def _sqlite_rebuild(table: str, edit) -> None:
    """SQLite's documented 12-step table rebuild on the table's own CREATE TABLE text.

    op.batch_alter_table would recreate the table from reflection, which drops unnamed CHECKs, triggers,
    expression indexes, collations and AUTOINCREMENT; editing the original text keeps the table exactly as it
    was apart from the one clause. Foreign keys are off during the rebuild so dropping the old table cascades
    into no child table, and foreign_key_check must pass before it commits.
    """
    bind = op.get_bind()
    enforced = bind.exec_driver_sql("PRAGMA foreign_keys").scalar()
    legacy = bind.exec_driver_sql("PRAGMA legacy_alter_table").scalar()
    master = "select sql from sqlite_master where "
    sql = bind.execute(sa.text(master + "type = 'table' and name = :t"), {"t": table}).scalar()
    others = "tbl_name = :t and type in ('index', 'trigger') and sql is not null"
    extras = [row[0] for row in bind.execute(sa.text(master + others), {"t": table})]
    sequence = None
    if bind.execute(sa.text("select count(*) from sqlite_master where name = 'sqlite_sequence'")).scalar():
        sequence = bind.execute(sa.text("select seq from sqlite_sequence where name = :t"), {"t": table}).scalar()
    head, paren, body = edit(sql).partition("(")
    if not paren or not head.strip().upper().startswith("CREATE TABLE"):
        raise CommandError(f"fixgen: cannot parse the definition of SQLite table {table}")
    temporary = _quote("fixgen_rebuild_" + table.encode().hex()[:20])
    with op.get_context().autocommit_block():
        bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
        bind.exec_driver_sql("PRAGMA legacy_alter_table=ON")
        try:
            bind.exec_driver_sql("BEGIN")
            try:
                bind.exec_driver_sql(f"CREATE TABLE {temporary} (" + body)
                bind.exec_driver_sql(f"INSERT INTO {temporary} SELECT * FROM {_quote(table)}")
                bind.exec_driver_sql(f"DROP TABLE {_quote(table)}")
                bind.exec_driver_sql(f"ALTER TABLE {temporary} RENAME TO {_quote(table)}")
                if sequence is not None:  # AUTOINCREMENT: never hand out an id again that was used before
                    bind.exec_driver_sql("UPDATE sqlite_sequence SET seq = ? WHERE name = ?", (sequence, table))
                for statement in extras:
                    bind.exec_driver_sql(statement)
                bad = bind.exec_driver_sql(f"PRAGMA foreign_key_check({_quote(table)})").fetchall()
                if bad:
                    bad = f"{len(bad)} row(s) of {table} would violate a foreign key"
                    raise CommandError(f"fixgen: {bad}; nothing changed")
            except BaseException:
                bind.exec_driver_sql("ROLLBACK")
                raise
            bind.exec_driver_sql("COMMIT")
        finally:
            bind.exec_driver_sql(f"PRAGMA legacy_alter_table={int(legacy)}")
            bind.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if enforced else 'OFF'}")


# ---------------------------------------------------------------- preflight checks (fixgen/targets/preflight.py)


def require_columns(problems: list, table: str, *columns) -> None:
    """The table, with these columns; a column given as (name, old) may still have its name before a rename."""
    if not _has_table(table):
        return problems.append(f"table {table} does not exist")
    for column, old in (c if isinstance(c, tuple) else (c, None) for c in columns):
        if not _has_column(table, column) and (old is None or not _has_column(table, old)):
            nor = f" (nor {old}, its name before the rename)" if old else ""
            problems.append(f"column {table}.{column} does not exist{nor}")


def require_renamable(problems: list, table: str, old: str, new: str) -> None:
    if not _has_table(table):
        return
    has_old, has_new = _has_column(table, old), _has_column(table, new)
    if not has_old and not has_new:
        problems.append(f"cannot rename {table}.{old} to {new}: neither column exists")
    elif has_old and has_new:
        problems.append(f"cannot rename {table}.{old} to {new}: both columns exist; merge them by hand first")
    for what, names in _dependents(table, old).items() if has_old else ():
        problems.append(
            f"cannot rename {table}.{old} to {new}: MySQL/MariaDB would leave these {what} naming the old column "
            f"broken: {', '.join(names)}; re-create them with {new} after the rename, or rename by hand"
        )


def _dependents(table: str, column: str) -> dict:
    """MySQL/MariaDB: the views and triggers that name table.column (neither is rewritten by a rename)."""
    if _dialect() != "mysql":
        return {}
    bind, found = op.get_bind(), {}
    views = "select TABLE_NAME, VIEW_DEFINITION from information_schema.VIEWS where TABLE_SCHEMA = database()"
    found["views"] = sorted(v for v, text in bind.execute(sa.text(views)) if f"`{table}`.`{column}`" in (text or ""))
    triggers = (
        "select TRIGGER_NAME, ACTION_STATEMENT from information_schema.TRIGGERS "
        "where TRIGGER_SCHEMA = database() and EVENT_OBJECT_TABLE = :t"
    )
    word = re.compile(rf"(NEW|OLD)\.`?{re.escape(column)}`?(?![\w$])", re.IGNORECASE)
    rows = bind.execute(sa.text(triggers), {"t": table})
    found["triggers"] = sorted(g for g, text in rows if word.search(text or ""))
    return {what: names for what, names in found.items() if names}


def _partition_columns_lacking(table: str, columns: list):
    """MySQL/MariaDB: the columns of the table's partitioning function that `columns` lack ('d, y'), or None."""
    if _dialect() != "mysql":
        return None
    sql = sa.text(
        "select group_concat(distinct c.COLUMN_NAME order by c.COLUMN_NAME separator ', ') from "
        "information_schema.PARTITIONS p join information_schema.COLUMNS c on c.TABLE_SCHEMA = p.TABLE_SCHEMA and "
        "c.TABLE_NAME = p.TABLE_NAME where p.TABLE_SCHEMA = database() and p.TABLE_NAME = :t and p.PARTITION_NAME "
        "is not null and locate(concat('`', c.COLUMN_NAME, '`'), concat(ifnull(p.PARTITION_EXPRESSION, ''), ' ', "
        "ifnull(p.SUBPARTITION_EXPRESSION, ''))) > 0 and c.COLUMN_NAME not in :cols"
    ).bindparams(sa.bindparam("cols", expanding=True))
    return op.get_bind().execute(sql, {"t": table, "cols": list(columns)}).scalar()


def _partitioned_table(table: str) -> bool:
    """PostgreSQL: is the table partitioned (where fixgen adds indexes and foreign keys its own way)?"""
    if _dialect() != "postgresql":
        return False
    relation = "to_regclass(format('%I.%I', current_schema(), cast(:t as text)))"
    sql = sa.text(f"select relkind = 'p' from pg_class where oid = {relation}")
    return bool(op.get_bind().execute(sql, {"t": table}).scalar())


def _partition_problems(
    problems: list, kind: str, table: str, what: str, columns=(), unique=False, ref_table="", ref_columns=()
) -> None:
    """PostgreSQL: what the database would refuse for step `kind` - on a partitioned table, or a key whose column
    types it cannot compare - or fixgen could not undo exactly (fixgen/partitions.py's preflight query)."""
    if _dialect() == "postgresql":
        args = {
            "tbl": table,
            "cols": json.dumps(list(columns)),
            "uniq": unique,
            "kind": kind,
            "what": what,
            "reftbl": ref_table,
            "refcols": json.dumps(list(ref_columns)),
        }
        problems.extend(r[0] for r in op.get_bind().execute(sa.text(PARTITION_SQL["preflight"]), args))


def _partition_steps(kind: str, step: tuple, args: dict) -> None:
    """PostgreSQL, partitioned table: run one by one the statements fixgen/partitions.py's query `kind` returns
    for step (kind, table, object): per partition, adopt its own index or key, or make one (the revision's
    mode decides how); downgrade: give the adopted ones back."""
    bind = op.get_bind()
    values = {**args, "tbl": step[1], "migration": MIGRATION, "step": STEP_SEPARATOR.join(step)}
    if ONLINE:
        values.update(lock_timeout=LOCK_TIMEOUT, statement_timeout=STATEMENT_TIMEOUT)
    for key in ("cols", "refcols"):
        if key in values:
            values[key] = json.dumps(list(values[key]))
    for (sql,) in bind.execute(sa.text(PARTITION_SQL[kind]), values).all():
        bind.execute(sa.text(sql.replace(":", "\\:")))  # a statement, not a template: no bind parameters


def _key_args(name, columns, ref_table, ref_columns, ondelete, onupdate) -> dict:
    return {
        "name": name,
        "cols": columns,
        "reftbl": ref_table,
        "refcols": ref_columns,
        "on_delete": ondelete,
        "on_update": onupdate,
    }


def require_index_name(problems: list, table: str, name: str, columns: list, unique: bool) -> None:
    _partition_problems(problems, "create_index", table, f"create index {name} on {table}", columns, unique)
    if not _has_table(table):
        return
    lacking = _partition_columns_lacking(table, columns) if unique else None
    if lacking:
        problems.append(
            f"cannot create unique index {name} on {table}: it is a partitioned table, whose unique indexes must "
            f"hold every column of its partitioning function, and this one lacks {lacking} (MySQL error 1503)"
        )
    if not _index_name_taken(table, name) or _has_index(table, columns, unique, name=name):
        return
    if ONLINE and name in _invalid_indexes(table):  # an interrupted build of ours leaves it: rebuilt, no clash
        builders = _index_builders(name)  # unless another session builds it now (ours hold the run lock)
        if builders:
            problems.append(
                f"index {name} on {table} is being built right now by another session (pid {builders}); run this "
                "migration again once that build has finished"
            )
        return
    problems.append(f"cannot create index {name} on {table}: another object already has that name")


def require_index_definition(problems: list, table: str, name: str, columns: list, unique: bool) -> None:
    _partition_problems(problems, "drop_index", table, f"drop index {name} on {table}")
    if not _has_table(table):
        return
    if not _index_named(table, name) or _has_index(table, columns, unique, True, name):
        return
    if ONLINE and name in _invalid_indexes(table):  # what an interrupted recreate of ours (downgrade) leaves
        return
    problems.append(
        f"index {name} on {table} does not have the definition the spec gives ({', '.join(columns)}"
        f"{', unique' if unique else ''}): its rollback could not recreate it exactly"
    )


def _innodb_type(table: str, column: str):
    """MySQL/MariaDB: (what InnoDB compares for a foreign key, how to show it) of the column, or None."""
    if _dialect() != "mysql":
        return None
    sql = (
        "select DATA_TYPE, COLUMN_TYPE, NUMERIC_PRECISION, NUMERIC_SCALE, COLLATION_NAME "
        "from information_schema.COLUMNS where TABLE_SCHEMA = database() and TABLE_NAME = :t and COLUMN_NAME = :c"
    )
    row = op.get_bind().execute(sa.text(sql), {"t": table, "c": column}).first()
    if row is None:
        return None
    data, full, precision, scale, collation = row
    family = "char" if data == "varchar" else data  # lengths may differ, CHAR and VARCHAR mix
    return (family, "unsigned" in full, precision, scale, collation), full + (f" {collation}" if collation else "")


def _current_name(table: str, column: str, old) -> str:
    return old if old is not None and not _has_column(table, column) else column


def require_foreign_key_fits(
    problems: list, table: str, name: str, columns: list, ref_table: str, ref_columns: list, set_null: bool, old: dict
) -> None:
    """A new foreign key must not reject existing rows, must reference a key, and SET NULL needs nullable columns."""
    if not _has_table(table) or not _has_table(ref_table):
        return  # reported by require_columns
    current = [_current_name(table, c, old.get(c)) for c in columns]
    if not all(_has_column(table, c) for c in current):
        return  # reported by require_columns
    what, found = f"add foreign key {name} on {table}", len(problems)
    _partition_problems(problems, "add_foreign_key", table, what, current, False, ref_table, ref_columns)
    comparable = len(problems) == found  # else counting orphans would compare what the database cannot
    for t in dict.fromkeys((table, ref_table)) if _dialect() == "mysql" else ():
        parts = "select 1 from information_schema.PARTITIONS where TABLE_SCHEMA = database() and TABLE_NAME = :t"
        if op.get_bind().execute(sa.text(parts + " and PARTITION_NAME is not null"), {"t": t}).first():
            problems.append(
                f"cannot add foreign key {name}: {t} is a partitioned table, and InnoDB has no foreign keys on "
                "partitioned tables (error 1506)"
            )
    for c, r in zip(current, ref_columns, strict=True):
        mine, theirs = _innodb_type(table, c), _innodb_type(ref_table, r)
        if mine and theirs and mine[0] != theirs[0]:
            problems.append(
                f"cannot add foreign key {name}: {table}.{c} is {mine[1]} but {ref_table}.{r} is {theirs[1]} "
                "(InnoDB needs the same type, size and sign, and for text the same collation)"
            )
    if _foreign_key_named(table, name, any_table=True) and not _foreign_keys_on(table, columns, ref_table, ref_columns):
        problems.append(f"cannot add foreign key {name} on {table}: another constraint already has that name")
    if not _has_index(ref_table, ref_columns, True, exact=True):
        key = f"{ref_table} ({', '.join(ref_columns)})"
        problems.append(f"cannot add foreign key {name}: {key} is not a primary key or unique")
    for c in current if set_null else []:
        if not _column(table, c)["nullable"]:
            problems.append(f"foreign key {name} uses SET NULL but {table}.{c} is NOT NULL")
    count, sql = _orphans(table, current, ref_table, ref_columns) if comparable else (0, "")
    if count:
        problems.append(
            f"{count} orphan row(s) in {table} ({', '.join(current)}) have no matching row in {ref_table} "
            f"({', '.join(ref_columns)}); list them with: {sql}"
        )


def require_foreign_key_actions(
    problems: list,
    table: str,
    name: str,
    columns: list,
    ref_table: str,
    ref_columns: list,
    now: tuple,
    wanted: tuple,
    old: dict,
) -> None:
    """The foreign key must be there as the spec describes it, with the (ON DELETE, ON UPDATE) actions the spec
    says it has `now` (or already the `wanted` ones): its rollback re-creates it with those."""
    if not _has_table(table) or not _has_table(ref_table):
        return  # reported by require_columns
    _partition_problems(problems, "foreign_key_actions", table, f"change foreign key {name} on {table}")
    if _dialect() == "sqlite":
        problems.append(
            f"changing the actions of foreign key {name} on {table} needs a table rebuild on SQLite, "
            "which fixgen does not do for a constraint it did not write"
        )
        return
    current = [_current_name(table, c, old.get(c)) for c in columns]
    if not all(_has_column(table, c) for c in current):
        return  # reported by require_columns
    fk = next((fk for fk in _reflect("get_foreign_keys", table) if _same(fk["name"], name)), None)
    step = STEP_SEPARATOR.join(("foreign_key_actions", table, name))
    if fk is None:  # MySQL/MariaDB: a run that stopped between the drop and the add left it absent; the next adds it
        if not (_has_table(LEDGER_TABLE) and _recorded(step)):
            problems.append(f"no foreign key {name} on {table} (the spec changes its actions)")
    elif not (
        _same(fk["referred_table"], ref_table)
        and _same_list(fk["constrained_columns"], current)
        and _same_list(fk["referred_columns"], ref_columns)
    ):
        problems.append(
            f"foreign key {name} on {table} is not on ({', '.join(columns)}) -> {ref_table} ({', '.join(ref_columns)})"
        )
    elif not _same_actions(_actions_of(table, fk), now) and not _same_actions(_actions_of(table, fk), wanted):
        spell = "ON DELETE {} ON UPDATE {}".format
        problems.append(
            f"foreign key {name} on {table} has {spell(*_actions_of(table, fk))}, neither what the spec says it has "
            f"now ({spell(*now)}) nor what it should have ({spell(*wanted)})"
        )
    for c in current if "SET NULL" in wanted else []:
        if not _column(table, c)["nullable"]:
            problems.append(f"foreign key {name} uses SET NULL but {table}.{c} is NOT NULL")
