"""A generated dataset and workload for `fixgen detect --workload`, its tests and `bench/` (issue 17).

Two datasets, each made in a few seconds with the database's own row generator (PostgreSQL's
`generate_series`, MariaDB's Sequence engine `seq_1_to_N`):

* `create_dataset`: `tickets` (the hot table, `rows` rows) and `users` (`rows // 5`), and `run_workload`
  runs on them, with varied parameter values,
  - two composite-filter patterns an index would serve (`PATTERNS`, the indexes in `WANTED`):
    `tenant_id = ? AND agent_id = ? AND status = ?` and `tenant_id = ? AND status = ? AND
    assigned_to_user_id = ?`;
  - a query an existing index serves (`external_ref = ?`, index `tickets_external_ref_index`);
  - primary-key lookups on `users` (a read and an update).
* `create_seed_dataset` (PostgreSQL): the seed's before-schema (examples/seed-before.postgresql.sql)
  with `rows` generated rows in `agent_executions` and in `hitl_approvals`, and `run_seed_workload` runs
  the seed's own two query patterns (seed §6, `SEED_PATTERNS`; the seed's hand-picked indexes in
  `SEED_WANTED`).

Every function takes the dialect ("postgresql" or "mysql") and a SQLAlchemy engine or URL, so a
test (`Database.engine`) and a benchmark (a URL) use the same code. `reset_statistics` empties the
statement statistics first, server-wide (PostgreSQL's are a bounded table that evicts the least used
entries; MariaDB/MySQL's digest table has no per-schema reset). `enable_extensions` creates
pg_stat_statements and hypopg in a PostgreSQL database (`enable_extensions_or_skip` in a test: skipped
without them, a failure under CI=true).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

ROWS = 500_000
TENANTS = 50
AGENTS = 200
ASSIGNEES = 5_000
STATUSES = ("open", "pending", "completed", "failed", "closed")

# the two indexes the workload asks for, on `tickets`, and the queries that ask for them
WANTED = [("tickets", ("tenant_id", "agent_id", "status")), ("tickets", ("tenant_id", "status", "assigned_to_user_id"))]
PATTERNS = {
    "by_agent": "SELECT id, title FROM tickets WHERE tenant_id = :tenant AND agent_id = :agent AND status = :status",
    "by_assignee": "SELECT id, title, created_at FROM tickets "
                   "WHERE tenant_id = :tenant AND status = :status AND assigned_to_user_id = :user",
}
SERVED = {"by_ref": "SELECT id, status FROM tickets WHERE external_ref = :ref"}  # tickets_external_ref_index has it
PK_LOOKUPS = {
    "user": "SELECT id, email, name FROM users WHERE id = :id",
    "touch_user": "UPDATE users SET last_seen_at = CURRENT_TIMESTAMP WHERE id = :id",
}

SEED_WANTED = [("agent_executions", ("tenant_id", "agent_id", "status")),
               ("hitl_approvals", ("tenant_id", "status", "assigned_to_user_id"))]
SEED_PATTERNS = {  # seed §6, as the app would send them (the statuses are literals there)
    "executions": "SELECT * FROM agent_executions WHERE tenant_id = :tenant AND agent_id = :agent "
                  "AND status = 'completed'",
    "approvals": "SELECT * FROM hitl_approvals WHERE tenant_id = :tenant AND status = 'pending' "
                 "AND assigned_to_user_id = :user",
}
EXECUTION_STATUSES = ("completed", "failed", "running", "awaiting_approval")
SEED_FILE = Path(__file__).resolve().parents[2] / "examples" / "seed-before.postgresql.sql"


def _engine(bind: Engine | str) -> tuple[Engine, bool]:
    if isinstance(bind, Engine):
        return bind, False
    from fixgen.dbschema import normalize_url

    return sa.create_engine(normalize_url(bind), isolation_level="AUTOCOMMIT"), True


@contextmanager
def connect(bind: Engine | str) -> Iterator[Connection]:
    """An autocommitting connection to an engine or a URL (an engine made here is disposed after)."""
    engine, owned = _engine(bind)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            yield conn
    finally:
        if owned:
            engine.dispose()


def _series(dialect: str, n: int) -> str:
    """`FROM ...` of n rows numbered g = 1..n."""
    if dialect == "postgresql":
        return f"generate_series(1, {int(n)}) AS s(g)"
    return f"(SELECT seq AS g FROM seq_1_to_{int(n)}) AS s"


def _pick(dialect: str, index_sql: str, values: tuple[str, ...]) -> str:
    """The value at 1-based `index_sql` of a list of string constants."""
    quoted = ", ".join(f"'{v}'" for v in values)
    if dialect == "postgresql":
        return f"(ARRAY[{quoted}])[{index_sql}]"
    return f"ELT({index_sql}, {quoted})"


def _mix(dialect: str, g: str, salt: str, modulo: int) -> str:
    """A well-spread 1..modulo from the row number, independent for each salt (deterministic, no random())."""
    if dialect == "postgresql":
        return f"(abs(hashtext('{salt}' || {g})) % {modulo} + 1)"
    return f"(crc32(CONCAT('{salt}', {g})) % {modulo} + 1)"


class WorkloadUnavailable(Exception):
    """The server lacks what the workload needs (pg_stat_statements preloaded, hypopg installed)."""


def enable_extensions(bind: Engine | str) -> None:
    """PostgreSQL: CREATE EXTENSION pg_stat_statements and hypopg in this database; WorkloadUnavailable when the
    server does not preload the first or has not the second installed (.ci/run sets both up)."""
    with connect(bind) as conn:
        run = conn.exec_driver_sql
        libraries = str(run("SHOW shared_preload_libraries").scalar() or "")
        hypopg = run("SELECT count(*) FROM pg_available_extensions WHERE name = 'hypopg'").scalar()
        if "pg_stat_statements" not in libraries or not hypopg:
            raise WorkloadUnavailable(f"postgresql: detect --workload needs pg_stat_statements in "
                                      f"shared_preload_libraries (it is {libraries!r}) and hypopg installed "
                                      f"({'yes' if hypopg else 'no'}): bash .ci/run sets both up")
        run("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        run("CREATE EXTENSION IF NOT EXISTS hypopg")


def enable_extensions_or_skip(bind: Engine | str) -> None:
    """enable_extensions in a test: skipped without them (failed under CI=true, like a missing server)."""
    from support.dbs import unavailable

    try:
        enable_extensions(bind)
    except WorkloadUnavailable as e:
        unavailable(str(e))


def create_dataset(dialect: str, bind: Engine | str, rows: int = ROWS) -> None:
    """`tickets` (rows) and `users` (rows // 5), their primary keys and the one index `SERVED` uses; analyzed."""
    text = "text" if dialect == "postgresql" else "varchar(200)"
    stamp = "timestamp" if dialect == "postgresql" else "datetime"
    users = max(rows // 5, 1)
    with connect(bind) as conn:
        run = conn.execution_options(no_parameters=True).exec_driver_sql  # % is SQL's modulo here
        run(f"CREATE TABLE users (id bigint NOT NULL PRIMARY KEY, email varchar(200) NOT NULL, name {text} NOT NULL, "
            f"tenant_id integer NOT NULL, last_seen_at {stamp} NULL)")
        run(f"CREATE TABLE tickets (id bigint NOT NULL PRIMARY KEY, tenant_id integer NOT NULL, agent_id integer NOT NULL, "
            f"status varchar(20) NOT NULL, assigned_to_user_id integer NULL, external_ref varchar(40) NOT NULL, "
            f"title {text} NOT NULL, created_at {stamp} NOT NULL)")
        run("CREATE INDEX tickets_external_ref_index ON tickets (external_ref)")
        concat = (lambda *p: " || ".join(p)) if dialect == "postgresql" else (lambda *p: f"CONCAT({', '.join(p)})")
        g = "s.g"
        run(f"INSERT INTO users (id, email, name, tenant_id) SELECT {g}, {concat(repr('user'), g, repr('@example.com'))}, "
            f"{concat(repr('User '), g)}, {_mix(dialect, g, 'tenant', TENANTS)} FROM {_series(dialect, users)}")
        minutes = (f"TIMESTAMP '2025-01-01 00:00:00' + ({g} % 500000) * INTERVAL '1 minute'" if dialect == "postgresql"
                   else f"TIMESTAMP '2025-01-01 00:00:00' + INTERVAL ({g} % 500000) MINUTE")
        run(f"INSERT INTO tickets (id, tenant_id, agent_id, status, assigned_to_user_id, external_ref, title, created_at) "
            f"SELECT {g}, {_mix(dialect, g, 'tenant', TENANTS)}, {_mix(dialect, g, 'agent', AGENTS)}, "
            f"{_pick(dialect, _mix(dialect, g, 'status', len(STATUSES)), STATUSES)}, "
            f"{_mix(dialect, g, 'user', ASSIGNEES)}, "
            f"{concat(repr('REF-'), g)}, {concat(repr('Ticket number '), g)}, {minutes} "
            f"FROM {_series(dialect, rows)}")
        run("ANALYZE users" if dialect == "postgresql" else "ANALYZE TABLE users")
        run("ANALYZE tickets" if dialect == "postgresql" else "ANALYZE TABLE tickets")


def reset_statistics(dialect: str, bind: Engine | str) -> None:
    """Forget the statements run so far, on the whole (test) server: pg_stat_statements keeps at most
    pg_stat_statements.max entries server-wide and evicts the least used, so after a long test run a
    workload of a few calls would be evicted by the next catalog reads if only this database's rows were
    reset; MariaDB/MySQL, the whole digest table (there is no per-schema reset)."""
    with connect(bind) as conn:
        if dialect == "postgresql":
            conn.exec_driver_sql("SELECT pg_stat_statements_reset()")
        else:
            conn.exec_driver_sql("TRUNCATE TABLE performance_schema.events_statements_summary_by_digest")


def run_workload(dialect: str, bind: Engine | str, calls: int = 20, seed: int = 17, rows: int = ROWS) -> dict[str, int]:
    """Run every pattern of `create_dataset`'s tables with varied values: `calls` times each hot pattern,
    5 × `calls` the served one and the primary-key lookups. Returns how often each ran."""
    rnd = random.Random(seed)
    users = max(rows // 5, 1)
    done: dict[str, int] = {}
    with connect(bind) as conn:
        for _ in range(calls):
            tenant, status = rnd.randint(1, TENANTS), rnd.choice(STATUSES)
            _run(conn, done, "by_agent", PATTERNS["by_agent"],
                 {"tenant": tenant, "agent": rnd.randint(1, AGENTS), "status": status})
            _run(conn, done, "by_assignee", PATTERNS["by_assignee"],
                 {"tenant": tenant, "status": status, "user": rnd.randint(1, ASSIGNEES)})
        for _ in range(5 * calls):
            _run(conn, done, "by_ref", SERVED["by_ref"], {"ref": f"REF-{rnd.randint(1, rows)}"})
            _run(conn, done, "user", PK_LOOKUPS["user"], {"id": rnd.randint(1, users)})
            _run(conn, done, "touch_user", PK_LOOKUPS["touch_user"], {"id": rnd.randint(1, users)})
    return done


def _run(conn: Connection, done: dict[str, int], name: str, sql: str, params: dict) -> None:
    conn.execute(sa.text(sql), params).fetchall() if sql.lstrip().upper().startswith("SELECT") else \
        conn.execute(sa.text(sql), params)
    done[name] = done.get(name, 0) + 1


# ------------------------------------------------------------------ the seed's schema and patterns (PostgreSQL)

def create_seed_dataset(bind: Engine | str, rows: int = ROWS) -> None:
    """examples/seed-before.postgresql.sql, then `rows` generated rows in agent_executions and hitl_approvals
    (their agents among the seed's own, 40 tenants, the seed's statuses), analyzed."""
    with connect(bind) as conn:
        raw = conn.connection.driver_connection  # psycopg: the whole file in one simple-protocol call
        raw.execute(SEED_FILE.read_text(encoding="utf-8"))
        run = conn.execution_options(no_parameters=True).exec_driver_sql
        run("SET session_replication_role = replica")  # no foreign key trigger per row: the agents exist
        agents = "(SELECT array_agg(id ORDER BY id) AS ids FROM agents) AS a"
        tenant = f"md5('tenant' || {_mix('postgresql', 's.g', 'tenant', 40)})::uuid"
        agent = "a.ids[1 + abs(hashtext('agent' || s.g)) % cardinality(a.ids)]"
        run("INSERT INTO agent_executions (id, tenant_id, agent_id, status, created_at, updated_at) "
            f"SELECT md5('execution' || s.g)::uuid, {tenant}, {agent}, "
            f"{_pick('postgresql', _mix('postgresql', 's.g', 'status', 4), EXECUTION_STATUSES)}, "
            f"now(), now() FROM {_series('postgresql', rows)}, {agents}")
        run("INSERT INTO hitl_approvals (id, tenant_id, agent_id, execution_id, status, assigned_to_user_id, created_at, "
            f"updated_at) SELECT md5('approval' || s.g)::uuid, {tenant}, {agent}, md5('execution' || s.g)::uuid, "
            f"{_pick('postgresql', _mix('postgresql', 's.g', 'status', 3), ('pending', 'approved', 'rejected'))}, "
            f"md5('user' || {_mix('postgresql', 's.g', 'user', ASSIGNEES)})::uuid, now(), now() "
            f"FROM {_series('postgresql', rows)}, {agents}")
        run("RESET session_replication_role")
        run("ANALYZE agent_executions")
        run("ANALYZE hitl_approvals")


def run_seed_workload(bind: Engine | str, calls: int = 20, seed: int = 6) -> dict[str, int]:
    """The seed's two patterns, `calls` times each, with tenants, agents and assignees that exist."""
    rnd = random.Random(seed)
    done: dict[str, int] = {}
    with connect(bind) as conn:
        agents = [r[0] for r in conn.exec_driver_sql("SELECT id FROM agents ORDER BY id")]
        tenants = [r[0] for r in conn.exec_driver_sql(
            "SELECT md5('tenant' || n)::uuid FROM generate_series(1, 40) AS n")]
        for _ in range(calls):
            tenant = rnd.choice(tenants)
            _run(conn, done, "executions", SEED_PATTERNS["executions"], {"tenant": tenant, "agent": rnd.choice(agents)})
            user = conn.exec_driver_sql(f"SELECT md5('user' || {rnd.randint(1, ASSIGNEES)})::uuid").scalar()
            _run(conn, done, "approvals", SEED_PATTERNS["approvals"], {"tenant": tenant, "user": user})
    return done
